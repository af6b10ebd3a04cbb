#!/usr/bin/env bash
# ISC Kea's DHCPv4 leases survive the switchover (issue 15): Kea on A and B
# with the platform's hook (kea/, docs/kea.md), the spec's procedure (A
# master of the odd-MAC group, B of the even), and 50 real DHCP clients
# (dhclient, each on a macvlan of host H with its own MAC, odd and even).
# Each client gets its lease from the master of its group only; the other
# device's Kea holds nothing of it but its rbpd does; A dies, and every
# client's renewal to B is acknowledged with the same address; a new client
# gets a free one; A returns and its Kea holds what B granted meanwhile.
# Usage: tests/integration/kea.sh BUILDDIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"
. "$HERE/kea_lib.sh"

N=${KEA_CLIENTS:-50}
procedure() { demo_procedure "$1" "s|delay 600|delay 0|"; }
# kea_has DEV ADDR MAC: DEV's Kea holds a lease of ADDR for MAC.
kea_has() {
	kea_leases "$1" 4 | jq -s -e --arg a "$2" --arg m "$3" \
		'any(.[]; ."ip-address" == $a and ."hw-address" == $m)' >/dev/null
}
n_kea() { kea_leases "$1" 4 | wc -l; }
# kea_stat DEV NAME: a statistic of DEV's Kea (the hook's are rbp-*), its
# latest value.
kea_stat() {
	kea_cmd "$1" 4 "{\"command\":\"statistic-get\",\"arguments\":{\"name\":\"$2\"}}" |
		jq -r --arg n "$2" '.arguments[$n][0][0] // "none"'
}
dev_addr() { [ "$1" = A ] && echo 192.0.2.1 || echo 192.0.2.2; }

setup() {
	pair_with_host || return 1
	wait_until 15 vrrp_is A 1 Master && wait_until 15 vrrp_is B 2 Master &&
		wait_until 15 chan_up A && wait_until 15 chan_up B || return 1
	kea_start A && kea_start B || return 1
	for n in $(seq "$N"); do client_add "$n" || return 1; done
}

# Every client bound, by the master of its MAC's group (the server
# identifier), each to an address of its own; the backup's Kea dropped
# their packets (no offer from it in any client's output).
test_each_client_bound_by_its_master() {
	local n m bad=0
	clients_run 1 "$N" || return 1
	for n in $(seq "$N"); do
		m=$(client_master "$n")
		[ "$(client_server "$n")" = "$(dev_addr "$m")" ] ||
			{ echo "  client $n bound by $(client_server "$n"), not $m"; bad=1; }
		grep -q "DHCPOFFER of .* from $(dev_addr "$(other "$m")")" \
			"$ROOT/H/c$n.last" && { echo "  client $n had an offer from the backup"; bad=1; }
	done
	[ "$(for n in $(seq "$N"); do client_addr "$n"; done | sort -u | wc -l)" = "$N" ] ||
		{ echo "  two clients share an address"; bad=1; }
	return $bad
}

# Both rbpd hold all N leases within 10 s: each device its own half as
# master, the peer's as backup; each Kea holds its own half only.
test_both_tables_hold_every_lease() {
	local want_a=$(((N + 1) / 2)) want_b=$((N / 2))
	wait_until 10 eval '[ "$(n_dhcp_users A)" = "$N" ] && [ "$(n_dhcp_users B)" = "$N" ]' ||
		{ echo "  A holds $(n_dhcp_users A), B $(n_dhcp_users B) of $N"; return 1; }
	[ "$(dhcp_users A | grep -c ' master$')" = "$want_a" ] && [ "$(dhcp_users B | grep -c ' master$')" = "$want_b" ] ||
		{ echo "  masters: A $(dhcp_users A | grep -c ' master$'), B $(dhcp_users B | grep -c ' master$')"; return 1; }
	[ "$(n_kea A)" = "$want_a" ] && [ "$(n_kea B)" = "$want_b" ] ||
		{ echo "  Kea A holds $(n_kea A), Kea B $(n_kea B)"; return 1; }
	# the hook's counters, as Kea statistics: each Kea handed over at
	# least its own half, and rbpd refused none
	[ "$(kea_stat A rbp-leases-sent)" -ge "$want_a" ] && [ "$(kea_stat B rbp-leases-sent)" -ge "$want_b" ] &&
		[ "$(kea_stat A rbp-leases-refused)" = 0 ] ||
		{ echo "  statistics: A sent $(kea_stat A rbp-leases-sent) refused $(kea_stat A rbp-leases-refused), B sent $(kea_stat B rbp-leases-sent)"; return 1; }
	# a lease reads as one: its address, its client's MAC
	dhcp_users B | grep -q "^$(client_addr 1) 02dc-1000-0001 backup$" ||
		{ echo "  B shows no user $(client_addr 1) of 02dc-1000-0001:"; dhcp_users B | head -3; return 1; }
}

