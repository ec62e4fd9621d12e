package fuzz

import (
	"math"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// maxOps bounds the operations decoded from one input, so that every
// execution stays fast whatever length the fuzzer tries.
const maxOps = 400

// ops decodes the fuzzer's bytes. Reads past the end yield zeros, so every
// byte string is a valid program; done reports when the input is used up or
// the operation budget is spent.
type ops struct {
	data []byte
	n    int // operations decoded so far
}

func newOps(data []byte) *ops { return &ops{data: data} }

// done is checked once per operation.
func (o *ops) done() bool {
	if len(o.data) == 0 || o.n >= maxOps {
		return true
	}
	o.n++
	return false
}

func (o *ops) byte() byte {
	if len(o.data) == 0 {
		return 0
	}
	b := o.data[0]
	o.data = o.data[1:]
	return b
}

// intn returns a value in [0, n).
func (o *ops) intn(n int) int { return int(o.byte()) % n }

// bool takes one byte.
func (o *ops) bool() bool { return o.byte()&1 == 1 }

// capacity decodes a small capacity, 0 included: 0..254, or 256..319 to cross
// the power-of-two boundary at 256.
func (o *ops) capacity() uint64 {
	c := o.byte()
	if c == 255 {
		return 256 + uint64(o.byte()%64)
	}
	return uint64(c)
}

// count decodes a read count: 0, 1, MaxUint64, MaxUint64-1, 1<<63, or small.
func (o *ops) count() uint64 {
	switch c := o.byte(); c {
	case 0, 1:
		return uint64(c)
	case 2:
		return math.MaxUint64
	case 3:
		return math.MaxUint64 - 1
	case 4:
		return 1 << 63
	default:
		return uint64(c - 5)
	}
}

// idNear decodes an ID relative to the window [lowest, next): the edges and
// just outside them, somewhere inside, or an extreme.
func (o *ops) idNear(lowest, next uint64) uint64 {
	switch o.byte() % 10 {
	case 0:
		return lowest
	case 1:
		return lowest - 1 // wraps to MaxUint64 when lowest is 0
	case 2:
		return next
	case 3:
		return next - 1
	case 4:
		return next + 1
	case 5:
		return math.MaxUint64
	case 6:
		return 0
	case 7:
		return 1 << 63
	default:
		span := next + 2
		return uint64(o.byte()) % span
	}
}

// rec returns a fresh, distinguishable record (tag in TimestampNano).
func rec(tag int64) *si.EventRecord {
	return &si.EventRecord{TimestampNano: tag}
}
