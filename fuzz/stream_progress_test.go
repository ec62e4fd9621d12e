package fuzz

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/model"
	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/ring"
	"github.com/lfevents/lfevents/stream"
)

// Operations of FuzzStreamProgress.
const (
	spAdd    = iota // add 1..32 records, each with an object ID of the alphabet
	spFrom          // CreateEventStreamFrom(ID near the window), fuzzed filter and progress
	spRecent        // CreateRecentEventStream(count), fuzzed filter and progress
	spRead          // take what has arrived on one stream, up to a fuzzed number of items
	spRemove        // RemoveIDStream of one stream
	spResize        // Resize the ring
	spYield         // runtime.Gosched
	spFlood         // add 256..767 records of one object ID, yielding every 64
	spOpCount
)

// spDrainWithin bounds the wait for a closed stream's last items: only a
// stream that never closes fails on it.
const spDrainWithin = 20 * time.Second

// spObjects is the alphabet of object IDs; a filter is a subset of it.
var spObjects = [...]string{"a", "b", "c", "d"}

// spStream is one stream of the run and what its reader got.
type spStream struct {
	s        *stream.IDStream
	keep     [len(spObjects)]bool // the filter; all true without one
	filtered bool
	progress bool
	from     uint64 // first ID a stream from an ID may deliver (recent: 0, not known)
	items    []stream.Item
}

// FuzzStreamProgress runs one producer and a fuzzed schedule of streams with
// IDs over a small ring (filtered or not, with progress items or not, read
// eagerly, late or never, removed, the ring resized), closes the streaming,
// and checks every stream's items: IDs in increasing order (a gap covers
// its Missing IDs, a progress item its ID); each event is the record added
// under its ID and one its filter keeps; progress items only on a filtered
// stream that asked for them; and no silent loss: every ID its filter keeps,
// from the stream's first item to the newest ID any item covered, was
// delivered or lies in a gap. A progress item therefore promises that every
// kept ID up to it was delivered (or reported missing).
func FuzzStreamProgress(f *testing.F) {
	f.Add([]byte{8, 1, spFrom, 0, 0x17, 1, spAdd, 31, 1, spRead, 0, 200, spAdd, 31, 2})
	f.Add([]byte{255, 63, 9, spFrom, 0, 0x11, 1, spAdd, 3, 0, spFlood, 1, 200, spYield, spRead, 0, 255, spFlood, 0, 10})
	f.Add([]byte{2, 4, spRecent, 5, 3, 1, spAdd, 31, 0, spAdd, 31, 3, spYield, spRead, 0, 255})
	f.Add([]byte{16, 0, spFrom, 1, 1, 1, spFrom, 2, 0, 0, spAdd, 31, 1, spResize, 3, spAdd, 31, 2, spRemove, 1})
	f.Fuzz(runStreamProgress)
}

