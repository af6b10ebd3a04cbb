#!/usr/bin/env bash
# BFD cost benchmark: what N single-hop BFD sessions at a fast timer cost
# (default 100 sessions at 10 ms x 3). Two parts in one run: our vrrpd on
# one side and FRR's bfdd (Debian frr) on the other, each measured; then
# our suite on both sides. Each side is asked to send N x (1000 /
# INTERVAL) packets a second and receives what the other sends; the
# packets our side really sent and received are counted. Prints numbers;
# see bench/README.md.
#
#   bash bench/bfd.sh [BUILDDIR]        (root; default build)
#
# Environment: SESSIONS (100), INTERVAL_MS (10), MULT (3), WINDOW (seconds
# measured, 30; SMOKE=1: 3).
#
# Topology: namespaces A (the suite) and F (FRR's bfdd alone, as user frr)
# joined by a veth link eth3; session i runs from 203.0.113.i on A to
# 203.0.113.(100 + i) on F, both sides configured with the same timers.
# Everything it creates is removed on exit, also on failure or Ctrl-C.
# Documentation addresses only, only inside the namespaces.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${1:-build}
SESSIONS=${SESSIONS:-100}
INTERVAL_MS=${INTERVAL_MS:-10}
MULT=${MULT:-3}
WINDOW=${WINDOW:-30}
[ "${SMOKE:-0}" = 1 ] && WINDOW=${SMOKE_WINDOW:-3}

me=bench/bfd.sh
. "$HERE/preflight.sh"
. "$HERE/summary.sh"
preflight $me "$BUILD" "make all" cfgd vrrpd rbsd rbpd dbcli
FRR_BFDD=/usr/lib/frr/bfdd
[ -x "$FRR_BFDD" ] || { echo "$me: FRR's bfdd is missing (make deps installs frr)" >&2; exit 2; }
[[ "$SESSIONS" =~ ^[1-9][0-9]*$ && "$SESSIONS" -le 100 && "$INTERVAL_MS" =~ ^[1-9][0-9]*$ &&
	"$MULT" =~ ^[1-9][0-9]*$ && "$WINDOW" =~ ^[1-9][0-9]*$ ]] ||
	{ echo "$me: SESSIONS (1-100), INTERVAL_MS, MULT and WINDOW must be numbers" >&2; exit 2; }

. "$TOP/tests/integration/lib.sh"
. "$HERE/vrrp_lib.sh"

fail() {
	local f
	echo "$me: $*" >&2
	for f in "$ROOT"/A/vrrpd.log "$ROOT"/F/bfdd.log; do
		[ -f "$f" ] || continue
		echo "--- last lines of ${f#"$ROOT"/}" >&2
		tail -n 6 "$f" >&2
	done
	exit 1
}

frr() {
	local a=()
	for c in "$@"; do a+=(-c "$c"); done
	inns F vtysh --vty_socket "$ROOT/F" -d bfdd "${a[@]}"
}
ours_up() { jcli "${1:-A}" "display bfd session" | jq '[.sessions[] | select(.state == "Up")] | length'; }
ours_downs() { jcli "${1:-A}" "display bfd session" | jq '[.sessions[].downs] | add'; }
# ours_pkts DEV: packets sent and received by DEV's sessions so far.
ours_pkts() { jcli "$1" "display bfd session" | jq -r '[([.sessions[].packets.sent] | add), ([.sessions[].packets.received] | add)] | @tsv'; }
frr_up() { frr "show bfd peers json" | jq '[.[] | select(.status == "up")] | length'; }
# FRR counts its sessions' downs in show bfd peers counters (session-down).
frr_downs() { frr "show bfd peers counters json" | jq '[.[]."session-down"] | add'; }
all_up() { [ "$(ours_up)" = "$SESSIONS" ] && [ "$(frr_up)" = "$SESSIONS" ]; }

# ---- the topology ----------------------------------------------------------------

dev_bare A && dev_bare F && link_pair A 203.0.113.1/24 F 203.0.113.101/24 eth3 ||
	fail "cannot create the namespaces"
