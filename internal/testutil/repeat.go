package testutil

import "time"

// Repeat calls f(i) over and over on each of n new goroutines, i = 0..n-1,
// until stop is closed, and returns a function that waits until all of them
// have returned. stop is checked before each call; a call is never cut
// short.
func Repeat(stop <-chan struct{}, n int, f func(i int)) (wait func()) {
	return Start(n, func(i int) {
		for {
			select {
			case <-stop:
				return
			default:
			}
			f(i)
		}
	})
}

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
