#!/usr/bin/env bash
# The VRRPv3-MIB (RFC 6527) over SNMP: routers A and B and a host H on a
# segment, each router running the suite with VRRPv3 groups (vrid 1 and 2
# over IPv4, vrid 1 over IPv6). In A's namespace a real net-snmp snmpd
# (its own configuration in the test's directory: AgentX master on a unix
# socket there, v2c community "public" read-only from 127.0.0.1 only, on
# 127.0.0.1:16161) with dbagentx attached, and an snmptrapd on
# 127.0.0.1:16162 that the snmpd sends its notifications to. snmpwalk
# shows every group with the state and priority the JSON display has; a
# failover raises vrrpv3NewMaster at snmptrapd, a flood of advertisements
# with a bad TTL raises vrrpv3ProtoError; the MIB is read-only; a vrrpd
# that is gone is no row, not a stale one.
#
#   bash tests/integration/snmp.sh [BUILDDIR]    (root)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

PORT=16161
TRAPPORT=16162
AGENT=127.0.0.1:$PORT
MIB=.1.3.6.1.2.1.207
OPS=$MIB.1.1.1.1	# vrrpv3OperationsEntry
STATS=$MIB.1.2.5.1	# vrrpv3StatisticsEntry
SNMP_OPTS=(-v2c -c public -On -Oq -Ot -Ox -Oe -t 2 -r 1)

for tool in snmpd snmptrapd snmpwalk snmpget snmpset; do
	command -v $tool >/dev/null || { echo "snmp: $tool is missing (bash .ci/install-deps)"; exit 1; }
done

configure() {
	local p1=$2 p2=$3
	cli "$1" -q -c "system-view" -c "vrrp version v3" -c "interface eth1" \
		-c "vrrp vrid 1 virtual-ip 192.0.2.100" -c "vrrp vrid 1 priority $p1" \
		-c "vrrp vrid 1 timer advertise 100 msec" -c "vrrp vrid 1 preempt-mode timer delay 0" \
		-c "vrrp vrid 2 virtual-ip 192.0.2.101" -c "vrrp vrid 2 priority $p2" \
		-c "vrrp vrid 2 timer advertise 100 msec" -c "vrrp vrid 2 preempt-mode timer delay 0" \
		-c "vrrp6 vrid 1 virtual-ip 2001:db8::100" -c "vrrp6 vrid 1 priority $p1" \
		-c "vrrp6 vrid 1 timer advertise 100 msec" -c "commit"
}

# snmp TOOL ARGS...: a net-snmp tool in A's namespace, numeric output
snmp() {
	local tool=$1
	shift
	inns A env MIBS= SNMP_PERSISTENT_DIR="$ROOT/A/snmp/persist" SNMPCONFPATH="$ROOT/A/snmp/persist" \
		"$tool" "${SNMP_OPTS[@]}" "$@"
}
# value OID: the value of one instance (empty when none, or no answer)
value() {
	snmp snmpget $AGENT "$1" 2>/dev/null |
		awk -v o="$1" '$1 == o && !/No Such (Instance|Object)/ { $1 = ""; sub(/^ /, ""); print }'
}
# no_instance OID: the agent answers that there is no such instance
no_instance() { snmp snmpget $AGENT "$1" 2>/dev/null | grep -q "^$1 No Such Instance"; }
walk() { snmp snmpwalk $AGENT $MIB >"$ROOT/walk" 2>&1; }
# in_walk OID: the value in the last walk
in_walk() { awk -v o="$1" '$1 == o { $1 = ""; sub(/^ /, ""); print }' "$ROOT/walk"; }

# A's eth1 as the agent sees it
ifx() { inns A cat /sys/class/net/eth1/ifindex; }

start_snmp() {
	local d="$ROOT/A/snmp"
	mkdir -p "$d/persist"
	cat >"$d/snmpd.conf" <<-EOF
		agentAddress udp:127.0.0.1:$PORT
		master agentx
		agentXSocket $d/agentx.sock
		agentXPerms 0600 0700
		rocommunity public 127.0.0.1
		rwcommunity private 127.0.0.1 $MIB
		trap2sink 127.0.0.1:$TRAPPORT public
	EOF
	cat >"$d/snmptrapd.conf" <<-EOF
		disableAuthorization yes
	EOF
	: >"$ROOT/A/traps"
	ip netns exec "${DEV_NS[A]}" env MIBS= SNMP_PERSISTENT_DIR="$d/persist" \
		snmptrapd -f -C -c "$d/snmptrapd.conf" -On -Lf "$ROOT/A/traps" \
		udp:127.0.0.1:$TRAPPORT >>"$ROOT/A/snmptrapd.log" 2>&1 &
	DEV_PID[A.snmptrapd]=$!
	ip netns exec "${DEV_NS[A]}" env MIBS= SNMP_PERSISTENT_DIR="$d/persist" \
		snmpd -f -C -c "$d/snmpd.conf" -Lf "$ROOT/A/snmpd.log" -p "$d/snmpd.pid" \
		>>"$ROOT/A/snmpd.log" 2>&1 &
	DEV_PID[A.snmpd]=$!
	wait_until 10 test -S "$d/agentx.sock" || { echo "  no AgentX socket"; return 1; }
	start_agent
}

