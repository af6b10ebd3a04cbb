#!/usr/bin/env bash
# The configuration and the CLI: the spec's procedure typed through dbcli on
# real daemons in network namespaces, commits, rollbacks and displays,
# cfgd's two-phase commit under faults. Usage: tests/integration/cli.sh BUILDDIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

CERTS=$ROOT/certs
SPEC=$ROOT/spec-procedure.txt
GOLDEN=$ROOT/spec-procedure.conf

setup() {
	make_certs "$CERTS" || return 1
	# as typed on A, with group 2's priority and no preemption delay as
	# the golden configuration has them, and the admin group's option
	demo_procedure A "s|^vrrp vrid 2 priority 100$|vrrp vrid 2 priority 120|" \
		"/^vrrp vrid 2 preempt-mode/d" "s|^admin-vrrp vrid 1$|admin-vrrp vrid 1 ignore-if-down|" >"$SPEC"
	sed "s|@CERTDIR@|$CERTS|g" "$HERE/../golden/spec-procedure.conf" >"$GOLDEN"
	dev_create A 198.51.100.1/24 && start_all A
}

# The whole procedure through dbcli; display current-configuration is
# exactly it, and every daemon runs it.
test_spec_procedure() {
	cli A -q -f "$SPEC" >"$ROOT/spec.out" 2>&1 || { cat "$ROOT/spec.out"; return 1; }
	cli A -c "display current-configuration" >"$ROOT/current.conf" || return 1
	diff -u "$GOLDEN" "$ROOT/current.conf" || return 1
	wait_sync A || return 1
	cli A -c "display vrrp" | grep -q "PriorityConfig   : 120" || return 1
	cli A -c "display remote-backup-service rbs1" | grep -q "TLS            : on, ssl policy rbs_ssl" || return 1
	cli A -c "display remote-backup-profile rbp1" | grep -q "vrid 2 interface eth1 even-mac"
}

# Every display answers in JSON, with a trailing `json` or dbcli --json,
# and the document holds what the configuration and the text display say.
test_json_displays() {
	local d
	for d in "display vrrp" "display vrrp brief" "display vrrp statistics" \
		"display remote-backup-service" "display remote-backup-service rbs1" \
		"display remote-backup-profile" "display remote-backup-profile rbp1" \
		"display remote-backup-profile rbp1 users arp" "display configuration sync" \
		"display configuration commit list"; do
		jcli A "$d" | jq -e 'type == "object" and (has("error") | not)' >/dev/null ||
			{ echo "  $d: not a JSON document"; jcli A "$d"; return 1; }
		cli A -q -c "$d json" | jq -e . >/dev/null || { echo "  $d json: not JSON"; return 1; }
	done
	jcli A "display vrrp" | jq -e '[.groups[] | {vrid, priority_configured, virtual_ips,
		config_type}] == [{vrid: 1, priority_configured: 120, virtual_ips: ["192.0.2.100"],
		config_type: "admin-vrrp"}, {vrid: 2, priority_configured: 120,
		virtual_ips: ["192.0.2.101"], config_type: "normal-vrrp"}]' >/dev/null ||
		{ jcli A "display vrrp"; return 1; }
	jcli A "display remote-backup-service rbs1" | jq -e '.services[0] | .name == "rbs1" and
		.tls.enabled and .tls.ssl_policy == "rbs_ssl" and .port == 6000 and
		.profiles == [{name: "rbp1", backup_id: 10}]' >/dev/null || return 1
	jcli A "display remote-backup-profile rbp1" | jq -e '.profiles[0] | .backup_mode == "hot" and
		[.bindings[] | .parity] == ["odd-mac", "even-mac"]' >/dev/null || return 1
	# what does not exist: {"error": …} and exit 1, as the text display
	jcli A "display remote-backup-service nosuch" >"$ROOT/json.err" && return 1
	jq -e '.error' "$ROOT/json.err" >/dev/null || return 1
	# json is the last word of a display, nowhere else
	! cli A -q -c "display vrrp json brief" >/dev/null 2>&1
}

