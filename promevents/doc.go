// Package promevents exports an event system's counters to Prometheus under
// the metric names of the Apache YuniKorn core's event system
// (yunikorn_event_total_created and the others), plus this library's own
// series; it is a prometheus.Collector over system.EventSystemImpl.Metrics,
// the way the collectors of prometheus/collectors wrap the Go runtime's
// statistics. New(sys) builds one; register it in a prometheus.Registry
// served at /metrics. The series are listed in docs/metrics.md.
//
// Concurrency contract: a Collector reads the system's Metrics snapshot at
// scrape time, from the scraping goroutine, and keeps no state of its own, so
// it adds nothing to AddEvent's path; Collect and Describe are safe for
// concurrent use. It is the only library package of the module that imports
// the Prometheus client library (of the rest, only the demo command
// cmd/evserve does).
package promevents
