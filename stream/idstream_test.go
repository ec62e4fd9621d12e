package stream

import (
	"math"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/ring"
)

// receiveItems reads n items from s, failing the test if the channel closes
// first or they do not all arrive within failAfter.
func receiveItems(t testing.TB, s *IDStream, n int) []Item {
	t.Helper()
	items, err := testutil.Receive(s.Items, n, failAfter)
	require.NoError(t, err, "stream %v", s.CloseReason())
	return items
}

// drainItems reads s until its channel closes.
func drainItems(t testing.TB, s *IDStream) []Item {
	t.Helper()
	items, closed := testutil.Drain(s.Items, failAfter)
	require.True(t, closed, "stream not closed within %v (%d items)", failAfter, len(items))
	return items
}

// drainItemsOr reads n items, or (n < 0) until the channel closes.
func drainItemsOr(t testing.TB, s *IDStream, n int) []Item {
	t.Helper()
	if n < 0 {
		return drainItems(t, s)
	}
	return receiveItems(t, s, n)
}

// requireEvents fails unless items are events with the IDs want, each record
// made by rec for its ID.
func requireEvents(t testing.TB, want []uint64, items []Item, msg string) {
	t.Helper()
	require.Equal(t, want, eventIDs(t, items, msg), msg)
}

// eventIDs returns the IDs of items, failing the test unless every item is
// an event whose record rec made for its ID.
func eventIDs(t testing.TB, items []Item, msg string) []uint64 {
	t.Helper()
	ids := make([]uint64, 0, len(items))
	for _, it := range items {
		require.False(t, it.IsGap(), "%s: unexpected gap %+v", msg, it)
		require.NotNil(t, it.Record, "%s", msg)
		require.Equal(t, it.ID, idOf(it.Record), "%s: item ID is not the record's", msg)
		ids = append(ids, it.ID)
	}
	return ids
}

// TestStreamFromID: a stream from an ID gets what history holds from that ID
// on (after a gap item for what it no longer holds), then every later event.
func TestStreamFromID(t *testing.T) {
	tests := []struct {
		name     string
		capacity uint64   // of the ring
		before   int      // events added before the stream
		from     uint64   // the stream's fromID
		gap      []uint64 // [first, missing] of the leading gap, if any
		first    uint64   // first event ID delivered
	}{
		{"from 0, all held", 50, 10, 0, nil, 0},
		{"from the middle", 50, 10, 4, nil, 4},
		{"from the newest", 50, 10, 9, nil, 9},
		{"from the next", 50, 10, 10, nil, 10},
		{"from the future", 50, 10, 1000, nil, 10},
		{"from max", 50, 10, math.MaxUint64, nil, 10},
		{"empty ring", 50, 0, 0, nil, 0},
		{"displaced start", 8, 20, 3, []uint64{3, 9}, 12},
		{"displaced from 0", 8, 20, 0, []uint64{0, 12}, 12},
		{"lowest held", 8, 20, 12, nil, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, es := newStreaming(t, tt.capacity, tt.before)
			s := es.CreateEventStreamFrom(tt.name, tt.from)
			require.NotNil(t, s)
			if tt.gap != nil {
				g := receiveItems(t, s, 1)[0]
				assert.True(t, g.IsGap())
				assert.Nil(t, g.Record)
				assert.Equal(t, tt.gap, []uint64{g.ID, g.Missing}, "gap")
			}
			join := uint64(tt.before)
			requireEvents(t, seq(tt.first, join), receiveItems(t, s, int(join-tt.first)), "history")
			add(r, es, 5)
			requireEvents(t, seq(join, join+5), receiveItems(t, s, 5), "live")
			add(r, es, 1) // sentinel: nothing extra came before it
			requireEvents(t, []uint64{join + 5}, receiveItems(t, s, 1), "sentinel")
			assert.Equal(t, ReasonOpen, s.CloseReason())
			es.RemoveIDStream(s)
			assert.Equal(t, ReasonRemoved, s.CloseReason())
			assert.Empty(t, drainItems(t, s))
		})
	}
}

