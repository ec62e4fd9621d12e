package bench

import (
	"runtime"
	"testing"

	"github.com/lfevents/lfevents/bench/baseline"
	"github.com/lfevents/lfevents/ring"
)

// heapAndStacks returns the bytes in live heap objects and goroutine stacks
// after a full collection.
func heapAndStacks() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// measure reports the bytes per unit that build retains: the heap and stack
// growth while the value build returns is alive, divided by units.
func measure(b *testing.B, units int, unit string, build func() any) {
	b.Helper()
	var total float64
	for i := 0; i < b.N; i++ {
		before := heapAndStacks()
		v := build()
		after := heapAndStacks()
		runtime.KeepAlive(v)
		if after > before {
			total += float64(after - before)
		}
	}
	b.ReportMetric(total/float64(b.N)/float64(units), unit)
}

// BenchmarkMemory reports what each design keeps per history slot (a full
// ring of 100000), per stored event (a full store of 100000) and per idle
// stream (100 streams on a running system, goroutine stacks included).
func BenchmarkMemory(b *testing.B) {
	const n = 100000
	ev := records(1, 1)[0][0]
	b.Run("what=history-slot/impl=lockfree", func(b *testing.B) {
		measure(b, n, "B/slot", func() any {
			r := ring.New(n)
			for i := 0; i < n; i++ {
				r.Add(ev)
			}
			return r
		})
	})
	b.Run("what=history-slot/impl=baseline", func(b *testing.B) {
		measure(b, n, "B/slot", func() any {
			r := baseline.NewRing(n)
			for i := 0; i < n; i++ {
				r.Add(ev)
			}
			return r
		})
	})
	for _, impl := range storeImpls {
		b.Run("what=stored-event/impl="+impl.name, func(b *testing.B) {
			measure(b, n, "B/event", func() any {
				s := impl.make(n)
				for i := 0; i < n; i++ {
					s.Store(ev)
				}
				return s
			})
		})
	}
	const streams = 100
	for _, impl := range systemImpls {
		b.Run("what=stream/impl="+impl.name, func(b *testing.B) {
			s := impl.make(1000)
			defer s.stop()
			measure(b, streams, "B/stream", func() any {
				var hs []any
				for i := 0; i < streams; i++ {
					hs = append(hs, s.CreateEventStream("mem", 0))
				}
				return hs
			})
		})
	}
}
