package dedup

import (
	"bytes"
	"log/slog"
	"math/bits"
	"reflect"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	metro "github.com/dgryski/go-metro"

	"github.com/lfevents/lfevents/internal/atomicx"
	"golang.org/x/sys/cpu"
)

// Table sizes, in entries.
const (
	DefaultSize = 4096    // 64 KiB of entries
	MaxSize     = 1 << 20 // 16 MiB of entries
)

// DefaultLogInterval is how often at most a Table logs that it suppressed
// events.
const DefaultLogInterval = 10 * time.Second

// logRewind is how far (or LogInterval, if longer) a suppression's time must
// lie before the last log line's for the rate limit to start again from it:
// further than producers' clocks plausibly differ.
const logRewind = int64(time.Hour)

// Config configures a Table.
type Config struct {
	// Window is how long a recorded event suppresses its equals. Must be
	// positive; New treats 0 or less as one nanosecond (nothing suppressed in
	// practice).
	Window time.Duration

	// Size is the number of entries, rounded up to a power of two and clamped
	// to [1, MaxSize]. 0 or less means DefaultSize.
	Size int

	// Logger receives the rate-limited "duplicate events suppressed" line.
	// nil means slog.Default(), looked up at each log.
	Logger *slog.Logger

	// LogInterval is the least event time between two log lines (unless
	// the second is stamped an hour or more before the first, see count).
	// 0 or less means DefaultLogInterval.
	LogInterval time.Duration

	// Counter, when not nil, is the counter each suppression increments
	// (and that Suppressed reports), so that an owner replacing tables keeps
	// one count. nil means a counter of the table's own.
	Counter *atomic.Uint64

	// Logged, when not nil, holds the count reported by the last log line,
	// shared like Counter, so that the first line of a replacing table says
	// how many suppressions are new since the last line of any table. nil
	// means a value of the table's own.
	Logged *atomic.Uint64
}

// Table remembers, per entry, one recently recorded event and when it was
// recorded. Build it with New; the zero value is not usable.
//
// Equal means: same type, object ID, reference ID, change type, change
// detail and message, and the same unknown protobuf fields byte for byte
// (the event system keeps an event's state there; comparing all unknown
// fields is stricter than comparing the state alone, so it can only make
// fewer events equal). Timestamp and resource are not compared: a repeat
// differs from the original in its timestamp.
type Table struct {
	// Read-only after New.
	buckets  []bucket
	mask     uint64 // len(buckets) - 1
	ways     uint64 // entries used per bucket: maxWays, or Size when smaller
	window   int64  // ns
	logEvery int64  // ns
	logger   *slog.Logger
	counter  *atomic.Uint64
	logged   *atomic.Uint64 // the count reported by the last log line

	_ cpu.CacheLinePad

	// own and ownLogged are used when Config.Counter and Config.Logged are nil.
	own, ownLogged atomic.Uint64

	_ cpu.CacheLinePad

	// lastLog is the event time of the last log line (0: none yet; event
	// times are positive), CASed by the suppression that logs, which then
	// swaps the count it reports into logged. Touched at most once per
	// suppression (a load) and once per LogInterval (a CAS and a swap).
	lastLog atomic.Int64

	_ cpu.CacheLinePad
}

