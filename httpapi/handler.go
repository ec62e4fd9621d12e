package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lfevents/lfevents/system"
)

// The reference's paths.
const (
	// BatchPath serves GET: a slice of history by event ID, as one JSON object.
	BatchPath = "/ws/v1/events/batch"
	// StreamPath serves GET: the live event stream, as newline-delimited
	// JSON or, for a request that accepts text/event-stream, Server-Sent
	// Events.
	StreamPath = "/ws/v1/events/stream"
)

// Error messages of the reference, so clients that match on them keep
// working.
const (
	msgTrackingDisabled = "Event tracking is disabled"
	msgZeroCount        = `0 is not a valid value for "count"`
	msgTooManyStreams   = "Too many streaming connections"
	msgProducerClosed   = "Event stream was closed by the producer"
	msgShuttingDown     = "Event streaming is shutting down"
	msgNoFlusher        = "Writer does not implement http.Flusher"
	msgBodyNotAllowed   = "Request body not allowed"
)

// Handler serves an event system's history and streams over HTTP, at
// BatchPath and StreamPath. A GET or HEAD for one of them with a trailing
// slash, in other letter case or with an unclean path is redirected to it
// (301), as the reference's router redirects a GET; every other path, and
// every other method on such a variant, is answered with 404. No answer
// waits for a request body (see docs/http.md). Build it
// with New; it is safe for concurrent use, as an http.Handler must be.
//
// Streams hold their connection open until the client leaves, the event
// system ends the stream, or Close is called. http.Server.Shutdown does not
// end such connections by itself: call Close first (or register it with
// http.Server.RegisterOnShutdown).
type Handler struct {
	sys     system.EventSystem
	cfg     config
	log     *slog.Logger
	limiter *streamLimiter

	// responseSize is the batch endpoint's default and largest count; read
	// per request, written by Reconfigure.
	responseSize atomic.Uint64

	// mu guards closed and the Add side of active, so that Close's Wait
	// never races a stream being admitted.
	mu     sync.Mutex
	closed bool
	active sync.WaitGroup
	// done is closed by Close; every stream watches it.
	done chan struct{}

	// uuidLine is the first line of every NDJSON stream.
	uuidLine []byte

	// testHookIdle, when set by a test before requests arrive, runs in an
	// SSE stream's goroutine each time it has sent everything and is about
	// to wait.
	testHookIdle func()
}

// New returns a Handler over sys (for the process-wide event system, pass
// system.GetEventSystem()). It starts no goroutine.
func New(sys system.EventSystem, opts ...Option) *Handler {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.instanceUUID == "" {
		cfg.instanceUUID = randomUUID()
	}
	h := &Handler{
		sys:     sys,
		cfg:     cfg,
		log:     cfg.loggerOrDefault(),
		limiter: newStreamLimiter(cfg.maxStreams, cfg.maxPerClient),
		done:    make(chan struct{}),
	}
	h.responseSize.Store(cfg.responseSize)
	line := append([]byte(`{"InstanceUUID":`), appendString(nil, cfg.instanceUUID)...)
	h.uuidLine = append(line, "}\n"...)
	return h
}

// InstanceUUID returns the UUID that the endpoints report.
func (h *Handler) InstanceUUID() string { return h.cfg.instanceUUID }

// Reconfigure applies the reference's configuration-map keys (see
// WithConfigMap) to a running handler, as the reference does on a config
// map change: the batch size takes effect with the next request, stream
// limits with the next stream (open streams stay open). A key missing from m,
// or whose value does not parse (logged), returns to its default, as in the
// reference.
func (h *Handler) Reconfigure(m map[string]string) {
	size, total, perClient := DefaultResponseSize, DefaultMaxStreams, DefaultMaxStreamsPerClient
	limitsFromMap(h.log, m, &size, &total, &perClient)
	h.responseSize.Store(size)
	h.limiter.setLimits(total, perClient)
	h.log.Info("httpapi: reconfigured",
		slog.Uint64("responseSize", size), slog.Uint64("maxStreams", total), slog.Uint64("maxStreamsPerClient", perClient))
}

// Close ends every open stream (NDJSON streams get a closing error line, SSE
// streams an "event: cut" with reason "shutdown"), refuses new ones with 503,
// and returns when every stream's handler has returned. A handler blocked
// writing to a client that does not read returns within the write timeout.
// The batch endpoint keeps working. Calling Close again does nothing more.
func (h *Handler) Close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
	h.mu.Unlock()
	h.active.Wait()
}

// enter admits a stream unless Close was called; a true result must be
// paired with h.active.Done().
func (h *Handler) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.active.Add(1)
	return true
}

