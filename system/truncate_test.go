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
	seed := uint64(1)
	next := func() uint64 { // xorshift: deterministic, no shared state
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return seed
	}
	for i := 0; i < 500; i++ {
		var b strings.Builder
		n := 900 + int(next()%400)
		for b.Len() < n {
			b.WriteString(pieces[next()%uint64(len(pieces))])
		}
		msg := b.String()
		got := truncateMessage(msg)
		require.Equal(t, referenceTruncate(msg), got, "case %d", i)
		require.True(t, utf8.ValidString(got))
	}
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
	// The batch as a shim sends it: a repeated message field (number 1).
	var wire []byte
	for _, ev := range batch {
		one, err := proto.Marshal(ev)
		require.NoError(t, err)
		wire = protowire.AppendTag(wire, 1, protowire.BytesType)
		wire = protowire.AppendBytes(wire, one)
	}
	decoded := 0
	for len(wire) > 0 {
		_, _, n := protowire.ConsumeTag(wire)
		require.Positive(t, n)
		v, m := protowire.ConsumeBytes(wire[n:])
		require.Positive(t, m)
		back := &si.EventRecord{}
		require.NoError(t, proto.Unmarshal(v, back))
		assert.True(t, proto.Equal(batch[decoded], back))
		decoded++
		wire = wire[n+m:]
	}
	assert.Equal(t, len(batch), decoded)
}
