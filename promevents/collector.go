package promevents

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lfevents/lfevents/system"
)

// The reference design's namespace and subsystem: its series are
// yunikorn_event_total_created and so on.
const (
	DefaultNamespace = "yunikorn"
	DefaultSubsystem = "event"
)

// Source is what a Collector reads: *system.EventSystemImpl, or anything
// else that returns a Metrics snapshot.
type Source interface {
	Metrics() system.Metrics
}

// Option configures a Collector. A nil Option is a no-op.
type Option func(*options)

type options struct {
	namespace, subsystem string
	constLabels          prometheus.Labels
}

// WithNamespace replaces the namespace DefaultNamespace ("" for none).
func WithNamespace(ns string) Option { return func(o *options) { o.namespace = ns } }

// WithSubsystem replaces the subsystem DefaultSubsystem ("" for none).
func WithSubsystem(s string) Option { return func(o *options) { o.subsystem = s } }

// WithConstLabels adds constant labels to every series, so that several
// event systems can be registered in one registry: give each collector the
// same label names with different values (for example {"system": "a"}).
func WithConstLabels(l prometheus.Labels) Option {
	return func(o *options) { o.constLabels = l }
}

// series is one exported metric: its name (without namespace and
// subsystem), type, help text, and how to read it from a snapshot.
type series struct {
	name, help string
	typ        prometheus.ValueType
	value      func(*system.Metrics) uint64
}

// referenceSeries are the reference design's seven event metrics, with its
// names, types (gauges, although they only grow) and help texts.
var referenceSeries = []series{
	{"total_created", "total events created", prometheus.GaugeValue, func(m *system.Metrics) uint64 { return m.Created }},
	{"total_channeled", "total events channeled", prometheus.GaugeValue, func(m *system.Metrics) uint64 { return m.Channeled }},
	{"total_not_channeled", "total events not channeled", prometheus.GaugeValue, func(m *system.Metrics) uint64 { return m.NotChanneled }},
	{"total_processed", "total events processed", prometheus.GaugeValue, func(m *system.Metrics) uint64 { return m.Processed }},
	{"total_stored", "total events stored", prometheus.GaugeValue, func(m *system.Metrics) uint64 { return m.Stored }},
	{"total_not_stored", "total events not stored", prometheus.GaugeValue, func(m *system.Metrics) uint64 { return m.NotStored }},
	{"total_collected", "total events collected", prometheus.GaugeValue, func(m *system.Metrics) uint64 { return m.Collected }},
}

// extraSeries are this library's own, named as Prometheus' conventions ask:
// counters end in _total, gauges carry no suffix that implies a type.
var extraSeries = []series{
	{"streams_removed_slow_total", "Event streams cut off because their consumer did not keep up.",
		prometheus.CounterValue, func(m *system.Metrics) uint64 { return m.StreamsRemovedSlow }},
	{"stream_events_delivered_total", "Events delivered to event stream consumers, over all streams.",
		prometheus.CounterValue, func(m *system.Metrics) uint64 { return m.StreamEventsDelivered }},
	{"plugin_panics_total", "Event plugin SendEvent calls that panicked or ended their goroutine (runtime.Goexit); publishing went on.",
		prometheus.CounterValue, func(m *system.Metrics) uint64 { return m.PluginPanics }},
	{"streams_open", "Event streams open now.",
		prometheus.GaugeValue, func(m *system.Metrics) uint64 { return m.StreamsOpen }},
	{"streams_created_total", "Event streams opened.",
		prometheus.CounterValue, func(m *system.Metrics) uint64 { return m.StreamsCreated }},
	{"history_lowest_id", "ID of the oldest event held in history (0 when it holds none).",
		prometheus.GaugeValue, func(m *system.Metrics) uint64 { return m.HistoryLowestID }},
	{"history_next_id", "ID the next accepted event gets: the number of events accepted so far.",
		prometheus.GaugeValue, func(m *system.Metrics) uint64 { return m.HistoryNextID }},
	{"history_capacity", "Number of newest events the history keeps.",
		prometheus.GaugeValue, func(m *system.Metrics) uint64 { return m.HistoryCapacity }},
	{"store_waiting", "Events in the store waiting for the next push to the plugin.",
		prometheus.GaugeValue, func(m *system.Metrics) uint64 { return m.StoreWaiting }},
	{"store_capacity", "Most events the store holds between two pushes to the plugin.",
		prometheus.GaugeValue, func(m *system.Metrics) uint64 { return m.StoreCapacity }},
	{"publisher_batches_total", "Non-empty event batches handed to the plugin.",
		prometheus.CounterValue, func(m *system.Metrics) uint64 { return m.PublisherBatches }},
	{"duplicates_suppressed_total", "Events dropped as duplicates of an equal event recorded within the duplicate window.",
		prometheus.CounterValue, func(m *system.Metrics) uint64 { return m.DuplicatesSuppressed }},
}

// Collector is a prometheus.Collector over one event system. Build it with
// New and register it; the zero value is not usable.
type Collector struct {
	src   Source
	descs []*prometheus.Desc
	all   []series
}

// Compile-time check.
var _ prometheus.Collector = (*Collector)(nil)

// New returns a collector of src's metrics: the reference design's seven
// series (yunikorn_event_total_created, _channeled, _not_channeled,
// _processed, _stored, _not_stored, _collected: gauges with the reference's
// help texts) and this library's extras (see docs/metrics.md), named with
// the namespace DefaultNamespace and subsystem DefaultSubsystem unless an
// option says otherwise (options apply in order; nil ones are skipped).
// src.Metrics is called once per scrape.
func New(src Source, opts ...Option) *Collector {
	o := options{namespace: DefaultNamespace, subsystem: DefaultSubsystem}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	c := &Collector{src: src}
	c.all = append(append(c.all, referenceSeries...), extraSeries...)
	for _, s := range c.all {
		c.descs = append(c.descs, prometheus.NewDesc(
			prometheus.BuildFQName(o.namespace, o.subsystem, s.name), s.help, nil, o.constLabels))
	}
	return c
}

// Describe sends the descriptors of every series.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect takes one Metrics snapshot and sends every series from it.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	m := c.src.Metrics()
	for i, s := range c.all {
		ch <- prometheus.MustNewConstMetric(c.descs[i], s.typ, float64(s.value(&m)))
	}
}
