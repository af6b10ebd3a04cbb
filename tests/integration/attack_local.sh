#!/usr/bin/env bash
# Attack by a local user: `nobody` on the same host tries every endpoint
# of a running device — a CLI session, the user API, a daemon's control
# socket, vrrpd's event feed, and cfgd's bus under a daemon's name
# (vrrpd's routing id, which ROUTER_HANDOVER used to hand over) — first
# with the modes the daemons set, then with the run directory and sockets
# opened to everyone, so that the credential check alone stands. Each
# attempt must fail while the device goes on. A member of the dualbackup
# group may use dbcli and dbuser, and the commit history names them from
# their credentials, whatever $USER says. Device B runs every daemon with
# -u dualbackup: each holds only its capabilities and still works (VRRP
# master with its virtual address). Run directories of another user and
# a pid file planted as a link are refused, and so is a private key file
# other users can read.
#
#   bash tests/integration/attack_local.sh [BUILDDIR]    (root; ONLY=regex)
#
# The test creates the dualbackup group and user if missing, and a member
# user of its own, and removes what it created.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

MEMBER=dbt$$
MADE_GROUP=0
MADE_USER=0
MADE_MEMBER=0
accounts_cleanup() {
	[ $MADE_MEMBER = 1 ] && userdel "$MEMBER" 2>/dev/null
	[ $MADE_USER = 1 ] && userdel dualbackup 2>/dev/null
	[ $MADE_GROUP = 1 ] && groupdel dualbackup 2>/dev/null
}
trap 'cleanup; accounts_cleanup' EXIT

