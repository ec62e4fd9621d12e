package promevents_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/promevents"
	"github.com/lfevents/lfevents/stream"
	"github.com/lfevents/lfevents/system"
)

var quiet = slog.New(slog.DiscardHandler)

// countingPlugin counts the records handed to it.
type countingPlugin struct {
	mu      sync.Mutex
	records int
}

func (p *countingPlugin) SendEvent(recs []*si.EventRecord) {
	p.mu.Lock()
	p.records += len(recs)
	p.mu.Unlock()
}

func newSystem(plugin system.EventPlugin) *system.EventSystemImpl {
	cfg := system.DefaultConfig()
	cfg.DedupWindow = time.Hour
	cfg.RequestCapacity = 4
	cfg.RingBufferCapacity = 16
	cfg.StreamQueueSize = 1
	cfg.PushInterval = time.Hour // only Stop pushes
	cfg.Plugin = plugin
	cfg.Logger = quiet
	return system.New(cfg)
}

var asks atomic.Int64

// addN adds n distinct events.
func addN(sys *system.EventSystemImpl, n int) {
	for i := 0; i < n; i++ {
		sys.AddEvent(system.CreateRequestEventRecord(fmt.Sprint("ask-", asks.Add(1)), "app-1", "Request does not fit in queue", nil, ""))
	}
}

// runSequence drives sys through adds before the start, a stream that reads
// everything and is removed, a stream cut off as slow, stores beyond the
// store's capacity, stops with their last push, and adds while stopped. It
// returns how many events the slow stream got on its channel before the cut.
func runSequence(t *testing.T, sys *system.EventSystemImpl) (slowGot int) {
	addN(sys, 2) // kept before the first start
	sys.StartService()

	r := sys.CreateEventStream("reader", 0)
	for i := 0; i < 3; i++ {
		addN(sys, 1) // one at a time: a queue of 1 holds it
		select {
		case ev := <-r.Events:
			require.NotNil(t, ev)
		case <-time.After(10 * time.Second):
			t.Fatal("reader stream delivered nothing")
		}
	}
	sys.RemoveStream(r)

	s := sys.CreateEventStream("slow", 0)
	addN(sys, 100) // queue of 1 and history of 16: the unread stream is cut
	require.Eventually(t, func() bool { return s.CloseReason() == stream.ReasonSlow },
		10*time.Second, time.Millisecond, "slow stream not cut")
	for range s.Events {
		slowGot++ // delivered before the cut, still in the channel's buffer
	}

	sys.Stop()   // pushes the 4 events the store holds
	addN(sys, 2) // rejected while stopped
	sys.StartService()
	addN(sys, 1)
	for range 2 { // the second is a duplicate
		sys.AddEvent(system.CreateNodeEventRecord("node-1", "node unhealthy", "", si.EventRecord_SET,
			si.EventRecord_NODE_SCHEDULABLE, nil, ""))
	}
	sys.Stop() // pushes 2
	return slowGot
}

