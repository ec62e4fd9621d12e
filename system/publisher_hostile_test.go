package system

import (
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/lfevents/lfevents/internal/testutil"
)

// ledgerPlugin records every batch it is handed, those it panics on
// included, so a test can check that each collected event reached the plugin
// exactly once. Every third call panics (after recording), and every call
// yields, as a slow plugin would.
type ledgerPlugin struct {
	mu       sync.Mutex
	calls    int
	ok       []*si.EventRecord
	panicked []*si.EventRecord
}

func (p *ledgerPlugin) SendEvent(evs []*si.EventRecord) {
	p.mu.Lock()
	p.calls++
	boom := p.calls%3 == 0
	if boom {
		p.panicked = append(p.panicked, evs...)
	} else {
		p.ok = append(p.ok, evs...)
	}
	p.mu.Unlock()
	time.Sleep(10 * time.Microsecond) // slow, not a timing assertion
	if boom {
		panic("every third batch")
	}
}

func (p *ledgerPlugin) snapshot() (ok, panicked []*si.EventRecord, calls int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*si.EventRecord(nil), p.ok...), append([]*si.EventRecord(nil), p.panicked...), p.calls
}

// TestHostilePluginUnderLifecycleRace: a slow plugin that panics on every
// third batch, with Stop, Restart, Reconfigure (push interval 1ns or 1h) and
// StartService racing the push tick and the producers. Every accepted event
// reaches the plugin exactly once (sent, or dropped in a panic and counted)
// or still waits in the store; the counters agree; nothing is left running.
func TestHostilePluginUnderLifecycleRace(t *testing.T) {
	const producers, perProducer = 4, 3000
	plugin := &ledgerPlugin{}
	cfg, _ := pushingConfig(plugin, time.Nanosecond)
	cfg.RingBufferCapacity = producers * perProducer
	cfg.RequestCapacity = producers * perProducer
	sys := New(cfg)
	slow := cfg
	slow.PushInterval = time.Hour
	control := []func(){
		sys.StartService, sys.Stop, sys.Restart,
		func() { sys.Reconfigure(slow) },
		func() { sys.Reconfigure(cfg) },
	}
	var step atomic.Int64
	stop := testutil.Loop(
		func() { control[int(step.Add(1))%len(control)]() },
		func() { control[int(step.Add(1))%len(control)]() },
	)
	startProducers(sys, producers, perProducer, 50)()
	stop()
	sys.Stop()
	goleak.VerifyNone(t)

	m := sys.Metrics()
	require.Equal(t, m.Channeled, m.Stored, "room for every accepted event")
	ok, panicked, calls := plugin.snapshot()
	t.Logf("%d batches, %d events sent, %d dropped in panics", calls, len(ok), len(panicked))
	waiting := sys.Store.CollectEvents()
	assert.Equal(t, m.Collected, uint64(len(ok)+len(panicked)))
	assert.Equal(t, m.PublisherBatches, uint64(calls))
	assert.Equal(t, m.PluginPanics, uint64(calls/3))

	history, _, _ := sys.GetEventsFromID(0, math.MaxUint64)
	require.Len(t, history, int(m.Channeled))
	seen := make(map[*si.EventRecord]int, len(history))
	for _, evs := range [][]*si.EventRecord{ok, panicked, waiting} {
		for _, ev := range evs {
			seen[ev]++
		}
	}
	for i, ev := range history {
		require.Equal(t, 1, seen[ev], "history event %d: sent, dropped or waiting exactly once", i)
	}
	assert.Len(t, seen, len(history), "nothing sent that is not in history")
}

