package ring

import (
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/model"
)

// rec makes a record that carries i, so tests can tell records apart by value.
func rec(i uint64) *si.EventRecord {
	return &si.EventRecord{TimestampNano: int64(i), ObjectID: "obj"}
}

func marks(evs []*si.EventRecord) []int64 {
	out := make([]int64, len(evs))
	for i, ev := range evs {
		out[i] = ev.GetTimestampNano()
	}
	return out
}

func seq(from, to int64) []int64 {
	out := []int64{}
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func fill(b *Buffer, n uint64) {
	for i := uint64(0); i < n; i++ {
		b.Add(rec(i))
	}
}

func TestEmptyBuffer(t *testing.T) {
	b := New(10)
	evs, low, high := b.GetEventsFromID(0, 10)
	assert.Empty(t, evs)
	assert.Zero(t, low)
	assert.Zero(t, high)
	assert.Empty(t, b.GetRecentEvents(5))
	assert.Zero(t, b.GetLastEventID())
	assert.Zero(t, b.GetLowestID())
	assert.Equal(t, uint64(10), b.Capacity())
}

func TestIDsStartAtZeroAndIncrease(t *testing.T) {
	b := New(3)
	for i := uint64(0); i < 10; i++ {
		assert.Equal(t, i, b.Add(rec(i)))
	}
	assert.Equal(t, uint64(10), b.NextID())
	assert.Equal(t, uint64(9), b.GetLastEventID())
	assert.Equal(t, uint64(7), b.GetLowestID())
}

func TestCapacityZeroMeansOne(t *testing.T) {
	b := New(0)
	assert.Equal(t, uint64(1), b.Capacity())
	fill(b, 5)
	assert.Equal(t, []int64{4}, marks(b.GetRecentEvents(10)))
	b.Resize(0)
	assert.Equal(t, uint64(1), b.Capacity())
	assert.Equal(t, []int64{4}, marks(b.GetRecentEvents(10)))
}

func TestCapacityIsWhatWasAsked(t *testing.T) {
	// 100000 is the default and not a power of two: the window is exact.
	b := New(100000)
	assert.Equal(t, uint64(100000), b.Capacity())
	fill(b, 100005)
	assert.Equal(t, uint64(5), b.GetLowestID())
	assert.Len(t, b.GetRecentEvents(math.MaxUint64), 100000)
	evs, low, high := b.GetEventsFromID(4, 2)
	assert.Empty(t, evs, "ID 4 was displaced even though the storage has room for it")
	assert.Equal(t, uint64(5), low)
	assert.Equal(t, uint64(100004), high)
}

func TestGetEventsFromID(t *testing.T) {
	b := New(5)
	fill(b, 12) // holds 7..11
	tests := []struct {
		name      string
		id, count uint64
		want      []int64
	}{
		{"all from lowest", 7, 5, seq(7, 12)},
		{"count limits", 7, 2, []int64{7, 8}},
		{"middle", 9, 10, []int64{9, 10, 11}},
		{"newest only", 11, 1, []int64{11}},
		{"count zero", 8, 0, nil},
		{"count max", 8, math.MaxUint64, seq(8, 12)},
		{"below lowest", 6, 3, nil},
		{"above newest", 12, 3, nil},
		{"id max", math.MaxUint64, math.MaxUint64, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, low, high := b.GetEventsFromID(tt.id, tt.count)
			if tt.want == nil {
				assert.Empty(t, evs)
			} else {
				assert.Equal(t, tt.want, marks(evs))
			}
			assert.Equal(t, uint64(7), low)
			assert.Equal(t, uint64(11), high)
		})
	}
}

