package system

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/internal/dedup"
	"github.com/lfevents/lfevents/ring"
	"github.com/lfevents/lfevents/store"
	"github.com/lfevents/lfevents/stream"
	"golang.org/x/sys/cpu"
)

// Lifecycle states, in EventSystemImpl.state.
const (
	stateNew     uint32 = iota // not started yet: events are kept
	stateRunning               // started: events are kept
	stateStopped               // stopped: events are rejected and counted
)

// The hot path
//
// AddEvent runs in the caller's goroutine and, for a non-nil record while the
// system is not stopped, does exactly this: one atomic load of state,
// prepareRecord (a length check of the message, cut only when over
// MaxMessageLength; UTF-8 repair is the publisher's, see marshalSafe),
// ring.Add (one contended atomic add claims the event ID,
// then a slot write and a publish), Store.StoreWithID (the store is sequenced
// by the ring's IDs, so it claims nothing: one atomic pointer store into its
// batch), and PublishEvent on the current streaming (one atomic load when no
// stream exists; with streams, at most a CAS and a non-blocking send that
// wakes the idle dispatcher). No mutex, no blocking, no allocation, and
// nothing counted: the counters of Metrics are derived from the ring's and the
// store's ID sequences.
//
// With Config.DedupWindow on, one more step comes between prepareRecord and
// ring.Add: a lookup in the duplicate table (internal/dedup: a hash of each
// compared field, one bucket of four entries on one cache line, two atomic
// stores when it remembers the record). A duplicate
// returns there, counted, before it claims an ID. Off, the step is one
// atomic load of a nil pointer.

// The hot path against the control plane
//
// Who writes state: only the control plane (StartService,
// StartServiceWithPublisher, Stop, Restart, and Init retiring the process-wide
// system), serialized by ctl. Who reads it: every AddEvent, once, with no
// lock. AddEvent never takes ctl.
//
// The race with Stop: Stop first stores stateStopped, then stops the publisher
// (which makes one last collect-and-send), then closes the streams. An
// AddEvent that loaded "running" just before that store goes on: its record
// goes into the ring and into the store all the same. If its ring.Add came
// before the final collect cut its batch, the event belongs to that batch (a
// cut covers every ID below the ring's NextID at that moment) and the collect
// waits for its store write: it goes out in the last batch. If it came later,
// the event waits in the store and goes out with the first batch after the
// next start (or is collected by whoever calls Store.CollectEvents). Either
// way it is in history and in exactly one batch: nothing is lost, nothing is
// sent twice. Its PublishEvent may reach the closed streaming, where it is a
// no-op; streams opened after the next start read it from history. Every
// AddEvent that loads stateStopped is rejected and counted; one that loads it
// just before a start is rejected although the start is under way, which is
// the same as having arrived a moment earlier.
//
// The race with Start: Start prepares everything (a fresh streaming, the
// publisher) and stores stateRunning last, so an AddEvent that sees "running"
// finds the system ready.
//
// The streaming is replaced (never modified) by the control plane: a start
// after Stop, CloseAllStreams and a tracking change each store a fresh one
// with one atomic pointer swap and then close the old one. An AddEvent that
// loaded the old pointer just before may still call its PublishEvent; on a
// closed streaming that is a no-op, and the garbage collector keeps the old
// one alive for as long as such a call runs. Its event is in history, which is
// where every stream of the fresh streaming reads from. The old streaming
// stays in closing until its Close has returned, so that a RemoveStream
// racing the swap still finds its stream there (removeFrom).
//
// Every ID the ring hands out reaches the store exactly once (StoreWithID
// after ring.Add, StoreRunWithID after ring.AddBatch), as the sequenced store
// requires (its collector waits for the IDs of its batch): nothing between
// the claim and the store call can return early or panic.

