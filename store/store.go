package store

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"golang.org/x/sys/cpu"
)

// MaxSize is the largest batch capacity a store takes. New, NewSequenced and
// SetStoreSize clamp larger sizes to it, because a batch's slots are
// allocated up front (8 bytes each, in arenas of twice the size) and a size
// such as math.MaxUint64 must not crash the process.
const MaxSize = 1 << 22

// Arena sizing: batches are carved out of arenas of arenaFactor*size slots
// (at least minArena), see "Memory" below. Chosen with BenchmarkArena: a
// factor of 1 amounts to a fresh batch per collect, which costs 10-30x the
// time and bytes per event when batches are smaller than the size (the
// common case); 4 measured about like 2 at twice the resident memory.
const (
	defaultArenaFactor = 2
	minArena           = 1024
)

// pending marks a batch whose first ID (its base) is not fixed yet.
const pending = math.MaxUint64

// The protocol
//
// Events are identified by IDs from one dense sequence: 0, 1, 2, ... (a plain
// store claims them itself with one atomic add on ownNext; a sequenced store
// gets them from the caller, e.g. the history ring). next() is the first ID
// not handed out yet. The store is a chain of batches, newest first:
// cur -> prev -> nil, at most two long (the current batch and the one a
// collector is handing out). A batch owns the IDs [base, end), where end is
// the next batch's base, and stores ID id in slots[id-base] if that is below
// its capacity len(slots); IDs past the capacity are not stored.
//
//   - Writers (Store, StoreWithID; any number). Load cur, then route by base:
//     while id < b.base, b = b.prev. If the walk reaches nil, the batch that
//     owned id has been handed out and id was beyond its capacity (see
//     below): not stored. Otherwise write slots[id-base] with one atomic
//     pointer store, which publishes the record to the collector. Each slot
//     has exactly one writer, since each ID is handed out once.
//     StoreRunWithID stores a run of consecutive IDs, all claimed before it
//     loads cur: when cur's base is fixed and at or below the run's first
//     ID, the whole run is cur's (a batch installed later gets a base above
//     every ID claimed before it, see below), so it routes once; otherwise
//     it routes each ID as StoreWithID does.
//   - Collectors (CollectEvents; serialized by collectMu, which writers never
//     touch). (1) Install a fresh batch N with base = pending and prev = old,
//     then (2) fix N.base (below) to B. The old batch owns [old.base, B).
//     (3) Wait until each of its slots [0, min(B-old.base, cap)) is non-nil.
//     (4) Publish the new totals (ledger), (5) unlink N.prev, and return the
//     old slots [0, used) without copying.
//   - Fixing a base: whoever first sees N.base == pending (the collector, or
//     a writer or reader that loaded N) reads next() and CASes it in; the
//     first CAS wins, all later routing uses that B. Because next() is read
//     after N was installed, B is larger than every ID whose writer loaded
//     cur before the install: such a writer claimed its ID before the
//     install (claim, then load cur), so it belongs to the old batch (or an
//     older one) and the collector waits for it if it is within capacity. A
//     writer that claims its ID after the install loads N or a newer batch
//     and routes by fixed bases only. B <= next() at any later time, so each
//     ID the collector waits for has been handed out and its writer will
//     come.
//   - Why no writer writes into a batch already handed out: a batch is handed
//     out only after step (3) saw every slot below used written. A slot at
//     or above used is never written: below capacity it would need an ID >=
//     B, and such IDs route to N or later. Slots are written once, by the
//     owner of the ID. So a late writer that still routes towards a handed
//     out batch necessarily has an ID beyond that batch's capacity, and it
//     writes nothing (it finds the slot index >= cap, or prev == nil after
//     the unlink in step (5)).
//   - Nil records in StoreWithID still consume their ID: inside capacity
//     the writer counts the batch's holes and publishes the hole marker, so
//     the collector does not wait forever; the collector drops the markers
//     while it scans (compacting in place).
//
// Cost model. Store: the claim (one contended atomic add; a sequenced store
// has none, its caller's sequence claimed already), loads of cur and base
// (a read-mostly line, written once per collect), one atomic pointer store
// into the slot. Slots are not padded (8 share a cache line), since the
// slot array is what the caller receives. A writer that sees a pending base
// adds one load of next() and a CAS, once per collect; it never waits.
// Collect: one small allocation (the batch header, ledger included), an
// arena now and then, and the wait of step (3), a read-only scan of the returned
// slots. The scan is O(n) but makes no copy and no write; telling the
// collector "all written" in O(1) would need a per-batch done counter, a
// second contended atomic per event, which is what this design avoids.
//
// Counters are derived from IDs, not counted per event: a handed-out batch stored
// min(B-base, cap) - holes events and did not store the rest of its B-base
// IDs. The collector adds that to an immutable ledger (published with one
// atomic pointer store, before the unlink); readers add the open batches'
// share computed from next() and re-check that the ledger did not move.
//
// Memory.
//
// The returned slice is the batch's own slot array, so the next batch needs
// fresh zeroed slots. Batches are carved one after another out of arenas of
// arenaFactor*size slots (at least minArena): after a collect the unused
// tail of the handed-out batch (slots [used, ...), never written, still
// zero) becomes the spare from which the batch after next is carved. The
// caller's slice is capped at used (three-index slice), so it cannot reach
// the spare; an arena stays alive while any slice carved from it does.

