package httpapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lfevents/lfevents/internal/testutil"
	"github.com/lfevents/lfevents/system"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// test shuts its server, handler and event system down in t.Cleanup.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// quietLogger drops every record (the handler logs each stream it ends).
var quietLogger = slog.New(slog.DiscardHandler)

// testServer is an event system served by a Handler on a loopback
// httptest.Server.
type testServer struct {
	sys  *system.EventSystemImpl
	h    *Handler
	srv  *httptest.Server
	feed string // feedItems or feedHistory
}

// newTestServer starts a system with cfg (tracking on unless cfg says
// otherwise through trackingOff) and serves it. Everything is shut down in
// t.Cleanup: the handler first (it ends the streams), then the server, then
// the system.
func newTestServer(t *testing.T, cfg system.Config, opts ...Option) *testServer {
	t.Helper()
	return newFeedServer(t, feedItems, cfg, opts...)
}

// The two ways a stream can be fed (see sse.go): from the event system's
// streams with IDs, or, for an EventSystem without them, by reading history.
const (
	feedItems   = "items"
	feedHistory = "history"
)

var feeds = []string{feedItems, feedHistory}

// eachFeed runs test as a subtest for each feed, on a new server of that
// feed with cfg.
func eachFeed(t *testing.T, cfg system.Config, test func(t *testing.T, ts *testServer)) {
	for _, feed := range feeds {
		t.Run("feed="+feed, func(t *testing.T) { test(t, newFeedServer(t, feed, cfg)) })
	}
}

// plainSystem hides every method beyond the EventSystem interface, as a
// foreign implementation would have.
type plainSystem struct{ system.EventSystem }

// newFeedServer is newTestServer with the feed chosen.
func newFeedServer(t *testing.T, feed string, cfg system.Config, opts ...Option) *testServer {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger
	}
	sys := system.New(cfg)
	sys.StartServiceWithPublisher(false)
	var es system.EventSystem = sys
	if feed == feedHistory {
		es = plainSystem{sys}
	}
	h := New(es, append([]Option{WithLogger(quietLogger)}, opts...)...)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		h.Close()
		srv.Close()
		sys.Stop()
	})
	return &testServer{sys: sys, h: h, srv: srv, feed: feed}
}

// trackingConfig is the default config with tracking on.
func trackingConfig() system.Config {
	cfg := system.DefaultConfig()
	cfg.Logger = quietLogger
	return cfg
}

// testRecord returns a record that exercises every field: i picks the
// type, the change type, a resource and a state.
func testRecord(i int) *si.EventRecord {
	res := protoResource{&si.Resource{Resources: map[string]*si.Quantity{
		"memory": {Value: int64(i) * 1024}, "vcore": {Value: int64(i % 7)},
	}}}
	switch i % 4 {
	case 0:
		return system.CreateAppEventRecord(fmt.Sprintf("app-%d", i%5), fmt.Sprintf("app message <%d> & \"quoted\"", i), "ref",
			si.EventRecord_ADD, si.EventRecord_APP_NEW, res, "New")
	case 1:
		return system.CreateNodeEventRecord(fmt.Sprintf("node-%d", i%3), "node ünïcödé \u2028 message", "",
			si.EventRecord_SET, si.EventRecord_NODE_CAPACITY, res, "")
	case 2:
		return system.CreateQueueEventRecord("root.q"+fmt.Sprint(i%2), "queue\tmessage\n", "",
			si.EventRecord_REMOVE, si.EventRecord_QUEUE_APP, nil, "Active")
	default:
		return system.CreateRequestEventRecord(fmt.Sprintf("req-%d", i), "app-1", "request message", res, "Pending")
	}
}

// addEvents adds testRecord(from), ..., testRecord(from+n-1) to ts's
// system.
func addEvents(ts *testServer, from, n int) {
	for i := from; i < from+n; i++ {
		ts.sys.AddEvent(testRecord(i))
	}
}

// protoResource is a system.Resource that is already a proto.
type protoResource struct{ r *si.Resource }

func (p protoResource) ToProto() *si.Resource { return p.r }

// referenceJSON is what a record looks like on the wire: encoding/json's
// output for the record, with "state" added when the record has one.
func referenceJSON(t testing.TB, ev *si.EventRecord) string {
	t.Helper()
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	s := string(b)
	if state := system.EventState(ev); state != "" {
		st, err := json.Marshal(state)
		require.NoError(t, err)
		if s == "{}" {
			return `{"state":` + string(st) + "}"
		}
		s = s[:len(s)-1] + `,"state":` + string(st) + "}"
	}
	return s
}

// get performs a GET with headers (pairs of name, value) and returns the
// response with its body read.
func get(t *testing.T, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	resp, err := noGzipClient.Do(newRequest(t, http.MethodGet, url, headers...))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// noGzipClient does not ask for or undo compression by itself, so tests see
// the bytes on the wire.
var noGzipClient = &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 30 * time.Second}

// errorJSON is the reference's error body.
type errorJSON struct {
	StatusCode  int    `json:"status_code"`
	Message     string `json:"message"`
	Description string `json:"description"`
}