func TestCollectAndCompare(t *testing.T) {
	plugin := &countingPlugin{}
	sys := newSystem(plugin)
	slowGot := runSequence(t, sys)
	require.Equal(t, 6, plugin.records)

	want := fmt.Sprintf(`
# HELP yunikorn_event_total_created total events created
# TYPE yunikorn_event_total_created gauge
yunikorn_event_total_created 110
# HELP yunikorn_event_total_channeled total events channeled
# TYPE yunikorn_event_total_channeled gauge
yunikorn_event_total_channeled 107
# HELP yunikorn_event_total_not_channeled total events not channeled
# TYPE yunikorn_event_total_not_channeled gauge
yunikorn_event_total_not_channeled 2
# HELP yunikorn_event_total_processed total events processed
# TYPE yunikorn_event_total_processed gauge
yunikorn_event_total_processed 107
# HELP yunikorn_event_total_stored total events stored
# TYPE yunikorn_event_total_stored gauge
yunikorn_event_total_stored 6
# HELP yunikorn_event_total_not_stored total events not stored
# TYPE yunikorn_event_total_not_stored gauge
yunikorn_event_total_not_stored 101
# HELP yunikorn_event_total_collected total events collected
# TYPE yunikorn_event_total_collected gauge
yunikorn_event_total_collected 6
# HELP yunikorn_event_streams_removed_slow_total Event streams cut off because their consumer did not keep up.
# TYPE yunikorn_event_streams_removed_slow_total counter
yunikorn_event_streams_removed_slow_total 1
# HELP yunikorn_event_stream_events_delivered_total Events delivered to event stream consumers, over all streams.
# TYPE yunikorn_event_stream_events_delivered_total counter
yunikorn_event_stream_events_delivered_total %d
# HELP yunikorn_event_plugin_panics_total Event plugin SendEvent calls that panicked or ended their goroutine (runtime.Goexit); publishing went on.
# TYPE yunikorn_event_plugin_panics_total counter
yunikorn_event_plugin_panics_total 0
# HELP yunikorn_event_streams_open Event streams open now.
# TYPE yunikorn_event_streams_open gauge
yunikorn_event_streams_open 0
# HELP yunikorn_event_streams_created_total Event streams opened.
# TYPE yunikorn_event_streams_created_total counter
yunikorn_event_streams_created_total 2
# HELP yunikorn_event_history_lowest_id ID of the oldest event held in history (0 when it holds none).
# TYPE yunikorn_event_history_lowest_id gauge
yunikorn_event_history_lowest_id 91
# HELP yunikorn_event_history_next_id ID the next accepted event gets: the number of events accepted so far.
# TYPE yunikorn_event_history_next_id gauge
yunikorn_event_history_next_id 107
# HELP yunikorn_event_history_capacity Number of newest events the history keeps.
# TYPE yunikorn_event_history_capacity gauge
yunikorn_event_history_capacity 16
# HELP yunikorn_event_store_waiting Events in the store waiting for the next push to the plugin.
# TYPE yunikorn_event_store_waiting gauge
yunikorn_event_store_waiting 0
# HELP yunikorn_event_store_capacity Most events the store holds between two pushes to the plugin.
# TYPE yunikorn_event_store_capacity gauge
yunikorn_event_store_capacity 4
# HELP yunikorn_event_publisher_batches_total Non-empty event batches handed to the plugin.
# TYPE yunikorn_event_publisher_batches_total counter
yunikorn_event_publisher_batches_total 2
# HELP yunikorn_event_duplicates_suppressed_total Events dropped as duplicates of an equal event recorded within the duplicate window.
# TYPE yunikorn_event_duplicates_suppressed_total counter
yunikorn_event_duplicates_suppressed_total 1
`, 3+slowGot)
	require.NoError(t, testutil.CollectAndCompare(promevents.New(sys), strings.NewReader(want)))
}

func TestLint(t *testing.T) {
	sys := newSystem(nil)
	addN(sys, 3)
	problems, err := testutil.CollectAndLint(promevents.New(sys))
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func TestNamespaceAndSubsystem(t *testing.T) {
	sys := newSystem(nil)
	addN(sys, 3)
	c := promevents.New(sys, promevents.WithNamespace("sched"), promevents.WithSubsystem("events"))
	want := `
# HELP sched_events_total_created total events created
# TYPE sched_events_total_created gauge
sched_events_total_created 3
`
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(want), "sched_events_total_created"))
	c = promevents.New(sys, promevents.WithNamespace(""), promevents.WithSubsystem(""))
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(strings.ReplaceAll(want, "sched_events_", "")), "total_created"))
}

// TestSeveralSystems registers two systems in one registry, told apart by a
// constant label.
func TestSeveralSystems(t *testing.T) {
	a, b := newSystem(nil), newSystem(nil)
	addN(a, 1)
	addN(b, 2)
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(promevents.New(a, promevents.WithConstLabels(prometheus.Labels{"system": "a"}))))
	require.NoError(t, reg.Register(promevents.New(b, promevents.WithConstLabels(prometheus.Labels{"system": "b"}))))
	assert.Error(t, reg.Register(promevents.New(b)), "same series without the label")
	want := `
# HELP yunikorn_event_total_created total events created
# TYPE yunikorn_event_total_created gauge
yunikorn_event_total_created{system="a"} 1
yunikorn_event_total_created{system="b"} 2
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), "yunikorn_event_total_created"))
}

// TestScrapeOverLoopback serves the registry with promhttp on a loopback
// listener, scrapes it as Prometheus would and checks the reference's seven
// series against Metrics.
func TestScrapeOverLoopback(t *testing.T) {
	sys := newSystem(&countingPlugin{})
	runSequence(t, sys)
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(promevents.New(sys)))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	require.NoError(t, err)

	m := sys.Metrics() // stopped: nothing moves any more
	for name, want := range map[string]uint64{
		"yunikorn_event_total_created":       m.Created,
		"yunikorn_event_total_channeled":     m.Channeled,
		"yunikorn_event_total_not_channeled": m.NotChanneled,
		"yunikorn_event_total_processed":     m.Processed,
		"yunikorn_event_total_stored":        m.Stored,
		"yunikorn_event_total_not_stored":    m.NotStored,
		"yunikorn_event_total_collected":     m.Collected,
	} {
		f, ok := families[name]
		if !assert.True(t, ok, "series %s missing", name) {
			continue
		}
		require.Len(t, f.GetMetric(), 1)
		assert.Equal(t, float64(want), f.GetMetric()[0].GetGauge().GetValue(), name)
	}
	assert.Positive(t, m.Created)
}