for ((i = 2; i <= SESSIONS; i++)); do
	ip -n "${DEV_NS[A]}" addr add 203.0.113.$i/24 dev eth3 &&
		ip -n "${DEV_NS[F]}" addr add 203.0.113.$((100 + i))/24 dev eth3 || fail "cannot add addresses"
done

# F: FRR's bfdd, one peer per session.
{
	echo "bfd"
	for ((i = 1; i <= SESSIONS; i++)); do
		printf ' peer 203.0.113.%d local-address 203.0.113.%d\n' $i $((100 + i))
		printf '  detect-multiplier %d\n  receive-interval %d\n  transmit-interval %d\n !\n' \
			"$MULT" "$INTERVAL_MS" "$INTERVAL_MS"
	done
	echo "!"
} >"$ROOT/F/frr.conf"
chmod 711 "$ROOT" && chown -R frr:frr "$ROOT/F" || fail "cannot give F's directory to frr"
ip netns exec "${DEV_NS[F]}" "$FRR_BFDD" -f "$ROOT/F/frr.conf" -i "$ROOT/F/bfdd.pid" \
	--vty_socket "$ROOT/F" --bfdctl "$ROOT/F/bfdd.sock" -z "$ROOT/F/zserv.api" \
	-u frr -g frr -P 0 --log "file:$ROOT/F/bfdd.log" >>"$ROOT/F/bfdd.out" 2>&1 &
DEV_PID[F.bfdd]=$!
wait_until 5 frr "show bfd peers json" || fail "FRR's bfdd did not come up ($(tail -n 2 "$ROOT/F/bfdd.out"))"

# sessions DEV MINE THEIRS: one session per address pair (203.0.113.(MINE
# + i) to .(THEIRS + i)), committed at once.
sessions() {
	{
		echo "system-view"
		echo "bfd"
		echo "quit"
		for ((i = 1; i <= SESSIONS; i++)); do
			echo "bfd s$i bind peer-ip 203.0.113.$(($3 + i)) interface eth3 source-ip 203.0.113.$(($2 + i))"
			echo "min-tx-interval $INTERVAL_MS"
			echo "min-rx-interval $INTERVAL_MS"
			echo "detect-multiplier $MULT"
			echo "quit"
		done
		echo "commit"
	} >"$ROOT/$1/sessions.txt"
	cli "$1" -q -f "$ROOT/$1/sessions.txt" >/dev/null
}

# A: the suite.
start_all A || fail "our daemons did not come up"
sessions A 0 100 || fail "our sessions were refused"

wait_until 30 all_up || fail "not every session came up: ours $(ours_up), FRR $(frr_up) of $SESSIONS"
sleep 2 # past the slow start of each session (1 s until Up, RFC 5880 6.8.3)

# ---- the windows ---------------------------------------------------------------------

pct() { awk -v a="$1" -v b="$2" -v t0="$3" -v t1="$4" 'BEGIN { printf "%.2f", (b - a) / ((t1 - t0) * 1e9) * 100 }'; }
rate() { awk -v a="$1" -v b="$2" -v t0="$3" -v t1="$4" 'BEGIN { printf "%.0f", (b - a) / (t1 - t0) }'; }

# measure OTHER PID_OTHER: CPU of A's vrrpd and of the other side's process
# over WINDOW, A's packet rates, and the session downs on both sides
# (OTHER: frr or ours). Sets M_* for the summary.
measure() {
	local other=$1 opid=$2 vpid=${DEV_PID[A.vrrpd]} d0 d1 o0 o1 t0 t1 c0 c1 k0 k1 s0 r0 s1 r1
	d0=$(ours_downs A) || fail "cannot read the session counters"
	if [ "$other" = frr ]; then o0=$(frr_downs); else o0=$(ours_downs F); fi
	read -r s0 r0 < <(ours_pkts A)
	t0=$(now_s)
	c0=$(cpu_ns "$vpid")
	k0=$(cpu_ns "$opid")
	sleep "$WINDOW"
	c1=$(cpu_ns "$vpid")
	k1=$(cpu_ns "$opid")
	t1=$(now_s)
	read -r s1 r1 < <(ours_pkts A)
	d1=$(ours_downs A) || fail "cannot read the session counters"
	if [ "$other" = frr ]; then o1=$(frr_downs); else o1=$(ours_downs F); fi
	M_OURS=$(pct "$c0" "$c1" "$t0" "$t1")
	M_OTHER=$(pct "$k0" "$k1" "$t0" "$t1")
	M_OURS_RSS=$(rss_kb "$vpid")
	M_OTHER_RSS=$(rss_kb "$opid")
	M_TX=$(rate "$s0" "$s1" "$t0" "$t1")
	M_RX=$(rate "$r0" "$r1" "$t0" "$t1")
	M_DOWNS=$((d1 - d0 + o1 - o0))
	printf '%-28s %12s %12s %14s %14s %10s\n' side "CPU % core" "RSS kB" "sent pkt/s" "recv pkt/s" "downs"
	printf '%-28s %12s %12s %14s %14s %10s\n' "ours (vrrpd, A)" "$M_OURS" "$M_OURS_RSS" "$M_TX" "$M_RX" \
		"$((d1 - d0))"
	printf '%-28s %12s %12s %14s %14s %10s\n' "$3" "$M_OTHER" "$M_OTHER_RSS" "-" "-" "$((o1 - o0))"
}

