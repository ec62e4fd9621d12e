package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/stream"
	"golang.org/x/sys/cpu"
)

// seqBits is how many low bits of TimestampNano carry the producer's sequence.
const seqBits = 40

func encode(producer int, seq uint64) int64 { return int64(uint64(producer)<<seqBits | seq) }

func decode(ev *si.EventRecord) (producer int, seq uint64) {
	v := uint64(ev.GetTimestampNano())
	return int(v >> seqBits), v & (1<<seqBits - 1)
}

// producerState is one producer's progress, on its own cache line. Before
// each AddEvent (or AddEvents) call the producer stores in begun the count of
// events once the call is done; after the call it stores the same in sent.
// So an event numbered begun or above (as loaded at some moment) is added by
// a call that began after that moment.
type producerState struct {
	begun atomic.Uint64 // events of the calls begun so far
	sent  atomic.Uint64 // events given to AddEvent by the calls that returned
	_     cpu.CacheLinePad
}

// orderCheck follows each producer's sequence numbers through an ordered
// flow (a stream, or the batches of the plugin) and records the first
// violation: a number not above the last one seen (duplicate or reorder),
// or, when strict, a number that skips (gap), or, with firstBy, a first
// number above its bound (events lost before it).
//
// One goroutine at a time calls see; last may be read by others (progress).
type orderCheck struct {
	strict bool
	last   []atomic.Int64 // per producer: the highest seen; -1 before the first
	// firstBy, when set (before the first see), bounds each producer's
	// first number: a stream must receive every event a producer began to
	// add after the stream was created, so its first one of producer p is
	// at most firstBy[p] (see openStream).
	firstBy []uint64
	err     string // the first violation; "" while none
	n       uint64
}

func newOrderCheck(producers int, strict bool) *orderCheck {
	c := &orderCheck{strict: strict, last: make([]atomic.Int64, producers)}
	for i := range c.last {
		c.last[i].Store(-1)
	}
	return c
}

// see checks the next record of the flow. After a violation it keeps
// following the producers (the progress line's lag stays meaningful) but
// keeps the first error.
func (c *orderCheck) see(ev *si.EventRecord) {
	c.n++
	if ev == nil {
		c.fail("nil record")
		return
	}
	p, seq := decode(ev)
	if p >= len(c.last) {
		c.fail("record of unknown producer %d", p)
		return
	}
	prev := c.last[p].Load()
	switch {
	case prev < 0 && c.firstBy != nil && seq > c.firstBy[p]:
		c.fail("producer %d: first event %d, but every event from %d on was added after the stream opened (lost at the join)",
			p, seq, c.firstBy[p])
	case prev >= 0 && int64(seq) <= prev:
		c.fail("producer %d: event %d after %d (duplicate or out of order)", p, seq, prev)
	case c.strict && prev >= 0 && int64(seq) != prev+1:
		c.fail("producer %d: gap, event %d after %d", p, seq, prev)
	}
	if int64(seq) > prev {
		c.last[p].Store(int64(seq))
	}
}

