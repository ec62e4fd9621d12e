package stream

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/ring"
	"golang.org/x/sys/cpu"
)

// fanout is what the benchmarks drive: a ring plus one of the two stream
// designs. publish is the producer's whole path per event.
type fanout interface {
	subscribe() <-chan *si.EventRecord
	publish(ev *si.EventRecord)
	close()
}

type lockfreeFanout struct {
	r  *ring.Buffer
	es *EventStreaming
}

func (f *lockfreeFanout) subscribe() <-chan *si.EventRecord {
	return f.es.CreateEventStream("bench", 0).Events
}

func (f *lockfreeFanout) publish(ev *si.EventRecord) {
	f.r.Add(ev)
	f.es.PublishEvent(ev)
}

func (f *lockfreeFanout) close() { f.es.Close() }

type chanFanout struct {
	r  *ring.Buffer
	cs *chanStreaming
}

func (f *chanFanout) subscribe() <-chan *si.EventRecord { return f.cs.create().out }

func (f *chanFanout) publish(ev *si.EventRecord) {
	f.r.Add(ev)
	f.cs.publish(ev)
}

func (f *chanFanout) close() { f.cs.close() }

var impls = []struct {
	name string
	new  func(r *ring.Buffer) fanout
}{
	{"lockfree", func(r *ring.Buffer) fanout {
		return &lockfreeFanout{r: r, es: NewEventStreaming(r, WithLogger(quietLogger()))}
	}},
	{"chan", func(r *ring.Buffer) fanout { return &chanFanout{r: r, cs: &chanStreaming{}} }},
}

// benchReader drains one stream and counts what it received.
type benchReader struct {
	n      atomic.Uint64
	closed atomic.Bool // the channel closed (cut off, or the end)
	_      cpu.CacheLinePad
	done   chan struct{}
}

func startReader(ch <-chan *si.EventRecord) *benchReader {
	rd := &benchReader{done: make(chan struct{})}
	go func() {
		defer close(rd.done)
		for range ch {
			rd.n.Add(1)
		}
		rd.closed.Store(true)
	}()
	return rd
}

// waitReaders waits until every reader has target records; it reports false
// if one was cut off first.
func waitReaders(readers []*benchReader, target uint64) bool {
	for _, rd := range readers {
		for rd.n.Load() < target {
			if rd.closed.Load() {
				return false
			}
			runtime.Gosched()
		}
	}
	return true
}

// BenchmarkDeliver: one producer adds to the ring and publishes (the
// system's AddEvent path for streams) while K consumers drain their streams.
// The producer runs at most two windows of 256 events ahead of the slowest
// consumer, so nobody is cut off and every event reaches every consumer.
// ns/op is per event, end to end; producer-ns/event is the time spent in
// ring.Add + publish only; delivered/s counts records received over all
// consumers.
func BenchmarkDeliver(b *testing.B) {
	for _, k := range []int{0, 1, 16, 64} {
		for _, impl := range impls {
			b.Run(fmt.Sprintf("consumers=%d/impl=%s", k, impl.name), func(b *testing.B) {
				benchDeliver(b, impl.new, k)
			})
		}
	}
}

func benchDeliver(b *testing.B, newFanout func(*ring.Buffer) fanout, k int) {
	const window = 256
	f := newFanout(ring.New(1 << 16))
	readers := make([]*benchReader, k)
	for i := range readers {
		readers[i] = startReader(f.subscribe())
	}
	ev := &si.EventRecord{ObjectID: "bench"}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var inPublish time.Duration
	for sent := 0; sent < b.N; {
		w := min(window, b.N-sent)
		t0 := time.Now()
		for range w {
			f.publish(ev)
		}
		inPublish += time.Since(t0)
		sent += w
		if sent > window && !waitReaders(readers, uint64(sent-window)) {
			b.Fatal("a consumer was cut off")
		}
	}
	if !waitReaders(readers, uint64(b.N)) {
		b.Fatal("a consumer was cut off")
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(inPublish.Nanoseconds())/float64(b.N), "producer-ns/event")
	if k > 0 {
		b.ReportMetric(float64(k)*float64(b.N)/elapsed.Seconds(), "delivered/s")
	}
	f.close()
	for _, rd := range readers {
		<-rd.done
	}
}

// BenchmarkCutoffRate finds the highest producer rate that one consumer
// keeps up with: it runs 10000 events at rising rates, paced in bursts every
// 100µs (then unpaced), against a fresh stream with the default buffers and reports,
// as max-events/s, the fastest rate achieved before the consumer is cut
// off. ns/op is the time of one whole search.
func BenchmarkCutoffRate(b *testing.B) {
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			// The best search of the run: on a small shared machine a
			// scheduling stall of a few ms can cut a consumer at any rate,
			// which says nothing about the design.
			best := 0.0
			for range b.N {
				best = max(best, searchCutoff(impl.new))
			}
			b.ReportMetric(best, "max-events/s")
		})
	}
}

func searchCutoff(newFanout func(*ring.Buffer) fanout) float64 {
	const events = 10000
	best := 0.0
	for _, rate := range []float64{0.25e6, 0.5e6, 1e6, 2e6, 4e6, 0} {
		achieved, kept := runAtRate(newFanout, rate, events)
		if !kept {
			break
		}
		best = achieved
	}
	return best
}

// runAtRate publishes events at about rate per second (0: unpaced) to one
// reader and reports the rate achieved and whether the reader kept up.
func runAtRate(newFanout func(*ring.Buffer) fanout, rate float64, events int) (float64, bool) {
	f := newFanout(ring.New(1 << 16))
	rd := startReader(f.subscribe())
	defer func() {
		f.close()
		<-rd.done
	}()
	ev := &si.EventRecord{ObjectID: "bench"}
	// Warm up: one event end to end, so every goroutine is running.
	f.publish(ev)
	if !waitReaders([]*benchReader{rd}, 1) {
		return 0, false
	}
	// Paced in bursts every 100µs, sleeping in between (a spinning
	// producer would take the CPU the consumer needs on small machines).
	burst := events
	if rate > 0 {
		burst = max(1, int(rate/10000))
	}
	start := time.Now()
	for i := 0; i < events; i++ {
		if i%burst == 0 && rate > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(float64(i) / rate * 1e9))))
		}
		f.publish(ev)
	}
	achieved := float64(events) / time.Since(start).Seconds()
	return achieved, waitReaders([]*benchReader{rd}, uint64(events)+1)
}

// BenchmarkStreamMemory reports the heap and stack bytes one idle stream
// costs (queue, channels, goroutines), created 100 at a time.
func BenchmarkStreamMemory(b *testing.B) {
	const streams = 100
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			var total uint64
			for range b.N {
				f := impl.new(ring.New(16))
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				chans := make([]<-chan *si.EventRecord, streams)
				for i := range chans {
					chans[i] = f.subscribe()
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				total += (after.HeapAlloc + after.StackInuse) - (before.HeapAlloc + before.StackInuse)
				runtime.KeepAlive(chans)
				f.close()
			}
			b.ReportMetric(float64(total)/float64(b.N*streams), "bytes/stream")
		})
	}
}

// BenchmarkPublishEvent is the producer-side cost of PublishEvent alone
// with no stream (one atomic load).
func BenchmarkPublishEvent(b *testing.B) {
	es := NewEventStreaming(ring.New(16))
	ev := &si.EventRecord{}
	b.ReportAllocs()
	for b.Loop() {
		es.PublishEvent(ev)
	}
}
