package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/internal/cpu"
	"github.com/lfevents/lfevents/stream"
)

// seqBits is how many low bits of TimestampNano carry the producer's sequence.
const seqBits = 40

func encode(producer int, seq uint64) int64 { return int64(uint64(producer)<<seqBits | seq) }

func decode(ev *si.EventRecord) (producer int, seq uint64) {
	v := uint64(ev.GetTimestampNano())
	return int(v >> seqBits), v & (1<<seqBits - 1)
}

// producerState is one producer's progress, on its own cache line.
type producerState struct {
	sent atomic.Uint64 // events given to AddEvent
	_    [cpu.CacheLineSize - 8]byte
}

// orderCheck follows each producer's sequence numbers through an ordered
// flow (a stream, or the batches of the plugin) and records the first
// violation: a number not above the last one seen (duplicate or reorder),
// or, when strict, a number that skips (gap).
//
// One goroutine at a time calls see; last may be read by others (progress).
type orderCheck struct {
	strict bool
	last   []atomic.Int64 // per producer; -1 before the first
	err    string
	n      uint64
}

func newOrderCheck(producers int, strict bool) *orderCheck {
	c := &orderCheck{strict: strict, last: make([]atomic.Int64, producers)}
	for i := range c.last {
		c.last[i].Store(-1)
	}
	return c
}

func (c *orderCheck) see(ev *si.EventRecord) {
	c.n++
	if c.err != "" {
		return
	}
	if ev == nil {
		c.err = "nil record"
		return
	}
	p, seq := decode(ev)
	if p >= len(c.last) {
		c.err = fmt.Sprintf("record of unknown producer %d", p)
		return
	}
	prev := c.last[p].Load()
	switch {
	case prev >= 0 && int64(seq) <= prev:
		c.err = fmt.Sprintf("producer %d: event %d after %d (duplicate or out of order)", p, seq, prev)
	case c.strict && prev >= 0 && int64(seq) != prev+1:
		c.err = fmt.Sprintf("producer %d: gap, event %d after %d", p, seq, prev)
	}
	c.last[p].Store(int64(seq))
}

// countingPlugin receives the published batches and checks their order.
type countingPlugin struct {
	mu    sync.Mutex
	check *orderCheck
}

// SendEvent implements system.EventPlugin and baseline.Plugin.
func (p *countingPlugin) SendEvent(batch []*si.EventRecord) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range batch {
		p.check.see(ev)
	}
}

func (p *countingPlugin) result() (uint64, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.check.n, p.check.err
}

// streamRun is one stream from join to close.
type streamRun struct {
	h        *stream.EventStream
	removing atomic.Bool   // set before we call RemoveStream
	received atomic.Uint64 // events read so far
	check    *orderCheck   // owned by the reader until done closes
	done     chan struct{}
	reason   string // why it closed: "removed", "slow", ... ("cut" when the baseline closed it)
	byUs     bool   // closed after we asked for it
}

func (s *streamRun) read(t target) {
	defer close(s.done)
	for ev := range s.h.Events {
		s.check.see(ev)
		s.received.Add(1)
	}
	s.byUs = s.removing.Load()
	s.reason = t.closeReason(s.h)
	if s.reason == "" {
		s.reason = "cut"
		if s.byUs {
			s.reason = "removed"
		}
	}
}

