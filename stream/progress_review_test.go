package stream

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/ring"
)

// parkWatch makes es's dispatcher report, each time it is about to block,
// the read end it last saw (its position is at or past it by then). Call it
// before the first stream.
func parkWatch(es *EventStreaming) <-chan uint64 {
	parked := make(chan uint64, 64)
	var end uint64 // the dispatcher's own
	es.testHookRecheckEnd = func(e uint64) uint64 {
		end = e
		return e
	}
	es.testHookPark = func(step parkStep) {
		if step == parkBlocking {
			select {
			case parked <- end:
			default:
			}
		}
	}
	return parked
}

// waitPark waits until the dispatcher blocks with every ID below end
// delivered (so flushProgress has run for them).
func waitPark(t testing.TB, parkedAt <-chan uint64, end uint64) {
	t.Helper()
	deadline := time.After(failAfter)
	for {
		select {
		case e := <-parkedAt:
			if e >= end {
				return
			}
		case <-deadline:
			require.FailNow(t, "timed out", "waiting for the dispatcher to park at %d", end)
		}
	}
}

// A stream's progress counts from where the stream starts, not from ID 0:
// what its history (replay or snapshot) delivered, or its start when it has
// none, is what it was told so far. A short filtered-out run right after it
// (fewer than progressIdle IDs) gets no progress item, busy or idle, so
// there is at most one progress item per progressIdle IDs. Without that, a
// stream from ID 300 (its replay ending with progress 299) got another
// progress item for 300..399 when the dispatcher parked, and a stream
// starting at ID 5000 got one for the first filtered event it passed (the
// busy threshold counted from 0).
func TestProgressCountsFromTheStreamsStart(t *testing.T) {
	tests := []struct {
		name         string
		before       uint64 // events in history when the stream opens
		from         uint64 // the stream's fromID
		wantProgress []uint64
	}{
		{"replay, then idle", 300, 0, []uint64{299}},
		{"no history, busy threshold", 5000, 5000, nil},
		{"replay, busy threshold", 5000, 4900, []uint64{4999}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ring.New(100000)
			es := NewEventStreaming(r)
			t.Cleanup(es.Close)
			parkedAt := parkWatch(es)
			add(r, es, int(tc.before))
			wanted := tc.before + 100
			keep := func(ev *si.EventRecord) bool { return idOf(ev) == wanted }
			s := es.CreateEventStreamFrom("p", tc.from, WithFilter(keep), WithProgress())
			// Created second, so the dispatcher pushes each batch into s's
			// queue before the probe's.
			probe := es.CreateEventStreamFrom("probe", tc.before)
			var items []Item
			if len(tc.wantProgress) > 0 { // the end of the replay
				items = untilProgress(t, s, tc.wantProgress[len(tc.wantProgress)-1])
			}
			add(r, es, 100) // all filtered out by s
			requireEvents(t, seq(tc.before, wanted), receiveItems(t, probe, 100), "probe")
			waitPark(t, parkedAt, wanted) // with them delivered
			add(r, es, 1)                 // the wanted one
			for {
				it := receiveItems(t, s, 1)[0]
				items = append(items, it)
				if !it.IsProgress() {
					break
				}
			}
			events, progress := checkProgress(t, items, tc.from, func(id uint64) bool { return id == wanted })
			assert.Equal(t, []uint64{wanted}, events)
			assert.Equal(t, tc.wantProgress, progress, "progress items")
		})
	}
}

// The same from a snapshot (CreateRecentEventStream): its filtered-out
// tail ends with progress, and a short run after it adds none.
func TestProgressCountsFromTheSnapshot(t *testing.T) {
	r := ring.New(100000)
	es := NewEventStreaming(r)
	t.Cleanup(es.Close)
	parkedAt := parkWatch(es)
	add(r, es, 5000)
	keep := func(ev *si.EventRecord) bool { return idOf(ev) == 4900 || idOf(ev) == 5100 }
	s := es.CreateRecentEventStream("p", 200, WithFilter(keep), WithProgress())
	probe := es.CreateEventStreamFrom("probe", 5000)
	items := untilProgress(t, s, 4999)
	add(r, es, 100)
	requireEvents(t, seq(5000, 5100), receiveItems(t, probe, 100), "probe")
	waitPark(t, parkedAt, 5100)
	add(r, es, 1)
	for {
		it := receiveItems(t, s, 1)[0]
		items = append(items, it)
		if !it.IsProgress() {
			break
		}
	}
	events, progress := checkProgress(t, items, 4800, func(id uint64) bool { return id == 4900 || id == 5100 })
	assert.Equal(t, []uint64{4900, 5100}, events)
	assert.Equal(t, []uint64{4999}, progress, "progress items")
}

