package baseline

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/testutil"
)

func rec(id uint64) *si.EventRecord {
	return &si.EventRecord{ObjectID: strconv.FormatUint(id, 10)}
}

// modelRing is the obviously correct history: every event ever added, and
// the window [lowest, next) of the ones still held.
type modelRing struct {
	all      []*si.EventRecord
	capacity uint64
	lowest   uint64
}

func (m *modelRing) add(ev *si.EventRecord) uint64 {
	m.all = append(m.all, ev)
	next := uint64(len(m.all))
	if next-m.lowest > m.capacity {
		m.lowest = next - m.capacity
	}
	return next - 1
}

func (m *modelRing) resize(c uint64) {
	if c == 0 {
		c = 1
	}
	m.capacity = c
	next := uint64(len(m.all))
	if next-m.lowest > c {
		m.lowest = next - c
	}
}

func (m *modelRing) bounds() (uint64, uint64) {
	next := uint64(len(m.all))
	if next == m.lowest {
		return 0, 0
	}
	return m.lowest, next - 1
}

func (m *modelRing) fromID(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	lo, hi := m.bounds()
	next := uint64(len(m.all))
	if id < m.lowest || id >= next {
		return nil, lo, hi
	}
	end := next
	if count < end-id {
		end = id + count
	}
	return m.all[id:end], lo, hi
}

func (m *modelRing) recent(count uint64) []*si.EventRecord {
	next := uint64(len(m.all))
	n := min(count, next-m.lowest)
	return m.all[next-n:]
}

func TestRingWindow(t *testing.T) {
	r := NewRing(4)
	evs, lo, hi := r.GetEventsFromID(0, 10)
	assert.Empty(t, evs)
	assert.Equal(t, [2]uint64{0, 0}, [2]uint64{lo, hi})
	for i := uint64(0); i < 10; i++ {
		require.Equal(t, i, r.Add(rec(i)))
	}
	// Held: 6..9, after wrap-around.
	tests := []struct {
		name      string
		id, count uint64
		want      []uint64
	}{
		{"below lowest", 5, 10, nil},
		{"past newest", 10, 10, nil},
		{"count limits after wrap", 6, 2, []uint64{6, 7}},
		{"newest limits", 8, 10, []uint64{8, 9}},
		{"count zero", 7, 0, nil},
		{"count max", 6, math.MaxUint64, []uint64{6, 7, 8, 9}},
		{"id max", math.MaxUint64, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, lo, hi := r.GetEventsFromID(tt.id, tt.count)
			assert.Equal(t, uint64(6), lo)
			assert.Equal(t, uint64(9), hi)
			require.Len(t, evs, len(tt.want))
			for i, id := range tt.want {
				assert.Equal(t, strconv.FormatUint(id, 10), evs[i].ObjectID)
			}
		})
	}
	recent := r.GetRecentEvents(100)
	require.Len(t, recent, 4, "recent history after wrap-around returns what is held")
	assert.Equal(t, "6", recent[0].ObjectID)
}

func TestRingZeroCapacity(t *testing.T) {
	r := NewRing(0)
	assert.Equal(t, uint64(1), r.Capacity())
	r.Add(rec(0))
	r.Add(rec(1))
	assert.Equal(t, uint64(1), r.GetLowestID())
	r.Resize(0)
	assert.Equal(t, uint64(1), r.Capacity())
}

// TestRingModel holds the ring against the model through random operations.
func TestRingModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		c := rng.Uint64N(8)
		r, m := NewRing(c), &modelRing{capacity: max(c, 1)}
		for op := 0; op < 300; op++ {
			switch k := rng.IntN(10); {
			case k < 6:
				ev := rec(uint64(op))
				require.Equal(t, m.add(ev), r.Add(ev))
			case k < 7:
				c := rng.Uint64N(10)
				m.resize(c)
				r.Resize(c)
				require.Equal(t, m.capacity, r.Capacity())
			case k < 9:
				id, count := rng.Uint64N(uint64(len(m.all))+3), rng.Uint64N(12)
				wantEvs, wantLo, wantHi := m.fromID(id, count)
				evs, lo, hi := r.GetEventsFromID(id, count)
				require.Equal(t, wantLo, lo)
				require.Equal(t, wantHi, hi)
				require.Equal(t, len(wantEvs), len(evs), "id %d count %d", id, count)
				for i := range evs {
					require.Same(t, wantEvs[i], evs[i])
				}
			default:
				count := rng.Uint64N(12)
				want, got := m.recent(count), r.GetRecentEvents(count)
				require.Equal(t, len(want), len(got))
				for i := range got {
					require.Same(t, want[i], got[i])
				}
			}
			lo, hi := m.bounds()
			require.Equal(t, lo, r.GetLowestID())
			require.Equal(t, hi, r.GetLastEventID())
			require.Equal(t, uint64(len(m.all)), r.NextID())
		}
	}
}

// TestRingConcurrent: readers always get consecutive IDs, never more than
// asked for, while writers add and a resizer shrinks and grows the ring.
func TestRingConcurrent(t *testing.T) {
	r := NewRing(3)
	const writers, perWriter = 4, 2000
	ids := make([][]uint64, writers)
	writing := testutil.Start(writers, func(w int) {
		for i := 0; i < perWriter; i++ {
			ids[w] = append(ids[w], r.Add(&si.EventRecord{}))
		}
	})
	stopReaders := testutil.Loop(
		func() { r.Resize(uint64(rand.IntN(6))) },
		func() {
			lo := r.GetLowestID()
			evs, gotLo, hi := r.GetEventsFromID(lo, 4)
			assert.LessOrEqual(t, len(evs), 4)
			assert.LessOrEqual(t, gotLo, hi)
		},
	)
	writing()
	stopReaders()
	seen := make(map[uint64]bool)
	for _, list := range ids {
		for _, id := range list {
			assert.False(t, seen[id], "ID %d handed out twice", id)
			seen[id] = true
		}
	}
	assert.Len(t, seen, writers*perWriter)
	assert.Equal(t, uint64(writers*perWriter), r.NextID())
}
