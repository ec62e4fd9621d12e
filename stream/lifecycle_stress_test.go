package stream

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/ring"
)

// lcStream is one stream of TestLifecycleUnderLoad, as its reader saw it.
type lcStream struct {
	plain  *EventStream
	ids    *IDStream
	from   uint64 // CreateEventStreamFrom's fromID, clamped as documented
	fromOK bool   // from is the first ID the stream owes
	mode   int    // what its reader does (see the test)
	recs   []*si.EventRecord
	items  []Item
	// removed: RemoveEventStream or RemoveIDStream was called on it.
	removed atomic.Bool
	done    chan struct{}
}

func (s *lcStream) reason() CloseReason {
	if s.plain != nil {
		return s.plain.CloseReason()
	}
	return s.ids.CloseReason()
}

func (s *lcStream) remove(es *EventStreaming) {
	s.removed.Store(true)
	if s.plain != nil {
		es.RemoveEventStream(s.plain)
	} else {
		es.RemoveIDStream(s.ids)
	}
}

// Reader modes.
const (
	lcRead       = iota // reads everything
	lcNeverRead         // never reads until the stream has ended
	lcSelfRemove        // removes its own stream (twice) after a few items, then drains
	lcRemoved           // another goroutine removes the stream, twice
	lcModes
)

// read runs the stream's reader until its channel closes.
func (s *lcStream) read(es *EventStreaming) {
	defer close(s.done)
	if s.mode == lcNeverRead {
		for s.reason() == ReasonOpen {
			time.Sleep(100 * time.Microsecond)
		}
	}
	n := 0
	step := func() {
		n++
		if s.mode == lcSelfRemove && n == 3 {
			s.remove(es) // from the goroutine that reads the channel
			s.remove(es)
		}
	}
	if s.plain != nil {
		for ev := range s.plain.Events {
			s.recs = append(s.recs, ev)
			step()
		}
		return
	}
	for it := range s.ids.Items {
		s.items = append(s.items, it)
		step()
	}
}

// TestLifecycleUnderLoad runs the whole API at once on a ring of 8 with
// queues of 4 (and on a larger one): two producers (Add and AddBatch, so the ring has holes) that go on
// until after Close, streams of every kind created while the ring laps them
// (counts and fromIDs below the lowest ID held, above the next ID, larger
// than the ring), readers that read, never read, remove their own stream
// twice, or have it removed twice by someone else; then Close while the
// dispatcher delivers, and Close again. Every stream must hold one ordered
// run of events with no duplicate, every missing ID in a gap item (streams
// with IDs) or before its first item; it ends with the reason its reader
// caused or ReasonSlow (counted) or ReasonClosed, and has ended, its goroutine
// gone, when Close returns; the counters agree with what the readers
// received; no goroutine is left.
func TestLifecycleUnderLoad(t *testing.T) {
	for _, size := range []struct{ ring, queue int }{{8, 4}, {512, 256}} {
		t.Run(fmt.Sprintf("ring %d queue %d", size.ring, size.queue), func(t *testing.T) {
			lifecycleUnderLoad(t, uint64(size.ring), size.queue)
		})
	}
	goleak.VerifyNone(t)
}

