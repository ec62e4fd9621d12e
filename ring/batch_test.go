package ring

import (
	"math"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/model"
	"github.com/lfevents/lfevents/internal/testutil"
)

func TestAddBatchDoesNotAllocate(t *testing.T) {
	b := New(64)
	batch := []*si.EventRecord{rec(0), nil, rec(1), rec(2)}
	allocs := testing.AllocsPerRun(100, func() { b.AddBatch(batch) })
	assert.Zero(t, allocs)
}

// TestAddBatch: AddBatch gives the non-nil records of a batch consecutive IDs
// from the next one on, as that many Adds would, and reports the first and
// how many.
func TestAddBatch(t *testing.T) {
	for _, tc := range []struct {
		name     string
		capacity uint64
		before   uint64 // Adds before the batch
		batch    []*si.EventRecord
		first, n uint64
	}{
		{"empty", 8, 3, nil, 3, 0},
		{"only nil", 8, 3, []*si.EventRecord{nil, nil}, 3, 0},
		{"nil skipped", 8, 2, []*si.EventRecord{rec(2), nil, rec(3), rec(4), nil}, 2, 3},
		{"larger than capacity", 4, 1, []*si.EventRecord{rec(1), rec(2), rec(3), rec(4), rec(5), rec(6), nil, rec(7)}, 1, 7},
		{"wraps", 3, 7, []*si.EventRecord{rec(7), rec(8)}, 7, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := New(tc.capacity)
			m := model.NewRing(tc.capacity)
			for i := uint64(0); i < tc.before; i++ {
				b.Add(rec(i))
				m.Add(rec(i))
			}
			first, n := b.AddBatch(tc.batch)
			assert.Equal(t, tc.first, first)
			assert.Equal(t, tc.n, n)
			for _, ev := range tc.batch {
				if ev != nil {
					m.Add(ev)
				}
			}
			assert.Equal(t, m.NextID(), b.NextID())
			assert.Equal(t, marks(m.GetRecentEvents(math.MaxUint64)), marks(b.GetRecentEvents(math.MaxUint64)))
			assert.Equal(t, b.NextID(), b.Add(rec(99)), "Adds continue after the batch")
		})
	}
}

// TestStressAddBatch: batches from several producers land in one piece, in
// slice order, under consecutive IDs, while single Adds, readers and Resize
// run; every read is consecutive and each batch is never interleaved.
func TestStressAddBatch(t *testing.T) {
	b := New(8)
	const producers, batches, size = 4, 500, 5
	type batchAt struct{ first, n uint64 }
	got := make([][]batchAt, producers)
	produced := testutil.Start(producers, func(p int) {
		for i := 0; i < batches; i++ {
			evs := make([]*si.EventRecord, size)
			for k := range evs {
				if k != 2 { // one nil per batch
					evs[k] = stressRec(p, i*size+k)
				}
			}
			first, n := b.AddBatch(evs)
			got[p] = append(got[p], batchAt{first, n})
			if i%7 == 0 {
				b.Add(stressRec(p, 1<<20+i))
			}
		}
	})
	c := uint64(1)
	resize := func() {
		b.Resize(c)
		c = c%40 + 1
	}
	read := func() {
		low := b.GetLowestID()
		evs, _, _ := b.GetEventsFromID(low, 64)
		for k := 1; k < len(evs); k++ {
			w0, n0 := writerOf(evs[k-1])
			w1, n1 := writerOf(evs[k])
			if w0 == w1 && n1 < 1<<20 && n0 < 1<<20 && n0/size == n1/size {
				// Same batch: consecutive non-nil entries in slice order.
				want := n0 + 1
				if want%size == 2 {
					want++
				}
				assert.Equal(t, want, n1, "batch entries out of order")
			}
		}
	}
	stop := testutil.Loop(resize, read)
	produced()
	stop()

	seen := map[uint64]bool{}
	for p := range got {
		var last uint64
		for i, ba := range got[p] {
			require.Equal(t, uint64(size-1), ba.n)
			if i > 0 {
				assert.Greater(t, ba.first, last, "a producer's batches keep their order")
			}
			last = ba.first
			for id := ba.first; id < ba.first+ba.n; id++ {
				require.False(t, seen[id], "ID %d handed out twice", id)
				seen[id] = true
			}
		}
	}
	singles := uint64(producers * ((batches + 6) / 7))
	assert.Equal(t, uint64(producers*batches*(size-1))+singles, b.NextID())
}

// TestValidRun: a run loaded without seq checks keeps only the records that
// are still those of their IDs; the ring lapping the oldest ones, or a Resize
// replacing the view, makes them checked one by one.
func TestValidRun(t *testing.T) {
	b := New(4)
	fill(b, 4)
	load := func(v *view, first uint64, n int) []*si.EventRecord {
		run := make([]*si.EventRecord, n)
		for i := range run {
			run[i] = v.st.slotOf(first + uint64(i)).rec.Load()
		}
		return run
	}
	v := b.view.Load()
	run := load(v, 0, 4)
	assert.Equal(t, 4, b.validRun(v, 0, 0, run), "nothing claimed since")
	b.Add(rec(4))
	b.Add(rec(5))
	assert.Equal(t, 0, b.validRun(v, 0, 0, run), "slots of IDs 0 and 1 were taken by 4 and 5")
	run = load(v, 2, 4)
	assert.Equal(t, 4, b.validRun(v, 2, 2, run))
	assert.Equal(t, []int64{2, 3, 4, 5}, marks(run))
	b.Resize(4) // same slots, a fresh view
	assert.Equal(t, 4, b.validRun(v, 2, 2, run), "every ID checked, all still held")
	b.Add(rec(6))
	assert.Equal(t, 0, b.validRun(v, 2, 2, run))
}
