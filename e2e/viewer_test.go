// Package e2e drives the live viewer (package httpapi/viewer) in headless
// Chromium with chromedp. It is a module of its own so that importers of
// lfevents never see chromedp or its Go version requirement.
//
// The test needs the Debian package chromium (/usr/bin/chromium, or the
// binary named by $CHROMIUM). Without it the test is skipped, except under
// CI (CI set), where it fails: CI must run it.
package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/chromedp/chromedp"

	"github.com/lfevents/lfevents/httpapi"
	"github.com/lfevents/lfevents/httpapi/viewer"
	"github.com/lfevents/lfevents/system"
)

// chromium returns the browser to run, skipping (or, under CI, failing) the
// test when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium not found at %s (CI must run the browser test; install the Debian package chromium)", path)
		}
		t.Skipf("chromium not found at %s: install it (apt-get install -y chromium) to run the browser test", path)
	}
	return path
}

// server is an event system served with the viewer, as cmd/evserve serves
// it, with a producer the test can pause.
type server struct {
	sys *system.EventSystemImpl
	api *httpapi.Handler
	srv *httptest.Server

	mu      sync.Mutex
	paused  bool
	next    int
	stop    chan struct{}
	stopped chan struct{}
}

func startServer(t *testing.T) *server {
	cfg := system.DefaultConfig()
	sys := system.New(cfg)
	sys.StartServiceWithPublisher(false)
	api := httpapi.New(sys, httpapi.WithRetry(300*time.Millisecond))
	mux := http.NewServeMux()
	mux.Handle(httpapi.StreamPath, api)
	mux.Handle(httpapi.BatchPath, api)
	mux.Handle("/", viewer.Handler())
	s := &server{sys: sys, api: api, srv: httptest.NewServer(mux), stop: make(chan struct{}), stopped: make(chan struct{})}
	go s.produce()
	t.Cleanup(func() {
		close(s.stop)
		<-s.stopped
		api.Close()
		s.srv.Close()
		sys.Stop()
	})
	return s
}

// record returns the i-th synthetic event: the types and change types
// rotate, so filters have something to select.
func record(i int) *si.EventRecord {
	switch i % 4 {
	case 0:
		return system.CreateAppEventRecord(fmt.Sprintf("app-%d", i%7), fmt.Sprintf("application event %d", i), "",
			si.EventRecord_SET, si.EventRecord_APP_RUNNING, nil, "Running")
	case 1:
		return system.CreateNodeEventRecord(fmt.Sprintf("node-%d", i%5), fmt.Sprintf("node event %d", i), "",
			si.EventRecord_ADD, si.EventRecord_NODE_ALLOC, nil, "Schedulable")
	case 2:
		return system.CreateQueueEventRecord("root.default", fmt.Sprintf("queue event %d", i), "",
			si.EventRecord_SET, si.EventRecord_QUEUE_MAX, nil, "Active")
	default:
		return system.CreateRequestEventRecord(fmt.Sprintf("ask-%d", i), "app-1", fmt.Sprintf("request event %d", i), nil, "Pending")
	}
}

// produce adds about 400 events a second until stopped.
func (s *server) produce() {
	defer close(s.stopped)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		s.mu.Lock()
		if !s.paused {
			for range 4 {
				s.sys.AddEvent(record(s.next))
				s.next++
			}
		}
		s.mu.Unlock()
	}
}

func (s *server) setPaused(p bool) {
	s.mu.Lock()
	s.paused = p
	s.mu.Unlock()
}

// add adds n events now (the producer must be paused).
func (s *server) add(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.sys.AddEvent(record(s.next))
		s.next++
	}
}

// addRecord adds ev now and returns its ID (the producer must be paused).
func (s *server) addRecord(ev *si.EventRecord) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sys.AddEvent(ev)
	return s.sys.GetLastEventID()
}

// rowIDs returns the IDs of the table's event rows, top (newest) first.
const rowIDs = `Array.from(document.querySelectorAll('#rows tr[data-id]')).map(r => Number(r.dataset.id))`

// waitFor polls a JavaScript condition until it is true.
func waitFor(ctx context.Context, t *testing.T, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s (%s)", what, cond)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// requireConsecutive checks that ids (newest first) count down by one.
func requireConsecutive(t *testing.T, ids []int64) {
	t.Helper()
	if len(ids) == 0 {
		t.Fatal("no rows")
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]-1 {
			t.Fatalf("rows not in ID order without gaps at row %d: %d after %d (%v...)", i, ids[i], ids[i-1], ids[:min(len(ids), 12)])
		}
	}
}

