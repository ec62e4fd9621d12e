package system

import (
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/stream"
)

// quietConfig is DefaultConfig with a logger that keeps what it gets.
func quietConfig() (Config, *logRecorder) {
	rec := &logRecorder{}
	cfg := DefaultConfig()
	cfg.Logger = slog.New(rec)
	return cfg, rec
}

// pushingConfig is quietConfig with plugin, pushed to every push.
func pushingConfig(plugin EventPlugin, push time.Duration) (Config, *logRecorder) {
	cfg, rec := quietConfig()
	cfg.PushInterval, cfg.Plugin = push, plugin
	return cfg, rec
}

// startedSystem is a system of quietConfig, changed by set unless it is
// nil, started; it is stopped when the test ends.
func startedSystem(t *testing.T, set func(*Config)) *EventSystemImpl {
	cfg, _ := quietConfig()
	if set != nil {
		set(&cfg)
	}
	sys := New(cfg)
	sys.StartService()
	t.Cleanup(sys.Stop)
	return sys
}

// tagged makes a record whose identity is (producer, seq), kept in
// TimestampNano so tests can check order and uniqueness.
func tagged(producer, seq int) *si.EventRecord {
	return &si.EventRecord{ObjectID: "o", TimestampNano: int64(producer)<<32 | int64(seq)}
}

// startProducers starts producers goroutines, producer p adding
// tagged(p, 0..perProducer-1) to sys in order, and returns a function that
// waits for them; with yieldEvery > 0 each one yields after every
// yieldEvery-th add, so that other work interleaves.
func startProducers(sys *EventSystemImpl, producers, perProducer, yieldEvery int) (wait func()) {
	return testutil.Start(producers, func(p int) {
		for i := 0; i < perProducer; i++ {
			sys.AddEvent(tagged(p, i))
			if yieldEvery > 0 && i%yieldEvery == 0 {
				runtime.Gosched()
			}
		}
	})
}

func tagOf(ev *si.EventRecord) (producer, seq int) {
	return int(ev.TimestampNano >> 32), int(ev.TimestampNano & math.MaxUint32)
}

func TestAddEventConcurrentAllKept(t *testing.T) {
	const producers, perProducer = 8, 50_000
	const total = producers * perProducer
	cfg, _ := quietConfig()
	cfg.RingBufferCapacity = total
	cfg.RequestCapacity = total
	sys := New(cfg)
	sys.StartServiceWithPublisher(false)
	defer sys.Stop()

	startProducers(sys, producers, perProducer, 0)()

	history, lowest, highest := sys.GetEventsFromID(0, math.MaxUint64)
	require.Len(t, history, total)
	assert.Equal(t, uint64(0), lowest)
	assert.Equal(t, uint64(total-1), highest)
	next := make([]int, producers) // each producer's records appear once, in its order
	for i, ev := range history {
		p, seq := tagOf(ev)
		if seq != next[p] { // plain checks: a testify call per event is slow under -race
			t.Fatalf("history[%d] is producer %d's record %d, want %d", i, p, seq, next[p])
		}
		next[p]++
	}

	batch := sys.Store.CollectEvents()
	require.Len(t, batch, total)
	for i := range batch {
		if batch[i] != history[i] {
			t.Fatalf("store[%d] is not history[%d]: store order must be history order", i, i)
		}
	}
	m := sys.Metrics()
	assert.Equal(t, Metrics{
		Created: total, Channeled: total, Processed: total, Stored: total,
		HistoryNextID: total, HistoryCapacity: total, StoreCapacity: total,
	}, m)
}

func TestAddEventNilAndZeroAlloc(t *testing.T) {
	sys := New(Config{})
	sys.AddEvent(nil)
	assert.Equal(t, Metrics{HistoryCapacity: DefaultRingBufferCapacity, StoreCapacity: DefaultRequestCapacity},
		sys.Metrics(), "nil is ignored, not counted")

	ev := &si.EventRecord{Message: strings.Repeat("€", MaxMessageLength/3)}
	allocs := testing.AllocsPerRun(1000, func() { sys.AddEvent(ev) })
	assert.Zero(t, allocs)
}

