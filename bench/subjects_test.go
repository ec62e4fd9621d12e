package bench

import (
	"fmt"
	"io"
	"log/slog"
	"math/bits"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/bench/baseline"
	"github.com/lfevents/lfevents/internal/atomicx"
	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/ring"
	"github.com/lfevents/lfevents/system"
	"golang.org/x/sys/cpu"
)

// ingester is what the ingest scenario drives: an implementation, or a floor.
type ingester interface {
	// AddEvent offers one event, from any goroutine.
	AddEvent(*si.EventRecord)
	// inHistory returns how many events have reached history (are readable
	// there, or for floor-add: have been counted).
	inHistory() uint64
	// dropped returns how many events AddEvent refused so far.
	dropped() uint64
	// stop ends background work.
	stop()
}

// ingestImpl is one impl= value of an ingest scenario: its name and how to
// make a fresh subject with a history of ringCapacity events.
type ingestImpl struct {
	name string
	make func(ringCapacity uint64) ingester
}

// ingestImpls are the ingest scenario's impl= values, in table order.
var ingestImpls = []ingestImpl{
	{"lockfree", func(c uint64) ingester { return newLockfree(c) }},
	{"mutex", func(c uint64) ingester { return newMutexSystem(c) }},
	{"baseline", func(c uint64) ingester { return newBaseline(baselineConfig(c)) }},
	{"lockfree-ring", func(c uint64) ingester { return newRingOnly(c) }},
	{"floor-add", func(uint64) ingester { return &floorAdd{} }},
	{"floor-claimpublish", func(c uint64) ingester { return newFloorClaimPublish(c) }},
}

// pacedImpls are the paced ingest scenario's impl= values: the event systems
// (floors do no work worth pacing).
var pacedImpls = ingestImpls[:3]

// --- lock-free: the event system ---

// lockfreeSystem is system.EventSystemImpl, started without a publisher (the
// store fills up and then counts, as in the baseline).
type lockfreeSystem struct{ *system.EventSystemImpl }

func newLockfree(ringCapacity uint64) *lockfreeSystem {
	cfg := system.DefaultConfig()
	cfg.RingBufferCapacity = ringCapacity
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s := system.New(cfg)
	s.StartServiceWithPublisher(false)
	return &lockfreeSystem{s}
}

func (s *lockfreeSystem) inHistory() uint64 { return s.Metrics().Processed }
func (s *lockfreeSystem) dropped() uint64   { return s.Metrics().NotChanneled }
func (s *lockfreeSystem) stop()             { s.Stop() }

// ringOnly is the lock-free history ring alone (ring.Buffer.Add): the part
// of the lock-free AddEvent that orders events, without the store and the
// stream signal. Between lockfree and floor-claimpublish it shows where the
// time goes.
type ringOnly struct{ r *ring.Buffer }

func newRingOnly(c uint64) *ringOnly { return &ringOnly{r: ring.New(c)} }

func (r *ringOnly) AddEvent(ev *si.EventRecord) { r.r.Add(ev) }
func (r *ringOnly) inHistory() uint64           { return r.r.ReadEnd() }
func (r *ringOnly) dropped() uint64             { return 0 }
func (r *ringOnly) stop()                       {}

// --- baseline ---

func baselineConfig(ringCapacity uint64) baseline.Config {
	cfg := baseline.DefaultConfig()
	cfg.RingBufferCapacity = ringCapacity
	cfg.PushInterval = time.Hour // the store fills and then counts; no plugin
	return cfg
}

type baselineSubject struct{ *baseline.System }

func newBaseline(cfg baseline.Config) *baselineSubject {
	s := baseline.New(cfg)
	s.StartServiceWithPublisher(false)
	return &baselineSubject{s}
}

func (s *baselineSubject) inHistory() uint64 { return s.Processed() }
func (s *baselineSubject) dropped() uint64   { return s.Metrics().NotChanneled }
func (s *baselineSubject) stop()             { s.Stop() }

// --- floors ---

// floorAdd is the least any shared, ordered history costs: one contended
// atomic add per event, and nothing stored.
type floorAdd struct {
	_ cpu.CacheLinePad
	n atomic.Uint64
	_ cpu.CacheLinePad
}

func (f *floorAdd) AddEvent(*si.EventRecord) { f.n.Add(1) }
func (f *floorAdd) inHistory() uint64        { return f.n.Load() }
func (f *floorAdd) dropped() uint64          { return 0 }
func (f *floorAdd) stop()                    {}

