package system

import (
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/dedup"
	"github.com/lfevents/lfevents/internal/testutil"
)

func dedupSystem(t *testing.T, window time.Duration) (*EventSystemImpl, *logRecorder) {
	t.Helper()
	rec := &logRecorder{}
	cfg := DefaultConfig()
	cfg.DedupWindow = window
	cfg.Logger = slog.New(rec)
	sys := New(cfg)
	sys.StartServiceWithPublisher(false)
	t.Cleanup(sys.Stop)
	return sys, rec
}

// floodCycle adds what one scheduling cycle of the reference scheduler
// emits in a flood: asks repeating "does not fit" (with the same state)
// and a few unique events, all stamped now.
func floodCycle(sys *EventSystemImpl, cycle, asks, unique int) {
	for a := 0; a < asks; a++ {
		sys.AddEvent(CreateRequestEventRecord(fmt.Sprint("ask-", a), "app-1",
			fmt.Sprintf("Request 'ask-%d' does not fit in queue 'root.a'", a), nil, "Pending"))
	}
	for u := 0; u < unique; u++ {
		sys.AddEvent(CreateAppEventRecord(fmt.Sprint("app-", cycle, "-", u), "accepted", "",
			si.EventRecord_ADD, si.EventRecord_APP_NEW, nil, "New"))
	}
}

func TestDedupOffByDefault(t *testing.T) {
	assert.Zero(t, DefaultConfig().DedupWindow)
	sys, _ := dedupSystem(t, 0)
	floodCycle(sys, 0, 5, 1)
	floodCycle(sys, 1, 5, 1)
	assert.EqualValues(t, 12, sys.Metrics().Channeled, "every repeat recorded")
	assert.Zero(t, sys.Metrics().DuplicatesSuppressed)
}

func TestDedupSuppressesRepeats(t *testing.T) {
	sys, logs := dedupSystem(t, time.Hour)
	for c := 0; c < 3; c++ {
		floodCycle(sys, c, 5, 2)
	}
	m := sys.Metrics()
	assert.EqualValues(t, 5+3*2, m.Channeled, "the asks once, every unique event")
	assert.EqualValues(t, 2*5, sys.Metrics().DuplicatesSuppressed)
	evs, _, _ := sys.GetEventsFromID(0, 100)
	require.Len(t, evs, 11)
	assert.Equal(t, "Request 'ask-0' does not fit in queue 'root.a'", evs[0].Message)
	assert.Equal(t, 1, logs.count(slog.LevelInfo, "suppressed", ""), "one rate-limited line")

	// Another state is another event.
	sys.AddEvent(CreateRequestEventRecord("ask-0", "app-1", "Request 'ask-0' does not fit in queue 'root.a'", nil, "Running"))
	assert.EqualValues(t, 12, sys.Metrics().Channeled)
}

func TestDedupOnlyRemembersAcceptedRecords(t *testing.T) {
	sys, _ := dedupSystem(t, time.Hour)
	sys.Stop()
	sys.AddEvent(CreateNodeEventRecord("node-1", "unhealthy", "", si.EventRecord_SET, si.EventRecord_NODE_SCHEDULABLE, nil, ""))
	sys.StartServiceWithPublisher(false)
	sys.AddEvent(CreateNodeEventRecord("node-1", "unhealthy", "", si.EventRecord_SET, si.EventRecord_NODE_SCHEDULABLE, nil, ""))
	m := sys.Metrics()
	assert.EqualValues(t, 1, m.NotChanneled)
	assert.EqualValues(t, 1, m.Channeled, "the rejected one did not suppress the accepted one")
}

func TestDedupReconfigure(t *testing.T) {
	sys, _ := dedupSystem(t, 0)
	cfg := sys.Config()
	cfg.DedupWindow = time.Hour
	sys.Reconfigure(cfg)
	floodCycle(sys, 0, 3, 0)
	floodCycle(sys, 1, 3, 0)
	assert.EqualValues(t, 3, sys.Metrics().Channeled)
	assert.EqualValues(t, 3, sys.Metrics().DuplicatesSuppressed)

	cfg.DedupWindow = 0 // off: every repeat recorded, the count stays
	sys.Reconfigure(cfg)
	floodCycle(sys, 2, 3, 0)
	assert.EqualValues(t, 6, sys.Metrics().Channeled)
	assert.EqualValues(t, 3, sys.Metrics().DuplicatesSuppressed)

	cfg.DedupWindow = time.Minute // on again, with a fresh memory
	sys.Reconfigure(cfg)
	assert.Equal(t, time.Minute, sys.Config().DedupWindow)
	floodCycle(sys, 3, 3, 0)
	floodCycle(sys, 4, 3, 0)
	assert.EqualValues(t, 9, sys.Metrics().Channeled)
	assert.EqualValues(t, 6, sys.Metrics().DuplicatesSuppressed)
}

