//go:build gc && !race && !purego

#include "textflag.h"

// func StoreRelease(p *atomic.Uint64, v uint64)
//
// A plain 8-byte store: on amd64 every aligned store has release ordering
// (see the package documentation). sync/atomic.Uint64 is 8 bytes, its value
// at offset 0 and 8-byte aligned.
TEXT ·StoreRelease(SB), NOSPLIT, $0-16
	MOVQ	p+0(FP), AX
	MOVQ	v+8(FP), BX
	MOVQ	BX, 0(AX)
	RET
