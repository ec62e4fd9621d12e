package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/chromedp/chromedp"

	"github.com/lfevents/lfevents/httpapi"
	"github.com/lfevents/lfevents/httpapi/viewer"
	"github.com/lfevents/lfevents/system"
)

// newBrowser starts headless Chromium and returns a context for it, closed
// in t.Cleanup.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	browser := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

// instance is one event system with its handler: one run of a server.
type instance struct {
	sys *system.EventSystemImpl
	api *httpapi.Handler
}

func newInstance(t *testing.T, opts ...httpapi.Option) *instance {
	t.Helper()
	sys := system.New(system.DefaultConfig())
	sys.StartServiceWithPublisher(false)
	api := httpapi.New(sys, append([]httpapi.Option{httpapi.WithRetry(200 * time.Millisecond)}, opts...)...)
	t.Cleanup(func() {
		api.Close()
		sys.Stop()
	})
	return &instance{sys: sys, api: api}
}

// add adds n events, numbered from first in their messages, and returns the
// last one's ID.
func (in *instance) add(first, n int) uint64 {
	for i := first; i < first+n; i++ {
		in.sys.AddEvent(record(i))
	}
	return in.sys.GetLastEventID()
}

// switchServer serves the viewer and, at the API paths, whichever instance
// is current: a server restarted behind the same address.
type switchServer struct {
	current atomic.Pointer[instance]
	srv     *httptest.Server
}

func newSwitchServer(t *testing.T, in *instance) *switchServer {
	s := &switchServer{}
	s.current.Store(in)
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.current.Load().api.ServeHTTP(w, r) })
	mux := http.NewServeMux()
	mux.Handle(httpapi.StreamPath, api)
	mux.Handle(httpapi.BatchPath, api)
	mux.Handle("/", viewer.Handler())
	s.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		// The instances' cleanups (registered earlier, run later) would
		// come too late: their streams hold the server's Close.
		s.current.Load().api.Close()
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
	return s
}

// open loads the viewer and waits until it is live.
func open(ctx context.Context, t *testing.T, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	waitFor(ctx, t, "live", `window.lfviewer.state === "live"`)
}

// rows returns the IDs of the table's event rows, newest first.
func rows(ctx context.Context, t *testing.T) []int64 {
	t.Helper()
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]int64](rowIDs))
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestViewerRecoversWhenRefused: EventSource gives up for good when a
// reconnect is answered with anything but 200 (here 503, the stream limit;
// the same for 500 with tracking off or 503 while the server shuts down).
// The page retries by itself, with a growing delay, and continues right
// after the last ID it showed, including the events added while it was
// refused. Before, it stayed "closed" until reloaded.
func TestViewerRecoversWhenRefused(t *testing.T) {
	ctx := newBrowser(t)
	in := newInstance(t)
	s := newSwitchServer(t, in)
	last := in.add(0, 50)
	open(ctx, t, s.srv.URL)
	waitFor(ctx, t, "caught up", fmt.Sprintf(`window.lfviewer.lastID === %d`, last))

	in.api.Reconfigure(map[string]string{httpapi.ConfigKeyMaxStreams: "0"}) // every stream refused
	in.sys.CloseAllStreams()
	waitFor(ctx, t, "refused", `window.lfviewer.state === "closed" || window.lfviewer.state === "retrying"`)
	in.add(50, 20)
	in.api.Reconfigure(nil) // the defaults again
	waitFor(ctx, t, "recovered", fmt.Sprintf(`window.lfviewer.state === "live" && window.lfviewer.lastID === %d`, last+20))
	ids := rows(ctx, t)
	requireConsecutive(t, ids)
	if ids[0] != int64(last+20) || len(ids) != 70 {
		t.Fatalf("rows %d..%d (%d), want %d..0", ids[0], ids[len(ids)-1], len(ids), last+20)
	}
}

