package ring

import (
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/internal/atomicx"
	"golang.org/x/sys/cpu"
)

// The algorithm
//
// IDs. Buffer.next is the claim counter. Its low 63 bits are the next event
// ID; bit 63 is the generation of the slot storage that IDs claimed now belong
// to. Add claims with one atomic add (an add always succeeds, so it scales under
// contention where a CAS loop retries), which hands out IDs 0, 1, 2, ... for
// the life of the buffer. Only Resize flips the generation bit, with one add of
// 1<<63 that leaves the ID bits alone.
//
// Slots. A storage has a power-of-two number of slots; ID id lives in slot
// slotOf(id). Each slot has a sequence word and a record pointer:
//
//	seq == 0                  never written
//	seq == (id+1)<<1          being written by the writer of id
//	seq == (id+1)<<1 | 1      holds the record of id (published)
//
// A slot's seq only grows. Writers own the slot between their CAS to "being
// written" and their store of "published"; the record pointer is written only
// in that interval.
//
// Who writes. The writer of id (Add, or Resize copying id into a new storage)
// moves seq from an older value to (id+1)<<1 with a CAS, stores the record, and
// publishes with a store of (id+1)<<1|1. The published seq store is what makes
// the record visible. It is a release store (internal/atomicx.StoreRelease: a
// plain MOV on amd64, STLR on arm64; sync/atomic's Store elsewhere and under
// the race detector), not a sequentially consistent one, because that is all
// publishing needs and it saves a locked instruction per event: a reader
// that loads the published seq (an acquire load, as all of sync/atomic's
// loads are) then loads the record sees this writer's record store, which
// came before the publish. What the writer gives up is the order between
// its publish and its own later loads (see "Publishing" below).
// If the slot's seq is already at or past the writer's own (id+1)<<1, a newer
// lap took the slot first: the event is older than the newest len(slots) and so
// already displaced by capacity; the writer leaves without writing. If the slot
// is being written by an older ID (the writer lapped a writer that has not yet
// published: a stalled goroutine on a tiny ring), the writer waits for that
// publish. This is the only wait in Add, and the reason is that Go has no
// double-word CAS to replace seq and record together: letting the newer writer
// in would let the stalled one's record store land under the newer seq.
//
// Publishing. A publish reaches other cores soon but not at once: until it
// does, readers see the ID as a hole, as if its writer had not published
// yet. Add's return therefore does not make the event visible to a goroutine
// that has no happens-before edge from the writer (a channel, a mutex, an
// atomic store after the Add give one: each of them orders the publish before
// it). A protocol where the writer publishes and then loads a flag that the
// other side sets before it reads the ring (a wake-up handshake) cannot rely
// on the writer's load seeing the flag whenever the other side missed the
// event; the stream package's dispatcher, which has such a handshake, looks
// at NextID against ReadEnd for that reason ("Wake-ups" there). Every other
// reader of the ring reads what is published when it reads.
//
// Who reads. A single slot is read as seq, record, seq again: the record is
// that of id only if both seq loads equal (id+1)<<1|1, since a newer lap
// changes seq to "being written" before it touches the record. A seq below
// that value is a hole (claimed, not yet written): reads stop before it. A seq
// above means the ID was overwritten. A run of IDs below the read end is read
// as records first, then one load of the claim counter: a newer lap of id is
// written only by the writer of id+size or later, which claims its ID before
// it touches the slot, so the IDs the reader's own scan saw published with
// id+size >= claimed need no further check; the others (being lapped while
// read, or only vouched for by the watermark) are read again with the single
// slot check (validRun). AddBatch claims
// a run of IDs with one add and writes each as above. Readers never wait and
// never write a slot.
//
// The window. Events held are the IDs in [lowest, next) with
// lowest = max(floor, next-capacity); the storage has at least capacity slots,
// so every ID in the window has its own slot. A reader takes the view and
// the claim counter from one moment: it loads the view again after the
// counter and starts over if Resize replaced it (window). So for one reader
// lowest and next never move back, also across a Resize (below). readEnd,
// the first hole at or above lowest, is found by scanning up from a shared
// watermark, which readers advance with a CAS: a scan covers the slots
// published since the last read (at most the capacity), and writers never
// touch the watermark, so Add has no occasional slow call. The watermark is a
// hint, not a proof: a reader whose window is above it starts at its own
// lowest and moves it past IDs it never looked at, so for a reader with an
// older window (or view) it may vouch for a hole. A reader therefore reads
// without a per-slot check only the IDs its own scan saw published
// (validRun); the rest of a run gets the full check, and a read stops before
// (GetRecentEvents: starts over below) a hole it finds. The read end is never
// below the watermark a reader's previous read left (nor past its next), so
// one reader's newest readable ID never moves back either.
//
// Resize. Resizes are serialized among themselves by resizeMu; Add and the
// readers never touch it. A new view takes over at a moment Resize cannot
// know in advance (claims go on while it stores the view), so a view it
// publishes may carry one pending field, fixed from the claim counter by the
// first goroutine that uses the view (Resize right after the store, or a
// reader), with one CAS, as the store fixes a batch's base: a counter loaded
// after the view is at least the one at the takeover, so the fixed value
// keeps every earlier reader's window inside the new one. Resize fixes the
// view before it returns, so the next Resize starts from fixed values and a
// late fix of a replaced view fails its CAS. When the slot count
// stays, Resize swaps in a view with the new capacity and a pending floor,
// fixed to the lowest ID the old view holds at the takeover, so events
// already displaced do not come back when the buffer grows (a reader whose
// own counter is below the count the floor was fixed from uses the lower
// floor its own count gives, see bounds). When the slot
// count changes, Resize allocates a new storage N, then gives readers a view
// of the old storage O with a pending limit, fixed to the claim count at the
// takeover (before the flip below, so every ID under it is in O). It then
// installs N in the unused generation entry and flips the generation with
// one add: IDs below B (the ID bits at the flip, at least the limit) belong
// to O, IDs from B on go straight into N. Resize waits for the writers of the
// IDs it keeps (the newest min(newCapacity, held) below B, all within O's
// last lap, so each is eventually published) and copies them into N with the
// writer protocol above (a slot a newer lap already took is left alone).
// Then readers are given N, whose floor is at least the lowest ID of the
// limited view. Writers that claimed in O's generation but were so slow that
// a second Resize reused that generation entry find N.minID above their ID
// and do nothing: their event was displaced long before (only IDs of O's last
// lap are waited for). Writers still holding O write into O, which only
// readers with an old view still read (their reads are checked as above).

