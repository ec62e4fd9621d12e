package httpapi

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/lfevents/lfevents/stream"
)

// Server-Sent Events on StreamPath.
//
// Wire format (text/event-stream), one block per event, blocks separated by
// an empty line:
//
//	retry: 1000                              first, the reconnection delay
//	event: instance                          then the instance, so a client
//	data: {"InstanceUUID":"..."}             sees IDs start over
//
//	id: 41                                   every event: its ID and the
//	data: {"type":2,"objectID":"app-1",...}  record as on the NDJSON stream
//
//	id: 1999                                 events displaced from history
//	event: gap                               before they could be sent: the
//	data: {"from":42,"to":1999}              missing range, inclusive
//
//	event: cut                               the stream ends: why, and the
//	data: {"reason":"slow","lastID":2500}    last ID sent (absent if none)
//
//	: keep-alive                             on an idle stream
//
// The ID of every block is what a reconnecting client sends back as
// Last-Event-ID; the stream then resumes exactly after it: events still in
// history are sent from there on, with no gap and no duplicate, and an
// explicit gap block comes first if some were displaced meanwhile. A gap
// carries the ID of its last missing event, so a client that reconnects
// after it does not ask for the range again.
//
// How a stream follows history: it reads the history by ID
// (GetEventsFromID) from its own position, so IDs are exact and a
// displaced range shows as lowest > position. To wait without polling it
// holds an event-system stream opened with count 0 before its first read,
// and uses that stream's deliveries only as a wake-up: every event added
// after the open is delivered on it, so no new event goes unnoticed. If that
// stream is cut off as slow (this client fell too far behind) or closed by
// the event system, the SSE stream ends with a cut block saying so.

// sseReadBatch is how many events one history read takes.
const sseReadBatch = 512

// sseCut is why an SSE stream ended, as its cut block says.
type sseCut string

const (
	cutSlow     sseCut = "slow"     // fell too far behind
	cutClosed   sseCut = "closed"   // the event system closed its streams
	cutShutdown sseCut = "shutdown" // the handler was closed
)

// sseState is one SSE stream's position.
type sseState struct {
	next   uint64 // first ID not yet sent or skipped
	sent   bool   // whether any event was sent
	lastID uint64 // last ID sent; valid when sent
}

func (h *Handler) serveSSE(r *http.Request, out *streamWriter, req streamRequest, from resumePoint) {
	hdr := out.w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Accel-Buffering", "no")

	// The wake-up stream is opened before the first read: see above.
	bl := &bell{s: h.sys.CreateEventStream(req.client, 0)}
	defer h.sys.RemoveStream(bl.s)

	st := sseState{next: h.startID(req.count, from)}
	buf := getBuffer()
	defer putBuffer(buf)

	b := append((*buf)[:0], "retry: "...)
	b = strconv.AppendInt(b, h.cfg.retry.Milliseconds(), 10)
	b = append(b, "\nevent: instance\ndata: "...)
	b = append(b, h.uuidLine[:len(h.uuidLine)-1]...)
	b = append(b, "\n\n"...)
	err := out.send(b)

	keepAlive := time.NewTimer(h.cfg.keepAlive)
	defer keepAlive.Stop()
	ctx := r.Context()
	var cut sseCut
	for err == nil && cut == "" {
		b, err = h.sseCatchUp(b[:0], out, &st, &req.filter, bl)
		if err != nil {
			break
		}
		if len(b) > 0 {
			keepAlive.Reset(h.cfg.keepAlive)
		}
		if bl.ended != "" {
			// Closed: everything history held was sent above (the last
			// read came after the close). Slow: the client is told at once.
			cut = bl.ended
			break
		}
		if h.testHookIdle != nil {
			h.testHookIdle()
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-h.done:
			cut = cutShutdown
		case <-keepAlive.C:
			err = out.send([]byte(": keep-alive\n\n"))
			keepAlive.Reset(h.cfg.keepAlive)
		case _, ok := <-bl.s.Events:
			bl.rang(ok)
		}
	}
	if err != nil {
		*buf = b
		h.log.Debug("httpapi: stream client gone", slog.String("client", req.client), slog.Any("error", err))
		return
	}
	b = appendCut(b[:0], cut, &st)
	_ = out.send(b)
	*buf = b
	h.log.Info("httpapi: SSE stream ended", slog.String("client", req.client),
		slog.String("reason", string(cut)), slog.Uint64("next", st.next))
}

