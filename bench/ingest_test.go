package bench

import (
	"fmt"
	"testing"
)

// BenchmarkIngest is the end-to-end ingest scenario (SPEC section 5): b.N
// events in total, split evenly over the producers, all added flat out; the
// clock stops when every accepted event is in history. `make bench` runs it
// with -benchtime=1000000x, so one run is the 1M events of the SPEC.
//
// Metrics: ns/op is per event offered; ns/event is per event that reached
// history (what matters for throughput; with drops it is larger than ns/op);
// drop-% is the share of events AddEvent refused; allocs/op is per AddEvent
// (everything the run allocates, divided by b.N).
func BenchmarkIngest(b *testing.B) {
	const ringCapacity = 100000 // the reference default
	for _, producers := range []int{1, 2, 8} {
		for _, impl := range ingestImpls {
			b.Run(fmt.Sprintf("producers=%d/impl=%s", producers, impl.name), func(b *testing.B) {
				s := impl.make(ringCapacity)
				defer s.stop()
				recs := records(producers, 1024)
				b.ReportAllocs()
				b.ResetTimer()
				runProducers(b.N, producers, recs, s.AddEvent)
				dropped := s.dropped()
				accepted := uint64(b.N) - dropped
				waitFor(b, "history", func() bool { return s.inHistory() >= accepted })
				b.StopTimer()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(accepted, 1)), "ns/event")
				b.ReportMetric(100*float64(dropped)/float64(b.N), "drop-%")
			})
		}
	}
}
