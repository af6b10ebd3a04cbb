#!/usr/bin/env bash
# Failover benchmark: how long a host loses the virtual address when the
# VRRP master crashes or leaves, with our suite and with keepalived, as
# seen from the host. Prints numbers; see bench/README.md.
#
#   bash bench/failover.sh [BUILDDIR] [RUNS]      (root; defaults: build, 10)
#
# Environment (to run a part of it; the defaults run everything):
#   IMPLS="ours keepalived"   implementations
#   INTERVALS="1 0.1"         advertisement intervals in seconds (multiples of 0.01)
#   SCENARIOS="crash graceful bfd"
#   OUT=DIR                   keep every run's probe log and results.tsv in DIR
#   BFD_MS=10 BFD_MULT=3      the bfd scenario's session timers (both devices)
#   IDLE=30                   seconds of the idle window at those timers
#                             (IDLE=600: the ten minutes of issue 17; smoke: 3)
#
# bfd: the crash of the master as above, with VRRP at 100 ms and each
# device running a BFD session to the other at BFD_MS x BFD_MULT: ours with
# B tracking its session as the master's (`track bfd-session ... peer`),
# keepalived with `track_bfd` on the same sessions (its bfd process, at the
# same timers). Runs at the 100 ms interval only. Pings every 3 ms at
# intervals under 1 s (10 ms at 1 s). After the runs, an idle window at
# those timers counts spurious transitions (VRRP and BFD, both devices).
#
# Quick smoke test: IMPLS=ours INTERVALS=0.1 bash bench/failover.sh build 2
# SMOKE=1: the defaults become RUNS 1, INTERVALS 0.1 (ours and keepalived,
# both scenarios, about 30 s); every figure must come out (a probe that saw
# no takeover fails the run). The headline figures end the output as
# SUMMARY lines (bench/summary.sh): per interval and scenario our median
# advert gap and outage, keepalived's as the anchor.
#
# Topology (tests/integration/lib.sh): routers A (192.0.2.1) and B
# (192.0.2.2) and host H (192.0.2.10) on a bridge, each in its own network
# namespace; VIP 192.0.2.100 on vrid 1, A priority 120, B 100, preemption
# without delay. H runs bench-failover-probe (bench/failover_probe.c, built
# by `make tests`):
# echo requests to the VIP every 10 ms and every VRRP advertisement on its
# interface, with the kernel's receive timestamps.
#
# Everything it creates (namespaces, daemons, keepalived and its children,
# the probe, the temp directory) is recorded and removed on exit, also on
# failure or Ctrl-C. Documentation addresses only, only in the namespaces.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${1:-build}
DEF_RUNS=10
if [ "${SMOKE:-0}" = 1 ]; then
	DEF_RUNS=1
	INTERVALS=${INTERVALS:-0.1}
	IDLE=${IDLE:-3}
fi
RUNS=${2:-$DEF_RUNS}
IMPLS=${IMPLS:-ours keepalived}
INTERVALS=${INTERVALS:-1 0.1}
SCENARIOS=${SCENARIOS:-crash graceful bfd}
OUT=${OUT:-}
BFD_MS=${BFD_MS:-10}
BFD_MULT=${BFD_MULT:-3}
BFD_IVL_MS=100 # the VRRP interval of the bfd scenario
IDLE=${IDLE:-30}
SCEN_BFD=0

me=bench/failover.sh
. "$HERE/preflight.sh"
. "$HERE/summary.sh"
preflight $me "$BUILD" "make all tests" cfgd vrrpd rbsd rbpd dbcli bench-failover-probe
case " $IMPLS " in *" keepalived "*) need_keepalived $me ;; esac
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "$me: RUNS must be a positive number" >&2; exit 2; }
[[ "$IDLE" =~ ^[0-9]+$ && "$BFD_MS" =~ ^[1-9][0-9]*$ && "$BFD_MULT" =~ ^[1-9][0-9]*$ ]] ||
	{ echo "$me: IDLE, BFD_MS and BFD_MULT must be numbers" >&2; exit 2; }
