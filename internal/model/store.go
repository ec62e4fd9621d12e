package model

import (
	"sync"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// Store is the reference batch store, and the reference design's own: one
// fixed slice per batch, filled in ID order and copied out on collect. Its
// methods are those of store.EventStore with the same single-goroutine
// results, except that it takes any size (store.EventStore clamps to
// store.MaxSize; the caller clamps when it compares the two).
//
// A plain store numbers records itself, in the order of Store calls. A
// sequenced one takes IDs from StoreWithID: a record lands at slot
// id - base of the current batch, a nil record or an ID past the batch's
// capacity is counted as not stored, an ID below the sequence's value at
// creation is ignored (not counted), and Store is refused and counted.
type Store struct {
	seq       func() uint64     // sequenced: the ID the next claim takes; nil: plain
	origin    uint64            // sequenced: seq() at creation; lower IDs are ignored
	slots     []*si.EventRecord // the current batch; slots[id-base]; len = its capacity
	base      uint64            // the ID of slots[0]
	next      uint64            // plain: the ID the next Store takes
	held      uint64            // records in slots
	size      uint64            // the capacity of the batches from the next collect on
	stored    uint64
	notStored uint64
}

// NewStore returns a plain store of batches of size records.
func NewStore(size uint64) *Store {
	return &Store{slots: make([]*si.EventRecord, size), size: size}
}

// NewSequencedStore returns a store whose IDs come from StoreWithID; seq
// returns the ID the next claim of the external sequence would take, and
// marks where each new batch starts.
func NewSequencedStore(size uint64, seq func() uint64) *Store {
	s := NewStore(size)
	s.seq, s.base = seq, seq()
	s.origin = s.base
	return s
}

// Store adds ev to the current batch (plain), or counts it as not stored
// (full batch, or a sequenced store). nil is ignored.
func (s *Store) Store(ev *si.EventRecord) {
	switch {
	case ev == nil:
	case s.seq != nil:
		s.notStored++
	default:
		s.place(s.next, ev)
		s.next++
	}
}

// StoreWithID places ev under id (sequenced); a plain store ignores id.
func (s *Store) StoreWithID(id uint64, ev *si.EventRecord) {
	switch {
	case s.seq == nil:
		s.Store(ev)
	case id < s.origin: // before the store's time: not its ID
	default:
		s.place(id, ev)
	}
}

func (s *Store) place(id uint64, ev *si.EventRecord) {
	if ev == nil || id-s.base >= uint64(len(s.slots)) {
		s.notStored++
		return
	}
	s.slots[id-s.base] = ev
	s.held++
	s.stored++
}

// CollectEvents returns the current batch in ID order (nil when empty) and
// starts the next one, with the size last set.
func (s *Store) CollectEvents() []*si.EventRecord {
	var out []*si.EventRecord
	if s.seq == nil {
		used := min(s.next-s.base, uint64(len(s.slots))) // no holes: nil is never placed
		if used > 0 {
			out = make([]*si.EventRecord, used)
			copy(out, s.slots[:used])
		}
		s.base = s.next
	} else {
		for i, ev := range s.slots {
			if ev != nil {
				out = append(out, ev)
				s.slots[i] = nil
			}
		}
		s.base = s.seq()
	}
	s.held = 0
	if uint64(len(s.slots)) != s.size {
		s.slots = make([]*si.EventRecord, s.size)
	}
	return out
}

// CountStoredEvents is the number of records in the current batch.
func (s *Store) CountStoredEvents() uint64 { return s.held }

// SetStoreSize sets the capacity of the batches from the next collect on.
func (s *Store) SetStoreSize(size uint64) { s.size = size }

// Stats are a store's counters since it was created (the fields of
// store.Stats).
type Stats struct {
	Stored    uint64 // records that went into a batch
	NotStored uint64 // records (and, sequenced, IDs) counted as not stored
}

// Stats returns the counters.
func (s *Store) Stats() Stats { return Stats{Stored: s.stored, NotStored: s.notStored} }

// LockedStore is a Store behind one Mutex: the obviously correct concurrent
// store, and the reference design's architecture (bench/baseline.Store is
// one). Every method takes the lock for the whole call.
type LockedStore struct {
	mu    sync.Mutex
	batch *Store // guarded by mu
}

// NewLockedStore returns a plain LockedStore of batches of size records.
func NewLockedStore(size uint64) *LockedStore { return &LockedStore{batch: NewStore(size)} }

// Store is Store.Store under the lock.
func (s *LockedStore) Store(ev *si.EventRecord) {
	s.mu.Lock()
	s.batch.Store(ev)
	s.mu.Unlock()
}

// CollectEvents is Store.CollectEvents under the lock.
func (s *LockedStore) CollectEvents() []*si.EventRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batch.CollectEvents()
}

// CountStoredEvents is Store.CountStoredEvents under the lock.
func (s *LockedStore) CountStoredEvents() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batch.CountStoredEvents()
}

// SetStoreSize is Store.SetStoreSize under the lock.
func (s *LockedStore) SetStoreSize(size uint64) {
	s.mu.Lock()
	s.batch.SetStoreSize(size)
	s.mu.Unlock()
}

// Stats is Store.Stats under the lock.
func (s *LockedStore) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batch.Stats()
}
