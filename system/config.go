package system

import (
	"log/slog"
	"math/bits"
	"strconv"
	"time"

	"github.com/lfevents/lfevents/ring"
	"github.com/lfevents/lfevents/store"
	"github.com/lfevents/lfevents/stream"
)

// The reference design's configuration-map keys, read by ConfigFromMap.
const (
	ConfigKeyTrackingEnabled    = "event.trackingEnabled"
	ConfigKeyRequestCapacity    = "event.requestCapacity"
	ConfigKeyRingBufferCapacity = "event.ringBufferCapacity"
	// ConfigKeyDedupWindow is this library's own key for Config.DedupWindow
	// (a Go duration such as "10s"); missing means off.
	ConfigKeyDedupWindow = "event.dedupWindow"
)

// Defaults: the first four as in the reference design.
const (
	DefaultTrackingEnabled    = true
	DefaultRequestCapacity    = uint64(1000)
	DefaultRingBufferCapacity = uint64(100000)
	DefaultPushInterval       = 2 * time.Second
	// DefaultStreamQueueSize is the stream package's default queue size.
	DefaultStreamQueueSize = stream.DefaultQueueSize
)

// Caps. A larger value in a Config is clamped to its cap, with a warning,
// and the clamped value is the one in use and the one reported (by Config,
// GetRequestCapacity, GetRingBufferCapacity, Metrics and the logs).
const (
	// MaxRequestCapacity is the largest store the system keeps (the store
	// package's MaxSize): a batch's slots are allocated when it starts.
	MaxRequestCapacity = uint64(store.MaxSize)
	// MaxRingBufferCapacity is the largest history (the ring package's
	// MaxCapacity).
	MaxRingBufferCapacity = uint64(ring.MaxCapacity)
	// MaxStreamQueueSize is the largest per-stream queue (the stream
	// package's MaxQueueSize).
	MaxStreamQueueSize = stream.MaxQueueSize
)

// Config configures an event system. Build one from DefaultConfig and change
// what you need; zero values mean the default (see each field), so a partly
// filled Config is valid too. New and Reconfigure apply the defaults and
// caps once; Config reports the result.
type Config struct {
	// TrackingEnabled is reported by IsEventTrackingEnabled. It is advisory:
	// history is kept either way. The zero value false is taken as is.
	TrackingEnabled bool

	// RequestCapacity is the most events the store holds between two pushes
	// to the plugin; later ones are counted as not stored. 0 means
	// DefaultRequestCapacity; at most MaxRequestCapacity.
	RequestCapacity uint64

	// RingBufferCapacity is the number of newest events that history keeps.
	// 0 means DefaultRingBufferCapacity; at most MaxRingBufferCapacity.
	RingBufferCapacity uint64

	// PushInterval is how often the publisher collects the store and hands
	// the batch to the plugin. 0 or negative means DefaultPushInterval.
	PushInterval time.Duration

	// StreamQueueSize is the per-stream queue length: how many events a
	// stream consumer may fall behind before it is cut off. 0 or negative
	// means DefaultStreamQueueSize; at most MaxStreamQueueSize; rounded up
	// to a power of two, as the stream package sizes its queues.
	StreamQueueSize int

	// Plugin receives the batches. nil means the process-wide plugin set by
	// SetEventPlugin, looked up at each push.
	Plugin EventPlugin

	// Logger receives the system's log records. nil means slog.Default() as
	// of New (or Reconfigure).
	Logger *slog.Logger

	// DedupWindow, when positive, turns on duplicate suppression: a record
	// equal to one recorded less than DedupWindow earlier or later (by the
	// records' timestamps) is counted in Metrics().DuplicatesSuppressed and
	// not recorded. Equal means same type, object ID, reference ID, change
	// type, change detail, message and state. The memory of recent records
	// is a fixed-size table that may forget (some duplicates get through),
	// never confuses two different records, and takes no lock. 0 or negative
	// (the default) means off: every record is recorded, as in the reference
	// design.
	DedupWindow time.Duration
}

// DefaultConfig returns the reference design's defaults: tracking enabled,
// a store of 1000 events, a history of 100000 events, a push every 2s, the
// stream package's default queue size, the process-wide plugin and the
// default logger.
func DefaultConfig() Config {
	return Config{
		TrackingEnabled:    DefaultTrackingEnabled,
		RequestCapacity:    DefaultRequestCapacity,
		RingBufferCapacity: DefaultRingBufferCapacity,
		PushInterval:       DefaultPushInterval,
		StreamQueueSize:    DefaultStreamQueueSize,
	}
}

// normalized returns c with every default and cap applied: the one place
// where they are. A nil Plugin stays nil (the process-wide one, looked up at
// each push).
func (c Config) normalized() Config {
	c.RequestCapacity = capacityOrDefault(c.RequestCapacity, DefaultRequestCapacity, MaxRequestCapacity)
	c.RingBufferCapacity = capacityOrDefault(c.RingBufferCapacity, DefaultRingBufferCapacity, MaxRingBufferCapacity)
	c.StreamQueueSize = queueSizeOf(c.StreamQueueSize)
	p := c.publisherSettings().normalized()
	c.PushInterval, c.Plugin, c.Logger = p.interval, p.plugin, p.logger
	if c.DedupWindow < 0 {
		c.DedupWindow = 0
	}
	return c
}