PROBE=$BIN/bench-failover-probe
if [ -n "$OUT" ]; then
	mkdir -p "$OUT" || exit 2
	OUT=$(cd "$OUT" && pwd)
fi

# lib.sh: namespaces, daemons (DEV_PID), cleanup on exit. Every process we
# start is recorded in DEV_PID, so that its cleanup ends it.
. "$TOP/tests/integration/lib.sh"
. "$HERE/vrrp_lib.sh"

# Our own copy of the binaries: a rebuild while the benchmark runs must not
# mix versions (daemons are restarted during it).
mkdir -p "$ROOT/bin" && cp "$BIN"/{cfgd,vrrpd,rbsd,rbpd,dbcli,bench-failover-probe} "$ROOT/bin/" || exit 1
BIN=$ROOT/bin
PROBE=$BIN/bench-failover-probe

VIP=192.0.2.100
ADDR_A=192.0.2.1
ADDR_B=192.0.2.2
PRIO_A=120
PRIO_B=100
RESULTS=$ROOT/results.tsv
: >"$RESULTS"
# The probe says "go" through this FIFO, held open here for reading and
# writing so that neither side ever blocks on opening it.
FIFO=$ROOT/go.fifo
mkfifo "$FIFO" && exec 3<>"$FIFO" || exit 1

# ms SECONDS: the interval in milliseconds.
ms() { awk -v s="$1" 'BEGIN { printf "%d", s * 1000 + 0.5 }'; }
ivl_word() { if [ $(($1 % 1000)) = 0 ]; then echo "$(($1 / 1000)) s"; else echo "$1 ms"; fi; }

# ---- our suite --------------------------------------------------------------

our_state() { vrrp_state "$1" $VIP; }
our_is() { [ "$(our_state "$1")" = "$2" ]; }
ours_settled() { our_is A Master && our_is B Backup; }

# ours_configure DEV PRIORITY INTERVAL_MS
ours_configure() {
	local t
	if [ $(($3 % 1000)) = 0 ]; then t=$(($3 / 1000)); else t="$3 msec"; fi
	cli "$1" -q -c "system-view" -c "vrrp version v3" -c "interface eth1" \
		-c "vrrp vrid 1 virtual-ip $VIP" -c "vrrp vrid 1 priority $2" \
		-c "vrrp vrid 1 timer advertise $t" -c "vrrp vrid 1 preempt-mode timer delay 0" \
		-c "commit" >/dev/null
}

ours_start() {
	start_all A && start_all B || fail "our daemons did not come up"
}

ours_crash() {
	local d pids=()
	for d in cfgd vrrpd rbsd rbpd; do pids+=("${DEV_PID[A.$d]}"); done
	kill -STOP "${pids[@]}"
	inns A ip link set eth1 down
	kill -KILL "${pids[@]}"
	for d in cfgd vrrpd rbsd rbpd; do
		wait "${DEV_PID[A.$d]}" 2>/dev/null
		unset "DEV_PID[A.$d]"
	done
}

ours_graceful() {
	kill -TERM "${DEV_PID[A.vrrpd]}"
	wait "${DEV_PID[A.vrrpd]}" 2>/dev/null
	unset "DEV_PID[A.vrrpd]"
}

ours_restore() {
	if [ "$1" = crash ]; then
		inns A ip link set eth1 up
		start_all A || fail "A did not come back"
	else
		start A vrrpd
		wait_sync A || fail "A's vrrpd did not come back"
	fi
}