// TestAddEventTruncates is reference defect 3 through the system: a long
// multibyte message is cut to valid UTF-8 and the records marshal.
func TestAddEventTruncates(t *testing.T) {
	sys := New(Config{})
	long := "xy" + strings.Repeat("😀", 400) // 1602 bytes; byte 1021 is inside a rune
	require.False(t, utf8.ValidString(long[:MaxMessageLength-3]), "precondition: a byte cut breaks a rune")
	ev := CreateAppEventRecord("app", long, "ref", si.EventRecord_ADD, si.EventRecord_APP_NEW, nil, "New")
	sys.AddEvent(ev)
	sys.AddEvent(&si.EventRecord{Message: "short"})

	got, _, _ := sys.GetEventsFromID(0, 2)
	require.Len(t, got, 2)
	msg := got[0].GetMessage()
	assert.LessOrEqual(t, len(msg), MaxMessageLength)
	assert.True(t, strings.HasSuffix(msg, "..."))
	assert.True(t, utf8.ValidString(msg))
	assert.Equal(t, "short", got[1].GetMessage())
	for _, r := range got {
		wire, err := proto.Marshal(r)
		require.NoError(t, err)
		back := &si.EventRecord{}
		require.NoError(t, proto.Unmarshal(wire, back))
		assert.Equal(t, r.GetMessage(), back.GetMessage())
	}
	assert.Equal(t, "New", EventState(got[0]), "state survives AddEvent")
}

func TestLifecycle(t *testing.T) {
	cfg, rec := quietConfig()
	sys := New(cfg)
	m := func() Metrics { return sys.Metrics() }

	// Before any start: kept; Stop is a no-op (the reference deadlocks).
	sys.AddEvent(&si.EventRecord{})
	sys.Stop()
	sys.AddEvent(&si.EventRecord{})
	assert.Equal(t, uint64(2), m().Channeled)
	assert.Zero(t, m().NotChanneled)

	// Running: kept.
	sys.StartService()
	sys.StartService() // no-op
	sys.AddEvent(&si.EventRecord{})
	assert.Equal(t, uint64(3), m().Channeled)

	// Stopped: rejected and counted.
	sys.Stop()
	sys.Stop() // no-op
	sys.AddEvent(&si.EventRecord{})
	sys.AddEvent(&si.EventRecord{})
	assert.Equal(t, uint64(3), m().Channeled)
	assert.Equal(t, uint64(2), m().NotChanneled)
	assert.Equal(t, uint64(5), m().Created)
	goleak.VerifyNone(t)

	// Reference defect 4: a start after Stop accepts events again.
	sys.StartService()
	sys.AddEvent(&si.EventRecord{})
	assert.Equal(t, uint64(4), m().Channeled)
	sys.Restart()
	sys.AddEvent(&si.EventRecord{})
	assert.Equal(t, uint64(5), m().Channeled)
	sys.Stop()
	sys.Restart() // from stopped: starts
	sys.AddEvent(&si.EventRecord{})
	assert.Equal(t, uint64(6), m().Channeled)
	assert.Equal(t, uint64(2), m().NotChanneled)
	sys.Stop()
	goleak.VerifyNone(t)
	assert.Contains(t, rec.messages(), "event system started")
	assert.Contains(t, rec.messages(), "event system stopped")

	// Restart on a system never started just starts it.
	other := New(cfg)
	other.Restart()
	other.AddEvent(&si.EventRecord{})
	assert.Equal(t, uint64(1), other.Metrics().Channeled)
	other.Stop()
}

func TestStopClosesStreamsAndStartReopens(t *testing.T) {
	cfg, _ := quietConfig()
	sys := New(cfg)
	sys.StartService()
	s := sys.CreateEventStream("s", 0)
	require.Len(t, sys.GetEventStreams(), 1)
	sys.Stop()
	_, open := <-s.Events
	assert.False(t, open)
	assert.Equal(t, stream.ReasonClosed, s.CloseReason())
	assert.Empty(t, sys.GetEventStreams())

	// While stopped, a new stream is closed at once.
	s2 := sys.CreateEventStream("while stopped", 10)
	_, open = <-s2.Events
	assert.False(t, open)

	sys.StartService()
	s3 := sys.CreateEventStream("after start", 0)
	sys.AddEvent(&si.EventRecord{ObjectID: "x"})
	select {
	case ev := <-s3.Events:
		assert.Equal(t, "x", ev.GetObjectID())
	case <-time.After(waitFor):
		t.Fatal("no event on a stream opened after restart")
	}
	sys.RemoveStream(s3)
	sys.RemoveStream(s3)
	sys.RemoveStream(nil)
	sys.Stop()
}

