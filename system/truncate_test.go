package system

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// referenceTruncate is the obviously correct model: drop whole runes from the
// end until the rest plus "..." fits.
func referenceTruncate(msg string) string {
	if len(msg) <= MaxMessageLength {
		return msg
	}
	runes := []rune(msg)
	size := len(msg)
	for size+len(truncationSuffix) > MaxMessageLength {
		size -= utf8.RuneLen(runes[len(runes)-1])
		runes = runes[:len(runes)-1]
	}
	return string(runes) + truncationSuffix
}

func TestTruncateMessage(t *testing.T) {
	tests := []struct {
		name string
		msg  string
	}{
		{"empty", ""},
		{"short", "hello"},
		{"exactly the limit", strings.Repeat("a", MaxMessageLength)},
		{"one over", strings.Repeat("a", MaxMessageLength+1)},
		{"long ascii", strings.Repeat("a", 5000)},
		{"two-byte runes", strings.Repeat("é", 2000)},
		{"three-byte runes", strings.Repeat("€", 1000)},
		{"four-byte runes", strings.Repeat("😀", 1000)},
		{"four-byte at the limit", strings.Repeat("a", 1019) + "😀" + strings.Repeat("b", 10)},
		{"three-byte across the cut", strings.Repeat("a", 1020) + "€€€€"},
		{"mixed", strings.Repeat("a€é😀", 200)},
		{"multibyte exactly the limit", strings.Repeat("a", MaxMessageLength-4) + "😀"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := truncateMessage(tc.msg)
			assert.Equal(t, referenceTruncate(tc.msg), got)
			assert.LessOrEqual(t, len(got), MaxMessageLength)
			assert.True(t, utf8.ValidString(got), "invalid UTF-8")
			if len(tc.msg) > MaxMessageLength {
				assert.True(t, strings.HasSuffix(got, truncationSuffix))
				assert.True(t, strings.HasPrefix(tc.msg, strings.TrimSuffix(got, truncationSuffix)))
				// At most one rune (4 bytes) lost beyond what the limit forces.
				assert.GreaterOrEqual(t, len(got), MaxMessageLength-utf8.UTFMax+1)
			} else {
				assert.Equal(t, tc.msg, got)
			}
		})
	}
}

func TestTruncateInvalidUTF8NoPanic(t *testing.T) {
	// Continuation bytes only: no rune start to back off to.
	msg := strings.Repeat("\x80", 2000)
	got := truncateMessage(msg)
	assert.Len(t, got, MaxMessageLength)
	assert.True(t, strings.HasSuffix(got, truncationSuffix))
}

func TestTruncateRandomizedAgainstModel(t *testing.T) {
	pieces := []string{"a", "é", "€", "😀", "ß", " "}
	next := xorshift(1)
	for i := 0; i < 500; i++ {
		msg := randomMessage(next, pieces, 900+int(next()%400))
		got := truncateMessage(msg)
		require.Equal(t, referenceTruncate(msg), got, "case %d", i)
		require.True(t, utf8.ValidString(got))
	}
}

// xorshift returns a deterministic pseudo-random source (xorshift64) that
// starts from seed, which must not be 0.
func xorshift(seed uint64) func() uint64 {
	return func() uint64 {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return seed
	}
}

// randomMessage joins pieces picked by next until the message has at least
// n bytes.
func randomMessage(next func() uint64, pieces []string, n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(pieces[next()%uint64(len(pieces))])
	}
	return b.String()
}

func TestTruncateNoAllocWithinLimit(t *testing.T) {
	msg := strings.Repeat("€", MaxMessageLength/3)
	allocs := testing.AllocsPerRun(100, func() { _ = truncateMessage(msg) })
	assert.Zero(t, allocs)
}

// TestTruncatedBatchMarshals is reference defect 3: after truncation every
// record, and a batch of them, still marshals.
func TestTruncatedBatchMarshals(t *testing.T) {
	var batch []*si.EventRecord
	brokenSeen := 0
	for _, piece := range []string{"é", "€", "😀", "a€"} {
		for shift := 0; shift < 4; shift++ {
			msg := strings.Repeat("x", shift) + strings.Repeat(piece, 2000)
			ev := &si.EventRecord{Message: msg}
			// The untruncated cut of the reference: first 1021 bytes.
			broken := &si.EventRecord{Message: msg[:MaxMessageLength-3] + "..."}
			if !utf8.ValidString(broken.Message) {
				_, err := proto.Marshal(broken)
				require.Error(t, err, "precondition: a byte cut does not marshal")
				brokenSeen++
			}
			ev.Message = truncateMessage(ev.Message)
			batch = append(batch, ev)
		}
	}
	require.Positive(t, brokenSeen, "precondition: some cases cut inside a rune")
	back := shimRoundTrip(t, batch)
	require.Len(t, back, len(batch))
	for i := range batch {
		assert.True(t, proto.Equal(batch[i], back[i]), "record %d", i)
	}
}

