package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/stream"
)

// Server-Sent Events on StreamPath.
//
// Wire format (text/event-stream), one block per event, blocks separated by
// an empty line:
//
//	retry: 1000                              first, the reconnection delay,
//	id: 40                                   the ID before the first event
//	event: instance                          (none before ID 0), and the
//	data: {"InstanceUUID":"..."}             instance: a client sees IDs
//	                                         start over
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
//	id: 1200                                 progress of a filtered stream:
//	                                         events up to 1200 it did not
//	                                         send were left out by its filter
//
// The ID of every block is what a reconnecting client sends back as
// Last-Event-ID (the opening's too, so a stream lost before its first event
// resumes where it started); the stream then resumes exactly after it:
// events still in history are sent from there on, with no gap and no
// duplicate, and an explicit gap block comes first if some were displaced
// meanwhile. A gap carries the ID of its last missing event, so a client
// that reconnects after it does not ask for the range again.
//
// Where the events come from: an event system that offers streams from an
// ID (idStreamer, as *system.EventSystemImpl does) gives each SSE stream one
// such stream: it starts right after Last-Event-ID (or with the newest count
// events, the start computed by startID), carries each event's ID, reports displaced history as gap items,
// and applies the filters before its queue, so a filtered stream is never
// cut for events it does not want. Its close reason becomes the cut. Any
// other EventSystem is followed by reading history by ID (sse_bell.go).

// idStreamer is the part of *system.EventSystemImpl that streams with IDs
// need (CreateRecentEventStream for NDJSON: SSE streams start at an ID
// computed here, see startID).
type idStreamer interface {
	CreateEventStreamFrom(name string, fromID uint64, opts ...stream.StreamOption) *stream.IDStream
	CreateRecentEventStream(name string, count uint64, opts ...stream.StreamOption) *stream.IDStream
	RemoveIDStream(*stream.IDStream)
}

// errNotBegun ends an SSE stream whose response begin answered with an
// error.
var errNotBegun = errors.New("httpapi: stream not begun")

// sseCut is why an SSE stream ended, as its cut block says.
type sseCut string

const (
	cutSlow     sseCut = "slow"     // fell too far behind
	cutClosed   sseCut = "closed"   // the event system closed its streams
	cutShutdown sseCut = "shutdown" // the handler was closed
)

// cutOf maps an event-system stream's close reason to a cut.
func cutOf(r stream.CloseReason) sseCut {
	if r == stream.ReasonSlow {
		return cutSlow
	}
	return cutClosed
}

// sseState is one SSE stream's position.
type sseState struct {
	next   uint64 // first ID not yet sent or skipped (feed of streams with IDs: the first ID asked for)
	sent   bool   // whether any event was sent
	lastID uint64 // last ID sent; valid when sent
	named  bool   // whether any block with an ID was sent: the client has a position
	said   uint64 // one past the newest ID a block named (0: none yet)
	goneOn int    // times the stream went on after a cut (see goOn)
}

// sseConn is one SSE response in progress.
type sseConn struct {
	h         *Handler
	r         *http.Request
	out       *streamWriter
	req       streamRequest
	st        sseState
	buf       []byte
	keepAlive *time.Timer
}

// send writes b and restarts the keep-alive timer.
func (c *sseConn) send(b []byte) error {
	c.keepAlive.Reset(c.h.cfg.keepAlive)
	return c.out.send(b)
}

// waitFeed runs the test hook (if any) and waits for the next thing to do: it
// returns a cut, an error, or neither when ch is ready. ch is the feed's
// channel; the wait also sends keep-alives.
func waitFeed[T any](c *sseConn, ch <-chan T) (v T, ok bool, cut sseCut, err error) {
	if c.h.testHookIdle != nil {
		c.h.testHookIdle()
	}
	for {
		select {
		case <-c.r.Context().Done():
			return v, false, "", c.r.Context().Err()
		case <-c.h.done:
			return v, false, cutShutdown, nil
		case <-c.keepAlive.C:
			if err := c.send([]byte(": keep-alive\n\n")); err != nil {
				return v, false, "", err
			}
		case v, ok = <-ch:
			return v, ok, "", nil
		}
	}
}

func (h *Handler) serveSSE(r *http.Request, out *streamWriter, req streamRequest, from resumePoint) {
	buf := getBuffer()
	c := &sseConn{h: h, r: r, out: out, req: req, buf: (*buf)[:0], keepAlive: time.NewTimer(h.cfg.keepAlive)}
	defer func() {
		c.keepAlive.Stop()
		*buf = c.buf
		putBuffer(buf)
	}()

	var cut sseCut
	var err error
	if ids, ok := h.sys.(idStreamer); ok {
		cut, err = c.followItems(ids, from)
	} else {
		cut, err = c.followHistory(from)
	}
	if err != nil {
		if err != errNotBegun {
			h.log.Debug("httpapi: stream client gone", slog.String("client", req.client), slog.Any("error", err))
		}
		return
	}
	c.buf = appendCut(c.buf[:0], cut, &c.st)
	_ = c.out.send(c.buf)
	h.log.Info("httpapi: SSE stream ended", slog.String("client", req.client),
		slog.String("reason", string(cut)), slog.Bool("sent", c.st.sent), slog.Uint64("lastID", c.st.lastID))
}

