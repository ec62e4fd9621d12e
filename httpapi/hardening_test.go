package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawRequest sends raw bytes on a new loopback connection to ts and returns
// the connection (closed in t.Cleanup) and a reader over it.
func rawRequest(t *testing.T, ts *testServer, raw string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", ts.srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = conn.Write([]byte(raw))
	require.NoError(t, err)
	return conn, bufio.NewReader(conn)
}

// dialSmallBuffer opens a loopback connection to addr (closed in t.Cleanup)
// with a small receive buffer, so that a client that stops reading makes the
// server's writes block soon.
func dialSmallBuffer(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	if tc, ok := conn.(*net.TCPConn); ok {
		require.NoError(t, tc.SetReadBuffer(4096))
	}
	return conn
}

// readResponse reads one response from br, with a bound on the wait.
func readResponse(t *testing.T, conn net.Conn, br *bufio.Reader, method string) *http.Response {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	require.NoError(t, err, "no response")
	return resp
}

// closeReturns calls ts.h.Close and fails the test if it does not return
// within 20 s (it would hang for ever on a stream that cannot end).
func closeReturns(t *testing.T, ts *testServer) {
	t.Helper()
	done := make(chan struct{})
	go func() { ts.h.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not return: a stream handler is stuck")
	}
}

// TestRequestWithBodyIsRefused: the endpoints take no body. A request that
// announces one (which it may then send slowly, or never) is refused at once
// with 400 and its connection closed, without the server waiting for the
// body: before, the server's attempt to drain the body blocked the stream
// handler before its first write, with no deadline, so Close never returned
// and the stream's limiter slot was held.
func TestRequestWithBodyIsRefused(t *testing.T) {
	cases := []struct{ name, method, path, accept, framing string }{
		{"stream content-length", "GET", StreamPath, "application/json", "Content-Length: 10\r\n"},
		{"sse content-length", "GET", StreamPath, "text/event-stream", "Content-Length: 10\r\n"},
		{"sse chunked", "GET", StreamPath, "text/event-stream", "Transfer-Encoding: chunked\r\n"},
		{"batch content-length", "GET", BatchPath, "", "Content-Length: 10\r\n"},
		{"batch chunked", "GET", BatchPath, "", "Transfer-Encoding: chunked\r\n"},
		{"post stream", "POST", StreamPath, "", "Content-Length: 100000\r\n"},
		{"post batch chunked", "POST", BatchPath, "", "Transfer-Encoding: chunked\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, trackingConfig(), WithStreamLimits(1, 1))
			// The body is announced and never sent.
			conn, br := rawRequest(t, ts, fmt.Sprintf("%s %s HTTP/1.1\r\nHost: test\r\nAccept: %s\r\n%s\r\n",
				tc.method, tc.path, tc.accept, tc.framing))
			resp := readResponse(t, conn, br, tc.method)
			defer resp.Body.Close()
			if tc.method == "GET" {
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			} else {
				assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
			}
			assert.True(t, resp.Close, "the connection is closed: the unread body must not be parsed as a request")
			assert.Empty(t, ts.sys.GetEventStreams())
			total, _ := ts.h.limiter.counts("")
			assert.Zero(t, total)
			closeReturns(t, ts)
		})
	}
}

