package dedup

import (
	"bytes"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
)

// withState appends a state the way the event system's record constructors
// keep it (an unknown bytes field 10000), so the tests need not import the
// system package.
func withState(ev *si.EventRecord, state string) *si.EventRecord {
	if state == "" {
		return ev
	}
	raw := protowire.AppendTag(nil, 10000, protowire.BytesType)
	raw = protowire.AppendString(raw, state)
	ev.ProtoReflect().SetUnknown(raw)
	return ev
}

// stamped sets ev's timestamp to at on a base far from 0 (0 means "no
// timestamp") and returns ev.
func stamped(ev *si.EventRecord, at time.Duration) *si.EventRecord {
	ev.TimestampNano = int64(time.Hour) + int64(at)
	return ev
}

func rec(typ si.EventRecord_Type, obj, ref, msg string) *si.EventRecord {
	return &si.EventRecord{Type: typ, ObjectID: obj, ReferenceID: ref, Message: msg,
		EventChangeType: si.EventRecord_NONE, EventChangeDetail: si.EventRecord_DETAILS_NONE}
}

// clone returns a fresh record equal to ev (another pointer), with a
// different timestamp and resource, which Equal ignores.
func clone(ev *si.EventRecord) *si.EventRecord {
	c := &si.EventRecord{Type: ev.Type, ObjectID: ev.ObjectID, ReferenceID: ev.ReferenceID, Message: ev.Message,
		EventChangeType: ev.EventChangeType, EventChangeDetail: ev.EventChangeDetail,
		TimestampNano: ev.TimestampNano + 1, Resource: &si.Resource{}}
	if u := ev.ProtoReflect().GetUnknown(); len(u) > 0 {
		c.ProtoReflect().SetUnknown(append([]byte(nil), u...))
	}
	return c
}

func TestEqualComparesEachField(t *testing.T) {
	base := withState(rec(si.EventRecord_REQUEST, "ask-1", "app-1", "Request 'ask-1' does not fit in queue 'root.a'"), "Pending")
	cases := []struct {
		name  string
		other func() *si.EventRecord
		equal bool
	}{
		{"same fields, other timestamp and resource", func() *si.EventRecord { return clone(base) }, true},
		{"type", func() *si.EventRecord { c := clone(base); c.Type = si.EventRecord_APP; return c }, false},
		{"objectID", func() *si.EventRecord { c := clone(base); c.ObjectID = "ask-2"; return c }, false},
		{"referenceID", func() *si.EventRecord { c := clone(base); c.ReferenceID = "app-2"; return c }, false},
		{"change type", func() *si.EventRecord { c := clone(base); c.EventChangeType = si.EventRecord_ADD; return c }, false},
		{"change detail", func() *si.EventRecord {
			c := clone(base)
			c.EventChangeDetail = si.EventRecord_REQUEST_TIMEOUT
			return c
		}, false},
		{"message", func() *si.EventRecord { c := clone(base); c.Message += "!"; return c }, false},
		{"state", func() *si.EventRecord {
			c := clone(base)
			c.ProtoReflect().SetUnknown(nil)
			return withState(c, "Running")
		}, false},
		{"no state", func() *si.EventRecord { c := clone(base); c.ProtoReflect().SetUnknown(nil); return c }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			other := tc.other()
			assert.Equal(t, tc.equal, Equal(base, other))
			tab := New(Config{Window: time.Hour, Logger: quiet})
			require.False(t, tab.Suppress(stamped(base, 0)))
			assert.Equal(t, tc.equal, tab.Suppress(stamped(other, 1)), "second event suppressed")
			if tc.equal {
				assert.Equal(t, Hash(base), Hash(other))
				assert.EqualValues(t, 1, tab.Suppressed())
			} else {
				assert.NotEqual(t, Hash(base), Hash(other))
				assert.EqualValues(t, 0, tab.Suppressed())
			}
		})
	}
	assert.False(t, Equal(nil, base))
	assert.False(t, Equal(base, nil))
}

