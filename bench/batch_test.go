package bench

import (
	"fmt"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// batchAdder is an event system with a batch AddEvents: one claim (lock-free)
// or one lock (mutex) for the whole slice.
type batchAdder interface {
	ingester
	AddEvents([]*si.EventRecord)
}

// BenchmarkBatch adds b.N events in total from 8 producers, either one
// AddEvent per event (mode=single) or in AddEvents calls of batch=64
// (mode=batch64), into the lock-free system and into the mutex system, which
// takes its lock once per batch. ns/event is per event that reached history,
// the clock stopping when all are there. An implementation without AddEvents
// is skipped.
func BenchmarkBatch(b *testing.B) {
	const ringCapacity, producers, batch = 100000, 8, 64
	impls := []struct {
		name string
		make func(uint64) ingester
	}{
		{"lockfree", func(c uint64) ingester { return newLockfree(c) }},
		{"mutex", func(c uint64) ingester { return newMutexSystem(c) }},
	}
	for _, mode := range []string{"single", fmt.Sprintf("batch%d", batch)} {
		for _, impl := range impls {
			b.Run(fmt.Sprintf("producers=%d/mode=%s/impl=%s", producers, mode, impl.name), func(b *testing.B) {
				s := impl.make(ringCapacity)
				defer s.stop()
				recs := records(producers, 1024)
				b.ReportAllocs()
				if mode == "single" {
					b.ResetTimer()
					runProducers(b.N, producers, recs, s.AddEvent)
				} else {
					ba, ok := s.(batchAdder)
					if !ok {
						b.Skipf("impl=%s has no AddEvents", impl.name)
					}
					b.ResetTimer()
					runBatchProducers(b.N, producers, batch, recs, ba.AddEvents)
				}
				accepted := uint64(b.N) - s.dropped()
				waitFor(b, "history", func() bool { return s.inHistory() >= accepted })
				b.StopTimer()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(accepted, 1)), "ns/event")
			})
		}
	}
}

// runBatchProducers is runProducers with AddEvents: producers goroutines
// that together add n events in slices of (at most) batch records taken from
// their records in turn.
func runBatchProducers(n, producers, batch int, recs [][]*si.EventRecord, addBatch func([]*si.EventRecord)) {
	runSplit(n, producers, func(p, count int) {
		mine := recs[p] // len(mine) is a multiple of batch
		for i := 0; i < count; i += batch {
			from := i % len(mine)
			addBatch(mine[from : from+min(batch, count-i)])
		}
	})
}
