#!/usr/bin/env bash
# VRRP on a real segment: two routers A and B and a host H on a bridge,
# each router running the whole suite, configured through dbcli.
# Usage: tests/integration/vrrp.sh BUILDDIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

VIP=192.0.2.100
VIP6=2001:db8::100

# vstate DEV ADDR: the state of the group holding ADDR on DEV.
vstate() { vrrp_state "$1" "$2"; }
is_state() { [ "$(vstate "$1" "$2")" = "$3" ]; }
# vx_groups DEV STATE: how many groups on the vx* interfaces are in STATE.
vx_groups() {
	jcli "$1" "display vrrp" |
		jq --arg s "$2" '[.groups[] | select((.interface | startswith("vx")) and .state == $s)] | length'
}
has_addr() { inns "$1" ip -o addr show dev eth1 | grep -q " $2/"; }
mac_of() { inns "$1" cat /sys/class/net/eth1/address; }
# The MAC address host H uses for ADDR now.
h_neigh() { inns H ip neigh show "$1" dev eth1 | awk '{ print $3 }'; }
log_has() { grep -q -- "$2" "$ROOT/$1/vrrpd.log"; }

# configure DEV PRIORITY DELAY
configure() {
	cli "$1" -q -c "system-view" -c "vrrp version v3" -c "interface eth1" \
		-c "vrrp vrid 1 virtual-ip $VIP" -c "vrrp vrid 1 priority $2" \
		-c "vrrp vrid 1 timer advertise 100 msec" \
		-c "vrrp vrid 1 preempt-mode timer delay $3" \
		-c "vrrp6 vrid 1 virtual-ip $VIP6" -c "vrrp6 vrid 1 priority $2" \
		-c "vrrp6 vrid 1 timer advertise 100 msec" -c "commit"
}

setup() {
	seg_with_host || return 1
	start_all A && start_all B || return 1
	configure A 120 2 && configure B 100 0
}

# The higher priority wins; only the master holds the address.
test_election_by_priority() {
	wait_until 5 is_state A $VIP Master || { cli A -c "display vrrp"; return 1; }
	is_state B $VIP Backup || return 1
	has_addr A $VIP && ! has_addr B $VIP || return 1
	cli B -c "display vrrp" | grep -q "Master IP *: 192.0.2.1$" || return 1
	cli A -c "display vrrp" | grep -q "PriorityRun *: 120"
}

# The host reaches the virtual address, through A.
test_host_pings_vip() {
	inns H ping -c 2 -W 1 $VIP >/dev/null || return 1
	[ "$(h_neigh $VIP)" = "$(mac_of A)" ]
}

# VRRPv3 over IPv6: the same election, the host reaches the address.
test_ipv6_group() {
	wait_until 5 is_state A $VIP6 Master || return 1
	wait_until 2 is_state B $VIP6 Backup || return 1
	has_addr A $VIP6 && ! has_addr B $VIP6 || return 1
	inns H ping -6 -c 2 -W 1 $VIP6 >/dev/null
}

# Malformed or mismatched advertisements from the host, each claiming
# priority 250, are dropped, counted by reason and logged once, and change
# nothing; the same advertisement well formed does take the master over.
test_bad_packets_dropped_and_counted() {
	local k stats
	for k in ttl checksum short version type count addr vrid ttl checksum short version type \
		count addr vrid; do
		inns H "$BIN/vrrp-inject" eth1 $k 250 || return 1
	done
	sleep 0.5
	is_state A $VIP Master && is_state B $VIP Backup || return 1
	stats=$(cli A -c "display vrrp statistics")
	for k in "ttl not 255" "bad checksum" "too short" "bad version" "bad type" \
		"address count does not match length" "address list mismatch"; do
		echo "$stats" | grep -q "Dropped, $k *: 2$" || { echo "  no count for $k"; echo "$stats"; return 1; }
		[ "$(grep -c "dropped: $k (logged once)" "$ROOT/A/vrrpd.log")" = 1 ] || return 1
	done
	echo "$stats" | grep -q "eth1 (vrrp): dropped before reaching a group, vrid mismatch: 2" || return 1
	# The control: a valid advertisement with priority 250 is obeyed.
	inns H "$BIN/vrrp-inject" eth1 ok 250 || return 1
	wait_until 2 is_state A $VIP Backup || return 1
	wait_until 3 is_state A $VIP Master
}

