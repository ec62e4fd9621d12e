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
	keep func(*si.EventRecord) bool
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
