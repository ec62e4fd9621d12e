package stream

import (
	"runtime"

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

// dispatch is the dispatch goroutine: the single producer of every stream's
// queue. It follows the ring from position p (the next ID to deliver): each
// round it admits new streams at p, reads [p, ReadEnd()) in batches by ID
// into a reused buffer, and pushes each batch into every admitted stream's
// queue. It returns when d.stop is closed.
//
// A stream whose queue cannot take the whole batch is cut off as slow. If the
// ring has overwritten IDs at or after p before the dispatcher read them, the
// streams that needed them are cut off the same way, and p moves to the
// ring's lowest ID: events are never skipped silently.
func (es *EventStreaming) dispatch(d *dispatcher) {
	defer close(d.done)
	var (
		seen   *[]*consumer
		active []*consumer
		buf    = make([]*si.EventRecord, 0, dispatchBatch)
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
			active = es.admit(active, l, p)
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
			// Park. See "Wake-ups" in streaming.go for why no wake-up
			// is lost between these steps.
			es.hookPark(parkClearing)
			es.state.And(^statePending)
			es.hookPark(parkRechecking)
			if es.history.ReadEnd() > p || es.consumers.Load() != seen {
				continue
			}
			es.hookPark(parkBlocking)
			select {
			case <-es.wake:
			case <-d.stop:
				return
			}
			continue
		}
		idle = 0
		if es.testHookRead != nil {
			es.testHookRead(p)
		}

		var lowest uint64
		buf, lowest, _ = es.history.AppendEventsFromID(buf[:0], p, min(end-p, dispatchBatch))
		if len(buf) == 0 {
			if lowest > p {
				active = es.overrun(active, p, lowest)
				p = lowest
			} else {
				runtime.Gosched() // the window moved under the read: look again
			}
			continue
		}
		active = es.push(active, buf, p)
		p += uint64(len(buf))
		clear(buf)
	}
}

// admit rebuilds the dispatcher's set of streams from the registered list l:
// streams already admitted stay unless they were cut off, streams that left
// the list are dropped, and new ones are admitted at p: from = max(join, p).
func (es *EventStreaming) admit(active []*consumer, l *[]*consumer, p uint64) []*consumer {
	active = active[:0]
	if l == nil {
		return active
	}
	for _, c := range *l {
		if c.gone || CloseReason(c.reason.Load()) != ReasonOpen {
			continue
		}
		if !c.joined {
			c.joined = true
			c.from = max(c.join, p)
			close(c.admitted)
		}
		active = append(active, c)
	}
	return active
}

// push hands the batch buf (IDs p, p+1, ...) to every stream in active from
// its from on, cuts off the streams whose queue is full, and returns the
// streams that stay.
func (es *EventStreaming) push(active []*consumer, buf []*si.EventRecord, p uint64) []*consumer {
	kept := active[:0]
	for _, c := range active {
		src := buf
		if c.from > p {
			if c.from-p >= uint64(len(buf)) {
				kept = append(kept, c) // joins after this batch
				continue
			}
			src = buf[c.from-p:]
		}
		if n := c.queue.PushBatch(src); n < len(src) {
			c.gone = true
			es.cut(c, "event stream cut off: consumer too slow", uint64(c.queue.Len()+len(src)-n))
			continue
		}
		if c.sleeping.Load() && c.sleeping.CompareAndSwap(true, false) {
			select {
			case c.wake <- struct{}{}:
			default:
			}
		}
		kept = append(kept, c)
	}
	clear(active[len(kept):])
	return kept
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

func (es *EventStreaming) hookPark(step parkStep) {
	if es.testHookPark != nil {
		es.testHookPark(step)
	}
}
