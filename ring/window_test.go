package ring

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/testutil"
)

// TestWindowFromOneMoment forces the interleaving behind a window wider than
// the capacity: a reader takes its window (lowest from the claim counter at
// that moment), then, before it finds the read end, writers lap the ring and
// another reader moves the shared watermark far past the first reader's
// snapshot. The read end must not come from that later moment.
func TestWindowFromOneMoment(t *testing.T) {
	const capacity = 4
	b := New(capacity)
	fill(b, capacity)
	b.afterWindow = func() {
		b.afterWindow = nil // only the first read is interrupted
		b.Add(rec(4))
		b.Add(rec(5))
		require.Equal(t, uint64(6), b.ReadEnd(), "the watermark moves to the head")
	}
	evs, lowest, highest := b.GetEventsFromID(2, 100)
	require.LessOrEqual(t, lowest, highest)
	assert.LessOrEqual(t, highest-lowest+1, uint64(capacity), "window [%d, %d]", lowest, highest)
	assert.Equal(t, seq(2, int64(highest)+1), marks(evs))
}

// TestOvertakenReadReportsOneMoment: when the first ID of a read is
// overwritten while it runs, the reader is told a window from one moment
// whose lowest is above the ID it asked for.
func TestOvertakenReadReportsOneMoment(t *testing.T) {
	const capacity = 4
	b := New(capacity)
	fill(b, capacity)
	b.afterWindow = func() {
		b.afterWindow = nil
		for i := uint64(capacity); i < 3*capacity; i++ {
			b.Add(rec(i))
		}
	}
	evs, lowest, highest := b.GetEventsFromID(0, 100)
	assert.Empty(t, evs, "IDs 0..3 were overwritten while the read ran")
	assert.Equal(t, uint64(2*capacity), lowest)
	assert.Equal(t, uint64(3*capacity-1), highest)
}

// TestWindowDuringResize: while Resize copies into a new storage, readers see
// the old one limited to the IDs below the flip; a watermark moved past that
// limit (by readers of the new storage) must not extend their window.
func TestWindowDuringResize(t *testing.T) {
	b := New(4)
	fill(b, 4)
	v, lowest, next := b.window() // the view a reader took before the flip
	b.Resize(16)
	fill(b, 12) // IDs 4..15 go to the new storage
	require.Equal(t, uint64(16), b.ReadEnd())
	limited := &view{st: v.st, capacity: v.capacity, floor: v.floor, limit: next}
	end := b.readEnd(limited, lowest, next)
	assert.Equal(t, next, end, "the read end stays inside the old view")
}

// TestStressWindowNeverWiderThanCapacity: 2 writers and 3 readers on a
// 48-capacity ring; no read may report highest-lowest+1 above the capacity.
func TestStressWindowNeverWiderThanCapacity(t *testing.T) {
	const capacity = 48
	b := New(capacity)
	written := testutil.Start(2, func(int) {
		for i := 0; i < 200_000; i++ {
			b.Add(rec(uint64(i)))
		}
	})
	var widest atomic.Uint64
	read := func() {
		id := b.NextID()
		if id > 10 {
			id -= 10
		}
		_, lowest, highest := b.GetEventsFromID(id, 20)
		if highest >= lowest {
			if w := highest - lowest + 1; w > widest.Load() {
				widest.Store(w)
			}
		}
	}
	stop := testutil.Loop(read, read, read)
	written()
	stop()
	assert.LessOrEqual(t, widest.Load(), uint64(capacity))
}

// A reader whose window is above a hole moves the watermark past it without
// looking; a reader with an older window that still holds the hole must not
// take the watermark's word for it: it returns nothing there, never the
// record of another ID (the slot still holds ID 0's record).
func TestWatermarkDoesNotVouchForAHoleBelowAnotherWindow(t *testing.T) {
	b := New(3) // 4 slots
	fill(b, 4)
	hole := b.next.Add(1) - 1 // ID 4: claimed, its writer stalls
	b.afterWindow = func() {
		b.afterWindow = nil
		for i := uint64(5); i < 8; i++ {
			b.Add(rec(i))
		}
		assert.Equal(t, uint64(5), b.GetLowestID())
		b.GetRecentEvents(3) // window [5, 8): scans 5..7, watermark to 8
	}
	evs, _, _ := b.GetEventsFromID(hole, 1) // window [2, 5), taken before the Adds
	for _, ev := range evs {
		assert.Equal(t, int64(hole), ev.GetTimestampNano(), "a record returned under ID 4 is ID 4's")
	}
	b.gens[0].Load().write(hole, rec(4)) // the stalled writer finishes
	assert.Equal(t, seq(5, 8), marks(b.GetRecentEvents(10)))
}

// The same stale window for GetRecentEvents: the watermark, moved by a
// reader whose window is above a hole, makes the read end of an older window
// lie past that hole. The held events end before the hole: GetRecentEvents
// must return the newest of those, never records from after the hole.
func TestRecentEventsStopAtAHoleTheWatermarkVouchedFor(t *testing.T) {
	b := New(5) // 8 slots: IDs 1..5 are still in their slots when 6..8 come
	fill(b, 3)
	b.next.Add(1) // ID 3: claimed, its writer stalls
	b.Add(rec(4))
	b.Add(rec(5))
	b.afterWindow = func() {
		b.afterWindow = nil
		for i := uint64(6); i < 9; i++ {
			b.Add(rec(i))
		}
		require.Equal(t, seq(4, 9), marks(b.GetRecentEvents(5)), "window [4, 9): watermark to 9")
	}
	// Window [1, 6), taken before the Adds; the first hole in it is ID 3.
	assert.Equal(t, []int64{1, 2}, marks(b.GetRecentEvents(10)))
}

// When the oldest IDs of a GetRecentEvents read are overwritten while it
// runs, it returns the newer, consecutive part, not nothing.
func TestRecentEventsOverwrittenWhileRead(t *testing.T) {
	b := New(4) // 4 slots
	fill(b, 4)
	b.afterWindow = func() {
		b.afterWindow = nil
		b.Add(rec(4)) // takes the slot of ID 0
	}
	// Window [0, 4), taken before the Add.
	assert.Equal(t, []int64{1, 2, 3}, marks(b.GetRecentEvents(4)))
}
