package stream

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/internal/spsc"
)

const (
	// deliverBatch is how many records a stream's goroutine takes at a time,
	// from the ring (history) or from its queue.
	deliverBatch = 128
	// consumerSpins is how many times an idle stream goroutine yields and
	// looks at its queue again before it parks.
	consumerSpins = 2
)

// consumer is the state of one stream.
//
// Positions: history is [histStart, join) (join is ring.ReadEnd() when the
// stream was created); the dispatcher admits the stream at from >= join and
// pushes [from, ...) into queue; the stream's goroutine reads [histStart,
// from) from the ring by ID itself, then drains queue. So every ID from
// histStart on comes from exactly one source, in order.
//
// Ownership: queue has the dispatcher as its only producer and the stream's
// goroutine as its only consumer. from is written by the dispatcher before it
// closes admitted and read by the goroutine only after that. out is sent on
// and closed only by the goroutine. reason leaves ReasonOpen once (end), and
// the winner closes quit.
//
// Parking: the goroutine sets sleeping, looks at queue once more, and only
// then blocks on wake; the dispatcher, after each push, loads sleeping and,
// if it flips it back, sends a token on wake. By the same sequential
// consistency argument as for EventStreaming.state, a push is either seen by
// the goroutine's second look or the dispatcher sees sleeping and wakes it.
//
// Reuse: event IDs are uint64 and never reused, so positions compare
// directly; the reuse of queue slots is the spsc.Queue argument.
type consumer struct {
	owner     *EventStreaming
	name      string
	createdAt time.Time
	join      uint64
	histStart uint64

	out   chan *si.EventRecord
	queue *spsc.Queue[*si.EventRecord]

	reason   atomic.Uint32 // a CloseReason
	quit     chan struct{} // closed by the winner of end
	done     chan struct{} // closed when the goroutine has exited and out is closed
	admitted chan struct{} // closed by the dispatcher once from is set

	sleeping atomic.Bool
	wake     chan struct{} // at most one token from the dispatcher

	// Owned by the dispatcher goroutine.
	from   uint64 // first ID pushed into queue; set at admission
	joined bool   // admitted by the dispatcher
	gone   bool   // dropped by the dispatcher (cut off)
}

// end closes the stream for reason r unless it already ended; it reports
// whether this call ended it. It does not wait.
func (c *consumer) end(r CloseReason) bool {
	if c.claimEnd(r) {
		c.stop()
		return true
	}
	return false
}

// claimEnd sets the reason if the stream is still open and reports whether
// it did; the caller that gets true must call stop.
func (c *consumer) claimEnd(r CloseReason) bool {
	return c.reason.CompareAndSwap(uint32(ReasonOpen), uint32(r))
}

// stop tells the stream's goroutine to end; once per stream, after claimEnd.
func (c *consumer) stop() { close(c.quit) }

// serve is the stream's goroutine: history from the ring, then the queue, into
// out. It returns when the stream ends, closing out on the way.
func (es *EventStreaming) serve(c *consumer) {
	defer es.finish(c)
	buf := make([]*si.EventRecord, deliverBatch)
	started := false // whether anything was sent yet

	next, ok := es.replay(c, buf, c.histStart, c.join, &started)
	if !ok {
		return
	}
	select {
	case <-c.admitted:
	case <-c.quit:
		return
	}
	// The dispatcher may have been ahead of join: [join, from) is ours to
	// read from the ring too.
	if _, ok = es.replay(c, buf, next, c.from, &started); !ok {
		return
	}
	for {
		n := c.queue.PopBatch(buf)
		if n == 0 {
			if !c.park() {
				return
			}
			continue
		}
		sent, ok := c.send(buf[:n])
		clear(buf[:n])
		es.delivered.Add(uint64(sent))
		if !ok {
			return
		}
	}
}

// replay sends the events [next, to) read from the ring by ID and returns the
// position reached. Until the stream has sent anything, history (IDs below
// join) that the ring has displaced is skipped: it is no longer history. Any
// other missing event cuts the stream off as slow.
func (es *EventStreaming) replay(c *consumer, buf []*si.EventRecord, next, to uint64, started *bool) (uint64, bool) {
	for next < to {
		recs, lowest, _ := es.history.AppendEventsFromID(buf[:0], next, min(to-next, uint64(len(buf))))
		if len(recs) == 0 {
			if !*started && next < c.join && lowest > next {
				next = min(lowest, c.join)
				continue
			}
			es.cut(c, "event stream cut off: ring overwrote events before delivery", max(lowest, next+1)-next)
			return next, false
		}
		sent, ok := c.send(recs)
		clear(recs)
		es.delivered.Add(uint64(sent))
		if !ok {
			return next, false
		}
		*started = true
		next += uint64(len(recs))
	}
	return next, true
}

// send puts recs on out in order, giving up when the stream ends. It returns
// how many it put on out (those count as delivered even when the stream then
// ends: the reader can still receive them from the closed channel's buffer).
func (c *consumer) send(recs []*si.EventRecord) (int, bool) {
	select {
	case <-c.quit:
		return 0, false
	default:
	}
	for i, ev := range recs {
		select {
		case c.out <- ev:
		default:
			select {
			case c.out <- ev:
			case <-c.quit:
				return i, false
			}
		}
	}
	return len(recs), true
}

// park waits until the queue may have records (true) or the stream ends
// (false). It yields a few times before it blocks.
func (c *consumer) park() bool {
	for range consumerSpins {
		runtime.Gosched()
		if c.queue.Len() > 0 {
			return true
		}
	}
	c.sleeping.Store(true)
	if c.queue.Len() > 0 {
		c.sleeping.Store(false)
		return true
	}
	select {
	case <-c.wake:
		c.sleeping.Store(false)
		return true
	case <-c.quit:
		return false
	}
}

// finish runs as the stream's goroutine exits: it closes out, drops the
// stream from the list (a no-op when Remove or Close already did) and
// reports the exit on done.
func (es *EventStreaming) finish(c *consumer) {
	close(c.out)
	es.mu.Lock()
	es.unlinkLocked(c)
	es.mu.Unlock()
	close(c.done)
}