# versions DEV: every user with its version, sorted.
versions() {
	jcli "$1" "display remote-backup-profile rbp1 users dhcp-server" |
		jq -r '.users[] | "\(.key) \(.version)"' | sort
}

# B's Kea killed and started again: the hook catches up from Kea's lease
# database, and rbpd takes every lease as what it holds already: no
# version moves (nothing duplicated, nothing re-sent), nothing is lost.
test_kea_restart_duplicates_nothing() {
	local before
	before=$(versions B)
	stop9 B kea4
	kea_start B || return 1
	wait_until 10 grep -q "caught up: $((N / 2)) leases" "$ROOT/B/kea4.log" ||
		{ echo "  B's hook did not catch up:"; grep RBP_ "$ROOT/B/kea4.log" | tail -3; return 1; }
	[ "$(versions B)" = "$before" ] || { echo "  B's table changed:"; diff <(echo "$before") <(versions B) | head; return 1; }
	[ "$(versions A)" = "$before" ] || { echo "  A's table differs from B's"; return 1; }
}

# B's rbpd killed; a new client of B's group bound meanwhile; B's rbpd
# started again (its table empty). A's batch brings B's users back; the
# lease granted while rbpd was down reaches it all the same (the hook's
# request waits for the new rbpd, or times out and a catch-up follows).
# Both tables hold all N + 1 and agree.
test_rbpd_restart_loses_nothing() {
	local n=$((N + 2 - N % 2)) a
	stop9 B rbpd
	client_add "$n" && client_run "$n" || return 1
	a=$(client_addr "$n")
	[ "$(client_server "$n")" = 192.0.2.2 ] || { echo "  bound by $(client_server "$n")"; return 1; }
	start B rbpd
	wait_sync B >/dev/null || return 1
	wait_until 20 eval '[ "$(n_dhcp_users B)" = $((N + 1)) ] && [ "$(n_dhcp_users A)" = $((N + 1)) ]' ||
		{ echo "  A holds $(n_dhcp_users A), B $(n_dhcp_users B) of $((N + 1))"; grep RBP_ "$ROOT/B/kea4.log" | tail -n 5 | cut -c 60-; return 1; }
	dhcp_users A | grep -q "^$a " || { echo "  A lacks $a, granted while B's rbpd was down"; return 1; }
	wait_until 10 eval '[ "$(versions A)" = "$(versions B)" ]' ||
		{ echo "  A's and B's tables differ"; return 1; }
	# B's own leases are B's again once its rbpd knows vrrpd's states
	wait_until 10 eval '[ "$(dhcp_users B | grep -c " master$")" = $((N / 2 + 1)) ]' ||
		{ echo "  B is master of $(dhcp_users B | grep -c ' master$')"; return 1; }
}

# ms_of LOGLINE: the time of a Kea log line, in ms since midnight.
ms_of() { awk '{ split($2, t, /[:.]/); print ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4] }'; }