# ours_bfd on|off: the bfd scenario's sessions (A: ab, B: ba, on eth1 at
# BFD_MS x BFD_MULT) and B's peer track of its session to A; off removes
# them.
ours_bfd() {
	if [ "$1" = off ]; then
		cli B -q -c "system-view" -c "interface eth1" \
			-c "undo vrrp vrid 1 track bfd-session session-name ba" -c "quit" \
			-c "undo bfd ba" -c "commit" >/dev/null &&
			cli A -q -c "system-view" -c "undo bfd ab" -c "commit" >/dev/null
		return
	fi
	ours_bfd_session A ab $ADDR_A $ADDR_B && ours_bfd_session B ba $ADDR_B $ADDR_A &&
		cli B -q -c "system-view" -c "interface eth1" \
			-c "vrrp vrid 1 track bfd-session session-name ba peer" -c "commit" >/dev/null
}
ours_bfd_session() {
	cli "$1" -q -c "system-view" -c "bfd" -c "quit" \
		-c "bfd $2 bind peer-ip $4 interface eth1 source-ip $3" \
		-c "min-tx-interval $BFD_MS" -c "min-rx-interval $BFD_MS" \
		-c "detect-multiplier $BFD_MULT" -c "commit" >/dev/null
}
bfd_state() { jcli "$1" "display bfd session" 2>/dev/null | jq -r '.sessions[0].state'; }
ours_bfd_up() { [ "$(bfd_state A)" = Up ] && [ "$(bfd_state B)" = Up ]; }

# ---- keepalived ---------------------------------------------------------------

ka_settled() { ka_is A MASTER && ka_is B BACKUP; }

# ka_up DEV PRIORITY: keepalived on DEV as the scenario wants it. With the
# bfd scenario, a bfd_instance to the other device at BFD_MS x BFD_MULT
# that the group tracks with track_bfd, weight 10. keepalived makes of a
# tracked session a priority change (a weight) or FAULT (no weight), and
# FAULT on the backup when the master dies would stop it from taking over
# at all (vrrp_scheduler.c, vrrp_handle_bfd_event): the weight is the form
# that keeps the takeover.
ka_up() {
	local peer me
	if [ "$SCEN_BFD" != 1 ]; then
		ka_start "$1" "$2" "$IVL_S"
		return
	fi
	[ "$1" = A ] && me=$ADDR_A peer=$ADDR_B || me=$ADDR_B peer=$ADDR_A
	KA_BFD=1 ka_run "$1" < <(
		printf 'bfd_instance peer {\n\tneighbor_ip %s\n\tsource_ip %s\n\tmin_rx %s\n\tmin_tx %s\n\tmultiplier %s\n}\n' \
			"$peer" "$me" "$BFD_MS" "$BFD_MS" "$BFD_MULT"
		ka_instance VI_1 eth1 1 "$2" "$IVL_S" "$VIP/32" |
			sed 's/^}$/\ttrack_bfd {\n\t\tpeer weight 10\n\t}\n}/'
	)
}
# keepalived's bfd process logs "(peer) Entering Up state" (bfd_scheduler.c).
ka_bfd_up_on() { grep -ai "(peer) Entering" "$ROOT/$1/keepalived.log" | tail -n 1 | grep -qi "up state"; }
ka_bfd_up() { ka_bfd_up_on A && ka_bfd_up_on B; }

ka_crash() {
	# shellcheck disable=SC2046
	kill -STOP $(ka_pids A)
	inns A ip link set eth1 down
	ka_kill A KILL
}

ka_graceful() {
	ka_kill A TERM
}

ka_restore() {
	if [ "$1" = crash ]; then
		inns A ip link set eth1 up
		# What a router that died leaves: keepalived would not remove it.
		inns A ip addr del $VIP/32 dev eth1 2>/dev/null
	fi
	ka_up A $PRIO_A || fail "keepalived did not start on A"
}

# ---- one run ---------------------------------------------------------------------

# analyse LOG: "GAP OUTAGE END" in ms from a probe log: the gap between the
# last advertisement from A and the first from B (priority > 0), and the
# longest interval between two echo replies.
analyse() {
	awk -v a=$ADDR_A -v b=$ADDR_B '
		$1 == "adv" && $3 == b && $4 > 0 && tb == "" { tb = $2 }
		$1 == "adv" && $3 == a && tb == "" { ta = $2 }
		$1 == "rep" { if (last != "" && $2 - last > out) out = $2 - last; last = $2 }
		$1 == "end" { how = $2 }
		END {
			# Without the end of the outage (a probe timeout) its length is unknown.
			printf "%s %s %s\n", (ta == "" || tb == "") ? "nan" : sprintf("%.1f", tb - ta),
				(out == "" || how != "ok") ? "nan" : sprintf("%.1f", out), how == "" ? "none" : how
		}' "$1"
}

