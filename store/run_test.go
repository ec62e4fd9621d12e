package store

import (
	"runtime"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStoreRunWithID: a run stores and counts exactly what StoreWithID of
// its non-nil records under consecutive IDs stores, on a twin store driven
// one record at a time, including runs that cross the capacity, runs with
// nil entries, runs started before the current batch's base (a collect came
// between the claim and the store), and plain stores.
func TestStoreRunWithID(t *testing.T) {
	tests := []struct {
		name     string
		size     uint64
		plain    bool
		before   int   // single records stored first
		collects bool  // collect once between claiming the run's IDs and storing it
		run      []int // record indices; -1 is a nil entry
	}{
		{name: "within capacity", size: 8, run: []int{0, 1, 2}},
		{name: "after single records", size: 8, before: 3, run: []int{0, 1, 2}},
		{name: "crosses the capacity", size: 4, before: 2, run: []int{0, 1, 2, 3}},
		{name: "entirely beyond capacity", size: 2, before: 2, run: []int{0, 1}},
		{name: "nil entries take no ID", size: 8, run: []int{0, -1, 1, -1, -1, 2}},
		{name: "nil entries at the capacity edge", size: 3, run: []int{-1, 0, 1, -1, 2, 3}},
		{name: "only nils", size: 4, run: []int{-1, -1}},
		{name: "empty run", size: 4, before: 1, run: nil},
		{name: "size 0", size: 0, run: []int{0, 1}},
		{name: "a collect came between claim and store", size: 4, before: 1, collects: true, run: []int{0, -1, 1, 2, -1, 3, 4}},
		{name: "plain store: each record Store'd", size: 3, plain: true, before: 1, run: []int{0, -1, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var qa, qb seq
			a, b := NewSequenced(tt.size, qa.peek), NewSequenced(tt.size, qb.peek)
			if tt.plain {
				a, b = New(tt.size), New(tt.size)
			}
			singles := records("single", tt.before)
			for _, ev := range singles {
				a.StoreWithID(qa.claim(), ev)
				b.StoreWithID(qb.claim(), ev)
			}
			recs := records("run", len(tt.run))
			run := make([]*si.EventRecord, len(tt.run))
			n := 0
			for i, k := range tt.run {
				if k >= 0 {
					run[i] = recs[k]
					n++
				}
			}
			// Claim the run's IDs on both sequences, as AddBatch does.
			first := qa.next.Add(uint64(n)) - uint64(n)
			require.Equal(t, first, qb.next.Add(uint64(n))-uint64(n))
			// With collects, a collector installs a new batch after the
			// claim and before the store: the run's IDs belong to the batch
			// being handed out, and the collector waits for them.
			early := [2]chan []*si.EventRecord{make(chan []*si.EventRecord, 1), make(chan []*si.EventRecord, 1)}
			for i, s := range []*EventStore{a, b} {
				if tt.collects {
					old := s.cur.Load()
					go func() { early[i] <- s.CollectEvents() }()
					for s.cur.Load() == old {
						runtime.Gosched()
					}
				}
			}
			a.StoreRunWithID(first, run)
			id := first
			for _, ev := range run {
				if ev != nil {
					b.StoreWithID(id, ev)
					id++
				}
			}
			if tt.collects {
				assert.Equal(t, receive(t, early[1]), receive(t, early[0]), "collected by the collector that came between")
			}
			assert.Equal(t, b.CountStoredEvents(), a.CountStoredEvents(), "CountStoredEvents")
			assert.Equal(t, b.Stats(), a.Stats(), "Stats before the collect")
			want, got := collect(t, b), collect(t, a)
			assert.Equal(t, want, got, "collected")
			assert.Equal(t, b.Stats(), a.Stats(), "Stats after the collect")
			if !tt.plain && !tt.collects {
				// Nothing stored beyond the capacity, nothing lost within it.
				kept := min(uint64(tt.before+n), tt.size) - min(uint64(tt.before), tt.size)
				assert.Len(t, got, min(tt.before, int(tt.size))+int(kept))
			}
		})
	}
}

// blockedAfter bounds the waits of TestStoreRunWithID: a collector that
// waits this long for a slot is waiting for one no writer will write (a bug
// that would otherwise show as the package's timeout, not as a failure).
const blockedAfter = 10 * time.Second

// collect is s.CollectEvents, failing the test if it blocks.
func collect(t *testing.T, s *EventStore) []*si.EventRecord {
	t.Helper()
	out := make(chan []*si.EventRecord, 1)
	go func() { out <- s.CollectEvents() }()
	return receive(t, out)
}

// receive returns what a collector sends on out, failing the test if it
// blocks.
func receive(t *testing.T, out <-chan []*si.EventRecord) []*si.EventRecord {
	t.Helper()
	select {
	case got := <-out:
		return got
	case <-time.After(blockedAfter): // a bound against hanging, not a timing check
		require.FailNow(t, "CollectEvents blocked: it waits for a slot no writer will write")
		return nil
	}
}
