package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStreamAccountingUnderChurn: clients that open streams in every form
// and leave in every way (after a few lines, without reading, in the middle
// of their request headers), through a trusted proxy from a few addresses,
// while events flow and the event system is stopped, started, restarted, has
// its streams closed and its tracking turned off and on, and the handler's
// limits are reconfigured. The limits are never exceeded (no more
// event-system streams are open than the limiter admits), and once the
// clients are gone nothing is held: no limiter slot, no event-system stream
// (StreamsOpen back to 0), no goroutine (goleak, at the end of the package),
// and Close returns.
func TestStreamAccountingUnderChurn(t *testing.T) {
	const maxTotal, maxPerClient = 12, 4
	for _, feed := range feeds {
		t.Run("feed="+feed, func(t *testing.T) {
			cfg := trackingConfig()
			cfg.StreamQueueSize = 64 // small: slow cuts happen too
			ts := newFeedServer(t, feed, cfg, WithStreamLimits(maxTotal, maxPerClient),
				WithTrustedProxies("127.0.0.1"), WithWriteTimeout(100*time.Millisecond), WithKeepAlive(20*time.Millisecond))
			addr := ts.srv.Listener.Addr().String()
			stop := make(chan struct{})
			status := map[int]*atomic.Int64{200: {}, 500: {}, 503: {}}
			var wg sync.WaitGroup
			run := func(f func(r *rand.Rand)) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewPCG(rand.Uint64(), 1))
					for {
						select {
						case <-stop:
							return
						default:
						}
						f(r)
					}
				}()
			}

			// Events.
			run(func(r *rand.Rand) {
				addEvents(ts, r.IntN(1000), 1+r.IntN(20))
				time.Sleep(200 * time.Microsecond)
			})
			// The event system's life cycle.
			run(func(r *rand.Rand) {
				switch r.IntN(6) {
				case 0:
					ts.sys.Stop()
					time.Sleep(time.Millisecond)
					ts.sys.StartServiceWithPublisher(false)
				case 1:
					ts.sys.CloseAllStreams()
				case 2:
					c := ts.sys.Config()
					c.TrackingEnabled = false
					ts.sys.Reconfigure(c)
					time.Sleep(time.Millisecond)
					c.TrackingEnabled = true
					ts.sys.Reconfigure(c)
				case 3:
					ts.h.Reconfigure(map[string]string{
						ConfigKeyMaxStreams: fmt.Sprint(maxTotal), ConfigKeyMaxStreamsPerHost: fmt.Sprint(maxPerClient),
					})
				}
				time.Sleep(time.Duration(r.IntN(40)) * time.Millisecond)
			})
			// Never more event-system streams than the limiter admits. (The
			// history feed holds one wake-up stream per SSE stream.)
			run(func(*rand.Rand) {
				n := len(ts.sys.GetEventStreams())
				assert.LessOrEqual(t, n, maxTotal, "event-system streams open")
				time.Sleep(time.Millisecond)
			})
			// Clients.
			for c := range 16 {
				run(func(r *rand.Rand) {
					xff := fmt.Sprintf("192.0.2.%d", c%3)
					accept := "application/json"
					if r.IntN(2) == 0 {
						accept = "text/event-stream"
					}
					churnClient(t, r, addr, xff, accept, status)
				})
			}

			time.Sleep(2 * time.Second)
			close(stop)
			wg.Wait()

			ts.sys.StartServiceWithPublisher(false) // if the last step left it stopped
			require.Eventually(t, func() bool {
				total, _ := ts.h.limiter.counts("")
				return total == 0 && len(ts.sys.GetEventStreams()) == 0 && ts.sys.Metrics().StreamsOpen == 0
			}, 20*time.Second, 5*time.Millisecond, "slots or streams left behind")
			for c := range 3 {
				_, n := ts.h.limiter.counts(fmt.Sprintf("192.0.2.%d", c))
				assert.Zero(t, n)
			}
			closeReturns(t, ts)
			t.Logf("200: %d, 500: %d, 503: %d", status[200].Load(), status[500].Load(), status[503].Load())
		})
	}
}

// churnClient opens one stream on a raw connection and leaves in one of
// several ways.
func churnClient(t *testing.T, r *rand.Rand, addr, xff, accept string, status map[int]*atomic.Int64) {
	conn, err := net.Dial("tcp", addr)
	if !assert.NoError(t, err) {
		return
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	req := fmt.Sprintf("GET %s?count=%d&type=APP,NODE,QUEUE,REQUEST HTTP/1.1\r\nHost: test\r\nAccept: %s\r\nX-Forwarded-For: %s\r\n",
		StreamPath, r.IntN(50), accept, xff)
	if r.IntN(8) == 0 {
		// Mid-headers.
		_, _ = io.WriteString(conn, req[:r.IntN(len(req))])
		time.Sleep(time.Duration(r.IntN(3)) * time.Millisecond)
		return
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		return
	}
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		return // the server may drop it (a slow client), or the step raced
	}
	defer resp.Body.Close()
	if n := status[resp.StatusCode]; n != nil {
		n.Add(1)
	}
	switch r.IntN(3) {
	case 0: // reads a few lines
		lines := bufio.NewReader(resp.Body)
		for range r.IntN(20) {
			if _, err := lines.ReadString('\n'); err != nil {
				return
			}
		}
	case 1: // stops reading for a while
		time.Sleep(time.Duration(r.IntN(200)) * time.Millisecond)
	default: // reads to the end, up to a bound
		_ = conn.SetReadDeadline(time.Now().Add(time.Duration(r.IntN(300)) * time.Millisecond))
		_, _ = io.Copy(io.Discard, resp.Body)
	}
}
