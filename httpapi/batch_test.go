package httpapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// batchJSON is the batch object; records stay raw to be compared byte by
// byte.
type batchJSON struct {
	InstanceUUID string
	LowestID     uint64
	HighestID    uint64
	EventRecords []json.RawMessage
}

func decodeBatch(t *testing.T, body []byte) batchJSON {
	t.Helper()
	var keys map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &keys), "body: %.300s", body)
	require.Len(t, keys, 4, "exactly the reference's four fields")
	for _, k := range []string{"InstanceUUID", "LowestID", "HighestID", "EventRecords"} {
		require.Contains(t, keys, k)
	}
	var b batchJSON
	require.NoError(t, json.Unmarshal(body, &b))
	return b
}

func TestBatchFormat(t *testing.T) {
	ts := newTestServer(t, trackingConfig(), WithInstanceUUID("test-uuid"))
	addEvents(ts, 0, 30)
	resp, body := get(t, ts.srv.URL+BatchPath+"?start=5&count=10")
	requireJSON(t, resp, http.StatusOK)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "no CORS by default")
	assert.True(t, bytes.HasSuffix(body, []byte("}\n")), "one JSON value and a newline, as json.Encoder writes")

	b := decodeBatch(t, body)
	assert.Equal(t, "test-uuid", b.InstanceUUID)
	assert.Equal(t, uint64(0), b.LowestID)
	assert.Equal(t, uint64(29), b.HighestID)
	require.Len(t, b.EventRecords, 10)
	records, _, _ := ts.sys.GetEventsFromID(5, 10)
	for i, raw := range b.EventRecords {
		assert.Equal(t, referenceJSON(t, records[i]), string(raw), "record %d", 5+i)
	}
	// ID 5 is a node record without a state; ID 6 a queue record with one.
	assert.NotContains(t, string(b.EventRecords[0]), `"state"`)
	assert.Contains(t, string(b.EventRecords[1]), `"state":"Active"`)
}

func TestBatchDefaultsAndEmptyHistory(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	resp, body := get(t, ts.srv.URL+BatchPath)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b := decodeBatch(t, body)
	assert.Len(t, b.InstanceUUID, 36, "a UUID by default")
	assert.Equal(t, ts.h.InstanceUUID(), b.InstanceUUID)
	assert.Nil(t, b.EventRecords)
	assert.Contains(t, string(body), `"EventRecords":null`, "no records is null, as encoding/json writes a nil slice")

	addEvents(ts, 0, 3)
	// Asking before the lowest ID held gives no records, and the range held.
	_, body = get(t, ts.srv.URL+BatchPath+"?start=7")
	b = decodeBatch(t, body)
	assert.Empty(t, b.EventRecords)
	assert.Equal(t, uint64(2), b.HighestID)
	// No count: everything from start, up to the response size.
	_, body = get(t, ts.srv.URL+BatchPath+"?start=1&count=")
	b = decodeBatch(t, body)
	assert.Len(t, b.EventRecords, 2)
}

func TestBatchCountIsCappedByResponseSize(t *testing.T) {
	cases := []struct {
		name string
		opts []Option
		cap  int
	}{
		{"default", nil, 10000},
		{"option", []Option{WithResponseSize(5)}, 5},
		{"config map", []Option{WithConfigMap(map[string]string{ConfigKeyRESTResponseSize: "7"})}, 7},
		{"config map zero means default", []Option{WithConfigMap(map[string]string{ConfigKeyRESTResponseSize: "0"})}, 10000},
		{"config map unparsable keeps", []Option{WithResponseSize(9), WithConfigMap(map[string]string{ConfigKeyRESTResponseSize: "x"})}, 9},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := trackingConfig()
			cfg.RingBufferCapacity = 20000
			ts := newTestServer(t, cfg, tc.opts...)
			addEvents(ts, 0, 10050)
			for _, q := range []string{"", "?count=100000", fmt.Sprintf("?count=%d", tc.cap+1)} {
				_, body := get(t, ts.srv.URL+BatchPath+q)
				assert.Len(t, decodeBatch(t, body).EventRecords, tc.cap, "query %q", q)
			}
			_, body := get(t, ts.srv.URL+BatchPath+"?count=3&start=10")
			b := decodeBatch(t, body)
			require.Len(t, b.EventRecords, 3)
		})
	}
}

func TestBatchReconfigure(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	addEvents(ts, 0, 20)
	ts.h.Reconfigure(map[string]string{ConfigKeyRESTResponseSize: "4"})
	_, body := get(t, ts.srv.URL+BatchPath)
	assert.Len(t, decodeBatch(t, body).EventRecords, 4)
	ts.h.Reconfigure(nil)
	_, body = get(t, ts.srv.URL+BatchPath)
	assert.Len(t, decodeBatch(t, body).EventRecords, 20)
}