// EventStore is the batch of events waiting for the publisher: at most its
// size between two collects, the rest counted as not stored. Store,
// StoreWithID and StoreRunWithID never block; CollectEvents hands every stored
// event out in exactly one batch, in ID order. A Store (or StoreWithID, or
// StoreRunWithID) synchronizes before the CollectEvents that returns its
// record.
//
// The zero value is a store of size 0 with its own ID counter; use New.
type EventStore struct {
	_ cpu.CacheLinePad
	// ownNext is the ID counter of a plain store: the next ID to hand out.
	// Contended: one atomic add per Store, on its own cache line.
	ownNext atomic.Uint64
	_       cpu.CacheLinePad

	// Read by every writer, written once per collect.
	cur     atomic.Pointer[batch]
	extNext func() uint64    // next() of the external sequence; nil for a plain store
	hole    *si.EventRecord  // marker of a consumed ID without record (sequenced stores)
	_       cpu.CacheLinePad // keep collector state off the writers' line

	size      atomic.Uint64          // capacity of the next batch (SetStoreSize)
	handedOut atomic.Pointer[ledger] // totals of the batches handed out; nil = none
	rejected  atomic.Uint64          // Store calls on a sequenced store (misuse)

	collectMu   sync.Mutex        // serializes collectors; writers never take it
	spare       []*si.EventRecord // zeroed slots for the batch after next; collectors only
	arenaFactor uint64            // arena = arenaFactor*size slots; tests vary it

	// Test hooks, set by tests only, before any concurrent use; nil
	// otherwise. Neither is on a writer's path. afterLedger runs in a
	// collect between steps (4) and (5); statsLedgerLoaded runs in Stats
	// after it loaded the ledger, before it reads next() and the batches.
	afterLedger       func()
	statsLedgerLoaded func()
}

// batch is one generation of the store. slots and region are immutable after
// the batch is published; base is written once (pending -> B); prev once
// (old -> nil); holes by writers of nil records only.
type batch struct {
	base   atomic.Uint64         // first ID of the batch, or pending
	prev   atomic.Pointer[batch] // the batch being handed out, until step (5)
	holes  atomic.Uint64         // nil records within capacity
	slots  []*si.EventRecord     // capacity = len(slots); written via publish
	region []*si.EventRecord     // slots' arena from slots[0] to the arena's end

	// before is the ledger of the batches handed out before this one, set
	// by the collector that installed it, at step (4), then published
	// through EventStore.handedOut (one allocation per collect, not two).
	before ledger
}

// ledger holds the totals of every batch handed out so far. Immutable once
// published in EventStore.handedOut. The initial one (or nil, in a zero store)
// has end = the store's first ID and no totals.
type ledger struct {
	end       uint64 // IDs below end belong to handed-out batches
	stored    uint64 // events handed out
	notStored uint64 // IDs below end that were not stored
}

// New returns a plain store that holds at most size events between two
// collects (size is clamped to MaxSize; 0 holds nothing). Its events are
// identified by the store's own counter: Store claims one ID per event.
func New(size uint64) *EventStore {
	return newStore(size, nil)
}