// runStreamProgress is one execution of FuzzStreamProgress.
func runStreamProgress(t *testing.T, data []byte) {
	{
		o := model.NewOps(data)
		r := ring.New(o.Capacity())
		es := stream.NewEventStreaming(r, stream.WithQueueSize(o.Intn(33)),
			stream.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		closed := false
		defer func() {
			if !closed {
				es.Close()
			}
		}()
		var recs []*si.EventRecord // by ID
		var streams []*spStream
		open := func(from bool) {
			st := &spStream{}
			mask := o.Byte()
			st.filtered = mask&0x10 != 0 // keeps the objects of bits 0..3, maybe none
			for i := range spObjects {
				st.keep[i] = !st.filtered || mask&(1<<i) != 0
			}
			st.progress = o.Bool()
			var opts []stream.StreamOption
			if st.filtered {
				keep := st.keep
				opts = append(opts, stream.WithFilter(func(ev *si.EventRecord) bool {
					return keep[ev.ObjectID[0]-'a']
				}))
			}
			if st.progress {
				opts = append(opts, stream.WithProgress())
			}
			name := fmt.Sprint("s", len(streams))
			if from {
				st.from = o.IDNear(r.GetLowestID(), r.NextID())
				st.s = es.CreateEventStreamFrom(name, st.from, opts...)
				st.from = min(st.from, r.NextID())
			} else {
				st.s = es.CreateRecentEventStream(name, o.Count(), opts...)
			}
			streams = append(streams, st)
		}
		for !o.Done() {
			switch o.Intn(spOpCount) {
			case spAdd:
				for range 1 + o.Intn(32) {
					ev := &si.EventRecord{ObjectID: spObjects[o.Intn(len(spObjects))], TimestampNano: int64(len(recs))}
					id := r.Add(ev)
					require.Equal(t, uint64(len(recs)), id, "one producer: IDs dense")
					recs = append(recs, ev)
					es.PublishEvent(ev)
				}
			case spFrom:
				open(true)
			case spRecent:
				open(false)
			case spRead:
				if len(streams) > 0 {
					st := streams[o.Intn(len(streams))]
					for n := o.Intn(256); n > 0; n-- {
						select {
						case it, ok := <-st.s.Items:
							if !ok {
								n = 0
								continue
							}
							st.items = append(st.items, it)
						default:
							n = 0
						}
					}
				}
			case spRemove:
				if len(streams) > 0 {
					es.RemoveIDStream(streams[o.Intn(len(streams))].s)
				}
			case spResize:
				r.Resize(o.Capacity())
			case spYield:
				runtime.Gosched()
			case spFlood:
				obj := spObjects[o.Intn(len(spObjects))]
				for k := range 256 + 2*int(o.Byte()) {
					ev := &si.EventRecord{ObjectID: obj, TimestampNano: int64(len(recs))}
					r.Add(ev)
					recs = append(recs, ev)
					es.PublishEvent(ev)
					if k%64 == 63 {
						runtime.Gosched()
					}
				}
			}
		}
		// Let the streams catch up a little, then end them all and take
		// the rest of each.
		runtime.Gosched()
		es.Close()
		closed = true
		for i, st := range streams {
			rest, ok := testutil.Drain(st.s.Items, spDrainWithin)
			require.True(t, ok, "stream %d not closed", i)
			st.items = append(st.items, rest...)
			checkProgressStream(t, i, st, recs)
		}
	}
}

// checkProgressStream checks the items of stream i (see FuzzStreamProgress).
func checkProgressStream(t *testing.T, i int, st *spStream, recs []*si.EventRecord) {
	t.Helper()
	if len(st.items) == 0 {
		return
	}
	start := st.from
	if first := st.items[0]; first.ID < start || start == 0 {
		start = first.ID // a recent stream: from its first item
	}
	delivered := map[uint64]bool{}
	next := start // one past the newest ID an item covered
	for k, it := range st.items {
		require.GreaterOrEqual(t, it.ID, next, "stream %d item %d %+v: out of order", i, k, it)
		switch {
		case it.IsGap():
			require.Nil(t, it.Record, "stream %d item %d: a gap with a record", i, k)
			next = it.ID + it.Missing
			for id := it.ID; id < next; id++ {
				delivered[id] = true // reported missing: not lost silently
			}
		case it.IsProgress():
			require.True(t, st.filtered && st.progress, "stream %d item %d: progress not asked for", i, k)
			require.Nil(t, it.Record)
			require.Zero(t, it.Missing)
			next = it.ID + 1
		default:
			require.Less(t, it.ID, uint64(len(recs)), "stream %d item %d: ID never added", i, k)
			require.Same(t, recs[it.ID], it.Record, "stream %d item %d: not the record of ID %d", i, k, it.ID)
			require.True(t, st.keep[it.Record.ObjectID[0]-'a'], "stream %d item %d: against the filter", i, k)
			delivered[it.ID] = true
			next = it.ID + 1
		}
	}
	for id := start; id < next; id++ {
		if st.keep[recs[id].ObjectID[0]-'a'] && !delivered[id] {
			require.Failf(t, "silent loss", "stream %d (filtered %v, progress %v): ID %d kept by its filter, below what its items covered (%d), neither delivered nor in a gap; items %+v",
				i, st.filtered, st.progress, id, next, st.items)
		}
	}
}