func TestWindow(t *testing.T) {
	a := rec(si.EventRecord_NODE, "node-1", "", "node unhealthy")
	tab := New(Config{Window: 10 * time.Second, Logger: quiet})
	steps := []struct {
		at       time.Duration
		suppress bool
		why      string
	}{
		{100 * time.Second, false, "first is recorded"},
		{105 * time.Second, true, "within the window"},
		{110*time.Second - 1, true, "last nanosecond of the window"},
		{110 * time.Second, false, "window over: recorded again"},
		{115 * time.Second, true, "the window restarts at the new recording"},
		{101 * time.Second, true, "an earlier timestamp within the window (a racing producer)"},
		{100 * time.Second, false, "an earlier timestamp a window away"},
		{100 * time.Second, true, "which is remembered now"},
	}
	for i, st := range steps {
		assert.Equal(t, st.suppress, tab.Suppress(stamped(clone(a), st.at)), "step %d: %s", i, st.why)
	}
	noTime := clone(a)
	noTime.TimestampNano = 0
	assert.False(t, tab.Suppress(noTime), "no timestamp: never suppressed")
	assert.False(t, tab.Suppress(noTime), "and never remembered")
	assert.EqualValues(t, 5, tab.Suppressed())
}

// plant stores r under hash h in every entry of h's bucket, as 64-bit
// collisions would leave it, so that a lookup of h meets r wherever it looks.
func plant(tab *Table, h uint64, r *si.EventRecord) {
	b := tab.bucket(h)
	for i := range b {
		b[i].rec.Store(r)
		b[i].tag.Store(h | 1)
	}
}

// TestHashCollisionNeverSuppresses plants a different record under the very
// hash of the incoming event, as a 64-bit hash collision would: the field
// comparison must refuse it.
func TestHashCollisionNeverSuppresses(t *testing.T) {
	for _, size := range []int{1, 2, DefaultSize} {
		t.Run(fmt.Sprint("size=", size), func(t *testing.T) {
			tab := New(Config{Window: time.Hour, Size: size, Logger: quiet})
			a := rec(si.EventRecord_APP, "app-1", "", "accepted")
			b := rec(si.EventRecord_APP, "app-2", "", "accepted")
			plant(tab, Hash(a), stamped(b, 0)) // b under a's hash, in every way
			assert.False(t, tab.Suppress(stamped(a, 1)), "a different record under the same hash")
			assert.True(t, tab.Suppress(stamped(clone(a), 2)), "a itself is remembered now")
			assert.EqualValues(t, 1, tab.Suppressed())
		})
	}
}

// TestTinyTable forces every event into the same entry or two.
func TestTinyTable(t *testing.T) {
	tab := New(Config{Window: time.Hour, Size: 1, Logger: quiet})
	require.Equal(t, 1, tab.Size())
	a := rec(si.EventRecord_APP, "app-1", "", "x")
	b := rec(si.EventRecord_APP, "app-2", "", "x")
	for i := 0; i < 4; i++ { // a and b keep displacing each other
		assert.False(t, tab.Suppress(stamped(clone(a), time.Duration(2*i))))
		assert.False(t, tab.Suppress(stamped(clone(b), time.Duration(2*i+1))))
	}
	assert.True(t, tab.Suppress(stamped(clone(b), 10)))
	assert.EqualValues(t, 1, tab.Suppressed())
}

func TestSizes(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{-1, DefaultSize}, {0, DefaultSize}, {1, 1}, {3, 4}, {4096, 4096}, {5000, 8192}, {MaxSize + 1, MaxSize}} {
		assert.Equal(t, tc.want, New(Config{Window: time.Second, Size: tc.in, Logger: quiet}).Size(), "size %d", tc.in)
	}
	assert.Equal(t, time.Duration(1), New(Config{}).Window())
}

