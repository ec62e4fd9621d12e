package stream

import (
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// EventStream is the handle a consumer gets from CreateEventStream. Events
// delivers the stream's records in ID order; it is closed when the stream ends
// (see CloseReason). The handle is also what RemoveEventStream takes.
type EventStream struct {
	// Events receives the history asked for, then every later event.
	Events <-chan *si.EventRecord

	// consumer is the internal state of the stream; nil for a handle built
	// outside this package (such a handle is unknown to every EventStreaming).
	consumer *consumer
}

// EventStreamData describes an active stream, as GetEventStreams reports it.
type EventStreamData struct {
	Name      string
	CreatedAt time.Time
}

// consumer is a placeholder until the stream implementation lands.
type consumer struct{}
