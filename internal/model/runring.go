package model

import (
	"fmt"
	"math"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// History is what RunRing drives: the single-goroutine API of ring.Buffer,
// which Ring implements too.
type History interface {
	Add(ev *si.EventRecord) uint64
	AddBatch(evs []*si.EventRecord) (first, n uint64)
	GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64)
	AppendEventsFromID(dst []*si.EventRecord, id, count uint64) ([]*si.EventRecord, uint64, uint64)
	GetRecentEvents(count uint64) []*si.EventRecord
	Resize(capacity uint64)
	Capacity() uint64
	GetLowestID() uint64
	GetLastEventID() uint64
	NextID() uint64
}

// Ring operations, one byte each (mod ringOpCount), followed by their
// arguments.
const (
	RingAdd      = iota // Add a record (every 8th tag: nil)
	RingAddBurst        // Add up to 255 records at once: forces laps (op byte >= 128: one AddBatch)
	RingFromID          // GetEventsFromID(id near the window, count)
	RingRecent          // GetRecentEvents(count)
	RingResize          // Resize(capacity), 0 and 1 included
	RingAppend          // AppendEventsFromID onto a non-empty dst
	ringOpCount

	// RingAddBatch is RingAddBurst with an op byte >= 128: the burst is one
	// AddBatch (nil entries get no ID).
	RingAddBatch = RingAddBurst + 22*ringOpCount
)

// RunRing decodes data into a capacity and a sequence of ring operations,
// applies them to newHistory(capacity) and to a Ring, and returns the first
// difference: a result of an operation, or, after each one, anything a
// caller can observe without changing the history (counters, the whole
// window, record identity). nil means none.
func RunRing(data []byte, newHistory func(capacity uint64) History) error {
	o := NewOps(data)
	capacity := o.Capacity()
	b, m := newHistory(capacity), NewRing(capacity)
	if err := compareRing(b, m); err != nil {
		return fmt.Errorf("after New(%d): %w", capacity, err)
	}
	newRec := records(8)
	for step := 0; !o.Done(); step++ {
		var err error
		op := o.Byte()
		switch int(op) % ringOpCount {
		case RingAdd:
			ev := newRec()
			err = equal("Add", m.Add(ev), b.Add(ev))
		case RingAddBurst:
			n := int(o.Byte())
			if op >= 128 {
				evs := make([]*si.EventRecord, n)
				for i := range evs {
					evs[i] = newRec()
				}
				wantFirst, wantN := m.AddBatch(evs)
				first, got := b.AddBatch(evs)
				if err = equal("AddBatch: first", wantFirst, first); err == nil {
					err = equal("AddBatch: n", wantN, got)
				}
				break
			}
			for ; n > 0 && err == nil; n-- {
				ev := newRec()
				err = equal("Add", m.Add(ev), b.Add(ev))
			}
		case RingFromID:
			id, count := o.IDNear(m.GetLowestID(), m.NextID()), o.Count()
			err = compareRead(fmt.Sprintf("GetEventsFromID(%d, %d)", id, count),
				func(h History) ([]*si.EventRecord, uint64, uint64) { return h.GetEventsFromID(id, count) }, b, m)
		case RingRecent:
			count := o.Count()
			if want, got := m.GetRecentEvents(count), b.GetRecentEvents(count); !Same(want, got) {
				err = fmt.Errorf("GetRecentEvents(%d): %s", count, differ(want, got))
			}
		case RingResize:
			n := o.Capacity()
			b.Resize(n)
			m.Resize(n)
		case RingAppend:
			prefix := []*si.EventRecord{Rec(-2), Rec(-3)}
			spare := int(o.Byte())
			id, count := o.IDNear(m.GetLowestID(), m.NextID()), o.Count()
			err = compareRead(fmt.Sprintf("AppendEventsFromID(dst, %d, %d)", id, count),
				func(h History) ([]*si.EventRecord, uint64, uint64) {
					dst := append(make([]*si.EventRecord, 0, spare), prefix...)
					return h.AppendEventsFromID(dst, id, count)
				}, b, m)
		}
		if err == nil {
			err = compareRing(b, m)
		}
		if err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
	}
	return nil
}

// compareRead runs read on both and compares what it returned.
func compareRead(what string, read func(History) ([]*si.EventRecord, uint64, uint64), b History, m *Ring) error {
	want, wantLow, wantHigh := read(m)
	got, low, high := read(b)
	if !Same(want, got) {
		return fmt.Errorf("%s: %s", what, differ(want, got))
	}
	if err := equal(what+": lowest", wantLow, low); err != nil {
		return err
	}
	return equal(what+": highest", wantHigh, high)
}

// compareRing compares everything a caller can observe without changing the
// history: the counters and the whole window.
func compareRing(b History, m *Ring) error {
	for _, c := range []struct {
		what      string
		want, got uint64
	}{
		{"Capacity", m.Capacity(), b.Capacity()},
		{"GetLowestID", m.GetLowestID(), b.GetLowestID()},
		{"GetLastEventID", m.GetLastEventID(), b.GetLastEventID()},
		{"NextID", m.NextID(), b.NextID()},
	} {
		if c.want != c.got {
			return equal(c.what, c.want, c.got)
		}
	}
	if re, ok := b.(interface{ ReadEnd() uint64 }); ok {
		if err := equal("ReadEnd", m.NextID(), re.ReadEnd()); err != nil {
			return err
		}
	}
	low := m.GetLowestID()
	if want, got := m.GetRecentEvents(math.MaxUint64), b.GetRecentEvents(math.MaxUint64); !Same(want, got) {
		return fmt.Errorf("GetRecentEvents(MaxUint64): %s", differ(want, got))
	}
	want, _, _ := m.GetEventsFromID(low, math.MaxUint64)
	if got, _, _ := b.GetEventsFromID(low, math.MaxUint64); !Same(want, got) {
		return fmt.Errorf("the whole window: %s", differ(want, got))
	}
	return nil
}

// equal reports a differing number.
func equal(what string, want, got uint64) error {
	if want != got {
		return fmt.Errorf("%s = %d, want %d", what, got, want)
	}
	return nil
}