# A split segment that heals: the master (A, priority 120) hears another
# master of lower priority (the host plays it, with 110: B, 100, stays
# backup). A stays master and announces itself again, so that what followed
# the other one comes back; a second one within the second does not make
# it announce again.
test_another_lower_master_makes_the_master_announce_again() {
	local st
	wait_until 5 is_state A $VIP Master || return 1
	# A's own announcements of its takeover are over (3 x 500 ms)
	announced() { jcli A "display vrrp" | jq -r '.groups[] | select(.vrid == 1 and .family == "ipv4") |
		.announce.announced_ns'; }
	wait_until 5 eval '[ $(($(date +%s%N) - $(announced))) -gt 1100000000 ]' || return 1
	garp_watch lower $VIP || return 1
	inns H "$BIN/vrrp-inject" eth1 ok 110 || return 1
	wait_until 3 eval '[ -n "$(garp_first lower)" ]' || { echo "  no gratuitous ARP from A"; return 1; }
	inns H "$BIN/vrrp-inject" eth1 ok 110 || return 1
	garp_stop lower
	is_state A $VIP Master && is_state B $VIP Backup || return 1
	st=$(jcli A "display vrrp" | jq -c '.groups[] | select(.vrid == 1 and .family == "ipv4") | .statistics')
	echo "  A: $(jq -c '{other_master_adverts, reannounced}' <<<"$st")"
	[ "$(jq .other_master_adverts <<<"$st")" -ge 2 ] && [ "$(jq .reannounced <<<"$st")" = 1 ] ||
		return 1
	log_has A "another master advertises on the segment (192.0.2.10, priority 110): announcing"
}

# Advertisements the kernel drops because vrrpd's receive buffer is full
# (B's vrrpd stopped while the host floods it) are counted in display and
# logged, and change nothing.
test_kernel_drops_counted() {
	local pid=${DEV_PID[B.vrrpd]} stats
	kill -STOP "$pid"
	inns H "$BIN/vrrp-inject" eth1 vrid 250 40000
	kill -CONT "$pid"
	has_kdrops() {
		stats=$(cli B -c "display vrrp statistics")
		grep -q "^IPv4: dropped by the kernel, receive buffer full: [1-9]" <<<"$stats"
	}
	wait_until 3 has_kdrops || { echo "$stats" | tail -n 4; return 1; }
	log_has B "the kernel dropped advertisements, the receive buffer full" || return 1
	is_state A $VIP Master && is_state B $VIP Backup
}

# kill -9 of the master's vrrpd: B takes over within Master_Down_Interval
# and the host's pings go to B. Restarted, A's vrrpd removes the address
# its predecessor left, waits out its preemption delay, and preempts.
test_kill9_master_then_preempt_after_delay() {
	stop9 A vrrpd
	wait_until 3 is_state B $VIP Master || return 1
	log_has B "Backup -> Master: master down timer expired" || return 1
	inns H ping -c 3 -i 0.2 -W 1 $VIP >/dev/null || return 1
	[ "$(h_neigh $VIP)" = "$(mac_of B)" ] || { echo "  H still uses $(h_neigh $VIP)"; return 1; }
	start A vrrpd
	wait_sync A || return 1
	log_has A "removing stale virtual address $VIP" || return 1
	is_state A $VIP Backup || return 1
	sleep 1 # half of A's 2 s preemption delay
	is_state A $VIP Backup || { echo "  A preempted before its delay"; return 1; }
	is_state B $VIP Master || return 1
	wait_until 4 is_state A $VIP Master || return 1
	wait_until 2 is_state B $VIP Backup || return 1
	log_has A "Backup -> Master: preempt" || return 1
	has_addr A $VIP && ! has_addr B $VIP
}

# SIGTERM on the master: it sends priority 0 and B takes over after
# Skew_Time, not after Master_Down_Interval.
test_graceful_stop_priority_zero() {
	wait_until 4 is_state A $VIP Master || return 1
	kill -TERM "${DEV_PID[A.vrrpd]}"
	wait "${DEV_PID[A.vrrpd]}"
	unset "DEV_PID[A.vrrpd]"
	wait_until 2 is_state B $VIP Master || return 1
	log_has B "Backup -> Master: .*priority 0" || { tail -3 "$ROOT/B/vrrpd.log"; return 1; }
	! has_addr A $VIP || { echo "  A kept the address after SIGTERM"; return 1; }
	cli B -c "display vrrp statistics" | grep -q "Priority 0 sent/received *: 0/[1-9]" || return 1
	start A vrrpd
	wait_sync A && wait_until 5 is_state A $VIP Master
}

# Interface down on the master: Initialize, addresses gone, B takes over;
# back up, A preempts after its delay.
test_interface_down_and_up() {
	inns A ip link set eth1 down
	wait_until 2 is_state A $VIP Initialize || return 1
	wait_until 3 is_state B $VIP Master || return 1
	! has_addr A $VIP || return 1
	inns A ip link set eth1 up
	wait_until 2 is_state A $VIP Backup || return 1
	wait_until 5 is_state A $VIP Master
}

# Priority and timers changed on a running group: no restart, and no
# transition except the preemption the new priority asks for.
test_running_changes() {
	local before
	# Both settled (B may still be leaving Master from the previous test).
	wait_until 5 is_state A $VIP Master && wait_until 3 is_state B $VIP Backup || return 1
	before=$(grep -c "Master\|Backup" "$ROOT/B/vrrpd.log")
	cli A -q -c "system-view" -c "interface eth1" -c "vrrp vrid 1 timer advertise 200 msec" \
		-c "vrrp vrid 1 priority 110" -c "commit" || return 1
	sleep 1
	is_state A $VIP Master && is_state B $VIP Backup || return 1
	[ "$(grep -c "Master\|Backup" "$ROOT/B/vrrpd.log")" = "$before" ] ||
		{ echo "  B changed state:"; tail -n 3 "$ROOT/B/vrrpd.log"; return 1; }
	cli B -c "display vrrp" | grep -q "TimerRun *: 200 ms" || return 1
	# B above A now: B preempts at once (delay 0); A, above B again, after 2 s.
	cli B -q -c "system-view" -c "interface eth1" -c "vrrp vrid 1 priority 115" -c "commit" || return 1
	wait_until 2 is_state B $VIP Master || return 1
	cli A -q -c "system-view" -c "interface eth1" -c "vrrp vrid 1 priority 120" \
		-c "vrrp vrid 1 timer advertise 100 msec" -c "commit" || return 1
	wait_until 4 is_state A $VIP Master && is_state B $VIP Backup
}

# The operator's notify script runs on every transition with its reason.
test_notify_script() {
	local out=$ROOT/notify.out
	printf '#!/bin/sh\necho "$@" >>%s\n' "$out" >"$ROOT/notify.sh"
	chmod +x "$ROOT/notify.sh"
	cli B -q -c "system-view" -c "vrrp notify-script $ROOT/notify.sh" -c "commit" || return 1
	inns A ip link set eth1 down
	wait_until 3 grep -q "^eth1 1 ipv4 Backup Master" "$out" || { cat "$out"; return 1; }
	inns A ip link set eth1 up
	wait_until 5 grep -q "^eth1 1 ipv4 Master Backup" "$out" || { cat "$out"; return 1; }
	# A script that is not executable is refused at commit, with the reason.
	cli B -c "system-view" -c "vrrp notify-script /nonexistent" -c "commit" 2>&1 |
		grep -q "vrrpd: vrrp notify-script /nonexistent: No such file"
}

# mVRRP: a group that tracks an admin-vrrp group follows its state.
test_mvrrp_member_follows_admin() {
	local d
	for d in A B; do
		cli $d -q -c "system-view" -c "interface eth1" -c "admin-vrrp vrid 1" \
			-c "vrrp vrid 3 virtual-ip 192.0.2.103" \
			-c "vrrp vrid 3 track admin-vrrp interface eth1 vrid 1" -c "commit" || return 1
	done
	wait_until 3 is_state A 192.0.2.103 Master || return 1
	is_state B 192.0.2.103 Backup && has_addr A 192.0.2.103 && ! has_addr B 192.0.2.103 || return 1
	inns A ip link set eth1 down
	wait_until 3 is_state B 192.0.2.103 Master || return 1
	has_addr B 192.0.2.103 || return 1
	inns A ip link set eth1 up
	wait_until 5 is_state A 192.0.2.103 Master
}

# Every transition is published with its reason on vrrpd-events.ipc (what
# rbpd follows), and each becoming master announces the address the
# configured number of times.
test_events_published_and_announcements() {
	local pa pb before after
	cli B -q -c "system-view" -c "vrrp gratuitous-arp count 5 interval 50" -c "commit" || return 1
	ip netns exec "${DEV_NS[A]}" "$BIN/vrrp-events" -r "$(run_dir A)" >"$ROOT/A.events" 2>&1 &
	pa=$!
	ip netns exec "${DEV_NS[B]}" "$BIN/vrrp-events" -r "$(run_dir B)" >"$ROOT/B.events" 2>&1 &
	pb=$!
	DEV_PID[A.events]=$pa DEV_PID[B.events]=$pb
	sleep 0.5 # let the subscriptions reach the publishers
	before=$(jcli B "display vrrp" | jq '.groups[0].statistics.announcements_sent')
	inns A ip link set eth1 down
	wait_until 3 grep -q "^eth1 1 ipv4 Backup Master master down timer expired$" "$ROOT/B.events" ||
		{ cat "$ROOT/B.events"; return 1; }
	grep -q "^eth1 1 ipv4 Master Initialize interface down$" "$ROOT/A.events" || return 1
	sleep 0.5
	after=$(jcli B "display vrrp" | jq '.groups[0].statistics.announcements_sent')
	[ $((after - before)) = 5 ] || { echo "  $before -> $after announcements"; return 1; }
	inns A ip link set eth1 up
	wait_until 5 grep -q "^eth1 1 ipv4 Backup Master preempt" "$ROOT/A.events" || return 1
	# B's own event comes through its own publisher, a moment later
	wait_until 3 grep -q "^eth1 1 ipv4 Master Backup higher priority advertisement received$" \
		"$ROOT/B.events" || { cat "$ROOT/B.events"; return 1; }
	kill "$pa" "$pb" && wait "$pa" "$pb"
	unset "DEV_PID[A.events]" "DEV_PID[B.events]"
	cli B -q -c "system-view" -c "undo vrrp gratuitous-arp" -c "commit"
}

# A virtual address that is the interface's own makes this router its
# owner: priority 255, master at once, and the address is never removed.
test_address_owner() {
	local d
	for d in A B; do
		cli $d -q -c "system-view" -c "interface eth1" -c "vrrp vrid 5 virtual-ip 192.0.2.1" \
			-c "vrrp vrid 5 timer advertise 100 msec" -c "commit" || return 1
	done
	wait_until 3 is_state A 192.0.2.1 Master && wait_until 3 is_state B 192.0.2.1 Backup || return 1
	cli A -c "display vrrp" | grep -q "PriorityRun *: 255 (address owner)" || return 1
	for d in A B; do
		cli $d -q -c "system-view" -c "interface eth1" -c "undo vrrp vrid 5" -c "commit" || return 1
	done
	inns A ip -o addr show dev eth1 | grep -q " 192.0.2.1/24" || { echo "  the owner lost its address"; return 1; }
	! has_addr B 192.0.2.1
}

# The VRRPv3 checksum over the message only (RFC 9568) works when both
# sides use it; a side that still expects the pseudo-header drops every
# advertisement as a bad checksum and says so.
test_checksum_message_only() {
	local d
	for d in A B; do
		cli $d -q -c "system-view" -c "interface eth1" -c "vrrp vrid 6 virtual-ip 192.0.2.106" \
			-c "vrrp vrid 6 timer advertise 100 msec" -c "vrrp vrid 6 checksum message-only" \
			-c "vrrp vrid 6 priority $([ $d = A ] && echo 120 || echo 100)" -c "commit" || return 1
	done
	wait_until 3 is_state A 192.0.2.106 Master && wait_until 3 is_state B 192.0.2.106 Backup || return 1
	cli A -c "display vrrp" | grep -q "checksum over the message only" || return 1
	cli B -q -c "system-view" -c "interface eth1" -c "undo vrrp vrid 6 checksum" -c "commit" || return 1
	wait_until 3 eval 'cli B -c "display vrrp statistics" | grep -A8 "Virtual Router 6" | grep -q "Dropped, bad checksum"' ||
		return 1
	for d in A B; do
		cli $d -q -c "system-view" -c "interface eth1" -c "undo vrrp vrid 6" -c "commit" || return 1
	done
}

# admin-vrrp ... ignore-if-down: the group does not leave its state when
# its interface goes down.
test_admin_ignore_if_down() {
	cli A -q -c "system-view" -c "interface eth1" -c "admin-vrrp vrid 1 ignore-if-down" -c "commit" ||
		return 1
	wait_until 5 is_state A $VIP Master || return 1
	inns A ip link set eth1 down
	sleep 1
	is_state A $VIP Master || { echo "  A left Master: $(vstate A $VIP)"; inns A ip link set eth1 up; return 1; }
	inns A ip link set eth1 up
	cli A -q -c "system-view" -c "interface eth1" -c "admin-vrrp vrid 1" -c "commit" || return 1
	cli A -c "display vrrp" | grep -q "Config Type *: admin-vrrp$" || return 1
	wait_until 5 is_state A $VIP Master && wait_until 3 is_state B $VIP Backup
}

# More IPv4 interfaces than one socket may join the VRRP group on (20 by
# default): 25 groups on 25 links between A and B all elect.
test_more_interfaces_than_one_socket_joins() {
	local i d f
	for i in $(seq 25); do
		ip -n "${DEV_NS[A]}" link add "vx$i" type veth peer name "vx$i" netns "${DEV_NS[B]}" || return 1
		inns A ip addr add 198.51.100.1/24 dev "vx$i" && inns A ip link set "vx$i" up
		inns B ip addr add 198.51.100.2/24 dev "vx$i" && inns B ip link set "vx$i" up
	done
	for d in A B; do
		f=$ROOT/$d.vx
		echo "system-view" >"$f"
		for i in $(seq 25); do
			printf 'interface vx%s\nvrrp vrid 10 virtual-ip 192.0.2.%s\nvrrp vrid 10 priority %s\nvrrp vrid 10 timer advertise 100 msec\nquit\n' \
				"$i" $((149 + i)) "$([ $d = A ] && echo 120 || echo 100)" >>"$f"
		done
		echo "commit" >>"$f"
		cli $d -q -f "$f" || return 1
	done
	wait_until 5 eval '[ "$(vx_groups A Master)" = 25 ]' || { cli A -c "display vrrp brief"; return 1; }
	wait_until 3 eval '[ "$(vx_groups B Backup)" = 25 ]' || { cli B -c "display vrrp brief"; return 1; }
	for d in A B; do
		f=$ROOT/$d.vx
		echo "system-view" >"$f"
		for i in $(seq 25); do printf 'interface vx%s\nundo vrrp vrid 10\nquit\n' "$i" >>"$f"; done
		echo "commit" >>"$f"
		cli $d -q -f "$f" || return 1
	done
	for i in $(seq 25); do inns A ip link del "vx$i"; done
}

# vrrpd refuses a group it cannot run, and says why.
test_refused_without_address() {
	local out
	inns A ip link add eth3 type veth peer name eth3p
	inns A ip link set eth3 up
	out=$(cli A -c "system-view" -c "interface eth3" -c "vrrp vrid 7 virtual-ip 192.0.2.107" \
		-c "commit" 2>&1) && return 1
	echo "$out" | grep -q "vrrpd: interface eth3: vrrp vrid 7: the interface has no IPv4 address"
}

VIP4=192.0.2.104
VMAC4=00:00:5e:00:01:04

# Every ARP and VRRP frame a device receives or sends for $1 seconds, one
# line each (a packet socket in perl, which every Debian system has; no
# tcpdump needed):
#   arp OPERATION SENDER-MAC SENDER-IP ETHERNET-SOURCE
#   vrrp VRID IP-SOURCE ETHERNET-SOURCE
CAPTURE='
$SIG{ALRM} = sub { exit 0 };
alarm $ARGV[0];
$| = 1;
socket(my $s, 17, 3, unpack("S", pack("n", 3))) or die "socket: $!\n";
print "ready\n";
while (defined(recv($s, my $f, 2048, 0))) {
	my $src = unpack("H12", substr($f, 6, 6));
	my $type = length($f) >= 14 ? unpack("n", substr($f, 12, 2)) : 0;
	if ($type == 0x0806 && length($f) >= 42) {
		printf "arp %d %s %s %s\n", unpack("n", substr($f, 20, 2)),
		    unpack("H12", substr($f, 22, 6)), join(".", unpack("C4", substr($f, 28, 4))), $src;
	} elsif ($type == 0x0800 && length($f) >= 34 && ord(substr($f, 23, 1)) == 112) {
		my $ihl = (ord(substr($f, 14, 1)) & 15) * 4;
		next if length($f) < 14 + $ihl + 2;
		printf "vrrp %d %s %s\n", ord(substr($f, 14 + $ihl + 1, 1)),
		    join(".", unpack("C4", substr($f, 26, 4))), $src;
	}
}'

# The macvlan of vrid 4 on DEV, as `display vrrp` names it.
vmac_if() {
	cli "$1" -c "display vrrp" |
		sed -n 's/^ *Virtual MAC *: 0000-5e00-0104 (macvlan \(.*\))$/\1/p'
}
tx_packets() { inns "$1" cat "/sys/class/net/$2/statistics/tx_packets"; }
addr_on() { inns "$1" ip -o addr show dev "$2" | grep -q " $3/"; }

# The failover part of test_virtual_mac, while H records ARP and VRRP.
vmac_failover() {
	local a b n
	wait_until 5 is_state A $VIP4 Master || { cli A -c "display vrrp"; return 1; }
	wait_until 2 is_state B $VIP4 Backup || return 1
	a=$(vmac_if A) b=$(vmac_if B)
	[ -n "$a" ] && [ -n "$b" ] || { cli A -c "display vrrp"; return 1; }
	# The master's macvlan has the virtual MAC and the address; nothing else has it.
	[ "$(inns A cat "/sys/class/net/$a/address")" = $VMAC4 ] || return 1
	addr_on A "$a" $VIP4 && ! has_addr A $VIP4 || return 1
	! inns B ip -o addr show | grep -q " $VIP4/" || return 1
	# H learns the address with the virtual MAC.
	inns H ip neigh del $VIP4 dev eth1 2>/dev/null
	inns H ping -c 2 -W 1 $VIP4 >/dev/null || return 1
	[ "$(h_neigh $VIP4)" = $VMAC4 ] || { echo "  H uses $(h_neigh $VIP4)"; return 1; }
	# The routers' own addresses keep their own MACs.
	inns H ip neigh flush dev eth1
	inns H ping -c 1 -W 1 192.0.2.1 >/dev/null && inns H ping -c 1 -W 1 192.0.2.2 >/dev/null ||
		return 1
	[ "$(h_neigh 192.0.2.1)" = "$(mac_of A)" ] && [ "$(h_neigh 192.0.2.2)" = "$(mac_of B)" ] ||
		return 1
	# The backup has sent nothing from the virtual MAC, not even IPv6 DAD or MLD.
	[ "$(tx_packets B "$b")" = 0 ] || { echo "  B sent $(tx_packets B "$b") from $b"; return 1; }
	# A fails: B answers with the same MAC, H's entry stays right.
	inns A ip link set eth1 down
	wait_until 3 is_state B $VIP4 Master || return 1
	addr_on B "$b" $VIP4 || return 1
	inns H ping -c 3 -i 0.2 -W 1 $VIP4 >/dev/null || return 1
	[ "$(h_neigh $VIP4)" = $VMAC4 ] || { echo "  H uses $(h_neigh $VIP4)"; return 1; }
	# Asked again, B answers ARP with the virtual MAC too.
	inns H ip neigh del $VIP4 dev eth1
	inns H ping -c 1 -W 1 $VIP4 >/dev/null || return 1
	[ "$(h_neigh $VIP4)" = $VMAC4 ] || { echo "  H uses $(h_neigh $VIP4)"; return 1; }
	# A returns and preempts; B, backup again, stays silent on its macvlan.
	inns A ip link set eth1 up
	wait_until 5 is_state A $VIP4 Master || return 1
	wait_until 2 is_state B $VIP4 Backup || return 1
	! addr_on B "$b" $VIP4 || return 1
	n=$(tx_packets B "$b")
	inns H ip neigh del $VIP4 dev eth1
	inns H ping -c 3 -i 0.2 -W 1 $VIP4 >/dev/null || return 1
	[ "$(h_neigh $VIP4)" = $VMAC4 ] || return 1
	[ "$(tx_packets B "$b")" = "$n" ] || { echo "  B sent from $b as backup"; return 1; }
}

# vrrp vrid 4 virtual-mac on A and B: the group's MAC is 00:00:5e:00:01:04
# (RFC 5798 7.3) on a macvlan of the master, whichever router that is, so
# H's ARP entry survives a failover. H records ARP and VRRP meanwhile:
# whoever sent ARP for the address used the virtual MAC, so neither
# router's own interface ever answered or announced it, and advertisements
# came from the virtual MAC with the router's own address. Removed, the
# group takes its macvlans with it; one left behind by a vrrpd killed
# with -9 is replaced when it restarts.
test_virtual_mac() {
	local d cap=$ROOT/arp-H.txt pid rc lines
	for d in A B; do
		cli $d -q -c "system-view" -c "interface eth1" -c "vrrp vrid 4 virtual-ip $VIP4" \
			-c "vrrp vrid 4 timer advertise 100 msec" -c "vrrp vrid 4 virtual-mac" \
			-c "commit" || return 1
	done
	cli A -q -c "system-view" -c "interface eth1" -c "vrrp vrid 4 priority 120" -c "commit" ||
		return 1
	ip netns exec "${DEV_NS[H]}" perl -e "$CAPTURE" 60 >"$cap" &
	pid=$!
	if wait_until 2 grep -q ready "$cap"; then
		vmac_failover
		rc=$?
	else
		rc=1
	fi
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ $rc = 0 ] || return 1
	lines=$(awk -v a=$VIP4 '$1 == "arp" && $4 == a' "$cap")
	echo "$lines" | grep -q "^arp 2 " || { echo "  H saw no ARP reply for $VIP4"; return 1; }
	! echo "$lines" | grep -v "^arp [12] 00005e000104 $VIP4 00005e000104$" ||
		{ echo "  ARP for $VIP4 from another MAC (above)"; return 1; }
	! grep -E "^arp [0-9]+ (00005e000104 .*|.* 00005e000104)$" "$cap" | grep -v " $VIP4 " ||
		{ echo "  the virtual MAC spoke for another address (above)"; return 1; }
	lines=$(awk '$1 == "vrrp" && $2 == 4' "$cap")
	echo "$lines" | grep -q "192.0.2.1 " && echo "$lines" | grep -q "192.0.2.2 " || return 1
	! echo "$lines" | grep -Ev "^vrrp 4 192\.0\.2\.[12] 00005e000104$" ||
		{ echo "  advertisements from another MAC (above)"; return 1; }
	# kill -9 leaves A's macvlan behind: restarted, A's vrrpd replaces it
	# (one interface with the virtual MAC, not two) and takes over again.
	stop9 A vrrpd
	wait_until 3 is_state B $VIP4 Master || return 1
	start A vrrpd
	wait_sync A || return 1
	log_has A "replaced macvlan vrrp\.[0-9]*\.4, left behind" || return 1
	[ "$(inns A ip -o link show | grep -c "link/ether $VMAC4 ")" = 1 ] || return 1
	wait_until 5 is_state A $VIP4 Master || return 1
	inns H ping -c 2 -i 0.2 -W 1 $VIP4 >/dev/null || return 1
	# The group removed, its macvlans go and B's eth1 (whose vrrpd never
	# died) answers ARP as before.
	for d in A B; do
		cli $d -q -c "system-view" -c "interface eth1" -c "undo vrrp vrid 4" -c "commit" ||
			return 1
	done
	for d in A B; do
		! inns $d ip -o link show | grep -q "link/ether $VMAC4 " || {
			inns $d ip -o link show
			return 1
		}
	done
	[ "$(inns B cat /proc/sys/net/ipv4/conf/eth1/arp_ignore)" = 0 ] &&
		[ "$(inns B cat /proc/sys/net/ipv4/conf/eth1/arp_announce)" = 0 ]
}

