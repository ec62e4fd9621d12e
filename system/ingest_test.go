package system

import (
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/testutil"
)

func TestAddEvents(t *testing.T) {
	sys := New(Config{RequestCapacity: 4, RingBufferCapacity: 16})
	sys.AddEvent(&si.EventRecord{ObjectID: "before"})
	long := strings.Repeat("é", MaxMessageLength)
	batch := []*si.EventRecord{
		{ObjectID: "a"}, nil, {ObjectID: "b", Message: long}, {ObjectID: "c"}, {ObjectID: "d"}, nil,
	}
	sys.AddEvents(batch)
	sys.AddEvents(nil)
	sys.AddEvents([]*si.EventRecord{nil})

	evs, lowest, highest := sys.GetEventsFromID(0, math.MaxUint64)
	assert.Equal(t, uint64(0), lowest)
	assert.Equal(t, uint64(4), highest)
	assert.Equal(t, []string{"before", "a", "b", "c", "d"}, objectIDs(evs))
	assert.LessOrEqual(t, len(batch[2].Message), MaxMessageLength, "cut as by AddEvent")
	assert.True(t, utf8.ValidString(batch[2].Message))

	m := sys.Metrics()
	assert.Equal(t, uint64(5), m.Channeled)
	assert.Equal(t, uint64(4), m.Stored)
	assert.Equal(t, uint64(1), m.NotStored, "the store holds 4")
	assert.Equal(t, []string{"before", "a", "b", "c"}, objectIDs(sys.Store.CollectEvents()))

	sys.StartServiceWithPublisher(false)
	sys.Stop()
	sys.AddEvents(batch)
	m = sys.Metrics()
	assert.Equal(t, uint64(4), m.NotChanneled, "rejected while stopped, nil entries not counted")
	assert.Equal(t, uint64(5), m.Channeled)
}

func TestAddEventsDoesNotAllocate(t *testing.T) {
	sys := New(Config{})
	batch := records(64)
	batch[7] = nil
	allocs := testing.AllocsPerRun(100, func() { sys.AddEvents(batch) })
	assert.Zero(t, allocs)
}

func TestAddEventsStreamsEveryRecord(t *testing.T) {
	sys := New(Config{})
	sys.StartServiceWithPublisher(false)
	defer sys.Stop()
	es := sys.CreateEventStream("s", 0)
	batch := records(10)
	batch[3] = nil
	sys.AddEvents(batch)
	for i, want := range batch {
		if want == nil {
			continue
		}
		select {
		case got := <-es.Events:
			assert.Same(t, want, got, "record %d", i)
		case <-time.After(waitFor):
			t.Fatalf("record %d not streamed", i)
		}
	}
}

// TestStressAddEvents: producers add batches while the ring and the store
// are resized and the store is collected; each batch is in history under
// consecutive IDs in slice order, and every event is in exactly one collected
// batch or counted as not stored.
func TestStressAddEvents(t *testing.T) {
	sys := New(Config{RingBufferCapacity: 64, RequestCapacity: 32})
	const producers, batches, size = 4, 300, 6
	produced := testutil.Start(producers, func(p int) {
		for i := 0; i < batches; i++ {
			batch := make([]*si.EventRecord, size)
			for k := range batch {
				batch[k] = &si.EventRecord{ObjectID: "p", ReferenceID: string(rune('a' + p)), TimestampNano: int64(i*size + k)}
			}
			sys.AddEvents(batch)
		}
	})
	c := uint64(1)
	reconfigure := func() {
		sys.Reconfigure(Config{RingBufferCapacity: c, RequestCapacity: c / 2})
		c = c%100 + 8
	}
	collected := map[*si.EventRecord]int{}
	collect := func() {
		for _, ev := range sys.Store.CollectEvents() {
			collected[ev]++
		}
		evs, lowest, _ := sys.GetEventsFromID(sys.history.GetLowestID(), math.MaxUint64)
		checkBatches(t, evs, lowest, size)
	}
	stop := testutil.Loop(reconfigure, collect)
	produced()
	stop()
	collect() // the last batch, and one history check even if the loop never ran
	for ev, n := range collected {
		require.Equal(t, 1, n, "event %v collected %d times", ev, n)
	}
	m := sys.Metrics()
	assert.Equal(t, uint64(producers*batches*size), m.Channeled)
	assert.Equal(t, m.Channeled, m.Stored+m.NotStored)
	assert.Equal(t, m.Stored, uint64(len(collected)))
}

// checkBatches: within a read, two neighbouring records of one producer's one
// batch are consecutive entries of that batch.
func checkBatches(t *testing.T, evs []*si.EventRecord, _ uint64, size int64) {
	t.Helper()
	for k := 1; k < len(evs); k++ {
		a, b := evs[k-1], evs[k]
		if a.ReferenceID == b.ReferenceID && a.TimestampNano/size == b.TimestampNano/size {
			assert.Equal(t, a.TimestampNano+1, b.TimestampNano, "batch entries interleaved or out of order")
		}
	}
}

func objectIDs(evs []*si.EventRecord) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.GetObjectID()
	}
	return out
}
