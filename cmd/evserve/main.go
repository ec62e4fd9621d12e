// Command evserve serves an lfevents event system over HTTP: the batch and
// stream endpoints of package httpapi (NDJSON and Server-Sent Events), a
// live viewer page at /, and Prometheus metrics at /metrics. With -load it
// also runs a synthetic scheduler that records a realistic mix of
// application, node, queue and request events.
//
//	go run ./cmd/evserve -addr 127.0.0.1:0 -load 2000
//
// The first line of output is "listening on http://HOST:PORT" (with the
// port chosen when -addr asks for port 0); logs go to stderr. SIGINT or
// SIGTERM shuts it down gracefully: open streams are ended (NDJSON with a
// closing line, SSE with a cut event), in-flight requests finish, and the
// event system is stopped.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/lfevents/lfevents/httpapi"
	"github.com/lfevents/lfevents/httpapi/viewer"
	"github.com/lfevents/lfevents/promevents"
	"github.com/lfevents/lfevents/system"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "evserve:", err)
		}
		os.Exit(2)
	}
}

// options are the command-line flags.
type options struct {
	addr           string
	load           float64
	seed           uint64
	ring           uint64
	requests       uint64
	tracking       bool
	responseSize   uint64
	maxStreams     uint64
	maxPerClient   uint64
	allowOrigins   string
	trustedProxies string
	grace          time.Duration
	readTimeout    time.Duration
	writeTimeout   time.Duration
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("evserve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:9080", "listen address (port 0 picks a free port)")
	fs.Float64Var(&o.load, "load", 0, "synthetic scheduler events per second (0: none)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the synthetic load")
	fs.Uint64Var(&o.ring, "ring", system.DefaultRingBufferCapacity, "events kept in history (event.ringBufferCapacity)")
	fs.Uint64Var(&o.requests, "request-capacity", 0,
		"events the store keeps for the publisher between two pushes (event.requestCapacity; 0: the default, raised to twice what -load adds per push)")
	fs.BoolVar(&o.tracking, "tracking", true, "event tracking enabled (event.trackingEnabled); off makes the endpoints answer 500")
	fs.Uint64Var(&o.responseSize, "response-size", httpapi.DefaultResponseSize, "batch default and largest count (event.RESTResponseSize)")
	fs.Uint64Var(&o.maxStreams, "max-streams", httpapi.DefaultMaxStreams, "streams open at once, in total (event.maxStreams)")
	fs.Uint64Var(&o.maxPerClient, "max-streams-per-client", httpapi.DefaultMaxStreamsPerClient, "streams open at once per client address (event.maxStreamsPerHost)")
	fs.StringVar(&o.allowOrigins, "allow-origins", "", "comma-separated origins allowed to read the endpoints cross-origin (\"*\" for any; default none)")
	fs.StringVar(&o.trustedProxies, "trusted-proxies", "", "comma-separated proxy IPs or CIDRs whose X-Forwarded-For is believed")
	fs.DurationVar(&o.grace, "grace", 10*time.Second, "how long shutdown waits for requests in flight")
	fs.DurationVar(&o.readTimeout, "read-timeout", 30*time.Second,
		"longest time a client may take to send a request, headers and body (headers: at most 10s); streams lift it once open")
	fs.DurationVar(&o.writeTimeout, "write-timeout", time.Minute,
		"longest time a response may take to write, except streams and batches (those drop a client that takes a part longer than 5s)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.load < 0 {
		return o, fmt.Errorf("-load must not be negative")
	}
	if o.readTimeout <= 0 || o.writeTimeout <= 0 {
		return o, fmt.Errorf("-read-timeout and -write-timeout must be positive")
	}
	return o, nil
}

// server is everything evserve serves, built before it listens.
type server struct {
	sys     *system.EventSystemImpl
	api     *httpapi.Handler
	handler http.Handler
}

// requestCapacity is the store size evserve uses: the one asked for, or,
// when none is (0), the library's default raised to twice the events the
// synthetic load adds per push, so that the demo does not warn of events not
// stored merely because its own load outgrows the default. The system clamps
// it to MaxRequestCapacity.
func requestCapacity(asked uint64, load float64, push time.Duration) uint64 {
	if asked != 0 {
		return asked
	}
	perPush := 2 * load * push.Seconds()
	if perPush <= float64(system.DefaultRequestCapacity) {
		return system.DefaultRequestCapacity
	}
	return uint64(min(perPush, float64(system.MaxRequestCapacity)))
}

// newServer builds and starts the event system and the handlers.
func newServer(o options, log *slog.Logger) *server {
	cfg := system.DefaultConfig()
	cfg.RingBufferCapacity = o.ring
	cfg.RequestCapacity = requestCapacity(o.requests, o.load, cfg.PushInterval)
	cfg.TrackingEnabled = o.tracking
	cfg.Logger = log
	// The resource manager's side of the publisher: evserve has none, so
	// the batches are taken and dropped (the metrics show them).
	cfg.Plugin = discardPlugin{}
	sys := system.New(cfg)
	sys.StartService()

	api := httpapi.New(sys,
		httpapi.WithLogger(log),
		httpapi.WithResponseSize(o.responseSize),
		httpapi.WithStreamLimits(o.maxStreams, o.maxPerClient),
		httpapi.WithAllowedOrigins(splitList(o.allowOrigins)...),
		httpapi.WithTrustedProxies(splitList(o.trustedProxies)...),
	)

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		promevents.New(sys),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)

	mux := http.NewServeMux()
	mux.Handle(httpapi.BatchPath, api)
	mux.Handle(httpapi.StreamPath, api)
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", viewer.Handler())
	return &server{sys: sys, api: api, handler: mux}
}

// discardPlugin takes the publisher's batches and drops them.
type discardPlugin struct{}

func (discardPlugin) SendEvent([]*si.EventRecord) {}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// run serves until ctx is done or SIGINT/SIGTERM arrives, then shuts down.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	log := slog.New(slog.NewTextHandler(stderr, nil))

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	s := newServer(o, log)
	defer s.sys.Stop()
	if _, err := fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr()); err != nil {
		ln.Close()
		return err
	}

	srv := &http.Server{
		Handler: s.handler,
		// A client that trickles its request (or announces a body and never
		// sends it) is dropped. The stream handler lifts both timeouts for
		// its long-lived responses and sets a deadline per write instead;
		// the batch handler sets one per 32 KiB part.
		ReadHeaderTimeout: min(10*time.Second, o.readTimeout),
		ReadTimeout:       o.readTimeout,
		WriteTimeout:      o.writeTimeout,
		MaxHeaderBytes:    64 << 10,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	if o.load > 0 {
		g.Go(func() error {
			newScheduler(o.seed).run(gctx, s.sys, o.load)
			return nil
		})
	}
	g.Go(func() error {
		<-gctx.Done()
		log.Info("evserve: shutting down")
		// Streams never end on their own: end them first, so that
		// Shutdown only waits for ordinary requests.
		s.api.Close()
		sctx, cancel := context.WithTimeout(context.Background(), o.grace)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	err = g.Wait()
	log.Info("evserve: stopped", slog.Any("metrics", s.sys.Metrics()))
	return err
}