// TestPluginCallsBackIntoSystem: a SendEvent that uses the data plane of
// its own system (AddEvent, AddEvents, reads, metrics, streams, the
// process-wide plugin) works without deadlock; what it adds goes out in a
// later batch, once; what it adds during Stop's last push is rejected and
// counted, as any AddEvent after Stop.
func TestPluginCallsBackIntoSystem(t *testing.T) {
	unregisterPluginAfter(t)
	var sys *EventSystemImpl
	var mu sync.Mutex
	var got []*si.EventRecord
	var nested int
	plugin := testutil.PluginFunc(func(evs []*si.EventRecord) {
		mu.Lock()
		got = append(got, evs...)
		mu.Unlock()
		for _, ev := range evs {
			if ev.ObjectID == "outer" {
				sys.AddEvent(&si.EventRecord{ObjectID: "inner"})
				sys.AddEvents([]*si.EventRecord{{ObjectID: "inner"}, nil})
				nested += 2
			}
		}
		_ = sys.Metrics()
		_, _, _ = sys.GetEventsFromID(0, 10)
		_ = sys.GetRecentEvents(5)
		_ = sys.Config()
		s := sys.CreateEventStream("from plugin", 3)
		_ = sys.GetEventStreams()
		sys.RemoveStream(s)
		SetEventPlugin(nil) // not this system's plugin: no effect on it
	})
	cfg, rec := pushingConfig(plugin, time.Millisecond)
	sys = New(cfg)
	sys.StartService()
	sys.AddEvent(&si.EventRecord{ObjectID: "outer"})
	sys.AddEvent(&si.EventRecord{ObjectID: "outer"})
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 6
	}, waitFor, pollAt)

	// A third outer, then Stop. If Stop's last push delivers it, the system
	// is stopped by then and its two nested adds are rejected. If a regular
	// push gets it first (the tick is 1 ms), Stop can come before, between or
	// after its two nested adds: each one that comes before Stop is accepted
	// and Stop's last push delivers it, the others are rejected. Either way
	// each accepted event is sent once.
	sys.AddEvent(&si.EventRecord{ObjectID: "outer"})
	sys.Stop()
	goleak.VerifyNone(t)
	m := sys.Metrics()
	assert.Equal(t, 6, nested)
	assert.Equal(t, uint64(9), m.Channeled+m.NotChanneled, "every add accepted or rejected")
	assert.LessOrEqual(t, m.NotChanneled, uint64(2), "only the third outer's nested adds can meet Stop")
	assert.Equal(t, m.Channeled, m.Collected, "each accepted event sent once")
	assert.Len(t, got, int(m.Channeled))
	assert.Zero(t, rec.count(slog.LevelError, "call", ""), "no control-plane call was made")
}

// blockingPlugin blocks in SendEvent until release is closed, after telling
// entered.
type blockingPlugin struct {
	entered chan struct{}
	once    sync.Once
	release chan struct{}
	rec     recordingPlugin
}

func (p *blockingPlugin) SendEvent(evs []*si.EventRecord) {
	p.once.Do(func() { close(p.entered) })
	<-p.release
	p.rec.SendEvent(evs)
}

// TestBlockedPluginBlocksOnlyTheControlPlane: while SendEvent blocks (as
// long as it likes), AddEvent, the reads, streams and Metrics go on, and
// events beyond the store's capacity are counted as not stored; Stop waits
// for SendEvent, as documented, and then delivers the rest. Nothing is lost
// uncounted, nothing is sent twice, nothing is left running.
func TestBlockedPluginBlocksOnlyTheControlPlane(t *testing.T) {
	plugin := &blockingPlugin{entered: make(chan struct{}), release: make(chan struct{})}
	cfg, _ := pushingConfig(plugin, time.Millisecond)
	cfg.RequestCapacity = 10
	sys := New(cfg)
	sys.StartService()
	sys.AddEvent(tagged(0, 0))
	<-plugin.entered // the first batch is in SendEvent, which blocks

	for i := 1; i <= 25; i++ {
		sys.AddEvent(tagged(0, i))
	}
	s := sys.CreateEventStream("while blocked", 100)
	streamed, err := testutil.Receive(s.Events, 26, waitFor)
	require.NoError(t, err)
	assert.Len(t, streamed, 26)
	sys.RemoveStream(s)
	assert.Len(t, sys.GetRecentEvents(100), 26)
	m := sys.Metrics()
	assert.Equal(t, uint64(26), m.Channeled)
	assert.Equal(t, uint64(10), m.StoreWaiting)
	assert.Equal(t, uint64(15), m.NotStored, "beyond the store's capacity, counted")

	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		sys.Stop() // waits for SendEvent
	}()
	require.Eventually(t, func() bool { return sys.state.Load() == stateStopped }, waitFor, pollAt)
	sys.AddEvent(tagged(0, 99)) // rejected while Stop waits
	_ = sys.Metrics()           // does not wait for Stop
	close(plugin.release)
	<-stopped
	goleak.VerifyNone(t)

	m = sys.Metrics()
	assert.Equal(t, uint64(1), m.NotChanneled)
	assert.Equal(t, m.Stored, m.Collected, "every stored event sent once")
	assert.Equal(t, uint64(11), m.Collected)
	assert.Len(t, plugin.rec.events(), 11)
	assert.Equal(t, uint64(2), m.PublisherBatches)
}

