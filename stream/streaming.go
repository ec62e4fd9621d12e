package stream

import (
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/internal/cpu"
	"github.com/lfevents/lfevents/internal/spsc"
	"github.com/lfevents/lfevents/ring"
)

// Bits of EventStreaming.state.
const (
	// stateStreams: at least one stream is registered.
	stateStreams uint32 = 1 << iota
	// statePending: a wake-up is pending or the dispatcher is awake; a
	// producer that sees it set has nothing to do.
	statePending
)

// EventStreaming fans the history ring out to live streams. Create it with
// NewEventStreaming; the zero value is not usable.
//
// Wake-up protocol (PublishEvent → dispatcher). state holds stateStreams and
// statePending. PublishEvent loads state; only when it reads exactly
// stateStreams (streams exist, no wake-up pending) does it CAS statePending in
// and, if it won, send a token on the 1-buffered wake channel without
// blocking. The dispatcher, before it parks, clears statePending and then
// looks at ring.ReadEnd() again. Go's atomics are sequentially consistent, so
// for every Add published before a PublishEvent, either the producer's load
// sees statePending cleared (and wakes the dispatcher), or the dispatcher's
// ReadEnd after the clear sees the Add: no wake-up is lost. While the
// dispatcher is busy the flag stays set and PublishEvent is one load of a
// line that nobody writes. Delivery reads the ring by ID from the
// dispatcher's position, so extra or repeated wake-ups never duplicate an
// event.
//
// Consumer list: consumers is a copy-on-write snapshot, replaced (never
// modified) under mu by create, remove and close; the dispatcher and
// GetEventStreams only load it.
type EventStreaming struct {
	_ cpu.CacheLinePad
	// state is loaded by every PublishEvent; written on wake-up flips, by the
	// dispatcher when it parks, and by the control plane.
	state atomic.Uint32
	_     cpu.CacheLinePad

	history   *ring.Buffer
	queueSize int
	logger    *slog.Logger

	// wake carries at most one token for the dispatcher.
	wake chan struct{}
	// consumers is the current list of registered streams; nil when none.
	consumers atomic.Pointer[[]*consumer]

	// mu serializes the control plane: CreateEventStream, RemoveEventStream
	// (by the caller or by a cut-off stream's goroutine on its way out) and
	// Close. It guards closed, disp and every store to consumers. It is never
	// taken by PublishEvent, the dispatcher or delivery.
	mu        sync.Mutex
	closed    bool
	closeDone chan struct{} // closed when the first Close has finished
	disp      *dispatcher   // the running dispatcher, nil when no stream exists

	// testHookRead, when set by a test before the first stream, runs in the
	// dispatcher before each ring read of position p.
	testHookRead func(p uint64)
	// testHookPark, when set by a test before the first stream, runs in the
	// dispatcher at each step of parking.
	testHookPark func(step parkStep)

	// Counters, off the producers' path.
	created     atomic.Uint64
	removedSlow atomic.Uint64
	delivered   atomic.Uint64
}

// dispatcher is the handle of one run of the dispatch goroutine.
type dispatcher struct {
	stop chan struct{} // closed by the control plane to end the run
	done chan struct{} // closed by the goroutine when it has returned
}

// NewEventStreaming returns an EventStreaming that delivers from history. A
// nil history means an empty private ring, so streams receive nothing. No
// goroutine runs until the first stream is created.
func NewEventStreaming(history *ring.Buffer, opts ...Option) *EventStreaming {
	cfg := config{queueSize: DefaultQueueSize}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	if history == nil {
		history = ring.New(1)
	}
	return &EventStreaming{
		history:   history,
		queueSize: cfg.queueSize,
		logger:    cfg.logger,
		wake:      make(chan struct{}, 1),
		closeDone: make(chan struct{}),
	}
}

// PublishEvent signals that ev and every event added to the ring before it
// can be delivered; the record itself is not used (nil is fine). Call it
// after ring.Add. It is safe from any goroutine, never blocks, takes no lock
// and does not allocate; with no streams it is one atomic load. Calling it
// many times, or for an event already delivered, never duplicates an event.
func (es *EventStreaming) PublishEvent(_ *si.EventRecord) {
	if es == nil {
		return
	}
	for {
		s := es.state.Load()
		if s != stateStreams {
			return // no streams, or the dispatcher is awake or being woken
		}
		if es.state.CompareAndSwap(s, s|statePending) {
			es.kick()
			return
		}
	}
}

// signal wakes the dispatcher unconditionally (control plane).
func (es *EventStreaming) signal() {
	es.state.Or(statePending)
	es.kick()
}

// kick leaves a wake-up token for the dispatcher without blocking.
func (es *EventStreaming) kick() {
	select {
	case es.wake <- struct{}{}:
	default:
	}
}

// CreateEventStream opens a stream named name. It first receives the newest
// count events of history (those readable when it is called; fewer when the
// ring holds fewer; count 0 for none), then every later event, in ID order,
// with no gap and no duplicate. History displaced by the ring before the
// stream starts reading it is skipped; any later loss closes the stream
// (ReasonSlow). After Close it returns a stream whose Events channel is
// already closed (ReasonClosed). It never returns nil.
func (es *EventStreaming) CreateEventStream(name string, count uint64) *EventStream {
	if es == nil {
		return closedStream(nil, name)
	}
	join := es.history.ReadEnd()
	es.mu.Lock()
	if es.closed {
		es.mu.Unlock()
		return closedStream(es, name)
	}
	c := newConsumer(es, name, join, count)
	old := es.list()
	list := make([]*consumer, 0, len(old)+1)
	list = append(append(list, old...), c)
	es.consumers.Store(&list)
	es.state.Or(stateStreams)
	if es.disp == nil {
		es.disp = &dispatcher{stop: make(chan struct{}), done: make(chan struct{})}
		go es.dispatch(es.disp)
	}
	go es.serve(c)
	es.mu.Unlock()
	es.created.Add(1)
	es.signal() // the dispatcher admits c on its next round
	return &EventStream{Events: c.out, consumer: c}
}

