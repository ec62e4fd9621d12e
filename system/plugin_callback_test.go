package system

import (
	"log/slog"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lfevents/lfevents/internal/testutil"
)

// finishes runs f on a new goroutine and reports whether it returned within
// waitFor: a bound against a hang, never a timing assertion.
func finishes(f func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
		return true
	case <-time.After(waitFor):
		return false
	}
}

// TestInitFromSendEventDuringStop: a plugin that calls Init from SendEvent
// while Stop waits for that SendEvent (its last push) must not deadlock. Init
// retires the old system, a control-plane step: before the fix it took the
// control lock that Stop held, while Stop waited for SendEvent to return.
func TestInitFromSendEventDuringStop(t *testing.T) {
	t.Cleanup(func() { Default().retire() })
	rec := &logRecorder{}
	cfg := DefaultConfig()
	cfg.Logger = slog.New(rec)
	cfg.PushInterval = time.Hour // the only push is Stop's
	var sent int
	cfg.Plugin = testutil.PluginFunc(func(evs []*si.EventRecord) {
		sent += len(evs)
		Init()
	})
	InitWithConfig(cfg)
	sys := Default()
	sys.StartService()
	sys.AddEvent(&si.EventRecord{})

	require.True(t, finishes(sys.Stop), "Stop deadlocked with Init called from SendEvent")
	sys.deferred.Wait()
	assert.Equal(t, 1, sent)
	assert.NotSame(t, sys, Default(), "Init replaced the process-wide system")
	assert.Equal(t, stateStopped, sys.state.Load())
	assert.Equal(t, 1, rec.count(slog.LevelError, "call", "Init"), rec.messages())
	goleak.VerifyNone(t)
}

// TestInitFromSendEvent: Init from a SendEvent of a regular push retires the
// old system once SendEvent has returned.
func TestInitFromSendEvent(t *testing.T) {
	t.Cleanup(func() { Default().retire() })
	rec := &logRecorder{}
	cfg := DefaultConfig()
	cfg.Logger = slog.New(rec)
	cfg.PushInterval = time.Millisecond
	plugin := &stoppingPlugin{call: Init, sent: make(chan struct{})}
	cfg.Plugin = plugin
	InitWithConfig(cfg)
	sys := Default()
	sys.StartService()
	sys.AddEvent(&si.EventRecord{})
	<-plugin.sent
	sys.deferred.Wait()
	assert.Equal(t, stateStopped, sys.state.Load())
	assert.Equal(t, 1, rec.count(slog.LevelError, "call", "Init"), rec.messages())
	sys.AddEvent(&si.EventRecord{})
	assert.Equal(t, uint64(1), sys.Metrics().NotChanneled, "the retired system rejects")
	goleak.VerifyNone(t)
}

// TestPublisherStartFromSendEventDuringStop: StartService of the publisher
// called from SendEvent during Stop's last push must not deadlock (it waited
// for the lock that Stop held while Stop waited for SendEvent). It is
// logged and carried out once the stop is done, so the publisher runs again.
func TestPublisherStartFromSendEventDuringStop(t *testing.T) {
	rec := &logRecorder{}
	src := &sliceSource{}
	var p *EventPublisher
	var sent int
	p = newPublisher(src, WithPushInterval(time.Hour), WithPublisherLogger(slog.New(rec)),
		WithPlugin(testutil.PluginFunc(func(evs []*si.EventRecord) {
			sent += len(evs)
			p.StartService()
		})))
	p.StartService()
	src.add(records(1)...)
	require.True(t, finishes(p.Stop), "Stop deadlocked with StartService called from SendEvent")
	require.Eventually(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.stop != nil
	}, waitFor, pollAt, "started again once the stop was done")
	assert.Equal(t, 1, sent)
	assert.Equal(t, 1, len(rec.messages()), rec.messages())
	p.Stop()
	goleak.VerifyNone(t)
}

// TestPluginPanicLogsStack: the error record of a recovered plugin panic
// carries the panicking goroutine's stack, so the log shows where in the
// plugin it panicked (before, only the panic value).
func TestPluginPanicLogsStack(t *testing.T) {
	rec := &logRecorder{}
	src := &sliceSource{}
	p := newPublisher(src, WithPushInterval(time.Hour), WithPlugin(&panickingPlugin{}),
		WithPublisherLogger(slog.New(rec)))
	p.StartService()
	src.add(records(1)...)
	p.Stop()
	require.Equal(t, uint64(1), p.Stats().PluginPanics)
	var stack string
	for _, r := range rec.records {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "stack" {
				stack = a.Value.String()
			}
			return true
		})
	}
	assert.Contains(t, stack, "panickingPlugin).SendEvent")
}
