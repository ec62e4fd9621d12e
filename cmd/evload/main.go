// Command evload puts an lfevents event system (or the baseline re-build of
// the reference design) under load for a while and then checks the
// conservation invariants of SPEC section 6:
//
//   - history: the newest events are all there, with consecutive IDs, and
//     each producer's events appear in the order it added them (for the
//     lock-free system: every one of them, no gap);
//   - store: every accepted event was either handed to the plugin exactly
//     once, in order, or counted as not stored;
//   - streams: each stream received events in order, with no duplicate and
//     (lock-free) no gap, or was closed and counted.
//
// While it runs it prints a progress line to stderr every second. The final
// report goes to stdout; the exit status is 1 when a check fails.
//
// Usage:
//
//	go run ./cmd/evload -impl lockfree -producers 4 -duration 60s -streams 8 -reload 2s
//
// Producers allocate a new record per event and encode who made it in
// TimestampNano (producer<<40 | sequence), which is what the checks read.
package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// options are the command-line flags.
type options struct {
	impl          string
	producers     int
	rate          float64
	duration      time.Duration
	streams       int
	streamLife    time.Duration
	streamHistory uint64
	ring, store   uint64
	queue         int
	push          time.Duration
	reload        time.Duration
	grace         time.Duration
	quiet         bool
	verbose       bool
}

func parseFlags(args []string, errOut io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("evload", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&o.impl, "impl", "lockfree", "implementation: lockfree or baseline")
	fs.IntVar(&o.producers, "producers", runtime.GOMAXPROCS(0), "producer goroutines")
	fs.Float64Var(&o.rate, "rate", 0, "target events/s over all producers; 0 = flat out")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long producers run")
	fs.IntVar(&o.streams, "streams", 4, "streams open at a time; each leaves after about -stream-life and a new one joins")
	fs.DurationVar(&o.streamLife, "stream-life", 2*time.Second, "average stream lifetime")
	fs.Uint64Var(&o.streamHistory, "stream-history", 100, "history events each new stream asks for")
	fs.Uint64Var(&o.ring, "ring", 100000, "history ring capacity")
	fs.Uint64Var(&o.store, "store", 1000, "store capacity (events between two pushes)")
	fs.IntVar(&o.queue, "queue", 0, "per-stream queue size; 0 = the implementation's default")
	fs.DurationVar(&o.push, "push", 100*time.Millisecond, "publisher push interval")
	fs.DurationVar(&o.reload, "reload", 0, "reconfigure period (lockfree only): ring and store capacities alternate between the given ones and half/double; 0 = off")
	fs.DurationVar(&o.grace, "grace", time.Minute, "after -duration, fail (with a goroutine dump) if stopping and checking take longer")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress line")
	fs.BoolVar(&o.verbose, "v", false, "show the systems' log (cut-off streams, resizes)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.impl != "lockfree" && o.impl != "baseline":
		return o, fmt.Errorf("-impl must be lockfree or baseline, not %q", o.impl)
	case o.producers < 1 || o.producers >= 1<<20:
		return o, fmt.Errorf("-producers must be in [1, 2^20)")
	case o.rate < 0:
		return o, fmt.Errorf("-rate must be >= 0")
	case o.duration <= 0:
		return o, fmt.Errorf("-duration must be > 0")
	case o.streams < 0:
		return o, fmt.Errorf("-streams must be >= 0")
	case o.streamLife <= 0:
		return o, fmt.Errorf("-stream-life must be > 0")
	case o.ring == 0:
		return o, fmt.Errorf("-ring must be > 0")
	case o.push <= 0:
		return o, fmt.Errorf("-push must be > 0")
	case o.grace <= 0:
		return o, fmt.Errorf("-grace must be > 0")
	case o.reload < 0:
		return o, fmt.Errorf("-reload must be >= 0")
	case o.reload > 0 && o.impl != "lockfree":
		return o, fmt.Errorf("-reload needs -impl lockfree (the baseline cannot reconfigure)")
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintln(os.Stderr, "evload:", err)
		}
		os.Exit(2)
	}
	// The systems log resizes and cut-off streams; unless asked for, keep the
	// terminal for the progress line and the report.
	level := slog.LevelError
	if o.verbose {
		level = slog.LevelInfo
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	var progress io.Writer = os.Stderr
	if o.quiet {
		progress = io.Discard
	}
	// A system that hangs (in Stop, a collect, a stream removal) must fail
	// the run, not wedge it: after the grace period, dump and exit.
	hang := time.AfterFunc(o.duration+o.grace, func() {
		fmt.Fprintf(os.Stdout, "FAIL: not finished %s after the run's end; goroutines:\n", o.grace)
		_ = pprof.Lookup("goroutine").WriteTo(os.Stdout, 2)
		os.Exit(1)
	})
	ok := run(o, os.Stdout, progress)
	hang.Stop()
	if !ok {
		os.Exit(1)
	}
}
