package model

import (
	"math"
	"sync"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
)

func TestLowest(t *testing.T) {
	for _, c := range []struct{ floor, next, capacity, want uint64 }{
		{0, 0, 1, 0},
		{0, 5, 8, 0},
		{0, 8, 8, 0},
		{0, 9, 8, 1},
		{3, 9, 8, 3},   // a shrink displaced events that a grow does not bring back
		{3, 20, 8, 12}, // the newest capacity events once the floor is passed
		{0, math.MaxUint64, 1, math.MaxUint64 - 1},
	} {
		assert.Equal(t, c.want, Lowest(c.floor, c.next, c.capacity), "%+v", c)
	}
}

func TestStreamStart(t *testing.T) {
	for _, c := range []struct{ lowest, next, count, want uint64 }{
		{0, 0, 5, 0},
		{0, 10, 0, 10},
		{0, 10, 3, 7},
		{4, 10, 100, 4},
		{4, 10, math.MaxUint64, 4},
	} {
		assert.Equal(t, c.want, StreamStart(c.lowest, c.next, c.count), "%+v", c)
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
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				s.Store(&si.EventRecord{})
			}
		}()
	}
	collected := 0
	for range 100 {
		collected += len(s.CollectEvents())
	}
	wg.Wait()
	collected += len(s.CollectEvents())
	st := s.Stats()
	assert.Equal(t, uint64(collected), st.Stored)
	assert.Equal(t, uint64(4000), st.Stored+st.NotStored)
}
