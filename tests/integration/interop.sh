#!/usr/bin/env bash
# Interoperability with keepalived (the Debian package): router A runs our
# suite, router B runs keepalived, host H is on the same bridge. For VRRPv3
# and VRRPv2, each side in turn is master, dies hard (SIGKILL) and leaves
# gracefully (priority 0), and the other takes over.
# Usage: tests/integration/interop.sh BUILDDIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

VIP=192.0.2.100
VIP6=2001:db8::100
KA_PID=

if ! command -v keepalived >/dev/null; then
	echo "keepalived is not installed (make deps installs it)"
	exit 1
fi

# vstate [ADDR]: our state for the group of virtual address ADDR ($VIP).
vstate() { vrrp_state A "${1:-$VIP}"; }
# is_state STATE [ADDR]
is_state() { [ "$(vstate "${2:-}")" = "$1" ]; }
has_addr() { inns "$1" ip -o addr show dev eth1 | grep -q " $2/"; }
# keepalived's last state, as its notify script wrote it.
ka_state() { tail -n 1 "$ROOT/ka.state" 2>/dev/null | awk '{ print $3 }'; }
ka_is() { [ "$(ka_state)" = "$1" ]; }
mac_of() { inns "$1" cat /sys/class/net/eth1/address; }
# h_reaches DEV [ADDR]: H pings ADDR ($VIP, or an IPv6 address) and reaches
# it at DEV's MAC.
h_reaches() {
	local a=${2:-$VIP}
	inns H ping -c 2 -i 0.2 -W 1 "$a" >/dev/null &&
		[ "$(inns H ip neigh show "$a" dev eth1 | awk '{ print $3 }')" = "$(mac_of "$1")" ]
}

# ka_start VERSION PRIORITY INTERVAL [VRID VIP/LEN]
ka_start() {
	printf '#!/bin/sh\necho "$@" >>%s\n' "$ROOT/ka.state" >"$ROOT/ka-notify.sh"
	chmod 755 "$ROOT/ka-notify.sh"
	cat >"$ROOT/keepalived.conf" <<EOF
global_defs {
	router_id B
	vrrp_version $1
	script_user root
	enable_script_security
}
vrrp_instance VI_1 {
	state BACKUP
	interface eth1
	virtual_router_id ${4:-1}
	priority $2
	advert_int $3
	virtual_ipaddress {
		${5:-$VIP/32}
	}
	notify $ROOT/ka-notify.sh
}
EOF
	: >"$ROOT/ka.state"
	inns B keepalived -n -l -D --vrrp -f "$ROOT/keepalived.conf" -p "$ROOT/ka.pid" \
		-r "$ROOT/ka-vrrp.pid" >>"$ROOT/B/keepalived.log" 2>&1 &
	KA_PID=$!
	DEV_PID[B.keepalived]=$KA_PID
	wait_until 5 test -s "$ROOT/ka-vrrp.pid"
}

# ka_kill SIGNAL: the whole keepalived process tree we started.
ka_kill() {
	local kids k
	[ -n "$KA_PID" ] || return 0
	kids=$(pgrep -P "$KA_PID")
	for k in $kids; do kill "-$1" "$k" 2>/dev/null; done
	kill "-$1" "$KA_PID" 2>/dev/null
	wait "$KA_PID" 2>/dev/null
	for k in $kids; do wait_until 5 eval "! kill -0 $k 2>/dev/null"; done
	rm -f "$ROOT/ka.pid" "$ROOT/ka-vrrp.pid"
	unset "DEV_PID[B.keepalived]"
	KA_PID=
}

# ours VERSION PRIORITY INTERVAL-CLAUSE
ours() {
	cli A -q -c "system-view" -c "vrrp version v$1" -c "interface eth1" \
		-c "vrrp vrid 1 virtual-ip $VIP" -c "vrrp vrid 1 priority $2" \
		-c "vrrp vrid 1 timer advertise $3" -c "vrrp vrid 1 preempt-mode timer delay 0" \
		-c "commit"
}

setup() {
	seg_with_host || return 1
	start_all A
}

