//go:build arm64

package cpu

// CacheLineSize is 128 on arm64: Apple M-series and some Neoverse parts use
// 128-byte lines (and adjacent-line prefetch makes 128 safer everywhere).
const CacheLineSize = 128
