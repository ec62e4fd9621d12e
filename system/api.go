package system

import (
	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/stream"
)

// EventSystem is the event system a scheduler records its events into. It has
// the method set of the reference design, so code written against that one
// migrates with an import change.
//
// What happens to an event, step by step:
//  1. AddEvent, in the caller's goroutine, cuts an over-long message to at
//     most 1024 bytes on a character boundary and gives the record the next
//     event ID in the history ring.
//  2. The record is put in the store, the batch that the publisher hands to the
//     registered EventPlugin every push interval (a record whose text is not
//     valid UTF-8 reaches the plugin as a repaired copy, so the batch
//     marshals).
//  3. Streams (if any) receive it from the history ring, in ID order.
//
// None of these steps takes a lock or drops the event while the system runs.
type EventSystem interface {
	// AddEvent records an event. The system takes the record: neither the
	// caller nor anybody else may modify it afterwards. A nil record is
	// ignored. It never blocks. After Stop, records are rejected (and counted)
	// until the next start; before the first start they are kept.
	AddEvent(event *si.EventRecord)

	// StartService starts the system and returns at once: the publisher
	// begins its pushes and, after a Stop, AddEvent accepts events again.
	// Starting a running system is a no-op.
	StartService()

	// Stop sends one last batch to the plugin, stops the publisher, closes
	// every stream and rejects events until the next start. Stop before any
	// start, or twice, is a no-op (streams opened before the first start stay
	// open: remove them).
	Stop()

	// IsEventTrackingEnabled reports the configured tracking flag. It is
	// advisory: history is always kept; callers such as a REST layer honour it.
	IsEventTrackingEnabled() bool

	// GetEventsFromID returns up to count consecutive events starting at id,
	// the lowest ID held and the newest readable ID (the highest). If id is
	// not held, it returns no records and the range held, so the caller can
	// ask again.
	GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64)

	// CreateEventStream opens a stream named name (for logs and
	// GetEventStreams; need not be unique) that first receives the newest
	// count events of history (0 is valid: none) and then every later event.
	// The consumer must read Events promptly: one that falls too far behind is
	// cut off and its channel closed.
	CreateEventStream(name string, count uint64) *stream.EventStream

	// RemoveStream ends a stream and closes its channel. Consumers that stop
	// reading must call it. Removing twice, or nil, is a no-op.
	RemoveStream(*stream.EventStream)

	// GetEventStreams lists the active streams.
	GetEventStreams() []stream.EventStreamData
}
