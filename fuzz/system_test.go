package fuzz

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/internal/model/systemrun"
)

// FuzzSystem drives one event system through systemrun.Run: history against
// model.Ring after every step, the store against model.Store when there is
// no plugin, counters, conservation, streams and batches at the end (see
// Run). system's TestAgainstModel runs the same interpreter.
func FuzzSystem(f *testing.F) {
	f.Add([]byte{1, 8, 8, 0, 0, systemrun.Start, systemrun.Burst, 20, systemrun.Collect, systemrun.Stop})
	f.Add([]byte{1, 3, 2, 1, 1, systemrun.Create, 5, 0, 0, systemrun.Burst, 50, systemrun.Start, systemrun.Burst, 50, systemrun.Stop, systemrun.Burst, 3, systemrun.Restart, systemrun.Add, 3, 1, 2, 7})
	f.Add([]byte{0, 255, 255, 0, 3, systemrun.Stop, systemrun.Add, 3, 3, 0, 5, systemrun.Start, systemrun.Create, 2, 2, 1, systemrun.Burst, 200, systemrun.Release, 0, systemrun.CloseAll})
	f.Add([]byte{1, 16, 4, 0, 2, systemrun.Start, systemrun.Create, 1, 0, 0, systemrun.Burst, 30, systemrun.Reconfig, 0, 2, 2, 1, 1, systemrun.Burst, 10, systemrun.ArmPanic, systemrun.Stop})
	f.Add([]byte{1 | systemrun.NoPlugin, 4, 3, 1, 1, systemrun.Start, systemrun.Burst, 9, systemrun.Collect, systemrun.Reconfig, 0, 5, 5, 0, 0, systemrun.Burst, 9, systemrun.Collect, systemrun.Stop, systemrun.Collect})
	f.Add([]byte{1 | systemrun.NoPlugin, 4, 3, 1, 1, systemrun.Create, 3, 0, 0, systemrun.AddEvents, 40, systemrun.Start, systemrun.AddEvents, 9, systemrun.Collect, systemrun.Stop, systemrun.AddEvents, 5})
	f.Fuzz(func(t *testing.T, data []byte) { require.NoError(t, systemrun.Run(data)) })
}
