package system

import (
	"bytes"
	"runtime"
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
