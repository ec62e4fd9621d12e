package system_test

// The drop-in contract, checked from outside the package as a user migrating
// from the reference design sees it. Each table states what the reference
// design does for the same call (from its source and its tests), and where
// lfevents differs on purpose the case says so and names the section of
// docs/compatibility.md that documents it.

import (
	"math"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/stream"
	"github.com/lfevents/lfevents/system"
)

// dropinWait bounds every wait for a delivery; never a timing assertion.
const dropinWait = 10 * time.Second

// numbered returns a record whose ObjectID is its number, so the tests can
// name the records they expect by the IDs the system gives them.
func numbered(i int) *si.EventRecord {
	return &si.EventRecord{Type: si.EventRecord_APP, ObjectID: strconv.Itoa(i)}
}

// numbersOf returns the numbers of records made by numbered.
func numbersOf(t *testing.T, recs []*si.EventRecord) []int {
	t.Helper()
	return testutil.Map(recs, func(ev *si.EventRecord) int {
		require.NotNil(t, ev)
		n, err := strconv.Atoi(ev.GetObjectID())
		require.NoError(t, err)
		return n
	})
}

// span returns from, from+1, ..., to-1 (empty when to <= from).
func span(from, to int) []int {
	out := []int{}
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// systemWith returns a started system (no publisher, so the store is left
// alone) with a history of capacity events, holding added records made by
// numbered (record i has ID i); it is stopped when the test ends.
func systemWith(t *testing.T, capacity uint64, added int) *system.EventSystemImpl {
	t.Helper()
	cfg := quiet()
	cfg.RingBufferCapacity = capacity
	sys := system.New(cfg)
	sys.StartServiceWithPublisher(false)
	t.Cleanup(sys.Stop)
	for i := 0; i < added; i++ {
		sys.AddEvent(numbered(i))
	}
	return sys
}

// TestDropInGetEventsFromID: the reference design answers an ID it does not
// hold with no records and the range [lowest, highest] it holds (0, 0 when
// empty, as when it holds only ID 0), caps count at what it holds, and
// returns the records from id on otherwise. Where the reference returns more
// than count records (defect 1: count 0, or a range crossing the end of its
// slice, after wrap-around) lfevents returns at most count.
func TestDropInGetEventsFromID(t *testing.T) {
	tests := []struct {
		name            string
		capacity        uint64
		added           int
		id, count       uint64
		want            []int
		lowest, highest uint64
	}{
		// Empty history: the reference reports 0, 0.
		{"empty, id 0", 5, 0, 0, 10, nil, 0, 0},
		{"empty, id above", 5, 0, 7, 10, nil, 0, 0},
		{"empty, count 0", 5, 0, 0, 0, nil, 0, 0},
		// One event: the same range as empty, told apart by the records.
		{"one event", 5, 1, 0, 10, []int{0}, 0, 0},
		// Not wrapped.
		{"from the start", 5, 3, 0, 10, []int{0, 1, 2}, 0, 2},
		{"count caps", 5, 3, 1, 1, []int{1}, 0, 2},
		{"count larger than held", 5, 3, 1, 1000, []int{1, 2}, 0, 2},
		{"count max", 5, 3, 0, math.MaxUint64, []int{0, 1, 2}, 0, 2},
		{"id is the highest", 5, 3, 2, 10, []int{2}, 0, 2},
		{"id just above the highest", 5, 3, 3, 10, nil, 0, 2},
		{"id max", 5, 3, math.MaxUint64, 10, nil, 0, 2},
		// count 0: the reference returns an empty slice (len 0) here.
		{"count 0", 5, 3, 1, 0, nil, 0, 2},
		// Wrapped: 12 events in a history of 5 hold IDs 7..11.
		{"wrapped, id below lowest", 5, 12, 0, 10, nil, 7, 11},
		{"wrapped, id just below lowest", 5, 12, 6, 10, nil, 7, 11},
		{"wrapped, from lowest, all", 5, 12, 7, 5, span(7, 12), 7, 11},
		{"wrapped, count larger than held", 5, 12, 7, math.MaxUint64, span(7, 12), 7, 11},
		{"wrapped, middle", 5, 12, 9, 2, []int{9, 10}, 7, 11},
		{"wrapped, highest", 5, 12, 11, 3, []int{11}, 7, 11},
		{"wrapped, above highest", 5, 12, 12, 3, nil, 7, 11},
		// The reference returns records here (defect 1); lfevents none.
		{"wrapped, count 0", 5, 12, 8, 0, nil, 7, 11},
		// A history of 1 (the smallest the reference's config allows).
		{"capacity 1", 1, 4, 3, 10, []int{3}, 3, 3},
		{"capacity 1, older id", 1, 4, 2, 10, nil, 3, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sys := systemWith(t, tc.capacity, tc.added)
			recs, lowest, highest := sys.GetEventsFromID(tc.id, tc.count)
			assert.Equal(t, tc.lowest, lowest, "lowest")
			assert.Equal(t, tc.highest, highest, "highest")
			if tc.want == nil {
				assert.Empty(t, recs)
				return
			}
			assert.Equal(t, tc.want, numbersOf(t, recs))
		})
	}
}

