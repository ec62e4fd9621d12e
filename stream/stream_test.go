package stream

import (
	"bytes"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lfevents/lfevents/internal/model"
	"github.com/lfevents/lfevents/ring"
)

func TestHistoryThenLive(t *testing.T) {
	tests := []struct {
		name      string
		capacity  uint64 // ring
		before    int    // events added before the stream
		count     uint64
		wantFirst uint64
	}{
		{"count 0", 50, 10, 0, 10},
		{"count 1", 50, 10, 1, 9},
		{"count 3", 50, 10, 3, 7},
		{"count = history", 50, 10, 10, 0},
		{"count > history", 50, 10, 11, 0},
		{"count max", 50, 10, math.MaxUint64, 0},
		{"empty ring, count max", 50, 0, math.MaxUint64, 0},
		{"after wrap, count < held", 8, 20, 5, 15},
		{"after wrap, count > held", 8, 20, 100, 12},
		{"after wrap, count > newest ID", 8, 20, 25, 12},
		{"after wrap, count max", 8, 20, math.MaxUint64, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, es := newStreaming(t, tt.capacity, tt.before)
			s := es.CreateEventStream(tt.name, tt.count)
			require.NotNil(t, s)
			require.NotNil(t, s.Events)
			// History first (received before more events could displace it
			// from a tiny ring), then live events.
			join := uint64(tt.before)
			assert.Equal(t, seq(tt.wantFirst, join), receive(t, s, int(join-tt.wantFirst)), "history")
			add(r, es, 5)
			last := join + 5
			assert.Equal(t, seq(join, last), receive(t, s, 5), "live")
			assert.Equal(t, ReasonOpen, s.CloseReason())

			// A sentinel arrives next: nothing extra came before it.
			add(r, es, 1)
			assert.Equal(t, []uint64{last}, receive(t, s, 1))
		})
	}
}

func TestHistoryLargerThanQueue(t *testing.T) {
	r, es := newStreaming(t, 5000, 3000, WithQueueSize(4))
	s := es.CreateEventStream("big history", 3000)
	got := receive(t, s, 3000)
	assert.Equal(t, seq(0, 3000), got)
	add(r, es, 3)
	assert.Equal(t, seq(3000, 3003), receive(t, s, 3))
}

func TestPublishRepeatedNeverDuplicates(t *testing.T) {
	r, es := newStreaming(t, 100, 0)
	s := es.CreateEventStream("s", 0)
	first := rec(0)
	r.Add(first)
	for range 50 {
		es.PublishEvent(first)
		es.PublishEvent(nil)
	}
	assert.Equal(t, []uint64{0}, receive(t, s, 1))
	for i := uint64(1); i < 20; i++ {
		ev := rec(i)
		r.Add(ev)
		es.PublishEvent(ev)
		es.PublishEvent(ev)
		es.PublishEvent(first) // already delivered
	}
	assert.Equal(t, seq(1, 20), receive(t, s, 19))
	add(r, es, 1) // sentinel: a duplicate would arrive before it
	assert.Equal(t, []uint64{20}, receive(t, s, 1))
}

func TestPublishOnceForManyAdds(t *testing.T) {
	r, es := newStreaming(t, 1000, 0)
	s := es.CreateEventStream("s", 0)
	for i := range uint64(300) {
		r.Add(rec(i))
	}
	es.PublishEvent(nil) // one signal covers everything before it
	assert.Equal(t, seq(0, 300), receive(t, s, 300))
}

