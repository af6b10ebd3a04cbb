#!/usr/bin/env bash
# VRRP tracking an interface, and the recover-delay (VRP's `vrrp vrid N
# track interface IF [reduced V | increased V]` and `vrrp recover-delay
# SECONDS`), between two devices A and B on a user segment (eth1,
# 192.0.2.1 and .2, VRRP group 1 with 192.0.2.100, A 120, B 100, preempt
# at once) and joined by a link (eth2, 198.51.100.1 and .2) that stands
# for A's uplink: A tracks it. What the operator sees is read from
# `display vrrp` in JSON.
# Usage: tests/integration/track.sh BUILDDIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

VIP=192.0.2.100
# grp DEV JQ: a field of the device's group 1, from JSON.
grp() { jcli "$1" "display vrrp" | jq -r ".groups[0]$2"; }
is() { [ "$(vrrp_state "$1" $VIP)" = "$2" ]; }
a_master() { is A Master && is B Backup; }
b_master() { is B Master && is A Backup; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

explain() {
	local d
	for d in A B; do
		echo "  --- $d: $(vrrp_state $d $VIP), priority $(grp $d .priority_running)"
		jcli $d "display vrrp" | jq -c '.groups[0] | {track_interface, recover_delay_s,
			link_recovering}' | sed 's/^/  /'
		grep -i "track\|recover\|interface" "$ROOT/$d/vrrpd.log" | tail -n 4 | sed 's/^/  /'
	done
	return 1
}

setup() {
	local d prio
	seg_create && dev_on_seg A 192.0.2.1/24 && dev_on_seg B 192.0.2.2/24 || return 1
	link_pair A 198.51.100.1/24 B 198.51.100.2/24 || return 1
	start_all A && start_all B || return 1
	for d in A B; do
		[ $d = A ] && prio=120 || prio=100
		cli $d -q -c "system-view" -c "interface eth1" -c "vrrp vrid 1 virtual-ip $VIP" \
			-c "vrrp vrid 1 priority $prio" -c "vrrp vrid 1 preempt-mode timer delay 0" \
			-c "commit" || return 1
	done
	cli A -q -c "system-view" -c "interface eth1" -c "vrrp vrid 1 track interface eth2 reduced 30" \
		-c "commit" || return 1
	wait_until 10 a_master || explain
}

# A's uplink goes down: A's priority falls to 90, below B's 100, and B
# preempts; the link back up gives A its 120 and the group at once.
test_uplink_down_hands_the_group_over() {
	[ "$(grp A '.track_interface[0].interface')" = eth2 ] &&
		[ "$(grp A '.track_interface[0].down')" = false ] &&
		[ "$(grp A .priority_running)" = 120 ] || explain || return 1
	inns A ip link set eth2 down
	wait_until 10 b_master || explain || return 1
	[ "$(grp A .priority_running)" = 90 ] && [ "$(grp A '.track_interface[0].down')" = true ] ||
		explain || return 1
	cli A -c "display vrrp verbose" | grep -q "Track Interface *: interface eth2, down: priority reduced 30" ||
		{ cli A -c "display vrrp verbose"; return 1; }
	inns A ip link set eth2 up
	wait_until 10 a_master || explain || return 1
	[ "$(grp A .priority_running)" = 120 ]
}

# With `vrrp recover-delay 3` on A's eth1, the uplink back up still
# counts as down for 3 s (priority 90, B keeps the group), then A takes it
# back. Going down counts at once.
test_recover_delay_holds_an_interface_back() {
	local t0 t1
	cli A -q -c "system-view" -c "interface eth1" -c "vrrp recover-delay 3" -c "commit" || return 1
	[ "$(grp A .recover_delay_s)" = 3 ] || explain || return 1
	inns A ip link set eth2 down
	wait_until 10 b_master || explain || return 1
	inns A ip link set eth2 up
	t0=$(now_ms)
	sleep 1
	[ "$(grp A '.track_interface[0].down')" = false ] &&
		[ "$(grp A '.track_interface[0].counted_down')" = true ] &&
		[ "$(grp A .priority_running)" = 90 ] && b_master || explain || return 1
	cli A -c "display vrrp verbose" | grep -q "up, counted down for the recover-delay" ||
		{ cli A -c "display vrrp verbose"; return 1; }
	wait_until 10 a_master || explain || return 1
	t1=$(now_ms)
	echo "  A master again $((t1 - t0)) ms after its uplink came back (recover-delay 3 s)"
	[ $((t1 - t0)) -ge 2900 ] && [ "$(grp A .priority_running)" = 120 ] &&
		[ "$(grp A '.track_interface[0].counted_down')" = false ]
}

