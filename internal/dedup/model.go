package dedup

import (
	"errors"
	"fmt"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// Model is the obviously correct reference for Table, shared by its tests
// and the fuzz targets: a map from the compared fields to the timestamp of
// the last equal event recorded. It has no size limit, forgets nothing and
// is for one goroutine only.
type Model struct {
	window int64
	last   map[modelKey]int64
}

type modelKey struct {
	typ, changeType, changeDetail int32
	objectID, referenceID, msg    string
	unknown                       string
}

func keyOf(ev *si.EventRecord) modelKey {
	return modelKey{
		typ: int32(ev.Type), changeType: int32(ev.EventChangeType), changeDetail: int32(ev.EventChangeDetail),
		objectID: ev.ObjectID, referenceID: ev.ReferenceID, msg: ev.Message,
		unknown: string(unknownFields(ev)),
	}
}

// NewModel returns an empty model with the given window (0 or less: 1ns, as
// New).
func NewModel(window time.Duration) *Model {
	if window <= 0 {
		window = 1
	}
	return &Model{window: int64(window), last: make(map[modelKey]int64)}
}

// Suppress is Table.Suppress without the table's losses: true when an equal
// event was recorded within the window of ev's timestamp, else it records ev
// (a record without a timestamp is always recorded and never remembered).
func (m *Model) Suppress(ev *si.EventRecord) bool {
	if m.Justified(ev) {
		return true
	}
	m.Recorded(ev)
	return false
}

// Justified reports whether suppressing ev is allowed: ev has a timestamp and
// the last equal event recorded has one less than the window away (earlier
// or later).
func (m *Model) Justified(ev *si.EventRecord) bool {
	if ev.TimestampNano <= 0 {
		return false
	}
	t, ok := m.last[keyOf(ev)]
	d := ev.TimestampNano - t
	return ok && d < m.window && d > -m.window
}

// Recorded notes that ev was recorded. A test following a lossy Table calls
// it whenever the table decided to record.
func (m *Model) Recorded(ev *si.EventRecord) {
	if ev.TimestampNano > 0 {
		m.last[keyOf(ev)] = ev.TimestampNano
	}
}

// Follow runs tab.Suppress(ev) and checks the table against the model. With
// exact (no more distinct events have used ev's bucket than it has ways, so
// the table has lost nothing that matters), the table must decide as the
// model does. Otherwise the table may forget: a suppression must be
// justified by the model, and an event the table records is recorded in the
// model too. It returns the table's decision, and an error saying what broke.
func (m *Model) Follow(tab *Table, ev *si.EventRecord, exact bool) (bool, error) {
	got := tab.Suppress(ev)
	if exact {
		if want := m.Suppress(ev); got != want {
			return got, fmt.Errorf("table suppressed %v, model %v", got, want)
		}
		return got, nil
	}
	if got {
		if !m.Justified(ev) {
			return got, errors.New("suppressed without an equal event recorded within the window")
		}
		return got, nil
	}
	m.Recorded(ev)
	return got, nil
}