func TestDedupConfigFromMap(t *testing.T) {
	cases := []struct {
		name     string
		value    string
		set      bool
		want     time.Duration
		warnings int
	}{
		{"missing: off, silently", "", false, 0, 0},
		{"duration", "10s", true, 10 * time.Second, 0},
		{"zero", "0s", true, 0, 0},
		{"unparsable", "ten seconds", true, 0, 1},
		{"negative", "-1s", true, 0, 1},
		{"negative zero", "-0s", true, 0, 0},
		{"1ns", "1ns", true, 1, 0},
		{"largest", "2562047h47m16.854775807s", true, math.MaxInt64, 0},
		{"too large: off", "2562048h", true, 0, 1},
		{"no unit", "10", true, 0, 1},
		{"empty", "", true, 0, 1},
		{"spaces", " 10s", true, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]string{ConfigKeyTrackingEnabled: "true", ConfigKeyRequestCapacity: "10", ConfigKeyRingBufferCapacity: "10"}
			if tc.set {
				m[ConfigKeyDedupWindow] = tc.value
			}
			rec := useDefaultLogger(t)
			assert.Equal(t, tc.want, ConfigFromMap(m).DedupWindow)
			assert.Equal(t, tc.warnings, rec.count(slog.LevelWarn, "key", ConfigKeyDedupWindow), rec.messages())
		})
	}
	cfg := DefaultConfig()
	cfg.DedupWindow = -time.Second
	assert.Zero(t, cfg.normalized().DedupWindow)
}

// TestDedupAddEvents: a batch leaves out its duplicates (of earlier events
// and of one another), keeps its order, its nil entries skipped, and takes
// consecutive IDs; without allocating for a batch within dedupBatchStack.
func TestDedupAddEvents(t *testing.T) {
	sys, _ := dedupSystem(t, time.Hour)
	ask := func(i int) *si.EventRecord {
		return CreateRequestEventRecord(fmt.Sprint("ask-", i), "app-1", "does not fit", nil, "Pending")
	}
	sys.AddEvent(ask(0))
	batch := []*si.EventRecord{ask(1), ask(0), nil, ask(2), ask(1), ask(3)}
	sys.AddEvents(batch)
	evs := sys.GetRecentEvents(10)
	var ids []string
	for _, ev := range evs {
		ids = append(ids, ev.ObjectID)
	}
	assert.Equal(t, []string{"ask-0", "ask-1", "ask-2", "ask-3"}, ids)
	m := sys.Metrics()
	assert.EqualValues(t, 4, m.Channeled)
	assert.EqualValues(t, 2, m.DuplicatesSuppressed)
	assert.EqualValues(t, 1+5, m.Created, "every non-nil record given")
	assert.Equal(t, []*si.EventRecord{batch[0], batch[1], nil, batch[3], batch[4], batch[5]}, batch, "the caller's slice is untouched")

	sys.AddEvents([]*si.EventRecord{ask(0), ask(1)}) // all duplicates: nothing claimed
	assert.EqualValues(t, 4, sys.Metrics().Channeled)
	assert.Zero(t, testing.AllocsPerRun(10, func() {
		sys.AddEvents([]*si.EventRecord{nil, nil}) // nil only, or nothing: nothing claimed or counted
		sys.AddEvents(nil)
	}))
	m = sys.Metrics()
	assert.EqualValues(t, 4, m.Channeled)
	assert.EqualValues(t, 1+5+2, m.Created)

	long := make([]*si.EventRecord, dedupBatchStack+10)
	for i := range long {
		long[i] = ask(100 + i%(len(long)/2)) // the second half repeats the first
	}
	sys.AddEvents(long)
	assert.EqualValues(t, 4+len(long)/2, sys.Metrics().Channeled)

	short := make([]*si.EventRecord, 64)
	for i := range short {
		short[i] = ask(1000 + i%32)
	}
	allocs := testing.AllocsPerRun(20, func() { sys.AddEvents(short) })
	assert.Zero(t, allocs)
}

