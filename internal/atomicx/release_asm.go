//go:build (amd64 || arm64) && gc && !race && !purego

package atomicx

import "sync/atomic"

// StoreRelease stores v into *p with release ordering: a goroutine whose
// atomic load of *p returns v also sees every memory write the caller made
// before the call. It is not ordered against the caller's later loads (see
// the package documentation). p must not be nil.
//
//go:noescape
func StoreRelease(p *atomic.Uint64, v uint64)

// Native reports whether StoreRelease is the architecture's release store
// (true) or sync/atomic's sequentially consistent Store (false).
const Native = true
