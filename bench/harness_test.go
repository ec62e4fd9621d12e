package bench

import (
	"fmt"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/cpu"

	"github.com/lfevents/lfevents/system"
)

// TestIngestersAccount checks the harness itself: for every impl= of the
// ingest scenarios (BenchmarkIngest's and BenchmarkIngestCombining's),
// events offered = events that reach history + dropped, which is what their
// ns/event and drop-% rely on.
func TestIngestersAccount(t *testing.T) {
	const producers, events = 4, 20000
	for _, impl := range append(slices.Clone(ingestImpls), combiningImpls...) {
		t.Run(impl.name, func(t *testing.T) {
			s := impl.make(1000)
			defer s.stop()
			runProducers(events, producers, records(producers, 16), s.AddEvent)
			accepted := events - s.dropped()
			require.Eventually(t, func() bool { return s.inHistory() == accepted }, 10*time.Second, time.Millisecond)
			assert.LessOrEqual(t, s.dropped(), uint64(events))
		})
	}
}

// TestFloorClaimPublishSlots: after a single producer's run, the newest lap
// of slots holds the published sequences of IDs next-len(slots) .. next-1.
// (With several producers a lapped writer may land late: the floor does not
// guard against that, it only measures the cost of claim and publish.)
func TestFloorClaimPublishSlots(t *testing.T) {
	f := newFloorClaimPublish(100) // 128 slots
	require.Len(t, f.slots, 128)
	runProducers(1000, 1, records(1, 4), f.AddEvent)
	next := f.next.Load()
	require.Equal(t, uint64(1000), next)
	for id := next - 128; id < next; id++ {
		s := f.slotOf(id)
		assert.Equal(t, id+1, s.seq.Load(), "slot of ID %d", id)
		assert.NotNil(t, s.rec.Load())
	}
}

// TestFloorClaimPublishLayout: the floor's slots are laid out as the ring's
// default layout: every ID of a lap has a slot of its own, and IDs that
// neighbour each other (within a cache line's worth of slots) are on
// different cache lines.
func TestFloorClaimPublishLayout(t *testing.T) {
	f := newFloorClaimPublish(100000)
	line := uintptr(unsafe.Sizeof(cpu.CacheLinePad{}))
	perLine := uint64(line / unsafe.Sizeof(floorSlot{}))
	base := uintptr(unsafe.Pointer(&f.slots[0]))
	seen := make(map[*floorSlot]bool, len(f.slots))
	for id := uint64(0); id < uint64(len(f.slots)); id++ {
		s := f.slotOf(id)
		require.False(t, seen[s], "ID %d shares a slot", id)
		seen[s] = true
		for d := uint64(1); d < perLine && id >= d; d++ {
			a := (uintptr(unsafe.Pointer(s)) - base) / line
			b := (uintptr(unsafe.Pointer(f.slotOf(id-d))) - base) / line
			require.NotEqual(t, a, b, "IDs %d and %d on one line", id-d, id)
		}
	}
	assert.Same(t, f.slotOf(5), f.slotOf(5+uint64(len(f.slots))), "the next lap reuses the slots")
}

func TestSplit(t *testing.T) {
	tests := []struct {
		n, p int
		want []int
	}{
		{10, 3, []int{4, 3, 3}},
		{2, 4, []int{1, 1, 0, 0}},
		{0, 2, []int{0, 0}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, split(tt.n, tt.p))
	}
}

// lockedSystems are the locks lockedSystem runs under.
var lockedSystems = []struct {
	name string
	make func(ringCapacity uint64) *lockedSystem
}{
	{"mutex", newMutexSystem},
	{"rwmutex", newRWMutexSystem},
}

// TestLockedEventsRead checks the locked systems' history read against the
// IDs they were given: a wrapped ring returns the newest capacity events in
// order, with the lowest and highest IDs held; out-of-range IDs return none.
func TestLockedEventsRead(t *testing.T) {
	for _, impl := range lockedSystems {
		t.Run(impl.name, func(t *testing.T) {
			m := impl.make(10)
			evs, lo, hi := m.GetEventsFromID(0, 5)
			assert.Empty(t, evs)
			assert.Equal(t, []uint64{0, 0}, []uint64{lo, hi})

			recs := make([]*si.EventRecord, 25)
			for i := range recs {
				recs[i] = &si.EventRecord{ObjectID: fmt.Sprint(i)}
				m.AddEvent(recs[i])
			}
			tests := []struct {
				id, count uint64
				want      []*si.EventRecord
			}{
				{15, 10, recs[15:25]},
				{17, 5, recs[17:22]},
				{19, 100, recs[19:25]},
				{14, 3, nil},
				{25, 3, nil},
				{20, 0, nil},
			}
			for _, tt := range tests {
				evs, lo, hi := m.GetEventsFromID(tt.id, tt.count)
				assert.Equal(t, tt.want, evs, "from %d count %d", tt.id, tt.count)
				assert.Equal(t, uint64(15), lo)
				assert.Equal(t, uint64(24), hi)
			}
			// The batch holds the first DefaultRequestCapacity events, the rest are
			// counted; here all 25 fit.
			assert.Equal(t, uint64(0), m.notStoredCount())
			assert.Len(t, m.batch, 25)
		})
	}
}