// EventSystemImpl is the lock-free event system: an EventSystem with the
// methods of the reference design's implementation and this library's
// additions (Reconfigure, Metrics, Config, streams from an ID). Build it with
// New; the zero value is not usable.
//
// Every method is safe for concurrent use. AddEvent never blocks and never
// drops a record while the system is not stopped. The read methods never
// wait for a writer. The control-plane methods (StartService,
// StartServiceWithPublisher, Stop, Restart, CloseAllStreams, Reconfigure)
// are serialized among themselves; Stop, Restart and Reconfigure wait for a
// SendEvent in progress. A record whose AddEvent returned before Stop was
// called is in history and, if the store had room for it, in the last batch
// that Stop hands to the plugin (or still in the store, if no plugin is
// registered).
type EventSystemImpl struct {
	// Store is the batch that the publisher hands to the plugin. It is set by
	// New and must not be replaced. It is sequenced by the history's event
	// IDs: only the system itself may add to it (its Store method counts a
	// record as not stored); CollectEvents may be called by anybody, which
	// takes the events away from the publisher.
	Store *store.EventStore

	// Read by every AddEvent; written only by the control plane (state,
	// streaming) or never after New (history).
	state     atomic.Uint32
	history   *ring.Buffer
	streaming atomic.Pointer[stream.EventStreaming]
	// dupes is the duplicate table, nil while Config.DedupWindow is off:
	// one atomic load per AddEvent. Replaced (never modified) by New and
	// Reconfigure; see internal/dedup for its protocol.
	dupes atomic.Pointer[dedup.Table]
	_     cpu.CacheLinePad

	// suppressed counts records dropped as duplicates; every table the
	// system installs counts into it (the flood path, on its own line).
	suppressed atomic.Uint64
	// suppressedLogged is the count the last "duplicate events suppressed"
	// line reported, shared by the tables like suppressed.
	suppressedLogged atomic.Uint64
	_                cpu.CacheLinePad

	// rejected counts AddEvent calls while stopped (the cold path).
	rejected atomic.Uint64
	_        cpu.CacheLinePad

	// Read by the getters without a lock; written under ctl.
	tracking   atomic.Bool
	requestCap atomic.Uint64
	// closing is the streaming being replaced while replaceStreamingLocked
	// closes it, else nil: stored before the swap, cleared once the old
	// streaming's Close has returned. Read by RemoveStream and
	// RemoveIDStream (see removeFrom).
	closing atomic.Pointer[stream.EventStreaming]

	// current is the normalized Config in use, for Config and for the
	// publisher's loss report: stored under ctl, read without a lock.
	current atomic.Pointer[Config]

	// ctl serializes the control plane: StartService,
	// StartServiceWithPublisher, Stop, Restart, CloseAllStreams and
	// Reconfigure. It guards the fields below. AddEvent and the read methods
	// never take it.
	ctl         sync.Mutex
	cfg         Config // normalized
	publisher   *EventPublisher
	publisherOn bool // the publisher was started with the service

	// deferred counts the control-plane calls from the plugin that run on
	// their own goroutine (see calledFromPlugin); tests wait for them.
	deferred sync.WaitGroup

	// The loss reports' state. Touched by the publisher's run goroutine
	// while a run is on (one run at a time: a run starts after the previous
	// one returned), and by stopLocked under ctl while none is: after
	// publisher.Stop has returned (the run goroutine's close of done
	// publishes its writes to Stop) and before the next publisher start
	// (whose go statement publishes stopLocked's writes to the new run).
	notStoredReport rateLimited
	cutSlowReport   rateLimited

	// metricsMu makes the swap of a streaming and the retirement of its
	// counters one step for Metrics. Taken by Metrics and, under ctl, by the
	// swap; never by AddEvent.
	metricsMu sync.Mutex
	retired   stream.Stats // counters of the streamings closed and replaced
}

// Compile-time check: EventSystemImpl is a drop-in EventSystem.
var _ EventSystem = (*EventSystemImpl)(nil)

// New returns an event system configured by cfg (zero fields take their
// defaults, see Config). It is not started: events added before the first
// start are kept in history and in the store, and streams can be opened.
// No goroutine runs until a stream is opened or the system is started.
func New(cfg Config) *EventSystemImpl {
	asked := cfg
	cfg = cfg.normalized()
	warnClamped(cfg.Logger, asked, cfg)
	history := ring.New(cfg.RingBufferCapacity)
	e := &EventSystemImpl{
		Store:   store.NewSequenced(cfg.RequestCapacity, history.NextID),
		history: history,
		cfg:     cfg,
	}
	e.current.Store(&cfg)
	e.tracking.Store(cfg.TrackingEnabled)
	e.requestCap.Store(cfg.RequestCapacity)
	e.dupes.Store(e.newDedup(cfg))
	e.streaming.Store(e.newStreaming())
	e.publisher = newPublisher(e.Store)
	e.publisher.configure(cfg.publisherSettings())
	e.publisher.report = func() { e.reportLosses(false) }
	return e
}