echo "$me: $(uname -sr), $(nproc) CPU(s): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "FRR: $(dpkg-query -W -f '${Version}' frr 2>/dev/null || echo '?')"
echo "$SESSIONS sessions at ${INTERVAL_MS} ms x $MULT, both sides; ${WINDOW} s measured per part;" \
	"each side asked for $((SESSIONS * 1000 / INTERVAL_MS)) packets/s each way"
echo "CPU: time on a CPU (schedstat, all threads) over the window; vrrpd also runs VRRP (no group here)."

echo
echo "== ours (A) and FRR's bfdd (F)"
fpid=$(cat "$ROOT/F/bfdd.pid" 2>/dev/null)
[ -n "$fpid" ] && kill -0 "$fpid" 2>/dev/null || fpid=${DEV_PID[F.bfdd]}
measure frr "$fpid" "FRR bfdd (F)"
frr_pct=$M_OTHER frr_rss=$M_OTHER_RSS ours_frr_pct=$M_OURS spurious=$M_DOWNS
[ "$(ours_up)" = "$SESSIONS" ] && [ "$(frr_up)" = "$SESSIONS" ] ||
	fail "sessions went down: ours $(ours_up), FRR $(frr_up) up of $SESSIONS"

echo
echo "== ours on both sides (A and F)"
kill -TERM "${DEV_PID[F.bfdd]}" 2>/dev/null
wait "${DEV_PID[F.bfdd]}" 2>/dev/null
unset "DEV_PID[F.bfdd]"
chown -R root:root "$ROOT/F" && rm -f "$ROOT/F"/*.sock "$ROOT/F"/*.vty || fail "cannot take F's directory back"
start_all F || fail "our daemons did not come up on F"
sessions F 100 0 || fail "F's sessions were refused"
wait_until 30 eval '[ "$(ours_up A)" = "$SESSIONS" ] && [ "$(ours_up F)" = "$SESSIONS" ]' ||
	fail "not every session came up: A $(ours_up A), F $(ours_up F) of $SESSIONS"
sleep 2
measure ours "${DEV_PID[F.vrrpd]}" "ours (vrrpd, F)"
spurious=$((spurious + M_DOWNS))
[ "$(ours_up A)" = "$SESSIONS" ] && [ "$(ours_up F)" = "$SESSIONS" ] ||
	fail "sessions went down: A $(ours_up A), F $(ours_up F) up of $SESSIONS"

echo
summary "bfd_${SESSIONS}x${INTERVAL_MS}ms_cpu" "$M_OURS" "%core" - - -
summary "bfd_${SESSIONS}x${INTERVAL_MS}ms_cpu_vs_frr" "$ours_frr_pct" "%core" "ratio<=1" frr-bfdd "$frr_pct"
summary "bfd_${SESSIONS}x${INTERVAL_MS}ms_rss" "$M_OURS_RSS" kB - frr-bfdd "$frr_rss"
summary "bfd_${SESSIONS}x${INTERVAL_MS}ms_spurious_downs" "$spurious" downs "<=0" - -
exit "$SUMMARY_BAD"
