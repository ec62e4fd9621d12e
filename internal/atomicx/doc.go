// Package atomicx has the one atomic operation that sync/atomic lacks and the
// history ring's write path needs: a store with release ordering only.
//
// sync/atomic's stores are sequentially consistent. On amd64 Go compiles them
// to XCHG, a locked instruction that waits for the core's store buffer to
// drain: about as costly as a compare-and-swap (6-7 ns uncontended on the
// machines this project is measured on). Publishing a record in the ring
// needs less: whoever loads the new sequence number must also see the record
// stored before it (release, paired with the acquire of sync/atomic's
// loads). It does not need the store to be ordered before the writer's later
// loads (store-load order), which is what the locked instruction buys.
//
// StoreRelease is that store. On amd64 it is one plain MOV: x86 keeps a
// core's stores in program order and never lets a load pass an earlier
// load, so every store is a release store and every load an acquire load
// (the total store order); the function is written in assembly so that the
// Go compiler, which does not look into it, cannot move the caller's earlier
// memory operations past it. On arm64 it is STLR, the architecture's release
// store (Go's atomic loads there are LDAR, its acquire load). Elsewhere, and
// in builds with the race detector (so that it sees the store as the
// synchronizing access it is) or the purego tag, and with a toolchain other
// than gc (gccgo, which does not take Go's assembler syntax), it is
// sync/atomic's Store, which is stronger.
//
// What a caller gives up: a StoreRelease followed by a load of another
// location may be seen by other cores in the other order (the load may
// complete first). A protocol that needs "my store, then my load" to be
// ordered (a Dekker-style handshake: set my flag, then read yours) must not
// use it for the store, or must see to that order some other way. The ring
// and the stream dispatcher document where this matters.
package atomicx