# A commit one daemon refuses changes nothing anywhere, and says why.
test_refused_commit_changes_nothing() {
	local before out rc
	before=$(cli A -c "display current-configuration")
	out=$(cli A -c "system-view" -c "interface eth9" -c "vrrp vrid 9 virtual-ip 192.0.2.9" \
		-c "quit" -c "remote-backup-profile rbp1" -c "peer-backup warm" -c "commit" 2>&1)
	rc=$?
	[ $rc = 1 ] || { echo "  dbcli exit $rc"; return 1; }
	echo "$out" | grep -q "vrrpd: interface eth9: vrrp vrid 9: the interface does not exist" || { echo "$out"; return 1; }
	[ "$(cli A -c "display current-configuration")" = "$before" ] || return 1
	cli A -c "display vrrp" | grep -q "eth9" && return 1
	cli A -c "display remote-backup-profile rbp1" | grep -Eq "Backup mode +: hot" || return 1
	wait_sync A
}

# Errors from cfgd's own checks name the offending object.
test_cross_reference_refused() {
	local out
	out=$(cli A -c "system-view" -c "remote-backup-profile rbp2" \
		-c "backup-id 10 remote-backup-service rbs1" -c "commit" 2>&1) && return 1
	echo "$out" | grep -q "backup-id 10 is already used by remote-backup-profile rbp1"
}

# kill -9 of a daemon after a commit: restarted, it runs the configuration.
test_daemon_restart_resyncs() {
	local d
	for d in vrrpd rbsd rbpd; do
		stop9 A $d
		start A $d
	done
	wait_sync A || return 1
	cli A -c "display vrrp brief" | grep -q "192.0.2.101"
}

# Garbage on every endpoint leaves every daemon up, and commits still work.
test_garbage_on_every_endpoint() {
	local ep d
	# the control sockets, rbsd's feeder endpoint and rbpd's user API
	for ep in cfgd cfgd-cli vrrpd rbsd rbpd rbsd-entries rbpd-users; do
		"$BIN/zmq-garbage" "ipc://$(run_dir A)/$ep.ipc" 600 >/dev/null || return 1
	done
	for d in cfgd vrrpd rbsd rbpd; do
		alive A $d || { echo "  $d died"; return 1; }
	done
	cli A -c "system-view" -c "interface eth1" -c "vrrp vrid 2 priority 110" -c "commit" >/dev/null || return 1
	wait_sync A || return 1
	cli A -c "display vrrp" | grep -q "PriorityConfig   : 110"
}

# Fault injection at each step of the commit: whatever happens, once the
# daemon is back every daemon runs cfgd's running configuration.
fault_case() {
	local daemon=$1 fault=$2 expect=$3 prio=$4 out rc
	stop9 A "$daemon"
	start A "$daemon" DB_FAULT="$fault"
	wait_sync A || return 1
	out=$(cli A -c "system-view" -c "interface eth1" -c "vrrp vrid 2 priority $prio" \
		-c "quit" -c "remote-backup-profile rbp1" -c "peer-backup warm" -c "commit" 2>&1)
	rc=$?
	if ! alive A "$daemon"; then
		stop9 A "$daemon"
		start A "$daemon"
	fi
	if [ "$expect" = commit ] && [ $rc != 0 ]; then echo "  $out"; return 1; fi
	if [ "$expect" = abort ]; then
		[ $rc = 1 ] || { echo "  commit went through"; return 1; }
		echo "$out" | grep -q "nothing was changed" || { echo "$out"; return 1; }
		echo "$out" | grep -q "$daemon: " || { echo "$out"; return 1; }
	fi
	wait_sync A || return 1
	if [ "$expect" = commit ]; then
		cli A -c "display vrrp" | grep -q "PriorityConfig   : $prio" || return 1
		cli A -c "display remote-backup-profile rbp1" | grep -Eq "Backup mode +: warm" || return 1
	else
		cli A -c "display vrrp" | grep -q "PriorityConfig   : $prio" && return 1
		cli A -c "display remote-backup-profile rbp1" | grep -Eq "Backup mode +: hot" || return 1
	fi
	# restore for the next case; then daemons and cfgd agree again
	cli A -c "system-view" -c "remote-backup-profile rbp1" -c "peer-backup hot" -c "commit" >/dev/null || return 1
	stop9 A "$daemon"
	start A "$daemon"
	wait_sync A
}

