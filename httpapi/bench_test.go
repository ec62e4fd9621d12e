package httpapi

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/system"
)

// referenceStream is a stream handler written the way the reference writes
// its stream endpoint: per event, set a write deadline, encode the record
// with encoding/json straight to the response, flush. For SSE it frames each
// record as a data block, still one encode and one flush per event. It is
// the baseline of BenchmarkStream.
func referenceStream(sys system.EventSystem) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sse := wantsEventStream(r)
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		rc := http.NewResponseController(w)
		s := sys.CreateEventStream(r.RemoteAddr, 0)
		defer sys.RemoveStream(s)
		enc := json.NewEncoder(w)
		_ = enc.Encode(struct{ InstanceUUID string }{"reference"})
		_ = rc.Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case ev, ok := <-s.Events:
				if !ok {
					return
				}
				_ = rc.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if sse {
					b, err := json.Marshal(ev)
					if err != nil {
						return
					}
					if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
						return
					}
				} else if err := enc.Encode(ev); err != nil {
					return
				}
				if rc.Flush() != nil {
					return
				}
			}
		}
	})
}

// referenceBatch encodes the batch object with encoding/json, as the
// reference does, optionally through gzip at BestSpeed as its middleware.
func referenceBatch(sys system.EventSystem) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		records, lowest, highest := sys.GetEventsFromID(0, DefaultResponseSize)
		var out io.Writer = w
		if acceptsGzip(r) {
			w.Header().Set("Content-Encoding", "gzip")
			zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
			defer zw.Close()
			out = zw
		}
		_ = json.NewEncoder(out).Encode(struct {
			InstanceUUID        string
			LowestID, HighestID uint64
			EventRecords        []*si.EventRecord
		}{"reference", lowest, highest, records})
	})
}

// benchClient reads one stream and counts the records it carries.
type benchClient struct {
	received atomic.Int64
	body     io.ReadCloser
	done     chan struct{}
}

func startBenchClient(b *testing.B, url string, sse bool) *benchClient {
	b.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	if sse {
		req.Header.Set("Accept", "text/event-stream")
	}
	resp, err := streamClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
	c := &benchClient{body: resp.Body, done: make(chan struct{})}
	prefix := []byte(`{"`)
	if sse {
		prefix = []byte(`data: {"`)
	}
	uuid := append(append([]byte{}, prefix...), `InstanceUUID"`...)
	go func() {
		defer close(c.done)
		br := bufio.NewReaderSize(resp.Body, 64<<10)
		for {
			line, err := br.ReadSlice('\n')
			if err != nil && err != bufio.ErrBufferFull {
				return
			}
			if bytes.HasPrefix(line, prefix) && !bytes.HasPrefix(line, uuid) {
				c.received.Add(1)
			}
		}
	}()
	return c
}

// BenchmarkStream measures events delivered per second to 1 and 16 clients
// over loopback HTTP, for this package's NDJSON and SSE streams against the
// reference-style handler (one encode and one flush per event);
// impl=lfevents-history is the feed for an EventSystem without streams with
// IDs (reading history by ID). One op is
// one event added; every client receives every event. The producer runs at
// most a window ahead of the slowest client, so no stream is ever cut and
// the figure is the delivery rate. Reported: delivered-events/s (over all
// clients) and allocs/delivered (heap allocations of the whole process per
// delivered event, clients included).
func BenchmarkStream(b *testing.B) {
	for _, proto := range []string{"ndjson", "sse"} {
		for _, clients := range []int{1, 16} {
			for _, impl := range []string{"lfevents", "lfevents-history", "reference"} {
				b.Run(fmt.Sprintf("proto=%s/clients=%d/impl=%s", proto, clients, impl), func(b *testing.B) {
					benchStream(b, proto == "sse", clients, impl)
				})
			}
		}
	}
}

const benchWindow = 8192

