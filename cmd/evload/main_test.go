package main

import (
	"bytes"
	"flag"
	"io"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
	}{
		{"defaults", nil, false},
		{"baseline", []string{"-impl", "baseline"}, false},
		{"unknown impl", []string{"-impl", "chan"}, true},
		{"no producers", []string{"-producers", "0"}, true},
		{"negative rate", []string{"-rate", "-1"}, true},
		{"zero duration", []string{"-duration", "0s"}, true},
		{"zero ring", []string{"-ring", "0"}, true},
		{"reload on baseline", []string{"-impl", "baseline", "-reload", "1s"}, true},
		{"reload on lockfree", []string{"-reload", "1s"}, false},
		{"unknown flag", []string{"-nope"}, true},
		{"stress preset", []string{"-preset", "stress"}, false},
		{"batch", []string{"-batch", "64"}, false},
		{"zero batch", []string{"-batch", "0"}, true},
		{"unknown preset", []string{"-preset", "flat"}, true},
		{"stray argument", []string{"stress"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, io.Discard)
			assert.Equal(t, tt.wantErr, err != nil, "err: %v", err)
		})
	}
}

// TestPresets checks that the default is a paced load sized so the batch
// drains, that -preset stress runs flat out, and that explicit flags win over
// either preset.
func TestPresets(t *testing.T) {
	paced, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "paced", paced.preset)
	assert.Positive(t, paced.rate, "the default run is paced")
	assert.GreaterOrEqual(t, float64(paced.store), paced.rate*paced.push.Seconds(),
		"the default batch holds what arrives between two pushes")
	assert.Positive(t, paced.streams)

	stress, err := parseFlags([]string{"-preset", "stress"}, io.Discard)
	require.NoError(t, err)
	assert.Zero(t, stress.rate, "stress runs flat out")
	assert.Less(t, stress.store, paced.store)

	mixed, err := parseFlags([]string{"-store", "7", "-preset", "stress", "-rate", "100", "-producers", "3"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, uint64(7), mixed.store)
	assert.Equal(t, 100.0, mixed.rate)
	assert.Equal(t, 3, mixed.producers)
	assert.Equal(t, stress.push, mixed.push, "flags not given take the preset's value")
}

// TestHelp checks that -h explains the figures a run prints.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := parseFlags([]string{"-h"}, &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, figure := range []string{"ev/s", "accepted", "dropped", "lag", "cut", "collected", "not stored",
		"rejected", "store conservation", "load", "PASS", "-preset stress", "-rate"} {
		assert.Contains(t, out.String(), figure)
	}
}

func TestLoadVerdict(t *testing.T) {
	tests := []struct {
		name, want string
		rate       float64
		c          counts
	}{
		{"kept up", "load: kept up", 5000, counts{Accepted: 100, Collected: 100}},
		{"not stored", "60 not stored (60.0%)", 5000, counts{Accepted: 100, Collected: 40, NotStored: 60}},
		{"cut paced", "raise -queue", 5000, counts{Accepted: 100, StreamsCut: 2}},
		{"flat out", "expected flat out", 0, counts{Accepted: 100, StreamsCut: 2}},
		{"dropped", "50 dropped (50.0%)", 0, counts{Accepted: 50, Dropped: 50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			loadVerdict(&out, options{rate: tt.rate}, tt.c, 3)
			assert.Contains(t, out.String(), tt.want)
		})
	}
}

func TestRecordMix(t *testing.T) {
	mix := recordMix()
	seen := map[si.EventRecord_Type]bool{}
	for seq := uint64(0); seq < 1000; seq++ {
		ev := record(mix, 5, seq)
		p, s := decode(ev)
		require.Equal(t, 5, p)
		require.Equal(t, seq, s)
		assert.NotEmpty(t, ev.GetObjectID())
		seen[ev.GetType()] = true
	}
	assert.Len(t, seen, 4, "requests, apps, nodes and queues")
}

