// Package cpu holds the cache-line size that the lock-free structures pad to.
//
// The value is per architecture, as in golang.org/x/sys/cpu: padding one
// contended field to a full line keeps writers of other fields off it.
package cpu

// CacheLinePad fills the rest of a cache line after a hot field. Place it
// between two fields that different goroutines write.
type CacheLinePad struct{ _ [CacheLineSize]byte }
