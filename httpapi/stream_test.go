package httpapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStreamNDJSONFormat(t *testing.T) {
	ts := newTestServer(t, trackingConfig(), WithInstanceUUID("uuid-1"))
	addEvents(ts, 0, 5)
	resp, lr := openStream(t, ts.srv.URL+StreamPath+"?count=3")
	requireJSON(t, resp, http.StatusOK)
	assert.Equal(t, `{"InstanceUUID":"uuid-1"}`, lr.next())

	var want []*si.EventRecord
	hist, _, _ := ts.sys.GetEventsFromID(2, 3)
	want = append(want, hist...)
	for i := 5; i < 50; i++ {
		ev := testRecord(i)
		want = append(want, ev)
		ts.sys.AddEvent(ev)
	}
	for i, ev := range want {
		assert.Equal(t, referenceJSON(t, ev), lr.next(), "line %d", i)
	}

	// The event system ends the stream: a closing line with the reference's
	// error JSON, status_code 200.
	ts.sys.Stop()
	rest := lr.end()
	require.Len(t, rest, 1)
	var e errorJSON
	require.NoError(t, json.Unmarshal([]byte(rest[0]), &e))
	assert.Equal(t, 200, e.StatusCode)
	assert.Equal(t, "Event stream was closed by the producer", e.Message)
	assert.Contains(t, e.Description, "Event stream was closed by the producer")
	assert.Contains(t, e.Description, "closed its streams")
}

func TestStreamNDJSONNoHistoryByDefault(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	addEvents(ts, 0, 5)
	_, lr := openStream(t, ts.srv.URL+StreamPath)
	lr.next() // the instance line
	ev := testRecord(99)
	ts.sys.AddEvent(ev)
	assert.Equal(t, referenceJSON(t, ev), lr.next(), "count defaults to 0: no history, then the live event")
}

func TestStreamFilters(t *testing.T) {
	cases := []struct {
		query string
		match func(*si.EventRecord) bool
	}{
		{"type=APP", func(ev *si.EventRecord) bool { return ev.Type == si.EventRecord_APP }},
		{"type=app&type=3", func(ev *si.EventRecord) bool {
			return ev.Type == si.EventRecord_APP || ev.Type == si.EventRecord_NODE
		}},
		{"type=APP,NODE", func(ev *si.EventRecord) bool {
			return ev.Type == si.EventRecord_APP || ev.Type == si.EventRecord_NODE
		}},
		{"objectID=app-1&objectID=node-2", func(ev *si.EventRecord) bool { return ev.ObjectID == "app-1" || ev.ObjectID == "node-2" }},
		{"changeType=add", func(ev *si.EventRecord) bool { return ev.EventChangeType == si.EventRecord_ADD }},
		{"type=NODE&changeType=SET&objectID=node-1", func(ev *si.EventRecord) bool {
			return ev.Type == si.EventRecord_NODE && ev.EventChangeType == si.EventRecord_SET && ev.ObjectID == "node-1"
		}},
	}
	for _, tc := range cases {
		for _, sse := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/sse=%v", tc.query, sse), func(t *testing.T) {
				ts := newTestServer(t, trackingConfig())
				var hdr []string
				if sse {
					hdr = []string{"Accept", "text/event-stream"}
				}
				_, lr := openStream(t, ts.srv.URL+StreamPath+"?"+tc.query, hdr...)
				if !sse {
					lr.next()
				}
				var want []string
				var wantIDs []uint64
				for i := range 200 {
					ev := testRecord(i)
					if tc.match(ev) {
						want = append(want, referenceJSON(t, ev))
						wantIDs = append(wantIDs, uint64(i))
					}
					ts.sys.AddEvent(ev)
				}
				require.NotEmpty(t, want)
				for i, w := range want {
					if sse {
						ev := lr.nextSSEData()
						assert.Equal(t, fmt.Sprint(wantIDs[i]), ev.id)
						assert.Equal(t, w, ev.data)
					} else {
						assert.Equal(t, w, lr.next())
					}
				}
				// Nothing else came in between: the next one is a matching
				// event added now.
				last := testRecord(int(wantIDs[0]))
				ts.sys.AddEvent(last)
				if sse {
					ev := lr.nextSSEData()
					assert.Equal(t, "200", ev.id)
					assert.Equal(t, referenceJSON(t, last), ev.data)
				} else {
					assert.Equal(t, referenceJSON(t, last), lr.next())
				}
			})
		}
	}
}

