package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// envRunMain makes the test binary run evload's main with its arguments
// instead of the tests (see evload below).
const envRunMain = "EVLOAD_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envRunMain) == "1" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// evload returns a command that runs this test binary as evload with args.
func evload(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), envRunMain+"=1")
	return cmd
}

// waitBounded waits for f to return, failing the test if it has not within
// d: a bound against hanging, not a timing assertion.
func waitBounded(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: not done within %v", what, d)
	}
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
		{"negative duration", []string{"-duration", "-1s"}, true},
		{"too many producers", []string{"-producers", "5000"}, true},
		{"huge batch", []string{"-batch", "70000"}, true},
		{"rate NaN", []string{"-rate", "NaN"}, true},
		{"rate +Inf", []string{"-rate", "+Inf"}, true},
		{"huge rate", []string{"-rate", "1e300"}, true},
		{"too many streams", []string{"-streams", "1000000"}, true},
		{"negative queue", []string{"-queue", "-5"}, true},
		{"huge queue", []string{"-queue", "1000000000"}, true},
		{"zero store", []string{"-store", "0"}, true},
		{"huge store", []string{"-store", "1000000000000000000"}, true},
		{"huge ring", []string{"-ring", "1000000000000000000"}, true},
		{"huge ring on baseline", []string{"-impl", "baseline", "-ring", "1000000000000000000"}, true},
		{"largest values", []string{"-producers", "4096", "-batch", "65536", "-rate", "1e9", "-streams", "1000",
			"-queue", "1048576", "-store", "4194304", "-ring", "67108864"}, false},
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

// TestFlagErrorsAreShort checks that a flag error is returned, not printed
// with the whole help text; -h alone prints the help.
func TestFlagErrorsAreShort(t *testing.T) {
	var out bytes.Buffer
	_, err := parseFlags([]string{"-nope"}, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-nope")
	assert.Empty(t, out.String())
}

// TestFlagErrorExit runs evload with bad flags: each must exit with status 2,
// say what is wrong and print the usage line, without running a load.
func TestFlagErrorExit(t *testing.T) {
	for _, args := range [][]string{
		{"-producers", "0"}, {"-duration", "-1s"}, {"-nope"}, {"-impl", "chan"},
		{"-impl", "baseline", "-ring", "1000000000000000000"}, {"-queue", "-1"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := evload(t, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "stderr: %s", stderr.String())
			assert.Equal(t, 2, exit.ExitCode(), "stderr: %s", stderr.String())
			assert.Contains(t, stderr.String(), "evload: ")
			assert.Contains(t, stderr.String(), usageLine)
			assert.NotContains(t, stderr.String(), "panic")
			assert.Empty(t, stdout.String())
		})
	}
}

func TestAddSaturated(t *testing.T) {
	assert.Equal(t, 3*time.Second, addSaturated(time.Second, 2*time.Second))
	assert.Equal(t, time.Duration(math.MaxInt64), addSaturated(math.MaxInt64-time.Hour, time.Minute+time.Hour))
	assert.Equal(t, time.Duration(math.MaxInt64), addSaturated(math.MaxInt64, math.MaxInt64))
}

// TestHelp checks that -h explains the figures a run prints.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := parseFlags([]string{"-h"}, &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, figure := range []string{"ev/s", "accepted", "dropped", "lag", "cut", "collected", "not stored",
		"rejected", "store conservation", "load", "PASS", "-preset stress", "-rate", "Ctrl-C", "exit status"} {
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
		firstBy []uint64
		events  []*si.EventRecord
		wantErr bool
	}{
		{"in order", true, nil, []*si.EventRecord{ev(0, 5), ev(1, 0), ev(0, 6), ev(1, 1)}, false},
		{"gap strict", true, nil, []*si.EventRecord{ev(0, 5), ev(0, 7)}, true},
		{"gap lenient", false, nil, []*si.EventRecord{ev(0, 5), ev(0, 7)}, false},
		{"duplicate", false, nil, []*si.EventRecord{ev(0, 5), ev(0, 5)}, true},
		{"reorder", false, nil, []*si.EventRecord{ev(0, 5), ev(0, 4)}, true},
		{"nil", false, nil, []*si.EventRecord{nil}, true},
		{"unknown producer", false, nil, []*si.EventRecord{ev(2, 0)}, true},
		{"first events within their bounds", true, []uint64{5, 0}, []*si.EventRecord{ev(0, 5), ev(1, 0), ev(0, 6)}, false},
		{"first events from history", true, []uint64{5, 9}, []*si.EventRecord{ev(0, 1), ev(1, 2), ev(0, 2)}, false},
		{"lost at the join", true, []uint64{5, 0}, []*si.EventRecord{ev(1, 0), ev(0, 6), ev(0, 7)}, true},
		{"lost at the join, other producer first", true, []uint64{5, 0}, []*si.EventRecord{ev(0, 4), ev(1, 1)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newOrderCheck(2, tt.strict)
			c.firstBy = tt.firstBy
			for _, e := range tt.events {
				c.see(e)
			}
			assert.Equal(t, tt.wantErr, c.err != "", "err: %q", c.err)
			assert.Equal(t, uint64(len(tt.events)), c.n)
		})
	}
}

