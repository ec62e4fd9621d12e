package promevents_test

import (
	"bufio"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lfevents/lfevents/promevents"
	"github.com/lfevents/lfevents/system"
)

// Exporting an event system's counters: register a Collector in a registry
// and serve the registry at /metrics. Each scrape reads Metrics() afresh.
func Example() {
	cfg := system.DefaultConfig()
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.RequestCapacity = 2 // a small batch, so that one event finds it full
	events := system.New(cfg)
	events.StartServiceWithPublisher(false)
	defer events.Stop()

	reg := prometheus.NewRegistry()
	reg.MustRegister(promevents.New(events))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	for range 3 {
		events.AddEvent(system.CreateNodeEventRecord("node-1", "cordoned", "",
			si.EventRecord_SET, si.EventRecord_NODE_SCHEDULABLE, nil))
	}

	// A scrape, as Prometheus would make it; the reference's series only.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	lines := bufio.NewScanner(rec.Body)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "yunikorn_event_total_") {
			fmt.Println(lines.Text())
		}
	}
	// Output:
	// yunikorn_event_total_channeled 3
	// yunikorn_event_total_collected 0
	// yunikorn_event_total_created 3
	// yunikorn_event_total_not_channeled 0
	// yunikorn_event_total_not_stored 1
	// yunikorn_event_total_processed 3
	// yunikorn_event_total_stored 2
}

// Several event systems in one registry: give each collector the same label
// with a different value.
func ExampleWithConstLabels() {
	quiet := system.DefaultConfig()
	quiet.Logger = slog.New(slog.DiscardHandler)
	a, b := system.New(quiet), system.New(quiet)

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		promevents.New(a, promevents.WithConstLabels(prometheus.Labels{"system": "a"})),
		promevents.New(b, promevents.WithConstLabels(prometheus.Labels{"system": "b"})),
	)
	a.AddEvent(&si.EventRecord{ObjectID: "app-1"})
	a.AddEvent(&si.EventRecord{ObjectID: "app-2"})
	b.AddEvent(&si.EventRecord{ObjectID: "app-3"})

	families, err := reg.Gather()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, family := range families {
		if family.GetName() != "yunikorn_event_total_created" {
			continue
		}
		for _, m := range family.GetMetric() {
			fmt.Printf("%s{system=%q} %v\n", family.GetName(), m.GetLabel()[0].GetValue(), m.GetGauge().GetValue())
		}
	}
	// Output:
	// yunikorn_event_total_created{system="a"} 2
	// yunikorn_event_total_created{system="b"} 1
}