// TestMutexSystemNotStored: a full batch counts instead of storing, while
// history goes on.
func TestMutexSystemNotStored(t *testing.T) {
	for _, impl := range lockedSystems {
		t.Run(impl.name, func(t *testing.T) {
			m := impl.make(100)
			m.AddEvents(records(1, int(system.DefaultRequestCapacity)+64)[0])
			m.AddEvent(&si.EventRecord{})
			assert.Equal(t, uint64(65), m.notStoredCount())
			assert.Equal(t, system.DefaultRequestCapacity+65, m.inHistory())
			assert.Len(t, m.batch, int(system.DefaultRequestCapacity))
		})
	}
}

func TestLatencyHist(t *testing.T) {
	// Buckets are contiguous and each value falls in its own bucket's range.
	for i := 1; i < histBuckets; i++ {
		_, prevHi := bucketRange(i - 1)
		lo, _ := bucketRange(i)
		require.Equal(t, prevHi+1, lo, "bucket %d", i)
	}
	for _, v := range []uint64{0, 1, 31, 32, 33, 63, 64, 65, 1000, 123456789, 1<<63 + 5, ^uint64(0)} {
		lo, hi := bucketRange(bucketOf(v))
		assert.True(t, lo <= v && v <= hi, "%d in [%d, %d]", v, lo, hi)
		assert.LessOrEqual(t, float64(hi-lo), float64(v)/histSub+1)
	}

	var h latencyHist
	assert.Zero(t, h.quantile(0.5))
	for v := int64(1); v <= 1000; v++ {
		h.record(v)
	}
	h.record(-5) // a clock step backwards counts as 0
	assert.InDelta(t, 500, h.quantile(0.5), 500.0/histSub)
	assert.InDelta(t, 990, h.quantile(0.99), 990.0/histSub)
	assert.InDelta(t, 999, h.quantile(0.999), 999.0/histSub)
	assert.InDelta(t, 500500.0/1001, h.mean(), 0.001)

	var other latencyHist
	other.record(1 << 20)
	h.merge(&other)
	assert.Equal(t, uint64(1002), h.n)
	assert.InDelta(t, 1<<20, h.quantile(1), (1<<20)/histSub)
}

// TestRunProducersTimed: every event is added once, and with sampleMask 0
// every one is timed.
func TestRunProducersTimed(t *testing.T) {
	var f floorAdd
	h := runProducersTimed(1000, 3, records(3, 16), f.AddEvent, 0, 10)
	assert.Equal(t, uint64(1000), f.n.Load())
	assert.Equal(t, uint64(1000), h.n)
	h = runProducersTimed(16000, 2, records(2, 16), f.AddEvent, 15, 0)
	assert.Equal(t, uint64(17000), f.n.Load())
	assert.InDelta(t, 1000, h.n, 300) // about one in 16
}

func TestRunBatchProducers(t *testing.T) {
	m := newMutexSystem(100000)
	runBatchProducers(1000, 3, 64, records(3, 1024), m.AddEvents)
	assert.Equal(t, uint64(1000), m.inHistory())
}

// countingIngester counts the events offered to the ingester it wraps.
type countingIngester struct {
	ingester
	offered uint64
}

func (c *countingIngester) AddEvent(ev *si.EventRecord) {
	c.offered++
	c.ingester.AddEvent(ev)
}

// TestFillHistorySettles: when fillHistory returns, every event it offered
// and the subject accepted has reached history, so no write left over from
// filling (the baseline's channel backlog, drained by its handler) runs
// during the timed reads of BenchmarkHistoryRead's writer=none cases.
func TestFillHistorySettles(t *testing.T) {
	const n = 100000
	for _, impl := range historyImpls {
		t.Run(impl.name, func(t *testing.T) {
			s := impl.make(n)
			defer s.stop()
			c := &countingIngester{ingester: s}
			fillHistory(t, c, n, records(1, 1)[0][0])
			assert.Equal(t, c.offered-s.dropped(), s.inHistory(), "offered %d, dropped %d", c.offered, s.dropped())
		})
	}
}

// TestReportLatencyNoSamples: a run that timed no AddEvent (a few events,
// one in 16 sampled) reports no percentiles; zeros would enter benchstat's
// medians as if AddEvent had taken no time.
func TestReportLatencyNoSamples(t *testing.T) {
	r := testing.Benchmark(func(b *testing.B) { reportLatency(b, new(latencyHist)) })
	assert.NotContains(t, r.Extra, "p50-ns")
	assert.NotContains(t, r.Extra, "p99-ns")
	assert.NotContains(t, r.Extra, "p999-ns")
	var h latencyHist
	h.record(40)
	r = testing.Benchmark(func(b *testing.B) { reportLatency(b, &h) })
	assert.Equal(t, 40.0, r.Extra["p999-ns"])
}
