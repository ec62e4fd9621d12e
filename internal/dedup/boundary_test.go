package dedup

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withRawUnknown sets ev's unknown fields to raw as they are (not
// necessarily valid wire format: the table compares and hashes the bytes).
func withRawUnknown(ev *si.EventRecord, raw string) *si.EventRecord {
	if raw != "" {
		ev.ProtoReflect().SetUnknown([]byte(raw))
	}
	return ev
}

// splitRecord builds a REQUEST record from one text cut into object ID,
// reference ID, message and unknown fields at cuts[0] <= cuts[1] <= cuts[2].
func splitRecord(text string, cuts [3]int) *si.EventRecord {
	return withRawUnknown(rec(si.EventRecord_REQUEST, text[:cuts[0]], text[cuts[0]:cuts[1]], text[cuts[1]:cuts[2]]), text[cuts[2]:])
}

// requireNeverTakenForEachOther checks that a and b (different records) are
// not Equal, do not share a hash, and that neither is suppressed right
// after the other, in a table of one entry (where they always meet) and in
// a default table.
func requireNeverTakenForEachOther(t *testing.T, a, b *si.EventRecord, what string) {
	t.Helper()
	require.False(t, Equal(a, b), "%s: Equal", what)
	require.False(t, Equal(b, a), "%s: Equal", what)
	require.NotEqual(t, Hash(a), Hash(b), "%s: same hash", what)
	for _, size := range []int{1, DefaultSize} {
		for _, order := range [][2]*si.EventRecord{{a, b}, {b, a}} {
			tab := New(Config{Window: time.Hour, Size: size, Logger: quiet})
			require.False(t, tab.Suppress(stamped(clone(order[0]), 0)), "%s: first", what)
			require.False(t, tab.Suppress(stamped(clone(order[1]), 1)), "%s: size %d: the other record suppressed", what, size)
			require.True(t, tab.Suppress(stamped(clone(order[1]), 2)), "%s: size %d: a true repeat", what, size)
		}
		// And with the other record planted under this one's very tag, as a
		// 64-bit collision would leave it.
		tab := New(Config{Window: time.Hour, Size: size, Logger: quiet})
		plant(tab, Hash(a), stamped(clone(b), 0))
		require.False(t, tab.Suppress(stamped(clone(a), 1)), "%s: size %d: suppressed by a colliding record", what, size)
	}
}

// TestFieldBoundaries: two records that differ only in where their text is
// cut into fields are different events. The hash keeps each field a
// separate go-metro input, and Equal compares field by field.
func TestFieldBoundaries(t *testing.T) {
	state := string(withState(&si.EventRecord{}, "Pending").ProtoReflect().GetUnknown())
	cases := []struct {
		name string
		a, b *si.EventRecord
	}{
		{"objectID|referenceID", rec(si.EventRecord_REQUEST, "ab", "c", "m"), rec(si.EventRecord_REQUEST, "a", "bc", "m")},
		{"referenceID|message", rec(si.EventRecord_REQUEST, "ask-1", "app-1", "x"), rec(si.EventRecord_REQUEST, "ask-1", "app-", "1x")},
		{"objectID|message over an empty referenceID", rec(si.EventRecord_APP, "app-1", "", "accepted"), rec(si.EventRecord_APP, "app-", "", "1accepted")},
		{"value moved objectID -> referenceID", rec(si.EventRecord_NODE, "x", "", "m"), rec(si.EventRecord_NODE, "", "x", "m")},
		{"value moved referenceID -> message", rec(si.EventRecord_NODE, "", "x", ""), rec(si.EventRecord_NODE, "", "", "x")},
		{"value moved objectID -> message", rec(si.EventRecord_NODE, "x", "", ""), rec(si.EventRecord_NODE, "", "", "x")},
		{"message|state", withRawUnknown(rec(si.EventRecord_APP, "app-1", "", "state change"), state),
			rec(si.EventRecord_APP, "app-1", "", "state change"+state)},
		{"state moved into the message", withRawUnknown(rec(si.EventRecord_APP, "app-1", "", ""), state),
			rec(si.EventRecord_APP, "app-1", "", state)},
		{"same text, one byte per field", rec(si.EventRecord_REQUEST, "a", "b", "c"), rec(si.EventRecord_REQUEST, "", "", "abc")},
		{"long fields", rec(si.EventRecord_REQUEST, "ask-"+string(make([]byte, 300)), "app", "m"),
			rec(si.EventRecord_REQUEST, "ask-"+string(make([]byte, 299)), "\x00app", "m")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireNeverTakenForEachOther(t, tc.a, tc.b, tc.name)
		})
	}
}

// TestFieldBoundariesRandom cuts random texts into the four fields at two
// different places.
func TestFieldBoundariesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	const alphabet = "ab-1\x00\xff"
	for i := 0; i < 2000; i++ {
		n := rng.IntN(80)
		if i%10 == 0 {
			n = rng.IntN(400)
		}
		b := make([]byte, n)
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		text := string(b)
		cut := func() (c [3]int) {
			for k := range c {
				c[k] = rng.IntN(n + 1)
			}
			if c[0] > c[1] {
				c[0], c[1] = c[1], c[0]
			}
			if c[1] > c[2] {
				c[1], c[2] = c[2], c[1]
			}
			if c[0] > c[1] {
				c[0], c[1] = c[1], c[0]
			}
			return c
		}
		c1, c2 := cut(), cut()
		a, b2 := splitRecord(text, c1), splitRecord(text, c2)
		if c1 == c2 {
			require.True(t, Equal(a, b2))
			require.Equal(t, Hash(a), Hash(b2))
			continue
		}
		requireNeverTakenForEachOther(t, a, b2, fmt.Sprintf("text %q cut at %v and %v", text, c1, c2))
	}
}

// TestBucketsAligned: an entry is 16 bytes, a bucket 64, and the buckets
// start on a 64-byte boundary, so that a probe touches one cache line, at
// every size.
func TestBucketsAligned(t *testing.T) {
	require.EqualValues(t, 16, unsafe.Sizeof(entry{}))
	require.EqualValues(t, 64, unsafe.Sizeof(bucket{}))
	for size := 1; size <= MaxSize; size *= 2 {
		tab := New(Config{Window: time.Second, Size: size, Logger: quiet})
		assert.Zero(t, uintptr(unsafe.Pointer(&tab.buckets[0]))%64, "size %d", size)
		assert.Equal(t, size, tab.Size())
		assert.Equal(t, max(size/4, 1), len(tab.buckets), "size %d", size)
	}
}
