package fuzz

import (
	"math"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/ring"
)

// ringModel is the obviously correct history: it keeps every event ever added
// and applies the window rules of SPEC 4.1 literally. lowest is
// max(floor, next-capacity), where floor is the lowest ID held at the last
// Resize (so events displaced under a small capacity do not come back when
// the buffer grows).
type ringModel struct {
	capacity uint64
	floor    uint64
	events   []*si.EventRecord // events[id] was added as ID id
}

func newRingModel(capacity uint64) *ringModel {
	return &ringModel{capacity: max(capacity, 1)}
}

func (m *ringModel) next() uint64 { return uint64(len(m.events)) }

func (m *ringModel) lowest() uint64 {
	if m.next() > m.capacity {
		return max(m.floor, m.next()-m.capacity)
	}
	return m.floor
}

func (m *ringModel) highest() uint64 {
	if m.next() == 0 {
		return 0
	}
	return m.next() - 1
}

func (m *ringModel) add(ev *si.EventRecord) uint64 {
	m.events = append(m.events, ev)
	return m.next() - 1
}

func (m *ringModel) fromID(id, count uint64) []*si.EventRecord {
	low, next := m.lowest(), m.next()
	if id < low || id >= next || count == 0 {
		return nil
	}
	return m.events[id : id+min(count, next-id)]
}

func (m *ringModel) recent(count uint64) []*si.EventRecord {
	low, next := m.lowest(), m.next()
	return m.events[next-min(count, next-low) : next]
}

func (m *ringModel) resize(n uint64) {
	m.floor = m.lowest()
	m.capacity = max(n, 1)
}

// Ring operations, one byte each (mod ringOpCount), followed by their
// arguments.
const (
	ringAdd      = iota // Add a record (every 8th tag: nil)
	ringAddBurst        // Add up to 255 records at once: forces laps
	ringFromID          // GetEventsFromID(id near the window, count)
	ringRecent          // GetRecentEvents(count)
	ringResize          // Resize(capacity), 0 and 1 included
	ringAppend          // AppendEventsFromID onto a non-empty dst
	ringOpCount
)

// FuzzRing holds ring.Buffer against ringModel, one goroutine, checking the
// whole observable state after every operation.
func FuzzRing(f *testing.F) {
	f.Add([]byte{1, ringAddBurst, 10, ringFromID, 0, 3})
	f.Add([]byte{0, ringAdd, ringFromID, 0, 5, ringRecent, 2})
	f.Add([]byte{3, ringAddBurst, 20, ringResize, 0, ringRecent, 200, ringResize, 40, ringAddBurst, 3, ringRecent, 2})
	f.Add([]byte{8, ringAddBurst, 200, ringResize, 3, ringResize, 17, ringAddBurst, 30, ringFromID, 1, 9})
	f.Add([]byte{255, 1, ringAddBurst, 255, ringAddBurst, 255, ringResize, 2, ringAppend, 8, 40})
	f.Fuzz(func(t *testing.T, data []byte) {
		o := newOps(data)
		capacity := o.capacity()
		b := ring.New(capacity)
		m := newRingModel(capacity)
		checkRing(t, b, m, "after New(%d)", capacity)
		tag := int64(0)
		newRec := func() *si.EventRecord {
			tag++
			if tag%8 == 0 {
				return nil
			}
			return rec(tag)
		}
		for step := 0; !o.done(); step++ {
			switch op := o.intn(ringOpCount); op {
			case ringAdd:
				ev := newRec()
				requireEqualU64(t, m.add(ev), b.Add(ev), "step %d: Add returns the next ID", step)
			case ringAddBurst:
				for n := o.byte(); n > 0; n-- {
					ev := newRec()
					requireEqualU64(t, m.add(ev), b.Add(ev), "step %d: Add returns the next ID", step)
				}
			case ringFromID:
				id, count := o.idNear(m.lowest(), m.next()), o.count()
				evs, low, high := b.GetEventsFromID(id, count)
				requireSame(t, m.fromID(id, count), evs, "step %d: GetEventsFromID(%d, %d)", step, id, count)
				require.Equal(t, m.lowest(), low, "step %d: lowest of GetEventsFromID(%d, %d)", step, id, count)
				require.Equal(t, m.highest(), high, "step %d: highest of GetEventsFromID(%d, %d)", step, id, count)
			case ringRecent:
				count := o.count()
				requireSame(t, m.recent(count), b.GetRecentEvents(count), "step %d: GetRecentEvents(%d)", step, count)
			case ringResize:
				n := o.capacity()
				b.Resize(n)
				m.resize(n)
			case ringAppend:
				prefix := []*si.EventRecord{rec(-2), rec(-3)}
				dst := append(make([]*si.EventRecord, 0, int(o.byte())), prefix...)
				id, count := o.idNear(m.lowest(), m.next()), o.count()
				got, low, high := b.AppendEventsFromID(dst, id, count)
				want := append(append([]*si.EventRecord(nil), prefix...), m.fromID(id, count)...)
				requireSame(t, want, got, "step %d: AppendEventsFromID(dst, %d, %d)", step, id, count)
				require.Equal(t, m.lowest(), low, "step %d: lowest of AppendEventsFromID", step)
				require.Equal(t, m.highest(), high, "step %d: highest of AppendEventsFromID", step)
			}
			checkRing(t, b, m, "step %d", step)
		}
	})
}

// checkRing compares everything a caller can observe without changing the
// buffer: the counters and the whole window.
func checkRing(t *testing.T, b *ring.Buffer, m *ringModel, msg string, args ...any) {
	t.Helper()
	where := func(what string) []any { return append([]any{msg + ": " + what}, args...) }
	requireEqualU64(t, m.capacity, b.Capacity(), where("Capacity")...)
	requireEqualU64(t, m.lowest(), b.GetLowestID(), where("GetLowestID")...)
	requireEqualU64(t, m.highest(), b.GetLastEventID(), where("GetLastEventID")...)
	requireEqualU64(t, m.next(), b.NextID(), where("NextID")...)
	requireEqualU64(t, m.next(), b.ReadEnd(), where("ReadEnd")...)
	if m.next()-m.lowest() > m.capacity {
		require.LessOrEqual(t, m.next()-m.lowest(), m.capacity, where("model window within capacity")...)
	}
	evs, _, _ := b.GetEventsFromID(m.lowest(), math.MaxUint64)
	requireSame(t, m.fromID(m.lowest(), math.MaxUint64), evs, where("whole window")...)
	requireSame(t, m.recent(math.MaxUint64), b.GetRecentEvents(math.MaxUint64), where("GetRecentEvents(MaxUint64)")...)
}