// publisherSettings returns what the system's publisher runs with.
func (c Config) publisherSettings() publisherSettings {
	return publisherSettings{interval: c.PushInterval, plugin: c.Plugin, logger: c.Logger}
}

func capacityOrDefault(v, def, limit uint64) uint64 {
	if v == 0 {
		return def
	}
	return min(v, limit)
}

// queueSizeOf returns the queue size the stream package uses for n.
func queueSizeOf(n int) int {
	if n <= 0 {
		return DefaultStreamQueueSize
	}
	n = min(n, MaxStreamQueueSize)
	return 1 << bits.Len(uint(n-1))
}

// warnClamped logs a warning for each field of asked that normalization
// lowered to its cap (used is asked, normalized).
func warnClamped(log *slog.Logger, asked, used Config) {
	warn := func(field string, asked, used uint64) {
		if asked > used {
			log.Warn("event config value above its cap, using the cap",
				slog.String("field", field), slog.Uint64("asked", asked), slog.Uint64("used", used))
		}
	}
	warn("RequestCapacity", asked.RequestCapacity, used.RequestCapacity)
	warn("RingBufferCapacity", asked.RingBufferCapacity, used.RingBufferCapacity)
	if asked.StreamQueueSize > MaxStreamQueueSize {
		warn("StreamQueueSize", uint64(asked.StreamQueueSize), uint64(used.StreamQueueSize))
	}
}

// ConfigFromMap builds a Config from the reference design's configuration
// map, logging any warning through slog.Default(); see ConfigFromMapWithLogger.
func ConfigFromMap(m map[string]string) Config {
	return ConfigFromMapWithLogger(m, nil)
}

// ConfigFromMapWithLogger builds a Config from the reference design's
// configuration map: ConfigKeyTrackingEnabled (a boolean as strconv.ParseBool
// reads it), ConfigKeyRequestCapacity and ConfigKeyRingBufferCapacity
// (positive decimal integers). A missing key gives the default, silently, as
// in the reference design. A value that is unparsable or zero gives the
// default, and one above its cap gives the cap, each with a warning through
// logger (nil: slog.Default()). ConfigKeyDedupWindow (a Go duration, as
// time.ParseDuration reads it) sets DedupWindow: missing means off, silently;
// unparsable or negative means off, with a warning. Every other field is as
// in DefaultConfig, and Logger is logger. A nil map is valid (all defaults).
func ConfigFromMapWithLogger(m map[string]string, logger *slog.Logger) Config {
	log := logger
	if log == nil {
		log = slog.Default()
	}
	cfg := DefaultConfig()
	cfg.Logger = logger
	cfg.TrackingEnabled = boolFromMap(log, m, ConfigKeyTrackingEnabled, DefaultTrackingEnabled)
	cfg.RequestCapacity = uintFromMap(log, m, ConfigKeyRequestCapacity, DefaultRequestCapacity, MaxRequestCapacity)
	cfg.RingBufferCapacity = uintFromMap(log, m, ConfigKeyRingBufferCapacity, DefaultRingBufferCapacity, MaxRingBufferCapacity)
	cfg.DedupWindow = durationFromMap(log, m, ConfigKeyDedupWindow)
	return cfg
}

// durationFromMap reads an optional duration: missing is 0, silently.
func durationFromMap(log *slog.Logger, m map[string]string, key string) time.Duration {
	s, ok := m[key]
	if !ok {
		return 0
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		log.Warn("event config value unparsable or negative, duplicate suppression off",
			slog.String("key", key), slog.String("value", s), slog.Any("error", err))
		return 0
	}
	return v
}

func boolFromMap(log *slog.Logger, m map[string]string, key string, def bool) bool {
	s, ok := m[key]
	if !ok {
		return def
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		log.Warn("event config value unparsable, using default",
			slog.String("key", key), slog.String("value", s), slog.Bool("default", def), slog.Any("error", err))
		return def
	}
	return v
}

func uintFromMap(log *slog.Logger, m map[string]string, key string, def, limit uint64) uint64 {
	s, ok := m[key]
	if !ok {
		return def
	}
	v, err := strconv.ParseUint(s, 10, 64)
	switch {
	case err != nil:
		log.Warn("event config value unparsable, using default",
			slog.String("key", key), slog.String("value", s), slog.Uint64("default", def), slog.Any("error", err))
		return def
	case v == 0:
		log.Warn("event config value is zero, using default", slog.String("key", key), slog.Uint64("default", def))
		return def
	case v > limit:
		log.Warn("event config value above its cap, using the cap",
			slog.String("key", key), slog.Uint64("asked", v), slog.Uint64("used", limit))
		return limit
	}
	return v
}
