package testutil

import "time"

// Grid returns n rows of m values, row i holding f(i, 0), ..., f(i, m-1):
// for example the records each of n producers adds in turn.
func Grid[T any](n, m int, f func(i, j int) T) [][]T {
	out := make([][]T, n)
	for i := range out {
		out[i] = make([]T, m)
		for j := range out[i] {
			out[i][j] = f(i, j)
		}
	}
	return out
}

// Drain receives from ch until it is closed and returns what it received;
// closed is false if ch was still open after d.
func Drain[T any](ch <-chan T, d time.Duration) (got []T, closed bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case v, ok := <-ch:
			if !ok {
				return got, true
			}
			got = append(got, v)
		case <-timer.C:
			return got, false
		}
	}
}
