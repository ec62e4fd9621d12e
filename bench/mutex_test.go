package bench

import (
	"sync"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/system"
)

// lockedEvents is the state of the straightforward event system, the first
// design a reviewer would write instead of ours: a history ring of record
// pointers and a bounded batch for the publisher, both behind one lock (held
// by the wrapping type, see lockedSystem). It has the same
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

// lockedSystem is lockedEvents behind one lock: a sync.Mutex (impl=mutex,
// newMutexSystem), or a sync.RWMutex whose writers take the write lock and
// whose history reads take the read lock and make+copy the pointers
// (impl=rwmutex, newRWMutexSystem: the history-read scenario's yardstick for
// what a read of 1000 events costs when readers validate nothing). Both run
// this code and differ only in the lock.
//
// The mutex is the strongest baseline measured, so its writes keep the
// inlined fast paths of Lock and Unlock and cost about what they did as a
// type of their own: AddEvent and AddEvents branch on rw themselves (a lock
// helper holding both locks' calls is too large for the compiler to inline;
// an interface or a type parameter would call the lock indirectly), and
// AddEvent leaves the RWMutex path to addRW, a call, so that the mutex path
// spills no registers for it. Under cachegrind that is 66 instructions per
// AddEvent against 64 for a mutex-only type. Reads, a copy of up to 1000
// pointers each, go through rlock and runlock.
type lockedSystem struct {
	mu sync.Mutex
	rw *sync.RWMutex // impl=rwmutex: the lock (mu unused); nil for impl=mutex
	lockedEvents
}

func newMutexSystem(ringCapacity uint64) *lockedSystem {
	return &lockedSystem{lockedEvents: newLockedEvents(ringCapacity, system.DefaultRequestCapacity)}
}

func newRWMutexSystem(ringCapacity uint64) *lockedSystem {
	s := newMutexSystem(ringCapacity)
	s.rw = new(sync.RWMutex)
	return s
}

func (m *lockedSystem) AddEvent(ev *si.EventRecord) {
	if ev == nil {
		return
	}
	prepare(ev)
	if m.rw != nil {
		m.addRW(ev)
		return
	}
	m.mu.Lock()
	m.add(ev)
	m.mu.Unlock()
}

// addRW is AddEvent's write under the RWMutex.
func (m *lockedSystem) addRW(ev *si.EventRecord) {
	m.rw.Lock()
	m.add(ev)
	m.rw.Unlock()
}

// AddEvents records a batch under one lock: what the mutex design does for
// the batch scenario.
func (m *lockedSystem) AddEvents(evs []*si.EventRecord) {
	for _, ev := range evs {
		if ev != nil {
			prepare(ev)
		}
	}
	if m.rw != nil {
		m.rw.Lock()
		defer m.rw.Unlock()
	} else {
		m.mu.Lock()
		defer m.mu.Unlock()
	}
	for _, ev := range evs {
		if ev != nil {
			m.add(ev)
		}
	}
}

// rlock takes the lock for reading: the read lock of rw, or mu.
func (m *lockedSystem) rlock() {
	if m.rw != nil {
		m.rw.RLock()
	} else {
		m.mu.Lock()
	}
}

// runlock releases what rlock took.
func (m *lockedSystem) runlock() {
	if m.rw != nil {
		m.rw.RUnlock()
	} else {
		m.mu.Unlock()
	}
}

func (m *lockedSystem) GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	m.rlock()
	defer m.runlock()
	return m.read(id, count)
}

func (m *lockedSystem) inHistory() uint64 {
	m.rlock()
	defer m.runlock()
	return m.next
}

func (m *lockedSystem) notStoredCount() uint64 {
	m.rlock()
	defer m.runlock()
	return m.notStored
}

func (m *lockedSystem) dropped() uint64 { return 0 }
func (m *lockedSystem) stop()           {}