// fail records a violation unless one is recorded already.
func (c *orderCheck) fail(format string, args ...any) {
	if c.err == "" {
		c.err = fmt.Sprintf(format, args...)
	}
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

// load is one run: the system, its producers, its streams and its reloads.
type load struct {
	o         options
	t         target
	plugin    *countingPlugin
	start     time.Time
	stop      atomic.Bool   // set when the run is over (duration, or ctx done); producers poll it
	done      chan struct{} // closed with stop: wakes the stream churn and the reloads
	early     time.Duration // when ctx ended the run before -duration; 0 if it ran its course
	producers []producerState
	workers   sync.WaitGroup // producers
	side      sync.WaitGroup // stream churn and reloads

	streamsMu sync.Mutex
	live      []*streamRun // streams open now, for the progress line
	ended     []*streamRun // every stream that was opened; complete after side.Wait

	reloads int // written by the reload goroutine; read after side.Wait

	maxLag uint64 // the largest lag of a live stream seen by showProgress; read after it returns
}

// run puts the system under load as o says, prints the report to out and
// returns whether every check passed. When ctx ends first (Ctrl-C), the
// producers stop there and the run is checked and reported as usual.
func run(ctx context.Context, o options, out, progress io.Writer) bool {
	// The store refuses events when full, so the plugin sees each producer's
	// events in order but with gaps: its check is never strict.
	l := &load{o: o, plugin: &countingPlugin{check: newOrderCheck(o.producers, false)}, done: make(chan struct{})}
	l.t = newTarget(o, l.plugin)
	l.t.StartService()
	l.start = time.Now()
	l.startProducers()
	if o.streams > 0 {
		l.side.Add(1)
		go l.churnStreams()
	}
	if o.reload > 0 {
		l.side.Add(1)
		go l.reload()
	}
	l.showProgress(ctx, progress)
	l.stop.Store(true)
	close(l.done)
	l.workers.Wait()
	elapsed := time.Since(l.start)
	l.side.Wait()
	return report(o, l.t, l.plugin, l.producers, l.ended,
		runFacts{reloads: l.reloads, elapsed: elapsed, maxLag: l.maxLag, interrupted: l.early}, out)
}

func (l *load) startProducers() {
	l.producers = make([]producerState, l.o.producers)
	perRate := l.o.rate / float64(l.o.producers)
	for p := range l.producers {
		l.workers.Add(1)
		go func() {
			defer l.workers.Done()
			produce(l.t, p, perRate, l.o.batch, &l.producers[p], &l.stop, l.start)
		}()
	}
}

// openStream creates a stream and starts its reader.
//
// On a strict (lock-free) system a stream receives every event added after
// it was created, so the first event it gets from producer p is bounded:
// begun is loaded after CreateEventStream returned, so every event of p from
// begun on was added by a call that began after the stream existed. A stream
// whose first event of p is above that lost events at the join (history
// and live events not meeting).
func (l *load) openStream() *streamRun {
	s := &streamRun{check: newOrderCheck(l.o.producers, l.t.strict()), done: make(chan struct{})}
	s.h = l.t.CreateEventStream("evload", l.o.streamHistory)
	if l.t.strict() {
		s.check.firstBy = make([]uint64, len(l.producers))
		for p := range l.producers {
			s.check.firstBy[p] = l.producers[p].begun.Load()
		}
	}
	l.streamsMu.Lock()
	l.ended = append(l.ended, s)
	l.streamsMu.Unlock()
	go s.read(l.t)
	return s
}

func (l *load) endStream(s *streamRun) {
	s.removing.Store(true)
	l.t.RemoveStream(s.h)
	<-s.done
}

// churnStreams keeps o.streams streams open until stop: each lives a random
// time around o.streamLife and is then removed, and one that the system
// closes (cut off) is replaced at once. At stop it removes them all.
func (l *load) churnStreams() {
	defer l.side.Done()
	life := func() time.Time { return time.Now().Add(l.o.streamLife/2 + rand.N(l.o.streamLife)) }
	open := make([]*streamRun, l.o.streams)
	ends := make([]time.Time, l.o.streams)
	for i := range open {
		open[i], ends[i] = l.openStream(), life()
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !l.stop.Load() {
		l.streamsMu.Lock()
		l.live = append(l.live[:0], open...)
		l.streamsMu.Unlock()
		select {
		case <-tick.C:
		case <-l.done:
		}
		if l.stop.Load() {
			break
		}
		for i, s := range open {
			if !isDone(s) {
				if time.Now().Before(ends[i]) {
					continue
				}
				l.endStream(s)
			}
			open[i], ends[i] = l.openStream(), life()
		}
	}
	l.streamsMu.Lock()
	l.live = nil
	l.streamsMu.Unlock()
	for _, s := range open {
		l.endStream(s)
	}
}

// reload reconfigures every o.reload until stop, alternating between the
// given capacities and a halved history with a doubled store. It returns as
// soon as the run ends, not at the next tick (-reload 1h must not hold the
// report back for an hour).
func (l *load) reload() {
	defer l.side.Done()
	tick := time.NewTicker(l.o.reload)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-l.done:
			return
		}
		if l.stop.Load() {
			return
		}
		if l.reloads%2 == 0 {
			l.t.reconfigure(max(l.o.ring/2, 1), l.o.store*2)
		} else {
			l.t.reconfigure(l.o.ring, l.o.store)
		}
		l.reloads++
	}
}