const (
	genBit  = uint64(1) << 63 // generation of the slot storage, in Buffer.next
	idMask  = genBit - 1      // the ID bits of Buffer.next
	noLimit = math.MaxUint64  // view.limit when the view holds every ID
	pending = noLimit - 1     // view.floor or view.limit not fixed yet (see Resize)
)

// slot is one entry of the storage. See the algorithm above for seq.
type slot struct {
	seq atomic.Uint64                  // written by the slot's writer, read by everyone
	rec atomic.Pointer[si.EventRecord] // written only while seq says "being written"
}

func writingSeq(id uint64) uint64   { return (id + 1) << 1 }
func publishedSeq(id uint64) uint64 { return (id+1)<<1 | 1 }

// Layout says how a Buffer places event IDs in memory. Both layouts give
// every ID of the window its own slot and behave the same; they differ in
// memory and in how often concurrent writers touch the same cache line.
type Layout uint8

const (
	// Scattered (the default) packs the slots, 16 bytes each, but puts
	// consecutive IDs on different cache lines, so concurrent writers, who
	// hold neighbouring IDs, rarely write the same line. It costs no memory
	// over packed slots; a reader walks several sequential streams of memory
	// instead of one.
	Scattered Layout = iota
	// Padded gives each slot a cache line of its own: no two writers ever
	// share a line, at 4x the memory of Scattered (8x on 128-byte lines).
	// Measured no faster than Scattered on x86 (BENCHMARKS.md).
	Padded
)

