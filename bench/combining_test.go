package bench

import (
	"math/bits"
	"runtime"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/ring"
	"golang.org/x/sys/cpu"
)

// Flat combining in front of the claim: an exploration of the hot-path
// question "can anything beat the claim+publish floor with two producers
// flat out?" (BENCHMARKS.md, "Breaking the floor at 2 producers:
// combining"). Not used by the library.
//
// Design. A producer that finds no combiner at work becomes the combiner
// (one CAS on busy); otherwise it announces its record in a publication slot
// of its own (its own cache line) and waits on that slot, becoming the
// combiner itself if the current one lets go first. The combiner puts its own
// record and every announced one into a batch and hands the batch to flush, which claims the run of IDs with ONE
// atomic add and publishes each record exactly as a single Add would
// (ring.Buffer.AddBatch: record store, then sequence store; or
// system.EventSystemImpl.AddEvents, which does that and stores and streams
// the batch). Then it marks each collected slot done and tells its owner
// the ID.
//
// Who writes and who reads each field, and what publishes what:
//
//   - pubSlot.rec: nil = free. The owner moves it nil -> its record with a
//     CAS (taking the slot and announcing the record in one step); the
//     combiner loads it and, after flush has published the record in the
//     history, stores &combinedRec (done); the owner, having loaded done,
//     stores nil (free again). Only the owner frees, so an owner that waits
//     for done can never see another goroutine's record in its slot (no ABA).
//     The announcing CAS publishes the record pointer to the combiner; the
//     done store publishes pubSlot.id to the owner.
//   - pubSlot.id: plain. Written only by the combiner, before its done store;
//     read only by the owner, after its load of done.
//   - combiner.busy: 0/1. Taken with a CAS by whichever waiting owner finds it
//     0, released with a store of 0. batch, slotOf and claims are touched only
//     between that CAS and that store (the CAS/store pair orders them from one
//     combiner to the next).
//   - History slots and the claim counter: written only inside flush, i.e. by
//     the ring's own writer protocol (one add claims the run; per ID, the
//     ring's sequence CAS, record store and publishing sequence store).
//     Readers are the ring's own lock-free readers (sequence, record,
//     sequence) and never see the publication slots.
//
// Invariants. IDs stay dense: flush claims exactly len(batch) IDs and writes
// every one of them before returning (a combiner that is descheduled inside
// flush leaves holes only until it runs again, as a descheduled Add does).
// Each goroutine's events keep their order: a goroutine has at most one
// record announced, and add returns only after that record is published, so
// its next record is claimed by a later add on the claim counter. What is
// lost is lock-freedom of writers: a waiter cannot finish until the
// combiner, which may be descheduled, has published its record.
//
// Goroutines have no identity in Go, so a producer finds a slot by hashing
// the address of a variable on its stack (the same goroutine gets the same
// slot as long as its stack does not move, and different goroutines have
// different stacks) and probing on; if every slot is taken it adds alone
// through single (its own claim, as without combining).
type combiner struct {
	_    cpu.CacheLinePad
	busy atomic.Uint32
	_    cpu.CacheLinePad
	// The combiner's own state: touched only while busy is held.
	batch  []*si.EventRecord
	slotOf []*pubSlot // slotOf[k] announced batch[k]
	claims uint64     // flushes so far (one claim each)
	_      cpu.CacheLinePad

	pubs  []pubSlot // read-only slice; each element on its own cache line
	shift uint      // 64 - log2(len(pubs)): the hint's top bits pick the slot

	// flush claims one run of IDs for the batch and publishes it; it returns
	// the first ID (0 if the backend does not say). single adds one record
	// on its own and returns its ID (0 if the backend does not say).
	flush  func(batch []*si.EventRecord) uint64
	single func(ev *si.EventRecord) uint64
	alone  atomic.Uint64 // adds that found every slot taken and went through single
}