// TestRecentStreamWithIDs: CreateRecentEventStream is the snapshot history
// of CreateEventStream, with IDs.
func TestRecentStreamWithIDs(t *testing.T) {
	r, es := newStreaming(t, 100, 150)
	s := es.CreateRecentEventStream("recent", 1000)
	addDispatched(t, r, es, s.consumer, 250) // the ring now holds 300..399 only
	requireEvents(t, seq(50, 400), receiveItems(t, s, 350), "history then live")
	add(r, es, 1)
	requireEvents(t, []uint64{400}, receiveItems(t, s, 1), "sentinel")
}

// TestStreamFromIDGapDuringReplay: history the stream was still reading is
// overwritten before it read it: a gap item says so, then the stream goes on.
func TestStreamFromIDGapDuringReplay(t *testing.T) {
	r, es := newStreaming(t, 300, 300, WithLogger(quietLogger()))
	s := es.CreateEventStreamFrom("replay", 0)
	first := receiveItems(t, s, 1)
	requireEvents(t, []uint64{0}, first, "first")
	add(r, es, 300) // the ring now holds 300..599 only
	// The stream's goroutine had read ahead into its channel buffer; after
	// that, a gap up to the lowest ID held, or up to where live delivery
	// began (300), whichever is lower; then everything from there on.
	var items []Item
	next := uint64(1)
	for next < 600 {
		it := receiveItems(t, s, 1)[0]
		require.Equal(t, next, it.ID, "no duplicate, no silent skip")
		if it.IsGap() {
			next += it.Missing
		} else {
			require.Equal(t, it.ID, idOf(it.Record))
			next++
		}
		items = append(items, it)
	}
	gaps := 0
	for _, it := range items {
		if it.IsGap() {
			gaps++
		}
	}
	assert.Equal(t, 1, gaps, "one gap item")
	assert.Equal(t, ReasonOpen, s.CloseReason())
}

// TestFilterNeverCuts: a stream with a tiny queue that wants one event in a
// hundred is not cut off by the flood of events it does not want, and
// receives exactly the ones it wants, with their IDs.
func TestFilterNeverCuts(t *testing.T) {
	r := ring.New(10000)
	// A queue of 64 holds every event the filtered streams want (53), and
	// not a hundredth of the flood.
	es := NewEventStreaming(r, WithQueueSize(64), WithLogger(quietLogger()))
	defer es.Close()
	add(r, es, 500)
	keep := func(ev *si.EventRecord) bool { return idOf(ev)%100 == 7 }
	hist := es.CreateRecentEventStream("recent", 300, WithFilter(keep))
	from := es.CreateEventStreamFrom("from", 0, WithFilter(keep))
	unfiltered := es.CreateEventStreamFrom("unfiltered", 500) // nobody reads it
	add(r, es, 5000)
	want := []uint64{207, 307, 407}
	for id := uint64(507); id < 5500; id += 100 {
		want = append(want, id)
	}
	requireEvents(t, want, receiveItems(t, hist, len(want)), "recent, filtered")
	requireEvents(t, append([]uint64{7, 107}, want...), receiveItems(t, from, len(want)+2), "from 0, filtered")
	assert.Equal(t, ReasonOpen, hist.CloseReason())
	assert.Equal(t, ReasonOpen, from.CloseReason())
	drainItems(t, unfiltered)
	assert.Equal(t, ReasonSlow, unfiltered.CloseReason(), "the same flood cuts a stream that wants it all")
	assert.Equal(t, uint64(1), es.Stats().StreamsRemovedSlow)
}

