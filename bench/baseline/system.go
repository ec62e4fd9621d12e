package baseline

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/stream"
	"github.com/lfevents/lfevents/system"
	"golang.org/x/sys/cpu"
)

// DefaultChannelCapacity is the size of the channel between AddEvent and the
// handler goroutine, as in the reference design.
const DefaultChannelCapacity = 100000

// Plugin receives collected batches; system.EventPlugin has the same method
// set, so one plugin value serves both designs.
type Plugin interface {
	SendEvent([]*si.EventRecord)
}

// Config sizes a System. Zero values mean the defaults of DefaultConfig.
type Config struct {
	TrackingEnabled    bool
	RequestCapacity    uint64        // store capacity
	RingBufferCapacity uint64        // history capacity
	ChannelCapacity    int           // AddEvent -> handler channel
	StreamQueueSize    int           // each of a stream's two channels
	PushInterval       time.Duration // publisher period
	Plugin             Plugin        // nil: the publisher keeps events in the store
}

// DefaultConfig returns the reference design's defaults: tracking on, a
// store of 1000, a history of 100000, a channel of 100000, stream channels
// of 1000 and a push every 2s.
func DefaultConfig() Config {
	return Config{
		TrackingEnabled:    true,
		RequestCapacity:    1000,
		RingBufferCapacity: 100000,
		ChannelCapacity:    DefaultChannelCapacity,
		StreamQueueSize:    DefaultStreamQueueSize,
		PushInterval:       2 * time.Second,
	}
}

// Metrics is a snapshot of a System's counters. Accepted events are
// Channeled; every Channeled event is Processed (put in history, offered to
// the store and to the streams) once the handler gets to it.
type Metrics struct {
	Created               uint64 // AddEvent calls with a record while not stopped
	Channeled             uint64 // accepted into the channel
	NotChanneled          uint64 // dropped: the channel was full
	Rejected              uint64 // AddEvent after Stop
	Processed             uint64 // taken from the channel by the handler
	Stored                uint64
	NotStored             uint64
	Collected             uint64 // events handed to the plugin
	StreamsRemovedSlow    uint64
	StreamEventsDelivered uint64
}

// counter is an atomic counter on its own cache line, the way each of the
// reference's metrics counters is a separate object.
type counter struct {
	atomic.Uint64
	_ cpu.CacheLinePad
}

// System is the reference event system's architecture. See the package doc.
//
// The zero value is not usable; call New.
type System struct {
	// mu is the reference's channel lock: AddEvent holds it for reading
	// around the send, StartService and Stop hold it for writing.
	mu      sync.RWMutex
	channel chan *si.EventRecord
	stopped bool          // after Stop, until the next start: reject events
	running bool          // the handler runs
	quit    chan struct{} // closed by Stop to end the handler and publisher
	done    sync.WaitGroup

	cfg       Config
	history   *Ring
	Store     *Store
	streaming *Streaming

	created, channeled, notChanneled, rejected, processed, collected counter
}

// New returns a System that is not started. Events added before the first
// start wait in the channel (up to its capacity).
func New(cfg Config) *System {
	def := DefaultConfig()
	if cfg.RequestCapacity == 0 {
		cfg.RequestCapacity = def.RequestCapacity
	}
	if cfg.RingBufferCapacity == 0 {
		cfg.RingBufferCapacity = def.RingBufferCapacity
	}
	if cfg.ChannelCapacity <= 0 {
		cfg.ChannelCapacity = def.ChannelCapacity
	}
	if cfg.StreamQueueSize <= 0 {
		cfg.StreamQueueSize = def.StreamQueueSize
	}
	if cfg.PushInterval <= 0 {
		cfg.PushInterval = def.PushInterval
	}
	history := NewRing(cfg.RingBufferCapacity)
	return &System{
		channel:   make(chan *si.EventRecord, cfg.ChannelCapacity),
		cfg:       cfg,
		history:   history,
		Store:     NewStore(cfg.RequestCapacity),
		streaming: NewStreaming(history, cfg.StreamQueueSize),
	}
}

var _ system.EventSystem = (*System)(nil)

// AddEvent read-locks the system and offers ev to the channel without
// blocking; a full channel drops ev and counts it. Nil is ignored.
func (s *System) AddEvent(ev *si.EventRecord) {
	if ev == nil {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.stopped {
		s.rejected.Add(1)
		return
	}
	s.created.Add(1)
	select {
	case s.channel <- ev:
		s.channeled.Add(1)
	default:
		s.notChanneled.Add(1)
	}
}

// StartService starts the handler and the publisher; it does nothing if they run.
func (s *System) StartService() { s.StartServiceWithPublisher(true) }

// StartServiceWithPublisher starts the handler, and the publisher if
// withPublisher; it does nothing if the handler runs.
func (s *System) StartServiceWithPublisher(withPublisher bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return
	}
	s.running, s.stopped = true, false
	s.quit = make(chan struct{})
	s.done.Add(1)
	drained := make(chan struct{})
	go s.handle(s.quit, drained)
	if withPublisher {
		s.done.Add(1)
		go s.publish(s.quit, drained)
	}
}

