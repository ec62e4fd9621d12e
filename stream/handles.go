package stream

import (
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// EventStream is the handle a consumer gets from CreateEventStream. Events
// delivers the stream's records in ID order; it is closed when the stream ends
// (see CloseReason). The handle is also what RemoveEventStream takes.
//
// Records on Events are shared with the history ring and every other stream:
// a consumer must not modify them.
type EventStream struct {
	// Events receives the history asked for, then every later event. It has
	// a buffer of ChannelBuffer records and is closed when the stream ends.
	Events <-chan *si.EventRecord

	// consumer is the internal state of the stream; nil for a handle built
	// outside this package (such a handle is unknown to every EventStreaming).
	consumer *consumer
}

// CloseReason reports why the stream ended, or ReasonOpen while it runs. The
// reason is set before Events is closed and never changes afterwards, so once
// a receive from Events reports closed, the result is final. Safe from any
// goroutine.
func (s *EventStream) CloseReason() CloseReason { return s.consumer.closeReason() }

// IDStream is the handle of a stream whose deliveries carry event IDs, from
// CreateEventStreamFrom or CreateRecentEventStream. Items delivers events in
// ID order, and reports history that could not be delivered as gap items; it
// is closed when the stream ends (see CloseReason). The handle is also what
// RemoveIDStream takes.
type IDStream struct {
	// Items receives the stream's events and gaps (and, with WithProgress,
	// progress items) in ID order. It has a
	// buffer of ChannelBuffer items and is closed when the stream ends.
	Items <-chan Item

	consumer *consumer // as in EventStream
}

// CloseReason reports why the stream ended, or ReasonOpen while it runs; as
// (*EventStream).CloseReason.
func (s *IDStream) CloseReason() CloseReason { return s.consumer.closeReason() }

// Item is one delivery of an IDStream: an event with its ID, or a gap.
type Item struct {
	// ID is the event's ID; for a gap, the first ID missing.
	ID uint64
	// Record is the event, shared with history and every other stream (do
	// not modify it); nil for a gap.
	Record *si.EventRecord
	// Missing is 0 for an event. For a gap it is the number of IDs, from ID
	// on, that history no longer held when the stream came to read them:
	// those events are never delivered.
	Missing uint64
	// Progress marks a progress item (only with WithProgress): every event
	// up to and including ID that the stream did not deliver was filtered
	// out. Record is nil and Missing 0.
	Progress bool
}

// IsGap reports whether the item reports missing events instead of one event.
func (it Item) IsGap() bool { return it.Missing > 0 }

// IsProgress reports whether the item is a progress item (see WithProgress).
func (it Item) IsProgress() bool { return it.Progress }

// EventStreamData describes an active stream, as GetEventStreams reports it.
type EventStreamData struct {
	// Name is the name given when the stream was created (not necessarily
	// unique).
	Name string
	// CreatedAt is when the stream was created.
	CreatedAt time.Time
}