# The uplink flaps during the delay: each time up starts the delay again,
# so the group stays with B until the link has been up 3 s in one go.
test_a_flap_starts_the_delay_again() {
	local i t0 t1
	inns A ip link set eth2 down
	wait_until 10 b_master || explain || return 1
	for i in 1 2 3; do
		inns A ip link set eth2 up
		sleep 1.5
		b_master || explain || return 1
		inns A ip link set eth2 down
		sleep 0.2
	done
	inns A ip link set eth2 up
	t0=$(now_ms)
	wait_until 10 a_master || explain || return 1
	t1=$(now_ms)
	echo "  A master $((t1 - t0)) ms after the last flap"
	[ $((t1 - t0)) -ge 2900 ]
}

# A's own interface comes back: with the recover-delay A stays in
# Initialize for 3 s (sends nothing, claims nothing), then comes up as
# Backup and preempts. Without it, it would have come up at once.
test_own_interface_waits_the_recover_delay() {
	local t0 t1
	inns A ip link set eth1 down
	wait_until 10 eval '[ "$(vrrp_state B $VIP)" = Master ] && [ "$(vrrp_state A $VIP)" = Initialize ]' ||
		explain || return 1
	inns A ip link set eth1 up
	t0=$(now_ms)
	sleep 1
	[ "$(vrrp_state A $VIP)" = Initialize ] && [ "$(grp A .link_recovering)" = true ] ||
		explain || return 1
	wait_until 10 a_master || explain || return 1
	t1=$(now_ms)
	echo "  A master $((t1 - t0)) ms after its interface came back (recover-delay 3 s)"
	[ $((t1 - t0)) -ge 2900 ] && [ "$(grp A .link_recovering)" = false ] &&
		grep -q "interface up for the recover-delay (3 s)" "$ROOT/A/vrrpd.log"
}

# A tracked interface that does not exist counts as down (A: 120 - 50),
# comes up when it is created (after the recover-delay), and down again
# when it is deleted.
test_a_missing_interface_counts_down_until_it_appears() {
	cli A -q -c "system-view" -c "interface eth1" -c "undo vrrp recover-delay" \
		-c "vrrp vrid 1 track interface eth7 reduced 50" -c "commit" || return 1
	wait_until 5 eval '[ "$(grp A .priority_running)" = 70 ]' || explain || return 1
	wait_until 10 b_master || explain || return 1
	inns A ip link add eth7 type veth peer name eth7p &&
		inns A ip link set eth7p up && inns A ip link set eth7 up || return 1
	wait_until 10 eval '[ "$(grp A .priority_running)" = 120 ]' || explain || return 1
	wait_until 10 a_master || explain || return 1
	inns A ip link del eth7
	wait_until 10 eval '[ "$(grp A .priority_running)" = 70 ]' || explain || return 1
	cli A -q -c "system-view" -c "interface eth1" -c "undo vrrp vrid 1 track interface eth7" \
		-c "commit" || return 1
	wait_until 10 a_master
}

# What makes no sense is refused at commit with the reason, and nothing of
# that commit is applied.
test_commit_refuses_nonsense() {
	local out before
	before=$(cli A -c "display current-configuration")
	out=$(cli A -c "system-view" -c "interface eth1" -c "vrrp recover-delay 9" \
		-c "vrrp vrid 1 track interface eth1" -c "commit" 2>&1)
	echo "$out" | grep -q "interface eth1: vrrp vrid 1 tracks its own interface" ||
		{ echo "$out"; return 1; }
	out=$(cli A -c "system-view" -c "interface eth2" -c "admin-vrrp vrid 5" \
		-c "vrrp vrid 5 virtual-ip 198.51.100.50" -c "quit" -c "interface eth1" \
		-c "vrrp vrid 6 virtual-ip 192.0.2.60" -c "vrrp vrid 6 track admin-vrrp interface eth2 vrid 5" \
		-c "vrrp vrid 6 track interface eth2" -c "commit" 2>&1)
	echo "$out" | grep -q "vrrp vrid 6 follows admin-vrrp interface eth2 vrid 5 and has no priority of its own" ||
		{ echo "$out"; return 1; }
	out=$(cli A -c "system-view" -c "interface eth1" -c "vrrp recover-delay 3601" 2>&1)
	echo "$out" | grep -qi "error\|range\|unknown\|incomplete" || { echo "$out"; return 1; }
	[ "$(cli A -c "display current-configuration")" = "$before" ] && [ "$(grp A .recover_delay_s)" = 0 ]
}

t "setup: A and B on the segment, group 1 (A 120, B 100), A tracks eth2 reduced 30" setup || exit 1
t "A's tracked uplink down: priority 90, B takes the group; up: A takes it back" \
	test_uplink_down_hands_the_group_over
t "recover-delay 3: the uplink back up counts as down 3 s more, then A preempts" \
	test_recover_delay_holds_an_interface_back
t "the uplink flaps during the delay: each up starts it again" test_a_flap_starts_the_delay_again
t "A's own interface back up: Initialize for the recover-delay, then master" \
	test_own_interface_waits_the_recover_delay
t "a tracked interface that does not exist is down until created, down when deleted" \
	test_a_missing_interface_counts_down_until_it_appears
t "tracking its own interface, a member group tracking, a delay out of range: refused" \
	test_commit_refuses_nonsense
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

echo "track integration: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
