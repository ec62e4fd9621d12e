package fuzz

import (
	"fmt"
	"log/slog"
	"math"
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
// (mostly rising, sometimes falling back, sometimes missing, negative or
// MinInt64, sometimes a jump to just below MaxInt64) through a dedup.Table of
// a fuzzed size and window (1 to 64 ns, or MaxInt64), and checks every
// decision against dedup.Model: a suppression must be justified by an equal
// event recorded within the window; and for a bucket that no more distinct
// events used than it has ways, the table must decide exactly as the model
// (nothing evicted them). Each event is also compared with the one before:
// dedup.Equal must say what the model's key says, and equal events must
// share a hash.
func FuzzDedup(f *testing.F) {
	f.Add([]byte{10, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0})           // one event repeated inside the window
	f.Add([]byte{2, 1, 3, 0, 0, 3, 9, 0, 3, 0, 0, 3, 9, 0})   // two events sharing the one entry
	f.Add([]byte{5, 2, 4, 0, 1, 4, 1, 1, 4, 0, 1, 254, 0, 1}) // a missing timestamp, then one far back
	f.Add([]byte{50, 3, 1, 24, 0, 1, 25, 0, 1, 24, 2, 1, 24, 4, 1, 24, 0})
	f.Add([]byte{255, 3, 253, 0, 1, 0, 1, 0, 1, 0, 255, 255, 1, 0, 1, 0, 1, 0, 252, 1, 1, 0, 1, 0, 1, 0}) // window MaxInt64: MaxInt64, far back, MinInt64
	f.Add([]byte{0, 3, 0, 1, 2, 0, 1, 2, 0, 1, 0, 0, 1, 3})                                               // window 1ns: the same time again is a repeat
	f.Fuzz(func(t *testing.T, data []byte) {
		o := model.NewOps(data)
		window := time.Duration(1 + o.Intn(64))
		if window == 64 { // the byte 255 (63 and 127 give 64 too: rare enough)
			window = math.MaxInt64
		}
		size := []int{1, 2, 4, dedup.DefaultSize}[o.Intn(4)]
		tab := dedup.New(dedup.Config{Window: window, Size: size, Logger: slog.New(slog.DiscardHandler)})
		m := dedup.NewModel(window)
		users := map[int]map[string]bool{} // bucket -> the distinct events that used it
		ts := int64(1000)
		var suppressed uint64
		var prev *si.EventRecord // the event before, and its key
		var prevKey string
		for step := 0; !o.Done(); step++ {
			switch d := o.Byte(); {
			case d == 255:
				ts -= int64(o.Byte()) // out of order, as concurrent producers add
			case d == 254:
				ts = 0 // no timestamp
			case d == 253:
				ts = math.MaxInt64 - int64(o.Byte()) // far in the future: no difference may overflow
			case d == 252:
				ts = []int64{-1, math.MinInt64, -int64(time.Hour)}[o.Intn(3)] // negative: no timestamp either
			default:
				ts = max(ts, 1000)
				ts += min(int64(d%16), math.MaxInt64-ts)
			}
			ev := dedupEvent(o, ts)
			key := fmt.Sprintf("%v|%q|%q|%q|%v|%v|%x", ev.Type, ev.ObjectID, ev.ReferenceID, ev.Message,
				ev.EventChangeType, ev.EventChangeDetail, ev.ProtoReflect().GetUnknown())
			bucket := tab.BucketOf(ev)
			if users[bucket] == nil {
				users[bucket] = map[string]bool{}
			}
			users[bucket][key] = true
			exact := len(users[bucket]) <= tab.Ways() // no more distinct events used its bucket than it has ways
			if prev != nil {
				require.Equal(t, key == prevKey, dedup.Equal(prev, ev), "step %d: Equal against the key %s", step, key)
				if key == prevKey {
					require.Equal(t, dedup.Hash(prev), dedup.Hash(ev), "step %d: equal events, different hashes", step)
				}
			}
			prev, prevKey = ev, key
			got, err := m.Follow(tab, ev, exact)
			require.NoError(t, err, "step %d (ts %d, exact %v)", step, ts, exact)
			if got {
				suppressed++
			}
		}
		require.Equal(t, suppressed, tab.Suppressed())
	})
}

// FuzzDedupSplit cuts one fuzzed text into object ID, reference ID, message
// and unknown fields at two fuzzed places: if the cuts differ, the two
// records are different events, so neither is Equal to the other, their
// hashes differ (each field is a separate go-metro input; a 64-bit collision
// found here would be a finding worth a look, though never a wrong
// suppression), and neither is suppressed right after the other, in a table
// of one entry (where they always meet) or a default one. If the cuts are
// the same, the second is a repeat and is suppressed.
func FuzzDedupSplit(f *testing.F) {
	f.Add("abc", uint8(2), uint8(3), uint8(3), uint8(1), uint8(3), uint8(3))
	f.Add("ask-1app-1does not fit", uint8(5), uint8(10), uint8(22), uint8(4), uint8(10), uint8(22))
	f.Add("x", uint8(1), uint8(1), uint8(1), uint8(0), uint8(1), uint8(1))
	f.Add("state\x82\xf1\x04\x07Pending", uint8(0), uint8(0), uint8(5), uint8(0), uint8(0), uint8(16))
	f.Add("same", uint8(1), uint8(2), uint8(3), uint8(1), uint8(2), uint8(3))
	f.Fuzz(func(t *testing.T, text string, a0, a1, a2, b0, b1, b2 uint8) {
		cuts := func(c0, c1, c2 uint8) [3]int {
			c := [3]int{int(c0) % (len(text) + 1), int(c1) % (len(text) + 1), int(c2) % (len(text) + 1)}
			c[1] = max(c[1], c[0])
			c[2] = max(c[2], c[1])
			return c
		}
		ca, cb := cuts(a0, a1, a2), cuts(b0, b1, b2)
		build := func(c [3]int, ts int64) *si.EventRecord {
			ev := &si.EventRecord{Type: si.EventRecord_REQUEST, ObjectID: text[:c[0]], ReferenceID: text[c[0]:c[1]],
				Message: text[c[1]:c[2]], TimestampNano: ts}
			if c[2] < len(text) {
				ev.ProtoReflect().SetUnknown([]byte(text[c[2]:]))
			}
			return ev
		}
		same := ca == cb
		require.Equal(t, same, dedup.Equal(build(ca, 1), build(cb, 1)), "cuts %v and %v of %q", ca, cb, text)
		if !same {
			require.NotEqual(t, dedup.Hash(build(ca, 1)), dedup.Hash(build(cb, 1)), "cuts %v and %v of %q", ca, cb, text)
		}
		for _, size := range []int{1, dedup.DefaultSize} {
			tab := dedup.New(dedup.Config{Window: time.Hour, Size: size, Logger: slog.New(slog.DiscardHandler)})
			require.False(t, tab.Suppress(build(ca, 1000)))
			require.Equal(t, same, tab.Suppress(build(cb, 1001)), "size %d: cuts %v and %v of %q", size, ca, cb, text)
		}
	})
}