func TestStreamRequestErrors(t *testing.T) {
	cases := []struct {
		query, accept string
		header        []string
		message       string
	}{
		{query: "?count=abc", message: `strconv.ParseUint: parsing "abc": invalid syntax`},
		{query: "?count=-2", message: `strconv.ParseUint: parsing "-2": invalid syntax`},
		{query: "?type=BOGUS", message: `invalid type "BOGUS": use a number or one of APP, NODE, QUEUE, REQUEST, UNKNOWN_EVENTRECORD_TYPE, USERGROUP`},
		{query: "?changeType=-1", message: `invalid changeType "-1": use a number or one of ADD, NONE, REMOVE, SET`},
		{query: "?lastEventID=x", accept: "text/event-stream", message: `invalid lastEventID "x": an event ID is expected`},
		{header: []string{"Last-Event-ID", "-3"}, accept: "text/event-stream", message: `invalid Last-Event-ID "-3": an event ID is expected`},
	}
	ts := newTestServer(t, trackingConfig())
	for _, tc := range cases {
		t.Run(tc.query+strings.Join(tc.header, ":"), func(t *testing.T) {
			hdr := append([]string{}, tc.header...)
			if tc.accept != "" {
				hdr = append(hdr, "Accept", tc.accept)
			}
			resp, body := get(t, ts.srv.URL+StreamPath+tc.query, hdr...)
			requireError(t, resp, body, http.StatusBadRequest, tc.message)
		})
	}
	assert.Empty(t, ts.sys.GetEventStreams(), "no stream opened for a bad request")
}

func TestStreamLimits(t *testing.T) {
	for _, sse := range []bool{false, true} {
		t.Run(fmt.Sprintf("sse=%v", sse), func(t *testing.T) {
			ts := newTestServer(t, trackingConfig(), WithStreamLimits(3, 2), WithTrustedProxies("127.0.0.1"))
			var accept []string
			if sse {
				accept = []string{"Accept", "text/event-stream"}
			}
			from := func(xff string) []string { return append([]string{"X-Forwarded-For", xff}, accept...) }
			// Two streams for client A, through the trusted proxy.
			for range 2 {
				openAccepted(t, ts.srv.URL+StreamPath, from("192.0.2.1")...)
			}
			resp, body := openRefused(t, ts.srv.URL+StreamPath, from("192.0.2.1")...)
			requireError(t, resp, []byte(strings.Join(body, "\n")), http.StatusServiceUnavailable, "Too many streaming connections")

			// Another client gets one (total 3), then the total is reached.
			openAccepted(t, ts.srv.URL+StreamPath, from("192.0.2.2")...)
			openRefused(t, ts.srv.URL+StreamPath, from("192.0.2.3")...)
			total, _ := ts.h.limiter.counts("")
			assert.Equal(t, uint64(3), total)
		})
	}
}

