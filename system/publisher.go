package system

import (
	"log/slog"
	"reflect"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/store"
)

// EventPlugin receives the batches of events that the publisher collects.
// The scheduler-interface's api.ResourceManagerCallback satisfies it, so a
// shim registers itself as it does with the reference design.
//
// SendEvent is called from the publisher's goroutine, one batch at a time.
// A plugin shared by several publishers (the process-wide one, used by every
// system without a Config.Plugin of its own) may be called by them at the
// same time, so it must then be safe for concurrent use. The plugin owns
// the slice; the records in it are shared with history and streams and must
// not be modified. Every record in it marshals with proto.Marshal. A
// SendEvent that panics is recovered, logged and counted; its batch is not
// sent again. One that calls runtime.Goexit (as testing.T.FailNow does) is
// treated the same, and the publisher goes on from a new goroutine.
//
// Stop, Restart and Reconfigure wait for a SendEvent in progress. Called
// from SendEvent itself (on the publisher's goroutine), they would wait for
// themselves, so instead they log an error, return at once, and are carried
// out on a new goroutine, which completes once SendEvent has returned. The
// same holds for the control-plane methods of the system, for Init and
// InitWithConfig (retiring the system whose plugin calls them) and for
// StartService and Stop of the publisher. (Only a call on the publisher's
// goroutine is recognized: a SendEvent that waits for another goroutine that
// calls Stop still hangs. The publisher's goroutine is recognized by the ID
// the runtime prints in stack traces; on a runtime where that cannot be
// read, no call is recognized, such a call from SendEvent hangs, and the
// publisher logs a warning saying so each time it starts.)
type EventPlugin interface {
	SendEvent(events []*si.EventRecord)
}

// pluginBox lets an interface value live behind an atomic.Pointer.
type pluginBox struct{ plugin EventPlugin }

// processPlugin is the process-wide plugin (nil: none). It is written by
// SetEventPlugin and read with one atomic load at each push, so registering a
// plugin never waits for a push in progress and a push never takes a lock.
var processPlugin atomic.Pointer[pluginBox]

// SetEventPlugin registers p as the process-wide plugin, used by every
// publisher that was not given its own (see WithPlugin and Config.Plugin).
// It takes effect from the next push. nil (or a nil pointer in the interface)
// unregisters: from then on, publishers leave the events in their stores.
// Safe from any goroutine.
func SetEventPlugin(p EventPlugin) {
	if isNilPlugin(p) {
		processPlugin.Store(nil)
		return
	}
	processPlugin.Store(&pluginBox{plugin: p})
}

// registeredPlugin returns the process-wide plugin, or nil.
func registeredPlugin() EventPlugin {
	if b := processPlugin.Load(); b != nil {
		return b.plugin
	}
	return nil
}

func isNilPlugin(p EventPlugin) bool {
	if p == nil {
		return true
	}
	v := reflect.ValueOf(p)
	return isNilable(v.Kind()) && v.IsNil()
}

// batchSource is what the publisher collects from: the store.
type batchSource interface {
	CollectEvents() []*si.EventRecord
}

// PublisherOption configures an EventPublisher. A nil PublisherOption is a
// no-op.
type PublisherOption func(*publisherSettings)

// publisherSettings is what a publisher runs with. Options and the system's
// Config fill it in; normalized applies the defaults, once, before a
// publisher stores it.
type publisherSettings struct {
	interval time.Duration
	plugin   EventPlugin // nil: the process-wide one, looked up at each push
	logger   *slog.Logger
}