// TestDropInCreateEventStreamHistory: a stream first gets the newest count
// events of history (0: none), then every later event. The reference does
// the same, except that after wrap-around a count above the newest ID gives
// it no history at all (defect 2); lfevents gives every event held.
func TestDropInCreateEventStreamHistory(t *testing.T) {
	tests := []struct {
		name     string
		capacity uint64
		added    int
		count    uint64
		history  []int
	}{
		{"empty history", 5, 0, 10, nil},
		{"count 0", 5, 3, 0, nil},
		{"fewer than held", 5, 3, 2, []int{1, 2}},
		{"exactly held", 5, 3, 3, []int{0, 1, 2}},
		{"more than held", 5, 3, 10, []int{0, 1, 2}},
		{"count max", 5, 3, math.MaxUint64, []int{0, 1, 2}},
		{"wrapped, fewer than held", 5, 12, 2, []int{10, 11}},
		{"wrapped, more than held, below newest ID", 5, 12, 8, span(7, 12)},
		// The reference sends nothing here (defect 2).
		{"wrapped, more than the newest ID", 5, 12, 100, span(7, 12)},
		{"wrapped, count max", 5, 12, math.MaxUint64, span(7, 12)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sys := systemWith(t, tc.capacity, tc.added)
			s := sys.CreateEventStream("history", tc.count)
			require.NotNil(t, s)
			sys.AddEvent(numbered(tc.added)) // the first live event
			got, err := testutil.Receive(s.Events, len(tc.history)+1, dropinWait)
			require.NoError(t, err)
			want := append(append([]int{}, tc.history...), tc.added)
			assert.Equal(t, want, numbersOf(t, got))
			assert.Len(t, sys.GetEventStreams(), 1)
			sys.RemoveStream(s)
			_, closed := testutil.Drain(s.Events, dropinWait)
			assert.True(t, closed)
			assert.Equal(t, stream.ReasonRemoved, s.CloseReason())
		})
	}
}

// TestDropInStreamHandles: removing a stream is idempotent and accepts
// handles it does not know, as the reference's map lookup does; the list of
// streams follows creation and removal. lfevents returns an empty, non-nil
// list when there is none (the reference returns nil: compare the length).
func TestDropInStreamHandles(t *testing.T) {
	sys := systemWith(t, 10, 0)
	other := systemWith(t, 10, 0)
	assert.Empty(t, sys.GetEventStreams())

	a := sys.CreateEventStream("a", 0)
	b := sys.CreateEventStream("a", 0) // names need not be unique
	foreign := other.CreateEventStream("foreign", 0)
	streams := sys.GetEventStreams()
	require.Len(t, streams, 2)
	for _, d := range streams {
		assert.Equal(t, "a", d.Name)
		assert.False(t, d.CreatedAt.IsZero())
	}

	for name, remove := range map[string]func(){
		"nil":                 func() { sys.RemoveStream(nil) },
		"zero handle":         func() { sys.RemoveStream(&stream.EventStream{}) },
		"handle built here":   func() { sys.RemoveStream(&stream.EventStream{Events: make(chan *si.EventRecord)}) },
		"another system's":    func() { sys.RemoveStream(foreign) },
		"removed, then again": func() { sys.RemoveStream(a); sys.RemoveStream(a) },
	} {
		require.NotPanics(t, remove, name)
	}
	assert.Len(t, sys.GetEventStreams(), 1, "only a was removed")
	assert.Equal(t, stream.ReasonRemoved, a.CloseReason())
	assert.Equal(t, stream.ReasonOpen, b.CloseReason())
	assert.Equal(t, stream.ReasonOpen, foreign.CloseReason(), "another system's stream is left alone")
	assert.Equal(t, stream.ReasonOpen, (&stream.EventStream{}).CloseReason(), "a handle built outside reports open")

	// b still receives; a's channel is closed.
	sys.AddEvent(numbered(0))
	got, err := testutil.Receive(b.Events, 1, dropinWait)
	require.NoError(t, err)
	assert.Equal(t, []int{0}, numbersOf(t, got))
	_, closed := testutil.Drain(a.Events, dropinWait)
	assert.True(t, closed)
}

