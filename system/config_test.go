package system

import (
	"log/slog"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/ring"
	"github.com/lfevents/lfevents/store"
	"github.com/lfevents/lfevents/stream"
)

func TestDefaultConfig(t *testing.T) {
	cfg := DefaultConfig()
	assert.True(t, cfg.TrackingEnabled)
	assert.Equal(t, uint64(1000), cfg.RequestCapacity)
	assert.Equal(t, uint64(100000), cfg.RingBufferCapacity)
	assert.Equal(t, 2*time.Second, cfg.PushInterval)
	assert.Equal(t, stream.DefaultQueueSize, cfg.StreamQueueSize)
	assert.Nil(t, cfg.Plugin)
	assert.Nil(t, cfg.Logger)
	norm := cfg.normalized()
	assert.Same(t, slog.Default(), norm.Logger, "nil logger: the default one")
	norm.Logger = nil
	assert.Equal(t, cfg, norm, "defaults are normal")
}

func TestConfigNormalized(t *testing.T) {
	own := slog.New(&logRecorder{})
	var typedNil *recordingPlugin
	tests := []struct {
		name string
		in   Config
		want Config
	}{
		{"zero values", Config{PushInterval: -time.Second, StreamQueueSize: -1, Plugin: typedNil, Logger: own},
			Config{RequestCapacity: DefaultRequestCapacity, RingBufferCapacity: DefaultRingBufferCapacity,
				PushInterval: DefaultPushInterval, StreamQueueSize: DefaultStreamQueueSize, Logger: own}},
		{"kept", Config{TrackingEnabled: true, RequestCapacity: 7, RingBufferCapacity: 9,
			PushInterval: time.Millisecond, StreamQueueSize: 4, Logger: own},
			Config{TrackingEnabled: true, RequestCapacity: 7, RingBufferCapacity: 9,
				PushInterval: time.Millisecond, StreamQueueSize: 4, Logger: own}},
		{"caps", Config{RequestCapacity: math.MaxUint64, RingBufferCapacity: math.MaxUint64,
			StreamQueueSize: math.MaxInt, Logger: own},
			Config{RequestCapacity: MaxRequestCapacity, RingBufferCapacity: MaxRingBufferCapacity,
				PushInterval: DefaultPushInterval, StreamQueueSize: MaxStreamQueueSize, Logger: own}},
		{"queue size rounded up to a power of two", Config{StreamQueueSize: 3, Logger: own},
			Config{RequestCapacity: DefaultRequestCapacity, RingBufferCapacity: DefaultRingBufferCapacity,
				PushInterval: DefaultPushInterval, StreamQueueSize: 4, Logger: own}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.normalized()
			assert.Equal(t, tc.want, got)
			assert.Equal(t, got, got.normalized(), "normalizing twice changes nothing")
		})
	}
	assert.Equal(t, MaxRequestCapacity, uint64(store.MaxSize))
	assert.Equal(t, MaxRingBufferCapacity, uint64(ring.MaxCapacity))
}

