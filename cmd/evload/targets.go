package main

import (
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/bench/baseline"
	"github.com/lfevents/lfevents/stream"
	"github.com/lfevents/lfevents/system"
)

// target is an event system under load: the lock-free one or the baseline.
type target interface {
	system.EventSystem
	// GetRingBufferCapacity returns the history capacity now.
	GetRingBufferCapacity() uint64
	// counts returns the system's counters in one common shape.
	counts() counts
	// reconfigure applies new ring and store capacities; false if the
	// implementation cannot (the baseline).
	reconfigure(ring, store uint64) bool
	// closeReason says why a stream's channel closed, "" if the
	// implementation does not say.
	closeReason(*stream.EventStream) string
	// addEvents records a batch: AddEvents where the implementation has it,
	// otherwise one AddEvent per record.
	addEvents(records []*si.EventRecord)
	// strict reports whether the implementation promises no loss, so that
	// every stream and the history must show each producer's events without
	// gaps. The baseline drops events when its channel is full.
	strict() bool
}

// counts are a system's counters, whichever implementation it is.
type counts struct {
	Accepted   uint64 // events taken in (they will reach history)
	Dropped    uint64 // events refused while running (the baseline's full channel)
	Rejected   uint64 // events refused while stopped
	Processed  uint64 // events readable in history
	NotStored  uint64 // accepted events that found the store full
	Collected  uint64 // events handed to the plugin
	StreamsCut uint64 // streams cut off as slow
	Delivered  uint64 // events delivered to streams
}

// newTarget returns the implementation o.impl names, configured by o, with
// plugin. Both Config types name these fields alike.
func newTarget(o options, plugin system.EventPlugin) target {
	if o.impl == "lockfree" {
		cfg := system.DefaultConfig()
		cfg.RingBufferCapacity, cfg.RequestCapacity, cfg.PushInterval, cfg.StreamQueueSize = o.ring, o.store, o.push, o.queue
		cfg.Plugin = plugin
		return &lockfreeTarget{system.New(cfg)}
	}
	cfg := baseline.DefaultConfig()
	cfg.RingBufferCapacity, cfg.RequestCapacity, cfg.PushInterval, cfg.StreamQueueSize = o.ring, o.store, o.push, o.queue
	cfg.Plugin = plugin
	return &baselineTarget{baseline.New(cfg)}
}

// The two adapters map their implementation's Metrics to counts (the
// types differ, though most counters are named alike) and add what the
// target interface asks beyond the system's own methods.

type lockfreeTarget struct{ *system.EventSystemImpl }

// counts: the lock-free system drops nothing; its NotChanneled are the
// events refused while stopped.
func (t *lockfreeTarget) counts() counts {
	m := t.Metrics()
	return counts{Accepted: m.Channeled, Rejected: m.NotChanneled,
		Processed: m.Processed, NotStored: m.NotStored, Collected: m.Collected,
		StreamsCut: m.StreamsRemovedSlow, Delivered: m.StreamEventsDelivered}
}

func (t *lockfreeTarget) reconfigure(ring, store uint64) bool {
	cfg := t.Config()
	cfg.RingBufferCapacity, cfg.RequestCapacity = ring, store
	t.Reconfigure(cfg)
	return true
}

func (t *lockfreeTarget) addEvents(records []*si.EventRecord)      { t.AddEvents(records) }
func (t *lockfreeTarget) closeReason(h *stream.EventStream) string { return h.CloseReason().String() }
func (t *lockfreeTarget) strict() bool                             { return true }

type baselineTarget struct{ *baseline.System }

// counts: the baseline's NotChanneled are the events dropped at its full
// channel while running.
func (t *baselineTarget) counts() counts {
	m := t.Metrics()
	return counts{Accepted: m.Channeled, Dropped: m.NotChanneled, Rejected: m.Rejected,
		Processed: m.Processed, NotStored: m.NotStored, Collected: m.Collected,
		StreamsCut: m.StreamsRemovedSlow, Delivered: m.StreamEventsDelivered}
}

func (t *baselineTarget) addEvents(records []*si.EventRecord) {
	for _, ev := range records {
		t.AddEvent(ev)
	}
}
func (t *baselineTarget) reconfigure(uint64, uint64) bool        { return false }
func (t *baselineTarget) closeReason(*stream.EventStream) string { return "" }
func (t *baselineTarget) strict() bool                           { return false }
func (t *baselineTarget) waitProcessed(accepted uint64, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for t.Processed() < accepted {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}
