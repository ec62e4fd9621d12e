package dedup

import (
	"bytes"
	"log/slog"
	"math"
	"math/bits"
	"sync/atomic"
	"time"

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
// compared fields picks entries[hash&mask]. An entry holds one remembered
// record and a tag:
//
//	tag == 0      empty
//	tag == busy   a writer is filling the entry
//	tag odd       holds a record whose hash|1 is tag
//
// Who writes. Any Suppress that decides "record" (no equal, recent record in
// the entry) tries to remember its event there: a CAS of tag from the value
// it read during its lookup to busy makes it the entry's only writer; it
// stores the record pointer, then publishes with the store of its hash|1.
// If the CAS fails (another writer got there first or is filling the entry
// now), or the entry is busy, it leaves without writing: its event is
// recorded all the same, just not remembered. Nobody waits for anybody. A
// writer overwrites whatever the entry held, expired or not: the table
// forgets older events in favour of newer ones, which is the lossy trade-off
// that keeps it bounded and lock-free (a map of every event seen within the
// window would need a lock or unbounded memory, or both).
//
// Who reads. Suppress loads tag and, only if it is its own hash|1, loads the
// record pointer. The tag is a filter, never the proof: between the two
// loads a writer may have replaced the record. The proof is the record
// itself: records are immutable once added, so Suppress compares the
// remembered record's fields and timestamp with the new event's, all read
// from one record. The pointer's atomic store happens after the writer's
// caller built the record, so its fields are visible to whoever loads it. A
// hash collision or a replaced entry therefore never suppresses a different
// event: equal fields within the window, or no suppression.
//
// What publishes what. The busy tag (CAS) claims the entry; the record store
// publishes the pointer and, through it, the record's fields; the final tag
// store opens the entry to lookups. Because writers are exclusive, a quiet
// entry's tag always belongs to its record.
//
// Races between identical events. Two equal events arriving at once both
// find no remembered equal (neither is in the table yet), so both are
// recorded; one of them (or neither, if a third writer holds the entry)
// becomes the remembered one. Suppression is therefore exact for a single
// producer and may let a few duplicates through under concurrency, never the
// other way round. A writer stalled between its claim and its publish keeps
// the entry busy (no lookups hit it, no other writer takes it) until it
// resumes: more duplicates get through meanwhile, nothing else.
//
// Wrap-around: none; tags carry no sequence.
//
// Memory. The entries are allocated once by New; Suppress allocates nothing
// (the log line allocates, at most once per LogInterval). An entry keeps its
// record reachable until overwritten, so a table keeps at most Size records
// alive beyond the event history.
type entry struct { // 16 bytes, four to a cache line
	tag atomic.Uint64
	rec atomic.Pointer[si.EventRecord]
}

// busy is the tag of an entry that a writer is filling (even, not 0).
const busy = 2

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
	at := ev.TimestampNano
	if at <= 0 {
		return false
	}
	hash := Hash(ev)
	e := &t.entries[hash&t.mask]
	h := hash | 1
	tag := e.tag.Load()
	if tag == h {
		if r := e.rec.Load(); Equal(r, ev) && within(r.TimestampNano, at, t.window) {
			t.count(ev, at)
			return true
		}
	}
	// Record: remember ev unless a writer holds the entry.
	if tag != busy && e.tag.CompareAndSwap(tag, busy) {
		e.rec.Store(ev)
		e.tag.Store(h)
	}
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

// Hash returns the go-metro hash of the fields that Equal compares. It does
// not allocate.
func Hash(ev *si.EventRecord) uint64 {
	seed := uint64(uint32(ev.Type)) | uint64(uint32(ev.EventChangeType))<<21 |
		uint64(uint32(ev.EventChangeDetail))<<42
	h := metro.Hash64Str(ev.ObjectID, seed)
	h = metro.Hash64Str(ev.ReferenceID, h)
	h = metro.Hash64Str(ev.Message, h)
	if u := unknownFields(ev); len(u) > 0 {
		h = metro.Hash64(u, h)
	}
	return h
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
func unknownFields(ev *si.EventRecord) []byte {
	return ev.ProtoReflect().GetUnknown()
}
