package system

import "github.com/lfevents/lfevents/stream"

// Wake-ups across the control plane
//
// A stream's dispatcher parks when it has delivered everything the ring
// shows, and relies on a PublishEvent after every change of what the ring
// shows. Writers give one after each Add. Two control-plane steps change what
// the ring shows, or which streaming listens, without a writer after them:
//
//   - A Resize that changes the slot count limits the readers' view to the
//     IDs below its boundary while it copies, then swaps in the new view.
//     Writers that add meanwhile write above the boundary and signal at
//     once; a dispatcher that clears its pending flag and looks at the ring
//     in that window sees the boundary, parks, and is not woken by anyone
//     when the swap makes their events readable. If those were the last
//     events, the stream stalls until some later event arrives. So
//     Reconfigure signals the current streaming (wakeStreams) after the
//     Resize has returned.
//   - A swap of the streaming (start after Stop, Restart, CloseAllStreams,
//     a tracking change): an AddEvent that loaded the old streaming signals
//     only the old one. An event becomes readable when the last write at or
//     below its ID is published, and that writer loads the streaming after
//     its write: if it loaded the old one, the write came before the swap,
//     and the fresh streaming's dispatcher, which starts after the swap,
//     sees it when it first reads the ring. The signal after the swap costs
//     nothing and keeps the rule simple: every control-plane step that can
//     change what streams see ends with one.
//
// PublishEvent guarantees that the dispatcher looks at the ring after the
// call (see "Wake-ups" in the stream package's streaming.go), so every event
// readable when a step ends reaches every open stream without waiting for a
// later event.

// wakeStreams makes the current streaming's dispatcher look at the ring again.
// Called by the control plane (under ctl) after it changed what the ring shows
// or which streaming is current.
func (e *EventSystemImpl) wakeStreams() {
	e.streaming.Load().PublishEvent(nil)
}

// CreateEventStreamFrom opens a stream of the events from fromID on, each
// with its ID, on the system's current streaming; see
// stream.EventStreaming.CreateEventStreamFrom. While the system is stopped it
// returns a stream whose channel is already closed (ReasonClosed); so do
// Stop, CloseAllStreams and a tracking change to the streams they end.
func (e *EventSystemImpl) CreateEventStreamFrom(name string, fromID uint64, opts ...stream.StreamOption) *stream.IDStream {
	return e.streaming.Load().CreateEventStreamFrom(name, fromID, opts...)
}

// CreateRecentEventStream opens a stream of the newest count events as of the
// call, then every later event, each with its ID, on the system's current
// streaming; see stream.EventStreaming.CreateRecentEventStream and
// CreateEventStreamFrom.
func (e *EventSystemImpl) CreateRecentEventStream(name string, count uint64, opts ...stream.StreamOption) *stream.IDStream {
	return e.streaming.Load().CreateRecentEventStream(name, count, opts...)
}

// RemoveIDStream ends a stream with IDs and closes its channel; nil, twice,
// or a stream that already ended is a no-op.
func (e *EventSystemImpl) RemoveIDStream(s *stream.IDStream) {
	e.streaming.Load().RemoveIDStream(s)
}
