package fuzz

import (
	"log/slog"
	"math"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lfevents/lfevents/internal/model"
	"github.com/lfevents/lfevents/internal/model/systemrun"
	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/stream"
	"github.com/lfevents/lfevents/system"
)

// Control operations of FuzzSystemConcurrent.
const (
	scsStart    = iota // StartService
	scsStop            // Stop
	scsRestart         // Restart
	scsReconfig        // Reconfigure
	scsCloseAll        // CloseAllStreams
	scsCollect         // Store.CollectEvents by the caller
	scsCreate          // CreateEventStream with an eager reader
	scsRemove          // RemoveStream of the newest stream
	scsYield           // runtime.Gosched
	scsOpCount
)

// FuzzSystemConcurrent runs two producers calling AddEvent while a controller
// (the test's goroutine) calls the lifecycle, Reconfigure, collect and stream
// methods of the same event system, then stops it and checks what must hold
// under any interleaving: every non-nil AddEvent is counted once, as accepted or
// rejected; history holds exactly the accepted IDs (dense, each producer's
// events in its order, each AddEvents call's records under consecutive IDs);
// every accepted event is in at most one batch, each
// batch keeps each producer's order, and batches plus not stored add up to
// the accepted events; each stream receives each producer's events in order,
// without duplicates, and a stream still open at the end has the newest
// event; the counters agree; no goroutine is left.
func FuzzSystemConcurrent(f *testing.F) {
	f.Add([]byte{1, 8, 8, 0, 3, 0, 60, 1, 60, 2, scsStart, 2, scsStop, 2, scsStart, 0, 60, 1, 60, 2, scsRestart})
	f.Add([]byte{1, 4, 4, 1, 1, 2, scsStart, 2, scsCreate, 0, 120, 1, 120, 2, scsCollect, 2, scsReconfig, 0, 2, 2, 1, 3, 2, scsRemove})
	f.Add([]byte{0, 255, 255, 0, 0, 2, scsCreate, 0, 200, 2, scsStart, 1, 200, 2, scsCloseAll, 2, scsStop})
	f.Fuzz(func(t *testing.T, data []byte) {
		leaks := goleak.IgnoreCurrent()
		o := model.NewOps(data)
		plugin := &systemrun.Plugin{}
		logger := slog.New(slog.DiscardHandler)
		e := system.New(systemrun.Config(o, plugin, logger))
		var readers []*systemrun.Reader
		t.Cleanup(func() { systemrun.ShutDown(e, readers) })

		// Plans: producer p adds bursts of 1..64 records (every 16th nil),
		// one AddEvent each, or one AddEvents for the burst (byte >= 192);
		// the controller runs its operations in order.
		var bursts [2][]byte
		var ctl [][]byte
		for !o.Done() {
			switch who := o.Intn(3); who {
			case 0, 1:
				bursts[who] = append(bursts[who], o.Byte())
			default:
				op := []byte{o.Byte()}
				if int(op[0])%scsOpCount == scsReconfig {
					op = append(op, o.Byte(), o.Byte(), o.Byte(), o.Byte(), o.Byte())
				}
				ctl = append(ctl, op)
			}
		}
		var recs [2][]*si.EventRecord
		nonNil := 0
		for p := range bursts {
			for _, b := range bursts[p] {
				for range burstLen(b) {
					i := len(recs[p])
					var ev *si.EventRecord
					if i%16 != 15 {
						ev = model.Rec(int64(p)<<32 | int64(i))
						nonNil++
					}
					recs[p] = append(recs[p], ev)
				}
			}
		}

		// The slices given to AddEvents, for the contiguity check below.
		var batches [][]*si.EventRecord
		for p := range bursts {
			i := 0
			for _, b := range bursts[p] {
				if n := burstLen(b); b >= 192 {
					batches = append(batches, recs[p][i:i+n])
				}
				i += burstLen(b)
			}
		}

		produced := testutil.Start(len(bursts), func(p int) {
			i := 0
			for _, b := range bursts[p] {
				n := burstLen(b)
				if b >= 192 {
					e.AddEvents(recs[p][i : i+n])
				} else {
					for _, ev := range recs[p][i : i+n] {
						e.AddEvent(ev)
					}
				}
				i += n
				runtime.Gosched()
			}
		})
		// The controller runs on the test's goroutine, beside the producers.
		var direct [][]*si.EventRecord
		for _, op := range ctl {
			switch int(op[0]) % scsOpCount {
			case scsStart:
				e.StartService()
			case scsStop:
				e.Stop()
			case scsRestart:
				e.Restart()
			case scsReconfig:
				e.Reconfigure(systemrun.Config(model.NewOps(op[1:]), plugin, logger))
			case scsCloseAll:
				e.CloseAllStreams()
			case scsCollect:
				direct = append(direct, slices.Clone(e.Store.CollectEvents()))
			case scsCreate:
				s := e.CreateEventStream("c", uint64(op[0]))
				if !assert.NotNil(t, s, "CreateEventStream never returns nil") {
					break
				}
				readers = append(readers, systemrun.StartReader(s, uint64(op[0]), false))
			case scsRemove:
				if len(readers) > 0 {
					e.RemoveStream(readers[len(readers)-1].S)
				}
			case scsYield:
				runtime.Gosched()
			}
		}
		produced()

		// Quiescent. Open streams catch up with the newest event (bounded
		// wait), then everything is shut down.
		newest := e.GetRecentEvents(1)
		deadline := time.Now().Add(systemrun.DeliveryWait)
		for i, r := range readers {
			// A stream that asked for no history and opened after the
			// last event has nothing to receive.
			for r.S.CloseReason() == stream.ReasonOpen && len(newest) == 1 && r.Asked > 0 {
				got := r.Received()
				if len(got) > 0 && got[len(got)-1] == newest[0] {
					break
				}
				if time.Now().After(deadline) {
					require.Fail(t, "an open stream did not receive the newest event", "stream %d", i)
				}
				time.Sleep(time.Millisecond)
			}
		}
		e.Stop()
		e.CloseAllStreams()
		for _, r := range readers {
			require.NoError(t, r.AwaitClosed())
		}
		direct = append(direct, slices.Clone(e.Store.CollectEvents()))
		goleak.VerifyNone(t, leaks)

		m := e.Metrics()
		assert.Equal(t, uint64(nonNil), m.Created, "Created = non-nil AddEvent calls")
		assert.Equal(t, m.Created, m.Channeled+m.NotChanneled, "accepted + rejected")
		accepted := m.Channeled

		// History: the window is dense, ends at the newest accepted ID and
		// keeps each producer's order.
		low := e.GetRecentEvents(math.MaxUint64)
		if accepted > 0 {
			assert.Equal(t, accepted-1, e.GetLastEventID(), "GetLastEventID = accepted - 1")
			require.NotEmpty(t, low, "history holds the newest events")
		}
		checkProducerOrder(t, "history", low)
		// IDs of the events history still holds (all of them when the ring
		// is large enough): consecutive known IDs must be consecutive.
		idOf := make(map[*si.EventRecord]uint64, len(low))
		for k, ev := range low {
			idOf[ev] = accepted - uint64(len(low)) + uint64(k)
		}

		// AddEvents: the non-nil records of one call got consecutive IDs,
		// so any two of them history still holds lie as far apart in it
		// as in the call (no other producer's event landed in between).
		for bi, batch := range batches {
			var firstID, firstPos uint64
			found := false
			pos := uint64(0)
			for _, ev := range batch {
				if ev == nil {
					continue
				}
				if id, ok := idOf[ev]; ok {
					if !found {
						firstID, firstPos, found = id, pos, true
					} else if id-firstID != pos-firstPos {
						require.Equal(t, pos-firstPos, id-firstID, "AddEvents call %d: IDs not consecutive", bi)
					}
				}
				pos++
			}
		}

		// Batches.
		all := append(slices.Clone(direct), plugin.Copies()...)
		seen := map[*si.EventRecord]bool{}
		total := uint64(0)
		for bi, b := range all {
			for _, ev := range b {
				require.NotNil(t, ev, "batch %d: nil", bi)
				require.False(t, seen[ev], "batch %d: record %x in two batches", bi, model.Tag(ev))
				seen[ev] = true
			}
			checkProducerOrder(t, "batch", b)
			for k := 1; k < len(b); k++ {
				prev, okPrev := idOf[b[k-1]]
				id, ok := idOf[b[k]]
				if okPrev && ok && id <= prev {
					require.Greater(t, id, prev, "batch %d: not in ID order", bi)
				}
			}
			total += uint64(len(b))
		}
		assert.Equal(t, accepted, total+m.NotStored, "every accepted event in one batch or counted as not stored")
		assert.Equal(t, total, m.Stored, "Stored = handed out")

		// Streams.
		delivered, slow := uint64(0), uint64(0)
		for i, r := range readers {
			got := r.Received()
			delivered += uint64(len(got))
			if r.S.CloseReason() == stream.ReasonSlow {
				slow++
			}
			checkProducerOrder(t, "stream", got)
			for k := 1; k < len(got); k++ {
				prev, okPrev := idOf[got[k-1]]
				id, ok := idOf[got[k]]
				if okPrev && ok && id != prev+1 {
					require.Equal(t, prev+1, id, "stream %d: gap or duplicate after ID %d", i, prev)
				}
			}
		}
		assert.Equal(t, slow, m.StreamsRemovedSlow, "StreamsRemovedSlow")
		assert.Equal(t, delivered, m.StreamEventsDelivered, "StreamEventsDelivered counts what readers received")
	})
}

// checkProducerOrder fails unless evs holds records of the two producers of
// FuzzSystemConcurrent, none twice, each producer's in increasing order.
func checkProducerOrder(t *testing.T, what string, evs []*si.EventRecord) {
	t.Helper()
	last := [2]int64{-1, -1}
	for k, ev := range evs {
		require.NotNil(t, ev, "%s: nil record at %d", what, k)
		tag := model.Tag(ev)
		p, i := tag>>32, tag&(1<<32-1)
		require.True(t, p == 0 || p == 1, "%s: unknown record %x", what, tag)
		require.Greater(t, i, last[p], "%s: producer %d's events out of order or twice at %d", what, p, k)
		last[p] = i
	}
}

// burstLen is the number of records of a producer's burst byte b.
func burstLen(b byte) int { return 1 + int(b)%64 }