// storage is one generation of slots. Its fields never change after it is
// installed, except the slots themselves.
type storage struct {
	slots []slot
	mask  uint64 // slot count - 1 (the slot count is a power of two)
	// index mapping, see slotOf: ((i >> low) | (i & lowMask) << up) << spread
	low, up, spread uint
	lowMask         uint64
	layout          Layout // how the index above was chosen (kept across Resize)
	// minID: no ID below it belongs here (guards a writer stalled across two
	// resizes, see the algorithm).
	minID uint64
}

// slotCount is the number of IDs a storage for capacity holds: the next
// power of two, so that an index is a mask and not a division.
func slotCount(capacity uint64) uint64 {
	if capacity <= 1 {
		return 1
	}
	return 1 << bits.Len64(capacity-1)
}

// lineSize is the size of a cache line, as golang.org/x/sys/cpu pads to.
const lineSize = unsafe.Sizeof(cpu.CacheLinePad{})

func newStorage(capacity uint64, l Layout, minID uint64) *storage {
	size := slotCount(capacity)
	st := &storage{mask: size - 1, minID: minID, layout: l}
	perLine := uint(bits.TrailingZeros64(uint64(lineSize / unsafe.Sizeof(slot{})))) // log2(slots per line)
	switch l {
	case Padded:
		st.spread = perLine
	default:
		k := uint(bits.TrailingZeros64(size))
		if k > perLine {
			st.low, st.lowMask, st.up = perLine, 1<<perLine-1, k-perLine
		}
	}
	st.slots = make([]slot, size<<st.spread)
	return st
}

// size is the number of IDs the storage holds.
func (st *storage) size() uint64 { return st.mask + 1 }

func (st *storage) slotOf(id uint64) *slot {
	i := id & st.mask
	return &st.slots[(i>>(st.low&63)|(i&st.lowMask)<<(st.up&63))<<(st.spread&63)]
}

// predecessor is the seq the slot of id holds when the previous lap's writer
// has published: published(id-size), or 0 (never written) on the first lap.
func (st *storage) predecessor(id uint64) uint64 {
	if id < st.size() {
		return 0
	}
	return publishedSeq(id - st.size())
}

// write stores ev as the record of id (see the algorithm for the protocol).
// The rare case, lapping a writer that has not published, is slot.claim, so
// that the common path stays short.
func (st *storage) write(id uint64, ev *si.EventRecord) {
	s := st.slotOf(id)
	mine := writingSeq(id)
	// Fast path: the slot holds the previous lap's published record (or is
	// fresh on the first lap). Going straight to the CAS asks for the cache
	// line once, in exclusive state, instead of a shared load then an upgrade.
	if !s.seq.CompareAndSwap(st.predecessor(id), mine) && !s.claim(mine) {
		return // a newer lap owns the slot: this event is displaced
	}
	s.rec.Store(ev)
	atomicx.StoreRelease(&s.seq, mine|1) // publish: see "Publishing" above
}

// claim is write's slow path: it moves the slot's seq from an older value to
// mine, or reports false when a newer lap owns the slot.
func (s *slot) claim(mine uint64) bool {
	for spins := 0; ; spins++ {
		cur := s.seq.Load()
		if cur >= mine {
			return false
		}
		if cur&1 == 0 && cur != 0 {
			// An older ID is being written: we lapped a writer that has not
			// published yet. Rare (tiny rings, a descheduled writer).
			backoff(spins)
			continue
		}
		if s.seq.CompareAndSwap(cur, mine) {
			return true
		}
	}
}

// readState is the outcome of reading one slot.
type readState uint8

const (
	readOK   readState = iota // the record of the ID
	readHole                  // the ID is claimed but not yet written (or never will be here)
	readGone                  // the ID was overwritten by a newer lap
)

