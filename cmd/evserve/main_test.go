package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lfevents/lfevents/httpapi"
	"github.com/lfevents/lfevents/system"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startRun runs evserve with args and returns its base URL (read from the
// first line of output) and a channel with run's result.
func startRun(t *testing.T, ctx context.Context, args ...string) (string, <-chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	first, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	require.True(t, strings.HasPrefix(first, "listening on http://127.0.0.1:"), "first line: %q", first)
	return strings.TrimSpace(strings.TrimPrefix(first, "listening on ")), done
}

func getBody(t *testing.T, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestRunServesEverythingAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := startRun(t, ctx, "-addr", "127.0.0.1:0", "-load", "2000")

	// The viewer.
	resp, page := getBody(t, base+"/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, "new EventSource(")
	assert.NotContains(t, page, "http://", "the page fetches nothing from elsewhere")
	assert.NotContains(t, page, "https://")

	// The synthetic load shows in the batch endpoint: all kinds of events,
	// with states.
	var batch struct {
		HighestID    uint64
		EventRecords []map[string]any
	}
	require.Eventually(t, func() bool {
		_, body := getBody(t, base+httpapi.BatchPath+"?count=2000")
		require.NoError(t, json.Unmarshal([]byte(body), &batch))
		return len(batch.EventRecords) >= 1000
	}, 30*time.Second, 50*time.Millisecond)
	types := map[float64]bool{}
	states := 0
	for _, r := range batch.EventRecords {
		types[r["type"].(float64)] = true
		if r["state"] != nil {
			states++
		}
	}
	assert.Len(t, types, 4, "app, node, queue and request events")
	assert.Greater(t, states, len(batch.EventRecords)/2)

	// An NDJSON stream, open while the server shuts down, gets its closing
	// line.
	req, err := http.NewRequest(http.MethodGet, base+httpapi.StreamPath, nil)
	require.NoError(t, err)
	stream, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer stream.Body.Close()
	sc := bufio.NewScanner(stream.Body)
	require.True(t, sc.Scan())
	assert.Contains(t, sc.Text(), "InstanceUUID")
	require.True(t, sc.Scan())
	assert.Contains(t, sc.Text(), `"timestampNano"`)

	// Metrics.
	resp, metrics := getBody(t, base+"/metrics")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, metrics, "yunikorn_event_total_created ")
	assert.Contains(t, metrics, "go_goroutines ")

	// SIGTERM shuts it down gracefully.
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGTERM))
	var last string
	for sc.Scan() {
		last = sc.Text()
	}
	assert.JSONEq(t, `{"status_code":200,"message":"Event streaming is shutting down","description":"Event streaming is shutting down"}`, last)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("evserve did not stop")
	}
}

// TestMetricsMatchTheSystem scrapes /metrics over loopback and compares the
// reference's seven series with Metrics().
func TestMetricsMatchTheSystem(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	s := newServer(o, slog.New(slog.DiscardHandler))
	defer s.sys.Stop()
	defer s.api.Close()
	srv := httptest.NewServer(s.handler)
	defer srv.Close()
	sched := newScheduler(7)
	for range 1234 {
		s.sys.AddEvent(sched.next())
	}
	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	m := s.sys.Metrics()
	for name, want := range map[string]uint64{
		"created": m.Created, "channeled": m.Channeled, "not_channeled": m.NotChanneled,
		"processed": m.Processed, "stored": m.Stored, "not_stored": m.NotStored, "collected": m.Collected,
	} {
		f := families["yunikorn_event_total_"+name]
		require.NotNil(t, f, name)
		assert.Equal(t, float64(want), f.GetMetric()[0].GetGauge().GetValue(), name)
	}
	assert.Equal(t, uint64(1234), m.Created)
}

func TestFlags(t *testing.T) {
	_, err := parseFlags([]string{"-load", "-1"}, io.Discard)
	assert.Error(t, err)
	_, err = parseFlags([]string{"extra"}, io.Discard)
	assert.Error(t, err)
	err = run(context.Background(), []string{"-addr", "256.0.0.1:0"}, io.Discard, io.Discard)
	assert.Error(t, err, "a bad address fails before anything runs")
}

// TestRequestCapacityFollowsLoad: with no -request-capacity the store holds
// twice what -load adds per push (at least the library's default), so the
// README's demo command does not warn of events not stored; an explicit
// value is used as given.
func TestRequestCapacityFollowsLoad(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want uint64
	}{
		{nil, system.DefaultRequestCapacity},
		{[]string{"-load", "100"}, system.DefaultRequestCapacity},
		{[]string{"-load", "2000"}, 2 * 2000 * uint64(system.DefaultPushInterval/time.Second)},
		{[]string{"-load", "1e12"}, system.MaxRequestCapacity},
		{[]string{"-load", "2000", "-request-capacity", "10"}, 10},
	} {
		o, err := parseFlags(tc.args, io.Discard)
		require.NoError(t, err)
		s := newServer(o, slog.New(slog.DiscardHandler))
		assert.Equal(t, tc.want, s.sys.GetRequestCapacity(), "%v", tc.args)
		s.api.Close()
		s.sys.Stop()
	}
}
