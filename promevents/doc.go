// Package promevents exports an event system's counters to Prometheus under
// the reference design's metric names; it is a prometheus.Collector over
// system.EventSystemImpl.Metrics, the way the collectors of
// prometheus/collectors wrap the Go runtime's statistics.
//
// Concurrency contract: a Collector reads the system's Metrics snapshot at
// scrape time, from the scraping goroutine, and keeps no state of its own, so
// it adds nothing to AddEvent's path; Collect and Describe are safe for
// concurrent use. This package is the only one of the module that imports
// the Prometheus client library.
package promevents
