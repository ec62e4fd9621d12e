package spsc

import (
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkTransfer moves b.N values from a producer goroutine to the
// benchmark goroutine. impl=spsc pushes and pops one value at a time,
// impl=spscbatch pops in batches of 64, impl=chan is a buffered channel of the
// same capacity. A waiting side of the queue yields (runtime.Gosched).
func BenchmarkTransfer(b *testing.B) {
	for _, size := range []int{64, 1024} {
		b.Run("size="+strconv.Itoa(size)+"/impl=spsc", func(b *testing.B) {
			benchQueue(b, size, false)
		})
		b.Run("size="+strconv.Itoa(size)+"/impl=spscbatch", func(b *testing.B) {
			benchQueue(b, size, true)
		})
		b.Run("size="+strconv.Itoa(size)+"/impl=chan", func(b *testing.B) {
			benchChan(b, size)
		})
	}
}

func benchQueue(b *testing.B, size int, batch bool) {
	q := New[*int](size)
	v := new(int)
	n := b.N
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for i := 0; i < n; {
			if q.TryPush(v) {
				i++
				continue
			}
			runtime.Gosched()
		}
	}()
	dst := make([]*int, 64)
	for got := 0; got < n; {
		if batch {
			if k := q.PopBatch(dst); k > 0 {
				got += k
				continue
			}
		} else if _, ok := q.Pop(); ok {
			got++
			continue
		}
		runtime.Gosched()
	}
}

func benchChan(b *testing.B, size int) {
	ch := make(chan *int, size)
	v := new(int)
	n := b.N
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for range n {
			ch <- v
		}
	}()
	for range n {
		<-ch
	}
}

// BenchmarkPushPop is the cost of one push and one pop on one goroutine (no
// contention, no waiting): impl=spsc, impl=spscbatch (batches of 64 per
// PushBatch/PopBatch, reported per value), impl=chan.
func BenchmarkPushPop(b *testing.B) {
	v := new(int)
	b.Run("impl=spsc", func(b *testing.B) {
		q := New[*int](64)
		b.ReportAllocs()
		for b.Loop() {
			q.TryPush(v)
			q.Pop()
		}
	})
	b.Run("impl=spscbatch", func(b *testing.B) {
		q := New[*int](64)
		src := make([]*int, 64)
		for i := range src {
			src[i] = v
		}
		dst := make([]*int, 64)
		b.ReportAllocs()
		for i := 0; i < b.N; i += len(src) {
			q.PushBatch(src)
			q.PopBatch(dst)
		}
	})
	b.Run("impl=chan", func(b *testing.B) {
		ch := make(chan *int, 64)
		b.ReportAllocs()
		for b.Loop() {
			ch <- v
			<-ch
		}
	})
}
