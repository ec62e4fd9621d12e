package ring

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// history is what the benchmarks drive: the lock-free Buffer or the mutex ring.
type history interface {
	Add(*si.EventRecord) uint64
	GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64)
	GetLowestID() uint64
}

// mutexRing is the comparison: an RW-locked ring with the same window rules.
type mutexRing struct {
	mu     sync.RWMutex
	events []*si.EventRecord
	next   uint64
}

func newMutexRing(capacity uint64) *mutexRing {
	return &mutexRing{events: make([]*si.EventRecord, capacity)}
}

func (r *mutexRing) Add(ev *si.EventRecord) uint64 {
	r.mu.Lock()
	id := r.next
	r.events[id%uint64(len(r.events))] = ev
	r.next++
	r.mu.Unlock()
	return id
}

func (r *mutexRing) lowest() uint64 {
	if c := uint64(len(r.events)); r.next > c {
		return r.next - c
	}
	return 0
}

func (r *mutexRing) GetLowestID() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.lowest()
}

func (r *mutexRing) GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	low, high := r.lowest(), uint64(0)
	if r.next > 0 {
		high = r.next - 1
	}
	if id < low || id >= r.next {
		return nil, low, high
	}
	n := min(count, r.next-id)
	out := make([]*si.EventRecord, n)
	for i := range out {
		out[i] = r.events[(id+uint64(i))%uint64(len(r.events))]
	}
	return out, low, high
}

var impls = []struct {
	name string
	make func(capacity uint64) history
}{
	{"lockfree", func(c uint64) history { return New(c) }},
	{"mutex", func(c uint64) history { return newMutexRing(c) }},
}

// addParallel runs n Adds split over p goroutines.
func addParallel(h history, n, p int) {
	ev := &si.EventRecord{}
	var wg sync.WaitGroup
	for g := 0; g < p; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += p {
				h.Add(ev)
			}
		}()
	}
	wg.Wait()
}

// BenchmarkAdd: ns per Add with 1, 2 and 8 writers, lock-free vs mutex.
func BenchmarkAdd(b *testing.B) {
	for _, p := range []int{1, 2, 8} {
		for _, impl := range impls {
			b.Run(fmt.Sprintf("producers=%d/impl=%s", p, impl.name), func(b *testing.B) {
				h := impl.make(100000)
				b.ReportAllocs()
				b.ResetTimer()
				addParallel(h, b.N, p)
			})
		}
	}
}

// BenchmarkLayout: the slot layouts side by side (ns per Add, bytes per slot).
func BenchmarkLayout(b *testing.B) {
	layouts := []struct {
		name string
		l    Layout
	}{{"padded", Padded}, {"scattered", Scattered}}
	for _, p := range []int{1, 2, 8} {
		for _, l := range layouts {
			b.Run(fmt.Sprintf("producers=%d/impl=%s", p, l.name), func(b *testing.B) {
				buf := NewWithLayout(100000, l.l)
				st := buf.view.Load().st
				b.ResetTimer()
				addParallel(buf, b.N, p)
				b.ReportMetric(float64(len(st.slots))*16/float64(buf.Capacity()), "B/event-held")
			})
		}
	}
}

// BenchmarkReadWhileWriting: a 1000-event GetEventsFromID while one writer
// adds flat out. ns/op is the read; writer-slowdown is the writer's rate alone
// divided by its rate while the reads run.
func BenchmarkReadWhileWriting(b *testing.B) {
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			h := impl.make(100000)
			addParallel(h, 200000, 1) // full ring
			var adds atomic.Uint64
			var stop atomic.Bool
			done := make(chan struct{})
			go func() {
				defer close(done)
				ev := &si.EventRecord{}
				for !stop.Load() {
					for i := 0; i < 64; i++ {
						h.Add(ev)
					}
					adds.Add(64)
				}
			}()
			// The writer alone, for a fixed short time.
			runtime.Gosched()
			a0, t0 := adds.Load(), time.Now()
			time.Sleep(20 * time.Millisecond)
			aloneRate := float64(adds.Load()-a0) / time.Since(t0).Seconds()

			b.ReportAllocs()
			b.ResetTimer()
			a1, t1 := adds.Load(), time.Now()
			for i := 0; i < b.N; i++ {
				// Well inside the window; should the writer still overtake
				// the start between the two calls (a descheduled reader),
				// the read is repeated, as a client would.
				for {
					low := h.GetLowestID()
					if evs, _, _ := h.GetEventsFromID(low+50000, 1000); len(evs) == 1000 {
						break
					}
				}
			}
			withRate := float64(adds.Load()-a1) / time.Since(t1).Seconds()
			b.StopTimer()
			stop.Store(true)
			<-done
			if withRate > 0 {
				b.ReportMetric(aloneRate/withRate, "writer-slowdown")
			}
		})
	}
}

// BenchmarkAddBatch: ns per event for Add one by one against AddBatch of 64,
// with 1, 2 and 8 producers.
func BenchmarkAddBatch(b *testing.B) {
	for _, p := range []int{1, 2, 8} {
		for _, mode := range []string{"single", "batch64"} {
			b.Run(fmt.Sprintf("producers=%d/mode=%s", p, mode), func(b *testing.B) {
				buf := New(100000)
				batch := make([]*si.EventRecord, 64)
				for i := range batch {
					batch[i] = &si.EventRecord{}
				}
				per := max(b.N/p, 1)
				b.ReportAllocs()
				b.ResetTimer()
				var wg sync.WaitGroup
				for w := 0; w < p; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if mode == "single" {
							for i := 0; i < per; i++ {
								buf.Add(batch[i&63])
							}
							return
						}
						for i := 0; i < per; i += len(batch) {
							buf.AddBatch(batch[:min(len(batch), per-i)])
						}
					}()
				}
				wg.Wait()
			})
		}
	}
}
