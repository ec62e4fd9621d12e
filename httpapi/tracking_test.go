package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/stream"
	"github.com/lfevents/lfevents/system"
)

// trackingOffOnOpen turns the event system's tracking off right before a
// stream is opened on it: tracking is turned off after the handler checked
// it and before its stream exists.
func trackingOffOnOpen(sys *system.EventSystemImpl) {
	c := sys.Config()
	c.TrackingEnabled = false
	sys.Reconfigure(c)
}

// racingItems is an event system with streams with IDs that turns tracking
// off as a stream is opened.
type racingItems struct{ *system.EventSystemImpl }

func (r racingItems) CreateEventStreamFrom(name string, fromID uint64, opts ...stream.StreamOption) *stream.IDStream {
	trackingOffOnOpen(r.EventSystemImpl)
	return r.EventSystemImpl.CreateEventStreamFrom(name, fromID, opts...)
}

func (r racingItems) CreateRecentEventStream(name string, count uint64, opts ...stream.StreamOption) *stream.IDStream {
	trackingOffOnOpen(r.EventSystemImpl)
	return r.EventSystemImpl.CreateRecentEventStream(name, count, opts...)
}

// racingPlain is an event system without streams with IDs that turns
// tracking off as a stream is opened.
type racingPlain struct {
	system.EventSystem
	sys *system.EventSystemImpl
}

func (r racingPlain) CreateEventStream(name string, count uint64) *stream.EventStream {
	trackingOffOnOpen(r.sys)
	return r.sys.CreateEventStream(name, count)
}

// TestTrackingTurnedOffAsStreamOpens: a stream request that arrives while
// tracking is on, but whose stream is opened after tracking was turned off
// (which closes every open stream), is answered as one that arrived a moment
// later: 500, and no stream left open. Before, its stream was opened on the
// fresh streaming and stayed open, serving events while tracking was off.
func TestTrackingTurnedOffAsStreamOpens(t *testing.T) {
	for _, feed := range feeds {
		for _, accept := range []string{"application/json", "text/event-stream"} {
			t.Run(feed+"/"+accept, func(t *testing.T) {
				sys := system.New(trackingConfig())
				sys.StartServiceWithPublisher(false)
				var es system.EventSystem = racingItems{sys}
				if feed == feedHistory {
					es = racingPlain{EventSystem: sys, sys: sys}
				}
				h := New(es, WithLogger(quietLogger))
				srv := httptest.NewServer(h)
				t.Cleanup(func() {
					h.Close()
					srv.Close()
					sys.Stop()
				})
				require.True(t, sys.IsEventTrackingEnabled())

				resp, lr := openStream(t, srv.URL+StreamPath, "Accept", accept)
				require.Equal(t, http.StatusInternalServerError, resp.StatusCode, "the stream was opened")
				body := strings.Join(lr.end(), "\n")
				requireError(t, resp, []byte(body), http.StatusInternalServerError, msgTrackingDisabled)
				assert.Empty(t, sys.GetEventStreams(), "a stream stayed open with tracking off")
				assert.Zero(t, sys.Metrics().StreamsOpen)
				total, _ := h.limiter.counts("")
				assert.Zero(t, total)
			})
		}
	}
}
