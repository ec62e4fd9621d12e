package store

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/testutil"
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

// TestStressRunsTinyBatches: writers claim runs of IDs from one sequence
// (as AddBatch does) and store them with StoreRunWithID, one StoreWithID at
// a time, or as nil records, while collectors collect and the size moves
// between 0 and 2. Every batch must hold a contiguous range of IDs (gaps
// only where a nil record consumed the ID), batches must not overlap, no
// record may come twice, and the counters must account for every ID.
func TestStressRunsTinyBatches(t *testing.T) {
	for _, size := range []uint64{1, 2} {
		t.Run(fmt.Sprintf("size %d", size), func(t *testing.T) {
			var q seq
			s := NewSequenced(size, q.peek)
			const writers, rounds = 6, 1500
			ids := make([]map[*si.EventRecord]uint64, writers)
			nilIDs := make([][]uint64, writers)
			var batches [2][][]*si.EventRecord
			statsErrs := make([]error, 2)
			collector := func(c int) func() {
				var lastSum uint64
				return func() {
					if got := s.CollectEvents(); len(got) > 0 {
						batches[c] = append(batches[c], got)
					}
					if err := statsWhileRunning(s, &lastSum); err != nil && statsErrs[c] == nil {
						statsErrs[c] = err
					}
				}
			}
			resize := 0
			stop := testutil.Loop(collector(0), collector(1), func() {
				s.SetStoreSize(uint64(resize % 3))
				resize++
				runtime.Gosched()
			})
			testutil.Run(writers, func(w int) {
				rnd := rand.New(rand.NewPCG(uint64(w), 3))
				ids[w] = map[*si.EventRecord]uint64{}
				for r := 0; r < rounds; r++ {
					if rnd.IntN(8) == 0 {
						id := q.claim()
						nilIDs[w] = append(nilIDs[w], id)
						s.StoreWithID(id, nil)
						continue
					}
					run := make([]*si.EventRecord, 1+rnd.IntN(4))
					n := 0
					for i := range run {
						if rnd.IntN(5) != 0 { // else a nil entry: no ID
							run[i] = &si.EventRecord{ObjectID: fmt.Sprintf("w%d-%d", w, r*8+i)}
							n++
						}
					}
					first := q.next.Add(uint64(n)) - uint64(n)
					id := first
					for _, ev := range run {
						if ev != nil {
							ids[w][ev] = id
							id++
						}
					}
					if rnd.IntN(4) == 0 {
						runtime.Gosched() // between the claim and the store
					}
					if rnd.IntN(3) == 0 {
						s.storeEach(first, run)
					} else {
						s.StoreRunWithID(first, run)
					}
				}
			})
			stop()
			for _, err := range statsErrs {
				require.NoError(t, err)
			}
			all := append(append(batches[0], batches[1]...), collect(t, s))

			idOf := map[*si.EventRecord]uint64{}
			for _, m := range ids {
				for ev, id := range m {
					idOf[ev] = id
				}
			}
			isNil := map[uint64]bool{}
			for _, l := range nilIDs {
				for _, id := range l {
					isNil[id] = true
				}
			}
			type span struct{ lo, hi uint64 }
			var spans []span
			seen := map[*si.EventRecord]bool{}
			collected := 0
			for _, b := range all {
				if len(b) == 0 {
					continue
				}
				for i, ev := range b {
					id, ok := idOf[ev]
					require.True(t, ok, "a record nobody stored")
					require.False(t, seen[ev], "ID %d collected twice", id)
					seen[ev] = true
					collected++
					if i > 0 {
						prev := idOf[b[i-1]]
						require.Less(t, prev, id, "batch out of ID order")
						for gap := prev + 1; gap < id; gap++ {
							require.True(t, isNil[gap], "ID %d missing inside a batch", gap)
						}
					}
				}
				spans = append(spans, span{idOf[b[0]], idOf[b[len(b)-1]]})
			}
			slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
			for i := 1; i < len(spans); i++ {
				require.Less(t, spans[i-1].hi, spans[i].lo, "two batches overlap")
			}
			st := s.Stats()
			assert.Equal(t, uint64(collected), st.Stored)
			assert.Equal(t, q.peek(), st.Stored+st.NotStored, "every ID counted once")
			assert.Positive(t, st.NotStored)
		})
	}
}
