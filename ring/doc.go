// Package ring is the event history: a bounded, lock-free, multi-producer ring
// of *si.EventRecord that gives every event its ID, in the manner of the LMAX
// Disruptor's multi-producer sequencer and Vyukov's bounded queue. Package
// system builds its history on it; most programs use it through that
// package.
//
// Concurrency contract: every method is safe from any number of goroutines.
// Add claims an ID with one atomic add, writes the slot and publishes it
// through the slot's sequence number; it takes no lock and waits only when it
// laps a slot whose previous writer has not yet published (possible on tiny
// rings with a descheduled writer). Readers never wait, never block a writer
// and never return a torn record: a record returned under ID k is the event
// that was added as ID k. An ID that is claimed but not yet written is a hole:
// reads stop before the first hole. Resize runs beside writers and readers;
// concurrent Resize calls serialize among themselves. The comment block at the
// top of ring.go is the full argument.
package ring