# A's Kea in the synchronous mode (sync-ms 2000). A new client of A's
# group: when it is bound, B holds its lease already (looked at once, no
# wait). B's rbsd stopped (the channel stays up, nothing is confirmed):
# the next new client's ACK is parked until the bound, then goes anyway,
# not backed up (a master without its peer must go on serving); B gets
# the lease once its rbsd runs again.
test_sync_ack_waits_for_the_peer() {
	local n1=$((N + 5 - N % 2)) n2=$((N + 7 - N % 2)) a t0 t1
	stop9 A kea4
	KEA4_SYNC_MS=2000 kea_start A || return 1
	sleep 1.5 # the roles: rbpd tells them every second
	client_add "$n1" && client_run "$n1" || return 1
	a=$(client_addr "$n1")
	dhcp_users B | grep -q "^$a " || { echo "  B does not hold $a when the client is bound"; return 1; }
	kill -STOP "${DEV_PID[B.rbsd]}"
	client_add "$n2" && client_run "$n2"
	local rc=$?
	kill -CONT "${DEV_PID[B.rbsd]}"
	[ $rc = 0 ] || { echo "  client $n2 got no lease"; return 1; }
	a=$(client_addr "$n2")
	# committed (DHCP4_LEASE_ALLOC), then answered unbacked 2 s later
	t0=$(grep "DHCP4_LEASE_ALLOC.*$(client_mac "$n2").*lease $a " "$ROOT/A/kea4.log" | head -n 1 | ms_of)
	t1=$(grep "answered before the peer held them" "$ROOT/A/kea4.log" | tail -n 1 | ms_of)
	[ -n "$t0" ] && [ -n "$t1" ] || { echo "  no commit ($t0) or unbacked answer ($t1) in A's Kea log"; return 1; }
	echo "  client $n2: committed, answered not backed up $((t1 - t0)) ms later (bound 2000 ms)"
	# parked for the bound (an ACK not parked leaves within milliseconds;
	# rbpd's bound counts from its own receipt, Kea's log from the commit:
	# 1987 ms was seen)
	[ $((t1 - t0)) -ge 1500 ] && [ $((t1 - t0)) -lt 5000 ] || return 1
	wait_until 10 eval 'dhcp_users B | grep -q "^$a "' || { echo "  B never got $a"; return 1; }
}

# A dies (every process of it killed, its link down): B becomes master of
# group 1 and its Kea holds every lease A granted, each for its client.
test_a_dies_b_kea_holds_a_leases() {
	local k n bad=0
	for k in "${!DEV_PID[@]}"; do [[ $k == A.* ]] && stop9 A "${k#A.}"; done
	inns A ip link set eth1 down
	wait_until 15 vrrp_is B 1 Master || { echo "  B is not master of group 1"; return 1; }
	wait_until 10 eval '[ "$(n_kea B)" = $((N + 3)) ]' || { echo "  Kea B holds $(n_kea B) of $((N + 3))"; return 1; }
	# counted as restored into B's Kea: A's half of the N, and more
	[ "$(kea_stat B rbp-leases-restored)" -ge $(((N + 1) / 2)) ] ||
		{ echo "  B's rbp-leases-restored is $(kea_stat B rbp-leases-restored)"; return 1; }
	for n in $(seq 1 2 "$N"); do
		kea_has B "$(client_addr "$n")" "$(client_mac "$n")" ||
			{ echo "  Kea B lacks client $n's $(client_addr "$n")"; bad=1; }
	done
	return $bad
}

# Every client renews (INIT-REBOOT: a REQUEST for its address) and B
# acknowledges that same address, at once: no NAK, no new DISCOVER.
test_every_renewal_acked_by_b_same_address() {
	local n old bad=0
	for n in $(seq "$N"); do echo "$(client_addr "$n")" >"$ROOT/H/c$n.before"; done
	clients_run 1 "$N" || return 1
	for n in $(seq "$N"); do
		old=$(cat "$ROOT/H/c$n.before")
		grep -q "DHCPACK of $old from 192.0.2.2" "$ROOT/H/c$n.last" &&
			! grep -q -e DHCPDISCOVER -e DHCPNAK "$ROOT/H/c$n.last" ||
			{ echo "  client $n (had $old):"; grep DHCP "$ROOT/H/c$n.last" | sed 's/^/    /'; bad=1; }
	done
	return $bad
}

# A new client (odd: A's group, served by B now) gets an address no other
# client holds.
test_a_new_client_gets_a_free_address() {
	local n=$((N + 1 + N % 2)) a
	client_add "$n" && client_run "$n" || return 1
	a=$(client_addr "$n")
	[ "$(client_server "$n")" = 192.0.2.2 ] || { echo "  bound by $(client_server "$n")"; return 1; }
	for m in $(seq "$N"); do
		[ "$(client_addr "$m")" != "$a" ] || { echo "  $a is client $m's"; return 1; }
	done
	NEW=$n
}

