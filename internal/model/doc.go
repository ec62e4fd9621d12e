// Package model holds the obviously correct reference models of lfevents'
// structures (history ring, batch store, the rule for a stream's first
// event) and the interpreters that drive a real structure and its model
// with the same operations, decoded from a byte string, and report the
// first place where they differ. The package tests of ring and store and
// the fuzz targets in fuzz/ run the same interpreters; the event system's
// interpreter, which needs the system itself, is in package systemrun.
//
// Models are single-goroutine and favour plainness over speed; none of them
// is safe for concurrent use.
package model