test_fault_drop_prepare() { fault_case vrrpd drop:prepare abort 101; }
test_fault_delay_prepare() { fault_case rbpd delay:prepare:5000 abort 102; }
test_fault_die_on_prepare() { fault_case vrrpd die:prepare abort 103; }
test_fault_drop_commit() { fault_case vrrpd drop:commit commit 104; }
test_fault_die_on_commit() { fault_case rbpd die:commit commit 105; }
test_fault_delay_commit() { fault_case vrrpd delay:commit:4000 commit 106; }

# cfgd killed and restarted recovers its running configuration.
test_cfgd_restart_recovers() {
	local before
	before=$(cli A -c "display current-configuration")
	stop9 A cfgd
	start A cfgd
	wait_sync A || return 1
	[ "$(cli A -c "display current-configuration")" = "$before" ]
}

# display current-configuration replayed into a fresh device gives the
# identical configuration.
test_golden_replay() {
	local cur
	cur=$(cli A -c "display current-configuration")
	dev_create R 198.51.100.1/24 && start_all R || return 1
	{ echo system-view; echo "$cur"; echo commit; } | cli R -q >/dev/null || return 1
	[ "$(cli R -c "display current-configuration")" = "$cur" ] || return 1
	wait_sync R
}

# commit trial rolls back unless confirmed, also across a cfgd restart.
test_commit_trial() {
	local before
	before=$(cli A -c "display current-configuration")
	cli A -c "system-view" -c "sysname trial" -c "commit trial 2" >/dev/null || return 1
	cli A -c "display current-configuration" | grep -q "sysname trial" || return 1
	stop9 A cfgd
	start A cfgd
	sleep 3
	wait_sync A || return 1
	[ "$(cli A -c "display current-configuration")" = "$before" ] || return 1
	# confirmed: it stays
	cli A -c "system-view" -c "sysname kept" -c "commit trial 2" -c "commit" >/dev/null || return 1
	sleep 3
	cli A -c "display current-configuration" | grep -q "sysname kept" || return 1
	# abort trial: rolled back at once, by any session
	cli A -c "system-view" -c "interface eth1" -c "vrrp vrid 2 priority 98" -c "commit trial 60" >/dev/null || return 1
	cli A -c "display vrrp" | grep -q "PriorityConfig   : 98" || return 1
	cli A -c "abort trial" >/dev/null || return 1
	wait_sync A || return 1
	cli A -c "display current-configuration" | grep -q "priority 98" && return 1
	cli A -c "display vrrp" | grep -q "PriorityConfig   : 98" && return 1
	cli A -c "abort trial" >/dev/null 2>&1 && return 1
	cli A -c "system-view" -c "sysname A" -c "commit" >/dev/null
}