// TestDedupConcurrentWithReconfigure runs producers of unique events and of
// repeats (AddEvent and AddEvents) while the control plane switches the
// window on, off and to another value. No unique event may be lost and the
// counters must add up.
func TestDedupConcurrentWithReconfigure(t *testing.T) {
	sys, _ := dedupSystem(t, time.Hour)
	const producers, perProducer = 4, 2000
	done := make(chan struct{})
	produced := testutil.Start(producers, func(p int) {
		batch := make([]*si.EventRecord, 0, 8)
		for i := 0; i < perProducer; i++ {
			u := CreateAppEventRecord(fmt.Sprint("app-", p, "-", i), "unique", "", si.EventRecord_ADD, si.EventRecord_APP_NEW, nil, "New")
			r := CreateRequestEventRecord(fmt.Sprint("ask-", i%10), "app-1", "does not fit", nil, "Pending")
			if p%2 == 0 {
				sys.AddEvent(u)
				sys.AddEvent(r)
				continue
			}
			batch = append(batch, u, r)
			if len(batch) == cap(batch) {
				sys.AddEvents(batch)
				batch = batch[:0]
			}
		}
		sys.AddEvents(batch)
	})
	producersDone := make(chan struct{})
	go func() {
		defer close(done)
		cfg := sys.Config()
		for i := 0; ; i++ {
			select {
			case <-producersDone:
				return
			case <-time.After(time.Millisecond):
			}
			cfg.DedupWindow = []time.Duration{0, time.Hour, time.Minute}[i%3]
			sys.Reconfigure(cfg)
		}
	}()
	produced()
	close(producersDone)
	<-done
	m := sys.Metrics()
	total := uint64(producers * perProducer * 2)
	assert.Equal(t, total, m.Created)
	assert.Equal(t, total, m.Channeled+m.DuplicatesSuppressed)
	assert.Zero(t, m.NotChanneled)
	unique := 0
	evs := sys.GetRecentEvents(m.Channeled)
	require.Len(t, evs, int(m.Channeled), "history holds everything")
	for _, ev := range evs {
		if ev.Message == "unique" {
			unique++
		}
	}
	assert.Equal(t, producers*perProducer, unique, "no unique event suppressed")
}

// TestDedupStressAddEvents: producers add batches with duplication on
// (duplicates of earlier events, of one another inside a batch, nil entries,
// records without a timestamp, batches beyond the dedupBatchStack buffer,
// batches of duplicates only) and some single AddEvent calls, while the
// control plane resizes the history (always large enough to keep every
// event), turns suppression off and on and changes its window, and the store
// is collected. Afterwards: the records of each batch that were kept hold
// consecutive IDs in slice order; every record is either in history or
// counted as suppressed, once; a dropped record of a producer's own keys
// (including the first of a unique key) is justified by the
// map-with-timestamps model replaying that producer's records, and a dropped record of a key all producers share has an equal
// record in history; the store hands out each kept record at most once.
// Run a second time with the system stopped and started meanwhile: then a
// record not in history was suppressed or rejected, and the counts of both
// add up to the records left out.
func TestDedupStressAddEvents(t *testing.T) {
	t.Run("running", func(t *testing.T) { stressDedup(t, false) })
	t.Run("stopped and started", func(t *testing.T) { stressDedup(t, true) })
}

