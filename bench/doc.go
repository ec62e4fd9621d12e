// Package bench holds the side-by-side benchmarks of lfevents (impl=lockfree,
// and impl=lockfree-ring for its history ring alone) against the
// straightforward design with one mutex over history and batch (impl=mutex),
// against bench/baseline, a re-build of the reference design (impl=baseline),
// and against the floors of what any ordered multi-producer history can cost
// in Go (impl=floor-add, impl=floor-claimpublish); the history-read scenario
// also has impl=rwmutex (reads under a read lock: a make and a copy) and
// impl=control, a reader that shares nothing with the writer. Run them with
// `make bench` (bench/run.sh), which prints a short summary and saves the full
// tables (bench/stat.sh: `benchstat -col /impl`) and charts under bench/out/;
// `make bench-compare` (bench/compare.sh) compares two commits. The package
// has no API: everything is in its _test.go files, and each scenario's doc
// comment says what its metrics mean.
package bench