// TestDropInLifecycle runs the lifecycle calls in the orders a scheduler can
// call them and checks what is accepted and which streams stay open. Where
// the reference differs, the step says how (docs/compatibility.md 3.7, 4):
// the reference keeps its streams open across Stop, Restart and a config
// reload, where lfevents closes them (ReasonClosed) so that their consumers
// learn it; and it never accepts events again after a Stop (defect 4).
func TestDropInLifecycle(t *testing.T) {
	type step struct {
		name         string
		do           func(sys *system.EventSystemImpl)
		accepted     bool // an event added after the step is accepted
		streamsLive  bool // a stream opened before the step is still open
		newStreamsOK bool // a stream opened after the step is open
	}
	start := func(sys *system.EventSystemImpl) { sys.StartService() }
	stop := func(sys *system.EventSystemImpl) { sys.Stop() }
	restart := func(sys *system.EventSystemImpl) { sys.Restart() }
	noPublisher := func(sys *system.EventSystemImpl) { sys.StartServiceWithPublisher(false) }
	closeAll := func(sys *system.EventSystemImpl) { sys.CloseAllStreams() }
	tests := []struct {
		name  string
		steps []step
	}{
		{"never started", []step{
			{"new", func(*system.EventSystemImpl) {}, true, true, true},
			{"stop before start: no-op", stop, true, true, true},
		}},
		{"start, stop, start", []step{
			{"start", start, true, true, true},
			{"start again: no-op", start, true, true, true},
			{"stop", stop, false, false, false}, // the reference keeps streams open
			{"stop again: no-op", stop, false, false, false},
			{"start after stop", start, true, true, true}, // the reference: never again
		}},
		{"restart", []step{
			{"restart a new system starts it", restart, true, true, true},
			{"restart a running one", restart, true, false, true}, // the reference keeps streams open
			{"stop", stop, false, false, false},
			{"restart a stopped one", restart, true, true, true},
		}},
		{"without publisher", []step{
			{"start without publisher", noPublisher, true, true, true},
			{"start with: no-op", start, true, true, true},
			{"stop", stop, false, false, false},
		}},
		{"close all streams", []step{
			{"start", start, true, true, true},
			{"close all", closeAll, true, false, true},
			{"stop", stop, false, false, false},
			{"close all while stopped", closeAll, false, false, false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sys := system.New(quiet())
			defer sys.Stop()
			for _, st := range tc.steps {
				before := sys.CreateEventStream("before "+st.name, 0)
				wasOpen := before.CloseReason() == stream.ReasonOpen // closed at once while stopped
				st.do(sys)
				m := sys.Metrics()
				sys.AddEvent(&si.EventRecord{})
				after := sys.Metrics()
				if st.accepted {
					assert.Equal(t, m.Channeled+1, after.Channeled, "%s: accepted", st.name)
				} else {
					assert.Equal(t, m.NotChanneled+1, after.NotChanneled, "%s: rejected and counted", st.name)
				}
				assert.Equal(t, m.Created+1, after.Created, "%s: created", st.name)
				switch {
				case !wasOpen:
					assert.Equal(t, stream.ReasonClosed, before.CloseReason(), "%s", st.name)
				case st.streamsLive:
					assert.Equal(t, stream.ReasonOpen, before.CloseReason(), "%s: older stream open", st.name)
				default:
					_, closed := testutil.Drain(before.Events, dropinWait)
					assert.True(t, closed, "%s: older stream closed", st.name)
					assert.Equal(t, stream.ReasonClosed, before.CloseReason(), "%s", st.name)
				}
				fresh := sys.CreateEventStream("after "+st.name, 0)
				require.NotNil(t, fresh, "never nil")
				if st.newStreamsOK {
					assert.Equal(t, stream.ReasonOpen, fresh.CloseReason(), "%s: new stream open", st.name)
				} else {
					_, closed := testutil.Drain(fresh.Events, dropinWait)
					assert.True(t, closed, "%s: new stream closed at once", st.name)
					assert.Equal(t, stream.ReasonClosed, fresh.CloseReason(), "%s", st.name)
				}
				sys.RemoveStream(before)
				sys.RemoveStream(fresh)
			}
		})
	}
}

// TestDropInReconfigureHistory: on a config reload the reference resizes its
// history keeping the newest events that fit, with their IDs; growing does
// not bring back events already displaced; later events continue the IDs.
// Reconfigure does the same, and a zero capacity means the default there as
// in the reference's config map.
func TestDropInReconfigureHistory(t *testing.T) {
	tests := []struct {
		name            string
		capacity        uint64
		added           int
		newCapacity     uint64
		want            []int
		lowest, highest uint64
	}{
		{"shrink below held", 10, 10, 4, span(6, 10), 6, 9},
		{"shrink above held", 10, 3, 4, span(0, 3), 0, 2},
		{"shrink to held", 10, 4, 4, span(0, 4), 0, 3},
		{"shrink wrapped", 5, 12, 3, span(9, 12), 9, 11},
		{"shrink to 1", 5, 12, 1, []int{11}, 11, 11},
		{"grow keeps displaced displaced", 4, 10, 10, span(6, 10), 6, 9},
		{"grow, not wrapped", 4, 3, 10, span(0, 3), 0, 2},
		{"same size", 5, 12, 5, span(7, 12), 7, 11},
		{"zero means the default", 5, 12, 0, span(7, 12), 7, 11},
		{"empty", 5, 0, 2, nil, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sys := systemWith(t, tc.capacity, tc.added)
			cfg := sys.Config()
			cfg.RingBufferCapacity = tc.newCapacity
			sys.Reconfigure(cfg)
			wantCap := tc.newCapacity
			if wantCap == 0 {
				wantCap = system.DefaultRingBufferCapacity
			}
			assert.Equal(t, wantCap, sys.GetRingBufferCapacity())
			recs, lowest, highest := sys.GetEventsFromID(tc.lowest, math.MaxUint64)
			assert.Equal(t, tc.lowest, lowest, "lowest")
			assert.Equal(t, tc.highest, highest, "highest")
			if tc.want == nil {
				assert.Empty(t, recs)
			} else {
				assert.Equal(t, tc.want, numbersOf(t, recs))
			}

			// Later events continue the ID sequence and fill the new size.
			for i := tc.added; i < tc.added+int(wantCap)+1 && i < tc.added+20; i++ {
				sys.AddEvent(numbered(i))
			}
			next := tc.added + min(int(wantCap)+1, 20)
			newest := sys.GetRecentEvents(1)
			require.Len(t, newest, 1)
			assert.Equal(t, []int{next - 1}, numbersOf(t, newest))
			_, lowest, highest = sys.GetEventsFromID(0, 0)
			assert.Equal(t, uint64(next-1), highest)
			held := min(wantCap, uint64(next)-min(uint64(next), tc.lowest))
			assert.Equal(t, uint64(next)-held, lowest, "the newest events that fit")
		})
	}
}

