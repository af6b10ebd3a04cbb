#!/usr/bin/env bash
# BFD (RFC 5880/5881) between two devices A and B joined by a link (eth2,
# 198.51.100.1 and .2) and a user segment (eth1, 192.0.2.1 and .2, VRRP
# group 1 with 192.0.2.100), each running the suite: VRP's static sessions
# configured through cfgd, three-way handshake, negotiated intervals, a
# silent peer detected within its detection time, AdminDown both ways,
# rogue packets, what display and its JSON say, and VRRP tracking a
# session: peer BFD takes over long before Master_Down_Interval, reduced
# hands the group over while the session is down.
# Usage: tests/integration/bfd.sh BUILDDIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

addr_of() { [ "$1" = A ] && echo 198.51.100.1 || echo 198.51.100.2; }
other() { [ "$1" = A ] && echo B || echo A; }
# bfd_field DEV JQ: a field of the device's one session, from JSON.
bfd_field() { jcli "$1" "display bfd session" | jq -r ".sessions[0]$2"; }
state_is() { [ "$(bfd_field "$1" .state)" = "$2" ]; }

# bfd_config DEV [LINES...]: bfd, and session s (A: atob, B: btoa) towards
# the other device on eth2 with 100 ms intervals, then LINES in its view.
bfd_config() {
	local d=$1 name
	shift
	[ "$d" = A ] && name=atob || name=btoa
	local extra=()
	for l in "$@"; do extra+=(-c "$l"); done
	cli "$d" -q -c "system-view" -c "bfd" -c "quit" \
		-c "bfd $name bind peer-ip $(addr_of "$(other "$d")") interface eth2 source-ip $(addr_of "$d")" \
		-c "min-tx-interval 100" -c "min-rx-interval 100" -c "detect-multiplier 3" \
		"${extra[@]}" -c "commit"
}

explain() {
	local d
	for d in A B; do
		echo "  --- $d:"
		cli "$d" -c "display bfd session" | sed 's/^/  /'
		grep "bfd" "$ROOT/$d/vrrpd.log" | tail -n 4 | sed 's/^/  /'
	done
	return 1
}

setup() {
	seg_create && dev_on_seg A 192.0.2.1/24 && dev_on_seg B 192.0.2.2/24 || return 1
	link_pair A 198.51.100.1/24 B 198.51.100.2/24 || return 1
	start_all A && start_all B || return 1
	bfd_config A && bfd_config B
}

# Down -> Init -> Up on both sides, each knowing the other's discriminator.
test_sessions_come_up() {
	wait_until 10 state_is A Up && wait_until 5 state_is B Up || explain || return 1
	[ "$(bfd_field A .remote_discriminator)" = "$(bfd_field B .local_discriminator)" ] &&
		[ "$(bfd_field B .remote_discriminator)" = "$(bfd_field A .local_discriminator)" ] &&
		[ "$(bfd_field A .tx_interval_us)" = 100000 ] &&
		[ "$(bfd_field A .detection_time_us)" = 300000 ] || explain || return 1
	cli A -c "display bfd session atob" | grep -q "State *: Up" || explain
}

# B asks for packets no faster than every 300 ms: A's transmit interval
# follows (a Poll Sequence), and B's detection time of A grows with it;
# the session never goes down meanwhile.
test_intervals_are_negotiated() {
	local downs
	downs=$(bfd_field A .downs)
	cli B -q -c "system-view" -c "bfd btoa" -c "min-rx-interval 300" -c "commit" || return 1
	wait_until 5 eval '[ "$(bfd_field A .tx_interval_us)" = 300000 ]' || explain || return 1
	wait_until 5 eval '[ "$(bfd_field B .detection_time_us)" = 900000 ]' || explain || return 1
	[ "$(bfd_field A .downs)" = "$downs" ] && state_is A Up || explain || return 1
	cli B -q -c "system-view" -c "bfd btoa" -c "min-rx-interval 100" -c "commit" &&
		wait_until 5 eval '[ "$(bfd_field A .tx_interval_us)" = 100000 ]' || explain
}

# B's vrrpd stopped (SIGSTOP: no packet, no goodbye): A declares the
# session down with "Control Detection Time Expired" within its 300 ms
# detection time (polled every 50 ms, so at most about 0.5 s after), and
# back up once B goes on.
test_a_silent_peer_is_detected() {
	local t0 t1 ms diag
	wait_until 5 state_is A Up || explain || return 1
	kill -STOP "${DEV_PID[B.vrrpd]}"
	t0=$(date +%s%N)
	wait_until 3 state_is A Down || { kill -CONT "${DEV_PID[B.vrrpd]}"; explain; return 1; }
	t1=$(date +%s%N)
	diag=$(bfd_field A .diagnostic) # before B goes on: Up again clears it
	kill -CONT "${DEV_PID[B.vrrpd]}"
	ms=$(((t1 - t0) / 1000000))
	echo "  A saw B's silence after $ms ms (detection time 300 ms, polled by dbcli)"
	[ "$diag" = 1 ] || { echo "  diagnostic $diag, want 1"; explain; return 1; }
	[ "$ms" -lt 1500 ] || { echo "  too late"; return 1; }
	wait_until 10 state_is A Up || explain
}

