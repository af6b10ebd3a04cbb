#!/usr/bin/env bash
# The operator's notify script under abuse: a flapping segment, many groups
# at once, a script that hangs, and scripts others could have written.
# Device A runs the suite on a segment; host H injects advertisements.
# Usage: tests/integration/notify.sh BUILDDIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

NG=10 # groups on A: vrid 1 flaps, all of them go down and up together
D=$ROOT/notify
SCRIPT=$D/record.sh

vstate() {
	jcli A "display vrrp" | jq -r --argjson v "$1" \
		'.groups[] | select(.vrid == $v and .interface == "eth1") | .state'
}
is_state() { [ "$(vstate "$1")" = "$2" ]; }
# transitions of vrid 1 so far (to master + to backup + to initialize)
transitions() {
	jcli A "display vrrp" | jq '.groups[] | select(.vrid == 1 and .interface == "eth1") |
		.statistics | .to_master + .to_backup + .to_initialize'
}
# notify_stat started|running|waiting|dropped|timed_out|not_run
notify_stat() { jcli A "display vrrp" | jq ".notify_script.$1"; }
idle() { [ "$(notify_stat running)" = 0 ] && [ "$(notify_stat waiting)" = 0 ]; }

# The recording script: every run appends "VRID SEQ DROPPED OLD NEW" to
# runs, and the number of runs alive at once is tracked under a lock
# directory (mkdir is atomic), its peak kept in max.
write_script() {
	cat >"$SCRIPT" <<EOF
#!/bin/sh
lock() { while ! mkdir "$D/lock" 2>/dev/null; do [ -d "$D" ] || exit 0; sleep 0.001; done; }
lock
n=\$((\$(cat "$D/cur") + 1)); echo \$n >"$D/cur"
[ \$n -le \$(cat "$D/max") ] || echo \$n >"$D/max"
echo "\$2 \$DB_NOTIFY_SEQ \$DB_NOTIFY_DROPPED \$4 \$5" >>"$D/runs"
rmdir "$D/lock"
sleep \$(cat "$D/nap")
lock
echo \$((\$(cat "$D/cur") - 1)) >"$D/cur"
rmdir "$D/lock"
EOF
	chmod 0755 "$SCRIPT"
}
reset_record() { echo 0 >"$D/cur"; echo 0 >"$D/max"; : >"$D/runs"; echo "$1" >"$D/nap"; }

setup() {
	local v cmds=()
	seg_create || return 1
	dev_on_seg A 192.0.2.1/24 && dev_on_seg H 192.0.2.10/24 || return 1
	start_all A || return 1
	mkdir -p "$D" && write_script && reset_record 0.05
	cmds=(-c "system-view" -c "vrrp version v3" -c "vrrp notify-script $SCRIPT" -c "interface eth1")
	# vrid 1 at 254: Skew_Time is under a millisecond, so it is back to
	# master as soon as the injected master leaves
	for v in $(seq 1 $NG); do
		cmds+=(-c "vrrp vrid $v virtual-ip 192.0.2.$((100 + v - 1))" -c "vrrp vrid $v priority 254"
			-c "vrrp vrid $v timer advertise 100 msec")
	done
	cli A -q "${cmds[@]}" -c "commit" >/dev/null || return 1
	for v in $(seq 1 $NG); do
		wait_until 5 is_state $v Master || { echo "  vrid $v: $(vstate $v)"; return 1; }
	done
	wait_until 10 idle
}

# 1,000 transitions of one group in about two seconds: vrrpd runs the
# script one transition at a time for that group, in order, never more
# than a handful of runs in all, and the last run reports the state the
# group is in.
test_flap_burst_is_bounded_and_ordered() {
	local before after n max last
	reset_record 0.05
	before=$(transitions)
	inns H "$BIN/vrrp-inject" eth1 flap 255 700 || return 1
	wait_until 5 is_state 1 Master || return 1
	wait_until 15 idle || { jcli A "display vrrp" | jq -c .notify_script; return 1; }
	after=$(transitions)
	n=$(awk '$1 == 1' "$D/runs" | wc -l)
	max=$(cat "$D/max")
	echo "  vrid 1: $((after - before)) transitions, $n script runs, at most $max at once," \
		"$(notify_stat dropped) dropped"
	[ $((after - before)) -ge 1000 ] || { echo "  fewer than 1,000 transitions"; return 1; }
	[ "$n" -lt 200 ] || return 1
	[ "$max" = 1 ] || { echo "  $max runs of one group at once"; return 1; }
	# in order: sequence numbers rise; where nothing was dropped in
	# between, each run starts in the state the previous one ended in
	awk '$1 == 1 { if (NR > 1 && $2 <= seq) { print "  out of order: " $0; bad = 1 }
		if (NR > 1 && $3 == drop && $4 != new) { print "  chain broken: " $0; bad = 1 }
		seq = $2; drop = $3; new = $5 } END { exit bad }' "$D/runs" || return 1
	last=$(awk '$1 == 1 { s = $5 } END { print s }' "$D/runs")
	[ "$last" = "$(vstate 1)" ] || { echo "  last run says $last, group is $(vstate 1)"; return 1; }
	[ "$(notify_stat dropped)" -gt 0 ] && grep -q "the oldest dropped" "$ROOT/A/vrrpd.log"
}

