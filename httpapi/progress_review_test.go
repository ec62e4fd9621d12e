package httpapi

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func wantedRecord(i uint64) *si.EventRecord {
	return &si.EventRecord{Type: si.EventRecord_APP, ObjectID: "wanted", Message: fmt.Sprint("w-", i)}
}

func unwantedRecord(i uint64) *si.EventRecord {
	return &si.EventRecord{Type: si.EventRecord_NODE, ObjectID: "node", Message: fmt.Sprint("u-", i)}
}

// nextNamed returns the next block with an ID (skipping comments) and the
// ID.
func nextNamed(t *testing.T, lr *lineReader) (sseEvent, uint64) {
	t.Helper()
	for {
		ev := lr.nextSSE()
		if !ev.hasID {
			require.True(t, ev.comment, "a block without an ID: %+v", ev)
			continue
		}
		id, err := strconv.ParseUint(ev.id, 10, 64)
		require.NoError(t, err, "block ID")
		return ev, id
	}
}

// TestSSEFilteredNoProgressRightAfterStart: a filtered client that resumes
// from a high ID gets no progress block for a short filtered-out run (fewer
// than 256 IDs) after its opening block, which named the ID before its start
// already: at most one block with an ID per 256 IDs. The stream with IDs
// under the items feed once counted its progress from ID 0, so the first
// event its filter left out moved past the busy threshold (4096) at once.
func TestSSEFilteredNoProgressRightAfterStart(t *testing.T) {
	cfg := trackingConfig()
	cfg.RingBufferCapacity = 10000
	eachFeed(t, cfg, func(t *testing.T, ts *testServer) {
		for i := range uint64(5000) {
			ts.sys.AddEvent(unwantedRecord(i)) // IDs 0..4999
		}
		lr := openSSE(t, ts, "?objectID=wanted", "Last-Event-ID", "4999")
		// Opened second: the items feed's dispatcher pushes each batch to
		// the filtered stream before the probe.
		probe := openSSE(t, ts, "", "Last-Event-ID", "4999")
		for i := range uint64(100) {
			ts.sys.AddEvent(unwantedRecord(5000 + i)) // 5000..5099
		}
		for id := uint64(5000); id < 5100; id++ {
			ev := probe.nextSSEData()
			require.Equal(t, strconv.FormatUint(id, 10), ev.id)
		}
		ts.sys.AddEvent(wantedRecord(5100))
		ev, id := nextNamed(t, lr)
		assert.Equal(t, uint64(5100), id, "the wanted event first, not progress: %+v", ev)
		assert.Equal(t, "", ev.event)
		assert.NotEmpty(t, ev.data)
	})
}

// TestSSEFilteredPositionIsSound: under a mix of short and long filtered-out
// runs, every block with an ID names a larger ID than the one before, each
// event is the next wanted one, and at each progress block every wanted
// event up to its ID has been sent. Once the stream has nothing else to
// send, its position lags the newest ID by less than 256; a client that
// resumes from its position gets the next wanted event with no gap and no
// duplicate.
func TestSSEFilteredPositionIsSound(t *testing.T) {
	cfg := trackingConfig()
	cfg.RingBufferCapacity = 100000
	cfg.StreamQueueSize = 1 << 16 // the history feed's bell takes each run whole
	eachFeed(t, cfg, func(t *testing.T, ts *testServer) {
		rnd := rand.New(rand.NewPCG(1, 2))
		var (
			next   uint64   // the ID the next event gets
			wanted []uint64 // the wanted IDs, in order
		)
		addRun := func(n uint64, p float64) {
			for range n {
				if rnd.Float64() < p {
					ts.sys.AddEvent(wantedRecord(next))
					wanted = append(wanted, next)
				} else {
					ts.sys.AddEvent(unwantedRecord(next))
				}
				next++
			}
		}
		lr := openSSE(t, ts, "?objectID=wanted")
		var (
			named    uint64 // one past the newest ID a block named
			received int    // wanted events received
			progress int    // progress blocks
		)
		// read reads blocks until one names an ID at or past until.
		read := func(until uint64) {
			for named <= until {
				ev, id := nextNamed(t, lr)
				require.GreaterOrEqual(t, id, named, "IDs of blocks go up: %+v", ev)
				named = id + 1
				if ev.isProgress() {
					progress++
					// Every wanted event up to id was sent.
					require.True(t, received == len(wanted) || wanted[received] > id,
						"progress %d before wanted event %d", id, wanted[min(received, len(wanted)-1)])
					continue
				}
				require.Equal(t, "", ev.event, "no gap or cut: %+v", ev)
				require.Less(t, received, len(wanted), "an event not wanted: %+v", ev)
				require.Equal(t, wanted[received], id, "the next wanted event")
				require.Equal(t, fmt.Sprint("w-", id), msgOf(t, ev.data))
				received++
			}
		}
		for round := range 12 {
			switch round % 4 {
			case 0:
				addRun(300, 0.01) // a few wanted among many
			case 1:
				addRun(5000, 0) // past the busy threshold
			case 2:
				addRun(40, 0.5)
			case 3:
				addRun(700, 0)
			}
			// A wanted event to wait for, so every run is read before the next.
			ts.sys.AddEvent(wantedRecord(next))
			wanted = append(wanted, next)
			next++
			read(next - 1)
		}
		assert.Positive(t, progress, "progress blocks")
		addRun(1000, 0)
		read(next - 256) // lags by less than 256 once idle
		require.Equal(t, len(wanted), received)

		// Resume from the position: the next wanted event, nothing before.
		pos := named - 1
		ts.sys.AddEvent(wantedRecord(next))
		lr2 := openSSE(t, ts, "?objectID=wanted", "Last-Event-ID", strconv.FormatUint(pos, 10))
		ev, id := nextNamed(t, lr2)
		assert.Equal(t, next, id, "the new wanted event, no gap, no progress: %+v", ev)
		assert.Equal(t, "", ev.event)
		assert.Equal(t, fmt.Sprint("w-", next), msgOf(t, ev.data))
	})
}

// msgOf returns the message of an event block's data.
func msgOf(t *testing.T, data string) string {
	t.Helper()
	var rec struct{ Message string }
	require.NoError(t, json.Unmarshal([]byte(data), &rec), "data %s", data)
	return rec.Message
}
