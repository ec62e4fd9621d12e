package baseline

import (
	"sync"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// Store is the batch the publisher collects: a fixed slice behind one Mutex.
// CollectEvents copies the filled part into a new slice and starts over, so
// its cost grows with the batch.
//
// The zero value holds nothing; call NewStore.
type Store struct {
	mu        sync.Mutex
	events    []*si.EventRecord // the batch; [0, filled) are set
	filled    int
	size      uint64 // capacity from the next CollectEvents on
	stored    uint64 // events ever stored
	notStored uint64 // events refused because the batch was full
}

// NewStore returns a store holding up to size events between two collects.
func NewStore(size uint64) *Store {
	return &Store{events: make([]*si.EventRecord, size), size: size}
}

// Store adds ev to the batch, or counts it as not stored when the batch is full.
func (s *Store) Store(ev *si.EventRecord) {
	s.mu.Lock()
	if s.filled == len(s.events) {
		s.notStored++
		s.mu.Unlock()
		return
	}
	s.events[s.filled] = ev
	s.filled++
	s.stored++
	s.mu.Unlock()
}

// CollectEvents returns a copy of the batch, in store order, and empties it.
// A size set with SetStoreSize takes effect here.
func (s *Store) CollectEvents() []*si.EventRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*si.EventRecord, s.filled)
	copy(out, s.events[:s.filled])
	if uint64(len(s.events)) != s.size {
		s.events = make([]*si.EventRecord, s.size)
	}
	s.filled = 0
	return out
}

// CountStoredEvents returns the number of events in the current batch.
func (s *Store) CountStoredEvents() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint64(s.filled)
}

// SetStoreSize sets the capacity that takes effect at the next CollectEvents.
func (s *Store) SetStoreSize(size uint64) {
	s.mu.Lock()
	s.size = size
	s.mu.Unlock()
}

// counts returns the events ever stored and ever refused.
func (s *Store) counts() (stored, notStored uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stored, s.notStored
}
