package spsc

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sliceQueue is the reference model: an obviously correct bounded FIFO.
type sliceQueue struct {
	items []int
	size  int
}

func (m *sliceQueue) push(v int) bool {
	if len(m.items) == m.size {
		return false
	}
	m.items = append(m.items, v)
	return true
}

func (m *sliceQueue) pushBatch(src []int) int {
	n := 0
	for _, v := range src {
		if !m.push(v) {
			break
		}
		n++
	}
	return n
}

func (m *sliceQueue) pop() (int, bool) {
	if len(m.items) == 0 {
		return 0, false
	}
	v := m.items[0]
	m.items = m.items[1:]
	return v, true
}

func (m *sliceQueue) popBatch(dst []int) int {
	n := copy(dst, m.items)
	m.items = m.items[n:]
	return n
}

func TestNewRoundsUp(t *testing.T) {
	tests := []struct{ size, want int }{
		{-5, 1}, {0, 1}, {1, 1}, {2, 2}, {3, 4}, {1000, 1024}, {1024, 1024},
		{1025, 2048}, {maxCapacity + 1, maxCapacity},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, roundUp(tt.size), "roundUp(%d)", tt.size)
	}
	q := New[int](1000)
	assert.Equal(t, 1024, q.Cap())
	assert.Equal(t, 0, q.Len())
}

func TestFullAndEmptyEdges(t *testing.T) {
	for _, size := range []int{1, 2, 8} {
		q := New[int](size)
		_, ok := q.Pop()
		assert.False(t, ok, "pop from new queue")
		assert.Zero(t, q.PopBatch(make([]int, 4)), "batch pop from new queue")
		assert.Zero(t, q.PushBatch(nil), "empty batch")

		for i := range size {
			require.True(t, q.TryPush(i), "push %d of %d", i, size)
		}
		assert.Equal(t, size, q.Len())
		assert.False(t, q.TryPush(99), "push into full queue")
		assert.Zero(t, q.PushBatch([]int{1, 2}), "batch into full queue")

		v, ok := q.Pop()
		require.True(t, ok)
		assert.Equal(t, 0, v)
		assert.True(t, q.TryPush(size), "push after one pop")
		assert.False(t, q.TryPush(99), "full again")

		got := make([]int, size+3)
		n := q.PopBatch(got)
		require.Equal(t, size, n)
		for i := range n {
			assert.Equal(t, i+1, got[i])
		}
		_, ok = q.Pop()
		assert.False(t, ok, "empty after draining")
		assert.Equal(t, 0, q.Len())
	}
}

func TestPopClearsSlots(t *testing.T) {
	q := New[*int](4)
	x, y := 1, 2
	require.True(t, q.TryPush(&x))
	require.Equal(t, 1, q.PushBatch([]*int{&y}))
	_, ok := q.Pop()
	require.True(t, ok)
	require.Equal(t, 1, q.PopBatch(make([]*int, 4)))
	for i, p := range q.slots {
		assert.Nil(t, p, "slot %d still references a value", i)
	}

	// A batch pop that wraps around the end of the array clears both runs.
	vals := []int{3, 4, 5, 6}
	for i := range 3 {
		require.True(t, q.TryPush(&vals[i])) // slots 2, 3, 0
	}
	_, ok = q.Pop() // slot 2
	require.True(t, ok)
	require.True(t, q.TryPush(&vals[3]))             // slot 1
	require.Equal(t, 3, q.PopBatch(make([]*int, 4))) // slots 3, then 0 and 1
	for i, p := range q.slots {
		assert.Nil(t, p, "after a wrapping batch: slot %d still references a value", i)
	}
}

// TestAgainstModel drives the queue and the slice model with the same random
// operations (one goroutine) and compares every result.
func TestAgainstModel(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		size := 1 << rng.IntN(5)
		q := New[int](size)
		m := &sliceQueue{size: size}
		next := 0
		for op := range 5000 {
			switch rng.IntN(4) {
			case 0:
				ok := q.TryPush(next)
				require.Equal(t, m.push(next), ok, "seed %d op %d push", seed, op)
				next++
			case 1:
				src := make([]int, rng.IntN(2*size+1))
				for i := range src {
					src[i] = next
					next++
				}
				require.Equal(t, m.pushBatch(src), q.PushBatch(src), "seed %d op %d pushBatch", seed, op)
			case 2:
				v, ok := q.Pop()
				mv, mok := m.pop()
				require.Equal(t, mok, ok, "seed %d op %d pop ok", seed, op)
				require.Equal(t, mv, v, "seed %d op %d pop value", seed, op)
			case 3:
				k := rng.IntN(2*size + 1)
				got, want := make([]int, k), make([]int, k)
				n := q.PopBatch(got)
				require.Equal(t, m.popBatch(want), n, "seed %d op %d popBatch n", seed, op)
				require.Equal(t, want[:n], got[:n], "seed %d op %d popBatch values", seed, op)
			}
			require.Equal(t, len(m.items), q.Len(), "seed %d op %d len", seed, op)
		}
	}
}

// TestPingPongRace passes a counted sequence through tiny queues with the
// producer and the consumer on different goroutines, mixing single and batch
// operations; run with -race. The consumer checks every value arrives once,
// in order.
func TestPingPongRace(t *testing.T) {
	const total = 10000
	for _, size := range []int{1, 2, 4} {
		q := New[*int](size)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := make([]*int, 3)
			for i := 0; i < total; {
				if i%2 == 0 {
					v := i
					if q.TryPush(&v) {
						i++
						continue
					}
				} else {
					k := min(len(batch), total-i)
					for j := range k {
						v := i + j
						batch[j] = &v
					}
					if n := q.PushBatch(batch[:k]); n > 0 {
						i += n
						continue
					}
				}
				runtime.Gosched()
			}
		}()
		// A third goroutine watches Len while both sides run.
		var badLen atomic.Int64
		watching := make(chan struct{})
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			for {
				select {
				case <-watching:
					return
				default:
				}
				if n := q.Len(); n < 0 || n > q.Cap() {
					badLen.Store(int64(n))
				}
			}
		}()
		want := 0
		dst := make([]*int, 2)
		for want < total {
			if want%3 == 0 {
				if p, ok := q.Pop(); ok {
					require.Equal(t, want, *p)
					want++
					continue
				}
			} else if n := q.PopBatch(dst); n > 0 {
				for _, p := range dst[:n] {
					require.Equal(t, want, *p)
					want++
				}
				continue
			}
			assert.LessOrEqual(t, q.Len(), q.Cap())
			runtime.Gosched()
		}
		wg.Wait()
		close(watching)
		<-watched
		assert.Zero(t, badLen.Load(), "Len seen outside [0, Cap] from a third goroutine, size %d", size)
		assert.Equal(t, 0, q.Len(), "size %d", size)
	}
}
