package testutil

import (
	"runtime"
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

func TestLoopRunsUntilStopped(t *testing.T) {
	var a, b atomic.Int64
	stop := Loop(func() { a.Add(1) }, func() { b.Add(1) })
	for a.Load() < 3 || b.Load() < 3 {
		runtime.Gosched()
	}
	stop()
	na, nb := a.Load(), b.Load()
	runtime.Gosched()
	if a.Load() != na || b.Load() != nb {
		t.Fatalf("calls after stop returned: %d -> %d, %d -> %d", na, a.Load(), nb, b.Load())
	}
}
