package fuzz

import (
	"testing"

	"github.com/lfevents/lfevents/internal/model"
	"github.com/lfevents/lfevents/store"
)

// FuzzStore holds store.EventStore (plain and sequenced) against model.Store
// in one goroutine through model.RunStore: collected batches, counters,
// conservation and ownership of returned batches after every step. store's
// TestAgainstModel runs the same interpreter.
func FuzzStore(f *testing.F) {
	const (
		st      = model.StStore
		burst   = model.StBurst
		collect = model.StCollect
		setSize = model.StSetSize
		withID  = model.StStoreWithID
	)
	f.Add([]byte{0, 4, st, st, collect, 0, st, collect, 1})
	f.Add([]byte{0, 0, st, collect, 0, setSize, 3, burst, 9, collect, 0, collect, 0})
	f.Add([]byte{1, 5, withID, 7, withID, 3, collect, 1, setSize, 0, withID, 2, collect, 0, st})
	f.Add([]byte{0, 255, 3, burst, 63, collect, 1, burst, 63, collect, 1, burst, 63, collect, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := model.RunStore(data, store.MaxSize, newStore); err != nil {
			t.Fatal(err)
		}
	})
}

func newStore(size uint64, seq func() uint64) model.Batches {
	if seq != nil {
		return store.NewSequenced(size, seq)
	}
	return store.New(size)
}
