package fuzz

import (
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/model"
	"github.com/lfevents/lfevents/internal/model/systemrun"
	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/ring"
	"github.com/lfevents/lfevents/store"
)

// Collector operations of FuzzStoreConcurrent.
const (
	scCollect = iota // CollectEvents; odd argument: scribble over the result
	scSetSize        // SetStoreSize
	scCount          // CountStoredEvents and Stats
	scYield          // runtime.Gosched
	scOpCount
)

// FuzzStoreConcurrent runs 2 or 3 writers and one collector on one store at
// once, each following its share of the fuzzer's operations. A plain store
// numbers events itself; a sequenced one takes its IDs from a history ring,
// as the event system does (ring.Add, then StoreWithID; or, for odd writers,
// ring.AddBatch, then StoreRunWithID). Under any
// interleaving: every collected record is non-nil and was given exactly once,
// no record is handed out twice, each writer's records come out in its order,
// the totals add up (stored + not stored = calls counted, stored = handed
// out), nothing is lost while every capacity in force has room for all, the
// running sum of Stats never decreases, and no returned batch changes later.
func FuzzStoreConcurrent(f *testing.F) {
	f.Add([]byte{0, 3, 0, 0, 40, 1, 40, 0, 9, 1, 9, 2, 0, 2, 1})
	f.Add([]byte{1, 1, 1, 0, 60, 1, 60, 2, 0, 2, 0, 2, 3, 2, 2})
	f.Add([]byte{1, 69, 0, 0, 200, 1, 200, 2, 1, 2, 1, 2, 3})
	f.Add([]byte{0, 0, 1, 0, 30, 1, 30, 2, 30, 3, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		o := model.NewOps(data)
		sequenced := o.Bool()
		size := o.StoreSize()
		writers := 2 + o.Intn(2)
		type chunk struct {
			n     int
			yield bool
		}
		plans := make([][]chunk, writers)
		var coll []byte // collector: operation, argument, ...
		minSize := min(size, store.MaxSize)
		nextTag := int64(0)
		for !o.Done() {
			who := o.Intn(writers + 1)
			if who == writers {
				op, arg := o.Byte(), o.Byte()
				coll = append(coll, op, arg)
				if int(op)%scOpCount == scSetSize {
					minSize = min(minSize, model.StoreSizeOf(arg))
				}
				continue
			}
			b := o.Byte()
			c := chunk{n: 1 + int(b>>1)%64, yield: b&1 == 1}
			plans[who] = append(plans[who], c)
			nextTag += int64(c.n)
		}
		// On a sequenced store, odd writers add each chunk as the event
		// system's AddEvents does: one AddBatch (nil records take no ID),
		// then one StoreRunWithID.
		batched := func(w int) bool { return sequenced && w%2 == 1 }
		// Records: tag = writer<<32 | position; every 8th position nil.
		recs := make([][]*si.EventRecord, writers)
		counted, nils := 0, 0
		for w, p := range plans {
			for _, c := range p {
				for range c.n {
					i := len(recs[w])
					var ev *si.EventRecord
					if i%8 != 7 {
						ev = model.Rec(int64(w)<<32 | int64(i))
					}
					recs[w] = append(recs[w], ev)
					if ev != nil || sequenced && !batched(w) {
						counted++
					}
					if ev == nil && sequenced && !batched(w) {
						nils++ // consumes an ID, counted as not stored
					}
				}
			}
		}

		var s *store.EventStore
		var history *ring.Buffer
		if sequenced {
			history = ring.New(8)
			s = store.NewSequenced(size, history.NextID)
		} else {
			s = store.New(size)
		}
		var writersDone atomic.Bool
		written := testutil.Start(writers, func(w int) {
			i := 0
			for _, c := range plans[w] {
				if chunk := recs[w][i : i+c.n]; batched(w) {
					first, _ := history.AddBatch(chunk)
					s.StoreRunWithID(first, chunk)
				} else {
					for _, ev := range chunk {
						if sequenced {
							s.StoreWithID(history.Add(ev), ev)
						} else {
							s.Store(ev)
						}
					}
				}
				i += c.n
				if c.yield {
					runtime.Gosched()
				}
			}
		})
		var batches, copies [][]*si.EventRecord
		var sums []uint64
		maxSize := min(size, store.MaxSize)
		var counts []uint64
		done := make(chan struct{})
		go func() {
			defer close(done)
			collect := func(scribble bool) {
				got := s.CollectEvents()
				copies = append(copies, slices.Clone(got))
				if scribble {
					for i := range got {
						got[i] = model.Rec(-1)
					}
					_ = append(got, model.Rec(-1))
					got = nil
				}
				batches = append(batches, got)
			}
			for i := 0; i < len(coll) || !writersDone.Load(); i += 2 {
				if len(coll) == 0 {
					runtime.Gosched()
					continue
				}
				op, arg := coll[i%len(coll)], coll[(i+1)%len(coll)]
				switch int(op) % scOpCount {
				case scCollect:
					collect(arg&1 == 1)
				case scSetSize:
					n := model.StoreSizeOf(arg)
					s.SetStoreSize(n)
					maxSize = max(maxSize, min(n, store.MaxSize))
				case scCount:
					counts = append(counts, s.CountStoredEvents())
					stats := s.Stats()
					stored, notStored := stats.Stored, stats.NotStored
					sums = append(sums, stored+notStored)
				case scYield:
					runtime.Gosched()
				}
			}
			collect(false) // everything left
		}()
		written()
		writersDone.Store(true)
		select {
		case <-done:
		case <-time.After(systemrun.DeliveryWait): // a bound against hanging, not a timing check
			require.Fail(t, "CollectEvents blocked: it waits for a slot that no writer will write")
		}

		// Every record handed out once, non-nil, in its writer's order.
		pos := make([]int, writers) // next position expected at or after, per writer
		seen := map[*si.EventRecord]bool{}
		handedOut := 0
		for bi, b := range copies {
			for _, ev := range b {
				require.NotNil(t, ev, "batch %d: nil record", bi)
				require.False(t, seen[ev], "batch %d: record %x handed out twice", bi, model.Tag(ev))
				seen[ev] = true
				w, i := int(model.Tag(ev)>>32), int(model.Tag(ev)&(1<<32-1))
				require.Less(t, w, writers, "batch %d: unknown record %x", bi, model.Tag(ev))
				require.Same(t, recs[w][i], ev, "batch %d: unknown record %x", bi, model.Tag(ev))
				require.GreaterOrEqual(t, i, pos[w], "batch %d: writer %d's records out of order", bi, w)
				pos[w] = i + 1
			}
			handedOut += len(b)
		}
		for bi, b := range batches {
			if b != nil {
				require.NoError(t, systemrun.SameRecords(copies[bi], b), "batch %d changed after it was returned", bi)
			}
		}
		stats := s.Stats()
		stored, notStored := stats.Stored, stats.NotStored
		assert.Equal(t, uint64(handedOut), stored, "Stats stored = handed out")
		assert.Equal(t, uint64(counted), stored+notStored, "Stats: stored + not stored = calls counted")
		assert.Zero(t, s.CountStoredEvents(), "nothing waits after the last collect")
		if minSize >= uint64(counted) {
			// Room for all: only a sequenced store's nil records are not stored.
			want := uint64(0)
			if sequenced {
				want = uint64(nils)
			}
			assert.Equal(t, want, notStored, "every capacity in force had room for all")
		}
		for i := 1; i < len(sums); i++ {
			assert.GreaterOrEqual(t, sums[i], sums[i-1], "Stats' sum decreased at snapshot %d", i)
		}
		for _, c := range counts {
			assert.LessOrEqual(t, c, maxSize, "CountStoredEvents above every capacity in force")
		}
	})
}