# vrrpd refuses virtual-mac when it cannot create the macvlan: here an
# interface that is not a macvlan already has its name.
test_virtual_mac_refused() {
	local name out why
	name=vrrp.$(inns A cat /sys/class/net/eth1/ifindex).5
	why="interface $name exists and is not a macvlan"
	inns A ip link add "$name" type veth peer name vm5p || return 1
	out=$(cli A -c "system-view" -c "interface eth1" -c "vrrp vrid 5 virtual-ip 192.0.2.105" \
		-c "vrrp vrid 5 virtual-mac" -c "commit" 2>&1)
	inns A ip link del "$name"
	echo "$out" | grep -q "vrrpd: interface eth1: vrrp vrid 5 virtual-mac: $why" ||
		{ echo "$out"; return 1; }
	! cli A -c "display vrrp brief" | grep -q 192.0.2.105
}

t "setup: A, B and host H on one segment, the suite on A and B" setup || exit 1
t "election by priority; only the master holds the virtual address" test_election_by_priority
t "the host pings the virtual address through the master" test_host_pings_vip
t "VRRPv3 over IPv6: election, the host pings the address" test_ipv6_group
t "malformed advertisements: dropped, counted by reason, logged once, no effect" \
	test_bad_packets_dropped_and_counted
t "another master of lower priority heard: the master stays and announces again" \
	test_another_lower_master_makes_the_master_announce_again
