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
