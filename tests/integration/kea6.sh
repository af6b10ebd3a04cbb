#!/usr/bin/env bash
# ISC Kea's DHCPv6 leases survive the switchover: kea.sh's story with
# kea-dhcp6 and real DHCPv6 clients (dhclient -6, each on a macvlan of host
# H with its own MAC, odd and even, and a DUID-LL of it). Kea DHCPv6 on A
# and B with the platform's hook (kea/, docs/kea.md), the spec's procedure
# (A master of the odd-MAC group, B of the even). Each client gets its
# IA_NA address from the master of its group only; the other device's Kea
# holds nothing of it but its rbpd does; A dies, B's Kea holds A's leases
# and every client's rebind is answered by B with the same address; A
# returns and its Kea holds what B renewed meanwhile.
# Usage: tests/integration/kea6.sh BUILDDIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"
. "$HERE/kea_lib.sh"

N=${KEA6_CLIENTS:-10}
# Short T1/T2 (the lifetimes stay long): a client that comes back after
# T2 rebinds at once (RFC 8415 18.2.5, a Rebind any server may answer),
# instead of renewing with the server that granted its lease.
KEA6_RENEW=2
KEA6_REBIND=4
T0= # when the clients came back to B (test_every_rebind_answered_by_b_same_address)
procedure() { demo_procedure "$1" "s|delay 600|delay 0|"; }
n_kea() { kea_leases "$1" 6 | wc -l; }
# kea_lease6 DEV N: DEV's Kea's IA_NA lease of client N's address for
# client N's DUID and IAID (one JSON line), else nothing and failure.
kea_lease6() {
	kea_leases "$1" 6 | jq -c --arg a "$(client6_addr "$2")" --arg d "$(client6_duid "$2")" \
		--argjson i "$(client6_iaid "$2")" \
		'select(."ip-address" == $a and .duid == $d and .iaid == $i and .type == "IA_NA")' |
		grep .
}
# kea_renewed DEV N T: DEV's Kea holds client N's lease, last transmission T or later.
kea_renewed() { kea_lease6 "$1" "$2" | jq --argjson t "$3" '.cltt >= $t' | grep -qx true; }
# the MAC as rbpd displays it: 02:dc:10:00:00:01 -> 02dc-1000-0001
mac_disp() { local m=${1//:/}; echo "${m:0:4}-${m:4:4}-${m:8:4}"; }
# rebind_due N: client N's lease is past T2 (its next run rebinds).
rebind_due() {
	local s
	s=$(client6_lease "$1" | awk '$1 == "starts" { sub(";", "", $2); print $2; exit }')
	[ -n "$s" ] && [ $((s + KEA6_REBIND)) -lt "$(date +%s)" ]
}
all_rebind_due() { for n in $(seq "$N"); do rebind_due "$n" || return 1; done; }

setup() {
	pair_with_host || return 1
	wait_until 15 vrrp_is A 1 Master && wait_until 15 vrrp_is B 2 Master &&
		wait_until 15 chan_up A && wait_until 15 chan_up B || return 1
	kea6_start A && kea6_start B || return 1
	for n in $(seq "$N"); do client6_add "$n" || return 1; done
}

# Every client bound (an IA_NA address) by the master of its MAC's group
# (the server identifier in its lease), from its group's pool, each to an
# address of its own. The backup's Kea dropped the client's packets: no
# advertise or reply of it in the client's output, no lease for the
# client's DUID advertised or allocated in its log.
test_each_client_bound_by_its_master() {
	local n m b bad=0
	clients6_run 1 "$N" || return 1
	for n in $(seq "$N"); do
		m=$(client_master "$n")
		b=$(other "$m")
		[ "$(client6_server "$n")" = "$(kea6_server_id "$m")" ] ||
			{ echo "  client $n bound by $(client6_server "$n"), not $m"; bad=1; }
		[ "$(client6_duid "$n")" = "00:03:00:01:$(client_mac "$n")" ] ||
			{ echo "  client $n's DUID $(client6_duid "$n") is not a DUID-LL of its MAC"; bad=1; }
		[[ $(client6_addr "$n") == 2001:db8::$((2 - n % 2))[0-9a-f][0-9a-f] ]] ||
			{ echo "  client $n's $(client6_addr "$n") is not from its group's pool"; bad=1; }
		grep -q "Server ID: $(kea_hex "$(kea6_server_id "$b")")" "$ROOT/H/c$n.last" &&
			{ echo "  client $n heard the backup ($b)"; bad=1; }
		grep -E 'DHCP6_LEASE_(ADVERT|ALLOC)' "$ROOT/$b/kea6.log" | grep -q "duid=\[$(client6_duid "$n")\]" &&
			{ echo "  $b's Kea offered client $n a lease"; bad=1; }
	done
	[ "$(for n in $(seq "$N"); do client6_addr "$n"; done | sort -u | grep -c .)" = "$N" ] ||
		{ echo "  two clients share an address"; bad=1; }
	return $bad
}

# Both rbpd hold all N leases within 10 s, keyed by the address as text,
# with the client's MAC: each device its own half as master, the peer's as
# backup. Each Kea holds its own half only (address, DUID, IAID).
test_both_tables_hold_every_lease() {
	local n m d role bad=0
	wait_until 10 eval '[ "$(n_dhcp_users A)" = "$N" ] && [ "$(n_dhcp_users B)" = "$N" ]' ||
		{ echo "  A holds $(n_dhcp_users A), B $(n_dhcp_users B) of $N"; return 1; }
	for n in $(seq "$N"); do
		m=$(client_master "$n")
		for d in A B; do
			[ "$d" = "$m" ] && role=master || role=backup
			dhcp_users "$d" | grep -qx "$(client6_addr "$n") $(mac_disp "$(client_mac "$n")") $role" ||
				{ echo "  $d lacks user $(client6_addr "$n") $(mac_disp "$(client_mac "$n")") $role"; bad=1; }
		done
		kea_lease6 "$m" "$n" >/dev/null || { echo "  Kea $m lacks client $n's lease"; bad=1; }
	done
	[ "$(n_kea A)" = $(((N + 1) / 2)) ] && [ "$(n_kea B)" = $((N / 2)) ] ||
		{ echo "  Kea A holds $(n_kea A), Kea B $(n_kea B)"; bad=1; }
	return $bad
}

# A dies (every process of it killed, its link down): B becomes master of
# group 1 and its Kea holds every lease A granted, each for its client
# (address, DUID, IAID: what a rebind is matched by).
test_a_dies_b_kea_holds_a_leases() {
	local k n bad=0
	for k in "${!DEV_PID[@]}"; do [[ $k == A.* ]] && stop9 A "${k#A.}"; done
	inns A ip link set eth1 down
	wait_until 15 vrrp_is B 1 Master || { echo "  B is not master of group 1"; return 1; }
	wait_until 10 eval '[ "$(n_kea B)" = "$N" ]' || { echo "  Kea B holds $(n_kea B) of $N"; return 1; }
	for n in $(seq 1 2 "$N"); do
		kea_lease6 B "$n" >/dev/null || { echo "  Kea B lacks client $n's $(client6_addr "$n")"; bad=1; }
	done
	return $bad
}

# exchanges N: the messages of client N's last run, for a failure report.
exchanges() {
	grep -E '^(PRC: [BCR]|XMT: [A-Z][a-z]* on|RCV: [A-Z][a-z]* message|RCV: .*(IAADDR|Server ID))' \
		"$ROOT/H/c$1.last" | sed 's/^/    /'
}

# rebound_by DEV N: client N's last run confirmed its lease and rebound
# it (no new solicit), every answer it heard came from DEV, and its lease
# is now DEV's, of the address it had before the run.
rebound_by() {
	local f=$ROOT/H/c$2.last other_id
	other_id=$(kea_hex "$(kea6_server_id "$(other "$1")")")
	[ "$(client6_addr "$2")" = "$(cat "$ROOT/H/c$2.before")" ] &&
		[ "$(client6_server "$2")" = "$(kea6_server_id "$1")" ] &&
		grep -q '^PRC: Confirming active lease' "$f" && grep -q '^XMT: Rebind on' "$f" &&
		grep -q "IAADDR $(client6_addr "$2")$" "$f" &&
		! grep -q -e Soliciting -e "Server ID: $other_id" "$f"
}

# Every client comes back past T2: it confirms its lease (INIT-REBOOT),
# then rebinds it (RFC 8415 18.2.5), and B alone answers, with the same
# address; no client solicits anew. B's Kea extended the leases it held
# (still N, each with a new last transmission time), it did not allocate
# new ones. (That B held them before is the previous test's: Kea 2.2
# answers a Rebind for a lease it lacks with a new one, of the hinted
# address when free, so the rebinds alone would not show it.)
test_every_rebind_answered_by_b_same_address() {
	local n bad=0
	wait_until 10 all_rebind_due || { echo "  the leases are not past T2"; return 1; }
	for n in $(seq "$N"); do client6_addr "$n" >"$ROOT/H/c$n.before"; done
	T0=$(date +%s)
	clients6_run 1 "$N" 2 || return 1
	for n in $(seq "$N"); do
		rebound_by B "$n" ||
			{ echo "  client $n (had $(cat "$ROOT/H/c$n.before")):"; exchanges "$n"; bad=1; }
		kea_renewed B "$n" "$T0" || { echo "  Kea B did not renew client $n's lease"; bad=1; }
	done
	[ "$(n_kea B)" = "$N" ] || { echo "  Kea B holds $(n_kea B) leases, not $N"; bad=1; }
	return $bad
}

# A returns (daemons, link, Kea; its lease file still holds the leases it
# granted before it died): master of group 1 again, and its Kea holds the
# leases of that group as B renewed them (restored, not its stale copies).
# A client of the group comes back past T2 and A alone answers its rebind,
# with its address. A's hook read the leases of its Kea's database (the
# catch-up at its start) without a malformed one, and neither hook warned
# of anything in the whole suite (a restore Kea refused, an event skipped).
test_a_returns_with_b_renewals() {
	local n w bad=0
	[ -n "$T0" ] || { echo "  the clients did not come back to B: nothing to compare with"; return 1; }
	inns A ip link set eth1 up
	start_all A || return 1
	kea6_start A || return 1
	wait_until 30 vrrp_is A 1 Master || { echo "  A is not master of group 1 again"; return 1; }
	for n in $(seq 1 2 "$N"); do
		wait_until 10 kea_renewed A "$n" "$T0" ||
			{ echo "  Kea A lacks client $n's lease as B renewed it: $(kea_lease6 A "$n")"; bad=1; }
	done
	[ $bad = 0 ] || return 1
	wait_until 10 rebind_due 1 || { echo "  client 1's lease is not past T2"; return 1; }
	client6_run 1 2 && rebound_by A 1 || { echo "  client 1:"; exchanges 1; return 1; }
	grep -q "caught up: $(((N + 1) / 2)) leases of Kea's database handed to rbpd (0 skipped as malformed)" \
		"$ROOT/A/kea6.log" || { echo "  A's hook did not catch up:"; grep RBP_ "$ROOT/A/kea6.log" | tail -n 3; return 1; }
	w=$(grep -h -E 'RBP_KEA_(WARN|ERROR)' "$ROOT/A/kea6.log" "$ROOT/B/kea6.log")
	[ -z "$w" ] || { echo "  the hooks warned:"; echo "$w" | cut -c 1-240 | sed 's/^/    /'; return 1; }
}

if ! setup; then
	echo "not ok - setup: A and B with the spec's procedure, Kea DHCPv6 on both, $N clients on H"
	exit 1
fi
echo "ok - setup: A and B with the spec's procedure, Kea DHCPv6 on both, $N clients on H"
t "$N dhclient -6 bound, each by the master of its MAC's group only" \
	test_each_client_bound_by_its_master
t "both rbpd hold all $N leases (own half master); each Kea its own half" \
	test_both_tables_hold_every_lease
t "A dies: B master of both groups, B's Kea holds every lease A granted" \
	test_a_dies_b_kea_holds_a_leases
t "every client's rebind answered by B with the same address" \
	test_every_rebind_answered_by_b_same_address
t "A returns: master again, its Kea holds B's renewals, a rebind answered by A" \
	test_a_returns_with_b_renewals
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

echo "kea6 integration: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
