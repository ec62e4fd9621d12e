package stream

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWakeupInterleavings forces a producer's Add and PublishEvent into each
// step of the dispatcher's parking (see "Wake-ups" in streaming.go) and checks
// that the event is delivered every time. The last case adds an event that
// becomes readable without a PublishEvent after it (as a ring Resize makes
// events readable when it swaps its view): a later PublishEvent(nil), which
// the event system sends after each control-plane step, must deliver it.
func TestWakeupInterleavings(t *testing.T) {
	cases := []struct {
		name    string
		step    parkStep
		publish bool   // the producer calls PublishEvent after its Add
		state   uint32 // the state its PublishEvent must see
	}{
		{"publish sees pending before the clear", parkClearing, true, stateStreams | statePending},
		{"publish between the clear and the recheck", parkRechecking, true, stateStreams},
		{"publish after the recheck", parkBlocking, true, stateStreams},
		{"readable without a signal, then a control-plane kick", parkBlocking, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, es := newStreaming(t, 16, 0, WithLogger(quietLogger()))
			// mu orders the hook against the test's own wake-ups: once the
			// hook fired, the test sends none until it means to.
			var mu sync.Mutex
			fired := false
			var seen uint32
			es.testHookPark = func(step parkStep) {
				mu.Lock()
				defer mu.Unlock()
				// Fire once, at the chosen step, in the chosen state,
				// when no stale wake-up token could wake the dispatcher.
				if fired || step != tc.step || len(es.wake) > 0 {
					return
				}
				want := tc.state
				if !tc.publish {
					want = stateStreams
				}
				if es.state.Load() != want {
					return
				}
				fired = true
				ev := rec(r.NextID())
				r.Add(ev)
				if tc.publish {
					seen = es.state.Load()
					es.PublishEvent(ev)
				}
			}
			s := es.CreateEventStream("w", 0)
			untilFired(es, &mu, &fired)
			if tc.publish {
				assert.Equal(t, tc.state, seen, "the interleaving was forced")
			} else {
				es.PublishEvent(nil) // the control plane's kick
			}
			assert.Equal(t, []uint64{0}, receive(t, s, 1))
		})
	}
}

// TestWakeupAfterRestartOfDispatcher: the dispatcher stops with the last
// stream and a new one starts with the next; the stale pending flag and token
// the old run may leave behind never make the new one miss an event.
func TestWakeupAfterRestartOfDispatcher(t *testing.T) {
	r, es := newStreaming(t, 16, 0, WithLogger(quietLogger()))
	for round := range 50 {
		s := es.CreateEventStream("w", 0)
		for k := range 3 {
			add(r, es, 1)
			require.Equal(t, []uint64{uint64(3*round + k)}, receive(t, s, 1), "round %d", round)
		}
		es.RemoveEventStream(s)
	}
}

// TestWakeupPublishNotYetVisible: a producer claims an ID and calls
// PublishEvent while the dispatcher is busy (it sees statePending and sends
// no token), and its record is not readable yet when the dispatcher, having
// cleared statePending, looks at the ring again: the ring publishes with a
// release store, which may reach the dispatcher's core after the producer's
// PublishEvent has read the flag (the test hook makes the read end lag, as
// such a store does). Nobody sends a token for that event; the dispatcher
// must notice the claimed, unreadable ID (NextID above the read end) and
// look again by itself.
func TestWakeupPublishNotYetVisible(t *testing.T) {
	r, es := newStreaming(t, 16, 0, WithLogger(quietLogger()))
	var mu sync.Mutex
	fired, hide := false, false
	es.testHookPark = func(step parkStep) {
		mu.Lock()
		defer mu.Unlock()
		if fired || step != parkClearing || len(es.wake) > 0 ||
			es.state.Load() != stateStreams|statePending {
			return
		}
		fired, hide = true, true
		ev := rec(r.NextID())
		r.Add(ev)
		es.PublishEvent(ev) // sees statePending: no token
	}
	es.testHookRecheckEnd = func(end uint64) uint64 {
		mu.Lock()
		defer mu.Unlock()
		if hide {
			hide = false
			return end - 1 // the producer's publish has not arrived yet
		}
		return end
	}
	s := es.CreateEventStream("w", 0)
	untilFired(es, &mu, &fired)
	assert.Equal(t, []uint64{0}, receive(t, s, 1))
}

// untilFired wakes the dispatcher again and again, so that it parks again
// and again, until the test's park hook has fired (*fired, guarded by mu,
// which the hook holds while it runs).
func untilFired(es *EventStreaming, mu *sync.Mutex, fired *bool) {
	for {
		mu.Lock()
		if *fired {
			mu.Unlock()
			return
		}
		es.signal()
		mu.Unlock()
		time.Sleep(time.Millisecond)
	}
}