func TestStreamLimitIgnoresUntrustedForwardedFor(t *testing.T) {
	ts := newTestServer(t, trackingConfig(), WithStreamLimits(100, 2))
	for i := range 2 {
		openAccepted(t, ts.srv.URL+StreamPath, "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
	}
	// A client that is not a trusted proxy cannot escape its limit by
	// claiming to forward for someone else.
	openRefused(t, ts.srv.URL+StreamPath, "X-Forwarded-For", "198.51.100.77")
	_, n := ts.h.limiter.counts("127.0.0.1")
	assert.Equal(t, uint64(2), n)
}

// TestStreamLimitPerIPv6Network: an IPv6 host picks its own address from
// (at least) a /64, so one client could open a stream from each of as many
// addresses as it likes, each with a budget of its own. Clients are counted
// by their /64 (and without an interface zone), as one IPv4 address is.
func TestStreamLimitPerIPv6Network(t *testing.T) {
	ts := newTestServer(t, trackingConfig(), WithStreamLimits(100, 2), WithTrustedProxies("127.0.0.1"))
	for i := range 2 {
		openAccepted(t, ts.srv.URL+StreamPath, "X-Forwarded-For", fmt.Sprintf("2001:db8:1:2::%x", i+1))
	}
	for _, addr := range []string{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::1%eth0", "[2001:db8:1:2::77]:4242"} {
		openRefused(t, ts.srv.URL+StreamPath, "X-Forwarded-For", addr)
	}
	openAccepted(t, ts.srv.URL+StreamPath, "X-Forwarded-For", "2001:db8:1:3::1") // another /64
	_, n := ts.h.limiter.counts("2001:db8:1:2::/64")
	assert.Equal(t, uint64(2), n)
}

func TestStreamLimitReleasedWhenClientLeaves(t *testing.T) {
	ts := newTestServer(t, trackingConfig(), WithStreamLimits(1, 1))
	resp, lr := openStream(t, ts.srv.URL+StreamPath)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	lr.next()
	resp.Body.Close()
	require.Eventually(t, func() bool {
		total, _ := ts.h.limiter.counts("")
		return total == 0 && len(ts.sys.GetEventStreams()) == 0
	}, 20*time.Second, 5*time.Millisecond)
	openAccepted(t, ts.srv.URL+StreamPath)
}

func TestStreamLimitsReconfigure(t *testing.T) {
	ts := newTestServer(t, trackingConfig(), WithConfigMap(map[string]string{ConfigKeyMaxStreams: "0"}))
	openRefused(t, ts.srv.URL+StreamPath) // a zero limit refuses every stream, as in the reference
	ts.h.Reconfigure(map[string]string{ConfigKeyMaxStreams: "1", ConfigKeyMaxStreamsPerHost: "5"})
	openAccepted(t, ts.srv.URL+StreamPath)
}

func TestClientAddress(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	cases := []struct {
		remote string
		xff    []string
		want   string
	}{
		{"192.0.2.9:5555", nil, "192.0.2.9"},
		{"192.0.2.9:5555", []string{"203.0.113.1"}, "192.0.2.9"}, // untrusted peer: header ignored
		{"10.1.2.3:80", nil, "10.1.2.3"},
		{"10.1.2.3:80", []string{"203.0.113.1"}, "203.0.113.1"},
		{"10.1.2.3:80", []string{"198.51.100.1, 203.0.113.1, 10.9.9.9"}, "203.0.113.1"}, // rightmost untrusted
		{"10.1.2.3:80", []string{"198.51.100.1", "203.0.113.1"}, "203.0.113.1"},
		{"10.1.2.3:80", []string{"10.2.2.2, 10.3.3.3"}, "10.2.2.2"}, // all trusted: the leftmost
		{"10.1.2.3:80", []string{"garbage, 203.0.113.1"}, "203.0.113.1"},
		{"10.1.2.3:80", []string{"203.0.113.1, garbage"}, "10.1.2.3"}, // stop at garbage
		{"[::1]:80", []string{"2001:db8::1"}, "2001:db8::/64"},
		{"[::1]:80", []string{"2001:db8::1:2:3:4"}, "2001:db8::/64"},
		{"[::1]:80", []string{"fe80::1%eth0"}, "fe80::/64"},
		{"[2001:db8:0:1:2:3:4:5]:80", nil, "2001:db8:0:1::/64"},
		{"[2001:db8::1%eth0]:80", nil, "2001:db8::/64"},
		{"[::ffff:10.1.2.3]:80", []string{"203.0.113.5"}, "203.0.113.5"},
		{"not-an-address", nil, "not-an-address"},
	}
	for _, tc := range cases {
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		assert.Equal(t, tc.want, clientAddress(r, trusted), "%s %v", tc.remote, tc.xff)
	}
}

// TestStreamClientThatStopsReading: a client that sends its request and then
// never reads is dropped once a write cannot complete within the write
// timeout, and its event-system stream, limiter slot and goroutine are
// freed (goleak checks the goroutine at the end of the package).
func TestStreamClientThatStopsReading(t *testing.T) {
	for _, sse := range []bool{false, true} {
		t.Run(fmt.Sprintf("sse=%v", sse), func(t *testing.T) {
			cfg := trackingConfig()
			cfg.StreamQueueSize = 1 << 16
			ts := newTestServer(t, cfg, WithWriteTimeout(200*time.Millisecond))
			conn := dialSmallBuffer(t, ts.srv.Listener.Addr().String())
			accept := "application/json"
			if sse {
				accept = "text/event-stream"
			}
			_, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: test\r\nAccept: %s\r\n\r\n", StreamPath, accept)
			require.NoError(t, err)
			// Read the status line only, then stop reading.
			status, err := bufio.NewReader(conn).ReadString('\n')
			require.NoError(t, err)
			require.Contains(t, status, "200 OK")
			require.Eventually(t, func() bool { return len(ts.sys.GetEventStreams()) == 1 }, 20*time.Second, time.Millisecond)

			// Pour events until the handler gives up on the client.
			big := strings.Repeat("x", 1000)
			gone := func() bool {
				total, _ := ts.h.limiter.counts("")
				return total == 0 && len(ts.sys.GetEventStreams()) == 0
			}
			deadline := time.Now().Add(30 * time.Second)
			for !gone() {
				require.True(t, time.Now().Before(deadline), "the stalled client was not dropped")
				for i := range 200 {
					ts.sys.AddEvent(&si.EventRecord{Type: si.EventRecord_APP, ObjectID: fmt.Sprint(i), Message: big})
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
}

func TestCloseEndsStreams(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	_, nd := openStream(t, ts.srv.URL+StreamPath)
	nd.next()
	_, sse := openStream(t, ts.srv.URL+StreamPath, "Accept", "text/event-stream")
	require.Equal(t, "instance", sse.nextSSE().event)
	ts.sys.AddEvent(testRecord(1))
	nd.next()
	require.Equal(t, "0", sse.nextSSEData().id)

	ts.h.Close()
	rest := nd.end()
	require.Len(t, rest, 1)
	var e errorJSON
	require.NoError(t, json.Unmarshal([]byte(rest[0]), &e))
	assert.Equal(t, errorJSON{StatusCode: 200, Message: msgShuttingDown, Description: msgShuttingDown}, e)

	cut := sse.nextSSEData()
	assert.Equal(t, "cut", cut.event)
	assert.JSONEq(t, `{"reason":"shutdown","lastID":0}`, cut.data)
	sse.end()

	resp, body := get(t, ts.srv.URL+StreamPath)
	requireError(t, resp, body, http.StatusServiceUnavailable, msgShuttingDown)
	assert.Empty(t, ts.sys.GetEventStreams())
	// The batch endpoint keeps working.
	resp, _ = get(t, ts.srv.URL+BatchPath)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestStreamHead(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	for _, accept := range []string{"", "text/event-stream"} {
		req, err := http.NewRequest(http.MethodHead, ts.srv.URL+StreamPath, nil)
		require.NoError(t, err)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := noGzipClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		if accept != "" {
			assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		} else {
			assert.Equal(t, jsonContentType, resp.Header.Get("Content-Type"))
		}
	}
	assert.Empty(t, ts.sys.GetEventStreams(), "HEAD opens no stream")
}

// TestStreamAcceptNegotiation: SSE is served when the request accepts
// text/event-stream and does not prefer JSON; a quality of 0 means "not
// acceptable" (RFC 9110, section 12.4.2), and wildcards never ask for SSE.
func TestStreamAcceptNegotiation(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	cases := []struct {
		accept []string
		sse    bool
	}{
		{nil, false},
		{[]string{"text/event-stream"}, true},
		{[]string{"Text/Event-Stream"}, true},
		{[]string{"text/event-stream; charset=utf-8"}, true},
		{[]string{"application/json, text/event-stream"}, true},
		{[]string{"application/json", "text/event-stream"}, true},
		{[]string{"text/event-stream;q=0.5, application/json;q=0.5"}, true},
		{[]string{"*/*"}, false},
		{[]string{"text/*"}, false},
		{[]string{"application/json"}, false},
		{[]string{"text/event-stream;q=0"}, false},
		{[]string{"text/event-stream; q=0.000, application/json"}, false},
		{[]string{"application/json, text/event-stream;q=0.5"}, false},
		{[]string{"application/x-ndjson;q=0.9, text/event-stream;q=0.1"}, false},
		{[]string{"text/event-stream;q=0.8, */*;q=0.9"}, true},
		{[]string{"text/event-stream;q=bogus"}, true},
		{[]string{"text/event-stream;q=2"}, true},
		{[]string{"garbage;;;, text/event-stream"}, true},
	}
	for _, tc := range cases {
		req := newRequest(t, http.MethodHead, ts.srv.URL+StreamPath)
		for _, a := range tc.accept {
			req.Header.Add("Accept", a)
		}
		resp, err := noGzipClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		want := jsonContentType
		if tc.sse {
			want = "text/event-stream"
		}
		assert.Equal(t, want, resp.Header.Get("Content-Type"), "Accept: %q", tc.accept)
	}
}

// noFlushWriter hides the Flusher of the writer it wraps and offers no
// Unwrap: a stream cannot be served through it.
type noFlushWriter struct{ w http.ResponseWriter }

func (n noFlushWriter) Header() http.Header         { return n.w.Header() }
func (n noFlushWriter) Write(b []byte) (int, error) { return n.w.Write(b) }
func (n noFlushWriter) WriteHeader(code int)        { n.w.WriteHeader(code) }

func TestStreamWithoutFlusher(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.h.ServeHTTP(noFlushWriter{w}, r)
	}))
	defer srv.Close()
	for _, accept := range []string{"", "text/event-stream"} {
		resp, body := get(t, srv.URL+StreamPath, "Accept", accept)
		requireError(t, resp, body, http.StatusInternalServerError, "Writer does not implement http.Flusher")
	}
	total, _ := ts.h.limiter.counts("")
	assert.Zero(t, total)
}

// unwrapWriter hides the Flusher of the writer it wraps, but reaches it
// through Unwrap, as middleware writers do.
type unwrapWriter struct{ noFlushWriter }

func (u unwrapWriter) Unwrap() http.ResponseWriter { return u.w }

func TestStreamThroughUnwrap(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.h.ServeHTTP(unwrapWriter{noFlushWriter{w}}, r)
	}))
	t.Cleanup(func() { ts.h.Close(); srv.Close() }) // the streams end first
	addEvents(ts, 0, 3)
	resp, nd := openStream(t, srv.URL+StreamPath+"?count=2")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, string(ts.h.uuidLine[:len(ts.h.uuidLine)-1]), nd.next())
	recs, _, _ := ts.sys.GetEventsFromID(1, 2)
	for _, ev := range recs {
		assert.Equal(t, referenceJSON(t, ev), nd.next())
	}
	resp, sse := openStream(t, srv.URL+StreamPath, "Accept", "text/event-stream", "Last-Event-ID", "1")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	assert.Equal(t, "2", sse.nextSSEData().id)
}