start_agent() {
	ip netns exec "${DEV_NS[A]}" "$BIN/dbagentx" -d -r "$(run_dir A)" -x "$ROOT/A/snmp/agentx.sock" \
		>>"$ROOT/A/dbagentx.log" 2>&1 &
	DEV_PID[A.dbagentx]=$!
	wait_until 10 eval '[ -n "$(value $OPS.6.$(ifx).1.1)" ]' ||
		{ echo "  the agent's rows never showed"; tail -5 "$ROOT/A/dbagentx.log"; return 1; }
}

setup() {
	seg_create || return 1
	dev_on_seg A 192.0.2.1/24 && dev_on_seg B 192.0.2.2/24 && dev_on_seg H 192.0.2.10/24 || return 1
	inns A ip addr add 2001:db8::1/64 dev eth1 nodad
	inns B ip addr add 2001:db8::2/64 dev eth1 nodad
	start_all A && start_all B || return 1
	configure A 120 100 && configure B 100 120 || return 1
	wait_until 15 eval '[ "$(vrrp_state A 192.0.2.100)" = Master ]' &&
		wait_until 15 eval '[ "$(vrrp_state B 192.0.2.101)" = Master ]' &&
		wait_until 15 eval '[ "$(vrrp_state A 2001:db8::100)" = Master ]' || return 1
	start_snmp
}

# snmpwalk shows every group of A's display with its state and priority.
test_walk_shows_every_group() {
	local x n=0 g vrid fam t state prio want
	x=$(ifx)
	walk || { cat "$ROOT/walk"; return 1; }
	while read -r vrid fam state prio; do
		t=1; [ "$fam" = ipv6 ] && t=2
		case $state in Initialize) want=1;; Backup) want=2;; Master) want=3;; esac
		[ "$(in_walk $OPS.6.$x.$vrid.$t)" = "$want" ] &&
			[ "$(in_walk $OPS.7.$x.$vrid.$t)" = "$prio" ] &&
			[ "$(in_walk $OPS.13.$x.$vrid.$t)" = 1 ] ||
			{ echo "  group $vrid $fam: $state $prio"; head -n 12 "$ROOT/walk"; return 1; }
		n=$((n + 1))
	done < <(jcli A "display vrrp" | jq -r '.groups[] | "\(.vrid) \(.family) \(.state) \(.priority_running)"')
	[ $n = 3 ] || { echo "  $n groups"; return 1; }
	# A is master of vrid 1 (192.0.2.1 in hex), B of vrid 2
	[ "$(in_walk $OPS.6.$x.1.1)" = 3 ] && [ "$(in_walk $OPS.6.$x.2.1)" = 2 ] || return 1
	[ "$(in_walk $OPS.3.$x.1.1)" = '"C0 00 02 01 "' ] || [ "$(in_walk $OPS.3.$x.1.1)" = '"C0 00 02 01"' ] ||
		{ echo "  master ip: $(in_walk $OPS.3.$x.1.1)"; return 1; }
	[ "$(in_walk $OPS.9.$x.1.1)" = 10 ] || { echo "  interval: $(in_walk $OPS.9.$x.1.1)"; return 1; }
	# the statistics agree: adverts received by vrid 2 from B
	[ "$(in_walk $STATS.3.$x.2.1)" -gt 0 ] || return 1
	# the walk stays in the MIB's two tables and scalars, in order
	[ "$(grep -c "^$MIB\." "$ROOT/walk")" -ge $((3 * 23)) ]
}

# B's vrrpd gone: A takes vrid 2 over; vrrpv3NewMaster reaches snmptrapd
# with A's address as the master's and masterNoResponse(3) as the reason.
test_failover_raises_new_master() {
	local x
	x=$(ifx)
	grep -q "$MIB.0.1" "$ROOT/A/traps" && { echo "  a NewMaster before any failover"; return 1; }
	stop9 B vrrpd
	wait_until 10 eval '[ "$(vrrp_state A 192.0.2.101)" = Master ]' || return 1
	wait_until 10 grep -q "$MIB.0.1" "$ROOT/A/traps" ||
		{ echo "  no trap:"; cat "$ROOT/A/traps"; tail -5 "$ROOT/A/dbagentx.log"; return 1; }
	grep -q "$MIB.0.1" "$ROOT/A/traps" &&
		grep "$MIB.0.1" -A3 "$ROOT/A/traps" | grep -q "$OPS.3.$x.2.1 = .*C0 00 02 01" &&
		grep "$MIB.0.1" -A3 "$ROOT/A/traps" | grep -q "$STATS.2.$x.2.1 = INTEGER: 3" ||
		{ cat "$ROOT/A/traps"; return 1; }
	[ "$(value $OPS.6.$x.2.1)" = 3 ] && [ "$(value $STATS.2.$x.2.1)" = 3 ] &&
		[ "$(value $STATS.1.$x.2.1)" -ge 1 ]
}

