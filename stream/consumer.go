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

// entry is an event in a stream's queue, with its ID.
type entry struct {
	id uint64
	ev *si.EventRecord
}

// consumer is the state of one stream.
//
// Positions. A stream's events come from exactly one source each, in order:
//   - its history, [replayFrom, join): either copied at creation (snapshot,
//     with IDs [join-len(snapshot), join); then replayFrom == join) or, for a
//     stream from an ID, read from the ring by the stream's goroutine itself,
//     gaps reported as gap items;
//   - [join, ...): pushed into queue by the dispatcher. The dispatcher admits
//     the stream at its position p: if p <= join it pushes from join on; if it
//     is already past join, it first pushes [join, p) read back from the ring
//     (see admit), so the queue always starts at join.
//
// Ownership: queue has the dispatcher as its only producer and the stream's
// goroutine as its only consumer. queue, snapshot, replayFrom, join and keep
// are set before the stream is registered and its goroutine starts, and never
// change (but the goroutine, the only reader of snapshot, drops it once sent).
// The output channel (out or
// items, one of them) is sent on and closed only by the stream's goroutine.
// reason leaves ReasonOpen once (claimEnd), and the winner closes quit; the
// goroutine runs until quit is closed, then closes the channel, and closes
// done as its last step but one (the last: leaving es.serving). Who ends a
// stream and who waits for what: "Ending a stream" in streaming.go.
//
// Parking: the goroutine sets sleeping, looks at queue once more, and only
// then blocks on wake; the dispatcher, after each push, loads sleeping and,
// if it flips it back, sends a token on wake. By the same sequential
// consistency argument as for the dispatcher's wake-ups (streaming.go), a
// push is either seen by the goroutine's second look or the dispatcher sees
// sleeping and wakes it. A progress item the channel had no room for
// (offer) is offered in the same select as the wake-up: whichever comes
// first ends the park, and the goroutine looks at its queue again either
// way, so a push is still never missed.
//
// Reuse: event IDs are uint64 and never reused, so positions compare
// directly; the reuse of queue slots is the spsc.Queue argument.
type consumer struct {
	owner     *EventStreaming
	name      string
	createdAt time.Time
	keep      func(*si.EventRecord) bool // nil: every event

	snapshot   []*si.EventRecord
	replayFrom uint64
	join       uint64

	out   chan *si.EventRecord // an EventStream's channel, or nil
	items chan Item            // an IDStream's channel, or nil
	queue *spsc.Queue[entry]

	reason atomic.Uint32 // a CloseReason
	quit   chan struct{} // closed by the winner of claimEnd
	done   chan struct{} // closed when the goroutine has exited and the channel is closed

	sleeping atomic.Bool
	wake     chan struct{} // at most one token from the dispatcher

	// Owned by the dispatcher goroutine.
	from   uint64 // first ID the dispatcher pushes live; set at admission
	joined bool   // admitted by the dispatcher
	gone   bool   // dropped by the dispatcher (cut off)
	// With progress (see reportsProgress): passed is one past the newest ID
	// the dispatcher has handed to the stream's filter, told one past the
	// newest ID that an event or a progress mark in the queue covers. Both
	// start at join (set at admission): the stream's history, sent before
	// its queue, covers every ID before it.
	passed, told uint64

	progress bool // WithProgress was given; set before registration
	// offer: a progress item the channel had no room for, sent when there
	// is, unless a later item goes first (owned by the stream's goroutine).
	offer Item
}

// reportsProgress reports whether the stream delivers progress items: an
// IDStream with a filter and WithProgress.
func (c *consumer) reportsProgress() bool {
	return c.progress && c.keep != nil && c.items != nil
}

// progressMark is the record of a progress entry in a stream's queue: the
// entry's ID is the newest ID it covers. It is never delivered as a record
// and never compared by content, only by address.
var progressMark = &si.EventRecord{}

// A progress mark is pushed once the IDs passed since the last thing the
// stream was told reach progressEvery while the dispatcher is busy, or
// progressIdle when it is about to park. So a filtered stream gets at most
// one progress item per progressIdle IDs, and when the streaming is idle
// the position it was told lags by less than progressIdle IDs: a client
// that resumes from there reads those again (and filters them again), and
// hears of them as a gap only if history displaced them meanwhile, which
// takes a capacity's worth of newer events (each of which, while the stream
// was open, moved its position on).
const (
	progressEvery = 4096
	progressIdle  = 256
)

// closeReason is CloseReason for a handle; a handle built outside this
// package has no consumer and reports ReasonOpen.
func (c *consumer) closeReason() CloseReason {
	if c == nil {
		return ReasonOpen
	}
	return CloseReason(c.reason.Load())
}