func TestBatchErrors(t *testing.T) {
	cases := []struct {
		query   string
		code    int
		message string
	}{
		{"?count=0", http.StatusBadRequest, `0 is not a valid value for "count"`},
		{"?count=-1", http.StatusBadRequest, `strconv.ParseUint: parsing "-1": invalid syntax`},
		{"?count=ten", http.StatusBadRequest, `strconv.ParseUint: parsing "ten": invalid syntax`},
		{"?count=1.5", http.StatusBadRequest, `strconv.ParseUint: parsing "1.5": invalid syntax`},
		{"?count=99999999999999999999", http.StatusBadRequest, `strconv.ParseUint: parsing "99999999999999999999": value out of range`},
		{"?start=-5", http.StatusBadRequest, `strconv.ParseUint: parsing "-5": invalid syntax`},
		{"?start=x&count=3", http.StatusBadRequest, `strconv.ParseUint: parsing "x": invalid syntax`},
	}
	ts := newTestServer(t, trackingConfig())
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			resp, body := get(t, ts.srv.URL+BatchPath+tc.query)
			requireError(t, resp, body, tc.code, tc.message)
		})
	}
}

func TestTrackingDisabled(t *testing.T) {
	cfg := trackingConfig()
	cfg.TrackingEnabled = false
	ts := newTestServer(t, cfg)
	for _, path := range []string{BatchPath, StreamPath} {
		resp, body := get(t, ts.srv.URL+path)
		requireError(t, resp, body, http.StatusInternalServerError, "Event tracking is disabled")
		resp, body = get(t, ts.srv.URL+path, "Accept", "text/event-stream")
		requireError(t, resp, body, http.StatusInternalServerError, "Event tracking is disabled")
	}
}

func TestRoutingErrors(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	resp, body := get(t, ts.srv.URL+"/ws/v1/events")
	requireError(t, resp, body, http.StatusNotFound, "Not found: /ws/v1/events")

	req, err := http.NewRequest(http.MethodPost, ts.srv.URL+BatchPath, strings.NewReader("{}"))
	require.NoError(t, err)
	r, err := noGzipClient.Do(req)
	require.NoError(t, err)
	body, err = io.ReadAll(r.Body)
	require.NoError(t, err)
	r.Body.Close()
	requireError(t, r, body, http.StatusMethodNotAllowed, "Method not allowed: POST")
	assert.Equal(t, "GET, HEAD, OPTIONS", r.Header.Get("Allow"))
}

func TestBatchGzip(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	addEvents(ts, 0, 200)
	_, plain := get(t, ts.srv.URL+BatchPath)
	require.Greater(t, len(plain), minCompressSize)

	for _, ae := range []string{"gzip", "deflate, gzip;q=0.5", "GZIP", "br, gzip"} {
		resp, body := get(t, ts.srv.URL+BatchPath, "Accept-Encoding", ae)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "gzip", resp.Header.Get("Content-Encoding"), ae)
		assert.Contains(t, resp.Header.Values("Vary"), "Accept-Encoding")
		zr, err := gzip.NewReader(bytes.NewReader(body))
		require.NoError(t, err)
		unzipped, err := io.ReadAll(zr)
		require.NoError(t, err)
		assert.Equal(t, string(plain), string(unzipped))
		assert.Less(t, len(body), len(plain)/3, "event JSON compresses well")
	}
	for _, ae := range []string{"", "gzip;q=0", "gzip; q=0.000", "deflate", "identity"} {
		resp, body := get(t, ts.srv.URL+BatchPath, "Accept-Encoding", ae)
		assert.Empty(t, resp.Header.Get("Content-Encoding"), ae)
		assert.Equal(t, string(plain), string(body))
	}
	// Small responses are not worth compressing.
	resp, body := get(t, ts.srv.URL+BatchPath+"?count=1", "Accept-Encoding", "gzip")
	assert.Empty(t, resp.Header.Get("Content-Encoding"))
	assert.Len(t, decodeBatch(t, body).EventRecords, 1)
	// Errors are small too.
	resp, _ = get(t, ts.srv.URL+BatchPath+"?count=0", "Accept-Encoding", "gzip")
	assert.Empty(t, resp.Header.Get("Content-Encoding"))
}

func TestBatchCompressionOff(t *testing.T) {
	ts := newTestServer(t, trackingConfig(), WithCompression(false))
	addEvents(ts, 0, 200)
	resp, body := get(t, ts.srv.URL+BatchPath, "Accept-Encoding", "gzip")
	assert.Empty(t, resp.Header.Get("Content-Encoding"))
	assert.Len(t, decodeBatch(t, body).EventRecords, 200)
}