// ServeHTTP routes to the endpoints.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.writeHeaders(w, r)
	// No answer reads a body, whatever the path: the 301 and 404 below must
	// not wait for one either.
	hasBody := r.ContentLength != 0 // -1: chunked, length unknown
	if hasBody {
		refuseBody(w, r)
	}
	switch r.URL.Path {
	case BatchPath, StreamPath:
	default:
		// Routing comes first, as in the reference's router: a variant is
		// redirected whatever its body.
		if to := routePath(r.URL.Path); to != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			redirectTo(w, r, to)
			return
		}
		writeError(w, "Not found: "+r.URL.Path, http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		writeError(w, "Method not allowed: "+r.Method, http.StatusMethodNotAllowed)
		return
	}
	if hasBody {
		writeError(w, msgBodyNotAllowed, http.StatusBadRequest)
		return
	}
	if r.URL.Path == BatchPath {
		h.serveBatch(w, r)
		return
	}
	h.serveStream(w, r)
}

// routePath returns the endpoint path that p names with a trailing slash,
// in other letter case or unclean (such as "//" or ".."), or "" when p
// names neither endpoint.
func routePath(p string) string {
	clean := path.Clean(p)
	for _, route := range [...]string{BatchPath, StreamPath} {
		if strings.EqualFold(clean, route) {
			return route
		}
	}
	return ""
}

// redirectTo answers a GET or HEAD for a variant of an endpoint's path as
// the reference's router answers a GET: 301 to the endpoint's path with the
// query kept, with the router's small HTML body (none for HEAD) rather than
// the JSON content type.
func redirectTo(w http.ResponseWriter, r *http.Request, to string) {
	if r.URL.RawQuery != "" {
		to += "?" + r.URL.RawQuery
	}
	w.Header().Del("Content-Type")
	http.Redirect(w, r, to, http.StatusMovedPermanently)
}

// refuseBody makes sure that nothing waits for the body of r, which no
// answer reads (the endpoints', a redirect's or a 404's alike): the response
// closes an HTTP/1 connection (its unread
// body must not be parsed as the next request), and reading stops at once.
// Otherwise the server drains an unread body of up to 256 KiB before it
// writes the response header and again after the handler returns, with no
// deadline unless the server has a ReadTimeout: a client that announces a
// body and sends it slowly, or never, held the handler (and a stream's
// limiter slot, and Close) for as long as it liked.
func refuseBody(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 1 {
		return // HTTP/2 and later: an unread body is reset with its stream
	}
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}

// writeHeaders sets the content type and, for an allowed origin, the CORS
// headers. The reference sends Access-Control-Allow-Origin: * with
// credentials allowed on every response; here an origin is echoed only when
// it is allowed (WithAllowedOrigins).
func (h *Handler) writeHeaders(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json; charset=UTF-8")
	origin := r.Header.Get("Origin")
	if !h.cfg.anyOrigin && len(h.cfg.allowedOrigins) == 0 {
		return
	}
	hdr.Add("Vary", "Origin")
	if origin == "" {
		return
	}
	switch {
	case h.cfg.allowedOrigins[strings.TrimRight(origin, "/")]:
		hdr.Set("Access-Control-Allow-Origin", origin)
		hdr.Set("Access-Control-Allow-Credentials", "true")
	case h.cfg.anyOrigin:
		// A wildcard cannot be combined with credentials (browsers refuse
		// it), so none are offered.
		hdr.Set("Access-Control-Allow-Origin", "*")
	default:
		return
	}
	hdr.Set("Access-Control-Allow-Methods", "GET,HEAD,OPTIONS")
	hdr.Set("Access-Control-Allow-Headers", "X-Requested-With,Content-Type,Accept,Origin,Last-Event-ID")
}

// apiError is the reference's error body.
type apiError struct {
	StatusCode  int    `json:"status_code"`
	Message     string `json:"message"`
	Description string `json:"description"`
}

// errorBody returns the error JSON line for message; a non-empty cause is
// added to the description as the reference adds an error's text.
func errorBody(message, cause string, code int) []byte {
	desc := message
	if cause != "" {
		desc = message + ". Original Cause :" + cause
	}
	b, err := json.Marshal(apiError{StatusCode: code, Message: message, Description: desc})
	if err != nil { // cannot happen for strings and an int
		return []byte("{}\n")
	}
	return append(b, '\n')
}

// writeError writes the reference's error JSON with the status code.
func writeError(w http.ResponseWriter, message string, code int) {
	w.WriteHeader(code)
	_, _ = w.Write(errorBody(message, "", code))
}

// randomUUID returns a random (version 4) UUID.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