// newDedup builds the duplicate table for cfg, or nil when it is off.
func (e *EventSystemImpl) newDedup(cfg Config) *dedup.Table {
	if cfg.DedupWindow <= 0 {
		return nil
	}
	return dedup.New(dedup.Config{Window: cfg.DedupWindow, Logger: cfg.Logger,
		Counter: &e.suppressed, Logged: &e.suppressedLogged})
}

// newStreaming builds a streaming over the history with the current config.
func (e *EventSystemImpl) newStreaming() *stream.EventStreaming {
	return stream.NewEventStreaming(e.history,
		stream.WithQueueSize(e.cfg.StreamQueueSize), stream.WithLogger(e.cfg.Logger))
}

// StartService starts the system with its publisher; see
// StartServiceWithPublisher.
func (e *EventSystemImpl) StartService() {
	e.StartServiceWithPublisher(true)
}

// StartServiceWithPublisher starts the system and returns at once. With
// withPublisher, the publisher hands the store to the plugin every push
// interval; without it, events wait in the store (a caller may collect them
// with Store.CollectEvents). A start after Stop opens a fresh streaming, so
// streams can be created again, and accepts events again. Starting a running
// system is a no-op. Safe to race with AddEvent and the other lifecycle
// methods.
func (e *EventSystemImpl) StartServiceWithPublisher(withPublisher bool) {
	e.control("StartService", func() { e.startLocked(withPublisher) })
}

func (e *EventSystemImpl) startLocked(withPublisher bool) {
	state := e.state.Load()
	if state == stateRunning {
		return
	}
	if state == stateStopped {
		e.replaceStreamingLocked() // Stop closed the old one
	}
	if withPublisher {
		e.publisher.StartService()
	}
	e.publisherOn = withPublisher
	e.state.Store(stateRunning) // last: AddEvent that sees it finds all ready
	e.cfg.Logger.Info("event system started",
		slog.Bool("publisher", withPublisher),
		slog.Uint64("ringBufferCapacity", e.history.Capacity()),
		slog.Uint64("requestCapacity", e.cfg.RequestCapacity),
		slog.Duration("pushInterval", e.cfg.PushInterval))
}

// Stop stops a running system: from now on AddEvent rejects and counts
// records until the next start; the publisher makes one last push (collect
// and send, if a plugin is registered) and stops; every stream is closed;
// losses not logged yet (events not stored, streams cut as slow, those cut
// during Stop included) are logged at once, if the publisher was running
// (see LossReportInterval). It returns when the publisher's and the
// streams' goroutines have exited, so it waits for a SendEvent in progress.
// Stop before any start, or on a stopped system, is a no-op (streams opened
// before the first start stay open: remove them). Safe to race with
// AddEvent and the other lifecycle methods.
func (e *EventSystemImpl) Stop() {
	e.control("Stop", func() { e.stopLocked(true) })
}

// stopLocked stops a running system. With final (Stop, and Init retiring
// the system; not Restart, whose next run reports as usual), the losses not
// reported yet are reported at once, after the streams are closed, so that
// a stream cut after the publisher's last push is in it (see "Loss
// reports").
func (e *EventSystemImpl) stopLocked(final bool) {
	if e.state.Load() != stateRunning {
		return
	}
	e.state.Store(stateStopped) // first: see "Hot path against the control plane"
	e.publisher.Stop()
	e.streaming.Load().Close()
	if final && e.publisherOn {
		// The run goroutine has returned (publisher.Stop waited for it):
		// the loss reports are ours until the next StartService.
		e.reportLosses(true)
	}
	e.publisherOn = false
	e.cfg.Logger.Info("event system stopped",
		slog.Uint64("rejectedSoFar", e.rejected.Load()),
		slog.Uint64("waitingInStore", e.Store.CountStoredEvents()))
}

// control runs the control-plane step f (named op in logs) under ctl, or,
// when called from the plugin's SendEvent, later on a new goroutine (see
// calledFromPlugin).
func (e *EventSystemImpl) control(op string, f func()) {
	if e.calledFromPlugin(op, func() { e.control(op, f) }) {
		return
	}
	e.ctl.Lock()
	defer e.ctl.Unlock()
	f()
}

// calledFromPlugin reports whether the caller is the publisher's goroutine,
// inside the plugin's SendEvent. A control-plane call from there would wait
// for that SendEvent to return, or for ctl held by a call that waits for it:
// so the call (op, redone by again) is logged and carried out on a new
// goroutine, which gets through once SendEvent has returned.
func (e *EventSystemImpl) calledFromPlugin(op string, again func()) bool {
	r := e.publisher.onRunGoroutine()
	if r == nil {
		return false
	}
	r.logger.Error("event system "+op+" called from the plugin's SendEvent; "+
		"carried out on a new goroutine once SendEvent returns", slog.String("call", op))
	e.deferred.Add(1)
	go func() {
		defer e.deferred.Done()
		again()
	}()
	return true
}