# shutdown on B: B goes AdminDown and tells A, which goes Down with
# "Neighbor Signaled Session Down"; undo shutdown brings both back Up.
test_admin_down_is_signalled() {
	cli B -q -c "system-view" -c "bfd btoa" -c "shutdown" -c "commit" || return 1
	wait_until 5 state_is B AdminDown && wait_until 5 state_is A Down || explain || return 1
	[ "$(bfd_field A .diagnostic)" = 3 ] && [ "$(bfd_field B .diagnostic)" = 7 ] || explain ||
		return 1
	cli B -q -c "system-view" -c "bfd btoa" -c "undo shutdown" -c "commit" || return 1
	wait_until 10 state_is A Up && wait_until 5 state_is B Up || explain
}

# What vrrpd cannot run is refused by the commit with the reason, and
# nothing of it is applied.
test_commit_refuses_what_cannot_run() {
	local out
	out=$(cli A -c "system-view" -c "bfd x bind peer-ip 198.51.100.9 interface eth9" -c "commit" 2>&1)
	echo "$out" | grep -q "interface eth9 does not exist" || { echo "$out"; return 1; }
	out=$(cli A -c "system-view" -c "bfd y bind peer-ip 198.51.100.2 source-ip 198.51.100.77" \
		-c "commit" 2>&1)
	echo "$out" | grep -q "source-ip 198.51.100.77 is not an address of this device" ||
		{ echo "$out"; return 1; }
	# nothing was half applied: still the one session, still up
	[ "$(jcli A "display bfd session" | jq '.sessions | length')" = 1 ] && state_is A Up
}

# Rogue neighbours try to take A's session down with AdminDown packets
# that name A's discriminator: one from another address on the link (TTL
# 255), one from B's own address as if routed (TTL 254). A drops both and
# counts why; its session stays up and never flaps.
test_rogue_packets_are_dropped() {
	local disc downs ttl0 src0
	wait_until 5 state_is A Up || explain || return 1
	disc=$(bfd_field A .local_discriminator)
	downs=$(bfd_field A .downs)
	ttl0=$(jcli A "display bfd session" | jq .dropped.ttl)
	src0=$(jcli A "display bfd session" | jq .dropped.wrong_source)
	inns B ip addr add 198.51.100.66/24 dev eth2 || return 1
	inns B "$BIN/bfd-inject" 198.51.100.66 198.51.100.1 255 admindown 4242 "$disc" 20 &&
		inns B "$BIN/bfd-inject" 198.51.100.2 198.51.100.1 254 admindown 4242 "$disc" 20 ||
		return 1
	inns B ip addr del 198.51.100.66/24 dev eth2
	sleep 0.5
	[ "$(jcli A "display bfd session" | jq .dropped.ttl)" -ge $((ttl0 + 20)) ] &&
		[ "$(jcli A "display bfd session" | jq .dropped.wrong_source)" -ge $((src0 + 20)) ] ||
		{ jcli A "display bfd session" | jq .dropped; return 1; }
	state_is A Up && [ "$(bfd_field A .downs)" = "$downs" ] || explain
}

# Removing the session: A says AdminDown on its way out, B goes Down
# with diag 3 rather than waiting for its detection time.
test_removal_says_goodbye() {
	cli A -q -c "system-view" -c "undo bfd atob" -c "commit" || return 1
	wait_until 2 state_is B Down || explain || return 1
	[ "$(bfd_field B .diagnostic)" = 3 ] || explain || return 1
	[ "$(jcli A "display bfd session" | jq '.sessions | length')" = 0 ]
}

# A session over IPv6 on eth2 (2001:db8:2::1 and ::2), each way.
test_ipv6_sessions_come_up() {
	local d me peer
	for d in A B; do
		[ $d = A ] && me=2001:db8:2::1 peer=2001:db8:2::2 || me=2001:db8:2::2 peer=2001:db8:2::1
		inns $d ip -6 addr add $me/64 dev eth2 nodad || return 1
		cli $d -q -c "system-view" -c "bfd v6 bind peer-ip $peer interface eth2 source-ip $me" \
			-c "min-tx-interval 100" -c "min-rx-interval 100" -c "commit" || return 1
	done
	wait_until 10 eval '[ "$(jcli A "display bfd session v6" | jq -r .sessions[0].state)" = Up ] &&
		[ "$(jcli B "display bfd session v6" | jq -r .sessions[0].state)" = Up ]' || explain || return 1
	for d in A B; do
		cli $d -q -c "system-view" -c "undo bfd v6" -c "commit" || return 1
	done
}