# A trial whose change another session undid: its rollback at the
# deadline changes nothing, and must still end the trial on disk, or a
# cfgd restart would roll back again, over the commits made since.
test_trial_undone_then_restart_keeps_later_commits() {
	cli A -c "display current-configuration" | grep -q "^sysname A$" || return 1
	cli A -c "system-view" -c "sysname undone" -c "commit trial 2" >/dev/null || return 1
	cli A -c "system-view" -c "sysname A" -c "commit" >/dev/null || return 1
	wait_until 10 eval '[ "$(jcli A "display configuration commit list" | jq -r .trial_commit_id)" = null ]' ||
		{ echo "  the trial never ended"; return 1; }
	sleep 1
	cli A -c "system-view" -c "sysname later" -c "commit" >/dev/null || return 1
	stop9 A cfgd
	start A cfgd
	wait_sync A || return 1
	cli A -c "display current-configuration" | grep -q "^sysname later$" ||
		{ echo "  after the restart: $(cli A -c "display current-configuration" | grep sysname)"
		  grep -i "trial" "$ROOT/A/cfgd.log" | tail -n 6 | sed 's/^/    /'; return 1; }
	cli A -c "system-view" -c "sysname A" -c "commit" >/dev/null
}

# Two sessions editing the same setting: the second commit is refused,
# naming both sides.
test_concurrent_sessions_conflict() {
	local fifo=$ROOT/s1.in out=$ROOT/s1.out
	mkfifo "$fifo"
	cli A <"$fifo" >"$out" 2>&1 &
	local s1=$!
	exec 7>"$fifo"
	echo "system-view" >&7
	echo "interface eth1" >&7
	echo "vrrp vrid 2 priority 150" >&7
	sleep 0.5
	cli A -c "system-view" -c "interface eth1" -c "vrrp vrid 2 priority 160" -c "commit" >/dev/null || return 1
	echo "commit" >&7
	exec 7>&-
	wait $s1
	grep -q "was changed by" "$out" || { cat "$out"; return 1; }
	cli A -c "display vrrp" | grep -q "PriorityConfig   : 160"
}

test_rollback_and_history() {
	local id
	cli A -c "system-view" -c "interface eth1" -c "vrrp vrid 2 priority 170" -c "commit label p170" >/dev/null || return 1
	cli A -c "display configuration commit list" | grep -q "p170" || return 1
	id=$(jcli A "display configuration commit list" | jq '.commits[0].commit_id')
	cli A -c "display configuration commit changes at $id" | grep -q "+ vrrp vrid 2 priority 170" || return 1
	cli A -c "rollback configuration to commit-id $id" >/dev/null || return 1
	cli A -c "display current-configuration" | grep -q "priority 170" && return 1
	wait_sync A
}

# SIGTERM stops every daemon cleanly (exit 0), and no daemon's log holds
# a sanitizer report (the SAN=1 build runs this same suite).
# A second instance on the same run directory refuses to start instead of
# taking over the first one's endpoints.
test_second_instance_refused() {
	local out rc
	out=$(timeout 5 "$BIN/cfgd" -d -r "$(run_dir A)" -s "$ROOT/other-state" 2>&1)
	rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q "cfgd is already running in $(run_dir A) (pid ${DEV_PID[A.cfgd]})" &&
		alive A cfgd
}

# make install puts binaries, one Type=notify unit per daemon (run as the
# dualbackup user) and the sysusers.d file that creates it under
# DESTDIR/PREFIX.
test_make_install() {
	local inst=$ROOT/inst u
	make -s -C "$HERE/../.." install B="$(dirname "$BIN")" DESTDIR="$inst" PREFIX=/usr >/dev/null || return 1
	for u in cfgd vrrpd rbsd rbpd; do
		[ -x "$inst/usr/sbin/$u" ] || return 1
		grep -q "^ExecStart=/usr/sbin/$u " "$inst/usr/lib/systemd/system/dualbackup-$u.service" || return 1
		grep -q "^Type=notify" "$inst/usr/lib/systemd/system/dualbackup-$u.service" || return 1
		grep -q "^Restart=on-failure" "$inst/usr/lib/systemd/system/dualbackup-$u.service" || return 1
		grep -q "^User=dualbackup" "$inst/usr/lib/systemd/system/dualbackup-$u.service" || return 1
	done
	grep -q "^u dualbackup " "$inst/usr/lib/sysusers.d/dualbackup.conf" || return 1
	[ -x "$inst/usr/bin/dbcli" ] && [ -f "$inst/usr/lib/systemd/system/dualbackup.target" ]
}

