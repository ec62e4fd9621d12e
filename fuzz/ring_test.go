package fuzz

import (
	"testing"

	"github.com/lfevents/lfevents/internal/model"
	"github.com/lfevents/lfevents/ring"
)

// FuzzRing holds ring.Buffer against model.Ring in one goroutine through
// model.RunRing, which checks the whole observable state after every
// operation; ring's TestAgainstModel runs the same interpreter.
func FuzzRing(f *testing.F) {
	f.Add([]byte{1, model.RingAddBurst, 10, model.RingFromID, 0, 3})
	f.Add([]byte{0, model.RingAdd, model.RingFromID, 0, 5, model.RingRecent, 2})
	f.Add([]byte{3, model.RingAddBurst, 20, model.RingResize, 0, model.RingRecent, 200, model.RingResize, 40, model.RingAddBurst, 3, model.RingRecent, 2})
	f.Add([]byte{8, model.RingAddBurst, 200, model.RingResize, 3, model.RingResize, 17, model.RingAddBurst, 30, model.RingFromID, 1, 9})
	f.Add([]byte{255, 1, model.RingAddBurst, 255, model.RingAddBurst, 255, model.RingResize, 2, model.RingAppend, 8, 40})
	f.Add([]byte{5, model.RingAddBatch, 9, model.RingAddBurst, 3, model.RingAddBatch, 200, model.RingResize, 7, model.RingAddBatch, 0, model.RingRecent, 12})
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := model.RunRing(data, newRing); err != nil {
			t.Fatal(err)
		}
	})
}

func newRing(capacity uint64) model.History { return ring.New(capacity) }
