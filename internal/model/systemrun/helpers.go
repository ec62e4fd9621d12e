// Package systemrun drives an event system (system.EventSystemImpl) through
// operations decoded from a byte string and checks it against model.Ring
// and model.Store and the rules of streams and batches. FuzzSystem and the
// system package's TestAgainstModel run Run; FuzzSystemConcurrent shares the
// plugin, the stream readers and the configuration decoder.
//
// It is test support, but a plain package: Run and the checks return an
// error that the caller reports.
package systemrun

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/internal/model"
	"github.com/lfevents/lfevents/stream"
	"github.com/lfevents/lfevents/system"
)

// DeliveryWait bounds how long a check waits for asynchronous delivery
// (streams, a collect) before it calls a missing event lost. It is a bound
// against hanging, not a timing assertion: delivery normally takes
// microseconds.
const DeliveryWait = 10 * time.Second

// Plugin records every batch the publisher hands over, and panics after
// recording one when armed.
type Plugin struct {
	mu      sync.Mutex
	batches [][]*si.EventRecord // as received, shared with the publisher
	copies  [][]*si.EventRecord // taken on receipt
	armed   atomic.Bool
	panics  atomic.Uint64
}

// SendEvent implements system.EventPlugin.
func (p *Plugin) SendEvent(batch []*si.EventRecord) {
	p.mu.Lock()
	p.batches = append(p.batches, batch)
	p.copies = append(p.copies, slices.Clone(batch))
	p.mu.Unlock()
	if p.armed.CompareAndSwap(true, false) {
		p.panics.Add(1)
		panic("systemrun.Plugin: armed")
	}
}

// Copies returns the batches received so far, as they were on receipt.
func (p *Plugin) Copies() [][]*si.EventRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.copies)
}

// Reader is a stream and the goroutine reading it into a slice.
type Reader struct {
	S         *stream.EventStream
	Asked     uint64 // the count of history asked for
	createdAt int    // close epoch when it was created (see Run)
	whenDown  bool   // created while the system was stopped
	histStart uint64 // no event before this ID may arrive
	join      uint64 // the history's read end when it was created
	removed   bool   // the test removed it
	// closedEarly: the stream was already closed (ReasonClosed) before
	// Run's final Stop, so a stop, restart, CloseAllStreams or tracking
	// change of the run must account for it.
	closedEarly bool
	release     chan struct{}
	done        chan struct{}
	mu          sync.Mutex
	got         []*si.EventRecord
	released    bool // by the test's goroutine only
}

// StartReader starts reading s; a stalled reader does not read until Unblock.
func StartReader(s *stream.EventStream, asked uint64, stalled bool) *Reader {
	r := &Reader{S: s, Asked: asked, release: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if stalled {
			<-r.release
		}
		for ev := range r.S.Events {
			r.mu.Lock()
			r.got = append(r.got, ev)
			r.mu.Unlock()
		}
	}()
	return r
}

// Received returns what the reader has received so far.
func (r *Reader) Received() []*si.EventRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// Unblock lets a stalled reader read; one goroutine calls it.
func (r *Reader) Unblock() {
	if !r.released {
		r.released = true
		close(r.release)
	}
}

// AwaitClosed waits until the reader's channel is closed; an error if it is
// not closed within DeliveryWait.
func (r *Reader) AwaitClosed() error {
	select {
	case <-r.done:
		return nil
	case <-time.After(DeliveryWait):
		return errors.New("a stream channel was not closed by Stop")
	}
}

// ShutDown stops e and closes every stream, so that an execution that fails
// half-way does not leave a running system (goroutines, a history of up to
// 100000 slots) behind for the thousands of executions that follow. Safe to
// call on a system already shut down.
func ShutDown(e *system.EventSystemImpl, readers []*Reader) {
	e.Stop()
	e.CloseAllStreams()
	for _, r := range readers {
		r.Unblock()
	}
}

// Config decodes a Config: tracking, small capacities (0: the default),
// a push interval of 1ms (the publisher runs beside the test) or an hour
// (it pushes only when stopped or reconfigured), and a stream queue size.
func Config(o *model.Ops, plugin system.EventPlugin, logger *slog.Logger) system.Config {
	cfg := system.DefaultConfig()
	cfg.TrackingEnabled = o.Bool()
	if c := o.Byte(); c != 255 {
		cfg.RingBufferCapacity = 1 + uint64(c%64)
	} else {
		cfg.RingBufferCapacity = 0 // the default, 100000
	}
	if c := o.Byte(); c != 255 {
		cfg.RequestCapacity = uint64(1 + c%64)
	} else {
		cfg.RequestCapacity = 0 // the default, 1000
	}
	cfg.PushInterval = time.Hour
	if o.Bool() {
		cfg.PushInterval = time.Millisecond
	}
	cfg.StreamQueueSize = []int{1, 8, 64, 0}[o.Intn(4)]
	cfg.Plugin, cfg.Logger = plugin, logger
	return cfg
}

// message decodes an event message: empty, short, or long (around and over
// the 1024-byte limit) made of 1- to 4-byte characters at any alignment.
func message(o *model.Ops) string {
	switch o.Intn(4) {
	case 0, 1:
		return ""
	case 2:
		return "short é€😀"
	default:
		char := []string{"a", "é", "€", "😀"}[o.Intn(4)]
		prefix := strings.Repeat("x", o.Intn(4))
		n := 1000 + int(o.Byte())
		return prefix + strings.Repeat(char, n/len(char)+1)
	}
}

// SameRecords returns an error unless got holds exactly the records of want
// (the same pointers, in order; nil and empty are the same).
func SameRecords(want, got []*si.EventRecord) error {
	switch {
	case model.Same(want, got):
		return nil
	case slices.Equal(model.Tags(want), model.Tags(got)):
		return fmt.Errorf("same tags %v but different record pointers", model.Tags(got))
	default:
		return fmt.Errorf("got tags %v, want %v", model.Tags(got), model.Tags(want))
	}
}

// checks collects the failed checks of a step of Run (or of its final
// checks), so that one error reports all of them.
type checks []error

// add records err unless it is nil.
func (c *checks) add(err error) {
	if err != nil {
		*c = append(*c, err)
	}
}

// fail records a failed check.
func (c *checks) fail(format string, args ...any) { c.add(fmt.Errorf(format, args...)) }

// equal checks a number. Run makes this check millions of times while
// fuzzing: it formats only on failure.
func (c *checks) equal(what string, want, got uint64) {
	if want != got {
		c.fail("%s = %d, want %d", what, got, want)
	}
}

// same checks a list of records with SameRecords.
func (c *checks) same(what string, want, got []*si.EventRecord) {
	if err := SameRecords(want, got); err != nil {
		c.fail("%s: %w", what, err)
	}
}

// err is nil if every check passed, else all the failures.
func (c checks) err() error { return errors.Join(c...) }
