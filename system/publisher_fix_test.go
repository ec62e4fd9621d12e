package system

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lfevents/lfevents/stream"
)

// unreadableStackHeader makes goroutineID fail (return 0) until the test
// ends, as on a runtime whose stack-trace header reads otherwise. Call it
// while no publisher runs.
func unreadableStackHeader(t *testing.T) {
	t.Helper()
	old := stackHeader
	stackHeader = func(buf []byte) int { return copy(buf, "thread 7 [running]:\n") }
	t.Cleanup(func() { stackHeader = old })
}

// TestGoroutineIDUnknownIsNotThePublisher: when the goroutine's ID cannot
// be read, goroutineID returns 0 for every goroutine. Before the fix the
// run goroutine was recorded as 0 and every caller matched it: Stop from
// any goroutine was taken for a call from SendEvent, logged, and handed to
// a new goroutine, which was taken for one again, for ever. Now 0 means
// "not the publisher's goroutine".
func TestGoroutineIDUnknownIsNotThePublisher(t *testing.T) {
	unreadableStackHeader(t)
	require.Zero(t, goroutineID())

	rec := &logRecorder{}
	plugin := &recordingPlugin{}
	src := &sliceSource{}
	p := newPublisher(src, WithPushInterval(time.Hour), WithPlugin(plugin), WithPublisherLogger(slog.New(rec)))
	p.StartService()
	require.Eventually(t, func() bool { return p.runner.Load() != nil }, waitFor, pollAt)
	require.Nil(t, p.onRunGoroutine(), "the test's goroutine is not the publisher's")

	src.add(records(2)...)
	require.True(t, finishes(p.Stop))
	assert.Len(t, plugin.events(), 2, "Stop made its last push")
	p.mu.Lock()
	stopped := p.stop == nil
	p.mu.Unlock()
	assert.True(t, stopped)
	assert.Zero(t, countMessages(rec, slog.LevelError, ""), rec.messages())
	// The run says, once per start, that it cannot recognize its goroutine.
	assert.Equal(t, 1, countMessages(rec, slog.LevelWarn, "cannot identify"), rec.messages())
	goleak.VerifyNone(t)

	// Through the system: every control-plane call goes through.
	sys := New(quietConfigWith(rec, plugin))
	sys.StartService()
	sys.Reconfigure(sys.Config())
	sys.CloseAllStreams()
	require.True(t, finishes(sys.Restart))
	require.True(t, finishes(sys.Stop))
	assert.Equal(t, stateStopped, sys.state.Load())
	assert.Zero(t, rec.count(slog.LevelError, "call", ""), rec.messages())
	goleak.VerifyNone(t)
}

func quietConfigWith(rec *logRecorder, plugin EventPlugin) Config {
	cfg := DefaultConfig()
	cfg.Logger = slog.New(rec)
	cfg.Plugin = plugin
	cfg.PushInterval = time.Hour
	return cfg
}

// countMessages counts the records at level whose message contains part.
func countMessages(rec *logRecorder, level slog.Level, part string) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := 0
	for _, r := range rec.records {
		if r.Level == level && strings.Contains(r.Message, part) {
			n++
		}
	}
	return n
}

// stopLossClock freezes the loss reports' clock until the test ends. Call it
// while no publisher runs.
func stopLossClock(t *testing.T) {
	t.Helper()
	old := lossClock
	at := time.Unix(1_000_000, 0)
	lossClock = func() time.Time { return at }
	t.Cleanup(func() { lossClock = old })
}

// TestLossWarningsRateLimitedAcrossReconfigure: every Reconfigure restarts a
// running publisher. Before the fix, the last push of each run reported its
// losses at once, whatever LossReportInterval said, so a storm of reloads
// logged a warning per reload (so did a storm of Restarts). Now the interval
// holds across the restarts; what is left is reported when the system stops.
func TestLossWarningsRateLimitedAcrossReconfigure(t *testing.T) {
	stopLossClock(t) // no interval passes during the test
	rec := &logRecorder{}
	cfg := quietConfigWith(rec, &recordingPlugin{})
	cfg.RequestCapacity = 2
	sys := New(cfg)
	sys.StartService()

	const reloads = 5
	for i := 0; i < reloads; i++ {
		for j := 0; j < 5; j++ { // 2 stored, 3 not
			sys.AddEvent(tagged(i, j))
		}
		if i%2 == 0 {
			sys.Reconfigure(cfg)
		} else {
			sys.Restart() // the system goes on: no final report either
		}
	}
	assert.Equal(t, 1, rec.count(slog.LevelWarn, "notStoredTotal", ""),
		"one warning within the interval, however many reloads: %v", rec.messages())
	assert.Equal(t, 1, rec.count(slog.LevelWarn, "notStored", "3"))

	sys.Stop() // what is left, at once
	assert.Equal(t, 2, rec.count(slog.LevelWarn, "notStoredTotal", ""), rec.messages())
	assert.Equal(t, 1, rec.count(slog.LevelWarn, "notStoredTotal", uintString(3*reloads)))
	assert.Equal(t, 1, rec.count(slog.LevelWarn, "notStored", uintString(3*(reloads-1))))
	assert.Equal(t, uint64(3*reloads), sys.Metrics().NotStored)
}

