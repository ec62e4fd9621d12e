package stream

import (
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/internal/spsc"
	"github.com/lfevents/lfevents/ring"
	"golang.org/x/sys/cpu"
)

// Bits of EventStreaming.state.
const (
	// stateStreams: at least one stream is registered.
	stateStreams uint32 = 1 << iota
	// statePending: a wake-up is pending or the dispatcher is awake; a
	// producer that sees it set has nothing to do.
	statePending
)

// Wake-ups (PublishEvent -> dispatcher)
//
// state holds stateStreams and statePending. PublishEvent loads state; only
// when it reads exactly stateStreams (streams exist, no wake-up pending) does
// it CAS statePending in and, if it won, send a token on the 1-buffered wake
// channel without blocking. The control plane (create, and the event system
// after its own steps) sets statePending and sends a token unconditionally.
//
// The dispatcher parks in three steps (dispatch): clear statePending, look at
// the ring's ReadEnd and NextID (and the consumer list) again, and only if
// nothing is new block on wake (with a timer when NextID is above ReadEnd,
// see below). Take any event E, claimed by producer P, and P's PublishEvent
// call after its Add. Go's atomics are sequentially consistent: P's claim
// (an atomic add) comes before P's load of state, and the dispatcher's clear
// before its loads of the ring, in one order that everybody agrees on:
//   - P's load of state comes after the clear: P reads stateStreams and sends
//     a token (or another producer did since the clear, and a token is in
//     wake), so the block returns at once and the dispatcher looks again;
//   - P's load comes before the clear: then so does P's claim, and the
//     dispatcher's NextID, loaded after the clear, counts E. Either E is
//     readable by then (ReadEnd passed it: the dispatcher delivers instead
//     of parking), or it is not and NextID is above ReadEnd: the dispatcher
//     then blocks with a timer (20 µs, doubling to 1 ms while nothing can be
//     delivered) and looks again when it fires.
//
// E may be unreadable at that moment for two reasons. Its writer has not
// published yet (it is between its claim and its publish, or an earlier
// writer is, leaving a hole before E). Or its writer has published, but the
// ring publishes with a release store (internal/atomicx), which orders the
// record before the sequence number but not the store before the writer's
// later load of state: that load may complete first, so P may see the flag
// the dispatcher clears a moment later while its record is not yet visible
// to the dispatcher. Either way no token may come for E, and the timer is
// what makes the dispatcher look again.
//
// The ring's ReadEnd can also grow without a writer: when a Resize swaps in
// its new view (whoever resizes must call PublishEvent afterwards; the event
// system does). While the dispatcher is busy statePending stays set and
// PublishEvent is one load of a line that nobody writes. Delivery reads the
// ring by ID from the dispatcher's position, so extra, stale or repeated
// tokens or timers cost one look at the ring and never duplicate an event.
// Tests: wakeup_test.go forces each ordering.

// Consumer list: consumers is a copy-on-write snapshot, replaced (never
// modified) under mu by create, remove, close and a cut-off stream's
// goroutine on its way out (finish); the dispatcher and
// GetEventStreams only load it.

