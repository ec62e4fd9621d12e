package bench

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/system"
)

// The reference scheduler's flood: every scheduling cycle, each of a few
// hundred pending asks that do not fit emits "Request 'x' does not fit in
// queue 'y'" again, while the real news of the cycle (applications
// accepted, allocations made) comes as a handful of unique events.
const (
	floodAsks      = 300
	floodUnique    = 20
	floodCycle     = 100 * time.Millisecond // event time between two cycles
	floodHistory   = 10000                  // RingBufferCapacity
	floodWarmCycle = 1000                   // cycles added before the clock starts
)

// floodSource builds the records of one cycle, stamped with the cycle's
// event time (the records' timestamps are what the duplicate window is
// measured in, so the benchmark runs flat out yet models 100 ms cycles).
type floodSource struct {
	msgs  [floodAsks]string
	asks  [floodAsks]string
	t0    int64
	cycle int
}

func newFloodSource() *floodSource {
	f := &floodSource{t0: time.Now().UnixNano()}
	for a := range f.asks {
		f.asks[a] = fmt.Sprintf("ask-%04d", a)
		f.msgs[a] = fmt.Sprintf("Request '%s' does not fit in queue 'root.default.team-%d'", f.asks[a], a%7)
	}
	return f
}

// addCycle adds one cycle's events to sys: the asks' repeats with the
// unique events spread among them.
func (f *floodSource) addCycle(sys *system.EventSystemImpl) {
	ts := f.t0 + int64(f.cycle)*int64(floodCycle)
	every := floodAsks / floodUnique
	for a := 0; a < floodAsks; a++ {
		ev := system.CreateRequestEventRecord(f.asks[a], "app-0001", f.msgs[a], nil, "Pending")
		ev.TimestampNano = ts
		sys.AddEvent(ev)
		if a%every == 0 {
			u := system.CreateAppEventRecord(fmt.Sprintf("app-%d-%d", f.cycle, a/every), "Application accepted", "",
				si.EventRecord_SET, si.EventRecord_APP_ACCEPTED, nil, "Accepted")
			u.TimestampNano = ts
			sys.AddEvent(u)
		}
	}
	f.cycle++
}

// BenchmarkFlood adds the flood pattern (300 asks repeating every cycle
// among 20 unique events per cycle) to a system whose history holds 10000
// events, without duplicate suppression and with windows of 1 s and 10 s
// (10 and 100 cycles). ns/op is per cycle (320 AddEvent calls). After the
// timed cycles it reports what the history holds:
//   - unique-kept: unique events still in history (the news an operator
//     can read back), and cycles-kept: how many cycles back they reach;
//   - repeats-kept: the asks' repeats in history;
//   - suppressed/cycle: records dropped as duplicates per cycle.
//
// Run: go test -run '^$' -bench '^BenchmarkFlood$' -benchtime 2000x ./bench/
func BenchmarkFlood(b *testing.B) {
	for _, window := range []time.Duration{0, time.Second, 10 * time.Second} {
		name := "dedup=off"
		if window > 0 {
			name = "dedup=" + window.String()
		}
		b.Run(name, func(b *testing.B) {
			cfg := system.DefaultConfig()
			cfg.RingBufferCapacity = floodHistory
			cfg.DedupWindow = window
			cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			sys := system.New(cfg)
			sys.StartServiceWithPublisher(false)
			defer sys.Stop()
			f := newFloodSource()
			for range floodWarmCycle {
				f.addCycle(sys)
			}
			before := sys.Metrics().Channeled
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f.addCycle(sys)
			}
			b.StopTimer()
			events := uint64(b.N) * (floodAsks + floodUnique)
			suppressed := events - (sys.Metrics().Channeled - before)
			evs := sys.GetRecentEvents(floodHistory)
			unique, repeats := 0, 0
			oldest := f.cycle
			for _, ev := range evs {
				if ev.Type == si.EventRecord_APP {
					unique++
					oldest = min(oldest, int((ev.TimestampNano-f.t0)/int64(floodCycle)))
				} else {
					repeats++
				}
			}
			b.ReportMetric(float64(unique), "unique-kept")
			b.ReportMetric(float64(f.cycle-oldest), "cycles-kept")
			b.ReportMetric(float64(repeats), "repeats-kept")
			b.ReportMetric(float64(suppressed)/float64(b.N), "suppressed/cycle")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
		})
	}
}