# cfgd killed while a commit waits for votes: nothing was durable, so the
# restarted cfgd runs the old configuration and so does every daemon. The
# dbcli that asked for the commit says at once that cfgd ended (not after
# its 30 s wait for an answer).
test_cfgd_killed_mid_commit() {
	local before pid rc t0
	before=$(cli A -c "display current-configuration")
	stop9 A rbpd
	start A rbpd DB_FAULT=delay:prepare:2000
	wait_sync A || return 1
	cli A -c "system-view" -c "interface eth1" -c "vrrp vrid 2 priority 99" -c "quit" \
		-c "remote-backup-profile rbp1" -c "peer-backup warm" -c "commit" >/dev/null \
		2>"$ROOT/commit.err" &
	pid=$!
	sleep 0.7
	t0=${EPOCHREALTIME/./}
	stop9 A cfgd
	wait $pid
	rc=$?
	t0=$(((${EPOCHREALTIME/./} - t0) / 1000))
	echo "  dbcli ended ${t0} ms after cfgd, exit $rc: $(cat "$ROOT/commit.err")"
	start A cfgd
	stop9 A rbpd
	start A rbpd
	wait_sync A || return 1
	[ $rc = 3 ] && [ $t0 -lt 3000 ] && grep -q "ended before it answered" "$ROOT/commit.err" ||
		return 1
	[ "$(cli A -c "display current-configuration")" = "$before" ] || return 1
	cli A -c "display vrrp" | grep -q "PriorityConfig   : 99" && return 1
	cli A -c "display remote-backup-profile rbp1" | grep -Eq "Backup mode +: hot"
}

# tmux_shows SESSION REGEX: the pane shows a line matching REGEX.
tmux_shows() { tmux capture-pane -t "$1" -p | grep -q -- "$2"; }

# The interactive CLI on a terminal, further: a second Tab lists every
# word that may follow, Ctrl-C abandons the line, a display a daemon
# answers prints there, and quit ends the session.
test_interactive_lists_and_cancel() {
	local s=$TAG-tty2 screen
	tmux new-session -d -s "$s" -x 160 -y 50 "$BIN/dbcli -r $(run_dir A)" || return 1
	wait_until 5 tmux_shows "$s" '^<A>' || { tmux kill-session -t "$s"; return 1; }
	tmux send-keys -t "$s" 'display ' Tab Tab
	wait_until 5 tmux_shows "$s" 'remote-backup-service' ||
		{ tmux capture-pane -t "$s" -p; tmux kill-session -t "$s"; return 1; }
	tmux send-keys -t "$s" C-c
	wait_until 5 tmux_shows "$s" '^<A>display \^C$' ||
		{ tmux capture-pane -t "$s" -p; tmux kill-session -t "$s"; return 1; }
	tmux send-keys -t "$s" 'display vrrp brief' Enter
	wait_until 5 tmux_shows "$s" '^VRID  State  ' ||
		{ tmux capture-pane -t "$s" -p; tmux kill-session -t "$s"; return 1; }
	screen=$(tmux capture-pane -t "$s" -p)
	tmux send-keys -t "$s" 'quit' Enter
	wait_until 5 eval "! tmux has-session -t '$s' 2>/dev/null" || { tmux kill-session -t "$s"; return 1; }
	# the listing holds display's words (nothing else on the screen names them)
	echo "$screen" | grep -q 'current-configuration' || { echo "$screen"; return 1; }
	echo "$screen" | grep -q 'remote-backup-service' || { echo "$screen"; return 1; }
	echo "$screen" | grep -Eq '^ *2 +(Master|Backup|Initialize) +eth1' || { echo "$screen"; return 1; }
}

