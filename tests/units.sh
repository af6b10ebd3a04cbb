#!/usr/bin/env bash
# The exposure of each systemd unit, as `systemd-analyze security
# --offline=true` measures it (0 safest, 10 worst): printed for each unit,
# and the run fails when one is above MAX (3.0, systemd's "OK").
#
#   bash tests/units.sh [MAX]
set -u
MAX=${1:-3.0}
HERE=$(cd "$(dirname "$0")/.." && pwd)
command -v systemd-analyze >/dev/null || { echo "units: systemd-analyze is missing"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
for u in "$HERE"/systemd/*.service; do
	n=$(basename "$u")
	sed 's|@SBINDIR@|/usr/sbin|g' "$u" >"$tmp/$n"
	out=$(systemd-analyze security --offline=true "$tmp/$n" 2>&1)
	score=$(echo "$out" | sed -n 's/^→ Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	if [ -z "$score" ]; then
		echo "$n: no score"
		echo "$out" | tail -n 5
		rc=1
		continue
	fi
	printf "%-30s exposure %s\n" "$n" "$score"
	if ! awk -v s="$score" -v m="$MAX" 'BEGIN { exit !(s <= m) }'; then
		echo "  above $MAX:"
		echo "$out" | grep "✗" | sed 's/^/    /'
		rc=1
	fi
done
exit $rc
