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

// TestStressAddEvents: producers add batches (each with a nil entry
// somewhere) while the ring and the store are resized and the store is
// collected; each batch is in history under consecutive IDs in slice order,
// and every event is in exactly one collected batch or counted as not
// stored. With a small history, each read checks the newest events; with
// one resized between sizes that hold every event, the last read checks
// every batch.
func TestStressAddEvents(t *testing.T) {
	const producers, batches, size = 4, 1000, 6
	const total = producers * batches * size
	for _, tc := range []struct {
		name     string
		ring     func(i uint64) uint64
		keepsAll bool
	}{
		{"small history", func(i uint64) uint64 { return 1 + i*8%100 }, false},
		{"history holds all", func(i uint64) uint64 { return total + i*1000%total }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sys := New(Config{RingBufferCapacity: tc.ring(0), RequestCapacity: 32})
			produced := testutil.Start(producers, func(p int) {
				for i := 0; i < batches; i++ {
					batch := make([]*si.EventRecord, 0, size+1)
					for k := 0; k < size; k++ {
						if k == i%size {
							batch = append(batch, nil)
						}
						batch = append(batch, &si.EventRecord{ObjectID: "p", ReferenceID: string(rune('a' + p)), TimestampNano: int64(i*size + k)})
					}
					sys.AddEvents(batch)
				}
			})
			i := uint64(0)
			reconfigure := func() {
				i++
				sys.Reconfigure(Config{RingBufferCapacity: tc.ring(i), RequestCapacity: 4 + i%60})
			}
			collected := map[*si.EventRecord]int{}
			checked := 0
			collect := func() {
				for _, ev := range sys.Store.CollectEvents() {
					collected[ev]++
				}
				evs, lowest, _ := sys.GetEventsFromID(sys.history.GetLowestID(), math.MaxUint64)
				checkBatches(t, evs, lowest, size)
				checked = len(evs)
			}
			stop := testutil.Loop(reconfigure, collect)
			produced()
			stop()
			collect() // the last batch, and one history check even if the loop never ran
			if tc.keepsAll {
				require.Equal(t, total, checked, "the last read checked every batch")
			}
			for ev, n := range collected {
				require.Equal(t, 1, n, "event %v collected %d times", ev, n)
			}
			m := sys.Metrics()
			assert.Equal(t, uint64(total), m.Channeled)
			assert.Equal(t, m.Channeled, m.Stored+m.NotStored)
			assert.Equal(t, m.Stored, uint64(len(collected)))
		})
	}
}

// checkBatches checks a read of history (evs[i] has ID lowest+i) whose
// records carry their producer in ReferenceID and, in TimestampNano, their
// batch (TimestampNano/size) and their place in it (TimestampNano%size):
// any two records of one batch lie as far apart in history as in the batch,
// so no other record landed in between and the order is the batch's.
func checkBatches(t *testing.T, evs []*si.EventRecord, lowest uint64, size int64) {
	t.Helper()
	type batchKey struct {
		producer string
		batch    int64
	}
	first := map[batchKey]int64{} // the ID the batch's place 0 has, from its first record seen
	for i, ev := range evs {
		id := int64(lowest) + int64(i)
		k := batchKey{ev.ReferenceID, ev.TimestampNano / size}
		at := ev.TimestampNano % size
		if f, ok := first[k]; ok {
			require.Equal(t, f+at, id, "record %d of batch %v at ID %d: batch interleaved or out of order", at, k, id)
			continue
		}
		first[k] = id - at
	}
}

func objectIDs(evs []*si.EventRecord) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.GetObjectID()
	}
	return out
}