// Progress after a gap: a stream from an ID history displaced gets the gap,
// the rest of the replay, and progress only past them; items stay in ID
// order, and no progress item names an ID at or below one the stream
// delivered or reported missing.
func TestProgressAfterGap(t *testing.T) {
	r := ring.New(1000)
	es := NewEventStreaming(r)
	t.Cleanup(es.Close)
	add(r, es, 3000) // history holds 2000..2999
	keep := func(ev *si.EventRecord) bool { return idOf(ev)%700 == 0 }
	s := es.CreateEventStreamFrom("p", 1500, WithFilter(keep), WithProgress())
	items := untilProgress(t, s, 2999)
	require.NotEmpty(t, items)
	assert.Equal(t, Item{ID: 1500, Missing: 500}, items[0], "the gap first")
	rest := items[1:]
	events, progress := checkProgress(t, rest, 2000, func(id uint64) bool { return id%700 == 0 })
	assert.Equal(t, []uint64{2100, 2800}, events)
	assert.Equal(t, []uint64{2999}, progress)

	// Live: a long run with a few wanted events, progress in between.
	add(r, es, 900) // 3000..3899: 3500 wanted
	more := untilProgress(t, s, 3900-progressIdle)
	events, _ = checkProgress(t, append(rest, more...), 2000, func(id uint64) bool { return id%700 == 0 })
	assert.Equal(t, []uint64{2100, 2800, 3500}, events)
}

// Streams admitted while the dispatcher is past their join are backfilled
// from the ring; their progress covers the backfill and stays in order with
// it, whichever stream is admitted when.
func TestProgressWithBackfill(t *testing.T) {
	for i := range 20 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			r := ring.New(100000)
			es := NewEventStreaming(r, WithQueueSize(1<<15))
			t.Cleanup(es.Close)
			// A busy stream keeps the dispatcher moving while the others
			// open, so some are admitted behind it (backfill).
			busy := es.CreateEventStreamFrom("busy", 0)
			go func() {
				for range busy.Items { // until Close
				}
			}()
			wanted := func(id uint64) bool { return id%1000 == 999 || id == 12000 }
			keep := func(ev *si.EventRecord) bool { return wanted(idOf(ev)) }
			done := make(chan struct{})
			go func() {
				defer close(done)
				add(r, es, 12000)
			}()
			var streams []*IDStream
			var starts []uint64
			for range 4 {
				start := r.ReadEnd()
				streams = append(streams, es.CreateEventStreamFrom("p", start, WithFilter(keep), WithProgress()))
				starts = append(starts, start)
			}
			<-done
			add(r, es, 1) // 12000, wanted by every stream, whenever it started
			for k, s := range streams {
				var items []Item
				for {
					it := receiveItems(t, s, 1)[0]
					items = append(items, it)
					if it.ID == 12000 {
						break
					}
				}
				events, _ := checkProgress(t, items, starts[k], wanted)
				var want []uint64
				for id := starts[k]; id <= 12000; id++ {
					if wanted(id) {
						want = append(want, id)
					}
				}
				assert.Equal(t, want, events, "stream %d from %d", k, starts[k])
			}
		})
	}
}

// Remove while progress items wait in the channel (and maybe another is on
// offer; the reader has not read): Remove returns, the channel closes, and
// what it holds is in order and sound: progress items only, each past the
// one before.
func TestProgressRemoveWithMarksPending(t *testing.T) {
	const n = (ChannelBuffer + 8) * progressEvery // marks past the channel's buffer
	r := ring.New(n)                              // the ring never laps the dispatcher
	es := NewEventStreaming(r, WithLogger(quietLogger()))
	t.Cleanup(es.Close)
	none := func(*si.EventRecord) bool { return false }
	s := es.CreateEventStreamFrom("p", 0, WithFilter(none), WithProgress())
	add(r, es, n)
	// How many marks get through while the producer runs depends on when
	// the stream's goroutine empties its queue; that some wait unread does not.
	require.Eventually(t, func() bool { return len(s.Items) > 0 }, failAfter, pollEvery,
		"progress items wait in the channel")
	es.RemoveIDStream(s)
	assert.Equal(t, ReasonRemoved, s.CloseReason())
	events, progress := checkProgress(t, drainItems(t, s), 0, func(uint64) bool { return false })
	assert.Empty(t, events)
	assert.NotEmpty(t, progress)
}