// TestJoinWhileProducing creates streams while a producer goroutine adds to
// the ring and calls PublishEvent: each must see one gap-free, duplicate-free
// run from its join point to the last event.
func TestJoinWhileProducing(t *testing.T) {
	const total = 30000
	r := ring.New(1 << 16)
	// The queue holds every event, so no reader can be cut off here.
	es := NewEventStreaming(r, WithQueueSize(1<<15))
	defer es.Close()

	var produced atomic.Uint64
	go func() {
		for i := uint64(0); i < total; i++ {
			ev := rec(i)
			r.Add(ev)
			es.PublishEvent(ev)
			produced.Store(i + 1)
		}
	}()

	type joined struct {
		s             *EventStream
		count         uint64
		before, after uint64 // ReadEnd around CreateEventStream
		got           []uint64
	}
	counts := []uint64{0, 100, math.MaxUint64, 7, 5000, 1}
	streams := make([]*joined, len(counts))
	var wg sync.WaitGroup
	for i, count := range counts {
		// Spread the joins over the run.
		for produced.Load() < uint64(i)*total/uint64(len(counts)+1) {
			receiveNothing()
		}
		j := &joined{count: count, before: r.ReadEnd()}
		j.s = es.CreateEventStream("joiner", count)
		j.after = r.ReadEnd()
		streams[i] = j
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ev := range j.s.Events {
				j.got = append(j.got, idOf(ev))
				if idOf(ev) == total-1 {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, j := range streams {
		require.NotEmpty(t, j.got, "count %d", j.count)
		requireRun(t, j.got, "joiner")
		assert.Equal(t, uint64(total-1), j.got[len(j.got)-1])
		first := j.got[0]
		assert.GreaterOrEqual(t, first, model.StreamStart(0, j.before, j.count), "count %d", j.count)
		assert.LessOrEqual(t, first, model.StreamStart(0, j.after, j.count), "count %d", j.count)
		assert.Equal(t, ReasonOpen, j.s.CloseReason())
	}
	assert.Zero(t, es.Stats().StreamsRemovedSlow)
}

// receiveNothing yields the processor while a test waits for a producer.
func receiveNothing() { runtimeGosched() }

// TestStalledConsumerCutOff: a stream nobody reads is cut off as slow, while
// a stream that reads receives every event in order.
func TestStalledConsumerCutOff(t *testing.T) {
	const total = 3000
	var logs bytes.Buffer
	r := ring.New(4096)
	es := NewEventStreaming(r, WithQueueSize(16),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	defer es.Close()

	stalled := es.CreateEventStream("stalled", 0)
	reader := es.CreateEventStream("reader", 0)
	var progress atomic.Uint64 // records the reader has received
	var got []uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range reader.Events {
			got = append(got, idOf(ev))
			progress.Add(1)
			if len(got) == total {
				return
			}
		}
	}()
	// Add in small windows and let the reader catch up after each, so only
	// the stalled stream can fall behind.
	for n := 0; n < total; n += 8 {
		add(r, es, 8)
		for progress.Load() < uint64(n+8) {
			select {
			case <-done:
				require.FailNow(t, "reader stopped early", "reason %v", reader.CloseReason())
			default:
				receiveNothing()
			}
		}
	}
	<-done
	assert.Equal(t, seq(0, total), got)
	assert.Equal(t, ReasonOpen, reader.CloseReason())

	rest := drain(t, stalled)
	assert.Equal(t, ReasonSlow, stalled.CloseReason())
	assert.Less(t, len(rest), total, "the stalled stream must have been cut")
	if len(rest) > 0 {
		assert.Equal(t, uint64(0), rest[0])
		requireRun(t, rest, "stalled prefix")
	}
	assert.Equal(t, uint64(1), es.Stats().StreamsRemovedSlow)
	assert.Contains(t, logs.String(), "stalled")
	assert.Contains(t, logs.String(), "lag=")
	require.Eventually(t, func() bool { return len(es.GetEventStreams()) == 1 }, failAfter, pollEvery)
	assert.Equal(t, "reader", es.GetEventStreams()[0].Name)
}

// TestDispatcherOverrun holds the dispatcher while the ring laps it: the
// stream that needed the overwritten events is closed as slow, not skipped.
func TestDispatcherOverrun(t *testing.T) {
	r, es := newStreaming(t, 4, 0, WithLogger(quietLogger()))
	entered := make(chan uint64, 1)
	release := make(chan struct{})
	var once sync.Once
	es.testHookRead = func(p uint64) {
		once.Do(func() {
			entered <- p
			<-release
		})
	}
	s := es.CreateEventStream("lapped", 0)
	add(r, es, 1)
	require.Equal(t, uint64(0), <-entered)
	add(r, es, 10) // IDs 0..10; the ring keeps 7..10
	close(release)

	assert.Empty(t, drain(t, s))
	assert.Equal(t, ReasonSlow, s.CloseReason())
	assert.Equal(t, uint64(1), es.Stats().StreamsRemovedSlow)

	// Streaming carries on for a new stream.
	s2 := es.CreateEventStream("after", 2)
	assert.Equal(t, seq(9, 11), receive(t, s2, 2))
	add(r, es, 3)
	assert.Equal(t, seq(11, 14), receive(t, s2, 3))
}

// TestHistoryIsASnapshot: a stream's history is the newest count events as
// of its creation, all of them, even when the ring overwrites them before the
// reader takes the first one; then every later event follows.
func TestHistoryIsASnapshot(t *testing.T) {
	r, es := newStreaming(t, 100, 150, WithLogger(quietLogger()))
	s := es.CreateEventStream("snapshot", 1000)
	addDispatched(t, r, es, s.consumer, 250) // the ring now holds 300..399 only
	assert.Equal(t, seq(50, 400), receive(t, s, 350))
	add(r, es, 1)
	assert.Equal(t, []uint64{400}, receive(t, s, 1), "nothing extra before the sentinel")
	assert.Equal(t, ReasonOpen, s.CloseReason())
	assert.Zero(t, es.Stats().StreamsRemovedSlow)
}

func TestRemove(t *testing.T) {
	r, es := newStreaming(t, 100, 0)
	other := NewEventStreaming(r)
	defer other.Close()

	a := es.CreateEventStream("a", 0)
	b := es.CreateEventStream("b", 0)
	foreign := other.CreateEventStream("foreign", 0)

	es.RemoveEventStream(nil)
	es.RemoveEventStream(&EventStream{})
	es.RemoveEventStream(foreign)
	assert.Equal(t, ReasonOpen, foreign.CloseReason())
	assert.Len(t, es.GetEventStreams(), 2)

	add(r, es, 3)
	assert.Equal(t, seq(0, 3), receive(t, a, 3))
	es.RemoveEventStream(a)
	assert.Equal(t, ReasonRemoved, a.CloseReason())
	assert.Empty(t, drain(t, a), "closed when Remove returns")
	es.RemoveEventStream(a) // twice: no-op
	assert.Equal(t, ReasonRemoved, a.CloseReason())

	add(r, es, 2)
	assert.Equal(t, seq(0, 5), receive(t, b, 5), "the other stream is unaffected")
	data := es.GetEventStreams()
	require.Len(t, data, 1)
	assert.Equal(t, "b", data[0].Name)
	assert.False(t, data[0].CreatedAt.IsZero())
	assert.Equal(t, ReasonOpen, foreign.CloseReason())
}

func TestClose(t *testing.T) {
	r := ring.New(100)
	es := NewEventStreaming(r)
	a := es.CreateEventStream("a", 0)
	b := es.CreateEventStream("b", 0)
	add(r, es, 2)
	es.Close()
	for _, s := range []*EventStream{a, b} {
		drain(t, s)
		assert.Equal(t, ReasonClosed, s.CloseReason())
	}
	es.Close() // twice: no-op

	late := es.CreateEventStream("late", 10)
	require.NotNil(t, late)
	require.NotNil(t, late.Events)
	_, ok := <-late.Events
	assert.False(t, ok, "a stream created after Close is already closed")
	assert.Equal(t, ReasonClosed, late.CloseReason())
	es.RemoveEventStream(late)
	es.RemoveEventStream(a)
	assert.Equal(t, ReasonClosed, a.CloseReason(), "Remove after Close keeps the reason")
	es.PublishEvent(rec(0))
	assert.Empty(t, es.GetEventStreams())
	st := es.Stats()
	assert.Equal(t, 0, st.Streams)
	assert.Equal(t, uint64(2), st.StreamsCreated)
}

func TestConcurrentClose(t *testing.T) {
	r := ring.New(100)
	es := NewEventStreaming(r)
	s := es.CreateEventStream("a", 0)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			es.Close()
			// Every Close returns only once the streams are closed.
			assert.Equal(t, ReasonClosed, s.CloseReason())
		}()
	}
	wg.Wait()
}

func TestNilAndZeroInputs(t *testing.T) {
	var h EventStream // a handle that no EventStreaming made
	assert.Equal(t, ReasonOpen, h.CloseReason())
	var ih IDStream
	assert.Equal(t, ReasonOpen, ih.CloseReason())

	// A nil ring: streams work and receive nothing.
	es := NewEventStreaming(nil, nil, WithQueueSize(0), WithQueueSize(-3), WithLogger(nil))
	s := es.CreateEventStream("", 0)
	es.PublishEvent(nil)
	assert.Len(t, es.GetEventStreams(), 1)
	es.RemoveEventStream(nil)
	es.RemoveEventStream(&h)
	es.RemoveIDStream(nil)
	es.RemoveIDStream(&ih)
	es.Close()
	assert.Empty(t, drain(t, s))
}

func TestQueueSizeOption(t *testing.T) {
	tests := []struct{ in, want int }{
		{0, DefaultQueueSize}, {-1, DefaultQueueSize}, {1, 1}, {1000, 1024},
		{math.MaxInt, MaxQueueSize},
	}
	for _, tt := range tests {
		es := NewEventStreaming(ring.New(1), WithQueueSize(tt.in))
		s := es.CreateEventStream("q", 0)
		assert.Equal(t, tt.want, s.consumer.queue.Cap(), "WithQueueSize(%d)", tt.in)
		es.Close()
	}
	assert.GreaterOrEqual(t, DefaultQueueSize, 1000)
}

func TestCloseReasonString(t *testing.T) {
	tests := map[CloseReason]string{
		ReasonOpen: "open", ReasonRemoved: "removed", ReasonSlow: "slow",
		ReasonClosed: "closed", CloseReason(99): "unknown",
	}
	for r, want := range tests {
		assert.Equal(t, want, r.String())
	}
}

// TestGoroutineLifecycle: nothing runs before the first stream; removing the
// last stream (or its being cut off) stops every goroutine; a new stream
// restarts dispatch.
func TestGoroutineLifecycle(t *testing.T) {
	base := goleak.IgnoreCurrent()
	r := ring.New(64)
	es := NewEventStreaming(r, WithQueueSize(4), WithLogger(quietLogger()))
	require.NoError(t, goleak.Find(base), "no goroutine before the first stream")

	s := es.CreateEventStream("one", 0)
	require.Error(t, goleak.Find(base), "dispatcher and stream goroutine run")
	es.RemoveEventStream(s)
	require.NoError(t, goleak.Find(base), "all gone once the last stream is removed")

	// Restart, then let the only stream be cut off: its goroutine unregisters
	// it and the dispatcher stops too.
	s = es.CreateEventStream("two", 0)
	add(r, es, 3)
	assert.Equal(t, seq(0, 3), receive(t, s, 3))
	add(r, es, 400) // queue of 4, nobody reading
	drain(t, s)
	assert.Equal(t, ReasonSlow, s.CloseReason())
	require.NoError(t, goleak.Find(base), "all gone once the last stream is cut off")
	assert.Empty(t, es.GetEventStreams())
	es.Close()
}

// TestJoinMidBatch pins the cut push makes when a stream joins in the middle
// of a batch. The dispatcher is held in its read of event 0 (stream a is
// admitted) while events 1..before are added, stream b is created (its join
// is before+1) and after more events are added. Released, the dispatcher
// pushes event 0, admits b with from = join, and reads [1, join+after) as one
// batch: b's first live event is the batch's element join-1, not its first.
// b must receive its history, then join, join+1, ... up to a sentinel added
// last (nothing lost or doubled at the cut), and a everything.
func TestJoinMidBatch(t *testing.T) {
	// upTo receives until an ID of at least last, and returns the IDs.
	type upTo func(t testing.TB, last uint64) []uint64
	plain := func(s *EventStream) upTo {
		return func(t testing.TB, last uint64) []uint64 {
			var ids []uint64
			for len(ids) == 0 || ids[len(ids)-1] < last {
				ids = append(ids, receive(t, s, 1)...)
			}
			return ids
		}
	}
	withIDs := func(s *IDStream) upTo {
		return func(t testing.TB, last uint64) []uint64 {
			var ids []uint64
			for len(ids) == 0 || ids[len(ids)-1] < last {
				ids = append(ids, eventIDs(t, receiveItems(t, s, 1), "b")...)
			}
			return ids
		}
	}
	kinds := []struct {
		name  string
		open  func(es *EventStreaming) (*consumer, upTo)
		first func(join uint64) uint64 // the first ID b receives
	}{
		{"no history", func(es *EventStreaming) (*consumer, upTo) {
			s := es.CreateEventStream("b", 0)
			return s.consumer, plain(s)
		}, func(join uint64) uint64 { return join }},
		{"snapshot history", func(es *EventStreaming) (*consumer, upTo) {
			s := es.CreateEventStream("b", 1)
			return s.consumer, plain(s)
		}, func(join uint64) uint64 { return join - 1 }},
		{"snapshot history with IDs", func(es *EventStreaming) (*consumer, upTo) {
			s := es.CreateRecentEventStream("b", 1)
			return s.consumer, withIDs(s)
		}, func(join uint64) uint64 { return join - 1 }},
		{"history read from the ring", func(es *EventStreaming) (*consumer, upTo) {
			s := es.CreateEventStreamFrom("b", 0)
			return s.consumer, withIDs(s)
		}, func(uint64) uint64 { return 0 }},
	}
	// b's join is the batch's element before (its second at least), and
	// the batch holds after events from join on (only join: b's first live
	// event is the batch's last).
	positions := []struct{ before, after uint64 }{{1, 20}, {7, 7}, {100, 1}}
	for _, k := range kinds {
		for _, pos := range positions {
			t.Run(fmt.Sprintf("%s/offset %d of %d", k.name, pos.before, pos.before+pos.after), func(t *testing.T) {
				require.Less(t, pos.before+pos.after, uint64(dispatchBatch), "one batch")
				r, es := newStreaming(t, 1000, 0)
				var mu sync.Mutex
				var reads []uint64 // the positions the dispatcher read from
				entered, release := make(chan struct{}), make(chan struct{})
				es.testHookRead = func(p uint64) {
					mu.Lock()
					reads = append(reads, p)
					first := len(reads) == 1
					mu.Unlock()
					if first {
						close(entered)
						<-release
					}
				}
				a := es.CreateEventStream("a", 0)
				add(r, es, 1)
				<-entered // the dispatcher is about to read [0, 1)
				add(r, es, int(pos.before))
				join := pos.before + 1
				b, bUpTo := k.open(es)
				add(r, es, int(pos.after))
				close(release)

				// a is pushed every batch whole: once it has them, the
				// dispatcher has read [1, last); the sentinel comes after.
				last := join + pos.after // the sentinel's ID
				require.Equal(t, seq(0, last), receive(t, a, int(last)), "a")
				add(r, es, 1)
				assert.Equal(t, seq(k.first(join), last+1), bUpTo(t, last), "b: history, then live from its join")
				assert.Equal(t, []uint64{last}, receive(t, a, 1), "a: the sentinel")
				assert.Zero(t, es.Stats().StreamsRemovedSlow)

				// The interleaving was the one meant: b admitted from its
				// join while the dispatcher was at 1, [1, last) one read.
				es.Close() // the dispatcher has returned: its state is ours to read
				assert.Equal(t, join, b.from, "b's first live ID")
				mu.Lock()
				defer mu.Unlock()
				assert.Equal(t, []uint64{0, 1, last}, reads, "the dispatcher's reads")
			})
		}
	}
}