# run_one IMPL SCENARIO N: the event of run N falls (N - 0.5) / RUNS of an
# interval after one of A's advertisements (as H receives them), so that
# the runs sweep the phase evenly, the same phases for every implementation.
run_one() {
	local impl=$1 scen=$2 n=$3 log pid rc phase gap out how act=$2 ping=10
	log=$ROOT/probe-$impl-$IVL_MS-$scen-$n.log
	phase=$(((2 * n - 1) * IVL_MS / (2 * RUNS)))
	[ "$IVL_MS" -lt 1000 ] && ping=3
	[ "$scen" = bfd ] && act=crash
	ip netns exec "${DEV_NS[H]}" "$PROBE" -i eth1 -d $VIP -s $ADDR_B -k 30 -p $ping -T $((7 * IVL_MS + 8000)) \
		-g "$FIFO" -P $phase >"$log" 2>&1 &
	pid=$!
	DEV_PID[H.probe]=$pid
	read -r -t $((2 * IVL_MS / 1000 + 6)) _ <&3 ||
		fail "the probe saw no master or no reply ($(tail -n 2 "$log"))"
	if [ "$impl" = ours ]; then "ours_$act"; else "ka_$act"; fi
	wait "$pid"
	rc=$?
	unset "DEV_PID[H.probe]"
	read -r gap out how < <(analyse "$log")
	echo "$impl $IVL_MS $scen $n $gap $out $how" >>"$RESULTS"
	[ -n "$OUT" ] && cp "$log" "$OUT/"
	printf '  %-10s %-6s %-8s run %2d: advert gap %7s ms, outage %7s ms\n' "$impl" \
		"$(ivl_word "$IVL_MS")" "$scen" "$n" "$gap" "$out"
	[ $rc = 0 ] || echo "    (probe: $(tail -n 1 "$log"))"
	# keepalived saw its tracked session go down: what it did with it
	if [ "$impl" = keepalived ] && [ "$scen" = bfd ]; then
		echo "    (keepalived on B: $(grep -ac "Tracked BFD instance peer is DOWN" "$ROOT/B/keepalived.log")" \
			"x \"Tracked BFD instance peer is DOWN\" so far; the takeover still waits for Master_Down_Interval)"
	fi
	# Back to A master, B backup, and a quiet segment.
	if [ "$impl" = ours ]; then
		ours_restore "$act"
		wait_until 20 ours_settled || fail "ours: A $(our_state A), B $(our_state B) after restore"
		[ "$scen" != bfd ] || wait_until 20 ours_bfd_up ||
			fail "ours: BFD A $(bfd_state A), B $(bfd_state B) after restore"
	else
		ka_restore "$act"
		wait_until 20 ka_settled || fail "keepalived: A $(ka_state A), B $(ka_state B) after restore"
		[ "$scen" != bfd ] || wait_until 20 ka_bfd_up || fail "keepalived: BFD not up after restore"
	fi
	sleep "$(awk -v m=$((2 * IVL_MS)) 'BEGIN { printf "%.3f", (m < 500 ? 500 : m) / 1000 }')"
}

# bfd_begin IMPL: the sessions and tracks of the bfd scenario, up.
bfd_begin() {
	SCEN_BFD=1
	if [ "$1" = ours ]; then
		ours_bfd on || fail "ours: the BFD configuration was refused"
		wait_until 20 ours_bfd_up || fail "ours: BFD A $(bfd_state A), B $(bfd_state B)"
		wait_until 20 ours_settled || fail "ours: A $(our_state A), B $(our_state B)"
	else
		ka_kill A TERM
		ka_kill B TERM
		ka_up A $PRIO_A && ka_up B $PRIO_B || fail "keepalived with bfd did not start"
		wait_until 20 ka_settled || fail "keepalived: A $(ka_state A), B $(ka_state B)"
		wait_until 20 ka_bfd_up || fail "keepalived: its BFD sessions did not come up"
	fi
	sleep 1
}