// read returns the record of id, validated as described in the algorithm.
func (st *storage) read(id uint64) (*si.EventRecord, readState) {
	s := st.slotOf(id)
	want := publishedSeq(id)
	s1 := s.seq.Load()
	if s1 != want {
		if s1 > want {
			return nil, readGone
		}
		return nil, readHole
	}
	ev := s.rec.Load()
	if s.seq.Load() != want {
		return nil, readGone
	}
	return ev, readOK
}

// state is read without loading the record.
func (st *storage) state(id uint64) readState {
	s1 := st.slotOf(id).seq.Load()
	switch want := publishedSeq(id); {
	case s1 == want:
		return readOK
	case s1 > want:
		return readGone
	default:
		return readHole
	}
}

func backoff(spins int) {
	if spins > 16 {
		runtime.Gosched()
	}
}

// view is what readers see: one storage and the window rules. A new view is
// swapped in whole by Resize. floor and limit are fixed when the view is
// made, except in a view Resize publishes before it knows them: there one of
// them is pending until the first goroutine that uses the view (Resize
// itself, or a reader) fixes it from the claim counter (see fix).
type view struct {
	st       *storage
	capacity uint64        // the capacity asked for
	floor    atomic.Uint64 // no ID below floor is held (set by Resize); or pending
	limit    atomic.Uint64 // IDs at or above limit are not in st (while Resize copies); noLimit; or pending
	// For a pending floor: the floor and capacity of the view this one
	// replaced (which held every ID); prevCapacity is 0 in other views.
	prevFloor, prevCapacity uint64
}

func newView(st *storage, capacity, floor, limit uint64) *view {
	v := &view{st: st, capacity: capacity}
	v.floor.Store(floor)
	v.limit.Store(limit)
	return v
}

// fix fixes a pending floor or limit from claimed, the claim counter loaded
// after v was loaded, so at least the count at the moment v replaced the
// previous view. A pending limit becomes claimed; a pending floor the lowest
// ID the previous view holds at claimed (prevLowest). The first fix wins (one
// CAS; a fixed value never changes).
func (v *view) fix(claimed uint64) {
	if v.limit.Load() == pending {
		v.limit.CompareAndSwap(pending, claimed)
	}
	if v.floor.Load() == pending {
		v.floor.CompareAndSwap(pending, v.prevLowest(claimed))
	}
}

// prevLowest is the lowest ID the view v replaced holds when claimed IDs are
// claimed (for a view made with a pending floor).
func (v *view) prevLowest(claimed uint64) uint64 {
	lowest := v.prevFloor
	if claimed > v.prevCapacity {
		lowest = max(lowest, claimed-v.prevCapacity)
	}
	return lowest
}

// Buffer is the history ring. The zero value is not usable: create one with
// New. All methods are safe for concurrent use; see the package doc. An Add
// synchronizes before every read that returns its record.
type Buffer struct {
	_ cpu.CacheLinePad
	// next: low 63 bits the next ID, bit 63 the storage generation.
	// One contended atomic add per Add; a load per read.
	next atomic.Uint64
	_    cpu.CacheLinePad
	// gens: the storage of each generation. Loaded by every Add (read-shared,
	// written only by Resize).
	gens [2]atomic.Pointer[storage]
	// view: loaded by every reader, written only by Resize.
	view atomic.Pointer[view]
	_    cpu.CacheLinePad
	// watermark: where readEnd's scan starts (when at or above the reader's
	// lowest). Advanced by readers with a CAS; a hint that keeps the scan
	// short, not a proof that every ID below it was published (see The window).
	watermark atomic.Uint64
	_         cpu.CacheLinePad
	resizeMu  sync.Mutex // serializes Resize calls; never taken by Add or readers

	// Test hooks, set by tests only, before any concurrent use; nil
	// otherwise. afterWindow runs in AppendEventsFromID and GetRecentEvents
	// between taking the window and finding its end. duringResize runs in
	// Resize after it published the same-slot view (before fixing its
	// floor) or flipped to a new storage (before copying into it).
	afterWindow  func()
	duringResize func()
}

