package stream

import (
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/ring"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// failAfter bounds every wait in these tests: only a hang fails on it, no
// test asserts how long anything takes.
const failAfter = 20 * time.Second

// rec returns a record that carries its expected ring ID in TimestampNano.
func rec(id uint64) *si.EventRecord {
	return &si.EventRecord{TimestampNano: int64(id), ObjectID: "obj"}
}

// idOf is the ID a record was created with (see rec).
func idOf(ev *si.EventRecord) uint64 { return uint64(ev.TimestampNano) }

// add appends n records to r, each followed by PublishEvent, as the system
// does; the records carry IDs from r.NextID() on (one producer).
func add(r *ring.Buffer, es *EventStreaming, n int) {
	for range n {
		ev := rec(r.NextID())
		r.Add(ev)
		es.PublishEvent(ev)
	}
}

// receive reads n records from s, failing the test if the channel closes
// first or they do not all arrive within failAfter.
func receive(t testing.TB, s *EventStream, n int) []uint64 {
	t.Helper()
	evs, err := testutil.Receive(s.Events, n, failAfter)
	require.NoError(t, err, "stream %v", s.CloseReason())
	return testutil.Map(evs, idOf)
}

// drain reads s until its channel closes and returns what it got.
func drain(t testing.TB, s *EventStream) []uint64 {
	t.Helper()
	evs, closed := testutil.Drain(s.Events, failAfter)
	require.True(t, closed, "stream not closed within %v (%d records)", failAfter, len(evs))
	return testutil.Map(evs, idOf)
}

// newStreaming returns a ring of capacity with before events added (see
// add), and an EventStreaming over it that is closed when the test ends.
func newStreaming(t testing.TB, capacity uint64, before int, opts ...Option) (*ring.Buffer, *EventStreaming) {
	r := ring.New(capacity)
	es := NewEventStreaming(r, opts...)
	t.Cleanup(es.Close)
	add(r, es, before)
	return r, es
}

// seq returns from, from+1, ..., to-1.
func seq(from, to uint64) []uint64 {
	out := make([]uint64, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// requireRun checks that ids is a gap-free, duplicate-free ascending run.
func requireRun(t testing.TB, ids []uint64, msg string) {
	t.Helper()
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 {
			require.FailNow(t, "not a consecutive run", "%s: index %d: %d after %d", msg, i, ids[i], ids[i-1])
		}
	}
}

// pollEvery is the polling interval of require.Eventually in these tests.
const pollEvery = time.Millisecond

func runtimeGosched() { runtime.Gosched() }

// quietLogger discards the cut-off warnings of tests that cause many.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// addDispatched adds n records in steps small enough for a tiny ring, waiting
// after each until the dispatcher has pushed them into c's queue (c's reader
// must not read meanwhile), so the dispatcher is never overrun.
func addDispatched(t testing.TB, r *ring.Buffer, es *EventStreaming, c *consumer, n int) {
	t.Helper()
	deadline := time.Now().Add(failAfter)
	for i := 0; i < n; i += 10 {
		k := min(10, n-i)
		want := c.queue.Len() + k
		add(r, es, k)
		for c.queue.Len() < want {
			require.False(t, time.Now().After(deadline), "the dispatcher did not push")
			runtime.Gosched()
		}
	}
}
