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
	f.Add([]byte{0, 4, model.StStore, model.StStore, model.StCollect, 0, model.StStore, model.StCollect, 1})
	f.Add([]byte{0, 0, model.StStore, model.StCollect, 0, model.StSetSize, 3, model.StBurst, 9, model.StCollect, 0, model.StCollect, 0})
	f.Add([]byte{1, 5, model.StStoreWithID, 7, model.StStoreWithID, 3, model.StCollect, 1, model.StSetSize, 0, model.StStoreWithID, 2, model.StCollect, 0, model.StStore})
	f.Add([]byte{0, 255, 3, model.StBurst, 63, model.StCollect, 1, model.StBurst, 63, model.StCollect, 1, model.StBurst, 63, model.StCollect, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := model.RunStore(data, store.MaxSize, newStore, storeStats); err != nil {
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

func storeStats(b model.Batches) model.Stats { return model.Stats(b.(*store.EventStore).Stats()) }
