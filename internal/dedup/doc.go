// Package dedup remembers recently recorded events in a fixed-size lock-free
// table so that an equal event arriving within a time window can be
// suppressed; it is the flood control behind the event system's DedupWindow.
//
// Concurrency contract: Table.Suppress may be called from any number of
// goroutines at once; it takes no lock, never blocks, never allocates and
// touches one table entry, except in the rare call that writes the
// rate-limited log line (the logger's handler may allocate and lock). The table is lossy in the safe direction: it may
// forget an event (a later one took its entry) or let two identical events
// that arrive together both through, but it never suppresses an event that
// differs from the remembered one.
package dedup
