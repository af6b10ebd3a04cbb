#!/usr/bin/env bash
# Switchover benchmark: with N users backed up from A to B, how long from
# A's death until B serves the virtual addresses with every user restored,
# and how much memory each user costs on each device. Prints numbers; see
# bench/README.md.
#
#   bash bench/switchover.sh [BUILDDIR]        (root; default build)
#
# Environment: SIZES (default "0 10000 100000 1000000"; 0 is the reference:
# VRRP's own takeover and rbpd's reaction without users), PAYLOAD (bytes of
# each user's payload, default 64), RUNS (takeovers per size, default 3).
# WATCH=1: a service on B reads the restored users (dbuser watch
# dhcp-server, as Kea's hook does), so that rbpd packs each one for it;
# without one rbpd packs none (no service reads them).
# SMOKE=1: SIZES 1000, RUNS 1 (about 20 s), to show that it still runs.
# The headline figures end the output as SUMMARY lines (bench/summary.sh):
# per N > 0, the median restore added to VRRP's takeover (the anchor: that
# takeover, same runs) and B's rbpd bytes per user beyond key and payload.
#
# Each run: devices A and B and host H on a bridge, an RBS link with TLS,
# everything in network namespaces (tests/integration/lib.sh); VRRP groups
# 1 (odd MACs) and 2 (even MACs) with A master of both (priority 120, B
# 100, 1 s advertisements); N DHCP users given to A with dbuser load and
# replicated to B. Then every daemon of A gets SIGKILL and A's cables are
# pulled. Times, all CLOCK_REALTIME on this machine:
#   kill      just before the SIGKILLs
#   vrrp      vrrpd on B publishes Backup -> Master (the later of the two
#             groups), as vrrp-events -t receives it
#   restored  rbpd on B has made every user of that group its own and
#             announced them (its "Last takeover ... at")
#   announce  vrrpd on B sent the first gratuitous ARP of the later group:
#             after rbpd's takeover (docs/takeover.md; "ordered" says
#             whether it came after it for both groups)
# and "added" = restored - vrrp: what restoring adds to VRRP's takeover;
# "held" = announce - vrrp, per group, the larger: what waiting for the
# users adds to the announcement.
# Memory: VmRSS of rbpd (and rbsd) before the users and after B holds
# them all, per user, and that minus the user's key and payload.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${1:-build}
if [ "${SMOKE:-0}" = 1 ]; then
	SIZES=${SIZES:-1000} RUNS=${RUNS:-1}
fi
SIZES=${SIZES:-0 10000 100000 1000000}
PAYLOAD=${PAYLOAD:-64}
RUNS=${RUNS:-3}
me=bench/switchover.sh

. "$HERE/preflight.sh"
. "$HERE/summary.sh"
preflight $me "$BUILD" "make all tests" cfgd vrrpd rbsd rbpd dbcli dbuser vrrp-events
. "$TOP/tests/integration/lib.sh"
. "$HERE/pair_lib.sh"

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
now() { date +%s.%N; }



# DHCP users DEV holds (master and backup), is master of; the channel's state
rbp() { jcli "$1" "display remote-backup-profile rbp1" | jq -r ".profiles[0].$2"; }
held() { rbp "$1" 'users["dhcp-server"] | .master + .backup'; }
mastered() { rbp "$1" 'users["dhcp-server"].master'; }
vstate() { jcli "$1" "display vrrp" | jq -r --argjson v "$2" '.groups[] | select(.vrid == $v) | .state'; }
both_master() { [ "$(vstate "$1" 1)" = Master ] && [ "$(vstate "$1" 2)" = Master ]; }
restored_both() {
	[ "$("$BIN/dbcli" -r "$(run_dir B)" -c "display remote-backup-profile rbp1" |
		awk -v t="$1" '/Last takeover/ { split($NF, a, "."); if ($NF + 0 > t) n++ } END { print n + 0 }')" = 2 ]
}

