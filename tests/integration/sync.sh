#!/usr/bin/env bash
# The user API's synchronous acknowledgment (UserRequest.sync, dbuser -s):
# a request answered only once the peer holds its changes, or "not backed
# up" with why when the peer cannot confirm: its rbsd stopped (the bound
# runs out), the channel down (at once); the changes are applied either
# way, and A goes on serving. Devices A and B with the spec's procedure
# (tests/integration/lib.sh pair_with_host): A is master of the odd-MAC
# group, so A takes the odd-MAC users. And what the chaos test found: a
# device whose rbpd restarted empty must not wipe its users from its peer.
# Usage: tests/integration/sync.sh BUILDDIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

procedure() { demo_procedure "$1" "s|delay 600|delay 0|"; }
rbpj() { jcli "$1" "display remote-backup-profile rbp1" | jq -r ".profiles[0] | $2"; }
chan_up() { [ "$(rbpj "$1" .service.channel)" = up ]; }
chan_down() { [ "$(rbpj "$1" .service.channel)" != up ]; }
is_state() {
	jcli "$1" "display vrrp" | jq -e --argjson v "$2" --arg s "$3" \
		'any(.groups[]; .vrid == $v and .state == $s)' >/dev/null
}
# holds DEV KEY: the device's table has the dhcp-server user KEY.
holds() {
	jcli "$1" "display remote-backup-profile rbp1 users dhcp-server" |
		jq -e --arg k "$2" 'any(.users[]; .key == $k)' >/dev/null
}
dbuser() { "$BIN/dbuser" -r "$(run_dir A)" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

setup() {
	pair_with_host || return 1
	wait_until 15 is_state A 1 Master && wait_until 15 chan_up A && wait_until 15 chan_up B
}

# With the channel up, the answer says backed up, and B holds the user the
# moment A's client hears it.
test_backed_up_means_the_peer_holds_it() {
	local out
	out=$(dbuser -s 1000 add dhcp-server 02:dc:00:00:01:01 eth1 sync-1 192.0.2.31/86400 2>&1) ||
		{ echo "$out"; return 1; }
	echo "$out" | grep -q "1 applied, 0 refused, 1 request(s) backed up by the peer, 0 not" ||
		{ echo "$out"; return 1; }
	holds B sync-1 || { echo "  B does not hold sync-1 when A's answer came"; return 1; }
}

# 2,000 changes in two requests of 1,024 at most: both backed up, B holds
# every one when the load returns.
test_a_synchronous_load() {
	local out n
	awk 'BEGIN { for (i = 0; i < 2000; i++)
		printf "add dhcp-server 02:dc:00:01:%02x:%02x eth1 load-%d 192.0.2.40/600\n",
			int(i / 128), (i % 128) * 2 + 1, i }' >"$ROOT/load.users"
	out=$(dbuser -s 2000 load "$ROOT/load.users" 2>&1) || { echo "$out"; return 1; }
	echo "$out" | grep -q "2000 applied, 0 refused, 2 request(s) backed up by the peer, 0 not" ||
		{ echo "$out"; return 1; }
	n=$(jcli B "display remote-backup-profile rbp1 users dhcp-server" |
		jq '[.users[] | select(.key | startswith("load-"))] | length')
	[ "$n" = 2000 ] || { echo "  B holds $n of 2000"; return 1; }
}

# B's rbsd stopped (SIGSTOP: the channel stays up, nothing is
# acknowledged): the answer comes after the bound, says not backed up and
# why, exit 3; A applied the change and answers the next request; B gets
# it once its rbsd runs again.
test_a_silent_peer_is_not_backed_up_within_the_bound() {
	local out rc t0 t1
	kill -STOP "${DEV_PID[B.rbsd]}"
	t0=$(now_ms)
	out=$(dbuser -s 500 add dhcp-server 02:dc:00:00:01:03 eth1 sync-3 192.0.2.33/86400 2>&1)
	rc=$?
	t1=$(now_ms)
	kill -CONT "${DEV_PID[B.rbsd]}"
	echo "  answered in $((t1 - t0)) ms (bound 500 ms)"
	[ $rc = 3 ] && echo "$out" | grep -q "not backed up: the peer did not confirm within 500 ms" ||
		{ echo "exit $rc: $out"; return 1; }
	[ $((t1 - t0)) -ge 450 ] && [ $((t1 - t0)) -lt 3000 ] || return 1
	holds A sync-3 || { echo "  A did not apply sync-3"; return 1; }
	wait_until 10 holds B sync-3 || { echo "  B never got sync-3"; return 1; }
	out=$(dbuser -s 1000 add dhcp-server 02:dc:00:00:01:05 eth1 sync-5 x 2>&1) ||
		{ echo "$out"; return 1; }
}

