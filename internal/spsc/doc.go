// Package spsc provides Queue, a bounded, lock-free FIFO for exactly one
// producer goroutine and one consumer goroutine, the shape of a buffered
// channel with one sender and one receiver but without a lock or a wake-up.
//
// Concurrency contract: at any moment at most one goroutine may call the
// producer methods (TryPush, PushBatch) and at most one goroutine the consumer
// methods (Pop, PopBatch); the two may run at the same time. Len and Cap are
// safe from any goroutine. Nothing in the package blocks or allocates after
// New: a full queue refuses a push and an empty one returns nothing, and the
// caller decides whether to wait, retry or give up.
package spsc
