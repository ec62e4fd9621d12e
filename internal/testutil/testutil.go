// Package testutil holds the small helpers the module's tests, fuzz targets
// and benchmarks share. It is internal: nothing here is part of the API.
package testutil

import "sync"

// Start runs f(0), ..., f(n-1) on n new goroutines and returns a function
// that waits until all of them have returned.
func Start(n int, f func(i int)) (wait func()) {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			defer wg.Done()
			f(i)
		}()
	}
	return wg.Wait
}

// Run runs f(0), ..., f(n-1) on n new goroutines and waits for all of them.
func Run(n int, f func(i int)) { Start(n, f)() }

// Loop calls each of fs over and over, each on a goroutine of its own, until
// the returned stop is called: stop makes every goroutine return after its
// current call and waits for them. Tests use it for background readers,
// resizers and the like that run while the goroutines under test work.
func Loop(fs ...func()) (stop func()) {
	done := make(chan struct{})
	wait := Start(len(fs), func(i int) {
		for {
			select {
			case <-done:
				return
			default:
			}
			fs[i]()
		}
	})
	return func() { close(done); wait() }
}