# transitions DEV: VRRP transitions and BFD session downs so far on DEV.
transitions() {
	echo $(($(jcli "$1" "display vrrp" | jq '[.groups[].statistics |
		.to_master + .to_backup + .to_initialize] | add') + \
		$(jcli "$1" "display bfd session" | jq '[.sessions[].downs] | add')))
}

# bfd_end IMPL: ours: the idle window at the scenario's timers (IDLE
# seconds, nothing done: any VRRP transition or BFD session down on either
# device is spurious), then the sessions removed.
bfd_end() {
	local a0 b0 a1 b1
	SCEN_BFD=0
	[ "$1" = ours ] || return 0
	if [ "$IDLE" -gt 0 ]; then
		a0=$(transitions A) && b0=$(transitions B) || fail "cannot read the counters"
		sleep "$IDLE"
		a1=$(transitions A) && b1=$(transitions B) || fail "cannot read the counters"
		IDLE_SPURIOUS=$((a1 - a0 + b1 - b0))
		echo "  idle ${IDLE} s at VRRP ${BFD_IVL_MS} ms, BFD ${BFD_MS} ms x ${BFD_MULT}:" \
			"$IDLE_SPURIOUS spurious transitions (VRRP and BFD, both devices);" \
			"A $(our_state A), B $(our_state B)"
		ours_settled || IDLE_SPURIOUS=$((IDLE_SPURIOUS + 1))
	fi
	ours_bfd off || fail "ours: the BFD configuration could not be removed"
}
IDLE_SPURIOUS=nan

# ---- the benchmark ------------------------------------------------------------------

seg_create || fail "cannot create the segment"
dev_on_seg A $ADDR_A/24 && dev_on_seg B $ADDR_B/24 && dev_on_seg H 192.0.2.10/24 ||
	fail "cannot create the namespaces"

echo "$me: $(uname -sr), $(nproc) CPU(s): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
case " $IMPLS " in *" keepalived "*) echo "keepalived: $(keepalived --version 2>&1 | head -n 1)" ;; esac
echo "$RUNS run(s) per line; probe: echo to $VIP from H every 3 ms (10 ms at 1 s intervals); B priority $PRIO_B"

for impl in $IMPLS; do
	case $impl in ours | keepalived) ;; *) fail "unknown implementation $impl" ;; esac
	[ "$impl" = ours ] && ours_start
	for IVL_S in $INTERVALS; do
		IVL_MS=$(ms "$IVL_S")
		if [ "$impl" = ours ]; then
			ours_configure A $PRIO_A "$IVL_MS" && ours_configure B $PRIO_B "$IVL_MS" ||
				fail "configuration refused"
			wait_until 20 ours_settled || fail "ours: A $(our_state A), B $(our_state B)"
		else
			ka_start A $PRIO_A "$IVL_S" && ka_start B $PRIO_B "$IVL_S" ||
				fail "keepalived did not start"
			wait_until 20 ka_settled || fail "keepalived: A $(ka_state A), B $(ka_state B)"
		fi
		sleep 1
		for scen in $SCENARIOS; do
			case $scen in crash | graceful | bfd) ;; *) fail "unknown scenario $scen" ;; esac
			[ "$scen" = bfd ] && { [ "$IVL_MS" = $BFD_IVL_MS ] || continue; }
			[ "$scen" = bfd ] && bfd_begin "$impl"
			for ((i = 1; i <= RUNS; i++)); do
				run_one "$impl" "$scen" "$i"
			done
			[ "$scen" = bfd ] && bfd_end "$impl"
		done
		if [ "$impl" = keepalived ]; then
			ka_kill A TERM
			ka_kill B TERM
		fi
	done
	[ "$impl" = ours ] && ours_stop
done

[ -n "$OUT" ] && cp "$RESULTS" "$OUT/"

# ---- the table --------------------------------------------------------------------

echo
printf '%-10s %-8s %-8s %4s  %-24s  %-30s  %-18s  %-8s  %s\n' implementation interval scenario \
	runs "advert gap ms med/min/max" "outage ms med/p90/min/max" "theory (B, ms)" \
	"ours/ka" "target"
