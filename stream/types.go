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

// EventStreamData describes an active stream, as GetEventStreams reports it.
type EventStreamData struct {
	// Name is the name given to CreateEventStream (not necessarily unique).
	Name string
	// CreatedAt is when CreateEventStream opened the stream.
	CreatedAt time.Time
}

// CloseReason tells why a stream ended.
type CloseReason uint32

const (
	// ReasonOpen: the stream has not ended (also what a handle that did not
	// come from CreateEventStream reports).
	ReasonOpen CloseReason = iota
	// ReasonRemoved: the caller removed the stream with RemoveEventStream.
	ReasonRemoved
	// ReasonSlow: the stream was cut off because it did not keep up: its
	// queue was full when the dispatcher had more for it, or the ring
	// overwrote events before they could be delivered to it.
	ReasonSlow
	// ReasonClosed: the EventStreaming was closed (also for a stream created
	// after Close).
	ReasonClosed
)

// String returns a short lower-case name of the reason.
func (r CloseReason) String() string {
	switch r {
	case ReasonOpen:
		return "open"
	case ReasonRemoved:
		return "removed"
	case ReasonSlow:
		return "slow"
	case ReasonClosed:
		return "closed"
	default:
		return "unknown"
	}
}

// CloseReason reports why the stream ended, or ReasonOpen while it runs. The
// reason is set just before Events is closed and never changes afterwards, so
// once a receive from Events reports closed, the result is final. Safe from
// any goroutine, also on a nil handle (ReasonOpen).
func (s *EventStream) CloseReason() CloseReason {
	if s == nil || s.consumer == nil {
		return ReasonOpen
	}
	return CloseReason(s.consumer.reason.Load())
}

// Stats is a snapshot of an EventStreaming's counters.
type Stats struct {
	// Streams is the number of open streams.
	Streams int
	// StreamsCreated counts CreateEventStream calls that opened a stream.
	StreamsCreated uint64
	// StreamsRemovedSlow counts streams cut off as slow (ReasonSlow),
	// including those the ring overran.
	StreamsRemovedSlow uint64
	// EventsDelivered counts records sent on Events channels, over all
	// streams.
	EventsDelivered uint64
}
