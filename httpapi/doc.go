// Package httpapi serves an event system to remote consumers over HTTP: the
// reference webservice's batch and stream endpoints with their formats, error
// bodies, configuration keys and defaults, plus resumable Server-Sent Events
// on the stream path, filters, per-client stream limits and an explicit CORS
// policy. It is a plain http.Handler, so it mounts on any mux or server.
//
// Concurrency contract: a Handler is safe for any number of concurrent
// requests. The batch endpoint reads history without blocking the event
// system's writers. Each stream runs in its request's goroutine and holds
// one event-system stream; it writes in batches with a deadline per write,
// so a client that stops reading is dropped within the write timeout and
// its event-system stream, its limiter slot and its goroutine are released.
// Close ends all streams and waits for their handlers to return.
package httpapi
