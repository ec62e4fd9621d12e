package model

import (
	"slices"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// Ring is the reference history: it keeps every event ever added and derives
// the window with Lowest. Its methods are those of ring.Buffer with the same
// results; capacity 0 counts as 1, as in ring.New. ring.New and Resize also
// cap the capacity at ring.MaxCapacity, which Ring does not: compare them
// with capacities below it.
type Ring struct {
	capacity uint64
	floor    uint64            // the lowest ID held at the last Resize
	events   []*si.EventRecord // events[id] was added under ID id
}

// NewRing returns an empty history of capacity events.
func NewRing(capacity uint64) *Ring { return &Ring{capacity: max(capacity, 1)} }

// Add appends ev (nil included) and returns its ID.
func (m *Ring) Add(ev *si.EventRecord) uint64 {
	m.events = append(m.events, ev)
	return m.NextID() - 1
}

// AddBatch appends the non-nil records of evs under consecutive IDs and
// returns the first and how many (first is NextID when there are none).
func (m *Ring) AddBatch(evs []*si.EventRecord) (first, n uint64) {
	first = m.NextID()
	for _, ev := range evs {
		if ev != nil {
			m.Add(ev)
		}
	}
	return first, m.NextID() - first
}

// NextID is the ID the next Add returns.
func (m *Ring) NextID() uint64 { return uint64(len(m.events)) }

// Capacity is the number of events kept.
func (m *Ring) Capacity() uint64 { return m.capacity }

// GetLowestID is the lowest ID held (0 when empty).
func (m *Ring) GetLowestID() uint64 { return Lowest(m.floor, m.NextID(), m.capacity) }

// GetLastEventID is the highest ID held (0 when empty).
func (m *Ring) GetLastEventID() uint64 { return max(m.NextID(), 1) - 1 }

// GetEventsFromID returns up to count events from id on, and the lowest and
// highest IDs held; nothing when id is outside the window.
func (m *Ring) GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	return m.AppendEventsFromID(nil, id, count)
}

// AppendEventsFromID is GetEventsFromID appending to dst.
func (m *Ring) AppendEventsFromID(dst []*si.EventRecord, id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	low, next := m.GetLowestID(), m.NextID()
	if id >= low && id < next && count > 0 {
		dst = append(dst, m.events[id:id+min(count, next-id)]...)
	}
	return dst, low, m.GetLastEventID()
}

// GetRecentEvents returns the newest count events held, oldest first, in a
// slice of the caller's (nil when there are none).
func (m *Ring) GetRecentEvents(count uint64) []*si.EventRecord {
	low, next := m.GetLowestID(), m.NextID()
	n := min(count, next-low)
	if n == 0 {
		return nil
	}
	return slices.Clone(m.events[next-n : next])
}

// Resize keeps capacity events from now on (0 counts as 1).
func (m *Ring) Resize(capacity uint64) {
	m.floor = m.GetLowestID()
	m.capacity = max(capacity, 1)
}
