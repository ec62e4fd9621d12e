package system

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/stream"
)

// TestStressTinyCapacities runs producers against a tiny history and store
// while the control plane resizes both, restarts and closes streams, a plugin
// receives batches and streams read. It checks conservation: every record
// given to AddEvent is accepted or counted as rejected; every accepted record
// is stored or counted as not stored; every stored record is sent at most
// once and is either sent or still waiting; batches, history reads and
// streams keep each producer's order; a stream that ends early says why.
func TestStressTinyCapacities(t *testing.T) {
	const producers, perProducer = 4, 4000
	plugin := &recordingPlugin{}
	cfg, _ := pushingConfig(plugin, 100*time.Microsecond)
	cfg.RingBufferCapacity = 8
	cfg.RequestCapacity = 4
	cfg.StreamQueueSize = 4
	sys := New(cfg)
	sys.StartService()

	produced := startProducers(sys, producers, perProducer, 4) // let pushes and streams interleave

	var failures atomic.Int64 // order violations seen by readers
	rng := rand.New(rand.NewPCG(7, 7))
	control := func() { // control plane
		next := cfg
		next.RingBufferCapacity = 1 + rng.Uint64N(16)
		next.RequestCapacity = rng.Uint64N(8) + 1
		next.TrackingEnabled = rng.IntN(2) == 0
		switch rng.IntN(40) {
		case 0:
			sys.Restart()
		case 1:
			sys.CloseAllStreams()
		default:
			sys.Reconfigure(next)
		}
		runtime.Gosched()
	}
	streamReader := func() {
		s := sys.CreateEventStream("stress", 4)
		order := producerOrder{}
		for ev := range s.Events {
			if !order.follows(ev) {
				failures.Add(1)
			}
		}
		if s.CloseReason() == stream.ReasonOpen {
			failures.Add(1) // closed without a reason
		}
	}
	historyReader := func() {
		evs, _, _ := sys.GetEventsFromID(sys.history.GetLowestID(), 16)
		order := producerOrder{}
		for _, ev := range evs {
			if !order.follows(ev) {
				failures.Add(1)
			}
		}
	}
	stop := testutil.Loop(control, streamReader, streamReader, historyReader)

	produced()
	// Readers block on their streams: Stop closes them.
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	for {
		sys.CloseAllStreams()
		select {
		case <-done:
		case <-time.After(time.Millisecond):
			continue
		}
		break
	}
	sys.StartService()
	sys.Stop()
	goleak.VerifyNone(t)
	assert.Zero(t, failures.Load(), "order violations or closes without reason")

	m := sys.Metrics()
	t.Logf("%+v", m)
	require.Equal(t, uint64(producers*perProducer), m.Created)
	assert.Equal(t, m.Created, m.Channeled+m.NotChanneled)
	assert.Equal(t, m.Channeled, m.Processed)
	assert.Equal(t, m.Channeled, m.Stored+m.NotStored)

	sent := plugin.events()
	assert.Equal(t, m.Collected, uint64(len(sent)))
	rest := sys.Store.CollectEvents()
	assert.Equal(t, m.Stored, uint64(len(sent)+len(rest)), "stored = sent + still waiting")
	seen := make(map[*si.EventRecord]bool, len(sent))
	order := producerOrder{}
	for _, ev := range append(sent, rest...) {
		require.False(t, seen[ev], "sent twice")
		seen[ev] = true
		if !order.follows(ev) {
			p, seq := tagOf(ev)
			require.Fail(t, "out of order across batches", "producer %d's record %d", p, seq)
		}
	}
}

// producerOrder is the last seq seen of each producer (records made by
// tagged).
type producerOrder map[int]int

// follows records ev and reports whether it comes after its producer's
// record seen before, if any.
func (o producerOrder) follows(ev *si.EventRecord) bool {
	p, seq := tagOf(ev)
	prev, seen := o[p]
	o[p] = seq
	return !seen || seq > prev
}
