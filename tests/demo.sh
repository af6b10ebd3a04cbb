#!/usr/bin/env bash
# make demo: two devices A and B and a user host H in network namespaces,
# all daemons on each device, the spec's procedure typed on both through
# dbcli, then what each device shows; users online (neighbours, and real
# DHCP clients leased by ISC Kea with the platform's hook on each device);
# A killed: B takes over, and A's DHCP clients renew their addresses with
# B. Everything is removed at the end.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/integration/lib.sh"
. "$HERE/integration/kea_lib.sh"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "demo: $*" >&2; exit 1; }

step "Topology: A and B on a user segment (bridge) with host H, and an RBS link A<->B"
SEG="$TAG-seg"
ip netns add "$SEG" && DEV_NS[seg]=$SEG
ip -n "$SEG" link add br0 type bridge && ip -n "$SEG" link set br0 up
for d in A B H; do
	ip netns add "$TAG-$d" && DEV_NS[$d]="$TAG-$d"
	ip -n "$TAG-$d" link set lo up
	ip -n "$SEG" link add "p$d" type veth peer name eth1 netns "$TAG-$d"
	ip -n "$SEG" link set "p$d" master br0 up
	ip -n "$TAG-$d" link set eth1 up
	mkdir -p "$(run_dir $d)" "$(state_dir $d)"
done
ip -n "$TAG-A" addr add 192.0.2.1/24 dev eth1
ip -n "$TAG-B" addr add 192.0.2.2/24 dev eth1
ip -n "$TAG-H" addr add 192.0.2.10/24 dev eth1
ip -n "$TAG-A" -6 addr add 2001:db8::1/64 dev eth1 nodad
ip -n "$TAG-B" -6 addr add 2001:db8::2/64 dev eth1 nodad
ip -n "$TAG-H" -6 addr add 2001:db8::10/64 dev eth1 nodad
ip -n "$TAG-A" link add eth2 type veth peer name eth2 netns "$TAG-B"
ip -n "$TAG-A" addr add 198.51.100.1/24 dev eth2 && ip -n "$TAG-A" link set eth2 up
ip -n "$TAG-B" addr add 198.51.100.2/24 dev eth2 && ip -n "$TAG-B" link set eth2 up
echo "  A eth1 192.0.2.1 2001:db8::1, eth2 198.51.100.1 | B eth1 192.0.2.2 2001:db8::2, eth2 198.51.100.2 | H 192.0.2.10"
ip netns exec "$TAG-A" ping -c1 -W1 198.51.100.2 >/dev/null && echo "  A reaches B over the RBS link"

step "Certificates for the SSL policy (the spec's prerequisite)"
make_certs "$ROOT/certs" || fail "openssl failed"
echo "  CA, A.pem, B.pem in $ROOT/certs"

step "Start cfgd, vrrpd, rbsd, rbpd on each device"
for d in A B; do
	start_all "$d" || fail "device $d did not start"
	echo "  device $d: $(cli $d -c 'display configuration sync' | grep -c ' yes$')/3 daemons in sync"
done

step "Type the spec's procedure on both devices (A: priority 120 for group 1, B: 120 for group 2)"
# Both at once, as two operators would: with preempt-mode timer delay 600,
# a device configured more than a Master_Down_Interval (about 3.6 s) before
# the other becomes master of both groups and keeps them for 600 s.
declare -A TYPING=()
for d in A B; do
	demo_procedure "$d" >"$ROOT/$d.procedure"
	cli "$d" -f "$ROOT/$d.procedure" >"$ROOT/$d.typed" 2>&1 &
	TYPING[$d]=$!
done
for d in A B; do
	wait "${TYPING[$d]}"
	rc=$?
	echo "--- device $d"
	sed 's/^/  /' "$ROOT/$d.typed"
	[ "$rc" = 0 ] || fail "device $d refused a command"
done

for d in A B; do
	step "Device $d: display current-configuration"
	cli "$d" -c "display current-configuration" | sed 's/^/  /'
	step "Device $d: display vrrp brief / remote-backup-service / remote-backup-profile"
	cli "$d" -c "display vrrp brief" -c "display remote-backup-service rbs1" \
		-c "display remote-backup-profile rbp1" | sed 's/^/  /'
done

vstate() { vrrp_state "$1" "$2"; }
is_state() { [ "$(vstate "$1" "$2")" = "$3" ]; }
mac_of() { inns "$1" cat /sys/class/net/eth1/address; }

