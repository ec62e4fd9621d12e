//go:build 386 || amd64

package cpu

// CacheLineSize is the L1 data cache line of x86 processors.
const CacheLineSize = 64
