#!/usr/bin/env bash
# Runs the named benchmarks one after the other, keeps each one's output in
# BUILDDIR/bench-out/NAME.out, and ends with one table of their headline
# figures (bench/summary.sh). `make bench` and `make bench-smoke` run it.
#
#   bash bench/run.sh BUILDDIR NAME...      (root)
#
# NAME: commit, table, failover, scale, rbs, switchover, resync, bfd, sync, kea (bench/NAME.sh;
# table is bench-table). SMOKE=1 runs each in its smoke mode (tiny sizes,
# seconds). Exit 1 when a benchmark failed or a headline figure is missing.
# Not root: a SKIP line, exit 0, or 1 under CI (CI=true).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:?usage: bash bench/run.sh BUILDDIR NAME...}
shift
# Network namespaces need root: without it, say so; a skip fails under CI
# (CI=true), as the unit and integration suites' skips do.
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: bench/run.sh $*: the benchmarks need root (network namespaces)"
	[ "${CI:-}" != true ]
	exit
fi
SMOKE=${SMOKE:-0}
export SMOKE
OUT=$BUILD/bench-out
mkdir -p "$OUT" || exit 2
failed=()
files=()
t_all=$SECONDS

for name in "$@"; do
	case $name in
	commit | failover | scale | rbs | switchover | resync | bfd | sync | kea) cmd=(bash "$HERE/$name.sh" "$BUILD") ;;
	table)
		if [ "$SMOKE" = 1 ]; then cmd=("$BUILD/bin/bench-table" 1000 10000)
		else cmd=("$BUILD/bin/bench-table"); fi ;;
	*) echo "bench/run.sh: unknown benchmark $name" >&2; exit 2 ;;
	esac
	t0=$SECONDS
	echo "== bench $name$([ "$SMOKE" = 1 ] && echo ' (smoke)'): ${cmd[*]}"
	"${cmd[@]}" 2>&1 | tee "$OUT/$name.out"
	rc=${PIPESTATUS[0]}
	echo "== bench $name: exit $rc, $((SECONDS - t0)) s"
	[ "$rc" = 0 ] || failed+=("$name")
	files+=("$OUT/$name.out")
done

echo
echo "== summary$([ "$SMOKE" = 1 ] && echo ' (smoke)'): $* in $((SECONDS - t_all)) s; outputs in $OUT"
bash "$HERE/summary.sh" "${files[@]}" || failed+=(summary)
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAILED: ${failed[*]}"
	exit 1
fi
