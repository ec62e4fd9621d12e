package system

import (
	"log/slog"
	"time"
)

// LossReportInterval is the shortest time between two warnings of the same
// kind about events not stored (the store was full between two pushes) or
// streams cut off as slow, over the life of a system (publisher restarts by
// Reconfigure or Restart do not reset it). Stop logs what is left at once,
// whatever the interval. Each warning carries the count since the previous
// one and the total; Metrics has the exact counters at any time.
const LossReportInterval = 30 * time.Second

// Loss reports
//
// "Nothing lost silently" holds in the logs too, without a word on
// AddEvent's path: the counters are derived (the store's from its ID
// sequence, the streams' from their cuts), and the publisher's goroutine
// compares them with what it last reported, after every push. The first
// loss is reported at the next push, later ones at most once per
// LossReportInterval. The interval holds over the life of the system:
// restarts of the publisher (each Reconfigure of a running system, Restart)
// do not reset it, so a storm of config reloads logs no more warnings than
// a steady run. Whatever is left unreported when the system stops (Stop,
// or Init retiring it) is reported at once, by Stop, after the streams are
// closed: a stream cut after the publisher's last push (by an AddEvent
// racing Stop) is in it, and no loss waits for a start that may never come.
// That is at most one warning of each kind per Stop, next to Stop's own
// "event system stopped". A system running without its publisher
// (StartServiceWithPublisher(false)) reports nothing; Metrics still counts.

// lossClock is the clock of the loss reports. A variable only so that a
// test can stop it; tests set it while no publisher runs.
var lossClock = time.Now

// rateLimited remembers what one kind of warning has reported so far.
type rateLimited struct {
	reported uint64    // total covered by earlier warnings
	last     time.Time // when the last warning went out (zero: never)
}

// due returns how much of total is new since the last warning and whether a
// warning for it is due now: there is something new, and either final is
// set, nothing was reported yet, or LossReportInterval has passed. When it
// is due, the new part counts as reported from now on.
func (r *rateLimited) due(now time.Time, total uint64, final bool) (uint64, bool) {
	if total <= r.reported {
		return 0, false
	}
	if !final && !r.last.IsZero() && now.Sub(r.last) < LossReportInterval {
		return 0, false
	}
	n := total - r.reported
	r.reported, r.last = total, now
	return n, true
}

// reportLosses reports the losses not reported yet (see rateLimited and
// "Loss reports"): rate-limited after each push of the publisher, at once
// with final (by Stop). Called only by the publisher's run goroutine or,
// with final, by stopLocked: see notStoredReport for who owns its state.
func (e *EventSystemImpl) reportLosses(final bool) {
	cfg := e.current.Load()
	now := lossClock()
	notStored := e.Store.Stats().NotStored
	if n, ok := e.notStoredReport.due(now, notStored, final); ok {
		cfg.Logger.Warn("events not stored: the store was full between two pushes; they are in history and streams only",
			slog.Uint64("notStored", n), slog.Uint64("notStoredTotal", notStored),
			slog.Uint64("requestCapacity", cfg.RequestCapacity), slog.Duration("pushInterval", cfg.PushInterval))
	}
	cut := e.streamStats().StreamsRemovedSlow
	if n, ok := e.cutSlowReport.due(now, cut, final); ok {
		cfg.Logger.Warn("event streams cut off as slow: their consumers fell behind by more than the queue size",
			slog.Uint64("streamsCut", n), slog.Uint64("streamsCutTotal", cut),
			slog.Int("streamQueueSize", cfg.StreamQueueSize))
	}
}
