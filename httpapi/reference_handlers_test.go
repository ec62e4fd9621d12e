package httpapi

// The reference webservice's handler tests about events (TestGetEvents,
// TestGetEventsWhenTrackingDisabled, the TestGetStream family and
// TestSetMaxRESTResponseSize, plus its streaming limiter's tests), ported to
// this package: each test below checks what its counterpart checks, over
// real HTTP on loopback where the reference calls the handler with a
// recorder, and through ServeHTTP with a recorder where the case is about
// the response writer itself. Where this package differs on purpose, the
// test says so and checks what is done instead.

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/system"
)

// threeReferenceEvents adds an application, a node and a queue event (IDs 0,
// 1 and 2), the first two with a resource, and returns them.
func threeReferenceEvents(t *testing.T, ts *testServer) []*si.EventRecord {
	t.Helper()
	cpu := &si.Resource{Resources: map[string]*si.Quantity{"cpu": {Value: 1}}}
	evs := []*si.EventRecord{
		{Type: si.EventRecord_APP, TimestampNano: 100, Message: "an application event",
			EventChangeType: si.EventRecord_ADD, EventChangeDetail: si.EventRecord_APP_ALLOC,
			ObjectID: "app-a", ReferenceID: "alloc-a", Resource: cpu},
		{Type: si.EventRecord_NODE, TimestampNano: 101, Message: "a node event",
			EventChangeType: si.EventRecord_ADD, EventChangeDetail: si.EventRecord_APP_ALLOC,
			ObjectID: "node-a", ReferenceID: "alloc-a", Resource: cpu},
		{Type: si.EventRecord_QUEUE, TimestampNano: 102, Message: "a queue event",
			EventChangeType: si.EventRecord_REMOVE, EventChangeDetail: si.EventRecord_QUEUE_APP,
			ObjectID: "root.default", ReferenceID: "app-a"},
	}
	for _, ev := range evs {
		ts.sys.AddEvent(ev)
	}
	require.Equal(t, uint64(2), ts.sys.GetLastEventID())
	return evs
}

// batchDAO is the reference's EventRecordDAO as a client decodes it.
type batchDAO struct {
	InstanceUUID string
	LowestID     uint64
	HighestID    uint64
	EventRecords []*si.EventRecord
}

// getBatch requests the batch endpoint with query and decodes a 200 answer.
func getBatch(t *testing.T, url string) batchDAO {
	t.Helper()
	resp, body := get(t, url)
	requireJSON(t, resp, http.StatusOK, "body: %s", body)
	var dao batchDAO
	require.NoError(t, json.Unmarshal(body, &dao), "body: %s", body)
	return dao
}

// sameEvent compares the fields the reference's tests compare.
func sameEvent(t *testing.T, want, got *si.EventRecord) {
	t.Helper()
	require.NotNil(t, got)
	assert.Equal(t, want.TimestampNano, got.TimestampNano)
	assert.Equal(t, want.EventChangeType, got.EventChangeType)
	assert.Equal(t, want.EventChangeDetail, got.EventChangeDetail)
	assert.Equal(t, want.ObjectID, got.ObjectID)
	assert.Equal(t, want.ReferenceID, got.ReferenceID)
	assert.Equal(t, want.Message, got.Message)
	assert.Equal(t, want.GetResource().GetResources()["cpu"].GetValue(), got.GetResource().GetResources()["cpu"].GetValue())
	assert.Equal(t, len(want.GetResource().GetResources()), len(got.GetResource().GetResources()))
}

