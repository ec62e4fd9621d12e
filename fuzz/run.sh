#!/usr/bin/env bash
# Runs every native Go fuzz target of the given packages (default ./...) for
# FUZZTIME each and fails only on a real finding: a failing input written to
# testdata/fuzz, a panic, a race, a failing seed or check. A run that ends
# with nothing but a bare "context deadline exceeded" at the -fuzztime
# boundary is a race in Go's fuzz coordinator (golang/go#75804, fixed in Go
# 1.27), not a finding: such a target is run once more, and a second bare
# deadline is reported as a warning. See docs/fuzzing.md.
#
# Environment:
#   GO           go command (default: go)
#   FUZZTIME     -fuzztime per target (default: 30s)
#   FUZZPAR      targets fuzzed at the same time (default: 1)
#   FUZZCPU      -cpu for the targets, e.g. 4 (default: unset, GOMAXPROCS)
#   FUZZWORKERS  -parallel, fuzzing worker processes per target (default: unset)
#   FUZZTARGETS  extended regexp selecting target names (default: all)
#   FUZZLOGS     directory for one log per run (default: a new temporary one)
set -uo pipefail

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-30s}
FUZZPAR=${FUZZPAR:-1}
FUZZCPU=${FUZZCPU:-}
FUZZWORKERS=${FUZZWORKERS:-}
FUZZTARGETS=${FUZZTARGETS:-.}
FUZZLOGS=${FUZZLOGS:-$(mktemp -d "${TMPDIR:-/tmp}/fuzzlogs.XXXXXX")}
mkdir -p "$FUZZLOGS"
[ $# -gt 0 ] || set -- ./...

# corpus lists the files of target $2's corpus in package dir $1.
corpus() { ls "$1/testdata/fuzz/$2" 2>/dev/null; }

# bare reports whether log $1 shows a bare coordinator deadline: the
# deadline message and otherwise only the lines of a fuzzing run.
bare() {
	grep -q '^    context deadline exceeded$' "$1" || return 1
	! grep -Ev '^(fuzz: |warning: |--- FAIL: Fuzz[A-Za-z0-9_]* \([0-9.]+s\)$|    context deadline exceeded$|FAIL$|exit status [0-9]+$|FAIL	[^ ]+	[0-9.]+s$|$)' "$1" >/dev/null
}

# progress prints the last progress line of log $1 (elapsed, execs, new
# interesting), or nothing.
progress() { grep '^fuzz: elapsed' "$1" | tail -n 1 | sed 's/^fuzz: //'; }

# fuzz runs target $2 of package $1 (import path; $3: its directory) and
# prints one result line: pass, WARNING or FINDING. Its status is 1 on a
# finding.
fuzz() {
	local pkg=$1 target=$2 dir=$3 try log before status
	local args=(test -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME")
	[ -z "$FUZZCPU" ] || args+=(-cpu "$FUZZCPU")
	[ -z "$FUZZWORKERS" ] || args+=(-parallel "$FUZZWORKERS")
	for try in 1 2; do
		log=$FUZZLOGS/$target.$try.log
		before=$(corpus "$dir" "$target")
		"$GO" "${args[@]}" "$pkg" >"$log" 2>&1
		status=$?
		if [ "$(corpus "$dir" "$target")" != "$before" ]; then
			echo "FINDING $pkg $target: new input in $dir/testdata/fuzz/$target (log: $log)"
			grep -E '^\s+(Failing input written to|To re-run:)|^\s+go test ' "$log" | sed 's/^/    /'
			return 1
		fi
		if [ $status -eq 0 ]; then
			echo "pass    $pkg $target ($FUZZTIME${FUZZCPU:+, -cpu $FUZZCPU}): $(progress "$log")"
			return 0
		fi
		if ! bare "$log"; then
			echo "FINDING $pkg $target: go test failed (log: $log)"
			grep -v '^fuzz: elapsed' "$log" | head -n 40 | sed 's/^/    /'
			return 1
		fi
		echo "retry   $pkg $target: bare 'context deadline exceeded' at the -fuzztime boundary (golang/go#75804); $(progress "$log")"
	done
	echo "WARNING $pkg $target: bare coordinator deadline twice; not a finding (logs: $FUZZLOGS/$target.*.log)"
	return 0
}

jobs_run=0
failed=0
while read -r pkg dir; do
	if ! list=$("$GO" test -list '^Fuzz' "$pkg" 2>&1); then
		echo "FINDING $pkg: its tests do not build"
		echo "$list" | head -n 20 | sed 's/^/    /'
		failed=1
		continue
	fi
	for target in $(echo "$list" | grep -E '^Fuzz' | grep -E -- "$FUZZTARGETS"); do
		if [ "$jobs_run" -ge "$FUZZPAR" ]; then
			wait -n || failed=1
			jobs_run=$((jobs_run - 1))
		fi
		echo "start   $pkg $target ($(date -u +%H:%M:%S) UTC)"
		fuzz "$pkg" "$target" "$dir" &
		jobs_run=$((jobs_run + 1))
	done
done < <("$GO" list -f '{{.ImportPath}} {{.Dir}}' "$@")
while [ "$jobs_run" -gt 0 ]; do
	wait -n || failed=1
	jobs_run=$((jobs_run - 1))
done
echo "logs in $FUZZLOGS"
if [ $failed -ne 0 ]; then
	echo "make fuzz: FAILED: a real finding (see FINDING above)"
	exit 1
fi
