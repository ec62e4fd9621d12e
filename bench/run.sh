#!/usr/bin/env bash
# `make bench`: runs every benchmark scenario side by side, shows one progress
# line per scenario, writes raw output, benchstat tables and charts under OUT,
# and ends with a short summary. Settings come from the environment (the
# Makefile passes them): GO BENCHSTAT OUT INGEST_EVENTS INGEST_COUNT
# PACED_EVENTS PACED_COUNT COUNT BENCHTIME MEMTIME.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
: "${GO:=go}" "${BENCHSTAT:=benchstat}" "${OUT:=bench/out}"
: "${INGEST_EVENTS:=1000000}" "${INGEST_COUNT:=10}" "${PACED_EVENTS:=200000}" "${PACED_COUNT:=8}"
: "${COUNT:=6}" "${BENCHTIME:=200ms}" "${MEMTIME:=3x}"
mkdir -p "$OUT/bin"
out=$(cd "$OUT" && pwd)
tty=false cols=0
if [ -t 1 ]; then
	tty=true
	cols=$(tput cols 2>/dev/null || echo 100)
fi

# Scenarios: label; package; regexp; benchtime; count (rounds, interleaved:
# see below); sub-benchmarks; seconds
# expected on the 2-core machine at the default settings | raw file. The
# expected seconds only seed the "left" estimate, which then follows the
# measured pace.
scenarios=(
	"ingest flat out, 1/2/8 producers;bench;^BenchmarkIngest\$;${INGEST_EVENTS}x;$INGEST_COUNT;18;45;raw-bench.txt"
	"ingest paced (~1 µs of work per event);bench;^BenchmarkIngestPaced\$;${PACED_EVENTS}x;$PACED_COUNT;9;40;raw-bench.txt"
	"history reads of 1000 events;bench;^BenchmarkHistoryRead\$;$BENCHTIME;$COUNT;15;40;raw-bench.txt"
	"batches (AddEvents of 64);bench;^BenchmarkBatch\$;$BENCHTIME;$COUNT;4;12;raw-bench.txt"
	"store and collect;bench;^Benchmark(Store|Collect)\$;$BENCHTIME;$COUNT;10;25;raw-bench.txt"
	"stream fan-out, 1/16/64 consumers;bench;^BenchmarkFanout\$;$BENCHTIME;$COUNT;6;20;raw-bench.txt"
	"memory per slot, event, stream;bench;^BenchmarkMemory\$;$MEMTIME;$COUNT;6;25;raw-bench.txt"
	"ring package benchmarks;ring;.;$BENCHTIME;$COUNT;0;60;raw-pkgs.txt"
	"store package benchmarks;store;.;$BENCHTIME;$COUNT;0;50;raw-pkgs.txt"
	"stream package benchmarks;stream;.;$BENCHTIME;$COUNT;0;40;raw-pkgs.txt"
)

fmt_time() { # seconds -> "1m05s" or "42s"
	local s=${1%.*}
	((s < 0)) && s=0
	if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

started=$SECONDS
printf 'make bench: building the test binaries (raw output, tables and charts go to %s/)\n' "$OUT"
for pkg in bench ring store stream; do
	"$GO" test -c -o "$out/bin/$pkg.test" "./$pkg/"
done
"$GO" build -C bench/plot -o "$out/bin/plot" .
rm -f "$out/raw-bench.txt" "$out/raw-pkgs.txt"

total_est=0
for s in "${scenarios[@]}"; do
	IFS=';' read -r _ _ _ _ _ _ est _ <<<"$s"
	total_est=$((total_est + est))
done
done_est=0 # expected seconds of the scenarios finished
bench_started=$SECONDS

n=${#scenarios[@]}
i=0
for s in "${scenarios[@]}"; do
	i=$((i + 1))
	IFS=';' read -r label pkg regexp benchtime count subs est raw <<<"$s"
	expected=$((subs * count))
	what="$label ($count runs of $benchtime)"
	scen_started=$SECONDS
	results=0
	progress() { # the scenario's line: what, how far, about how long is left
		local left far
		left=$(awk -v c=$((SECONDS - scen_started)) -v e=$((SECONDS - bench_started)) -v d="$done_est" \
			-v t="$total_est" -v est="$est" -v r="$results" -v x="$expected" 'BEGIN {
				f = (x > 0 && r > 0) ? r / x : (c < est ? c / est : 0.95) # share of this scenario done
				now = d + f * est                                        # expected seconds done
				pace = (now > 5) ? e / now : 1                           # measured per expected second
				print pace * (t - now) }')
		if ((expected > 0)); then far="$results/$expected results"; else far="$results results"; fi
		line=$(printf '[%d/%d] %s, ~%s left: %s' "$i" "$n" "$far" "$(fmt_time "$left")" "$what")
		printf '%s' "${line:0:cols-1}" # one terminal line, or \r cannot redraw it
	}
	if $tty; then progress; fi
	cd "$root/$pkg"
	set +e
	# One round per sample, each running every sub-benchmark once: with
	# -test.count N, go test runs each sub-benchmark N times in a row, so a
	# slow phase of the machine would fall on one implementation's samples
	# and show as a difference between implementations.
	(
		for ((r = 1; r <= count; r++)); do
			"$out/bin/$pkg.test" -test.run '^$' -test.bench "$regexp" -test.benchtime "$benchtime" \
				-test.count 1 -test.benchmem -test.timeout 30m || exit
		done
	) 2>&1 |
		while IFS= read -r line; do
			printf '%s\n' "$line" >>"$out/$raw"
			if [[ $line == Benchmark*ns/op* ]]; then
				results=$((results + 1))
				if $tty; then printf '\r\033[K'; progress; fi
			fi
		done
	status=${PIPESTATUS[0]}
	set -e
	cd "$root"
	done_est=$((done_est + est))
	if $tty; then printf '\r\033[K'; fi
	if ((status != 0)); then
		printf '[%d/%d] %s FAILED (exit %d); the last lines of %s:\n' "$i" "$n" "$label" "$status" "$OUT/$raw"
		tail -n 30 "$out/$raw"
		exit 1
	fi
	printf '[%d/%d] done in %s, ~%s left: %s\n' "$i" "$n" "$(fmt_time $((SECONDS - scen_started)))" \
		"$(fmt_time "$(awk -v e=$((SECONDS - bench_started)) -v d="$done_est" -v t="$total_est" 'BEGIN { print e / d * (t - d) }')")" "$what"
done

cat "$out/raw-bench.txt" "$out/raw-pkgs.txt" >"$out/raw.txt"
bench/stat.sh "$BENCHSTAT" "$out/raw-bench.txt" "$out/raw-pkgs.txt" 2>&1 | "$out/bin/plot" fold >"$out/benchstat.txt"
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
when="$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
"$out/bin/plot" summary -out "$out" -note "make bench, $when, $(nproc) cores, load average $load" \
	"$out/raw-bench.txt" >"$out/summary.txt"

echo
echo "== Summary ($when, $(nproc) cores, load average $load, $(fmt_time $((SECONDS - started))))"
cat "$out/summary.txt"
echo
echo "Saved in $OUT/: summary.txt (the above), benchstat.txt (full benchstat tables, all-zero ones folded),"
echo "  raw-bench.txt and raw-pkgs.txt (raw go test output), cost-per-event.svg and latency.svg (charts)."