// closedStream returns a stream that is already over (ReasonClosed).
func closedStream(owner *EventStreaming, name string) *EventStream {
	c := &consumer{owner: owner, name: name, createdAt: time.Now(),
		out: make(chan *si.EventRecord), done: make(chan struct{})}
	c.reason.Store(uint32(ReasonClosed))
	close(c.out)
	close(c.done)
	return &EventStream{Events: c.out, consumer: c}
}

// RemoveEventStream ends the stream (ReasonRemoved, unless it already ended
// for another reason) and returns once its goroutine has exited and its
// Events channel is closed; records still buffered in the channel can be
// received. Removing nil, twice, or a stream of another EventStreaming does
// nothing.
func (es *EventStreaming) RemoveEventStream(s *EventStream) {
	if es == nil || s == nil || s.consumer == nil || s.consumer.owner != es {
		return
	}
	c := s.consumer
	es.mu.Lock()
	es.unlinkLocked(c)
	es.mu.Unlock()
	c.end(ReasonRemoved)
	<-c.done
}

// GetEventStreams describes the open streams, oldest first. The result is a
// new slice (empty, not nil, when there are none).
func (es *EventStreaming) GetEventStreams() []EventStreamData {
	if es == nil {
		return []EventStreamData{}
	}
	list := es.list()
	out := make([]EventStreamData, 0, len(list))
	for _, c := range list {
		if CloseReason(c.reason.Load()) == ReasonOpen {
			out = append(out, EventStreamData{Name: c.name, CreatedAt: c.createdAt})
		}
	}
	return out
}

// Close ends every stream (ReasonClosed) and stops the dispatcher; later
// CreateEventStream calls return closed streams. It returns once every
// goroutine of the EventStreaming has exited. Calling it again does nothing
// (a concurrent second call waits for the first to finish).
func (es *EventStreaming) Close() {
	if es == nil {
		return
	}
	es.mu.Lock()
	if es.closed {
		es.mu.Unlock()
		<-es.closeDone
		return
	}
	es.closed = true
	list := es.list()
	es.consumers.Store(nil)
	es.state.And(^stateStreams)
	es.stopDispatcherLocked()
	es.mu.Unlock()
	for _, c := range list {
		c.end(ReasonClosed)
	}
	for _, c := range list {
		<-c.done
	}
	close(es.closeDone)
}

// Stats returns a snapshot of the counters. Safe from any goroutine.
func (es *EventStreaming) Stats() Stats {
	if es == nil {
		return Stats{}
	}
	return Stats{
		Streams:            len(es.GetEventStreams()),
		StreamsCreated:     es.created.Load(),
		StreamsRemovedSlow: es.removedSlow.Load(),
		EventsDelivered:    es.delivered.Load(),
	}
}

// list returns the registered consumers (nil when none). Do not modify it.
func (es *EventStreaming) list() []*consumer {
	if p := es.consumers.Load(); p != nil {
		return *p
	}
	return nil
}

// unlinkLocked drops c from the consumer list, if it is there; removing the
// last stream stops the dispatcher. The caller holds es.mu.
func (es *EventStreaming) unlinkLocked(c *consumer) {
	old := es.list()
	i := slices.Index(old, c)
	if i < 0 {
		return
	}
	if len(old) == 1 {
		es.consumers.Store(nil)
		es.state.And(^stateStreams)
		es.stopDispatcherLocked()
		return
	}
	list := make([]*consumer, 0, len(old)-1)
	list = append(append(list, old[:i]...), old[i+1:]...)
	es.consumers.Store(&list)
}

// stopDispatcherLocked ends the dispatch goroutine, if one runs, and waits
// for it to return; it never waits for anything else, so this is safe under
// es.mu. The caller holds es.mu.
func (es *EventStreaming) stopDispatcherLocked() {
	if es.disp == nil {
		return
	}
	close(es.disp.stop)
	<-es.disp.done
	es.disp = nil
}

// cut ends c as slow; the one caller that actually ends it counts and logs it
// before the channel closes, so whoever sees it closed sees both.
func (es *EventStreaming) cut(c *consumer, msg string, lag uint64) {
	if c.claimEnd(ReasonSlow) {
		es.removedSlow.Add(1)
		es.logger.Warn(msg, slog.String("stream", c.name), slog.Uint64("lag", lag),
			slog.Int("queue_size", c.queue.Cap()))
		c.stop()
	}
}

// newConsumer returns the state of a new stream that joins at join (the
// ring's ReadEnd when it was created) and wants count events of history.
func newConsumer(es *EventStreaming, name string, join, count uint64) *consumer {
	return &consumer{
		owner:     es,
		name:      name,
		createdAt: time.Now(),
		join:      join,
		histStart: join - min(count, join),
		out:       make(chan *si.EventRecord, ChannelBuffer),
		queue:     spsc.New[*si.EventRecord](es.queueSize),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
		admitted:  make(chan struct{}),
		wake:      make(chan struct{}, 1),
	}
}