// jsonContentType is the Content-Type of every JSON response.
const jsonContentType = "application/json; charset=UTF-8"

// requireJSON checks a response's status code (msgAndArgs describe a
// mismatch) and its JSON content type.
func requireJSON(t *testing.T, resp *http.Response, code int, msgAndArgs ...any) {
	t.Helper()
	require.Equal(t, code, resp.StatusCode, msgAndArgs...)
	require.Equal(t, jsonContentType, resp.Header.Get("Content-Type"))
}

// requireError checks an error response: status, content type and the three
// fields, and that the body has no other field.
func requireError(t *testing.T, resp *http.Response, body []byte, code int, message string) {
	t.Helper()
	requireJSON(t, resp, code, "body: %s", body)
	var fields map[string]any
	require.NoError(t, json.Unmarshal(body, &fields), "body: %s", body)
	require.Len(t, fields, 3, "body: %s", body)
	var e errorJSON
	require.NoError(t, json.Unmarshal(body, &e))
	require.Equal(t, errorJSON{StatusCode: code, Message: message, Description: message}, e)
}

// lineReader reads a stream body line by line with a bound on each wait.
type lineReader struct {
	t     *testing.T
	lines chan string
	errs  chan error
	// progress: the IDs of the progress blocks (an ID alone) nextSSEData
	// skipped.
	progress []uint64
}

// newLineReader reads body in a goroutine that ends when body is closed or
// ends.
func newLineReader(t *testing.T, body io.Reader) *lineReader {
	lr := &lineReader{t: t, lines: make(chan string, 1024), errs: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lr.lines <- sc.Text()
		}
		err := sc.Err()
		if err == nil {
			err = io.EOF
		}
		lr.errs <- err
		close(lr.lines)
	}()
	return lr
}

// next returns the next line, failing the test if none comes within 20 s.
func (lr *lineReader) next() string {
	lr.t.Helper()
	select {
	case l, ok := <-lr.lines:
		if !ok {
			lr.t.Fatalf("stream ended: %v", <-lr.errs)
		}
		return l
	case <-time.After(20 * time.Second):
		lr.t.Fatal("no line within 20s")
		return ""
	}
}

// end waits for the stream to end and returns the remaining lines.
func (lr *lineReader) end() []string {
	lr.t.Helper()
	rest, ended := testutil.Drain(lr.lines, 20*time.Second)
	if !ended {
		lr.t.Fatal("stream did not end within 20s")
	}
	return rest
}

// openStream opens a stream request and returns the response (status
// checked by the caller) and a line reader over its body; the body is closed
// in t.Cleanup.
func openStream(t *testing.T, url string, headers ...string) (*http.Response, *lineReader) {
	t.Helper()
	resp, err := streamClient.Do(newRequest(t, http.MethodGet, url, headers...))
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp, newLineReader(t, resp.Body)
}

// openAccepted opens a stream that must be accepted (200) and reads its
// first line.
func openAccepted(t *testing.T, url string, headers ...string) *lineReader {
	t.Helper()
	resp, lr := openStream(t, url, headers...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	lr.next()
	return lr
}

// openRefused opens a stream that must be refused as over the limit (503)
// and returns the response and the lines of its body.
func openRefused(t *testing.T, url string, headers ...string) (*http.Response, []string) {
	t.Helper()
	resp, lr := openStream(t, url, headers...)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	return resp, lr.end()
}

// newRequest is a request without a body, with headers (pairs of name,
// value).
func newRequest(t testing.TB, method, url string, headers ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// streamClient has no overall timeout: streams are long-lived.
var streamClient = &http.Client{Transport: &http.Transport{DisableCompression: true, MaxConnsPerHost: 0}}

// sseEvent is one parsed SSE block.
type sseEvent struct {
	id, event, data string
	hasID           bool
	comment         bool
}

// nextSSE reads lines up to the end of the next block.
func (lr *lineReader) nextSSE() sseEvent {
	lr.t.Helper()
	var ev sseEvent
	seen := false
	for {
		l := lr.next()
		if l == "" {
			if seen {
				return ev
			}
			continue
		}
		seen = true
		name, value, _ := strings.Cut(l, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "":
			ev.comment = true
		case "id":
			ev.id, ev.hasID = value, true
		case "event":
			ev.event = value
		case "data":
			ev.data = value
		}
	}
}

// nextSSEData skips comments, the instance block and progress blocks (an
// ID alone: their IDs go to lr.progress) and returns the next data, gap or
// cut block.
func (lr *lineReader) nextSSEData() sseEvent {
	lr.t.Helper()
	for {
		ev := lr.nextSSE()
		if ev.comment && ev.event == "" && ev.data == "" || ev.event == "instance" {
			continue
		}
		if ev.isProgress() {
			id, err := strconv.ParseUint(ev.id, 10, 64)
			require.NoError(lr.t, err, "progress block ID")
			lr.progress = append(lr.progress, id)
			continue
		}
		return ev
	}
}

// isProgress reports whether ev is a progress block: an ID and nothing else.
func (ev sseEvent) isProgress() bool {
	return ev.hasID && ev.event == "" && ev.data == "" && !ev.comment
}