// bell is an SSE stream's wake-up: an event-system stream whose deliveries
// only say "there is more in history". It is drained before every history
// read, so it holds at most what arrived during one read and one write: it
// is cut off as slow only when a write to the client stalls that long.
type bell struct {
	s     *stream.EventStream
	ended sseCut // why its channel closed; "" while open
}

// rang records one receive from the bell's channel (ok false: closed) and
// drains what else is waiting.
func (bl *bell) rang(ok bool) {
	for bl.ended == "" {
		if !ok {
			bl.ended = cutClosed
			if bl.s.CloseReason() == stream.ReasonSlow {
				bl.ended = cutSlow
			}
			return
		}
		select {
		case _, ok = <-bl.s.Events:
		default:
			return
		}
	}
}

// drain takes what is waiting on the bell without blocking.
func (bl *bell) drain() { bl.rang(true) }

// startID returns the first ID a new SSE stream sends: right after the
// resume point, or the newest count events of history. A resume point past
// the next ID to be given out comes from another instance (IDs started over
// since): such a stream starts as a new one.
func (h *Handler) startID(count uint64, from resumePoint) uint64 {
	_, lowest, highest := h.sys.GetEventsFromID(0, 0)
	// highest is 0 both for an empty history and for one holding only ID 0.
	end := highest + 1
	if recs, _, _ := h.sys.GetEventsFromID(highest, 1); len(recs) == 0 {
		end = lowest
	}
	if from.set && from.nextID <= end {
		return from.nextID
	}
	if count >= end-lowest {
		return lowest
	}
	return end - count
}

// sseCatchUp sends every event of history from st.next on that matches f,
// in batches of at most maxWriteBatch bytes, and reports displaced ranges as
// gaps; it stops early when the bell was cut as slow. It returns the
// (reused) buffer.
func (h *Handler) sseCatchUp(b []byte, out *streamWriter, st *sseState, f *Filter, bl *bell) ([]byte, error) {
	for {
		// Drain first, read after: an event rung after the drain is either
		// in this read or wakes the next wait.
		if bl.drain(); bl.ended == cutSlow {
			break
		}
		recs, lowest, _ := h.sys.GetEventsFromID(st.next, sseReadBatch)
		if len(recs) == 0 {
			if st.next < lowest {
				b = appendGap(b, st.next, lowest-1)
				st.next = lowest
				continue
			}
			break
		}
		for i, ev := range recs {
			id := st.next + uint64(i)
			if !f.Match(ev) {
				continue
			}
			b = append(b, "id: "...)
			b = strconv.AppendUint(b, id, 10)
			b = append(b, "\ndata: "...)
			b = appendRecord(b, ev)
			b = append(b, "\n\n"...)
			st.sent, st.lastID = true, id
		}
		st.next += uint64(len(recs))
		if len(b) >= maxWriteBatch {
			if err := out.send(b); err != nil {
				return b, err
			}
			b = b[:0]
		}
	}
	if len(b) > 0 {
		if err := out.send(b); err != nil {
			return b, err
		}
	}
	return b, nil
}

// appendGap appends a gap block for the displaced IDs [from, to].
func appendGap(b []byte, from, to uint64) []byte {
	b = append(b, "id: "...)
	b = strconv.AppendUint(b, to, 10)
	b = append(b, "\nevent: gap\ndata: {\"from\":"...)
	b = strconv.AppendUint(b, from, 10)
	b = append(b, `,"to":`...)
	b = strconv.AppendUint(b, to, 10)
	return append(b, "}\n\n"...)
}

// appendCut appends the closing cut block.
func appendCut(b []byte, cut sseCut, st *sseState) []byte {
	b = append(b, "event: cut\ndata: {\"reason\":\""...)
	b = append(b, cut...)
	b = append(b, '"')
	if st.sent {
		b = append(b, `,"lastID":`...)
		b = strconv.AppendUint(b, st.lastID, 10)
	}
	return append(b, "}\n\n"...)
}
