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
