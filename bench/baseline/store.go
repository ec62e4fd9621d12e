package baseline

import (
	"sync"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/internal/model"
)

// Store is the batch the publisher collects: the reference design's fixed
// slice (model.Store, the same slice the lock-free store is tested against)
// behind one Mutex. CollectEvents copies the filled part into a new slice
// and starts over, so its cost grows with the batch.
//
// The zero value holds nothing; call NewStore.
type Store struct {
	mu    sync.Mutex
	batch *model.Store // guarded by mu
}

// NewStore returns a store holding up to size events between two collects.
func NewStore(size uint64) *Store {
	return &Store{batch: model.NewStore(size)}
}

// Store adds ev to the batch, or counts it as not stored when the batch is
// full. nil is ignored.
func (s *Store) Store(ev *si.EventRecord) {
	s.mu.Lock()
	s.batch.Store(ev)
	s.mu.Unlock()
}

// CollectEvents returns a copy of the batch, in store order (nil when
// empty), and empties it. A size set with SetStoreSize takes effect here.
func (s *Store) CollectEvents() []*si.EventRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batch.CollectEvents()
}

// CountStoredEvents returns the number of events in the current batch.
func (s *Store) CountStoredEvents() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batch.CountStoredEvents()
}

// SetStoreSize sets the capacity that takes effect at the next CollectEvents.
func (s *Store) SetStoreSize(size uint64) {
	s.mu.Lock()
	s.batch.SetStoreSize(size)
	s.mu.Unlock()
}

// counts returns the events ever stored and ever refused.
func (s *Store) counts() (stored, notStored uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batch.Stats()
}
