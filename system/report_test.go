package system

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lfevents/lfevents/stream"
)

func TestRateLimitedDue(t *testing.T) {
	t0 := time.Unix(1000, 0)
	type step struct {
		at    time.Duration
		total uint64
		final bool
		n     uint64
		due   bool
	}
	steps := []step{
		{0, 0, false, 0, false},                                  // nothing lost
		{time.Second, 5, false, 5, true},                         // first loss: at once
		{2 * time.Second, 9, false, 0, false},                    // within the interval: held back
		{LossReportInterval, 12, false, 0, false},                // still within (from 1s)
		{LossReportInterval + time.Second, 12, false, 7, true},   // the interval passed: 7 since
		{LossReportInterval + 2*time.Second, 15, true, 3, true},  // final: at once
		{LossReportInterval + 3*time.Second, 15, true, 0, false}, // nothing new
	}
	var r rateLimited
	for i, s := range steps {
		n, due := r.due(t0.Add(s.at), s.total, s.final)
		assert.Equal(t, s.due, due, "step %d", i)
		assert.Equal(t, s.n, n, "step %d", i)
	}
}

// TestLossWarnings is issue 13 item 6: events not stored and streams cut as
// slow are reported through the configured logger, with counts.
func TestLossWarnings(t *testing.T) {
	rec := &logRecorder{}
	cfg := DefaultConfig()
	cfg.Logger = slog.New(rec)
	cfg.RequestCapacity = 2
	cfg.StreamQueueSize = 1
	cfg.PushInterval = time.Hour
	cfg.Plugin = &recordingPlugin{}
	sys := New(cfg)
	sys.StartService()

	s := sys.CreateEventStream("never read", 0)
	for i := 0; i < 1000; i++ { // far more than the queue and channel hold
		sys.AddEvent(tagged(0, i))
	}
	require.Eventually(t, func() bool { return sys.Metrics().StreamsRemovedSlow == 1 }, waitFor, pollAt)
	require.Equal(t, stream.ReasonSlow, s.CloseReason())
	notStored := sys.Metrics().NotStored
	require.Positive(t, notStored)
	sys.Stop() // the last push reports what is left

	assert.Equal(t, 1, rec.count(slog.LevelWarn, "notStoredTotal", ""), rec.messages())
	assert.Equal(t, 1, rec.count(slog.LevelWarn, "notStored", uintString(notStored)))
	assert.Equal(t, 1, rec.count(slog.LevelWarn, "streamsCutTotal", "1"))

	// Nothing new: a restart and stop log no more loss warnings.
	sys.StartService()
	sys.Stop()
	assert.Equal(t, 1, rec.count(slog.LevelWarn, "notStoredTotal", ""))
	assert.Equal(t, 1, rec.count(slog.LevelWarn, "streamsCutTotal", ""))
}

func uintString(v uint64) string { return slog.Uint64Value(v).String() }

// stoppingPlugin calls a control-plane method of its own system from
// SendEvent, as a careless shim might.
type stoppingPlugin struct {
	call func()
	once sync.Once
	sent chan struct{}
}

func (p *stoppingPlugin) SendEvent([]*si.EventRecord) {
	p.once.Do(func() {
		p.call()
		close(p.sent)
	})
}

// TestControlFromSendEventDoesNotHang is issue 13 item 6: Stop (or another
// control-plane call) from the plugin's SendEvent is detected, logged, and
// carried out once SendEvent has returned, instead of waiting for itself.
func TestControlFromSendEventDoesNotHang(t *testing.T) {
	calls := []struct {
		name  string
		call  func(*EventSystemImpl)
		state uint32
	}{
		{"Stop", (*EventSystemImpl).Stop, stateStopped},
		{"Restart", (*EventSystemImpl).Restart, stateRunning},
		{"StartService", (*EventSystemImpl).StartService, stateRunning},
		{"CloseAllStreams", (*EventSystemImpl).CloseAllStreams, stateRunning},
		{"Reconfigure", func(e *EventSystemImpl) { e.Reconfigure(e.Config()) }, stateRunning},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			rec := &logRecorder{}
			cfg := DefaultConfig()
			cfg.Logger = slog.New(rec)
			cfg.PushInterval = time.Millisecond
			plugin := &stoppingPlugin{sent: make(chan struct{})}
			cfg.Plugin = plugin
			sys := New(cfg)
			plugin.call = func() { tc.call(sys) }
			sys.StartService()
			sys.AddEvent(&si.EventRecord{})
			<-plugin.sent // the call returned inside SendEvent
			require.Eventually(t, func() bool { return rec.count(slog.LevelError, "call", tc.name) == 1 },
				waitFor, pollAt, rec.messages())
			sys.deferred.Wait()
			assert.Equal(t, tc.state, sys.state.Load())
			sys.Stop() // waits for the call carried out on the new goroutine, if still running
			goleak.VerifyNone(t)
		})
	}
}

func TestPublisherStopFromSendEvent(t *testing.T) {
	rec := &logRecorder{}
	src := &sliceSource{}
	plugin := &stoppingPlugin{sent: make(chan struct{})}
	p := newPublisher(src, WithPushInterval(time.Millisecond), WithPlugin(plugin), WithPublisherLogger(slog.New(rec)))
	plugin.call = p.Stop
	p.StartService()
	src.add(records(1)...)
	<-plugin.sent
	require.Eventually(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.stop == nil
	}, waitFor, pollAt, "stopped once SendEvent returned")
	assert.Equal(t, 1, len(rec.messages()))
	goleak.VerifyNone(t)
}