// New returns an empty buffer that holds the newest capacity events. A
// capacity of 0 means 1; above MaxCapacity means MaxCapacity. Storage is
// rounded up to a power of two slots.
func New(capacity uint64) *Buffer {
	return NewWithLayout(capacity, Scattered)
}

// MaxCapacity is the largest capacity a Buffer takes: New and Resize clamp
// larger values to it (and Capacity reports the clamped value), because the
// slots are allocated up front (16 bytes each, a cache line each with Padded;
// rounded up to a power of two)
// and a capacity such as math.MaxUint64 must not crash the process.
const MaxCapacity = 1 << 26

// clampCapacity maps an asked capacity to the one used: 0 means 1, and
// anything above MaxCapacity is MaxCapacity.
func clampCapacity(capacity uint64) uint64 {
	return min(max(capacity, 1), MaxCapacity)
}

// NewWithLayout is New with the slot layout l (see Layout; an unknown value
// means Scattered). The layout is kept across Resize.
func NewWithLayout(capacity uint64, l Layout) *Buffer {
	if l != Padded {
		l = Scattered
	}
	capacity = clampCapacity(capacity)
	b := &Buffer{}
	st := newStorage(capacity, l, 0)
	b.gens[0].Store(st)
	b.view.Store(newView(st, capacity, 0, noLimit))
	return b
}

// Add appends ev to the history and returns its ID. It takes no lock and does
// not allocate: one atomic add claims the ID, then the slot is written and
// published. It waits only in the rare case described in the package doc
// (lapping a slot whose writer has not yet published). The buffer keeps the
// pointer; nobody may modify the record afterwards. A nil ev is stored as nil.
func (b *Buffer) Add(ev *si.EventRecord) uint64 {
	v := b.next.Add(1) - 1
	id := v & idMask
	st := b.gens[v>>63].Load()
	if id >= st.minID {
		st.write(id, ev)
	}
	return id
}

// AddBatch appends the non-nil records of evs, in slice order, under
// consecutive IDs, and returns the first of them and how many there are
// (first is the ID the next Add would have got when there are none). Nil
// entries are skipped: they get no ID. One atomic add claims the IDs of the
// whole batch, so a concurrent Add or AddBatch never lands in between; each
// record is then written and published as by Add. It takes no lock and does
// not allocate. A batch larger than the capacity keeps only its newest
// records, as the same Adds would.
func (b *Buffer) AddBatch(evs []*si.EventRecord) (first, n uint64) {
	for _, ev := range evs {
		if ev != nil {
			n++
		}
	}
	if n == 0 {
		return b.NextID(), 0
	}
	v := b.next.Add(n) - n
	first = v & idMask
	st := b.gens[v>>63].Load()
	// IDs below last-size would only be overwritten by later IDs of this
	// same batch: skip them instead of writing twice.
	from := max(st.minID, first)
	if first+n > st.size() {
		from = max(from, first+n-st.size())
	}
	id := first
	for _, ev := range evs {
		if ev == nil {
			continue
		}
		if id >= from {
			st.write(id, ev)
		}
		id++
	}
	return first, n
}

// NextID returns the ID the next Add will get. IDs below it are claimed; some
// of the newest may still be holes (claimed, not yet written).
func (b *Buffer) NextID() uint64 {
	return b.next.Load() & idMask
}

// window returns the current view, the lowest ID held and the claim counter's
// next ID (limited to the view), all from one moment: the view is loaded
// again after the claim counter and the pair taken only if it is unchanged,
// so the view was current when the counter was read. A reader that paired
// an old view with a later count could report a window that a later read,
// under the new view, contradicts (see Resize). A retry means a Resize
// replaced the view meanwhile; the reader never waits for one.
func (b *Buffer) window() (v *view, lowest, next uint64) {
	v = b.view.Load()
	for {
		claimed := b.next.Load() & idMask
		w := b.view.Load()
		if w == v {
			next, lowest = v.bounds(claimed)
			return v, lowest, next
		}
		v = w
	}
}

