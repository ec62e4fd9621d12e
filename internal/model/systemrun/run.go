package systemrun

import (
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/lfevents/lfevents/internal/model"
	"github.com/lfevents/lfevents/stream"
	"github.com/lfevents/lfevents/system"
)

// System operations of Run.
const (
	Add      = iota // AddEvent: nil, empty, short or long multibyte message
	Burst           // AddEvent up to 255 times (op byte >= 128: one AddEvents)
	Collect         // Store.CollectEvents by the caller
	Create          // CreateEventStream(name, count); reader eager or stalled
	Remove          // RemoveStream of a stream of the test (or nil)
	Release         // let a stalled reader read
	Reconfig        // Reconfigure with a new Config
	Start           // StartService
	Stop            // Stop
	Restart         // Restart
	CloseAll        // CloseAllStreams
	ArmPanic        // the plugin panics on its next batch
	Read            // GetEventsFromID and GetRecentEvents through the system
	Pause           // sleep a millisecond: let streams and the publisher run
	opCount

	// AddEvents is Burst with an op byte >= 128: the burst is one AddEvents.
	AddEvents = Burst + 10*opCount
)

// NoPlugin, set in the first byte of an input, runs the system without a
// plugin: then nothing but the test collects the store, and Run holds every
// collected batch and the store's counters to model.Store exactly.
const NoPlugin = 2