# The interactive CLI on a terminal: Tab completes from cfgd's grammar,
# '?' lists what may follow, the prompt follows views and pending changes.
test_interactive_terminal() {
	local s=$TAG-tty screen
	tmux new-session -d -s "$s" -x 160 -y 50 "$BIN/dbcli -r $(run_dir A)" || return 1
	wait_until 5 tmux_shows "$s" '^<A>' || { tmux kill-session -t "$s"; return 1; }
	tmux send-keys -t "$s" 'sys' Tab Enter
	wait_until 5 tmux_shows "$s" '^\[~A\]' || { tmux kill-session -t "$s"; return 1; }
	tmux send-keys -t "$s" 'interface eth1' Enter 'vrrp vrid 2 ' '?'
	wait_until 5 tmux_shows "$s" 'Priority of this device' || { tmux kill-session -t "$s"; return 1; }
	tmux send-keys -t "$s" 'pri' Tab '97' Enter
	wait_until 5 tmux_shows "$s" '^\[\*A-eth1\]' || { tmux capture-pane -t "$s" -p; tmux kill-session -t "$s"; return 1; }
	screen=$(tmux capture-pane -t "$s" -p)
	tmux send-keys -t "$s" 'clear configuration candidate' Enter 'return' Enter 'quit' Enter
	wait_until 5 eval "! tmux has-session -t '$s' 2>/dev/null"
	tmux kill-session -t "$s" 2>/dev/null
	echo "$screen" | grep -q '^<A>system-view$' || { echo "$screen"; return 1; }
	echo "$screen" | grep -q 'priority  *Priority of this device in the group' || { echo "$screen"; return 1; }
	echo "$screen" | grep -q '^\[~A-eth1\]vrrp vrid 2 priority 97$' || { echo "$screen"; return 1; }
	echo "$screen" | grep -q '^\[\*A-eth1\]' || { echo "$screen"; return 1; }
}

t "setup: device A in a namespace, four daemons" setup || exit 1
t "the spec's procedure through dbcli is the running configuration" test_spec_procedure
t "every display answers in JSON that matches the configuration" test_json_displays
t "a commit refused by vrrpd changes nothing in any daemon" test_refused_commit_changes_nothing
t "cfgd refuses a backup-id used by another profile" test_cross_reference_refused
t "kill -9 and restart of each daemon: it runs the running configuration" test_daemon_restart_resyncs
t "garbage on every ZeroMQ endpoint leaves every daemon up" test_garbage_on_every_endpoint
t "fault: PREPARE dropped -> abort, consistent" test_fault_drop_prepare
t "fault: PREPARE delayed past the deadline -> abort, consistent" test_fault_delay_prepare
t "fault: participant dies on PREPARE -> abort, consistent" test_fault_die_on_prepare
t "fault: COMMIT dropped -> committed, resynchronised" test_fault_drop_commit
t "fault: participant dies on COMMIT -> committed, resynchronised" test_fault_die_on_commit
t "fault: COMMIT delayed -> committed, consistent" test_fault_delay_commit
t "cfgd kill -9 and restart recovers the running configuration" test_cfgd_restart_recovers
t "cfgd killed while a commit waits for votes: old configuration everywhere" test_cfgd_killed_mid_commit
t "interactive dbcli: Tab, ? and the prompt on a terminal" test_interactive_terminal
t "interactive dbcli: two Tabs list the choices, Ctrl-C abandons the line, displays print" \
	test_interactive_lists_and_cancel
t "display current-configuration replays into a fresh device identically" test_golden_replay
t "commit trial rolls back unless confirmed (also across a cfgd restart); abort trial" test_commit_trial
t "a trial undone by another commit: a cfgd restart keeps the commits after its deadline" \
	test_trial_undone_then_restart_keeps_later_commits
t "a second session's commit over the same setting is refused" test_concurrent_sessions_conflict
t "commit history, changes and rollback" test_rollback_and_history
t "a second cfgd on the same run directory refuses to start" test_second_instance_refused
t "make install honours DESTDIR and PREFIX and installs the units" test_make_install
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

echo "cli integration: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
