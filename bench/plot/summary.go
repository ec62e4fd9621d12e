package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// producers are the producer counts of the ingest scenarios.
var producers = []int{1, 2, 8}

// ingestImpls are the implementations the summary and the charts show, in
// order, with the names a reader knows them by.
var ingestImpls = []struct{ impl, label string }{
	{"lockfree", "ours (lock-free)"},
	{"mutex", "one mutex"},
	{"baseline", "reference design"},
	{"floor-claimpublish", "floor: claim+publish"},
	{"floor-add", "floor: one atomic add"},
}

func ingestName(scenario string, p int, impl string) string {
	return fmt.Sprintf("%s/producers=%d/impl=%s", scenario, p, impl)
}

// fmtNs formats a duration in nanoseconds with a unit a reader takes in at
// a glance: "43ns", "1.2µs", "59µs", "3.1ms".
func fmtNs(ns float64) string {
	switch {
	case ns < 10:
		return fmt.Sprintf("%.1fns", ns)
	case ns < 1e3:
		return fmt.Sprintf("%.0fns", ns)
	case ns < 1e4:
		return fmt.Sprintf("%.1fµs", ns/1e3)
	case ns < 1e6:
		return fmt.Sprintf("%.0fµs", ns/1e3)
	case ns < 1e7:
		return fmt.Sprintf("%.1fms", ns/1e6)
	default:
		return fmt.Sprintf("%.0fms", ns/1e6)
	}
}

// cell returns the formatted median of name in unit, or "-".
func (rs results) cell(name, unit string, format func(float64) string) string {
	v, ok := rs.median(name, unit)
	if !ok {
		return "-"
	}
	return format(v)
}

// ratio returns "a/b" formatted as "1.91x", or "-".
func (rs results) ratio(nameA, nameB, unit string) string {
	a, okA := rs.median(nameA, unit)
	b, okB := rs.median(nameB, unit)
	if !okA || !okB || b == 0 {
		return "-"
	}
	return fmtRatio(a / b)
}

// fmtRatio formats r as "12x", "1.91x", or, below 0.1, with two significant
// digits ("0.052x", "0.0016x"): a p999 ratio of 0.0016 is not "0.00x".
func fmtRatio(r float64) string {
	switch {
	case r >= 10:
		return fmt.Sprintf("%.0fx", r)
	case r >= 0.1 || r == 0:
		return fmt.Sprintf("%.2fx", r)
	default:
		return fmt.Sprintf("%.2gx", r)
	}
}

// ratioRow writes one table row: label, then per producer count ours over
// the mutex system's median of scenario in units u1 and u2.
func (rs results) ratioRow(tw *tabwriter.Writer, label, scenario, u1, u2 string) {
	fmt.Fprintf(tw, "%s\t", label)
	for _, p := range producers {
		a, b := ingestName(scenario, p, "lockfree"), ingestName(scenario, p, "mutex")
		fmt.Fprintf(tw, "%s, %s\t", rs.ratio(a, b, u1), rs.ratio(a, b, u2))
	}
	fmt.Fprintln(tw)
}

func (rs results) percentiles(name string) string {
	var parts []string
	for _, u := range []string{"p50-ns", "p99-ns", "p999-ns"} {
		parts = append(parts, rs.cell(name, u, fmtNs))
	}
	if strings.Join(parts, "") == "---" {
		return "-"
	}
	return strings.Join(parts, " / ")
}

