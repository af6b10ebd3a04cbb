#!/usr/bin/env bash
# Preemption waits for the backup (docs/preempt.md): a device that returns
# takes its VRRP group back only once it holds every user the peer holds,
# however short its preempt delay; while it waits the master is left
# alone; and `peer-backup preempt-wait max` bounds the wait.
#
# A and B run the spec's procedure with a preempt delay of 0 (the spec
# suggests 600 s; with a blind delay of 0 a returning A would take group 1
# back with an empty table), 1,000 neighbours from host H and 100,000 API
# users. A dies; B holds everything; A returns with its RBS link still
# cut, so it must wait; the link comes back, the batch comes, and only
# then A preempts.
#
#   bash tests/integration/preempt.sh [BUILDDIR]    (root; ONLY=regex)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

N_ARP=${N_ARP:-200}
N_ND=${N_ND:-800}
N_API=${N_API:-100000}

trap 'restore_gc; cleanup' EXIT

procedure() { demo_procedure "$1" "s|delay 600|delay 0|" "s|delay-time 10|delay-time 2|"; }

# group DEV VRID: that group's JSON (docs/json.md, display vrrp)
group() { jcli "$1" "display vrrp" | jq -c --argjson v "$2" '.groups[] | select(.vrid == $v)'; }
is_state() { [ "$(group "$1" "$2" | jq -r .state)" = "$3" ]; }
waiting() { [ "$(group "$1" "$2" | jq -r .preempt_hold.waiting)" = true ]; }
rbpj() { jcli "$1" "display remote-backup-profile rbp1" | jq -r ".profiles[0] | $2"; }
chan_up() { [ "$(rbpj "$1" .service.channel)" = up ]; }
total() { rbpj "$1" .service.table.users; }
digest() { rbpj "$1" .service.table.digest; }
same_digest() { [ -n "$(digest A)" ] && [ "$(digest A)" = "$(digest B)" ]; }
to_master() { group "$1" "$2" | jq -r .statistics.to_master; }

show_both() {
	local d
	for d in A B; do
		echo "  --- $d: $(total $d) users, digest $(digest $d)"
		group $d 1 | jq -c '{state, preempt_hold}' | sed 's/^/  /'
	done
}

setup() {
	pair_with_host || return 1
	wait_until 20 is_state A 1 Master && wait_until 20 is_state B 2 Master &&
		wait_until 15 chan_up A && wait_until 15 chan_up B || { show_both; return 1; }
	users_on_h arp -a 192.0.2.20 -n 80 -o 192.0.2.100 -e 192.0.2.101 -s 0
	users_on_h arp2 -a 192.0.2.110 -n $((N_ARP - 80)) -o 192.0.2.100 -e 192.0.2.101 -s 80
	users_on_h nd -a 2001:db8::1:0 -n "$N_ND" -o 2001:db8::1 -e 2001:db8::2 -s "$N_ARP"
	gen_users 1 >"$ROOT/A.users" && gen_users 0 >"$ROOT/B.users"
	"$BIN/dbuser" -r "$(run_dir A)" load "$ROOT/A.users" >/dev/null &&
		"$BIN/dbuser" -r "$(run_dir B)" load "$ROOT/B.users" >/dev/null || return 1
	wait_until 60 eval '[ "$(total A)" -ge $((N_API + N_ARP + N_ND)) ] && same_digest' ||
		{ show_both; return 1; }
	# both ready: the gates are open on both devices
	[ "$(rbpj A '.bindings[0].preempt_gate.open')" = true ] &&
		[ "$(rbpj B '.bindings[0].preempt_gate.open')" = true ] || { rbpj A .bindings; return 1; }
}

# A dies (every daemon, both cables); B takes over every user.
kill_a() {
	local d
	for d in cfgd vrrpd rbsd rbpd; do stop9 A $d; done
	inns A ip link set eth1 down
	inns A ip link set eth2 down
	wait_until 15 is_state B 1 Master || { show_both; return 1; }
}