as_nobody() { env USER=root HOME=/ setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
# The member runs with $USER claiming root: the history must not believe it.
as_member() { env USER=root HOME=/ setpriv --reuid="$MEMBER" --regid=nogroup --init-groups -- "$@"; }

RUN_A=
ep() { echo "ipc://$RUN_A/$1.ipc"; }

setup() {
	if ! getent group dualbackup >/dev/null; then
		groupadd --system dualbackup || return 1
		MADE_GROUP=1
	fi
	if ! getent passwd dualbackup >/dev/null; then
		useradd --system -g dualbackup -M -d /nonexistent -s /usr/sbin/nologin dualbackup ||
			return 1
		MADE_USER=1
	fi
	useradd --system -g nogroup -G dualbackup -M -d /nonexistent -s /usr/sbin/nologin \
		"$MEMBER" || return 1
	MADE_MEMBER=1
	# The test's directories are mktemp's 0700: open the way to the run
	# directories as /run is, so that only the daemons' own modes stand.
	chmod 0755 "$ROOT"
	dev_create A 192.0.2.1/24 || return 1
	chmod 0755 "$ROOT/A"
	RUN_A=$(run_dir A)
	start_all A || return 1
	cli A -c "system-view" -c "interface eth1" -c "vrrp vrid 1 virtual-ip 192.0.2.100" \
		-c "commit" >/dev/null || return 1
	wait_sync A
}

vstate() { cli "$1" -c "display vrrp brief" | awk '$1 == 1 { print $2 }'; }

# The device goes on: the daemons we started are up, in sync (the PIDs
# cfgd knows are ours, not an impostor's) and a commit still works.
device_goes_on() {
	local d
	for d in cfgd vrrpd rbsd rbpd; do
		alive "$1" $d || { echo "  $1: $d died"; return 1; }
	done
	wait_sync "$1" || return 1
	cli "$1" -c "system-view" -c "interface eth1" -c "vrrp vrid 1 priority $((RANDOM % 100 + 100))" \
		-c "commit" >/dev/null || { echo "  $1: commit failed after the attack"; return 1; }
	wait_sync "$1"
}

test_modes_close_the_run_directory_and_sockets() {
	local f bad=0 m
	m=$(stat -c "%a %G" "$RUN_A")
	[ "$m" = "750 dualbackup" ] || { echo "  run directory: $m"; bad=1; }
	for f in "$RUN_A"/*.ipc; do
		m=$(stat -c "%a %G" "$f")
		[ "$m" = "660 dualbackup" ] || { echo "  $f: $m"; bad=1; }
	done
	for f in "$RUN_A"/*.pid; do
		m=$(stat -c "%a" "$f")
		[ "$m" = 600 ] || { echo "  $f: $m"; bad=1; }
	done
	[ "$(ls "$RUN_A"/*.ipc | wc -l)" -ge 8 ] || { ls -l "$RUN_A"; bad=1; }
	[ $bad = 0 ]
}

# nobody, with the daemons' own modes: the kernel says no.
test_nobody_is_refused_by_the_modes() {
	local out rc
	out=$(as_nobody timeout 30 "$BIN/dbcli" -r "$RUN_A" -c "display current-configuration" 2>&1)
	rc=$?
	[ $rc != 0 ] && echo "$out" | grep -q "permission denied" || { echo "  dbcli $rc: $out"; return 1; }
	out=$(as_nobody timeout 30 "$BIN/dbuser" -r "$RUN_A" add dhcp-server 02:dc:00:00:00:01 eth1 k1 p1 2>&1)
	rc=$?
	[ $rc = 2 ] && echo "$out" | grep -q "permission denied" || { echo "  dbuser $rc: $out"; return 1; }
	device_goes_on A
}

# From here on the run directory and every socket are open to everyone:
# only the credential check on each endpoint stands between nobody and
# the device.
open_everything() {
	chmod 0755 "$RUN_A" && chmod 0666 "$RUN_A"/*.ipc
}

test_nobody_gets_no_cli_session() {
	local out rc
	open_everything || return 1
	out=$(as_nobody timeout 30 "$BIN/dbcli" -r "$RUN_A" -c "display current-configuration" 2>&1)
	rc=$?
	[ $rc = 3 ] || { echo "  dbcli exit $rc: $out"; return 1; }
	echo "$out" | grep -q "192.0.2.100" && { echo "  nobody read the configuration"; return 1; }
	out=$(as_nobody timeout 30 "$BIN/dbcli" -r "$RUN_A" -c "system-view" -c "sysname owned" \
		-c "commit" 2>&1)
	[ $? = 3 ] || { echo "  dbcli: $out"; return 1; }
	cli A -c "display current-configuration" | grep -q "sysname owned" && return 1
	grep -q "dualbackup-client endpoint: connection of uid $(id -u nobody) .* refused" \
		"$ROOT/A/cfgd.log" || { echo "  cfgd did not log the refusal"; return 1; }
	device_goes_on A
}

test_nobody_cannot_use_the_user_api() {
	local out rc
	open_everything || return 1
	out=$(as_nobody timeout 30 "$BIN/dbuser" -r "$RUN_A" add dhcp-server 02:dc:00:00:00:01 eth1 k1 p1 2>&1)
	rc=$?
	[ $rc = 2 ] && echo "$out" | grep -q "does not answer" || { echo "  dbuser $rc: $out"; return 1; }
	# nor read what rbpd restores
	as_nobody "$BIN/bus-impostor" sub "$(ep rbpd-restored)" 1 >/dev/null
	[ $? = 1 ] || return 1
	device_goes_on A
}

# cfgd's bus under vrrpd's name: as nobody and as a group member, on the
# daemons' endpoint and on the CLI's. Nobody answers, and cfgd still
# knows the real vrrpd (wait_sync checks its PID).
test_nobody_cannot_speak_for_a_daemon() {
	local e out who
	open_everything || return 1
	for who in as_nobody as_member; do
		for e in cfgd cfgd-cli; do
			out=$($who "$BIN/bus-impostor" hello "$(ep $e)" vrrpd 3)
			[ $? = 1 ] || { echo "  $who on $e as vrrpd: $out"; return 1; }
		done
		out=$($who "$BIN/bus-impostor" hello "$(ep cfgd)" rbpd 2)
		[ $? = 1 ] || { echo "  $who on cfgd as rbpd: $out"; return 1; }
	done
	device_goes_on A
}

# A daemon's control socket (displays) and vrrpd's event feed: not for
# nobody; the control socket answers a member (the same tool, so it
# would see an answer).
test_nobody_cannot_query_or_listen() {
	local d out sub_n sub_r
	open_everything || return 1
	for d in vrrpd rbsd rbpd; do
		out=$(as_nobody "$BIN/bus-impostor" query "$(ep $d)" QUERY_VRRP_BRIEF 2)
		[ $? = 1 ] || { echo "  nobody queried $d: $out"; return 1; }
	done
	out=$(as_member "$BIN/bus-impostor" query "$(ep vrrpd)" QUERY_VRRP_BRIEF 2) ||
		{ echo "  a member got no answer from vrrpd: $out"; return 1; }
	# events: a new group goes Initialize -> Backup -> Master meanwhile
	as_nobody "$BIN/bus-impostor" sub "$(ep vrrpd-events)" 6 >"$ROOT/sub_n" &
	sub_n=$!
	"$BIN/bus-impostor" sub "$(ep vrrpd-events)" 6 >"$ROOT/sub_r" &
	sub_r=$!
	sleep 0.5
	cli A -c "system-view" -c "interface eth1" -c "vrrp vrid 7 virtual-ip 192.0.2.107" \
		-c "commit" >/dev/null || return 1
	wait $sub_r || { echo "  root saw no event: $(cat "$ROOT/sub_r")"; return 1; }
	wait $sub_n
	[ $? = 1 ] || { echo "  nobody saw events: $(cat "$ROOT/sub_n")"; return 1; }
	device_goes_on A
}

test_a_member_uses_dbcli_and_dbuser_and_the_history_names_them() {
	local out rc line
	open_everything || return 1
	chmod 0750 "$RUN_A" && chmod 0660 "$RUN_A"/*.ipc # back to the daemons' modes
	out=$(as_member "$BIN/dbcli" -r "$RUN_A" -c "system-view" -c "interface eth1" \
		-c "vrrp vrid 1 priority 99" -c "commit label bymember" 2>&1) ||
		{ echo "  member's commit: $out"; return 1; }
	# (99: outside device_goes_on's 100-199, so never "no changes to commit")
	line=$(cli A -c "display configuration commit list" | grep bymember)
	echo "$line" | grep -qw "$MEMBER" ||
		{ echo "  history: '$line'; the member's commit said: $out"; return 1; }
	echo "$line" | grep -qw root && { echo "  history believed \$USER: $line"; return 1; }
	# the user API answers a member: here with a refusal of its own
	# (eth1 is in no profile), which only rbpd can give
	out=$(as_member "$BIN/dbuser" -r "$RUN_A" add dhcp-server 02:dc:00:00:00:01 eth1 k1 p1 2>&1)
	rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q "is in no remote-backup-profile" ||
		{ echo "  member's dbuser $rc: $out"; return 1; }
	device_goes_on A
}

# Control: root's impostor under vrrpd's name is answered (root is a
# daemon's user: a restarted vrrpd must take its name over), so the tool
# would have seen the attacks above succeed.
test_control_root_is_answered_as_vrrpd() {
	local out
	out=$("$BIN/bus-impostor" hello "$(ep cfgd)" vrrpd 3) || { echo "  $out"; return 1; }
	# the real vrrpd says hello again at its next heartbeat
	stop9 A vrrpd
	start A vrrpd
	wait_sync A
}

# Device B: every daemon with -u dualbackup.
test_daemons_run_as_dualbackup_with_only_their_capabilities() {
	local d want uid st bad=0
	dev_create B 192.0.2.2/24 || return 1
	chmod 0755 "$ROOT/B"
	DEV_USER[B]=dualbackup
	start_all B || return 1
	uid=$(id -u dualbackup)
	declare -A caps=([cfgd]=0000000000000000 [vrrpd]=0000000000003000
		[rbpd]=0000000000001000 [rbsd]=0000000000000400)
	for d in cfgd vrrpd rbsd rbpd; do
		st=/proc/${DEV_PID[B.$d]}/status
		grep -Eq "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$" "$st" ||
			{ echo "  $d: $(grep ^Uid "$st")"; bad=1; }
		want=${caps[$d]}
		grep -q "^CapEff:\s*$want$" "$st" && grep -q "^CapPrm:\s*$want$" "$st" &&
			grep -q "^CapInh:\s*0000000000000000$" "$st" ||
			{ echo "  $d: $(grep -E '^Cap(Eff|Prm|Inh)' "$st" | tr '\n' ' ') want $want"; bad=1; }
	done
	[ "$(stat -c %U "$(run_dir B)")" = dualbackup ] || bad=1
	[ "$(stat -c %U "$(state_dir B)/commits")" = dualbackup ] || bad=1
	[ $bad = 0 ] || return 1
	# raw VRRP and a virtual address: CAP_NET_RAW and CAP_NET_ADMIN suffice
	cli B -c "system-view" -c "interface eth1" -c "vrrp vrid 1 virtual-ip 192.0.2.100" \
		-c "commit" >/dev/null || return 1
	wait_until 10 eval '[ "$(vstate B)" = Master ]' || { cli B -c "display vrrp brief"; return 1; }
	wait_until 5 eval 'inns B ip -o addr show dev eth1 | grep -q " 192.0.2.100/"' || return 1
	# a virtual-mac group: a macvlan, and arp_ignore set under /proc/sys/net
	cli B -c "system-view" -c "interface eth1" -c "vrrp vrid 2 virtual-ip 192.0.2.102" \
		-c "vrrp vrid 2 virtual-mac" -c "commit" >/dev/null || return 1
	wait_until 10 eval 'inns B ip -o addr | grep -q " 192.0.2.102/"' ||
		{ cli B -c "display vrrp brief"; tail -3 "$ROOT/B/vrrpd.log"; return 1; }
	[ "$(inns B cat /proc/sys/net/ipv4/conf/eth1/arp_ignore)" = 1 ] ||
		{ echo "  arp_ignore not set as dualbackup"; tail -3 "$ROOT/B/vrrpd.log"; return 1; }
	# restarted, cfgd still reads the history it wrote as dualbackup
	stop9 B cfgd
	start B cfgd
	wait_sync B || return 1
	cli B -c "display current-configuration" | grep -q "virtual-ip 192.0.2.100"
}

test_a_missing_user_is_a_clear_error() {
	local out
	out=$(inns A timeout 5 "$BIN/cfgd" -d -u no-such-user-$$ -r "$ROOT/nouser/run" -s "$ROOT/nouser/state" 2>&1)
	[ $? != 0 ] && echo "$out" | grep -q "no-such-user-$$: no such user"
}

# A run directory of another user, or a pid file planted as a link: the
# daemon refuses to start and the link's target is untouched.
test_foreign_run_directory_and_planted_pid_link_are_refused() {
	local out d=$ROOT/foreign
	mkdir -p "$d/run" && chown nobody "$d/run"
	out=$(inns A timeout 5 "$BIN/cfgd" -d -r "$d/run" -s "$d/state" 2>&1)
	[ $? != 0 ] && echo "$out" | grep -q "owned by uid $(id -u nobody)" || { echo "  $out"; return 1; }
	mkdir -p "$d/run2" && echo keep >"$d/victim"
	ln -s "$d/victim" "$d/run2/cfgd.pid"
	out=$(inns A timeout 5 "$BIN/cfgd" -d -r "$d/run2" -s "$d/state2" 2>&1)
	[ $? != 0 ] || { echo "  cfgd started over a planted link"; return 1; }
	[ "$(cat "$d/victim")" = keep ] || { echo "  the link's target was written"; return 1; }
	[ -L "$d/run2/cfgd.pid" ]
}

# Another local user could read a key of mode 0644: the commit that
# binds it is refused, with the reason; at 0600 the same commit passes.
test_a_private_key_others_can_read_is_refused_at_commit() {
	local out c=$ROOT/certs
	make_certs "$c" || return 1
	chmod 0644 "$c/A.key"
	out=$(cli A -c "system-view" -c "ssl policy p1" \
		-c "certificate load pem-cert $c/A.pem key-pair rsa key-file $c/A.key" \
		-c "trusted-ca load pem-ca $c/ca.pem" -c "quit" -c "remote-backup-service rbs1" \
		-c "bind ssl-policy p1" -c "peer 192.0.2.9 source 192.0.2.1 port 6000" -c "commit" 2>&1)
	[ $? = 1 ] && echo "$out" | grep -q "key-file $c/A.key: mode 0644 lets every user at it" ||
		{ echo "  $out"; return 1; }
	cli A -c "display current-configuration" | grep -q "ssl policy p1" && return 1
	chmod 0600 "$c/A.key"
	out=$(cli A -c "system-view" -c "ssl policy p1" \
		-c "certificate load pem-cert $c/A.pem key-pair rsa key-file $c/A.key" \
		-c "trusted-ca load pem-ca $c/ca.pem" -c "quit" -c "remote-backup-service rbs1" \
		-c "bind ssl-policy p1" -c "peer 192.0.2.9 source 192.0.2.1 port 6000" -c "commit" 2>&1) ||
		{ echo "  $out"; return 1; }
	wait_sync A
}

# rbsd's feeder endpoint (rbs1 exists since the test above): it takes
# whoever attaches last, so only root and the daemons' user may attach.
# nobody's feeder is never attached; root's (the control) is.
test_nobody_cannot_feed_rbsd() {
	local s=$ROOT/feed
	open_everything || return 1
	mkdir -p "$s" && chmod 1777 "$s"
	as_nobody timeout 3 "$BIN/rbs-feeder" -r "$RUN_A" -s rbs1 -n 10 -o "$s/nobody"
	grep -q "attached=0" "$s/nobody" || { echo "  nobody: $(cat "$s/nobody" 2>&1)"; return 1; }
	grep -q "feeder rbs-feeder attached" "$ROOT/A/rbsd.log" && { echo "  rbsd took nobody's feeder"; return 1; }
	timeout 3 "$BIN/rbs-feeder" -r "$RUN_A" -s rbs1 -n 10 -o "$s/root"
	grep -q "attached=1" "$s/root" || { echo "  control: root's feeder: $(cat "$s/root" 2>&1)"; return 1; }
	grep -q "feeder rbs-feeder attached" "$ROOT/A/rbsd.log"
}

t setup setup || { echo "setup failed"; tail -n 20 "$ROOT"/*/*.log; exit 1; }
t modes_close_the_run_directory_and_sockets test_modes_close_the_run_directory_and_sockets
t nobody_is_refused_by_the_modes test_nobody_is_refused_by_the_modes
t nobody_gets_no_cli_session test_nobody_gets_no_cli_session
t nobody_cannot_use_the_user_api test_nobody_cannot_use_the_user_api
t nobody_cannot_speak_for_a_daemon test_nobody_cannot_speak_for_a_daemon
t nobody_cannot_query_or_listen test_nobody_cannot_query_or_listen
t a_member_uses_dbcli_and_dbuser_and_the_history_names_them \
	test_a_member_uses_dbcli_and_dbuser_and_the_history_names_them
t control_root_is_answered_as_vrrpd test_control_root_is_answered_as_vrrpd
t daemons_run_as_dualbackup_with_only_their_capabilities \
	test_daemons_run_as_dualbackup_with_only_their_capabilities
t a_missing_user_is_a_clear_error test_a_missing_user_is_a_clear_error
t foreign_run_directory_and_planted_pid_link_are_refused \
	test_foreign_run_directory_and_planted_pid_link_are_refused
t a_private_key_others_can_read_is_refused_at_commit \
	test_a_private_key_others_can_read_is_refused_at_commit
t nobody_cannot_feed_rbsd test_nobody_cannot_feed_rbsd
t sigterm_and_clean_logs test_sigterm_and_clean_logs

echo "# attack_local: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
