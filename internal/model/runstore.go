package model

import (
	"fmt"
	"slices"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// Batches is what RunStore drives: the API of store.EventStore but for
// Stats, whose result type is the store's own (RunStore takes a function to
// read it).
type Batches interface {
	Store(ev *si.EventRecord)
	StoreWithID(id uint64, ev *si.EventRecord)
	StoreRunWithID(first uint64, evs []*si.EventRecord)
	CollectEvents() []*si.EventRecord
	CountStoredEvents() uint64
	SetStoreSize(size uint64)
}

// Store operations.
const (
	StStore       = iota // Store one record (every 8th tag: nil)
	StBurst              // Store up to 63 records
	StCollect            // CollectEvents; odd argument: scribble over the result afterwards
	StSetSize            // SetStoreSize
	StStoreWithID        // claim up to 7 IDs and store them in a permuted order (sequenced, in order: one StoreRunWithID)
	stOpCount
)

// StoreSize decodes a batch capacity: 0, small, or around 1024 (the store's
// arena minimum).
func (o *Ops) StoreSize() uint64 {
	if b := o.Byte(); b != 255 {
		return StoreSizeOf(b)
	}
	return 1020 + uint64(o.Byte()%8)
}

// StoreSizeOf is StoreSize for a byte other than 255.
func StoreSizeOf(b byte) uint64 { return uint64(b % 70) }

// RunStore decodes data into a plain or sequenced store and a sequence of
// operations, applies them to the store newStore returns (seq nil: plain)
// and to a Store with sizes clamped to limit (stats reads the store's
// counters), and returns the first
// difference: in a collected batch, or, after every step, in
// CountStoredEvents and Stats, in conservation (every call the store must
// account for is in a batch handed out, waiting, or counted as not stored),
// or in a batch returned earlier (it must not change, while the test writes
// over and appends to other returned batches as their owner may).
func RunStore(data []byte, limit uint64, newStore func(size uint64, seq func() uint64) Batches, stats func(Batches) Stats) error {
	o := NewOps(data)
	sequenced := o.Bool()
	size := o.StoreSize()
	var claim uint64 // the external sequence of a sequenced store
	var s Batches
	var m *Store
	if sequenced {
		claim = uint64(o.Byte())
		s, m = newStore(size, func() uint64 { return claim }), NewSequencedStore(min(size, limit), func() uint64 { return claim })
	} else {
		s, m = newStore(size, nil), NewStore(min(size, limit))
	}
	type collected struct{ got, copy []*si.EventRecord }
	var batches []collected
	newRec := records(8)
	// counted: the calls the store must account for, as stored or not
	// stored (every non-nil record, and on a sequenced store every ID).
	counted := uint64(0)
	store := func(ev *si.EventRecord) {
		s.Store(ev)
		m.Store(ev)
		if ev != nil {
			counted++
		}
	}
	for step := 0; !o.Done(); step++ {
		switch o.Intn(stOpCount) {
		case StStore:
			store(newRec())
		case StBurst:
			for n := o.Byte() % 64; n > 0; n-- {
				store(newRec())
			}
		case StStoreWithID:
			n := 1 + o.Intn(7)
			order := make([]uint64, n)
			for i := range order {
				order[i] = claim + uint64(i)
			}
			for i := n - 1; i > 0; i-- { // a permutation from the input
				j := o.Intn(i + 1)
				order[i], order[j] = order[j], order[i]
			}
			if n > 1 && slices.IsSorted(order) && sequenced {
				// In order: one StoreRunWithID, as the event system's
				// AddEvents does. Nil records take no ID there.
				run := make([]*si.EventRecord, n)
				for i := range run {
					run[i] = newRec()
				}
				first := claim
				for _, ev := range run {
					if ev != nil {
						claim++ // claimed before the call, as AddBatch does
					}
				}
				s.StoreRunWithID(first, run)
				for _, ev := range run {
					if ev != nil {
						m.StoreWithID(first, ev)
						first++
						counted++
					}
				}
				break
			}
			claim += uint64(n) // claimed: the sequence has moved past them
			for _, id := range order {
				ev := newRec()
				s.StoreWithID(id, ev)
				m.StoreWithID(id, ev)
				if ev != nil || sequenced {
					counted++
				}
			}
		case StCollect:
			scribble := o.Bool()
			want, got := m.CollectEvents(), s.CollectEvents()
			if !Same(want, got) {
				return fmt.Errorf("step %d: CollectEvents: %s", step, differ(want, got))
			}
			if scribble {
				for i := range got {
					got[i] = Rec(-1) // the owner may write over its batch...
				}
				_ = append(got, Rec(-1), Rec(-1)) // ...and append to it
				batches = append(batches, collected{copy: want})
			} else {
				batches = append(batches, collected{got: got, copy: slices.Clone(got)})
			}
		case StSetSize:
			n := o.StoreSize()
			s.SetStoreSize(n)
			m.SetStoreSize(min(n, limit))
		}

		if err := equal("CountStoredEvents", m.CountStoredEvents(), s.CountStoredEvents()); err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
		want, got := m.Stats(), stats(s)
		if err := equal("Stats stored", want.Stored, got.Stored); err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
		if err := equal("Stats not stored", want.NotStored, got.NotStored); err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
		handedOut := uint64(0)
		for i, b := range batches {
			handedOut += uint64(len(b.copy))
			if b.got != nil && !Same(b.copy, b.got) {
				return fmt.Errorf("step %d: batch %d changed after it was returned: %s", step, i, differ(b.copy, b.got))
			}
		}
		if err := equal("conservation: handed out + waiting + not stored", counted,
			handedOut+s.CountStoredEvents()+got.NotStored); err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
	}
	return nil
}
