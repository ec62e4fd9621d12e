package bench

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lfevents/lfevents/system"
	"golang.org/x/sys/cpu"
)

// eventSystem is what the stream and memory scenarios drive: a whole event
// system, started, with a way to tell how far history has got.
type eventSystem interface {
	ingester
	system.EventSystem
}

var systemImpls = []struct {
	name string
	make func(ringCapacity uint64) eventSystem
}{
	{"lockfree", func(c uint64) eventSystem { return newLockfree(c) }},
	{"baseline", func(c uint64) eventSystem { return newBaseline(baselineConfig(c)) }},
}

// fanoutBurst is how many events the fan-out producer adds before it waits
// for every consumer to catch up: well under a stream queue (1000 in the
// baseline, 2048 in lfevents), so a consumer that keeps up is never cut off.
const fanoutBurst = 256

// consumerState is one stream consumer's progress, on its own cache line.
type consumerState struct {
	received atomic.Uint64
	closed   atomic.Bool
	_        cpu.CacheLinePad
}

// BenchmarkFanout streams b.N events to K consumers. One producer adds
// events in bursts of fanoutBurst and then waits until every consumer has
// received them (or was cut off), so the rate is the delivery rate the design
// sustains with K consumers on this machine. delivered/s counts events
// received over all consumers per second; producer-ns/event is the time
// spent inside AddEvent per event; cut-% is the share of consumers cut off.
func BenchmarkFanout(b *testing.B) {
	const ringCapacity = 100000
	for _, consumers := range []int{1, 16, 64} {
		for _, impl := range systemImpls {
			b.Run(fmtName("consumers", consumers, impl.name), func(b *testing.B) {
				s := impl.make(ringCapacity)
				defer s.stop()
				states := make([]consumerState, consumers)
				exited := make(chan struct{}, consumers)
				for i := range states {
					h := s.CreateEventStream("bench", 0)
					go func() {
						var n uint64
						for range h.Events {
							n++
							states[i].received.Store(n)
						}
						states[i].closed.Store(true)
						exited <- struct{}{}
					}()
				}
				recs := records(1, 1024)[0]
				b.ReportAllocs()
				b.ResetTimer()
				var inAdd time.Duration
				for sent := 0; sent < b.N; {
					n := min(fanoutBurst, b.N-sent)
					t := time.Now()
					for i := 0; i < n; i++ {
						s.AddEvent(recs[(sent+i)&1023])
					}
					inAdd += time.Since(t)
					sent += n
					target := uint64(sent) - s.dropped()
					waitFor(b, "consumers", func() bool {
						for i := range states {
							if !states[i].closed.Load() && states[i].received.Load() < target {
								return false
							}
						}
						return true
					})
				}
				b.StopTimer()
				var delivered uint64
				var cut int
				for i := range states {
					delivered += states[i].received.Load()
					if states[i].closed.Load() {
						cut++
					}
				}
				b.ReportMetric(float64(delivered)/b.Elapsed().Seconds(), "delivered/s")
				b.ReportMetric(float64(inAdd.Nanoseconds())/float64(b.N), "producer-ns/event")
				b.ReportMetric(100*float64(cut)/float64(consumers), "cut-%")
				b.ReportMetric(100*float64(s.dropped())/float64(b.N), "drop-%")
				s.stop()
				for range states {
					<-exited
				}
				runtime.Gosched()
			})
		}
	}
}