step "VRRP elects: A master of group 1 (priority 120), B master of group 2 (priority 120)"
wait_until 10 is_state A 192.0.2.100 Master && wait_until 10 is_state B 192.0.2.101 Master || {
	for d in A B; do
		echo "--- device $d: display vrrp, and its vrrpd's and rbpd's last lines"
		cli "$d" -c "display vrrp" | sed 's/^/  /'
		tail -n 15 "$ROOT/$d/vrrpd.log" "$ROOT/$d/rbpd.log" 2>/dev/null | sed 's/^/  /'
	done
	fail "the groups did not settle: A should be master of group 1, B of group 2"
}
for d in A B; do
	echo "--- device $d: display vrrp brief"
	cli "$d" -c "display vrrp brief" | sed 's/^/  /'
done

step "The RBS channel: A and B connected over TLS with mutual authentication"
is_up() { cli "$1" -c "display remote-backup-service rbs1" | grep -q "State *: Connected"; }
wait_until 10 is_up A || fail "the RBS channel did not come up"
cli A -c "display remote-backup-service rbs1" | sed 's/^/  /'

step "Host H reaches both virtual addresses, each through its master"
inns H ping -c 2 -i 0.2 -W 1 192.0.2.100 >/dev/null && inns H ping -c 2 -i 0.2 -W 1 192.0.2.101 >/dev/null ||
	fail "H cannot reach the virtual addresses"
echo "  A's MAC $(mac_of A), B's MAC $(mac_of B); H's neighbour table:"
inns H ip neigh show dev eth1 | grep -E '192\.0\.2\.10[01] ' | sed 's/^/    /'

step "Users come online: 40 ARP users and 40 ND users on the segment, 20 DHCP clients leased by Kea"
# Each user sends one request to its gateway from its own MAC and then
# answers the routers' probes (tests/tools/neigh_users.c): the odd MACs
# ask group 1's address (A's), the even ones group 2's (B's).
for r in "arp 192.0.2.20 192.0.2.100 192.0.2.101 0" "nd 2001:db8::1:0 2001:db8::1 2001:db8::2 40"; do
	set -- $r
	ip netns exec "$TAG-H" "$BIN/neigh-users" -i eth1 -k -a "$2" -n 40 -o "$3" -e "$4" -s "$5" \
		>>"$ROOT/H/users.log" 2>&1 &
	DEV_PID[H.$1]=$!
done
# ISC Kea on each device with the platform's hook (docs/kea.md): each Kea
# answers the clients of the group it is master for (odd MACs A's, even
# B's), from that group's pool, and hands its leases to rbpd.
for d in A B; do
	kea_start "$d" || fail "Kea did not start on $d"
	echo "  device $d: kea-dhcp4 $(kea-dhcp4 -v) with $(basename "$RBP_HOOK"), pools: odd MACs" \
		"$KEA_POOL4_ODD, even MACs $KEA_POOL4_EVEN"
done
# 20 DHCP clients on H (dhclient, each on a macvlan with its own MAC)
for n in $(seq 20); do client_add "$n" || fail "no macvlan for client $n"; done
clients_run 1 20 || fail "a DHCP client got no lease"
for n in 1 2; do
	echo "  client $n ($(client_mac $n)): $(client_addr $n) from $(client_server $n)"
done
echo "  ... every odd client bound by A (192.0.2.1), every even one by B (192.0.2.2):" \
	"$(for n in $(seq 20); do [ "$(client_server $n)" = "192.0.2.$((2 - n % 2))" ] && echo y; done | wc -l) of 20"
ucount() {
	jcli "$1" "display remote-backup-profile rbp1" |
		jq --arg t "$2" '.profiles[0].users[$t] | .master + .backup'
}
wait_until 20 eval '[ "$(ucount A dhcp-server)" = 20 ] && [ "$(ucount B dhcp-server)" = 20 ] &&
	[ "$(ucount A arp)" -ge 40 ] && [ "$(ucount B nd)" -ge 40 ]' || fail "the users did not reach both devices"
echo "--- device B: display remote-backup-profile rbp1 users dhcp-server (A's leases are held as backup)"
cli B -c "display remote-backup-profile rbp1 users dhcp-server" | head -6 | sed 's/^/  /'
echo "  B's Kea itself holds $(kea_leases B 4 | wc -l) leases: its own clients'"
for d in A B; do
	echo "--- device $d: display remote-backup-profile rbp1"
	cli "$d" -c "display remote-backup-profile rbp1" | sed 's/^/  /'
