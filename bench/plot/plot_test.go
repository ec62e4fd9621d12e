package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const raw = `goos: linux
BenchmarkIngest/producers=1/impl=lockfree-2   1000000   43.0 ns/op   0 drop-%   43.0 ns/event   30.00 p50-ns   180.0 p99-ns   300.0 p999-ns   0 B/op   0 allocs/op
BenchmarkIngest/producers=1/impl=lockfree-2   1000000   45.0 ns/op   0 drop-%   45.0 ns/event   30.00 p50-ns   200.0 p99-ns   320.0 p999-ns   0 B/op   0 allocs/op
BenchmarkIngest/producers=1/impl=lockfree-2   1000000   99.0 ns/op   0 drop-%   99.0 ns/event   30.00 p50-ns   220.0 p99-ns   340.0 p999-ns   0 B/op   0 allocs/op
BenchmarkIngest/producers=1/impl=mutex-2      1000000   20.0 ns/op   0 drop-%   20.0 ns/event   10.00 p50-ns   20.0 p99-ns   40.0 p999-ns   0 B/op   0 allocs/op
BenchmarkIngest/producers=8/impl=mutex-2      1000000   140 ns/op    0 drop-%   140 ns/event    10.00 p50-ns   59000 p99-ns   90000 p999-ns   0 B/op   0 allocs/op
BenchmarkIngest/producers=8/impl=lockfree-2   1000000   130 ns/op    0 drop-%   130 ns/event    30.00 p50-ns   600 p99-ns   900 p999-ns   0 B/op   0 allocs/op
BenchmarkIngest/producers=2/impl=baseline-2   1000000   300 ns/op    60 drop-%  750 ns/event    40.00 p50-ns   60 p99-ns   9000 p999-ns   0 B/op   0 allocs/op
PASS
`

func parsed(t *testing.T) results {
	t.Helper()
	rs := results{}
	if err := rs.parse(strings.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestParseMedian(t *testing.T) {
	rs := parsed(t)
	if got := rs.runs("Ingest/producers=1/impl=lockfree", "ns/event"); got != 3 {
		t.Fatalf("runs = %d, want 3", got)
	}
	if v, ok := rs.median("Ingest/producers=1/impl=lockfree", "ns/event"); !ok || v != 45 {
		t.Errorf("median = %v, %v; want 45", v, ok)
	}
	rs.parse(strings.NewReader("BenchmarkX-2 10 1 ns/op\nBenchmarkX-2 10 2 ns/op\n"))
	if v, _ := rs.median("X", "ns/op"); v != 1.5 {
		t.Errorf("even median = %v, want 1.5", v)
	}
	if _, ok := rs.median("Missing", "ns/op"); ok {
		t.Error("median of a missing benchmark")
	}
}

func TestSummary(t *testing.T) {
	var b bytes.Buffer
	writeSummary(&b, parsed(t))
	out := b.String()
	for _, want := range []string{
		"medians of 3 runs",
		"ours (lock-free)",
		"45ns",                         // lockfree, 1 producer
		"2.25x",                        // 45 / 20
		"10ns / 59µs / 90µs",           // mutex percentiles at 8 producers
		"reference design - / 60% / -", // "-" where a run is missing
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestFmtRatio(t *testing.T) {
	for r, want := range map[float64]string{
		230.7: "231x", 1.9419: "1.94x", 0.1: "0.10x", 0.0984: "0.098x",
		0.051892: "0.052x", 0.001606: "0.0016x", 0: "0.00x",
	} {
		if got := fmtRatio(r); got != want {
			t.Errorf("fmtRatio(%v) = %q, want %q", r, got, want)
		}
	}
}

func TestCharts(t *testing.T) {
	dir := t.TempDir()
	rs := parsed(t)
	for name, draw := range map[string]func(results, string, string) (bool, error){
		"cost.svg": costChart, "latency.svg": latencyChart,
	} {
		ok, err := draw(rs, filepath.Join(dir, name), "a test run")
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", name, ok, err)
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("one mutex")) || !bytes.Contains(b, []byte("a test run")) {
			t.Errorf("%s is not an SVG with the legend: %v", name, err)
		}
	}
	if ok, err := costChart(results{}, filepath.Join(dir, "none.svg"), ""); ok || err != nil {
		t.Errorf("chart of nothing: %v %v", ok, err)
	}
}

func TestFold(t *testing.T) {
	in := `== ingest
                     │   baseline   │              lockfree               │
                     │  allocs/op   │ allocs/op   vs base                 │
Ingest/producers=1-2   0.000 ± 0%     0.000 ± 0%       ~ (p=1.000 n=10) ¹
Ingest/producers=2-2   0.000 ± 0%     0.000 ± 0%       ~ (p=1.000 n=10) ¹
geomean                           ²               +0.00%                ²
¹ all samples are equal

                     │   baseline    │                lockfree                 │
                     │   sec/event   │   sec/event    vs base                  │
Ingest/producers=1-2   485.300n ±  7%   36.490n ± 12%  -92.48% (p=0.000 n=10)
Ingest/producers=2-2     0.000n ±  7%    0.000n ± 12%        ~ (p=0.000 n=10)
`
	var out bytes.Buffer
	if err := fold(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.Contains(got, "== ingest\nallocs/op: 0 in all 2 rows (table folded)\n") {
		t.Errorf("all-zero table not folded:\n%s", got)
	}
	if !strings.Contains(got, "485.300n") || !strings.Contains(got, "sec/event") {
		t.Errorf("a table with values was folded:\n%s", got)
	}
}