// TestPluginReplacedWhileRunning: the process-wide plugin replaced (and
// unregistered) over and over while the publisher pushes every nanosecond:
// every event goes to exactly one of the plugins, or waits in the store.
func TestPluginReplacedWhileRunning(t *testing.T) {
	unregisterPluginAfter(t)
	plugins := []*recordingPlugin{{}, {}, {}}
	cfg, _ := quietConfig()
	cfg.PushInterval = time.Nanosecond
	cfg.RequestCapacity, cfg.RingBufferCapacity = 20000, 20000
	sys := New(cfg)
	sys.StartService()
	var n atomic.Int64
	stop := testutil.Loop(func() {
		i := n.Add(1) % 4
		if i == 3 {
			SetEventPlugin(nil)
			return
		}
		SetEventPlugin(plugins[i])
	})
	startProducers(sys, 4, 5000, 100)()
	stop()
	SetEventPlugin(nil)
	sys.Stop()
	goleak.VerifyNone(t)

	seen := map[*si.EventRecord]int{}
	total := 0
	for _, p := range plugins {
		for _, ev := range p.events() {
			seen[ev]++
			total++
		}
	}
	collected := sys.Metrics().Collected
	for _, ev := range sys.Store.CollectEvents() {
		seen[ev]++
		total++
	}
	assert.Equal(t, 20000, total)
	assert.Len(t, seen, 20000, "no event twice")
	assert.LessOrEqual(t, collected, uint64(20000))
}

// TestPushIntervalEdges: 0 and negative intervals mean the default, any
// positive one (1ns, the largest Duration) is used as given; the publisher
// starts, pushes on Stop and stops with each. The config map has no key for
// the interval: it always gives the default.
func TestPushIntervalEdges(t *testing.T) {
	for _, tc := range []struct {
		asked, used time.Duration
	}{
		{0, DefaultPushInterval},
		{-1, DefaultPushInterval},
		{math.MinInt64, DefaultPushInterval},
		{1, 1},
		{math.MaxInt64, math.MaxInt64},
	} {
		t.Run(tc.asked.String(), func(t *testing.T) {
			plugin := &recordingPlugin{}
			cfg, _ := pushingConfig(plugin, tc.asked)
			sys := New(cfg)
			assert.Equal(t, tc.used, sys.Config().PushInterval)
			sys.StartService()
			sys.AddEvent(&si.EventRecord{})
			sys.Stop()
			assert.Len(t, plugin.events(), 1)

			// Reconfigured from and to it on a running system.
			other := cfg
			other.PushInterval = time.Hour
			sys.StartService()
			sys.Reconfigure(other)
			sys.AddEvent(&si.EventRecord{})
			sys.Reconfigure(cfg)
			assert.Equal(t, tc.used, sys.Config().PushInterval)
			sys.AddEvent(&si.EventRecord{})
			sys.Stop()
			assert.Len(t, plugin.events(), 3)
			goleak.VerifyNone(t)

			p := newPublisher(&sliceSource{}, WithPushInterval(tc.asked))
			assert.Equal(t, tc.used, p.settings.interval)
		})
	}
	for _, m := range []map[string]string{nil, {}, {"event.pushInterval": "1ms"}, {"event.pushInterval": "-1s"}} {
		assert.Equal(t, DefaultPushInterval, ConfigFromMapWithLogger(m, slog.New(&logRecorder{})).PushInterval)
	}
}

