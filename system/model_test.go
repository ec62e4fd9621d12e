package system

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/require"
)

// systemModel is the obviously correct reference for the single-goroutine
// behaviour of an event system without a plugin: slices and counters.
type systemModel struct {
	state     uint32
	history   []*si.EventRecord // every accepted record; index = event ID
	floor     uint64            // no ID below it is held (raised by a shrink)
	ringCap   uint64
	batch     []*si.EventRecord // the store's current batch
	batchCap  uint64            // its capacity
	storeSize uint64            // capacity of the batch after the next collect
	stored    uint64
	notStored uint64
	rejected  uint64
}

func newSystemModel(cfg Config) *systemModel {
	return &systemModel{ringCap: cfg.RingBufferCapacity, batchCap: cfg.RequestCapacity, storeSize: cfg.RequestCapacity}
}

func (m *systemModel) next() uint64 { return uint64(len(m.history)) }

func (m *systemModel) lowest() uint64 {
	if m.next() <= m.ringCap {
		return m.floor
	}
	return max(m.floor, m.next()-m.ringCap)
}

func (m *systemModel) add(ev *si.EventRecord) {
	if m.state == stateStopped {
		m.rejected++
		return
	}
	m.history = append(m.history, ev)
	if uint64(len(m.batch)) < m.batchCap {
		m.batch = append(m.batch, ev)
		m.stored++
	} else {
		m.notStored++
	}
}

func (m *systemModel) start() { m.state = stateRunning }

func (m *systemModel) stop() {
	if m.state == stateRunning {
		m.state = stateStopped
	}
}

func (m *systemModel) collect() []*si.EventRecord {
	out := m.batch
	m.batch = nil
	m.batchCap = m.storeSize
	return out
}

func (m *systemModel) resizeRing(n uint64) {
	m.floor = m.lowest()
	m.ringCap = n
}

func (m *systemModel) eventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	lowest, highest := uint64(0), uint64(0)
	if m.next() > 0 {
		lowest, highest = m.lowest(), m.next()-1
	}
	if m.next() == 0 || id < lowest || id > highest {
		return nil, lowest, highest
	}
	end := min(highest+1, id+min(count, highest+1-id))
	return m.history[id:end], lowest, highest
}

func (m *systemModel) metrics() Metrics {
	n := m.next()
	return Metrics{
		Created: n + m.rejected, Channeled: n, NotChanneled: m.rejected, Processed: n,
		Stored: m.stored, NotStored: m.notStored,
		HistoryLowestID: m.lowest(), HistoryNextID: n, HistoryCapacity: m.ringCap,
		StoreWaiting: uint64(len(m.batch)), StoreCapacity: m.storeSize,
	}
}

// TestSystemAgainstModel drives a system and the model with the same random
// operations from one goroutine and compares every observable result.
func TestSystemAgainstModel(t *testing.T) {
	unregisterPluginAfter(t)
	SetEventPlugin(nil) // no plugin: collects are only the test's own
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 42))
		cfg, _ := quietConfig()
		cfg.RingBufferCapacity = 1 + rng.Uint64N(16)
		cfg.RequestCapacity = 1 + rng.Uint64N(8)
		cfg.PushInterval = time.Hour
		sys := New(cfg)
		m := newSystemModel(cfg)
		tracking := cfg.TrackingEnabled
		for step := 0; step < 400; step++ {
			switch op := rng.IntN(100); {
			case op < 50:
				ev := &si.EventRecord{TimestampNano: int64(step)}
				sys.AddEvent(ev)
				m.add(ev)
			case op < 55:
				sys.StartServiceWithPublisher(rng.IntN(2) == 0)
				m.start()
			case op < 60:
				sys.Stop()
				m.stop()
			case op < 63:
				sys.Restart()
				m.stop()
				m.start()
			case op < 72:
				require.Equal(t, m.collect(), sys.Store.CollectEvents(), "seed %d step %d: collect", seed, step)
			case op < 77:
				next := sys.Config()
				next.RingBufferCapacity = 1 + rng.Uint64N(16)
				next.RequestCapacity = 1 + rng.Uint64N(8)
				if rng.IntN(3) == 0 {
					tracking = !tracking
					next.TrackingEnabled = tracking
				}
				sys.Reconfigure(next)
				m.resizeRing(next.RingBufferCapacity)
				m.storeSize = next.RequestCapacity
			default:
				id := rng.Uint64N(m.next() + 3)
				count := rng.Uint64N(20)
				wantEvs, wantLo, wantHi := m.eventsFromID(id, count)
				gotEvs, gotLo, gotHi := sys.GetEventsFromID(id, count)
				require.Equal(t, len(wantEvs), len(gotEvs), "seed %d step %d: GetEventsFromID(%d, %d)", seed, step, id, count)
				for i := range wantEvs {
					require.Same(t, wantEvs[i], gotEvs[i], "seed %d step %d", seed, step)
				}
				require.Equal(t, wantLo, gotLo, "seed %d step %d: lowest", seed, step)
				require.Equal(t, wantHi, gotHi, "seed %d step %d: highest", seed, step)
			}
			require.Equal(t, m.metrics(), sys.Metrics(), "seed %d step %d: metrics", seed, step)
			require.Equal(t, tracking, sys.IsEventTrackingEnabled())
			require.Equal(t, uint64(len(m.batch)), sys.Store.CountStoredEvents(), "seed %d step %d: waiting", seed, step)
		}
		sys.Stop()
	}
}
