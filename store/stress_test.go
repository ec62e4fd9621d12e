package store

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/testutil"
)

// stressConfig is one concurrent run: writers store their records (with
// Store, or StoreWithID from an external sequence), collectors collect until
// the writers are done, and then one last collect empties the store.
type stressConfig struct {
	name       string
	sequenced  bool
	writers    int
	perWriter  int
	collectors int
	size       uint64
	resize     bool // a goroutine changes the size while writers run
	nilEvery   int  // sequenced only: every nilEvery-th StoreWithID passes nil
}

type stressResult struct {
	attempts  uint64 // Store calls with a record, plus all StoreWithID calls
	collected []*si.EventRecord
	batches   [][]*si.EventRecord
	all       map[*si.EventRecord]int // record -> writer index
}

func runStress(t *testing.T, cfg stressConfig) (*EventStore, stressResult) {
	t.Helper()
	var q seq
	var s *EventStore
	if cfg.sequenced {
		s = NewSequenced(cfg.size, q.peek)
	} else {
		s = New(cfg.size)
	}
	res := stressResult{all: make(map[*si.EventRecord]int)}
	recs := make([][]*si.EventRecord, cfg.writers)
	for w := range recs {
		recs[w] = records(fmt.Sprintf("w%d", w), cfg.perWriter)
		for _, ev := range recs[w] {
			res.all[ev] = w
		}
	}

	var attempts atomic.Uint64
	batches := make([][][]*si.EventRecord, cfg.collectors)
	statsErrs := make([]error, cfg.collectors)
	// collect(c) is one round of collector c.
	collect := func(c int) func() {
		var lastSum uint64
		return func() {
			if got := s.CollectEvents(); len(got) > 0 {
				batches[c] = append(batches[c], got)
			}
			_ = s.CountStoredEvents()
			if err := statsWhileRunning(s, &lastSum); err != nil && statsErrs[c] == nil {
				statsErrs[c] = err
			}
			runtime.Gosched()
		}
	}
	var helpers []func()
	for c := range cfg.collectors {
		helpers = append(helpers, collect(c))
	}
	if cfg.resize {
		i := uint64(0)
		helpers = append(helpers, func() {
			s.SetStoreSize(i % (cfg.size + 2))
			i++
			runtime.Gosched()
		})
	}
	stop := testutil.Loop(helpers...)
	testutil.Run(cfg.writers, func(w int) {
		for i, ev := range recs[w] {
			switch {
			case !cfg.sequenced:
				s.Store(ev)
			case cfg.nilEvery > 0 && i%cfg.nilEvery == 0:
				s.StoreWithID(q.claim(), nil) // the record is never stored
				attempts.Add(1)
				continue
			default:
				s.StoreWithID(q.claim(), ev)
			}
			attempts.Add(1)
			if i%64 == 0 {
				runtime.Gosched()
			}
		}
	})
	stop()
	for _, err := range statsErrs {
		require.NoError(t, err, "Stats while writers and collectors ran")
	}
	for _, bs := range batches {
		res.batches = append(res.batches, bs...)
	}
	res.batches = append(res.batches, s.CollectEvents())
	for _, b := range res.batches {
		res.collected = append(res.collected, b...)
	}
	res.attempts = attempts.Load()
	return s, res
}

// statsWhileRunning checks Stats against the sequence while writers run:
// every ID claimed counts once, as stored or not, so Stored+NotStored lies
// between next() before and after the call (Store on a sequenced store, which
// claims no ID, is not used here), and it never decreases for one caller.
func statsWhileRunning(s *EventStore, lastSum *uint64) error {
	before := s.next()
	st := s.Stats()
	after := s.next()
	sum := st.Stored + st.NotStored
	if sum < before || sum > after {
		return fmt.Errorf("Stored+NotStored = %d+%d, next() went from %d to %d", st.Stored, st.NotStored, before, after)
	}
	if sum < *lastSum {
		return fmt.Errorf("Stored+NotStored went down from %d to %d", *lastSum, sum)
	}
	*lastSum = sum
	return nil
}

// checkCollected: no nil, no duplicate, nothing unknown, and each writer's
// records in its own order within each batch (store order).
func checkCollected(t *testing.T, res stressResult) map[*si.EventRecord]bool {
	t.Helper()
	seen := make(map[*si.EventRecord]bool, len(res.collected))
	for _, ev := range res.collected {
		require.NotNil(t, ev, "nil in a batch")
		_, known := res.all[ev]
		require.True(t, known, "unknown record %v", ev)
		require.False(t, seen[ev], "record %s collected twice", ev.ObjectID)
		seen[ev] = true
	}
	for _, b := range res.batches {
		last := make(map[int]int) // writer -> last index seen in this batch
		for _, ev := range b {
			w, i := res.all[ev], indexOf(ev)
			if prev, ok := last[w]; ok {
				require.Less(t, prev, i, "writer %d out of store order in a batch", w)
			}
			last[w] = i
		}
	}
	return seen
}

func TestStressRoomForEverything(t *testing.T) {
	for _, cfg := range []stressConfig{
		{name: "plain", writers: 8, perWriter: 3000, collectors: 3, size: 8 * 3000},
		{name: "sequenced", sequenced: true, writers: 8, perWriter: 3000, collectors: 3, size: 8 * 3000},
		{name: "sequenced with nils", sequenced: true, writers: 8, perWriter: 3000, collectors: 3, size: 8 * 3000, nilEvery: 7},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			s, res := runStress(t, cfg)
			seen := checkCollected(t, res)
			nils := 0
			for ev, w := range res.all {
				i := indexOf(ev)
				if cfg.nilEvery > 0 && i%cfg.nilEvery == 0 {
					nils++
					assert.False(t, seen[ev], "writer %d record %d was passed as nil", w, i)
					continue
				}
				assert.True(t, seen[ev], "lost %s", ev.ObjectID)
			}
			stats := s.Stats()
			stored, notStored := stats.Stored, stats.NotStored
			assert.Equal(t, uint64(len(res.collected)), stored)
			assert.Equal(t, uint64(nils), notStored)
			assert.Equal(t, res.attempts, stored+notStored)
			assert.Zero(t, s.CountStoredEvents())
		})
	}
}

func TestStressSmallCapacity(t *testing.T) {
	for _, cfg := range []stressConfig{
		{name: "plain size 1", writers: 8, perWriter: 2000, collectors: 3, size: 1},
		{name: "plain size 4 resized", writers: 8, perWriter: 2000, collectors: 3, size: 4, resize: true},
		{name: "sequenced size 3", sequenced: true, writers: 8, perWriter: 2000, collectors: 3, size: 3},
		{name: "sequenced size 4 resized with nils", sequenced: true, writers: 8, perWriter: 2000, collectors: 3, size: 4, resize: true, nilEvery: 5},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			s, res := runStress(t, cfg)
			checkCollected(t, res)
			stats := s.Stats()
			stored, notStored := stats.Stored, stats.NotStored
			assert.Equal(t, uint64(len(res.collected)), stored, "every stored event was collected")
			assert.Equal(t, res.attempts, uint64(len(res.collected))+notStored, "collected + not stored == attempts")
			assert.Positive(t, notStored, "the small capacity must have overflowed")
		})
	}
}

// indexOf parses the record index from its ObjectID "w<writer>-<index>".
func indexOf(ev *si.EventRecord) int {
	var w, i int
	if _, err := fmt.Sscanf(ev.ObjectID, "w%d-%d", &w, &i); err != nil {
		panic(err)
	}
	return i
}
