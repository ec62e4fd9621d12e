package store

import (
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// records returns n distinct records named prefix-0, prefix-1, ...
func records(prefix string, n int) []*si.EventRecord {
	out := make([]*si.EventRecord, n)
	for i := range out {
		out[i] = &si.EventRecord{ObjectID: fmt.Sprintf("%s-%d", prefix, i)}
	}
	return out
}

// seq is an external dense sequence for NewSequenced stores.
type seq struct{ next atomic.Uint64 }

func (q *seq) claim() uint64 { return q.next.Add(1) - 1 }
func (q *seq) peek() uint64  { return q.next.Load() }

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestStoreAndCollect(t *testing.T) {
	tests := []struct {
		name          string
		size          uint64
		stores        int
		wantCollected int
	}{
		{"size 0 holds nothing", 0, 5, 0},
		{"empty store", 10, 0, 0},
		{"below capacity", 10, 3, 3},
		{"exactly full", 4, 4, 4},
		{"beyond capacity", 4, 9, 4},
		{"size 1", 1, 3, 1},
		{"MaxUint64 is clamped", math.MaxUint64, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.size)
			recs := records("r", tt.stores)
			for _, ev := range recs {
				s.Store(ev)
			}
			assert.Equal(t, uint64(tt.wantCollected), s.CountStoredEvents())
			got := s.CollectEvents()
			assert.Equal(t, recs[:tt.wantCollected], append([]*si.EventRecord{}, got...), "store order, trimmed")
			assert.Len(t, got, tt.wantCollected)
			assert.Equal(t, len(got), cap(got), "capped: appending must not reach store memory")
			stats := s.Stats()
			stored, notStored := stats.Stored, stats.NotStored
			assert.Equal(t, uint64(tt.wantCollected), stored)
			assert.Equal(t, uint64(tt.stores-tt.wantCollected), notStored)
			assert.Empty(t, s.CollectEvents(), "second collect is empty")
			assert.Zero(t, s.CountStoredEvents())
		})
	}
}

func TestNilRecords(t *testing.T) {
	t.Run("Store(nil) is ignored", func(t *testing.T) {
		s := New(2)
		s.Store(nil)
		a := &si.EventRecord{ObjectID: "a"}
		s.Store(a)
		s.Store(nil)
		assert.Equal(t, uint64(1), s.CountStoredEvents())
		assert.Equal(t, []*si.EventRecord{a}, s.CollectEvents())
		stats := s.Stats()
		stored, notStored := stats.Stored, stats.NotStored
		assert.Equal(t, uint64(1), stored)
		assert.Zero(t, notStored, "nil is not counted")
	})
	t.Run("StoreWithID(nil) consumes its ID", func(t *testing.T) {
		var q seq
		s := NewSequenced(3, q.peek)
		recs := records("r", 3)
		s.StoreWithID(q.claim(), recs[0])
		s.StoreWithID(q.claim(), nil) // takes a place in the capacity
		s.StoreWithID(q.claim(), recs[1])
		s.StoreWithID(q.claim(), recs[2]) // beyond capacity
		s.StoreWithID(q.claim(), nil)     // beyond capacity too
		assert.Equal(t, uint64(2), s.CountStoredEvents())
		got := s.CollectEvents()
		assert.Equal(t, []*si.EventRecord{recs[0], recs[1]}, append([]*si.EventRecord{}, got...))
		assert.Equal(t, len(got), cap(got))
		stats := s.Stats()
		stored, notStored := stats.Stored, stats.NotStored
		assert.Equal(t, uint64(2), stored)
		assert.Equal(t, uint64(3), notStored)
	})
	t.Run("only nils", func(t *testing.T) {
		var q seq
		s := NewSequenced(3, q.peek)
		s.StoreWithID(q.claim(), nil)
		s.StoreWithID(q.claim(), nil)
		assert.Nil(t, s.CollectEvents())
		stats := s.Stats()
		stored, notStored := stats.Stored, stats.NotStored
		assert.Equal(t, [2]uint64{0, 2}, [2]uint64{stored, notStored})
	})
}

func TestSetStoreSize(t *testing.T) {
	tests := []struct {
		name       string
		initial    uint64
		resized    uint64
		wantBefore int // collected from the batch current at SetStoreSize
		wantAfter  int // collected from the next batch
	}{
		{"grow", 2, 5, 2, 5},
		{"shrink", 5, 2, 5, 2},
		{"to zero", 3, 0, 3, 0},
		{"from zero", 0, 3, 0, 3},
		{"to MaxUint64", 1, math.MaxUint64, 1, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.initial)
			s.SetStoreSize(tt.resized)
			for _, ev := range records("a", 8) {
				s.Store(ev)
			}
			assert.Len(t, s.CollectEvents(), tt.wantBefore, "current batch keeps its size")
			for _, ev := range records("b", 8) {
				s.Store(ev)
			}
			assert.Len(t, s.CollectEvents(), tt.wantAfter, "size applies from the next collect")
		})
	}
}