func TestViewerInChromium(t *testing.T) {
	ctx := newBrowser(t)
	s := startServer(t)

	if err := chromedp.Do(ctx, chromedp.Navigate(s.srv.URL+"/")); err != nil {
		t.Fatalf("navigate: %v", err)
	}

	// 1. The page fills with rows in ID order, without gaps, each showing
	// its event.
	waitFor(ctx, t, "rows appear", rowIDs+`.length >= 150 && window.lfviewer.state === "live"`)
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]int64](rowIDs))
	if err != nil {
		t.Fatal(err)
	}
	requireConsecutive(t, ids)
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(
		`Array.from(document.querySelector('#rows tr[data-id="%d"]').cells).map(c => c.textContent)`, ids[5])))
	if err != nil {
		t.Fatal(err)
	}
	recs, _, _ := s.sys.GetEventsFromID(uint64(ids[5]), 1)
	if len(recs) != 1 {
		t.Fatalf("event %d not in history", ids[5])
	}
	ev := recs[0]
	if cells[0] != fmt.Sprint(ids[5]) || cells[3] != ev.ObjectID || cells[5] != ev.Message || cells[6] != system.EventState(ev) {
		t.Fatalf("row %d shows %q, want ID, object %q, message %q, state %q", ids[5], cells, ev.ObjectID, ev.Message, system.EventState(ev))
	}

	// 2. Event text is attacker-controlled: markup in a message, an object
	// ID or a state is shown as text and never runs. (The page's policy
	// allows inline script, so inline event handlers would run if the text
	// were parsed as HTML.)
	s.setPaused(true)
	hostile := []string{
		`<img src=x onerror="window.__xss='message'">`,
		`<svg onload="window.__xss='object'"></svg>`,
		`"><img src=x onerror="window.__xss='state'"><script>window.__xss='script'</script>`,
	}
	xssID := s.addRecord(system.CreateAppEventRecord(hostile[1], hostile[0], "",
		si.EventRecord_SET, si.EventRecord_APP_RUNNING, nil, hostile[2]))
	waitFor(ctx, t, "hostile row", fmt.Sprintf(`document.querySelector('#rows tr[data-id="%d"]') !== null`, xssID))
	if err := chromedp.Do(ctx, chromedp.Sleep(300*time.Millisecond)); err != nil { // let an image error fire
		t.Fatal(err)
	}
	type xssCheck struct {
		Ran      string   `json:"ran"`
		Elements int      `json:"elements"`
		Cells    []string `json:"cells"`
	}
	check, err := chromedp.Run(ctx, chromedp.Evaluate[xssCheck](fmt.Sprintf(`({
		ran: String(window.__xss === undefined ? "" : window.__xss),
		elements: document.querySelectorAll('#rows img, #rows svg, #rows script').length,
		cells: Array.from(document.querySelector('#rows tr[data-id="%d"]').cells).map(c => c.textContent),
	})`, xssID)))
	if err != nil {
		t.Fatal(err)
	}
	if check.Ran != "" || check.Elements != 0 {
		t.Fatalf("event text ran as markup: window.__xss=%q, %d elements from event text", check.Ran, check.Elements)
	}
	if len(check.Cells) != 7 || check.Cells[3] != hostile[1] || check.Cells[5] != hostile[0] || check.Cells[6] != hostile[2] {
		t.Fatalf("hostile row shows %q, want object %q, message %q, state %q literally", check.Cells, hostile[1], hostile[0], hostile[2])
	}
	s.setPaused(false)

	// 3. A filter shows only matching rows.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#types input[value="NODE"]`)),
		chromedp.Click(chromedp.CSS(`#apply`)),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "filtered rows", `window.lfviewer.filter === "type=NODE" && `+rowIDs+`.length >= 40`)
	types, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#rows tr[data-id]')).map(r => r.dataset.type)`))
	if err != nil {
		t.Fatal(err)
	}
	for i, ty := range types {
		if ty != "NODE" {
			t.Fatalf("row %d has type %q under the NODE filter", i, ty)
		}
	}

	// Back to everything.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#types input[value="NODE"]`)),
		chromedp.Click(chromedp.CSS(`#apply`)),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "unfiltered rows", `window.lfviewer.filter === "" && window.lfviewer.state === "live" && `+rowIDs+`.length >= 150`)

	// 4. The server ends the stream; the page reconnects and continues from
	// the next ID, including the events added while it was away.
	s.setPaused(true)
	last := s.sys.GetLastEventID()
	waitFor(ctx, t, "caught up", fmt.Sprintf(`window.lfviewer.lastID === %d`, last))
	reconnects, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.lfviewer.reconnects`))
	if err != nil {
		t.Fatal(err)
	}
	s.sys.CloseAllStreams()
	s.add(7) // arrive while the page is disconnected
	waitFor(ctx, t, "reconnected", fmt.Sprintf(`window.lfviewer.reconnects > %d && window.lfviewer.state === "live"`, reconnects))
	type cutBlock struct {
		Reason string `json:"reason"`
		LastID uint64 `json:"lastID"`
	}
	cut, err := chromedp.Run(ctx, chromedp.Evaluate[cutBlock](`window.lfviewer.cuts[window.lfviewer.cuts.length-1]`))
	if err != nil {
		t.Fatal(err)
	}
	if cut.Reason != "closed" || cut.LastID != last {
		t.Fatalf("cut %+v, want reason closed and lastID %d", cut, last)
	}
	s.add(3)
	waitFor(ctx, t, "continued", fmt.Sprintf(`window.lfviewer.lastID === %d && %s[0] === %d`, last+10, rowIDs, last+10))
	if ids, err = chromedp.Run(ctx, chromedp.Evaluate[[]int64](rowIDs)); err != nil {
		t.Fatal(err)
	}
	requireConsecutive(t, ids)
	if ids[10] != int64(last) {
		t.Fatalf("the reconnect did not continue right after %d: rows %v", last, ids[:12])
	}
	s.setPaused(false)

	// 5. A screenshot of the window, for people to look at.
	if err := chromedp.Do(ctx, chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()) // the window, as PNG
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if d := os.Getenv("LFEVENTS_SCREENSHOT_DIR"); d != "" {
		dir = d
	}
	path := filepath.Join(dir, "viewer.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(png) < 10000 {
		t.Fatalf("screenshot is only %d bytes", len(png))
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}
