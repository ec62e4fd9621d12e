package system

import (
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDefaultConfig(t *testing.T) {
	cfg := DefaultConfig()
	assert.True(t, cfg.TrackingEnabled)
	assert.Equal(t, uint64(1000), cfg.RequestCapacity)
	assert.Equal(t, uint64(100000), cfg.RingBufferCapacity)
	assert.Equal(t, 2*time.Second, cfg.PushInterval)
	assert.Equal(t, defaultStreamQueueSize, cfg.StreamQueueSize)
	assert.Nil(t, cfg.Plugin)
	assert.Nil(t, cfg.Logger)
	assert.Equal(t, cfg, cfg.normalized(), "defaults are normal")
}

func TestConfigNormalized(t *testing.T) {
	got := Config{PushInterval: -time.Second, StreamQueueSize: -1}.normalized()
	want := DefaultConfig()
	want.TrackingEnabled = false // false is a value, not "unset"
	assert.Equal(t, want, got)

	keep := Config{TrackingEnabled: true, RequestCapacity: 7, RingBufferCapacity: 9, PushInterval: time.Millisecond, StreamQueueSize: 3}
	assert.Equal(t, keep, keep.normalized())
}

func TestConfigLogger(t *testing.T) {
	rec := useDefaultLogger(t)
	var cfg Config
	assert.Same(t, slog.Default(), cfg.logger())
	own := slog.New(&logRecorder{})
	cfg.Logger = own
	assert.Same(t, own, cfg.logger())
	assert.Empty(t, rec.messages())
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
		{"nil map", nil, def.TrackingEnabled, def.RequestCapacity, def.RingBufferCapacity, 3},
		{"all set", map[string]string{
			ConfigKeyTrackingEnabled: "false", ConfigKeyRequestCapacity: "5", ConfigKeyRingBufferCapacity: "77",
		}, false, 5, 77, 0},
		{"zeros", map[string]string{
			ConfigKeyTrackingEnabled: "true", ConfigKeyRequestCapacity: "0", ConfigKeyRingBufferCapacity: "0",
		}, true, def.RequestCapacity, def.RingBufferCapacity, 2},
		{"unparsable", map[string]string{
			ConfigKeyTrackingEnabled: "maybe", ConfigKeyRequestCapacity: "-1", ConfigKeyRingBufferCapacity: "lots",
		}, def.TrackingEnabled, def.RequestCapacity, def.RingBufferCapacity, 3},
		{"overflow", map[string]string{
			ConfigKeyTrackingEnabled: "1", ConfigKeyRequestCapacity: "18446744073709551616",
			ConfigKeyRingBufferCapacity: strconv.FormatUint(1<<63, 10),
		}, true, def.RequestCapacity, 1 << 63, 1},
		{"unrelated keys only", map[string]string{"log.level": "debug"},
			def.TrackingEnabled, def.RequestCapacity, def.RingBufferCapacity, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := useDefaultLogger(t)
			cfg := ConfigFromMap(tc.m)
			assert.Equal(t, tc.tracking, cfg.TrackingEnabled)
			assert.Equal(t, tc.request, cfg.RequestCapacity)
			assert.Equal(t, tc.ring, cfg.RingBufferCapacity)
			assert.Equal(t, def.PushInterval, cfg.PushInterval)
			assert.Equal(t, def.StreamQueueSize, cfg.StreamQueueSize)
			assert.Equal(t, tc.warnings, rec.count(slog.LevelWarn, "key", ""), rec.messages())
		})
	}
}