// showProgress prints a progress line every second until the duration is
// over or ctx is done (then it prints one last line and sets l.early).
func (l *load) showProgress(ctx context.Context, w io.Writer) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	end := time.NewTimer(l.o.duration - time.Since(l.start))
	defer end.Stop()
	last, lastAt := l.t.counts(), l.start
	for over := false; !over; {
		select {
		case <-tick.C:
		case <-end.C:
			over = true
		case <-ctx.Done():
			over = true
			l.early = time.Since(l.start)
		}
		now, c := time.Now(), l.t.counts()
		var maxLag uint64
		live := 0
		l.streamsMu.Lock()
		for _, s := range l.live {
			if isDone(s) {
				continue
			}
			live++
			maxLag = max(maxLag, streamLag(s, l.producers))
		}
		l.streamsMu.Unlock()
		l.maxLag = max(l.maxLag, maxLag)
		rate := float64(c.Processed-last.Processed) / now.Sub(lastAt).Seconds()
		fmt.Fprintf(w, "evload %s t=%4.0fs  %9.0f ev/s  accepted %d  dropped %d (%.1f%%)  "+
			"streams %d live, %d cut  lag %d  collected %d  not stored %d\n",
			l.o.impl, now.Sub(l.start).Seconds(), rate, c.Accepted, c.Dropped, pct(c.Dropped, c.Accepted+c.Dropped),
			live, c.StreamsCut, maxLag, c.Collected, c.NotStored)
		last, lastAt = c, now
	}
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

// recordKind is one kind of event a scheduler emits, with the object IDs it
// is about (a fixed set, so that making a record costs no formatting).
type recordKind struct {
	typ     si.EventRecord_Type
	change  si.EventRecord_ChangeType
	detail  si.EventRecord_ChangeDetail
	message string
	objects []string
	refs    []string
}

// recordMix returns the kinds of events the producers cycle through: mostly
// requests and allocations, some application state changes, some node and
// queue updates, as in a scheduling cycle.
func recordMix() []recordKind {
	ids := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s%d", prefix, i)
		}
		return out
	}
	apps, asks, nodes := ids("app-", 16), ids("ask-", 64), ids("node-", 32)
	queues := []string{"root.default", "root.batch", "root.services", "root.dev"}
	return []recordKind{
		{si.EventRecord_REQUEST, si.EventRecord_NONE, si.EventRecord_DETAILS_NONE, "Request 'ask' does not fit in queue 'root.batch'", asks, apps},
		{si.EventRecord_APP, si.EventRecord_ADD, si.EventRecord_APP_ALLOC, "allocation placed", apps, asks},
		{si.EventRecord_NODE, si.EventRecord_ADD, si.EventRecord_NODE_ALLOC, "allocation added to node", nodes, asks},
		{si.EventRecord_REQUEST, si.EventRecord_ADD, si.EventRecord_REQUEST_ALLOC, "request allocated", asks, apps},
		{si.EventRecord_APP, si.EventRecord_SET, si.EventRecord_APP_RUNNING, "application running", apps, queues},
		{si.EventRecord_QUEUE, si.EventRecord_ADD, si.EventRecord_QUEUE_APP, "application added to queue", queues, apps},
		{si.EventRecord_NODE, si.EventRecord_SET, si.EventRecord_NODE_OCCUPIED, "occupied resource changed", nodes, nil},
		{si.EventRecord_APP, si.EventRecord_REMOVE, si.EventRecord_APP_ALLOC, "allocation released", apps, asks},
	}
}

// record returns the seq-th event of a producer: a kind from the mix, with an
// object and reference that vary with seq.
func record(mix []recordKind, p int, seq uint64) *si.EventRecord {
	k := &mix[seq%uint64(len(mix))]
	n := seq / uint64(len(mix))
	ev := &si.EventRecord{
		Type:              k.typ,
		EventChangeType:   k.change,
		EventChangeDetail: k.detail,
		ObjectID:          k.objects[(n+uint64(p))%uint64(len(k.objects))],
		Message:           k.message,
		TimestampNano:     encode(p, seq),
	}
	if len(k.refs) > 0 {
		ev.ReferenceID = k.refs[n%uint64(len(k.refs))]
	}
	return ev
}

// produce adds events until stop, at perRate events/s (0: flat out), one at
// a time with AddEvent or, when batch > 1, batch at a time with AddEvents.
func produce(t target, p int, perRate float64, batch int, st *producerState, stop *atomic.Bool, start time.Time) {
	mix := recordMix()
	buf := make([]*si.EventRecord, 0, batch)
	var seq uint64
	for !stop.Load() {
		if perRate > 0 {
			due := uint64(time.Since(start).Seconds() * perRate)
			if seq >= due {
				time.Sleep(time.Millisecond)
				continue
			}
		}
		if batch <= 1 {
			ev := record(mix, p, seq)
			seq++
			st.begun.Store(seq)
			t.AddEvent(ev)
		} else {
			buf = buf[:0]
			for range batch {
				buf = append(buf, record(mix, p, seq))
				seq++
			}
			st.begun.Store(seq)
			t.addEvents(buf)
		}
		st.sent.Store(seq)
	}
}
