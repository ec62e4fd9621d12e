package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openSSE opens an SSE stream and checks its headers and opening block.
func openSSE(t *testing.T, ts *testServer, query string, headers ...string) *lineReader {
	t.Helper()
	resp, lr := openStream(t, ts.srv.URL+StreamPath+query, append([]string{"Accept", "text/event-stream"}, headers...)...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	require.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
	require.Equal(t, "retry: 1000", lr.next())
	open := lr.nextSSE()
	require.Equal(t, "instance", open.event)
	if open.hasID { // the ID before the stream's first event
		_, err := strconv.ParseUint(open.id, 10, 64)
		require.NoError(t, err, "opening block ID")
	}
	require.JSONEq(t, `{"InstanceUUID":"`+ts.h.InstanceUUID()+`"}`, open.data)
	return lr
}

// requireEvents reads SSE data blocks and checks they carry IDs from..to in
// order with the records of history.
func requireEvents(t *testing.T, ts *testServer, lr *lineReader, from, to uint64) {
	t.Helper()
	recs, _, _ := ts.sys.GetEventsFromID(from, to-from+1)
	require.Len(t, recs, int(to-from+1))
	for id := from; id <= to; id++ {
		ev := lr.nextSSEData()
		require.Equal(t, "", ev.event, "a plain event, not %q (%s)", ev.event, ev.data)
		require.Equal(t, strconv.FormatUint(id, 10), ev.id)
		require.Equal(t, referenceJSON(t, recs[id-from]), ev.data)
	}
}

func TestSSEFormatAndHistory(t *testing.T) {
	eachFeed(t, trackingConfig(), func(t *testing.T, ts *testServer) {
		addEvents(ts, 0, 10)
		lr := openSSE(t, ts, "?count=3")
		requireEvents(t, ts, lr, 7, 9)
		addEvents(ts, 10, 20)
		requireEvents(t, ts, lr, 10, 29)
	})
}

func TestSSECountLargerThanHistory(t *testing.T) {
	ts := newTestServer(t, trackingConfig())
	addEvents(ts, 0, 4)
	lr := openSSE(t, ts, "?count=100")
	requireEvents(t, ts, lr, 0, 3)
}

func TestSSEResumeWithoutGap(t *testing.T) {
	for _, how := range []string{"header", "query", "header wins"} {
		t.Run(how, func(t *testing.T) {
			ts := newTestServer(t, trackingConfig())
			addEvents(ts, 0, 10)
			lr := openSSE(t, ts, "?count=10")
			requireEvents(t, ts, lr, 0, 9)
			addEvents(ts, 10, 10) // IDs 10..19 arrive while the client is away

			var query string
			var hdr []string
			switch how {
			case "header":
				hdr = []string{"Last-Event-ID", "6"}
			case "query":
				query = "?lastEventID=6"
			case "header wins":
				query = "?lastEventID=2&count=50"
				hdr = []string{"Last-Event-ID", "6"}
			}
			lr2 := openSSE(t, ts, query, hdr...)
			requireEvents(t, ts, lr2, 7, 19)
			addEvents(ts, 20, 1)
			requireEvents(t, ts, lr2, 20, 20)
		})
	}
}

func TestSSEResumeWithGap(t *testing.T) {
	cfg := trackingConfig()
	cfg.RingBufferCapacity = 16
	eachFeed(t, cfg, func(t *testing.T, ts *testServer) {
		addEvents(ts, 0, 10)
		lr := openSSE(t, ts, "?count=10")
		requireEvents(t, ts, lr, 0, 4) // the client saw up to ID 4, then left
		addEvents(ts, 10, 40)          // history now holds 34..49

		lr2 := openSSE(t, ts, "", "Last-Event-ID", "4")
		gap := lr2.nextSSEData()
		assert.Equal(t, "gap", gap.event)
		assert.Equal(t, "33", gap.id, "the gap carries its last ID, so a reconnect after it does not ask again")
		assert.JSONEq(t, `{"from":5,"to":33}`, gap.data)
		requireEvents(t, ts, lr2, 34, 49)

		// A resume right after the gap's ID has nothing missing.
		lr3 := openSSE(t, ts, "", "Last-Event-ID", "33")
		requireEvents(t, ts, lr3, 34, 49)
	})
}

func TestSSEResumeFromAnotherInstance(t *testing.T) {
	eachFeed(t, trackingConfig(), func(t *testing.T, ts *testServer) {
		addEvents(ts, 0, 5)
		// An ID this instance never gave out: the stream starts as a new one.
		lr := openSSE(t, ts, "?count=2", "Last-Event-ID", "1000")
		requireEvents(t, ts, lr, 3, 4)
	})
}

func TestSSECutAsSlowThenResume(t *testing.T) {
	cfg := trackingConfig()
	cfg.StreamQueueSize = 16
	eachFeed(t, cfg, func(t *testing.T, ts *testServer) {
		var armed atomic.Bool
		var once sync.Once
		ts.h.testHookIdle = func() {
			if !armed.Load() {
				return
			}
			// Stall the idle stream while far more events arrive than its
			// event-system stream can queue.
			once.Do(func() {
				before := ts.sys.Metrics().StreamsRemovedSlow
				for i := 0; ts.sys.Metrics().StreamsRemovedSlow == before; i++ {
					if i == 100000 {
						t.Error("the stalled stream was never cut")
						return
					}
					ts.sys.AddEvent(testRecord(i))
					if i%100 == 99 {
						time.Sleep(time.Millisecond)
					}
				}
			})
		}
		lr := openSSE(t, ts, "")
		addEvents(ts, 0, 3)
		requireEvents(t, ts, lr, 0, 2)
		armed.Store(true)
		addEvents(ts, 3, 1)

		// What the stream had taken before it was cut may still come (in
		// order, no gap), then the cut naming the last ID sent. Which
		// events came first depends on when the connection next went idle:
		// it may have been on its way there when the hook was armed.
		var cut sseEvent
		lastSent := uint64(2)
		for {
			ev := lr.nextSSEData()
			if ev.event == "cut" {
				cut = ev
				break
			}
			require.Equal(t, strconv.FormatUint(lastSent+1, 10), ev.id)
			lastSent++
		}
		assert.JSONEq(t, fmt.Sprintf(`{"reason":"slow","lastID":%d}`, lastSent), cut.data)
		lr.end()

		// The client reconnects with the last ID and loses nothing
		// history holds. A stream fed from the event system's stream took
		// less than arrived (the event that did not fit cut it); one that
		// reads history catches up on everything history holds before it
		// reports the cut of its wake-up stream, so it may have sent all.
		last := ts.sys.GetLastEventID()
		if ts.feed == feedItems {
			require.Greater(t, last, lastSent, "more arrived than the stream took")
		}
		lr2 := openSSE(t, ts, "", "Last-Event-ID", strconv.FormatUint(lastSent, 10))
		if last > lastSent {
			requireEvents(t, ts, lr2, lastSent+1, last)
		}
		addEvents(ts, 0, 2)
		requireEvents(t, ts, lr2, last+1, last+2)
	})
}

func TestSSECutWhenTheSystemClosesStreams(t *testing.T) {
	eachFeed(t, trackingConfig(), func(t *testing.T, ts *testServer) {
		lr := openSSE(t, ts, "")
		addEvents(ts, 0, 3)
		requireEvents(t, ts, lr, 0, 2)
		ts.sys.CloseAllStreams()
		cut := lr.nextSSEData()
		assert.Equal(t, "cut", cut.event)
		assert.JSONEq(t, `{"reason":"closed","lastID":2}`, cut.data)
		lr.end()

		lr2 := openSSE(t, ts, "", "Last-Event-ID", "2")
		addEvents(ts, 3, 2)
		requireEvents(t, ts, lr2, 3, 4)

		ts.sys.Stop()
		cut = lr2.nextSSEData()
		assert.Equal(t, "cut", cut.event)
		assert.JSONEq(t, `{"reason":"closed","lastID":4}`, cut.data)

		// While stopped, a new stream is cut at once. Streams with IDs
		// end with the system, as the reference's streams do; the
		// history-reading feed first sends what history holds.
		lr3 := openSSE(t, ts, "", "Last-Event-ID", "3")
		if ts.feed == feedHistory {
			requireEvents(t, ts, lr3, 4, 4)
			assert.JSONEq(t, `{"reason":"closed","lastID":4}`, lr3.nextSSEData().data)
		} else {
			assert.JSONEq(t, `{"reason":"closed"}`, lr3.nextSSEData().data)
		}
	})
}

func TestSSECutBeforeAnythingSent(t *testing.T) {
	eachFeed(t, trackingConfig(), func(t *testing.T, ts *testServer) {
		lr := openSSE(t, ts, "")
		ts.h.Close()
		cut := lr.nextSSEData()
		assert.Equal(t, "cut", cut.event)
		assert.JSONEq(t, `{"reason":"shutdown"}`, cut.data, "no lastID when nothing was sent")
	})
}

func TestSSEKeepAlive(t *testing.T) {
	ts := newTestServer(t, trackingConfig(), WithKeepAlive(20*time.Millisecond), WithRetry(2500*time.Millisecond))
	resp, lr := openStream(t, ts.srv.URL+StreamPath, "Accept", "text/event-stream")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "retry: 2500", lr.next())
	for {
		ev := lr.nextSSE()
		if ev.comment {
			break
		}
	}
	addEvents(ts, 0, 1)
	requireEvents(t, ts, lr, 0, 0)
}

