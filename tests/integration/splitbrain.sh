#!/usr/bin/env bash
# Split brain (docs/splitbrain.md): the user segment cut between A and B
# while their RBS channel lives. Both become master of both groups, and
# each knows it from the channel: display vrrp and display
# remote-backup-profile say "dual master since", the journal event is
# logged and counted. When the segment heals, one master per group remains
# by the protocol, the survivor announces itself again (its gratuitous ARP
# is seen on the segment), and the dual master is over on both devices.
# Then a full partition (segment and RBS link) with changes on both sides
# heals with every change kept.
#
# The cut: the segment's bridge isolates A's and B's ports from each other
# (bridge_slave isolated), host H still reaches both.
#
#   bash tests/integration/splitbrain.sh [BUILDDIR]    (root; ONLY=regex)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

trap 'mute_vrid1 B off; restore_gc; cleanup' EXIT

procedure() { demo_procedure "$1" "s|delay 600|delay 0|" "s|delay-time 10|delay-time 2|"; }

# group DEV VRID: that IPv4 group's JSON (docs/json.md, display vrrp)
group() { jcli "$1" "display vrrp" | jq -c --argjson v "$2" '.groups[] | select(.vrid == $v)'; }
is_state() { [ "$(group "$1" "$2" | jq -r .state)" = "$3" ]; }
# dual DEV VRID: rbpd's dual_master of that binding
dual() { rbpj "$1" ".bindings[] | select(.vrid == $2) | .dual_master"; }
dual_since() { dual "$1" "$2" | jq -r .since; }
all_dual() {
	local d v
	for d in A B; do for v in 1 2; do
		[ "$(dual_since $d $v)" != null ] || return 1
	done; done
}
none_dual() {
	local d v
	for d in A B; do for v in 1 2; do
		[ "$(dual_since $d $v)" = null ] || return 1
	done; done
}
# keys DEV: the dhcp-server users DEV holds, "KEY ROLE" per line, sorted
keys() {
	jcli "$1" "display remote-backup-profile rbp1 users dhcp-server" |
		jq -r '.users[] | "\(.key) \(.role)"' | sort
}
digest() { rbpj "$1" .service.table.digest; }
# arp_users DEV master|backup: how many ARP users DEV holds in that role
arp_users() { rbpj "$1" ".users.arp.$2"; }
ARP_BASE=0
same_digest() { [ -n "$(digest A)" ] && [ "$(digest A)" = "$(digest B)" ]; }
# add DEV MAC KEY / del DEV MAC KEY: an API user (a DHCP lease) on DEV
add() { "$BIN/dbuser" -r "$(run_dir "$1")" add dhcp-server "$2" eth1 "$3" "lease of $3" >/dev/null; }
del() { "$BIN/dbuser" -r "$(run_dir "$1")" delete dhcp-server "$2" eth1 "$3" >/dev/null; }
# the users the test expects, "KEY ROLE" as DEV sees them after the heal
# (odd MACs: group 1, A's; even: group 2, B's)
expected() {
	local d=$1 k mine
	for k in pre-a-3 pre-a-5 pre-b-2 pre-b-4 split-a-2 split-a-4 split-b-1 split-b-3; do
		case $k in *-[13]|pre-a-5) mine=A ;; *) mine=B ;; esac
		[ "$d" = "$mine" ] && echo "$k master" || echo "$k backup"
	done | sort
}

show_both() {
	local d
	for d in A B; do
		echo "  --- $d: vrid 1 $(group $d 1 | jq -r .state), vrid 2 $(group $d 2 | jq -r .state)," \
			"channel $(rbpj $d .service.channel)"
		rbpj $d '.bindings[] | {vrid, role, dual_master}' | jq -c . | sed 's/^/  /'
	done
}

setup() {
	pair_with_host || return 1
	wait_until 20 is_state A 1 Master && wait_until 20 is_state B 2 Master &&
		wait_until 15 chan_up A && wait_until 15 chan_up B || { show_both; return 1; }
	none_dual || { show_both; return 1; }
	# users before the cut, each added on its master: odd MACs on A, even on B
	add A 02:dd:00:00:00:01 pre-a-1 && add A 02:dd:00:00:00:03 pre-a-3 &&
		add A 02:dd:00:00:00:05 pre-a-5 && add B 02:dd:00:00:00:02 pre-b-2 &&
		add B 02:dd:00:00:00:04 pre-b-4 || return 1
	wait_until 10 eval 'same_digest && [ "$(keys A | wc -l)" = 5 ]' || { keys A; keys B; return 1; }
}

