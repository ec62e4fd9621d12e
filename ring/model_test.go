package ring

import (
	"math/rand/v2"
	"testing"

	"github.com/lfevents/lfevents/internal/model"
)

// TestAgainstModel runs random programs of model.RunRing (the interpreter
// FuzzRing runs) on small buffers: every answer and, after each step, the
// whole observable state must match model.Ring.
func TestAgainstModel(t *testing.T) {
	for round := uint64(0); round < 24; round++ {
		r := rand.New(rand.NewPCG(round, 7))
		data := make([]byte, 600)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		data[0] = byte(r.IntN(20)) // small capacities: many laps
		if err := model.RunRing(data, func(capacity uint64) model.History { return New(capacity) }); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}