// The table protocol
//
// Time. An event's time is its own TimestampNano, which the event system's
// record constructors set when they build the record (just before it is
// added, in the scheduler's call pattern). Two equal events are within the
// window when their timestamps differ by less than it, in either direction
// (concurrent producers add out of timestamp order). Reading a clock on every
// call instead would cost as much as half an AddEvent on a virtual machine
// (kvm-clock); the timestamp is already in the record. A record without a
// timestamp (0 or negative) is neither suppressed nor remembered.
//
// Layout. The table is 4-way set-associative: the event's go-metro hash over
// the compared fields picks a bucket of four entries (buckets[hash&mask]), and a
// bucket is one cache line (16-byte entries, the buckets aligned by
// newBuckets). A table of fewer than four entries is one bucket, of which
// it uses as many entries as its size. An entry
// holds the remembered record's pointer (nil: empty) and a tag, the hash of
// that record (|1, so that an empty entry's 0 matches nothing). Four ways
// instead of one entry per hash: events that share a bucket no longer push
// each other out until a fifth arrives, for the same memory and the same
// one line touched.
//
// Who writes. Any Suppress that decides "record" (no equal, recent record in
// the bucket) picks one entry of the bucket: the one that holds an equal
// but expired record (so that an event is remembered once), else the first empty
// one, else the one that the hash's bits 32 and up choose (a pseudo-random
// victim). It stores its record pointer there (sync/atomic's store, which
// the garbage collector's write barrier needs), then its tag with a release
// store (internal/atomicx.StoreRelease: a plain MOV on amd64), overwriting
// whatever the entry held. Nobody waits for anybody and
// nobody claims the entry: two writers racing for one entry may leave it
// torn (one's record, the other's tag) until the next write, and two racing
// writers of equal events may both take an empty entry, so that the event
// is remembered twice. A torn entry or a second copy only loses memory, see
// below. The table forgets older events in favour of newer ones: that is
// the lossy trade-off that keeps it bounded and lock-free (a map of every
// event seen within the window would need a lock or unbounded memory, or
// both).
//
// Who reads. Suppress loads the four tags and, for each that is its own
// hash|1, loads the record pointer and compares that record's fields and
// timestamp with the new event's. The tag is a filter that spares most
// lookups a load of a record that is no longer in the cache; it is never
// the proof. Records are
// immutable once added, and the atomic store that published the pointer
// happens after the writer's caller built the record, so a reader that loads
// the pointer sees the whole record as it was added. The comparison is the
// proof: a hash collision, a torn entry, or an entry rewritten between the
// two loads never suppresses a different event. Equal fields within the
// window, or no suppression.
//
// What publishes what. The pointer store publishes the record (and so its
// fields and time) to later lookups; the tag store after it opens the entry
// to lookups of that hash. Writers store the record first so that a reader
// that sees a new tag usually finds the matching record; a release store is
// all that order needs (the record store cannot move after it), and as the
// tag is a filter, not the proof, a reader that loads an older record after
// a new tag only misses a suppression.
//
// Races between identical events. Two equal events arriving at once both
// find no remembered equal (neither is in the entry yet), so both are
// recorded, and one of them is remembered. Suppression is therefore exact
// for a single producer and may let a few duplicates through under
// concurrency, never the other way round.
//
// Cost. A lookup is the hash (one go-metro call per non-empty field, each
// reading the field where it lies; see Hash) and the loads of the bucket's
// four tags, from one cache line. A tag hit adds a load of the remembered
// record and a field comparison. Remembering is one locked instruction
// (the pointer store) and a plain store. There is no CAS: a claim would
// cost as much as the pointer store and buy only fewer torn entries under
// contention, where duplicates may pass anyway.
//
// Wrap-around: none; entries carry no sequence.
//
// Memory. The entries are allocated once by New (16 bytes each, at least
// one bucket of 4; a table of 64 to 2048 entries takes about 32 KiB, see
// newBuckets); Suppress allocates nothing (the log line allocates, at most
// once per LogInterval of event time, see count).
// An entry keeps its record reachable until overwritten, so a table keeps
// at most Size records alive beyond the event history.
type entry struct { // 16 bytes, four to a cache line
	tag atomic.Uint64
	rec atomic.Pointer[si.EventRecord]
}

// bucket is the entries one hash may use: one cache line.
type bucket [maxWays]entry

// New returns an empty table configured by cfg.
func New(cfg Config) *Table {
	window := int64(cfg.Window)
	if window <= 0 {
		window = 1
	}
	logEvery := int64(cfg.LogInterval)
	if logEvery <= 0 {
		logEvery = int64(DefaultLogInterval)
	}
	n := roundUp(cfg.Size)
	t := &Table{
		buckets:  newBuckets(max(n/maxWays, 1)),
		mask:     uint64(max(n/maxWays, 1) - 1),
		ways:     uint64(min(n, maxWays)),
		window:   window,
		logEvery: logEvery,
		logger:   cfg.Logger,
		counter:  cfg.Counter,
		logged:   cfg.Logged,
	}
	if t.counter == nil {
		t.counter = &t.own
	}
	if t.logged == nil {
		t.logged = &t.ownLogged
	}
	return t
}

// maxWays is the number of entries in a bucket: 4 of 16 bytes, one cache
// line.
const maxWays = 4

// newBuckets returns n empty buckets that start on a 64-byte boundary, so
// that no bucket straddles two cache lines. Go's allocator gives that to the
// power-of-two sizes asked for here except for a pointer-holding object
// above 512 bytes and up to 32 KiB, which it places 8 bytes into its slot,
// behind a type header; buckets of that size are therefore carved from an
// allocation above 32 KiB, which has no header and starts on a page.
// TestBucketsAligned checks every size.
func newBuckets(n int) []bucket {
	b := make([]bucket, n)
	if uintptr(unsafe.Pointer(&b[0]))%64 == 0 {
		return b
	}
	return make([]bucket, max(n, 32<<10/64+1))[:n:n]
}

func roundUp(size int) int {
	switch {
	case size <= 0:
		return DefaultSize
	case size >= MaxSize:
		return MaxSize
	}
	return 1 << bits.Len(uint(size-1))
}