func TestCloseAllStreams(t *testing.T) {
	sys := startedSystem(t, nil)
	a := sys.CreateEventStream("a", 0)
	b := sys.CreateEventStream("b", 0)
	require.Len(t, sys.GetEventStreams(), 2)
	sys.CloseAllStreams()
	for _, s := range []*stream.EventStream{a, b} {
		_, open := <-s.Events
		assert.False(t, open)
	}
	assert.Empty(t, sys.GetEventStreams())
	c := sys.CreateEventStream("c", 0)
	assert.Len(t, sys.GetEventStreams(), 1, "streams can be created right away")
	sys.RemoveStream(c)

	sys.Stop()
	sys.CloseAllStreams() // stopped: nothing to do
}

// TestLifecycleRace runs Stop/Start/Restart/CloseAllStreams/Reconfigure in a
// loop against concurrent AddEvent, streams and readers, then checks
// conservation: every record given to AddEvent was either accepted (and is in
// history and in exactly one batch) or rejected and counted.
func TestLifecycleRace(t *testing.T) {
	const producers, perProducer = 4, 5000
	unregisterPluginAfter(t)
	plugin := &recordingPlugin{}
	cfg, _ := pushingConfig(plugin, time.Millisecond)
	cfg.RingBufferCapacity = producers * perProducer
	cfg.RequestCapacity = producers * perProducer
	sys := New(cfg)

	produced := startProducers(sys, producers, perProducer, 0)
	control := []func(){
		sys.StartService, sys.Stop, sys.Restart, sys.CloseAllStreams,
		func() { sys.StartServiceWithPublisher(false) },
		func() { sys.Reconfigure(cfg) },
		func() {
			c := cfg
			c.TrackingEnabled = !sys.IsEventTrackingEnabled()
			sys.Reconfigure(c)
		},
		func() { _ = sys.Metrics() },
	}
	// Three controllers, g starting at control[g] and going round.
	controller := func(g int) func() {
		return func() {
			control[g%len(control)]()
			g++
		}
	}
	streamReader := func() {
		s := sys.CreateEventStream("reader", 100)
		for n := 0; n < 50; n++ {
			if _, ok := <-s.Events; !ok {
				break
			}
		}
		sys.RemoveStream(s)
	}
	historyReader := func() {
		_, _, _ = sys.GetEventsFromID(sys.GetLastEventID(), 1000)
		_ = sys.GetEventStreams()
	}
	stop := testutil.Loop(controller(0), controller(1), controller(2), streamReader, historyReader)
	produced()
	stop()
	sys.StartService()
	sys.Stop() // final push of whatever waits
	goleak.VerifyNone(t)

	m := sys.Metrics()
	assert.Equal(t, uint64(producers*perProducer), m.Created)
	assert.Equal(t, m.Created, m.Channeled+m.NotChanneled)
	assert.Equal(t, m.Channeled, m.Processed)
	history, _, _ := sys.GetEventsFromID(0, math.MaxUint64)
	require.Len(t, history, int(m.Channeled), "room for all: every accepted record in history")

	// Each accepted record in exactly one batch (store capacity held all).
	assert.Equal(t, m.Channeled, m.Stored)
	assert.Zero(t, m.NotStored)
	delivered := plugin.events()
	delivered = append(delivered, sys.Store.CollectEvents()...)
	require.Len(t, delivered, int(m.Stored))
	inHistory := make(map[*si.EventRecord]bool, len(history))
	for _, ev := range history {
		inHistory[ev] = true
	}
	seen := make(map[*si.EventRecord]bool, len(delivered))
	for _, ev := range delivered {
		require.True(t, inHistory[ev], "sent but not in history")
		require.False(t, seen[ev], "sent twice")
		seen[ev] = true
	}
	assert.Equal(t, m.Collected, uint64(len(plugin.events())))
}

func TestPublisherThroughSystem(t *testing.T) {
	plugin := &recordingPlugin{}
	cfg, rec := pushingConfig(plugin, time.Millisecond)
	sys := New(cfg)
	for i := 0; i < 10; i++ {
		sys.AddEvent(tagged(0, i)) // before start: kept
	}
	sys.StartService()
	defer sys.Stop()
	for i := 10; i < 20; i++ {
		sys.AddEvent(tagged(0, i))
	}
	require.Eventually(t, func() bool { return len(plugin.events()) == 20 }, waitFor, pollAt)
	for i, ev := range plugin.events() {
		_, seq := tagOf(ev)
		assert.Equal(t, i, seq)
	}
	assert.Equal(t, uint64(20), sys.Metrics().Collected)
	assert.Contains(t, rec.messages(), "event system started")
}