// The reference design returns more than count records, not consecutive,
// when the read wraps around the end of its array. Ours never does.
func TestGetEventsFromIDNeverMoreThanCountAfterWrap(t *testing.T) {
	for _, capacity := range []uint64{3, 4, 5, 7, 8, 10} {
		b := New(capacity)
		fill(b, 3*capacity+1)
		low := b.GetLowestID()
		for id := low; id < b.NextID(); id++ {
			for count := uint64(0); count <= capacity+1; count++ {
				evs, _, _ := b.GetEventsFromID(id, count)
				want := min(count, b.NextID()-id)
				require.Len(t, evs, int(want), "capacity %d id %d count %d", capacity, id, count)
				assert.Equal(t, seq(int64(id), int64(id+want)), marks(evs))
			}
		}
	}
}

// The reference design returns nothing from GetRecentEvents when count exceeds
// the newest ID after wrap-around, so a new stream gets no history.
func TestGetRecentEventsCountAboveNewestIDAfterWrap(t *testing.T) {
	b := New(4)
	fill(b, 6) // holds 2..5, newest ID 5
	assert.Equal(t, seq(2, 6), marks(b.GetRecentEvents(10)))
	assert.Equal(t, seq(2, 6), marks(b.GetRecentEvents(math.MaxUint64)))
	assert.Equal(t, seq(4, 6), marks(b.GetRecentEvents(2)))
	assert.Empty(t, b.GetRecentEvents(0))
}

func TestResizeKeepsNewestAndContinuesIDs(t *testing.T) {
	tests := []struct {
		name             string
		from, to         uint64
		added            uint64
		wantLow, wantEnd uint64
	}{
		{"shrink same slots", 8, 5, 20, 15, 20},
		{"shrink to fewer slots", 100, 3, 50, 47, 50},
		{"grow same slots", 5, 8, 20, 15, 20},
		{"grow to more slots", 4, 100, 20, 16, 20},
		{"grow partly filled", 10, 1000, 3, 0, 3},
		{"to one", 16, 1, 9, 8, 9},
		{"to zero", 16, 0, 9, 8, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(tt.from)
			fill(b, tt.added)
			b.Resize(tt.to)
			assert.Equal(t, max(tt.to, 1), b.Capacity())
			assert.Equal(t, tt.wantLow, b.GetLowestID())
			assert.Equal(t, seq(int64(tt.wantLow), int64(tt.wantEnd)), marks(b.GetRecentEvents(math.MaxUint64)))
			id := b.Add(rec(tt.added))
			assert.Equal(t, tt.added, id, "IDs continue after Resize")
			assert.Equal(t, tt.added, b.GetLastEventID())
		})
	}
}

func TestResizeGrowDoesNotBringBackDisplacedEvents(t *testing.T) {
	b := New(4) // storage of 4 slots
	fill(b, 10) // holds 6..9
	b.Resize(3) // same storage, holds 7..9
	b.Resize(4) // 6 is still in its slot but was displaced: it stays gone
	assert.Equal(t, uint64(7), b.GetLowestID())
	b.Add(rec(10))
	assert.Equal(t, seq(7, 11), marks(b.GetRecentEvents(10)))
}

func TestNilRecordIsStored(t *testing.T) {
	b := New(2)
	id := b.Add(nil)
	evs, _, high := b.GetEventsFromID(id, 1)
	require.Len(t, evs, 1)
	assert.Nil(t, evs[0])
	assert.Equal(t, uint64(0), high)
}

func TestAppendEventsFromIDReusesBuffer(t *testing.T) {
	b := New(8)
	fill(b, 6)
	buf := make([]*si.EventRecord, 0, 8)
	out, low, high := b.AppendEventsFromID(buf, 2, 3)
	assert.Equal(t, []int64{2, 3, 4}, marks(out))
	assert.Equal(t, uint64(0), low)
	assert.Equal(t, uint64(5), high)
	assert.Equal(t, &buf[:1][0], &out[0], "appended in place")
	allocs := testing.AllocsPerRun(100, func() { out, _, _ = b.AppendEventsFromID(buf[:0], 0, 8) })
	assert.Zero(t, allocs)
}

func TestAddDoesNotAllocate(t *testing.T) {
	b := New(64)
	ev := rec(1)
	allocs := testing.AllocsPerRun(1000, func() { b.Add(ev) })
	assert.Zero(t, allocs)
}

