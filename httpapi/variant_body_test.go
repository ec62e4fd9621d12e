package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noRedirectClient shows a redirect instead of following it.
var noRedirectClient = &http.Client{
	Transport:     &http.Transport{DisableCompression: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// TestVariantOrUnknownPathWithBodyIsNotWaitedFor: a request for a variant of
// an endpoint's path or for an unknown path that announces a body (which it
// then sends slowly, or never) gets its 301 or 404 at once, and its
// connection is closed, without the server waiting for the body. Before,
// only the two endpoints refused the body: for every other path the server
// tried to drain it before writing the answer, so the client got nothing and
// held the connection and the handler's goroutine for as long as it liked.
// Routing comes first, as in the reference's router: a GET or HEAD for a
// variant is redirected whatever its body.
func TestVariantOrUnknownPathWithBodyIsNotWaitedFor(t *testing.T) {
	const announced = "Content-Length: 1000\r\n"
	const chunked = "Transfer-Encoding: chunked\r\n"
	cases := []struct {
		name, method, target, framing string
		code                          int
		location                      string // for 301
	}{
		{"get trailing slash", "GET", BatchPath + "/?count=2", announced, http.StatusMovedPermanently, BatchPath + "?count=2"},
		{"get unclean chunked", "GET", "/ws/v1/events//stream", chunked, http.StatusMovedPermanently, StreamPath},
		{"get other case", "GET", "/WS/V1/EVENTS/STREAM", announced, http.StatusMovedPermanently, StreamPath},
		{"head trailing slash", "HEAD", StreamPath + "/", announced, http.StatusMovedPermanently, StreamPath},
		{"post variant", "POST", BatchPath + "/", announced, http.StatusNotFound, ""},
		{"get unknown", "GET", "/ws/v1/events/other", announced, http.StatusNotFound, ""},
		{"options unknown chunked", "OPTIONS", "/nothing", chunked, http.StatusNotFound, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, trackingConfig())
			// The body is announced and never sent.
			conn, br := rawRequest(t, ts, fmt.Sprintf("%s %s HTTP/1.1\r\nHost: test\r\n%s\r\n",
				tc.method, tc.target, tc.framing))
			resp := readResponse(t, conn, br, tc.method)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err, "the whole answer arrives")
			resp.Body.Close()
			if tc.code == http.StatusNotFound {
				path, _, _ := strings.Cut(tc.target, "?")
				requireError(t, resp, body, http.StatusNotFound, "Not found: "+path)
			} else {
				assert.Equal(t, tc.code, resp.StatusCode)
				assert.Equal(t, tc.location, resp.Header.Get("Location"))
			}
			assert.True(t, resp.Close, "the connection is closed: the unread body must not be parsed as a request")
			// The server closes the connection (the read deadline set by
			// readResponse bounds the wait).
			n, err := br.Read(make([]byte, 1))
			assert.Zero(t, n)
			assert.ErrorIs(t, err, io.EOF, "the server closes the connection without waiting for the body")
			assert.Empty(t, ts.sys.GetEventStreams())
		})
	}
}

// TestVariantWithBodySentIsRedirected: a GET for a variant that sends its
// body at once is redirected like one without (the path is routed before the
// body is looked at), with Connection: close since the body is not read.
func TestVariantWithBodySentIsRedirected(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	req, err := http.NewRequest(http.MethodGet, ts.srv.URL+BatchPath+"/?start=1", strings.NewReader(`{"start":1}`))
	require.NoError(t, err)
	resp, err := noRedirectClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
	assert.Equal(t, BatchPath+"?start=1", resp.Header.Get("Location"))
	assert.True(t, resp.Close)
}

// TestHeadOnVariantIsRedirected: HEAD for a variant of an endpoint's path
// gets the 301 a GET gets, with the same headers and no body, as HEAD on the
// endpoint itself is served like GET; it was 404 before. Other methods on a
// variant stay 404.
func TestHeadOnVariantIsRedirected(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	for path, to := range map[string]string{
		BatchPath + "/?count=1":            BatchPath + "?count=1",
		StreamPath + "/":                   StreamPath,
		"/WS/V1/Events/Batch?start=2":      BatchPath + "?start=2",
		"/ws/v1/events/../events//stream/": StreamPath,
	} {
		getResp, err := noRedirectClient.Do(newRequest(t, http.MethodGet, ts.srv.URL+path))
		require.NoError(t, err)
		getResp.Body.Close()
		resp, err := noRedirectClient.Do(newRequest(t, http.MethodHead, ts.srv.URL+path))
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode, path)
		assert.Equal(t, to, resp.Header.Get("Location"), path)
		assert.Equal(t, getResp.Header.Get("Content-Type"), resp.Header.Get("Content-Type"), path)
		assert.Empty(t, body, path)
	}
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodOptions} {
		resp, err := noRedirectClient.Do(newRequest(t, method, ts.srv.URL+BatchPath+"/"))
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		requireError(t, resp, body, http.StatusNotFound, "Not found: "+BatchPath+"/")
	}
	resp, err := noRedirectClient.Do(newRequest(t, http.MethodHead, ts.srv.URL+"/ws/v1/events/other"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "HEAD on an unknown path")
	assert.Empty(t, ts.sys.GetEventStreams())
}
