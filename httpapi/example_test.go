package httpapi_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/httpapi"
	"github.com/lfevents/lfevents/system"
)

// newSystem returns a started event system (without a publisher) holding
// three application events with fixed timestamps, so that the JSON printed
// below does not change from run to run.
func newSystem() *system.EventSystemImpl {
	cfg := system.DefaultConfig()
	cfg.Logger = slog.New(slog.DiscardHandler)
	events := system.New(cfg)
	events.StartServiceWithPublisher(false)
	for i := range 3 {
		ev := system.CreateAppEventRecord(fmt.Sprint("app-", i), "submitted", "",
			si.EventRecord_ADD, si.EventRecord_APP_NEW, nil, "New")
		ev.TimestampNano = int64(i + 1)
		events.AddEvent(ev)
	}
	return events
}

// Serving an event system over HTTP: mount the Handler at the reference's two
// paths. A client reads history by event ID from BatchPath.
func Example() {
	events := newSystem()
	defer events.Stop()

	api := httpapi.New(events,
		httpapi.WithInstanceUUID("instance-1"), // default: a random UUID
		httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	mux := http.NewServeMux()
	mux.Handle(httpapi.BatchPath, api)
	mux.Handle(httpapi.StreamPath, api)
	srv := httptest.NewServer(mux) // a real program: an http.Server with timeouts
	defer srv.Close()
	defer api.Close() // ends open streams; call it before shutting the server down

	resp, err := http.Get(srv.URL + httpapi.BatchPath + "?start=1&count=1")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status)
	fmt.Print(string(body))
	// Output:
	// 200 OK
	// {"InstanceUUID":"instance-1","LowestID":0,"HighestID":2,"EventRecords":[{"type":2,"objectID":"app-1","message":"submitted","timestampNano":2,"eventChangeType":2,"eventChangeDetail":203,"resource":{},"state":"New"}]}
}

// Following the stream with Server-Sent Events: a client that asks for
// text/event-stream gets every event with its ID, and one that reconnects
// with Last-Event-ID (as a browser's EventSource does) resumes right after
// it: history first, then each new event as it is recorded.
func Example_serverSentEvents() {
	events := newSystem() // events 0, 1 and 2
	defer events.Stop()

	api := httpapi.New(events,
		httpapi.WithInstanceUUID("instance-1"),
		httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	srv := httptest.NewServer(api) // the Handler alone: other paths get 404
	defer srv.Close()
	defer api.Close()

	req, err := http.NewRequest(http.MethodGet, srv.URL+httpapi.StreamPath, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Last-Event-ID", "0") // seen up to event 0
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close() // leaving ends the stream on the server

	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		fmt.Println(lines.Text())
		switch lines.Text() {
		case "id: 2": // the last one in history; a new event follows live
			events.AddEvent(&si.EventRecord{Type: si.EventRecord_NODE, ObjectID: "node-1", TimestampNano: 4})
		case "id: 3":
			lines.Scan() // its data line, then leave
			fmt.Println(lines.Text())
			return
		}
	}
	// Output:
	// retry: 1000
	// event: instance
	// data: {"InstanceUUID":"instance-1"}
	//
	// id: 1
	// data: {"type":2,"objectID":"app-1","message":"submitted","timestampNano":2,"eventChangeType":2,"eventChangeDetail":203,"resource":{},"state":"New"}
	//
	// id: 2
	// data: {"type":2,"objectID":"app-2","message":"submitted","timestampNano":3,"eventChangeType":2,"eventChangeDetail":203,"resource":{},"state":"New"}
	//
	// id: 3
	// data: {"type":3,"objectID":"node-1","timestampNano":4}
}
