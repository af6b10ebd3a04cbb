#!/usr/bin/env bash
# Runs each fuzzer for SECONDS from its seed corpus, JOBS at a time (one
# per core by default: each fuzzer is single-threaded). A fuzzer that
# fails (a crash, a leak, a sanitizer report) fails the run, with the tail
# of its log shown; every fuzzer still runs to its end.
#
#   bash tests/fuzz/run.sh SECONDS FUZZER...
set -u
SECONDS_EACH=${1:?usage: bash tests/fuzz/run.sh SECONDS FUZZER...}
shift
JOBS=${FUZZ_JOBS:-$(nproc)}
HERE=$(cd "$(dirname "$0")" && pwd)

run_one() {
	local f=$1 n rc=0
	n=$(basename "$f" | sed 's/^fuzz_//')
	mkdir -p "$(dirname "$f")/corpus-$n"
	"$f" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
		"$(dirname "$f")/corpus-$n" "$HERE/corpus/$n" >"$(dirname "$f")/$n.log" 2>&1 || rc=$?
	{
		echo "== $f for $SECONDS_EACH s: exit $rc"
		grep -E 'stat::number_of_executed_units|Done' "$(dirname "$f")/$n.log"
		if [ "$rc" -ne 0 ]; then
			tail -n 60 "$(dirname "$f")/$n.log"
			echo "FAIL: $f exited $rc"
		fi
	} | flock "$(dirname "$f")/.out.lock" cat
	return "$rc"
}
export -f run_one
export SECONDS_EACH HERE

printf '%s\n' "$@" | xargs -P "$JOBS" -I{} bash -c 'run_one "$@"' _ {}
rc=$?
[ "$rc" -eq 0 ] || echo "FAIL: a fuzzer failed (xargs exit $rc)"
exit "$rc"
