#!/usr/bin/env bash
# Instructions per event, counted by valgrind's cachegrind (deterministic, so
# unlike timings it does not depend on what else the machine runs): one
# goroutine adds events to each subject, once 200000 and once 400000, and the
# difference in instructions is divided by the 200000 extra events. Subjects:
# the lock-free event system and the one-mutex system of the ingest scenario
# (publisher off: the store fills and then only counts), one AddEvent per
# event and AddEvents of 64. The probe is TestInstructionCount in
# bench/icount_test.go. Needs valgrind (Debian: apt-get install valgrind).
#
# Usage: bash bench/icount.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "icount: valgrind not found (apt-get install valgrind)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/bench.test" ./bench
count() { # impl batch events -> instructions of the whole run
	LFEVENTS_ICOUNT="$1,$2,$3" GOGC=off GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=no \
		--cachegrind-out-file="$tmp/cg.out" "$tmp/bench.test" -test.run '^TestInstructionCount$' 2>&1 |
		awk '/I *refs:/ { gsub(",", "", $NF); print $NF }'
}
printf '%-10s %-10s %s\n' impl mode "instructions/event"
for batch in 0 64; do
	mode=single; [ "$batch" = 0 ] || mode="batch$batch"
	for impl in lockfree mutex; do
		a=$(count "$impl" "$batch" 200000)
		b=$(count "$impl" "$batch" 400000)
		printf '%-10s %-10s %d\n' "$impl" "$mode" $(((b - a) / 200000))
	done
done
