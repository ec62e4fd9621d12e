package system

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lfevents/lfevents/internal/testutil"
)

// chaosPlugin records every batch it is handed, those it drops included. By
// call number it panics, calls runtime.Goexit, and (while active) calls a
// control-plane method of its own system from SendEvent: Restart,
// Reconfigure (tracking toggled, push interval, plugin) or CloseAllStreams.
type chaosPlugin struct {
	active                  atomic.Bool
	mu                      sync.Mutex
	calls                   int
	ok, dropped             []*si.EventRecord
	panics, goexits, nested int
	sys                     func() *EventSystemImpl
	cfgs                    []Config
}

func (p *chaosPlugin) SendEvent(evs []*si.EventRecord) {
	p.mu.Lock()
	p.calls++
	n := p.calls
	mode := 0
	switch {
	case n%5 == 0:
		mode = 1
		p.panics++
		p.dropped = append(p.dropped, evs...)
	case n%4 == 0:
		mode = 2
		p.goexits++
		p.dropped = append(p.dropped, evs...)
	default:
		p.ok = append(p.ok, evs...)
	}
	p.mu.Unlock()
	if n%7 == 0 && p.active.Load() {
		sys := p.sys()
		switch n % 3 {
		case 0:
			sys.Restart()
		case 1:
			sys.Reconfigure(p.cfgs[n%len(p.cfgs)])
		case 2:
			sys.CloseAllStreams()
		}
	}
	switch mode {
	case 1:
		panic("chaos")
	case 2:
		runtime.Goexit()
	}
}

// TestChaosPluginTrackingAndPluginSwaps: as TestHostilePluginUnderLifecycleRace,
// with what that test leaves out racing the pushes too: tracking turned on
// and off, the system's own plugin swapped for the process-wide one (itself
// registered and unregistered), a plugin that ends its goroutine
// (runtime.Goexit) as well as panicking, and control-plane calls from
// SendEvent, which run on goroutines of their own. Every accepted event
// reaches the plugin exactly once (sent, or dropped and counted) or still
// waits in the store; the publisher's counters agree with the plugin's
// ledger; nothing is left running.
func TestChaosPluginTrackingAndPluginSwaps(t *testing.T) {
	unregisterPluginAfter(t)
	const limit, batches = 60000, 30
	plugin := &chaosPlugin{}
	plugin.active.Store(true)
	cfg, _ := pushingConfig(plugin, time.Nanosecond)
	cfg.RingBufferCapacity, cfg.RequestCapacity = limit, limit
	var sys *EventSystemImpl
	plugin.sys = func() *EventSystemImpl { return sys }
	a, b, c := cfg, cfg, cfg
	b.TrackingEnabled = !cfg.TrackingEnabled
	b.PushInterval = time.Hour
	c.Plugin = nil // the process-wide one
	plugin.cfgs = []Config{a, b, c}
	SetEventPlugin(plugin)
	sys = New(cfg)
	sys.StartService()
	control := []func(){
		sys.StartService, sys.Restart, sys.CloseAllStreams,
		func() { sys.Reconfigure(a) }, func() { sys.Reconfigure(b) }, func() { sys.Reconfigure(c) },
		func() { SetEventPlugin(nil) }, func() { SetEventPlugin(plugin) },
	}
	var step, added atomic.Int64
	produce := func() {
		if added.Add(1) <= limit {
			sys.AddEvent(&si.EventRecord{ObjectID: "o"})
		}
		runtime.Gosched()
	}
	stop := testutil.Loop(
		func() { control[int(step.Add(1))%len(control)]() },
		func() { s := sys.CreateEventStream("s", 1); sys.RemoveStream(s) },
		produce, produce,
	)
	require.Eventually(t, func() bool {
		plugin.mu.Lock()
		defer plugin.mu.Unlock()
		return plugin.calls >= batches || added.Load() >= limit
	}, waitFor, pollAt)
	stop()
	// No control calls from SendEvent from now on. Once Stop has returned,
	// every SendEvent that may have made one has returned, and counted it in
	// deferred before; what those calls restart, the second Stop stops.
	plugin.active.Store(false)
	sys.Stop()
	sys.deferred.Wait()
	sys.Stop()
	goleak.VerifyNone(t)

	m := sys.Metrics()
	require.Equal(t, m.Channeled, m.Stored)
	plugin.mu.Lock()
	defer plugin.mu.Unlock()
	waiting := sys.Store.CollectEvents()
	t.Logf("%d batches (%d panicked, %d Goexit), %d events sent, %d dropped, %d waiting, %d rejected",
		plugin.calls, plugin.panics, plugin.goexits, len(plugin.ok), len(plugin.dropped), len(waiting), m.NotChanneled)
	assert.Equal(t, m.Collected, uint64(len(plugin.ok)+len(plugin.dropped)))
	assert.Equal(t, m.PublisherBatches, uint64(plugin.calls))
	assert.Equal(t, m.PluginPanics, uint64(plugin.panics+plugin.goexits))
	history, _, _ := sys.GetEventsFromID(0, math.MaxUint64)
	require.Len(t, history, int(m.Channeled))
	seen := map[*si.EventRecord]int{}
	for _, evs := range [][]*si.EventRecord{plugin.ok, plugin.dropped, waiting} {
		for _, ev := range evs {
			seen[ev]++
		}
	}
	for i, ev := range history {
		require.Equal(t, 1, seen[ev], "history event %d: sent, dropped or waiting exactly once", i)
	}
	assert.Len(t, seen, len(history), "nothing sent that is not in history")
}