// writeSummary prints the short comparison: ingest cost and AddEvent latency
// per implementation, the paced case, then one line each for history reads,
// batches and streams. Whatever the results lack is shown as "-" or left out.
func writeSummary(w io.Writer, rs results) {
	if rs.runs(ingestName("Ingest", 1, "lockfree"), "ns/event") > 0 {
		fmt.Fprintf(w, "Ingest flat out (medians of %d runs; ns per event that reached history, lower is better)\n",
			rs.runs(ingestName("Ingest", 1, "lockfree"), "ns/event"))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "ns per event\t1 producer\t2 producers\t8 producers\t\n")
		for _, im := range ingestImpls {
			fmt.Fprintf(tw, "%s\t", im.label)
			for _, p := range producers {
				fmt.Fprintf(tw, "%s\t", rs.cell(ingestName("Ingest", p, im.impl), "ns/event", fmtNs))
			}
			fmt.Fprintln(tw)
		}
		for _, floor := range []struct{ impl, label string }{{"mutex", "ours / mutex"}, {"floor-claimpublish", "ours / claim+publish"}} {
			fmt.Fprintf(tw, "%s\t", floor.label)
			for _, p := range producers {
				fmt.Fprintf(tw, "%s\t", rs.ratio(ingestName("Ingest", p, "lockfree"), ingestName("Ingest", p, floor.impl), "ns/event"))
			}
			fmt.Fprintln(tw)
		}
		fmt.Fprintln(tw, "\t\t\t\t")
		fmt.Fprintf(tw, "AddEvent p50 / p99 / p999\t1 producer\t2 producers\t8 producers\t\n")
		for _, im := range ingestImpls {
			fmt.Fprintf(tw, "%s\t", im.label)
			for _, p := range producers {
				fmt.Fprintf(tw, "%s\t", rs.percentiles(ingestName("Ingest", p, im.impl)))
			}
			fmt.Fprintln(tw)
		}
		rs.ratioRow(tw, "ours / mutex, p99 and p999", "Ingest", "p99-ns", "p999-ns")
		tw.Flush()
		var drops []string
		for _, p := range producers {
			drops = append(drops, rs.cell(ingestName("Ingest", p, "baseline"), "drop-%", func(v float64) string { return fmt.Sprintf("%.0f%%", v) }))
		}
		fmt.Fprintf(w, "Dropped: ours %s, reference design %s (1/2/8 producers). Allocations per AddEvent: ours %s.\n\n",
			rs.cell(ingestName("Ingest", 8, "lockfree"), "drop-%", func(v float64) string { return fmt.Sprintf("%.0f%%", v) }),
			strings.Join(drops, " / "),
			rs.cell(ingestName("Ingest", 8, "lockfree"), "allocs/op", func(v float64) string { return fmt.Sprintf("%.0f", v) }))
	}

	if rs.runs(ingestName("IngestPaced", 2, "lockfree"), "ns/add") > 0 {
		fmt.Fprintln(w, "Ingest paced (about 1 µs of work between events; every AddEvent timed)")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "mean AddEvent, p99\t1 producer\t2 producers\t8 producers\t\n")
		for _, im := range ingestImpls[:3] {
			fmt.Fprintf(tw, "%s\t", im.label)
			for _, p := range producers {
				n := ingestName("IngestPaced", p, im.impl)
				fmt.Fprintf(tw, "%s, %s\t", rs.cell(n, "ns/add", fmtNs), rs.cell(n, "p99-ns", fmtNs))
			}
			fmt.Fprintln(tw)
		}
		rs.ratioRow(tw, "ours / mutex", "IngestPaced", "ns/add", "p99-ns")
		tw.Flush()
		fmt.Fprintln(w)
	}

	hist := func(writer, impl string) string {
		return "HistoryRead/window=newest/writer=" + writer + "/impl=" + impl
	}
	if rs.runs(hist("none", "lockfree"), "ns/op") > 0 {
		fmt.Fprintf(w, "History read of 1000 events: ours %s alone, %s under a writer; RW-locked make+copy %s / %s (ours %s / %s of it).\n",
			rs.cell(hist("none", "lockfree"), "ns/op", fmtNs), rs.cell(hist("flatout", "lockfree"), "ns/op", fmtNs),
			rs.cell(hist("none", "rwmutex"), "ns/op", fmtNs), rs.cell(hist("flatout", "rwmutex"), "ns/op", fmtNs),
			rs.ratio(hist("none", "lockfree"), hist("none", "rwmutex"), "ns/op"),
			rs.ratio(hist("flatout", "lockfree"), hist("flatout", "rwmutex"), "ns/op"))
		x := func(v float64) string { return fmt.Sprintf("%.2fx", v) }
		fmt.Fprintf(w, "Writer slowed by those reads: ours %s, RW-locked %s, one mutex %s; by a reader sharing nothing %s.\n",
			rs.cell(hist("flatout", "lockfree"), "writer-slowdown", x), rs.cell(hist("flatout", "rwmutex"), "writer-slowdown", x),
			rs.cell(hist("flatout", "mutex"), "writer-slowdown", x), rs.cell(hist("flatout", "control"), "writer-slowdown", x))
	}
	batch := func(mode, impl string) string { return "Batch/producers=8/mode=" + mode + "/impl=" + impl }
	if rs.runs(batch("single", "lockfree"), "ns/event") > 0 {
		fmt.Fprintf(w, "Batch, 8 producers, per event: ours %s with AddEvent, %s with AddEvents of 64 (%s); one mutex %s / %s.\n",
			rs.cell(batch("single", "lockfree"), "ns/event", fmtNs), rs.cell(batch("batch64", "lockfree"), "ns/event", fmtNs),
			rs.ratio(batch("batch64", "lockfree"), batch("single", "lockfree"), "ns/event"),
			rs.cell(batch("single", "mutex"), "ns/event", fmtNs), rs.cell(batch("batch64", "mutex"), "ns/event", fmtNs))
	}
	fan := func(c int, impl string) string { return fmt.Sprintf("Fanout/consumers=%d/impl=%s", c, impl) }
	if rs.runs(fan(64, "lockfree"), "delivered/s") > 0 {
		m := func(v float64) string { return fmt.Sprintf("%.1fM", v/1e6) }
		fmt.Fprintf(w, "Streams, events/s delivered to 1 / 16 / 64 consumers: ours %s / %s / %s, reference design %s / %s / %s.\n",
			rs.cell(fan(1, "lockfree"), "delivered/s", m), rs.cell(fan(16, "lockfree"), "delivered/s", m), rs.cell(fan(64, "lockfree"), "delivered/s", m),
			rs.cell(fan(1, "baseline"), "delivered/s", m), rs.cell(fan(16, "baseline"), "delivered/s", m), rs.cell(fan(64, "baseline"), "delivered/s", m))
	}
}

// positive clamps v for a logarithmic axis.
func positive(v float64) float64 { return math.Max(v, 1) }
