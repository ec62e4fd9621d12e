// Package fuzz holds the native Go fuzz targets of lfevents: each target
// decodes the fuzzer's bytes into a sequence of operations on one structure
// (ring, store, SPSC queue, the event system) and checks it after every step
// against a simple reference model kept in the test files. The concurrent
// targets split the operations over several goroutines and check what must
// hold under any interleaving.
//
// The package has no API; it exists for `go test ./fuzz/`, which runs every
// committed seed under testdata/fuzz, and `go test -fuzz`, which searches for
// new inputs. See docs/fuzzing.md.
package fuzz
