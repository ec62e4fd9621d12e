package store_test

import (
	"fmt"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/ring"
	"github.com/lfevents/lfevents/store"
)

// names returns the ObjectIDs of recs.
func names(recs []*si.EventRecord) []string {
	out := make([]string, 0, len(recs))
	for _, ev := range recs {
		out = append(out, ev.GetObjectID())
	}
	return out
}

// A store holds at most its size between two collects; CollectEvents hands
// the batch over, in store order, and the next batch starts empty. Events
// that found the batch full are counted, not kept.
func Example() {
	batch := store.New(3)
	for _, name := range []string{"a", "b", "c", "d"} {
		batch.Store(&si.EventRecord{ObjectID: name})
	}
	fmt.Println("waiting:", batch.CountStoredEvents())

	fmt.Println("collected:", names(batch.CollectEvents()))
	fmt.Println("waiting:", batch.CountStoredEvents())

	stats := batch.Stats()
	stored, notStored := stats.Stored, stats.NotStored
	fmt.Println("stored", stored, "not stored", notStored)
	// Output:
	// waiting: 3
	// collected: [a b c]
	// waiting: 0
	// stored 3 not stored 1
}

// The caller owns what CollectEvents returns: the store never writes to it
// again. An empty batch is returned as nil.
func ExampleEventStore_CollectEvents() {
	batch := store.New(10)
	batch.Store(&si.EventRecord{ObjectID: "node-1"})
	first := batch.CollectEvents()

	batch.Store(&si.EventRecord{ObjectID: "node-2"})
	second := batch.CollectEvents()

	fmt.Println(names(first), names(second))
	fmt.Println(batch.CollectEvents() == nil)
	// Output:
	// [node-1] [node-2]
	// true
}

// SetStoreSize applies from the next CollectEvents on: the current batch
// keeps the size it started with.
func ExampleEventStore_SetStoreSize() {
	batch := store.New(1)
	batch.SetStoreSize(2)
	batch.Store(&si.EventRecord{ObjectID: "a"})
	batch.Store(&si.EventRecord{ObjectID: "b"}) // the current batch still holds 1
	fmt.Println(names(batch.CollectEvents()))

	batch.Store(&si.EventRecord{ObjectID: "c"})
	batch.Store(&si.EventRecord{ObjectID: "d"}) // the new batch holds 2
	fmt.Println(names(batch.CollectEvents()))
	// Output:
	// [a]
	// [c d]
}

// A sequenced store is numbered by an ID sequence that the caller already
// has, such as the history ring's: each event then costs one contended
// atomic (the ring's claim) instead of two. Every ID the ring hands out must
// reach StoreWithID exactly once.
func ExampleNewSequenced() {
	history := ring.New(100)
	batch := store.NewSequenced(10, history.NextID)

	for _, name := range []string{"app-1", "app-2"} {
		ev := &si.EventRecord{ObjectID: name}
		id := history.Add(ev)
		batch.StoreWithID(id, ev)
	}
	fmt.Println(names(batch.CollectEvents()))
	// Output:
	// [app-1 app-2]
}
