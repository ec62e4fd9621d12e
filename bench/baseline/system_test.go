package baseline

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/stream"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// countingPlugin counts the events it is sent and keeps them.
type countingPlugin struct {
	mu     sync.Mutex
	events []*si.EventRecord
}

func (p *countingPlugin) SendEvent(batch []*si.EventRecord) {
	p.mu.Lock()
	p.events = append(p.events, batch...)
	p.mu.Unlock()
}

func (p *countingPlugin) got() []*si.EventRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*si.EventRecord(nil), p.events...)
}

// waitProcessed waits until the handler has processed every accepted event.
func waitProcessed(t *testing.T, s *System) Metrics {
	t.Helper()
	var m Metrics
	require.Eventually(t, func() bool {
		m = s.Metrics()
		return m.Processed == m.Channeled
	}, 10*time.Second, time.Millisecond)
	return m
}

func TestSystemLifecycle(t *testing.T) {
	p := &countingPlugin{}
	cfg := DefaultConfig()
	cfg.Plugin = p
	cfg.PushInterval = time.Hour
	s := New(cfg)
	s.Stop() // before any start: no-op, no deadlock
	s.AddEvent(nil)
	s.AddEvent(rec(0)) // before the first start: kept
	s.StartService()
	s.StartService() // twice: no-op
	s.AddEvent(rec(1))
	waitProcessed(t, s)
	s.Stop()
	s.Stop()
	s.AddEvent(rec(2)) // after Stop: rejected
	m := s.Metrics()
	assert.Equal(t, uint64(2), m.Created)
	assert.Equal(t, uint64(1), m.Rejected)
	assert.Equal(t, uint64(2), m.Collected, "Stop sends one last batch")
	s.Restart()
	s.AddEvent(rec(3))
	waitProcessed(t, s)
	s.Stop()
	got := p.got()
	require.Len(t, got, 3)
	for i, want := range []string{"0", "1", "3"} {
		assert.Equal(t, want, got[i].ObjectID)
	}
	evs, lo, hi := s.GetEventsFromID(0, 10)
	assert.Len(t, evs, 3)
	assert.Equal(t, [2]uint64{0, 2}, [2]uint64{lo, hi})
	assert.Equal(t, uint64(1000), s.GetRequestCapacity())
	assert.Equal(t, uint64(100000), s.GetRingBufferCapacity())
	assert.True(t, s.IsEventTrackingEnabled())
}

// TestSystemDropsWhenChannelFull shows the design's loss: with the handler
// not running, a channel of 3 accepts 3 events and drops the rest, counted.
func TestSystemDropsWhenChannelFull(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ChannelCapacity = 3
	s := New(cfg)
	for i := 0; i < 10; i++ {
		s.AddEvent(rec(uint64(i)))
	}
	m := s.Metrics()
	assert.Equal(t, uint64(10), m.Created)
	assert.Equal(t, uint64(3), m.Channeled)
	assert.Equal(t, uint64(7), m.NotChanneled)
	s.StartServiceWithPublisher(false)
	m = waitProcessed(t, s)
	assert.Equal(t, uint64(3), m.Processed)
	assert.Equal(t, uint64(3), s.Store.CountStoredEvents())
	s.Stop()
}

// TestSystemConservation: many producers with tiny store and stream
// capacities; afterwards every accepted event went through history, the store
// and the plugin account for all of them, and every stream got a gap-free,
// in-order prefix of history (it joined before the first event) and was
// closed: cut off as slow, or by Stop.
func TestSystemConservation(t *testing.T) {
	p := &countingPlugin{}
	const producers, perProducer = 4, 2000
	cfg := Config{RequestCapacity: 5, RingBufferCapacity: producers * perProducer, ChannelCapacity: 50,
		StreamQueueSize: 4, PushInterval: time.Millisecond, Plugin: p}
	s := New(cfg)
	s.StartService()

	const streams = 4
	got := make([][]*si.EventRecord, streams)
	hs := make([]*stream.EventStream, streams)
	for i := range hs {
		hs[i] = s.CreateEventStream("s"+strconv.Itoa(i), 3)
	}
	reading := testutil.Start(streams, func(i int) {
		for ev := range hs[i].Events {
			got[i] = append(got[i], ev)
			if i == 0 {
				time.Sleep(10 * time.Microsecond) // a slow consumer
			}
		}
	})

	producing := testutil.Start(producers, func(w int) {
		for i := 0; i < perProducer; i++ {
			s.AddEvent(&si.EventRecord{ObjectID: strconv.Itoa(w*perProducer + i)})
		}
	})
	// A concurrent history reader: never more than asked for.
	stopRead := testutil.Loop(func() {
		evs, _, _ := s.GetEventsFromID(s.History().GetLowestID(), 5)
		assert.LessOrEqual(t, len(evs), 5)
	})
	producing()
	m := waitProcessed(t, s)
	stopRead()
	assert.Equal(t, uint64(producers*perProducer), m.Created)
	assert.Equal(t, m.Created, m.Channeled+m.NotChanneled)
	assert.Equal(t, m.Processed, s.History().NextID(), "every accepted event went through history")

	s.Stop()
	reading()
	m = s.Metrics()
	assert.Equal(t, m.Processed, m.Stored+m.NotStored)
	assert.Equal(t, m.Stored, m.Collected, "Stop sends the last batch")
	assert.Len(t, p.got(), int(m.Collected))
	assert.Empty(t, s.GetEventStreams(), "Stop closes every stream")

	history, _, _ := s.GetEventsFromID(0, m.Processed)
	require.Len(t, history, int(m.Processed))
	for i, evs := range got {
		require.LessOrEqual(t, len(evs), len(history))
		for k, ev := range evs {
			require.Same(t, history[k], ev, "stream %d, position %d: gap, duplicate or reorder", i, k)
		}
	}
}

func TestStreamHistoryAndRemove(t *testing.T) {
	s := New(Config{StreamQueueSize: 3})
	for i := 0; i < 5; i++ {
		s.AddEvent(rec(uint64(i)))
	}
	s.StartServiceWithPublisher(false)
	waitProcessed(t, s)
	h := s.CreateEventStream("h", 10) // more than a queue's worth: capped
	require.Len(t, s.GetEventStreams(), 1)
	assert.Equal(t, "h", s.GetEventStreams()[0].Name)
	s.AddEvent(rec(5))
	var ids []string
	for len(ids) < 4 {
		ids = append(ids, (<-h.Events).ObjectID)
	}
	assert.Equal(t, []string{"2", "3", "4", "5"}, ids)
	s.RemoveStream(h)
	s.RemoveStream(h)
	s.RemoveStream(nil)
	s.RemoveStream(&stream.EventStream{})
	_, open := <-h.Events
	assert.False(t, open)
	assert.Empty(t, s.GetEventStreams())
	s.Stop()
}

func TestStreamingClose(t *testing.T) {
	st := NewStreaming(NewRing(4), 0)
	h := st.CreateEventStream("a", 0)
	st.Close()
	_, open := <-h.Events
	assert.False(t, open)
	late := st.CreateEventStream("late", 1)
	require.NotNil(t, late)
	_, open = <-late.Events
	assert.False(t, open, "created after Close: already closed")
	st.Publish(0, rec(0))
	st.Close()
}