// TestDropInReconfigureRequestCapacity: the reported request capacity
// changes at once, as the reference's does. The events waiting in the store
// stay and go out with the next collect. The new size limits the batches
// after that collect; the reference's store applies it to the batch in
// progress already (docs/compatibility.md, SetStoreSize).
func TestDropInReconfigureRequestCapacity(t *testing.T) {
	tests := []struct {
		name             string
		from, to         uint64
		waiting          int
		nextAdded        int
		firstBatch       int // collected right after Reconfigure
		secondBatch      int // collected after nextAdded more
		notStoredOfFirst uint64
	}{
		{"shrink below waiting", 10, 2, 5, 4, 5, 2, 0},
		{"shrink above waiting", 10, 6, 5, 9, 5, 6, 0},
		{"grow", 2, 6, 4, 9, 2, 6, 2},
		{"zero means the default", 2, 0, 2, 5, 2, 5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := quiet()
			cfg.RequestCapacity = tc.from
			sys := system.New(cfg)
			sys.StartServiceWithPublisher(false)
			defer sys.Stop()
			for i := 0; i < tc.waiting; i++ {
				sys.AddEvent(numbered(i))
			}
			cfg.RequestCapacity = tc.to
			sys.Reconfigure(cfg)
			want := tc.to
			if want == 0 {
				want = system.DefaultRequestCapacity
			}
			assert.Equal(t, want, sys.GetRequestCapacity())
			assert.Equal(t, want, sys.Config().RequestCapacity)
			assert.Equal(t, tc.notStoredOfFirst, sys.Metrics().NotStored)

			first := sys.Store.CollectEvents()
			assert.Equal(t, span(0, tc.firstBatch), numbersOf(t, first))
			for i := 0; i < tc.nextAdded; i++ {
				sys.AddEvent(numbered(100 + i))
			}
			second := sys.Store.CollectEvents()
			assert.Equal(t, span(100, 100+tc.secondBatch), numbersOf(t, second))
			m := sys.Metrics()
			assert.Equal(t, tc.notStoredOfFirst+uint64(tc.nextAdded-tc.secondBatch), m.NotStored)
			assert.Equal(t, uint64(tc.waiting+tc.nextAdded), m.Stored+m.NotStored, "every event counted once")
		})
	}
}