test_a_cut_segment_makes_two_masters_and_both_know_it() {
	isolate A on && isolate B on || return 1
	wait_until 10 eval 'is_state A 2 Master && is_state B 1 Master' || { show_both; return 1; }
	# each side's rbpd has the other's roles within a second (keepalives)
	wait_until 5 all_dual || { show_both; return 1; }
	chan_up A && chan_up B || return 1
	[ "$(dual A 1 | jq -r .peer_interface)" = eth1 ] && [ "$(dual B 2 | jq -r .count)" = 1 ] ||
		{ show_both; return 1; }
	# vrrpd shows it with the group, from rbpd's gates
	wait_until 3 eval '[ "$(group A 2 | jq -r .dual_master_since)" != null ] &&
		[ "$(group B 1 | jq -r .dual_master_since)" != null ]' || { group A 2; return 1; }
	cli A -c "display vrrp" | grep -q "Dual Master *: since .*: the peer is master too" ||
		{ cli A -c "display vrrp"; return 1; }
	cli B -c "display remote-backup-profile rbp1" |
		grep -q "Dual master *: vrid 1: since .*: the peer is master of it too (on eth1)" ||
		{ cli B -c "display remote-backup-profile rbp1"; return 1; }
	grep -q "vrrp-id 2 interface eth1 is master on both devices" "$ROOT/A/rbpd.log" &&
		grep -q "vrrp-id 1 interface eth1 is master on both devices" "$ROOT/B/rbpd.log" ||
		{ tail -5 "$ROOT/A/rbpd.log" "$ROOT/B/rbpd.log"; return 1; }
	# the host still reaches a master of each group
	inns H ping -c 1 -W 2 192.0.2.100 >/dev/null && inns H ping -c 1 -W 2 192.0.2.101 >/dev/null
}

# While both are master, users come and go on both sides, each on the
# device that is master of them now: B takes odd MACs (group 1, A's before
# the cut) and drops one of A's users; A takes even ones (group 2, B's).
# Each is master of both groups, so each takes the other's changes too.
test_users_change_on_both_sides_during_the_split() {
	add B 02:dd:00:00:01:01 split-b-1 && add B 02:dd:00:00:01:03 split-b-3 &&
		del B 02:dd:00:00:00:01 pre-a-1 || { echo "  B refused a change"; return 1; }
	add A 02:dd:00:00:01:02 split-a-2 && add A 02:dd:00:00:01:04 split-a-4 ||
		{ echo "  A refused a change"; return 1; }
	# ten hosts come online (ARP) on the segment, which reaches both:
	# each device, master of both groups, learns all ten as its own (on top
	# of H itself, whose pings made it a user already)
	ARP_BASE=$(arp_users A master)
	users_on_h split-arp -a 192.0.2.60 -n 10 -o 192.0.2.100 -e 192.0.2.101 -s 0 -k
	wait_until 10 eval '[ "$(arp_users A master)" = $((ARP_BASE + 10)) ] &&
		[ "$(arp_users B master)" = $((ARP_BASE + 10)) ]' ||
		{ echo "  ARP users: A $(arp_users A master), B $(arp_users B master), want $((ARP_BASE + 10))"; return 1; }
	wait_until 10 eval '[ "$(keys A | cut -d" " -f1)" = "$(keys B | cut -d" " -f1)" ] &&
		[ "$(keys A | wc -l)" = 8 ]' || { echo "  A:"; keys A; echo "  B:"; keys B; return 1; }
	# during the split each device is master of every user
	[ "$(keys A | grep -c " master$")" = 8 ] && [ "$(keys B | grep -c " master$")" = 8 ] ||
		{ echo "  A:"; keys A; echo "  B:"; keys B; return 1; }
}

# mute_vrid1 DEV on|off: DEV's advertisements of group 1 dropped on leaving
mute_vrid1() {
	if [ "$2" = on ]; then
		inns "$1" nft add table inet mute &&
			inns "$1" nft add chain inet mute out '{ type filter hook output priority 0; }' &&
			inns "$1" nft add rule inet mute out meta l4proto 112 @th,8,8 1 drop
	else
		inns "$1" nft delete table inet mute 2>/dev/null
	fi
}