# Advertisements for vrid 1 with TTL 64 from H (an attacker on the
# segment, RFC 5798 7.1): dropped, counted in vrrpv3StatisticsIpTtlErrors,
# and one vrrpv3ProtoError with ipTtlError(1); A stays master.
test_bad_ttl_raises_proto_error() {
	local x before
	x=$(ifx)
	before=$(value $STATS.5.$x.1.1)
	inns H "$BIN/vrrp-inject" eth1 ttl 250 5 || return 1
	wait_until 5 grep -q "$MIB.0.2" "$ROOT/A/traps" ||
		{ echo "  no trap:"; cat "$ROOT/A/traps"; return 1; }
	grep "$MIB.0.2" -A2 "$ROOT/A/traps" | grep -q "$STATS.6.$x.1.1 = INTEGER: 1" ||
		{ cat "$ROOT/A/traps"; return 1; }
	[ "$(value $STATS.5.$x.1.1)" = $((before + 5)) ] && [ "$(value $STATS.6.$x.1.1)" = 1 ] &&
		[ "$(value $OPS.6.$x.1.1)" = 3 ]
}

# The MIB is read-only: a SET with the read-only community is refused by
# snmpd; with a community snmpd lets write the subtree ("private", in this
# test only), by dbagentx (notWritable). No priority changes.
test_set_is_refused() {
	local x out
	x=$(ifx)
	out=$(snmp snmpset $AGENT $OPS.7.$x.1.1 u 1 2>&1) && { echo "  set: $out"; return 1; }
	out=$(inns A env MIBS= snmpset -v2c -c private -On -t 2 -r 1 $AGENT $OPS.7.$x.1.1 u 1 2>&1) &&
		{ echo "  set: $out"; return 1; }
	echo "$out" | grep -q "notWritable" || { echo "  set: $out"; return 1; }
	[ "$(value $OPS.7.$x.1.1)" = 120 ] &&
		[ "$(jcli A "display vrrp" | jq '.groups[] | select(.vrid == 1 and .family == "ipv4") | .priority_running')" = 120 ]
}

# vrrpd gone: no rows (not stale ones), the agent lives on; back: rows
# again, whose UpTime and RowDiscontinuityTime are now after the agent's
# start (not 0).
test_no_stale_rows_without_vrrpd() {
	local x
	x=$(ifx)
	stop9 A vrrpd
	wait_until 6 no_instance $OPS.6.$x.1.1 ||
		{ echo "  stale row: $(value $OPS.6.$x.1.1)"; tail -3 "$ROOT/A/dbagentx.log"; return 1; }
	alive A dbagentx || return 1
	start A vrrpd
	wait_sync A
	wait_until 10 eval '[ "$(value $OPS.6.$x.1.1)" = 3 ]' || return 1
	[ "$(value $OPS.12.$x.1.1)" -gt 0 ] && [ "$(value $STATS.12.$x.1.1)" -gt 0 ] ||
		{ echo "  uptime $(value $OPS.12.$x.1.1) discontinuity $(value $STATS.12.$x.1.1)"; return 1; }
}

# snmpd restarted: dbagentx notices (AgentX ping every 5 s), attaches
# again and its rows are back, without being restarted itself.
test_snmpd_restart() {
	local x d="$ROOT/A/snmp" pid=${DEV_PID[A.snmpd]}
	x=$(ifx)
	kill -TERM "$pid" && wait "$pid"
	unset "DEV_PID[A.snmpd]"
	ip netns exec "${DEV_NS[A]}" env MIBS= SNMP_PERSISTENT_DIR="$d/persist" \
		snmpd -f -C -c "$d/snmpd.conf" -Lf "$ROOT/A/snmpd.log" -p "$d/snmpd.pid" \
		>>"$ROOT/A/snmpd.log" 2>&1 &
	DEV_PID[A.snmpd]=$!
	wait_until 10 test -S "$d/agentx.sock" || { echo "  no AgentX socket"; tail -5 "$ROOT/A/snmpd.log"; return 1; }
	# within 25 s (wait_until counts tries, and a try may wait for snmpget)
	local end=$((SECONDS + 25))
	until [ "$(value $OPS.6.$x.1.1)" = 3 ]; do
		[ $SECONDS -lt $end ] ||
			{ echo "  no rows after the restart"; tail -n 4 "$ROOT/A/dbagentx.log"; cat "$ROOT/A/snmpd.log"; return 1; }
		sleep 0.5
	done
	alive A dbagentx
}

t "setup: A, B and H; snmpd, snmptrapd and dbagentx in A's namespace" setup || exit 1
t "snmpwalk shows every group with its state and priority" test_walk_shows_every_group
t "a failover raises vrrpv3NewMaster at snmptrapd" test_failover_raises_new_master
t "advertisements with a bad TTL raise vrrpv3ProtoError" test_bad_ttl_raises_proto_error
t "a SET is refused; the priority stays" test_set_is_refused
t "no stale rows while vrrpd is down; rows again when it is back" test_no_stale_rows_without_vrrpd
t "a restarted snmpd gets the agent back" test_snmpd_restart
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

echo "snmp integration: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