// TestStreamCutDuringStopIsLogged: a stream cut as slow after Stop's last
// push (by events of AddEvent calls racing Stop) but before the streams are
// closed. Before the fix it was logged only at the next run's push, or never
// if the system was not started again. Now Stop reports it before it
// returns.
func TestStreamCutDuringStopIsLogged(t *testing.T) {
	rec := &logRecorder{}
	cfg := quietConfigWith(rec, &recordingPlugin{})
	cfg.StreamQueueSize = 1
	sys := New(cfg)
	s := sys.CreateEventStream("never read", 0)

	orig := sys.publisher.report
	cut := make(chan bool, 1)
	// With a push interval of an hour, the only push is Stop's last one.
	// After it, do what AddEvent calls that loaded "running" just before
	// Stop do, and wait for the stream to be cut.
	sys.publisher.report = func() {
		orig()
		for i := 0; i < 1000; i++ {
			ev := tagged(0, i)
			prepareRecord(ev)
			id := sys.history.Add(ev)
			sys.Store.StoreWithID(id, ev)
			sys.streaming.Load().PublishEvent(ev)
		}
		deadline := time.Now().Add(waitFor)
		for sys.streaming.Load().Stats().StreamsRemovedSlow == 0 && time.Now().Before(deadline) {
			time.Sleep(pollAt)
		}
		cut <- sys.streaming.Load().Stats().StreamsRemovedSlow == 1
	}
	sys.StartService() // the run takes the hook with it
	sys.Stop()
	require.Len(t, cut, 1, "Stop made its last push")
	require.True(t, <-cut, "the stream was cut during Stop")
	require.Equal(t, stream.ReasonSlow, s.CloseReason())
	assert.Equal(t, uint64(1), sys.Metrics().StreamsRemovedSlow)
	assert.Equal(t, 1, rec.count(slog.LevelWarn, "streamsCutTotal", "1"),
		"logged by the time Stop returns: %v", rec.messages())
}

// nilPanicPlugin calls panic(nil) on its first call, and records the
// batches of the later ones.
type nilPanicPlugin struct {
	calls int
	after recordingPlugin
}

func (p *nilPanicPlugin) SendEvent(evs []*si.EventRecord) {
	p.calls++ // only the publisher's goroutine calls it
	if p.calls == 1 {
		panic(nil)
	}
	p.after.SendEvent(evs)
}

// TestPluginPanicNilLoggedAsPanic: with GODEBUG=panicnil=1, recover returns
// nil for panic(nil). Before the fix that was taken for a runtime.Goexit and
// logged as one. Now it is logged as a panic, counted once, and publishing
// goes on.
func TestPluginPanicNilLoggedAsPanic(t *testing.T) {
	t.Setenv("GODEBUG", "panicnil=1")
	rec := &logRecorder{}
	src := &sliceSource{}
	plugin := &nilPanicPlugin{}
	p := newPublisher(src, WithPushInterval(time.Hour), WithPlugin(plugin), WithPublisherLogger(slog.New(rec)))
	p.StartService()
	src.add(records(3)...)
	p.Stop()
	assert.Equal(t, uint64(1), p.Stats().PluginPanics)
	assert.Equal(t, 1, countMessages(rec, slog.LevelError, "panicked"), rec.messages())
	assert.Zero(t, countMessages(rec, slog.LevelError, "Goexit"), rec.messages())
	assert.Equal(t, 1, rec.count(slog.LevelError, "events", "3"))

	p.StartService()
	src.add(records(2)...)
	p.Stop()
	assert.Len(t, plugin.after.events(), 2)
	assert.Equal(t, uint64(1), p.Stats().PluginPanics)
	goleak.VerifyNone(t)
}