// TestOrderCheckFollowsAfterError checks that a flow keeps being followed
// after its first violation (the progress line's lag reads last), and that
// the first error is the one kept.
func TestOrderCheckFollowsAfterError(t *testing.T) {
	c := newOrderCheck(1, true)
	for _, seq := range []uint64{0, 2, 2, 9} {
		c.see(&si.EventRecord{TimestampNano: encode(0, seq)})
	}
	assert.Equal(t, "producer 0: gap, event 2 after 0", c.err)
	assert.Equal(t, int64(9), c.last[0].Load())
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
			ok := run(context.Background(), o, &out, io.Discard)
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
			ok := run(context.Background(), o, &out, io.Discard)
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

// TestRunEndsPromptly checks that the end of the run is not held back by a
// side goroutine waiting for its next period: with -reload 1h, a 200ms run
// must report well before the hour.
func TestRunEndsPromptly(t *testing.T) {
	o, err := parseFlags([]string{"-duration", "200ms", "-producers", "1", "-streams", "1",
		"-reload", "1h", "-stream-life", "1h", "-rate", "1000"}, io.Discard)
	require.NoError(t, err)
	var out bytes.Buffer
	var ok bool
	waitBounded(t, time.Minute, "a 200ms run with -reload 1h", func() { ok = run(context.Background(), o, &out, io.Discard) })
	assert.True(t, ok, "report:\n%s", out.String())
}

// TestRunStopsEarly cancels an hour-long run: it must stop, check and report
// as usual, saying it was interrupted.
func TestRunStopsEarly(t *testing.T) {
	o, err := parseFlags([]string{"-duration", "1h", "-producers", "2", "-streams", "2",
		"-stream-life", "50ms", "-push", "5ms", "-reload", "1h"}, io.Discard)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	var ok bool
	waitBounded(t, time.Minute, "a cancelled run", func() { ok = run(ctx, o, &out, io.Discard) })
	assert.True(t, ok, "report:\n%s", out.String())
	assert.Contains(t, out.String(), "interrupted after")
	assert.Contains(t, out.String(), "PASS")
}

// TestSignalStopsWithReport runs evload for an hour and sends it SIGINT
// (Ctrl-C) or SIGTERM once it is running: it must stop, print the report
// and exit with the status of its checks (0), not die without a report.
func TestSignalStopsWithReport(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT/SIGTERM to send on Windows")
	}
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := evload(t, "-duration", "1h", "-producers", "1", "-streams", "1", "-rate", "2000")
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			stderr, err := cmd.StderrPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { _ = cmd.Process.Kill() }) // if the test fails half-way
			// The first progress line says the load runs.
			lines := bufio.NewScanner(stderr)
			started := false
			waitBounded(t, time.Minute, "the first progress line", func() {
				for lines.Scan() {
					if strings.HasPrefix(lines.Text(), "evload lockfree t=") {
						started = true
						return
					}
				}
			})
			if !started {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("no progress line; stdout:\n%s", stdout.String())
			}
			require.NoError(t, cmd.Process.Signal(sig))
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			var waitErr error
			waitBounded(t, time.Minute, "evload after "+sig.String(), func() { waitErr = cmd.Wait() })
			assert.NoError(t, waitErr, "stdout:\n%s", stdout.String())
			assert.Contains(t, stdout.String(), "interrupted after")
			assert.Contains(t, stdout.String(), "PASS")
		})
	}
}

func TestCountsString(t *testing.T) {
	assert.Equal(t, "removed 3, slow 1", countsString(map[string]int{"slow": 1, "removed": 3}))
	assert.Equal(t, "", countsString(nil))
}
