package bench

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/bench/baseline"
	"github.com/lfevents/lfevents/store"
)

// historyReader is what the history-read scenario drives.
type historyReader interface {
	ingester
	GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64)
}

var historyImpls = []struct {
	name string
	make func(ringCapacity uint64) historyReader
}{
	{"lockfree", func(c uint64) historyReader { return newLockfree(c) }},
	{"mutex", func(c uint64) historyReader { return newMutexSystem(c) }},
	{"rwmutex", func(c uint64) historyReader { return newRWMutexSystem(c) }},
	{"baseline", func(c uint64) historyReader { return newBaseline(baselineConfig(c)) }},
	{"control", func(c uint64) historyReader { return newPrivateReads(c) }},
}

// privateReads is the control of the history-read scenario: the lock-free
// system takes the writes, but a "read" copies 1000 record pointers out of a
// private slice into a new one, as GetEventsFromID does, without touching
// anything the writer touches. Its writer-slowdown is what a reader costs the
// writer on this machine by merely running (a second busy core, allocation,
// GC); the other implementations' slowdown beyond it comes from sharing.
type privateReads struct {
	*lockfreeSystem
	private []*si.EventRecord
}

func newPrivateReads(ringCapacity uint64) *privateReads {
	return &privateReads{newLockfree(ringCapacity), records(1, 4096)[0]}
}

func (p *privateReads) GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	if count == 0 {
		return nil, 0, uint64(len(p.private)) - 1 // the benchmark asks for the range first
	}
	n := min(count, uint64(len(p.private)))
	out := make([]*si.EventRecord, n)
	copy(out, p.private[id%uint64(len(p.private)-int(n)):])
	return out, 0, uint64(len(p.private)) - 1
}

// BenchmarkHistoryRead reads 1000 events of a full history of 100000 with
// GetEventsFromID, b.N times, alone (writer=none) or while one producer adds
// events flat out (writer=flatout). window=newest reads the newest 1000
// (what a client polling for recent events does: right behind the writer);
// window=older reads 1000 starting 50000 below the newest (away from the
// writer's cache lines).
//
// impl=mutex reads under the mutex system's one lock; impl=rwmutex is the
// same system behind an RWMutex, reading under the read lock: its ns/op is
// the yardstick, a make and a copy of 1000 pointers. impl=control reads
// nothing shared (see privateReads).
//
// ns/op is the cost of one read; records/read shows the reads were full (a
// read returns fewer when the writer overwrote its start meanwhile);
// writer-slowdown (writer=flatout only) is the rate at which events reached
// history with no reader (measured for 30ms before the timed part) divided by
// the rate during the reads: 1.0 means the reader does not slow the writer at
// all. impl=control's slowdown is what a second busy core costs the writer on
// the machine at hand, the floor for the others.
func BenchmarkHistoryRead(b *testing.B) {
	const ringCapacity, readCount = 100000, 1000
	cases := []struct {
		window string
		below  uint64 // the read starts this far below the newest ID
		writer bool
	}{
		{"newest", readCount - 1, false},
		{"newest", readCount - 1, true},
		{"older", ringCapacity / 2, true},
	}
	for _, c := range cases {
		writer := map[bool]string{false: "none", true: "flatout"}[c.writer]
		for _, impl := range historyImpls {
			b.Run("window="+c.window+"/writer="+writer+"/impl="+impl.name, func(b *testing.B) {
				benchHistoryRead(b, impl.make(ringCapacity), ringCapacity, readCount, c.below, c.writer)
			})
		}
	}
}

