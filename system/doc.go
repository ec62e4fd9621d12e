// Package system is the drop-in event system: schedulers record their events
// with AddEvent, read the history by ID, stream it live, and have it published
// in batches to the resource manager's EventPlugin. It keeps the method sets
// and the observable contract of the Apache YuniKorn core's event system and
// replaces its locks and its channel hop with the lock-free ring, store and
// stream packages of this module.
//
// Concurrency contract: every exported function and method is safe from any
// number of goroutines. AddEvent runs entirely in the caller's goroutine,
// takes no lock, never blocks and allocates nothing (for messages within
// MaxMessageLength and string fields of valid UTF-8); its only channel
// operation is the streams' non-blocking wake-up of their dispatcher, and only
// while streams exist. It reads the lifecycle state with one atomic load, so
// it never waits for StartService, Stop, Restart or Reconfigure, which are
// serialized among themselves by a mutex that AddEvent never touches. The read
// methods (GetEventsFromID, GetEventStreams, Metrics, the getters) never block
// a writer. Stop and Restart wait for the publisher's last SendEvent and for
// the streams' goroutines to end (called from SendEvent itself, they return
// at once instead: see EventPlugin). The process-wide event system
// (GetEventSystem, Init) and the process-wide plugin (SetEventPlugin) are the
// only package-level state; both are read with one atomic load.
package system
