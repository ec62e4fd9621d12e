package fuzz

import (
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/lfevents/lfevents/stream"
	"github.com/lfevents/lfevents/system"
)

// deliveryWait bounds how long the system targets wait for asynchronous
// delivery (streams) before they call a missing event lost. It is a bound
// against hanging, not a timing assertion: delivery normally takes
// microseconds.
const deliveryWait = 10 * time.Second

// capturePlugin records every batch the publisher hands over, and panics
// after recording one when armed.
type capturePlugin struct {
	mu      sync.Mutex
	batches [][]*si.EventRecord // as received, shared with the publisher
	copies  [][]*si.EventRecord // taken on receipt
	armed   atomic.Bool
	panics  atomic.Uint64
}

func (p *capturePlugin) SendEvent(batch []*si.EventRecord) {
	p.mu.Lock()
	p.batches = append(p.batches, batch)
	p.copies = append(p.copies, slices.Clone(batch))
	p.mu.Unlock()
	if p.armed.CompareAndSwap(true, false) {
		p.panics.Add(1)
		panic("capturePlugin: armed")
	}
}

// streamReader is one stream of the test and the goroutine reading it.
type streamReader struct {
	s         *stream.EventStream
	createdAt int    // close epoch when it was created (see closeEpoch)
	whenDown  bool   // created while the system was stopped
	histStart uint64 // first ID of the history it asked for
	join      uint64 // the history's read end when it was created
	asked     uint64 // the count of history asked for
	removed   bool   // the test removed it
	release   chan struct{}
	done      chan struct{}
	mu        sync.Mutex
	got       []*si.EventRecord
	released  bool
}

func (r *streamReader) read(stalled bool) {
	defer close(r.done)
	if stalled {
		<-r.release // a consumer that does not read until told to
	}
	for ev := range r.s.Events {
		r.mu.Lock()
		r.got = append(r.got, ev)
		r.mu.Unlock()
	}
}

func (r *streamReader) received() []*si.EventRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func (r *streamReader) unblock() {
	if !r.released {
		r.released = true
		close(r.release)
	}
}

// shutDown stops e and closes every stream, so that an execution that fails
// half-way does not leave a running system (goroutines, a history of up to
// 100000 slots) behind for the thousands of executions that follow. Safe to
// call on a system already shut down.
func shutDown(e *system.EventSystemImpl, readers []*streamReader) {
	e.Stop()
	e.CloseAllStreams()
	for _, r := range readers {
		r.unblock()
	}
}

// System operations.
const (
	sysAdd      = iota // AddEvent: nil, empty, short or long multibyte message
	sysBurst           // AddEvent up to 255 times
	sysCollect         // Store.CollectEvents by the caller
	sysCreate          // CreateEventStream(name, count); reader eager or stalled
	sysRemove          // RemoveStream of a stream of the test (or nil)
	sysRelease         // let a stalled reader read
	sysReconfig        // Reconfigure with a new Config
	sysStart           // StartService
	sysStop            // Stop
	sysRestart         // Restart
	sysCloseAll        // CloseAllStreams
	sysArmPanic        // the plugin panics on its next batch
	sysRead            // GetEventsFromID and GetRecentEvents through the system
	sysPause           // sleep a millisecond: let streams and the publisher run
	sysOpCount
)

// sysConfig decodes a Config: tracking, small capacities (0: the default),
// a push interval of 1ms (the publisher runs beside the test) or an hour
// (it pushes only when stopped or reconfigured), and a stream queue size.
func sysConfig(o *ops, plugin system.EventPlugin, logger *slog.Logger) system.Config {
	cfg := system.DefaultConfig()
	cfg.TrackingEnabled = o.bool()
	if c := o.byte(); c != 255 {
		cfg.RingBufferCapacity = 1 + uint64(c%64)
	} else {
		cfg.RingBufferCapacity = 0 // the default, 100000
	}
	if c := o.byte(); c != 255 {
		cfg.RequestCapacity = uint64(1 + c%64)
	} else {
		cfg.RequestCapacity = 0 // the default, 1000
	}
	cfg.PushInterval = time.Hour
	if o.bool() {
		cfg.PushInterval = time.Millisecond
	}
	cfg.StreamQueueSize = []int{1, 8, 64, 0}[o.intn(4)]
	cfg.Plugin, cfg.Logger = plugin, logger
	return cfg
}

