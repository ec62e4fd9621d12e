package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/system"
)

// TestHTTP2Streams: over HTTP/2 (many streams on one connection), both
// stream forms work, a client that resets its stream releases its slot and
// event-system stream, the limits hold, and Close ends the rest.
func TestHTTP2Streams(t *testing.T) {
	for _, feed := range feeds {
		t.Run("feed="+feed, func(t *testing.T) {
			sys := system.New(trackingConfig())
			sys.StartServiceWithPublisher(false)
			var es system.EventSystem = sys
			if feed == feedHistory {
				es = plainSystem{sys}
			}
			h := New(es, WithLogger(quietLogger), WithStreamLimits(3, 3))
			srv := httptest.NewUnstartedServer(h)
			srv.EnableHTTP2 = true
			srv.StartTLS()
			t.Cleanup(func() {
				h.Close()
				srv.Close()
				sys.Stop()
			})
			client := srv.Client()
			addEvents(&testServer{sys: sys}, 0, 5)

			open := func(accept string) (*http.Response, *lineReader) {
				req := newRequest(t, http.MethodGet, srv.URL+StreamPath+"?count=5", "Accept", accept)
				resp, err := client.Do(req)
				require.NoError(t, err)
				require.Equal(t, 2, resp.ProtoMajor)
				t.Cleanup(func() { resp.Body.Close() })
				return resp, newLineReader(t, resp.Body)
			}
			resp, nd := open("application/json")
			require.Equal(t, http.StatusOK, resp.StatusCode)
			nd.next()
			resp2, sse := open("text/event-stream")
			require.Equal(t, http.StatusOK, resp2.StatusCode)
			require.Equal(t, "text/event-stream", resp2.Header.Get("Content-Type"))
			for range 5 {
				nd.next()
			}
			assert.Equal(t, "4", func() string {
				var last sseEvent
				for range 5 {
					last = sse.nextSSEData()
				}
				return last.id
			}())
			resp3, third := open("text/event-stream")
			require.Equal(t, http.StatusOK, resp3.StatusCode)
			third.next()
			refused, _ := open("text/event-stream")
			assert.Equal(t, http.StatusServiceUnavailable, refused.StatusCode)

			// A request whose body never comes is refused at once, holding
			// nothing.
			pr, pw := io.Pipe()
			t.Cleanup(func() { pw.Close() })
			req, err := http.NewRequest(http.MethodGet, srv.URL+StreamPath, pr)
			require.NoError(t, err)
			req.Header.Set("Accept", "text/event-stream")
			bodyResp, err := client.Do(req)
			require.NoError(t, err)
			assert.Equal(t, http.StatusBadRequest, bodyResp.StatusCode)
			bodyResp.Body.Close()

			// Resetting a stream releases it.
			resp3.Body.Close()
			require.Eventually(t, func() bool {
				total, _ := h.limiter.counts("")
				return total == 2
			}, 20*time.Second, 5*time.Millisecond)
			h.Close()
			nd.end()
			sse.end()
			require.Eventually(t, func() bool {
				total, _ := h.limiter.counts("")
				return total == 0 && sys.Metrics().StreamsOpen == 0
			}, 20*time.Second, 5*time.Millisecond)
		})
	}
}