// A hole (an ID claimed but not written) stops reads, and highest reports the
// ID before it, without the reader waiting.
func TestHoleStopsReads(t *testing.T) {
	b := New(8)
	fill(b, 3)
	hole := b.next.Add(1) - 1 // claim ID 3 without writing it: a stalled writer
	b.Add(rec(4))
	assert.Equal(t, uint64(2), b.GetLastEventID())
	assert.Equal(t, uint64(3), b.ReadEnd())
	evs, _, high := b.GetEventsFromID(1, 10)
	assert.Equal(t, []int64{1, 2}, marks(evs))
	assert.Equal(t, uint64(2), high)
	assert.Equal(t, seq(0, 3), marks(b.GetRecentEvents(10)))
	evs, _, _ = b.GetEventsFromID(4, 1)
	assert.Empty(t, evs, "nothing after a hole is returned")

	b.gens[0].Load().write(hole, rec(3)) // the stalled writer finishes
	assert.Equal(t, seq(0, 5), marks(b.GetRecentEvents(10)))
	assert.Equal(t, uint64(4), b.GetLastEventID())
}

// A writer that laps a slot whose previous writer is still writing must wait
// for it, not corrupt it; a writer that finds a newer lap in its slot leaves.
func TestLappingAStalledWriter(t *testing.T) {
	b := New(1) // one slot: every ID laps the previous one
	st := b.gens[0].Load()
	s := st.slotOf(0)

	// Writer of ID 0 claims and marks the slot, then stalls before its record.
	require.Equal(t, uint64(0), b.next.Add(1)-1)
	require.True(t, s.seq.CompareAndSwap(0, writingSeq(0)))

	done := make(chan uint64)
	go func() { done <- b.Add(rec(1)) }() // the writer of ID 1 laps it

	// Readers see a hole and do not wait.
	assert.Empty(t, b.GetRecentEvents(1))
	for b.NextID() < 2 {
		runtime.Gosched() // until the lapping writer has claimed ID 1
	}
	for i := 0; i < 1000; i++ {
		runtime.Gosched() // give it every chance to go ahead wrongly
		select {
		case <-done:
			t.Fatal("the lapping writer went ahead while the slot was being written")
		default:
		}
		assert.Equal(t, writingSeq(0), s.seq.Load(), "slot must stay with the stalled writer")
	}

	// The stalled writer finishes; the lapping one follows.
	s.rec.Store(rec(0))
	s.seq.Store(publishedSeq(0))
	assert.Equal(t, uint64(1), <-done)
	assert.Equal(t, []int64{1}, marks(b.GetRecentEvents(5)))
	evs, low, high := b.GetEventsFromID(0, 1)
	assert.Empty(t, evs)
	assert.Equal(t, uint64(1), low)
	assert.Equal(t, uint64(1), high)

	// A writer whose slot a newer lap already took leaves it alone.
	st.write(0, rec(100))
	assert.Equal(t, []int64{1}, marks(b.GetRecentEvents(5)))
}

func TestLayoutsAgree(t *testing.T) {
	for _, l := range []Layout{Scattered, Padded} {
		for _, capacity := range []uint64{1, 2, 3, 5, 16, 100} {
			b := NewWithLayout(capacity, l)
			m := model.NewRing(capacity)
			for i := uint64(0); i < 3*capacity+2; i++ {
				assert.Equal(t, m.Add(rec(i)), b.Add(rec(i)))
			}
			assert.Equal(t, marks(m.GetRecentEvents(math.MaxUint64)), marks(b.GetRecentEvents(math.MaxUint64)), "layout %d capacity %d", l, capacity)
			b.Resize(capacity * 3)
			m.Resize(capacity * 3)
			assert.Equal(t, marks(m.GetRecentEvents(math.MaxUint64)), marks(b.GetRecentEvents(math.MaxUint64)))
			assert.Equal(t, l, b.view.Load().st.layout, "kept across Resize")
		}
	}
}

