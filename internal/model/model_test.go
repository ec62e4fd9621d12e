package model

import (
	"math"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"

	"github.com/lfevents/lfevents/internal/testutil"
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
