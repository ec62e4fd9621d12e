package fuzz

import (
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/require"
)

// tagOf is the tag rec gave a record, -1 for nil.
func tagOf(ev *si.EventRecord) int64 {
	if ev == nil {
		return -1
	}
	return ev.GetTimestampNano()
}

func tags(evs []*si.EventRecord) []int64 {
	out := make([]int64, len(evs))
	for i, ev := range evs {
		out[i] = tagOf(ev)
	}
	return out
}

// requireSame fails unless got holds exactly the records of want (the same
// pointers, in order). nil and empty slices are the same.
func requireSame(t *testing.T, want, got []*si.EventRecord, msgAndArgs ...any) {
	t.Helper()
	if len(want) == len(got) {
		same := true
		for i := range want {
			if want[i] != got[i] {
				same = false
				break
			}
		}
		if same {
			return
		}
	}
	require.Equal(t, tags(want), tags(got), msgAndArgs...)
	require.Fail(t, "same tags but different record pointers", msgAndArgs...)
}

// requireEqualU64 is require.Equal with a fast path: the fuzz targets make
// this check millions of times, and testify's reflection would dominate.
func requireEqualU64(t *testing.T, want, got uint64, msgAndArgs ...any) {
	t.Helper()
	if want != got {
		require.Equal(t, want, got, msgAndArgs...)
	}
}