// pool is a set of distinct events for the differential tests: every field
// that Equal compares varies somewhere in it.
func pool() []*si.EventRecord {
	var out []*si.EventRecord
	for i := 0; i < 6; i++ {
		out = append(out,
			rec(si.EventRecord_REQUEST, fmt.Sprint("ask-", i), "app-1", "Request 'ask' does not fit in queue 'root.a'"),
			withState(rec(si.EventRecord_APP, fmt.Sprint("app-", i), "", "state change"), "Running"),
			withState(rec(si.EventRecord_APP, fmt.Sprint("app-", i), "", "state change"), "Completing"),
			rec(si.EventRecord_NODE, "node", fmt.Sprint("alloc-", i), "allocation added"),
		)
	}
	c := rec(si.EventRecord_QUEUE, "root.a", "", "queue changed")
	c.EventChangeType = si.EventRecord_SET
	d := clone(c)
	d.EventChangeDetail = si.EventRecord_QUEUE_MAX
	return append(out, c, d)
}

// TestTableMatchesModel runs random sequences through a table and the
// map-with-timestamps model. With a table where no bucket is used by more
// distinct events of the pool than it has ways, the decisions must be
// identical. With tiny
// tables the table may forget (record where the model suppresses) but every
// suppression must be one the model justifies.
func TestTableMatchesModel(t *testing.T) {
	events := pool()
	for _, tc := range []struct {
		size  int
		exact bool
	}{{1, false}, {2, false}, {8, false}, {64, true}, {1 << 16, true}} {
		t.Run(fmt.Sprint("size=", tc.size), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.size)))
			for run := 0; run < 50; run++ {
				window := time.Duration(1 + rng.IntN(100))
				tab := New(Config{Window: window, Size: tc.size, Logger: quiet})
				if tc.exact {
					users := map[int]int{}
					for _, ev := range events {
						users[tab.BucketOf(ev)]++
					}
					for b, n := range users {
						require.LessOrEqual(t, n, tab.Ways(), "bucket %d has more events of the pool than ways: pick another size", b)
					}
				}
				m := NewModel(window)
				now := time.Duration(rng.IntN(1000))
				var suppressed uint64
				for step := 0; step < 500; step++ {
					now += time.Duration(rng.IntN(int(window)/4 + 2))
					ev := stamped(clone(events[rng.IntN(len(events))]), now)
					got, err := m.Follow(tab, ev, tc.exact)
					require.NoError(t, err, "run %d step %d", run, step)
					if got {
						suppressed++
					}
				}
				require.Equal(t, suppressed, tab.Suppressed())
			}
		})
	}
}

// TestConcurrentStress runs producers against one table with the race
// detector in mind: equal events from several goroutines and unique events
// mixed in, on a tiny and a normal table. No unique event may be
// suppressed, only keys that were also recorded may be suppressed, and the
// counter matches the suppressions.
func TestConcurrentStress(t *testing.T) {
	const producers, perProducer, keys = 4, 3000, 16
	for _, size := range []int{1, 4, DefaultSize} {
		t.Run(fmt.Sprint("size=", size), func(t *testing.T) {
			tab := New(Config{Window: time.Hour, Size: size, Logger: quiet})
			shared := make([]*si.EventRecord, keys)
			for i := range shared {
				shared[i] = stamped(withState(rec(si.EventRecord_REQUEST, fmt.Sprint("ask-", i), "app", "does not fit"), "New"), 0)
			}
			var recorded, suppressedKeys [keys]atomic.Bool
			var suppressed atomic.Uint64
			var wrong atomic.Int64
			var wg sync.WaitGroup
			for p := 0; p < producers; p++ {
				wg.Add(1)
				go func(p int) {
					defer wg.Done()
					for i := 0; i < perProducer; i++ {
						if i%3 == 0 { // unique
							ev := stamped(rec(si.EventRecord_APP, fmt.Sprint("app-", p, "-", i), "", "unique"), 0)
							if tab.Suppress(ev) {
								wrong.Add(1)
							}
							continue
						}
						k := (i + p) % keys
						if tab.Suppress(clone(shared[k])) {
							suppressed.Add(1)
							suppressedKeys[k].Store(true)
						} else {
							recorded[k].Store(true)
						}
					}
				}(p)
			}
			wg.Wait()
			assert.Zero(t, wrong.Load(), "unique events suppressed")
			assert.Equal(t, suppressed.Load(), tab.Suppressed())
			for k := range shared {
				if suppressedKeys[k].Load() {
					assert.True(t, recorded[k].Load(), "key %d suppressed but never recorded", k)
				}
			}
			if size == DefaultSize {
				assert.Positive(t, suppressed.Load(), "a normal table suppresses repeats")
			}
		})
	}
}