func TestCORS(t *testing.T) {
	cases := []struct {
		name     string
		opts     []Option
		origin   string
		want     string
		withCred bool
	}{
		{"default: none, unlike the reference's *", nil, "https://evil.example", "", false},
		{"allowed origin is echoed", []Option{WithAllowedOrigins("https://ui.example")}, "https://ui.example", "https://ui.example", true},
		{"other origin gets nothing", []Option{WithAllowedOrigins("https://ui.example")}, "https://evil.example", "", false},
		{"wildcard only when asked, without credentials", []Option{WithAllowedOrigins("*")}, "https://any.example", "*", false},
		{"no origin header", []Option{WithAllowedOrigins("https://ui.example")}, "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, trackingConfig(), tc.opts...)
			var hdr []string
			if tc.origin != "" {
				hdr = []string{"Origin", tc.origin}
			}
			resp, _ := get(t, ts.srv.URL+BatchPath, hdr...)
			assert.Equal(t, tc.want, resp.Header.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, tc.withCred, resp.Header.Get("Access-Control-Allow-Credentials") == "true")
			if tc.want != "" {
				assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Last-Event-ID")
			}

			req, err := http.NewRequest(http.MethodOptions, ts.srv.URL+StreamPath, nil)
			require.NoError(t, err)
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			req.Header.Set("Access-Control-Request-Method", "GET")
			pre, err := noGzipClient.Do(req)
			require.NoError(t, err)
			pre.Body.Close()
			assert.Equal(t, http.StatusNoContent, pre.StatusCode)
			assert.Equal(t, tc.want, pre.Header.Get("Access-Control-Allow-Origin"))
		})
	}
}

func TestBatchAfterStopStillServesHistory(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	addEvents(ts, 0, 5)
	ts.sys.Stop()
	_, body := get(t, ts.srv.URL+BatchPath)
	assert.Len(t, decodeBatch(t, body).EventRecords, 5)
}

// TestBatchInParts: a response encoded in many parts is byte for byte the
// reference's object (encoding/json of the same fields, and a newline), with
// and without gzip; HEAD gets the headers a GET gets and no body, whatever
// the size.
func TestBatchInParts(t *testing.T) {
	ts := newTestServer(t, trackingConfig(), WithInstanceUUID("parts"))
	addEvents(ts, 0, 3000)
	records, lowest, highest := ts.sys.GetEventsFromID(0, 3000)
	want, err := json.Marshal(struct {
		InstanceUUID        string
		LowestID, HighestID uint64
		EventRecords        []json.RawMessage
	}{"parts", lowest, highest, func() (raw []json.RawMessage) {
		for _, ev := range records {
			raw = append(raw, json.RawMessage(referenceJSON(t, ev)))
		}
		return raw
	}()})
	require.NoError(t, err)
	want = append(want, '\n')
	require.Greater(t, len(want), 10*maxWriteBatch)

	resp, body := get(t, ts.srv.URL+BatchPath+"?count=3000")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, string(want), string(body))
	resp, body = get(t, ts.srv.URL+BatchPath+"?count=3000", "Accept-Encoding", "gzip")
	require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
	zr, err := gzip.NewReader(bytes.NewReader(body))
	require.NoError(t, err)
	unzipped, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(unzipped))

	for _, q := range []string{"?count=3000", "?count=1", "?start=99999"} {
		for _, ae := range []string{"", "gzip"} {
			getResp, getBody := get(t, ts.srv.URL+BatchPath+q, "Accept-Encoding", ae)
			head, err := noGzipClient.Do(newRequest(t, http.MethodHead, ts.srv.URL+BatchPath+q, "Accept-Encoding", ae))
			require.NoError(t, err)
			headBody, err := io.ReadAll(head.Body)
			require.NoError(t, err)
			head.Body.Close()
			assert.Equal(t, http.StatusOK, head.StatusCode)
			assert.Empty(t, headBody)
			for _, h := range []string{"Content-Type", "Content-Encoding", "Vary"} {
				assert.Equal(t, getResp.Header.Values(h), head.Header.Values(h), "%s %q %s", q, ae, h)
			}
			if getResp.ContentLength >= 0 {
				assert.Equal(t, int64(len(getBody)), getResp.ContentLength)
				assert.Equal(t, getResp.ContentLength, head.ContentLength, "%s %q", q, ae)
			}
		}
	}
}

// TestReconfigureUnparsableLogsWhatIsUsed: on Reconfigure, as in the
// reference, a value that does not parse returns the key to its default;
// the warning names the value in use. Before, it said the current value was
// kept, and named the default as the current one: an operator reading it
// believed the size set before (here 500) was still in force.
func TestReconfigureUnparsableLogsWhatIsUsed(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logged, nil))
	ts := newTestServer(t, trackingConfig(), WithResponseSize(500), WithLogger(log))
	addEvents(ts, 0, 600)
	ts.h.Reconfigure(map[string]string{ConfigKeyRESTResponseSize: "lots"})
	_, body := get(t, ts.srv.URL+BatchPath)
	assert.Len(t, decodeBatch(t, body).EventRecords, 600, "the default (10000), as in the reference")

	var warning map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logged.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		if rec["level"] == "WARN" {
			warning = rec
		}
	}
	require.NotNil(t, warning, "log: %s", logged.String())
	assert.Equal(t, ConfigKeyRESTResponseSize, warning["key"])
	assert.Equal(t, float64(DefaultResponseSize), warning["using"], "the warning names the value in use: %v", warning)
	assert.NotContains(t, warning["msg"], "keeping")
}
