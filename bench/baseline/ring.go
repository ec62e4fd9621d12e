package baseline

import (
	"sync"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// Ring is the history: the newest Capacity() events with their IDs, behind
// one RWMutex. Add takes the write lock, so a reader holding the read lock
// for a 1000-event copy stalls the writer, and the writer stalls readers.
//
// The zero value is not usable; call NewRing.
type Ring struct {
	mu       sync.RWMutex
	events   []*si.EventRecord // event with ID k lives at events[k % len(events)]
	capacity uint64            // as asked for in NewRing or Resize
	next     uint64            // ID the next Add hands out
	held     uint64            // number of events held: IDs [next-held, next)
}

// NewRing returns an empty ring holding up to capacity events (0 means 1).
func NewRing(capacity uint64) *Ring {
	if capacity == 0 {
		capacity = 1
	}
	return &Ring{events: make([]*si.EventRecord, capacity), capacity: capacity}
}

// Add appends ev (stored as given, also nil) and returns its ID.
func (r *Ring) Add(ev *si.EventRecord) uint64 {
	r.mu.Lock()
	id := r.next
	r.events[id%r.capacity] = ev
	r.next++
	if r.held < r.capacity {
		r.held++
	}
	r.mu.Unlock()
	return id
}

// bounds returns lowest and highest for the current state; r.mu must be held.
func (r *Ring) bounds() (lowest, highest uint64) {
	if r.held == 0 {
		return 0, 0
	}
	return r.next - r.held, r.next - 1
}

// GetEventsFromID returns the events with IDs id, id+1, ..., at most count
// of them, and the lowest and highest IDs held. An id that is not held gives
// no records. An empty ring reports 0, 0.
func (r *Ring) GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	lowest, highest := r.bounds()
	if r.held == 0 || id < lowest || id >= r.next || count == 0 {
		return nil, lowest, highest
	}
	out := make([]*si.EventRecord, min(count, r.next-id))
	r.copyOut(out, id)
	return out, lowest, highest
}

// copyOut fills out with the events of IDs first, first+1, ..., which must
// be held: one copy up to the end of the slice and one from its start, as
// the reference's read does (one division per read, not one per event).
// r.mu must be held.
func (r *Ring) copyOut(out []*si.EventRecord, first uint64) {
	n := copy(out, r.events[first%r.capacity:])
	copy(out[n:], r.events)
}

// GetRecentEvents returns the newest min(count, held) events, oldest first.
func (r *Ring) GetRecentEvents(count uint64) []*si.EventRecord {
	events, _ := r.recent(count)
	return events
}

// recent returns the newest min(count, held) events and the ID that the next
// Add will hand out, read under one lock so a stream can tell history from
// the events that are still to be published.
func (r *Ring) recent(count uint64) ([]*si.EventRecord, uint64) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := min(count, r.held)
	if n == 0 {
		return nil, r.next
	}
	out := make([]*si.EventRecord, n)
	r.copyOut(out, r.next-n)
	return out, r.next
}

// GetLastEventID returns the newest ID, 0 when empty.
func (r *Ring) GetLastEventID() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, highest := r.bounds()
	return highest
}

// GetLowestID returns the oldest ID held, 0 when empty.
func (r *Ring) GetLowestID() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	lowest, _ := r.bounds()
	return lowest
}

// NextID returns the ID the next Add hands out: the number of events ever added.
func (r *Ring) NextID() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.next
}

// Capacity returns the capacity asked for in NewRing or the last Resize.
func (r *Ring) Capacity() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.capacity
}

// Resize keeps the newest min(capacity, held) events with their IDs. A
// capacity of 0 means 1.
func (r *Ring) Resize(capacity uint64) {
	if capacity == 0 {
		capacity = 1
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if capacity == r.capacity {
		return
	}
	keep := min(capacity, r.held)
	events := make([]*si.EventRecord, capacity)
	for id := r.next - keep; id < r.next; id++ {
		events[id%capacity] = r.events[id%r.capacity]
	}
	r.events, r.capacity, r.held = events, capacity, keep
}
