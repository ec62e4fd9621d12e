//go:build !386 && !amd64 && !arm64

package cpu

// CacheLineSize is a conservative default for other architectures.
const CacheLineSize = 64
