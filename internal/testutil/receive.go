package testutil

import (
	"fmt"
	"time"
)

// Receive receives n values from ch, waiting at most d for all of them. It
// returns them (a non-nil slice, also for n = 0) and nil, or, when ch is
// closed or d passes first, the values it got and an error that says which.
func Receive[T any](ch <-chan T, n int, d time.Duration) ([]T, error) {
	return receive(ch, max(n, 0), d)
}

// ReceiveAll receives from ch until it is closed, waiting at most d, and
// returns the values; the error says when d passed first.
func ReceiveAll[T any](ch <-chan T, d time.Duration) ([]T, error) {
	return receive(ch, -1, d)
}

// receive is Receive, or ReceiveAll for n < 0.
func receive[T any](ch <-chan T, n int, d time.Duration) ([]T, error) {
	got := make([]T, 0, max(n, 0))
	timer := time.NewTimer(d)
	defer timer.Stop()
	for n < 0 || len(got) < n {
		select {
		case v, ok := <-ch:
			if !ok {
				if n < 0 {
					return got, nil
				}
				return got, fmt.Errorf("channel closed after %d of %d values", len(got), n)
			}
			got = append(got, v)
		case <-timer.C:
			if n < 0 {
				return got, fmt.Errorf("channel not closed within %v (%d values received)", d, len(got))
			}
			return got, fmt.Errorf("%d of %d values received within %v", len(got), n, d)
		}
	}
	return got, nil
}