awk -v prio=$PRIO_B -v bdet=$((BFD_MS * BFD_MULT)) '
	function med(arr, n,    i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && arr[j - 1] > arr[j]; j--) { t = arr[j]; arr[j] = arr[j - 1]; arr[j - 1] = t }
		return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
	}
	{
		k = $1 SUBSEP $2 SUBSEP $3
		if (!(k in cnt)) order[++nk] = k
		cnt[k]++
		if ($5 != "nan") { g[k, ++ng[k]] = $5 + 0 }
		if ($6 != "nan") { o[k, ++no[k]] = $6 + 0 }
		if ($7 != "ok") bad[k]++
	}
	END {
		for (x = 1; x <= nk; x++) {
			k = order[x]; split(k, f, SUBSEP)
			ivl = f[2]; skew = (256 - prio) * ivl / 256; mdi = 3 * ivl + skew
			delete a; gmin = gmax = ""; within = 0
			for (i = 1; i <= ng[k]; i++) {
				a[i] = g[k, i]
				if (gmin == "" || a[i] < gmin) gmin = a[i]
				if (gmax == "" || a[i] > gmax) gmax = a[i]
				if (a[i] <= mdi + 20) within++
			}
			gmed = ng[k] ? med(a, ng[k]) : ""
			delete a; omin = omax = ""; ok = 0
			for (i = 1; i <= no[k]; i++) {
				a[i] = o[k, i]
				if (omin == "" || a[i] < omin) omin = a[i]
				if (omax == "" || a[i] > omax) omax = a[i]
				if (a[i] <= skew + 15) ok++
			}
			omed[k] = no[k] ? med(a, no[k]) : ""
			op90 = no[k] ? a[int((9 * no[k] + 9) / 10)] : ""
			gtxt = ng[k] ? sprintf("%.0f / %.0f / %.0f", gmed, gmin, gmax) : "-"
			otxt = no[k] ? sprintf("%.0f / %.0f / %.0f / %.0f", omed[k], op90, omin, omax) : "-"
			if (f[3] == "bfd") {
				theory = sprintf("BFD det %d", bdet)
				ok = 0
				for (i = 1; i <= no[k]; i++) if (a[i] <= 50) ok++
				target = sprintf("outage <= 50: %d/%d", ok, cnt[k])
			} else if (f[3] == "crash") {
				theory = sprintf("MDI %.1f", mdi)
				target = sprintf("takeover <= MDI+20: %d/%d", within, cnt[k])
			} else {
				theory = sprintf("skew %.1f", skew)
				target = sprintf("outage <= skew+15: %d/%d", ok, cnt[k])
			}
			if (bad[k]) target = target sprintf(" (%d probe timeout)", bad[k])
			line[x] = sprintf("%-10s %-8s %-8s %4d  %-24s  %-30s  %-18s", f[1],
				ivl % 1000 ? ivl " ms" : ivl / 1000 " s", f[3], cnt[k], gtxt, otxt, theory)
			tgt[x] = target
		}
		for (x = 1; x <= nk; x++) {
			k = order[x]; split(k, f, SUBSEP)
			r = "-"
			kk = "keepalived" SUBSEP f[2] SUBSEP f[3]
			if (f[1] == "ours" && (kk in omed) && omed[kk] > 0 && omed[k] != "")
				r = sprintf("%.2f", omed[k] / omed[kk])
			printf "%s  %-8s  %s\n", line[x], r, tgt[x]
		}
	}' "$RESULTS"
echo
echo "advert gap: last advertisement from A to the first from B, as H receives them."
echo "outage: the longest interval between two echo replies at H (pings every 3 ms under 1 s, 10 ms at 1 s)."
echo "bfd: crash with peer BFD at ${BFD_MS} ms x ${BFD_MULT} (det: its detection time), VRRP at ${BFD_IVL_MS} ms."
echo "MDI: Master_Down_Interval = 3 * interval + Skew_Time; skew: Skew_Time = (256 - $PRIO_B) * interval / 256."

