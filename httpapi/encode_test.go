package httpapi

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/lfevents/lfevents/system"
)

func TestAppendRecordMatchesEncodingJSON(t *testing.T) {
	tricky := []string{
		"", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>",
		"\x00\x01\x07\b\f\n\r\t\x1f\x7f", "ünïcödé 日本語 🎉", "\u2028\u2029",
		"bad utf8 \xff\xfe end", "truncated \xe6\x97", "\xed\xa0\x80 surrogate",
	}
	var records []*si.EventRecord
	records = append(records, &si.EventRecord{}, nil)
	for i := range 40 {
		records = append(records, testRecord(i))
	}
	for _, s := range tricky {
		records = append(records, &si.EventRecord{ObjectID: s, Message: s, ReferenceID: s,
			Resource: &si.Resource{Resources: map[string]*si.Quantity{s: {Value: -3}, "z" + s: nil, "a": {}}}})
	}
	records = append(records,
		&si.EventRecord{Resource: &si.Resource{}},
		&si.EventRecord{Resource: &si.Resource{Resources: map[string]*si.Quantity{}}},
		&si.EventRecord{Type: 99, EventChangeType: -1, EventChangeDetail: 100000, TimestampNano: -5},
	)
	many := &si.Resource{Resources: map[string]*si.Quantity{}}
	for i := range 40 { // more names than are sorted on the stack
		many.Resources[string(rune('A'+i))+"res"] = &si.Quantity{Value: int64(i)}
	}
	records = append(records, &si.EventRecord{Resource: many})

	for i, ev := range records {
		assert.Equal(t, referenceJSON(t, ev), string(appendRecord(nil, ev)), "record %d", i)
	}
}

func TestAppendStringMatchesEncodingJSONOnRandomInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "<", ">", "&", "\"", "\\", "\n", "\x00", "\x1f", "é", "\u2028", "\xff", "\xe6\x97", "🎉", "\x7f"}
	for range 5000 {
		var s []byte
		for range rng.IntN(20) {
			s = append(s, alphabet[rng.IntN(len(alphabet))]...)
		}
		want, err := json.Marshal(string(s))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(appendString(nil, string(s))), "%q", s)
		assert.Equal(t, string(want), string(appendStringBytes(nil, s)), "%q", s)
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("<a href=\"x\">\u2028\xff</a>")
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendString(nil, s)))
		require.True(t, utf8.Valid(appendString(nil, s)))
	})
}

func TestRecordStateMatchesEventState(t *testing.T) {
	cases := []*si.EventRecord{{}, testRecord(0), testRecord(1), testRecord(2), testRecord(3)}
	// After a protobuf round trip the state must still be found.
	b, err := proto.Marshal(testRecord(0))
	require.NoError(t, err)
	round := &si.EventRecord{}
	require.NoError(t, proto.Unmarshal(b, round))
	cases = append(cases, round)
	// Two occurrences (as after proto.Merge): the last one wins.
	twice := testRecord(3)
	other := &si.EventRecord{}
	system.SetEventState(other, "Running")
	ob, err := proto.Marshal(other)
	require.NoError(t, err)
	require.NoError(t, proto.UnmarshalOptions{Merge: true}.Unmarshal(ob, twice))
	cases = append(cases, twice)
	for i, ev := range cases {
		got, ok := recordState(ev)
		want := system.EventState(ev)
		assert.Equal(t, want != "", ok, "case %d", i)
		assert.Equal(t, want, string(got), "case %d", i)
	}
	assert.Equal(t, "Running", system.EventState(twice))
}

func TestAppendRecordDoesNotAllocate(t *testing.T) {
	ev := testRecord(0)
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() { buf = appendRecord(buf[:0], ev) })
	assert.Zero(t, allocs)
}