test_a_returning_device_waits_for_its_batch_then_preempts() {
	local n ta tm b_masters before
	kill_a || return 1
	# changes while A is away: B, master of everything, gets new users
	# of A's half, which A must have before it preempts
	for n in 1 3 5 7 9; do
		"$BIN/dbuser" -r "$(run_dir B)" add dhcp-server 02:dd:00:00:00:0$n eth1 late-$n x \
			>/dev/null || return 1
	done
	before=$(total B)
	b_masters=$(to_master B 1)
	# A returns to the user segment, its RBS link still cut
	inns A ip link set eth1 up
	inns A ip -6 addr replace 2001:db8::1/64 dev eth1 nodad
	start_all A || return 1
	wait_until 15 waiting A 1 || { show_both; return 1; }
	# rbpd's word comes within its second
	wait_until 5 eval 'group A 1 | jq -r .preempt_hold.reason |
		grep -q "remote-backup-service rbs1 is down"' || { show_both; return 1; }
	cli A -c "display vrrp" | grep -q "Preempt Hold *: waiting (at most [0-9]* s more): " ||
		{ cli A -c "display vrrp"; return 1; }
	# it waits, and leaves B alone: B stays master, no transition
	sleep 3
	is_state A 1 Backup && is_state B 1 Master && waiting A 1 &&
		[ "$(to_master B 1)" = "$b_masters" ] || { show_both; return 1; }
	# the RBS link comes back: the batch, then the preemption
	garp_watch back 192.0.2.100 A || return 1
	inns A ip link set eth2 up
	wait_until 60 is_state A 1 Master || { show_both; tail -5 "$ROOT/A/vrrpd.log"; return 1; }
	# and A announced itself only once its rbpd had taken the users over
	wait_until 5 eval '[ -n "$(garp_first back)" ]' || { echo "  no gratuitous ARP from A"; return 1; }
	garp_stop back
	takeover_ordered A 1 back || return 1
	grep -q "Backup -> Master: preempt: the backup of the users is complete" "$ROOT/A/vrrpd.log" ||
		{ tail -5 "$ROOT/A/vrrpd.log"; return 1; }
	# the batch that made A complete ended, tables equal, before A preempted
	ta=$(grep "batch backup from the peer complete, .* tables agree" \
		"$ROOT/A/rbpd.log" | tail -1 | cut -d' ' -f1)
	tm=$(grep "Backup -> Master: preempt: the backup" "$ROOT/A/vrrpd.log" | tail -1 |
		cut -d' ' -f1)
	[ -n "$ta" ] && [ -n "$tm" ] && [[ ! "$tm" < "$ta" ]] ||
		{ echo "  batch complete at '$ta', master at '$tm'"; grep batch "$ROOT/A/rbpd.log"; return 1; }
	echo "  A: $(grep "batch backup from the peer complete" "$ROOT/A/rbpd.log" | tail -1 |
		sed "s/.*complete, //") at $ta; master at $tm (B held $before)"
	wait_until 30 eval 'is_state B 1 Backup && same_digest' || { show_both; return 1; }
	[ -n "$(jcli A "display remote-backup-profile rbp1 users dhcp-server" |
		jq -r '.users[] | select(.key == "late-5") | .key')" ] || return 1
}

# The bound: with the RBS link down for good, A preempts after
# preempt-wait max and says why.
test_preempt_wait_max_bounds_the_wait() {
	local t0 t1
	cli A -c "system-view" -c "remote-backup-profile rbp1" -c "peer-backup preempt-wait max 4" \
		-c "commit" >/dev/null || return 1
	cli A -c "display current-configuration" | grep -q "peer-backup preempt-wait max 4" || return 1
	inns A ip link set eth2 down
	wait_until 30 eval '! chan_up A' || { show_both; return 1; }
	inns A ip link set eth1 down
	wait_until 15 is_state B 1 Master || { show_both; return 1; }
	t0=$(date +%s%N)
	inns A ip link set eth1 up
	inns A ip -6 addr replace 2001:db8::1/64 dev eth1 nodad
	wait_until 10 waiting A 1 || { show_both; return 1; }
	wait_until 15 is_state A 1 Master || { show_both; return 1; }
	t1=$(date +%s%N)
	echo "  A preempted $(((t1 - t0) / 1000000)) ms after its link came back (preempt-wait max 4 s)"
	[ $(((t1 - t0) / 1000000)) -ge 3500 ] && [ $(((t1 - t0) / 1000000)) -le 8000 ] || return 1
	grep -q "Backup -> Master: preempt: the backup still incomplete after preempt-wait max" \
		"$ROOT/A/vrrpd.log" && grep -q "preempting although the backup is incomplete" \
		"$ROOT/A/vrrpd.log" || { tail -5 "$ROOT/A/vrrpd.log"; return 1; }
	# back to normal
	cli A -c "system-view" -c "remote-backup-profile rbp1" -c "undo peer-backup preempt-wait max" \
		-c "commit" >/dev/null || return 1
	inns A ip link set eth2 up
	wait_until 30 eval 'chan_up A && same_digest' || { show_both; return 1; }
	[ "$(group A 1 | jq -r .preempt_hold.max_ms)" = 300000 ] || { group A 1; return 1; }
}

