#!/usr/bin/env bash
# `make bench-compare BASE=<git ref>`: the short benchmark set of BASE (built
# in a temporary git worktree) against the working tree, interleaved
# (old new new old old new ...) so that machine noise hits both alike; benchstat of
# old against new, then a verdict: one line per benchmark that got worse
# beyond the noise (p < 0.05 and more than 10%), or "no regression".
# Settings from the environment: GO BENCHSTAT OUT BASE SAMPLES.
# Exit status: 0 when the comparison ran or BASE has nothing to compare
# (a clear message says so); non-zero only for a bad BASE or a build error
# of the working tree.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GO:=go}" "${BENCHSTAT:=benchstat}" "${OUT:=bench/out}" "${BASE:=HEAD~1}" "${SAMPLES:=10}"
out="$OUT/compare"
mkdir -p "$out"
out=$(cd "$out" && pwd)
started=$SECONDS

# The short set: name pattern; benchtime. Ingest at 1/2/8 producers (cost per
# event and the AddEvent latency percentiles), a history read under a
# writer, a stream fan-out.
set_=(
	'^BenchmarkIngest$/^producers=(1|2|8)$/^impl=lockfree$;500000x'
	'^BenchmarkBatch$/^producers=8$/^mode=batch64$/^impl=lockfree$;500000x'
	'^BenchmarkHistoryRead$/^window=newest$/^writer=flatout$/^impl=lockfree$;100ms'
	'^BenchmarkFanout$/^consumers=16$/^impl=lockfree$;100ms'
)

if ! sha=$(git rev-parse --verify --quiet "$BASE^{commit}"); then
	echo "bench-compare: BASE=$BASE is not a commit here (a first commit has no parent; a shallow clone lacks it)."
	echo "bench-compare: nothing compared."
	exit 0
fi
short=$(git rev-parse --short "$sha")
tmp=$(mktemp -d)
cleanup() {
	git worktree remove --force "$tmp/base" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "bench-compare: building the benchmarks of BASE=$BASE ($short) and of the working tree"
git worktree add --quiet --detach "$tmp/base" "$sha"
if [ ! -d "$tmp/base/bench" ] || ! "$GO" -C "$tmp/base" test -c -o "$out/old.test" ./bench/ >"$out/old-build.txt" 2>&1; then
	echo "bench-compare: BASE $short has no benchmark package ./bench that builds (see $OUT/compare/old-build.txt):"
	echo "bench-compare: nothing compared (BASE predates the benchmarks, or they moved)."
	exit 0
fi
"$GO" test -c -o "$out/new.test" ./bench/
fold=cat # folds all-zero tables when the chart module builds
if "$GO" build -C bench/plot -o "$out/plot" . >/dev/null 2>&1; then fold="$out/plot fold"; fi

: >"$out/old.txt"
: >"$out/new.txt"
run() { # side: one sample of the whole set
	local side=$1 entry pattern benchtime
	for entry in "${set_[@]}"; do
		IFS=';' read -r pattern benchtime <<<"$entry"
		(cd bench && "$out/$side.test" -test.run '^$' -test.bench "$pattern" -test.benchtime "$benchtime" \
			-test.count 1 -test.benchmem -test.timeout 10m) >>"$out/$side.txt" 2>&1 ||
			{ echo "bench-compare: the $side benchmarks failed; the last lines of $OUT/compare/$side.txt:"; tail -n 20 "$out/$side.txt"; return 1; }
	done
}
# The order alternates (old new, new old, ...): with a fixed order, whatever
# favours the first or the second run of a pair (the machine settling after
# the previous sample, a neighbour's periodic work) would fall on one side.
for i in $(seq 1 "$SAMPLES"); do
	if ((i % 2)); then
		run old
		run new
	else
		run new
		run old
	fi
	if [ -t 1 ]; then printf '\rbench-compare: sample %d of %d (old and new) done, %ds' "$i" "$SAMPLES" $((SECONDS - started)); fi
done
[ -t 1 ] && echo

names() { sed -n 's/^Benchmark\([^ \t]*\)-[0-9]*[ \t].*/\1/p' "$1" | sort -u; }
only_new=$(comm -13 <(names "$out/old.txt") <(names "$out/new.txt"))
only_old=$(comm -23 <(names "$out/old.txt") <(names "$out/new.txt"))

{
	echo "benchstat: old = BASE $BASE ($short), new = working tree; $SAMPLES samples each, interleaved"
	echo
	"$BENCHSTAT" old="$out/old.txt" new="$out/new.txt" 2>&1 | grep -v '^\(goos\|goarch\|pkg\|cpu\):' |
		$fold
} >"$out/benchstat.txt"
cat "$out/benchstat.txt"

# Verdict from benchstat's CSV: a row per benchmark and unit with the change
# ("~" when not significant at alpha 0.05) and the p-value. Higher is worse
# for every unit except rates (ending in "/s").
verdict=$("$BENCHSTAT" -format csv old="$out/old.txt" new="$out/new.txt" 2>/dev/null | awk -F, '
	$6 == "vs base" { unit = $2; next }
	$1 == "" || $1 == "geomean" || $6 == "" || $6 == "~" { next }
	unit == "records/read" { next }
	{
		delta = $6; sub(/%$/, "", delta); delta += 0
		p = $7; sub(/^p=/, "", p); sub(/ .*/, "", p); p += 0
		worse = (unit ~ /\/s$/) ? -delta : delta
		if ($6 ~ /Inf/) worse = 100
		if (p < 0.05 && worse > 10) {
			name = $1; sub(/-[0-9]+$/, "", name)
			printf "worse: %s %s %s (p=%s)\n", name, unit, $6, p
		}
	}')
{
	echo
	if [ -n "$only_new" ]; then
		echo "not in BASE (new, or renamed since): $(echo $only_new)"
	fi
	if [ -n "$only_old" ]; then
		echo "only in BASE (removed, or renamed since): $(echo $only_old)"
	fi
	if [ -z "$(names "$out/old.txt")" ]; then
		echo "BASE $short has none of the benchmarks of the set: nothing to compare."
	elif [ -n "$verdict" ]; then
		echo "$verdict"
	else
		echo "no regression (nothing worse by more than 10% at p < 0.05)"
	fi
} | tee "$out/verdict.txt"
echo "bench-compare: $((SECONDS - started))s; raw samples, tables and verdict in $OUT/compare/"
