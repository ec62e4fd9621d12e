package fuzz

import (
	"slices"
	"sort"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/store"
)

// storeModel is the obviously correct batch store: the events of the current
// batch keyed by ID, the capacity in force and the one set for the next
// batch, and running totals. It covers plain stores (IDs are the order of
// Store calls) and sequenced ones (IDs from the caller; a nil record takes
// its place and is not stored; Store is refused and counted).
type storeModel struct {
	sequenced bool
	base      uint64 // first ID of the current batch
	size      uint64 // capacity of the current batch
	nextSize  uint64 // capacity from the next collect on
	next      uint64 // first ID not handed out yet
	batch     map[uint64]*si.EventRecord
	stored    uint64
	notStored uint64
}

func newStoreModel(size, origin uint64, sequenced bool) *storeModel {
	size = min(size, store.MaxSize)
	return &storeModel{sequenced: sequenced, base: origin, next: origin, size: size, nextSize: size,
		batch: map[uint64]*si.EventRecord{}}
}

func (m *storeModel) place(id uint64, ev *si.EventRecord) {
	if id-m.base >= m.size || ev == nil {
		m.notStored++
		return
	}
	m.batch[id] = ev
	m.stored++
}

func (m *storeModel) store(ev *si.EventRecord) {
	switch {
	case ev == nil:
	case m.sequenced:
		m.notStored++
	default:
		m.place(m.next, ev)
		m.next++
	}
}

func (m *storeModel) collect() []*si.EventRecord {
	ids := make([]uint64, 0, len(m.batch))
	for id := range m.batch {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var out []*si.EventRecord
	for _, id := range ids {
		out = append(out, m.batch[id])
	}
	m.batch = map[uint64]*si.EventRecord{}
	m.base, m.size = m.next, m.nextSize
	return out
}

// storeSize decodes a batch capacity: 0, small, or around the arena minimum.
func storeSize(o *ops) uint64 {
	switch b := o.byte(); {
	case b == 255:
		return 1020 + uint64(o.byte()%8) // the arena minimum is 1024 slots
	default:
		return uint64(b % 70)
	}
}

// Store operations.
const (
	stStore       = iota // Store one record (every 8th tag: nil)
	stBurst              // Store up to 63 records
	stCollect            // CollectEvents; odd argument: scribble over the result afterwards
	stSetSize            // SetStoreSize
	stStoreWithID        // sequenced: claim up to 7 IDs and store them in a permuted order
	stOpCount
)

// collected is a batch the test got from CollectEvents, with a copy to tell
// whether the store wrote to it later.
type collected struct {
	got, copy []*si.EventRecord
}

// FuzzStore holds store.EventStore (plain and sequenced) against storeModel
// in one goroutine. After every step it checks CountStoredEvents and Stats
// against the model, conservation (every non-nil record given is in exactly
// one collected batch, in the current batch, or counted as not stored) and
// ownership: no batch returned earlier has changed, even while the test
// writes over and appends to other returned batches as their owner may.
func FuzzStore(f *testing.F) {
	f.Add([]byte{0, 4, stStore, stStore, stCollect, 0, stStore, stCollect, 1})
	f.Add([]byte{0, 0, stStore, stCollect, 0, stSetSize, 3, stBurst, 9, stCollect, 0, stCollect, 0})
	f.Add([]byte{1, 5, stStoreWithID, 7, stStoreWithID, 3, stCollect, 1, stSetSize, 0, stStoreWithID, 2, stCollect, 0, stStore})
	f.Add([]byte{0, 255, 3, stBurst, 63, stCollect, 1, stBurst, 63, stCollect, 1, stBurst, 63, stCollect, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		o := newOps(data)
		sequenced := o.bool()
		size := storeSize(o)
		var claim uint64 // the external sequence of a sequenced store
		var s *store.EventStore
		if sequenced {
			claim = uint64(o.byte())
			s = store.NewSequenced(size, func() uint64 { return claim })
		} else {
			s = store.New(size)
		}
		m := newStoreModel(size, claim, sequenced)
		var batches []collected
		tag := int64(0)
		newRec := func() *si.EventRecord {
			tag++
			if tag%8 == 0 {
				return nil
			}
			return rec(tag)
		}
		// counted: the calls the store must account for, as stored or not
		// stored (every non-nil record, and on a sequenced store every ID).
		counted := 0
		for step := 0; !o.done(); step++ {
			switch o.intn(stOpCount) {
			case stStore:
				ev := newRec()
				s.Store(ev)
				m.store(ev)
				if ev != nil {
					counted++
				}
			case stBurst:
				for n := o.byte() % 64; n > 0; n-- {
					ev := newRec()
					s.Store(ev)
					m.store(ev)
					if ev != nil {
						counted++
					}
				}
			case stStoreWithID:
				n := 1 + o.intn(7)
				first := claim
				claim += uint64(n) // claimed: next() covers them now
				order := make([]uint64, n)
				for i := range order {
					order[i] = first + uint64(i)
				}
				for i := n - 1; i > 0; i-- { // permutation from the input
					j := o.intn(i + 1)
					order[i], order[j] = order[j], order[i]
				}
				if m.sequenced {
					m.next = claim
				}
				for _, id := range order {
					ev := newRec()
					s.StoreWithID(id, ev)
					if m.sequenced {
						m.place(id, ev)
					} else {
						m.store(ev) // a plain store ignores the ID
					}
					if ev != nil || m.sequenced {
						counted++
					}
				}
			case stCollect:
				scribble := o.bool()
				want := m.collect()
				got := s.CollectEvents()
				requireSame(t, want, got, "step %d: CollectEvents", step)
				for _, ev := range got {
					require.NotNil(t, ev, "step %d: nil in a batch", step)
				}
				if scribble {
					for i := range got {
						got[i] = rec(-1) // the owner may write over its batch...
					}
					_ = append(got, rec(-1), rec(-1)) // ...and append to it
					batches = append(batches, collected{copy: want})
				} else {
					batches = append(batches, collected{got: got, copy: slices.Clone(got)})
				}
			case stSetSize:
				n := storeSize(o)
				s.SetStoreSize(n)
				m.nextSize = min(n, store.MaxSize)
			}

			require.Equal(t, uint64(len(m.batch)), s.CountStoredEvents(), "step %d: CountStoredEvents", step)
			stats := s.Stats()
			stored, notStored := stats.Stored, stats.NotStored
			require.Equal(t, m.stored, stored, "step %d: Stats stored", step)
			require.Equal(t, m.notStored, notStored, "step %d: Stats not stored", step)
			handedOut := 0
			for i, b := range batches {
				handedOut += len(b.copy)
				if b.got != nil {
					requireSame(t, b.copy, b.got, "step %d: batch %d changed after it was returned", step, i)
				}
			}
			require.Equal(t, uint64(counted), uint64(handedOut)+s.CountStoredEvents()+notStored,
				"step %d: conservation: handed out + waiting + not stored", step)
		}
	})
}