# Ordered takeover (docs/takeover.md): a new master whose rbpd says
# nothing holds its announcements at most the bound (2 s), then announces
# anyway, warns and counts it; the rbpd that wakes up serves on.
test_a_frozen_rbpd_delays_the_announcement_at_most_the_bound() {
	local n0 a t_g t_m
	n0=$(group B 1 | jq -r .statistics.announcements_at_bound)
	garp_watch frozen 192.0.2.100 B || return 1
	kill -STOP "${DEV_PID[B.rbpd]}"
	# A's vrrpd stops: priority 0, B takes group 1 after its Skew_Time,
	# within a second of rbpd's last word (it speaks every second)
	kill -TERM "${DEV_PID[A.vrrpd]}" && wait "${DEV_PID[A.vrrpd]}"
	unset "DEV_PID[A.vrrpd]"
	wait_until 5 is_state B 1 Master || { kill -CONT "${DEV_PID[B.rbpd]}"; show_both; return 1; }
	[ "$(group B 1 | jq -r .announce.held)" = true ] ||
		{ kill -CONT "${DEV_PID[B.rbpd]}"; group B 1 | jq -c .announce; return 1; }
	wait_until 5 eval '[ -n "$(garp_first frozen)" ]'
	kill -CONT "${DEV_PID[B.rbpd]}"
	garp_stop frozen
	a=$(group B 1 | jq -c .announce)
	t_m=$(jq -r .became_master_ns <<<"$a") t_g=$(garp_first frozen)
	echo "  B: master, first gratuitous ARP $(((${t_g:-0} - t_m) / 1000000)) ms later: $a"
	[ -n "$t_g" ] && [ $(((t_g - t_m) / 1000000)) -ge 1900 ] &&
		[ "$(jq -r .last_confirmed <<<"$a")" = false ] &&
		[ "$(group B 1 | jq -r .statistics.announcements_at_bound)" = $((n0 + 1)) ] || return 1
	cli B -c "display vrrp" | grep -q "Last Announced *: [0-9]* ms after becoming master, at the bound" ||
		{ cli B -c "display vrrp"; return 1; }
	grep -q "announcing after [0-9]* ms although rbpd has not confirmed the takeover" \
		"$ROOT/B/vrrpd.log" || { tail -3 "$ROOT/B/vrrpd.log"; return 1; }
	# rbpd serves on: it takes the users over, A comes back and preempts
	wait_until 5 eval '[ "$(rbpj B ".bindings[] | select(.vrid == 1) | .role")" = master ]' ||
		{ rbpj B .bindings; return 1; }
	start A vrrpd
	wait_until 20 is_state A 1 Master && wait_until 10 is_state B 1 Backup ||
		{ show_both; return 1; }
	wait_until 30 eval 'chan_up B && same_digest' || { show_both; return 1; }
}

t setup setup || { echo "setup failed"; tail -n 20 "$ROOT"/*/*.log; exit 1; }
t a_returning_device_waits_for_its_batch_then_preempts \
	test_a_returning_device_waits_for_its_batch_then_preempts
t preempt_wait_max_bounds_the_wait test_preempt_wait_max_bounds_the_wait
t a_frozen_rbpd_delays_the_announcement_at_most_the_bound \
	test_a_frozen_rbpd_delays_the_announcement_at_most_the_bound
t sigterm_and_clean_logs test_sigterm_and_clean_logs
echo "# preempt: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
