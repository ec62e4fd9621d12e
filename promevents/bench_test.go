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
			cfg := system.DefaultConfig()
			cfg.Logger = quiet
			sys := system.New(cfg)
			sys.StartServiceWithPublisher(false)
			defer sys.Stop()
			scrapes := 0
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			if scrape == "10ms" {
				reg := prometheus.NewRegistry()
				reg.MustRegister(promevents.New(sys))
				go func() {
					defer close(done)
					tick := time.NewTicker(10 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-ctx.Done():
							return
						case <-tick.C:
							if _, err := reg.Gather(); err != nil {
								panic(err)
							}
							scrapes++
						}
					}
				}()
			} else {
				close(done)
			}
			recs := make([]*si.EventRecord, 1024)
			for i := range recs {
				recs[i] = &si.EventRecord{Type: si.EventRecord_APP, ObjectID: fmt.Sprint("app-", i),
					Message: "benchmark event", EventChangeType: si.EventRecord_ADD}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sys.AddEvent(recs[i&1023])
			}
			b.StopTimer()
			cancel()
			<-done
			b.ReportMetric(float64(scrapes), "scrapes")
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
	var systems [2]*system.EventSystemImpl
	for i := range systems {
		cfg := system.DefaultConfig()
		cfg.Logger = quiet
		systems[i] = system.New(cfg)
		systems[i].StartServiceWithPublisher(false)
		defer systems[i].Stop()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(promevents.New(systems[1]))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	scrapes := make(chan int)
	go func() {
		n := 0
		defer func() { scrapes <- n }()
		tick := time.NewTicker(10 * time.Millisecond)
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
	recs := make([]*si.EventRecord, 1024)
	for i := range recs {
		recs[i] = &si.EventRecord{Type: si.EventRecord_APP, ObjectID: fmt.Sprint("app-", i),
			Message: "benchmark event", EventChangeType: si.EventRecord_ADD}
	}
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
	cancel()
	events := float64(b.N * block)
	b.ReportMetric(float64(spent[0].Nanoseconds())/events, "bare-ns/event")
	b.ReportMetric(float64(spent[1].Nanoseconds())/events, "scraped-ns/event")
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "scraped/bare")
	b.ReportMetric(float64(<-scrapes), "scrapes")
}
