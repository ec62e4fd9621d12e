package httpapi

import (
	"fmt"
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