# one N: prints "N run kill->vrrp kill->restored added restore_ms rss..."
one() {
	local n=$1 run=$2 keylen a0 b0 s0 a1 b1 s1 tk tv tr ms line vj ta th ord
	seg_create && dev_on_seg A 192.0.2.1/24 && dev_on_seg B 192.0.2.2/24 &&
		link_pair A 198.51.100.1/24 B 198.51.100.2/24 || return 1
	start_all A && start_all B || return 1
	pair_procedure A | cli A >/dev/null && pair_procedure B | cli B >/dev/null || return 1
	wait_until 20 both_master A || { echo "$me: A did not become master" >&2; return 1; }
	wait_until 20 eval '[ "$(held B)" = 0 ] && [ "$(rbp B service.channel)" = up ]' ||
		return 1
	a0=$(rss_kb "${DEV_PID[A.rbpd]}") b0=$(rss_kb "${DEV_PID[B.rbpd]}") s0=$(rss_kb "${DEV_PID[B.rbsd]}")
	if [ "$n" -gt 0 ]; then
		pair_users "$n" "$PAYLOAD" >"$ROOT/users"
		"$BIN/dbuser" -r "$(run_dir A)" load "$ROOT/users" >"$ROOT/load.out" ||
			{ cat "$ROOT/load.out" >&2; return 1; }
		rm -f "$ROOT/users"
		wait_until 300 eval '[ "$(held B)" = "$n" ]' || { echo "$me: B holds $(held B) of $n" >&2; return 1; }
	fi
	sleep 1
	a1=$(rss_kb "${DEV_PID[A.rbpd]}") b1=$(rss_kb "${DEV_PID[B.rbpd]}") s1=$(rss_kb "${DEV_PID[B.rbsd]}")
	"$BIN/vrrp-events" -r "$(run_dir B)" -t >"$ROOT/events" 2>&1 &
	DEV_PID[B.events]=$!
	if [ "${WATCH:-0}" = 1 ]; then
		"$BIN/dbuser" -r "$(run_dir B)" watch -t 600 dhcp-server >/dev/null 2>&1 &
		DEV_PID[B.watch]=$!
	fi
	sleep 0.5
	tk=$(now)
	for d in cfgd vrrpd rbsd rbpd; do stop9 A $d; done
	inns A ip link set eth1 down
	inns A ip link set eth2 down
	wait_until 30 restored_both "$tk" || { echo "$me: B did not restore" >&2; return 1; }
	[ "$(mastered B)" = "$n" ] || { echo "$me: B is master of $(mastered B) of $n users" >&2; return 1; }
	tv=$(awk '$6 == "Master" && $5 == "Backup" { t = $1 } END { print t }' "$ROOT/events")
	tr=$(cli B -c "display remote-backup-profile rbp1" | awk '/Last takeover/ { if ($NF + 0 > t) t = $NF + 0 } END { printf "%.6f", t }')
	# rbpd's own time: from the first restore's start to the last one's
	# end (groups that became master together share one walk)
	ms=$(cli B -c "display remote-backup-profile rbp1" | awk '/Last takeover/ {
		e = $NF + 0; b = e - $(NF - 3) / 1000
		if (n++ == 0 || b < lo) lo = b
		if (e > hi) hi = e } END { printf "%.1f", n ? (hi - lo) * 1000 : 0 }')
	vj=$(jcli B "display vrrp")
	ta=$(jq -r '[.groups[] | .announce.announced_ns] | max / 1e9' <<<"$vj")
	th=$(jq -r '[.groups[] | .announce.announced_ns - .announce.became_master_ns] | max / 1e6' <<<"$vj")
	ord=$(jcli B "display remote-backup-profile rbp1" | jq -r --argjson v "$vj" '
		[.profiles[0].bindings[] as $b | $v.groups[] | select(.vrid == $b.vrid) |
		 .announce.announced_ns >= $b.last_takeover.at_ns] | if all then "yes" else "no" end')
	keylen=$(awk -v n="$n" 'BEGIN { if (n == 0) { print 0; exit } s = 0; for (i = 0; i < n; i++) s += length("lease-" i); print s / n }')
	awk -v n="$n" -v r="$run" -v tk="$tk" -v tv="$tv" -v tr="$tr" -v ms="$ms" -v a0="$a0" -v a1="$a1" \
		-v b0="$b0" -v b1="$b1" -v s0="$s0" -v s1="$s1" -v k="$keylen" -v p="$PAYLOAD" \
		-v ta="$ta" -v th="$th" -v ord="$ord" 'BEGIN {
		pu = n ? 1 : 0
		printf "%8d %3d %9.1f %9.1f %7.1f %9.1f %9.1f %6.1f %4s", n, r, (tv - tk) * 1000, (tr - tk) * 1000,
			(tr - tv) * 1000, ms, (ta - tk) * 1000, th, ord
		if (n) printf " %8.0f %8.0f %8.0f %8.0f %8.0f\n", (a1 - a0) * 1024 / n, (b1 - b0) * 1024 / n,
			(a1 - a0) * 1024 / n - k - p, (b1 - b0) * 1024 / n - k - p, (s1 - s0) * 1024 / n
		else printf " %8s %8s %8s %8s %8s\n", "-", "-", "-", "-", "-" }'
}

make_certs "$ROOT/certs" || { echo "$me: openssl failed" >&2; exit 1; }
echo "# switchover: N users on A (DHCP, ${PAYLOAD}-byte payloads), A killed; times in ms from the kill"
echo "# memory: bytes per user of RSS growth (beyond: minus key and payload); rbsd on B"
printf "%8s %3s %9s %9s %7s %9s %9s %6s %4s %8s %8s %8s %8s %8s\n" N run vrrp restored added rbpd_ms \
	announce held ord A_rbpd B_rbpd A_beyond B_beyond B_rbsd
for n in $SIZES; do
	for run in $(seq "$RUNS"); do
		# (stdout to a file, not a pipe: one must run in this shell, DEV_PID)
		one "$n" "$run" >"$ROOT/row" ||
			{ echo "$me: run failed; logs:" >&2; tail -n 5 "$ROOT"/*/*.log >&2; exit 1; }
		cat "$ROOT/row"
		cat "$ROOT/row" >>"$ROOT/rows"
		# tear this topology down, keep the certificates
		for k in "${!DEV_PID[@]}"; do kill -9 "${DEV_PID[$k]}" 2>/dev/null; wait "${DEV_PID[$k]}" 2>/dev/null; unset "DEV_PID[$k]"; done
		for k in "${!DEV_NS[@]}"; do ip netns del "${DEV_NS[$k]}" 2>/dev/null; unset "DEV_NS[$k]"; done
		rm -rf "$ROOT/A" "$ROOT/B" "$ROOT/seg"
	done
done
if awk '$9 == "no"' "$ROOT/rows" | grep -q .; then
	echo "$me: a takeover was announced before rbpd had taken its users over" >&2
	SUMMARY_BAD=1
fi

# The headline figures, medians over the runs of each N > 0.
med() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$ROOT/rows" | sort -g |
	awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo
for n in $SIZES; do
	[ "$n" -gt 0 ] || continue
	summary "switchover_${n}_restore_added" "$(med "$n" 5)" ms "<=50" vrrp_takeover "$(med "$n" 3)"
	summary "switchover_${n}_announce_held" "$(med "$n" 8)" ms "<=50" vrrp_takeover "$(med "$n" 3)"
	summary "switchover_${n}_rbpd_B_beyond" "$(med "$n" 13)" B/user "<=200"
done
exit "$SUMMARY_BAD"