// Run decodes data into a Config and a sequence of operations and drives one
// event system through them from the calling goroutine, while its publisher
// and streams run in theirs. After every step it checks history against
// model.Ring (AddEvent is synchronous), the counters of Metrics,
// configuration, and, when no publisher can collect beside the test, the
// store's conservation; without a plugin, the store against model.Store. At
// the end it stops the system and checks every event: in history unless
// displaced by capacity; in exactly one batch (the plugin's or the
// caller's) or counted as not stored; in each stream in ID order without
// gap or duplicate, all of them if the stream stayed open, or the stream
// was closed for a reason the test can account for (removed, closed by a
// stop/CloseAllStreams/tracking change, or cut off as slow and counted).
// Messages over the limit are cut to valid UTF-8 that marshals. No
// goroutine outlives the system, also when a check fails half-way.
func Run(t testing.TB, data []byte) {
	leaks := goleak.IgnoreCurrent()
	o := model.NewOps(data)
	var plugin *Plugin
	var sink system.EventPlugin // nil interface without a plugin
	if len(data) == 0 || data[0]&NoPlugin == 0 {
		plugin = &Plugin{}
		sink = plugin
	}
	logger := slog.New(slog.DiscardHandler)
	cfg := Config(o, sink, logger)
	e := system.New(cfg)
	var readers []*Reader
	t.Cleanup(func() { ShutDown(e, readers) })

	// The test's view of the system.
	var (
		hist       = model.NewRing(orDefault(cfg.RingBufferCapacity, system.DefaultRingBufferCapacity))
		batch      = model.NewSequencedStore(orDefault(cfg.RequestCapacity, system.DefaultRequestCapacity), hist.NextID)
		stopped    bool // stopped (rejecting); a new system accepts
		running    bool
		rejected   uint64
		closeEpoch int // counts events that close every stream
		direct     [][]*si.EventRecord
		directCopy [][]*si.EventRecord
		idOf       = map[*si.EventRecord]uint64{}
		tag        int64
	)
	quiet := func() bool { return plugin == nil || !running || cfg.PushInterval == time.Hour }
	// account updates the model for ev, given to the system with message
	// orig.
	account := func(ev *si.EventRecord, orig string) {
		switch {
		case ev == nil:
		case stopped:
			rejected++
		default:
			idOf[ev] = hist.Add(ev)
			batch.StoreWithID(idOf[ev], ev)
			checkCut(t, orig, ev)
		}
	}
	add := func(ev *si.EventRecord) {
		orig := ""
		if ev != nil {
			orig = ev.Message
		}
		e.AddEvent(ev)
		account(ev, orig)
	}
	newEvent := func() *si.EventRecord {
		tag++
		if tag%16 == 0 {
			return nil
		}
		ev := model.Rec(tag)
		ev.Message = message(o)
		return ev
	}

	for step := 0; !o.Done(); step++ {
		op := o.Byte()
		switch int(op) % opCount {
		case Add:
			add(newEvent())
		case Burst:
			evs := make([]*si.EventRecord, o.Byte())
			for i := range evs {
				tag++
				if tag%16 != 0 {
					evs[i] = model.Rec(tag)
				}
			}
			if op < 128 {
				for _, ev := range evs {
					add(ev)
				}
				break
			}
			e.AddEvents(evs)
			for _, ev := range evs {
				account(ev, "")
			}
		case Collect:
			want, got := batch.CollectEvents(), e.Store.CollectEvents()
			if plugin == nil {
				RequireSame(t, want, got, "step %d: CollectEvents", step)
			}
			direct = append(direct, got)
			directCopy = append(directCopy, slices.Clone(got))
		case Create:
			name := []string{"", "s", "ström", strings.Repeat("n", 300)}[o.Intn(4)]
			count := o.Count()
			stalled := o.Bool()
			s := e.CreateEventStream(name, count)
			require.NotNil(t, s, "CreateEventStream never returns nil")
			r := StartReader(s, count, stalled)
			r.createdAt, r.whenDown, r.join = closeEpoch, stopped, hist.NextID()
			r.histStart = model.StreamStart(hist.GetLowestID(), r.join, count)
			readers = append(readers, r)
		case Remove:
			i := o.Intn(len(readers) + 1)
			if i == len(readers) {
				e.RemoveStream(nil)
				break
			}
			readers[i].removed = true
			e.RemoveStream(readers[i].S)
			if readers[i].S.CloseReason() == stream.ReasonOpen {
				require.Fail(t, "a removed stream is still open", "step %d", step)
			}
		case Release:
			if len(readers) > 0 {
				readers[o.Intn(len(readers))].Unblock()
			}
		case Reconfig:
			next := Config(o, sink, logger)
			if running && next.TrackingEnabled != cfg.TrackingEnabled {
				closeEpoch++
			}
			e.Reconfigure(next)
			if n := orDefault(next.RingBufferCapacity, system.DefaultRingBufferCapacity); n != hist.Capacity() {
				hist.Resize(n)
			}
			batch.SetStoreSize(orDefault(next.RequestCapacity, system.DefaultRequestCapacity))
			cfg = next
		case Start:
			e.StartService()
			running, stopped = true, false
		case Stop:
			e.Stop()
			if running {
				closeEpoch++
				running, stopped = false, true
			}
		case Restart:
			e.Restart()
			if running {
				closeEpoch++
			}
			running, stopped = true, false
		case CloseAll:
			e.CloseAllStreams()
			if !stopped {
				closeEpoch++
			}
		case ArmPanic:
			if plugin != nil {
				plugin.armed.Store(true)
			}
		case Pause:
			time.Sleep(time.Millisecond)
		case Read:
			id, count := o.IDNear(hist.GetLowestID(), hist.NextID()), o.Count()
			evs, low, high := e.GetEventsFromID(id, count)
			want, wantLow, wantHigh := hist.GetEventsFromID(id, count)
			RequireSame(t, want, evs, "step %d: GetEventsFromID(%d, %d)", step, id, count)
			requireEqualU64(t, wantLow, low, "step %d: lowest", step)
			requireEqualU64(t, wantHigh, high, "step %d: highest", step)
			RequireSame(t, hist.GetRecentEvents(count), e.GetRecentEvents(count), "step %d: GetRecentEvents(%d)", step, count)
		}

		// After every step: history, counters, configuration.
		want, _, _ := hist.GetEventsFromID(hist.GetLowestID(), math.MaxUint64)
		evs, _, _ := e.GetEventsFromID(hist.GetLowestID(), math.MaxUint64)
		RequireSame(t, want, evs, "step %d: history", step)
		requireEqualU64(t, hist.GetLastEventID(), e.GetLastEventID(), "step %d: GetLastEventID", step)
		m := e.Metrics()
		accepted := hist.NextID()
		requireEqualU64(t, accepted, m.Channeled, "step %d: Channeled", step)
		requireEqualU64(t, rejected, m.NotChanneled, "step %d: NotChanneled", step)
		requireEqualU64(t, accepted+rejected, m.Created, "step %d: Created", step)
		requireEqualU64(t, accepted, m.Processed, "step %d: Processed", step)
		requireEqualU64(t, accepted, m.Stored+m.NotStored, "step %d: Stored + NotStored", step)
		require.Equal(t, cfg.TrackingEnabled, e.IsEventTrackingEnabled(), "step %d: tracking", step)
		requireEqualU64(t, hist.Capacity(), e.GetRingBufferCapacity(), "step %d: ring capacity", step)
		requireEqualU64(t, hist.GetLowestID(), m.HistoryLowestID, "step %d: HistoryLowestID", step)
		requireEqualU64(t, hist.NextID(), m.HistoryNextID, "step %d: HistoryNextID", step)
		requireEqualU64(t, hist.Capacity(), m.HistoryCapacity, "step %d: HistoryCapacity", step)
		requireEqualU64(t, orDefault(cfg.RequestCapacity, system.DefaultRequestCapacity), m.StoreCapacity,
			"step %d: StoreCapacity", step)
		if plugin == nil {
			st := batch.Stats()
			requireEqualU64(t, st.Stored, m.Stored, "step %d: Stored", step)
			requireEqualU64(t, st.NotStored, m.NotStored, "step %d: NotStored", step)
			requireEqualU64(t, batch.CountStoredEvents(), e.Store.CountStoredEvents(), "step %d: CountStoredEvents", step)
			requireEqualU64(t, batch.CountStoredEvents(), m.StoreWaiting, "step %d: StoreWaiting", step)
		}
		if quiet() {
			handedOut := uint64(0)
			for _, b := range directCopy {
				handedOut += uint64(len(b))
			}
			if plugin != nil {
				for _, b := range plugin.Copies() {
					handedOut += uint64(len(b))
				}
			}
			requireEqualU64(t, m.Stored, handedOut+e.Store.CountStoredEvents(),
				"step %d: stored = handed out + waiting", step)
		}
		_ = e.GetEventStreams()
	}

	// Open streams receive everything: give stalled readers leave to read,
	// then wait (bounded) until each open stream has the last event or has
	// been closed.
	accepted := hist.NextID()
	for _, r := range readers {
		r.Unblock()
	}
	deadline := time.Now().Add(DeliveryWait)
	for _, r := range readers {
		for {
			got := r.Received()
			if r.S.CloseReason() != stream.ReasonOpen ||
				accepted == r.join && r.histStart == r.join ||
				len(got) > 0 && idOf[got[len(got)-1]] == accepted-1 {
				break
			}
			if time.Now().After(deadline) {
				require.Fail(t, "an open stream did not receive every event", "stream from ID %d, received %d of %d",
					r.histStart, len(got), accepted-r.histStart)
			}
			time.Sleep(time.Millisecond)
		}
	}

	// Shut down; then nothing runs and every channel is closed.
	e.Stop()
	e.CloseAllStreams() // a system never started still had its streams
	closeEpoch++        // which closed every stream still open
	for _, r := range readers {
		r.AwaitClosed(t)
	}
	last := e.Store.CollectEvents()
	direct = append(direct, last)
	directCopy = append(directCopy, slices.Clone(last))
	goleak.VerifyNone(t, leaks)

	m := e.Metrics()
	checkStreams(t, readers, idOf, closeEpoch, m)
	var copies [][]*si.EventRecord
	if plugin != nil {
		copies = plugin.Copies()
		plugin.mu.Lock()
		for bi, b := range plugin.batches {
			RequireSame(t, copies[bi], b, "batch %d sent to the plugin changed", bi)
		}
		plugin.mu.Unlock()
		collected := uint64(0)
		for _, b := range copies {
			collected += uint64(len(b))
		}
		assert.Equal(t, collected, m.Collected, "Collected = events handed to the plugin")
		assert.Equal(t, plugin.panics.Load(), m.PluginPanics, "PluginPanics")
		assert.Equal(t, uint64(len(copies)), m.PublisherBatches, "PublisherBatches = batches handed to the plugin")
	}
	for bi, b := range direct {
		if b != nil {
			RequireSame(t, directCopy[bi], b, "batch %d collected by the caller changed", bi)
		}
	}

	// Batches: each event in at most one, in ID order within a batch; the
	// rest counted.
	inBatch := map[*si.EventRecord]bool{}
	total := uint64(0)
	for bi, b := range append(directCopy, copies...) {
		for k, ev := range b {
			id, ok := idOf[ev]
			require.True(t, ok, "batch %d: a record that was never accepted", bi)
			require.False(t, inBatch[ev], "batch %d: event %d in two batches", bi, id)
			inBatch[ev] = true
			if k > 0 {
				require.Greater(t, id, idOf[b[k-1]], "batch %d: not in ID order", bi)
			}
			_, err := proto.Marshal(ev)
			require.NoError(t, err, "batch %d: record %d does not marshal", bi, id)
		}
		total += uint64(len(b))
	}
	assert.Equal(t, accepted, total+m.NotStored, "every accepted event in one batch or counted as not stored")
	assert.Equal(t, total, m.Stored, "Stored = events handed out")
}