# VRRP group 1 on the segment (A 120, B 100, 1 s adverts, preempt at once)
# and a session each way on eth1 at 50 ms x 3; B tracks its session to A
# as the master's (peer BFD).
setup_vrrp() {
	local d prio peer name
	for d in A B; do
		[ $d = A ] && prio=120 peer=192.0.2.2 name=segAB || prio=100 peer=192.0.2.1 name=segBA
		cli $d -q -c "system-view" -c "bfd $name bind peer-ip $peer interface eth1" \
			-c "min-tx-interval 50" -c "min-rx-interval 50" -c "quit" \
			-c "interface eth1" -c "vrrp vrid 1 virtual-ip 192.0.2.100" \
			-c "vrrp vrid 1 priority $prio" -c "vrrp vrid 1 preempt-mode timer delay 0" \
			-c "commit" || return 1
	done
	cli B -q -c "system-view" -c "interface eth1" \
		-c "vrrp vrid 1 track bfd-session session-name segBA peer" -c "commit" || return 1
	wait_until 10 eval '[ "$(vrrp_state A 192.0.2.100)" = Master ] &&
		[ "$(vrrp_state B 192.0.2.100)" = Backup ]' || return 1
	wait_until 10 eval '[ "$(jcli B "display bfd session segBA" | jq -r ".sessions[0].state")" = Up ]'
}

# A's vrrpd stops (SIGSTOP: no advertisement, no BFD, no goodbye). B's
# peer session sees it within 150 ms and B takes over at once, where VRRP
# alone waits its Master_Down_Interval (3.6 s at 1 s adverts).
test_peer_bfd_takes_over_before_master_down() {
	local t0 t1 ms
	kill -STOP "${DEV_PID[A.vrrpd]}"
	t0=$(date +%s%N)
	wait_until 5 eval '[ "$(vrrp_state B 192.0.2.100)" = Master ]' ||
		{ kill -CONT "${DEV_PID[A.vrrpd]}"; explain; return 1; }
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	echo "  B master $ms ms after A stopped (Master_Down_Interval 3609 ms; polled by dbcli)"
	# the reason read while A is still stopped: once it runs again, its
	# first advertisement makes B Backup and the last change another one
	cli B -c "display vrrp verbose" >"$ROOT/peer_bfd.verbose"
	kill -CONT "${DEV_PID[A.vrrpd]}"
	grep -q "the master's BFD session went down" "$ROOT/peer_bfd.verbose" ||
		{ cat "$ROOT/peer_bfd.verbose"; return 1; }
	[ "$ms" -lt 2000 ] || return 1
	# A goes on, and being of higher priority takes the group back
	wait_until 10 eval '[ "$(vrrp_state A 192.0.2.100)" = Master ] &&
		[ "$(vrrp_state B 192.0.2.100)" = Backup ]'
}

# A tracks its session with reduced 30: B shuts its end down, A's priority
# falls to 90, below B's 100, and B preempts; undo shutdown gives it back
# (B's peer track removed first: it would take over on its own).
test_reduced_priority_hands_the_group_over() {
	# without B's peer track, so that only A's priority moves the group
	cli B -q -c "system-view" -c "interface eth1" \
		-c "undo vrrp vrid 1 track bfd-session session-name segBA" -c "commit" || return 1
	cli A -q -c "system-view" -c "interface eth1" \
		-c "vrrp vrid 1 track bfd-session session-name segAB reduced 30" -c "commit" || return 1
	cli B -q -c "system-view" -c "bfd segBA" -c "shutdown" -c "commit" || return 1
	wait_until 10 eval '[ "$(vrrp_state B 192.0.2.100)" = Master ]' || { explain; return 1; }
	[ "$(jcli A "display vrrp" | jq '.groups[0].priority_running')" = 90 ] ||
		{ jcli A "display vrrp" | jq '.groups[0]'; return 1; }
	cli B -q -c "system-view" -c "bfd segBA" -c "undo shutdown" -c "commit" || return 1
	wait_until 10 eval '[ "$(vrrp_state A 192.0.2.100)" = Master ]' || { explain; return 1; }
	[ "$(jcli A "display vrrp" | jq '.groups[0].priority_running')" = 120 ]
}

t "setup: A and B linked, the suite on each, a BFD session each way at 100 ms x 3" setup || exit 1
t "the sessions come up: discriminators learned, 100 ms, 300 ms detection" test_sessions_come_up
t "the peer's slower receive interval is taken without a flap, and given back" \
	test_intervals_are_negotiated
t "a silent peer is detected: Down, Control Detection Time Expired; back Up after" \
	test_a_silent_peer_is_detected
t "shutdown on B: AdminDown there, Neighbor Signaled Session Down on A; undo: Up" \
	test_admin_down_is_signalled
t "a missing interface or a foreign source-ip refused at commit, nothing applied" \
	test_commit_refuses_what_cannot_run
t "rogue AdminDown from another address or with TTL 254: dropped and counted, no flap" \
	test_rogue_packets_are_dropped
t "a removed session says AdminDown: the peer goes Down at once" test_removal_says_goodbye
t "IPv6: a session each way over eth2 comes up" test_ipv6_sessions_come_up
t "setup: VRRP group 1 on the segment, sessions on eth1 at 50 ms x 3, B tracks A (peer)" setup_vrrp
t "peer BFD: A stops, B is master long before Master_Down_Interval; A takes it back" \
	test_peer_bfd_takes_over_before_master_down
t "track reduced 30: the session down hands the group to B; up again, back to A" \
	test_reduced_priority_hands_the_group_over
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

echo "bfd integration: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
