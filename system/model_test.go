package system_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/model/systemrun"
	"github.com/lfevents/lfevents/system"
)

// TestAgainstModel runs random programs of systemrun.Run (the interpreter
// FuzzSystem runs) on small systems without a plugin, so that every batch
// the test collects and the store's counters are held to model.Store, and
// history to model.Ring, after every step; streams, batches and counters
// are checked at the end.
func TestAgainstModel(t *testing.T) {
	system.SetEventPlugin(nil) // no plugin: collects are only the test's own
	for seed := uint64(1); seed <= 4; seed++ {
		r := rand.New(rand.NewPCG(seed, 42))
		data := make([]byte, 600)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		data[0] |= systemrun.NoPlugin
		data[1], data[2] = byte(r.IntN(16)), byte(r.IntN(8)) // small ring and batches
		data[3] = 0                                          // a push interval of an hour
		t.Run("", func(t *testing.T) { require.NoError(t, systemrun.Run(data)) })
	}
}