// TestSSEManyClients: 100 SSE clients follow a producer adding events at
// about 10000/s; each receives every event, in order, without gaps. The
// test is bounded by the line reader's timeouts, not timed.
func TestSSEManyClients(t *testing.T) {
	const clients = 100
	events := 10000 // one second at 10k/s
	if raceEnabled || testing.Short() {
		events = 1000
	}
	cfg := trackingConfig()
	cfg.RingBufferCapacity = uint64(events) * 2
	// 100 clients at 10k/s need a million deliveries a second; a loaded
	// machine (or the race detector) falls behind, and a client may lag by
	// the whole run. The queue is sized for that, so what is checked is
	// completeness and order, not that this machine keeps the pace.
	// For the same reason a write may wait long for a client: the write
	// timeout (for clients that are gone) is raised.
	cfg.StreamQueueSize = events * 2
	ts := newTestServer(t, cfg, WithStreamLimits(clients, clients), WithWriteTimeout(time.Minute))

	readers := make([]*lineReader, clients)
	for i := range readers {
		readers[i] = openSSE(t, ts, "")
	}
	require.Eventually(t, func() bool { return len(ts.sys.GetEventStreams()) == clients }, 20*time.Second, time.Millisecond)

	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for i := 0; i < events; i += 10 { // 10 events per millisecond
			<-tick.C
			addEvents(ts, i, 10)
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c, lr := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := 0; id < events; id++ {
				select {
				case l, ok := <-lr.lines:
					for ok && strings.HasPrefix(l, ":") {
						// A keep-alive comment (": keep-alive" and its blank
						// line) on a stream idle while the machine is busy:
						// clients skip it.
						<-lr.lines
						l, ok = <-lr.lines
					}
					if !ok {
						errs <- fmt.Errorf("client %d: stream ended at ID %d", c, id)
						return
					}
					want := "id: " + strconv.Itoa(id)
					if l != want {
						errs <- fmt.Errorf("client %d: got %q, want %q", c, l, want)
						return
					}
					<-lr.lines // data
					<-lr.lines // blank
				case <-time.After(60 * time.Second):
					errs <- fmt.Errorf("client %d: stalled at ID %d", c, id)
					return
				}
			}
		}()
	}
	wg.Wait()
	<-done
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Zero(t, ts.sys.Metrics().StreamsRemovedSlow)
}