done
echo "--- device B: display remote-backup-profile rbp1 users arp (the first lines)"
cli B -c "display remote-backup-profile rbp1 users arp" | head -6 | sed 's/^/  /'
echo "--- device B's kernel: A's odd users are installed already (peer-backup hot)"
inns B ip -4 neigh show dev eth1 proto 219 | head -3 | sed 's/^/  /'
echo "  ... $(inns B ip -4 neigh show dev eth1 proto 219 | grep -c PERMANENT) ARP and" \
	"$(inns B ip -6 neigh show dev eth1 proto 219 | grep -c PERMANENT) ND entries from A"

step "Failure: every daemon of A and its Kea killed (SIGKILL), A's link cut, while H pings 192.0.2.100 every 50 ms"
# started directly (not through the inns function, whose subshell would
# be the PID and leave ping running), and recorded so cleanup ends it
ip netns exec "${DEV_NS[H]}" ping -D -i 0.05 -W 1 192.0.2.100 >"$ROOT/ping.out" 2>&1 &
DEV_PID[H.ping]=$!
sleep 1
for d in cfgd vrrpd rbsd rbpd kea4; do stop9 A "$d"; done
inns A ip link set eth1 down
wait_until 10 is_state B 192.0.2.100 Master || fail "B did not take over group 1"
sleep 1
kill "${DEV_PID[H.ping]}" && wait "${DEV_PID[H.ping]}" 2>/dev/null
unset "DEV_PID[H.ping]"
echo "--- device B: display vrrp brief"
cli B -c "display vrrp brief" | sed 's/^/  /'
grep "Backup -> Master" "$ROOT/B/vrrpd.log" | sed 's/^/  B: /'
awk -F'[][]' '/bytes from/ { t = $2 + 0; if (last && t - last > gap) gap = t - last; last = t }
	END { printf "  H: longest time without a reply from 192.0.2.100: %.0f ms\n", gap * 1000 }' "$ROOT/ping.out"
inns H ping -c 2 -i 0.2 -W 1 192.0.2.100 >/dev/null || fail "H cannot reach 192.0.2.100 through B"
echo "  H reaches 192.0.2.100 again, now through B: $(inns H ip neigh show 192.0.2.100 dev eth1)"

step "B holds every user: A's were restored at the takeover"
grep "users restored" "$ROOT/B/rbpd.log" | sed 's/^/  B: /'
cli B -c "display remote-backup-profile rbp1" | sed 's/^/  /'
echo "--- device B's kernel: A's users are B's own now (STALE, checked at first use)"
inns B ip -4 neigh show dev eth1 | grep "lladdr 02:db:" | head -3 | sed 's/^/  /'
echo "  ... $(inns B ip -4 neigh show dev eth1 | grep -v FAILED | grep -c 'lladdr 02:db:') ARP and" \
	"$(inns B ip -6 neigh show dev eth1 | grep -v FAILED | grep -c 'lladdr 02:db:') ND users, none left as backup" \
	"entries ($(inns B ip neigh show dev eth1 proto 219 | grep -c PERMANENT) PERMANENT)"

step "A's DHCP clients renew: B's Kea, which got A's leases at the takeover, acknowledges each one's address"
grep "RBP_KEA_INFO vrrp-id 1" "$ROOT/B/kea4.log" | sed 's/^.*RBP_KEA_INFO/  B Kea:/'
echo "  B's Kea holds $(kea_leases B 4 | wc -l) leases now"
for n in $(seq 1 2 20); do echo "$(client_addr "$n")" >"$ROOT/H/c$n.before"; done
clients_run 1 20 || fail "a DHCP client got no answer after the failover"
for n in $(seq 1 2 20); do
	grep -q "DHCPACK of $(cat "$ROOT/H/c$n.before") from 192.0.2.2" "$ROOT/H/c$n.last" ||
		fail "client $n was not acknowledged its address $(cat "$ROOT/H/c$n.before") by B"
done
echo "  client 1 ($(client_mac 1)), whose lease A granted:"
grep -E "DHCPREQUEST|DHCPACK" "$ROOT/H/c1.last" | sed 's/^/    /'
echo "  ... all 10 of A's clients renewed their own address with B: no NAK, no new address"
step "Cleaning up"
