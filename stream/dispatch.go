package stream

import (
	"runtime"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

const (
	// dispatchBatch is the most records the dispatcher reads from the ring
	// and pushes into each queue per round.
	dispatchBatch = 256
	// dispatchSpins is how many times an idle dispatcher yields and looks at
	// the ring again before it parks.
	dispatchSpins = 2
)

// dispatcher is one run of the dispatch goroutine: its handle for the control
// plane and its buffers.
type dispatcher struct {
	stop chan struct{} // closed by the control plane to end the run
	done chan struct{} // closed by the goroutine when it has returned

	// Owned by the goroutine: the records of the current read, the same with
	// their IDs, and the filtered part for one stream.
	recs []*si.EventRecord
	ents []entry
	kept []entry

	// poll and pollDelay: the timer of a park that waits for claimed IDs
	// to become readable (see dispatch), and its current delay, doubled
	// from pollMin up to pollMax while nothing can be delivered; 0 after a
	// delivery and after a park that found every claimed ID readable.
	poll      *time.Timer
	pollDelay time.Duration
}

// The delays of a dispatcher that parks while claimed IDs are not readable
// yet. A publish that has not reached this core yet is a matter of
// nanoseconds, a writer descheduled between its claim and its publish a
// matter of the Go scheduler's time slices (about 10 ms); the writer's own
// PublishEvent usually wakes the dispatcher before the timer fires.
const (
	pollMin = 20 * time.Microsecond
	pollMax = time.Millisecond
)

// pollAfter starts the park's timer with the next delay and returns its
// channel.
func (d *dispatcher) pollAfter() <-chan time.Time {
	d.pollDelay = min(max(2*d.pollDelay, pollMin), pollMax)
	if d.poll == nil {
		d.poll = time.NewTimer(d.pollDelay)
	} else {
		d.poll.Reset(d.pollDelay)
	}
	return d.poll.C
}

func newDispatcher() *dispatcher {
	return &dispatcher{
		stop: make(chan struct{}),
		done: make(chan struct{}),
		recs: make([]*si.EventRecord, 0, dispatchBatch),
		ents: make([]entry, 0, dispatchBatch),
		kept: make([]entry, 0, dispatchBatch),
	}
}

// dispatch is the dispatch goroutine: the single producer of every stream's
// queue. It follows the ring from position p (the next ID to deliver): each
// round it admits new streams, reads [p, ReadEnd()) in batches by ID, and
// pushes each batch into every admitted stream's queue. It returns when
// d.stop is closed.
//
// A stream whose queue cannot take what it wants of a batch is cut off as
// slow. If the ring has overwritten IDs at or after p before the dispatcher
// read them, the streams that needed them are cut off the same way, and p
// moves to the ring's lowest ID: events are never skipped silently.
func (es *EventStreaming) dispatch(d *dispatcher) {
	defer close(d.done)
	defer func() {
		if d.poll != nil {
			d.poll.Stop()
		}
	}()
	var (
		seen   *[]*consumer
		active []*consumer
		p      = es.history.ReadEnd()
		idle   = 0
	)
	for {
		select {
		case <-d.stop:
			return
		default:
		}
		if l := es.consumers.Load(); l != seen {
			seen = l
			active, p = es.admit(d, active, l, p)
		}
		end := es.history.ReadEnd()
		if len(active) == 0 {
			p = max(p, end) // nobody to deliver to: stay at the present
		}
		if p >= end {
			// Nothing to deliver: yield a few times, then park.
			if idle < dispatchSpins {
				idle++
				runtime.Gosched()
				continue
			}
			idle = 0
			held := es.flushProgress(active)
			// Park. "Wake-ups" in streaming.go argues that no wake-up
			// is lost between these steps.
			es.hookPark(parkClearing)
			es.state.And(^statePending)
			es.hookPark(parkRechecking)
			end = es.recheckEnd()
			if end > p || es.consumers.Load() != seen {
				continue
			}
			// IDs claimed but not readable yet: their writers' publish
			// (a release store) may not have reached this core, and
			// their PublishEvent may have seen the pending flag set
			// before the clear, so no token may come for them. Look
			// again after a while instead of waiting for one.
			var poll <-chan time.Time
			// Also while a progress mark waits for a stream's queue to
			// empty (see flushProgress).
			if held || len(active) > 0 && es.history.NextID() > end {
				poll = d.pollAfter()
			} else {
				// Every claimed ID is readable: a wait that
				// ended without a delivery (the IDs lay below
				// p) is over, and the next one starts again at
				// pollMin.
				d.pollDelay = 0
			}
			es.hookPark(parkBlocking)
			select {
			case <-es.wake:
			case <-poll:
			case <-d.stop:
				return
			}
			continue
		}
		idle = 0
		d.pollDelay = 0
		if es.testHookRead != nil {
			es.testHookRead(p)
		}

		n, lowest := es.read(d, p, end-p)
		if n == 0 {
			if lowest > p {
				active = es.overrun(active, p, lowest)
				p = lowest
			} else {
				runtime.Gosched() // the window moved under the read: look again
			}
			continue
		}
		active = es.push(d, active)
		p += uint64(n)
	}
}

// read reads up to min(count, dispatchBatch) events from ID p on into d.ents
// and returns how many, with the ring's lowest ID.
func (es *EventStreaming) read(d *dispatcher, p, count uint64) (int, uint64) {
	var lowest uint64
	d.recs, lowest, _ = es.history.AppendEventsFromID(d.recs[:0], p, min(count, dispatchBatch))
	d.ents = d.ents[:0]
	for i, ev := range d.recs {
		d.ents = append(d.ents, entry{id: p + uint64(i), ev: ev})
	}
	clear(d.recs)
	return len(d.ents), lowest
}

// admit rebuilds the dispatcher's set of streams from the registered list l
// and returns it with the position to go on from: streams already admitted
// stay unless they were cut off, streams that left the list are dropped, and
// new ones are admitted. A new stream wants [join, ...) in its queue. With no
// stream already admitted, the dispatcher moves to the smallest join of the
// new ones (it delivers to nobody else, so it may go back). Otherwise a new
// stream whose join is at or above p is pushed from join on as p gets there,
// and one whose join is below p (the dispatcher went past join between the
// stream's creation and this round) first gets [join, p) read back from the
// ring; if the ring no longer holds it, the stream is cut off.
func (es *EventStreaming) admit(d *dispatcher, active []*consumer, l *[]*consumer, p uint64) ([]*consumer, uint64) {
	active = active[:0]
	if l == nil {
		return active, p
	}
	var fresh []*consumer
	for _, c := range *l {
		if c.gone || c.closeReason() != ReasonOpen {
			continue
		}
		if !c.joined {
			fresh = append(fresh, c)
			continue
		}
		active = append(active, c)
	}
	if len(fresh) == 0 {
		return active, p
	}
	if len(active) == 0 {
		p = fresh[0].join
		for _, c := range fresh[1:] {
			p = min(p, c.join)
		}
	}
	for _, c := range fresh {
		c.joined = true
		// Its history (or its start, when it has none) covers every ID
		// before join: progress counts from there.
		c.passed, c.told = c.join, c.join
		c.from = max(c.join, p)
		if c.join < p && !es.backfill(d, c, p) {
			c.gone = true
			continue
		}
		active = append(active, c)
	}
	return active, p
}

// backfill pushes [c.join, p) from the ring into c's queue, or cuts c off
// and returns false.
func (es *EventStreaming) backfill(d *dispatcher, c *consumer, p uint64) bool {
	for id := c.join; id < p; {
		n, lowest := es.read(d, id, p-id)
		if n == 0 {
			if lowest > id {
				es.cut(c, "event stream cut off: ring overwrote events before the stream was admitted", lowest-id)
				return false
			}
			runtime.Gosched()
			continue
		}
		if !es.deliver(d, c, d.ents) {
			return false
		}
		id += uint64(n)
	}
	return true
}

// push hands the batch d.ents to every stream in active from its from on,
// cuts off the streams whose queue is full, and returns the streams that
// stay.
func (es *EventStreaming) push(d *dispatcher, active []*consumer) []*consumer {
	p := d.ents[0].id
	kept := active[:0]
	for _, c := range active {
		src := d.ents
		if c.from > p {
			if c.from-p >= uint64(len(src)) {
				kept = append(kept, c) // joins after this batch
				continue
			}
			src = src[c.from-p:]
		}
		if !es.deliver(d, c, src) {
			c.gone = true
			continue
		}
		kept = append(kept, c)
	}
	clear(active[len(kept):])
	clear(d.ents)
	return kept
}

// deliver pushes the events of src that c wants into its queue and wakes
// its goroutine if it sleeps; it cuts c off and returns false when the queue
// has no room for all of them. Filtering here, before the queue, is what
// keeps a filtered stream from being cut off for events it does not want.
//
// A stream with progress (WithProgress) also learns how far its filter has
// looked: passed and told move here, and a progress mark goes into its queue
// once progressEvery filtered IDs have passed since the last thing it was
// told (progressIdle when the dispatcher goes idle, see flushProgress).
func (es *EventStreaming) deliver(d *dispatcher, c *consumer, src []entry) bool {
	if len(src) == 0 {
		return true
	}
	if c.keep != nil {
		d.kept = d.kept[:0]
		for _, e := range src {
			if c.keep(e.ev) {
				d.kept = append(d.kept, e)
			}
		}
		if c.reportsProgress() {
			c.passed = src[len(src)-1].id + 1
			if len(d.kept) > 0 {
				c.told = d.kept[len(d.kept)-1].id + 1
			}
		}
		src = d.kept
		defer clear(d.kept)
	}
	pushed := len(src) > 0
	if n := c.queue.PushBatch(src); n < len(src) {
		es.cut(c, "event stream cut off: consumer too slow", uint64(c.queue.Len()+len(src)-n))
		return false
	}
	if c.reportsProgress() && c.passed >= c.told+progressEvery && pushProgress(c) {
		pushed = true
	}
	if pushed {
		wakeConsumer(c)
	}
	return true
}

// wakeConsumer wakes c's goroutine if it sleeps (see consumer's Parking).
func wakeConsumer(c *consumer) {
	if c.sleeping.Load() && c.sleeping.CompareAndSwap(true, false) {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// pushProgress pushes a progress mark for the filtered IDs up to c.passed
// that c has not been told of, and reports whether it did. It pushes only
// into an empty queue (the stream's goroutine has taken everything before
// it), so a mark never waits in the queue behind events or beside another
// mark: at most one slot of the queue holds a mark, and a stream whose
// reader stalls is not cut off sooner for them. Otherwise the mark is left
// out; a later one covers the same IDs.
func pushProgress(c *consumer) bool {
	if c.passed <= c.told || c.queue.Len() != 0 || !c.queue.TryPush(entry{id: c.passed - 1, ev: progressMark}) {
		return false
	}
	c.told = c.passed
	return true
}

// flushProgress pushes a progress mark into the queue of every stream in
// active that has at least progressIdle filtered IDs it was not told of (the
// dispatcher is about to park: nothing more is coming for a while). It
// reports whether a mark was held back because a queue was not empty yet:
// the dispatcher then parks with its poll timer, to try again.
func (es *EventStreaming) flushProgress(active []*consumer) (held bool) {
	for _, c := range active {
		if !c.reportsProgress() || c.passed < c.told+progressIdle {
			continue
		}
		if pushProgress(c) {
			wakeConsumer(c)
		} else {
			held = true
		}
	}
	return held
}

// overrun handles the ring having displaced IDs [p, lowest) before the
// dispatcher delivered them: every stream that needed any of them is cut off.
func (es *EventStreaming) overrun(active []*consumer, p, lowest uint64) []*consumer {
	kept := active[:0]
	for _, c := range active {
		if c.from >= lowest {
			kept = append(kept, c)
			continue
		}
		c.gone = true
		es.cut(c, "event stream cut off: ring overwrote events before dispatch", lowest-max(p, c.from))
	}
	clear(active[len(kept):])
	return kept
}

// parkStep names the steps of the dispatcher's parking for testHookPark.
type parkStep int

const (
	parkClearing   parkStep = iota // about to clear statePending
	parkRechecking                 // cleared, about to look at the ring again
	parkBlocking                   // nothing new: about to block on wake
)

// recheckEnd is the ring's read end, as a parking dispatcher looks at it
// after clearing statePending (a test may make it lag, as a publish that has
// not reached the dispatcher's core yet does).
func (es *EventStreaming) recheckEnd() uint64 {
	end := es.history.ReadEnd()
	if es.testHookRecheckEnd != nil {
		end = es.testHookRecheckEnd(end)
	}
	return end
}

func (es *EventStreaming) hookPark(step parkStep) {
	if es.testHookPark != nil {
		es.testHookPark(step)
	}
}
