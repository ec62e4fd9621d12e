package fuzz

import (
	"testing"

	"github.com/lfevents/lfevents/internal/model/systemrun"
)

// FuzzSystem drives one event system through systemrun.Run: history against
// model.Ring after every step, the store against model.Store when there is
// no plugin, counters, conservation, streams and batches at the end (see
// Run). system's TestAgainstModel runs the same interpreter.
func FuzzSystem(f *testing.F) {
	const (
		add      = systemrun.Add
		burst    = systemrun.Burst
		collect  = systemrun.Collect
		create   = systemrun.Create
		reconfig = systemrun.Reconfig
		start    = systemrun.Start
		stop     = systemrun.Stop
		restart  = systemrun.Restart
		closeAll = systemrun.CloseAll
		release  = systemrun.Release
		arm      = systemrun.ArmPanic
	)
	f.Add([]byte{1, 8, 8, 0, 0, start, burst, 20, collect, stop})
	f.Add([]byte{1, 3, 2, 1, 1, create, 5, 0, 0, burst, 50, start, burst, 50, stop, burst, 3, restart, add, 3, 1, 2, 7})
	f.Add([]byte{0, 255, 255, 0, 3, stop, add, 3, 3, 0, 5, start, create, 2, 2, 1, burst, 200, release, 0, closeAll})
	f.Add([]byte{1, 16, 4, 0, 2, start, create, 1, 0, 0, burst, 30, reconfig, 0, 2, 2, 1, 1, burst, 10, arm, stop})
	f.Add([]byte{1 | systemrun.NoPlugin, 4, 3, 1, 1, start, burst, 9, collect, reconfig, 0, 5, 5, 0, 0, burst, 9, collect, stop, collect})
	f.Fuzz(func(t *testing.T, data []byte) { systemrun.Run(t, data) })
}
