// Package stream delivers the event flow to live consumers: each stream gets
// the newest events of the history ring, then every later event, in ID order,
// on a Go channel, much like a per-subscriber tail of a log.
//
// Concurrency contract: every method of EventStreaming is safe from any number
// of goroutines. PublishEvent, the call on the producers' path, takes no lock
// and does not allocate: with no streams it is one atomic load, otherwise it at
// most flips a flag and does a non-blocking channel send to wake the
// dispatcher. One dispatch goroutine per EventStreaming, running only while
// streams exist, follows the ring by event ID and pushes each batch into every
// consumer's bounded single-producer/single-consumer queue (internal/spsc);
// each stream has one goroutine that moves its queue into its Events channel.
// A consumer whose queue is full when the dispatcher pushes is cut off alone
// (closed, logged, counted) and never slows the others or the producers.
// CreateEventStream, RemoveEventStream and Close (the control plane) serialize
// on a mutex that neither PublishEvent nor delivery ever takes; Remove and
// Close return only after the goroutines of the streams they end have exited
// and their channels are closed.
package stream