func stressDedup(t *testing.T, lifecycle bool) {
	const producers, calls, ownKeys, sharedKeys = 4, 400, 24, 4
	quietLog := slog.New(slog.DiscardHandler)
	ringSize := func(i uint64) uint64 { return 1<<18 + i*4096%(1<<18) }
	windows := []time.Duration{time.Hour, 0, time.Minute, time.Hour}
	sys := New(Config{RingBufferCapacity: ringSize(0), RequestCapacity: 64, DedupWindow: time.Hour, Logger: quietLog})
	sys.StartServiceWithPublisher(false)
	t.Cleanup(sys.Stop)

	var clock atomic.Int64
	clock.Store(int64(time.Hour)) // every record is stamped within a minute of the others

	byProducer := make([][][]*si.EventRecord, producers) // per producer, its calls in order (AddEvent: one record)
	produced := testutil.Start(producers, func(p int) {
		rng := rand.New(rand.NewPCG(uint64(p), 42))
		record := func() *si.EventRecord {
			var ev *si.EventRecord
			switch r := rng.IntN(20); {
			case r == 0:
				return nil
			case r < 3:
				ev = CreateAppEventRecord(fmt.Sprint("unique-", p, "-", clock.Load()), "unique", "", si.EventRecord_ADD, si.EventRecord_APP_NEW, nil, "New")
			case r < 5:
				ev = CreateRequestEventRecord(fmt.Sprint("shared-", rng.IntN(sharedKeys)), "app-1", "does not fit", nil, "Pending")
			default:
				ev = CreateRequestEventRecord(fmt.Sprint("ask-", p, "-", rng.IntN(ownKeys)), "app-1", "does not fit", nil, "Pending")
			}
			ev.TimestampNano = clock.Add(1)
			if rng.IntN(50) == 0 {
				ev.TimestampNano = -rng.Int64N(2) // 0 or -1: no timestamp, never suppressed
			}
			return ev
		}
		for c := 0; c < calls; c++ {
			n := 1 + rng.IntN(8)
			switch rng.IntN(10) {
			case 0:
				n = dedupBatchStack + rng.IntN(80) // beyond the stack buffer
			case 1: // a batch of one key only: after its first record, duplicates
				ev := record()
				batch := make([]*si.EventRecord, 1+rng.IntN(6))
				for i := range batch {
					batch[i] = clone(ev, clock.Add(1))
				}
				byProducer[p] = append(byProducer[p], batch)
				sys.AddEvents(batch)
				continue
			case 2:
				if ev := record(); ev != nil {
					byProducer[p] = append(byProducer[p], []*si.EventRecord{ev})
					sys.AddEvent(ev)
				}
				continue
			}
			batch := make([]*si.EventRecord, n)
			for i := range batch {
				if i > 0 && rng.IntN(4) == 0 && batch[i-1] != nil {
					batch[i] = clone(batch[i-1], clock.Add(1)) // a duplicate inside the batch
					continue
				}
				batch[i] = record()
			}
			byProducer[p] = append(byProducer[p], batch)
			sys.AddEvents(batch)
		}
	})
	var i uint64
	reconfigure := func() {
		i++
		sys.Reconfigure(Config{RingBufferCapacity: ringSize(i), RequestCapacity: 64, DedupWindow: windows[i%uint64(len(windows))], Logger: quietLog})
	}
	collected := map[*si.EventRecord]int{}
	collect := func() {
		for _, ev := range sys.Store.CollectEvents() {
			collected[ev]++
		}
	}
	lifecycleStep := func() {
		if lifecycle {
			sys.Stop()
			sys.StartServiceWithPublisher(false)
		}
	}
	stop := testutil.Loop(reconfigure, collect, lifecycleStep)
	produced()
	stop()
	collect()

	history, lowest, _ := sys.GetEventsFromID(0, math.MaxUint64)
	require.Zero(t, lowest, "the history keeps every event")
	idOf := make(map[*si.EventRecord]uint64, len(history))
	kept := map[string][]int64{} // shared key -> timestamps kept
	for id, ev := range history {
		_, twice := idOf[ev]
		require.False(t, twice, "record %v twice in history", ev)
		idOf[ev] = uint64(id)
		if strings.HasPrefix(ev.ObjectID, "shared-") {
			kept[ev.ObjectID] = append(kept[ev.ObjectID], ev.TimestampNano)
		}
	}
	var given, dropped uint64
	for p := range byProducer {
		model := dedup.NewModel(time.Minute)
		lastID := int64(-1)
		for c, batch := range byProducer[p] {
			firstID, place := int64(-1), int64(0)
			for _, ev := range batch {
				if ev == nil {
					continue
				}
				given++
				id, ok := idOf[ev]
				if !ok {
					dropped++
					if lifecycle {
						continue // suppressed or rejected: only the counts can tell
					}
					require.Positive(t, ev.TimestampNano, "producer %d call %d: a record without a timestamp was suppressed", p, c)
					if strings.HasPrefix(ev.ObjectID, "shared-") {
						require.NotEmpty(t, kept[ev.ObjectID], "producer %d call %d: %s suppressed, none in history", p, c, ev.ObjectID)
					} else {
						require.True(t, model.Justified(ev), "producer %d call %d: %s suppressed without an equal one recorded before", p, c, ev.ObjectID)
					}
					continue
				}
				model.Recorded(ev)
				if firstID < 0 {
					firstID = int64(id)
					require.Greater(t, firstID, lastID, "producer %d call %d: recorded before its previous call", p, c)
				}
				require.Equal(t, firstID+place, int64(id), "producer %d call %d: the batch's kept records are not consecutive in slice order", p, c)
				place++
				lastID = int64(id)
			}
		}
	}
	m := sys.Metrics()
	assert.Equal(t, given, m.Created, "created: every non-nil record given")
	assert.Equal(t, uint64(len(history)), m.Channeled)
	assert.Equal(t, dropped, m.DuplicatesSuppressed+m.NotChanneled, "suppressed or rejected: exactly the records not in history")
	if !lifecycle {
		assert.Zero(t, m.NotChanneled)
		// Batches of one key's copies are suppressed after their first
		// record whenever a window is on. With Stop and start looping
		// beside the producers, a fast run (no race detector) can give
		// every call to a stopped system or a table with the window off, so
		// only the counts above are checked there.
		assert.Positive(t, m.DuplicatesSuppressed)
	}
	for ev, n := range collected {
		require.Equal(t, 1, n, "record %v collected %d times", ev, n)
		_, ok := idOf[ev]
		require.True(t, ok, "a collected record is in history")
	}
	assert.Equal(t, m.Channeled, m.Stored+m.NotStored)
	assert.Equal(t, m.Stored, uint64(len(collected)))
}

