package system

import (
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/api"
	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lfevents/lfevents/internal/testutil"
)

// The scheduler-interface callback is a valid plugin.
var _ EventPlugin = api.ResourceManagerCallback(nil)

const (
	waitFor = 10 * time.Second // upper bound for Eventually; never a timing assertion
	pollAt  = time.Millisecond
)

func unregisterPluginAfter(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { SetEventPlugin(nil) })
}

func TestPublisherDeliversToPlugin(t *testing.T) {
	src := &sliceSource{}
	plugin := &recordingPlugin{}
	p := newPublisher(src, WithPushInterval(time.Millisecond), WithPlugin(plugin))
	p.StartService()
	defer p.Stop()

	want := records(50)
	for i := range want {
		src.add(want[i])
	}
	require.Eventually(t, func() bool { return len(plugin.events()) == len(want) }, waitFor, pollAt)
	assert.Equal(t, want, plugin.events(), "in store order, each once")

	more := records(10)
	src.add(more...)
	require.Eventually(t, func() bool { return len(plugin.events()) == len(want)+len(more) }, waitFor, pollAt)
	st := p.Stats()
	assert.Equal(t, uint64(len(want)+len(more)), st.Collected)
	assert.Equal(t, uint64(plugin.batchCount()), st.Batches)
	assert.Zero(t, st.PluginPanics)
}

func TestPublisherUsesProcessWidePlugin(t *testing.T) {
	unregisterPluginAfter(t)
	src := &sliceSource{}
	plugin := &recordingPlugin{}
	SetEventPlugin(plugin)
	p := newPublisher(src, WithPushInterval(time.Millisecond))
	p.StartService()
	defer p.Stop()
	src.add(records(3)...)
	require.Eventually(t, func() bool { return len(plugin.events()) == 3 }, waitFor, pollAt)
}

// TestPublisherWithoutPluginKeepsEvents is reference defect 5: with no plugin
// the publisher does not collect, so the events wait in the store and go out
// once a plugin is registered.
func TestPublisherWithoutPluginKeepsEvents(t *testing.T) {
	unregisterPluginAfter(t)
	SetEventPlugin(nil)
	src := &sliceSource{}
	want := records(20)
	src.add(want...)

	var pushes atomic.Int64
	p := newPublisher(src, WithPushInterval(time.Millisecond))
	p.afterPush = func() { pushes.Add(1) }
	p.StartService()
	defer p.Stop()

	require.Eventually(t, func() bool { return pushes.Load() >= 5 }, waitFor, pollAt)
	assert.Zero(t, src.collectCalls(), "collected with no plugin")
	assert.Equal(t, len(want), src.pending())

	plugin := &recordingPlugin{}
	SetEventPlugin(plugin)
	require.Eventually(t, func() bool { return len(plugin.events()) == len(want) }, waitFor, pollAt)
	assert.Equal(t, want, plugin.events())
}

func TestPublisherStopSendsLastBatch(t *testing.T) {
	src := &sliceSource{}
	plugin := &recordingPlugin{}
	p := newPublisher(src, WithPushInterval(time.Hour), WithPlugin(plugin))
	p.StartService()
	want := records(7)
	src.add(want...)
	p.Stop()
	assert.Equal(t, want, plugin.events())
	assert.Equal(t, 1, plugin.batchCount())
	goleak.VerifyNone(t)

	// No plugin at Stop: nothing collected.
	src2 := &sliceSource{}
	src2.add(records(2)...)
	p2 := newPublisher(src2, WithPushInterval(time.Hour))
	p2.StartService()
	p2.Stop()
	assert.Equal(t, 2, src2.pending())
	assert.Zero(t, src2.collectCalls())
}

func TestPublisherEmptyBatchNotSent(t *testing.T) {
	src := &sliceSource{}
	plugin := &recordingPlugin{}
	var pushes atomic.Int64
	p := newPublisher(src, WithPushInterval(time.Millisecond), WithPlugin(plugin))
	p.afterPush = func() { pushes.Add(1) }
	p.StartService()
	require.Eventually(t, func() bool { return pushes.Load() >= 3 }, waitFor, pollAt)
	p.Stop()
	assert.Positive(t, src.collectCalls())
	assert.Zero(t, plugin.batchCount())
}

func TestPublisherPanickingPlugin(t *testing.T) {
	rec := &logRecorder{}
	src := &sliceSource{}
	plugin := &panickingPlugin{}
	p := newPublisher(src, WithPushInterval(time.Millisecond), WithPlugin(plugin),
		WithPublisherLogger(slog.New(rec)))
	p.StartService()
	defer p.Stop()

	src.add(records(3)...)
	require.Eventually(t, func() bool { return p.Stats().PluginPanics == 1 }, waitFor, pollAt)
	// Still running after the panic.
	src.add(records(2)...)
	require.Eventually(t, func() bool { return p.Stats().PluginPanics == 2 }, waitFor, pollAt)
	st := p.Stats()
	assert.Equal(t, uint64(5), st.Collected)
	assert.Equal(t, uint64(2), st.Batches)
	assert.Equal(t, 2, rec.count(slog.LevelError, "panic", "plugin failure"))
}

func TestPublisherStartStopIdempotent(t *testing.T) {
	src := &sliceSource{}
	plugin := &recordingPlugin{}
	p := newPublisher(src, WithPushInterval(time.Hour), WithPlugin(plugin))
	p.Stop() // before start: no-op
	p.StartService()
	p.StartService()
	p.Stop()
	p.Stop()
	goleak.VerifyNone(t)

	// A stopped publisher starts again.
	p.StartService()
	src.add(records(4)...)
	p.Stop()
	assert.Len(t, plugin.events(), 4)
}

func TestPublisherConcurrentStartStop(t *testing.T) {
	src := &sliceSource{}
	plugin := &recordingPlugin{}
	p := newPublisher(src, WithPushInterval(time.Millisecond), WithPlugin(plugin))
	const added = 8 * 200
	testutil.Run(8, func(g int) {
		for i := 0; i < 200; i++ {
			src.add(&si.EventRecord{})
			if (i+g)%2 == 0 {
				p.StartService()
			} else {
				p.Stop()
			}
		}
	})
	p.StartService()
	p.Stop()
	assert.Len(t, plugin.events(), added, "every event delivered once")
	assert.Equal(t, uint64(added), p.Stats().Collected)
}

func TestPublisherOddInput(t *testing.T) {
	nilStore := CreateShimPublisher(nil)
	nilStore.StartService()
	nilStore.Stop()
	assert.Nil(t, nilStore.source, "a nil store is no source (not a typed nil)")

	// No source, nil options, nil plugin, non-positive interval.
	p := newPublisher(nil, nil, WithPlugin(nil), WithPushInterval(0), WithPushInterval(-time.Second))
	assert.Equal(t, DefaultPushInterval, p.settings.interval)
	assert.Nil(t, p.settings.plugin)
	assert.Same(t, slog.Default(), p.settings.logger)
	p.StartService()
	p.Stop()

	// A typed nil plugin counts as none.
	var typedNil *recordingPlugin
	assert.Nil(t, newPublisher(nil, WithPlugin(typedNil)).settings.plugin)
	unregisterPluginAfter(t)
	SetEventPlugin(typedNil)
	assert.Nil(t, registeredPlugin())
	SetEventPlugin(&recordingPlugin{})
	assert.NotNil(t, registeredPlugin())
	SetEventPlugin(nil)
	assert.Nil(t, registeredPlugin())
}
