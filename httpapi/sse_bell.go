package httpapi

import (
	"github.com/lfevents/lfevents/stream"
)

// The history-reading feed, for an EventSystem without streams from an ID.
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

// sseProgressEvery is how many IDs a filter may leave out in a row before
// the stream sends a progress block (an ID alone) to move the client's
// resume position on: as the streams with IDs do (stream.WithProgress), at
// most one per this many IDs.
const sseProgressEvery = 256

// followHistory serves the stream by reading history by ID.
func (c *sseConn) followHistory(from resumePoint) (sseCut, error) {
	// The wake-up stream is opened before the first read: see above.
	bl := &bell{s: c.h.sys.CreateEventStream(c.req.client, 0)}
	defer func() { c.h.sys.RemoveStream(bl.s) }()
	if !c.h.begin(c.out, true) {
		return "", errNotBegun
	}
	c.st.next = c.h.startID(c.req.count, from)

	c.buf = c.opening()
	if err := c.send(c.buf); err != nil {
		return "", err
	}
	for {
		if err := c.catchUp(bl); err != nil {
			return "", err
		}
		if bl.ended != "" {
			if c.goOn(bl.ended) {
				// A new bell, opened before the next read, as the first.
				bl = &bell{s: c.h.sys.CreateEventStream(c.req.client, 0)}
				continue
			}
			// Closed: everything history held was sent above (the last
			// read came after the close). Slow: the client is told at once.
			return bl.ended, nil
		}
		_, ok, cut, err := waitFeed(c, bl.s.Events)
		if cut != "" || err != nil {
			return cut, err
		}
		bl.rang(ok)
	}
}

// bell is a history-reading stream's wake-up: an event-system stream whose
// deliveries only say "there is more in history". It is drained before
// every history read, so it holds at most what arrived during one read and
// one write: it is cut off as slow only when a write to the client stalls
// that long.
type bell struct {
	s     *stream.EventStream
	ended sseCut // why its channel closed; "" while open
}

// rang records one receive from the bell's channel (ok false: closed) and
// drains what else is waiting.
func (bl *bell) rang(ok bool) {
	for bl.ended == "" {
		if !ok {
			bl.ended = cutOf(bl.s.CloseReason())
			return
		}
		select {
		case _, ok = <-bl.s.Events:
		default:
			return
		}
	}
}

// startID returns the first ID a new stream sends: right after the resume
// point (see resumeAt), or the newest count events.
func (h *Handler) startID(count uint64, from resumePoint) uint64 {
	if next, ok := h.resumeAt(from); ok {
		return next
	}
	lowest, end := h.historyRange()
	if count >= end-lowest {
		return lowest
	}
	return end - count
}

// catchUp sends every event of history from c.st.next on that matches the
// filter, in batches of at most maxWriteBatch bytes, and reports displaced
// ranges as gaps; it stops early when the bell was cut as slow.
func (c *sseConn) catchUp(bl *bell) error {
	b := c.buf[:0]
	defer func() { c.buf = b }()
	for {
		// Drain first, read after: an event rung after the drain is either
		// in this read or wakes the next wait.
		if bl.rang(true); bl.ended == cutSlow {
			break
		}
		recs, lowest, _ := c.h.sys.GetEventsFromID(c.st.next, sseReadBatch)
		if len(recs) == 0 {
			if c.st.next < lowest {
				b = appendGap(b, c.st.next, lowest-1)
				c.st.named, c.st.said = true, lowest
				c.st.next = lowest
				continue
			}
			break
		}
		for i, ev := range recs {
			id := c.st.next + uint64(i)
			if c.req.match.match(ev) {
				b = appendEvent(b, id, ev)
				c.st.sent, c.st.lastID, c.st.named, c.st.said = true, id, true, id+1
			}
		}
		c.st.next += uint64(len(recs))
		if c.st.next >= c.st.said+sseProgressEvery {
			// A run the filter left out: move the client's position on.
			b = appendProgress(b, c.st.next-1)
			c.st.named, c.st.said = true, c.st.next
		}
		if len(b) >= maxWriteBatch {
			if err := c.send(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	if len(b) > 0 {
		return c.send(b)
	}
	return nil
}
