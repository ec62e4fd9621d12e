package ring

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/testutil"
)

// A record of the stress test says which writer added it and its place in
// that writer's sequence.
func stressRec(writer, n int) *si.EventRecord {
	return &si.EventRecord{TimestampNano: int64(writer)<<32 | int64(n)}
}

func writerOf(ev *si.EventRecord) (int, int) {
	v := ev.GetTimestampNano()
	return int(v >> 32), int(v & (1<<32 - 1))
}

// readResult is one read a reader made: records claimed to start at ID from
// (fromID) or, for GetRecentEvents, of unknown start (recent).
type readResult struct {
	from   uint64
	recent bool
	count  uint64
	evs    []*si.EventRecord
}

// TestStressWritersReadersResizer runs writers, readers and a resizer on tiny
// rings and then checks every read against what the writers were told: an ID
// always maps to the same event, reads are consecutive windows never longer
// than asked, and each writer's events appear in its order.
func TestStressWritersReadersResizer(t *testing.T) {
	for _, tc := range []struct {
		name              string
		capacity          uint64
		writers, perWrite int
		resize            bool
	}{
		{"capacity 1", 1, 4, 3000, false},
		{"capacity 3", 3, 4, 3000, false},
		{"capacity 8 resized", 8, 4, 3000, true},
		{"capacity 2 resized", 2, 3, 3000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := New(tc.capacity)
			var idOf sync.Map // *si.EventRecord -> uint64 (what Add returned)
			written := testutil.Start(tc.writers, func(w int) {
				for n := 0; n < tc.perWrite; n++ {
					ev := stressRec(w, n)
					idOf.Store(ev, b.Add(ev))
				}
			})
			results := make([][]readResult, 3)
			// read(r) is one read of reader r, recorded in results[r].
			read := func(r int) func() {
				rnd := rand.New(rand.NewPCG(uint64(r), 1))
				return func() {
					count := uint64(rnd.IntN(12))
					if rnd.IntN(2) == 0 {
						evs := b.GetRecentEvents(count)
						results[r] = append(results[r], readResult{recent: true, count: count, evs: evs})
						return
					}
					low, high := b.GetLowestID(), b.GetLastEventID()
					from := low + uint64(rnd.IntN(int(high-min(low, high))+2))
					evs, _, _ := b.GetEventsFromID(from, count)
					results[r] = append(results[r], readResult{from: from, count: count, evs: evs})
				}
			}
			side := []func(){read(0), read(1), read(2)}
			if tc.resize {
				rnd := rand.New(rand.NewPCG(9, 9))
				side = append(side, func() { b.Resize(uint64(rnd.IntN(int(tc.capacity) * 4))) })
			}
			stop := testutil.Loop(side...)
			written()
			stop()

			ids := map[*si.EventRecord]uint64{}
			byID := map[uint64]*si.EventRecord{}
			idOf.Range(func(k, v any) bool {
				ev, id := k.(*si.EventRecord), v.(uint64)
				ids[ev] = id
				_, dup := byID[id]
				require.False(t, dup, "ID %d handed out twice", id)
				byID[id] = ev
				return true
			})
			total := uint64(tc.writers * tc.perWrite)
			require.Len(t, byID, int(total))
			require.Equal(t, total, b.NextID())

			var checked int
			for _, rs := range results {
				for _, res := range rs {
					require.LessOrEqual(t, uint64(len(res.evs)), res.count, "never more than asked")
					last := map[int]int{}
					for i, ev := range res.evs {
						id, ok := ids[ev]
						require.True(t, ok, "a record nobody added")
						if res.recent {
							if i > 0 {
								require.Equal(t, ids[res.evs[i-1]]+1, id, "recent events are consecutive")
							}
						} else {
							require.Equal(t, res.from+uint64(i), id, "record under ID %d is the one added as that ID", res.from+uint64(i))
						}
						w, n := writerOf(ev)
						if prev, seen := last[w]; seen {
							require.Less(t, prev, n, "writer %d out of order", w)
						}
						last[w] = n
						checked++
					}
				}
			}
			t.Logf("checked %d records in %d reads", checked, len(results[0])+len(results[1])+len(results[2]))

			// Quiescent: the buffer holds exactly the newest Capacity events.
			capNow := b.Capacity()
			held := b.GetRecentEvents(capNow + 10)
			low := b.GetLowestID()
			assert.Equal(t, total-1, b.GetLastEventID())
			for i, ev := range held {
				assert.Equal(t, low+uint64(i), ids[ev])
			}
			assert.LessOrEqual(t, uint64(len(held)), capNow)
		})
	}
}

// TestStressResizeWhileWriting: with writers running, Resize loses no ID
// (they stay dense); once they stop, a resize to a larger capacity keeps
// every event the ring held.
func TestStressResizeWhileWriting(t *testing.T) {
	b := New(4)
	const writers, per = 4, 5000
	written := testutil.Start(writers, func(w int) {
		for n := 0; n < per; n++ {
			b.Add(stressRec(w, n))
		}
	})
	caps := []uint64{1, 64, 3, 1000, 2, 17}
	i := 0
	stop := testutil.Loop(func() {
		b.Resize(caps[i%len(caps)])
		i++
	})
	written()
	stop()
	require.Equal(t, uint64(writers*per), b.NextID())
	b.Resize(100)
	before := b.GetRecentEvents(100)
	for i := 0; i < 50; i++ {
		b.Add(rec(uint64(i)))
	}
	after := b.GetRecentEvents(100)
	keep := 100 - 50
	if len(before) > keep {
		before = before[len(before)-keep:]
	}
	assert.Equal(t, marks(before), marks(after[:len(before)]), "resize to a larger capacity keeps what it held")
	assert.Equal(t, uint64(writers*per+49), b.GetLastEventID())
}
