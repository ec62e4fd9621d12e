package stream

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/testutil"
)

// TestSnapshotPartlyOverwritten: the ring overwrites part of the history a
// new stream asked for while it is copied (once). The ring never held fewer
// than count events, so the stream must not start later silently with fewer:
// it copies again and gets the newest count events, then every later one.
func TestSnapshotPartlyOverwritten(t *testing.T) {
	const capacity, count = 16, 5
	for _, ids := range []bool{false, true} {
		r, es := newStreaming(t, capacity, capacity, WithLogger(quietLogger()))
		laps := 0
		es.testHookSnapshot = func() {
			if laps == 0 {
				add(r, es, capacity-2) // displaces all but the newest 2 asked for
			}
			laps++
		}
		var got func(n int) []uint64
		if ids {
			s := es.CreateRecentEventStream("recent", count)
			got = func(n int) []uint64 { return eventIDs(t, receiveItems(t, s, n), "recent") }
		} else {
			s := es.CreateEventStream("plain", count)
			got = func(n int) []uint64 { return receive(t, s, n) }
		}
		es.testHookSnapshot = nil
		assert.Equal(t, 2, laps, "copied twice")
		end := r.NextID()
		assert.Equal(t, seq(end-count, end), got(count), "the newest %d events, all of them", count)
		add(r, es, 1)
		assert.Equal(t, []uint64{end}, got(1), "then live, nothing before the sentinel")
		assert.Zero(t, es.Stats().StreamsRemovedSlow)
	}
}

// TestSnapshotWhileNothingReadable: a batch larger than the ring is being
// written (its IDs below the window first), so the lowest ID held is a hole
// and nothing is readable. A stream that asks for history has none to get: it
// must open at the hole, not be cut off as if its history had been
// overwritten while it was copied.
func TestSnapshotWhileNothingReadable(t *testing.T) {
	// Storage of 2^20 slots for a window of 2^19+1: AddBatch writes the
	// 2^19-1 IDs below the window before the window's lowest.
	const capacity, batch = 1<<19 + 1, 1 << 20
	evs := make([]*si.EventRecord, batch)
	for i := range evs {
		evs[i] = rec(0)
	}
	for _, ids := range []bool{false, true} {
		tried := false
		for attempt := 0; attempt < 20 && !tried; attempt++ {
			r, es := newStreaming(t, capacity, 0, WithLogger(quietLogger()))
			wrote := make(chan struct{})
			go func() {
				defer close(wrote)
				r.AddBatch(evs)
			}()
			for r.NextID() == 0 {
				runtime.Gosched()
			}
			hole := r.GetLowestID()
			var reason CloseReason
			if ids {
				s := es.CreateRecentEventStream("recent", 5)
				reason = s.CloseReason()
				es.RemoveIDStream(s)
			} else {
				s := es.CreateEventStream("plain", 5)
				reason = s.CloseReason()
				es.RemoveEventStream(s)
			}
			// Only meaningful if the hole was still there when the
			// stream was created (the batch writes it late).
			tried = r.ReadEnd() == hole
			<-wrote
			if tried {
				assert.Equal(t, ReasonOpen, reason, "ids %v: nothing readable is no history, not a cut", ids)
				assert.Zero(t, es.Stats().StreamsRemovedSlow)
			}
			es.Close()
		}
		require.True(t, tried, "the batch was always written before the stream was created")
	}
}

// TestStatsConsistent: Stats taken while streams are created and cut off
// (a ring of 4, queues of 1, nobody reads) never counts more streams open
// and cut off than created.
func TestStatsConsistent(t *testing.T) {
	r, es := newStreaming(t, 4, 0, WithQueueSize(1), WithLogger(quietLogger()))
	var mu sync.Mutex
	var bad []Stats
	stop := testutil.Loop(
		func() {
			st := es.Stats()
			if uint64(st.Streams)+st.StreamsRemovedSlow > st.StreamsCreated {
				mu.Lock()
				bad = append(bad, st)
				mu.Unlock()
			}
		},
		func() { add(r, es, 1) },
	)
	for i := range 5000 {
		es.CreateEventStream("s", uint64(i%2))
	}
	stop()
	assert.Empty(t, bad, "Streams + StreamsRemovedSlow > StreamsCreated")
	es.Close()
	st := es.Stats()
	assert.Equal(t, uint64(5000), st.StreamsCreated)
	assert.Zero(t, st.Streams)
}

// TestRemoveCutStreamFromItsReader: a stream cut off as slow is removed,
// twice, by the goroutine that reads it, after and before it has drained its
// channel: Remove returns at once, the reason stays ReasonSlow, the cut is
// counted once, and the other stream goes on.
func TestRemoveCutStreamFromItsReader(t *testing.T) {
	r, es := newStreaming(t, 1024, 0, WithQueueSize(4), WithLogger(quietLogger()))
	cut := es.CreateEventStream("cut", 0)
	other := es.CreateEventStream("other", 0)
	// One event at a time, read by other, until cut's channel and queue
	// are full and it is cut off.
	for i := 0; cut.CloseReason() == ReasonOpen; i++ {
		require.Less(t, i, 10*(ChannelBuffer+deliverBatch), "never cut off")
		add(r, es, 1)
		require.Equal(t, []uint64{uint64(i)}, receive(t, other, 1))
	}
	done := make(chan []uint64)
	go func() { // cut's reader
		var got []uint64
		// The stream may have been cut before its goroutine put anything
		// on the channel: then the first receive finds it closed.
		if first, ok := <-cut.Events; ok {
			got = append(got, idOf(first))
		}
		es.RemoveEventStream(cut)
		got = append(got, drain(t, cut)...)
		es.RemoveEventStream(cut)
		done <- got
	}()
	select {
	case got := <-done:
		// A prefix of what was added, in order; empty when the stream was
		// cut before its goroutine sent anything.
		if len(got) > 0 {
			assert.Equal(t, uint64(0), got[0])
			requireRun(t, got, "cut prefix")
		}
	case <-time.After(failAfter):
		require.FailNow(t, "Remove from the reader of a cut stream hung")
	}
	assert.Equal(t, ReasonSlow, cut.CloseReason())
	assert.Equal(t, uint64(1), es.Stats().StreamsRemovedSlow)
	add(r, es, 1)
	last := receive(t, other, 1)[0]
	assert.Equal(t, r.NextID()-1, last)
	assert.Equal(t, 1, es.Stats().Streams)
}
