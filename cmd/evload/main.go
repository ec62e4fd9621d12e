// Command evload puts an lfevents event system (or the baseline re-build of
// the reference design) under load for a while, then stops it and checks that
// every event is accounted for:
//
//   - history: the newest events are all there, with consecutive IDs, and
//     each producer's events appear in the order it added them (for the
//     lock-free system: every one of them, no gap);
//   - store: every accepted event was either handed to the plugin exactly
//     once, in order, or counted as not stored;
//   - streams: each stream received events in order, with no duplicate and
//     (lock-free) no gap and nothing lost where it joined (every event a
//     producer began to add after the stream was created), or was closed
//     and counted.
//
// The default run is paced like a busy scheduler (a few thousand events/s
// from a few goroutines, a few live streams, a publisher whose batch is sized
// for the rate); -preset stress runs the producers flat out instead, where
// the batch overflows and streams are cut as slow, both counted. `evload -h`
// explains every figure of the progress line and the report.
//
// While it runs it prints a progress line to stderr every second. The final
// report goes to stdout; the exit status is 1 when a check fails, 2 for bad
// flags. Ctrl-C (or SIGTERM) ends the run early: the producers stop, and the
// system is stopped, checked and reported as at the end of -duration; a
// second one quits at once.
//
// Producers allocate a new record per event and encode who made it in
// TimestampNano (producer<<40 | sequence), which is what the checks read.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/lfevents/lfevents/system"
)

