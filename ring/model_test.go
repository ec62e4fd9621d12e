package ring

import "github.com/apache/yunikorn-scheduler-interface/lib/go/si"

// model is the obviously correct history the Buffer is checked against: it
// keeps every event ever added and derives the window from the rules of SPEC
// 4.1 directly. Single goroutine only.
type model struct {
	capacity uint64
	floor    uint64
	events   []*si.EventRecord // events[id] is the event with that ID
}

func newModel(capacity uint64) *model {
	return &model{capacity: max(capacity, 1)}
}

func (m *model) next() uint64 { return uint64(len(m.events)) }

func (m *model) lowest() uint64 {
	low := m.floor
	if m.next() > m.capacity {
		low = max(low, m.next()-m.capacity)
	}
	return low
}

func (m *model) highest() uint64 {
	if m.next() == 0 {
		return 0
	}
	return m.next() - 1
}

func (m *model) Add(ev *si.EventRecord) uint64 {
	m.events = append(m.events, ev)
	return m.next() - 1
}

func (m *model) GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	low, next := m.lowest(), m.next()
	if id < low || id >= next || count == 0 {
		return nil, low, m.highest()
	}
	end := next
	if next-id > count {
		end = id + count
	}
	return m.events[id:end], low, m.highest()
}

func (m *model) GetRecentEvents(count uint64) []*si.EventRecord {
	low, next := m.lowest(), m.next()
	n := min(count, next-low)
	if n == 0 {
		return nil
	}
	return m.events[next-n : next]
}

func (m *model) Resize(n uint64) {
	m.floor = m.lowest()
	m.capacity = max(n, 1)
}
