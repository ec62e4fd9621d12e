#!/usr/bin/env bash
# Prints the full benchstat tables of `make bench` (bench/out/benchstat.txt),
# one scenario at a time, with the implementations side by side: the baseline
# first, so "vs base" is each implementation against the reference design;
# then lock-free against the one-mutex system and the claim+publish floor. Usage: bench/stat.sh BENCHSTAT RAW_BENCH [RAW_PKGS]
set -euo pipefail
benchstat=$1 raw=$2 pkgs=${3:-}
impls='/impl@(baseline mutex lockfree lockfree-ring floor-claimpublish floor-add rwmutex control)'

table() { # title, filter, [col]
	echo "== $1"
	"$benchstat" -filter "$2" -col "${3:-$impls}" "$raw" | grep -v '^\(goos\|goarch\|pkg\|cpu\):' || true
	echo
}

# ratios: medians from benchstat's CSV (columns: name, then value, CI[, vs, P] per impl).
ratios() {
	"$benchstat" -format csv -filter '.name:Ingest .unit:ns/event' \
		-col '/impl@(baseline mutex lockfree floor-claimpublish)' "$raw" 2>/dev/null |
		awk -F, '/^Ingest/ && $2 > 0 && $4 > 0 && $8 > 0 && $12 > 0 {
			if (!hdr++) printf "%-22s %22s %22s %28s\n", "", "lockfree cost / mutex", "speed-up vs baseline", "lockfree cost / claim+publish"
			printf "%-22s %21.2fx %21.1fx %27.2fx\n", $1, $8 / $4, $2 / $8, $8 / $12 }'
	"$benchstat" -format csv -filter '.name:Ingest .unit:drop-%' -col '/impl@(baseline lockfree)' "$raw" 2>/dev/null |
		awk -F, '/^Ingest/ { printf "%-22s dropped: baseline %.1f%%, lockfree %.1f%%\n", $1, $2, $4 }'
	"$benchstat" -format csv -filter '.name:HistoryRead .unit:writer-slowdown' \
		-col '/impl@(baseline lockfree control)' "$raw" 2>/dev/null |
		awk -F, '/^HistoryRead/ && $8 > 0 {
			if (!hdr++) printf "%-42s %s\n", "", "writer slowed by a 1000-event reader: baseline, lockfree, control (a reader touching nothing shared)"
			printf "%-42s %.2fx, %.2fx, %.2fx  (lockfree / control %.2f)\n", $1, $2, $4, $8, $4 / $8 }'
}
echo "== ratios (medians of the runs below)"
ratios
echo

table "ingest, 1M events end to end: ns per event that reached history, % dropped, allocs per AddEvent, AddEvent latency percentiles" \
	'.name:Ingest .unit:(ns/event OR drop-% OR allocs/op OR p50-ns OR p99-ns OR p999-ns)'
table "ingest: lock-free against the one-mutex system (first column)" \
	'.name:Ingest .unit:(ns/event OR p50-ns OR p99-ns OR p999-ns) /impl:(mutex OR lockfree)' '/impl@(mutex lockfree)'
if grep -q '^BenchmarkIngestPaced' "$raw"; then
	table "ingest paced (~1 us of work between events): mean AddEvent ns, percentiles" \
		'.name:IngestPaced .unit:(ns/add OR p50-ns OR p99-ns OR p999-ns OR drop-%)' '/impl@(mutex lockfree baseline)'
fi
if grep -q '^BenchmarkBatch' "$raw"; then
	table "batch: 8 producers, AddEvent vs AddEvents of 64: ns per event" \
		'.name:Batch .unit:ns/event' '/impl@(mutex lockfree)'
fi
table "ingest: lock-free (system, and its ring alone) against the claim+publish floor (first column)" \
	'.name:Ingest .unit:ns/event /impl:(floor-claimpublish OR lockfree OR lockfree-ring)' '/impl@(floor-claimpublish lockfree lockfree-ring)'
if grep -q '^BenchmarkHistoryRead' "$raw"; then
	table "history: 1000-event reads under a flat-out writer: ns per read, writer slowdown (1.0 = none)" \
		'.name:HistoryRead .unit:(ns/op OR writer-slowdown OR records/read OR allocs/op)'
fi
if grep -q '^Benchmark\(Store\|Collect\)/' "$raw"; then
	table "store: Store from 1/2/8 goroutines (ns per Store) and CollectEvents (ns per collect)" \
		'.name:(Store OR Collect) .unit:(ns/op OR ns/collect OR notstored-% OR allocs/op)'
fi
if grep -q '^BenchmarkFanout' "$raw"; then
	table "streams: fan-out to 1/16/64 consumers: events delivered per second, producer ns per event" \
		'.name:Fanout .unit:(delivered/s OR producer-ns/event OR cut-% OR drop-%)'
fi
if grep -q '^BenchmarkMemory' "$raw"; then
	table "memory: bytes per history slot, per stored event, per stream" \
		'.name:Memory .unit:(B/slot OR B/event OR B/stream)'
fi
if [ -n "$pkgs" ] && [ -s "$pkgs" ]; then
	echo "== per package (ring, store, stream): their own impl= comparisons"
	"$benchstat" -col /impl "$pkgs"
fi
