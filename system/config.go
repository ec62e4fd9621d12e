package system

import (
	"log/slog"
	"strconv"
	"time"
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

// Defaults, as in the reference design.
const (
	DefaultTrackingEnabled    = true
	DefaultRequestCapacity    = uint64(1000)
	DefaultRingBufferCapacity = uint64(100000)
	DefaultPushInterval       = 2 * time.Second
)

// Config configures an event system. Build one from DefaultConfig and change
// what you need; zero values mean the default (see each field), so a partly
// filled Config is valid too.
type Config struct {
	// TrackingEnabled is reported by IsEventTrackingEnabled. It is advisory:
	// history is kept either way. The zero value false is taken as is.
	TrackingEnabled bool

	// RequestCapacity is the most events the store holds between two pushes
	// to the plugin; later ones are counted as not stored. 0 means
	// DefaultRequestCapacity.
	RequestCapacity uint64

	// RingBufferCapacity is the number of newest events that history keeps.
	// 0 means DefaultRingBufferCapacity.
	RingBufferCapacity uint64

	// PushInterval is how often the publisher collects the store and hands
	// the batch to the plugin. 0 or negative means DefaultPushInterval.
	PushInterval time.Duration

	// StreamQueueSize is the per-stream queue length: how many events a
	// stream consumer may fall behind before it is cut off. 0 or negative
	// means the stream package's default.
	StreamQueueSize int

	// Plugin receives the batches. nil means the process-wide plugin set by
	// SetEventPlugin, looked up at each push.
	Plugin EventPlugin

	// Logger receives the system's log records. nil means slog.Default(),
	// looked up at each use.
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
		StreamQueueSize:    defaultStreamQueueSize,
	}
}

// normalized returns c with every zero (or out-of-range) value replaced by
// its default. Plugin and Logger stay nil: they are resolved at each use.
func (c Config) normalized() Config {
	if c.RequestCapacity == 0 {
		c.RequestCapacity = DefaultRequestCapacity
	}
	if c.RingBufferCapacity == 0 {
		c.RingBufferCapacity = DefaultRingBufferCapacity
	}
	if c.PushInterval <= 0 {
		c.PushInterval = DefaultPushInterval
	}
	if c.StreamQueueSize <= 0 {
		c.StreamQueueSize = defaultStreamQueueSize
	}
	if c.DedupWindow < 0 {
		c.DedupWindow = 0
	}
	return c
}

// logger returns the logger to use: Logger, or slog.Default() when nil.
func (c *Config) logger() *slog.Logger {
	return loggerOrDefault(c.Logger)
}

func loggerOrDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}

// ConfigFromMap builds a Config from the reference design's configuration
// map: ConfigKeyTrackingEnabled (a boolean as strconv.ParseBool reads it),
// ConfigKeyRequestCapacity and ConfigKeyRingBufferCapacity (positive decimal
// integers). A key that is missing, zero or unparsable gives the default and
// logs a warning through slog.Default(). ConfigKeyDedupWindow (a Go duration,
// as time.ParseDuration reads it) sets DedupWindow; missing means off,
// unparsable or negative means off with a warning. Every other field is as
// in DefaultConfig. A nil map is valid (all defaults).
func ConfigFromMap(m map[string]string) Config {
	log := slog.Default()
	cfg := DefaultConfig()
	cfg.TrackingEnabled = boolFromMap(log, m, ConfigKeyTrackingEnabled, DefaultTrackingEnabled)
	cfg.RequestCapacity = uintFromMap(log, m, ConfigKeyRequestCapacity, DefaultRequestCapacity)
	cfg.RingBufferCapacity = uintFromMap(log, m, ConfigKeyRingBufferCapacity, DefaultRingBufferCapacity)
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
		log.Warn("event config key missing, using default", slog.String("key", key), slog.Bool("default", def))
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

func uintFromMap(log *slog.Logger, m map[string]string, key string, def uint64) uint64 {
	s, ok := m[key]
	if !ok {
		log.Warn("event config key missing, using default", slog.String("key", key), slog.Uint64("default", def))
		return def
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		log.Warn("event config value unparsable, using default",
			slog.String("key", key), slog.String("value", s), slog.Uint64("default", def), slog.Any("error", err))
		return def
	}
	if v == 0 {
		log.Warn("event config value is zero, using default", slog.String("key", key), slog.Uint64("default", def))
		return def
	}
	return v
}
