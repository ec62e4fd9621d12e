// Package fuzz holds the native Go fuzz targets of lfevents: each target
// decodes the fuzzer's bytes into a sequence of operations on one structure
// (ring, store, SPSC queue, duplicate table, the event system) and checks
// it against a reference model: the deterministic targets through the
// interpreters of internal/model and internal/model/systemrun, which the
// packages' own model tests run too; the concurrent targets check what must
// hold under any interleaving.
//
// The package has no API; it exists for `go test ./fuzz/`, which runs every
// committed seed under testdata/fuzz, and `go test -fuzz` (or `make fuzz`,
// which calls run.sh), which searches for new inputs. See docs/fuzzing.md.
package fuzz
