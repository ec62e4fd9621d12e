package store

import (
	"sync"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// refStore is the obviously correct model of EventStore: a slice under a
// mutex, copied out on collect. It doubles as the impl=mutex of the
// benchmarks (the reference design's store works this way).
//
// Capacity counts IDs: in sequenced mode a nil record takes a place in the
// batch (and is not stored), as in EventStore.
type refStore struct {
	mu        sync.Mutex
	sequenced bool
	size      uint64 // capacity of the current batch
	nextSize  uint64 // capacity from the next collect on
	used      uint64 // IDs placed in the current batch (records and nils)
	events    []*si.EventRecord
	stored    uint64
	notStored uint64
}

func newRefStore(size uint64, sequenced bool) *refStore {
	size = min(size, MaxSize)
	return &refStore{sequenced: sequenced, size: size, nextSize: size}
}

func (r *refStore) Store(ev *si.EventRecord) {
	if ev == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sequenced {
		r.notStored++
		return
	}
	r.placeLocked(ev)
}

func (r *refStore) StoreWithID(_ uint64, ev *si.EventRecord) {
	if !r.sequenced {
		r.Store(ev)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.placeLocked(ev)
}

func (r *refStore) placeLocked(ev *si.EventRecord) {
	if r.used >= r.size {
		r.notStored++
		return
	}
	r.used++
	if ev == nil {
		r.notStored++
		return
	}
	r.events = append(r.events, ev)
	r.stored++
}

func (r *refStore) CollectEvents() []*si.EventRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*si.EventRecord
	if len(r.events) > 0 {
		out = make([]*si.EventRecord, len(r.events))
		copy(out, r.events)
	}
	clear(r.events)
	r.events = r.events[:0]
	r.used = 0
	r.size = r.nextSize
	return out
}

func (r *refStore) CountStoredEvents() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return uint64(len(r.events))
}

func (r *refStore) SetStoreSize(size uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextSize = min(size, MaxSize)
}

func (r *refStore) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Stats{Stored: r.stored, NotStored: r.notStored}
}
