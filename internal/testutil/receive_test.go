package testutil

import (
	"slices"
	"testing"
	"time"
)

func TestReceive(t *testing.T) {
	ch := make(chan int, 4)
	ch <- 1
	ch <- 2
	ch <- 3
	got, err := Receive(ch, 2, time.Second)
	if err != nil || !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("Receive 2 = %v, %v; want [1 2], nil", got, err)
	}
	if got, err := Receive(ch, 0, time.Second); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("Receive 0 = %#v, %v; want an empty non-nil slice, nil", got, err)
	}
	if got, err := Receive(ch, 2, 10*time.Millisecond); err == nil || !slices.Equal(got, []int{3}) {
		t.Fatalf("Receive 2 of 1 = %v, %v; want [3] and a timeout", got, err)
	}
	ch <- 4
	close(ch)
	if got, err := Receive(ch, 2, time.Second); err == nil || !slices.Equal(got, []int{4}) {
		t.Fatalf("Receive 2 from a closed channel holding 1 = %v, %v; want [4] and an error", got, err)
	}
}