func TestCollectedSliceIsOwned(t *testing.T) {
	s := New(4)
	first := records("first", 3)
	for _, ev := range first {
		s.Store(ev)
	}
	got := s.CollectEvents()
	require.Len(t, got, 3)
	// Scribble over the caller's slice and append to it; the store must not
	// see any of it, and must not write into it.
	got[0] = nil
	got = append(got, &si.EventRecord{ObjectID: "appended"})
	for round := range 50 {
		batch := records(fmt.Sprintf("round%d", round), 4)
		for _, ev := range batch {
			s.Store(ev)
		}
		assert.Equal(t, batch, append([]*si.EventRecord{}, s.CollectEvents()...))
	}
	assert.Nil(t, got[0])
	assert.Equal(t, []*si.EventRecord{first[1], first[2]}, got[1:3], "store never wrote to it again")
}

func TestZeroValue(t *testing.T) {
	var s EventStore
	s.Store(&si.EventRecord{})
	s.StoreWithID(7, &si.EventRecord{})
	assert.Zero(t, s.CountStoredEvents())
	assert.Nil(t, s.CollectEvents())
	stats := s.Stats()
	stored, notStored := stats.Stored, stats.NotStored
	assert.Equal(t, [2]uint64{0, 2}, [2]uint64{stored, notStored})
	s.SetStoreSize(2)
	s.CollectEvents()
	ev := &si.EventRecord{ObjectID: "kept"}
	s.Store(ev)
	assert.Equal(t, []*si.EventRecord{ev}, s.CollectEvents())
}

func TestStoreOnSequencedStore(t *testing.T) {
	var q seq
	s := NewSequenced(4, q.peek)
	s.Store(&si.EventRecord{}) // cannot be numbered: counted, not stored
	s.Store(nil)               // ignored
	assert.Zero(t, s.CountStoredEvents())
	assert.Nil(t, s.CollectEvents())
	stats := s.Stats()
	stored, notStored := stats.Stored, stats.NotStored
	assert.Equal(t, [2]uint64{0, 1}, [2]uint64{stored, notStored})
}

func TestSequencedOrigin(t *testing.T) {
	var q seq
	q.next.Store(100) // IDs 0..99 were handed out before the store existed
	s := NewSequenced(4, q.peek)
	s.StoreWithID(5, &si.EventRecord{}) // before the origin: ignored
	ev := &si.EventRecord{ObjectID: "first"}
	s.StoreWithID(q.claim(), ev)
	assert.Equal(t, []*si.EventRecord{ev}, s.CollectEvents())
	stats := s.Stats()
	stored, notStored := stats.Stored, stats.NotStored
	assert.Equal(t, [2]uint64{1, 0}, [2]uint64{stored, notStored})
}

func TestNilSequenceIsPlainStore(t *testing.T) {
	s := NewSequenced(2, nil)
	a, b := &si.EventRecord{ObjectID: "a"}, &si.EventRecord{ObjectID: "b"}
	s.StoreWithID(42, a) // the ID is ignored on a plain store
	s.Store(b)
	assert.Equal(t, []*si.EventRecord{a, b}, s.CollectEvents())
}

// TestWriterFixesPendingBase walks the protocol by hand: a collector has
// installed a batch with a pending base (step 1) and is delayed; a writer
// that loads it must fix the base, and its own event (claimed before the
// install) lands in the old batch.
func TestWriterFixesPendingBase(t *testing.T) {
	s := New(4)
	a, b, c := &si.EventRecord{ObjectID: "a"}, &si.EventRecord{ObjectID: "b"}, &si.EventRecord{ObjectID: "c"}
	s.Store(a)

	// Step (1) of a collect, by hand.
	old := s.cur.Load()
	next := s.carve(4)
	next.prev.Store(old)
	next.base.Store(pending)
	s.cur.Store(next)

	s.Store(b) // claims ID 1, sees pending: fixes the base at next() = 2
	assert.Equal(t, uint64(2), next.base.Load())
	s.Store(c) // ID 2 belongs to the new batch
	assert.Equal(t, []*si.EventRecord{a, b, nil, nil}, old.slots)
	assert.Equal(t, c, next.slots[0])

	// The collector's own fixBase agrees with the writer's.
	assert.Equal(t, uint64(2), s.fixBase(next))
	assert.Equal(t, uint64(1), s.CountStoredEvents())
}