func benchStream(b *testing.B, sse bool, clients int, impl string) {
	cfg := system.DefaultConfig()
	cfg.Logger = quietLogger
	cfg.RingBufferCapacity = 4 * benchWindow
	cfg.StreamQueueSize = 4 * benchWindow
	sys := system.New(cfg)
	sys.StartServiceWithPublisher(false)
	var h http.Handler
	var api *Handler
	switch impl {
	case "reference":
		h = referenceStream(sys)
	case "lfevents-history":
		api = New(plainSystem{sys}, WithLogger(quietLogger), WithStreamLimits(uint64(clients), uint64(clients)))
		h = api
	default:
		api = New(sys, WithLogger(quietLogger), WithStreamLimits(uint64(clients), uint64(clients)))
		h = api
	}
	srv := httptest.NewServer(h)
	defer func() {
		if api != nil {
			api.Close()
		}
		srv.Close()
		sys.Stop()
	}()

	cs := make([]*benchClient, clients)
	for i := range cs {
		cs[i] = startBenchClient(b, srv.URL+StreamPath, sse)
	}
	for len(sys.GetEventStreams()) < clients {
		time.Sleep(time.Millisecond)
	}
	records := make([]*si.EventRecord, 64)
	for i := range records {
		records[i] = testRecord(i)
	}
	// slowest returns how many events the slowest client has received; it
	// fails the benchmark if a stream ended or stalled for a minute.
	lastProgress, lastSlowest := time.Now(), int64(-1)
	slowest := func() int64 {
		m := cs[0].received.Load()
		for _, c := range cs[1:] {
			m = min(m, c.received.Load())
		}
		if m != lastSlowest {
			lastProgress, lastSlowest = time.Now(), m
		}
		for i, c := range cs {
			select {
			case <-c.done:
				b.Fatalf("client %d: stream ended after %d events", i, c.received.Load())
			default:
			}
		}
		if time.Since(lastProgress) > time.Minute {
			b.Fatalf("no progress for a minute: slowest client at %d of %d", m, b.N)
		}
		return m
	}

	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if i%1024 == 0 {
			for int64(i)-slowest() > benchWindow {
				time.Sleep(20 * time.Microsecond)
			}
		}
		// A fresh record each time, as a scheduler creates them; the
		// records are shared read-only afterwards, so reusing 64 is fine
		// for the encoders, which only read.
		sys.AddEvent(records[i%len(records)])
	}
	for slowest() < int64(b.N) {
		time.Sleep(20 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	delivered := float64(b.N) * float64(clients)
	b.ReportMetric(delivered/elapsed.Seconds(), "delivered-events/s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/delivered, "allocs/delivered")
	for _, c := range cs {
		c.body.Close()
		<-c.done
	}
}

// BenchmarkBatch measures one GET of a 10000-event batch over loopback, this
// package's encoder against encoding/json as the reference uses it, with and
// without gzip (BestSpeed, as the reference's middleware). The client reads
// the whole body without decompressing it. Reported: wire-bytes per
// response.
func BenchmarkBatch(b *testing.B) {
	cfg := system.DefaultConfig()
	cfg.Logger = quietLogger
	sys := system.New(cfg)
	sys.StartServiceWithPublisher(false)
	defer sys.Stop()
	for i := range int(DefaultResponseSize) {
		sys.AddEvent(testRecord(i))
	}
	for _, gz := range []bool{false, true} {
		for _, impl := range []string{"lfevents", "reference"} {
			b.Run(fmt.Sprintf("gzip=%v/impl=%s", gz, impl), func(b *testing.B) {
				var h http.Handler = referenceBatch(sys)
				if impl == "lfevents" {
					h = New(sys, WithLogger(quietLogger))
				}
				srv := httptest.NewServer(h)
				defer srv.Close()
				req, err := http.NewRequest(http.MethodGet, srv.URL+BatchPath, nil)
				if err != nil {
					b.Fatal(err)
				}
				if gz {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				var n int64
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					resp, err := noGzipClient.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					n, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != http.StatusOK {
						b.Fatal(err, resp.StatusCode)
					}
				}
				b.ReportMetric(float64(n), "wire-bytes")
			})
		}
	}
}

// BenchmarkEncodeRecord compares the record encoder with encoding/json on
// the same records.
func BenchmarkEncodeRecord(b *testing.B) {
	records := make([]*si.EventRecord, 64)
	for i := range records {
		records[i] = testRecord(i)
	}
	b.Run("impl=lfevents", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 1024)
		for i := range b.N {
			buf = appendRecord(buf[:0], records[i%len(records)])
		}
	})
	b.Run("impl=encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		enc := json.NewEncoder(io.Discard)
		for i := range b.N {
			_ = enc.Encode(records[i%len(records)])
		}
	})
}