// NewSequenced returns a store of capacity size whose events are identified
// by IDs from an external dense sequence, so that the caller (for example an
// event system that already numbers its events in a history ring) pays one
// contended atomic per event instead of two. next must return the first ID
// not handed out yet: IDs are handed out in order, 0, 1, 2, ..., each exactly
// once, and every ID below next() has been or is being passed to StoreWithID
// (or StoreRunWithID). Every handed-out ID must reach the store exactly once
// (StoreWithID with a nil record if there is nothing to store):
// CollectEvents waits for the IDs of its batch.
// IDs below the value next returns during NewSequenced are ignored. next must
// be safe for concurrent use; it is called about once per collect (by the
// collector, or by a writer that meets the new batch first) and by
// CountStoredEvents and Stats, never on the Store fast path. A nil next gives
// a plain store, as New.
func NewSequenced(size uint64, next func() uint64) *EventStore {
	return newStore(size, next)
}

func newStore(size uint64, next func() uint64) *EventStore {
	s := &EventStore{extNext: next, arenaFactor: defaultArenaFactor}
	origin := uint64(0)
	if next != nil {
		s.hole = new(si.EventRecord)
		origin = min(next(), pending-1)
	}
	s.SetStoreSize(size)
	first := s.carve(s.size.Load())
	first.base.Store(origin)
	s.cur.Store(first)
	s.handedOut.Store(&ledger{end: origin})
	return s
}

// Store adds ev to the current batch, or counts it as not stored when the
// batch is full. It never blocks and takes no lock: one atomic add claims the
// event's ID, one atomic pointer store publishes it. A nil ev is ignored (no
// ID, not counted). The store takes the record: it must not be modified
// afterwards. On a sequenced store (NewSequenced) Store cannot number the
// event; it is counted as not stored, use StoreWithID there.
func (s *EventStore) Store(ev *si.EventRecord) {
	if ev == nil {
		return
	}
	if s.extNext != nil {
		s.rejected.Add(1)
		return
	}
	id := s.ownNext.Add(1) - 1
	// Load cur only after the claim (not as an earlier call argument): the
	// protocol relies on "claim, then load cur".
	s.placeIn(s.current(), id, ev)
}

// StoreWithID adds ev under id, an ID from the sequence of a NewSequenced
// store (see there for the rules), or counts it as not stored when the batch
// that owns id is full. It never blocks and takes no lock. A nil ev still
// consumes id, and its place in the batch's capacity, and is counted as not
// stored, so that the sequence stays dense.
// On a plain store (New) the id is ignored and StoreWithID is Store.
func (s *EventStore) StoreWithID(id uint64, ev *si.EventRecord) {
	// Fast path, placeIn's first case written out (one call less on the
	// event system's AddEvent): a sequenced store, a record, and id in the
	// current batch, whose base is fixed.
	if b := s.cur.Load(); b != nil && ev != nil && s.extNext != nil {
		if base := b.base.Load(); base != pending && id >= base {
			if slot := id - base; slot < uint64(len(b.slots)) {
				publish(&b.slots[slot], ev)
			}
			return // else beyond capacity: not stored, derived from the IDs
		}
	}
	if s.extNext == nil {
		s.Store(ev)
		return
	}
	if ev == nil {
		ev = s.hole
	}
	s.placeIn(s.current(), id, ev)
}

// StoreRunWithID stores the non-nil records of evs under consecutive IDs of
// a sequenced store, the first of them under first, as that many
// StoreWithID calls would (nil entries take no ID). Every ID of the run must
// have been handed out by the sequence (be below next()) before the call, as
// after one claim of the whole run: then the run is routed once instead of
// once per record, since a current batch whose base is at or below first
// owns every ID of the run (see "The protocol" in store.go). On a plain store
// each record is Store'd.
func (s *EventStore) StoreRunWithID(first uint64, evs []*si.EventRecord) {
	b := s.cur.Load()
	if b == nil || s.extNext == nil {
		s.storeEach(first, evs)
		return
	}
	base := b.base.Load()
	if base == pending || first < base {
		s.storeEach(first, evs) // part of the run may be an older batch's
		return
	}
	slot := first - base
	for _, ev := range evs {
		if ev == nil {
			continue
		}
		if slot >= uint64(len(b.slots)) {
			return // this and the rest beyond capacity: not stored
		}
		publish(&b.slots[slot], ev)
		slot++
	}
}

// storeEach is StoreRunWithID one record at a time.
func (s *EventStore) storeEach(id uint64, evs []*si.EventRecord) {
	for _, ev := range evs {
		if ev != nil {
			s.StoreWithID(id, ev)
			id++
		}
	}
}