func TestSuppressDoesNotAllocate(t *testing.T) {
	tab := New(Config{Window: time.Hour, LogInterval: time.Hour, Logger: quiet})
	a := stamped(withState(rec(si.EventRecord_REQUEST, "ask-1", "app-1", "does not fit"), "New"), 0)
	b := clone(a)
	u := stamped(rec(si.EventRecord_APP, "app", "", "unique"), 0)
	tab.Suppress(a)
	tab.Suppress(b) // logs once
	allocs := testing.AllocsPerRun(1000, func() {
		tab.Suppress(b)
		tab.Suppress(u)
	})
	assert.Zero(t, allocs)
}

func TestLogIsRateLimited(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	tab := New(Config{Window: time.Hour, Logger: log, LogInterval: time.Minute})
	a := rec(si.EventRecord_REQUEST, "ask-1", "app-1", "does not fit")
	require.False(t, tab.Suppress(stamped(a, 0)))
	for i := 1; i <= 100; i++ {
		require.True(t, tab.Suppress(stamped(clone(a), time.Duration(i)*time.Millisecond)))
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 1, buf.String())
	assert.Contains(t, lines[0], "duplicate events suppressed")
	assert.Contains(t, lines[0], "suppressed=1 sinceLastLog=1")
	assert.Contains(t, lines[0], "objectID=ask-1")

	require.True(t, tab.Suppress(stamped(clone(a), 59*time.Minute)))
	lines = strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[1], "suppressed=101 sinceLastLog=100")
}

// BenchmarkSuppress measures one Suppress call: a repeat (suppressed), a
// unique event (remembered: 64Ki distinct events cycle through a table of
// 4096 entries, so an equal one is never found), and the hash alone.
func BenchmarkSuppress(b *testing.B) {
	a := stamped(withState(rec(si.EventRecord_REQUEST, "ask-1", "app-1", "Request 'ask-1' does not fit in queue 'root.a'"), "New"), 0)
	b.Run("case=repeat", func(b *testing.B) {
		tab := New(Config{Window: time.Hour, LogInterval: time.Hour, Logger: quiet})
		tab.Suppress(a)
		c := clone(a)
		b.ReportAllocs()
		for b.Loop() {
			tab.Suppress(c)
		}
	})
	b.Run("case=unique", func(b *testing.B) {
		tab := New(Config{Window: time.Hour, Logger: quiet})
		evs := make([]*si.EventRecord, 1<<16)
		for i := range evs {
			evs[i] = stamped(withState(rec(si.EventRecord_REQUEST, fmt.Sprint("ask-", i), "app-1", a.Message), "New"), 0)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			tab.Suppress(evs[i&(1<<16-1)])
			i++
		}
	})
	b.Run("case=hash", func(b *testing.B) {
		for b.Loop() {
			Hash(a)
		}
	})
}

var quiet = slog.New(slog.DiscardHandler)

// TestUnknownFieldsDirect checks the direct read of the unknown fields
// against protobuf's reflective accessor.
func TestUnknownFieldsDirect(t *testing.T) {
	require.True(t, unknownField.ok, "si.EventRecord has an unknownFields []byte field")
	for _, ev := range []*si.EventRecord{
		{},
		withState(rec(si.EventRecord_APP, "app-1", "", "x"), "Running"),
		withState(rec(si.EventRecord_APP, "app-1", "", "x"), strings.Repeat("s", 300)),
	} {
		assert.Equal(t, []byte(ev.ProtoReflect().GetUnknown()), unknownFields(ev))
	}
}