// pubSlot is one producer's publication slot: see combiner for its
// protocol. It fills one cache line, so the combiner's scan touches one line
// per slot (the slots are allocated together, 64-byte aligned: the size
// class of 8 or more of them is a multiple of 64 bytes).
type pubSlot struct {
	rec atomic.Pointer[si.EventRecord]
	id  uint64
	_   [unsafe.Sizeof(cpu.CacheLinePad{}) - 16]byte
}

// combinedRec marks a publication slot whose record the combiner published.
var combinedRec = new(si.EventRecord)

// combineRounds is how many collect-and-flush rounds a combiner runs at most
// before it lets go. It stops earlier at a round that finds no other
// producer's record.
const combineRounds = 4

// waitSpins is how many times a waiter loads its slot before it yields the
// processor between loads.
const waitSpins = 64

func newCombiner(flush func([]*si.EventRecord) uint64, single func(*si.EventRecord) uint64) *combiner {
	// Four slots per processor, at least 8: the combiner scans them all each
	// round, so few; a producer that finds none free adds alone.
	n := 1 << bits.Len(uint(max(8, 4*runtime.GOMAXPROCS(0))-1))
	return &combiner{
		batch:  make([]*si.EventRecord, 0, n+1),
		slotOf: make([]*pubSlot, 0, n),
		pubs:   make([]pubSlot, n),
		shift:  uint(64 - bits.TrailingZeros(uint(n))),
		flush:  flush,
		single: single,
	}
}

// stackHint returns a number that differs between goroutines and stays the
// same for one goroutine's successive calls: the address of a local
// variable, which lives on the goroutine's own stack, hashed.
//
//go:noinline
func stackHint() uint64 {
	var here byte
	return uint64(uintptr(unsafe.Pointer(&here))>>10) * 0x9E3779B97F4A7C15
}

// add records ev under the next ID in claim order and returns that ID (as
// far as flush and single report it). It returns once ev is published. If no
// one is combining it combines at once, ev first, without announcing ev;
// otherwise it announces ev and waits, taking over as combiner when the
// current one lets go before ev is done.
func (c *combiner) add(ev *si.EventRecord) uint64 {
	if ev == nil {
		return 0
	}
	if c.busy.Load() == 0 && c.busy.CompareAndSwap(0, 1) {
		id := c.combine(ev, nil)
		c.busy.Store(0)
		return id
	}
	s := c.announce(ev)
	if s == nil {
		c.alone.Add(1)
		return c.single(ev)
	}
	for spins := 0; s.rec.Load() != combinedRec; spins++ {
		if c.busy.Load() == 0 && c.busy.CompareAndSwap(0, 1) {
			c.combine(nil, s) // collects s: it was announced before the CAS
			c.busy.Store(0)
			continue
		}
		if spins >= waitSpins {
			runtime.Gosched()
		}
	}
	id := s.id
	s.rec.Store(nil)
	return id
}

// announce takes a free publication slot for ev (starting at the caller's
// hint) and returns it, or nil if every slot is taken.
func (c *combiner) announce(ev *si.EventRecord) *pubSlot {
	start := int(stackHint() >> c.shift)
	for k := range c.pubs {
		s := &c.pubs[(start+k)&(len(c.pubs)-1)]
		if s.rec.Load() == nil && s.rec.CompareAndSwap(nil, ev) {
			return s
		}
	}
	return nil
}

// combine runs up to combineRounds rounds of: collect the announced records,
// flush them under one claim, mark their slots done. mine, if not nil, is
// the combiner's own record, not announced: it goes first in the first
// round's batch, and its ID is returned. own, if not nil, is the combiner's
// own announced slot. It stops after a round that found no other producer's
// record. Called with busy held.
func (c *combiner) combine(mine *si.EventRecord, own *pubSlot) (id uint64) {
	for round := range combineRounds {
		c.batch, c.slotOf = c.batch[:0], c.slotOf[:0]
		if round == 0 && mine != nil {
			c.batch = append(c.batch, mine)
		}
		others := false
		for i := range c.pubs {
			s := &c.pubs[i]
			if r := s.rec.Load(); r != nil && r != combinedRec {
				c.batch = append(c.batch, r)
				c.slotOf = append(c.slotOf, s)
				others = others || s != own
			}
		}
		if len(c.batch) == 0 {
			return id
		}
		first := c.flush(c.batch)
		c.claims++
		if round == 0 && mine != nil {
			id = first
		}
		skip := uint64(len(c.batch) - len(c.slotOf)) // mine, if in this batch
		for k, s := range c.slotOf {
			s.id = first + skip + uint64(k)
			s.rec.Store(combinedRec)
		}
		if !others {
			return id
		}
	}
	return id
}

