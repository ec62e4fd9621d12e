package bench

import "testing"

// ingestProducers are the producer counts of the ingest scenarios: one, as
// many as this machine's two cores, and more goroutines than cores.
var ingestProducers = []int{1, 2, 8}

// BenchmarkIngest is the end-to-end ingest scenario: b.N events in total,
// split evenly over the producers, all added flat out; the clock stops when
// every accepted event is in history. `make bench` runs it with
// -benchtime=1000000x, so one run is one million events.
//
// Metrics: ns/op is per event offered; ns/event is per event that reached
// history (what matters for throughput; with drops it is larger than ns/op);
// drop-% is the share of events AddEvent refused; allocs/op is per AddEvent
// (everything the run allocates, divided by b.N). p50-ns, p99-ns and p999-ns
// are percentiles of the time one AddEvent call takes, from about one call in
// 16 picked at random and timed alone (the clock's own cost subtracted). The
// sampling costs every impl the same few ns per event.
func BenchmarkIngest(b *testing.B) { benchIngest(b, ingestImpls, false, nil) }

// BenchmarkIngestPaced is the ingest scenario as a scheduler produces events:
// each producer does about 1 µs of work of its own (arithmetic, no memory)
// before each AddEvent, and every AddEvent is timed. Flat out, a mutex runs
// at one core's speed and parks the losers; paced, the question is what an
// AddEvent costs the caller and how long the worst ones wait.
//
// Metrics: ns/add is the mean time of an AddEvent call; p50-ns, p99-ns and
// p999-ns its percentiles (the clock's own cost subtracted from each); ns/op
// is wall time per event including the work; drop-% as in BenchmarkIngest.
func BenchmarkIngestPaced(b *testing.B) { benchIngest(b, pacedImpls, true, nil) }

// benchIngest runs the ingest scenario flat out (BenchmarkIngest: every
// impl, about one AddEvent in 16 timed) or paced (BenchmarkIngestPaced: the
// event systems, every AddEvent timed) at each producer count.
func benchIngest(b *testing.B, impls []ingestImpl, paced bool, report func(*testing.B, ingester)) {
	const ringCapacity = 100000 // the reference default
	sampleMask := uint64(15)
	if paced {
		sampleMask = 0
	}
	for _, producers := range ingestProducers {
		for _, impl := range impls {
			b.Run(fmtName("producers", producers, impl.name), func(b *testing.B) {
				s := impl.make(ringCapacity)
				defer s.stop()
				recs := records(producers, 1024)
				work := 0
				if paced {
					work = spinPerMicro()
				}
				clockCost() // calibrated before the timer runs
				b.ReportAllocs()
				b.ResetTimer()
				lat := runProducersTimed(b.N, producers, recs, s.AddEvent, sampleMask, work)
				dropped := s.dropped()
				accepted := uint64(b.N) - dropped
				waitFor(b, "history", func() bool { return s.inHistory() >= accepted })
				b.StopTimer()
				if paced {
					b.ReportMetric(lat.mean(), "ns/add")
				} else {
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(accepted, 1)), "ns/event")
				}
				b.ReportMetric(100*float64(dropped)/float64(b.N), "drop-%")
				reportLatency(b, lat)
				if report != nil {
					report(b, s)
				}
			})
		}
	}
}