// clone returns a record equal to ev (for duplicate suppression) stamped at
// ts, or nil for nil.
func clone(ev *si.EventRecord, ts int64) *si.EventRecord {
	if ev == nil {
		return nil
	}
	c := &si.EventRecord{Type: ev.Type, ObjectID: ev.ObjectID, ReferenceID: ev.ReferenceID, Message: ev.Message,
		EventChangeType: ev.EventChangeType, EventChangeDetail: ev.EventChangeDetail, TimestampNano: ts}
	if u := ev.ProtoReflect().GetUnknown(); len(u) > 0 {
		c.ProtoReflect().SetUnknown(append([]byte(nil), u...))
	}
	return c
}

// TestDedupMatchesModel is the differential test of suppression through the
// system: one producer adds random sequences by AddEvent and AddEvents (nil
// entries, duplicates inside a batch, batches beyond dedupBatchStack,
// timestamps rising, falling back, missing, negative, MinInt64 and near
// MaxInt64) with windows from 1ns to MaxInt64, and every record's fate (in
// history or suppressed) must be the map-with-timestamps model's. The keys
// are few enough that no bucket of the table holds more than it has ways,
// so the table forgets nothing and must decide exactly as the model does.
func TestDedupMatchesModel(t *testing.T) {
	keys := []*si.EventRecord{}
	for i := 0; i < 6; i++ {
		keys = append(keys,
			CreateRequestEventRecord(fmt.Sprint("ask-", i), "app-1", "Request does not fit in queue 'root.a'", nil, "Pending"),
			CreateAppEventRecord(fmt.Sprint("app-", i), "state change", "", si.EventRecord_SET, si.EventRecord_APP_RUNNING, nil, "Running"),
			CreateAppEventRecord(fmt.Sprint("app-", i), "state change", "", si.EventRecord_SET, si.EventRecord_APP_RUNNING, nil, "Completing"))
	}
	for _, window := range []time.Duration{1, 7, time.Microsecond, time.Duration(math.MaxInt64)} {
		t.Run(fmt.Sprint("window=", int64(window)), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(window), 3))
			for run := 0; run < 10; run++ {
				sys := New(Config{RingBufferCapacity: 1 << 14, DedupWindow: window, Logger: slog.New(slog.DiscardHandler)})
				tab := sys.dupes.Load()
				users := map[int]int{}
				for _, k := range keys {
					users[tab.BucketOf(k)]++
				}
				for b, n := range users {
					require.LessOrEqual(t, n, tab.Ways(), "bucket %d holds more keys than ways: change the keys", b)
				}
				model := dedup.NewModel(window)
				ts := int64(time.Hour)
				next := func() *si.EventRecord {
					switch r := rng.IntN(40); {
					case r == 0:
						return nil
					case r == 1:
						ts -= rng.Int64N(16) // out of order
					case r == 2:
						return clone(keys[rng.IntN(len(keys))], []int64{0, -1, math.MinInt64}[rng.IntN(3)])
					case r == 3:
						ts = math.MaxInt64 - rng.Int64N(64) // far in the future
					case r == 4:
						ts = int64(time.Hour) + rng.Int64N(16) // back
					case r < 20:
						// the same time again
					default:
						ts += rng.Int64N(8)
					}
					ts = max(ts, 1)
					return clone(keys[rng.IntN(len(keys))], ts)
				}
				var want []*si.EventRecord // the records the model keeps, in order
				suppressed := uint64(0)
				for call := 0; call < 200; call++ {
					n := 1 + rng.IntN(12)
					if rng.IntN(8) == 0 {
						n = dedupBatchStack - 2 + rng.IntN(100)
					}
					batch := make([]*si.EventRecord, n)
					for i := range batch {
						batch[i] = next()
						if batch[i] != nil && rng.IntN(3) == 0 && i+1 < n {
							batch[i+1] = clone(batch[i], batch[i].TimestampNano) // a duplicate right after it
						}
					}
					for _, ev := range batch {
						if ev == nil {
							continue
						}
						if model.Suppress(ev) {
							suppressed++
						} else {
							want = append(want, ev)
						}
					}
					if n == 1 && batch[0] != nil && rng.IntN(2) == 0 {
						sys.AddEvent(batch[0])
					} else {
						sys.AddEvents(batch)
					}
					require.Equal(t, suppressed, sys.Metrics().DuplicatesSuppressed, "run %d call %d", run, call)
				}
				got, _, _ := sys.GetEventsFromID(0, math.MaxUint64)
				require.Equal(t, len(want), len(got))
				for i := range want {
					require.Same(t, want[i], got[i], "run %d: record %d of history", run, i)
				}
			}
		})
	}
}

