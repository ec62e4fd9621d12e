// Package bench holds the side-by-side benchmarks of lfevents (impl=lockfree)
// against bench/baseline, a re-build of the reference design
// (impl=baseline), and against the floors of what any ordered
// multi-producer history can cost in Go (impl=floor-add,
// impl=floor-claimpublish). Run them with `make bench`, which feeds the
// results to `benchstat -col /impl`. The package has no API; everything is in
// its _test.go files, and the scenarios are described there and in
// BENCHMARKS.md.
package bench
