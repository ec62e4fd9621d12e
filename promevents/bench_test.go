package promevents_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lfevents/lfevents/promevents"
	"github.com/lfevents/lfevents/system"
)

// BenchmarkAddEventScraped is AddEvent from one producer into a running
// system, with no collector (scrape=none) and with the collector registered
// and the registry gathered every 10 ms by another goroutine
// (scrape=10ms). The collector reads Metrics at scrape time only, so the two
// should not differ: compare with benchstat -col /scrape.
func BenchmarkAddEventScraped(b *testing.B) {
	for _, scrape := range []string{"none", "10ms"} {
		b.Run("scrape="+scrape, func(b *testing.B) {
			sys := startBare(b)
			stop := func() int { return 0 }
			if scrape == "10ms" {
				stop = scrapeEvery(sys, 10*time.Millisecond)
			}
			recs := benchRecords()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sys.AddEvent(recs[i&1023])
			}
			b.StopTimer()
			b.ReportMetric(float64(stop()), "scrapes")
		})
	}
}

// BenchmarkScrapeRatio adds the same records to two running systems, one
// bare and one whose collector a registry gathers every 10 ms from another
// goroutine, alternating blocks of 256 AddEvent calls so that machine noise
// hits both alike. b.N counts blocks per system. It reports ns/event for
// each and scraped/bare, the ratio of their sums (1 means no cost).
//
// Run: go test -run '^$' -bench '^BenchmarkScrapeRatio$' -count 6 -benchtime 20000x ./promevents/
func BenchmarkScrapeRatio(b *testing.B) {
	const block = 256
	systems := [2]*system.EventSystemImpl{startBare(b), startBare(b)}
	stop := scrapeEvery(systems[1], 10*time.Millisecond)
	recs := benchRecords()
	var spent [2]time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range 2 {
			s := (i + k) % 2
			sys := systems[s]
			start := time.Now()
			for j := 0; j < block; j++ {
				sys.AddEvent(recs[(i*block+j)&1023])
			}
			spent[s] += time.Since(start)
		}
	}
	b.StopTimer()
	scrapes := stop()
	events := float64(b.N * block)
	b.ReportMetric(float64(spent[0].Nanoseconds())/events, "bare-ns/event")
	b.ReportMetric(float64(spent[1].Nanoseconds())/events, "scraped-ns/event")
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "scraped/bare")
	b.ReportMetric(float64(scrapes), "scrapes")
}

// startBare starts a system with the default configuration but no
// publisher; it is stopped when the benchmark ends.
func startBare(b *testing.B) *system.EventSystemImpl {
	cfg := system.DefaultConfig()
	cfg.Logger = quiet
	sys := system.New(cfg)
	sys.StartServiceWithPublisher(false)
	b.Cleanup(sys.Stop)
	return sys
}

// scrapeEvery registers sys's collector in a new registry and gathers it
// every period on another goroutine until stop, which returns the number of
// scrapes.
func scrapeEvery(sys *system.EventSystemImpl, period time.Duration) (stop func() int) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(promevents.New(sys))
	ctx, cancel := context.WithCancel(context.Background())
	scrapes := make(chan int, 1)
	go func() {
		n := 0
		defer func() { scrapes <- n }()
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if _, err := reg.Gather(); err != nil {
					panic(err)
				}
				n++
			}
		}
	}()
	return func() int { cancel(); return <-scrapes }
}

// benchRecords returns 1024 application records for the benchmarks to add
// in turn.
func benchRecords() []*si.EventRecord {
	recs := make([]*si.EventRecord, 1024)
	for i := range recs {
		recs[i] = &si.EventRecord{Type: si.EventRecord_APP, ObjectID: fmt.Sprint("app-", i),
			Message: "benchmark event", EventChangeType: si.EventRecord_ADD}
	}
	return recs
}
