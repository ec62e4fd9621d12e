package httpapi

import (
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"

	"github.com/lfevents/lfevents/system"
)

// displacingSystem runs displace (once, when armed) right after the first
// history read that asks for no records: the read that looks up the range
// history holds. It stands for writers that lap the whole ring between two
// reads of the handler.
type displacingSystem struct {
	*system.EventSystemImpl
	armed    atomic.Bool
	displace func()
}

func (d *displacingSystem) GetEventsFromID(id, count uint64) ([]*si.EventRecord, uint64, uint64) {
	recs, lowest, highest := d.EventSystemImpl.GetEventsFromID(id, count)
	if count == 0 && d.armed.CompareAndSwap(true, false) {
		d.displace()
	}
	return recs, lowest, highest
}

// TestSSEResumeWhileHistoryLaps: a resume point of this instance is resumed
// from, with a gap for what was displaced, even when the whole ring is
// overwritten while the handler looks up the range history holds. Before,
// the newest ID it had just seen was gone by its second read, so it took the
// resume point for one of another instance and started a new stream: the
// displaced events were missing without a gap block.
//
// Only the feed of streams with IDs: the history-reading feed's wake-up
// stream, open during the lookup, is cut as slow by such a lap of a tiny
// ring, and says so with a cut block.
func TestSSEResumeWhileHistoryLaps(t *testing.T) {
	for _, feed := range []string{feedItems} {
		t.Run("feed="+feed, func(t *testing.T) {
			cfg := trackingConfig()
			cfg.RingBufferCapacity = 4
			sys := system.New(cfg)
			sys.StartServiceWithPublisher(false)
			ds := &displacingSystem{EventSystemImpl: sys}
			var es system.EventSystem = ds
			if feed == feedHistory {
				es = plainSystem{ds}
			}
			h := New(es, WithLogger(quietLogger), WithKeepAlive(time.Hour))
			srv := httptest.NewServer(h)
			ts := &testServer{sys: sys, h: h, srv: srv, feed: feed}
			t.Cleanup(func() {
				h.Close()
				srv.Close()
				sys.Stop()
			})
			addEvents(ts, 0, 10) // history holds 6..9; the client saw up to 7
			ds.displace = func() { addEvents(ts, 10, 8) }
			ds.armed.Store(true)

			lr := openSSE(t, ts, "", "Last-Event-ID", "7")
			gap := lr.nextSSEData()
			assert.Equal(t, "gap", gap.event, "block %+v", gap)
			assert.JSONEq(t, `{"from":8,"to":13}`, gap.data)
			requireEvents(t, ts, lr, 14, 17)
		})
	}
}