// BenchmarkDedupCost is AddEvent from one producer into a running system
// with duplicate suppression off (dedup=off, the drop-in default: one nil
// pointer load more than before) and on with a 1 h window, for records that
// are never duplicates (events=unique: 64Ki distinct records cycle through
// the 4096-entry table, so each is hashed, looked up and remembered) and for
// a record repeated (events=repeat: hashed, found, compared and dropped).
// ns/op is per AddEvent. Compare with benchstat -col /dedup.
//
// Run: go test -run '^$' -bench '^BenchmarkDedupCost$' -count 6 ./bench/
func BenchmarkDedupCost(b *testing.B) {
	unique := make([]*si.EventRecord, 1<<16)
	for i := range unique {
		unique[i] = system.CreateRequestEventRecord(fmt.Sprintf("ask-%05d", i), "app-0001",
			fmt.Sprintf("Request 'ask-%05d' does not fit in queue 'root.default'", i), nil, "Pending")
	}
	repeat := unique[:1]
	for _, tc := range []struct {
		name   string
		window time.Duration
		recs   []*si.EventRecord
	}{
		{"events=unique/dedup=off", 0, unique},
		{"events=unique/dedup=on", time.Hour, unique},
		{"events=repeat/dedup=off", 0, repeat},
		{"events=repeat/dedup=on", time.Hour, repeat},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := system.DefaultConfig()
			cfg.DedupWindow = tc.window
			cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			sys := system.New(cfg)
			sys.StartServiceWithPublisher(false)
			defer sys.Stop()
			mask := len(tc.recs) - 1
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sys.AddEvent(tc.recs[i&mask])
			}
		})
	}
}

// BenchmarkDedupRatio adds the same never-repeating records to two running
// systems, one with duplicate suppression off and one with it on (1 h
// window), alternating blocks of 256 AddEvent calls so that whatever else
// the machine does slows both alike. b.N counts blocks per system. It
// reports ns/event for each and on/off, the ratio of their sums: the cost of
// the lookup and remember step relative to AddEvent. Both histories hold 4096
// events, so that the two systems do not push each other's rings out of the
// cache (with the default 100000 the ratio swung between 1.4 and 4 from run
// to run).
//
// Run: go test -run '^$' -bench '^BenchmarkDedupRatio$' -count 10 -benchtime 3000x ./bench/
func BenchmarkDedupRatio(b *testing.B) {
	const block = 256
	recs := make([]*si.EventRecord, 1<<16)
	for i := range recs {
		recs[i] = system.CreateRequestEventRecord(fmt.Sprintf("ask-%05d", i), "app-0001",
			fmt.Sprintf("Request 'ask-%05d' does not fit in queue 'root.default'", i), nil, "Pending")
	}
	var systems [2]*system.EventSystemImpl
	for i, window := range []time.Duration{0, time.Hour} {
		cfg := system.DefaultConfig()
		cfg.RingBufferCapacity = 4096 // two histories that stay in cache beside each other
		cfg.DedupWindow = window
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		systems[i] = system.New(cfg)
		systems[i].StartServiceWithPublisher(false)
		defer systems[i].Stop()
	}
	var spent [2]time.Duration
	next := [2]int{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range 2 {
			s := (i + k) % 2 // alternate which goes first
			sys, n := systems[s], next[s]
			start := time.Now()
			for j := 0; j < block; j++ {
				sys.AddEvent(recs[(n+j)&(1<<16-1)])
			}
			spent[s] += time.Since(start)
			next[s] = n + block
		}
	}
	b.StopTimer()
	// A record comes back every 64Ki calls; its entry has almost always
	// been taken by then, but when not, it is a true duplicate.
	m := systems[1].Metrics()
	if m.Channeled+m.DuplicatesSuppressed != uint64(next[1]) {
		b.Fatalf("dedup=on: %d recorded + %d suppressed of %d", m.Channeled, m.DuplicatesSuppressed, next[1])
	}
	b.ReportMetric(float64(m.DuplicatesSuppressed), "suppressed")
	events := float64(b.N * block)
	b.ReportMetric(float64(spent[0].Nanoseconds())/events, "off-ns/event")
	b.ReportMetric(float64(spent[1].Nanoseconds())/events, "on-ns/event")
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "on/off")
}