// EventStreaming fans the history ring out to live streams. Create it with
// NewEventStreaming; the zero value is not usable. Its methods are safe for
// concurrent use. Adding an event to the ring and then calling PublishEvent
// happens before any stream's receive of that event.
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

	// mu serializes the control plane: the Create methods, the Remove methods
	// (by the caller or by a cut-off stream's goroutine on its way out) and
	// Close. It guards closed, disp and every store to consumers. It is never
	// taken by PublishEvent, the dispatcher or delivery.
	mu        sync.Mutex
	closed    bool
	closeDone chan struct{} // closed when the first Close has finished
	disp      *dispatcher   // the running dispatcher, nil when no stream exists

	// serving counts the streams' goroutines that have been started and
	// have not yet finished (see "Ending a stream" on Close). open adds one
	// under mu while closed is false, so every Add comes before Close's
	// Wait; finish calls Done as its last step.
	serving sync.WaitGroup

	// testHookRead, when set by a test before the first stream, runs in the
	// dispatcher before each ring read of position p.
	testHookRead func(p uint64)
	// testHookPark, when set by a test before the first stream, runs in the
	// dispatcher at each step of parking.
	testHookPark func(step parkStep)
	// testHookRecheckEnd, when set by a test before the first stream,
	// replaces the read end a parking dispatcher sees after its clear.
	testHookRecheckEnd func(end uint64) uint64
	// testHookOpen, when set by a test, runs in a Create method once the
	// stream's join position is fixed, before it is registered.
	testHookOpen func(join uint64)
	// testHookSnapshot, when set by a test, runs in a Create method between
	// taking the ring's read end and copying the history before it.
	testHookSnapshot func()
	// testHookRemove, when set by a test before the stream is removed, runs
	// in remove between ending the stream and unregistering it.
	testHookRemove func()
	// testHookFinish, when set by a test before the first stream, runs in a
	// stream's goroutine on its way out, once it has unregistered the stream
	// and before it reports its exit.
	testHookFinish func(c *consumer)
	// testHookCloseWait, when set by a test before Close, runs in Close once
	// it has ended every stream, before it waits for their goroutines.
	testHookCloseWait func()

	// Counters, off the producers' path.
	created     atomic.Uint64
	removedSlow atomic.Uint64
	delivered   atomic.Uint64
}

