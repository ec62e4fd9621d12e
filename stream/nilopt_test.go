package stream

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/ring"
)

// TestNilOptionsAreNoOps: nil Options and StreamOptions are skipped
// (documented in options.go), wherever options are taken.
func TestNilOptionsAreNoOps(t *testing.T) {
	r := ring.New(16)
	var es *EventStreaming
	require.NotPanics(t, func() { es = NewEventStreaming(r, nil, WithLogger(quietLogger()), nil) })
	t.Cleanup(es.Close)
	add(r, es, 3)

	var from, recent *IDStream
	require.NotPanics(t, func() {
		from = es.CreateEventStreamFrom("from", 0, nil)
		recent = es.CreateRecentEventStream("recent", 2, nil, WithFilter(nil), nil)
	})
	for _, s := range []*IDStream{from, recent} {
		items, err := testutil.Receive(s.Items, 1, failAfter)
		require.NoError(t, err)
		assert.NotNil(t, items[0].Record, "an event, no filter in the way")
	}
	es.RemoveIDStream(from)
	es.RemoveIDStream(recent)
}
