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
printf '%-6s %9s %9s %9s %9s %10s %10s %10s %10s %10s %10s\n' mode "rate/s" sent answered "not bkd" \
	"p50 us" "p99 us" "max us" "sent/s" "e2e p50" "e2e p99"
declare -A P99 P50 E2E
# B's end-to-end lag histogram (rbpd's replication_lag_us): "bound count"
lag_buckets() { jcli B "display remote-backup-profile rbp1" |
	jq -r '.profiles[0].service.replication_lag_us.buckets[] | "\(.[0]) \(.[1])"'; }
# the quantile q of the changes between two readings (files): a bucket's bound
lag_q() { awk -v f="$1" 'BEGIN { while ((getline l < f) > 0) { split(l, a, " "); b[a[1]] = a[2] } }
	{ n = $2 - b[$1]; if (n > 0) print $1, n }' "$2" |
	sort -n | awk -v q="$3" '{ c[NR] = $1; v[NR] = $2; t += $2 }
	END { if (t == 0) { print "-"; exit } s = 0
		for (i = 1; i <= NR; i++) { s += v[i]; if (s >= q * t) { print c[i]; exit } } }'; }
run=0
for rate in $RATES; do
	for mode in async sync; do
		run=$((run + 1))
		args=(-r "$(run_dir A)" -i eth1 -o -R "$rate" -d "$SECONDS_EACH" -k "r$run")
		[ $mode = sync ] && args+=(-s "$SYNC_MS")
		lag_buckets >"$ROOT/lag.before"
		out=$(ip netns exec "${DEV_NS[A]}" "$BIN/bench-sync-load" "${args[@]}") ||
			echo "  ($mode at $rate/s: not every request was answered)"
		line=$(echo "$out" | head -n 1)
		v() { [[ " $line" =~ \ $1=([^ ]*) ]] && echo "${BASH_REMATCH[1]}"; }
		sleep 0.5 # the last changes reach B
		lag_buckets >"$ROOT/lag.after"
		e50=$(lag_q "$ROOT/lag.before" "$ROOT/lag.after" 0.5)
		e99=$(lag_q "$ROOT/lag.before" "$ROOT/lag.after" 0.99)
		printf '%-6s %9s %9s %9s %9s %10s %10s %10s %10s %10s %10s\n' $mode "$rate" "$(v sent)" \
			"$(v answered)" "$(v not_backed)" "$(v p50_us)" "$(v p99_us)" "$(v max_us)" "$(v rate)" \
			"$e50" "$e99"
		E2E[$mode.$rate]=$(awk -v u="$e99" 'BEGIN { if (u == "-") print "nan"; else printf "%.3f", u / 1000 }')
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
echo "e2e: from a change made on A (its version) to applied in B's rbpd table, us (B's"
echo "     replication_lag_us over the run's changes; a bucket's upper bound, within 1/32)."

for rate in $RATES; do
	tg=-
	[ "$rate" = 10000 ] && tg="<=2"
	summary "sync_add_p99_${rate}_per_s" "${P99[sync.$rate]}" ms "$tg" async "${P99[async.$rate]}"
	summary "sync_add_p50_${rate}_per_s" "${P50[sync.$rate]}" ms - async "${P50[async.$rate]}"
	tg=-
	[ "$rate" = 100000 ] && tg="<=2"
	summary "e2e_lag_p99_${rate}_per_s" "${E2E[async.$rate]}" ms "$tg" - -
done
exit "$SUMMARY_BAD"
