// Package httpapi serves an event system to remote consumers over HTTP: the
// batch and stream endpoints of the Apache YuniKorn core's webservice with
// their formats, error bodies, configuration keys and defaults, plus
// resumable Server-Sent Events on the stream path, filters, per-client stream
// limits and an explicit CORS policy. New(sys) returns a plain http.Handler:
// mount it at BatchPath and StreamPath on any mux or server, and call its
// Close before shutting the server down. docs/http.md describes the
// endpoints and formats.
//
// Concurrency contract: a Handler is safe for any number of concurrent
// requests. The batch endpoint reads history without blocking the event
// system's writers. Each stream runs in its request's goroutine and holds
// one event-system stream; it writes in batches with a deadline per write,
// so a client that stops reading is dropped within the write timeout and
// its event-system stream, its limiter slot and its goroutine are released.
// Close ends all streams and waits for their handlers to return.
package httpapi
