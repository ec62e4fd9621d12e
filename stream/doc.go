// Package stream delivers the event flow to live consumers, each on a Go
// channel of its own, like a per-subscriber tail of a log: a stream gets the
// newest events of the history ring (or the events from a given ID on), then
// every later event, in ID order, with no gap and no duplicate. Package
// system opens its streams through it; most programs use it through that
// package.
//
// Every method of EventStreaming is safe for concurrent use. PublishEvent, the
// call on the producers' path, never blocks, takes no lock and does not
// allocate. Each stream has a bounded queue: a consumer that does not keep up
// is cut off alone (its channel closes with ReasonSlow, the cut is logged and
// counted) and never slows the producers or the other streams. Nothing is
// skipped silently: a stream either receives an event, reports it in a gap
// item (streams with IDs), or ends. RemoveEventStream and RemoveIDStream
// return only after the stream's goroutine has exited and its channel is
// closed. Close returns only after every goroutine of the EventStreaming has
// exited (those of streams cut off or being removed at the time included) and
// every stream's channel is closed; none of them waits for a reader.
// Goroutines run only while streams exist: each stream's goroutine exits when
// its stream ends, and the dispatcher stops once the last stream has left (a
// stream cut off leaves from its own goroutine, on its way out, so that
// goroutine may still be exiting when the removal of another stream returns).
//
// How it works is written next to the code: the wake-up protocol in
// streaming.go, positions and parking in consumer.go, dispatch in dispatch.go,
// how streams end and what Close waits for above Close in streaming.go.
package stream
