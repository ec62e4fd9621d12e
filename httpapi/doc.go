// Package httpapi serves an event system to remote consumers over HTTP: the
// batch and stream endpoints of the Apache YuniKorn core's webservice with
// their formats, error bodies, configuration keys and defaults, plus
// resumable Server-Sent Events on the stream path, filters, per-client stream
// limits and an explicit CORS policy. New(sys) returns a plain http.Handler:
// mount it at BatchPath and StreamPath on any mux or server, and call its
// Close before shutting the server down. docs/http.md describes the
// endpoints and formats.
//
// Differences from the reference that a client can see, all deliberate:
//   - CORS: no Access-Control-* header unless WithAllowedOrigins grants it
//     (the reference sends "*" with credentials on every response).
//   - The per-host stream limit counts the client's address (an IPv6
//     client: its /64; X-Forwarded-For only from WithTrustedProxies), not
//     the request's Host header, which names the server.
//   - The line that ends an NDJSON stream closed by the event system has the
//     reference's status_code 200 and message; its description adds why
//     (". Original Cause :" and the reason) where the reference repeats the
//     message.
//   - Request errors come before the stream limits: a bad count is 400 even
//     when no stream could be admitted (the reference takes a slot first and
//     answers 503).
//   - When a stream's write deadline cannot be set (the connection is gone),
//     the stream ends without writing; the reference writes an error line
//     without a deadline.
//   - Unknown paths (404) and methods (405, with Allow) get the reference's
//     JSON error body instead of the router's plain text; OPTIONS is 204;
//     HEAD is served, and on a variant of an endpoint's path redirected
//     (301) as a GET is; a GET or HEAD on an endpoint that announces a body
//     is refused (400). No answer (301 and 404 included) reads or waits for
//     a body: over HTTP/1 it closes the connection.
//   - Additions: a "state" field in records that carry one, Server-Sent
//     Events with resume, filters, the closing line or cut on Close, and an
//     InstanceUUID of the handler's (WithInstanceUUID), not the scheduler's.
//
// Concurrency contract: a Handler is safe for any number of concurrent
// requests. The batch endpoint reads history without blocking the event
// system's writers. Each stream runs in its request's goroutine and holds
// one event-system stream; it writes in batches with a deadline per write,
// so a client that stops reading is dropped within the write timeout and
// its event-system stream, its limiter slot and its goroutine are released.
// Close ends all streams and waits for their handlers to return.
package httpapi
