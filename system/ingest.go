package system

import "github.com/apache/yunikorn-scheduler-interface/lib/go/si"

// AddEvent records ev: see EventSystem and, for the concurrency argument,
// EventSystemImpl. It takes no lock, does not allocate (unless the message
// must be cut) and never drops a record while the system is not stopped.
func (e *EventSystemImpl) AddEvent(ev *si.EventRecord) {
	if ev == nil || e == nil {
		return
	}
	if e.state.Load() == stateStopped {
		e.rejected.Add(1)
		return
	}
	prepareRecord(ev)
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
func (e *EventSystemImpl) AddEvents(records []*si.EventRecord) {
	if e == nil {
		return
	}
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
	// One claim for the batch; from here to the last StoreWithID nothing may
	// return early, as for AddEvent: the store's collector waits for every
	// ID the ring handed out.
	id, _ := e.history.AddBatch(records)
	for _, ev := range records {
		if ev != nil {
			e.Store.StoreWithID(id, ev)
			id++
		}
	}
	// PublishEvent(ev) says ev and every event before it are in the ring.
	e.streaming.Load().PublishEvent(last)
}