// placeIn writes ev into the slot of id, starting from b, the current batch
// as the writer loaded it (tests pass a stale one to play a delayed writer).
// Fast path: b has a fixed base <= id. See the protocol on EventStore.
func (s *EventStore) placeIn(b *batch, id uint64, ev *si.EventRecord) {
	base := b.base.Load()
	if base == pending || id < base {
		if b, base = s.route(b, id); b == nil {
			return // handed out already, id was beyond its capacity
		}
	}
	slot := id - base
	if slot >= uint64(len(b.slots)) {
		return // beyond capacity: not stored, derived from the IDs
	}
	if ev == s.hole {
		b.holes.Add(1) // before the publish: final when the collector sees it
	}
	publish(&b.slots[slot], ev)
}

// route walks from b to the batch that owns id, fixing bases on the way.
// It returns nil if that batch has been handed out already.
func (s *EventStore) route(b *batch, id uint64) (*batch, uint64) {
	for {
		base := s.fixBase(b)
		if id >= base {
			return b, base
		}
		if b = b.prev.Load(); b == nil {
			return nil, 0
		}
	}
}

// fixBase returns b's base, fixing it to next() first if it is pending. Any
// goroutine that loaded b may do it; the first CAS wins.
func (s *EventStore) fixBase(b *batch) uint64 {
	if base := b.base.Load(); base != pending {
		return base
	}
	end := min(s.next(), pending-1)
	if p := b.prev.Load(); p != nil {
		end = max(end, p.base.Load()) // only if next() misbehaves
	}
	b.base.CompareAndSwap(pending, end)
	return b.base.Load()
}

// next is the sequence's next(): the first ID not handed out yet.
func (s *EventStore) next() uint64 {
	if s.extNext != nil {
		return s.extNext()
	}
	return s.ownNext.Load()
}

// current returns the current batch, creating an empty one of size 0 for a
// zero EventStore.
func (s *EventStore) current() *batch {
	if b := s.cur.Load(); b != nil {
		return b
	}
	return s.initCurrent()
}

// initCurrent is the slow path of current, for a zero EventStore.
func (s *EventStore) initCurrent() *batch {
	s.cur.CompareAndSwap(nil, new(batch)) // base 0, no slots
	return s.cur.Load()
}

// CollectEvents hands out the current batch: it installs a fresh batch for
// the writers that follow, waits until every writer that claimed a slot in
// the old batch has published it, and returns the old batch's events in ID
// order, without nil entries. The caller owns the returned slice; the store
// never writes to it again. It returns nil when the batch is empty.
//
// It may block: behind another CollectEvents (collectors are serialized), and
// while a writer that already claimed a slot has not written it yet. The
// batch's slot array is handed over without copying: the cost is a scan of
// the returned slots and, now and then, allocating a fresh arena.
func (s *EventStore) CollectEvents() []*si.EventRecord {
	s.collectMu.Lock()
	defer s.collectMu.Unlock()
	old, next := s.install()
	return s.handOut(old, next)
}

// install performs steps (1) and (2) of a collect: it makes a fresh batch
// current and fixes its base. Caller holds collectMu.
func (s *EventStore) install() (old, next *batch) {
	old = s.current()
	next = s.carve(s.size.Load())
	next.prev.Store(old)
	next.base.Store(pending)
	s.cur.Store(next) // (1) before next() is read for the boundary
	s.fixBase(next)   // (2)
	return old, next
}

// handOut performs steps (3) to (5) of a collect and returns old's events.
// Caller holds collectMu.
func (s *EventStore) handOut(old, next *batch) []*si.EventRecord {
	end := next.base.Load()    // fixed by install
	oldBase := old.base.Load() // fixed by the previous collect, or at creation
	used := min(end-oldBase, uint64(len(old.slots)))

	out := old.slots[:used:used]
	kept := s.awaitWriters(out) // (3)

	var l ledger
	if prev := s.handedOut.Load(); prev != nil {
		l = *prev
	}
	next.before = ledger{
		end:       end,
		stored:    l.stored + uint64(kept),
		notStored: l.notStored + (end - oldBase) - uint64(kept),
	}
	s.handedOut.Store(&next.before) // (4)
	if s.afterLedger != nil {
		s.afterLedger()
	}
	next.prev.Store(nil) // (5)

	if old.region != nil {
		s.spare = old.region[used:] // never written, still zero
	}
	if kept == 0 {
		return nil
	}
	return out[:kept:kept]
}

