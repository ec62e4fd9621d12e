package stream

import (
	"runtime"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/spsc"
	"github.com/lfevents/lfevents/ring"
)

// tenth keeps the events whose ID is a multiple of 10.
func tenth(ev *si.EventRecord) bool { return idOf(ev)%10 == 0 }

// untilProgress reads s until a progress item at or past id arrives and
// returns everything read, failing the test if the stream closes first or
// nothing comes within failAfter.
func untilProgress(t testing.TB, s *IDStream, id uint64) []Item {
	t.Helper()
	var items []Item
	deadline := time.After(failAfter)
	for {
		select {
		case it, ok := <-s.Items:
			require.True(t, ok, "stream closed (%v) before progress %d; got %+v", s.CloseReason(), id, items)
			items = append(items, it)
			if it.IsProgress() && it.ID >= id {
				return items
			}
		case <-deadline:
			require.FailNow(t, "no progress", "waited for progress %d; got %+v", id, items)
		}
	}
}

// checkProgress checks items of a stream from ID start with filter keep
// over the IDs: events and progress items in ID order, and at each progress
// item P, the events delivered so far are exactly the IDs in [start, P.ID]
// that keep wants. It returns the events' IDs and the progress items' IDs.
func checkProgress(t testing.TB, items []Item, start uint64, keep func(uint64) bool) (events, progress []uint64) {
	t.Helper()
	var last uint64 // one past the newest ID an item covered
	for _, it := range items {
		require.False(t, it.IsGap(), "unexpected gap %+v", it)
		require.GreaterOrEqual(t, it.ID+1, max(last, start)+1, "item %+v out of order", it)
		if !it.IsProgress() {
			require.NotNil(t, it.Record)
			require.Equal(t, it.ID, idOf(it.Record))
			require.True(t, keep(it.ID), "event %d delivered against the filter", it.ID)
			require.Zero(t, it.Missing)
			events = append(events, it.ID)
			last = it.ID + 1
			continue
		}
		require.Nil(t, it.Record, "a progress item carries no record")
		require.Zero(t, it.Missing)
		require.Greater(t, it.ID+1, last, "progress %d says nothing new", it.ID)
		var want []uint64
		for id := start; id <= it.ID; id++ {
			if keep(id) {
				want = append(want, id)
			}
		}
		require.Equal(t, want, events, "at progress %d", it.ID)
		progress = append(progress, it.ID)
		last = it.ID + 1
	}
	return events, progress
}

func tenthID(id uint64) bool { return id%10 == 0 }

// half keeps the events whose ID is a multiple of 500.
func half(ev *si.EventRecord) bool { return idOf(ev)%500 == 0 }

func halfID(id uint64) bool { return id%500 == 0 }

// Live events: once the dispatcher has nothing more, a stream with at least
// progressIdle filtered IDs since its last delivery is told how far it got;
// with fewer, it is not told (yet).
func TestProgressLive(t *testing.T) {
	r, es := newStreaming(t, 10000, 0)
	s := es.CreateEventStreamFrom("p", 0, WithFilter(half), WithProgress())
	add(r, es, 300) // 0 wanted, then 299 filtered out
	// The dispatcher may go idle at any point of the run; once the run is
	// over, what it was told lags by less than progressIdle.
	items := untilProgress(t, s, 300-progressIdle)
	events, _ := checkProgress(t, items, 0, halfID)
	assert.Equal(t, []uint64{0}, events)

	add(r, es, 250) // 300..549: 500 wanted, 49 filtered out after it
	var it Item
	for it.Record == nil {
		it = receiveItems(t, s, 1)[0] // marks for 300..499 may come first
		items = append(items, it)
	}
	assert.Equal(t, uint64(500), it.ID)
	add(r, es, 300) // 550..849, all filtered out
	items = append(items, untilProgress(t, s, 850-progressIdle)...)
	events, _ = checkProgress(t, items, 0, halfID)
	assert.Equal(t, []uint64{0, 500}, events)
}