// bucket returns the entries that may remember an event of the given hash
// (tests look inside a bucket through it).
func (t *Table) bucket(hash uint64) []entry {
	return t.buckets[hash&t.mask][:t.ways]
}

// TestLogAtExtremeTimestamps: the log's rate limit is by event time, and an
// event time far from the others must neither silence the first line nor
// every later one. The first suppression logs at once whatever its
// timestamp (MaxInt64 included); after a line at a far-future time (a
// record stamped in the wrong unit, a clock gone wrong), a suppression at
// an ordinary time logs again instead of waiting for the clock to reach
// that future; a suppression less than an hour before the last line (a
// producer behind the others) does not.
func TestLogAtExtremeTimestamps(t *testing.T) {
	cases := []struct {
		name          string
		first, second int64
		lines         int
	}{
		{"MaxInt64, then an ordinary time", math.MaxInt64, int64(time.Hour), 2},
		{"just above 2^62, then an ordinary time", 1<<62 + 1, int64(time.Hour), 2},
		{"year 2096, then an ordinary time", 4e18, int64(time.Hour), 2},
		{"ordinary, then far in the future", int64(time.Hour), math.MaxInt64, 2},
		{"two ordinary times within the interval", int64(time.Hour), int64(time.Hour + time.Second), 1},
		{"a producer ten minutes behind: no new line", int64(time.Hour), int64(50 * time.Minute), 1},
		{"an hour before", int64(2 * time.Hour), int64(time.Hour), 2},
		{"1ns, then MaxInt64-1", 1, math.MaxInt64 - 1, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tab := New(Config{Window: math.MaxInt64, Logger: slog.New(slog.NewTextHandler(&buf, nil)), LogInterval: time.Minute})
			lines := func() int { return strings.Count(buf.String(), "duplicate events suppressed") }
			at := func(ts int64) *si.EventRecord {
				ev := rec(si.EventRecord_REQUEST, "ask-1", "app-1", "does not fit")
				ev.TimestampNano = ts
				return ev
			}
			require.False(t, tab.Suppress(at(tc.first)))
			require.True(t, tab.Suppress(at(tc.first)))
			assert.Equal(t, 1, lines(), "the first suppression logs at once: %s", buf.String())
			require.True(t, tab.Suppress(at(tc.second)), "within a window of MaxInt64")
			assert.Equal(t, tc.lines, lines(), buf.String())
			assert.EqualValues(t, 2, tab.Suppressed())
		})
	}
}

// TestLogCountAcrossTables: a table that replaces another (sharing Counter
// and Logged, as the event system's Reconfigure does) reports in its first
// line only the suppressions since the last line of the one before.
func TestLogCountAcrossTables(t *testing.T) {
	var buf bytes.Buffer
	var counter, logged atomic.Uint64
	cfg := Config{Window: time.Hour, Logger: slog.New(slog.NewTextHandler(&buf, nil)),
		LogInterval: time.Hour, Counter: &counter, Logged: &logged}
	a := rec(si.EventRecord_REQUEST, "ask-1", "app-1", "does not fit")
	first := New(cfg)
	require.False(t, first.Suppress(stamped(a, 0)))
	for i := 1; i <= 3; i++ {
		require.True(t, first.Suppress(stamped(clone(a), time.Duration(i)*time.Millisecond)))
	}
	second := New(cfg)
	require.False(t, second.Suppress(stamped(clone(a), time.Second)))
	require.True(t, second.Suppress(stamped(clone(a), 2*time.Second)))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2, buf.String())
	assert.Contains(t, lines[0], "suppressed=1 sinceLastLog=1")
	assert.Contains(t, lines[1], "suppressed=4 sinceLastLog=3")
}
