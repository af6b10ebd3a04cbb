#!/usr/bin/env bash
# Resync benchmark: how long a device whose rbpd restarted (its table
# empty) takes to hold the peer's whole table again, rbpd to rbpd over
# TLS, and how long putting the peer's neighbours into its kernel takes.
# Prints numbers; see bench/README.md.
#
#   bash bench/resync.sh [BUILDDIR]        (root; default build)
#
# Environment: USERS (DHCP users, default 1000000), NEIGH (IPv6 neighbours,
# default 100000), PAYLOAD (bytes of a DHCP user's payload, default 64),
# RUNS (restarts per part, default 3). SMOKE=1: USERS 2000, NEIGH 1000,
# RUNS 1 (about 30 s), to show that it still runs.
# The headline figures end the output as SUMMARY lines (bench/summary.sh):
# the medians of "restart to whole" for each part.
#
# Each part: devices A and B on a segment, an RBS link with TLS, in network
# namespaces (tests/integration/lib.sh); VRRP groups 1 (odd MACs) and 2
# (even MACs), A master of both; peer-backup hot.
#  users  USERS DHCP users given to A with dbuser load, replicated to B.
#  neigh  NEIGH neighbours 2001:db8:1::/64 added to A's kernel on eth1
#         (permanent: past the GC thresholds without tuning them), which
#         A's rbpd learns as ND users; B's rbpd installs each in B's kernel
#         (peer-backup hot).
# Then, RUNS times: B's rbpd gets SIGKILL (for neigh, B's installs are
# flushed from its kernel too), is started again, and asks A for its
# batch. Times, from just before the start (CLOCK_REALTIME, the log's
# millisecond stamps):
#   whole     B's rbpd logs "batch backup from the peer complete": every
#             user held (and, for neigh, written into the kernel: rbpd
#             installs a hot backup's neighbour as it applies the entry)
#   batch     the batch itself, first to last entry, as rbpd logs it
# and B's kernel is checked to hold every neighbour afterwards.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${1:-build}
if [ "${SMOKE:-0}" = 1 ]; then
	USERS=${USERS:-2000} NEIGH=${NEIGH:-1000} RUNS=${RUNS:-1}
fi
USERS=${USERS:-1000000}
NEIGH=${NEIGH:-100000}
PAYLOAD=${PAYLOAD:-64}
RUNS=${RUNS:-3}
me=bench/resync.sh

. "$HERE/preflight.sh"
. "$HERE/summary.sh"
preflight $me "$BUILD" "make all tests" cfgd vrrpd rbsd rbpd dbcli dbuser
. "$TOP/tests/integration/lib.sh"
. "$HERE/pair_lib.sh"

# neighbours N: `ip -batch` lines adding N permanent neighbours on eth1
neighbours() {
	awk -v n="$1" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "neigh add 2001:db8:1::%x:%x lladdr 02:dd:%02x:%02x:%02x:%02x dev eth1 nud permanent\n",
				int(i / 65536) + 1, i % 65536, int(i / 16777216) % 256, int(i / 65536) % 256,
				int(i / 256) % 256, i % 256 }'
}

rbp() { jcli "$1" "display remote-backup-profile rbp1" | jq -r ".profiles[0].$2"; }
held() { rbp "$1" "users[\"$2\"] | .master + .backup"; }
vstate() { jcli "$1" "display vrrp" | jq -r --argjson v "$2" '.groups[] | select(.vrid == $v) | .state'; }
both_master() { [ "$(vstate "$1" 1)" = Master ] && [ "$(vstate "$1" 2)" = Master ]; }
installed() { jcli B "display remote-backup-profile rbp1" | jq -r '.kernel.installed'; }
kernel_neigh() { inns B ip -6 neigh show dev eth1 nud permanent | grep -c '^2001:db8:1::'; }
# ms since midnight of "HH:MM:SS.mmm" (the log's stamp) or of now
ms_of() { awk '{ split($1, t, /[:.]/); printf "%d\n", ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4] }'; }
now_ms() { date +%H:%M:%S.%3N | ms_of; }

setup() {
	seg_create && dev_on_seg A 192.0.2.1/24 && dev_on_seg B 192.0.2.2/24 &&
		link_pair A 198.51.100.1/24 B 198.51.100.2/24 || return 1
	inns A ip -6 addr add 2001:db8:1::1/64 dev eth1 nodad &&
		inns B ip -6 addr add 2001:db8:1::2/64 dev eth1 nodad || return 1
	start_all A && start_all B || return 1
	pair_procedure A | cli A >/dev/null && pair_procedure B | cli B >/dev/null || return 1
	wait_until 20 both_master A || { echo "$me: A did not become master" >&2; return 1; }
	wait_until 20 eval '[ "$(rbp B service.channel)" = up ]' || return 1
}

