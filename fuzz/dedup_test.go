package fuzz

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/lfevents/lfevents/internal/dedup"
	"github.com/lfevents/lfevents/internal/model"
)

// dedupEvent decodes one record from two bytes, a timestamp and a state:
// every field that duplicate suppression compares takes one of a few values,
// so equal events recur, and the ones it ignores (resource) vary.
func dedupEvent(o *model.Ops, ts int64) *si.EventRecord {
	a, b := o.Byte(), o.Byte()
	ev := &si.EventRecord{
		Type:              []si.EventRecord_Type{si.EventRecord_REQUEST, si.EventRecord_APP, si.EventRecord_NODE}[a%3],
		ObjectID:          []string{"ask-1", "ask-2", "app-1", ""}[a/3%4],
		ReferenceID:       []string{"", "app-1"}[a/12%2],
		Message:           []string{"Request 'ask-1' does not fit in queue 'root.a'", "accepted", ""}[a/24%3],
		EventChangeType:   []si.EventRecord_ChangeType{si.EventRecord_NONE, si.EventRecord_ADD}[a/72%2],
		EventChangeDetail: []si.EventRecord_ChangeDetail{si.EventRecord_DETAILS_NONE, si.EventRecord_REQUEST_TIMEOUT}[b%2],
		TimestampNano:     ts,
		Resource:          &si.Resource{Resources: map[string]*si.Quantity{"memory": {Value: int64(b)}}},
	}
	if state := []string{"", "New", "Running"}[b/2%3]; state != "" {
		raw := protowire.AppendTag(nil, 10000, protowire.BytesType) // as the system's record constructors
		ev.ProtoReflect().SetUnknown(protowire.AppendString(raw, state))
	}
	return ev
}

// FuzzDedup runs a sequence of events with fuzzed fields and timestamps
// (mostly rising, sometimes falling back, sometimes missing) through a
// dedup.Table of a fuzzed size and window, and checks every decision against
// dedup.Model: a suppression must be justified by an equal event recorded
// within the window; and for an entry that only ever saw one distinct event,
// the table must decide exactly as the model (nothing evicted it).
func FuzzDedup(f *testing.F) {
	f.Add([]byte{10, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0})           // one event repeated inside the window
	f.Add([]byte{2, 1, 3, 0, 0, 3, 9, 0, 3, 0, 0, 3, 9, 0})   // two events sharing the one entry
	f.Add([]byte{5, 2, 4, 0, 1, 4, 1, 1, 4, 0, 1, 254, 0, 1}) // a missing timestamp, then one far back
	f.Add([]byte{50, 3, 1, 24, 0, 1, 25, 0, 1, 24, 2, 1, 24, 4, 1, 24, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		o := model.NewOps(data)
		window := time.Duration(1 + o.Intn(64))
		size := []int{1, 2, 4, dedup.DefaultSize}[o.Intn(4)]
		tab := dedup.New(dedup.Config{Window: window, Size: size, Logger: slog.New(slog.DiscardHandler)})
		m := dedup.NewModel(window)
		owner := map[uint64]string{} // entry -> the one event key seen there, "" once shared
		ts := int64(1000)
		var suppressed uint64
		for step := 0; !o.Done(); step++ {
			switch d := o.Byte(); {
			case d == 255:
				ts -= int64(o.Byte()) // out of order, as concurrent producers add
			case d == 254:
				ts = 0 // no timestamp
			default:
				ts = max(ts, 1000) + int64(d%16)
			}
			ev := dedupEvent(o, ts)
			key := fmt.Sprintf("%v|%q|%q|%q|%v|%v|%x", ev.Type, ev.ObjectID, ev.ReferenceID, ev.Message,
				ev.EventChangeType, ev.EventChangeDetail, ev.ProtoReflect().GetUnknown())
			slot := dedup.Hash(ev) & uint64(tab.Size()-1)
			if k, seen := owner[slot]; !seen {
				owner[slot] = key
			} else if k != key {
				owner[slot] = ""
			}
			got := tab.Suppress(ev)
			if got {
				suppressed++
			}
			if owner[slot] != "" {
				require.Equal(t, m.Suppress(ev), got, "step %d (ts %d): only this event used its entry", step, ts)
				continue
			}
			if got {
				require.True(t, m.Justified(ev), "step %d (ts %d): suppressed without an equal event in the window", step, ts)
			} else {
				m.Recorded(ev)
			}
		}
		require.Equal(t, suppressed, tab.Suppressed())
	})
}