// TestSSEFilteredStreamNotCutForUnwantedEvents: with streams from the event
// system, the filter runs before the stream's queue, so a stalled filtered
// stream is not cut by a flood of events it does not want.
func TestSSEFilteredStreamNotCutForUnwantedEvents(t *testing.T) {
	cfg := trackingConfig()
	cfg.StreamQueueSize = 16
	ts := newTestServer(t, cfg)
	var armed atomic.Bool
	var once sync.Once
	ts.h.testHookIdle = func() {
		if armed.Load() {
			once.Do(func() {
				// Far more than the queue holds, none of them wanted.
				for i := range 5000 {
					ts.sys.AddEvent(&si.EventRecord{Type: si.EventRecord_NODE, ObjectID: fmt.Sprint("node-", i)})
				}
			})
		}
	}
	lr := openSSE(t, ts, "?objectID=wanted")
	// After this event the stream goes idle: the hook floods it while it
	// stalls, then one more wanted event follows.
	armed.Store(true)
	ts.sys.AddEvent(&si.EventRecord{Type: si.EventRecord_APP, ObjectID: "wanted", Message: "first"})
	ev := lr.nextSSEData()
	require.Equal(t, "0", ev.id)
	require.Eventually(t, func() bool { return ts.sys.GetLastEventID() >= 5000 }, 20*time.Second, time.Millisecond)
	last := &si.EventRecord{Type: si.EventRecord_APP, ObjectID: "wanted", Message: "last"}
	ts.sys.AddEvent(last)
	ev = lr.nextSSEData()
	assert.Equal(t, "", ev.event, "an event, not a cut: %s", ev.data)
	assert.Equal(t, "5001", ev.id)
	assert.Equal(t, referenceJSON(t, last), ev.data)
	assert.Zero(t, ts.sys.Metrics().StreamsRemovedSlow)
	// The flood moved the client's position on (progress blocks), within
	// what it covered.
	require.NotEmpty(t, lr.progress)
	for _, id := range lr.progress {
		assert.True(t, id > 0 && id <= 5000, "progress %d", id)
	}
}

