#!/usr/bin/env bash
# Line coverage per directory of the production code (gcovr over gcov's
# data from a COV=1 build): the unit suites alone, and with `integration`
# the unit and integration suites together. `make coverage` runs it.
#
#   bash tests/coverage.sh BUILDDIR [integration]
#
# Prints one table: directory, lines, and the % covered by each run. The
# unit suites must pass; an integration suite that fails is reported and
# fails the run after the table (its coverage still counts). Daemons that
# the integration suites kill with SIGKILL or run as another user leave
# no data: their lines count as not covered.
set -u
BUILD=${1:?usage: bash tests/coverage.sh BUILDDIR [integration]}
WITH_INTEGRATION=${2:-}
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 2
command -v gcovr >/dev/null || { echo "coverage: gcovr is missing (make deps installs it)"; exit 2; }
[ -d "$BUILD/tests" ] || { echo "coverage: no $BUILD/tests; run: make COV=1 all tests"; exit 2; }

DIRS="agentx bfd cfgd cli common kea metricsd rbpclient rbpd rbsd vrrpd"
FILTER=$(for d in $DIRS; do printf -- '--filter %s/ ' "$d"; done)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# summary NAME: per directory "DIR LINES COVERED" from gcovr's CSV
# (filename,line_total,line_covered,...), the whole as "all".
summary() {
	# shellcheck disable=SC2086
	# not $BUILD/prod: make install's objects (cli.sh) are the same
	# sources built without the test hooks, which gcovr cannot merge
	gcovr --root . --object-directory "$BUILD" $FILTER --exclude-directories "$BUILD/prod" \
		--csv "$tmp/$1.csv" >/dev/null 2>"$tmp/$1.err" ||
		{ cat "$tmp/$1.err"; return 1; }
	awk -F, 'NR > 1 { split($1, p, "/"); t[p[1]] += $2; c[p[1]] += $3; T += $2; C += $3 }
		END { for (d in t) print d, t[d], c[d]; print "~all", T, C }' "$tmp/$1.csv" | sort >"$tmp/$1.sum"
}

find "$BUILD" -name '*.gcda' -delete
rc=0
for t in "$BUILD"/tests/check_*; do
	[ -x "$t" ] || continue
	"$t" >"$tmp/unit.log" 2>&1 || { cat "$tmp/unit.log"; echo "coverage: $t failed"; exit 1; }
done
summary unit || exit 1

if [ "$WITH_INTEGRATION" = integration ]; then
	# a suite that runs make (cli.sh's make install) links the
	# instrumented objects as the instrumented build does
	export COV=1
	for s in tests/integration/*.sh; do
		case $s in *lib.sh) continue ;; esac
		echo "== $s"
		bash "$s" "$BUILD" >"$tmp/integ.log" 2>&1 || { tail -n 20 "$tmp/integ.log"; rc=1; }
		grep -E "passed|^not ok" "$tmp/integ.log" | tail -n 5
	done
	summary all || exit 1
fi

echo
if [ -f "$tmp/all.sum" ]; then
	printf '%-10s %8s %8s %10s\n' directory lines unit% "+integ%"
	join "$tmp/unit.sum" "$tmp/all.sum" | sed 's/^~//' | awk '{ printf "%-10s %8d %7.1f%% %9.1f%%\n", $1, $2, $2 ? 100 * $3 / $2 : 0, $4 ? 100 * $5 / $4 : 0 }'
else
	printf '%-10s %8s %8s\n' directory lines unit%
	sed 's/^~//' "$tmp/unit.sum" | awk '{ printf "%-10s %8d %7.1f%%\n", $1, $2, $2 ? 100 * $3 / $2 : 0 }' 
fi
exit $rc
