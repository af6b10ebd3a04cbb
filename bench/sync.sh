#!/usr/bin/env bash
# Synchronous acknowledgment benchmark: the latency of an add through
# rbpd's user API when the answer waits for the peer (UserRequest.sync)
# against the asynchronous answer, at steady rates, in the same run.
# Prints numbers; see bench/README.md.
#
#   bash bench/sync.sh [BUILDDIR]      (root; default build)
#
# Environment: RATES (adds per second, "1000 10000 100000"), SECONDS_EACH
# (3), SYNC_MS (the bound, 1000). SMOKE=1: RATES 1000, 1 s each.
#
# Topology: devices A and B with the spec's procedure (preempt delay 0),
# the RBS channel over TLS on eth2 (tests/integration/lib.sh
# pair_with_host); A is master of the odd-MAC users. bench-sync-load
# (bench/sync_load.c) sends one add per request to A's rbpd, open loop,
# each answer measured from the moment its request was due. For each rate:
# async first, then sync, each with new users. Everything it creates is
# removed on exit, also on failure or Ctrl-C. Documentation addresses only,
# only inside the namespaces.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${1:-build}
RATES=${RATES:-1000 10000 100000}
SECONDS_EACH=${SECONDS_EACH:-3}
SYNC_MS=${SYNC_MS:-1000}
if [ "${SMOKE:-0}" = 1 ]; then
	RATES=${SMOKE_RATES:-1000}
	SECONDS_EACH=1
fi

me=bench/sync.sh
. "$HERE/preflight.sh"
. "$HERE/summary.sh"
preflight $me "$BUILD" "make all tests" cfgd vrrpd rbsd rbpd dbcli bench-sync-load

. "$TOP/tests/integration/lib.sh"

procedure() { demo_procedure "$1" "s|delay 600|delay 0|"; }
rbpj() { jcli "$1" "display remote-backup-profile rbp1" | jq -r ".profiles[0] | $2"; }
chan_up() { [ "$(rbpj "$1" .service.channel)" = up ]; }
a_master() { jcli A "display vrrp" | jq -e 'any(.groups[]; .vrid == 1 and .state == "Master")' >/dev/null; }
fail() {
	echo "$me: $*" >&2
	tail -n 5 "$ROOT"/A/rbpd.log "$ROOT"/A/rbsd.log >&2 2>/dev/null
	exit 1
}

pair_with_host || fail "cannot set up A and B"
wait_until 20 a_master && wait_until 20 chan_up A && wait_until 20 chan_up B ||
	fail "A is not master or the channel is not up"

echo "$me: $(uname -sr), $(nproc) CPU(s): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "one add per request, open loop, ${SECONDS_EACH} s per line; sync bound ${SYNC_MS} ms; RBS over TLS"
echo
printf '%-6s %9s %9s %9s %9s %10s %10s %10s %10s\n' mode "rate/s" sent answered "not bkd" \
	"p50 us" "p99 us" "max us" "sent/s"
declare -A P99 P50
run=0
for rate in $RATES; do
	for mode in async sync; do
		run=$((run + 1))
		args=(-r "$(run_dir A)" -i eth1 -o -R "$rate" -d "$SECONDS_EACH" -k "r$run")
		[ $mode = sync ] && args+=(-s "$SYNC_MS")
		out=$(ip netns exec "${DEV_NS[A]}" "$BIN/bench-sync-load" "${args[@]}") ||
			echo "  ($mode at $rate/s: not every request was answered)"
		line=$(echo "$out" | head -n 1)
		v() { [[ " $line" =~ \ $1=([^ ]*) ]] && echo "${BASH_REMATCH[1]}"; }
		printf '%-6s %9s %9s %9s %9s %10s %10s %10s %10s\n' $mode "$rate" "$(v sent)" \
			"$(v answered)" "$(v not_backed)" "$(v p50_us)" "$(v p99_us)" "$(v max_us)" "$(v rate)"
		echo "$out" | sed -n 's/^first not backed up: /    first not backed up: /p'
		P99[$mode.$rate]=$(awk -v u="$(v p99_us)" 'BEGIN { if (u == "") print "nan"; else printf "%.3f", u / 1000 }')
		P50[$mode.$rate]=$(awk -v u="$(v p50_us)" 'BEGIN { if (u == "") print "nan"; else printf "%.3f", u / 1000 }')
		[ "$(v answered)" = "$(v sent)" ] || P99[$mode.$rate]=nan
		[ $mode = sync ] && [ "$(v not_backed)" != 0 ] && P99[$mode.$rate]=nan
		sleep 1
	done
done
echo
echo "latency: from the moment a request was due to its answer (a late send counts)."
echo "not bkd: sync answers that said not backed up (a figure with any is not reported)."

for rate in $RATES; do
	tg=-
	[ "$rate" = 10000 ] && tg="<=2"
	summary "sync_add_p99_${rate}_per_s" "${P99[sync.$rate]}" ms "$tg" async "${P99[async.$rate]}"
	summary "sync_add_p50_${rate}_per_s" "${P50[sync.$rate]}" ms - async "${P50[async.$rate]}"
done
exit "$SUMMARY_BAD"
