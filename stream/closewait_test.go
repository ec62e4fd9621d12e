package stream

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exited reports whether c's goroutine has done its last step (done is
// closed just before it leaves serving).
func exited(c *consumer) bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// requireClosedNow receives what is buffered on s's channel and then
// requires that the channel is closed, without waiting for anything.
func requireClosedNow(t *testing.T, s *EventStream) {
	t.Helper()
	for range ChannelBuffer + 1 {
		select {
		case _, ok := <-s.Events:
			if !ok {
				return
			}
		default:
			require.FailNow(t, "the stream's channel is still open")
		}
	}
	require.FailNow(t, "more records than the channel buffers")
}

// waitFor fails the test if ch is not closed within failAfter.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(failAfter):
		require.FailNow(t, "timed out waiting: "+what)
	}
}

// TestCloseWaitsForStreamBeingRemoved holds a RemoveEventStream in the middle
// (between its two steps) and closes the EventStreaming meanwhile. When Close
// returns, the removed stream must have ended, its channel be closed and its
// goroutine be gone: Close returns once every goroutine has exited, whoever
// ended the stream. (Remove used to unregister the stream before ending it:
// Close did not find it, returned with the stream still open and its
// goroutine free to send on its channel until Remove went on.)
func TestCloseWaitsForStreamBeingRemoved(t *testing.T) {
	_, es := newStreaming(t, 64, 0)
	s := es.CreateEventStream("removed", 0)
	other := es.CreateEventStream("other", 0)

	inRemove := make(chan struct{})
	closed := make(chan struct{})
	es.testHookRemove = func() {
		close(inRemove)
		select { // hold Remove until Close has returned
		case <-closed:
		case <-time.After(failAfter):
		}
	}
	removed := make(chan struct{})
	go func() {
		defer close(removed)
		es.RemoveEventStream(s)
	}()
	waitFor(t, inRemove, "Remove to reach its hook")

	es.Close()
	ok := exited(s.consumer)
	reason := s.CloseReason()
	close(closed)

	assert.True(t, ok, "Close returned while the removed stream's goroutine ran")
	assert.Equal(t, ReasonRemoved, reason, "the stream ended by Remove when Close returned")
	if ok {
		requireClosedNow(t, s)
	}
	waitFor(t, removed, "Remove to return")
	assert.Equal(t, ReasonClosed, other.CloseReason())
	requireClosedNow(t, other)
}

// TestCloseWaitsForCutStreamThatLeftTheList: a stream cut off as slow leaves
// the list from its own goroutine, on its way out. Held there, after it has
// unregistered the stream, that goroutine must still be waited for by a
// Close that no longer finds the stream in the list. (Close used to wait only
// for the streams it found, and returned while such a goroutine still ran.)
func TestCloseWaitsForCutStreamThatLeftTheList(t *testing.T) {
	r, es := newStreaming(t, 4096, 0, WithQueueSize(4), WithLogger(quietLogger()))
	left := make(chan struct{})
	closing := make(chan struct{})
	returned := make(chan struct{})
	es.testHookFinish = func(*consumer) {
		close(left)
		select { // hold the goroutine until Close waits, or has returned
		case <-closing:
		case <-returned:
		case <-time.After(failAfter):
		}
	}
	es.testHookCloseWait = func() { close(closing) }
	s := es.CreateEventStream("cut", 0) // nobody reads it
	deadline := time.Now().Add(failAfter)
	for s.CloseReason() == ReasonOpen {
		require.False(t, time.Now().After(deadline), "never cut off")
		add(r, es, 64)
		runtime.Gosched() // with GOMAXPROCS 1 the dispatcher runs only so
	}
	require.Equal(t, ReasonSlow, s.CloseReason())
	waitFor(t, left, "the cut stream's goroutine to unregister it")
	require.Empty(t, es.list(), "the cut stream left the list")

	es.Close()
	ok := exited(s.consumer)
	close(returned)
	assert.True(t, ok, "Close returned while a cut stream's goroutine ran")
	requireClosedNow(t, s)
}