// Window returns the suppression window.
func (t *Table) Window() time.Duration { return time.Duration(t.window) }

// Size returns the number of entries.
func (t *Table) Size() int { return len(t.buckets) * int(t.ways) }

// Ways returns the number of entries in a bucket: 4, or Size for a table of
// fewer entries.
func (t *Table) Ways() int { return int(t.ways) }

// BucketOf returns the bucket that may remember ev, a number below
// Size()/Ways(). Events of different buckets never displace one another;
// the events of one bucket do only once more than Ways() distinct ones have
// used it.
func (t *Table) BucketOf(ev *si.EventRecord) int { return int(Hash(ev) & t.mask) }

// Suppressed returns the number of events suppressed so far (the value of
// Config.Counter when one was given).
func (t *Table) Suppressed() uint64 { return t.counter.Load() }

// Suppress reports whether ev equals an event recorded within the window
// (by the records' timestamps), in which case it counts it and the caller
// must drop it. Otherwise the caller must record ev, which the table may
// remember for later calls. ev must be non-nil and must not change
// afterwards (a remembered record is read by later calls). A record without
// a timestamp is never suppressed. Suppress takes no lock, never waits and
// does not allocate.
func (t *Table) Suppress(ev *si.EventRecord) bool {
	if ev.TimestampNano <= 0 {
		return false
	}
	hash := Hash(ev)
	tag := hash | 1
	b := &t.buckets[hash&t.mask]
	if t.ways == maxWays {
		// The common case, unrolled: no entry of the bucket has ev's tag,
		// so ev is new or long forgotten. Remember it in an empty entry,
		// else in the victim.
		t0, t1, t2, t3 := b[0].tag.Load(), b[1].tag.Load(), b[2].tag.Load(), b[3].tag.Load()
		if t0 != tag && t1 != tag && t2 != tag && t3 != tag {
			var e *entry
			switch {
			case t0 == 0:
				e = &b[0]
			case t1 == 0:
				e = &b[1]
			case t2 == 0:
				e = &b[2]
			case t3 == 0:
				e = &b[3]
			default:
				e = &b[hash>>32&(maxWays-1)]
			}
			e.rec.Store(ev)
			atomicx.StoreRelease(&e.tag, tag)
			return false
		}
	}
	return t.probe(b[:t.ways], ev, hash, tag)
}

// probe is Suppress for a bucket that holds ev's tag (or a bucket of a
// table smaller than maxWays): it looks for an equal record within the
// window, else remembers ev as the protocol says.
func (t *Table) probe(b []entry, ev *si.EventRecord, hash, tag uint64) bool {
	var same, free *entry
	for i := range b {
		e := &b[i]
		switch e.tag.Load() {
		case tag:
			r := e.rec.Load()
			if !Equal(r, ev) {
				continue // a collision or a torn entry: not the proof
			}
			if within(r.TimestampNano, ev.TimestampNano, t.window) {
				t.count(ev, ev.TimestampNano)
				return true
			}
			same = e
		case 0:
			if free == nil {
				free = e // the first empty entry, as Suppress's fast path takes
			}
		}
	}
	e := same
	if e == nil {
		e = free
	}
	if e == nil {
		e = &b[hash>>32&(t.ways-1)]
	}
	e.rec.Store(ev)
	atomicx.StoreRelease(&e.tag, tag)
	return false
}

// within reports whether timestamps a and b differ by less than window.
func within(a, b, window int64) bool {
	d := a - b
	return d < window && d > -window
}

// count counts one suppression of ev, whose time at is positive, and logs
// the first one, then one whenever at is a LogInterval or more after the
// time of the last line, or logRewind or more before it (a line stamped far
// in the future, by a wrong clock or unit, must not silence the log until
// the clock gets there; a producer that is merely behind the others must not
// make every suppression log). No difference here can overflow, both times
// being positive.
func (t *Table) count(ev *si.EventRecord, at int64) {
	n := t.counter.Add(1)
	last := t.lastLog.Load()
	if last != 0 && at-last < t.logEvery && last-at < max(t.logEvery, logRewind) ||
		!t.lastLog.CompareAndSwap(last, at) {
		return
	}
	since := n - t.logged.Swap(n)
	log := t.logger
	if log == nil {
		log = slog.Default()
	}
	log.Info("duplicate events suppressed",
		slog.Uint64("suppressed", n),
		slog.Uint64("sinceLastLog", since),
		slog.Duration("window", time.Duration(t.window)),
		slog.String("type", ev.Type.String()),
		slog.String("objectID", ev.ObjectID),
		slog.String("message", ev.Message))
}