// TestNoPluginEventsWait is reference defect 5 through the system.
func TestNoPluginEventsWait(t *testing.T) {
	unregisterPluginAfter(t)
	SetEventPlugin(nil)
	cfg, _ := quietConfig()
	cfg.PushInterval = time.Millisecond
	sys := New(cfg)
	var pushes atomic.Int64
	sys.publisher.afterPush = func() { pushes.Add(1) }
	sys.StartService()
	defer sys.Stop()
	for i := 0; i < 30; i++ {
		sys.AddEvent(tagged(0, i))
	}
	require.Eventually(t, func() bool { return pushes.Load() >= 5 }, waitFor, pollAt)
	assert.Equal(t, uint64(30), sys.Store.CountStoredEvents(), "events wait in the store")
	assert.Zero(t, sys.Metrics().Collected)

	plugin := &recordingPlugin{}
	SetEventPlugin(plugin)
	require.Eventually(t, func() bool { return len(plugin.events()) == 30 }, waitFor, pollAt)
}

func TestPluginPanicCounted(t *testing.T) {
	cfg, rec := pushingConfig(&panickingPlugin{}, time.Millisecond)
	sys := New(cfg)
	sys.StartService()
	defer sys.Stop()
	sys.AddEvent(&si.EventRecord{})
	require.Eventually(t, func() bool { return sys.Metrics().PluginPanics == 1 }, waitFor, pollAt)
	sys.AddEvent(&si.EventRecord{})
	require.Eventually(t, func() bool { return sys.Metrics().PluginPanics == 2 }, waitFor, pollAt)
	assert.Equal(t, 2, rec.count(slog.LevelError, "panic", ""))
}

func TestStreamThroughSystemSeesHistoryOrder(t *testing.T) {
	sys := startedSystem(t, nil)
	for i := 0; i < 100; i++ {
		sys.AddEvent(tagged(0, i))
	}
	s := sys.CreateEventStream("tail", 40)
	defer sys.RemoveStream(s)
	produced := testutil.Start(1, func(int) {
		for i := 100; i < 300; i++ {
			sys.AddEvent(tagged(1, i))
		}
	})
	var got []*si.EventRecord
	for len(got) < 240 {
		select {
		case ev, ok := <-s.Events:
			require.True(t, ok, "stream closed early: %v", s.CloseReason())
			got = append(got, ev)
		case <-time.After(waitFor):
			t.Fatalf("stream stalled after %d events", len(got))
		}
	}
	produced()
	history, _, _ := sys.GetEventsFromID(60, 240)
	require.Len(t, history, 240)
	for i := range got {
		require.Same(t, history[i], got[i], "position %d", i)
	}
	// The stream counts a send after it is made: wait for the count.
	require.Eventually(t, func() bool { return sys.Metrics().StreamEventsDelivered == 240 }, waitFor, pollAt)
}

func TestReconfigure(t *testing.T) {
	cfg, rec := quietConfig()
	cfg.RingBufferCapacity = 10
	cfg.RequestCapacity = 4
	sys := New(cfg)
	sys.StartServiceWithPublisher(false)
	defer sys.Stop()
	for i := 0; i < 10; i++ {
		sys.AddEvent(tagged(0, i))
	}
	s := sys.CreateEventStream("s", 0)

	// Shrink history, grow the store, toggle tracking.
	next := cfg
	next.RingBufferCapacity = 4
	next.RequestCapacity = 6
	next.TrackingEnabled = false
	sys.Reconfigure(next)
	assert.Equal(t, uint64(4), sys.GetRingBufferCapacity())
	assert.Equal(t, uint64(6), sys.GetRequestCapacity())
	assert.False(t, sys.IsEventTrackingEnabled())
	assert.Equal(t, next.normalized(), sys.Config())
	kept, lowest, highest := sys.GetEventsFromID(6, 10)
	require.Len(t, kept, 4, "the newest events that fit are kept")
	assert.Equal(t, uint64(6), lowest)
	assert.Equal(t, uint64(9), highest)
	_, open := <-s.Events
	assert.False(t, open, "a tracking change restarts: streams closed")

	// Not rejected during the restart; the store still holds its first 4.
	sys.AddEvent(tagged(0, 10))
	m := sys.Metrics()
	assert.Zero(t, m.NotChanneled)
	assert.Equal(t, uint64(11), m.Channeled)
	assert.Equal(t, uint64(4), m.Stored)
	batch := sys.Store.CollectEvents()
	require.Len(t, batch, 4)
	for i := 0; i < 7; i++ { // the new size applies from this collect on
		sys.AddEvent(tagged(0, 11+i))
	}
	assert.Len(t, sys.Store.CollectEvents(), 6)

	// Grow history again: events displaced stay displaced, new ones fit.
	next.RingBufferCapacity = 100
	sys.Reconfigure(next)
	for i := 0; i < 50; i++ {
		sys.AddEvent(tagged(0, 100+i))
	}
	all, _, _ := sys.GetEventsFromID(sys.history.GetLowestID(), math.MaxUint64)
	assert.Len(t, all, 54)

	assert.Contains(t, rec.messages(), "event history resized")
	assert.Contains(t, rec.messages(), "event store resized")
	assert.Contains(t, rec.messages(), "event system reconfigured")

	// Zero values normalize to the defaults.
	sys.Reconfigure(Config{})
	assert.Equal(t, DefaultRingBufferCapacity, sys.GetRingBufferCapacity())
	assert.Equal(t, DefaultRequestCapacity, sys.GetRequestCapacity())
}

