package testutil

import (
	"sync/atomic"
	"testing"
)

func TestRunWaitsForEveryGoroutine(t *testing.T) {
	var seen [8]atomic.Int32
	Run(len(seen), func(i int) { seen[i].Add(1) })
	for i := range seen {
		if got := seen[i].Load(); got != 1 {
			t.Fatalf("f(%d) ran %d times, want 1", i, got)
		}
	}
}

func TestStartReturnsBeforeWaiting(t *testing.T) {
	release := make(chan struct{})
	var done atomic.Int32
	wait := Start(3, func(int) { <-release; done.Add(1) })
	if got := done.Load(); got != 0 {
		t.Fatalf("%d goroutines finished before release", got)
	}
	close(release)
	wait()
	if got := done.Load(); got != 3 {
		t.Fatalf("wait returned with %d of 3 done", got)
	}
}