// wants reports whether the stream delivers ev.
func (c *consumer) wants(ev *si.EventRecord) bool {
	return c.keep == nil || c.keep(ev)
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

// closeOutput closes the stream's channel.
func (c *consumer) closeOutput() {
	if c.items != nil {
		close(c.items)
	} else {
		close(c.out)
	}
}

// serve is the stream's goroutine: its history, then its queue, into its
// channel. It returns when the stream ends, closing the channel on the way.
func (es *EventStreaming) serve(c *consumer) {
	defer es.finish(c)
	if !es.sendSnapshot(c) || !es.replay(c) {
		return
	}
	buf := make([]entry, deliverBatch)
	for {
		n := c.queue.PopBatch(buf)
		if n == 0 {
			if !c.park() {
				return
			}
			continue
		}
		ok := es.send(c, buf[:n])
		clear(buf[:n])
		if !ok {
			return
		}
	}
}

// sendSnapshot sends the history copied at creation and lets it go.
func (es *EventStreaming) sendSnapshot(c *consumer) bool {
	snap := c.snapshot
	c.snapshot = nil
	// With progress, a filtered-out tail is said once the rest is sent.
	filteredTail := len(snap) > 0 && c.reportsProgress() && !c.wants(snap[len(snap)-1])
	first := c.join - uint64(len(snap))
	var buf [deliverBatch]entry
	for len(snap) > 0 {
		n := min(len(snap), len(buf))
		for i, ev := range snap[:n] {
			buf[i] = entry{id: first + uint64(i), ev: ev}
		}
		if !es.send(c, buf[:n]) {
			return false
		}
		clear(snap[:n])
		snap, first = snap[n:], first+uint64(n)
	}
	if filteredTail {
		return c.put(Item{ID: c.join - 1, Progress: true})
	}
	return true
}

// replay sends the events [replayFrom, join) read from the ring by ID. IDs
// the ring no longer holds are reported as one gap item per missing run.
func (es *EventStreaming) replay(c *consumer) bool {
	next, to := c.replayFrom, c.join
	if next >= to {
		return true
	}
	recs := make([]*si.EventRecord, 0, deliverBatch)
	buf := make([]entry, 0, deliverBatch)
	// Whether the newest ID replayed so far was filtered out (with progress
	// only): then a progress item ends the replay.
	filteredTail := false
	for next < to {
		var lowest uint64
		recs, lowest, _ = es.history.AppendEventsFromID(recs[:0], next, min(to-next, deliverBatch))
		if len(recs) == 0 {
			if lowest > next {
				skip := min(lowest, to)
				if !c.put(Item{ID: next, Missing: skip - next}) {
					return false
				}
				next, filteredTail = skip, false
				continue
			}
			// The window moved under the read: look again.
			select {
			case <-c.quit:
				return false
			default:
				runtime.Gosched()
			}
			continue
		}
		buf = buf[:0]
		for i, ev := range recs {
			buf = append(buf, entry{id: next + uint64(i), ev: ev})
		}
		filteredTail = c.reportsProgress() && !c.wants(recs[len(recs)-1])
		next += uint64(len(recs))
		clear(recs)
		ok := es.send(c, buf)
		clear(buf)
		if !ok {
			return false
		}
	}
	if filteredTail {
		return c.put(Item{ID: to - 1, Progress: true})
	}
	return true
}

// send puts the events of ents that the stream wants on its channel, in
// order, giving up when the stream ends, and counts those it put there (they
// count as delivered even when the stream then ends: the reader can still
// receive them from the closed channel's buffer).
func (es *EventStreaming) send(c *consumer, ents []entry) bool {
	select {
	case <-c.quit:
		return false
	default:
	}
	sent := 0
	ok := true
	for _, e := range ents {
		if e.ev == progressMark {
			// Never waited for here: sent if the channel has room, else
			// offered while the goroutine parks (see park), and dropped
			// once a later item goes out first (it says more).
			it := Item{ID: e.id, Progress: true}
			select {
			case c.items <- it:
				c.offer = Item{}
			default:
				c.offer = it
			}
			continue
		}
		if !c.wants(e.ev) {
			continue
		}
		if c.items != nil {
			ok = c.put(Item{ID: e.id, Record: e.ev})
		} else {
			ok = c.putRecord(e.ev)
		}
		if !ok {
			break
		}
		sent++
	}
	es.delivered.Add(uint64(sent))
	return ok
}

// putRecord sends ev on an EventStream's channel, waiting for room; false
// when the stream ended first.
func (c *consumer) putRecord(ev *si.EventRecord) bool { return sendUnlessQuit(c.out, ev, c.quit) }

// put sends it on an IDStream's channel, waiting for room; false when the
// stream ended first. A progress item still on offer is dropped: it is
// older than it.
func (c *consumer) put(it Item) bool {
	c.offer = Item{}
	return sendUnlessQuit(c.items, it, c.quit)
}

// sendUnlessQuit sends v on ch, waiting for room, and reports true; it gives
// up and reports false once quit is closed. A send that finds room at once
// never looks at quit (the stream's own channel, in order, comes first).
func sendUnlessQuit[T any](ch chan<- T, v T, quit <-chan struct{}) bool {
	select {
	case ch <- v:
		return true
	default:
	}
	select {
	case ch <- v:
		return true
	case <-quit:
		return false
	}
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
	var offer chan<- Item // nil (never ready) unless a progress item is on offer
	if c.offer.Progress {
		offer = c.items
	}
	select {
	case <-c.wake:
		c.sleeping.Store(false)
		return true
	case offer <- c.offer:
		c.offer = Item{}
		c.sleeping.Store(false)
		return true
	case <-c.quit:
		return false
	}
}

// finish runs as the stream's goroutine exits: it closes the channel, drops
// the stream from the list (a no-op when Remove or Close already did),
// reports the exit on done (for Remove) and leaves serving (for Close): see
// "Ending a stream" in streaming.go.
func (es *EventStreaming) finish(c *consumer) {
	c.closeOutput()
	es.mu.Lock()
	es.unlinkLocked(c)
	es.mu.Unlock()
	if es.testHookFinish != nil {
		es.testHookFinish(c)
	}
	close(c.done)
	es.serving.Done()
}