// opening returns the first block: the retry delay, the ID before the
// stream's first event (c.st.next, set by now), and the instance. The ID
// makes the stream resumable before it sent anything: a client that loses
// it then (or whose stream is cut) sends it back as Last-Event-ID and
// continues exactly where the stream started, instead of reconnecting as a
// new stream and skipping what arrived meanwhile. A stream that starts at ID
// 0 has no ID before it to name.
func (c *sseConn) opening() []byte {
	b := append(c.buf[:0], "retry: "...)
	b = strconv.AppendInt(b, c.h.cfg.retry.Milliseconds(), 10)
	if c.st.next > 0 {
		b = append(b, "\nid: "...)
		b = strconv.AppendUint(b, c.st.next-1, 10)
		c.st.named, c.st.said = true, c.st.next
	}
	b = append(b, "\nevent: instance\ndata: "...)
	b = append(b, c.h.uuidLine[:len(c.h.uuidLine)-1]...)
	return append(b, "\n\n"...)
}

// followItems serves the stream from an event-system stream with IDs.
func (c *sseConn) followItems(ids idStreamer, from resumePoint) (sseCut, error) {
	var opts []stream.StreamOption
	if c.req.match != nil {
		opts = append(opts, stream.WithFilter(c.req.match.match), stream.WithProgress())
	}
	// The stream starts at an ID known here (not left to
	// CreateRecentEventStream), so the opening block can name it.
	c.st.next = c.h.startID(c.req.count, from)
	s := ids.CreateEventStreamFrom(c.req.client, c.st.next, opts...)
	defer func() { ids.RemoveIDStream(s) }()
	if !c.h.begin(c.out, true) {
		return "", errNotBegun
	}

	c.buf = c.opening()
	if err := c.send(c.buf); err != nil {
		return "", err
	}
	for {
		it, ok, cut, err := waitFeed(c, s.Items)
		if cut != "" || err != nil {
			return cut, err
		}
		c.buf, ok = gather(c.buf[:0], s.Items, it, ok, c.appendItem)
		if len(c.buf) > 0 {
			if err := c.send(c.buf); err != nil {
				return "", err
			}
		}
		if !ok {
			why := cutOf(s.CloseReason())
			if !c.goOn(why) {
				return why, nil
			}
			// Nothing was sent: the position is still the start.
			s = ids.CreateEventStreamFrom(c.req.client, c.st.next, opts...)
		}
	}
}

// maxGoOn is how many times a stream goes on after a cut as slow that left
// its client without a position (see goOn).
const maxGoOn = 8

// goOn reports whether a stream whose feed was cut (why) goes on instead of
// ending: only when it was cut as slow before it named any ID, which can
// only happen to a stream that starts at ID 0 (its opening has no ID before
// it). Its client would have no Last-Event-ID to reconnect with, and as a
// new stream it would skip everything before the newest count events; so
// the stream goes on from where it is, a few times at most (each time, the
// events it stalled on wait in history).
func (c *sseConn) goOn(why sseCut) bool {
	if why != cutSlow || c.st.named || c.st.goneOn == maxGoOn {
		return false
	}
	c.st.goneOn++
	return true
}

// appendItem appends an event block, a gap block or a progress block.
func (c *sseConn) appendItem(b []byte, it stream.Item) []byte {
	c.st.named = true
	switch {
	case it.IsGap():
		c.st.said = it.ID + it.Missing
		return appendGap(b, it.ID, it.ID+it.Missing-1)
	case it.IsProgress():
		if it.ID < c.st.said {
			return b // named already
		}
		c.st.said = it.ID + 1
		return appendProgress(b, it.ID)
	}
	c.st.sent, c.st.lastID, c.st.said = true, it.ID, it.ID+1
	return appendEvent(b, it.ID, it.Record)
}

// gather appends v, and then every value already waiting on ch, with add,
// until the buffer holds maxWriteBatch bytes or nothing waits. ok false (v
// is not a value: ch is closed) is passed through, and so is a close found
// while gathering.
func gather[T any](b []byte, ch <-chan T, v T, ok bool, add func([]byte, T) []byte) ([]byte, bool) {
	for ok {
		b = add(b, v)
		if len(b) >= maxWriteBatch {
			return b, true
		}
		select {
		case v, ok = <-ch:
		default:
			return b, true
		}
	}
	return b, false
}

// resumeAt returns the first ID to send after the resume point, and false
// when there is none or it lies past the next ID to be given out: such a
// point comes from another instance (IDs started over since), and the
// stream starts as a new one.
func (h *Handler) resumeAt(from resumePoint) (uint64, bool) {
	if !from.set {
		return 0, false
	}
	_, end := h.historyRange()
	return from.nextID, from.nextID <= end
}

// historyRange returns the lowest ID held and the next ID to be given out
// (as far as readers can see).
//
// A highest above 0 was given out, so the next ID is past it, even if the
// writers displace it right after this read. Only a highest of 0 is
// ambiguous (an empty history, or one holding ID 0), and only then is a
// second read needed: asking for ID 0 itself. (Reading the newest event
// again instead, as this did before, took a history whose writers lapped the
// ring between the two reads for an empty one, and a resume point of this
// instance for one of another: the displaced events went missing without a
// gap block.)
func (h *Handler) historyRange() (lowest, end uint64) {
	_, lowest, highest := h.sys.GetEventsFromID(0, 0)
	if highest > 0 {
		return lowest, highest + 1
	}
	recs, lowest, highest := h.sys.GetEventsFromID(0, 1)
	if len(recs) > 0 || highest > 0 {
		return lowest, highest + 1
	}
	return lowest, lowest
}

// appendEvent appends an event block.
func appendEvent(b []byte, id uint64, ev *si.EventRecord) []byte {
	b = append(b, "id: "...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, "\ndata: "...)
	b = appendRecord(b, ev)
	return append(b, "\n\n"...)
}

// appendProgress appends a progress block: an ID and nothing else. It
// moves the client's resume position (an EventSource sets lastEventId from
// it and dispatches no event) past events its filter left out.
func appendProgress(b []byte, id uint64) []byte {
	b = append(b, "id: "...)
	b = strconv.AppendUint(b, id, 10)
	return append(b, "\n\n"...)
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
