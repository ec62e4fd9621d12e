// Package system is the drop-in event system: schedulers record their events
// with AddEvent, read the history by ID, stream it live, and have it published
// in batches to the resource manager's EventPlugin. It keeps the method sets
// and the observable contract of the Apache YuniKorn core's event system
// (pkg/events) and replaces its locks and its channel hop with the lock-free
// ring, store and stream packages of this module.
//
// Where to start: New(DefaultConfig()) builds an event system (Default
// returns the process-wide one, which GetEventSystem returns as the
// EventSystem interface); StartService starts it with its publisher and Stop
// stops both. Build records with CreateAppEventRecord and the other Create
// constructors and hand them to AddEvent, or a slice of them to AddEvents.
// Read history with GetEventsFromID, follow it live with CreateEventStream or
// CreateEventStreamFrom, and see what happened to the events with Metrics.
// The publisher sends batches to Config.Plugin, or else to the plugin
// registered with SetEventPlugin; with neither, events wait in the store.
// ConfigFromMap reads the reference's configuration keys. Package httpapi
// serves an event system over HTTP, package promevents exports its Metrics
// to Prometheus.
//
// Concurrency contract: every exported function and method is safe from any
// number of goroutines. AddEvent runs entirely in the caller's goroutine,
// takes no lock, never blocks and allocates nothing (unless a message longer
// than MaxMessageLength must be cut); its only channel
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
