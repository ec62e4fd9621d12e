package fuzz

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/model"
	"github.com/lfevents/lfevents/internal/spsc"
)

// fifoModel is the obviously correct bounded FIFO: a slice, and the capacity
// rule of spsc.New (size rounded up to a power of two, at least 1).
type fifoModel struct {
	items []int
	cap   int
}

func newFIFOModel(size int) *fifoModel {
	c := 1
	for c < size {
		c <<= 1
	}
	return &fifoModel{cap: c}
}

func (m *fifoModel) pushBatch(src []int) int {
	n := min(len(src), m.cap-len(m.items))
	m.items = append(m.items, src[:n]...)
	return n
}

func (m *fifoModel) popBatch(n int) []int {
	n = min(n, len(m.items))
	out := append([]int{}, m.items[:n]...) // never nil, as dst[:0] is not
	m.items = m.items[n:]
	return out
}

// spscSize decodes a queue size: negative, zero and small sizes, and a few
// just around a power of two.
func spscSize(o *model.Ops) int {
	b := o.Byte()
	if b == 255 {
		return 1000 // rounds up to 1024
	}
	return int(int8(b)) // -128..127
}

const (
	spscPush      = iota // TryPush one value
	spscPushBatch        // PushBatch of 0..2*cap+1 values
	spscPop              // Pop
	spscPopBatch         // PopBatch into a dst of 0..2*cap+1
	spscOpCount
)

// FuzzSPSC holds spsc.Queue against fifoModel, one goroutine playing both
// sides, checking Len and Cap after every step and that batch operations
// touch only what they report.
func FuzzSPSC(f *testing.F) {
	f.Add([]byte{1, spscPush, spscPush, spscPop, spscPop})
	f.Add([]byte{0, spscPushBatch, 3, spscPopBatch, 3, spscPop})
	f.Add([]byte{0xff, spscPushBatch, 100, spscPopBatch, 7})
	f.Add([]byte{3, spscPushBatch, 9, spscPopBatch, 2, spscPushBatch, 3, spscPopBatch, 9})
	f.Add([]byte{0x80, spscPush, spscPush})
	f.Fuzz(func(t *testing.T, data []byte) {
		o := model.NewOps(data)
		size := spscSize(o)
		q := spsc.New[int](size)
		m := newFIFOModel(size)
		require.Equal(t, m.cap, q.Cap(), "Cap of New(%d)", size)
		next := 1 // values pushed are 1, 2, 3, ...; 0 is the zero value
		for step := 0; !o.Done(); step++ {
			switch o.Intn(spscOpCount) {
			case spscPush:
				want := m.pushBatch([]int{next}) == 1
				require.Equal(t, want, q.TryPush(next), "step %d: TryPush with Len %d of %d", step, len(m.items), m.cap)
				if want {
					next++
				}
			case spscPushBatch:
				src := make([]int, o.Intn(2*m.cap+2))
				for i := range src {
					src[i] = next + i
				}
				orig := slices.Clone(src)
				n := q.PushBatch(src)
				require.Equal(t, m.pushBatch(src), n, "step %d: PushBatch(%d values)", step, len(src))
				require.Equal(t, orig, src, "step %d: PushBatch modified its source", step)
				next += n
			case spscPop:
				want := m.popBatch(1)
				v, ok := q.Pop()
				require.Equal(t, len(want) == 1, ok, "step %d: Pop ok", step)
				if ok {
					require.Equal(t, want[0], v, "step %d: Pop value", step)
				} else {
					require.Zero(t, v, "step %d: Pop from empty returns the zero value", step)
				}
			case spscPopBatch:
				const sentinel = -1
				dst := make([]int, o.Intn(2*m.cap+2)+2)
				for i := range dst {
					dst[i] = sentinel
				}
				want := m.popBatch(len(dst) - 2)
				n := q.PopBatch(dst[:len(dst)-2])
				require.Equal(t, len(want), n, "step %d: PopBatch count", step)
				require.Equal(t, want, dst[:n], "step %d: PopBatch values", step)
				for i := n; i < len(dst); i++ {
					require.Equal(t, sentinel, dst[i], "step %d: PopBatch wrote dst[%d] beyond its count %d", step, i, n)
				}
			}
			require.Equal(t, len(m.items), q.Len(), "step %d: Len", step)
			require.Equal(t, m.cap, q.Cap(), "step %d: Cap", step)
		}
		// Drain: what is left comes out in order.
		for _, want := range m.items {
			v, ok := q.Pop()
			require.True(t, ok, "drain")
			require.Equal(t, want, v, "drain")
		}
		_, ok := q.Pop()
		require.False(t, ok, "empty after drain")
	})
}

