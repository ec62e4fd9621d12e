package promevents_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/promevents"
)

// TestNilOptionIsNoOp: a nil Option is skipped, as the other packages'
// options are (a conditional option left nil, say). Before the fix New
// called it and panicked.
func TestNilOptionIsNoOp(t *testing.T) {
	sys := newSystem(nil)
	addN(sys, 3)
	var c *promevents.Collector
	require.NotPanics(t, func() {
		c = promevents.New(sys, nil, promevents.WithNamespace("sched"), nil)
	})
	want := `
# HELP sched_event_total_created total events created
# TYPE sched_event_total_created gauge
sched_event_total_created 3
`
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(want), "sched_event_total_created"))
}