// bounds returns the claim counter's next ID limited to the view, and the
// lowest ID the view holds when that many IDs are claimed. claimed must have
// been loaded while v was the current view (it fixes v's pending fields, see
// fix).
//
// A floor that was pending may have been fixed by another goroutine from a
// later count than claimed (this reader paused between its counter load and
// this call while writers went on and Resize fixed the floor), and can then
// lie above claimed itself. So the reader takes the lower of that floor and
// the one its own fix would have set, prevLowest(claimed): its window is
// the one the view has when it takes over at claimed, with lowest at most
// next and at most the capacity wide. As prevLowest grows with the count,
// one reader's lowest still never moves back, within the view or from the
// previous one (whose lowest at a count is prevLowest).
func (v *view) bounds(claimed uint64) (next, lowest uint64) {
	floor, limit := v.floor.Load(), v.limit.Load()
	if floor == pending || limit == pending {
		v.fix(claimed)
		floor, limit = v.floor.Load(), v.limit.Load()
	}
	next = min(claimed, limit)
	lowest = floor
	if v.prevCapacity != 0 {
		lowest = min(lowest, v.prevLowest(claimed))
	}
	if next > v.capacity && next-v.capacity > lowest {
		lowest = next - v.capacity
	}
	return next, lowest
}

// readEnd returns the first hole at or above lowest (next if there is none),
// advancing the shared watermark.
//
// The result is never past next, the caller's snapshot of the claim counter
// (already limited to the view): the watermark is shared and another
// goroutine may have moved it past next since the snapshot was taken (or,
// while Resize copies, past the view's limit, into the next storage). Ending
// at a later moment than the one lowest was computed at would report a window
// wider than the capacity. An ID it does not scan itself may be a hole (see
// The window): only the records of IDs it scanned are read unchecked.
func (b *Buffer) readEnd(v *view, lowest, next uint64) uint64 {
	end, _ := b.readEndFrom(v, lowest, next)
	return end
}

// readEndFrom is readEnd that also returns where its own scan started: the
// IDs in [lowest, scanned) were not looked at by this call, only vouched for
// by the watermark (see validRun for why that is not enough to read them
// without a check).
func (b *Buffer) readEndFrom(v *view, lowest, next uint64) (end, scanned uint64) {
	w := b.watermark.Load()
	p := min(max(w, lowest), next)
	scanned = p
	for p < next && v.st.state(p) != readHole {
		p++
	}
	for p > w && !b.watermark.CompareAndSwap(w, p) {
		w = b.watermark.Load()
	}
	return p, scanned
}

// highestOf turns a read end into the "highest" the API reports.
func highestOf(end uint64) uint64 {
	if end == 0 {
		return 0
	}
	return end - 1
}

// ReadEnd returns the ID one past the newest readable event: the events with
// IDs in [GetLowestID(), ReadEnd()) can be read now (a reader with an older
// window may be told of a hole there, see "The window" in ring.go; its read
// then stops before it). A follower at position p has work when p < ReadEnd(). It never
// decreases for one caller. Amortized O(1).
func (b *Buffer) ReadEnd() uint64 {
	v, lowest, next := b.window()
	return b.readEnd(v, lowest, next)
}

// GetLastEventID returns ReadEnd()-1: the ID of the newest event that can be
// read (the one before the first hole). It is 0 when the buffer is empty, and
// one below GetLowestID when the lowest ID held is a hole. It never
// decreases for one caller.
func (b *Buffer) GetLastEventID() uint64 {
	return highestOf(b.ReadEnd())
}

// GetLowestID returns the lowest ID held: older events were displaced.
func (b *Buffer) GetLowestID() uint64 {
	_, lowest, _ := b.window()
	return lowest
}

