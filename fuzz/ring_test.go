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
	const (
		add    = model.RingAdd
		burst  = model.RingAddBurst
		fromID = model.RingFromID
		recent = model.RingRecent
		resize = model.RingResize
		app    = model.RingAppend
	)
	f.Add([]byte{1, burst, 10, fromID, 0, 3})
	f.Add([]byte{0, add, fromID, 0, 5, recent, 2})
	f.Add([]byte{3, burst, 20, resize, 0, recent, 200, resize, 40, burst, 3, recent, 2})
	f.Add([]byte{8, burst, 200, resize, 3, resize, 17, burst, 30, fromID, 1, 9})
	f.Add([]byte{255, 1, burst, 255, burst, 255, resize, 2, app, 8, 40})
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := model.RunRing(data, newRing); err != nil {
			t.Fatal(err)
		}
	})
}

func newRing(capacity uint64) model.History { return ring.New(capacity) }
