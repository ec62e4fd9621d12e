package system_test

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/store"
	"github.com/lfevents/lfevents/system"
)

// quiet returns a Config whose logs go nowhere.
func quiet() system.Config {
	cfg := system.DefaultConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

// Recording events: build records with the constructors and hand them to
// AddEvent.
func Example() {
	events := system.New(quiet())
	events.StartService()
	defer events.Stop()

	events.AddEvent(system.CreateAppEventRecord("app-1", "application submitted", "",
		si.EventRecord_ADD, si.EventRecord_APP_NEW, nil, "New"))
	events.AddEvent(system.CreateRequestEventRecord("alloc-1", "app-1", "request pending", nil, "Pending"))

	recs, lowest, highest := events.GetEventsFromID(0, 10)
	for _, ev := range recs {
		fmt.Println(ev.GetType(), ev.GetObjectID(), ev.GetMessage(), system.EventState(ev))
	}
	fmt.Println("ids", lowest, "to", highest)
	// Output:
	// APP app-1 application submitted New
	// REQUEST alloc-1 request pending Pending
	// ids 0 to 1
}

// Reading history by ID: page through it, and notice when the ID asked for
// has been displaced by newer events.
func ExampleEventSystemImpl_GetEventsFromID() {
	cfg := quiet()
	cfg.RingBufferCapacity = 5
	events := system.New(cfg)
	for i := 0; i < 8; i++ { // IDs 0..7; the history keeps 3..7
		events.AddEvent(&si.EventRecord{ObjectID: fmt.Sprint("node-", i)})
	}

	recs, lowest, highest := events.GetEventsFromID(0, 2)
	fmt.Println(len(recs), "records; held:", lowest, "to", highest)

	// Start again from lowest: pages of 2 up to highest.
	var read []string
	for next := lowest; next <= highest; next += 2 {
		page, _, _ := events.GetEventsFromID(next, 2)
		for _, ev := range page {
			read = append(read, ev.GetObjectID())
		}
	}
	fmt.Println(strings.Join(read, " "))
	// Output:
	// 0 records; held: 3 to 7
	// node-3 node-4 node-5 node-6 node-7
}

// Streaming: a stream gets the newest events of history, then every later one.
func ExampleEventSystemImpl_CreateEventStream() {
	events := system.New(quiet())
	events.StartService()
	defer events.Stop()
	for i := 0; i < 3; i++ {
		events.AddEvent(&si.EventRecord{ObjectID: fmt.Sprint("old-", i)})
	}

	s := events.CreateEventStream("example", 2) // the two newest, then live
	defer events.RemoveStream(s)
	events.AddEvent(&si.EventRecord{ObjectID: "new-0"})

	for i := 0; i < 3; i++ {
		fmt.Println((<-s.Events).GetObjectID())
	}
	// Output:
	// old-1
	// old-2
	// new-0
}

// printPlugin stands in for the resource manager's callback.
type printPlugin struct{}

func (printPlugin) SendEvent(events []*si.EventRecord) {
	fmt.Println("batch of", len(events))
	for _, ev := range events {
		fmt.Println(" ", ev.GetObjectID())
	}
}

// The publisher hands the store's events to the plugin every push interval,
// and once more when it stops.
func ExampleCreateShimPublisher() {
	batch := store.New(100)
	pub := system.CreateShimPublisher(batch,
		system.WithPushInterval(time.Hour), system.WithPlugin(printPlugin{}))
	pub.StartService()
	batch.Store(&si.EventRecord{ObjectID: "queue-a"})
	batch.Store(&si.EventRecord{ObjectID: "queue-b"})
	pub.Stop() // the last push
	fmt.Println("collected", pub.Stats().Collected)
	// Output:
	// batch of 2
	//   queue-a
	//   queue-b
	// collected 2
}

// The event system's publisher sends to Config.Plugin, or to the process-wide
// plugin registered with SetEventPlugin.
func ExampleSetEventPlugin() {
	system.SetEventPlugin(printPlugin{})
	defer system.SetEventPlugin(nil)

	cfg := quiet()
	cfg.PushInterval = time.Hour
	events := system.New(cfg)
	events.StartService()
	events.AddEvent(&si.EventRecord{ObjectID: "node-1"})
	events.Stop() // one last push
	// Output:
	// batch of 1
	//   node-1
}

// Reconfiguring a running system: history and store are resized, keeping the
// events that still fit.
func ExampleEventSystemImpl_Reconfigure() {
	events := system.New(quiet())
	events.StartServiceWithPublisher(false)
	defer events.Stop()
	for i := 0; i < 10; i++ {
		events.AddEvent(&si.EventRecord{})
	}

	cfg := system.ConfigFromMapWithLogger(map[string]string{
		"event.trackingEnabled":    "false",
		"event.requestCapacity":    "50",
		"event.ringBufferCapacity": "4",
	}, quiet().Logger)
	events.Reconfigure(cfg)

	_, lowest, highest := events.GetEventsFromID(0, 0)
	fmt.Println("tracking:", events.IsEventTrackingEnabled())
	fmt.Println("capacities:", events.GetRingBufferCapacity(), events.GetRequestCapacity())
	fmt.Println("history:", lowest, "to", highest)
	fmt.Println("waiting for the plugin:", events.Store.CountStoredEvents())
	// Output:
	// tracking: false
	// capacities: 4 50
	// history: 6 to 9
	// waiting for the plugin: 10
}

// The state given to a record constructor survives protobuf encoding.
func ExampleEventState() {
	ev := system.CreateNodeEventRecord("node-1", "cordoned", "", si.EventRecord_SET,
		si.EventRecord_NODE_SCHEDULABLE, nil, "Unschedulable")
	fmt.Println(system.EventState(ev))
	// Output: Unschedulable
}

// Metrics shows what happened to the events.
func ExampleEventSystemImpl_Metrics() {
	cfg := quiet()
	cfg.RequestCapacity = 2
	events := system.New(cfg)
	events.StartServiceWithPublisher(false)
	for i := 0; i < 3; i++ {
		events.AddEvent(&si.EventRecord{})
	}
	events.Stop()
	events.AddEvent(&si.EventRecord{}) // rejected: stopped
	m := events.Metrics()
	fmt.Printf("created %d, accepted %d, rejected %d, stored %d, not stored %d\n",
		m.Created, m.Channeled, m.NotChanneled, m.Stored, m.NotStored)
	// Output: created 4, accepted 3, rejected 1, stored 2, not stored 1
}

// The process-wide system, typed: Default returns the instance that
// GetEventSystem returns, so its methods beyond EventSystem need no type
// assertion.
func ExampleDefault() {
	system.InitWithConfig(quiet()) // a fresh process-wide system
	events := system.Default()
	events.StartServiceWithPublisher(false)
	defer events.Stop()
	events.AddEvent(system.CreateAppEventRecord("app-1", "submitted", "", si.EventRecord_ADD,
		si.EventRecord_APP_NEW, nil))

	fmt.Println("same instance:", system.GetEventSystem() == system.EventSystem(events))
	fmt.Println("accepted:", events.Metrics().Channeled)
	// Output:
	// same instance: true
	// accepted: 1
}