// retire stops the system for good in any state: like Stop, and a system
// that was never started is moved to stopped with its streams closed. It is
// Init's step of the control plane: called from the plugin's SendEvent (a
// plugin that calls Init), it is carried out on a new goroutine, as the
// other control-plane methods are (see calledFromPlugin).
func (e *EventSystemImpl) retire() {
	if e.calledFromPlugin("Init", e.retire) {
		return
	}
	e.ctl.Lock()
	defer e.ctl.Unlock()
	if e.state.Load() == stateNew {
		e.state.Store(stateStopped)
		e.streaming.Load().Close()
		return
	}
	e.stopLocked(true)
}

// Restart is Stop followed by StartService, as one step of the control
// plane: no other lifecycle call runs in between. Events that arrive in
// between are rejected and counted. On a system that was never started it
// just starts it.
func (e *EventSystemImpl) Restart() {
	e.control("Restart", func() {
		e.stopLocked(false)
		e.startLocked(true)
	})
}

// CloseAllStreams closes every open stream and leaves the system as it is:
// new streams can be created at once (unless the system is stopped). It
// returns once the streams' goroutines have exited and their channels are
// closed.
func (e *EventSystemImpl) CloseAllStreams() {
	e.control("CloseAllStreams", func() {
		if e.state.Load() != stateStopped { // else Stop closed them all already
			e.replaceStreamingLocked()
		}
	})
}

// replaceStreamingLocked closes the current streaming (ending its streams)
// and puts a fresh one in its place, keeping the old one's counters. The old
// one is in closing from before the swap until its Close has returned.
func (e *EventSystemImpl) replaceStreamingLocked() {
	e.metricsMu.Lock()
	defer e.metricsMu.Unlock()
	e.closing.Store(e.streaming.Load())
	old := e.streaming.Swap(e.newStreaming())
	e.wakeStreams()
	old.Close()
	e.closing.Store(nil)
	st := old.Stats()
	e.retired.StreamsCreated += st.StreamsCreated
	e.retired.StreamsRemovedSlow += st.StreamsRemovedSlow
	e.retired.EventsDelivered += st.EventsDelivered
}

// IsEventTrackingEnabled reports Config.TrackingEnabled (advisory: history is
// kept either way).
func (e *EventSystemImpl) IsEventTrackingEnabled() bool {
	return e.tracking.Load()
}

// GetEventsFromID returns up to count consecutive events of history from id
// on, with the lowest ID held and the newest readable ID; see
// ring.Buffer.GetEventsFromID.
// It never blocks a writer.
func (e *EventSystemImpl) GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	return e.history.GetEventsFromID(id, count)
}

// GetRecentEvents returns the newest count events of history, oldest first.
func (e *EventSystemImpl) GetRecentEvents(count uint64) []*si.EventRecord {
	return e.history.GetRecentEvents(count)
}

// GetLastEventID returns the ID of the newest readable event in history (0
// when empty; see ring.Buffer.GetLastEventID for the case of a lowest ID
// still being written).
func (e *EventSystemImpl) GetLastEventID() uint64 {
	return e.history.GetLastEventID()
}

// CreateEventStream opens a stream; see EventSystem. While the system is
// stopped it returns a stream whose channel is already closed.
func (e *EventSystemImpl) CreateEventStream(name string, count uint64) *stream.EventStream {
	return e.streaming.Load().CreateEventStream(name, count)
}

// RemoveStream ends the stream and returns once its channel is closed; nil,
// twice, a stream that already ended or another system's stream is a no-op.
// A stream of this system is removed even while CloseAllStreams, a restart or
// a tracking change is replacing the streaming it belongs to.
func (e *EventSystemImpl) RemoveStream(s *stream.EventStream) {
	e.removeFrom(func(es *stream.EventStreaming) { es.RemoveEventStream(s) })
}

// GetEventStreams describes the open streams.
func (e *EventSystemImpl) GetEventStreams() []stream.EventStreamData {
	return e.streaming.Load().GetEventStreams()
}

// GetRequestCapacity returns the store's capacity (Config.RequestCapacity):
// how many events wait for the publisher at most. A change by Reconfigure
// shows at once, although the store applies it from its next collect on.
func (e *EventSystemImpl) GetRequestCapacity() uint64 {
	return e.requestCap.Load()
}

