package bench

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInstructionCount is a probe, not a check: bench/icount.sh runs the
// bench test binary under valgrind's cachegrind with LFEVENTS_ICOUNT set to
// "impl,batch,events" (impl one of the ingest scenario's impl= values; batch
// 0 for one AddEvent per event, else AddEvents of that many), twice with
// different event counts, and divides the difference in instructions by the
// difference in events: the instructions one event costs, without start-up
// and shutdown, on one goroutine, with the same subjects and records as
// BenchmarkIngest and BenchmarkBatch. Skipped when the variable is not set.
func TestInstructionCount(t *testing.T) {
	spec := os.Getenv("LFEVENTS_ICOUNT")
	if spec == "" {
		t.Skip("a probe for bench/icount.sh (LFEVENTS_ICOUNT=impl,batch,events)")
	}
	parts := strings.Split(spec, ",")
	require.Len(t, parts, 3, "LFEVENTS_ICOUNT=impl,batch,events")
	name := parts[0]
	batch, err := strconv.Atoi(parts[1])
	require.NoError(t, err, "batch")
	events, err := strconv.Atoi(parts[2])
	require.NoError(t, err, "events")
	var s ingester
	for _, impl := range ingestImpls {
		if impl.name == name {
			s = impl.make(100000)
		}
	}
	require.NotNil(t, s, "unknown impl %q", name)
	defer s.stop()
	recs := records(1, 1024)[0]
	if batch == 0 {
		for i := range events {
			s.AddEvent(recs[i%len(recs)])
		}
		return
	}
	ba, ok := s.(batchAdder)
	require.True(t, ok, "impl=%s has no AddEvents", name)
	require.LessOrEqual(t, batch, len(recs))
	for i := 0; i < events; i += batch {
		from := i % len(recs)
		ba.AddEvents(recs[from:min(from+batch, len(recs), from+events-i)])
	}
}
