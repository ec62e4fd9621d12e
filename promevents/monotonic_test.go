package promevents_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/promevents"
	"github.com/lfevents/lfevents/system"
)

// scrape gathers reg and returns every series' value and whether it is a
// counter.
func scrape(t *testing.T, reg *prometheus.Registry) (values map[string]float64, counters map[string]bool) {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	values, counters = map[string]float64{}, map[string]bool{}
	for _, f := range families {
		require.Len(t, f.GetMetric(), 1, f.GetName())
		m := f.GetMetric()[0]
		switch f.GetType().String() {
		case "COUNTER":
			values[f.GetName()], counters[f.GetName()] = m.GetCounter().GetValue(), true
		case "GAUGE":
			values[f.GetName()] = m.GetGauge().GetValue()
		default:
			t.Fatalf("%s: unexpected type %v", f.GetName(), f.GetType())
		}
	}
	return values, counters
}

// TestCountersNeverGoDown drives a system through everything that replaces
// or resizes its parts (reconfigure history, store, queues, tracking and
// dedup; restart; close all streams; stop and start) and scrapes after every
// step: no counter, and none of the reference's total_* series (gauges that
// count), may ever go down, or rate() would see a reset that did not happen.
func TestCountersNeverGoDown(t *testing.T) {
	sys := newSystem(&countingPlugin{})
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(promevents.New(sys)))
	sys.StartService()

	prev, counters := scrape(t, reg)
	require.NotEmpty(t, counters)
	step := func(name string, f func()) {
		f()
		addN(sys, 50)
		s := sys.CreateEventStream("step", 0) // never read: cut as slow
		addN(sys, 40)
		sys.RemoveStream(s)
		now, _ := scrape(t, reg)
		for series, v := range now {
			if counters[series] || strings.Contains(series, "_total_") {
				assert.GreaterOrEqual(t, v, prev[series], "%s went down at step %q", series, name)
			}
		}
		prev = now
	}
	reconfigure := func(change func(*system.Config)) func() {
		return func() {
			cfg := sys.Config()
			change(&cfg)
			sys.Reconfigure(cfg)
		}
	}
	step("start", func() {})
	step("bigger ring", reconfigure(func(c *system.Config) { c.RingBufferCapacity = 64 }))
	step("smaller ring", reconfigure(func(c *system.Config) { c.RingBufferCapacity = 8 }))
	step("bigger store", reconfigure(func(c *system.Config) { c.RequestCapacity = 100 }))
	step("smaller store", reconfigure(func(c *system.Config) { c.RequestCapacity = 2 }))
	step("queue size", reconfigure(func(c *system.Config) { c.StreamQueueSize = 4 }))
	step("dedup off", reconfigure(func(c *system.Config) { c.DedupWindow = 0 }))
	step("tracking off", reconfigure(func(c *system.Config) { c.TrackingEnabled = false }))
	step("tracking on", reconfigure(func(c *system.Config) { c.TrackingEnabled = true }))
	step("close all streams", sys.CloseAllStreams)
	step("restart", sys.Restart)
	step("stop and start", func() { sys.Stop(); sys.StartService() })
	sys.Stop()
}