// TestViewerNewInstanceStartsOver: the server restarts (a new instance, IDs
// from 0 again) and has already passed the last ID the page saw when the
// page reconnects. The resume point means nothing there, so the page starts
// over with the newest History events of the new instance. Before, it
// cleared its rows but kept the stream that resumed after the old ID, and
// showed only the new instance's events after it.
func TestViewerNewInstanceStartsOver(t *testing.T) {
	ctx := newBrowser(t)
	a := newInstance(t)
	s := newSwitchServer(t, a)
	lastA := a.add(0, 10)
	open(ctx, t, s.srv.URL)
	waitFor(ctx, t, "caught up", fmt.Sprintf(`window.lfviewer.lastID === %d`, lastA))
	instanceA, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.lfviewer.instance`))
	if err != nil {
		t.Fatal(err)
	}

	b := newInstance(t)
	lastB := b.add(1000, 100) // IDs 0..99
	s.current.Store(b)
	a.api.Close() // a's streams end (cut: shutdown); the page reconnects to b
	waitFor(ctx, t, "new instance", fmt.Sprintf(`window.lfviewer.instance === %q && window.lfviewer.lastID === %d`,
		b.api.InstanceUUID(), lastB))
	if instanceA != a.api.InstanceUUID() {
		t.Fatalf("first instance %q, want %q", instanceA, a.api.InstanceUUID())
	}
	waitFor(ctx, t, "rendered", fmt.Sprintf(`%s[0] === %d`, rowIDs, lastB))
	ids := rows(ctx, t)
	requireConsecutive(t, ids)
	if len(ids) != 100 || ids[len(ids)-1] != 0 {
		t.Fatalf("rows %d..%d (%d), want all of the new instance's 100 events (History is 200)", ids[0], ids[len(ids)-1], len(ids))
	}
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#rows tr[data-id="0"] td.message').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if want := record(1000).Message; msg != want {
		t.Fatalf("row 0 shows %q, want the new instance's %q", msg, want)
	}
}

// TestViewerPauseResume: nothing is shown while paused; Resume continues
// right after the last ID shown, with every event added meanwhile, none
// twice.
func TestViewerPauseResume(t *testing.T) {
	ctx := newBrowser(t)
	in := newInstance(t)
	s := newSwitchServer(t, in)
	last := in.add(0, 30)
	open(ctx, t, s.srv.URL)
	waitFor(ctx, t, "caught up", fmt.Sprintf(`window.lfviewer.lastID === %d`, last))

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#pause`))); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "paused", `window.lfviewer.state === "paused"`)
	in.add(30, 25)
	if err := chromedp.Do(ctx, chromedp.Sleep(500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if ids := rows(ctx, t); ids[0] != int64(last) {
		t.Fatalf("rows changed while paused: top %d, want %d", ids[0], last)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#pause`))); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "resumed", fmt.Sprintf(`window.lfviewer.state === "live" && %s[0] === %d`, rowIDs, last+25))
	in.add(55, 5)
	waitFor(ctx, t, "live again", fmt.Sprintf(`%s[0] === %d`, rowIDs, last+30))
	ids := rows(ctx, t)
	requireConsecutive(t, ids)
	if len(ids) != 60 {
		t.Fatalf("%d rows, want 60", len(ids))
	}
}

// TestViewerBurst: a burst of events far larger than the table: the page
// takes every event (or says where it could not), ends on the newest, and
// keeps at most 500 rows, in ID order without gaps.
func TestViewerBurst(t *testing.T) {
	ctx := newBrowser(t)
	in := newInstance(t)
	s := newSwitchServer(t, in)
	open(ctx, t, s.srv.URL)
	const n = 50000
	batch := make([]*si.EventRecord, 0, 1000)
	for i := 0; i < n; i += cap(batch) {
		batch = batch[:0]
		for j := range cap(batch) {
			batch = append(batch, record(i+j))
		}
		in.sys.AddEvents(batch)
	}
	last := in.sys.GetLastEventID()
	waitFor(ctx, t, "caught up", fmt.Sprintf(`window.lfviewer.lastID === %d && %s[0] === %d`, last, rowIDs, last))
	type state struct {
		Received int `json:"received"`
		Gaps     int `json:"gaps"`
		Rows     int `json:"rows"`
		AllRows  int `json:"allRows"`
	}
	st, err := chromedp.Run(ctx, chromedp.Evaluate[state](`({
		received: window.lfviewer.received,
		gaps: window.lfviewer.gaps.length,
		rows: document.querySelectorAll('#rows tr[data-id]').length,
		allRows: document.querySelectorAll('#rows tr').length,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("received %d of %d events, %d gaps, %d rows", st.Received, n, st.Gaps, st.AllRows)
	if st.AllRows > 500 || st.Rows != 500 {
		t.Fatalf("%d rows (%d events), want 500", st.AllRows, st.Rows)
	}
	if st.Gaps == 0 && st.Received != n {
		t.Fatalf("received %d events without a gap, want %d", st.Received, n)
	}
	requireConsecutive(t, rows(ctx, t))
}