// normalized returns s with its defaults applied: the one place for the push
// interval, the plugin and the logger (Config.normalized uses it too).
func (s publisherSettings) normalized() publisherSettings {
	if s.interval <= 0 {
		s.interval = DefaultPushInterval
	}
	if isNilPlugin(s.plugin) {
		s.plugin = nil
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	return s
}

// WithPushInterval sets how often the publisher collects and sends. 0 or
// negative means DefaultPushInterval.
func WithPushInterval(d time.Duration) PublisherOption {
	return func(s *publisherSettings) { s.interval = d }
}

// WithPlugin gives the publisher its own plugin. nil (the default) means the
// process-wide plugin (see SetEventPlugin), looked up at each push.
func WithPlugin(plugin EventPlugin) PublisherOption {
	return func(s *publisherSettings) { s.plugin = plugin }
}

// WithPublisherLogger sets the logger for the publisher's records (a
// recovered plugin panic). nil means slog.Default() as of
// CreateShimPublisher.
func WithPublisherLogger(l *slog.Logger) PublisherOption {
	return func(s *publisherSettings) { s.logger = l }
}

// PublisherStats is a snapshot of a publisher's counters, over its life.
type PublisherStats struct {
	// Collected is the number of events taken from the store and handed
	// (or, when the plugin panicked, attempted to be handed) to a plugin.
	Collected uint64
	// Batches is the number of non-empty batches handed to a plugin.
	Batches uint64
	// PluginPanics is the number of SendEvent calls that panicked (or
	// called runtime.Goexit).
	PluginPanics uint64
}

// EventPublisher hands the store's events to the plugin: every push interval
// it collects the store and, if the batch is not empty, calls SendEvent with
// it. With no plugin registered it does not collect, so events wait in the
// store (up to its capacity) instead of being thrown away; they go out with
// the first push after a plugin is registered.
//
// StartService and Stop may be called from any goroutines, any number of
// times and in any order; a stopped publisher can be started again. The
// publisher runs one goroutine while started, none otherwise. Build it with
// CreateShimPublisher; the zero value is not usable.
type EventPublisher struct {
	source batchSource // nil: nothing to collect

	// mu serializes StartService and Stop and guards the fields below.
	// The run goroutine never takes it: it gets a copy of its settings.
	mu       sync.Mutex
	settings publisherSettings // normalized
	stop     chan struct{}     // closed by Stop to end the run; nil when stopped
	done     chan struct{}     // closed by the run goroutine when it returns

	// runner describes the run goroutine while it runs (nil otherwise):
	// written by the run goroutine, read by onRunGoroutine.
	runner atomic.Pointer[runner]

	collected atomic.Uint64
	batches   atomic.Uint64
	panics    atomic.Uint64

	// report, when set (by the system, before the first StartService), is
	// called by the run goroutine after each push, the last push of a run
	// (at Stop) included.
	report func()
	// afterPush, when set (by tests, before StartService), is called by the
	// run goroutine after each push of a tick.
	afterPush func()
}

// CreateShimPublisher returns a stopped publisher that hands the events of s
// to the plugin (see WithPlugin; by default the process-wide one) every push
// interval (see WithPushInterval; by default DefaultPushInterval). A nil s
// gives a publisher with nothing to collect. Call StartService to start it.
func CreateShimPublisher(s *store.EventStore, opts ...PublisherOption) *EventPublisher {
	var src batchSource
	if s != nil {
		src = s
	}
	return newPublisher(src, opts...)
}

// newPublisher builds a stopped publisher collecting from src (nil: nothing).
func newPublisher(src batchSource, opts ...PublisherOption) *EventPublisher {
	var s publisherSettings
	for _, opt := range opts {
		if opt != nil {
			opt(&s)
		}
	}
	return &EventPublisher{source: src, settings: s.normalized()}
}

// runSettings is the run goroutine's copy of the publisher's settings.
type runSettings struct {
	publisherSettings
	report    func()
	afterPush func()
}

// StartService starts the publisher's goroutine and returns at once. It is a
// no-op while the publisher runs. Called from SendEvent, it returns at once
// and the start happens on a new goroutine once the run in progress is over
// (a no-op unless a Stop is under way; see EventPlugin).
func (p *EventPublisher) StartService() {
	if r := p.onRunGoroutine(); r != nil {
		// Stop may hold mu while it waits for this SendEvent (its last push).
		r.logger.Error("event publisher StartService called from the plugin's SendEvent; " +
			"starting on a new goroutine once SendEvent returns")
		go p.StartService()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop != nil {
		return
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	s := runSettings{publisherSettings: p.settings, report: p.report, afterPush: p.afterPush}
	go p.run(s, p.stop, p.done)
}

// Stop makes one last push (collect and send, if a plugin is registered),
// stops the publisher's goroutine and waits for it to return, so it also
// waits for a SendEvent in progress. It is a no-op while the publisher is
// stopped. Called from SendEvent, it returns at once and the stop happens
// on a new goroutine (see EventPlugin).
func (p *EventPublisher) Stop() {
	if r := p.onRunGoroutine(); r != nil {
		r.logger.Error("event publisher Stop called from the plugin's SendEvent; " +
			"stopping on a new goroutine once SendEvent returns")
		go p.Stop()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.stop, p.done = nil, nil
}

// Stats returns a snapshot of the publisher's counters.
func (p *EventPublisher) Stats() PublisherStats {
	return PublisherStats{
		Collected:    p.collected.Load(),
		Batches:      p.batches.Load(),
		PluginPanics: p.panics.Load(),
	}
}

// configure changes the settings (normalized) that the next StartService
// uses; a running publisher keeps its own until restarted.
func (p *EventPublisher) configure(s publisherSettings) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.settings = s
}

// runner identifies a run goroutine, and the logger it uses.
type runner struct {
	goroutine uint64
	logger    *slog.Logger
}

// onRunGoroutine returns the run goroutine's description if the caller is
// that goroutine (it is inside SendEvent, or a report), nil otherwise.
//
// An ID of 0 means unknown (see goroutineID) and matches nothing: were it
// to match, every caller would be taken for the run goroutine when the
// runtime's stack header cannot be read, and every control-plane call
// would be handed to a new goroutine, which would be taken for it again,
// for ever. So when IDs cannot be read, calls from any other goroutine work
// as usual, and only a control-plane call from SendEvent itself goes
// unrecognized and waits for itself, as in the reference design (run warns
// of it when it starts).
func (p *EventPublisher) onRunGoroutine() *runner {
	r := p.runner.Load()
	if r == nil || r.goroutine == 0 {
		return nil
	}
	if r.goroutine == goroutineID() {
		return r
	}
	return nil
}

// run is the publisher's goroutine: a push every tick, and a last one when
// stop is closed; then it closes done. A SendEvent that ends the goroutine
// with runtime.Goexit (which no recover stops; send logs and counts it) does
// not end the run: it goes on, on a new goroutine, with the same channels.
func (p *EventPublisher) run(s runSettings, stop <-chan struct{}, done chan<- struct{}) {
	id := goroutineID()
	if id == 0 {
		s.logger.Warn("event publisher cannot identify its goroutine (unreadable stack header): " +
			"a control-plane call from the plugin's SendEvent will not be recognized and will hang")
	}
	p.runner.Store(&runner{goroutine: id, logger: s.logger})
	tick := time.NewTicker(s.interval)
	finished := false
	defer func() {
		tick.Stop()
		p.runner.Store(nil)
		if !finished {
			go p.run(s, stop, done) // runtime.Goexit: the run is not over
			return
		}
		close(done)
	}()
	for {
		select {
		case <-tick.C:
			p.push(&s)
			if s.report != nil {
				s.report()
			}
			if s.afterPush != nil {
				s.afterPush()
			}
		case <-stop:
			p.push(&s)
			if s.report != nil {
				s.report()
			}
			finished = true
			return
		}
	}
}

// push collects the store and sends the batch, if there is a plugin to send
// it to.
func (p *EventPublisher) push(s *runSettings) {
	if p.source == nil {
		return
	}
	plugin := s.plugin
	if plugin == nil {
		plugin = registeredPlugin()
	}
	if plugin == nil {
		return // keep the events in the store until there is a plugin
	}
	batch := p.source.CollectEvents()
	if len(batch) == 0 {
		return
	}
	for i, ev := range batch {
		batch[i] = marshalSafe(ev) // the batch is ours; its records are shared
	}
	p.collected.Add(uint64(len(batch)))
	p.batches.Add(1)
	p.send(plugin, batch, s.logger)
}

// send calls the plugin, recovering, logging and counting a panic. A
// runtime.Goexit in SendEvent is logged and counted the same way; the
// goroutine ends all the same, and run goes on from a new one.
//
// A panic and a Goexit are told apart by whether callPlugin returns, not by
// what recover returns: with GODEBUG=panicnil=1, recover returns nil for
// panic(nil), yet it stops that panic and callPlugin returns; a Goexit runs
// the deferred calls but no recover stops it, so callPlugin never returns.
func (p *EventPublisher) send(plugin EventPlugin, batch []*si.EventRecord, logger *slog.Logger) {
	settled := false // callPlugin returned: SendEvent returned or panicked
	defer func() {
		if settled {
			return
		}
		// Logged before it is counted: whoever sees the count sees the log.
		logger.Error("event plugin ended the publisher's goroutine (runtime.Goexit); "+
			"batch dropped, publishing goes on from a new goroutine",
			slog.Int("events", len(batch)))
		p.panics.Add(1)
	}()
	panicked, v, stack := callPlugin(plugin, batch)
	settled = true
	if panicked {
		logger.Error("event plugin panicked; batch dropped",
			slog.Any("panic", v), slog.Int("events", len(batch)),
			slog.String("stack", string(stack)))
		p.panics.Add(1)
	}
}

// callPlugin calls plugin.SendEvent(batch) and recovers a panic: panicked
// is set, with the value recovered (nil for panic(nil) under
// GODEBUG=panicnil=1) and the stack. It does not return if SendEvent calls
// runtime.Goexit.
func callPlugin(plugin EventPlugin, batch []*si.EventRecord) (panicked bool, v any, stack []byte) {
	returned := false
	defer func() {
		if returned {
			return
		}
		v = recover() // stops a panic, even panic(nil); not a Goexit
		panicked = true
		// debug.Stack, called before the deferred call returns, still
		// shows the panicking frames of the plugin.
		stack = debug.Stack()
	}()
	plugin.SendEvent(batch)
	returned = true
	return false, nil, nil
}

// stackHeader fills buf with the start of the calling goroutine's stack
// trace and returns its length. A variable only so that a test can mimic a
// runtime whose header reads otherwise; tests set it while no publisher runs.
var stackHeader = func(buf []byte) int { return runtime.Stack(buf, false) }

// goroutineID returns the ID of the calling goroutine, which the runtime
// prints first in a stack trace ("goroutine 18 [running]:"), or 0 if that
// cannot be read (the runtime numbers goroutines from 1, so 0 is never a
// real ID; onRunGoroutine takes it as "unknown", never as a match). It costs
// about a microsecond: only the control plane uses it, to recognize a call
// from the publisher's own goroutine.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:stackHeader(buf[:])]
	const prefix = "goroutine "
	if len(b) <= len(prefix) || string(b[:len(prefix)]) != prefix {
		return 0
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
