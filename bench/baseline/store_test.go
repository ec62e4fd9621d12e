package baseline

import (
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/testutil"
)

func TestStore(t *testing.T) {
	// check adds add events to a store of size and checks what it stored and
	// refused.
	check := func(name string, size uint64, add, wantStored int, wantRefused uint64) {
		t.Run(name, func(t *testing.T) {
			s := NewStore(size)
			evs := make([]*si.EventRecord, add)
			for i := range evs {
				evs[i] = rec(uint64(i))
				s.Store(evs[i])
			}
			assert.Equal(t, uint64(wantStored), s.CountStoredEvents())
			got := s.CollectEvents()
			require.Len(t, got, wantStored)
			for i := range got {
				assert.Same(t, evs[i], got[i], "store order")
			}
			_, refused := s.counts()
			assert.Equal(t, wantRefused, refused)
			assert.Empty(t, s.CollectEvents())
		})
	}
	check("zero holds nothing", 0, 3, 0, 3)
	check("under capacity", 5, 3, 3, 0)
	check("at capacity", 3, 3, 3, 0)
	check("over capacity", 2, 5, 2, 3)
}

func TestStoreSizeAppliesAtCollect(t *testing.T) {
	s := NewStore(2)
	s.SetStoreSize(4)
	for i := 0; i < 4; i++ {
		s.Store(rec(uint64(i)))
	}
	assert.Len(t, s.CollectEvents(), 2, "old size until the next collect")
	for i := 0; i < 5; i++ {
		s.Store(rec(uint64(i)))
	}
	assert.Len(t, s.CollectEvents(), 4)
}

func TestStoreCollectedSliceIsOwned(t *testing.T) {
	s := NewStore(2)
	a, b := rec(0), rec(1)
	s.Store(a)
	got := s.CollectEvents()
	s.Store(b)
	require.Len(t, got, 1)
	assert.Same(t, a, got[0], "a later Store does not write into a collected batch")
}

// TestStoreConcurrentConservation: with collects racing stores, every stored
// event comes out in exactly one batch, and stored + refused == added.
func TestStoreConcurrentConservation(t *testing.T) {
	s := NewStore(7)
	const writers, perWriter = 4, 3000
	writing := testutil.Start(writers, func(int) {
		for i := 0; i < perWriter; i++ {
			s.Store(&si.EventRecord{})
		}
	})
	seen := make(map[*si.EventRecord]bool)
	done := make(chan struct{})
	go func() { writing(); close(done) }()
	collect := func() {
		for _, ev := range s.CollectEvents() {
			require.NotNil(t, ev)
			require.False(t, seen[ev], "collected twice")
			seen[ev] = true
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		collect()
	}
	collect()
	stored, refused := s.counts()
	assert.Equal(t, uint64(len(seen)), stored)
	assert.Equal(t, uint64(writers*perWriter), stored+refused)
}