// beginCollect is step (1) of a collect by hand: the fresh batch is current
// with a pending base, and the collector is delayed before fixing it.
func beginCollect(s *EventStore) (old, next *batch) {
	s.collectMu.Lock()
	old = s.cur.Load()
	next = s.carve(s.size.Load())
	next.prev.Store(old)
	next.base.Store(pending)
	s.cur.Store(next)
	return old, next
}

// TestDelayedWriters plays interleavings of a collect with writers delayed
// between claiming their ID and loading, or using, the current batch. Each
// writer's event must be handed out exactly when it is within the old
// batch's capacity, and never be written into a handed-out batch.
func TestDelayedWriters(t *testing.T) {
	x, y, z := &si.EventRecord{ObjectID: "x"}, &si.EventRecord{ObjectID: "y"}, &si.EventRecord{ObjectID: "z"}
	tests := []struct {
		name      string
		size      uint64
		play      func(s *EventStore, old, next *batch) // between steps (1) and (3)
		want      []*si.EventRecord
		wantNext  []*si.EventRecord
		wantStats [2]uint64
	}{
		{
			// Y claimed first but loads the batch only after the install and
			// fixes the base; X claimed later but loaded the old batch before
			// the install. The boundary must cover X (next(), not Y's ID+1).
			name: "stale pointer below the boundary",
			size: 4,
			play: func(s *EventStore, old, _ *batch) {
				idY, idX := s.ownNext.Add(1)-1, s.ownNext.Add(1)-1
				s.placeIn(s.current(), idY, y)
				s.placeIn(old, idX, x)
				s.Store(z) // claimed after the boundary: next batch
			},
			want:      []*si.EventRecord{y, x},
			wantNext:  []*si.EventRecord{z},
			wantStats: [2]uint64{3, 0},
		},
		{
			name: "stale pointer beyond capacity",
			size: 1,
			play: func(s *EventStore, old, _ *batch) {
				idY, idX := s.ownNext.Add(1)-1, s.ownNext.Add(1)-1
				s.placeIn(old, idY, y)
				s.placeIn(old, idX, x) // slot 1 >= capacity 1: not stored
				s.Store(z)             // fixes the base past its own ID: old batch, full
			},
			want:      []*si.EventRecord{y},
			wantNext:  nil,
			wantStats: [2]uint64{1, 2},
		},
		{
			name: "collector fixes the base first",
			size: 4,
			play: func(s *EventStore, old, next *batch) {
				idX := s.ownNext.Add(1) - 1
				s.fixBase(next)
				s.placeIn(old, idX, x)
				s.Store(y)
				s.Store(z)
			},
			want:      []*si.EventRecord{x},
			wantNext:  []*si.EventRecord{y, z},
			wantStats: [2]uint64{3, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.size)
			old, next := beginCollect(s)
			tt.play(s, old, next)
			s.fixBase(next)
			got := s.handOut(old, next)
			s.collectMu.Unlock()
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantNext, s.CollectEvents())
			stats := s.Stats()
			stored, notStored := stats.Stored, stats.NotStored
			assert.Equal(t, tt.wantStats, [2]uint64{stored, notStored})
		})
	}
}

// TestCollectWaitsForClaimedSlot: a writer that claimed a slot in the old
// batch and writes only after the collect began is waited for.
func TestCollectWaitsForClaimedSlot(t *testing.T) {
	s := New(4)
	a, x := &si.EventRecord{ObjectID: "a"}, &si.EventRecord{ObjectID: "x"}
	idX := s.ownNext.Add(1) - 1
	stale := s.cur.Load()
	s.Store(a)
	got := make(chan []*si.EventRecord)
	go func() { got <- s.CollectEvents() }()
	for s.cur.Load() == stale {
		runtime.Gosched() // until the collector installed the new batch
	}
	s.placeIn(stale, idX, x)
	assert.Equal(t, []*si.EventRecord{x, a}, <-got)
}

