package ring

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

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
	limited := newView(v.st, v.capacity, v.floor.Load(), next)
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

// window is what one reader is told: the lowest ID held and the newest
// readable one. A reader's successive windows never move back: once an ID
// is reported displaced it stays displaced, and the newest readable ID does
// not decrease.
type window struct{ low, high uint64 }

func look(b *Buffer) window {
	_, low, high := b.GetEventsFromID(0, 0)
	return window{low, high}
}

func assertNeverBack(t *testing.T, seen []window) {
	t.Helper()
	for i := 1; i < len(seen); i++ {
		assert.GreaterOrEqual(t, seen[i].low, seen[i-1].low, "lowest moved back: %v", seen)
		assert.GreaterOrEqual(t, seen[i].high, seen[i-1].high, "highest moved back: %v", seen)
	}
}

// TestResizeToNewStorageNeverMovesTheWindowBack: events added while Resize
// moves to a new storage (after it flipped the generation, before readers
// are given the new storage) must not make a reader's window jump ahead
// under the old capacity and then fall back to the resized one.
func TestResizeToNewStorageNeverMovesTheWindowBack(t *testing.T) {
	b := New(4)
	fill(b, 3)
	hole := b.next.Add(1) - 1 // ID 3: a stalled writer, which Resize waits for
	old := b.gens[0].Load()
	inResize, goOn := make(chan struct{}), make(chan struct{})
	b.duringResize = func() {
		close(inResize)
		<-goOn
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Resize(16)
	}()
	<-inResize
	seen := []window{look(b)}
	for i := uint64(4); i < 12; i++ {
		b.Add(rec(i)) // IDs of the new storage
	}
	seen = append(seen, look(b))
	close(goOn)
	seen = append(seen, look(b))
	old.write(hole, rec(3)) // the stalled writer finishes; Resize copies ID 3
	select {
	case <-done:
	case <-time.After(time.Minute): // a bound against hanging, not a timing check
		require.FailNow(t, "Resize did not finish")
	}
	seen = append(seen, look(b))
	assertNeverBack(t, seen)
	assert.Equal(t, window{0, 11}, seen[len(seen)-1])
	assert.Equal(t, seq(0, 12), marks(b.GetRecentEvents(100)))
}

// TestResizeSameSlotsNeverMovesTheWindowBack: the same for a Resize that
// keeps the storage and only widens the window: events added while it runs
// must not let a reader see IDs displaced under the old capacity come back.
func TestResizeSameSlotsNeverMovesTheWindowBack(t *testing.T) {
	b := New(5) // 8 slots
	fill(b, 20)
	seen := []window{look(b)}
	b.duringResize = func() {
		b.duringResize = nil
		for i := uint64(20); i < 30; i++ {
			b.Add(rec(i))
		}
		seen = append(seen, look(b))
	}
	b.Resize(8) // 8 slots still
	seen = append(seen, look(b))
	assertNeverBack(t, seen)
	low := seen[len(seen)-1].low
	assert.Equal(t, seq(int64(low), 30), marks(b.GetRecentEvents(100)))
}

// TestStressWindowNeverMovesBack: 3 writers, a resizer moving between tiny
// capacities (new storages and same-slot changes), and 3 readers that each
// check their own successive windows never move back, and that no window has
// its lowest above its newest readable ID + 1.
func TestStressWindowNeverMovesBack(t *testing.T) {
	b := New(2)
	written := testutil.Start(3, func(int) {
		for i := 0; i < 30_000; i++ {
			b.Add(rec(uint64(i)))
		}
	})
	caps := []uint64{1, 3, 4, 2, 8, 5, 16, 6}
	i := 0
	resize := func() {
		b.Resize(caps[i%len(caps)])
		i++
	}
	errs := make([]string, 3)
	reader := func(r int) func() {
		var last window
		return func() {
			w := look(b)
			if errs[r] == "" && (w.low < last.low || w.high < last.high) {
				errs[r] = fmt.Sprintf("window moved back from %v to %v", last, w)
			}
			if errs[r] == "" && w.low > w.high+1 {
				errs[r] = fmt.Sprintf("lowest above the newest readable ID + 1: %v", w)
			}
			last = w
		}
	}
	stop := testutil.Loop(resize, reader(0), reader(1), reader(2))
	written()
	stop()
	for _, e := range errs {
		assert.Empty(t, e)
	}
}

// TestPendingFloorFixedAfterTheReadersCount: a reader takes the window of a
// same-slot view whose floor is still pending (the view was current when it
// loaded the claim counter), then, before it looks at the floor, writers
// add more than the old capacity and Resize fixes the floor from that later
// count. The reader's window must still be one of its own count: its lowest
// not above its next (a floor from a later moment would report lowest >
// highest+1, an impossible window), never back from a read before the Resize,
// and never ahead of a read after it.
func TestPendingFloorFixedAfterTheReadersCount(t *testing.T) {
	b := New(3) // 4 slots; Resize(4) keeps them
	for i := uint64(0); i < 10; i++ {
		b.Add(rec(i))
	}
	before := look(b)
	var v *view
	var claimed uint64
	b.duringResize = func() {
		b.duringResize = nil
		// What window() takes: the new view, the counter, the same view again.
		v = b.view.Load()
		claimed = b.next.Load() & idMask
		require.Same(t, v, b.view.Load())
		for i := uint64(10); i < 15; i++ {
			b.Add(rec(i))
		}
	}
	b.Resize(4) // fixes the floor from count 15 before the reader uses it
	next, lowest := v.bounds(claimed)
	after := look(b)
	assert.Equal(t, uint64(10), next)
	assert.LessOrEqual(t, lowest, next, "lowest %d above next %d", lowest, next)
	assertNeverBack(t, []window{before, {lowest, highestOf(next)}, after})
}

// TestLateFixAfterASecondResize: a reader takes the window of a same-slot
// view while its floor is pending and uses it only after two more Resizes
// (one same-slot, one to a new storage) replaced it. Its late use must not
// change the floor the first Resize fixed (the next views were built on it),
// and its window lies between the reads before and after.
func TestLateFixAfterASecondResize(t *testing.T) {
	b := New(3) // 4 slots
	for i := uint64(0); i < 10; i++ {
		b.Add(rec(i))
	}
	before := look(b)
	var v *view
	var claimed uint64
	b.duringResize = func() {
		b.duringResize = nil
		v = b.view.Load()
		claimed = b.next.Load() & idMask
		for i := uint64(10); i < 12; i++ {
			b.Add(rec(i))
		}
	}
	b.Resize(4)
	floor := v.floor.Load()
	for i := uint64(12); i < 20; i++ {
		b.Add(rec(i))
	}
	b.Resize(2) // 4 slots still
	for i := uint64(20); i < 22; i++ {
		b.Add(rec(i))
	}
	b.Resize(16) // a new storage
	after := look(b)
	next, lowest := v.bounds(claimed)
	assert.Equal(t, floor, v.floor.Load(), "a late use does not fix the floor again")
	assertNeverBack(t, []window{before, {lowest, highestOf(next)}, after})
	assert.Equal(t, window{20, 21}, after)
	assert.Equal(t, seq(20, 22), marks(b.GetRecentEvents(100)))
}
