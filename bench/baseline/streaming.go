package baseline

import (
	"sync"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/stream"
)

// DefaultStreamQueueSize is the capacity of each of a stream's two channels.
const DefaultStreamQueueSize = 1000

// Streaming fans events out to stream consumers. Publish write-locks the
// consumer map and does a non-blocking send into each consumer's first
// channel; a full one means the consumer is too slow, and it is removed.
// A forwarding goroutine per consumer moves events from the first channel to
// the one the consumer reads, so a consumer is cut off after about two
// channels' worth of unread events.
//
// The zero value is not usable; call NewStreaming.
type Streaming struct {
	mu          sync.RWMutex
	history     *Ring
	queueSize   int
	consumers   map[*stream.EventStream]*consumer
	closed      bool   // Close was called: new streams are born closed
	removedSlow uint64 // consumers cut off for being slow
	delivered   uint64 // events handed to a consumer's first channel (and history)
}

// consumer is one stream's state.
type consumer struct {
	name    string
	created time.Time
	local   chan *si.EventRecord // Publish sends here, never blocking
	out     chan *si.EventRecord // the stream's Events; closed by the forwarder
	stop    chan struct{}        // closed to end the forwarder
	done    chan struct{}        // closed when the forwarder has exited
	fromID  uint64               // the first ID Publish delivers: older ones came as history
}

// NewStreaming returns a streaming whose new streams read their history from
// history. queueSize <= 0 means DefaultStreamQueueSize.
func NewStreaming(history *Ring, queueSize int) *Streaming {
	if queueSize <= 0 {
		queueSize = DefaultStreamQueueSize
	}
	return &Streaming{history: history, queueSize: queueSize, consumers: map[*stream.EventStream]*consumer{}}
}

// CreateEventStream opens a stream that first receives the newest
// min(count, queue size) events of history and then every event published
// later, in ID order. After Close the stream's channel is already closed.
func (s *Streaming) CreateEventStream(name string, count uint64) *stream.EventStream {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		ch := make(chan *si.EventRecord)
		close(ch)
		return &stream.EventStream{Events: ch}
	}
	// Under s.mu no Publish runs, and history and the next ID are read under
	// the ring's lock together: an event is either in the history sent here
	// or has an ID >= fromID and is published later, never both, never neither.
	history, next := s.history.recent(min(count, uint64(s.queueSize)))
	c := &consumer{
		name:    name,
		created: time.Now(),
		local:   make(chan *si.EventRecord, s.queueSize),
		out:     make(chan *si.EventRecord, s.queueSize),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		fromID:  next,
	}
	for _, ev := range history {
		c.out <- ev // fits: len(history) <= cap(out) and nobody reads out yet
	}
	s.delivered += uint64(len(history))
	h := &stream.EventStream{Events: c.out}
	s.consumers[h] = c
	go forward(c)
	return h
}

// forward moves events from c.local to c.out until c.stop closes, then
// closes c.out. It is the only sender on c.out after creation.
func forward(c *consumer) {
	defer close(c.done)
	defer close(c.out)
	for {
		select {
		case <-c.stop:
			return
		case ev := <-c.local:
			select {
			case c.out <- ev:
			case <-c.stop:
				return
			}
		}
	}
}

// Publish hands the event with ID id to every consumer that did not get it
// as history, and removes every consumer whose first channel is full.
func (s *Streaming) Publish(id uint64, ev *si.EventRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, c := range s.consumers {
		if id < c.fromID {
			continue
		}
		select {
		case c.local <- ev:
			s.delivered++
		default:
			delete(s.consumers, h)
			close(c.stop)
			s.removedSlow++
		}
	}
}

// RemoveEventStream ends the stream and closes its channel; it returns once
// the stream's goroutine has exited. Unknown handles and nil are ignored.
func (s *Streaming) RemoveEventStream(h *stream.EventStream) {
	s.mu.Lock()
	c, ok := s.consumers[h]
	if ok {
		delete(s.consumers, h)
		close(c.stop)
	}
	s.mu.Unlock()
	if ok {
		<-c.done
	}
}

// GetEventStreams lists the active streams.
func (s *Streaming) GetEventStreams() []stream.EventStreamData {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]stream.EventStreamData, 0, len(s.consumers))
	for _, c := range s.consumers {
		out = append(out, stream.EventStreamData{Name: c.name, CreatedAt: c.created})
	}
	return out
}

// CloseAllStreams ends every stream and returns once their goroutines have
// exited; new streams can still be created.
func (s *Streaming) CloseAllStreams() {
	s.mu.Lock()
	ended := make([]*consumer, 0, len(s.consumers))
	for h, c := range s.consumers {
		delete(s.consumers, h)
		close(c.stop)
		ended = append(ended, c)
	}
	s.mu.Unlock()
	for _, c := range ended {
		<-c.done
	}
}

// Close ends every stream; streams created afterwards are born closed.
func (s *Streaming) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.CloseAllStreams()
}

// counts returns the consumers cut off as slow and the events delivered.
func (s *Streaming) counts() (removedSlow, delivered uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.removedSlow, s.delivered
}