# client_release N: client N releases its lease (DHCPRELEASE to the server
# that granted it last).
client_release() {
	ip netns exec "${DEV_NS[H]}" dhclient -r -v -cf "$ROOT/H/dhclient.conf" -sf /bin/true \
		-lf "$ROOT/H/c$1.leases" -pf "$ROOT/H/c$1.pid" "c$1" >>"$ROOT/H/c$1.log" 2>&1
}

# While A is away, client 1 (A's group, served by B now) releases its
# lease: B's Kea and B's rbpd forget it.
test_a_client_releases_at_b() {
	RELEASED=$(client_addr 1)
	client_release 1 || return 1
	wait_until 10 eval '! kea_has B "$RELEASED" "$(client_mac 1)"' ||
		{ echo "  B's Kea still holds $RELEASED"; return 1; }
	wait_until 10 eval '! dhcp_users B | grep -q "^$RELEASED "' ||
		{ echo "  B's rbpd still holds $RELEASED"; return 1; }
}

# A returns (daemons, link, then Kea): master of group 1 again once its
# table is complete, and its Kea, started only after that takeover, holds
# the lease B granted the new client (rbpd replays the users it is master
# of to a hook that subscribes late); the new client's renewal goes to A
# and is acknowledged with its address.
test_a_returns_with_b_grants() {
	local a
	inns A ip link set eth1 up
	start_all A || return 1
	wait_until 30 vrrp_is A 1 Master || { echo "  A is not master of group 1 again"; return 1; }
	kea_start A || return 1
	wait_until 10 grep -q "replayed to a service that subscribed to dhcp-server" \
		"$ROOT/A/rbpd.log" || { echo "  A's rbpd replayed nothing"; tail -3 "$ROOT/A/rbpd.log"; return 1; }
	a=$(client_addr "$NEW")
	wait_until 10 kea_has A "$a" "$(client_mac "$NEW")" ||
		{ echo "  Kea A lacks the new client's $a"; return 1; }
	client_run "$NEW" || return 1
	grep -q "DHCPACK of $a from 192.0.2.1" "$ROOT/H/c$NEW.last" ||
		{ grep DHCP "$ROOT/H/c$NEW.last"; return 1; }
}

# The lease client 1 released at B while A was away stays released: A's
# Kea, which held it when A died, no longer does once A is master again,
# and the hook's catch-up from that Kea did not bring it back into A's
# table, nor through A into B's.
test_released_lease_stays_released() {
	wait_until 10 grep -q "caught up" "$ROOT/A/kea4.log" ||
		{ echo "  A's hook never caught up"; return 1; }
	sleep 1
	for d in A B; do
		! dhcp_users $d | grep -q "^$RELEASED " ||
			{ echo "  $d's rbpd holds the released $RELEASED again"; return 1; }
	done
	! kea_has A "$RELEASED" "$(client_mac 1)" ||
		{ echo "  A's Kea still holds the released $RELEASED"; return 1; }
}

if ! setup; then
	echo "not ok - setup: A and B with the spec's procedure, Kea on both, $N clients on H"
	exit 1
fi
echo "ok - setup: A and B with the spec's procedure, Kea on both, $N clients on H"
t "$N dhclients bound, each by the master of its MAC's group only" \
	test_each_client_bound_by_its_master
t "both rbpd hold all $N leases (own half master); each Kea its own half" \
	test_both_tables_hold_every_lease
t "B's Kea restarted: its hook catches up, no version moves, nothing lost" \
	test_kea_restart_duplicates_nothing
t "B's rbpd down while B grants a lease, restarted empty: both hold all, agree" \
	test_rbpd_restart_loses_nothing
t "sync mode: B holds the lease when A's ACK comes; a silent peer delays it 2 s, no more" \
	test_sync_ack_waits_for_the_peer
t "A dies: B master of both groups, B's Kea holds every lease A granted" \
	test_a_dies_b_kea_holds_a_leases
t "every client's renewal acknowledged by B with the same address" \
	test_every_renewal_acked_by_b_same_address
t "a new client gets an address nobody holds" test_a_new_client_gets_a_free_address
t "a client of A's group releases its lease at B: B forgets it" test_a_client_releases_at_b
t "A returns: master again, its Kea holds B's grant, the renewal ACKed by A" \
	test_a_returns_with_b_grants
t "the lease released while A was away: not in A's Kea, not back in either table" \
	test_released_lease_stays_released
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

echo "kea integration: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