// Replay (a stream from an ID) and snapshot (a recent stream) end with a
// progress item when their newest events were filtered out.
func TestProgressAfterHistory(t *testing.T) {
	_, es := newStreaming(t, 10000, 25)
	from := es.CreateEventStreamFrom("from", 0, WithFilter(tenth), WithProgress())
	recent := es.CreateRecentEventStream("recent", 12, WithFilter(tenth), WithProgress())

	events, progress := checkProgress(t, untilProgress(t, from, 24), 0, tenthID)
	assert.Equal(t, []uint64{0, 10, 20}, events)
	assert.Equal(t, []uint64{24}, progress)

	events, progress = checkProgress(t, untilProgress(t, recent, 24), 13, tenthID)
	assert.Equal(t, []uint64{20}, events)
	assert.Equal(t, []uint64{24}, progress)
}

// A long run of filtered events is reported in a few progress items, not one
// per event or per batch.
func TestProgressLongFilteredRun(t *testing.T) {
	r, es := newStreaming(t, 100000, 0)
	none := func(*si.EventRecord) bool { return false }
	s := es.CreateEventStreamFrom("p", 0, WithFilter(none), WithProgress())
	const n = 20000
	add(r, es, n)
	items := untilProgress(t, s, n-progressIdle)
	events, progress := checkProgress(t, items, 0, func(uint64) bool { return false })
	assert.Empty(t, events)
	assert.LessOrEqual(t, len(progress), n/progressIdle+2, "progress items: %v", progress)
}

// Without WithProgress, or without a filter, a stream gets no progress
// items: only its events.
func TestNoProgressUnlessAsked(t *testing.T) {
	r, es := newStreaming(t, 10000, 0)
	filtered := es.CreateEventStreamFrom("filtered", 0, WithFilter(half))
	all := es.CreateEventStreamFrom("all", 0, WithProgress())
	add(r, es, 499)
	for range 100 {
		runtime.Gosched() // let the dispatcher go idle with 1..498 filtered out
	}
	add(r, es, 2)
	requireEvents(t, []uint64{0, 500}, receiveItems(t, filtered, 2), "filtered, no progress asked")
	requireEvents(t, seq(0, 501), receiveItems(t, all, 501), "progress asked, no filter")
	es.Close()
	requireEvents(t, []uint64{}, drainItems(t, filtered), "nothing more")
	requireEvents(t, []uint64{}, drainItems(t, all), "nothing more")
}

// Progress never cuts a stream off: a stream whose reader does not read
// gets progress marks only while its queue has room, and stays open.
func TestProgressNeverCuts(t *testing.T) {
	r := ring.New(100000)
	es := NewEventStreaming(r, WithQueueSize(4), WithLogger(quietLogger()))
	defer es.Close()
	none := func(*si.EventRecord) bool { return false }
	s := es.CreateEventStreamFrom("p", 0, WithFilter(none), WithProgress())
	for range 400 { // many bursts, so that the dispatcher parks between them
		add(r, es, 10)
		for range 10 {
			runtime.Gosched()
		}
	}
	assert.Equal(t, ReasonOpen, s.CloseReason())
	assert.Zero(t, es.Stats().StreamsRemovedSlow)
	// The reader comes back: what it reads is in order, and it hears of
	// all but the last few IDs in the end.
	events, _ := checkProgress(t, untilProgress(t, s, 3999-progressIdle), 0, func(uint64) bool { return false })
	assert.Empty(t, events)
}

// pushProgress pushes a mark only into an empty queue (so at most one slot
// ever holds one), leaves it out otherwise, and the mark it pushes covers
// every ID passed by then.
func TestPushProgressOnlyIntoAnEmptyQueue(t *testing.T) {
	_, es := newStreaming(t, 16, 0, WithQueueSize(4))
	c := es.newConsumer("c", []StreamOption{WithFilter(tenth), WithProgress()})
	c.items = make(chan Item, 1)
	c.queue = spsc.New[entry](es.queueSize)
	require.True(t, c.reportsProgress())
	require.True(t, c.queue.TryPush(entry{id: 0, ev: rec(0)}))
	c.passed = 5
	assert.False(t, pushProgress(c), "an event waits in the queue")
	assert.Zero(t, c.told)
	_, _ = c.queue.Pop()
	c.passed = 9
	assert.True(t, pushProgress(c))
	assert.Equal(t, uint64(9), c.told)
	c.passed = 300
	assert.False(t, pushProgress(c), "a mark waits in the queue")
	e, ok := c.queue.Pop()
	require.True(t, ok)
	assert.Equal(t, entry{id: 8, ev: progressMark}, e)
	assert.True(t, pushProgress(c))
	assert.False(t, pushProgress(c), "nothing new to tell")
}