// shimRoundTrip marshals batch as a shim sends it, a repeated message field
// (number 1), and returns the records unmarshalled from that.
func shimRoundTrip(t *testing.T, batch []*si.EventRecord) []*si.EventRecord {
	t.Helper()
	var wire []byte
	for _, ev := range batch {
		one, err := proto.Marshal(ev)
		require.NoError(t, err)
		wire = protowire.AppendTag(wire, 1, protowire.BytesType)
		wire = protowire.AppendBytes(wire, one)
	}
	var back []*si.EventRecord
	for len(wire) > 0 {
		_, _, n := protowire.ConsumeTag(wire)
		require.Positive(t, n)
		v, m := protowire.ConsumeBytes(wire[n:])
		require.Positive(t, m)
		ev := &si.EventRecord{}
		require.NoError(t, proto.Unmarshal(v, ev))
		back = append(back, ev)
		wire = wire[n+m:]
	}
	return back
}

// referenceRepair is the obviously correct model of toValidUTF8 without a
// limit: decode rune by rune, each undecodable byte becomes U+FFFD.
func referenceRepair(s string) string {
	var out []rune
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		out = append(out, r) // RuneError for a bad byte (size 1)
		i += size
	}
	return string(out)
}

func TestPrepareMessageAgainstModel(t *testing.T) {
	pieces := []string{"a", "é", "€", "😀", "\xff", "\x80", "\xe2\x82", "\xf0\x9f\x98", " "}
	next := xorshift(7)
	for i := 0; i < 2000; i++ {
		msg := randomMessage(next, pieces, int(next()%2500))
		got := prepareMessage(msg)
		require.Equal(t, referenceTruncate(referenceRepair(msg)), got, "case %d: %q", i, msg)
		require.True(t, utf8.ValidString(got))
		require.LessOrEqual(t, len(got), MaxMessageLength)
	}
}

// TestPrepareRecordMarshals: whatever bytes the string fields hold, the
// record the plugin gets (prepared by AddEvent, then made safe by the
// publisher) marshals, alone and in a batch, and valid fields are kept. The
// record that history holds is only cut, never repaired in place, and is
// never modified by the publisher.
func TestPrepareRecordMarshals(t *testing.T) {
	ff := strings.Repeat("\xff", 2000)
	tests := []struct {
		name        string
		ev          *si.EventRecord
		wantMessage string
		wantObject  string
		wantRef     string
	}{
		{
			name:        "2000 bytes of 0xff in the message",
			ev:          &si.EventRecord{Message: ff},
			wantMessage: strings.Repeat(replacementChar, (MaxMessageLength-3)/3) + truncationSuffix,
		},
		{
			name:        "short invalid message",
			ev:          &si.EventRecord{Message: "a\xffb\xe2\x82"},
			wantMessage: "a\uFFFDb\uFFFD\uFFFD",
		},
		{
			name:        "invalid object and reference IDs, any length",
			ev:          &si.EventRecord{ObjectID: "app-\xc3", ReferenceID: ff, Message: "ok"},
			wantMessage: "ok",
			wantObject:  "app-\uFFFD",
			wantRef:     strings.Repeat(replacementChar, 2000),
		},
		{
			name: "valid record is kept",
			ev: &si.EventRecord{ObjectID: "app-é", ReferenceID: "€", Message: "short é€😀",
				Resource: &si.Resource{Resources: map[string]*si.Quantity{"memory": {Value: 1}}}},
			wantMessage: "short é€😀",
			wantObject:  "app-é",
			wantRef:     "€",
		},
	}
	var batch []*si.EventRecord
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := proto.Marshal(tc.ev)
			all := tc.ev.Message + tc.ev.ObjectID + tc.ev.ReferenceID
			if tc.ev.Resource != nil {
				for name := range tc.ev.Resource.Resources {
					all += name
				}
			}
			if !utf8.ValidString(all) {
				require.Error(t, err, "precondition: the unprepared record does not marshal")
			}
			orig := proto.Clone(tc.ev).(*si.EventRecord)
			prepareRecord(tc.ev)
			if len(orig.Message) <= MaxMessageLength {
				assert.Equal(t, orig.Message, tc.ev.Message, "a message within the limit is kept as given")
			}
			assert.Equal(t, orig.ObjectID, tc.ev.ObjectID, "AddEvent does not touch the IDs")
			assert.Equal(t, orig.ReferenceID, tc.ev.ReferenceID, "AddEvent does not touch the IDs")
			prepared := proto.Clone(tc.ev).(*si.EventRecord)
			sent := marshalSafe(tc.ev)
			assert.True(t, proto.Equal(prepared, tc.ev), "marshalSafe modified the shared record")
			_, err = proto.Marshal(sent)
			require.NoError(t, err)
			assert.Equal(t, tc.wantMessage, sent.Message)
			assert.Equal(t, tc.wantObject, sent.ObjectID)
			assert.Equal(t, tc.wantRef, sent.ReferenceID)
			batch = append(batch, sent)
		})
	}
	// The batch as a shim sends it.
	require.Len(t, shimRoundTrip(t, batch), len(batch))
}