// TestBackfillAtAdmission: the dispatcher went past a new stream's join
// before it saw the stream; it hands the stream [join, p) from the ring, so
// nothing is missed; if the ring no longer holds it, the stream is cut off.
func TestBackfillAtAdmission(t *testing.T) {
	for _, tc := range []struct {
		name     string
		capacity uint64
		cut      bool
		ids      bool
	}{
		{"ring holds it", 1000, false, false},
		{"ring holds it, IDs", 1000, false, true},
		{"ring overwrote it", 4, true, false},
		{"ring overwrote it, IDs", 4, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, es := newStreaming(t, tc.capacity, 0, WithLogger(quietLogger()))
			a := es.CreateEventStream("a", 0)
			es.testHookOpen = func(join uint64) {
				// Between the new stream's join and its registration,
				// the dispatcher delivers 10 more events to a.
				for i := range uint64(10) {
					add(r, es, 1)
					assert.Equal(t, []uint64{join + i}, receive(t, a, 1))
				}
			}
			var got func(n int) []uint64 // n < 0: until closed
			var reason func() CloseReason
			if tc.ids {
				s := es.CreateEventStreamFrom("b", 0)
				got = func(n int) []uint64 {
					items := drainItemsOr(t, s, n)
					ids := make([]uint64, 0, len(items))
					for _, it := range items {
						ids = append(ids, it.ID)
					}
					return ids
				}
				reason = s.CloseReason
			} else {
				s := es.CreateEventStream("b", 0)
				got = func(n int) []uint64 {
					if n < 0 {
						return drain(t, s)
					}
					return receive(t, s, n)
				}
				reason = s.CloseReason
			}
			es.testHookOpen = nil
			if tc.cut {
				assert.Empty(t, got(-1))
				assert.Equal(t, ReasonSlow, reason())
				assert.Equal(t, uint64(1), es.Stats().StreamsRemovedSlow)
				return
			}
			add(r, es, 2)
			assert.Equal(t, seq(0, 12), got(12), "from its join on, nothing missed")
			assert.Zero(t, es.Stats().StreamsRemovedSlow)
		})
	}
}

func TestIDStreamAfterClose(t *testing.T) {
	r := ring.New(10)
	es := NewEventStreaming(r)
	s := es.CreateEventStreamFrom("open", 0)
	add(r, es, 3)
	requireEvents(t, seq(0, 3), receiveItems(t, s, 3), "before Close")
	es.Close()
	assert.Empty(t, drainItems(t, s))
	assert.Equal(t, ReasonClosed, s.CloseReason())
	for _, late := range []*IDStream{es.CreateEventStreamFrom("late", 0), es.CreateRecentEventStream("late", 5)} {
		require.NotNil(t, late)
		_, ok := <-late.Items
		assert.False(t, ok)
		assert.Equal(t, ReasonClosed, late.CloseReason())
		es.RemoveIDStream(late)
	}
	es.RemoveIDStream(s)
	assert.Equal(t, ReasonClosed, s.CloseReason(), "Remove after Close keeps the reason")
}

// TestSnapshotImpossible: when the ring overwrites the history a new stream
// asked for every time it is copied, the stream is not started later
// silently: it is cut off (ReasonSlow), logged and counted.
func TestSnapshotImpossible(t *testing.T) {
	r, es := newStreaming(t, 8, 8, WithLogger(quietLogger()))
	es.testHookSnapshot = func() { add(r, es, 8) } // laps the ring each time
	for _, ids := range []bool{false, true} {
		var reason CloseReason
		if ids {
			s := es.CreateRecentEventStream("recent", 5)
			assert.Empty(t, drainItems(t, s))
			reason = s.CloseReason()
		} else {
			s := es.CreateEventStream("plain", 5)
			assert.Empty(t, drain(t, s))
			reason = s.CloseReason()
		}
		assert.Equal(t, ReasonSlow, reason)
	}
	st := es.Stats()
	assert.Equal(t, uint64(2), st.StreamsRemovedSlow)
	assert.Equal(t, uint64(2), st.StreamsCreated)
	assert.Zero(t, st.Streams)

	es.testHookSnapshot = nil
	s := es.CreateEventStream("fine", 5)
	n := r.ReadEnd()
	assert.Equal(t, seq(n-5, n), receive(t, s, 5))
}