func TestReconfigurePublisher(t *testing.T) {
	first, second := &recordingPlugin{}, &recordingPlugin{}
	cfg, _ := pushingConfig(first, time.Hour)
	sys := New(cfg)
	sys.StartService()
	defer sys.Stop()
	sys.AddEvent(&si.EventRecord{})
	next := cfg
	next.Plugin = second
	next.PushInterval = time.Millisecond
	sys.Reconfigure(next) // the old publisher's stop pushes to the old plugin
	assert.Len(t, first.events(), 1)
	sys.AddEvent(&si.EventRecord{})
	require.Eventually(t, func() bool { return len(second.events()) == 1 }, waitFor, pollAt)
}

func TestMetricsStoreFull(t *testing.T) {
	plugin := &recordingPlugin{}
	cfg, _ := pushingConfig(plugin, time.Hour)
	cfg.RequestCapacity = 5
	sys := New(cfg)
	sys.StartService()
	for i := 0; i < 8; i++ {
		sys.AddEvent(&si.EventRecord{})
	}
	sys.Stop()
	sys.AddEvent(&si.EventRecord{})
	sys.AddEvent(&si.EventRecord{})
	assert.Equal(t, Metrics{
		Created: 10, Channeled: 8, NotChanneled: 2, Processed: 8,
		Stored: 5, NotStored: 3, Collected: 5, PublisherBatches: 1,
		HistoryNextID: 8, HistoryCapacity: cfg.RingBufferCapacity, StoreCapacity: 5,
	}, sys.Metrics())
	assert.Len(t, plugin.events(), 5)
}

func TestMetricsKeepRetiredStreams(t *testing.T) {
	sys := startedSystem(t, nil)
	s := sys.CreateEventStream("s", 0)
	sys.AddEvent(&si.EventRecord{})
	<-s.Events
	require.Eventually(t, func() bool { return sys.Metrics().StreamEventsDelivered == 1 }, waitFor, pollAt)
	sys.CloseAllStreams()
	assert.Equal(t, uint64(1), sys.Metrics().StreamEventsDelivered, "kept across a new streaming")
}

func TestSlowStreamCounted(t *testing.T) {
	sys := startedSystem(t, func(cfg *Config) { cfg.StreamQueueSize = 1 })
	s := sys.CreateEventStream("never reads", 0)
	for i := 0; i < 10_000 && s.CloseReason() == stream.ReasonOpen; i++ {
		sys.AddEvent(&si.EventRecord{})
	}
	require.Eventually(t, func() bool { return sys.Metrics().StreamsRemovedSlow == 1 }, waitFor, pollAt)
	assert.Equal(t, stream.ReasonSlow, s.CloseReason())
}

func TestGetEventSystemAndInit(t *testing.T) {
	t.Cleanup(Init)
	Init()
	a := GetEventSystem()
	require.NotNil(t, a)
	assert.Same(t, a, GetEventSystem())

	impl := Default()
	assert.Same(t, a, EventSystem(impl), "Default is the same instance, typed")
	impl.StartService()
	s := impl.CreateEventStream("s", 0)
	Init()
	b := GetEventSystem()
	assert.NotSame(t, a, b)
	assert.Same(t, b, EventSystem(Default()), "Default follows Init")
	impl.AddEvent(&si.EventRecord{})
	assert.Equal(t, uint64(1), impl.Metrics().NotChanneled, "old instance stopped")
	_, open := <-s.Events
	assert.False(t, open)

	// Init of a never-started instance closes its streams too.
	s2 := b.CreateEventStream("s2", 0)
	Init()
	_, open = <-s2.Events
	assert.False(t, open)
	goleak.VerifyNone(t)

	// Concurrent first use: one instance.
	processSystem.Store(nil)
	got := make([]EventSystem, 8)
	testutil.Run(len(got), func(i int) { got[i] = GetEventSystem() })
	for _, g := range got {
		assert.Same(t, got[0], g)
	}
	assert.True(t, GetEventSystem().IsEventTrackingEnabled())
}

