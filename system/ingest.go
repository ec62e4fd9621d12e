package system

import (
	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/internal/dedup"
)

// AddEvent records ev: see EventSystem and, for the concurrency argument,
// "The hot path" in system.go. It takes no lock, does not allocate (unless a
// message longer than MaxMessageLength must be cut) and never drops a record
// while the system is not stopped.
func (e *EventSystemImpl) AddEvent(ev *si.EventRecord) {
	if ev == nil {
		return
	}
	if e.state.Load() == stateStopped {
		e.rejected.Add(1)
		return
	}
	prepareRecord(ev)
	if d := e.dupes.Load(); d != nil && d.Suppress(ev) {
		return // a duplicate within Config.DedupWindow, counted
	}
	id := e.history.Add(ev)
	e.Store.StoreWithID(id, ev)
	e.streaming.Load().PublishEvent(ev)
}

// AddEvents records the non-nil records of records, in slice order, under
// consecutive event IDs: no concurrent AddEvent or AddEvents lands in between.
// Each record is treated as by AddEvent (cut if too long, kept in history,
// stored for the publisher or counted as not stored, streamed); nil entries
// are skipped. While the system is stopped every record is rejected and
// counted. It takes no lock and does not allocate (unless a message must be
// cut); the system keeps the pointers, the slice itself is not retained.
// With Config.DedupWindow on, duplicates are left out (counted), also of one
// another within the batch; leaving them out of a batch of more than 129
// entries allocates one slice for the records kept.
func (e *EventSystemImpl) AddEvents(records []*si.EventRecord) {
	if e.state.Load() == stateStopped {
		n := uint64(0)
		for _, ev := range records {
			if ev != nil {
				n++
			}
		}
		e.rejected.Add(n)
		return
	}
	if d := e.dupes.Load(); d != nil {
		e.addEventsDeduped(d, records)
		return
	}
	var last *si.EventRecord
	for _, ev := range records {
		if ev != nil {
			prepareRecord(ev)
			last = ev
		}
	}
	if last == nil {
		return
	}
	e.addBatch(records, last)
}

// addBatch records the prepared non-nil records of records; last is the last
// of them (not nil).
func (e *EventSystemImpl) addBatch(records []*si.EventRecord, last *si.EventRecord) {
	// One claim for the batch; from here to StoreRunWithID nothing may
	// return early, as for AddEvent: the store's collector waits for every
	// ID the ring handed out.
	id, _ := e.history.AddBatch(records)
	e.Store.StoreRunWithID(id, records)
	// PublishEvent(ev) says ev and every event before it are in the ring.
	e.streaming.Load().PublishEvent(last)
}

// dedupBatchStack is the number of records addEventsDeduped can keep of a
// batch with duplicates without allocating: a batch of up to
// dedupBatchStack+1 entries.
const dedupBatchStack = 128

// addEventsDeduped is AddEvents with the duplicate table d: records are
// prepared and looked up in slice order, and the batch that is claimed holds
// the ones that are not duplicates. A batch without duplicates is claimed as
// it is. Leaving duplicates out of a batch of more than dedupBatchStack+1
// entries allocates, once per call (the ring takes the batch as one slice,
// and the caller's is not to be changed).
func (e *EventSystemImpl) addEventsDeduped(d *dedup.Table, records []*si.EventRecord) {
	var spare [dedupBatchStack]*si.EventRecord
	kept, filtered := records, false
	var last *si.EventRecord
	for i, ev := range records {
		if ev == nil {
			continue
		}
		prepareRecord(ev)
		if d.Suppress(ev) {
			if !filtered { // first duplicate: copy the records before it
				filtered = true
				kept = spare[:0]
				if len(records)-1 > len(spare) { // the records kept: at most all but ev
					kept = make([]*si.EventRecord, 0, len(records)-1)
				}
				kept = append(kept, records[:i]...)
			}
			continue
		}
		if filtered {
			kept = append(kept, ev)
		}
		last = ev
	}
	if last != nil {
		e.addBatch(kept, last)
	}
}
