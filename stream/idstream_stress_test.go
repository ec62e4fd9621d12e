package stream

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/ring"
)

// idReader collects what an IDStream delivers.
type idReader struct {
	s     *IDStream
	start uint64 // the first ID the stream owes (fromID, clamped)
	// firstMax: the stream may begin anywhere in [start, firstMax] (a
	// fromID beyond the next ID is clamped to the next ID at creation,
	// which the test does not know exactly); it owes every ID from
	// firstMax on.
	firstMax uint64
	keep     func(uint64) bool
	slowly   bool
	mu       sync.Mutex
	items    []Item
	done     chan struct{}
}

func (r *idReader) read() {
	defer close(r.done)
	for it := range r.s.Items {
		r.mu.Lock()
		r.items = append(r.items, it)
		r.mu.Unlock()
		if r.slowly {
			runtime.Gosched()
		}
	}
}

func (r *idReader) snapshot() []Item {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Item(nil), r.items...)
}

// end is the ID after the last item received (start when none).
func (r *idReader) end() uint64 {
	items := r.snapshot()
	if len(items) == 0 {
		return r.start
	}
	last := items[len(items)-1]
	return last.ID + max(last.Missing, 1)
}

// TestIDStreamStress opens streams from random IDs, with and without
// filters, on a tiny ring with tiny queues while a producer runs, removes
// some, and checks every stream's items: in ID order from the ID it was
// opened at, each record the event of its ID, every ID either delivered, in a
// gap item, or rejected by the filter, none twice; a stream still open at the
// end has every event it wants; cuts are counted.
func TestIDStreamStress(t *testing.T) {
	const total = 20000
	rng := rand.New(rand.NewPCG(7, 11))
	r := ring.New(1024)
	es := NewEventStreaming(r, WithQueueSize(256), WithLogger(quietLogger()))
	producerDone := make(chan struct{})
	go func() {
		defer close(producerDone)
		for i := 0; i < total; i++ {
			add(r, es, 1)
			if i%16 == 0 {
				time.Sleep(20 * time.Microsecond) // paced: most readers keep up
			}
		}
	}()
	var readers []*idReader
	for i := 0; i < 60; i++ {
		next := r.NextID()
		from := next - min(next, uint64(rng.IntN(2000)))
		if i%7 == 3 {
			from = next + uint64(rng.IntN(5)) // at or beyond the next ID
		}
		rd := &idReader{start: min(from, next), firstMax: from, slowly: i%3 == 0, done: make(chan struct{})}
		var opts []StreamOption
		if mod := uint64(i%4 + 1); mod > 1 {
			rd.keep = func(id uint64) bool { return id%mod == 0 }
			opts = append(opts, WithFilter(func(ev *si.EventRecord) bool { return idOf(ev)%mod == 0 }))
		} else {
			rd.keep = func(uint64) bool { return true }
		}
		rd.s = es.CreateEventStreamFrom("stress", from, opts...)
		go rd.read()
		readers = append(readers, rd)
		if i%9 == 8 {
			es.RemoveIDStream(readers[rng.IntN(len(readers))].s)
		}
		time.Sleep(time.Duration(rng.IntN(300)) * time.Microsecond)
	}
	<-producerDone

	// Open streams must reach the last event they want.
	deadline := time.Now().Add(failAfter)
	for i, rd := range readers {
		for rd.s.CloseReason() == ReasonOpen {
			lastWanted := uint64(total - 1)
			for !rd.keep(lastWanted) {
				lastWanted--
			}
			if rd.end() > lastWanted {
				break
			}
			require.False(t, time.Now().After(deadline), "stream %d stalled at %d", i, rd.end())
			time.Sleep(time.Millisecond)
		}
	}
	es.Close()

	slow := 0
	for i, rd := range readers {
		<-rd.done
		if rd.s.CloseReason() == ReasonSlow {
			slow++
		}
		items := rd.snapshot()
		next := rd.start // the lowest ID not yet accounted for
		for k, it := range items {
			require.GreaterOrEqual(t, it.ID, next, "stream %d item %d: out of order or twice", i, k)
			if k == 0 {
				// Where a clamped stream began is unknown up to
				// firstMax; with a filter, its first item can come
				// after firstMax, and the IDs before it from firstMax
				// on are still owed.
				next = min(it.ID, rd.firstMax)
			}
			for id := next; id < it.ID; id++ {
				require.False(t, rd.keep(id), "stream %d: ID %d skipped silently", i, id)
			}
			if it.IsGap() {
				assert.Nil(t, it.Record)
				next = it.ID + it.Missing
				continue
			}
			require.NotNil(t, it.Record)
			require.Equal(t, it.ID, idOf(it.Record), "stream %d: record is not the event of its ID", i)
			require.True(t, rd.keep(it.ID), "stream %d: the filter rejected %d", i, it.ID)
			next = it.ID + 1
		}
	}
	assert.Equal(t, uint64(slow), es.Stats().StreamsRemovedSlow)
}