// TestSSEClientLeavingBeforeTheFirstEventResumes: a client that loses its
// stream before the first event (the connection drops, or the stream is cut)
// has been told where the stream started: the opening block carries the ID
// before the stream's first event, so EventSource sends it back and the
// reconnect continues exactly there, with the events that arrived meanwhile.
// Before, the opening block had no ID: the client reconnected without
// Last-Event-ID, as a new stream, and the events between its first start
// and the newest count were skipped without a gap block.
func TestSSEClientLeavingBeforeTheFirstEventResumes(t *testing.T) {
	eachFeed(t, trackingConfig(), func(t *testing.T, ts *testServer) {
		addEvents(ts, 0, 10)
		cases := []struct {
			name, query string
			headers     []string
			wantID      string // the opening's ID; "" for none
		}{
			{"newest count", "?count=3", nil, "6"},
			{"count 0", "", nil, "9"},
			{"resumed", "?count=3", []string{"Last-Event-ID", "4"}, "4"},
			{"resumed in the query", "?lastEventID=2", nil, "2"},
			{"resume point of another instance", "?count=1", []string{"Last-Event-ID", "5000"}, "8"},
			{"from the first ID", "?count=50", nil, ""}, // no ID before 0
		}
		for _, tc := range cases {
			resp, lr := openStream(t, ts.srv.URL+StreamPath+tc.query, append([]string{"Accept", "text/event-stream"}, tc.headers...)...)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, "retry: 1000", lr.next())
			open := lr.nextSSE()
			require.Equal(t, "instance", open.event, tc.name)
			assert.Equal(t, tc.wantID != "", open.hasID, tc.name)
			assert.Equal(t, tc.wantID, open.id, tc.name)
			resp.Body.Close()
		}

		// The client leaves before the first event; IDs 10..14 arrive; it
		// comes back with the opening's ID, as EventSource would.
		resp, lr := openStream(t, ts.srv.URL+StreamPath+"?count=3", "Accept", "text/event-stream")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		lr.next()
		open := lr.nextSSE()
		resp.Body.Close()
		addEvents(ts, 10, 5)
		var hdr []string
		if open.hasID {
			hdr = []string{"Last-Event-ID", open.id}
		}
		lr2 := openSSE(t, ts, "?count=3", hdr...)
		requireEvents(t, ts, lr2, 7, 14)
	})
}

