package fuzz

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/model"
	"github.com/lfevents/lfevents/internal/model/systemrun"
	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/ring"
)

// ringCall is one operation a goroutine of FuzzRingConcurrent made, with
// what it saw.
type ringCall struct {
	op          int
	id, count   uint64 // arguments (Resize: count is the capacity)
	evs         []*si.EventRecord
	low, high   uint64
	tagAdded    int64 // ringAdd: the record's tag
	idReturned  uint64
	lastEventID uint64
}

// callRef names a call in failure messages; formatted only on failure.
type callRef struct{ goroutine, call, op int }

func (r callRef) String() string {
	return fmt.Sprintf("goroutine %d call %d (op %d)", r.goroutine, r.call, r.op)
}

// Concurrent ring operations.
const (
	rcAdd    = iota // Add one record
	rcBurst         // Add up to 127 records (argument >= 128: one AddBatch)
	rcFromID        // GetEventsFromID(id near what this goroutine saw, count)
	rcRecent        // GetRecentEvents(count)
	rcResize        // Resize(capacity)
	rcLast          // GetLastEventID: must not go backwards for one goroutine
	rcYield         // runtime.Gosched
	rcRepeat        // GetRecentEvents(count) 32 times in a row: many reads while writers lap
	rcOpCount
)

// FuzzRingConcurrent splits the fuzzer's operations over 2 or 3 goroutines
// that run them on one small ring at once, then checks what holds under any
// interleaving: the IDs Add returned are dense and unique and increase per
// goroutine; every read is a run of consecutive IDs, no longer than asked,
// inside the range it reported, and each record is the one added under that
// ID; the reported window never exceeds the largest capacity in force; each
// goroutine's GetLastEventID never decreases; and after the goroutines end
// the ring holds exactly its window.
func FuzzRingConcurrent(f *testing.F) {
	f.Add([]byte{2, 0, rcBurst, 31, 1, rcFromID, 0, 9, 1, rcRecent, 7})
	f.Add([]byte{1, 1, rcBurst, 200, 0, rcBurst, 200, 1, rcResize, 0, 2, rcFromID, 8, 3})
	f.Add([]byte{5, 0, rcBurst, 255, 1, rcBurst, 255, 0, rcResize, 70, 1, rcResize, 1, 2, rcRecent, 2})
	f.Add([]byte{0, 1, rcAdd, 0, rcAdd, 1, rcLast, 0, rcYield, 1, rcAdd, 0, rcLast})
	f.Add([]byte{3, 0, 0, rcBurst, 128 + 60, 1, rcBurst, 128 + 60, 0, rcBurst, 128 + 7, 1, rcRecent, 2, 0, rcFromID, 0, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		o := model.NewOps(data)
		capacity := o.Capacity()
		workers := 2 + o.Intn(2)
		type plan struct {
			op        int
			arg1      byte
			count     uint64
			resizeTo  uint64
			firstTag  int64
			burstSize int
			batch     bool // the burst is one AddBatch
		}
		plans := make([][]plan, workers)
		maxCap := max(capacity, 1)
		caps := map[uint64]bool{maxCap: true}
		nextTag := int64(0)
		for !o.Done() {
			w := o.Intn(workers)
			p := plan{op: o.Intn(rcOpCount)}
			switch p.op {
			case rcAdd:
				p.firstTag, p.burstSize = nextTag, 1
			case rcBurst:
				b := o.Byte()
				p.firstTag, p.burstSize, p.batch = nextTag, int(b%128), b >= 128
			case rcFromID:
				p.arg1, p.count = o.Byte(), o.Count()
			case rcRecent, rcRepeat:
				p.count = o.Count()
			case rcResize:
				p.resizeTo = o.Capacity()
				maxCap = max(maxCap, p.resizeTo)
				caps[max(p.resizeTo, 1)] = true
			}
			nextTag += int64(p.burstSize)
			plans[w] = append(plans[w], p)
		}
		recs := make([]*si.EventRecord, nextTag)
		for i := range recs {
			recs[i] = model.Rec(int64(i))
		}
		idOf := make([]uint64, nextTag) // tag -> ID; each goroutine writes its own tags

		b := ring.New(capacity)
		calls := make([][]ringCall, workers)
		testutil.Run(workers, func(w int) {
			var seenLow, seenHigh uint64
			for _, p := range plans[w] {
				c := ringCall{op: p.op}
				switch p.op {
				case rcAdd, rcBurst:
					if p.batch {
						first, n := b.AddBatch(recs[p.firstTag : p.firstTag+int64(p.burstSize)])
						if n != uint64(p.burstSize) {
							t.Errorf("AddBatch of %d records added %d", p.burstSize, n)
						}
						for i := range p.burstSize {
							tag := p.firstTag + int64(i)
							idOf[tag] = first + uint64(i)
							calls[w] = append(calls[w], ringCall{op: rcAdd, tagAdded: tag, idReturned: idOf[tag]})
						}
						continue
					}
					for i := range p.burstSize {
						tag := p.firstTag + int64(i)
						idOf[tag] = b.Add(recs[tag])
						calls[w] = append(calls[w], ringCall{op: rcAdd, tagAdded: tag, idReturned: idOf[tag]})
					}
					continue
				case rcFromID:
					switch p.arg1 % 4 {
					case 0:
						c.id = seenLow
					case 1:
						c.id = seenHigh
					case 2:
						c.id = seenLow + uint64(p.arg1>>2)
					default:
						c.id = math.MaxUint64 - uint64(p.arg1>>2)
					}
					c.count = p.count
					c.evs, c.low, c.high = b.GetEventsFromID(c.id, c.count)
					seenLow, seenHigh = c.low, c.high
				case rcRecent:
					c.count = p.count
					c.evs = b.GetRecentEvents(c.count)
				case rcResize:
					c.count = p.resizeTo
					b.Resize(p.resizeTo)
				case rcLast:
					c.lastEventID = b.GetLastEventID()
				case rcYield:
					runtime.Gosched()
				case rcRepeat:
					for range 32 {
						calls[w] = append(calls[w], ringCall{op: rcRecent, count: p.count,
							evs: b.GetRecentEvents(p.count)})
					}
					continue
				}
				calls[w] = append(calls[w], c)
			}
		})

		total := uint64(nextTag)
		// IDs: dense and unique, increasing per goroutine.
		seen := make([]bool, total)
		for _, id := range idOf {
			require.Less(t, id, total, "Add returned an ID beyond the number of Adds")
			require.False(t, seen[id], "Add returned ID %d twice", id)
			seen[id] = true
		}
		idOfRec := func(ev *si.EventRecord) (uint64, bool) {
			if ev == nil {
				return 0, false
			}
			return idOf[ev.GetTimestampNano()], true
		}
		for w, cs := range calls {
			var lastAdd, lastHigh uint64
			firstAdd := true
			for i, c := range cs {
				where := callRef{w, i, c.op}
				switch c.op {
				case rcAdd:
					require.True(t, firstAdd || c.idReturned > lastAdd, where)
					lastAdd, firstAdd = c.idReturned, false
				case rcFromID:
					require.LessOrEqual(t, uint64(len(c.evs)), c.count, where)
					if total == 0 {
						require.Zero(t, c.low, where)
						require.Zero(t, c.high, where)
					} else {
						require.Less(t, c.high, total, where)
					}
					if c.high >= c.low {
						require.LessOrEqual(t, c.high-c.low+1, maxCap, where)
					}
					if len(c.evs) > 0 {
						require.GreaterOrEqual(t, c.id, c.low, where)
						require.LessOrEqual(t, c.id+uint64(len(c.evs))-1, c.high, where)
					}
					for k, ev := range c.evs {
						id, ok := idOfRec(ev)
						require.True(t, ok, "%s: nil record", where)
						require.Equal(t, c.id+uint64(k), id, "%s: record at position %d", where, k)
					}
				case rcRecent:
					require.LessOrEqual(t, uint64(len(c.evs)), min(c.count, maxCap), where)
					for k, ev := range c.evs {
						id, ok := idOfRec(ev)
						require.True(t, ok, "%s: nil record", where)
						if k > 0 {
							prev, _ := idOfRec(c.evs[k-1])
							require.Equal(t, prev+1, id, "%s: not consecutive at %d", where, k)
						}
					}
				case rcLast:
					require.GreaterOrEqual(t, c.lastEventID, lastHigh, where)
					lastHigh = c.lastEventID
				}
			}
		}

		// Quiescent: the window is exact and readable.
		require.True(t, caps[b.Capacity()], "Capacity %d was never asked for", b.Capacity())
		require.Equal(t, total, b.NextID())
		low := b.GetLowestID()
		if total > 0 {
			require.Equal(t, total-1, b.GetLastEventID())
			require.Less(t, low, total, "an event must be held")
		} else {
			require.Zero(t, low)
		}
		require.LessOrEqual(t, total-low, b.Capacity(), "window larger than the capacity")
		evs, _, _ := b.GetEventsFromID(low, math.MaxUint64)
		require.Len(t, evs, int(total-low), "whole window")
		for k, ev := range evs {
			id, ok := idOfRec(ev)
			require.True(t, ok, "nil record in the window")
			require.Equal(t, low+uint64(k), id, "window record %d", k)
		}
		require.NoError(t, systemrun.SameRecords(evs, b.GetRecentEvents(math.MaxUint64)), "GetRecentEvents(MaxUint64) is the window")
		if len(caps) == 1 { // no Resize: the window is the newest capacity events
			require.Equal(t, total-min(total, b.Capacity()), low, "lowest without Resize")
		}
	})
}
