package system

import (
	"log/slog"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// goexitPlugin ends the calling goroutine with runtime.Goexit (as
// testing.T.FailNow does) on its first n calls, and records the batches of
// the later ones.
type goexitPlugin struct {
	n     atomic.Int64
	after recordingPlugin
}

func (p *goexitPlugin) SendEvent(evs []*si.EventRecord) {
	if p.n.Add(-1) >= 0 {
		runtime.Goexit()
	}
	p.after.SendEvent(evs)
}

// TestPublisherSurvivesGoexit: a SendEvent that calls runtime.Goexit cannot
// be recovered like a panic. Before the fix it ended the run goroutine
// silently: the publisher still counted as started, so nothing was pushed
// again (and StartService was a no-op) until Stop. Now the batch is dropped
// as for a panic (logged and counted) and the run goes on.
func TestPublisherSurvivesGoexit(t *testing.T) {
	rec := &logRecorder{}
	src := &sliceSource{}
	plugin := &goexitPlugin{}
	plugin.n.Store(1)
	p := newPublisher(src, WithPushInterval(time.Millisecond), WithPlugin(plugin),
		WithPublisherLogger(slog.New(rec)))
	p.StartService()
	src.add(records(3)...)
	require.Eventually(t, func() bool { return p.Stats().PluginPanics == 1 }, waitFor, pollAt)
	assert.Equal(t, 1, rec.count(slog.LevelError, "events", "3"), rec.messages())

	more := records(2)
	src.add(more...)
	require.Eventually(t, func() bool { return len(plugin.after.events()) == 2 }, waitFor, pollAt,
		"pushing goes on after the Goexit")
	assert.Equal(t, more, plugin.after.events())
	p.Stop()
	st := p.Stats()
	assert.Equal(t, uint64(5), st.Collected)
	assert.Equal(t, uint64(2), st.Batches)
	goleak.VerifyNone(t)
}

// TestPublisherGoexitInLastPush: a Goexit in Stop's last push still lets
// Stop return, with no goroutine left.
func TestPublisherGoexitInLastPush(t *testing.T) {
	src := &sliceSource{}
	plugin := &goexitPlugin{}
	plugin.n.Store(1)
	p := newPublisher(src, WithPushInterval(time.Hour), WithPlugin(plugin),
		WithPublisherLogger(slog.New(&logRecorder{})))
	p.StartService()
	src.add(records(1)...)
	require.True(t, finishes(p.Stop))
	assert.Equal(t, uint64(1), p.Stats().PluginPanics)
	goleak.VerifyNone(t)

	// It starts again as usual.
	p.StartService()
	src.add(records(2)...)
	p.Stop()
	assert.Len(t, plugin.after.events(), 2)
}

// TestSystemSurvivesGoexit: through the system, with Metrics.
func TestSystemSurvivesGoexit(t *testing.T) {
	plugin := &goexitPlugin{}
	plugin.n.Store(2)
	cfg, rec := pushingConfig(plugin, time.Millisecond)
	sys := New(cfg)
	sys.StartService()
	defer sys.Stop()
	sys.AddEvent(tagged(0, 0))
	require.Eventually(t, func() bool { return sys.Metrics().PluginPanics == 1 }, waitFor, pollAt)
	sys.AddEvent(tagged(0, 1))
	require.Eventually(t, func() bool { return sys.Metrics().PluginPanics == 2 }, waitFor, pollAt)
	sys.AddEvent(tagged(0, 2))
	require.Eventually(t, func() bool { return len(plugin.after.events()) == 1 }, waitFor, pollAt)
	m := sys.Metrics()
	assert.Equal(t, uint64(3), m.Collected)
	assert.Equal(t, uint64(3), m.PublisherBatches)
	assert.Equal(t, 2, rec.count(slog.LevelError, "events", "1"), rec.messages())
}