// TestSSEResumeAcrossRestartAndReconfigure: within one process event IDs
// never start over: a client cut by Stop, Restart, a tracking change or a
// resize of history resumes after its last ID exactly, with the events added
// since, and the instance stays the same.
func TestSSEResumeAcrossRestartAndReconfigure(t *testing.T) {
	eachFeed(t, trackingConfig(), func(t *testing.T, ts *testServer) {
		steps := []struct {
			name string
			do   func()
		}{
			{"stop and start", func() { ts.sys.Stop(); ts.sys.StartServiceWithPublisher(false) }},
			{"restart", func() { ts.sys.Restart() }},
			{"tracking off and on", func() {
				c := ts.sys.Config()
				c.TrackingEnabled = false
				ts.sys.Reconfigure(c)
				c.TrackingEnabled = true
				ts.sys.Reconfigure(c)
			}},
			{"history resized", func() {
				c := ts.sys.Config()
				c.RingBufferCapacity /= 2
				ts.sys.Reconfigure(c)
				ts.sys.CloseAllStreams()
			}},
		}
		next := uint64(0)
		lr := openSSE(t, ts, "")
		for i, step := range steps {
			addEvents(ts, int(next), 3)
			requireEvents(t, ts, lr, next, next+2)
			next += 3
			step.do()
			cut := lr.nextSSEData()
			require.Equal(t, "cut", cut.event, step.name)
			assert.JSONEq(t, fmt.Sprintf(`{"reason":"closed","lastID":%d}`, next-1), cut.data, step.name)
			addEvents(ts, int(next), 2+i) // while the client is away
			lr = openSSE(t, ts, "", "Last-Event-ID", strconv.FormatUint(next-1, 10))
			requireEvents(t, ts, lr, next, next+uint64(1+i))
			next += uint64(2 + i)
		}
	})
}

