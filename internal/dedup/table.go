package dedup

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"math"
	"math/bits"
	"reflect"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	metro "github.com/dgryski/go-metro"

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

	// LogInterval is the least time between two log lines. 0 or less means
	// DefaultLogInterval.
	LogInterval time.Duration

	// Counter, when not nil, is the counter each suppression increments
	// (and that Suppressed reports), so that an owner replacing tables keeps
	// one count. nil means a counter of the table's own.
	Counter *atomic.Uint64
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
	entries  []entry
	mask     uint64
	window   int64 // ns
	logEvery int64 // ns
	logger   *slog.Logger
	counter  *atomic.Uint64

	_ cpu.CacheLinePad

	// own is the counter used when Config.Counter is nil.
	own atomic.Uint64

	_ cpu.CacheLinePad

	// lastLog is the event time of the last log line, CASed by the suppression that
	// logs; logged is the count reported then. Touched at most once per
	// suppression (a load) and once per LogInterval (a CAS and a swap).
	lastLog atomic.Int64
	logged  atomic.Uint64

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
// Layout. The table is direct-mapped: the event's go-metro hash over the
// compared fields picks entries[hash&mask]. An entry holds the remembered
// record's pointer (nil: empty) and a tag, the hash of that record (|1, so
// that an empty entry's 0 matches nothing).
//
// Who writes. Any Suppress that decides "record" (no equal, recent record in
// the entry) stores its record pointer, then its tag: two atomic stores,
// overwriting whatever the entry held, expired or not. Nobody waits for
// anybody and nobody claims the entry: two writers racing for one entry may
// leave it torn (one's record, the other's tag) until the next write. A torn
// entry only loses memory, see below. The table forgets older events in
// favour of newer ones: that is the lossy trade-off that keeps it bounded
// and lock-free (a map of every event seen within the window would need a
// lock or unbounded memory, or both).
//
// Who reads. Suppress loads the tag and, only if it is its own hash|1, loads
// the record pointer and compares that record's fields and timestamp with
// the new event's. The tag is a filter that spares most lookups a load of a
// record that is no longer in the cache; it is never the proof. Records are
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
// that sees a new tag usually finds the matching record.
//
// Races between identical events. Two equal events arriving at once both
// find no remembered equal (neither is in the entry yet), so both are
// recorded, and one of them is remembered. Suppression is therefore exact
// for a single producer and may let a few duplicates through under
// concurrency, never the other way round.
//
// Cost. A lookup is the hash (one go-metro call over the fields copied into
// a stack buffer) and one load; a tag hit adds a load and a field
// comparison. Remembering is two atomic stores. There is no CAS: a claim
// would cost as much as a store and buy only fewer torn entries under
// contention, where duplicates may pass anyway.
//
// Wrap-around: none; entries carry no sequence.
//
// Memory. The entries are allocated once by New; Suppress allocates nothing
// (the log line allocates, at most once per LogInterval). An entry keeps its
// record reachable until overwritten, so a table keeps at most Size records
// alive beyond the event history.
type entry struct { // 16 bytes, four to a cache line
	tag atomic.Uint64
	rec atomic.Pointer[si.EventRecord]
}

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
		entries:  make([]entry, n),
		mask:     uint64(n - 1),
		window:   window,
		logEvery: logEvery,
		logger:   cfg.Logger,
		counter:  cfg.Counter,
	}
	if t.counter == nil {
		t.counter = &t.own
	}
	t.lastLog.Store(math.MinInt64 / 2) // the first suppression logs
	return t
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
func (t *Table) Size() int { return len(t.entries) }

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
	e := &t.entries[hash&t.mask]
	tag := hash | 1
	if e.tag.Load() == tag {
		if r := e.rec.Load(); Equal(r, ev) && within(r.TimestampNano, ev.TimestampNano, t.window) {
			t.count(ev, ev.TimestampNano)
			return true
		}
	}
	e.rec.Store(ev)
	e.tag.Store(tag)
	return false
}

// within reports whether timestamps a and b differ by less than window.
func within(a, b, window int64) bool {
	d := a - b
	return d < window && d > -window
}

// count counts one suppression of ev and logs at most once per LogInterval
// (of event time).
func (t *Table) count(ev *si.EventRecord, at int64) {
	n := t.counter.Add(1)
	last := t.lastLog.Load()
	if at-last < t.logEvery || !t.lastLog.CompareAndSwap(last, at) {
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

// hashBuffer is the stack buffer Hash copies the fields into; records
// whose fields do not fit are hashed field by field.
const hashBuffer = 256

// Hash returns the go-metro hash of the fields that Equal compares. It does
// not allocate. The fields are laid out without ambiguity (enums as 4 bytes,
// each string and the unknown fields after their 4-byte length) and hashed
// in one call over whole 32-byte blocks.
func Hash(ev *si.EventRecord) uint64 {
	u := unknownFields(ev)
	n := 7*4 + len(ev.ObjectID) + len(ev.ReferenceID) + len(ev.Message) + len(u)
	if n > hashBuffer {
		return hashFields(ev, u)
	}
	var buf [hashBuffer]byte
	b := buf[:0]
	b = binary.LittleEndian.AppendUint32(b, uint32(ev.Type))
	b = binary.LittleEndian.AppendUint32(b, uint32(ev.EventChangeType))
	b = binary.LittleEndian.AppendUint32(b, uint32(ev.EventChangeDetail))
	b = appendString(b, ev.ObjectID)
	b = appendString(b, ev.ReferenceID)
	b = appendString(b, ev.Message)
	b = append(binary.LittleEndian.AppendUint32(b, uint32(len(u))), u...)
	// Hash whole 32-byte blocks (the rest of buf is zeros): go-metro's
	// tail handling costs more than the padding.
	return metro.Hash64(buf[:(len(b)+31)&^31], 0)
}

func appendString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// hashFields hashes long records field by field, chaining the seeds.
func hashFields(ev *si.EventRecord, u []byte) uint64 {
	seed := uint64(uint32(ev.Type)) | uint64(uint32(ev.EventChangeType))<<21 |
		uint64(uint32(ev.EventChangeDetail))<<42
	h := metro.Hash64Str(ev.ObjectID, seed)
	h = metro.Hash64Str(ev.ReferenceID, h)
	h = metro.Hash64Str(ev.Message, h)
	return metro.Hash64(u, h)
}

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