// TestReferenceGetEvents: all events, count and start, the illegal values
// and their messages, and count capped by the response size.
func TestReferenceGetEvents(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	evs := threeReferenceEvents(t, ts)

	// The reference's test asks for all events with a trailing slash; its
	// router redirects that to the path without one.
	for _, path := range []string{BatchPath, BatchPath + "/"} {
		dao := getBatch(t, ts.srv.URL+path)
		assert.NotEmpty(t, dao.InstanceUUID)
		assert.Equal(t, uint64(0), dao.LowestID)
		assert.Equal(t, uint64(2), dao.HighestID)
		require.Len(t, dao.EventRecords, 3, "path %s", path)
		for i := range evs {
			sameEvent(t, evs[i], dao.EventRecords[i])
		}
	}

	one := getBatch(t, ts.srv.URL+BatchPath+"?count=1")
	assert.NotEmpty(t, one.InstanceUUID)
	require.Len(t, one.EventRecords, 1)
	sameEvent(t, evs[0], one.EventRecords[0])

	last := getBatch(t, ts.srv.URL+BatchPath+"?start=2")
	require.Len(t, last.EventRecords, 1)
	sameEvent(t, evs[2], last.EventRecords[0])

	for query, message := range map[string]string{
		"count=xyz":  `strconv.ParseUint: parsing "xyz": invalid syntax`,
		"count=-100": `strconv.ParseUint: parsing "-100": invalid syntax`,
		"count=0":    `0 is not a valid value for "count"`,
		"start=xyz":  `strconv.ParseUint: parsing "xyz": invalid syntax`,
		"start=-100": `strconv.ParseUint: parsing "-100": invalid syntax`,
	} {
		resp, body := get(t, ts.srv.URL+BatchPath+"?"+query)
		requireError(t, resp, body, http.StatusBadRequest, message)
	}

	// A count above the response size is cut down to it.
	ts.h.Reconfigure(map[string]string{ConfigKeyRESTResponseSize: "1"})
	capped := getBatch(t, ts.srv.URL+BatchPath+"?count=3")
	require.Len(t, capped.EventRecords, 1)
	sameEvent(t, evs[0], capped.EventRecords[0])
}

// TestReferenceBatchRedirects: the reference's router answers a GET whose
// path differs from the route only by a trailing slash, by letter case or by
// an unclean path with 301 to the route, the query kept. Other paths stay 404.
func TestReferenceBatchRedirects(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	for path, to := range map[string]string{
		BatchPath + "/?count=1":       BatchPath + "?count=1",
		StreamPath + "/":              StreamPath,
		"/WS/V1/Events/Batch?start=2": BatchPath + "?start=2",
		"/ws/v1/events//stream/":      StreamPath,
	} {
		resp, err := noRedirectClient.Do(newRequest(t, http.MethodGet, ts.srv.URL+path))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode, path)
		assert.Equal(t, to, resp.Header.Get("Location"), path)
	}
	resp, body := get(t, ts.srv.URL+BatchPath+"x/")
	requireError(t, resp, body, http.StatusNotFound, "Not found: "+BatchPath+"x/")
}

// TestReferenceGetEventsWhenTrackingDisabled: 500 with the reference's
// message.
func TestReferenceGetEventsWhenTrackingDisabled(t *testing.T) {
	requireTrackingDisabledError(t, BatchPath)
}

// requireTrackingDisabledError: with tracking off, path answers 500 "Event
// tracking is disabled", as the reference does for both endpoints.
func requireTrackingDisabledError(t *testing.T, path string) {
	t.Helper()
	cfg := trackingConfig()
	cfg.TrackingEnabled = false
	ts := newTestServer(t, cfg)
	resp, body := get(t, ts.srv.URL+path)
	requireError(t, resp, body, http.StatusInternalServerError, "Event tracking is disabled")
}

// TestReferenceGetStream: the first line carries the InstanceUUID, then the
// events added while the stream is open, one per line; the client leaving
// ends the stream.
func TestReferenceGetStream(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	resp, lr := openStream(t, ts.srv.URL+StreamPath)
	requireJSON(t, resp, http.StatusOK)
	var id struct{ InstanceUUID string }
	require.NoError(t, json.Unmarshal([]byte(lr.next()), &id))
	assert.Equal(t, ts.h.InstanceUUID(), id.InstanceUUID)
	assert.NotEmpty(t, id.InstanceUUID)

	for _, ev := range []*si.EventRecord{
		{TimestampNano: 111, ObjectID: "app-1"},
		{TimestampNano: 222, ObjectID: "node-1"},
		{TimestampNano: 333, ObjectID: "app-2"},
	} {
		ts.sys.AddEvent(ev)
		var got si.EventRecord
		require.NoError(t, json.Unmarshal([]byte(lr.next()), &got))
		assert.Equal(t, ev.TimestampNano, got.TimestampNano)
		assert.Equal(t, ev.ObjectID, got.ObjectID)
	}

	resp.Body.Close()
	require.Eventually(t, func() bool {
		total, _ := ts.h.limiter.counts("")
		return total == 0 && len(ts.sys.GetEventStreams()) == 0
	}, 20*time.Second, 5*time.Millisecond, "the stream ends when its client leaves")
}