test_the_segment_heals_one_master_each_announces_again() {
	local t0 tg heard d
	# B, the lower master of group 1, sends no advertisement of it after
	# the heal: it hears A and steps down, as when A advertises first. A
	# never hears the other master, and must learn it from the RBS channel.
	mute_vrid1 B on || return 1
	heard=$(group A 1 | jq -r .statistics.other_master_adverts)
	garp_watch heal 192.0.2.100 A || { mute_vrid1 B off; return 1; }
	t0=$(date +%s%N)
	isolate A off && isolate B off || { mute_vrid1 B off; return 1; }
	wait_until 10 eval 'is_state A 1 Master && is_state B 1 Backup &&
		is_state B 2 Master && is_state A 2 Backup' || { mute_vrid1 B off; show_both; return 1; }
	mute_vrid1 B off
	wait_until 5 none_dual || { show_both; return 1; }
	# A, master of group 1 throughout, announced 192.0.2.100 again when
	# its rbpd saw B step down, so the segment follows A again (B's own
	# announcements of its takeover at the cut may still come before the
	# heal: the first one after it counts)
	wait_until 3 eval '[ -n "$(garp_first heal $t0)" ]' ||
		{ echo "  no gratuitous ARP from A after the heal"; cat "$ROOT/H/heal.garp"; return 1; }
	garp_stop heal
	tg=$(garp_first heal "$t0")
	[ "$(group A 1 | jq -r .statistics.reannounced)" -ge 1 ] &&
		[ "$(group A 1 | jq -r .statistics.other_master_adverts)" = "$heard" ] ||
		{ echo "  want reannounced >= 1, other_master_adverts $heard"; group A 1 | jq -c .statistics; return 1; }
	grep -q "the other device is no longer master (RBS channel): announcing this one again" \
		"$ROOT/A/vrrpd.log" || { tail -5 "$ROOT/A/vrrpd.log"; return 1; }
	echo "  A announced 192.0.2.100 again $(((tg - t0) / 1000000)) ms after the heal;" \
		"dual master lasted $(dual A 1 | jq -r .last_seconds) s on A"
	[ "$(dual A 1 | jq -r .count)" = 1 ] && [ "$(group A 1 | jq -r .dual_master_since)" = null ] ||
		{ show_both; return 1; }
	grep -q "vrrp-id 1 interface eth1 is no longer master on both devices, after [0-9]* s" \
		"$ROOT/B/rbpd.log" || { tail -5 "$ROOT/B/rbpd.log"; return 1; }
	# the tables merged: every change of the split kept, on both devices,
	# each user master on its group's master only
	wait_until 15 eval 'same_digest && [ "$(keys A)" = "$(expected A)" ] &&
		[ "$(keys B)" = "$(expected B)" ]' ||
		{ echo "  A:"; keys A; echo "  B:"; keys B; echo "  want A:"; expected A; return 1; }
	# the ARP users of the split are kept: both devices hold every one,
	# each master on exactly one device, of its group (the ten: five each)
	local total=$((ARP_BASE + 10))
	wait_until 10 eval '[ $(($(arp_users A master) + $(arp_users A backup))) = $total ] &&
		[ $(($(arp_users B master) + $(arp_users B backup))) = $total ] &&
		[ $(($(arp_users A master) + $(arp_users B master))) = $total ] &&
		[ "$(arp_users A master)" -ge 5 ] && [ "$(arp_users B master)" -ge 5 ]' ||
		{ for d in A B; do echo "  $d: ARP users master $(arp_users $d master)," \
			"backup $(arp_users $d backup), want $total in all"; done; return 1; }
}

# expected_full DEV: expected DEV, after the full partition's changes
# (full-b-1 and full-a-2 added, pre-a-5 and pre-b-4 deleted)
expected_full() {
	local d=$1
	{
		expected "$d" | grep -v -e '^pre-a-5 ' -e '^pre-b-4 '
		[ "$d" = A ] && echo "full-b-1 master" || echo "full-b-1 backup"
		[ "$d" = B ] && echo "full-a-2 master" || echo "full-a-2 backup"
	} | sort
}

# A full partition: the segment and the RBS link cut at once. Neither side
# can see the other (no dual master is shown: the channel is down); each is
# master of both groups and takes changes of every user. When both heal,
# the changes of both sides cross on the channel and every one is kept,
# adds and deletes alike, on both devices.
test_a_full_partition_heals_with_every_change_kept() {
	isolate A on && isolate B on && inns A ip link set eth2 down || return 1
	wait_until 15 eval 'is_state A 2 Master && is_state B 1 Master &&
		! chan_up A && ! chan_up B' || { show_both; return 1; }
	# B takes an odd-MAC user (A's group) and deletes one of A's users; A
	# takes an even-MAC one and deletes one of B's
	add B 02:dd:00:00:02:01 full-b-1 && del B 02:dd:00:00:00:05 pre-a-5 ||
		{ echo "  B refused a change"; return 1; }
	add A 02:dd:00:00:02:02 full-a-2 && del A 02:dd:00:00:00:04 pre-b-4 ||
		{ echo "  A refused a change"; return 1; }
	inns A ip link set eth2 up && isolate A off && isolate B off || return 1
	wait_until 15 eval 'is_state A 1 Master && is_state B 1 Backup &&
		is_state B 2 Master && is_state A 2 Backup && chan_up A && chan_up B' ||
		{ show_both; return 1; }
	wait_until 15 eval 'same_digest && [ "$(keys A)" = "$(expected_full A)" ] &&
		[ "$(keys B)" = "$(expected_full B)" ]' ||
		{ echo "  A:"; keys A; echo "  B:"; keys B; echo "  want A:"; expected_full A; return 1; }
}

t setup setup || { echo "setup failed"; tail -n 20 "$ROOT"/*/*.log; exit 1; }
t a_cut_segment_makes_two_masters_and_both_know_it \
	test_a_cut_segment_makes_two_masters_and_both_know_it
t users_change_on_both_sides_during_the_split test_users_change_on_both_sides_during_the_split
t the_segment_heals_one_master_each_announces_again \
	test_the_segment_heals_one_master_each_announces_again
t a_full_partition_heals_with_every_change_kept \
	test_a_full_partition_heals_with_every_change_kept
t sigterm_and_clean_logs test_sigterm_and_clean_logs
echo "# splitbrain: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
