package system

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

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
	cfg, _ := quietConfig()
	cfg.RingBufferCapacity = 8
	cfg.RequestCapacity = 4
	cfg.PushInterval = 100 * time.Microsecond
	cfg.StreamQueueSize = 4
	cfg.Plugin = plugin
	sys := New(cfg)
	sys.StartService()

	var produced sync.WaitGroup
	startProducers(&produced, sys, producers, perProducer, 4) // let pushes and streams interleave

	stop := make(chan struct{})
	var background sync.WaitGroup
	var failures atomic.Int64 // order violations seen by readers
	background.Add(1)
	go func() { // control plane
		defer background.Done()
		rng := rand.New(rand.NewPCG(7, 7))
		for {
			select {
			case <-stop:
				return
			default:
			}
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
	}()
	for r := 0; r < 2; r++ { // stream readers
		background.Add(1)
		go func() {
			defer background.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := sys.CreateEventStream("stress", 4)
				last := make(map[int]int)
				for ev := range s.Events {
					p, seq := tagOf(ev)
					if prev, ok := last[p]; ok && seq <= prev {
						failures.Add(1)
					}
					last[p] = seq
				}
				if s.CloseReason() == stream.ReasonOpen {
					failures.Add(1) // closed without a reason
				}
			}
		}()
	}
	background.Add(1)
	go func() { // history reader
		defer background.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			evs, _, _ := sys.GetEventsFromID(sys.history.GetLowestID(), 16)
			last := make(map[int]int)
			for _, ev := range evs {
				p, seq := tagOf(ev)
				if prev, ok := last[p]; ok && seq <= prev {
					failures.Add(1)
				}
				last[p] = seq
			}
		}
	}()

	produced.Wait()
	close(stop)
	// Readers block on their streams: Stop closes them.
	done := make(chan struct{})
	go func() { background.Wait(); close(done) }()
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
	last := make(map[int]int)
	for _, ev := range append(sent, rest...) {
		require.False(t, seen[ev], "sent twice")
		seen[ev] = true
		p, seq := tagOf(ev)
		if prev, ok := last[p]; ok {
			require.Greater(t, seq, prev, "producer %d out of order across batches", p)
		}
		last[p] = seq
	}
}
