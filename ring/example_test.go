package ring_test

import (
	"fmt"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/ring"
)

// addNamed adds n records named prefix-0, prefix-1, ... and returns their IDs.
func addNamed(history *ring.Buffer, prefix string, n int) []uint64 {
	ids := make([]uint64, 0, n)
	for i := 0; i < n; i++ {
		ids = append(ids, history.Add(&si.EventRecord{ObjectID: fmt.Sprint(prefix, "-", i)}))
	}
	return ids
}

// names returns the ObjectIDs of recs.
func names(recs []*si.EventRecord) []string {
	out := make([]string, 0, len(recs))
	for _, ev := range recs {
		out = append(out, ev.GetObjectID())
	}
	return out
}

// A ring keeps the newest Capacity events; every Add returns the event's ID,
// and IDs keep counting up when older events are displaced.
func Example() {
	history := ring.New(4)
	fmt.Println("IDs:", addNamed(history, "ev", 6))
	fmt.Println("held:", history.GetLowestID(), "to", history.GetLastEventID())
	fmt.Println("recent:", names(history.GetRecentEvents(2)))
	// Output:
	// IDs: [0 1 2 3 4 5]
	// held: 2 to 5
	// recent: [ev-4 ev-5]
}

// GetEventsFromID returns at most count consecutive events from an ID on. For
// an ID that is no longer (or not yet) held it returns no records, and the
// range that is held, so the caller can start again from lowest.
func ExampleBuffer_GetEventsFromID() {
	history := ring.New(5)
	addNamed(history, "ev", 8) // IDs 0..7; held: 3..7

	recs, lowest, highest := history.GetEventsFromID(0, 2)
	fmt.Println(len(recs), "records; held:", lowest, "to", highest)

	for id := lowest; id <= highest; {
		page, _, _ := history.GetEventsFromID(id, 2)
		if len(page) == 0 {
			break
		}
		fmt.Println("page from", id, names(page))
		id += uint64(len(page))
	}
	// Output:
	// 0 records; held: 3 to 7
	// page from 3 [ev-3 ev-4]
	// page from 5 [ev-5 ev-6]
	// page from 7 [ev-7]
}

// GetRecentEvents never returns more than the ring holds, whatever count is
// asked for, also after the ring has wrapped around.
func ExampleBuffer_GetRecentEvents() {
	history := ring.New(3)
	addNamed(history, "ev", 5) // IDs 0..4; held: 2..4
	fmt.Println(names(history.GetRecentEvents(100)))
	fmt.Println(names(history.GetRecentEvents(1)))
	// Output:
	// [ev-2 ev-3 ev-4]
	// [ev-4]
}

// Resize keeps the newest events that fit, with their IDs; later Adds
// continue the ID sequence. Growing does not bring displaced events back.
func ExampleBuffer_Resize() {
	history := ring.New(8)
	addNamed(history, "old", 10) // IDs 0..9; held: 2..9

	history.Resize(3)
	fmt.Println("capacity", history.Capacity(), "held:", history.GetLowestID(), "to", history.GetLastEventID())

	fmt.Println("next ID:", history.Add(&si.EventRecord{ObjectID: "new-0"}))
	fmt.Println(names(history.GetRecentEvents(10)))

	history.Resize(100)
	fmt.Println("capacity", history.Capacity(), "held:", history.GetLowestID(), "to", history.GetLastEventID())
	// Output:
	// capacity 3 held: 7 to 9
	// next ID: 10
	// [old-8 old-9 new-0]
	// capacity 100 held: 8 to 10
}

// A follower (such as a stream dispatcher) keeps its position and reads what
// is new with AppendEventsFromID into a reused buffer, without allocating.
// A position below the lowest ID held means the writers overtook it.
func ExampleBuffer_AppendEventsFromID() {
	history := ring.New(4)
	buf := make([]*si.EventRecord, 0, 2)
	pos := uint64(0)

	addNamed(history, "a", 3)
	for pos < history.ReadEnd() {
		buf, _, _ = history.AppendEventsFromID(buf[:0], pos, uint64(cap(buf)))
		fmt.Println("read", names(buf))
		pos += uint64(len(buf))
	}

	addNamed(history, "b", 6) // more than the ring holds: the follower is overtaken
	buf, lowest, _ := history.AppendEventsFromID(buf[:0], pos, uint64(cap(buf)))
	fmt.Println(len(buf), "records; position", pos, "is below the lowest ID held,", lowest)
	// Output:
	// read [a-0 a-1]
	// read [a-2]
	// 0 records; position 3 is below the lowest ID held, 5
}