// TestDropInReconfigureTracking: a change of the tracking flag is reported
// at once. On a running system the reference restarts; lfevents closes the
// streams without rejecting an event. On a system that is not running the
// reference's restart would start it; Reconfigure leaves it as it is
// (docs/compatibility.md 3.7).
func TestDropInReconfigureTracking(t *testing.T) {
	start := func(s *system.EventSystemImpl) { s.StartService() }
	tests := []struct {
		name          string
		prepare       func(*system.EventSystemImpl)
		tracking      bool // the new flag (the old one is the opposite)
		running       bool // the system runs before and after
		accepted      bool // an event added afterwards is kept (else rejected)
		streamsClosed bool // a stream opened before prepare is closed afterwards
	}{
		{"running, disable", start, false, true, true, true},
		{"running, enable", start, true, true, true, true},
		{"running without publisher", func(s *system.EventSystemImpl) { s.StartServiceWithPublisher(false) }, false, true, true, true},
		// Not started by Reconfigure: events are kept before the first
		// start, and the stream stays open.
		{"never started", func(*system.EventSystemImpl) {}, false, false, true, false},
		// Not started by Reconfigure: events are rejected after a Stop.
		{"stopped", func(s *system.EventSystemImpl) { s.StartService(); s.Stop() }, false, false, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := quiet()
			cfg.TrackingEnabled = !tc.tracking
			sys := system.New(cfg)
			defer sys.Stop()
			s := sys.CreateEventStream("s", 0)
			defer sys.RemoveStream(s) // Stop before any start leaves streams open
			tc.prepare(sys)
			require.Equal(t, !tc.tracking, sys.IsEventTrackingEnabled())
			before := sys.Metrics()

			cfg.TrackingEnabled = tc.tracking
			sys.Reconfigure(cfg)
			assert.Equal(t, tc.tracking, sys.IsEventTrackingEnabled())
			assert.Equal(t, tc.tracking, sys.Config().TrackingEnabled)

			sys.AddEvent(numbered(0))
			after := sys.Metrics()
			if tc.accepted {
				assert.Equal(t, before.Channeled+1, after.Channeled, "accepted")
				assert.Equal(t, before.NotChanneled, after.NotChanneled, "nothing rejected")
			} else {
				assert.Equal(t, before.Channeled, after.Channeled)
				assert.Equal(t, before.NotChanneled+1, after.NotChanneled, "rejected and counted")
			}
			if tc.streamsClosed {
				_, closed := testutil.Drain(s.Events, dropinWait)
				assert.True(t, closed)
				assert.Equal(t, stream.ReasonClosed, s.CloseReason())
			} else {
				got, err := testutil.Receive(s.Events, 1, dropinWait)
				require.NoError(t, err)
				assert.Equal(t, []int{0}, numbersOf(t, got))
			}
			if tc.running {
				fresh := sys.CreateEventStream("fresh", 1)
				got, err := testutil.Receive(fresh.Events, 1, dropinWait)
				require.NoError(t, err, "streams can be opened at once, with history")
				assert.Equal(t, []int{0}, numbersOf(t, got))
			}
		})
	}
}

