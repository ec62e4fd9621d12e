package system

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/internal/testutil"
)

// BenchmarkAddEvent is AddEvent end to end: b.N events in total, split evenly
// over the producers and added flat out into a running system with the
// default capacities; the clock stops when every event is in history. ns/op
// is per event; allocs/op is per AddEvent. The bench package puts the
// reference design's baseline beside it.
func BenchmarkAddEvent(b *testing.B) {
	for _, producers := range []int{1, 2, 8} {
		b.Run(fmt.Sprintf("producers=%d/impl=lockfree", producers), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			sys := New(cfg)
			sys.StartService()
			defer sys.Stop()
			recs := testutil.Grid(producers, 1024, func(p, _ int) *si.EventRecord {
				return &si.EventRecord{
					Type: si.EventRecord_APP, ObjectID: fmt.Sprint("app-", p), Message: "benchmark event",
					EventChangeType: si.EventRecord_ADD, EventChangeDetail: si.EventRecord_APP_ALLOC,
				}
			})
			b.ReportAllocs()
			b.ResetTimer()
			testutil.Run(producers, func(p int) {
				mine, n := recs[p], b.N/producers
				if p < b.N%producers {
					n++
				}
				for i := 0; i < n; i++ {
					sys.AddEvent(mine[i%len(mine)])
				}
			})
			for sys.history.ReadEnd() < uint64(b.N) {
				// Every AddEvent has returned, and the ring publishes before
				// Add returns: this loop ends at once unless the ring is wrong.
				runtime.Gosched()
			}
			b.StopTimer()
			if m := sys.Metrics(); m.Channeled != uint64(b.N) || m.NotChanneled != 0 {
				b.Fatalf("accepted %d of %d events", m.Channeled, b.N)
			}
		})
	}
}
