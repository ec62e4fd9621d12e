package testutil

import (
	"reflect"
	"testing"
	"time"
)

func TestGrid(t *testing.T) {
	got := Grid(2, 3, func(i, j int) int { return 10*i + j })
	if want := [][]int{{0, 1, 2}, {10, 11, 12}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Grid = %v, want %v", got, want)
	}
}

func TestDrain(t *testing.T) {
	ch := make(chan int, 3)
	ch <- 1
	ch <- 2
	got, closed := Drain(ch, 10*time.Millisecond)
	if closed || !reflect.DeepEqual(got, []int{1, 2}) {
		t.Fatalf("open channel: Drain = %v, %v; want [1 2], false", got, closed)
	}
	ch <- 3
	close(ch)
	got, closed = Drain(ch, time.Minute)
	if !closed || !reflect.DeepEqual(got, []int{3}) {
		t.Fatalf("closed channel: Drain = %v, %v; want [3], true", got, closed)
	}
}
