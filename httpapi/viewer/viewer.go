// Package viewer serves a live event viewer: one self-contained HTML page
// (no build step, nothing fetched from elsewhere) that follows the SSE
// stream of package httpapi with the browser's EventSource, so a dropped
// connection resumes by event ID. It shows the newest events (ID, time,
// type, object, change, message, state), server-side filters, pause,
// connection state and events per second.
//
// The page expects the stream at httpapi.StreamPath on the same origin.
package viewer

import (
	_ "embed"
	"net/http"
	"strconv"
)

//go:embed index.html
var page []byte

// Handler serves the page at "/" (and "/index.html"); other paths get 404.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" && r.URL.Path != "/index.html" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(page)))
		h.Set("Cache-Control", "no-cache")
		// The page talks only to its own origin and runs only its own inline
		// code.
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:")
		h.Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(page)
	})
}
