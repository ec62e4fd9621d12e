//go:build gc && !race && !purego

#include "textflag.h"

// func StoreRelease(p *atomic.Uint64, v uint64)
//
// STLR: arm64's store-release (see the package documentation).
TEXT ·StoreRelease(SB), NOSPLIT, $0-16
	MOVD	p+0(FP), R0
	MOVD	v+8(FP), R1
	STLR	R1, (R0)
	RET
