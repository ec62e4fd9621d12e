package stream

import (
	"sync"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// chanStreaming re-builds the reference design's stream fan-out for the
// impl=chan benchmarks: every event is pushed, under a read lock, into each
// consumer's bounded channel (1000) without blocking; a forwarding goroutine
// per consumer moves it into the consumer's own channel (1000); a consumer
// whose first channel is full is removed under the write lock and closed.
// (The reference also hops every event through one more channel and a
// handler goroutine before this; the benchmarks leave that out, in its
// favour.)
type chanStreaming struct {
	mu      sync.RWMutex
	streams []*chanStream
}

type chanStream struct {
	in   chan *si.EventRecord
	out  chan *si.EventRecord
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

const chanRefBuffer = 1000

func (cs *chanStreaming) create() *chanStream {
	s := &chanStream{
		in:   make(chan *si.EventRecord, chanRefBuffer),
		out:  make(chan *si.EventRecord, chanRefBuffer),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go s.forward()
	cs.mu.Lock()
	cs.streams = append(cs.streams, s)
	cs.mu.Unlock()
	return s
}

func (s *chanStream) forward() {
	defer close(s.done)
	defer close(s.out)
	for {
		select {
		case ev := <-s.in:
			select {
			case s.out <- ev:
			case <-s.stop:
				return
			}
		case <-s.stop:
			return
		}
	}
}

func (s *chanStream) end() {
	s.once.Do(func() { close(s.stop) })
	<-s.done
}

// publish pushes ev to every consumer; the slow ones are removed.
func (cs *chanStreaming) publish(ev *si.EventRecord) {
	var slow []*chanStream
	cs.mu.RLock()
	for _, s := range cs.streams {
		select {
		case s.in <- ev:
		default:
			slow = append(slow, s)
		}
	}
	cs.mu.RUnlock()
	for _, s := range slow {
		cs.remove(s)
	}
}

func (cs *chanStreaming) remove(s *chanStream) {
	cs.mu.Lock()
	for i, x := range cs.streams {
		if x == s {
			cs.streams = append(cs.streams[:i:i], cs.streams[i+1:]...)
			break
		}
	}
	cs.mu.Unlock()
	s.end()
}

func (cs *chanStreaming) close() {
	cs.mu.Lock()
	list := cs.streams
	cs.streams = nil
	cs.mu.Unlock()
	for _, s := range list {
		s.end()
	}
}