// Capacity returns the capacity asked for in New or the last Resize (0 asked
// is reported as 1).
func (b *Buffer) Capacity() uint64 {
	return b.view.Load().capacity
}

// GetEventsFromID returns the events with IDs id, id+1, ..., at most count of
// them and never past the newest readable one, with the lowest ID held and the
// newest readable ID (as GetLastEventID). If id is not held, it returns no
// records.
// A returned record under ID k is always the event added as ID k; if the
// writers overwrite the range while it is read, the result stops early.
func (b *Buffer) GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	return b.AppendEventsFromID(nil, id, count)
}

// AppendEventsFromID is GetEventsFromID appending to dst: it does not allocate
// when dst has room. It returns dst unchanged when id is not held; a follower
// whose position fell below lowest has been overtaken by the writers.
func (b *Buffer) AppendEventsFromID(dst []*si.EventRecord, id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	v, lowest, next := b.window()
	if b.afterWindow != nil {
		b.afterWindow()
	}
	end, scanned := b.readEndFrom(v, lowest, next)
	if id < lowest || id >= end || count == 0 {
		return dst, lowest, highestOf(end)
	}
	n := min(count, end-id)
	dst = slices.Grow(dst, int(n))
	start := len(dst)
	dst = dst[:start+int(n)]
	run := dst[start:]
	for i := range run {
		run[i] = v.st.slotOf(id + uint64(i)).rec.Load()
	}
	if k := b.validRun(v, id, scanned, run); k < len(run) {
		clear(run[k:])
		dst = dst[:start+k]
		if k == 0 {
			// Overwritten before we read it (or a hole the watermark
			// vouched for): report a fresh window (lowest and highest from
			// one moment). When id was overwritten its lowest is above id,
			// so the caller knows it was overtaken; except under the
			// limited view while Resize moves to a new storage, when the
			// overwriting ID was claimed after the limit (before the flip):
			// then lowest is still at most id and the caller, told id is
			// held but given nothing, looks again (once Resize gives
			// readers the new storage, its floor is above id).
			v, lowest, next = b.window()
			end = b.readEnd(v, lowest, next)
		}
	}
	return dst, lowest, highestOf(end)
}

// validRun checks a run of records that a reader loaded, without seq checks,
// from the slots of IDs first, first+1, ... of v's storage, all below the read
// end it found (its own scan of that call started at scanned), and returns how
// many of them, from the start, are the records of their IDs. Records it
// could not vouch for are read again with the full check (seq, record, seq).
//
// Why one check per run suffices for most of the run. An ID at or above
// scanned was seen published in v's storage by this reader's own scan, before
// its record was loaded. Its record changes afterwards only when a newer lap
// takes its slot, and the first writer that can, the writer of id+size, must
// claim that ID first (writers of older IDs and Resize's copies never replace
// a newer record). So if the claim counter, loaded after the records, is at
// most id+size, the record loaded is that of id.
//
// What is read again, one by one: the IDs below claimed-size (the oldest of
// the run, read while the ring was lapping them); the IDs below scanned, which
// only the watermark vouched for: a reader whose window was already above them
// starts its scan at its own lowest and moves the watermark past them without
// looking, so one of them may be a hole whose slot still holds an older lap's
// record (and a reader with a stale view may move it past IDs of another
// storage); and, if Resize replaced the view meanwhile, every ID.
func (b *Buffer) validRun(v *view, first, scanned uint64, run []*si.EventRecord) int {
	claimed := b.next.Load() & idMask
	check := len(run)
	if b.view.Load() == v {
		upTo := scanned
		if size := v.st.size(); claimed > size {
			upTo = max(upTo, claimed-size)
		}
		check = int(min(upTo-min(upTo, first), uint64(len(run))))
	}
	for i := 0; i < check; i++ {
		ev, st := v.st.read(first + uint64(i))
		if st != readOK {
			return i
		}
		run[i] = ev
	}
	return len(run)
}