// floorClaimPublish is the least an ordered multi-producer ring does in Go:
// claim an ID with one contended add, store the record pointer in its slot
// (an atomic pointer store: a lapping writer may store while a reader loads),
// publish it with a release store of the slot's sequence, as the ring does
// (internal/atomicx: a plain store on amd64, where sync/atomic's Store is a
// locked instruction). It never waits for a
// lapped writer and keeps no window; it is a cost floor, not a ring. Its
// slots are laid out as the ring's default (ring.Scattered): 16 bytes each,
// packed, consecutive IDs on different cache lines, so that concurrent
// producers, who hold neighbouring IDs, do not write the same line more
// often than they do in the ring. (With IDs packed in order, two producers
// would also fight over the slots' lines, a cost the ring does not pay, and
// the floor would come out above the ring.)
type floorClaimPublish struct {
	_     cpu.CacheLinePad
	next  atomic.Uint64
	_     cpu.CacheLinePad
	slots []floorSlot
	mask  uint64
	// index mapping, as ring's Scattered layout: slot of ID i is
	// (i&mask)>>low | (i&lowMask)<<up.
	low, up uint
	lowMask uint64
}

type floorSlot struct {
	seq atomic.Uint64
	rec atomic.Pointer[si.EventRecord]
}

func newFloorClaimPublish(capacity uint64) *floorClaimPublish {
	n := uint64(1)
	for n < capacity {
		n <<= 1
	}
	f := &floorClaimPublish{slots: make([]floorSlot, n), mask: n - 1}
	perLine := uint(bits.TrailingZeros64(uint64(unsafe.Sizeof(cpu.CacheLinePad{}) / unsafe.Sizeof(floorSlot{}))))
	if k := uint(bits.TrailingZeros64(n)); k > perLine {
		f.low, f.lowMask, f.up = perLine, 1<<perLine-1, k-perLine
	}
	return f
}

// slotOf returns the slot of id.
func (f *floorClaimPublish) slotOf(id uint64) *floorSlot {
	i := id & f.mask
	return &f.slots[i>>(f.low&63)|(i&f.lowMask)<<(f.up&63)]
}

func (f *floorClaimPublish) AddEvent(ev *si.EventRecord) {
	id := f.next.Add(1) - 1
	s := f.slotOf(id)
	s.rec.Store(ev)
	atomicx.StoreRelease(&s.seq, id+1)
}
func (f *floorClaimPublish) inHistory() uint64 { return f.next.Load() }
func (f *floorClaimPublish) dropped() uint64   { return 0 }
func (f *floorClaimPublish) stop()             {}

// --- helpers ---

// records returns n distinct records per producer. Producers cycle through
// theirs, so building records is not part of the measured cost.
func records(producers, n int) [][]*si.EventRecord {
	return testutil.Grid(producers, n, func(int, int) *si.EventRecord {
		return &si.EventRecord{
			Type:     si.EventRecord_REQUEST,
			ObjectID: "alloc-0001",
			Message:  "bench event",
		}
	})
}

// split divides n into p parts that differ by at most one.
func split(n, p int) []int {
	parts := make([]int, p)
	for i := range parts {
		parts[i] = n / p
		if i < n%p {
			parts[i]++
		}
	}
	return parts
}

// runSplit runs f(p, count) for p = 0, ..., producers-1, each on a
// goroutine of its own, count being p's share of n (see split). The
// goroutines start together, and runSplit returns when all are done.
func runSplit(n, producers int, f func(p, count int)) {
	counts := split(n, producers)
	start := make(chan struct{})
	wait := testutil.Start(producers, func(p int) {
		<-start
		f(p, counts[p])
	})
	close(start)
	wait()
}

// runProducers runs producers goroutines that together call add n times,
// starting them together, and returns when all are done.
func runProducers(n, producers int, recs [][]*si.EventRecord, add func(*si.EventRecord)) {
	runSplit(n, producers, func(p, count int) {
		mine := recs[p]
		mask := len(mine) - 1
		for i := 0; i < count; i++ {
			add(mine[i&mask])
		}
	})
}

// waitFor polls until cond holds, failing the benchmark after a minute.
func waitFor(tb testing.TB, what string, cond func() bool) {
	deadline := time.Now().Add(time.Minute)
	for spins := 0; !cond(); spins++ {
		if spins < 100 {
			runtime.Gosched()
			continue
		}
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// fmtName names a sub-benchmark "key=value/impl=name".
func fmtName(key string, value int, impl string) string {
	return fmt.Sprintf("%s=%d/impl=%s", key, value, impl)
}