func TestOddInputsNeverPanic(t *testing.T) {
	// A nil *EventSystemImpl is a programming error, reported by a panic as
	// the standard library's types do, not hidden by nil-receiver guards.
	var nilSys *EventSystemImpl
	assert.Panics(t, func() { nilSys.Stop() })
	assert.Panics(t, func() { nilSys.Metrics() })

	cfg, _ := quietConfig()
	sys := New(cfg)
	assert.NotPanics(t, func() {
		for _, id := range []uint64{0, 1, math.MaxUint64} {
			for _, n := range []uint64{0, 1, math.MaxUint64} {
				_, _, _ = sys.GetEventsFromID(id, n)
				_ = sys.GetRecentEvents(n)
			}
		}
		s := sys.CreateEventStream("", math.MaxUint64)
		sys.RemoveStream(s)
		sys.RemoveStream(s)
		sys.RemoveStream(&stream.EventStream{})
		sys.Reconfigure(Config{RingBufferCapacity: 1, RequestCapacity: math.MaxUint64})
		sys.AddEvent(&si.EventRecord{})
		sys.Stop()
		sys.AddEvent(&si.EventRecord{})
		sys.CloseAllStreams()
		sys.Restart()
		sys.Stop()
	})
}

func TestMetricsGauges(t *testing.T) {
	cfg, _ := quietConfig()
	cfg.RingBufferCapacity = 4
	cfg.RequestCapacity = 3
	sys := New(cfg)
	for i := 0; i < 6; i++ {
		sys.AddEvent(tagged(0, i))
	}
	// Streams opened after the events: a ring of 4 could overrun a stream
	// open while they were added, and cut it as slow.
	a := sys.CreateEventStream("a", 0)
	sys.CreateEventStream("b", 0)
	sys.RemoveStream(a)
	m := sys.Metrics()
	assert.Equal(t, uint64(1), m.StreamsOpen)
	assert.Equal(t, uint64(2), m.StreamsCreated)
	assert.Equal(t, uint64(2), m.HistoryLowestID, "6 events in a history of 4")
	assert.Equal(t, uint64(6), m.HistoryNextID)
	assert.Equal(t, uint64(4), m.HistoryCapacity)
	assert.Equal(t, uint64(3), m.StoreWaiting)
	assert.Equal(t, uint64(3), m.StoreCapacity)
	assert.Zero(t, m.DuplicatesSuppressed)

	sys.CloseAllStreams() // closed streams are counted across the new streaming
	sys.Store.CollectEvents()
	m = sys.Metrics()
	assert.Zero(t, m.StreamsOpen)
	assert.Equal(t, uint64(2), m.StreamsCreated)
	assert.Zero(t, m.StoreWaiting)
	sys.retire()
}

// TestPluginBatchMarshals: whatever bytes a record's string fields hold,
// every record the plugin receives marshals.
func TestPluginBatchMarshals(t *testing.T) {
	plugin := &recordingPlugin{}
	cfg, _ := pushingConfig(plugin, time.Hour)
	sys := New(cfg)
	sys.StartService()
	ff := strings.Repeat("\xff", 2000)
	sys.AddEvent(&si.EventRecord{Message: ff})
	sys.AddEvent(&si.EventRecord{ObjectID: "app-\xc3", ReferenceID: ff, Message: "a\xe2\x82"})
	sys.AddEvent(&si.EventRecord{Message: "ok", Resource: &si.Resource{Resources: map[string]*si.Quantity{"v\xffcore": {Value: 1}}}})
	sys.Stop()
	got := plugin.events()
	require.Len(t, got, 3)
	for i, ev := range got {
		_, err := proto.Marshal(ev)
		assert.NoError(t, err, "record %d", i)
	}
	assert.LessOrEqual(t, len(got[0].Message), MaxMessageLength)
	assert.True(t, strings.HasSuffix(got[0].Message, "..."))
}