// GetRingBufferCapacity returns the history's capacity
// (Config.RingBufferCapacity).
func (e *EventSystemImpl) GetRingBufferCapacity() uint64 {
	return e.history.Capacity()
}

// Config returns the configuration in use: every default applied and every
// size clamped to its cap (see Config), Logger resolved, Plugin as given (nil:
// the process-wide one). It never blocks.
func (e *EventSystemImpl) Config() Config {
	return *e.current.Load()
}

// Reconfigure applies cfg (normalized as in New) to the system in whatever
// state it is, without losing events that still fit:
//   - RingBufferCapacity: history is resized, keeping the newest events that
//     fit, with their IDs.
//   - RequestCapacity: the store takes it from its next collect on; the
//     events waiting now stay.
//   - PushInterval, Plugin, Logger: a running publisher is restarted with
//     them (its stop makes a push, so nothing waits longer than before).
//   - TrackingEnabled: when it changes on a running system, the system
//     restarts (a push, then every stream closed, ReasonClosed), where the
//     reference design calls Restart on a config change; but without passing
//     through the stopped state: no event is rejected meanwhile. Reconfigure
//     never starts or stops the system: on one that is not running, the
//     change is only recorded (its streams stay as they are).
//   - StreamQueueSize: applies to streams created after the next start,
//     restart or CloseAllStreams.
func (e *EventSystemImpl) Reconfigure(cfg Config) {
	if e.calledFromPlugin("Reconfigure", func() { e.Reconfigure(cfg) }) {
		return
	}
	asked := cfg
	cfg = cfg.normalized()
	log := cfg.Logger
	warnClamped(log, asked, cfg)
	e.ctl.Lock()
	defer e.ctl.Unlock()
	old := e.cfg
	e.cfg = cfg
	e.current.Store(&cfg)
	if cfg.RingBufferCapacity != old.RingBufferCapacity {
		e.history.Resize(cfg.RingBufferCapacity)
		log.Info("event history resized",
			slog.Uint64("from", old.RingBufferCapacity), slog.Uint64("to", cfg.RingBufferCapacity))
	}
	if cfg.RequestCapacity != old.RequestCapacity {
		e.Store.SetStoreSize(cfg.RequestCapacity)
		e.requestCap.Store(cfg.RequestCapacity)
		log.Info("event store resized",
			slog.Uint64("from", old.RequestCapacity), slog.Uint64("to", cfg.RequestCapacity))
	}
	if cfg.DedupWindow != old.DedupWindow || cfg.Logger != old.Logger {
		e.dupes.Store(e.newDedup(cfg)) // a fresh memory; the count goes on
		if cfg.DedupWindow != old.DedupWindow {
			log.Info("duplicate suppression window changed",
				slog.Duration("from", old.DedupWindow), slog.Duration("to", cfg.DedupWindow))
		}
	}
	trackingChanged := cfg.TrackingEnabled != old.TrackingEnabled
	e.tracking.Store(cfg.TrackingEnabled)

	running := e.state.Load() == stateRunning
	if running && e.publisherOn {
		e.publisher.Stop()
	}
	e.publisher.configure(cfg.publisherSettings())
	if running && trackingChanged {
		e.replaceStreamingLocked()
	}
	if running && e.publisherOn {
		e.publisher.StartService()
	}
	e.wakeStreams() // after the Resize: see wakeStreams
	log.Info("event system reconfigured",
		slog.Bool("trackingEnabled", cfg.TrackingEnabled),
		slog.Bool("restarted", running && trackingChanged),
		slog.Duration("pushInterval", cfg.PushInterval),
		slog.Int("streamQueueSize", cfg.StreamQueueSize))
}

