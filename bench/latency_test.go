package bench

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"testing"
	_ "unsafe" // for go:linkname

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// nanotime is the runtime's monotonic clock: one vDSO call, where time.Now
// makes two (wall and monotonic).
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// Latency histogram: log-linear buckets, exact below histSub ns and with
// histSub buckets per power of two above, so a bucket is at most 1/histSub
// (3%) wide relative to its values. Fixed size, no allocation on record.
const (
	histSubBits = 5
	histSub     = 1 << histSubBits
	histBuckets = (64 - histSubBits + 1) * histSub
)

// latencyHist counts latencies in nanoseconds. It is owned by one goroutine
// while recording; merge after that goroutine is done.
type latencyHist struct {
	counts [histBuckets]uint64
	n      uint64
	sum    uint64
}

// bucketOf maps a latency to its bucket: v itself below histSub, otherwise
// the top histSubBits+1 bits of v and the number of bits below them.
func bucketOf(v uint64) int {
	if v < histSub {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1 // v>>shift is in [histSub, 2*histSub)
	return (shift+1)*histSub + int(v>>shift) - histSub
}

// bucketRange returns the smallest and largest latency of bucket i.
func bucketRange(i int) (lo, hi uint64) {
	if i < histSub {
		return uint64(i), uint64(i)
	}
	shift := i/histSub - 1
	mant := uint64(i%histSub + histSub)
	return mant << shift, (mant+1)<<shift - 1
}

func (h *latencyHist) record(ns int64) {
	v := uint64(max(ns, 0))
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += v
}

func (h *latencyHist) merge(o *latencyHist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
}

// quantile returns the latency below or at which a share q of the samples
// lie: the middle of the bucket holding the ceil(q*n)-th smallest sample.
func (h *latencyHist) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.999999)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			lo, hi := bucketRange(i)
			return float64(lo+hi) / 2
		}
	}
	return 0
}

func (h *latencyHist) mean() float64 {
	if h.n == 0 {
		return 0
	}
	return float64(h.sum) / float64(h.n)
}

// reportLatency reports the AddEvent latency percentiles as metrics
// p50-ns, p99-ns and p999-ns (the clock's own cost subtracted), or nothing
// when no call was timed (b.N of a few events, one in 16 sampled): a run
// without samples has no percentiles, and zeros would pass for fast calls.
func reportLatency(b *testing.B, h *latencyHist) {
	if h.n == 0 {
		return
	}
	b.ReportMetric(h.quantile(0.50), "p50-ns")
	b.ReportMetric(h.quantile(0.99), "p99-ns")
	b.ReportMetric(h.quantile(0.999), "p999-ns")
}

// clockCost is the median cost of two back-to-back nanotime calls, which
// every timed AddEvent pays on top of itself and which the recorded
// latencies have subtracted. Measured once per process.
var clockCost = sync.OnceValue(func() int64 {
	var h latencyHist
	for range 100000 {
		t := nanotime()
		h.record(nanotime() - t)
	}
	return int64(h.quantile(0.5))
})

// sink keeps the result of spinWork alive so the compiler cannot drop the
// work.
var sink atomic.Uint64

// spinWork is a stand-in for what a producer does between two events: a
// loop of dependent arithmetic that touches no memory, iters times.
func spinWork(iters int, seed uint64) uint64 {
	x := seed | 1
	for range iters {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// spinPerMicro is how many spinWork iterations take about 1 µs on this
// machine: the work the paced scenario does between events.
var spinPerMicro = sync.OnceValue(func() int {
	const iters = 2000000
	best := int64(1 << 62)
	for range 5 { // the fastest of five: the least disturbed
		t := nanotime()
		sink.Add(spinWork(iters, uint64(t)))
		best = min(best, nanotime()-t)
	}
	return max(1, int(int64(iters)*1000/max(best, 1)))
})

// runProducersTimed is runProducers, with every AddEvent timed (sampleMask
// 0) or about one in sampleMask+1 (sampleMask 15: one in 16, chosen by a
// per-producer random number so that the samples do not line up with any
// period of the implementation), and with workIters of spinWork before each
// event. It returns the latencies of all producers merged.
func runProducersTimed(n, producers int, recs [][]*si.EventRecord, add func(*si.EventRecord), sampleMask uint64, workIters int) *latencyHist {
	hists := make([]*latencyHist, producers) // separate allocations: no shared lines
	for p := range hists {
		hists[p] = new(latencyHist)
	}
	clock := clockCost()
	runSplit(n, producers, func(p, count int) {
		mine, h := recs[p], hists[p]
		mask := len(mine) - 1
		rnd := uint64(p)*0x9E3779B97F4A7C15 + 1
		var work uint64
		for i := 0; i < count; i++ {
			if workIters > 0 {
				work += spinWork(workIters, uint64(i))
			}
			rnd ^= rnd << 13
			rnd ^= rnd >> 7
			rnd ^= rnd << 17
			if rnd&sampleMask != 0 {
				add(mine[i&mask])
				continue
			}
			t := nanotime()
			add(mine[i&mask])
			h.record(nanotime() - t - clock)
		}
		sink.Add(work)
	})
	for _, h := range hists[1:] {
		hists[0].merge(h)
	}
	return hists[0]
}