// TestLateWriterBeyondCapacity: a writer whose batch was handed out and
// unlinked finds prev == nil and stores nothing.
func TestLateWriterBeyondCapacity(t *testing.T) {
	var q seq
	s := NewSequenced(2, q.peek)
	recs := records("r", 2)
	s.StoreWithID(q.claim(), recs[0])
	s.StoreWithID(q.claim(), recs[1])
	late := q.claim() // claimed, beyond capacity, not yet stored
	got := s.CollectEvents()
	require.Len(t, got, 2)
	newer := &si.EventRecord{ObjectID: "newer"}
	s.StoreWithID(q.claim(), newer)
	s.StoreWithID(late, &si.EventRecord{ObjectID: "late"}) // routes to nil
	assert.Equal(t, recs, got, "the handed-out batch is untouched")
	assert.Equal(t, []*si.EventRecord{newer}, s.CollectEvents())
	stats := s.Stats()
	stored, notStored := stats.Stored, stats.NotStored
	assert.Equal(t, [2]uint64{3, 1}, [2]uint64{stored, notStored})
}

// TestCollectUnlinksHandedOutBatch: the store keeps no reference to a batch
// it handed out, so the caller's slice is the only thing keeping it alive.
func TestCollectUnlinksHandedOutBatch(t *testing.T) {
	s := New(2)
	for round := range 3 {
		s.Store(&si.EventRecord{})
		require.Len(t, s.CollectEvents(), 1, "round %d", round)
		assert.Nil(t, s.cur.Load().prev.Load(), "round %d", round)
	}
}

func TestRouteToUnlinkedBatch(t *testing.T) {
	b := new(batch)
	b.base.Store(10)
	s := New(1)
	got, _ := s.route(b, 3)
	assert.Nil(t, got)
}

// TestArenaReuse checks the memory plan: small batches are carved one after
// another from the same arena, and a handed-out slice never overlaps a later
// batch.
func TestArenaReuse(t *testing.T) {
	s := New(8)
	var batches [][]*si.EventRecord
	for round := range 40 {
		n := round % 9
		for _, ev := range records(fmt.Sprintf("round%d", round), n) {
			s.Store(ev)
		}
		got := s.CollectEvents()
		require.Len(t, got, min(n, 8))
		batches = append(batches, got)
	}
	for i, got := range batches {
		n := i % 9
		for j, ev := range got {
			assert.Equal(t, fmt.Sprintf("round%d-%d", i, j), ev.ObjectID, "batch %d intact", i)
		}
		assert.Len(t, got, n)
	}
}

// TestStatsBetweenLedgerAndUnlink: between steps (4) and (5) of a collect
// the ledger already counts the batch being handed out while it is still
// linked behind the current batch. Stats must count it once.
func TestStatsBetweenLedgerAndUnlink(t *testing.T) {
	for _, size := range []uint64{0, 1, 2, 8} {
		s := New(size)
		for _, ev := range records("r", 5) {
			s.Store(ev)
		}
		want := s.Stats()
		require.Equal(t, uint64(5), want.Stored+want.NotStored)
		var during Stats
		s.afterLedger = func() {
			require.NotNil(t, s.cur.Load().prev.Load(), "the old batch is still linked")
			during = s.Stats()
		}
		got := s.CollectEvents()
		s.afterLedger = nil
		assert.Len(t, got, int(min(size, 5)))
		assert.Equal(t, want, during, "size %d", size)
		assert.Equal(t, want, s.Stats(), "size %d", size)
	}
}

// TestStatsRetriesWhenACollectCompletes: a whole collect between Stats
// loading the ledger and walking the batches must not make the handed-out
// batch vanish from the counters: Stats notices the new ledger and retries.
func TestStatsRetriesWhenACollectCompletes(t *testing.T) {
	var q seq
	s := NewSequenced(2, q.peek)
	recs := records("r", 3)
	for _, ev := range recs {
		s.StoreWithID(q.claim(), ev)
	}
	var collected []*si.EventRecord
	s.statsLedgerLoaded = func() {
		s.statsLedgerLoaded = nil // one collect, in the first attempt only
		collected = s.CollectEvents()
	}
	assert.Equal(t, Stats{Stored: 2, NotStored: 1}, s.Stats())
	assert.Equal(t, recs[:2], collected)
}

// TestSequenceGoingBackDoesNotHangCollect: a sequence that breaks its
// contract and goes back below the current batch's base must not give the
// next batch a lower base: the collector would then wait for slots of IDs
// that are not the batch's (a hang), or hand out slots twice.
func TestSequenceGoingBackDoesNotHangCollect(t *testing.T) {
	var q seq
	q.next.Store(10)
	s := NewSequenced(4, q.peek)
	a := &si.EventRecord{ObjectID: "a"}
	s.StoreWithID(q.claim(), a) // ID 10
	q.next.Store(5)             // misbehaves
	got := collect(t, s)
	assert.NotContains(t, got, (*si.EventRecord)(nil))
	assert.Nil(t, collect(t, s))
}