func TestPrepareRecordValidNoAlloc(t *testing.T) {
	ev := &si.EventRecord{ObjectID: "app-1", ReferenceID: "alloc-1", Message: strings.Repeat("€", MaxMessageLength/3)}
	allocs := testing.AllocsPerRun(100, func() { prepareRecord(ev) })
	assert.Zero(t, allocs)
}

func TestMarshalSafeResourceNames(t *testing.T) {
	shared := &si.Resource{Resources: map[string]*si.Quantity{"memory": {Value: 1}, "v\xffcore": {Value: 2}}}
	ev := &si.EventRecord{Type: si.EventRecord_APP, ObjectID: "app-1", Message: "m", ReferenceID: "r",
		TimestampNano: 7, EventChangeType: si.EventRecord_ADD, EventChangeDetail: si.EventRecord_APP_ALLOC, Resource: shared}
	SetEventState(ev, "Running")
	_, err := proto.Marshal(ev)
	require.Error(t, err, "precondition: an invalid resource name does not marshal")

	got := marshalSafe(ev)
	require.NotSame(t, ev, got, "a record with an invalid name is copied, never modified")
	_, err = proto.Marshal(got)
	require.NoError(t, err)
	values := map[string]int64{}
	for name, q := range got.Resource.Resources {
		values[name] = q.Value
	}
	assert.Equal(t, map[string]int64{"memory": 1, "v\uFFFDcore": 2}, values)
	assert.Equal(t, "Running", EventState(got))
	want := &si.EventRecord{Type: si.EventRecord_APP, ObjectID: "app-1", Message: "m", ReferenceID: "r",
		TimestampNano: 7, EventChangeType: si.EventRecord_ADD, EventChangeDetail: si.EventRecord_APP_ALLOC,
		Resource: got.Resource}
	SetEventState(want, "Running")
	assert.True(t, proto.Equal(want, got), "every other field kept")
	assert.Contains(t, shared.Resources, "v\xffcore", "the shared resource is untouched")
	assert.Same(t, shared, ev.Resource)

	valid := &si.EventRecord{Resource: &si.Resource{Resources: map[string]*si.Quantity{"memory": {Value: 1}}}}
	assert.Same(t, valid, marshalSafe(valid))
	assert.Nil(t, marshalSafe(nil))
}

// BenchmarkPrepareRecord is what a valid record costs AddEvent
// (impl=prepare: the length check) and what it costs the publisher's
// goroutine before SendEvent (impl=marshalSafe: the UTF-8 check of its text
// and resource names).
func BenchmarkPrepareRecord(b *testing.B) {
	records := []struct {
		name string
		ev   *si.EventRecord
	}{
		{"record=short", &si.EventRecord{ObjectID: "app-1", ReferenceID: "alloc-1", Message: "benchmark event"}},
		{"record=200B", &si.EventRecord{ObjectID: "app-1", ReferenceID: "alloc-1", Message: strings.Repeat("x", 200)}},
		{"record=utf8", &si.EventRecord{ObjectID: "app-1", ReferenceID: "alloc-1", Message: "short é€😀"}},
	}
	for _, rc := range records {
		ev := rc.ev
		b.Run(rc.name+"/impl=prepare", func(b *testing.B) {
			for b.Loop() {
				prepareRecord(ev)
			}
		})
		b.Run(rc.name+"/impl=marshalSafe", func(b *testing.B) {
			for b.Loop() {
				if marshalSafe(ev) != ev {
					b.Fatal("a valid record was copied")
				}
			}
		})
	}
}

func TestIsASCII(t *testing.T) {
	for _, tc := range []struct {
		a, b, c string
		want    bool
	}{
		{"", "", "", true},
		{"benchmark event", "app-1", "alloc-1", true},
		{strings.Repeat("x", 17), strings.Repeat("y", 9), "z", true},
		{strings.Repeat("x", 16) + "é", "", "", false},
		{"", strings.Repeat("x", 7) + "\x80", "", false},
		{"", "", "\xff", false},
		{strings.Repeat("x", 8) + "\x7f", "", "", true},
	} {
		assert.Equal(t, tc.want, isASCII(tc.a, tc.b, tc.c), "%q %q %q", tc.a, tc.b, tc.c)
	}
	// Every length up to 40, with one non-ASCII byte at every position, in
	// each of the three strings.
	for n := 0; n <= 40; n++ {
		clean := strings.Repeat("a", n)
		require.True(t, isASCII(clean, clean, clean), "length %d", n)
		for i := 0; i < n; i++ {
			dirty := clean[:i] + "\x80" + clean[i+1:]
			require.False(t, isASCII(dirty, clean, clean), "length %d, byte %d", n, i)
			require.False(t, isASCII(clean, dirty, clean), "length %d, byte %d", n, i)
			require.False(t, isASCII(clean, clean, dirty), "length %d, byte %d", n, i)
		}
	}
}
