package dedup

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sameBucket returns n distinct records that share one bucket of tab.
func sameBucket(t *testing.T, tab *Table, n int) []*si.EventRecord {
	t.Helper()
	by := map[int][]*si.EventRecord{}
	for i := 0; i < 10000; i++ {
		ev := rec(si.EventRecord_REQUEST, fmt.Sprint("ask-", i), "app-1", "does not fit")
		b := tab.BucketOf(ev)
		by[b] = append(by[b], ev)
		if len(by[b]) == n {
			return by[b]
		}
	}
	t.Fatalf("no %d records in one bucket", n)
	return nil
}

// holding counts the entries of ev's bucket that hold ev's tag.
func holding(tab *Table, ev *si.EventRecord) int {
	h := Hash(ev)
	n := 0
	b := tab.bucket(h)
	for i := range b {
		if b[i].tag.Load() == h|1 {
			n++
		}
	}
	return n
}

func TestWays(t *testing.T) {
	for _, tc := range []struct{ size, ways, buckets int }{{1, 1, 1}, {2, 2, 1}, {4, 4, 1}, {8, 4, 2}, {DefaultSize, 4, DefaultSize / 4}} {
		tab := New(Config{Window: time.Second, Size: tc.size, Logger: quiet})
		assert.Equal(t, tc.ways, tab.Ways(), "size %d", tc.size)
		assert.Equal(t, tc.buckets, len(tab.buckets), "size %d", tc.size)
		for i := 0; i < 100; i++ {
			b := tab.BucketOf(rec(si.EventRecord_APP, fmt.Sprint("app-", i), "", "x"))
			require.True(t, b >= 0 && b < tc.buckets)
		}
	}
}

// TestBucketHoldsFourEvents: four distinct events of one bucket are all
// remembered; a fifth takes the place of exactly one of them.
func TestBucketHoldsFourEvents(t *testing.T) {
	tab := New(Config{Window: time.Hour, Size: 64, Logger: quiet})
	evs := sameBucket(t, tab, 5)
	for i, ev := range evs[:4] {
		require.False(t, tab.Suppress(stamped(clone(ev), time.Duration(i))))
	}
	for i, ev := range evs[:4] {
		assert.True(t, tab.Suppress(stamped(clone(ev), time.Duration(10+i))), "event %d of 4 forgotten", i)
		assert.Equal(t, 1, holding(tab, ev))
	}
	require.False(t, tab.Suppress(stamped(clone(evs[4]), 20)))
	kept := 0
	for _, ev := range evs[:4] {
		kept += holding(tab, ev)
	}
	assert.Equal(t, 3, kept, "the fifth event displaced exactly one")
	assert.True(t, tab.Suppress(stamped(clone(evs[4]), 21)))
}

// TestExpiredEqualReusesItsEntry: an event recorded again after its window
// takes the entry of its expired copy instead of a second one.
func TestExpiredEqualReusesItsEntry(t *testing.T) {
	tab := New(Config{Window: time.Second, Size: 64, Logger: quiet})
	evs := sameBucket(t, tab, 2)
	a, b := evs[0], evs[1]
	require.False(t, tab.Suppress(stamped(clone(a), 0)))
	require.False(t, tab.Suppress(stamped(clone(b), 1)))
	require.False(t, tab.Suppress(stamped(clone(a), 5*time.Second)), "window over")
	assert.Equal(t, 1, holding(tab, a), "remembered once")
	assert.Equal(t, 1, holding(tab, b), "the other event kept")
	assert.True(t, tab.Suppress(stamped(clone(a), 5*time.Second+1)))
}