// TestReferenceGetStreamClosedByProducer: when the event system closes its
// streams, the stream ends with an error line, status_code 200, message
// "Event stream was closed by the producer". Deliberately different: the
// reference's description repeats the message, this package's adds why
// (". Original Cause :" and the reason, the form the reference uses for an
// error with a cause); clients that match on the message see no difference.
func TestReferenceGetStreamClosedByProducer(t *testing.T) {
	eachFeed(t, trackingConfig(), func(t *testing.T, ts *testServer) {
		resp, lr := openStream(t, ts.srv.URL+StreamPath)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		lr.next()
		ts.sys.AddEvent(&si.EventRecord{TimestampNano: 111, ObjectID: "app-1"})
		var got si.EventRecord
		require.NoError(t, json.Unmarshal([]byte(lr.next()), &got))
		assert.Equal(t, "app-1", got.ObjectID)

		ts.sys.CloseAllStreams()
		rest := lr.end()
		require.Len(t, rest, 1)
		var e errorJSON
		require.NoError(t, json.Unmarshal([]byte(rest[0]), &e))
		assert.Equal(t, http.StatusOK, e.StatusCode)
		assert.Equal(t, "Event stream was closed by the producer", e.Message)
		assert.True(t, strings.HasPrefix(e.Description, "Event stream was closed by the producer. Original Cause :"), e.Description)
	})
}

// bareWriter is a ResponseWriter with nothing more: no Flush, no deadlines,
// no Unwrap, as the reference's mock writer.
type bareWriter struct {
	hdr  http.Header
	code int
	body strings.Builder
}

func (b *bareWriter) Header() http.Header { return b.hdr }
func (b *bareWriter) Write(p []byte) (int, error) {
	if b.code == 0 {
		b.code = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bareWriter) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}

// requireRecordedError checks an error answer written to a recorder.
func requireRecordedError(t *testing.T, code int, hdr http.Header, body string, wantCode int, message string) {
	t.Helper()
	require.Equal(t, wantCode, code, "body: %s", body)
	require.Equal(t, jsonContentType, hdr.Get("Content-Type"))
	var e errorJSON
	require.NoError(t, json.Unmarshal([]byte(body), &e), "body: %s", body)
	require.Equal(t, errorJSON{StatusCode: wantCode, Message: message, Description: message}, e)
}

// TestReferenceGetStreamNotFlusher: a writer that cannot flush gets 500
// "Writer does not implement http.Flusher", whatever else it lacks (the
// reference checks for a Flusher before anything else but tracking).
func TestReferenceGetStreamNotFlusher(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	for _, query := range []string{"", "?count=xyz"} {
		w := &bareWriter{hdr: http.Header{}}
		ts.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, StreamPath+query, nil))
		requireRecordedError(t, w.code, w.hdr, w.body.String(), http.StatusInternalServerError, "Writer does not implement http.Flusher")
	}
	total, _ := ts.h.limiter.counts("")
	assert.Zero(t, total)
	assert.Empty(t, ts.sys.GetEventStreams())
}

