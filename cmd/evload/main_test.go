package main

import (
	"bytes"
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, io.Discard)
			assert.Equal(t, tt.wantErr, err != nil, "err: %v", err)
		})
	}
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

// TestReportFails feeds the report a producer count that disagrees with the
// system, so the accounting check must fail.
func TestReportFails(t *testing.T) {
	o, err := parseFlags([]string{"-producers", "1"}, io.Discard)
	require.NoError(t, err)
	plugin := &countingPlugin{check: newOrderCheck(1, false)}
	lf := newLockfree(o, plugin)
	lf.StartService()
	lf.AddEvent(&si.EventRecord{TimestampNano: encode(0, 0)})
	producers := make([]producerState, 1) // says 0 sent, the system took 1
	var out bytes.Buffer
	assert.False(t, report(o, lf, plugin, producers, nil, 0, time.Second, &out))
	assert.Contains(t, out.String(), "FAIL")
}