// --- subjects ---

// combiningSystem is the lock-free event system with a combiner in front:
// the combiner hands each batch to AddEvents (one claim, then each record
// written, stored and, once per batch, streamed). IDs are not reported.
type combiningSystem struct {
	*lockfreeSystem
	c *combiner
}

func newCombiningSystem(ringCapacity uint64) *combiningSystem {
	s := &combiningSystem{lockfreeSystem: newLockfree(ringCapacity)}
	sys := s.EventSystemImpl
	s.c = newCombiner(
		func(batch []*si.EventRecord) uint64 { sys.AddEvents(batch); return 0 },
		func(ev *si.EventRecord) uint64 { sys.AddEvent(ev); return 0 })
	return s
}

func (s *combiningSystem) AddEvent(ev *si.EventRecord) { s.c.add(ev) }

// combiningRing is the history ring alone with a combiner in front
// (ring.Buffer.AddBatch per batch): the counterpart of lockfree-ring.
type combiningRing struct {
	r *ring.Buffer
	c *combiner
}

func newCombiningRing(ringCapacity uint64) *combiningRing {
	r := ring.New(ringCapacity)
	return &combiningRing{r: r, c: newCombiner(
		func(batch []*si.EventRecord) uint64 { first, _ := r.AddBatch(batch); return first },
		r.Add)}
}

func (r *combiningRing) AddEvent(ev *si.EventRecord) { r.c.add(ev) }
func (r *combiningRing) inHistory() uint64           { return r.r.ReadEnd() }
func (r *combiningRing) dropped() uint64             { return 0 }
func (r *combiningRing) stop()                       {}

// combiningImpls are BenchmarkIngestCombining's impl= values: each combining
// subject next to the subject it puts a combiner in front of, then the mutex
// system and the claim+publish floor. The combining subjects also report
// events/claim (events per claim of the counter).
var combiningImpls = []ingestImpl{
	{"combining", func(c uint64) ingester { return newCombiningSystem(c) }},
	{"lockfree", func(c uint64) ingester { return newLockfree(c) }},
	{"combining-ring", func(c uint64) ingester { return newCombiningRing(c) }},
	{"lockfree-ring", func(c uint64) ingester { return newRingOnly(c) }},
	{"mutex", func(c uint64) ingester { return newMutexSystem(c) }},
	{"floor-claimpublish", func(c uint64) ingester { return newFloorClaimPublish(c) }},
}

// combinerOf returns the combiner of a combining subject, or nil.
func combinerOf(s ingester) *combiner {
	switch s := s.(type) {
	case *combiningSystem:
		return s.c
	case *combiningRing:
		return s.c
	}
	return nil
}

// BenchmarkIngestCombining is BenchmarkIngest's flat-out scenario (same
// harness, same metrics: ns/event, drop-%, p50-ns/p99-ns/p999-ns from about
// one AddEvent in 16) for the combining prototype and the subjects it is
// measured against. It is a separate benchmark so that `make bench` and its
// summary stay as they are. Run:
//
//	go test -run '^$' -bench 'IngestCombining' -benchtime 1000000x -count 8 ./bench/
func BenchmarkIngestCombining(b *testing.B) {
	benchIngest(b, combiningImpls, false, func(b *testing.B, s ingester) {
		if c := combinerOf(s); c != nil {
			// Read after runProducersTimed waited for every producer.
			b.ReportMetric(float64(b.N)/float64(max(c.claims+c.alone.Load(), 1)), "events/claim")
		}
	})
}
