package testutil

import (
	"fmt"
	"time"
)

// Receive receives n values from ch, waiting at most d for all of them. It
// returns them (a non-nil slice, also for n <= 0) and nil, or, when ch is
// closed or d passes first, the values it got and an error that says which.
// Drain is its counterpart that receives until ch is closed.
func Receive[T any](ch <-chan T, n int, d time.Duration) ([]T, error) {
	got := make([]T, 0, max(n, 0))
	timer := time.NewTimer(d)
	defer timer.Stop()
	for len(got) < n {
		select {
		case v, ok := <-ch:
			if !ok {
				return got, fmt.Errorf("channel closed after %d of %d values", len(got), n)
			}
			got = append(got, v)
		case <-timer.C:
			return got, fmt.Errorf("%d of %d values received within %v", len(got), n, d)
		}
	}
	return got, nil
}
