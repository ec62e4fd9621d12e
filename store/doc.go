// Package store keeps the batch of events that the publisher hands to the
// resource manager every push interval; it is the lock-free counterpart of a
// mutex-guarded slice that is copied out on every collect. Package system
// builds its publisher's batch on it (sequenced by the history ring's IDs);
// most programs use it through that package.
//
// Concurrency contract: Store, StoreWithID and StoreRunWithID may be called
// from any number of goroutines at once; they take no lock, never wait and
// never allocate (Store claims an event ID with one atomic add; the others
// take IDs from the caller's sequence; one atomic pointer store fills each
// slot). CollectEvents may also be called from several goroutines:
// collectors are serialized among themselves by a mutex that writers never
// touch, and a collector waits only for writers that already claimed a slot
// in the batch it hands out. Every stored event ends up in exactly one
// returned batch, in ID order, never nil; the caller owns the returned slice.
// CountStoredEvents, Stats and SetStoreSize never block.
package store
