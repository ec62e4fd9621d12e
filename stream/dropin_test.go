package stream_test

// The reference design's own streaming scenarios, run against this package's
// public API as a user migrating from it writes them. The one change a
// migration needs: PublishEvent only signals, so an event is added to the
// history ring first (the event system does both in AddEvent).

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/ring"
	"github.com/lfevents/lfevents/stream"
)

const dropinWait = 10 * time.Second // bound of a wait, never a timing assertion

// publish adds a record stamped ts to the ring and signals the streaming.
func publish(r *ring.Buffer, es *stream.EventStreaming, ts int64) {
	ev := &si.EventRecord{TimestampNano: ts}
	r.Add(ev)
	es.PublishEvent(ev)
}

func stamps(recs []*si.EventRecord) []int64 {
	return testutil.Map(recs, (*si.EventRecord).GetTimestampNano)
}

func newQuietStreaming(r *ring.Buffer) *stream.EventStreaming {
	return stream.NewEventStreaming(r, stream.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
}

// TestDropInReferenceScenarios: history of a ring of 10, then live events,
// with the counts the reference's tests use; the reference expects the same
// records in the same order.
func TestDropInReferenceScenarios(t *testing.T) {
	tests := []struct {
		name    string
		before  []int64 // in history before the stream is created
		count   uint64
		after   []int64 // published once the stream exists
		receive []int64
	}{
		{"without history", nil, 10000, []int64{42}, []int64{42}},
		{"with history", []int64{1, 5, 6, 9}, 10000, []int64{10}, []int64{1, 5, 6, 9, 10}},
		{"with history count", []int64{1, 5, 6, 9}, 2, []int64{10}, []int64{6, 9, 10}},
		{"count 0", []int64{1, 5}, 0, []int64{10}, []int64{10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ring.New(10)
			es := newQuietStreaming(r)
			defer es.Close()
			for _, ts := range tc.before {
				publish(r, es, ts)
			}
			s := es.CreateEventStream("test", tc.count)
			for _, ts := range tc.after {
				publish(r, es, ts)
			}
			got, err := testutil.Receive(s.Events, len(tc.receive), dropinWait)
			require.NoError(t, err)
			assert.Equal(t, tc.receive, stamps(got))
			es.RemoveEventStream(s)
			rest, closed := testutil.Drain(s.Events, dropinWait)
			assert.True(t, closed)
			assert.Empty(t, rest, "nothing more than asked for")
			assert.Empty(t, es.GetEventStreams())
		})
	}
}

// TestDropInTwoConsumers: both streams get every event, in order.
func TestDropInTwoConsumers(t *testing.T) {
	r := ring.New(10)
	es := newQuietStreaming(r)
	defer es.Close()
	s1 := es.CreateEventStream("stream1", 10000)
	s2 := es.CreateEventStream("stream2", 10000)
	for i := int64(0); i < 5; i++ {
		publish(r, es, i)
	}
	for _, s := range []*stream.EventStream{s1, s2} {
		got, err := testutil.Receive(s.Events, 5, dropinWait)
		require.NoError(t, err)
		assert.Equal(t, []int64{0, 1, 2, 3, 4}, stamps(got))
	}
	es.RemoveEventStream(s1)
	es.RemoveEventStream(s2)
	assert.Empty(t, es.GetEventStreams())
}

// TestDropInSlowConsumer: a stream that never reads while 2500 events
// arrive is removed, as in the reference (which cuts at about 2000 behind;
// this package at about DefaultQueueSize + ChannelBuffer + 128, or earlier
// when the ring overwrites events the stream has not been given).
func TestDropInSlowConsumer(t *testing.T) {
	r := ring.New(10)
	es := newQuietStreaming(r)
	defer es.Close()
	s := es.CreateEventStream("test", 10000)
	for i := int64(0); i < 2500; i++ {
		publish(r, es, i)
	}
	require.Eventually(t, func() bool { return s.CloseReason() == stream.ReasonSlow },
		dropinWait, time.Millisecond)
	assert.Empty(t, es.GetEventStreams())
	assert.Equal(t, uint64(1), es.Stats().StreamsRemovedSlow)
	got, closed := testutil.Drain(s.Events, dropinWait)
	assert.True(t, closed)
	assert.Less(t, len(got), 2500, "cut off before the end")
	for i, ts := range stamps(got) {
		require.Equal(t, int64(i), ts, "what it got is the start of the sequence, with no gap")
	}
}

// TestDropInGetEventStreams: the list follows creation and removal; names
// need not be unique.
func TestDropInGetEventStreams(t *testing.T) {
	es := newQuietStreaming(ring.New(10))
	defer es.Close()
	assert.Empty(t, es.GetEventStreams())
	s1 := es.CreateEventStream("test-1", 0)
	require.Len(t, es.GetEventStreams(), 1)
	assert.Equal(t, "test-1", es.GetEventStreams()[0].Name)
	s2 := es.CreateEventStream("test-2", 0)
	s3 := es.CreateEventStream("test-2", 0)
	names := testutil.Map(es.GetEventStreams(), func(d stream.EventStreamData) string { return d.Name })
	assert.ElementsMatch(t, []string{"test-1", "test-2", "test-2"}, names)
	es.RemoveEventStream(s2)
	names = testutil.Map(es.GetEventStreams(), func(d stream.EventStreamData) string { return d.Name })
	assert.ElementsMatch(t, []string{"test-1", "test-2"}, names)
	es.RemoveEventStream(s1)
	es.RemoveEventStream(s3)
	assert.Empty(t, es.GetEventStreams())
}

// TestDropInAfterClose: after Close, every stream is closed (ReasonClosed),
// a new one is closed at once, with no history, and the other calls do
// nothing. The reference's Close ends its streams too; a stream it creates
// afterwards is sent its history and then closed (and stays listed).
func TestDropInAfterClose(t *testing.T) {
	r := ring.New(10)
	es := newQuietStreaming(r)
	publish(r, es, 1)
	open := es.CreateEventStream("open", 0)
	es.Close()
	_, closed := testutil.Drain(open.Events, dropinWait)
	assert.True(t, closed)
	assert.Equal(t, stream.ReasonClosed, open.CloseReason())

	late := es.CreateEventStream("late", 10)
	require.NotNil(t, late)
	got, closed := testutil.Drain(late.Events, dropinWait)
	assert.True(t, closed)
	assert.Empty(t, got, "no history after Close")
	assert.Equal(t, stream.ReasonClosed, late.CloseReason())
	assert.NotPanics(t, func() {
		publish(r, es, 2)
		es.RemoveEventStream(open)
		es.RemoveEventStream(late)
		es.RemoveEventStream(nil)
		es.Close()
	})
	assert.Empty(t, es.GetEventStreams())
	assert.Zero(t, es.Stats().Streams)
}