// TestReferenceGetStreamCount: no count, no history; count=2, the newest two
// events first; an illegal count is 400 with the parser's message.
func TestReferenceGetStreamCount(t *testing.T) {
	eachFeed(t, trackingConfig(), func(t *testing.T, ts *testServer) {
		for i := range 3 {
			ts.sys.AddEvent(&si.EventRecord{TimestampNano: int64(i)})
		}
		decode := func(line string) *si.EventRecord {
			var ev si.EventRecord
			require.NoError(t, json.Unmarshal([]byte(line), &ev), line)
			return &ev
		}

		_, lr := openStream(t, ts.srv.URL+StreamPath)
		lr.next()
		ts.sys.AddEvent(&si.EventRecord{TimestampNano: 42})
		assert.Equal(t, int64(42), decode(lr.next()).TimestampNano, "no count: no history before the live event")

		_, lr = openStream(t, ts.srv.URL+StreamPath+"?count=2")
		lr.next()
		assert.Equal(t, int64(2), decode(lr.next()).TimestampNano)
		assert.Equal(t, int64(42), decode(lr.next()).TimestampNano)

		resp, body := get(t, ts.srv.URL+StreamPath+"?count=xyz")
		requireError(t, resp, body, http.StatusBadRequest, `strconv.ParseUint: parsing "xyz": invalid syntax`)
	})
}

// TestReferenceGetStreamTrackingDisabled: 500 with the reference's message.
func TestReferenceGetStreamTrackingDisabled(t *testing.T) {
	requireTrackingDisabledError(t, StreamPath)
}

// TestReferenceGetStreamNoWriteDeadline: a writer that flushes but cannot
// take a write deadline gets 500 "Cannot set write deadline: feature not
// supported", and no stream is left open.
func TestReferenceGetStreamNoWriteDeadline(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	rec := httptest.NewRecorder()
	ts.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, StreamPath, nil))
	requireRecordedError(t, rec.Code, rec.Header(), rec.Body.String(), http.StatusInternalServerError,
		"Cannot set write deadline: feature not supported")
	total, _ := ts.h.limiter.counts("")
	assert.Zero(t, total)
	assert.Empty(t, ts.sys.GetEventStreams())
}

// deadlineRecorder is a recorder with deadlines that fail on request: the
// write deadline at its failWriteAt-th call (0: never), the read deadline
// always when failRead is set.
type deadlineRecorder struct {
	*httptest.ResponseRecorder
	failWriteAt int
	writeCalls  int
	failRead    bool
}

func (d *deadlineRecorder) SetWriteDeadline(time.Time) error {
	d.writeCalls++
	if d.writeCalls == d.failWriteAt {
		return errors.New("SetWriteDeadline failed")
	}
	return nil
}

func (d *deadlineRecorder) SetReadDeadline(time.Time) error {
	if d.failRead {
		return errors.New("SetReadDeadline failed")
	}
	return nil
}

// TestReferenceGetStreamSetWriteDeadlineFails: the write deadline fails after
// the stream opened. Deliberately different: the reference writes an error
// line (status_code 200) without a deadline; with a real connection that
// failure means the connection is gone, and a write without a deadline
// could block for good, so the stream ends without writing anything more.
// Either way the stream is over and its resources are released.
func TestReferenceGetStreamSetWriteDeadlineFails(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	rec := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder(), failWriteAt: 2}
	ts.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, StreamPath, nil))
	assert.Equal(t, 2, rec.writeCalls, "the stream ended at the failing deadline")
	assert.NotContains(t, rec.Body.String(), "status_code")
	total, _ := ts.h.limiter.counts("")
	assert.Zero(t, total)
	assert.Empty(t, ts.sys.GetEventStreams())
}

// TestReferenceGetStreamSetReadDeadlineFails: 500 "Cannot set read
// deadline: ..." with the writer's error.
func TestReferenceGetStreamSetReadDeadlineFails(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	rec := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder(), failRead: true}
	ts.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, StreamPath, nil))
	requireRecordedError(t, rec.Code, rec.Header(), rec.Body.String(), http.StatusInternalServerError,
		"Cannot set read deadline: SetReadDeadline failed")
	total, _ := ts.h.limiter.counts("")
	assert.Zero(t, total)
	assert.Empty(t, ts.sys.GetEventStreams())
}

