package testutil

// Map returns f applied to each element of xs, in order (a non-nil slice,
// also for no elements): for example the ObjectIDs of some records,
// Map(recs, (*si.EventRecord).GetObjectID).
func Map[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}