// TestSSECutAsSlowBeforeAnythingNamedAtIDZero: a stream that starts at ID 0
// (its opening can name no earlier ID) and is cut as slow before it sent an
// event leaves its client without a position: the client could only
// reconnect as a new stream, skipping everything before the newest count.
// Such a stream goes on from where it started instead; a stream that named
// an ID is cut as before. Either way the client gets every event, once, in
// order, across at most one reconnect with the last ID it saw. Before, the
// history-reading feed ended with a cut without an ID here (and the feed of
// streams with IDs did when its stream was cut before it delivered an
// item), and the reconnect skipped the burst.
func TestSSECutAsSlowBeforeAnythingNamedAtIDZero(t *testing.T) {
	cfg := trackingConfig()
	cfg.StreamQueueSize = 16
	eachFeed(t, cfg, func(t *testing.T, ts *testServer) {
		var once sync.Once
		ts.h.testHookIdle = func() {
			// Stall the stream, idle after its opening, while far more
			// events arrive than its event-system stream can queue.
			once.Do(func() {
				for i := 0; ts.sys.Metrics().StreamsRemovedSlow == 0; i++ {
					if i == 100000 {
						t.Error("the stalled stream was never cut")
						return
					}
					ts.sys.AddEvent(testRecord(i))
					if i%100 == 99 {
						time.Sleep(time.Millisecond)
					}
				}
			})
		}
		resp, lr := openStream(t, ts.srv.URL+StreamPath+"?count=10", "Accept", "text/event-stream")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		lr.next() // retry
		open := lr.nextSSE()
		require.Equal(t, "instance", open.event)
		require.False(t, open.hasID, "no ID before 0")

		next := uint64(0) // the next ID expected
		position := ""    // the last ID the stream named
		read := func(lr *lineReader, until uint64) bool {
			for next <= until {
				ev := lr.nextSSEData()
				if ev.event == "cut" {
					return false
				}
				require.Equal(t, "", ev.event, "%s %s", ev.event, ev.data)
				require.Equal(t, strconv.FormatUint(next, 10), ev.id)
				position = ev.id
				next++
			}
			return true
		}
		require.Eventually(t, func() bool { return ts.sys.Metrics().StreamsRemovedSlow > 0 }, 20*time.Second, time.Millisecond)
		addEvents(ts, 0, 500) // more than count
		last := ts.sys.GetLastEventID()
		// Later cuts (the queue is tiny) come after an ID was named: the
		// client resumes after it.
		for reconnects := 0; !read(lr, last); reconnects++ {
			require.NotEmpty(t, position, "cut before any ID was named")
			require.Less(t, reconnects, 100)
			lr = openSSE(t, ts, "?count=10", "Last-Event-ID", position)
		}
	})
}

// TestSSEFilteredResumeAfterProgress: a filtered stream moves its client's
// resume position past the events its filter leaves out (a block with an ID
// alone), so a client that reconnects after history displaced those events
// resumes without a gap block for them. Without it, the client's position
// would be its last wanted event, and the displaced run in between would come
// back as a gap.
func TestSSEFilteredResumeAfterProgress(t *testing.T) {
	cfg := trackingConfig()
	cfg.RingBufferCapacity = 1000
	eachFeed(t, cfg, func(t *testing.T, ts *testServer) {
		wanted := func(msg string) *si.EventRecord {
			return &si.EventRecord{Type: si.EventRecord_APP, ObjectID: "wanted", Message: msg}
		}
		unwanted := func(n int) {
			for i := range n {
				ts.sys.AddEvent(&si.EventRecord{Type: si.EventRecord_NODE, ObjectID: fmt.Sprint("node-", i)})
			}
		}
		lr := openSSE(t, ts, "?objectID=wanted")
		ts.sys.AddEvent(wanted("first")) // ID 0
		ev := lr.nextSSEData()
		require.Equal(t, "0", ev.id)
		// IDs 1..1200 in runs of 300, each read before the next is added
		// (a reader further than the capacity behind would get a gap):
		// progress blocks follow each, the last within 256 IDs of the
		// newest once the stream has nothing else to send.
		var resume uint64
		for end := uint64(300); end <= 1200; end += 300 {
			unwanted(300)
			for resume < end-256 {
				ev = lr.nextSSE()
				if ev.comment {
					continue
				}
				require.True(t, ev.isProgress(), "only progress blocks, got %+v", ev)
				id, err := strconv.ParseUint(ev.id, 10, 64)
				require.NoError(t, err)
				require.Greater(t, id, resume, "progress moves on")
				require.LessOrEqual(t, id, end)
				resume = id
			}
		}

		unwanted(500) // IDs 1201..1700: history now holds 701..1700
		last := wanted("last")
		ts.sys.AddEvent(last) // ID 1701
		lr = openSSE(t, ts, "?objectID=wanted", "Last-Event-ID", strconv.FormatUint(resume, 10))
		ev = lr.nextSSEData()
		assert.Equal(t, "", ev.event, "the next wanted event, no gap: %s", ev.data)
		assert.Equal(t, "1701", ev.id)
		assert.Equal(t, referenceJSON(t, last), ev.data)
	})
}
