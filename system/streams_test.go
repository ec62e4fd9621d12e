package system

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/stream"
)

// streamWait bounds the waits of the stream tests: only a hang fails on it.
const streamWait = 20 * time.Second

// waitDispatcherParked waits until a stream dispatcher goroutine is blocked
// waiting for a wake-up.
func waitDispatcherParked(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(streamWait)
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		for _, g := range bytes.Split(buf[:n], []byte("\n\n")) {
			if bytes.Contains(g, []byte("[select")) && bytes.Contains(g, []byte("stream.(*EventStreaming).dispatch")) {
				return
			}
		}
		require.False(t, time.Now().After(deadline), "the dispatcher never parked")
		time.Sleep(time.Millisecond)
	}
}

// receiveRecords reads n records from s or fails after streamWait.
func receiveRecords(t *testing.T, s *stream.EventStream, n int) []*si.EventRecord {
	t.Helper()
	var out []*si.EventRecord
	timer := time.NewTimer(streamWait)
	defer timer.Stop()
	for len(out) < n {
		select {
		case ev, ok := <-s.Events:
			require.True(t, ok, "stream closed (%v) after %d of %d", s.CloseReason(), len(out), n)
			out = append(out, ev)
		case <-timer.C:
			require.FailNow(t, "a stream stalled", "got %d of %d records", len(out), n)
		}
	}
	return out
}

// TestReconfigureWakesStreams forces the interleaving of issue "lost stream
// wake-up": the dispatcher has parked, then an event becomes readable with no
// PublishEvent after it (as when a Resize swaps in its new view after the
// writers above its boundary signalled). The Reconfigure that resized must
// wake the streams, so the event is delivered without a later event.
func TestReconfigureWakesStreams(t *testing.T) {
	for _, capacity := range []uint64{64, 3, 8} { // more slots, fewer slots, same
		cfg := DefaultConfig()
		cfg.RingBufferCapacity = 8
		e := New(cfg)
		e.StartServiceWithPublisher(false)
		s := e.CreateEventStream("s", 0)
		evs := records(3)
		for _, ev := range evs {
			e.AddEvent(ev)
		}
		require.Equal(t, evs, receiveRecords(t, s, 3))
		waitDispatcherParked(t)

		late := &si.EventRecord{ObjectID: "late"}
		e.history.Add(late) // readable, not signalled
		cfg.RingBufferCapacity = capacity
		e.Reconfigure(cfg)
		assert.Equal(t, []*si.EventRecord{late}, receiveRecords(t, s, 1), "capacity %d", capacity)
		e.Stop()
	}
}

// TestStreamsFromID: the system's streams with IDs use its current streaming:
// resume from an ID, filters, and closed streams while stopped.
func TestStreamsFromID(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RingBufferCapacity = 10
	e := New(cfg)
	e.StartServiceWithPublisher(false)
	evs := records(15)
	for _, ev := range evs {
		e.AddEvent(ev)
	}
	// IDs 5..14 are held: from 2 there is a gap [2, 5) first.
	s := e.CreateEventStreamFrom("from", 2)
	g := <-s.Items
	assert.True(t, g.IsGap())
	assert.Equal(t, []uint64{2, 3}, []uint64{g.ID, g.Missing})
	for id := uint64(5); id < 15; id++ {
		it := <-s.Items
		assert.Equal(t, id, it.ID)
		assert.Same(t, evs[id], it.Record)
	}
	even := e.CreateRecentEventStream("recent", 4, stream.WithFilter(func(ev *si.EventRecord) bool {
		return ev.TimestampNano%2 == 0
	}))
	late := records(1)[0]
	late.TimestampNano = 2
	e.AddEvent(late)
	it := <-s.Items
	assert.Equal(t, []any{uint64(15), late}, []any{it.ID, it.Record})
	var kept []*si.EventRecord
	for _, ev := range append(evs[11:], late) {
		if ev.TimestampNano%2 == 0 {
			kept = append(kept, ev)
		}
	}
	for _, want := range kept {
		assert.Same(t, want, (<-even.Items).Record)
	}
	assert.Len(t, e.GetEventStreams(), 2)
	e.RemoveIDStream(even)
	assert.Equal(t, stream.ReasonRemoved, even.CloseReason())

	e.Stop()
	_, ok := <-s.Items
	assert.False(t, ok)
	assert.Equal(t, stream.ReasonClosed, s.CloseReason())
	down := e.CreateEventStreamFrom("down", 0)
	_, ok = <-down.Items
	assert.False(t, ok, "closed while stopped")
	e.RemoveIDStream(down)
	e.RemoveIDStream(nil)
}

