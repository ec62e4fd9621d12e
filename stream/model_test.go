package stream

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/model"
	"github.com/lfevents/lfevents/ring"
)

// collector reads a stream into a slice on its own goroutine.
type collector struct {
	s    *EventStream
	mu   sync.Mutex
	got  []uint64
	n    atomic.Int64
	done chan struct{}
}

func collect(s *EventStream) *collector {
	c := &collector{s: s, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for ev := range s.Events {
			c.mu.Lock()
			c.got = append(c.got, idOf(ev))
			c.mu.Unlock()
			c.n.Add(1)
		}
	}()
	return c
}

func (c *collector) ids() []uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]uint64{}, c.got...)
}

// waitFor waits until c has received n records.
func (c *collector) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(failAfter)
	for c.n.Load() < int64(n) {
		select {
		case <-c.done:
			require.GreaterOrEqual(t, c.n.Load(), int64(n), "stream closed early (reason %v)", c.s.CloseReason())
			return
		default:
		}
		require.True(t, time.Now().Before(deadline), "stream got %d of %d (reason %v)", c.n.Load(), n, c.s.CloseReason())
		runtime.Gosched()
	}
}

// TestAgainstModel runs random sequences of adds, creates (random counts,
// including 0, more than held and MaxUint64) and removes on small rings and
// queues, waits after each step until the streams have caught up, and holds
// every stream's records to the reference model. (Interleavings without the
// waits are TestStressTinyRing's and TestJoinWhileProducing's.)
func TestAgainstModel(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		capacity := uint64(1 + rng.IntN(64))
		r := ring.New(capacity)
		qsize := 1 << rng.IntN(9)
		es := NewEventStreaming(r, WithQueueSize(qsize))
		m := model.NewStreams(capacity)
		var refs []*model.Stream
		var cols []*collector

		for op := 0; op < 60; op++ {
			switch k := rng.IntN(10); {
			case k < 6:
				// At most a ring's and a queue's worth per step: every
				// stream has caught up before each step, so the dispatcher
				// is never lapped and no queue overflows.
				n := rng.IntN(min(int(capacity), qsize, 40) + 1)
				add(r, es, n)
				m.Add(n)
			case k < 9:
				counts := []uint64{0, 1, uint64(rng.IntN(100)), capacity, capacity + 1, math.MaxUint64}
				count := counts[rng.IntN(len(counts))]
				refs = append(refs, m.Create(count))
				cols = append(cols, collect(es.CreateEventStream("model", count)))
			default:
				if len(cols) > 0 {
					i := rng.IntN(len(cols))
					es.RemoveEventStream(cols[i].s)
					m.Remove(refs[i])
				}
			}
			for i, c := range cols {
				c.waitFor(t, int(m.End(refs[i])-refs[i].First))
			}
		}
		es.Close()
		for i, c := range cols {
			<-c.done
			assert.Equal(t, seq(refs[i].First, m.End(refs[i])), c.ids(), "seed %d stream %d", seed, i)
			want := ReasonClosed
			if refs[i].Removed {
				want = ReasonRemoved
			}
			assert.Equal(t, want, c.s.CloseReason(), "seed %d stream %d", seed, i)
		}
		assert.Zero(t, es.Stats().StreamsRemovedSlow, "seed %d", seed)
	}
}

// TestStressTinyRing runs a flat-out producer against a tiny ring and tiny
// queues while streams join, read at different speeds, are removed and
// closed; run with -race. Whatever the interleaving, each stream gets one
// consecutive run of IDs and either reaches the last event or is closed as
// slow (and counted).
func TestStressTinyRing(t *testing.T) {
	const total = 20000
	r := ring.New(16)
	es := NewEventStreaming(r, WithQueueSize(4), WithLogger(quietLogger()))

	producerDone := make(chan struct{})
	go func() {
		defer close(producerDone)
		add(r, es, total)
	}()

	rng := rand.New(rand.NewPCG(1, 2))
	var cols []*collector
	var removed []bool
	for i := 0; i < 24; i++ {
		s := es.CreateEventStream("stress", uint64(rng.IntN(40)))
		if i%3 == 0 {
			// A slow reader: yields between records.
			c := &collector{s: s, done: make(chan struct{})}
			go func() {
				defer close(c.done)
				for ev := range s.Events {
					runtime.Gosched()
					c.mu.Lock()
					c.got = append(c.got, idOf(ev))
					c.mu.Unlock()
				}
			}()
			cols = append(cols, c)
		} else {
			cols = append(cols, collect(s))
		}
		removed = append(removed, false)
		if i%5 == 4 {
			j := rng.IntN(len(cols))
			es.RemoveEventStream(cols[j].s)
			removed[j] = true
		}
		_ = es.GetEventStreams()
		runtime.Gosched()
	}
	<-producerDone
	// Streams still open must reach the last event, then close them all.
	for i, c := range cols {
		for !removed[i] && c.s.CloseReason() == ReasonOpen {
			ids := c.ids()
			if len(ids) > 0 && ids[len(ids)-1] == total-1 {
				break
			}
			runtime.Gosched()
		}
	}
	es.Close()
	slow := 0
	for i, c := range cols {
		<-c.done
		ids := c.ids()
		requireRun(t, ids, "stress stream")
		switch reason := c.s.CloseReason(); reason {
		case ReasonSlow:
			slow++
		case ReasonRemoved:
			assert.True(t, removed[i])
		case ReasonClosed:
			require.NotEmpty(t, ids)
			assert.Equal(t, uint64(total-1), ids[len(ids)-1], "stream %d", i)
		default:
			assert.Fail(t, "unexpected reason", "stream %d: %v", i, reason)
		}
	}
	assert.Equal(t, uint64(slow), es.Stats().StreamsRemovedSlow)
	assert.Equal(t, uint64(len(cols)), es.Stats().StreamsCreated)
}