teardown() {
	local k
	for k in "${!DEV_PID[@]}"; do kill -9 "${DEV_PID[$k]}" 2>/dev/null; wait "${DEV_PID[$k]}" 2>/dev/null; unset "DEV_PID[$k]"; done
	for k in "${!DEV_NS[@]}"; do ip netns del "${DEV_NS[$k]}" 2>/dev/null; unset "DEV_NS[$k]"; done
	rm -rf "$ROOT/A" "$ROOT/B" "$ROOT/seg"
}

# restart PART TYPE N RUN: B's rbpd killed and started again; prints
# "PART N RUN whole_ms batch_ms"
restart() {
	local part=$1 type=$2 n=$3 run=$4 before t0 line t1 bms
	stop9 B rbpd
	[ "$part" = neigh ] && inns B ip -6 neigh flush dev eth1 nud permanent
	before=$(grep -c "batch backup from the peer complete" "$ROOT/B/rbpd.log")
	t0=$(now_ms)
	start B rbpd
	wait_until 120 eval '[ "$(grep -c "batch backup from the peer complete" "$ROOT/B/rbpd.log")" -gt "$before" ]' ||
		{ echo "$me: B's rbpd never completed a batch" >&2; return 1; }
	line=$(grep "batch backup from the peer complete" "$ROOT/B/rbpd.log" | tail -n 1)
	t1=$(echo "$line" | ms_of)
	bms=$(echo "$line" | sed -n 's/.* users in \([0-9.]*\) ms.*/\1/p')
	echo "$line" | grep -q "tables agree" || { echo "$me: $line" >&2; return 1; }
	[ "$(held B "$type")" = "$n" ] || { echo "$me: B holds $(held B "$type") of $n" >&2; return 1; }
	if [ "$part" = neigh ]; then
		[ "$(kernel_neigh)" = "$n" ] ||
			{ echo "$me: B's kernel holds $(kernel_neigh) of $n neighbours" >&2; return 1; }
	fi
	printf "%6s %8d %3d %9d %9s\n" "$part" "$n" "$run" $(((t1 - t0 + 86400000) % 86400000)) "$bms"
}

part() {
	local part=$1 n=$2 type run
	setup || return 1
	if [ "$part" = users ]; then
		type=dhcp-server
		pair_users "$n" "$PAYLOAD" >"$ROOT/users"
		"$BIN/dbuser" -r "$(run_dir A)" load "$ROOT/users" >"$ROOT/load.out" ||
			{ cat "$ROOT/load.out" >&2; return 1; }
		rm -f "$ROOT/users"
	else
		type=nd
		neighbours "$n" >"$ROOT/neigh"
		inns A ip -6 -batch "$ROOT/neigh" || return 1
		rm -f "$ROOT/neigh"
	fi
	wait_until 300 eval '[ "$(held B "$type")" = "$n" ]' ||
		{ echo "$me: B holds $(held B "$type") of $n $type users (A: $(held A "$type"))" >&2
		  jcli B "display remote-backup-profile rbp1" | jq -c .kernel >&2; return 1; }
	for run in $(seq "$RUNS"); do
		restart "$part" "$type" "$n" "$run" || return 1
	done
}

make_certs "$ROOT/certs" || { echo "$me: openssl failed" >&2; exit 1; }
echo "# resync: B's rbpd restarted empty; ms from its start until it holds A's whole table"
echo "# (whole), and the batch alone as rbpd logs it; neigh: B's kernel holds each too"
printf "%6s %8s %3s %9s %9s\n" part N run whole batch
for p in users neigh; do
	n=$USERS
	[ "$p" = neigh ] && n=$NEIGH
	part "$p" "$n" >"$ROOT/rows.$p" ||
		{ cat "$ROOT/rows.$p"; echo "$me: $p failed; logs:" >&2; tail -n 5 "$ROOT"/*/*.log >&2; exit 1; }
	cat "$ROOT/rows.$p"
	teardown
done

med() { awk -v c="$2" '{ print $c }' "$ROOT/rows.$1" | sort -g |
	awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo
summary "resync_${USERS}_users_whole" "$(med users 4)" ms "<=1000"
summary "resync_${USERS}_users_batch" "$(med users 5)" ms -
summary "resync_${NEIGH}_neigh_installed" "$(med neigh 4)" ms "<=500"
exit "$SUMMARY_BAD"
