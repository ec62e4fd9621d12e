// Package baseline is the reference design that lfevents replaces, rebuilt by
// us from its architecture (Apache YuniKorn's pkg/events) so that every
// benchmark and the load tool can run the same scenario against both designs.
// It is correct but slow and lossy by design; do not use it for anything but
// comparison.
//
// Concurrency contract: every method is safe from any number of goroutines.
// AddEvent takes a read lock on the system and does a non-blocking send into
// one bounded channel; a full channel drops the event and counts it. One
// handler goroutine drains the channel and, under three separate locks,
// appends each event to the history Ring (RWMutex), the batch Store (Mutex,
// copies on collect) and every stream consumer's channel (Streaming, RWMutex).
// Each stream has two bounded channels joined by a forwarding goroutine; a
// stream whose first channel is full is cut off and its channel closed.
//
// Where the reference design has a defect that lfevents fixes, this re-build
// has the fix (the ring's window never returns more than count records, recent
// history works after wrap-around, Stop and StartService work in any order,
// and the publisher keeps events when no plugin is set), so that the
// comparison measures architecture, not bugs.
package baseline