// TestDedupAddEventsAllocations: AddEvents with duplicate suppression on
// allocates only to leave a duplicate out of a batch whose other records do
// not fit dedupBatchStack: once per such call, and never for a batch
// without duplicates or a shorter one.
func TestDedupAddEventsAllocations(t *testing.T) {
	sys, _ := dedupSystem(t, time.Hour)
	const runs = 20
	serial := 0
	batches := func(n int, dup bool) func() {
		all := make([][]*si.EventRecord, runs+1) // AllocsPerRun calls once more to warm up
		for r := range all {
			b := make([]*si.EventRecord, n)
			for i := range b {
				serial++
				b[i] = CreateRequestEventRecord(fmt.Sprint("ask-", serial), "app-1", "does not fit", nil, "Pending")
			}
			if dup { // right after its original: nothing can have displaced that from the table
				b[1] = clone(b[0], b[0].TimestampNano)
			}
			all[r] = b
		}
		return func() { sys.AddEvents(all[0]); all = all[1:] }
	}
	for _, tc := range []struct {
		n      int
		dup    bool
		allocs float64
	}{
		{64, true, 0},
		{dedupBatchStack, true, 0},
		{dedupBatchStack + 1, true, 0}, // the other records fit
		{dedupBatchStack + 2, true, 1},
		{1000, true, 1},
		{1000, false, 0},
	} {
		before := sys.Metrics()
		assert.Equal(t, tc.allocs, testing.AllocsPerRun(runs, batches(tc.n, tc.dup)), "batch of %d, a duplicate: %v", tc.n, tc.dup)
		after := sys.Metrics()
		dups := uint64(0)
		if tc.dup {
			dups = runs + 1
		}
		assert.Equal(t, dups, after.DuplicatesSuppressed-before.DuplicatesSuppressed)
		assert.Equal(t, uint64(runs+1)*uint64(tc.n)-dups, after.Channeled-before.Channeled)
	}
}