func TestOrderCheck(t *testing.T) {
	ev := func(p int, seq uint64) *si.EventRecord { return &si.EventRecord{TimestampNano: encode(p, seq)} }
	tests := []struct {
		name    string
		strict  bool
		events  []*si.EventRecord
		wantErr bool
	}{
		{"in order", true, []*si.EventRecord{ev(0, 5), ev(1, 0), ev(0, 6), ev(1, 1)}, false},
		{"gap strict", true, []*si.EventRecord{ev(0, 5), ev(0, 7)}, true},
		{"gap lenient", false, []*si.EventRecord{ev(0, 5), ev(0, 7)}, false},
		{"duplicate", false, []*si.EventRecord{ev(0, 5), ev(0, 5)}, true},
		{"reorder", false, []*si.EventRecord{ev(0, 5), ev(0, 4)}, true},
		{"nil", false, []*si.EventRecord{nil}, true},
		{"unknown producer", false, []*si.EventRecord{ev(2, 0)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newOrderCheck(2, tt.strict)
			for _, e := range tt.events {
				c.see(e)
			}
			assert.Equal(t, tt.wantErr, c.err != "", "err: %q", c.err)
			assert.Equal(t, uint64(len(tt.events)), c.n)
		})
	}
}

func TestEncodeDecode(t *testing.T) {
	p, seq := decode(&si.EventRecord{TimestampNano: encode(12345, 1<<seqBits-1)})
	assert.Equal(t, 12345, p)
	assert.Equal(t, uint64(1<<seqBits-1), seq)
}

// TestRunPasses runs the tool briefly against both implementations with
// tiny capacities, streams and (lock-free) reloads; every check must pass.
func TestRunPasses(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"lockfree", []string{"-impl", "lockfree", "-reload", "50ms"}},
		{"lockfree paced", []string{"-impl", "lockfree", "-rate", "20000"}},
		{"baseline", []string{"-impl", "baseline"}},
		{"stress preset", []string{"-preset", "stress"}},
		{"lockfree batches", []string{"-preset", "stress", "-batch", "7", "-reload", "50ms"}},
		{"lockfree paced batches", []string{"-rate", "20000", "-batch", "16"}},
		{"baseline batches", []string{"-impl", "baseline", "-batch", "5"}},
		{"baseline stress preset", []string{"-impl", "baseline", "-preset", "stress"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-duration", "300ms", "-producers", "3", "-streams", "3",
				"-stream-life", "60ms", "-ring", "64", "-store", "16", "-push", "5ms", "-queue", "8"}, tt.args...)
			o, err := parseFlags(args, io.Discard)
			require.NoError(t, err)
			var out bytes.Buffer
			ok := run(o, &out, io.Discard)
			assert.True(t, ok, "report:\n%s", out.String())
			assert.Contains(t, out.String(), "PASS")
		})
	}
}

// TestDefaultRunPasses runs the default (paced) preset as shipped, only
// shorter: every check must pass and the report must say how the load went.
func TestDefaultRunPasses(t *testing.T) {
	for _, impl := range []string{"lockfree", "baseline"} {
		t.Run(impl, func(t *testing.T) {
			o, err := parseFlags([]string{"-impl", impl, "-duration", "1500ms", "-stream-life", "400ms"}, io.Discard)
			require.NoError(t, err)
			var out bytes.Buffer
			ok := run(o, &out, io.Discard)
			assert.True(t, ok, "report:\n%s", out.String())
			assert.Contains(t, out.String(), "preset paced")
			assert.Contains(t, out.String(), "  load: ")
			assert.Contains(t, out.String(), "PASS")
		})
	}
}

// TestReportFails feeds the report a producer count that disagrees with the
// system, so the accounting check must fail.
func TestReportFails(t *testing.T) {
	o, err := parseFlags([]string{"-producers", "1"}, io.Discard)
	require.NoError(t, err)
	plugin := &countingPlugin{check: newOrderCheck(1, false)}
	lf := newTarget(o, plugin) // -impl lockfree, the default
	lf.StartService()
	lf.AddEvent(&si.EventRecord{TimestampNano: encode(0, 0)})
	producers := make([]producerState, 1) // says 0 sent, the system took 1
	var out bytes.Buffer
	assert.False(t, report(o, lf, plugin, producers, nil, runFacts{elapsed: time.Second}, &out))
	assert.Contains(t, out.String(), "FAIL")
}