// checkStreams checks what each reader received after the system stopped:
// a run of consecutive IDs starting where the stream was allowed to start,
// and a close reason the test can account for; and the stream counters.
func checkStreams(t testing.TB, readers []*Reader, idOf map[*si.EventRecord]uint64, closeEpoch int, m system.Metrics) {
	t.Helper()
	delivered, slow := uint64(0), uint64(0)
	for i, r := range readers {
		got := r.Received()
		delivered += uint64(len(got))
		reason := r.S.CloseReason()
		switch reason {
		case stream.ReasonSlow:
			slow++
		case stream.ReasonRemoved:
			assert.True(t, r.removed, "stream %d: removed without RemoveStream", i)
		case stream.ReasonClosed:
			assert.True(t, r.whenDown || closeEpoch > r.createdAt,
				"stream %d: closed while nothing closed the streams", i)
		default:
			assert.Fail(t, "stream not closed after Stop", "stream %d: reason %v", i, reason)
		}
		if r.whenDown {
			assert.Empty(t, got, "stream %d, created while stopped, received events", i)
			assert.Equal(t, stream.ReasonClosed, reason, "stream %d, created while stopped", i)
		}
		for k, ev := range got {
			id, ok := idOf[ev]
			require.True(t, ok, "stream %d: a record that was never accepted", i)
			if k == 0 {
				require.GreaterOrEqual(t, id, r.histStart, "stream %d: first event before the history asked for", i)
				require.LessOrEqual(t, id, r.join, "stream %d: skipped events after it joined", i)
				continue
			}
			prev := idOf[got[k-1]]
			require.Equal(t, prev+1, id, "stream %d: gap or duplicate after ID %d", i, prev)
		}
	}
	assert.Equal(t, slow, m.StreamsRemovedSlow, "StreamsRemovedSlow counts the streams cut off")
	assert.Equal(t, delivered, m.StreamEventsDelivered, "StreamEventsDelivered counts what readers received")
}

// orDefault is n, or def for 0 (the Config convention).
func orDefault(n, def uint64) uint64 {
	if n == 0 {
		return def
	}
	return n
}