// TestRequestWithBodySentIsRefused: a client that sends its body at once
// gets the same 400 with the reference's error body.
func TestRequestWithBodySentIsRefused(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	for _, path := range []string{BatchPath, StreamPath} {
		req, err := http.NewRequest(http.MethodGet, ts.srv.URL+path, strings.NewReader(`{"start":1}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := noGzipClient.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		requireError(t, resp, body, http.StatusBadRequest, msgBodyNotAllowed)
	}
	assert.Empty(t, ts.sys.GetEventStreams())
}

// TestBatchClientThatStopsReading: a client that asks for a large batch and
// never reads it is dropped within the write timeout, so it cannot hold the
// handler's goroutine and the response's buffer (megabytes) for ever. The
// handler ran without any deadline before, unless the server had a
// WriteTimeout.
func TestBatchClientThatStopsReading(t *testing.T) {
	for _, gzip := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", gzip), func(t *testing.T) {
			ts := newTestServer(t, trackingConfig(), WithWriteTimeout(200*time.Millisecond))
			// Incompressible messages, so that gzip does not shrink the
			// response below what the socket buffers hold.
			rnd := rand.New(rand.NewPCG(1, 2))
			for i := range 10000 {
				msg := make([]byte, 2000)
				for j := range msg {
					msg[j] = byte('a' + rnd.IntN(26))
				}
				ts.sys.AddEvent(&si.EventRecord{Type: si.EventRecord_APP, ObjectID: fmt.Sprint(i), Message: string(msg)})
			}
			returned := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ts.h.ServeHTTP(w, r)
				close(returned)
			}))
			t.Cleanup(srv.Close)
			conn := dialSmallBuffer(t, srv.Listener.Addr().String())
			enc := ""
			if gzip {
				enc = "Accept-Encoding: gzip\r\n"
			}
			_, err := fmt.Fprintf(conn, "GET %s?count=10000 HTTP/1.1\r\nHost: test\r\n%s\r\n", BatchPath, enc)
			require.NoError(t, err)
			select {
			case <-returned:
			case <-time.After(20 * time.Second):
				t.Fatal("the batch handler is still writing to a client that does not read")
			}
		})
	}
}

// TestExtremeStreamParameters: counts and resume points at the ends of the
// uint64 range are served, never a panic or a hang: a count beyond history
// replays all of it, a resume point this instance never gave out starts a
// new stream.
func TestExtremeStreamParameters(t *testing.T) {
	const maxU = "18446744073709551615"
	cases := []struct {
		name, query string
		headers     []string
		first       uint64 // first ID expected, of the 10 in history
	}{
		{"largest count", "?count=" + maxU, nil, 0},
		{"largest resume point", "?count=2", []string{"Last-Event-ID", "18446744073709551614"}, 8},
		{"resume point in the query", "?count=3&lastEventID=18446744073709551614", nil, 7},
		{"resume point 0", "", []string{"Last-Event-ID", "0"}, 1},
	}
	for _, feed := range feeds {
		for _, tc := range cases {
			t.Run(feed+"/"+tc.name, func(t *testing.T) {
				ts := newFeedServer(t, feed, trackingConfig())
				addEvents(ts, 0, 10)
				lr := openSSE(t, ts, tc.query, tc.headers...)
				requireEvents(t, ts, lr, tc.first, 9)

				// The NDJSON stream takes the same count.
				if tc.query != "" && !strings.Contains(tc.query, "lastEventID") {
					resp, nd := openStream(t, ts.srv.URL+StreamPath+tc.query)
					require.Equal(t, http.StatusOK, resp.StatusCode)
					nd.next()
					recs, _, _ := ts.sys.GetEventsFromID(tc.first, 10-tc.first)
					for _, ev := range recs {
						assert.Equal(t, referenceJSON(t, ev), nd.next())
					}
				}
			})
		}
	}
	ts := newTestServer(t, trackingConfig())
	resp, body := get(t, ts.srv.URL+StreamPath, "Accept", "text/event-stream", "Last-Event-ID", maxU)
	requireError(t, resp, body, http.StatusBadRequest, `invalid Last-Event-ID "`+maxU+`": an event ID is expected`)
	resp, body = get(t, ts.srv.URL+StreamPath, "Accept", "text/event-stream", "Last-Event-ID", strings.Repeat("9", 4000))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "body: %.200s", body)
}

// TestClientsLeavingReleaseEverything: clients that vanish mid-stream, in
// every form and feed, while events flow, leave no event-system stream, no
// limiter slot and (goleak, at the end of the package) no goroutine behind.
func TestClientsLeavingReleaseEverything(t *testing.T) {
	for _, feed := range feeds {
		t.Run("feed="+feed, func(t *testing.T) {
			ts := newFeedServer(t, feed, trackingConfig(), WithStreamLimits(40, 40))
			stop := make(chan struct{})
			produced := make(chan struct{})
			go func() {
				defer close(produced)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					addEvents(ts, i, 1)
					time.Sleep(100 * time.Microsecond)
				}
			}()
			defer func() { close(stop); <-produced }()
			for i := range 30 {
				var hdr []string
				if i%2 == 0 {
					hdr = []string{"Accept", "text/event-stream"}
				}
				q := fmt.Sprintf("?count=%d&type=APP,NODE,QUEUE,REQUEST", i*10)
				resp, lr := openStream(t, ts.srv.URL+StreamPath+q, hdr...)
				require.Equal(t, http.StatusOK, resp.StatusCode)
				for range i % 5 {
					lr.next()
				}
				require.NoError(t, resp.Body.Close())
			}
			require.Eventually(t, func() bool {
				total, _ := ts.h.limiter.counts("")
				return total == 0 && len(ts.sys.GetEventStreams()) == 0 && ts.sys.Metrics().StreamsOpen == 0
			}, 20*time.Second, 5*time.Millisecond)
		})
	}
}

// TestBatchMemoryPerSlowClient: a client that asks for a large batch and
// then reads slowly (here: not at all, within the write timeout) holds the
// handler for as long as it keeps taking a part per write timeout. What it
// holds meanwhile must not be the whole encoded response: a few clients,
// each with a request of a hundred bytes, would pin megabytes each for
// minutes. The response is encoded part by part as it is written, so each
// holds one part (and the slice of records it reads from). Before, every one
// held its whole response (here about 10 MB).
func TestBatchMemoryPerSlowClient(t *testing.T) {
	const clients, events, msgSize = 6, 10000, 1000
	ts := newTestServer(t, trackingConfig(), WithWriteTimeout(time.Minute))
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := range events {
		msg := make([]byte, msgSize)
		for j := range msg {
			msg[j] = byte('a' + rnd.IntN(26))
		}
		ts.sys.AddEvent(&si.EventRecord{Type: si.EventRecord_APP, ObjectID: fmt.Sprint(i), Message: string(msg)})
	}
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()

	for range clients {
		conn := dialSmallBuffer(t, ts.srv.Listener.Addr().String())
		_, err := fmt.Fprintf(conn, "GET %s?count=%d HTTP/1.1\r\nHost: test\r\n\r\n", BatchPath, events)
		require.NoError(t, err)
		// The handler has begun to write; it stalls once the socket
		// buffers are full (the response is far larger).
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
		_, err = conn.Read(make([]byte, 1))
		require.NoError(t, err)
	}
	held := int64(heap()) - int64(before)
	t.Logf("%d stalled batch clients hold %d KiB", clients, held>>10)
	assert.Less(t, held, int64(events*msgSize), "the stalled clients hold more than one whole response between them")
}