// options are the command-line flags.
type options struct {
	preset        string
	impl          string
	producers     int
	batch         int
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

// preset returns a named preset's load. paced is the default: a busy
// scheduler's pace, which a healthy system absorbs without cutting a stream or
// overflowing the batch. stress is the flat-out run that shows what overload
// does (and that all of it is counted).
func preset(name string) (options, bool) {
	switch name {
	case "paced":
		return options{
			producers: 4, rate: 5000, streams: 4, streamLife: 3 * time.Second, streamHistory: 100,
			ring: 100000, store: 5000, push: 500 * time.Millisecond,
		}, true
	case "stress":
		return options{
			producers: runtime.GOMAXPROCS(0), rate: 0, streams: 4, streamLife: 2 * time.Second, streamHistory: 100,
			ring: 100000, store: 1000, push: 100 * time.Millisecond,
		}, true
	}
	return options{}, false
}

const usageText = `evload puts an event system under load, then stops it and checks that every
event is accounted for: in history, handed to the plugin once or counted as not
stored, and delivered to every stream in order or the stream cut and counted.

Usage: evload [flags]

  evload                          paced load for 10s (the default preset)
  evload -preset stress           producers flat out: overload, counted
  evload -impl baseline           the same load on the reference design's re-build
  evload -batch 64                producers record 64 events per AddEvents call

Presets (explicit flags override a preset's values):
  paced   %d producers, %.0f events/s in total, %d streams (each lives about %s),
          store %d per push every %s, ring %d: a busy scheduler; a healthy
          system keeps up (no stream cut, nothing left unstored).
  stress  GOMAXPROCS producers flat out, store %d per %s: the batch overflows
          and streams that cannot keep up are cut; both are counted, not lost.

Progress line (stderr, every second):
  ev/s          events that reached history in the last second
  accepted      events the system took in so far
  dropped       events refused while running (only the baseline drops: its
                channel is full)
  streams live  streams open now; cut: streams the system closed as too slow
                (the consumer fell a whole queue behind)
  lag           the most events a live stream has not received yet (estimated
                from the producers' counts); small and steady means it keeps up
  collected     events handed to the plugin by the publisher
  not stored    events that found the batch full between two pushes (counted,
                still in history and streams); raise -store or shorten -push

Report (stdout, at the end):
  sent / accepted / dropped / rejected   events given to AddEvent, taken in,
                refused while running (baseline), refused while stopped
  one line per check, "ok" or "FAIL": accounting, no loss, history (newest,
                window, capacity, order), plugin count, store conservation,
                store order, stream order (lock-free: no gap, nothing lost
                at the join), streams counted, close reasons
  streams       how many were opened, events received, why each closed
                (removed: by evload at the end of its life; slow: cut)
  load          whether the system kept up: no stream cut and nothing left
                unstored, or how much overflowed (expected under -preset stress)
  PASS / FAIL   PASS: every check held (the exit status is 0); a stress run
                passes too, because overflow and cuts are counted; FAIL: the
                exit status is 1 (2 for bad flags)

Ctrl-C or SIGTERM ends the run early: producers stop, then the system is
stopped, checked and reported as after -duration ("interrupted after" in the
report); a second Ctrl-C quits at once, without a report.

Flags:
`

// usageLine is printed under every flag error.
const usageLine = "usage: evload [flags]; evload -h lists the flags and explains the report"

// Limits of the flags that size what evload allocates: a mistyped number
// must give a flag error, not a crash or a machine out of memory.
const (
	maxProducers = 4096
	maxBatch     = 1 << 16
	maxStreams   = 1000
	maxRate      = 1e9
)

func usage(fs *flag.FlagSet) func() {
	return func() {
		p, _ := preset("paced")
		s, _ := preset("stress")
		fmt.Fprintf(fs.Output(), usageText, p.producers, p.rate, p.streams, p.streamLife,
			p.store, p.push, p.ring, s.store, s.push)
		fs.PrintDefaults()
	}
}

// parseFlags reads the command line. -h writes the help to helpOut and
// returns flag.ErrHelp; any other error says what is wrong with which flag
// (the caller prints it with usageLine).
func parseFlags(args []string, helpOut io.Writer) (options, error) {
	o, _ := preset("paced")
	fs := flag.NewFlagSet("evload", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned; the caller prints them
	fs.Usage = func() {}
	fs.StringVar(&o.preset, "preset", "paced", "paced or stress: the load's defaults (see above)")
	fs.StringVar(&o.impl, "impl", "lockfree", "implementation: lockfree or baseline (the reference design's re-build)")
	fs.IntVar(&o.producers, "producers", o.producers, fmt.Sprintf("producer goroutines, 1 to %d", maxProducers))
	fs.IntVar(&o.batch, "batch", 1, fmt.Sprintf("events per call, 1 to %d: 1 = AddEvent, more = AddEvents with that many (the baseline loops AddEvent)", maxBatch))
	fs.Float64Var(&o.rate, "rate", o.rate, "target events/s over all producers, up to 1e9; 0 = flat out")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long producers run (Ctrl-C ends the run earlier, with the report)")
	fs.IntVar(&o.streams, "streams", o.streams, fmt.Sprintf("streams open at a time, 0 to %d; each leaves after about -stream-life and a new one joins", maxStreams))
	fs.DurationVar(&o.streamLife, "stream-life", o.streamLife, "average stream lifetime")
	fs.Uint64Var(&o.streamHistory, "stream-history", o.streamHistory, "history events each new stream asks for")
	fs.Uint64Var(&o.ring, "ring", o.ring, fmt.Sprintf("history ring capacity, 1 to %d", system.MaxRingBufferCapacity))
	fs.Uint64Var(&o.store, "store", o.store, fmt.Sprintf("store capacity (events between two pushes), 1 to %d", system.MaxRequestCapacity))
	fs.IntVar(&o.queue, "queue", 0, fmt.Sprintf("per-stream queue size, up to %d; 0 = the implementation's default", system.MaxStreamQueueSize))
	fs.DurationVar(&o.push, "push", o.push, "publisher push interval")
	fs.DurationVar(&o.reload, "reload", 0, "reconfigure period (lockfree only): ring and store capacities alternate between the given ones and half/double; 0 = off")
	fs.DurationVar(&o.grace, "grace", time.Minute, "after -duration, fail (with a goroutine dump) if stopping and checking take longer")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress line")
	fs.BoolVar(&o.verbose, "v", false, "show the systems' log (cut-off streams, resizes)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(helpOut)
			usage(fs)()
		}
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q (flags only; see -h)", fs.Args())
	}
	p, ok := preset(o.preset)
	if !ok {
		return o, fmt.Errorf("-preset must be paced or stress, not %q", o.preset)
	}
	// The flags were filled with the paced values; a flag given explicitly
	// wins over the preset, every other one takes the preset's value.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, f := range []struct {
		flag  string
		apply func()
	}{
		{"producers", func() { o.producers = p.producers }},
		{"rate", func() { o.rate = p.rate }},
		{"streams", func() { o.streams = p.streams }},
		{"stream-life", func() { o.streamLife = p.streamLife }},
		{"stream-history", func() { o.streamHistory = p.streamHistory }},
		{"ring", func() { o.ring = p.ring }},
		{"store", func() { o.store = p.store }},
		{"push", func() { o.push = p.push }},
	} {
		if !set[f.flag] {
			f.apply()
		}
	}
	switch {
	case o.impl != "lockfree" && o.impl != "baseline":
		return o, fmt.Errorf("-impl must be lockfree or baseline, not %q", o.impl)
	case o.producers < 1 || o.producers > maxProducers:
		return o, fmt.Errorf("-producers must be in [1, %d], not %d", maxProducers, o.producers)
	case o.batch < 1 || o.batch > maxBatch:
		return o, fmt.Errorf("-batch must be in [1, %d], not %d", maxBatch, o.batch)
	case math.IsNaN(o.rate) || o.rate < 0 || o.rate > maxRate:
		return o, fmt.Errorf("-rate must be in [0, %g] events/s (0: flat out), not %g", float64(maxRate), o.rate)
	case o.duration <= 0:
		return o, fmt.Errorf("-duration must be > 0")
	case o.streams < 0 || o.streams > maxStreams:
		return o, fmt.Errorf("-streams must be in [0, %d], not %d", maxStreams, o.streams)
	case o.streamLife <= 0:
		return o, fmt.Errorf("-stream-life must be > 0")
	case o.ring < 1 || o.ring > system.MaxRingBufferCapacity:
		return o, fmt.Errorf("-ring must be in [1, %d], not %d", system.MaxRingBufferCapacity, o.ring)
	case o.store < 1 || o.store > system.MaxRequestCapacity:
		return o, fmt.Errorf("-store must be in [1, %d], not %d", system.MaxRequestCapacity, o.store)
	case o.queue < 0 || o.queue > system.MaxStreamQueueSize:
		return o, fmt.Errorf("-queue must be in [0, %d] (0: the default), not %d", system.MaxStreamQueueSize, o.queue)
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
	o, err := parseFlags(os.Args[1:], os.Stdout)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "evload: %v\n%s\n", err, usageLine)
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
	hang := time.AfterFunc(addSaturated(o.duration, o.grace), func() {
		fmt.Fprintf(os.Stdout, "FAIL: not finished %s after the run's end; goroutines:\n", o.grace)
		_ = pprof.Lookup("goroutine").WriteTo(os.Stdout, 2)
		os.Exit(1)
	})
	// The first Ctrl-C or SIGTERM ends the run (the report follows, within
	// the grace period); cancel restores the default handling, so a second
	// one ends the process at once.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		cancel()
		hang.Reset(o.grace)
		fmt.Fprintln(os.Stderr, "evload: stopping early, then checking and reporting (Ctrl-C again quits at once)")
	}()
	ok := run(ctx, o, os.Stdout, progress)
	hang.Stop()
	if !ok {
		os.Exit(1)
	}
}

// addSaturated is a+b for positive durations, capped at the largest
// Duration instead of wrapping to a negative one (which would fire a timer
// at once).
func addSaturated(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
