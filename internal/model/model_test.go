package model

import (
	"math"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"

	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/store"
)

// TestRules holds the window rule and the stream start rule to examples.
func TestRules(t *testing.T) {
	for _, c := range []struct {
		rule      string
		got, want uint64
	}{
		{"Lowest, empty", Lowest(0, 0, 1), 0},
		{"Lowest, not full", Lowest(0, 5, 8), 0},
		{"Lowest, full", Lowest(0, 8, 8), 0},
		{"Lowest, lapped", Lowest(0, 9, 8), 1},
		{"Lowest, a shrink displaced events a grow does not bring back", Lowest(3, 9, 8), 3},
		{"Lowest, past the floor", Lowest(3, 20, 8), 12},
		{"Lowest, at the end of the IDs", Lowest(0, math.MaxUint64, 1), math.MaxUint64 - 1},
		{"StreamStart, empty", StreamStart(0, 0, 5), 0},
		{"StreamStart, no history", StreamStart(0, 10, 0), 10},
		{"StreamStart, some", StreamStart(0, 10, 3), 7},
		{"StreamStart, more than held", StreamStart(4, 10, 100), 4},
		{"StreamStart, MaxUint64", StreamStart(4, 10, math.MaxUint64), 4},
	} {
		assert.Equal(t, c.want, c.got, c.rule)
	}
}

func TestRingResizeKeepsFloor(t *testing.T) {
	m := NewRing(4)
	for i := range 10 {
		m.Add(Rec(int64(i)))
	}
	m.Resize(2) // holds 8, 9
	m.Resize(100)
	assert.Equal(t, uint64(8), m.GetLowestID())
	assert.Equal(t, []int64{8, 9}, Tags(m.GetRecentEvents(math.MaxUint64)))
}

func TestSequencedStoreHoles(t *testing.T) {
	next := uint64(10)
	s := NewSequencedStore(3, func() uint64 { return next })
	a, c := Rec(1), Rec(3)
	s.StoreWithID(12, c)
	s.StoreWithID(11, nil) // takes its place, not stored
	s.StoreWithID(10, a)
	s.StoreWithID(13, Rec(4)) // past the capacity
	s.Store(Rec(5))           // refused: IDs come from StoreWithID
	next = 14
	assert.Equal(t, []*si.EventRecord{a, c}, s.CollectEvents())
	assert.Equal(t, Stats{Stored: 2, NotStored: 3}, s.Stats())
	s.StoreWithID(14, a)
	assert.Equal(t, uint64(1), s.CountStoredEvents())
}

func TestLockedStoreConservation(t *testing.T) {
	s := NewLockedStore(5)
	stored := testutil.Start(4, func(int) {
		for range 1000 {
			s.Store(&si.EventRecord{})
		}
	})
	collected := 0
	for range 100 {
		collected += len(s.CollectEvents())
	}
	stored()
	collected += len(s.CollectEvents())
	st := s.Stats()
	assert.Equal(t, uint64(collected), st.Stored)
	assert.Equal(t, uint64(4000), st.Stored+st.NotStored)
}

// TestSequencedStoreIgnoresIDsBeforeItsStart holds the model to the store's
// contract and to the store itself: IDs below the value the sequence
// returned when the store was created are ignored, neither stored nor
// counted.
func TestSequencedStoreIgnoresIDsBeforeItsStart(t *testing.T) {
	next := uint64(10)
	seq := func() uint64 { return next }
	m, real := NewSequencedStore(3, seq), store.NewSequenced(3, seq)
	for _, id := range []uint64{0, 9} {
		ev := Rec(int64(id))
		m.StoreWithID(id, ev)
		real.StoreWithID(id, ev)
	}
	next = 11
	ev := Rec(10)
	m.StoreWithID(10, ev)
	real.StoreWithID(10, ev)
	got := real.Stats()
	assert.Equal(t, Stats{Stored: got.Stored, NotStored: got.NotStored}, m.Stats(), "the model's counters against the store's")
	assert.Equal(t, Stats{Stored: 1}, m.Stats())
	assert.Equal(t, real.CountStoredEvents(), m.CountStoredEvents())
	assert.Equal(t, []*si.EventRecord{ev}, m.CollectEvents())
	assert.Equal(t, []*si.EventRecord{ev}, real.CollectEvents())
}

// TestRingReadsAreCopies checks that what the model's reads return belongs to
// the caller, as the ring's do: writing over it changes nothing held.
func TestRingReadsAreCopies(t *testing.T) {
	m := NewRing(4)
	for i := range 6 {
		m.Add(Rec(int64(i)))
	}
	recent := m.GetRecentEvents(math.MaxUint64)
	from, _, _ := m.GetEventsFromID(2, math.MaxUint64)
	for i := range recent {
		recent[i] = Rec(-1)
	}
	for i := range from {
		from[i] = Rec(-1)
	}
	assert.Equal(t, []int64{2, 3, 4, 5}, Tags(m.GetRecentEvents(math.MaxUint64)))
}
