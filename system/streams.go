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

// RemoveIDStream ends a stream with IDs and returns once its channel is
// closed; as RemoveStream.
func (e *EventSystemImpl) RemoveIDStream(s *stream.IDStream) {
	e.removeFrom(func(es *stream.EventStreaming) { es.RemoveIDStream(s) })
}

// removeFrom runs remove on the current streaming and then on the one being
// replaced, if any; a streaming's Remove ignores the streams of another one.
//
// A stream of this system belongs to some streaming X. If the load of
// streaming returns X, the first call removes the stream, and waits for its
// channel to close even if X is being closed meanwhile. Otherwise X was
// swapped out before that load, and closing was set to X before the swap;
// the load of closing comes after the load of streaming, so it returns X
// (then the second call removes the stream, or waits for it as the first
// would) or a value stored after X's Close returned (nil, or a later
// streaming), when the stream's channel is already closed. Without the
// second call, a RemoveStream racing CloseAllStreams would return with the
// stream still open, its channel closed only once the old streaming's Close
// got to it.
func (e *EventSystemImpl) removeFrom(remove func(*stream.EventStreaming)) {
	remove(e.streaming.Load())
	if old := e.closing.Load(); old != nil {
		remove(old)
	}
}