# Every group changes at once (interface down, then up), each script run
# takes a second: at most VRRP_NOTIFY_MAX_RUNNING (4) run at once, and
# every group still gets both of its transitions, in order.
test_many_groups_at_most_four_at_once() {
	local v max
	reset_record 1
	inns A ip link set eth1 down
	wait_until 5 is_state $NG Initialize || return 1
	inns A ip link set eth1 up
	for v in $(seq 1 $NG); do
		wait_until 10 is_state $v Master || return 1
	done
	wait_until 20 idle || { jcli A "display vrrp" | jq -c .notify_script; return 1; }
	max=$(cat "$D/max")
	echo "  $NG groups down and up: $(wc -l <"$D/runs") runs, at most $max at once"
	[ "$max" -le 4 ] && [ "$max" -ge 2 ] || return 1
	for v in $(seq 1 $NG); do
		awk -v v=$v '$1 == v { s = s $4 ">" $5 " " } END { print s }' "$D/runs" |
			grep -q "Master>Initialize Initialize>Backup Backup>Master\|Master>Initialize Initialize>Master" ||
			{ echo "  vrid $v:"; awk -v v=$v '$1 == v' "$D/runs"; return 1; }
	done
}

# A script that hangs and ignores SIGTERM: its process group gets SIGTERM
# at 10 s and SIGKILL 2 s later, and the group's next transition then runs.
test_hung_script_is_killed() {
	local hung=$D/hung.sh pid t0
	cat >"$hung" <<EOF
#!/bin/sh
echo \$\$ >>"$D/hung.pids"
echo "\$4 \$5" >>"$D/hung.runs"
trap '' TERM
while :; do sleep 1; done
EOF
	chmod 0755 "$hung"
	: >"$D/hung.pids"
	: >"$D/hung.runs"
	cli A -q -c "system-view" -c "vrrp notify-script $hung" -c "commit" >/dev/null || return 1
	t0=$(date +%s)
	inns H "$BIN/vrrp-inject" eth1 flap 255 1 || return 1
	wait_until 3 test -s "$D/hung.pids" || return 1
	pid=$(head -n 1 "$D/hung.pids")
	sleep 9
	kill -0 "$pid" 2>/dev/null || { echo "  killed before its timeout"; return 1; }
	[ "$(wc -l <"$D/hung.runs")" = 1 ] || { echo "  a second run of the group meanwhile"; return 1; }
	wait_until 6 test ! -d "/proc/$pid" || { echo "  still alive after $(($(date +%s) - t0)) s"; return 1; }
	echo "  hung script (pid $pid) gone after $(($(date +%s) - t0)) s"
	grep -q "still running after 10 s: SIGTERM" "$ROOT/A/vrrpd.log" || return 1
	grep -q "ignored SIGTERM: SIGKILL" "$ROOT/A/vrrpd.log" || return 1
	# the group's second transition (back to master) runs once the first is gone
	runs_at_least() { [ "$(wc -l <"$D/hung.runs")" -ge "$1" ]; }
	wait_until 3 runs_at_least 2 || return 1
	[ "$(sed -n 2p "$D/hung.runs")" = "Backup Master" ] || return 1
	[ "$(notify_stat timed_out)" -ge 1 ] || return 1
	cli A -q -c "system-view" -c "vrrp notify-script $SCRIPT" -c "commit" >/dev/null || return 1
	# the second run hangs too: wait it out so the suite ends clean
	wait_until 14 idle
}

# Scripts another user could have written or replaced are refused at
# commit by vrrpd's vote, naming the command; so is a relative path, which
# would have been looked up in PATH.
test_unsafe_script_refused_at_commit() {
	local out bad=$D/bad.sh dir=$ROOT/gw
	expect_refused() {
		out=$(cli A -c "system-view" -c "vrrp notify-script $1" -c "commit" 2>&1) &&
			{ echo "  $1 accepted"; return 1; }
		echo "$out" | grep -q "vrrpd: vrrp notify-script $1: $2" || { echo "$out"; return 1; }
	}
	cp "$SCRIPT" "$bad"
	chmod 0775 "$bad"
	expect_refused "$bad" "$bad is writable by group or others" || return 1
	chmod 0757 "$bad"
	expect_refused "$bad" "$bad is writable by group or others" || return 1
	chmod 0755 "$bad"
	chown 65534 "$bad"
	expect_refused "$bad" "$bad is not owned by root" || return 1
	chown 0 "$bad"
	mkdir -m 0777 "$dir" && cp "$SCRIPT" "$dir/s.sh" && chmod 0755 "$dir/s.sh"
	expect_refused "$dir/s.sh" "$dir is writable by group or others" || return 1
	expect_refused "record.sh" "not an absolute path" || return 1
	# nothing changed: the recording script is still the one configured
	cli A -c "display current-configuration" | grep -q "^vrrp notify-script $SCRIPT$"
}

t "setup: A with $NG groups on a segment, host H injects advertisements" setup || exit 1
t "1,000 transitions in a burst: one run at a time for the group, in order, bounded" \
	test_flap_burst_is_bounded_and_ordered
t "$NG groups change at once: at most 4 scripts run at once, each group in order" \
	test_many_groups_at_most_four_at_once
t "a hung script ignoring SIGTERM is killed (TERM at 10 s, KILL at 12 s)" test_hung_script_is_killed
t "group/other-writable, not root's, or relative notify-script refused at commit" \
	test_unsafe_script_refused_at_commit
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

echo "notify: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
