package systemrun

import (
	"strings"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/internal/model"
	"github.com/lfevents/lfevents/ring"
	"github.com/lfevents/lfevents/stream"
	"github.com/lfevents/lfevents/system"
)

// records returns n records with IDs 0..n-1 in idOf.
func records(n int) ([]*si.EventRecord, map[*si.EventRecord]uint64) {
	evs := make([]*si.EventRecord, n)
	idOf := map[*si.EventRecord]uint64{}
	for i := range evs {
		evs[i] = model.Rec(int64(i + 1))
		idOf[evs[i]] = uint64(i)
	}
	return evs, idOf
}

// TestCheckReceived holds the stream rule to examples: a stream created when
// history held IDs 0..9 and asked for 4 of them owes 6, 7, 8, 9, then every
// later ID, from the first.
func TestCheckReceived(t *testing.T) {
	evs, idOf := records(20)
	for _, c := range []struct {
		name      string
		histStart uint64
		join      uint64
		got       []*si.EventRecord
		wantErr   string
	}{
		{"history, then live", 6, 10, evs[6:15], ""},
		{"a prefix of the history (closed early)", 6, 10, evs[6:8], ""},
		{"nothing", 6, 10, nil, ""},
		{"no history asked for", 10, 10, evs[10:12], ""},
		{"history lost at the start", 6, 10, evs[7:15], "lost before it"},
		{"history lost, live only", 6, 10, evs[10:15], "lost before it"},
		{"before the history asked for", 6, 10, evs[5:15], "before the history"},
		{"skipped after the join", 10, 10, evs[11:15], "skipped events"},
		{"gap", 6, 10, append(append([]*si.EventRecord{}, evs[6:9]...), evs[10:12]...), "gap or duplicate"},
		{"never accepted", 6, 10, []*si.EventRecord{model.Rec(99)}, "never accepted"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkReceived(&Reader{histStart: c.histStart, join: c.join}, c.got, idOf)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want one with %q", err, c.wantErr)
			}
		})
	}
}

// TestCheckStreamsClosed checks the rule for a stream closed as by Stop: fine
// when the final shutdown closed it, or a step of the run (closeEpoch moved
// past its creation); an error when it was closed before the shutdown while
// no step closed streams.
func TestCheckStreamsClosed(t *testing.T) {
	es := stream.NewEventStreaming(ring.New(8))
	es.Close()
	s := es.CreateEventStream("closed", 0)
	if s.CloseReason() != stream.ReasonClosed {
		t.Fatalf("reason %v, want closed", s.CloseReason())
	}
	for _, c := range []struct {
		name        string
		closedEarly bool
		createdAt   int
		closeEpoch  int
		wantErr     bool
	}{
		{"closed by the final shutdown", false, 0, 0, false},
		{"closed by a step after its creation", true, 0, 1, false},
		{"closed before the shutdown, by nothing", true, 1, 1, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &Reader{S: s, closedEarly: c.closedEarly, createdAt: c.createdAt}
			var ck checks
			checkStreams(&ck, []*Reader{r}, nil, c.closeEpoch, system.Metrics{})
			if got := ck.err() != nil; got != c.wantErr {
				t.Fatalf("error %v, want one: %v", ck.err(), c.wantErr)
			}
		})
	}
}
