package stream

import (
	"log/slog"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

const (
	// DefaultQueueSize is the per-stream queue size used when none (or a
	// size <= 0) is given: a stream whose reader stalls is cut off after
	// about DefaultQueueSize + ChannelBuffer + 128 undelivered events (the
	// reference design cut off after about 2000).
	DefaultQueueSize = 2048
	// MaxQueueSize caps WithQueueSize (16 MiB of queue per stream on 64-bit).
	MaxQueueSize = 1 << 20
	// ChannelBuffer is the buffer of every stream's channel (Events, Items).
	ChannelBuffer = 64
)

// Option configures NewEventStreaming. Options apply in order; a nil Option
// is a no-op.
type Option func(*config)

type config struct {
	queueSize int
	logger    *slog.Logger
}

// WithQueueSize sets the number of events each stream's queue holds, rounded
// up to a power of two and capped at MaxQueueSize; n <= 0 means
// DefaultQueueSize. Each stream allocates its queue (16 bytes per slot: a
// record and its ID) when it is created.
//
// A stream is cut off when the dispatcher has more new events for it (after
// its filter) than its queue has room for, so the queue must absorb the largest burst of events
// that arrives while the stream's goroutine (or its reader) is not running,
// not only the average rate.
func WithQueueSize(n int) Option {
	return func(c *config) {
		if n <= 0 {
			n = DefaultQueueSize
		}
		c.queueSize = min(n, MaxQueueSize)
	}
}

// WithLogger sets the logger for cut-off streams and other rare events; nil
// means slog.Default(). Its handler may be called from the dispatcher: it
// must not block, and must not call back into the EventStreaming
// (RemoveEventStream, RemoveIDStream or Close from there would wait for the
// dispatcher that is calling it).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// StreamOption configures one stream, in CreateEventStreamFrom and
// CreateRecentEventStream. Options apply in order; a nil StreamOption is a
// no-op.
type StreamOption func(*streamConfig)

type streamConfig struct {
	keep     func(*si.EventRecord) bool
	progress bool
}

// WithFilter makes the stream deliver only the events for which keep returns
// true. Events it rejects never enter the stream's queue, so a stream is never
// cut off because of events it does not want. Gap items are delivered
// whatever the filter. keep is called from the streaming's goroutines, at
// times two at once for one stream: it must be safe for concurrent use, must
// not block or panic, must not modify the record, and must not call back
// into the EventStreaming (RemoveEventStream, RemoveIDStream or Close from
// there would wait for the goroutine that is calling it). New events are
// filtered by the dispatcher, the one goroutine that hands them to every
// stream, once per event and stream: a slow filter delays all streams, and
// once the ring overtakes the dispatcher the streams behind it are cut off.
// Keep it cheap, and bound its cost when it is built from untrusted input
// (httpapi compiles long value lists into sets).
// A nil keep keeps every event; the last WithFilter given wins.
func WithFilter(keep func(*si.EventRecord) bool) StreamOption {
	return func(c *streamConfig) { c.keep = keep }
}

// WithProgress makes a filtered IDStream also say how far it has looked:
// a progress item (Item.Progress, ID id) means that every event up to and
// including id that the stream has not delivered was filtered out. A
// consumer that keeps a resume position (such as an SSE client's
// Last-Event-ID) can move it to id, so that it does not ask for the
// filtered events again, nor hear of them as a gap once history displaced
// them. A progress item comes when events after the stream's last delivery
// were filtered out: at the end of the history the stream starts with
// (replay or snapshot); when the streaming goes idle (nothing new to
// deliver) and at least 256 IDs were filtered out since the stream was last
// told anything; and during a long run of filtered events, every 4096 IDs.
// So there is at most one progress item per 256 IDs, and the position a
// stream was told lags by less than 256 IDs once the streaming is idle.
// They take no room that events need: a progress mark enters the stream's
// queue only when it is empty, and the stream's goroutine never waits to
// put a progress item on Items (when Items is full it holds one back and
// sends it once there is room, unless a later item goes first), so they
// never get a stream cut off. A reader that falls behind may thus see
// fewer of them, and its position lag more, until it catches up. Without
// a filter, or on an EventStream, the option does nothing.
func WithProgress() StreamOption {
	return func(c *streamConfig) { c.progress = true }
}
