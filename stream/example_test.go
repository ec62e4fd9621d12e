package stream_test

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/ring"
	"github.com/lfevents/lfevents/stream"
)

// add records an event as the event system does: into the history ring,
// then a signal to the streaming.
func add(r *ring.Buffer, es *stream.EventStreaming, objectID string) {
	ev := &si.EventRecord{ObjectID: objectID}
	r.Add(ev)
	es.PublishEvent(ev)
}

// A stream receives the newest events of history as of its creation, then
// every later event.
func Example() {
	history := ring.New(100)
	streaming := stream.NewEventStreaming(history)
	defer streaming.Close()

	for _, id := range []string{"app-1", "app-2", "app-3"} {
		add(history, streaming, id)
	}
	s := streaming.CreateEventStream("viewer", 2) // app-2, app-3, then live
	add(history, streaming, "app-4")

	for range 3 {
		ev := <-s.Events
		fmt.Println(ev.GetObjectID())
	}
	streaming.RemoveEventStream(s)
	_, open := <-s.Events
	fmt.Println("open:", open, "reason:", s.CloseReason())
	// Output:
	// app-2
	// app-3
	// app-4
	// open: false reason: removed
}

// A consumer that reconnects after having received event 4 resumes at ID 5.
// Events its history no longer holds are reported as a gap first, never
// skipped silently; every item carries its event ID.
func ExampleEventStreaming_CreateEventStreamFrom() {
	history := ring.New(5)
	streaming := stream.NewEventStreaming(history)
	defer streaming.Close()
	for i := range 10 { // IDs 0..9; the ring keeps 5..9
		add(history, streaming, fmt.Sprint("node-", i))
	}

	s := streaming.CreateEventStreamFrom("resume", 3)
	show := func(it stream.Item) {
		if it.IsGap() {
			fmt.Printf("gap: %d events from ID %d are gone\n", it.Missing, it.ID)
			return
		}
		fmt.Println(it.ID, it.Record.GetObjectID())
	}
	for range 6 { // the gap, then the history held
		show(<-s.Items)
	}
	add(history, streaming, "node-10")
	show(<-s.Items)
	// Output:
	// gap: 2 events from ID 3 are gone
	// 5 node-5
	// 6 node-6
	// 7 node-7
	// 8 node-8
	// 9 node-9
	// 10 node-10
}

// A filter runs before the stream's queue: a stream that wants few events is
// not cut off by a flood of others.
func ExampleWithFilter() {
	history := ring.New(1000)
	streaming := stream.NewEventStreaming(history)
	defer streaming.Close()

	nodes := streaming.CreateEventStreamFrom("nodes", 0, stream.WithFilter(func(ev *si.EventRecord) bool {
		return strings.HasPrefix(ev.GetObjectID(), "node-")
	}))
	for i := range 3 {
		add(history, streaming, fmt.Sprint("app-", i))
		add(history, streaming, fmt.Sprint("node-", i))
	}
	for range 3 {
		it := <-nodes.Items
		fmt.Println(it.ID, it.Record.GetObjectID())
	}
	// Output:
	// 1 node-0
	// 3 node-1
	// 5 node-2
}

// A consumer that does not keep up is cut off: its channel closes with
// ReasonSlow, and nothing else is slowed. It catches up from history by ID
// (GetEventsFromID, as the event system offers it too), then opens a new
// stream from the next ID, so it misses nothing that history still holds.
func Example_catchUpAfterCut() {
	history := ring.New(1000)
	streaming := stream.NewEventStreaming(history,
		stream.WithQueueSize(1), stream.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer streaming.Close()

	s := streaming.CreateEventStreamFrom("slow reader", 0)
	for i := range 500 { // far more than the stream buffers: it is cut off
		add(history, streaming, fmt.Sprint("alloc-", i))
	}
	next := uint64(0) // the ID after the last one received
	for it := range s.Items {
		next = it.ID + 1
	}
	fmt.Println("stream closed:", s.CloseReason())

	// Catch up from history in pages, then follow live from there.
	for {
		page, _, highest := history.GetEventsFromID(next, 100)
		next += uint64(len(page))
		if len(page) == 0 || next > highest {
			break
		}
	}
	fmt.Println("caught up to ID", next-1)
	live := streaming.CreateEventStreamFrom("slow reader, again", next)
	add(history, streaming, "alloc-500")
	it := <-live.Items
	fmt.Println(it.ID, it.Record.GetObjectID())
	// Output:
	// stream closed: slow
	// caught up to ID 499
	// 500 alloc-500
}