# scenario VERSION KA_INTERVAL OUR_INTERVAL
# Ours is master first (120 vs 100), then keepalived (150).
scenario() {
	local v=$1 down=$(($1 == 2 ? 6 : 3))
	ours "$v" 120 "$3" || return 1
	ka_start "$v" 100 "$2" || return 1
	wait_until "$down" is_state Master || { echo "  ours: $(vstate)"; return 1; }
	wait_until "$down" ka_is BACKUP || { echo "  keepalived: $(ka_state)"; return 1; }
	has_addr A $VIP && ! has_addr B $VIP && h_reaches A || return 1
	# Ours dies hard: keepalived takes over.
	stop9 A vrrpd
	wait_until "$down" ka_is MASTER || { echo "  keepalived did not take over"; return 1; }
	inns H ping -c 1 -W 1 $VIP >/dev/null; h_reaches B || return 1
	# Ours returns and preempts (priority 120 over 100).
	start A vrrpd
	wait_until "$down" is_state Master || return 1
	wait_until "$down" ka_is BACKUP || return 1
	# Ours leaves gracefully: keepalived takes over after its Skew_Time.
	kill -TERM "${DEV_PID[A.vrrpd]}"
	wait "${DEV_PID[A.vrrpd]}"
	unset "DEV_PID[A.vrrpd]"
	wait_until 2 ka_is MASTER || { echo "  keepalived ignored our priority 0"; return 1; }
	start A vrrpd
	wait_until "$down" is_state Master || return 1
	wait_until "$down" ka_is BACKUP || return 1
	ka_kill TERM
	# keepalived as master (150), ours backup.
	ka_start "$v" 150 "$2" || return 1
	wait_until "$down" ka_is MASTER || return 1
	wait_until "$down" is_state Backup || return 1
	cli A -c "display vrrp" | grep -q "Master IP *: 192.0.2.2$" || return 1
	# keepalived leaves gracefully: ours takes over on its priority 0.
	ka_kill TERM
	wait_until 2 is_state Master || return 1
	grep -q "Backup -> Master: master left (priority 0)" "$ROOT/A/vrrpd.log" || return 1
	h_reaches A || return 1
	# keepalived master again, then killed hard (whole process tree).
	ka_start "$v" 150 "$2" || return 1
	wait_until "$down" is_state Backup || return 1
	ka_kill KILL
	inns B ip addr del $VIP/32 dev eth1 2>/dev/null # what a dead router leaves
	wait_until "$down" is_state Master || return 1
	h_reaches A || return 1
	# Nothing keepalived sent was dropped as malformed.
	! cli A -c "display vrrp statistics" | grep -q "Dropped" || return 1
	# Nor did keepalived find fault with what we sent.
	! grep -Ei "checksum|invalid|mismatch|wrong|malformed|bad " "$ROOT/B/keepalived.log"
}

test_v3() { scenario 3 0.1 "100 msec"; }

# IPv6 (VRRPv3, vrid 2 beside the IPv4 group): our advertisements are
# framed by vrrpd itself (vrrp_net_send6_link), so keepalived checks our
# IPv6 header, hop limit and checksum here.
test_v6() {
	local ka="2 $VIP6/128"
	cli A -q -c "system-view" -c "vrrp version v3" -c "interface eth1" \
		-c "vrrp6 vrid 2 virtual-ip $VIP6" -c "vrrp6 vrid 2 priority 120" \
		-c "vrrp6 vrid 2 timer advertise 100 msec" -c "vrrp6 vrid 2 preempt-mode timer delay 0" \
		-c "commit" || return 1
	# shellcheck disable=SC2086
	ka_start 3 100 0.1 $ka || return 1
	wait_until 3 is_state Master $VIP6 && wait_until 3 ka_is BACKUP ||
		{ echo "  ours: $(vstate $VIP6), keepalived: $(ka_state)"; return 1; }
	h_reaches A $VIP6 || return 1
	stop9 A vrrpd
	wait_until 3 ka_is MASTER || { echo "  keepalived did not take over"; return 1; }
	inns H ping -6 -c 1 -W 1 $VIP6 >/dev/null; h_reaches B $VIP6 || return 1
	start A vrrpd
	wait_until 3 is_state Master $VIP6 && wait_until 3 ka_is BACKUP || return 1
	kill -TERM "${DEV_PID[A.vrrpd]}"
	wait "${DEV_PID[A.vrrpd]}"
	unset "DEV_PID[A.vrrpd]"
	wait_until 2 ka_is MASTER || { echo "  keepalived ignored our priority 0"; return 1; }
	start A vrrpd
	wait_until 3 is_state Master $VIP6 && wait_until 3 ka_is BACKUP || return 1
	ka_kill TERM
	# shellcheck disable=SC2086
	ka_start 3 150 0.1 $ka || return 1
	wait_until 3 is_state Backup $VIP6 || return 1
	cli A -c "display vrrp" | grep -q "Master IP *: fe80::" || return 1
	ka_kill TERM
	wait_until 2 is_state Master $VIP6 || return 1
	h_reaches A $VIP6 || return 1
	! cli A -c "display vrrp statistics" | grep -q "Dropped" || return 1
	! grep -Ei "checksum|invalid|mismatch|wrong|malformed|bad " "$ROOT/B/keepalived.log"
}
test_v2() {
	stop9 A vrrpd
	start A vrrpd && wait_sync A || return 1
	scenario 2 1 1
}

t "setup: A (this suite), B (keepalived), host H on one segment" setup || exit 1
t "VRRPv3 with keepalived: both roles, hard kill and priority 0 each way" test_v3
t "VRRPv2 with keepalived: both roles, hard kill and priority 0 each way" test_v2
t "VRRPv3 over IPv6 with keepalived: both roles, hard kill and priority 0 each way" test_v6
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

echo "interop integration: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