// message decodes an event message: empty, short, or long (around and over
// the 1024-byte limit) made of 1- to 4-byte characters at any alignment.
func message(o *ops) string {
	switch o.intn(4) {
	case 0, 1:
		return ""
	case 2:
		return "short é€😀"
	default:
		char := []string{"a", "é", "€", "😀"}[o.intn(4)]
		prefix := strings.Repeat("x", o.intn(4))
		n := 1000 + int(o.byte())
		return prefix + strings.Repeat(char, n/len(char)+1)
	}
}

// FuzzSystem drives one event system through the fuzzer's operations from one
// goroutine while its publisher and streams run in theirs. After every step
// it checks history against ringModel (AddEvent is synchronous), the
// counters of Metrics, and, when no publisher runs beside the test, the
// store's conservation. At the end it stops the system and checks every
// event: in history unless displaced by capacity; in exactly one batch (the
// plugin's or the caller's) or counted as not stored; in each stream in ID
// order without gap or duplicate, all of them if the stream stayed open, or
// the stream was closed for a reason the test can account for (removed,
// closed by a stop/CloseAllStreams/tracking change, or cut off as slow and
// counted). Messages over the limit are cut to valid UTF-8 that marshals.
// No goroutine outlives the system.
func FuzzSystem(f *testing.F) {
	f.Add([]byte{1, 8, 8, 0, 0, sysStart, sysBurst, 20, sysCollect, sysStop})
	f.Add([]byte{1, 3, 2, 1, 1, sysCreate, 5, 0, 0, sysBurst, 50, sysStart, sysBurst, 50, sysStop, sysBurst, 3, sysRestart, sysAdd, 3, 1, 2, 7})
	f.Add([]byte{0, 255, 255, 0, 3, sysStop, sysAdd, 3, 3, 0, 5, sysStart, sysCreate, 2, 2, 1, sysBurst, 200, sysRelease, 0, sysCloseAll})
	f.Add([]byte{1, 16, 4, 0, 2, sysStart, sysCreate, 1, 0, 0, sysBurst, 30, sysReconfig, 0, 2, 2, 1, 1, sysBurst, 10, sysArmPanic, sysStop})
	f.Fuzz(func(t *testing.T, data []byte) {
		leaks := goleak.IgnoreCurrent()
		o := newOps(data)
		plugin := &capturePlugin{}
		logger := slog.New(slog.DiscardHandler)
		cfg := sysConfig(o, plugin, logger)
		e := system.New(cfg)
		var readers []*streamReader
		t.Cleanup(func() { shutDown(e, readers) }) // also when a check fails half-way

		// The test's view of the system.
		var (
			hist       = newRingModel(cfg.RingBufferCapacity)
			stopped    bool // stopped (rejecting); a new system accepts
			running    bool
			rejected   uint64
			closeEpoch int // counts events that close every stream
			direct     [][]*si.EventRecord
			directCopy [][]*si.EventRecord
			idOf       = map[*si.EventRecord]uint64{}
			tag        int64
		)
		if cfg.RingBufferCapacity == 0 {
			hist = newRingModel(system.DefaultRingBufferCapacity)
		}
		quiet := func() bool { return !running || cfg.PushInterval == time.Hour }
		add := func(ev *si.EventRecord) {
			orig := ""
			if ev != nil {
				orig = ev.Message
			}
			e.AddEvent(ev)
			switch {
			case ev == nil:
			case stopped:
				rejected++
			default:
				idOf[ev] = hist.add(ev)
				if len(orig) > system.MaxMessageLength {
					msg := ev.Message
					require.LessOrEqual(t, len(msg), system.MaxMessageLength, "cut message too long")
					require.True(t, strings.HasSuffix(msg, "..."), "cut message does not end in ...")
					require.True(t, utf8.ValidString(msg), "cut message is not valid UTF-8")
					kept := strings.TrimSuffix(msg, "...")
					require.True(t, strings.HasPrefix(orig, kept), "cut message is not a prefix")
					require.Greater(t, len(kept), system.MaxMessageLength-3-utf8.UTFMax, "cut more than one character")
					_, err := proto.Marshal(ev)
					require.NoError(t, err, "a record with a cut message must marshal")
				} else {
					require.Equal(t, orig, ev.Message, "a message within the limit is kept")
				}
			}
		}
		newEvent := func() *si.EventRecord {
			tag++
			if tag%16 == 0 {
				return nil
			}
			ev := rec(tag)
			ev.Message = message(o)
			return ev
		}

		for step := 0; !o.done(); step++ {
			switch o.intn(sysOpCount) {
			case sysAdd:
				add(newEvent())
			case sysBurst:
				for n := o.byte(); n > 0; n-- {
					tag++
					var ev *si.EventRecord
					if tag%16 != 0 {
						ev = rec(tag)
					}
					add(ev)
				}
			case sysCollect:
				got := e.Store.CollectEvents()
				direct = append(direct, got)
				directCopy = append(directCopy, slices.Clone(got))
			case sysCreate:
				name := []string{"", "s", "ström", strings.Repeat("n", 300)}[o.intn(4)]
				count := o.count()
				stalled := o.bool()
				join := hist.next()
				r := &streamReader{createdAt: closeEpoch, whenDown: stopped, join: join,
					histStart: join - min(count, join),
					release:   make(chan struct{}), done: make(chan struct{})}
				r.s = e.CreateEventStream(name, count)
				require.NotNil(t, r.s, "CreateEventStream never returns nil")
				go r.read(stalled)
				readers = append(readers, r)
			case sysRemove:
				i := o.intn(len(readers) + 1)
				if i == len(readers) {
					e.RemoveStream(nil)
					break
				}
				readers[i].removed = true
				e.RemoveStream(readers[i].s)
				if readers[i].s.CloseReason() == stream.ReasonOpen {
					require.Fail(t, "a removed stream is still open", "step %d", step)
				}
			case sysRelease:
				if len(readers) > 0 {
					readers[o.intn(len(readers))].unblock()
				}
			case sysReconfig:
				next := sysConfig(o, plugin, logger)
				if running && next.TrackingEnabled != cfg.TrackingEnabled {
					closeEpoch++
				}
				e.Reconfigure(next)
				wantCap := next.RingBufferCapacity
				if wantCap == 0 {
					wantCap = system.DefaultRingBufferCapacity
				}
				if wantCap != hist.capacity {
					hist.resize(wantCap)
				}
				cfg = next
			case sysStart:
				e.StartService()
				running, stopped = true, false
			case sysStop:
				e.Stop()
				if running {
					closeEpoch++
					running, stopped = false, true
				}
			case sysRestart:
				e.Restart()
				if running {
					closeEpoch++
				}
				running, stopped = true, false
			case sysCloseAll:
				e.CloseAllStreams()
				if !stopped {
					closeEpoch++
				}
			case sysArmPanic:
				plugin.armed.Store(true)
			case sysPause:
				time.Sleep(time.Millisecond)
			case sysRead:
				id, count := o.idNear(hist.lowest(), hist.next()), o.count()
				evs, low, high := e.GetEventsFromID(id, count)
				requireSame(t, hist.fromID(id, count), evs, "step %d: GetEventsFromID(%d, %d)", step, id, count)
				requireEqualU64(t, hist.lowest(), low, "step %d: lowest", step)
				requireEqualU64(t, hist.highest(), high, "step %d: highest", step)
				requireSame(t, hist.recent(count), e.GetRecentEvents(count), "step %d: GetRecentEvents(%d)", step, count)
			}

			// After every step: history, counters, configuration.
			evs, _, _ := e.GetEventsFromID(hist.lowest(), math.MaxUint64)
			requireSame(t, hist.fromID(hist.lowest(), math.MaxUint64), evs, "step %d: history", step)
			requireEqualU64(t, hist.highest(), e.GetLastEventID(), "step %d: GetLastEventID", step)
			m := e.Metrics()
			accepted := hist.next()
			requireEqualU64(t, accepted, m.Channeled, "step %d: Channeled", step)
			requireEqualU64(t, rejected, m.NotChanneled, "step %d: NotChanneled", step)
			requireEqualU64(t, accepted+rejected, m.Created, "step %d: Created", step)
			requireEqualU64(t, accepted, m.Processed, "step %d: Processed", step)
			requireEqualU64(t, accepted, m.Stored+m.NotStored, "step %d: Stored + NotStored", step)
			require.Equal(t, cfg.TrackingEnabled, e.IsEventTrackingEnabled(), "step %d: tracking", step)
			requireEqualU64(t, hist.capacity, e.GetRingBufferCapacity(), "step %d: ring capacity", step)
			if quiet() {
				handedOut := uint64(0)
				for _, b := range directCopy {
					handedOut += uint64(len(b))
				}
				plugin.mu.Lock()
				for _, b := range plugin.copies {
					handedOut += uint64(len(b))
				}
				plugin.mu.Unlock()
				requireEqualU64(t, m.Stored, handedOut+e.Store.CountStoredEvents(),
					"step %d: stored = handed out + waiting", step)
			}
			_ = e.GetEventStreams()
		}

		// Open streams receive everything: give stalled readers leave to
		// read, then wait (bounded) until each open stream has the last
		// event or has been closed.
		accepted := hist.next()
		for _, r := range readers {
			r.unblock()
		}
		deadline := time.Now().Add(deliveryWait)
		for _, r := range readers {
			for {
				got := r.received()
				if r.s.CloseReason() != stream.ReasonOpen ||
					accepted == r.join && r.histStart == r.join ||
					len(got) > 0 && idOf[got[len(got)-1]] == accepted-1 {
					break
				}
				if time.Now().After(deadline) {
					require.Fail(t, "an open stream did not receive every event", "stream from ID %d, received %d of %d",
						r.histStart, len(got), accepted-r.histStart)
				}
				time.Sleep(time.Millisecond)
			}
		}

		// Shut down; then nothing runs and every channel is closed.
		e.Stop()
		e.CloseAllStreams() // a system never started still had its streams
		closeEpoch++        // which closed every stream still open
		for _, r := range readers {
			select {
			case <-r.done:
			case <-time.After(deliveryWait):
				require.Fail(t, "a stream channel was not closed by Stop")
			}
		}
		last := e.Store.CollectEvents()
		direct = append(direct, last)
		directCopy = append(directCopy, slices.Clone(last))
		goleak.VerifyNone(t, leaks)

		// Streams.
		m := e.Metrics()
		delivered, slow := uint64(0), uint64(0)
		for i, r := range readers {
			got := r.received()
			delivered += uint64(len(got))
			reason := r.s.CloseReason()
			switch reason {
			case stream.ReasonSlow:
				slow++
			case stream.ReasonRemoved:
				assert.True(t, r.removed, "stream %d: removed without RemoveStream", i)
			case stream.ReasonClosed:
				assert.True(t, r.whenDown || closeEpoch > r.createdAt,
					"stream %d: closed while nothing closed the streams", i)
			default:
				assert.Fail(t, "stream not closed after Stop", "stream %d: reason %v", i, reason)
			}
			if r.whenDown {
				assert.Empty(t, got, "stream %d, created while stopped, received events", i)
				assert.Equal(t, stream.ReasonClosed, reason, "stream %d, created while stopped", i)
			}
			for k, ev := range got {
				id, ok := idOf[ev]
				require.True(t, ok, "stream %d: a record that was never accepted", i)
				if k == 0 {
					require.GreaterOrEqual(t, id, r.histStart, "stream %d: first event before the history asked for", i)
					require.LessOrEqual(t, id, r.join, "stream %d: skipped events after it joined", i)
					continue
				}
				prev := idOf[got[k-1]]
				require.Equal(t, prev+1, id, "stream %d: gap or duplicate after ID %d", i, prev)
			}
		}
		assert.Equal(t, slow, m.StreamsRemovedSlow, "StreamsRemovedSlow counts the streams cut off")
		assert.Equal(t, delivered, m.StreamEventsDelivered, "StreamEventsDelivered counts what readers received")

		// Batches: each event in at most one, in ID order within a batch,
		// never changed after it was handed out; the rest counted.
		plugin.mu.Lock()
		defer plugin.mu.Unlock()
		all := append(slices.Clone(directCopy), plugin.copies...)
		inBatch := map[*si.EventRecord]bool{}
		total := uint64(0)
		for bi, b := range all {
			for k, ev := range b {
				id, ok := idOf[ev]
				require.True(t, ok, "batch %d: a record that was never accepted", bi)
				require.False(t, inBatch[ev], "batch %d: event %d in two batches", bi, id)
				inBatch[ev] = true
				if k > 0 {
					require.Greater(t, id, idOf[b[k-1]], "batch %d: not in ID order", bi)
				}
				_, err := proto.Marshal(ev)
				require.NoError(t, err, "batch %d: record %d does not marshal", bi, id)
			}
			total += uint64(len(b))
		}
		for bi, b := range direct {
			if b != nil {
				requireSame(t, directCopy[bi], b, "batch %d collected by the caller changed", bi)
			}
		}
		for bi, b := range plugin.batches {
			requireSame(t, plugin.copies[bi], b, "batch %d sent to the plugin changed", bi)
		}
		assert.Equal(t, accepted, total+m.NotStored, "every accepted event in one batch or counted as not stored")
		assert.Equal(t, total, m.Stored, "Stored = events handed out")
		collectedByPlugin := uint64(0)
		for _, b := range plugin.copies {
			collectedByPlugin += uint64(len(b))
		}
		assert.Equal(t, collectedByPlugin, m.Collected, "Collected = events handed to the plugin")
		assert.Equal(t, plugin.panics.Load(), m.PluginPanics, "PluginPanics")
	})
}