t "advertisements dropped by the kernel (receive buffer full) are counted and logged" \
	test_kernel_drops_counted
t "kill -9 of the master: B takes over; A returns, preempts after its delay" \
	test_kill9_master_then_preempt_after_delay
t "SIGTERM on the master: priority 0, B takes over after Skew_Time" test_graceful_stop_priority_zero
t "interface down on the master: Initialize, B takes over; up: A preempts" test_interface_down_and_up
t "priority and timer changes on a running group: no spurious transition" test_running_changes
t "the notify script runs on each transition" test_notify_script
t "mVRRP: a member group follows its admin-vrrp group" test_mvrrp_member_follows_admin
t "every transition is published with its reason; announcements as configured" \
	test_events_published_and_announcements
t "address owner: priority 255, master at once, its address never removed" test_address_owner
t "checksum message-only (RFC 9568) on both sides; a mismatch is counted" test_checksum_message_only
t "admin-vrrp ignore-if-down keeps its state when the interface goes down" test_admin_ignore_if_down
t "25 IPv4 groups on 25 interfaces, more than one socket can join: all elect" \
	test_more_interfaces_than_one_socket_joins
t "a group on an interface without an address is refused with the reason" test_refused_without_address
t "virtual-mac: the host keeps 00:00:5e:00:01:04 across a failover; only a master answers ARP" \
	test_virtual_mac
t "virtual-mac whose macvlan cannot be created is refused with the reason" \
	test_virtual_mac_refused
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

echo "vrrp integration: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
