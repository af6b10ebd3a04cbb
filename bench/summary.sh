#!/usr/bin/env bash
# The benchmarks' headline figures, one table.
#
# Every benchmark prints each headline figure as one line:
#
#   SUMMARY NAME VALUE UNIT TARGET ANCHOR ANCHOR_VALUE
#
# NAME has no spaces; VALUE is a number (anything else, e.g. "nan", means
# the figure is missing: the benchmark broke); TARGET is "<=X", ">=X",
# "ratio<=X" (VALUE / ANCHOR_VALUE) or "-"; ANCHOR names the reference
# measured in the same run (fsync, keepalived, raw_tls, vrrp_takeover...)
# or "-", and ANCHOR_VALUE is its value in the same unit (or "-").
#
# Sourced (by the bench scripts): `summary NAME VALUE UNIT TARGET [ANCHOR
# ANCHOR_VALUE]` prints such a line, and sets SUMMARY_BAD=1 when VALUE (or
# a named anchor's value) is not a number.
#
# Run: `bash bench/summary.sh [FILE...]` (stdin without FILE) prints the
# table of every SUMMARY line found, with whether each target is met and
# the ratio VALUE / ANCHOR_VALUE; exits 1 when a figure is missing (not a
# number). SMOKE=1 adds that the sizes were tiny, so targets are not judged.

SUMMARY_BAD=${SUMMARY_BAD:-0}

summary_num() { [[ "$1" =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }

summary() {
	local name=$1 value=${2:-} unit=${3:--} target=${4:--} anchor=${5:--} aval=${6:--}
	if ! summary_num "$value"; then
		echo "bench: figure $name is missing (got '${value}')" >&2
		value=nan
		SUMMARY_BAD=1
	fi
	if [ "$anchor" != - ] && ! summary_num "$aval"; then
		echo "bench: anchor $anchor of $name is missing (got '${aval}')" >&2
		aval=nan
		SUMMARY_BAD=1
	fi
	echo "SUMMARY $name $value $unit $target $anchor $aval"
}

# Executed rather than sourced: print the table.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	cat "$@" | awk -v smoke="${SMOKE:-0}" '
		$1 != "SUMMARY" { next }
		{
			n++
			name[n] = $2; val[n] = $3; unit[n] = $4; tgt[n] = $5; an[n] = $6; av[n] = $7
			if (NF != 7 || $3 !~ /^-?[0-9.eE+-]+$/) bad++
			if ($6 != "-" && $7 !~ /^-?[0-9.eE+-]+$/) bad++
		}
		function num(x) { return x ~ /^-?[0-9.eE+-]+$/ }
		END {
			if (n == 0) { print "no SUMMARY line: no benchmark figure at all"; exit 1 }
			printf "%-34s %12s %-10s %-10s %-8s %-26s %7s\n", "figure", "value", "unit",
				"target", "result", "anchor (same run)", "ratio"
			for (i = 1; i <= n; i++) {
				ratio = "-"
				if (an[i] != "-" && num(val[i]) && num(av[i]) && av[i] + 0 != 0)
					ratio = sprintf("%.2f", val[i] / av[i])
				res = "-"
				t = tgt[i]
				if (!num(val[i])) res = "MISSING"
				else if (t ~ /^ratio<=/) {
					x = substr(t, 8) + 0
					if (ratio != "-") res = (ratio + 0 <= x) ? "met" : "MISSED"
				} else if (t ~ /^<=/) res = (val[i] + 0 <= substr(t, 3) + 0) ? "met" : "MISSED"
				else if (t ~ /^>=/) res = (val[i] + 0 >= substr(t, 3) + 0) ? "met" : "MISSED"
				if (smoke == 1 && res != "MISSING" && res != "-") res = "(" res ")"
				a = an[i] == "-" ? "-" : an[i] " " av[i]
				printf "%-34s %12s %-10s %-10s %-8s %-26s %7s\n", name[i], val[i], unit[i], t,
					res, a, ratio
			}
			if (smoke == 1)
				print "smoke run: tiny sizes, so the targets are shown but not judged (in parentheses)"
			if (bad) { printf "%d figure(s) missing\n", bad; exit 1 }
		}'
fi
