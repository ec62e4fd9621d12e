package system

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// logRecorder is a slog.Handler that keeps every record, for tests that check
// what was logged.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

// count returns how many records at level have an attribute key=value.
func (h *logRecorder) count(level slog.Level, key, value string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.records {
		if r.Level != level {
			continue
		}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == key && (value == "" || a.Value.String() == value) {
				n++
				return false
			}
			return true
		})
	}
	return n
}

func (h *logRecorder) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.records))
	for _, r := range h.records {
		out = append(out, r.Message)
	}
	return out
}

// useDefaultLogger makes a recorder the default logger for the test.
func useDefaultLogger(t *testing.T) *logRecorder {
	t.Helper()
	rec := &logRecorder{}
	old := slog.Default()
	slog.SetDefault(slog.New(rec))
	t.Cleanup(func() { slog.SetDefault(old) })
	return rec
}

// recordingPlugin keeps every batch it is sent.
type recordingPlugin struct {
	mu      sync.Mutex
	batches [][]*si.EventRecord
}

func (p *recordingPlugin) SendEvent(events []*si.EventRecord) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.batches = append(p.batches, events)
}

func (p *recordingPlugin) events() []*si.EventRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*si.EventRecord
	for _, b := range p.batches {
		out = append(out, b...)
	}
	return out
}

func (p *recordingPlugin) batchCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.batches)
}

// panickingPlugin panics on every call, after counting it.
type panickingPlugin struct {
	mu    sync.Mutex
	calls int
}

func (p *panickingPlugin) SendEvent([]*si.EventRecord) {
	p.mu.Lock()
	p.calls++
	p.mu.Unlock()
	panic("plugin failure")
}

// sliceSource is the reference model of a store for the publisher: a mutex
// and a slice.
type sliceSource struct {
	mu     sync.Mutex
	events []*si.EventRecord
	calls  int
}

func (s *sliceSource) add(evs ...*si.EventRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, evs...)
}

func (s *sliceSource) CollectEvents() []*si.EventRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	out := s.events
	s.events = nil
	return out
}

func (s *sliceSource) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events)
}

func (s *sliceSource) collectCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// records makes n distinct records.
func records(n int) []*si.EventRecord {
	out := make([]*si.EventRecord, n)
	for i := range out {
		out[i] = &si.EventRecord{ObjectID: "obj", TimestampNano: int64(i)}
	}
	return out
}