// Hash returns the go-metro hash of the fields that Equal compares. It does
// not allocate and copies nothing.
//
// Each non-empty string field is hashed where it lies (metro.Hash64Str: on
// amd64 an assembly routine that reads the string in place; elsewhere
// Hash64 over a zero-copy []byte view), and so are the unknown fields when
// there are any. Each field has a seed of its own: the three enums packed
// into 64 bits (injectively for every value si defines), XORed with a
// constant per field. The per-field hashes do not depend on one another,
// so the CPU can compute them side by side, and XOR combines them; an empty
// field contributes 0.
//
// Field boundaries: each field is a separate go-metro input under a seed of
// its own, so moving text from one field to the next (("ab", "c") against
// ("a", "bc"), or a value moved to another field) changes the inputs of two
// calls, and the two records then share a hash only by a 64-bit accident,
// like any two different records. No length prefix or separator is added:
// it would not be a guarantee either. The guarantee that a collision never
// suppresses a different event is Equal, which Suppress applies on every
// tag hit (TestFieldBoundaries and FuzzDedupSplit check both).
//
// Why not one call over a key buffer (the design before this one): laying
// the fields out in a stack buffer (zeroing it, four copies) cost about as
// much as hashing them, and go-metro's own cost is mostly per call and per
// 32-byte block, which the buffer does not save; see docs/metrics.md.
func Hash(ev *si.EventRecord) uint64 {
	seed := uint64(uint32(ev.EventChangeDetail)) ^ uint64(uint32(ev.Type))<<32 ^ uint64(uint32(ev.EventChangeType))<<48
	h := hashString(ev.ObjectID, seed^seedObjectID) ^
		hashString(ev.ReferenceID, seed^seedReferenceID) ^
		hashString(ev.Message, seed^seedMessage)
	if u := unknownFields(ev); len(u) != 0 {
		h ^= metro.Hash64(u, seed^seedUnknown)
	}
	return h
}

// hashString is go-metro's hash of s with the given seed, and 0 for the
// empty string (a field left empty costs no call). An empty field stays
// distinguishable from a non-empty one: that one adds a hash, this one
// nothing.
func hashString(s string, seed uint64) uint64 {
	if len(s) == 0 {
		return 0
	}
	return metro.Hash64Str(s, seed)
}

// The per-field seed constants: distinct arbitrary 64-bit values, so that no
// two fields of a record share a seed.
const (
	seedObjectID    = 0x9e3779b97f4a7c15
	seedReferenceID = 0xbf58476d1ce4e5b9
	seedMessage     = 0x94d049bb133111eb
	seedUnknown     = 0xd6e8feb86659fd93
)

// Equal reports whether a and b are equal in the sense of Table: type,
// object ID, reference ID, change type, change detail, message and unknown
// fields. nil equals nothing.
func Equal(a, b *si.EventRecord) bool {
	if a == nil || b == nil {
		return false
	}
	return a.Type == b.Type &&
		a.EventChangeType == b.EventChangeType &&
		a.EventChangeDetail == b.EventChangeDetail &&
		a.ObjectID == b.ObjectID &&
		a.ReferenceID == b.ReferenceID &&
		a.Message == b.Message &&
		bytes.Equal(unknownFields(a), unknownFields(b))
}

// unknownFields returns ev's unknown protobuf fields (where the event
// system's record constructors keep the state), without copying.
//
// Going through ev.ProtoReflect().GetUnknown() costs about as much as
// hashing all the fields (measured: 17-23 ns against 17-25 ns for go-metro
// over 128 bytes), so the slice is read straight from the generated struct's
// unknownFields field, whose offset reflection found once (it is where
// protobuf's own runtime reads it). If a future generated struct lacks the
// field or changes its type, the reflective path is used.
func unknownFields(ev *si.EventRecord) []byte {
	if unknownField.ok {
		return *(*[]byte)(unsafe.Add(unsafe.Pointer(ev), unknownField.offset))
	}
	return unknownFieldsReflect(ev)
}

// unknownFieldsReflect is the reflective path of unknownFields, kept out of
// it so that unknownFields inlines.
func unknownFieldsReflect(ev *si.EventRecord) []byte {
	return ev.ProtoReflect().GetUnknown()
}

// unknownField locates si.EventRecord's unknown-fields slice; set once,
// read-only afterwards.
var unknownField = func() (loc struct {
	offset uintptr
	ok     bool
}) {
	f, found := reflect.TypeFor[si.EventRecord]().FieldByName("unknownFields")
	if found && f.Type == reflect.TypeFor[[]byte]() {
		loc.offset, loc.ok = f.Offset, true
	}
	return loc
}()