// Stats is a snapshot of an EventStreaming's counters.
type Stats struct {
	// Streams is the number of open streams.
	Streams int
	// StreamsCreated counts the streams created (not those created after
	// Close).
	StreamsCreated uint64
	// StreamsRemovedSlow counts streams cut off as slow (ReasonSlow),
	// including those whose history the ring overwrote first.
	StreamsRemovedSlow uint64
	// EventsDelivered counts events sent on stream channels, over all
	// streams (gap items are not events).
	EventsDelivered uint64
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

// PublishEvent signals that the event given and every event added to the
// ring before it can be delivered; the record itself is not used (nil is
// fine). Call it after ring.Add, and after anything else that makes more of the ring
// readable (a Resize). It is safe from any goroutine, never blocks, takes no
// lock and does not allocate; with no streams it is one atomic load. Calling
// it many times, or for an event already delivered, never duplicates an
// event.
func (es *EventStreaming) PublishEvent(_ *si.EventRecord) {
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
// count events of history as of the call, all of them (fewer only when the
// ring holds fewer; count 0 for none), then every later event, in ID order,
// with no gap and no duplicate. If that cannot be done (the ring overwrote
// events the stream needs before they were handed to it), the stream is cut
// off: its channel closes with ReasonSlow, and the cut is logged and counted;
// it never starts later silently. After Close it returns a stream whose
// Events channel is already closed (ReasonClosed). It never returns nil.
//
// The history is copied when the stream is created, as the reference design
// does: the stream holds count records (at most the ring's capacity) until
// its reader has received them.
func (es *EventStreaming) CreateEventStream(name string, count uint64) *EventStream {
	c, out := es.newConsumer(name, nil), make(chan *si.EventRecord, ChannelBuffer)
	c.out = out
	es.openRecent(c, count)
	return &EventStream{Events: out, consumer: c}
}

// CreateRecentEventStream is CreateEventStream with event IDs and stream
// options: the newest count events of history as of the call (count counts
// events before any filter), then every later event, each with its ID.
func (es *EventStreaming) CreateRecentEventStream(name string, count uint64, opts ...StreamOption) *IDStream {
	c, items := es.newConsumer(name, opts), make(chan Item, ChannelBuffer)
	c.items = items
	es.openRecent(c, count)
	return &IDStream{Items: items, consumer: c}
}

// CreateEventStreamFrom opens a stream of every event with an ID from fromID
// on, in ID order, with no duplicate, each with its ID: first those history
// holds, then every later event. If history no longer holds some of them,
// the first item is a gap for [fromID, lowest ID held). History is read from
// the ring as the reader takes it; should the ring overwrite events before
// the stream read them, a gap item reports those too. New events wait in the
// stream's queue meanwhile: if more arrive than it holds, while the stream
// reads history or later, the stream is cut off (ReasonSlow), as every
// stream is.
//
// A fromID above the ID the next event will get is treated as that ID: the
// stream starts with the next new event. To resume after having received
// event L, pass L+1. After Close it returns a stream whose Items channel is
// already closed (ReasonClosed). It never returns nil.
func (es *EventStreaming) CreateEventStreamFrom(name string, fromID uint64, opts ...StreamOption) *IDStream {
	c, items := es.newConsumer(name, opts), make(chan Item, ChannelBuffer)
	c.items = items
	end := es.history.ReadEnd()
	fromID = min(fromID, es.history.NextID()) // NextID() >= end: loaded later
	c.replayFrom, c.join = fromID, max(fromID, end)
	es.open(c, true)
	return &IDStream{Items: items, consumer: c}
}

// snapshotTries bounds how often openRecent copies the history again when
// the ring overwrote part of it during the copy (only a ring much smaller
// than the rate of events can do that).
const snapshotTries = 8

// openRecent copies the newest count events of history into c and opens it;
// it cuts c off if no consistent copy could be made.
func (es *EventStreaming) openRecent(c *consumer, count uint64) {
	for range snapshotTries {
		// lowest before end: the ring held [lowest', end) when end was
		// taken, with lowest' >= lowest. A start below lowest' cannot be
		// copied, so the copy fails and is made again; a copy that succeeds
		// is the newest min(count, held) events as of end. (lowest taken
		// after end could be above what the ring held then, and would
		// shorten the history silently.)
		lowest := es.history.GetLowestID()
		end := es.history.ReadEnd()
		start := max(end-min(count, end), lowest)
		if start >= end { // count 0, or nothing readable held
			c.replayFrom, c.join = end, end
			es.open(c, true)
			return
		}
		if es.testHookSnapshot != nil {
			es.testHookSnapshot()
		}
		recs, _, _ := es.history.AppendEventsFromID(make([]*si.EventRecord, 0, end-start), start, end-start)
		if uint64(len(recs)) == end-start {
			c.snapshot, c.replayFrom, c.join = recs, end, end
			es.open(c, true)
			return
		}
	}
	es.open(c, false)
}

// open registers c and starts its goroutine. When the streaming is closed,
// c ends at once with ReasonClosed; otherwise, without ok, it ends at once as
// cut off (its history could not be copied).
func (es *EventStreaming) open(c *consumer, ok bool) {
	if es.testHookOpen != nil {
		es.testHookOpen(c.join)
	}
	es.mu.Lock()
	if es.closed || !ok {
		closed := es.closed
		es.mu.Unlock()
		if closed { // no queue: nothing will ever be pushed
			c.reason.Store(uint32(ReasonClosed))
		} else {
			es.created.Add(1)
			es.cut(c, "event stream cut off: ring overwrote its history while it was copied", 0)
		}
		c.closeOutput()
		close(c.done)
		return
	}
	c.queue = spsc.New[entry](es.queueSize)
	es.created.Add(1) // before anyone can see the stream or cut it (Stats)
	old := es.list()
	list := make([]*consumer, 0, len(old)+1)
	list = append(append(list, old...), c)
	es.consumers.Store(&list)
	es.state.Or(stateStreams)
	if es.disp == nil {
		es.disp = newDispatcher()
		go es.dispatch(es.disp)
	}
	es.serving.Add(1)
	go es.serve(c)
	es.mu.Unlock()
	es.signal() // the dispatcher admits c on its next round
}

// RemoveEventStream ends the stream (ReasonRemoved, unless it already ended
// for another reason) and returns once its goroutine has exited and its
// Events channel is closed; records still buffered in the channel can be
// received. Removing nil, twice, or a stream of another EventStreaming does
// nothing.
func (es *EventStreaming) RemoveEventStream(s *EventStream) {
	if s != nil {
		es.remove(s.consumer)
	}
}

// RemoveIDStream is RemoveEventStream for a stream with IDs.
func (es *EventStreaming) RemoveIDStream(s *IDStream) {
	if s != nil {
		es.remove(s.consumer)
	}
}

func (es *EventStreaming) remove(c *consumer) {
	if c == nil || c.owner != es {
		return
	}
	c.end(ReasonRemoved) // first: see "Ending a stream" on Close
	if es.testHookRemove != nil {
		es.testHookRemove()
	}
	es.mu.Lock()
	es.unlinkLocked(c)
	es.mu.Unlock()
	<-c.done
}

// GetEventStreams describes the open streams (of every kind), oldest first.
// The result is a new slice (empty, not nil, when there are none).
func (es *EventStreaming) GetEventStreams() []EventStreamData {
	list := es.list()
	out := make([]EventStreamData, 0, len(list))
	for _, c := range list {
		if c.closeReason() == ReasonOpen {
			out = append(out, EventStreamData{Name: c.name, CreatedAt: c.createdAt})
		}
	}
	return out
}

// Ending a stream
//
// A stream's goroutine runs until its quit is closed (serve returns only
// then), and then, in finish, closes the stream's channel, unregisters the
// stream, closes done and leaves serving. Three parties end streams: Remove,
// the dispatcher (cut), and Close. Each ends a stream (claimEnd, then closes
// quit) before the stream leaves the list: Remove ends it, then unregisters
// it; a cut stream stays listed until its own goroutine, which only gets
// there after quit, unregisters it. So a stream that Close does not find in
// the list has quit closed already: its goroutine is on its way out and sends
// nothing more (sendUnlessQuit gives up on quit; a reader that never reads
// cannot hold it). Close ends the streams it finds, then waits on serving,
// which counts every stream goroutine started, listed or not: when Close
// returns, no goroutine of the EventStreaming runs any more code of ours (the
// dispatcher was stopped under mu, and each stream goroutine has done its
// last step and only returns), and every stream's channel is closed.
//
// Close waits on nothing that waits for Close: it waits for the stream
// goroutines (which take mu in finish) only after it has released mu, and a
// concurrent Remove has ended its stream before it waits for anything. Under
// mu it waits only for the dispatcher, which may be in a filter or logger
// call; those must not call back (WithFilter, WithLogger).

// Close ends every stream (ReasonClosed) and stops the dispatcher; streams
// created later are closed at once. It returns once every goroutine of the
// EventStreaming has exited, those of streams already cut off or being
// removed included, and every stream's channel is closed; it never waits for
// a reader. Calling it again does nothing (a concurrent second call waits for
// the first to finish).
func (es *EventStreaming) Close() {
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
	if es.testHookCloseWait != nil {
		es.testHookCloseWait()
	}
	es.serving.Wait()
	close(es.closeDone)
}

// Stats returns a snapshot of the counters. Taken while streams come and go,
// it is consistent in that Streams + StreamsRemovedSlow <= StreamsCreated:
// a stream is counted as created before it is registered (so before it can be
// listed or cut), a cut stream is no longer listed, and the counters are read
// in the opposite order (cuts, then the list, then creations).
func (es *EventStreaming) Stats() Stats {
	slow := es.removedSlow.Load()
	streams := len(es.GetEventStreams())
	return Stats{
		Streams:            streams,
		StreamsCreated:     es.created.Load(),
		StreamsRemovedSlow: slow,
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
		size := es.queueSize // a stream cut before it was registered has no queue
		if c.queue != nil {
			size = c.queue.Cap()
		}
		es.logger.Warn(msg, slog.String("stream", c.name), slog.Uint64("lag", lag),
			slog.Int("queue_size", size))
		c.stop()
	}
}

// newConsumer returns the state of a new stream, without its output channel,
// positions and queue (open allocates the queue of a stream it registers).
func (es *EventStreaming) newConsumer(name string, opts []StreamOption) *consumer {
	var sc streamConfig
	for _, o := range opts {
		if o != nil {
			o(&sc)
		}
	}
	return &consumer{
		owner:     es,
		name:      name,
		createdAt: time.Now(),
		keep:      sc.keep,
		progress:  sc.progress,
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
		wake:      make(chan struct{}, 1),
	}
}
