package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/httpapi"
)

// dialRaw opens a loopback connection to the server at base (http://host:port)
// and writes raw on it.
func dialRaw(t *testing.T, base, raw string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = conn.Write([]byte(raw))
	require.NoError(t, err)
	return conn
}

// requireDropped waits until the server ends conn (whatever it sent
// before), failing after 20 s.
func requireDropped(t *testing.T, conn net.Conn, what string) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
	_, err := io.Copy(io.Discard, conn) // nil at EOF; a reset is fine too
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "%s: the server still holds the connection", what)
}

// TestSlowClientsAreDropped: evserve bounds how long a client may take to
// send its request, headers and body (-read-timeout), on every path: a
// client that trickles its headers, or announces a body and never sends it,
// is dropped, and then shutdown does not have to wait for it. Before,
// evserve had no read timeout: a request to /metrics or / that announced a
// body held its handler for ever, and a shutdown waited the whole -grace
// for it and then failed.
func TestSlowClientsAreDropped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := startRun(t, ctx, "-addr", "127.0.0.1:0", "-read-timeout", "300ms", "-grace", "30s")

	headers := dialRaw(t, base, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	metrics := dialRaw(t, base, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
	page := dialRaw(t, base, "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
	requireDropped(t, headers, "trickled headers")
	requireDropped(t, metrics, "/metrics with a body never sent")
	requireDropped(t, page, "/ with a body half sent")

	// An SSE stream lives longer than the read timeout, and gets its cut
	// block at shutdown.
	req, err := http.NewRequest(http.MethodGet, base+httpapi.StreamPath, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	time.Sleep(600 * time.Millisecond) // past the read timeout
	cancel()
	var last string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			last = l
		}
	}
	assert.Equal(t, `data: {"reason":"shutdown"}`, last)
	select {
	case err := <-done:
		require.NoError(t, err, "shutdown waited for nobody")
	case <-time.After(25 * time.Second):
		t.Fatal("evserve did not stop")
	}
}

// TestShutdownWithClientsThatDoNotRead: SIGTERM (here: the context) while a
// stream and a large batch are written to clients that stopped reading.
// Shutdown is bounded by -grace: what is still open then is closed, and
// evserve returns without an error, with no handler left running (goleak).
// Before, a batch client that did not read made Shutdown fail after -grace
// (run returned "context deadline exceeded", and its handler went on after
// run returned), and Close waited for the stalled stream's writes before
// the grace period even started.
func TestShutdownWithClientsThatDoNotRead(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := startRun(t, ctx, "-addr", "127.0.0.1:0", "-load", "20000", "-grace", "300ms", "-response-size", "100000")
	require.Eventually(t, func() bool {
		_, body := getBody(t, base+httpapi.BatchPath+"?count=1")
		var b struct{ HighestID uint64 }
		return json.Unmarshal([]byte(body), &b) == nil && b.HighestID >= 50000
	}, 30*time.Second, 50*time.Millisecond)

	stalled := func(raw string) net.Conn {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		require.NoError(t, conn.(*net.TCPConn).SetReadBuffer(4096))
		_, err = io.WriteString(conn, raw)
		require.NoError(t, err)
		return conn
	}
	stream := stalled("GET " + httpapi.StreamPath + "?count=10000 HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
	batch := stalled("GET " + httpapi.BatchPath + "?count=50000 HTTP/1.1\r\nHost: x\r\n\r\n")
	// Both handlers are writing (their first bytes arrive), then stall (the
	// batch is about 12 MB, more than the socket buffers hold).
	for _, conn := range []net.Conn{stream, batch} {
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
		_, err := conn.Read(make([]byte, 1))
		require.NoError(t, err)
	}
	time.Sleep(200 * time.Millisecond) // let the writes fill the buffers

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(60 * time.Second):
		t.Fatal("evserve did not stop")
	}
}
