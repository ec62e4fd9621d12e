package store

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/internal/model"
)

var storeImpls = []struct {
	name string
	new  func(size uint64) benchTarget
}{
	{"lockfree", func(size uint64) benchTarget { return lockfreeTarget{New(size)} }},
	{"sequenced", func(size uint64) benchTarget {
		t := &sequencedTarget{}
		t.s = NewSequenced(size, t.seq.Load)
		return t
	}},
	{"mutex", func(size uint64) benchTarget { return mutexTarget{model.NewLockedStore(size)} }},
}

// benchTarget is what the benchmarks drive.
type benchTarget interface {
	Store(*si.EventRecord)
	CollectEvents() []*si.EventRecord
	// fill puts recs into the current (empty) batch as completed Stores would,
	// without their cost, so that BenchmarkCollect times the collect alone.
	fill(recs []*si.EventRecord)
}

type lockfreeTarget struct{ *EventStore }

func (t lockfreeTarget) fill(recs []*si.EventRecord) {
	b := t.cur.Load()
	copy(b.slots, recs)
	t.ownNext.Add(uint64(len(recs)))
}

// sequencedTarget numbers events like the event system does: one atomic
// add on the external sequence (the ring's claim), then StoreWithID.
type sequencedTarget struct {
	seq atomic.Uint64
	s   *EventStore
}

func (t *sequencedTarget) Store(ev *si.EventRecord)         { t.s.StoreWithID(t.seq.Add(1)-1, ev) }
func (t *sequencedTarget) CollectEvents() []*si.EventRecord { return t.s.CollectEvents() }
func (t *sequencedTarget) fill(recs []*si.EventRecord) {
	copy(t.s.cur.Load().slots, recs)
	t.seq.Add(uint64(len(recs)))
}

// mutexTarget is the reference design's store: one fixed slice behind one
// Mutex (as bench/baseline.Store).
type mutexTarget struct{ *model.LockedStore }

func (t mutexTarget) fill(recs []*si.EventRecord) {
	for _, ev := range recs {
		t.Store(ev)
	}
}

// BenchmarkStore: ns per Store with 1, 2 and 8 producers storing flat out,
// while producer 0 collects every 512 of its own Stores (as a publisher
// would, so batches stay within capacity and collects contend with writes).
func BenchmarkStore(b *testing.B) {
	ev := &si.EventRecord{ObjectID: "bench"}
	for _, producers := range []int{1, 2, 8} {
		for _, impl := range storeImpls {
			b.Run(fmt.Sprintf("producers=%d/impl=%s", producers, impl.name), func(b *testing.B) {
				s := impl.new(1 << 16)
				b.ReportAllocs()
				var start, wg sync.WaitGroup
				start.Add(1)
				for p := range producers {
					n := b.N / producers
					if p == 0 {
						n += b.N % producers
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						start.Wait()
						for i := range n {
							s.Store(ev)
							if p == 0 && i%512 == 511 {
								s.CollectEvents()
							}
						}
					}()
				}
				b.ResetTimer()
				cpu := processCPU()
				start.Done()
				wg.Wait()
				b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// BenchmarkCollect: ns per CollectEvents of a batch of batch events (store
// size = batch). The lock-free store hands its slot array over (a scan, no
// copy); the mutex store copies. B/event is the memory allocated per
// collected event, arenas included.
func BenchmarkCollect(b *testing.B) {
	for _, batch := range []int{10, 1000, 100000} {
		recs := records("r", batch)
		for _, impl := range storeImpls {
			if impl.name == "sequenced" {
				continue // same collect as lockfree
			}
			b.Run(fmt.Sprintf("batch=%d/impl=%s", batch, impl.name), func(b *testing.B) {
				b.ReportAllocs()
				benchCollect(b, func() benchTarget { return impl.new(uint64(batch)) }, recs)
			})
		}
	}
}

// BenchmarkArena decides how batches get fresh slots: factor=1 is a fresh
// allocation per collect (arena = size), larger factors carve several batches
// from one arena. Batches smaller than the size are the common case.
func BenchmarkArena(b *testing.B) {
	for _, tc := range []struct{ size, batch int }{{1000, 10}, {1000, 1000}, {10000, 100}} {
		recs := records("r", tc.batch)
		for _, factor := range []uint64{1, 2, 4} {
			b.Run(fmt.Sprintf("size=%d/batch=%d/factor=%d", tc.size, tc.batch, factor), func(b *testing.B) {
				b.ReportAllocs()
				benchCollect(b, func() benchTarget {
					s := New(uint64(tc.size))
					s.arenaFactor = factor
					return lockfreeTarget{s}
				}, recs)
			})
		}
	}
}

// benchCollect times CollectEvents of full batches of recs. It fills a
// group of stores (untimed: testing's StopTimer stops the world to read
// memory statistics, which would swamp a sub-microsecond collect), then
// times collecting them all, and reports that time as ns/op (and the
// process's CPU time as cpu-ns/op). B/event is the
// memory allocated per collected event (the fills allocate nothing once the
// stores are warm).
func benchCollect(b *testing.B, newTarget func() benchTarget, recs []*si.EventRecord) {
	group := make([]benchTarget, min(64, max(1, (1<<16)/len(recs))))
	for i := range group {
		group[i] = newTarget()
		group[i].fill(recs) // warm up: first arena, the mutex store's slice
		group[i].CollectEvents()
	}
	var timed, cpu time.Duration
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for done := 0; done < b.N; {
		k := min(len(group), b.N-done)
		for _, s := range group[:k] {
			s.fill(recs)
		}
		start, startCPU := time.Now(), processCPU()
		for _, s := range group[:k] {
			if got := s.CollectEvents(); len(got) != len(recs) {
				b.Fatalf("collected %d, want %d", len(got), len(recs))
			}
		}
		timed += time.Since(start)
		cpu += processCPU() - startCPU
		done += k
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(timed.Nanoseconds())/float64(b.N), "ns/op")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N*len(recs)), "B/event")
}

// BenchmarkScan isolates the wait of a collect (step 3): the read-only scan
// of a handed-out batch whose writers are all done. ns/slot is its cost per
// event, to compare with the whole collect in BenchmarkCollect.
func BenchmarkScan(b *testing.B) {
	for _, batch := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("batch=%d/impl=lockfree", batch), func(b *testing.B) {
			s := New(0)
			slots := records("r", batch)
			for b.Loop() {
				if s.awaitWriters(slots) != batch {
					b.Fatal("lost records")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/slot")
		})
	}
}
