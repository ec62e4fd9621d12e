package bench

import (
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/testutil"
)

// TestCombiningRing: several producers add through the combiner into a tiny
// ring while a reader reads it with the ring's lock-free reads. IDs are dense
// (every ID below the total handed out exactly once, none left a hole), each
// producer's IDs grow in the order of its adds, and every record the reader
// got under an ID is the record that was added as that ID.
func TestCombiningRing(t *testing.T) {
	const producers, perProducer = 4, 2000
	s := newCombiningRing(8)
	// A combiner that often yields inside flush (before the claim, or between
	// publishing and marking the slots done) makes the others announce and
	// wait, so that many IDs are claimed in batches.
	flush := s.c.flush
	var calls int // touched only by the combiner (busy held)
	s.c.flush = func(batch []*si.EventRecord) uint64 {
		calls++
		if calls%3 == 0 {
			runtime.Gosched()
		}
		first := flush(batch)
		if calls%3 == 1 {
			runtime.Gosched()
		}
		return first
	}
	recs := testutil.Grid(producers, perProducer, func(p, i int) *si.EventRecord {
		return &si.EventRecord{ObjectID: fmt.Sprint(p), Message: fmt.Sprint(i)}
	})
	ids := testutil.Grid(producers, perProducer, func(int, int) uint64 { return 0 })

	type seen struct {
		id  uint64
		rec *si.EventRecord
	}
	var got []seen
	var done atomic.Bool
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		var from uint64
		for !done.Load() || from < s.r.ReadEnd() {
			evs, lowest, _ := s.r.GetEventsFromID(from, 16)
			if len(evs) == 0 {
				from = max(from, lowest)
				runtime.Gosched() // with one P, spinning here would hold back the writers
				continue
			}
			for k, ev := range evs {
				got = append(got, seen{from + uint64(k), ev})
			}
			from += uint64(len(evs))
		}
	}()
	testutil.Run(producers, func(p int) {
		for i, r := range recs[p] {
			ids[p][i] = s.c.add(r)
		}
	})
	done.Store(true)
	<-readerDone

	const total = producers * perProducer
	assert.Equal(t, uint64(total), s.r.NextID(), "claimed")
	assert.Equal(t, uint64(total), s.r.ReadEnd(), "no hole left behind")
	byID := make([]*si.EventRecord, total)
	for p := range ids {
		require.True(t, slices.IsSorted(ids[p]), "producer %d: IDs in add order", p)
		for i, id := range ids[p] {
			require.Less(t, id, uint64(total))
			require.Nil(t, byID[id], "ID %d handed out twice", id)
			byID[id] = recs[p][i]
		}
	}
	require.NotEmpty(t, got)
	for _, g := range got {
		require.Same(t, byID[g.id], g.rec, "record read under ID %d", g.id)
	}
	assert.Less(t, s.c.claims+s.c.alone.Load(), uint64(total), "some IDs claimed in batches")
	t.Logf("%d events, %d claims by combiners, %d adds alone, reader saw %d", total, s.c.claims, s.c.alone.Load(), len(got))
}

// TestCombinerAllSlotsTaken: with a combiner at work and every publication
// slot taken, add goes through single, and the slots are left as they were.
func TestCombinerAllSlotsTaken(t *testing.T) {
	var singles int
	c := newCombiner(func([]*si.EventRecord) uint64 { t.Fatal("flush"); return 0 },
		func(*si.EventRecord) uint64 { singles++; return 7 })
	c.busy.Store(1)
	other := &si.EventRecord{}
	for i := range c.pubs {
		c.pubs[i].rec.Store(other)
	}
	assert.Equal(t, uint64(7), c.add(&si.EventRecord{}))
	assert.Equal(t, 1, singles)
	assert.Equal(t, uint64(1), c.alone.Load())
	for i := range c.pubs {
		assert.Same(t, other, c.pubs[i].rec.Load())
	}
}
