package bench

import (
	"sync"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/system"
)

// lockedEvents is the state of the straightforward event system, the first
// design a reviewer would write instead of ours: a history ring of record
// pointers and a bounded batch for the publisher, both behind one lock (held
// by the wrapping type, see mutexSystem and rwmutexSystem). It has the same
// capacities as the lock-free system and counts the same way: an event is in
// history once added, and stored in the batch unless the batch is full, in
// which case it is counted as not stored. There is no publisher (the
// benchmarks run the lock-free system without one too), so the batch fills
// and then counts.
//
// Every method must be called with the lock held (a read lock is enough for
// read).
type lockedEvents struct {
	slots     []*si.EventRecord // history; the event with ID k is in slots[k % len(slots)]
	pos       int               // next % len(slots), kept to avoid a division per event
	next      uint64            // the ID the next event gets
	batch     []*si.EventRecord // stored events, at most cap(batch)
	notStored uint64            // events refused because the batch was full
}

func newLockedEvents(ringCapacity, requestCapacity uint64) lockedEvents {
	return lockedEvents{
		slots: make([]*si.EventRecord, max(ringCapacity, 1)),
		batch: make([]*si.EventRecord, 0, requestCapacity),
	}
}

// add records ev under the next ID and stores it in the batch if there is
// room.
func (l *lockedEvents) add(ev *si.EventRecord) {
	l.slots[l.pos] = ev
	if l.pos++; l.pos == len(l.slots) {
		l.pos = 0
	}
	l.next++
	if len(l.batch) < cap(l.batch) {
		l.batch = append(l.batch, ev)
	} else {
		l.notStored++
	}
}

// read returns up to count events from ID id on (a new slice: make and copy),
// the lowest ID held and the newest ID (0 when empty), as
// system.EventSystemImpl.GetEventsFromID does.
func (l *lockedEvents) read(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	if l.next == 0 {
		return nil, 0, 0
	}
	lowest := l.next - min(l.next, uint64(len(l.slots)))
	if id < lowest || id >= l.next || count == 0 {
		return nil, lowest, l.next - 1
	}
	n := min(count, l.next-id)
	out := make([]*si.EventRecord, n)
	start := int(id % uint64(len(l.slots)))
	copied := copy(out, l.slots[start:])
	copy(out[copied:], l.slots)
	return out, lowest, l.next - 1
}

// prepare does what AddEvent does to a record before it takes the lock:
// nothing but a length check for the messages of the benchmarks.
func prepare(ev *si.EventRecord) {
	if len(ev.Message) > system.MaxMessageLength {
		ev.Message = ev.Message[:system.MaxMessageLength]
	}
}

// mutexSystem is lockedEvents behind one sync.Mutex: impl=mutex.
type mutexSystem struct {
	mu sync.Mutex
	lockedEvents
}

func newMutexSystem(ringCapacity uint64) *mutexSystem {
	return &mutexSystem{lockedEvents: newLockedEvents(ringCapacity, system.DefaultRequestCapacity)}
}

func (m *mutexSystem) AddEvent(ev *si.EventRecord) {
	if ev == nil {
		return
	}
	prepare(ev)
	m.mu.Lock()
	m.add(ev)
	m.mu.Unlock()
}

// AddEvents records a batch under one lock: what the mutex design does for
// the batch scenario.
func (m *mutexSystem) AddEvents(evs []*si.EventRecord) {
	for _, ev := range evs {
		if ev != nil {
			prepare(ev)
		}
	}
	m.mu.Lock()
	for _, ev := range evs {
		if ev != nil {
			m.add(ev)
		}
	}
	m.mu.Unlock()
}

func (m *mutexSystem) GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.read(id, count)
}

func (m *mutexSystem) inHistory() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.next
}

func (m *mutexSystem) notStoredCount() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.notStored
}

func (m *mutexSystem) dropped() uint64 { return 0 }
func (m *mutexSystem) stop()           {}

// rwmutexSystem is lockedEvents behind a sync.RWMutex: writers take the write
// lock, history reads the read lock and make+copy the pointers. It is the
// history-read scenario's yardstick for what a read of 1000 events costs
// when readers do not validate anything: impl=rwmutex.
type rwmutexSystem struct {
	mu sync.RWMutex
	lockedEvents
}

func newRWMutexSystem(ringCapacity uint64) *rwmutexSystem {
	return &rwmutexSystem{lockedEvents: newLockedEvents(ringCapacity, system.DefaultRequestCapacity)}
}

func (m *rwmutexSystem) AddEvent(ev *si.EventRecord) {
	if ev == nil {
		return
	}
	prepare(ev)
	m.mu.Lock()
	m.add(ev)
	m.mu.Unlock()
}

func (m *rwmutexSystem) GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.read(id, count)
}

func (m *rwmutexSystem) inHistory() uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.next
}

func (m *rwmutexSystem) dropped() uint64 { return 0 }
func (m *rwmutexSystem) stop()           {}
