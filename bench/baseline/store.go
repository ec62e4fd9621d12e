package baseline

import "github.com/lfevents/lfevents/internal/model"

// Store is the batch the publisher collects: one fixed slice behind one
// Mutex (model.LockedStore, the same slice the lock-free store is tested
// against). CollectEvents copies the filled part into a new slice and starts
// over, so its cost grows with the batch. nil records are ignored.
//
// The zero value is not usable; call NewStore.
type Store struct {
	*model.LockedStore
}

// NewStore returns a store holding up to size events between two collects.
func NewStore(size uint64) *Store {
	return &Store{model.NewLockedStore(size)}
}

// counts returns the events ever stored and ever refused.
func (s *Store) counts() (stored, notStored uint64) {
	st := s.Stats()
	return st.Stored, st.NotStored
}