// TestReferenceGetStreamLimit: with event.maxStreams 3, three streams are
// open and a fourth is refused with 503 "Too many streaming connections".
func TestReferenceGetStreamLimit(t *testing.T) {
	ts := newTestServer(t, trackingConfig(), WithConfigMap(map[string]string{ConfigKeyMaxStreams: "3"}))
	for range 3 {
		openAccepted(t, ts.srv.URL+StreamPath)
	}
	total, _ := ts.h.limiter.counts("")
	require.Equal(t, uint64(3), total)
	resp, body := openRefused(t, ts.srv.URL+StreamPath)
	requireError(t, resp, []byte(strings.Join(body, "\n")), http.StatusServiceUnavailable, "Too many streaming connections")

	// Deliberately different: the reference takes a limiter slot before it
	// reads count, so at the limit a bad count is 503; here a bad request
	// is 400 whatever the limits.
	resp, b := get(t, ts.srv.URL+StreamPath+"?count=xyz")
	requireError(t, resp, b, http.StatusBadRequest, `strconv.ParseUint: parsing "xyz": invalid syntax`)
}

// TestReferenceSetMaxRESTResponseSize: a configuration change sets the
// response size; a missing key, a value that does not parse, zero and a
// negative value all give the default.
func TestReferenceSetMaxRESTResponseSize(t *testing.T) {
	h := New(system.New(trackingConfig()), WithLogger(quietLogger))
	for value, want := range map[string]uint64{"1234": 1234, "": DefaultResponseSize, "xyz": DefaultResponseSize, "0": DefaultResponseSize, "-1": DefaultResponseSize} {
		m := map[string]string{}
		if value != "" {
			m[ConfigKeyRESTResponseSize] = value
		}
		h.Reconfigure(map[string]string{ConfigKeyRESTResponseSize: "7"})
		h.Reconfigure(m)
		assert.Equal(t, want, h.responseSize.Load(), "value %q", value)
	}
}

// TestReferenceStreamingLimiter: the limiter's counts as clients come and
// go (removing a client that has none changes nothing), both limits, and the
// limits read from a configuration change (defaults 100 and 15; a value
// that does not parse gives the default).
func TestReferenceStreamingLimiter(t *testing.T) {
	l := newStreamLimiter(DefaultMaxStreams, DefaultMaxStreamsPerClient)
	require.True(t, l.acquire("host-1"))
	require.True(t, l.acquire("host-1"))
	require.True(t, l.acquire("host-2"))
	check := func(total uint64, clients int) {
		t.Helper()
		l.mu.Lock()
		defer l.mu.Unlock()
		assert.Equal(t, total, l.total)
		assert.Len(t, l.perClient, clients)
	}
	check(3, 2)
	l.release("host-3")
	check(3, 2)
	l.release("host-1")
	check(2, 2)
	l.release("host-2")
	check(1, 1)
	l.release("host-1")
	check(0, 0)

	total := newStreamLimiter(2, DefaultMaxStreamsPerClient)
	assert.True(t, total.acquire("host-1"))
	assert.True(t, total.acquire("host-2"))
	assert.False(t, total.acquire("host-3"))
	perClient := newStreamLimiter(DefaultMaxStreams, 2)
	assert.True(t, perClient.acquire("host-1"))
	assert.True(t, perClient.acquire("host-1"))
	assert.False(t, perClient.acquire("host-1"))

	h := New(system.New(trackingConfig()), WithLogger(quietLogger))
	limits := func() (uint64, uint64) {
		h.limiter.mu.Lock()
		defer h.limiter.mu.Unlock()
		return h.limiter.maxTotal, h.limiter.maxClient
	}
	for _, tc := range []struct {
		m                map[string]string
		total, perClient uint64
	}{
		{map[string]string{}, 100, 15},
		{map[string]string{ConfigKeyMaxStreams: "123"}, 123, 15},
		{map[string]string{ConfigKeyMaxStreamsPerHost: "321"}, 100, 321},
		{map[string]string{ConfigKeyMaxStreams: "xxx", ConfigKeyMaxStreamsPerHost: "yyy"}, 100, 15},
	} {
		h.Reconfigure(tc.m)
		gotTotal, gotClient := limits()
		assert.Equal(t, tc.total, gotTotal, "%v", tc.m)
		assert.Equal(t, tc.perClient, gotClient, "%v", tc.m)
	}
}