func benchHistoryRead(b *testing.B, s historyReader, ringCapacity, readCount, below uint64, writer bool) {
	defer s.stop()
	recs := records(1, 1024)[0]
	fillHistory(b, s, ringCapacity, recs[0])

	var stop atomic.Bool
	var wg sync.WaitGroup
	if writer {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				s.AddEvent(recs[i&1023])
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()

	rate := func(d time.Duration, from uint64) float64 {
		return float64(s.inHistory()-from) / d.Seconds()
	}
	var alone float64
	if writer {
		h0, t0 := s.inHistory(), time.Now()
		time.Sleep(30 * time.Millisecond)
		alone = rate(time.Since(t0), h0)
	}

	_, _, hi := s.GetEventsFromID(0, 0)
	var got int
	b.ReportAllocs()
	h1, t1 := s.inHistory(), time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		evs, _, high := s.GetEventsFromID(hi-below, readCount)
		got += len(evs)
		hi = high
	}
	b.StopTimer()
	b.ReportMetric(float64(got)/float64(b.N), "records/read")
	if withReader := rate(time.Since(t1), h1); writer && withReader > 0 {
		b.ReportMetric(alone/withReader, "writer-slowdown")
	}
}

// fillHistory adds ev to s until n events have reached its history, then
// waits until every event it accepted has: the baseline's handler lags its
// AddEvent by up to a channel of 100000 events, and a backlog left over
// would go on writing to history during the timed reads (with writer=none
// too).
func fillHistory(tb testing.TB, s ingester, n uint64, ev *si.EventRecord) {
	var offered uint64
	for s.inHistory() < n {
		s.AddEvent(ev)
		offered++
	}
	accepted := offered - s.dropped()
	waitFor(tb, "history", func() bool { return s.inHistory() >= accepted })
}

// batchStore is the store API both designs share.
type batchStore interface {
	Store(*si.EventRecord)
	CollectEvents() []*si.EventRecord
	CountStoredEvents() uint64
	SetStoreSize(uint64)
}

var storeImpls = []struct {
	name string
	make func(size uint64) batchStore
}{
	{"lockfree", func(n uint64) batchStore { return store.New(n) }},
	{"baseline", func(n uint64) batchStore { return baseline.NewStore(n) }},
}

// BenchmarkStore calls Store b.N times in total from the given number of
// goroutines. Every 1024 of its own Stores, a goroutine collects if the batch
// is over half full, so collects race with Stores as they do under a
// publisher. The store holds 65536 events, so Stores succeed: notstored-%
// says how many did not.
func BenchmarkStore(b *testing.B) {
	const size, collectEvery = 1 << 16, 1024
	for _, goroutines := range []int{1, 2, 8} {
		for _, impl := range storeImpls {
			b.Run(fmtName("goroutines", goroutines, impl.name), func(b *testing.B) {
				s := impl.make(size)
				recs := records(goroutines, 1024)
				var collected atomic.Uint64
				b.ReportAllocs()
				b.ResetTimer()
				runSplit(b.N, goroutines, func(g, count int) {
					mine := recs[g]
					for i := 0; i < count; i++ {
						s.Store(mine[i&1023])
						if i%collectEvery == collectEvery-1 && s.CountStoredEvents() > size/2 {
							collected.Add(uint64(len(s.CollectEvents())))
						}
					}
				})
				b.StopTimer()
				stored := collected.Load() + uint64(len(s.CollectEvents()))
				b.ReportMetric(100*float64(uint64(b.N)-stored)/float64(b.N), "notstored-%")
			})
		}
	}
}

// BenchmarkCollect measures CollectEvents on a full batch of the given size;
// one op is filling the batch (batch Stores) and collecting it. ns/collect
// is the collect alone: a design whose collect copies grows with the batch.
func BenchmarkCollect(b *testing.B) {
	for _, batch := range []int{100, 10000} {
		for _, impl := range storeImpls {
			b.Run(fmtName("batch", batch, impl.name), func(b *testing.B) {
				s := impl.make(uint64(batch))
				ev := records(1, 1)[0][0]
				var inCollect time.Duration
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					for k := 0; k < batch; k++ {
						s.Store(ev)
					}
					t := time.Now()
					if n := len(s.CollectEvents()); n != batch {
						b.Fatalf("collected %d of %d", n, batch)
					}
					inCollect += time.Since(t)
				}
				b.ReportMetric(float64(inCollect.Nanoseconds())/float64(b.N), "ns/collect")
			})
		}
	}
}
