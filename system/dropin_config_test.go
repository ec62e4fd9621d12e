package system

import (
	"log/slog"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDropInConfigMapValues: the reference reads its three keys with
// strconv.ParseBool and strconv.ParseUint (base 10): a missing key gives the
// default silently; a value those reject gives the default with a warning;
// a zero capacity gives the default with a warning. ConfigFromMap does the
// same for each value below, and in addition caps a capacity (the reference
// would try to allocate it).
func TestDropInConfigMapValues(t *testing.T) {
	boolCases := []struct {
		value string
		want  bool
		warns bool
	}{
		{"true", true, false}, {"false", false, false},
		{"1", true, false}, {"0", false, false},
		{"t", true, false}, {"F", false, false},
		{"TRUE", true, false}, {"False", false, false},
		{"yes", DefaultTrackingEnabled, true}, {"no", DefaultTrackingEnabled, true},
		{"", DefaultTrackingEnabled, true}, {" true", DefaultTrackingEnabled, true},
		{"false ", DefaultTrackingEnabled, true}, {"2", DefaultTrackingEnabled, true},
	}
	for _, tc := range boolCases {
		t.Run("tracking "+strconv.Quote(tc.value), func(t *testing.T) {
			rec := &logRecorder{}
			cfg := ConfigFromMapWithLogger(map[string]string{ConfigKeyTrackingEnabled: tc.value}, slog.New(rec))
			assert.Equal(t, tc.want, cfg.TrackingEnabled)
			assert.Equal(t, boolWarnings(tc.warns), rec.count(slog.LevelWarn, "key", ConfigKeyTrackingEnabled))
			assert.Equal(t, tc.want, New(cfg).IsEventTrackingEnabled())
		})
	}

	uintCases := []struct {
		value string
		want  func(def, limit uint64) uint64
		warns bool
	}{
		{"5", fixed(5), false},
		{"007", fixed(7), false},
		{"0", defaultOf, true},
		{"-0", defaultOf, true},
		{"-1", defaultOf, true},
		{"+5", defaultOf, true},
		{" 5", defaultOf, true},
		{"5 ", defaultOf, true},
		{"", defaultOf, true},
		{"1e3", defaultOf, true},
		{"0x10", defaultOf, true},
		{"1_000", defaultOf, true},
		{"2.5", defaultOf, true},
		{"lots", defaultOf, true},
		{"18446744073709551616", defaultOf, true}, // above uint64: ParseUint fails
		{strconv.FormatUint(math.MaxUint64, 10), limitOf, true},
	}
	keys := []struct {
		key        string
		def, limit uint64
		get        func(Config) uint64
		getInUse   func(*EventSystemImpl) uint64
	}{
		{ConfigKeyRequestCapacity, DefaultRequestCapacity, MaxRequestCapacity,
			func(c Config) uint64 { return c.RequestCapacity }, (*EventSystemImpl).GetRequestCapacity},
		{ConfigKeyRingBufferCapacity, DefaultRingBufferCapacity, MaxRingBufferCapacity,
			func(c Config) uint64 { return c.RingBufferCapacity }, (*EventSystemImpl).GetRingBufferCapacity},
	}
	for _, k := range keys {
		for _, tc := range uintCases {
			t.Run(k.key+" "+strconv.Quote(tc.value), func(t *testing.T) {
				rec := &logRecorder{}
				cfg := ConfigFromMapWithLogger(map[string]string{k.key: tc.value}, slog.New(rec))
				want := tc.want(k.def, k.limit)
				assert.Equal(t, want, k.get(cfg))
				assert.Equal(t, boolWarnings(tc.warns), rec.count(slog.LevelWarn, "key", k.key), rec.messages())
				if want <= 1<<20 { // do not allocate the caps
					assert.Equal(t, want, k.getInUse(New(cfg)))
				}
			})
		}
	}
}

func boolWarnings(warns bool) int {
	if warns {
		return 1
	}
	return 0
}

func fixed(v uint64) func(uint64, uint64) uint64 { return func(uint64, uint64) uint64 { return v } }
func defaultOf(def, _ uint64) uint64             { return def }
func limitOf(_, limit uint64) uint64             { return limit }

// TestDropInTrackingDisabled: in the reference the tracking flag is read by
// the callers (the REST layer, the objects that emit events); the event
// system itself keeps history, fills the store and streams either way. So
// does lfevents.
func TestDropInTrackingDisabled(t *testing.T) {
	plugin := &recordingPlugin{}
	cfg, _ := pushingConfig(plugin, time.Hour)
	cfg.TrackingEnabled = false
	sys := New(cfg)
	require.False(t, sys.IsEventTrackingEnabled())
	sys.StartService()
	s := sys.CreateEventStream("s", 0)
	ev := &si.EventRecord{ObjectID: "kept"}
	sys.AddEvent(ev)

	recs, _, _ := sys.GetEventsFromID(0, 10)
	require.Len(t, recs, 1, "history kept")
	assert.Same(t, ev, recs[0])
	select {
	case got := <-s.Events:
		assert.Same(t, ev, got, "streamed")
	case <-time.After(waitFor):
		t.Fatal("not streamed")
	}
	sys.Stop()
	require.Len(t, plugin.events(), 1, "published")
	assert.Same(t, ev, plugin.events()[0])
	assert.False(t, sys.IsEventTrackingEnabled(), "the flag survives Stop")
	sys.StartService()
	assert.False(t, sys.IsEventTrackingEnabled(), "and a start (the reference re-reads its config map here)")
	sys.Stop()
}
