package atomicx

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"
)

// TestLayout: the assembly stores 8 bytes at the address of the
// atomic.Uint64, which is right only while the type is its 8-byte value and
// nothing else.
func TestLayout(t *testing.T) {
	var v atomic.Uint64
	if unsafe.Sizeof(v) != 8 || Native && unsafe.Alignof(v) != 8 { // the assembly runs on 64-bit only
		t.Fatalf("atomic.Uint64: size %d, align %d; StoreRelease assumes 8 and 8", unsafe.Sizeof(v), unsafe.Alignof(v))
	}
	var pair struct {
		a, b atomic.Uint64
	}
	StoreRelease(&pair.b, 1<<63|42)
	if pair.a.Load() != 0 || pair.b.Load() != 1<<63|42 {
		t.Fatalf("StoreRelease wrote a=%#x b=%#x, want 0 and %#x", pair.a.Load(), pair.b.Load(), uint64(1<<63|42))
	}
	StoreRelease(&pair.b, 0)
	if pair.b.Load() != 0 {
		t.Fatalf("StoreRelease(0) left %#x", pair.b.Load())
	}
}

// TestMessagePassing: the pattern the ring uses. A writer fills a record,
// then publishes its number with StoreRelease; a reader that loads the number
// must find the record filled, for every record. Run without the race
// detector this exercises the architecture's store (a plain MOV on amd64);
// with it, sync/atomic's, and the race detector checks that the publish
// orders the record's plain writes before the reader's plain reads.
func TestMessagePassing(t *testing.T) {
	n := uint64(200000)
	if !Native { // sync/atomic's Store, and in -race builds a slow one
		n = 5000
	}
	type record struct{ a, b uint64 }
	recs := make([]record, 64)
	var published, consumed atomic.Uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // reader
		defer wg.Done()
		for want := uint64(1); want <= n; want++ {
			for spins := 0; published.Load() < want; spins++ {
				if spins > 1000 { // spin first: catch the record right after its publish
					runtime.Gosched()
				}
			}
			r := &recs[want%64]
			if r.a != want || r.b != ^want {
				t.Errorf("record %d read as a=%d b=%#x", want, r.a, r.b)
				consumed.Store(1 << 62) // let the writer finish
				return
			}
			consumed.Store(want)
		}
	}()
	for i := uint64(1); i <= n; i++ {
		for i > consumed.Load()+32 { // stay well behind the reader's slot
			runtime.Gosched()
		}
		r := &recs[i%64]
		r.a, r.b = i, ^i
		StoreRelease(&published, i)
	}
	wg.Wait()
}

func BenchmarkStore(b *testing.B) {
	var v atomic.Uint64
	b.Run("op=sync-atomic", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			v.Store(uint64(i))
		}
	})
	b.Run("op=release", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			StoreRelease(&v, uint64(i))
		}
	})
}
