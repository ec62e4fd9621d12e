package stream

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPollDelayStartsOverAfterAWaitWithoutDelivery: a parking dispatcher
// that finds claimed IDs not readable looks again after pollMin, doubling up
// to pollMax while it still finds them. A wait can end without a delivery
// (the IDs became readable but lie below the dispatcher's position, as for a
// stream opened from NextID while writers were in flight); the next wait,
// for other IDs, must start again at pollMin and not at the delay the
// earlier wait had grown to. The test hook makes the read end lag three
// parks in a row, then lets it catch up (a park without a timer), then lags
// once more, and looks at the delay each park's timer was set to.
func TestPollDelayStartsOverAfterAWaitWithoutDelivery(t *testing.T) {
	r, es := newStreaming(t, 16, 1, WithLogger(quietLogger()))
	type park struct {
		lagged bool
		delay  time.Duration
	}
	var (
		mu     sync.Mutex
		lag    = 3 // parks whose recheck still finds the last claimed ID unreadable
		lagged bool
		parks  []park
	)
	es.testHookRecheckEnd = func(end uint64) uint64 {
		mu.Lock()
		defer mu.Unlock()
		lagged = lag > 0 && end > 0
		if lagged {
			lag--
			return end - 1
		}
		return end
	}
	es.testHookPark = func(step parkStep) {
		if step != parkBlocking {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		parks = append(parks, park{lagged, es.disp.pollDelay}) // es.disp: set before the goroutine started
	}
	s := es.CreateEventStream("w", 0) // joins at 1: nothing to deliver
	// waitPark waits for a park after the first n that is lagged (or not).
	waitPark := func(n int, lagged bool) int {
		deadline := time.Now().Add(failAfter)
		for {
			mu.Lock()
			for i := n; i < len(parks); i++ {
				if parks[i].lagged == lagged {
					mu.Unlock()
					return i
				}
			}
			mu.Unlock()
			require.False(t, time.Now().After(deadline), "no such park")
			time.Sleep(time.Millisecond)
		}
	}
	snapshot := func() []park { // asserts run without mu: a failing one must not hold it
		mu.Lock()
		defer mu.Unlock()
		return append([]park(nil), parks...)
	}
	clean := waitPark(0, false) // the three lagged parks (timers), then one without
	got := snapshot()
	require.Equal(t, 3, clean, "parks: %v", got)
	require.Equal(t, []park{{true, pollMin}, {true, 2 * pollMin}, {true, 4 * pollMin}}, got[:3])
	mu.Lock()
	lag = 1
	mu.Unlock()
	es.signal()
	next := waitPark(clean+1, true)
	got = snapshot()
	require.Equal(t, pollMin, got[next].delay, "first timer of a new wait; parks: %v", got)

	add(r, es, 1) // and the stream still delivers
	require.Equal(t, []uint64{1}, receive(t, s, 1))
}