// awaitWriters waits until every slot of out is published, then moves the
// records over the hole markers and clears the rest. It returns the number
// of records kept.
func (s *EventStore) awaitWriters(out []*si.EventRecord) int {
	hole := s.hole
	kept := 0
	for i := range out {
		ev := load(&out[i])
		for ev == nil {
			runtime.Gosched() // a writer claimed the slot and is about to write it
			ev = load(&out[i])
		}
		if ev == hole {
			continue
		}
		if kept != i {
			out[kept] = ev // published: no writer touches out any more
		}
		kept++
	}
	clear(out[kept:])
	return kept
}

// carve returns an unpublished batch with size slots from the spare arena,
// allocating a new arena when the spare is too short. Collectors and
// constructors only.
func (s *EventStore) carve(size uint64) *batch {
	b := new(batch)
	if size == 0 {
		return b
	}
	if uint64(len(s.spare)) < size {
		s.spare = make([]*si.EventRecord, max(max(s.arenaFactor, 1)*size, minArena))
	}
	b.region = s.spare
	b.slots = s.spare[:size:size]
	s.spare = nil // the region belongs to b now; collect returns its tail
	return b
}

// CountStoredEvents returns the number of events in the current batch, the
// one the next CollectEvents returns. It is exact when no writer is in
// flight; while writers run it counts claimed slots that may not be written
// yet. It never blocks.
func (s *EventStore) CountStoredEvents() uint64 {
	b := s.current()
	base := s.fixBase(b)
	next := s.next()
	if next <= base {
		return 0
	}
	inCap := min(next-base, uint64(len(b.slots)))
	return inCap - min(b.holes.Load(), inCap)
}

// Stats are a store's cumulative counters since it was created. Every
// non-nil Store and every StoreWithID on a sequenced store counts exactly once.
type Stats struct {
	Stored    uint64 // events handed out, or waiting in the current batch
	NotStored uint64 // beyond a batch's capacity, nil records given to StoreWithID, Store on a sequenced store
}

// Stats returns the counters. They are exact when no writer is in flight;
// while writers run, an event whose ID is claimed counts already, as stored if
// it falls within capacity (a nil record in flight may move from stored to not
// stored when it lands). Stored+NotStored never decreases. It never blocks.
func (s *EventStore) Stats() Stats {
	// The counters are derived from the ID sequence, so the hot path counts
	// nothing: the ledger of handed-out batches plus the open batches' share
	// computed from next(), retried if a collect published a new ledger
	// meanwhile.
	for {
		var st Stats
		l := s.handedOut.Load()
		if s.statsLedgerLoaded != nil {
			s.statsLedgerLoaded()
		}
		if l != nil {
			st = Stats{Stored: l.stored, NotStored: l.notStored}
		}
		end := s.next()
		for b := s.current(); b != nil; b = b.prev.Load() {
			base := s.fixBase(b)
			if l != nil && base < l.end {
				break // handed out and in the ledger already
			}
			end = max(end, base)
			inCap := min(end-base, uint64(len(b.slots)))
			holes := min(b.holes.Load(), inCap)
			st.Stored += inCap - holes
			st.NotStored += end - base - inCap + holes
			end = base
		}
		if s.handedOut.Load() == l {
			st.NotStored += s.rejected.Load()
			return st
		}
	}
}

// SetStoreSize sets the capacity of the batches that start after the next
// CollectEvents; the current batch keeps its capacity. Sizes above MaxSize
// are clamped to it; 0 stores nothing. It never blocks.
func (s *EventStore) SetStoreSize(size uint64) {
	s.size.Store(min(size, MaxSize))
}

// publish stores ev into slot with release semantics for the collector.
func publish(slot **si.EventRecord, ev *si.EventRecord) {
	atomic.StorePointer((*unsafe.Pointer)(unsafe.Pointer(slot)), unsafe.Pointer(ev))
}

// load reads slot with acquire semantics.
func load(slot **si.EventRecord) *si.EventRecord {
	return (*si.EventRecord)(atomic.LoadPointer((*unsafe.Pointer)(unsafe.Pointer(slot))))
}
