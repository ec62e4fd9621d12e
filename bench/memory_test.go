package bench

import (
	"runtime"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

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
	// fullCase fills a ring or store with n events: what it retains per
	// event. make returns it and a function that adds one event to it.
	type fullCase struct {
		what, impl, unit string
		make             func() (any, func(*si.EventRecord))
	}
	full := []fullCase{
		{"history-slot", "lockfree", "B/slot", func() (any, func(*si.EventRecord)) {
			r := ring.New(n)
			return r, func(ev *si.EventRecord) { r.Add(ev) }
		}},
		{"history-slot", "baseline", "B/slot", func() (any, func(*si.EventRecord)) {
			r := baseline.NewRing(n)
			return r, func(ev *si.EventRecord) { r.Add(ev) }
		}},
	}
	for _, impl := range storeImpls {
		full = append(full, fullCase{"stored-event", impl.name, "B/event", func() (any, func(*si.EventRecord)) {
			s := impl.make(n)
			return s, s.Store
		}})
	}
	for _, c := range full {
		b.Run("what="+c.what+"/impl="+c.impl, func(b *testing.B) {
			measure(b, n, c.unit, func() any {
				v, add := c.make()
				for i := 0; i < n; i++ {
					add(ev)
				}
				return v
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