// GetRecentEvents returns the newest min(count, held) events, oldest first
// (held ends before the first hole). It returns nil when there is nothing.
//
// Each record is read with the full check (seq, record, seq). A record found
// overwritten means the writers lapped the read: the newer, consecutive part
// is kept. A hole found among the IDs read is one the watermark vouched for
// (an ID this call's own scan saw published never becomes a hole again, see
// "The window" in ring.go): held ends before it, so the read starts over below it. A
// vouched hole below the IDs read is not looked for, as that would cost a
// scan of the whole window on every call; so a reader whose window is older
// than that of the reader that moved the watermark may return newest events
// that lie after such a hole (each still the record of its ID, consecutive).
func (b *Buffer) GetRecentEvents(count uint64) []*si.EventRecord {
	v, lowest, next := b.window()
	if b.afterWindow != nil {
		b.afterWindow()
	}
	end := b.readEnd(v, lowest, next)
	if end <= lowest || count == 0 {
		return nil
	}
	out := make([]*si.EventRecord, 0, min(count, end-lowest))
read:
	for end > lowest {
		for k := end - min(count, end-lowest); k < end; k++ {
			ev, st := v.st.read(k)
			switch st {
			case readHole:
				out, end = out[:0], k
				continue read
			case readGone:
				out = out[:0] // keep the newer, consecutive part
				continue
			}
			out = append(out, ev)
		}
		break
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Resize changes the capacity to newCapacity (0 means 1; above MaxCapacity
// means MaxCapacity). It keeps the newest
// min(newCapacity, held) events with their IDs; later Adds continue the ID
// sequence. It may run while writers and readers do: Add never waits for it
// and readers see either the old or the new buffer. Concurrent Resize calls
// are serialized among themselves.
func (b *Buffer) Resize(newCapacity uint64) {
	newCapacity = clampCapacity(newCapacity)
	b.resizeMu.Lock()
	defer b.resizeMu.Unlock()

	old := b.view.Load() // fixed: every Resize fixes the views it makes
	if slotCount(newCapacity) == old.st.size() {
		// Same slots: only the window changes. The floor keeps events that
		// were displaced under the old capacity from coming back: it is
		// the lowest ID old holds at the moment the new view took over,
		// fixed by whoever uses the new view first.
		v := newView(old.st, newCapacity, pending, noLimit)
		v.prevFloor, v.prevCapacity = old.floor.Load(), old.capacity
		b.view.Store(v)
		if b.duringResize != nil {
			b.duringResize()
		}
		v.fix(b.next.Load() & idMask)
		return
	}

	// Allocate the new storage (readers still see everything), limit the
	// readers to the IDs claimed when the limited view took over (fixed by
	// whoever uses it first), then install the new storage in the unused
	// generation and flip. The limit is fixed before the flip, so it is at
	// most the boundary: every ID below it is in old's storage.
	fresh := newStorage(newCapacity, old.st.layout, b.NextID())
	limited := newView(old.st, old.capacity, old.floor.Load(), pending)
	b.view.Store(limited)
	limited.fix(b.next.Load() & idMask)
	gen := b.next.Load() >> 63
	b.gens[gen^1].Store(fresh)
	boundary := (b.next.Add(genBit) - genBit) & idMask
	if b.duringResize != nil {
		b.duringResize()
	}

	keep := old.floor.Load()
	if boundary > old.capacity {
		keep = max(keep, boundary-old.capacity)
	}
	if boundary > newCapacity {
		keep = max(keep, boundary-newCapacity)
	}
	for id := keep; id < boundary; id++ {
		for spins := 0; old.st.state(id) == readHole; spins++ {
			backoff(spins) // a writer of O's last lap has not published yet
		}
		if ev, st := old.st.read(id); st == readOK {
			fresh.write(id, ev)
		}
	}
	b.view.Store(newView(fresh, newCapacity, keep, noLimit))
}