// TestSwapWithAddEventInFlight forces an AddEvent that loaded the streaming
// just before CloseAllStreams or Restart replaced it: its event is already in
// history, so a stream of the fresh streaming that asks for history gets it,
// and the next event reaches that stream although the late signal went to the
// old streaming.
func TestSwapWithAddEventInFlight(t *testing.T) {
	for _, step := range []struct {
		name string
		do   func(*EventSystemImpl)
	}{
		{"CloseAllStreams", (*EventSystemImpl).CloseAllStreams},
		{"Restart", (*EventSystemImpl).Restart},
	} {
		t.Run(step.name, func(t *testing.T) {
			e := New(DefaultConfig())
			e.StartServiceWithPublisher(false)
			defer e.Stop()
			ev := &si.EventRecord{ObjectID: "in flight"}
			e.history.Add(ev)         // the AddEvent's ring.Add ...
			old := e.streaming.Load() // ... and its load of the streaming
			step.do(e)                // the control plane swaps it
			s := e.CreateEventStream("fresh", 1)
			old.PublishEvent(ev) // the late signal reaches the old one only
			assert.Equal(t, []*si.EventRecord{ev}, receiveRecords(t, s, 1))
			waitDispatcherParked(t)
			next := &si.EventRecord{ObjectID: "next"}
			e.AddEvent(next)
			assert.Equal(t, []*si.EventRecord{next}, receiveRecords(t, s, 1))
		})
	}
}

// TestRemoveStreamWhileStreamingReplaced removes a stream while
// CloseAllStreams is replacing the streaming it belongs to. A filter that
// holds the old streaming's dispatcher (a slow filter, held here) keeps that
// streaming's Close in progress, before it has ended any stream, after the
// swap. RemoveStream must not return while the stream is open: it used to
// call Remove on the fresh streaming only, which ignores a stream that is not
// its own, and returned at once.
func TestRemoveStreamWhileStreamingReplaced(t *testing.T) {
	for _, ids := range []bool{false, true} {
		t.Run(map[bool]string{false: "EventStream", true: "IDStream"}[ids], func(t *testing.T) {
			sys := startedSystem(t, nil)
			var (
				reason func() stream.CloseReason
				remove func()
				closed func() bool // the channel is closed, after what it buffers
			)
			if ids {
				s := sys.CreateRecentEventStream("removed", 0)
				reason, remove = s.CloseReason, func() { sys.RemoveIDStream(s) }
				closed = func() bool { return closedNow(s.Items) }
			} else {
				s := sys.CreateEventStream("removed", 0)
				reason, remove = s.CloseReason, func() { sys.RemoveStream(s) }
				closed = func() bool { return closedNow(s.Events) }
			}
			inFilter, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			held := sys.CreateEventStreamFrom("held", ^uint64(0), stream.WithFilter(func(ev *si.EventRecord) bool {
				if ev.GetObjectID() == "hold" {
					once.Do(func() {
						close(inFilter)
						<-release
					})
				}
				return true
			}))
			sys.AddEvent(&si.EventRecord{ObjectID: "hold"})
			waitClosed(t, inFilter, "the dispatcher to call the filter")

			swapped := make(chan struct{})
			go func() {
				defer close(swapped)
				sys.CloseAllStreams()
			}()
			// The fresh streaming lists no stream (nor does the old one once
			// its Close has begun, which comes after the swap).
			deadline := time.Now().Add(streamWait)
			for len(sys.GetEventStreams()) > 0 {
				require.False(t, time.Now().After(deadline), "CloseAllStreams never swapped")
				runtime.Gosched()
			}

			type result struct {
				reason stream.CloseReason
				closed bool
			}
			removed := make(chan result, 1)
			go func() {
				remove()
				removed <- result{reason(), closed()}
			}()
			// Release the filter once RemoveStream has returned or has ended
			// the stream (it then waits for the old streaming, held).
			var got result
			returned := false
			deadline = time.Now().Add(streamWait)
			for !returned && reason() == stream.ReasonOpen {
				select {
				case got = <-removed:
					returned = true
				default:
					require.False(t, time.Now().After(deadline), "RemoveStream neither returned nor ended the stream")
					runtime.Gosched()
				}
			}
			close(release)
			if !returned {
				select {
				case got = <-removed:
				case <-time.After(streamWait):
					require.FailNow(t, "RemoveStream hung")
				}
			}
			assert.NotEqual(t, stream.ReasonOpen, got.reason, "RemoveStream returned with the stream open")
			assert.True(t, got.closed, "RemoveStream returned with the stream's channel open")
			waitClosed(t, swapped, "CloseAllStreams to return")
			assert.Equal(t, stream.ReasonClosed, held.CloseReason())
		})
	}
}

// closedNow receives what ch buffers and reports whether it is closed,
// without waiting.
func closedNow[T any](ch <-chan T) bool {
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return true
			}
		default:
			return false
		}
	}
}

// waitClosed fails the test if ch is not closed within streamWait.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(streamWait):
		require.FailNow(t, "timed out waiting: "+what)
	}
}
