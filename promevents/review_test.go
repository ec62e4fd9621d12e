package promevents_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/promevents"
	"github.com/lfevents/lfevents/system"
)

// TestCountersNeverGoDownUnderChurn is TestCountersNeverGoDown with
// everything at once: scrapes (through a pedantic registry, which also checks
// that Collect sends only what Describe announced) race producers (AddEvent
// and AddEvents with nil entries), a publisher pushing every nanosecond to a
// plugin that panics on every seventh batch, streams opened, cut and removed,
// and the control plane (Restart, Stop, StartService, CloseAllStreams,
// Reconfigure of sizes and tracking). No counter, and none of the
// reference's total_* gauges, may ever go down between two scrapes.
func TestCountersNeverGoDownUnderChurn(t *testing.T) {
	var calls atomic.Int64
	plugin := testutil.PluginFunc(func([]*si.EventRecord) {
		if calls.Add(1)%7 == 0 {
			panic("every seventh batch")
		}
	})
	cfg := system.DefaultConfig()
	cfg.RequestCapacity = 8
	cfg.RingBufferCapacity = 64
	cfg.StreamQueueSize = 1
	cfg.PushInterval = time.Nanosecond
	cfg.Plugin = plugin
	cfg.Logger = quiet
	sys := system.New(cfg)
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(promevents.New(sys)))
	sys.StartService()
	other := cfg
	other.RingBufferCapacity, other.RequestCapacity, other.TrackingEnabled = 16, 2, !cfg.TrackingEnabled
	ctl := []func(){sys.Restart, sys.Stop, sys.StartService, sys.CloseAllStreams,
		func() { sys.Reconfigure(other) }, func() { sys.Reconfigure(cfg) }}
	var step atomic.Int64
	stop := testutil.Loop(
		func() { ctl[int(step.Add(1))%len(ctl)]() },
		func() { addN(sys, 3); sys.AddEvents([]*si.EventRecord{nil, {ObjectID: "x"}, nil}) },
		func() { s := sys.CreateEventStream("s", 2); addN(sys, 1); sys.RemoveStream(s) },
	)
	defer func() {
		stop()
		sys.Stop()
	}()
	prev, counters := scrape(t, reg)
	require.NotEmpty(t, counters)
	for i := 0; i < 300; i++ {
		now, _ := scrape(t, reg)
		for series, v := range now {
			if counters[series] || strings.Contains(series, "_total_") {
				require.GreaterOrEqual(t, v, prev[series], "%s went down at scrape %d", series, i)
			}
		}
		prev = now
	}
}

// TestLintWithOptions: the series pass the linter with every option, not
// only the defaults (TestLint).
func TestLintWithOptions(t *testing.T) {
	sys := newSystem(nil)
	addN(sys, 3)
	for _, opts := range [][]promevents.Option{
		{promevents.WithNamespace(""), promevents.WithSubsystem("")},
		{promevents.WithNamespace("sched"), promevents.WithSubsystem("")},
		{promevents.WithConstLabels(prometheus.Labels{"system": "a"})},
	} {
		problems, err := promtest.CollectAndLint(promevents.New(sys, opts...))
		require.NoError(t, err)
		assert.Empty(t, problems)
		assert.Equal(t, promtest.CollectAndCount(promevents.New(sys)), promtest.CollectAndCount(promevents.New(sys, opts...)))
	}
}
