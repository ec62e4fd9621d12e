package store

import (
	"math/rand/v2"
	"testing"

	"github.com/lfevents/lfevents/internal/model"
)

// TestAgainstModel runs random programs of model.RunStore (the interpreter
// FuzzStore runs) on small plain and sequenced stores: every collected
// batch, the counters, conservation and the returned batches must match
// model.Store after every step.
func TestAgainstModel(t *testing.T) {
	newStore := func(size uint64, seq func() uint64) model.Batches {
		if seq != nil {
			return NewSequenced(size, seq)
		}
		return New(size)
	}
	stats := func(b model.Batches) model.Stats { return model.Stats(b.(*EventStore).Stats()) }
	for round := uint64(0); round < 24; round++ {
		r := rand.New(rand.NewPCG(round, 7))
		data := make([]byte, 800)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		data[0] = byte(round % 2) // plain, sequenced
		data[1] = byte(r.IntN(6)) // small batches: many full ones
		if err := model.RunStore(data, MaxSize, newStore, stats); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}