// TestDropInBadInput: every odd input has a stated outcome, visible in the
// results or in Metrics, and none panics. The reference counts a nil record
// as created and channeled and then drops it; lfevents ignores it before
// counting (docs/compatibility.md 3.7).
func TestDropInBadInput(t *testing.T) {
	type outcome struct{ created, channeled, notChanneled uint64 }
	tests := []struct {
		name    string
		stopped bool
		do      func(*system.EventSystemImpl)
		want    outcome
	}{
		{"nil record", false, func(s *system.EventSystemImpl) { s.AddEvent(nil) }, outcome{}},
		{"nil record, stopped", true, func(s *system.EventSystemImpl) { s.AddEvent(nil) }, outcome{}},
		{"nil batch", false, func(s *system.EventSystemImpl) { s.AddEvents(nil) }, outcome{}},
		{"batch of nils", false, func(s *system.EventSystemImpl) { s.AddEvents(make([]*si.EventRecord, 3)) }, outcome{}},
		{"batch with nils", false, func(s *system.EventSystemImpl) {
			s.AddEvents([]*si.EventRecord{nil, numbered(1), nil, numbered(2)})
		}, outcome{2, 2, 0}},
		{"batch with nils, stopped", true, func(s *system.EventSystemImpl) {
			s.AddEvents([]*si.EventRecord{nil, numbered(1), nil})
		}, outcome{1, 0, 1}},
		{"empty record", false, func(s *system.EventSystemImpl) { s.AddEvent(&si.EventRecord{}) }, outcome{1, 1, 0}},
		{"same record twice", false, func(s *system.EventSystemImpl) {
			ev := numbered(1)
			s.AddEvent(ev)
			s.AddEvent(ev)
		}, outcome{2, 2, 0}},
		{"stopped", true, func(s *system.EventSystemImpl) { s.AddEvent(numbered(1)) }, outcome{1, 0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sys := system.New(quiet())
			sys.StartService()
			if tc.stopped {
				sys.Stop()
			}
			require.NotPanics(t, func() { tc.do(sys) })
			m := sys.Metrics()
			assert.Equal(t, tc.want, outcome{m.Created, m.Channeled, m.NotChanneled})
			assert.Equal(t, m.Channeled, m.Stored+m.NotStored, "every accepted record stored or counted")
			recs, _, _ := sys.GetEventsFromID(0, math.MaxUint64)
			assert.Len(t, recs, int(tc.want.channeled), "every accepted record in history")
			for _, ev := range recs {
				assert.NotNil(t, ev, "no nil in history")
			}
			sys.Stop()
		})
	}

	// Huge counts and IDs, on every read and stream call.
	sys := systemWith(t, 4, 6)
	require.NotPanics(t, func() {
		for _, n := range []uint64{0, 1, 1 << 40, math.MaxUint64} {
			_, _, _ = sys.GetEventsFromID(n, math.MaxUint64)
			_, _, _ = sys.GetEventsFromID(math.MaxUint64, n)
			_ = sys.GetRecentEvents(n)
			sys.RemoveStream(sys.CreateEventStream("huge", n))
			sys.RemoveIDStream(sys.CreateRecentEventStream("huge", n))
			sys.RemoveIDStream(sys.CreateEventStreamFrom("huge", n))
		}
		sys.RemoveIDStream(nil)
		sys.RemoveIDStream(&stream.IDStream{})
	})
	assert.Len(t, sys.GetRecentEvents(math.MaxUint64), 4, "the newest that the history of 4 holds")
	assert.Equal(t, uint64(5), sys.GetLastEventID())
	assert.Empty(t, sys.GetEventStreams(), "every stream removed")
}

