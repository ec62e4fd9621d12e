package spsc

import (
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// maxCapacity bounds the slot array New allocates (2^30 slots).
const maxCapacity = 1 << 30

// The algorithm (a Lamport ring buffer with cached indices, as in the
// FastForward and MCRingBuffer line of work):
//
//   - head and tail are free-running counters; slot i lives at slots[i&mask].
//     Slots in [head, tail) hold values owned by the consumer; the others are
//     owned by the producer. Always head <= tail <= head+len(slots).
//   - Only the producer writes tail. It fills slots[tail&mask] (plain
//     writes), then publishes them with the atomic store of tail. The consumer
//     reads a slot only after an atomic load of tail that covers it, so it
//     sees the producer's writes.
//   - Only the consumer writes head. It copies a value out, zeroes the slot
//     (so the queue does not keep garbage alive), then hands the slot back
//     with the atomic store of head. The producer writes a slot only after an
//     atomic load of head shows it free, so the consumer is done with it.
//   - Each side keeps a private copy of the other side's index (headCache,
//     tailCache) and reloads the shared one only when the copy says "full" or
//     "empty". In steady flow that is once per lap instead of once per
//     operation, so the two cache lines are not bounced on every call.
//   - Wrap-around: the counters are uint64 and advance by one per value, so
//     they do not wrap in the life of a process; a slot index is reused only
//     after the consumer's head store has released it, which is what the
//     full check tests (tail-head == len(slots)).
//
// head and tail sit on separate cache lines (cpu.CacheLinePad) together with
// the cache of their owner, so the producer and the consumer never write the
// same line.

// Queue is a bounded single-producer/single-consumer FIFO of T. Create it with
// New; the zero value is not usable. A push happens before the pop that
// returns the pushed value.
type Queue[T any] struct {
	_ cpu.CacheLinePad

	// Read-only after New.
	slots []T
	mask  uint64

	_ cpu.CacheLinePad

	// tail is the next slot the producer fills. Written by the producer
	// (atomic store per push: publishes the slots before it), loaded by the
	// consumer when its tailCache says empty, and by Len.
	tail atomic.Uint64
	// headCache is the producer's last seen head; producer-private.
	headCache uint64

	_ cpu.CacheLinePad

	// head is the next slot the consumer takes. Written by the consumer
	// (atomic store per pop: releases the slots before it), loaded by the
	// producer when its headCache says full, and by Len.
	head atomic.Uint64
	// tailCache is the consumer's last seen tail; consumer-private.
	tailCache uint64

	_ cpu.CacheLinePad
}

// New returns an empty queue that holds at least size values: size rounded up
// to a power of two, at least 1 and at most 2^30.
func New[T any](size int) *Queue[T] {
	n := roundUp(size)
	return &Queue[T]{slots: make([]T, n), mask: uint64(n - 1)}
}

// roundUp returns the power of two that New uses for size.
func roundUp(size int) int {
	if size <= 1 {
		return 1
	}
	if size >= maxCapacity {
		return maxCapacity
	}
	n := 1
	for n < size {
		n <<= 1
	}
	return n
}

// Cap returns the number of values the queue holds when full. Safe from any
// goroutine.
func (q *Queue[T]) Cap() int { return len(q.slots) }

// Len returns the number of values in the queue. Safe from any goroutine;
// while the other side runs the result is a snapshot that may already be
// stale, never below 0 nor above Cap.
func (q *Queue[T]) Len() int {
	h := q.head.Load() // head first: the tail loaded after it is >= it.
	t := q.tail.Load()
	n := t - h
	if n > uint64(len(q.slots)) {
		n = uint64(len(q.slots))
	}
	return int(n)
}

// TryPush appends v and reports true, or reports false and leaves the queue
// unchanged when it is full.
// It must only be called by the single producer. It never blocks.
func (q *Queue[T]) TryPush(v T) bool {
	t := q.tail.Load() // own variable: a plain load on the common platforms
	if t-q.headCache >= uint64(len(q.slots)) {
		q.headCache = q.head.Load()
		if t-q.headCache >= uint64(len(q.slots)) {
			return false
		}
	}
	q.slots[t&q.mask] = v
	q.tail.Store(t + 1)
	return true
}

// PushBatch appends as many values of src as fit, in order, publishing them
// with one store, and returns how many it appended (len(src) unless the
// queue filled up).
// It must only be called by the single producer. It never blocks.
func (q *Queue[T]) PushBatch(src []T) int {
	t := q.tail.Load()
	size := uint64(len(q.slots))
	free := size - (t - q.headCache)
	if free < uint64(len(src)) {
		q.headCache = q.head.Load()
		free = size - (t - q.headCache)
	}
	n := min(uint64(len(src)), free)
	if n == 0 {
		return 0
	}
	// Copy in at most two runs: up to the end of the array, then from 0.
	i := t & q.mask
	k := uint64(copy(q.slots[i:], src[:n]))
	copy(q.slots, src[k:n])
	q.tail.Store(t + n)
	return int(n)
}

// Pop removes and returns the oldest value, or reports false when the queue
// is empty.
// It must only be called by the single consumer. It never blocks.
func (q *Queue[T]) Pop() (T, bool) {
	h := q.head.Load()
	if h == q.tailCache {
		q.tailCache = q.tail.Load()
		if h == q.tailCache {
			var zero T
			return zero, false
		}
	}
	i := h & q.mask
	v := q.slots[i]
	var zero T
	q.slots[i] = zero
	q.head.Store(h + 1)
	return v, true
}

// PopBatch moves up to len(dst) of the oldest values into dst[0:n], oldest
// first, releasing their slots with one store, and returns n (0 when the
// queue is empty).
// It must only be called by the single consumer. It never blocks.
func (q *Queue[T]) PopBatch(dst []T) int {
	h := q.head.Load()
	avail := q.tailCache - h
	if avail < uint64(len(dst)) {
		q.tailCache = q.tail.Load()
		avail = q.tailCache - h
	}
	n := min(uint64(len(dst)), avail)
	if n == 0 {
		return 0
	}
	i := h & q.mask
	end := min(i+n, uint64(len(q.slots)))
	k := uint64(copy(dst[:n], q.slots[i:end]))
	clear(q.slots[i:end])
	if k < n {
		copy(dst[k:n], q.slots[:n-k])
		clear(q.slots[:n-k])
	}
	q.head.Store(h + n)
	return int(n)
}