// TestClampedSizesReported is issue 13 item 4: a size above its cap is
// clamped with a warning, and the clamped size is what every getter and log
// reports.
func TestClampedSizesReported(t *testing.T) {
	rec := &logRecorder{}
	cfg := Config{RequestCapacity: math.MaxUint64, RingBufferCapacity: 1 << 40, StreamQueueSize: math.MaxInt,
		Logger: slog.New(rec)}
	sys := New(cfg)
	defer sys.retire()
	assert.Equal(t, MaxRequestCapacity, sys.GetRequestCapacity())
	assert.Equal(t, MaxRingBufferCapacity, sys.GetRingBufferCapacity())
	got := sys.Config()
	assert.Equal(t, MaxRequestCapacity, got.RequestCapacity)
	assert.Equal(t, MaxRingBufferCapacity, got.RingBufferCapacity)
	assert.Equal(t, MaxStreamQueueSize, got.StreamQueueSize)
	m := sys.Metrics()
	assert.Equal(t, MaxRequestCapacity, m.StoreCapacity)
	assert.Equal(t, MaxRingBufferCapacity, m.HistoryCapacity)
	assert.Equal(t, 3, rec.count(slog.LevelWarn, "field", ""), rec.messages())

	// A resize to an over-large size logs the size used.
	next := sys.Config()
	next.RingBufferCapacity = 10
	sys.Reconfigure(next)
	next.RingBufferCapacity = math.MaxUint64
	next.RequestCapacity = 5
	sys.Reconfigure(next)
	assert.Equal(t, 1, rec.count(slog.LevelInfo, "to", strconv.FormatUint(MaxRingBufferCapacity, 10)),
		"history resized to the cap")
	assert.Zero(t, rec.count(slog.LevelInfo, "to", strconv.FormatUint(math.MaxUint64, 10)))
	assert.Equal(t, MaxRingBufferCapacity, sys.GetRingBufferCapacity())
	assert.Equal(t, uint64(5), sys.GetRequestCapacity())
}

func TestConfigFromMap(t *testing.T) {
	def := DefaultConfig()
	tests := []struct {
		name     string
		m        map[string]string
		tracking bool
		request  uint64
		ring     uint64
		warnings int
	}{
		{"nil map: defaults, silently", nil, def.TrackingEnabled, def.RequestCapacity, def.RingBufferCapacity, 0},
		{"all set", map[string]string{
			ConfigKeyTrackingEnabled: "false", ConfigKeyRequestCapacity: "5", ConfigKeyRingBufferCapacity: "77",
		}, false, 5, 77, 0},
		{"zeros", map[string]string{
			ConfigKeyTrackingEnabled: "true", ConfigKeyRequestCapacity: "0", ConfigKeyRingBufferCapacity: "0",
		}, true, def.RequestCapacity, def.RingBufferCapacity, 2},
		{"unparsable", map[string]string{
			ConfigKeyTrackingEnabled: "maybe", ConfigKeyRequestCapacity: "-1", ConfigKeyRingBufferCapacity: "lots",
		}, def.TrackingEnabled, def.RequestCapacity, def.RingBufferCapacity, 3},
		{"overflow and above the caps", map[string]string{
			ConfigKeyTrackingEnabled: "1", ConfigKeyRequestCapacity: "18446744073709551616",
			ConfigKeyRingBufferCapacity: strconv.FormatUint(1<<63, 10),
		}, true, def.RequestCapacity, MaxRingBufferCapacity, 2},
		{"unrelated keys only: defaults, silently", map[string]string{"log.level": "debug"},
			def.TrackingEnabled, def.RequestCapacity, def.RingBufferCapacity, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			check := func(t *testing.T, cfg Config, rec *logRecorder) {
				assert.Equal(t, tc.tracking, cfg.TrackingEnabled)
				assert.Equal(t, tc.request, cfg.RequestCapacity)
				assert.Equal(t, tc.ring, cfg.RingBufferCapacity)
				assert.Equal(t, def.PushInterval, cfg.PushInterval)
				assert.Equal(t, def.StreamQueueSize, cfg.StreamQueueSize)
				assert.Equal(t, tc.warnings, rec.count(slog.LevelWarn, "key", ""), rec.messages())
			}
			t.Run("default logger", func(t *testing.T) {
				rec := useDefaultLogger(t)
				cfg := ConfigFromMap(tc.m)
				assert.Nil(t, cfg.Logger)
				check(t, cfg, rec)
			})
			t.Run("own logger", func(t *testing.T) {
				def := useDefaultLogger(t)
				rec := &logRecorder{}
				own := slog.New(rec)
				cfg := ConfigFromMapWithLogger(tc.m, own)
				assert.Same(t, own, cfg.Logger, "the Config logs where its warnings went")
				check(t, cfg, rec)
				require.Empty(t, def.messages(), "nothing through the default logger")
			})
		})
	}
}