func lifecycleUnderLoad(t *testing.T, capacity uint64, queue int) {
	r := ring.New(capacity)
	es := NewEventStreaming(r, WithQueueSize(queue), WithLogger(quietLogger()))

	var idOfRec sync.Map // *si.EventRecord -> its ID
	stopProducers := testutil.Loop(
		func() {
			ev := &si.EventRecord{}
			idOfRec.Store(ev, r.Add(ev))
			es.PublishEvent(ev)
			time.Sleep(5 * time.Microsecond)
		},
		func() {
			evs := []*si.EventRecord{{}, {}, {}}
			first, _ := r.AddBatch(evs)
			for i, ev := range evs {
				idOfRec.Store(ev, first+uint64(i))
			}
			es.PublishEvent(evs[2])
			time.Sleep(20 * time.Microsecond)
		},
	)
	producersStopped := false
	defer func() {
		if !producersStopped {
			stopProducers()
		}
	}()

	rng := rand.New(rand.NewPCG(3, 5))
	counts := []uint64{0, 1, 5, 8, 9, 100, math.MaxUint64}
	var streams []*lcStream
	for i := range 120 {
		s := &lcStream{mode: rng.IntN(lcModes), done: make(chan struct{})}
		switch i % 3 {
		case 0:
			s.plain = es.CreateEventStream("plain", counts[rng.IntN(len(counts))])
		case 1:
			s.ids = es.CreateRecentEventStream("recent", counts[rng.IntN(len(counts))])
			s.fromOK = false
		default:
			next := r.NextID()
			switch rng.IntN(3) {
			case 0:
				s.from = 0 // below the lowest ID held
			case 1:
				s.from = next - min(next, uint64(rng.IntN(12)))
			default:
				s.from = next + 1 + uint64(rng.IntN(1000)) // beyond the next ID
			}
			s.fromOK = s.from <= next
			s.ids = es.CreateEventStreamFrom("from", s.from)
		}
		go s.read(es)
		if s.mode == lcRemoved {
			delay := time.Duration(rng.IntN(200)) * time.Microsecond
			go func() {
				time.Sleep(delay)
				s.remove(es)
				s.remove(es)
			}()
		}
		streams = append(streams, s)
		if i%10 == 9 {
			_ = es.GetEventStreams()
			_ = es.Stats()
		}
		time.Sleep(time.Duration(rng.IntN(300)) * time.Microsecond)
	}
	es.Close() // producers still running: the dispatcher may be delivering
	for i, s := range streams {
		// Close returns once every stream's goroutine has exited, those
		// being removed or cut off meanwhile included.
		var c *consumer
		if s.plain != nil {
			c = s.plain.consumer
		} else {
			c = s.ids.consumer
		}
		require.True(t, exited(c), "stream %d: goroutine running after Close (%v)", i, s.reason())
		require.NotEqual(t, ReasonOpen, s.reason(), "stream %d open after Close", i)
	}
	es.Close()
	stopProducers()
	producersStopped = true
	es.PublishEvent(nil)

	idOf := func(ev *si.EventRecord) uint64 {
		v, ok := idOfRec.Load(ev)
		require.True(t, ok, "a record no producer added")
		return v.(uint64)
	}
	slow, created, received := 0, 0, uint64(0)
	for i, s := range streams {
		select {
		case <-s.done:
		case <-time.After(failAfter):
			require.FailNow(t, "stream not closed after Close", "stream %d", i)
		}
		created++
		reason := s.reason()
		switch reason {
		case ReasonSlow:
			slow++
		case ReasonRemoved:
			assert.True(t, s.removed.Load(), "stream %d: removed, but nobody removed it", i)
		case ReasonClosed:
		default:
			require.FailNow(t, "stream open after Close", "stream %d: %v", i, reason)
		}
		if s.plain != nil {
			for k := 1; k < len(s.recs); k++ {
				require.Equal(t, idOf(s.recs[k-1])+1, idOf(s.recs[k]), "stream %d (%v) record %d", i, reason, k)
			}
			received += uint64(len(s.recs))
			continue
		}
		next := s.from
		for k, it := range s.items {
			if k == 0 && !s.fromOK {
				next = it.ID // where a recent or clamped stream begins is not known here
			}
			require.Equal(t, next, it.ID, "stream %d (%v) item %d: out of order, twice or skipped", i, reason, k)
			if it.IsGap() {
				require.Nil(t, it.Record)
				next += it.Missing
				continue
			}
			require.Equal(t, it.ID, idOf(it.Record), "stream %d item %d: not the record of its ID", i, k)
			next++
			received++
		}
	}
	st := es.Stats()
	assert.Equal(t, uint64(slow), st.StreamsRemovedSlow, "cuts counted")
	assert.Equal(t, uint64(created), st.StreamsCreated)
	assert.Equal(t, received, st.EventsDelivered, "events delivered are the events received")
	assert.Zero(t, st.Streams)
	t.Logf("%d streams, %d cut off, %d events received", created, slow, received)
}
