package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/stream"
)

// maxWriteBatch is how many encoded bytes a stream gathers from the events
// already waiting before it writes and flushes them: one write and one flush
// per batch instead of one per event, while the latency of a lone event is
// that of one write.
const maxWriteBatch = 32 << 10

// streamRequest is a parsed stream request.
type streamRequest struct {
	count  uint64 // newest events of history to start with
	filter Filter
	match  *compiledFilter // filter compiled; nil matches everything
	client string          // the client address for the per-client limit
}

// serveStream answers GET StreamPath: NDJSON as in the reference, or SSE for
// a request that accepts text/event-stream.
func (h *Handler) serveStream(w http.ResponseWriter, r *http.Request) {
	if !h.sys.IsEventTrackingEnabled() {
		writeError(w, msgTrackingDisabled, http.StatusInternalServerError)
		return
	}
	// A writer that cannot flush is refused before anything else, as in the
	// reference (which checks right after tracking): its message names the
	// real problem, where setting the deadlines below would fail first with
	// one about deadlines. A writer that may reach a flusher through Unwrap
	// is checked once the stream is open (begin).
	if r.Method != http.MethodHead && !mayFlush(w) {
		writeError(w, msgNoFlusher, http.StatusInternalServerError)
		return
	}
	rc := http.NewResponseController(w)
	q := r.URL.Query()
	req := streamRequest{client: clientAddress(r, h.cfg.trustedProxies)}
	if s := q.Get("count"); s != "" {
		var err error
		if req.count, err = strconv.ParseUint(s, 10, 64); err != nil {
			writeError(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	var err error
	if req.filter, err = ParseFilter(q); err != nil {
		writeError(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.match = req.filter.compile()
	sse := wantsEventStream(r)
	var from resumePoint
	if sse {
		if from, err = parseResume(r); err != nil {
			writeError(w, err.Error(), http.StatusBadRequest)
			return
		}
	}

	if r.Method == http.MethodHead {
		// The headers a GET would get, without opening a stream.
		if sse {
			setEventStreamHeaders(w.Header())
		}
		w.WriteHeader(http.StatusOK)
		return
	}

	if !h.enter() {
		writeError(w, msgShuttingDown, http.StatusServiceUnavailable)
		return
	}
	defer h.active.Done()
	if !h.limiter.acquire(req.client) {
		h.log.Info("httpapi: stream refused, limit reached", slog.String("client", req.client))
		writeError(w, msgTooManyStreams, http.StatusServiceUnavailable)
		return
	}
	defer h.limiter.release(req.client)

	// The server's own timeouts must not end a stream; each write gets its
	// own deadline instead. Failing here means the writer cannot do either.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil {
		writeError(w, "Cannot set write deadline: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if err := rc.SetReadDeadline(time.Time{}); err != nil {
		writeError(w, "Cannot set read deadline: "+err.Error(), http.StatusInternalServerError)
		return
	}
	out := &streamWriter{w: w, rc: rc, timeout: h.cfg.writeTimeout}
	if sse {
		h.serveSSE(r, out, req, from)
		return
	}
	h.serveNDJSON(r, out, req)
}

// begin is called once a stream's event-system stream is open, before
// anything is written; false means the response was answered with an error
// and the stream must end.
//
// Tracking is checked again here: turning it off closes every open stream,
// but a request that passed the first check and opened its stream after
// that would have a stream that stays open while tracking is off. Tracking
// is turned off before the streams are closed, so a stream opened after the
// close sees it off here, and one opened before is closed by it.
func (h *Handler) begin(out *streamWriter, sse bool) bool {
	w := out.w
	if !h.sys.IsEventTrackingEnabled() {
		writeError(w, msgTrackingDisabled, http.StatusInternalServerError)
		return false
	}
	if sse {
		setEventStreamHeaders(w.Header())
	}
	// A writer that is no Flusher itself may reach one through Unwrap; the
	// only way to know is to flush, which sends the status line and the
	// headers set by now (with a deadline, as every write of a stream).
	if _, ok := w.(http.Flusher); !ok && !canFlush(out) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		writeError(w, msgNoFlusher, http.StatusInternalServerError)
		return false
	}
	return true
}

// setEventStreamHeaders sets the headers of an SSE response.
func setEventStreamHeaders(hdr http.Header) {
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Accel-Buffering", "no")
}

// mayFlush reports whether w can flush, or may through Unwrap: false means
// that http.ResponseController.Flush would certainly fail.
func mayFlush(w http.ResponseWriter) bool {
	switch w.(type) {
	case http.Flusher, interface{ FlushError() error }, interface{ Unwrap() http.ResponseWriter }:
		return true
	}
	return false
}

// canFlush reports whether out's writer reaches a flusher (through Unwrap).
func canFlush(out *streamWriter) bool {
	_ = out.rc.SetWriteDeadline(time.Now().Add(out.timeout))
	return !errors.Is(out.rc.Flush(), http.ErrNotSupported)
}

// streamWriter writes one batch of a stream with a fresh write deadline and
// flushes it.
type streamWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

// send writes b and flushes; an error means the client is gone or too slow.
func (sw *streamWriter) send(b []byte) error {
	if err := sw.rc.SetWriteDeadline(time.Now().Add(sw.timeout)); err != nil {
		return err
	}
	if _, err := sw.w.Write(b); err != nil {
		return err
	}
	return sw.rc.Flush()
}

// serveNDJSON streams newline-delimited JSON, as the reference does: a
// first line {"InstanceUUID":...}, then one record per line. When the event
// system ends the stream (stopped, or the client cut off as too slow) or the
// handler is closed, a last line carries the reference's error JSON with
// status_code 200 (the status line went out long before).
//
// With an event system that offers streams with IDs the filters run before
// the stream's queue; the reference's format has no place for a gap, so
// history displaced before it could be sent is logged and skipped, as the
// reference's own streams skip it. Any other EventSystem gets a plain
// stream, filtered here.
func (h *Handler) serveNDJSON(r *http.Request, out *streamWriter, req streamRequest) {
	buf := getBuffer()
	defer putBuffer(buf)
	if ids, ok := h.sys.(idStreamer); ok {
		var opts []stream.StreamOption
		if req.match != nil {
			opts = append(opts, stream.WithFilter(req.match.match))
		}
		s := ids.CreateRecentEventStream(req.client, req.count, opts...)
		defer ids.RemoveIDStream(s)
		if !h.begin(out, false) {
			return
		}
		pumpNDJSON(h, r, out, req.client, buf, s.Items, s.CloseReason, func(b []byte, it stream.Item) []byte {
			if it.IsGap() {
				h.log.Warn("httpapi: events displaced before they could be streamed",
					slog.String("client", req.client), slog.Uint64("from", it.ID), slog.Uint64("missing", it.Missing))
				return b
			}
			return appendLine(b, it.Record)
		})
		return
	}
	s := h.sys.CreateEventStream(req.client, req.count)
	defer h.sys.RemoveStream(s)
	if !h.begin(out, false) {
		return
	}
	pumpNDJSON(h, r, out, req.client, buf, s.Events, s.CloseReason, func(b []byte, ev *si.EventRecord) []byte {
		if !req.match.match(ev) {
			return b
		}
		return appendLine(b, ev)
	})
}

// appendLine appends a record and a newline.
func appendLine(b []byte, ev *si.EventRecord) []byte {
	return append(appendRecord(b, ev), '\n')
}

// pumpNDJSON writes what arrives on ch, in batches, until the client leaves,
// the handler closes or ch closes (then reason says why).
func pumpNDJSON[T any](h *Handler, r *http.Request, out *streamWriter, client string, buf *[]byte,
	ch <-chan T, reason func() stream.CloseReason, add func([]byte, T) []byte,
) {
	if err := out.send(h.uuidLine); err != nil {
		return
	}
	ctx := r.Context()
	for {
		var v T
		var ok bool
		select {
		case <-ctx.Done():
			return
		case <-h.done:
			_ = out.send(errorBody(msgShuttingDown, "", http.StatusOK))
			return
		case v, ok = <-ch:
		}
		*buf, ok = gather((*buf)[:0], ch, v, ok, add)
		if len(*buf) > 0 {
			if err := out.send(*buf); err != nil {
				h.log.Debug("httpapi: stream client dropped", slog.String("client", client), slog.Any("error", err))
				return
			}
		}
		if !ok {
			why := reason()
			h.log.Info("httpapi: stream closed by the event system",
				slog.String("client", client), slog.String("reason", why.String()))
			_ = out.send(errorBody(msgProducerClosed, closeCause(why), http.StatusOK))
			return
		}
	}
}

// closeCause says in words why the event system ended a stream.
func closeCause(r stream.CloseReason) string {
	switch r {
	case stream.ReasonSlow:
		return "the stream fell too far behind and was cut off"
	case stream.ReasonClosed:
		return "the event system closed its streams"
	case stream.ReasonRemoved:
		return "the stream was removed"
	default:
		return ""
	}
}

// wantsEventStream reports whether the request asks for SSE: its Accept
// header names text/event-stream with a quality above 0 (0 means "not
// acceptable"), and names neither application/json nor
// application/x-ndjson with a higher one. Wildcards (*/*, text/*) ask for
// neither form, so they get the reference's NDJSON.
func wantsEventStream(r *http.Request) bool {
	var sse, json float64 // the best quality of each, 0 when not named
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			switch mt {
			case "text/event-stream":
				sse = max(sse, quality(params["q"]))
			case "application/json", "application/x-ndjson":
				json = max(json, quality(params["q"]))
			}
		}
	}
	return sse > 0 && sse >= json
}

// quality reads a q parameter: 1 when absent or unreadable, 0 to 1.
func quality(q string) float64 {
	if q == "" {
		return 1
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(q), 64)
	if err != nil || v > 1 || v != v {
		return 1
	}
	return max(v, 0)
}

// resumePoint is where an SSE stream starts: after a given event ID, or
// (set false) from the newest count events of history.
type resumePoint struct {
	set    bool
	nextID uint64 // the first ID to send
}

// parseResume reads Last-Event-ID (sent by a reconnecting EventSource) or,
// when absent, the lastEventID query parameter.
func parseResume(r *http.Request) (resumePoint, error) {
	v := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	src := "Last-Event-ID"
	if v == "" {
		v = strings.TrimSpace(r.URL.Query().Get("lastEventID"))
		src = "lastEventID"
	}
	if v == "" {
		return resumePoint{}, nil
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil || id == ^uint64(0) {
		return resumePoint{}, fmt.Errorf("invalid %s %q: an event ID is expected", src, v)
	}
	return resumePoint{set: true, nextID: id + 1}, nil
}