// Stop ends the handler (after it has processed what is in the channel) and
// the publisher (after one last collect and send), closes every stream, and
// rejects events until the next start. Stop before a start, or twice, does nothing.
func (s *System) Stop() {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return
	}
	s.running, s.stopped = false, true
	close(s.quit)
	s.mu.Unlock()
	s.done.Wait()
	s.streaming.CloseAllStreams()
}

// Restart is Stop then StartService.
func (s *System) Restart() {
	s.Stop()
	s.StartService()
}

// handle is the one goroutine that moves events from the channel to the
// history, the store and the streams, each under its own lock.
// It closes drained when it exits.
func (s *System) handle(quit <-chan struct{}, drained chan<- struct{}) {
	defer s.done.Done()
	defer close(drained)
	for {
		select {
		case ev := <-s.channel:
			s.process(ev)
		case <-quit:
			// AddEvent cannot send any more (Stop holds or held the write
			// lock after setting stopped): drain what was accepted.
			for {
				select {
				case ev := <-s.channel:
					s.process(ev)
				default:
					return
				}
			}
		}
	}
}

func (s *System) process(ev *si.EventRecord) {
	s.Store.Store(ev)
	id := s.history.Add(ev)
	s.streaming.Publish(id, ev)
	s.processed.Add(1)
}

// publish collects the store every push interval and hands non-empty
// batches to the plugin; with no plugin the events stay in the store. On quit
// it waits for the handler to drain the channel, then sends one last batch.
func (s *System) publish(quit, drained <-chan struct{}) {
	defer s.done.Done()
	t := time.NewTicker(s.cfg.PushInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.send()
		case <-quit:
			<-drained
			s.send()
			return
		}
	}
}

func (s *System) send() {
	if s.cfg.Plugin == nil {
		return
	}
	if batch := s.Store.CollectEvents(); len(batch) > 0 {
		s.cfg.Plugin.SendEvent(batch)
		s.collected.Add(uint64(len(batch)))
	}
}

// IsEventTrackingEnabled reports Config.TrackingEnabled.
func (s *System) IsEventTrackingEnabled() bool { return s.cfg.TrackingEnabled }

// GetEventsFromID reads the history; see Ring.GetEventsFromID.
func (s *System) GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	return s.history.GetEventsFromID(id, count)
}

// History returns the history ring.
func (s *System) History() *Ring { return s.history }

// CreateEventStream opens a stream; see Streaming.CreateEventStream.
func (s *System) CreateEventStream(name string, count uint64) *stream.EventStream {
	return s.streaming.CreateEventStream(name, count)
}

// RemoveStream ends a stream and closes its channel; nil and unknown handles
// are ignored.
func (s *System) RemoveStream(h *stream.EventStream) { s.streaming.RemoveEventStream(h) }

// GetEventStreams lists the active streams.
func (s *System) GetEventStreams() []stream.EventStreamData { return s.streaming.GetEventStreams() }

// CloseAllStreams ends every stream.
func (s *System) CloseAllStreams() { s.streaming.CloseAllStreams() }

// GetRequestCapacity returns the store capacity configured.
func (s *System) GetRequestCapacity() uint64 { return s.cfg.RequestCapacity }

// GetRingBufferCapacity returns the history capacity.
func (s *System) GetRingBufferCapacity() uint64 { return s.history.Capacity() }

// Processed returns the number of events the handler has put in history:
// one atomic load, cheap enough to poll while events flow.
func (s *System) Processed() uint64 { return s.processed.Load() }

// Metrics returns a snapshot of the counters. The fields are read one by
// one, so a snapshot taken while events flow is not a single instant.
func (s *System) Metrics() Metrics {
	stored, notStored := s.Store.counts()
	slow, delivered := s.streaming.counts()
	return Metrics{
		Created:               s.created.Load(),
		Channeled:             s.channeled.Load(),
		NotChanneled:          s.notChanneled.Load(),
		Rejected:              s.rejected.Load(),
		Processed:             s.processed.Load(),
		Stored:                stored,
		NotStored:             notStored,
		Collected:             s.collected.Load(),
		StreamsRemovedSlow:    slow,
		StreamEventsDelivered: delivered,
	}
}