// TestHostileRecordsMarshalForThePlugin: records with invalid UTF-8 in
// every string field, huge fields, nil and odd resource maps all reach the
// plugin as records that marshal, while history keeps them as added.
func TestHostileRecordsMarshalForThePlugin(t *testing.T) {
	bad := "\xff\xfe\xc3"
	huge := strings.Repeat(bad, 1<<18)
	hostile := []*si.EventRecord{
		{ObjectID: bad, ReferenceID: bad, Message: bad},
		{ObjectID: huge, ReferenceID: huge, Message: huge},
		{Message: strings.Repeat("\xff", MaxMessageLength)},               // repair triples it: cut
		{Message: strings.Repeat("x", MaxMessageLength-1) + "\xe2\x82"},   // a split rune at the end
		{ObjectID: "\xed\xa0\x80", ReferenceID: "\xf4\x90\x80\x80"},       // a surrogate, beyond U+10FFFF
		{ObjectID: "\xc0\x80", Message: strings.Repeat("€", 1<<16) + bad}, // overlong, huge valid head
		{Resource: &si.Resource{}},
		{Resource: &si.Resource{Resources: map[string]*si.Quantity{"memory": nil}}},
		{Resource: &si.Resource{Resources: map[string]*si.Quantity{"m\xff": nil, "": {Value: 1}}}},
		{Resource: &si.Resource{Resources: map[string]*si.Quantity{"a\xff": {Value: 1}, "a\xfe": {Value: 2}}}},
		{ObjectID: bad, Resource: &si.Resource{Resources: map[string]*si.Quantity{huge: {Value: 3}}}},
	}
	for _, ev := range hostile {
		SetEventState(ev, "state"+bad)
	}
	plugin := &recordingPlugin{}
	cfg, _ := pushingConfig(plugin, time.Hour)
	sys := New(cfg)
	sys.StartService()
	added := make([]*si.EventRecord, len(hostile))
	for i, ev := range hostile {
		sys.AddEvent(ev)
		added[i] = proto.Clone(ev).(*si.EventRecord) // as history holds it, cut if it was long
	}
	sys.Stop()

	got := plugin.events()
	require.Len(t, got, len(hostile))
	for i, ev := range got {
		b, err := proto.Marshal(ev)
		require.NoError(t, err, "record %d", i)
		var back si.EventRecord
		require.NoError(t, proto.Unmarshal(b, &back), "record %d", i)
		assert.LessOrEqual(t, len(back.Message), MaxMessageLength, "record %d", i)
		assert.Equal(t, EventState(added[i]), EventState(&back), "record %d: the state kept", i)
		assert.True(t, proto.Equal(added[i], hostile[i]), "record %d: history's record untouched", i)
	}
	assert.Len(t, got[9].Resource.Resources, 1, "two names repaired to one: one kept")
	assert.Nil(t, got[6].Resource.Resources)
}

// TestPluginCalledOneBatchAtATime: one system's publisher never calls its
// plugin twice at once, through restarts, reconfigurations and Goexit.
func TestPluginCalledOneBatchAtATime(t *testing.T) {
	var inFlight, most, calls atomic.Int64
	plugin := testutil.PluginFunc(func([]*si.EventRecord) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(10 * time.Microsecond)
		if calls.Add(1)%5 == 0 {
			runtime.Goexit()
		}
	})
	cfg, _ := pushingConfig(plugin, time.Nanosecond)
	sys := New(cfg)
	sys.StartService()
	stop := testutil.Loop(sys.Restart, func() { sys.Reconfigure(cfg) }, func() { sys.AddEvent(&si.EventRecord{}) })
	require.Eventually(t, func() bool { return calls.Load() >= 50 }, waitFor, pollAt)
	stop()
	sys.Stop()
	goleak.VerifyNone(t)
	assert.Equal(t, int64(1), most.Load())
}