// Metrics is a snapshot of an event system's counters, over its life, and of
// a few gauges (marked so). Each field is read atomically, but the snapshot
// is not one instant: while events flow, fields read later may include
// events that earlier ones do not. Taking it costs AddEvent nothing.
type Metrics struct {
	// Created is the number of non-nil records given to AddEvent:
	// Channeled + NotChanneled + DuplicatesSuppressed.
	Created uint64
	// Channeled is the number of records accepted (added while not stopped):
	// the history's next event ID. It includes records whose AddEvent is
	// still in progress.
	Channeled uint64
	// NotChanneled is the number of records rejected because the system was
	// stopped. (The reference design also drops here when its channel is
	// full; this system never does.)
	NotChanneled uint64
	// Processed is the number of accepted records fully written to history:
	// the ID one past the newest readable event. It trails Channeled only by
	// AddEvent calls in progress.
	Processed uint64
	// Stored is the number of accepted records that went into the store
	// (handed to the publisher, or waiting).
	Stored uint64
	// NotStored is the number of accepted records that found the store full
	// (its RequestCapacity reached between two collects). They are still in
	// history and streams.
	NotStored uint64
	// Collected is the number of records the publisher took from the store
	// and handed to a plugin.
	Collected uint64
	// StreamsRemovedSlow is the number of streams cut off because they did
	// not keep up (including those the history overran).
	StreamsRemovedSlow uint64
	// StreamEventsDelivered is the number of records delivered on stream
	// channels, over all streams.
	StreamEventsDelivered uint64
	// PluginPanics is the number of SendEvent calls that panicked (and were
	// recovered) or called runtime.Goexit. Their batches count in Collected
	// and PublisherBatches.
	PluginPanics uint64

	// StreamsOpen is the number of streams open now (a gauge).
	StreamsOpen uint64
	// StreamsCreated is the number of streams opened, over the system's life.
	// StreamsCreated - StreamsOpen - StreamsRemovedSlow streams ended
	// otherwise: removed by their consumer, or closed by Stop,
	// CloseAllStreams or a tracking change.
	StreamsCreated uint64

	// HistoryLowestID is the ID of the oldest event history holds (0 when it
	// holds none).
	HistoryLowestID uint64
	// HistoryNextID is the ID the next accepted event gets: the number of
	// events accepted so far (equal to Channeled).
	HistoryNextID uint64
	// HistoryCapacity is the number of newest events history keeps (the
	// RingBufferCapacity in use).
	HistoryCapacity uint64

	// StoreWaiting is the number of events in the store waiting for the
	// next push (a gauge).
	StoreWaiting uint64
	// StoreCapacity is the most events the store holds between two pushes
	// (the RequestCapacity in use).
	StoreCapacity uint64
	// PublisherBatches is the number of non-empty batches the publisher
	// handed to a plugin.
	PublisherBatches uint64

	// DuplicatesSuppressed is the number of records dropped as duplicates
	// of a recent one (0 while duplicate suppression is off).
	DuplicatesSuppressed uint64
}

// Where the counters come from: AddEvent's accepting path counts nothing.
// Created, Channeled, Processed, Stored and NotStored are derived from the
// history's and the store's ID sequences; NotChanneled is counted on the
// rejecting path (on a cache line of its own); the rest by the publisher's
// and the streams' goroutines, or read from the structures' current state
// (the gauges).

// Metrics returns a snapshot of the counters. It never blocks AddEvent; it
// may wait for a CloseAllStreams, start or reconfigure in progress.
func (e *EventSystemImpl) Metrics() Metrics {
	var m Metrics
	m.NotChanneled = e.rejected.Load()
	m.Channeled = e.history.NextID()
	m.DuplicatesSuppressed = e.suppressed.Load()
	m.Created = m.Channeled + m.NotChanneled + m.DuplicatesSuppressed
	m.Processed = e.history.ReadEnd()
	stored := e.Store.Stats()
	m.Stored, m.NotStored = stored.Stored, stored.NotStored
	m.HistoryNextID = m.Channeled
	m.HistoryLowestID = e.history.GetLowestID()
	m.HistoryCapacity = e.history.Capacity()
	m.StoreWaiting = e.Store.CountStoredEvents()
	m.StoreCapacity = e.requestCap.Load()
	pub := e.publisher.Stats()
	m.Collected = pub.Collected
	m.PublisherBatches = pub.Batches
	m.PluginPanics = pub.PluginPanics
	st := e.streamStats()
	m.StreamsOpen = uint64(st.Streams)
	m.StreamsCreated = st.StreamsCreated
	m.StreamsRemovedSlow = st.StreamsRemovedSlow
	m.StreamEventsDelivered = st.EventsDelivered
	return m
}

// streamStats returns the stream counters over the system's life: the
// current streaming's and those of the streamings it replaced.
func (e *EventSystemImpl) streamStats() stream.Stats {
	e.metricsMu.Lock()
	defer e.metricsMu.Unlock()
	st := e.streaming.Load().Stats()
	st.StreamsCreated += e.retired.StreamsCreated
	st.StreamsRemovedSlow += e.retired.StreamsRemovedSlow
	st.EventsDelivered += e.retired.EventsDelivered
	return st
}