// FuzzSPSCConcurrent runs one producer and one consumer goroutine at once,
// each following its own share of the fuzzer's operations (batch sizes and
// yields), and an observer reading Len. Under any interleaving the consumer
// receives 1..N exactly once and in order, and Len stays within [0, Cap].
func FuzzSPSCConcurrent(f *testing.F) {
	f.Add([]byte{1, 1, 1, 1, 1, 1, 1, 1, 1})
	f.Add([]byte{2, 9, 0, 7, 3, 1, 4, 5, 6, 2, 8})
	f.Add([]byte{0xff, 200, 3, 100, 250, 2, 1})
	f.Add([]byte{0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		o := model.NewOps(data)
		size := spscSize(o)
		q := spsc.New[int](size)
		capacity := q.Cap()
		// Even bytes drive the producer, odd bytes the consumer.
		var prod, cons []byte
		for i := 0; !o.Done(); i++ {
			if b := o.Byte(); i%2 == 0 {
				prod = append(prod, b)
			} else {
				cons = append(cons, b)
			}
		}
		if len(cons) == 0 {
			cons = []byte{0}
		}
		// The producer's plan: a chunk per byte, 1..2*cap+1 values; bit 0
		// says TryPush one at a time, bit 1 says yield after the chunk.
		total := 0
		for _, b := range prod {
			total += 1 + int(b>>2)%(2*capacity+1)
		}

		var wg sync.WaitGroup
		var got []int
		var lens []int
		done := make(chan struct{})
		var produced atomic.Bool
		wg.Add(3)
		go func() { // producer
			defer wg.Done()
			defer produced.Store(true)
			v := 1
			for _, b := range prod {
				chunk := make([]int, 1+int(b>>2)%(2*capacity+1))
				for i := range chunk {
					chunk[i] = v + i
				}
				for len(chunk) > 0 {
					var n int
					if b&1 == 1 {
						if q.TryPush(chunk[0]) {
							n = 1
						}
					} else {
						n = q.PushBatch(chunk)
					}
					chunk = chunk[n:]
					v += n
					if n == 0 {
						runtime.Gosched() // full: let the consumer run
					}
				}
				if b&2 == 2 {
					runtime.Gosched()
				}
			}
		}()
		go func() { // consumer
			defer wg.Done()
			defer close(done)
			dst := make([]int, 2*capacity+1)
			for i := 0; len(got) < total; i++ {
				b := cons[i%len(cons)]
				var n int
				if b&1 == 1 {
					if v, ok := q.Pop(); ok {
						dst[0], n = v, 1
					}
				} else {
					n = q.PopBatch(dst[:1+int(b>>2)%len(dst)])
				}
				got = append(got, dst[:n]...)
				if n == 0 && produced.Load() && q.Len() == 0 {
					return // everything pushed and the queue empty: values were lost
				}
				if n == 0 || b&2 == 2 {
					runtime.Gosched()
				}
			}
		}()
		go func() { // observer
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				lens = append(lens, q.Len())
				runtime.Gosched()
			}
		}()
		wg.Wait()

		require.Len(t, got, total, "values received")
		for i, v := range got {
			if v != i+1 {
				require.Equal(t, i+1, v, "value %d received out of order, lost or twice", i)
			}
		}
		for _, l := range lens {
			assert.True(t, l >= 0 && l <= capacity, "Len %d outside [0, %d]", l, capacity)
		}
		assert.Zero(t, q.Len(), "empty at the end")
	})
}