// run puts the system under load as o says, prints the report to out and
// returns whether every check passed.
func run(o options, out, progress io.Writer) bool {
	plugin := &countingPlugin{}
	var t target
	var strict bool
	switch o.impl {
	case "lockfree":
		lf := newLockfree(o, plugin)
		t, strict = lf, true
	default:
		t, strict = newBaseline(o, plugin), false
	}
	// The store refuses events when full, so the plugin sees each producer's
	// events in order but with gaps.
	plugin.check = newOrderCheck(o.producers, false)
	t.StartService()

	start := time.Now()
	var stop atomic.Bool
	producers := make([]producerState, o.producers)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			produce(t, p, o.rate/float64(o.producers), &producers[p], &stop, start)
		}()
	}

	// Streams join and leave; each lives a random time around o.streamLife.
	var (
		streamsMu sync.Mutex
		live      []*streamRun
		ended     []*streamRun
	)
	openStream := func() *streamRun {
		s := &streamRun{check: newOrderCheck(o.producers, strict), done: make(chan struct{})}
		s.h = t.CreateEventStream("evload", o.streamHistory)
		go s.read(t)
		return s
	}
	endStream := func(s *streamRun) {
		s.removing.Store(true)
		t.RemoveStream(s.h)
		<-s.done
	}
	var side sync.WaitGroup
	if o.streams > 0 {
		side.Add(1)
		go func() {
			defer side.Done()
			type slot struct {
				s   *streamRun
				end time.Time
			}
			life := func() time.Duration {
				return o.streamLife/2 + rand.N(o.streamLife)
			}
			slots := make([]slot, o.streams)
			for i := range slots {
				slots[i] = slot{openStream(), time.Now().Add(life())}
			}
			publish := func() {
				streamsMu.Lock()
				live = live[:0]
				for _, sl := range slots {
					live = append(live, sl.s)
				}
				streamsMu.Unlock()
			}
			publish()
			for !stop.Load() {
				time.Sleep(10 * time.Millisecond)
				for i := range slots {
					select {
					case <-slots[i].s.done: // closed by the system: replace it
					default:
						if time.Now().Before(slots[i].end) {
							continue
						}
						endStream(slots[i].s)
					}
					streamsMu.Lock()
					ended = append(ended, slots[i].s)
					streamsMu.Unlock()
					slots[i] = slot{openStream(), time.Now().Add(life())}
				}
				publish()
			}
			streamsMu.Lock()
			for _, sl := range slots {
				ended = append(ended, sl.s)
			}
			live = nil
			streamsMu.Unlock()
			for _, sl := range slots {
				endStream(sl.s)
			}
		}()
	}

	// Reloads alternate the capacities between the given ones and a
	// shrunk history with a grown store.
	reloads := 0
	if o.reload > 0 {
		side.Add(1)
		go func() {
			defer side.Done()
			tick := time.NewTicker(o.reload)
			defer tick.Stop()
			for !stop.Load() {
				<-tick.C
				if stop.Load() {
					return
				}
				if reloads%2 == 0 {
					t.reconfigure(max(o.ring/2, 1), o.store*2)
				} else {
					t.reconfigure(o.ring, o.store)
				}
				reloads++
			}
		}()
	}

	// Progress, once a second, until the duration is over.
	tick := time.NewTicker(time.Second)
	last, lastAt := t.counts(), start
	for deadline := start.Add(o.duration); time.Now().Before(deadline); {
		select {
		case <-tick.C:
		case <-time.After(time.Until(deadline)):
		}
		now, c := time.Now(), t.counts()
		streamsMu.Lock()
		var maxLag uint64
		nLive := 0
		for _, s := range live {
			if isDone(s) {
				continue
			}
			nLive++
			if l := streamLag(s, producers); l > maxLag {
				maxLag = l
			}
		}
		streamsMu.Unlock()
		rate := float64(c.Processed-last.Processed) / now.Sub(lastAt).Seconds()
		fmt.Fprintf(progress, "evload %s t=%4.0fs  %9.0f ev/s  accepted %d  dropped %d (%.1f%%)  streams %d live, %d cut  lag %d  collected %d  not stored %d\n",
			o.impl, now.Sub(start).Seconds(), rate, c.Accepted, c.Dropped, pct(c.Dropped, c.Accepted+c.Dropped),
			nLive, c.StreamsCut, maxLag, c.Collected, c.NotStored)
		last, lastAt = c, now
	}
	tick.Stop()
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	side.Wait()

	return report(o, t, plugin, producers, ended, reloads, elapsed, out)
}

func isDone(s *streamRun) bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// streamLag estimates how many events a stream has not received yet: per
// producer, the events sent after the last one the stream got. Producers it
// has not heard from yet do not count. With drops (baseline) it overstates.
func streamLag(s *streamRun, producers []producerState) uint64 {
	var lag uint64
	for p := range producers {
		seen := s.check.last[p].Load()
		if seen < 0 {
			continue
		}
		if sent := producers[p].sent.Load(); sent > uint64(seen)+1 {
			lag += sent - uint64(seen) - 1
		}
	}
	return lag
}

func pct(part, whole uint64) float64 {
	if whole == 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}

// produce adds events until stop, at perRate events/s (0: flat out).
func produce(t target, p int, perRate float64, st *producerState, stop *atomic.Bool, start time.Time) {
	var seq uint64
	for !stop.Load() {
		if perRate > 0 {
			due := uint64(time.Since(start).Seconds() * perRate)
			if seq >= due {
				time.Sleep(time.Millisecond)
				continue
			}
		}
		t.AddEvent(&si.EventRecord{
			Type:          si.EventRecord_REQUEST,
			ObjectID:      "evload",
			Message:       "load",
			TimestampNano: encode(p, seq),
		})
		seq++
		st.sent.Store(seq)
	}
}