// A huge capacity (for example from a config map) is clamped, never a crash
// or a terabyte allocation.
func TestHugeCapacityIsClamped(t *testing.T) {
	for _, c := range []uint64{math.MaxUint64} {
		b := New(c)
		assert.Equal(t, uint64(MaxCapacity), b.Capacity())
		assert.Equal(t, uint64(0), b.Add(rec(0)))
		b.Resize(c)
		assert.Equal(t, uint64(MaxCapacity), b.Capacity())
		assert.Equal(t, uint64(1), b.Add(rec(1)))
		assert.Equal(t, []int64{0, 1}, marks(b.GetRecentEvents(math.MaxUint64)))
	}
}

func TestResizeKeepsLayout(t *testing.T) {
	b := New(1) // too small to scatter, but the layout is kept for later storages
	b.Resize(1000)
	assert.Equal(t, Scattered, b.view.Load().st.layout)
	assert.NotZero(t, b.view.Load().st.up, "a 1024-slot storage is scattered")
}

// Resize keeps the newest events with their IDs even when one of them is
// claimed but not yet written into the old storage: it waits for that
// writer and copies its record, instead of leaving a hole in the new
// storage that no writer would ever fill (reads would stop there).
func TestResizeWaitsForAStalledWriterItKeeps(t *testing.T) {
	b := New(4)
	fill(b, 3)
	hole := b.next.Add(1) - 1 // ID 3: claimed, its writer stalls
	old := b.gens[0].Load()
	before := b.view.Load()
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Resize(16)
	}()
	for b.view.Load() == before {
		runtime.Gosched() // until Resize has flipped to the new storage
	}
	old.write(hole, rec(3)) // the stalled writer finishes, into the old storage
	select {
	case <-done:
	case <-time.After(time.Minute): // a bound against hanging, not a timing check
		require.FailNow(t, "Resize did not finish after the stalled writer published")
	}
	assert.Equal(t, seq(0, 4), marks(b.GetRecentEvents(10)), "ID 3 was copied")
	assert.Equal(t, uint64(4), b.Add(rec(4)))
	assert.Equal(t, seq(0, 5), marks(b.GetRecentEvents(10)))
}

// The watermark follows the reads: a read moves it to the read end it
// found, so the next read scans only what was published since.
func TestReadsAdvanceTheWatermark(t *testing.T) {
	b := New(8)
	fill(b, 5)
	assert.Equal(t, uint64(5), b.ReadEnd())
	assert.Equal(t, uint64(5), b.watermark.Load())
	b.next.Add(1) // ID 5: a hole
	b.Add(rec(6))
	assert.Equal(t, uint64(5), b.ReadEnd())
	assert.Equal(t, uint64(5), b.watermark.Load(), "not past the hole")
	b.gens[0].Load().write(5, rec(5))
	evs, _, high := b.GetEventsFromID(4, 10)
	assert.Equal(t, seq(4, 7), marks(evs))
	assert.Equal(t, uint64(6), high)
	assert.Equal(t, uint64(7), b.watermark.Load())
}

// A hole at the lowest ID held: nothing can be read, and the newest
// readable ID is reported one below the lowest (not 0, which would move it
// back).
func TestHoleAtTheLowestID(t *testing.T) {
	b := New(4)
	fill(b, 4)
	hole := b.next.Add(1) - 1 // ID 4: claimed, its writer stalls
	for i := uint64(5); i < 8; i++ {
		b.Add(rec(i))
	}
	assert.Equal(t, uint64(4), b.GetLowestID())
	assert.Equal(t, uint64(3), b.GetLastEventID())
	assert.Equal(t, uint64(4), b.ReadEnd())
	evs, low, high := b.GetEventsFromID(4, 10)
	assert.Empty(t, evs)
	assert.Equal(t, [2]uint64{4, 3}, [2]uint64{low, high})
	assert.Empty(t, b.GetRecentEvents(10))
	b.gens[0].Load().write(hole, rec(4))
	assert.Equal(t, seq(4, 8), marks(b.GetRecentEvents(10)))
	assert.Equal(t, uint64(7), b.GetLastEventID())
}
