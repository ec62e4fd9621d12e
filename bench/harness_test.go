package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIngestersAccount checks the harness itself: for every impl= of the
// ingest scenario, events offered = events that reach history + dropped,
// which is what BenchmarkIngest's ns/event and drop-% rely on.
func TestIngestersAccount(t *testing.T) {
	const producers, events = 4, 20000
	for _, impl := range ingestImpls {
		t.Run(impl.name, func(t *testing.T) {
			s := impl.make(1000)
			defer s.stop()
			runProducers(events, producers, records(producers, 16), s.AddEvent)
			accepted := events - s.dropped()
			require.Eventually(t, func() bool { return s.inHistory() == accepted }, 10*time.Second, time.Millisecond)
			assert.LessOrEqual(t, s.dropped(), uint64(events))
		})
	}
}

// TestFloorClaimPublishSlots: after a single producer's run, the newest lap
// of slots holds the published sequences of IDs next-len(slots) .. next-1.
// (With several producers a lapped writer may land late: the floor does not
// guard against that, it only measures the cost of claim and publish.)
func TestFloorClaimPublishSlots(t *testing.T) {
	f := newFloorClaimPublish(100) // 128 slots
	require.Len(t, f.slots, 128)
	runProducers(1000, 1, records(1, 4), f.AddEvent)
	next := f.next.Load()
	require.Equal(t, uint64(1000), next)
	for id := next - 128; id < next; id++ {
		s := &f.slots[id&f.mask]
		assert.Equal(t, id+1, s.seq.Load(), "slot of ID %d", id)
		assert.NotNil(t, s.rec.Load())
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		n, p int
		want []int
	}{
		{10, 3, []int{4, 3, 3}},
		{2, 4, []int{1, 1, 0, 0}},
		{0, 2, []int{0, 0}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, split(tt.n, tt.p))
	}
}
