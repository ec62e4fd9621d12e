package model

import (
	"fmt"
	"math"
	"slices"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// MaxOps bounds the operations decoded from one input, so that every
// execution stays fast whatever length the fuzzer tries.
const MaxOps = 400

// Ops decodes a byte string (the fuzzer's, or a seeded random one) into
// operations and their arguments. Reads past the end yield zeros, so every
// byte string is a valid program; Done reports when the input is used up or
// the operation budget is spent.
type Ops struct {
	data []byte
	n    int // operations decoded so far
}

// NewOps decodes data.
func NewOps(data []byte) *Ops { return &Ops{data: data} }

// Done is checked once per operation.
func (o *Ops) Done() bool {
	if len(o.data) == 0 || o.n >= MaxOps {
		return true
	}
	o.n++
	return false
}

// Byte takes one byte.
func (o *Ops) Byte() byte {
	if len(o.data) == 0 {
		return 0
	}
	b := o.data[0]
	o.data = o.data[1:]
	return b
}

// Intn returns a value in [0, n).
func (o *Ops) Intn(n int) int { return int(o.Byte()) % n }

// Bool takes one byte.
func (o *Ops) Bool() bool { return o.Byte()&1 == 1 }

// Capacity decodes a small capacity, 0 included: 0..254, or 256..319 to cross
// the power-of-two boundary at 256.
func (o *Ops) Capacity() uint64 {
	c := o.Byte()
	if c == 255 {
		return 256 + uint64(o.Byte()%64)
	}
	return uint64(c)
}

// Count decodes a read count: 0, 1, MaxUint64, MaxUint64-1, 1<<63, or small.
func (o *Ops) Count() uint64 {
	switch c := o.Byte(); c {
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

// IDNear decodes an ID relative to the window [lowest, next): the edges and
// just outside them, somewhere inside, or an extreme.
func (o *Ops) IDNear(lowest, next uint64) uint64 {
	switch o.Byte() % 10 {
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
		return uint64(o.Byte()) % span
	}
}

// records returns a source of fresh records tagged 1, 2, 3, ..., with nil
// in place of every nilEvery-th.
func records(nilEvery int64) func() *si.EventRecord {
	tag := int64(0)
	return func() *si.EventRecord {
		tag++
		if tag%nilEvery == 0 {
			return nil
		}
		return Rec(tag)
	}
}

// Rec returns a fresh, distinguishable record (tag in TimestampNano).
func Rec(tag int64) *si.EventRecord {
	return &si.EventRecord{TimestampNano: tag}
}

// Tag is the tag Rec gave a record, -1 for nil.
func Tag(ev *si.EventRecord) int64 {
	if ev == nil {
		return -1
	}
	return ev.GetTimestampNano()
}

// Tags lists the tags of evs, for failure messages.
func Tags(evs []*si.EventRecord) []int64 {
	out := make([]int64, len(evs))
	for i, ev := range evs {
		out[i] = Tag(ev)
	}
	return out
}

// Same reports whether got holds exactly the records of want: the same
// pointers in the same order (nil and empty are the same).
func Same(want, got []*si.EventRecord) bool {
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if want[i] != got[i] {
			return false
		}
	}
	return true
}

// differ describes a mismatch of two record lists found by Same.
func differ(want, got []*si.EventRecord) string {
	if slices.Equal(Tags(want), Tags(got)) {
		return fmt.Sprintf("same tags %v but different record pointers", Tags(got))
	}
	return fmt.Sprintf("got tags %v, want %v", Tags(got), Tags(want))
}