// TestDropInZeroAndNegativeConfig: a Config's zero or negative sizes and
// durations mean their defaults, in New and in Reconfigure; the reference's
// config map takes a zero capacity as its default too.
func TestDropInZeroAndNegativeConfig(t *testing.T) {
	odd := quiet()
	odd.RequestCapacity, odd.RingBufferCapacity = 0, 0
	odd.PushInterval, odd.StreamQueueSize, odd.DedupWindow = -time.Second, -1, -time.Second
	check := func(t *testing.T, sys *system.EventSystemImpl) {
		got := sys.Config()
		assert.Equal(t, system.DefaultRequestCapacity, got.RequestCapacity)
		assert.Equal(t, system.DefaultRingBufferCapacity, got.RingBufferCapacity)
		assert.Equal(t, system.DefaultPushInterval, got.PushInterval)
		assert.Equal(t, system.DefaultStreamQueueSize, got.StreamQueueSize)
		assert.Zero(t, got.DedupWindow)
		assert.NotNil(t, got.Logger)
		assert.Equal(t, system.DefaultRequestCapacity, sys.GetRequestCapacity())
		assert.Equal(t, system.DefaultRingBufferCapacity, sys.GetRingBufferCapacity())
	}
	t.Run("New", func(t *testing.T) { check(t, system.New(odd)) })
	t.Run("Reconfigure", func(t *testing.T) {
		small := quiet()
		small.RequestCapacity, small.RingBufferCapacity = 3, 3
		sys := system.New(small)
		sys.StartService()
		defer sys.Stop()
		sys.Reconfigure(odd)
		check(t, sys)
	})
}

// TestDropInProcessWideInit: the reference's GetEventSystem creates the
// instance on first use and Init replaces it (the old one keeps running
// there; lfevents stops it, docs/compatibility.md 2). With Init racing the
// users of GetEventSystem, every record lands in exactly one instance, where
// it is accepted or rejected and counted, and no instance leaves a
// goroutine behind.
func TestDropInProcessWideInit(t *testing.T) {
	const adders, perAdder = 3, 2000
	t.Cleanup(func() { system.InitWithConfig(quiet()) })
	system.InitWithConfig(quiet())

	var mu sync.Mutex
	seen := map[*system.EventSystemImpl]bool{}
	note := func(s *system.EventSystemImpl) *system.EventSystemImpl {
		mu.Lock()
		defer mu.Unlock()
		seen[s] = true
		return s
	}
	added := testutil.Start(adders, func(a int) {
		for i := 0; i < perAdder; i++ {
			if a == 0 && i == perAdder/2 {
				system.InitWithConfig(quiet()) // at least once, whatever the loop does
			}
			sys := note(system.Default())
			sys.AddEvent(numbered(i))
			if i%200 == 0 {
				sys.RemoveStream(sys.CreateEventStream("s", 5))
			}
		}
	})
	stop := testutil.Loop(
		func() { system.InitWithConfig(quiet()) },
		func() { note(system.Default()).StartServiceWithPublisher(false) },
	)
	added()
	stop()
	system.InitWithConfig(quiet()) // retires the last one the adders used

	var created, kept, rejected uint64
	for sys := range seen {
		m := sys.Metrics()
		created += m.Created
		kept += m.Channeled
		rejected += m.NotChanneled
		recs, _, _ := sys.GetEventsFromID(0, math.MaxUint64)
		assert.Len(t, recs, int(m.Channeled), "every accepted record in its instance's history")
		assert.Empty(t, sys.GetEventStreams(), "retired: no stream open")
	}
	assert.Equal(t, uint64(adders*perAdder), created)
	assert.Equal(t, created, kept+rejected)
	assert.Greater(t, len(seen), 1, "records went to more than one instance")
	goleak.VerifyNone(t)
}