# The headline figures: per interval and scenario, our median advert gap and
# outage (ms), keepalived's median as the anchor when it ran. A figure is
# missing ("nan") when no run of it produced one.
# medians IMPL IVL_MS SCENARIO COLUMN [p90|max]: the median (or the 90th
# percentile, or the maximum) of a column of the results.
medians() {
	awk -v i="$1" -v v="$2" -v s="$3" -v c="$4" '$1 == i && $2 == v && $3 == s && $c != "nan" { print $c }' \
		"$RESULTS" | sort -n | awk -v q="${5:-med}" '{ a[NR] = $1 } END {
			if (NR == 0) print "nan"
			else if (q == "p90") print a[int((9 * NR + 9) / 10)]
			else if (q == "max") print a[NR]
			else if (NR % 2) print a[(NR + 1) / 2]
			else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
echo
for IVL_S in $INTERVALS; do
	IVL_MS=$(ms "$IVL_S")
	skew=$(awk -v i="$IVL_MS" -v p=$PRIO_B 'BEGIN { printf "%.1f", (256 - p) * i / 256 }')
	mdi=$(awk -v i="$IVL_MS" -v s="$skew" 'BEGIN { printf "%.1f", 3 * i + s }')
	for scen in $SCENARIOS; do
		[ "$scen" = bfd ] && continue
		ka=(- - - -)
		case " $IMPLS " in *" keepalived "*)
			ka=(keepalived "$(medians keepalived "$IVL_MS" "$scen" 5)"
				keepalived "$(medians keepalived "$IVL_MS" "$scen" 6)") ;;
		esac
		if [ "$scen" = crash ]; then
			gap_t="<=$(awk -v m="$mdi" 'BEGIN { print m + 20 }')" out_t="ratio<=1"
			[ "${ka[0]}" = - ] && out_t=-
		else
			gap_t=- out_t="<=$(awk -v s="$skew" 'BEGIN { print s + 15 }')"
		fi
		case " $IMPLS " in *" ours "*)
			summary "failover_${scen}_${IVL_MS}ms_gap" "$(medians ours "$IVL_MS" "$scen" 5)" ms \
				"$gap_t" "${ka[0]}" "${ka[1]}"
			summary "failover_${scen}_${IVL_MS}ms_outage" "$(medians ours "$IVL_MS" "$scen" 6)" ms \
				"$out_t" "${ka[2]}" "${ka[3]}"
			;;
		esac
	done
done
case " $SCENARIOS " in *" bfd "*)
	has=0
	for v in $INTERVALS; do [ "$(ms "$v")" = $BFD_IVL_MS ] && has=1; done
	if [ $has = 1 ]; then
		k=$BFD_IVL_MS
		for q in med p90 max; do
			ka=(- -)
			case " $IMPLS " in *" keepalived "*) ka=(keepalived "$(medians keepalived $k bfd 6 $q)") ;; esac
			tg=-
			[ $q = med ] && tg="<=50"
			[ $q != med ] && [ "${ka[0]}" != - ] && tg="ratio<=1"
			n=failover_bfd_${BFD_MS}msx${BFD_MULT}_outage
			[ $q = med ] || n=${n}_$q
			case " $IMPLS " in *" ours "*)
				summary "$n" "$(medians ours $k bfd 6 $q)" ms "$tg" "${ka[0]}" "${ka[1]}" ;;
			esac
		done
		ka=(- -)
		case " $IMPLS " in *" keepalived "*) ka=(keepalived "$(medians keepalived $k bfd 5)") ;; esac
		case " $IMPLS " in *" ours "*)
			summary "failover_bfd_${BFD_MS}msx${BFD_MULT}_gap" "$(medians ours $k bfd 5)" ms - \
				"${ka[0]}" "${ka[1]}"
			[ "$IDLE" -gt 0 ] && summary "failover_bfd_idle_${IDLE}s_spurious" "$IDLE_SPURIOUS" \
				transitions "<=0" - -
			;;
		esac
	fi
	;;
esac
exit "$SUMMARY_BAD"