# The RBS link cut: once A sees its channel down, a synchronous request
# is answered at once, not backed up because the channel is down; the
# link back, the change reaches B.
test_a_channel_down_answers_at_once() {
	local out rc t0 t1
	inns A ip link set eth2 down
	wait_until 15 chan_down A || { inns A ip link set eth2 up; return 1; }
	t0=$(now_ms)
	out=$(dbuser -s 5000 add dhcp-server 02:dc:00:00:01:07 eth1 sync-7 x 2>&1)
	rc=$?
	t1=$(now_ms)
	inns A ip link set eth2 up
	echo "  answered in $((t1 - t0)) ms (bound 5000 ms)"
	[ $rc = 3 ] && echo "$out" | grep -q "not backed up: remote-backup-service rbs1 is down" ||
		{ echo "exit $rc: $out"; return 1; }
	[ $((t1 - t0)) -lt 1000 ] || return 1
	wait_until 20 chan_up A && wait_until 20 holds B sync-7 || { echo "  B never got sync-7"; return 1; }
}

# count_on DEV PREFIX: the dhcp-server users of DEV whose key starts so.
count_on() {
	jcli "$1" "display remote-backup-profile rbp1 users dhcp-server" |
		jq --arg p "$2" '[.users[] | select(.key | startswith($p))] | length'
}

# A's rbpd killed and started again with an empty table (its vrrpd still
# master): its first batch to B is partial, so B removes none of A's users
# for want of them, and A gets them back from B's batch. Before RbsBatchEnd
# had `partial`, B swept all of A's users here.
test_a_restarted_rbpd_wipes_nothing_from_its_peer() {
	local n
	n=$(count_on B load-)
	[ "$n" = 2000 ] || { echo "  B holds $n of the 2,000 loaded users before"; return 1; }
	stop9 A rbpd
	start A rbpd
	wait_sync A >/dev/null || return 1
	wait_until 15 eval '[ "$(count_on A load-)" = 2000 ]' ||
		{ echo "  A got back $(count_on A load-) of 2000"; return 1; }
	sleep 1
	n=$(count_on B load-)
	[ "$n" = 2000 ] || { echo "  B holds $n of 2000 after A's rbpd restarted"; return 1; }
	[ "$(rbpj B .service.table.batches_in_partial)" -ge 1 ] ||
		{ echo "  B saw no partial batch"; return 1; }
	grep -q "the peer's batch is partial" "$ROOT/B/rbpd.log"
}

# The whole of A killed and started again within B's Master_Down_Interval:
# the same, with every daemon of A new.
test_a_restarted_device_wipes_nothing_from_its_peer() {
	local d
	for d in rbpd rbsd vrrpd cfgd; do stop9 A $d; done
	start_all A || return 1
	wait_until 20 eval '[ "$(count_on A load-)" = 2000 ]' ||
		{ echo "  A got back $(count_on A load-) of 2000"; return 1; }
	wait_until 20 eval '[ "$(rbpj A .service.table.digest)" = "$(rbpj B .service.table.digest)" ]' ||
		{ echo "  tables differ: B holds $(count_on B load-) of 2000"; return 1; }
	[ "$(count_on B load-)" = 2000 ] || return 1
	# A's preemption waited for the backup; the whole batch it sent once
	# B's came tells B the tables agree, so both hold their groups again
	wait_until 20 is_state A 1 Master && wait_until 20 is_state B 2 Master ||
		{ cli A -c "display vrrp verbose" | grep -i "preempt"; return 1; }
}

# A request of a user this device is not master for is refused, and a
# sync request with nothing taken is answered at once.
test_nothing_taken_answers_at_once() {
	local out rc
	out=$(dbuser -s 5000 add dhcp-server 02:dc:00:00:01:02 eth1 even-1 x 2>&1)
	rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q "this device is backup for the users of vrrp-id 2" ||
		{ echo "exit $rc: $out"; return 1; }
}

if ! setup; then
	echo "not ok - setup: A and B with the spec's procedure, the channel up"
	exit 1
fi
echo "ok - setup: A and B with the spec's procedure, the channel up"
t "sync add: backed up, and B holds the user when A's answer comes" \
	test_backed_up_means_the_peer_holds_it
t "sync load of 2,000 users: two requests, both backed up, B holds all" test_a_synchronous_load
t "B's rbsd stopped: not backed up after the 500 ms bound, applied; B gets it later" \
	test_a_silent_peer_is_not_backed_up_within_the_bound
t "RBS link cut: not backed up at once, channel down; B gets it after the heal" \
	test_a_channel_down_answers_at_once
t "a change refused (backup's user): answered at once, refused" test_nothing_taken_answers_at_once
t "A's rbpd restarted empty: its partial batch removes nothing from B; A gets its users back" \
	test_a_restarted_rbpd_wipes_nothing_from_its_peer
t "the whole of A restarted: B keeps A's users, the tables agree, each master again" \
	test_a_restarted_device_wipes_nothing_from_its_peer
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

echo "sync integration: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
