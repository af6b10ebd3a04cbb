#!/usr/bin/env bash
# Structured journal events: the daemons, run as systemd runs them (not in
# the foreground), write to the journal's native socket; a VRRP transition,
# an RBS channel going up or down and a takeover's users restored carry a
# stable MESSAGE_ID and their fields, so that `journalctl MESSAGE_ID=...
# VRRP_VRID=1` finds them, and `journalctl -x` explains them from the
# catalog systemd/dualbackup.catalog.
#
#   bash tests/integration/journal.sh [BUILDDIR]    (root; ONLY=regex)
#
# The suite never touches the host's journal: it re-runs itself in a
# private mount namespace with tmpfs over /run/systemd, /run/log,
# /var/log/journal, the catalog directories and the catalog database, and
# starts a systemd-journald of its own there.
set -u
JOURNALD=/lib/systemd/systemd-journald
if [ -z "${DB_JOURNAL_NS:-}" ]; then
	[ -x "$JOURNALD" ] && command -v journalctl >/dev/null ||
		{ echo "not ok - setup: systemd-journald and journalctl are needed (Debian systemd)"; exit 1; }
	DB_JOURNAL_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

DAEMON_FG=() # as under systemd: log to the journal
VRRP_ID=f740ceb056434d93b2b2d170b5d39d34
RBS_ID=bbc4453b1a584daaa9d8adaa755d6f45
TAKEOVER_ID=3bf2c02d270c4ac9810394e8502e9fab
JPID=
procedure() { demo_procedure "$1" "s|delay 600|delay 0|"; }

stop_journald() { [ -z "$JPID" ] || { kill "$JPID" 2>/dev/null; wait "$JPID" 2>/dev/null; }; }
trap 'stop_journald; cleanup' EXIT

# A journal of our own, in this mount namespace only.
own_journal() {
	local d
	for d in /run/systemd /run/log /var/log/journal /var/lib/systemd/catalog \
		/usr/lib/systemd/catalog; do
		[ -d "$d" ] || continue
		mount -t tmpfs -o mode=0755 tmpfs "$d" || return 1
	done
	mkdir -p /run/systemd/journal
	"$JOURNALD" >"$ROOT/journald.log" 2>&1 &
	JPID=$!
	wait_until 5 test -S /run/systemd/journal/socket || { cat "$ROOT/journald.log"; return 1; }
	cp "$HERE/../../systemd/dualbackup.catalog" /usr/lib/systemd/catalog/ &&
		journalctl --update-catalog
}

# events ID [FIELD=VALUE...]: the events of that MESSAGE_ID (and fields)
# as JSON lines.
events() { journalctl --no-pager -o json MESSAGE_ID="$@" 2>/dev/null; }

setup() {
	own_journal || return 1
	pair_without_host || return 1
	wait_until 15 eval '[ "$(vrrp_state A 192.0.2.100)" = Master ] &&
		[ "$(vrrp_state B 192.0.2.101)" = Master ]'
}

# Every transition of A's vrrpd is in the journal with its fields, from
# vrrpd's own PID, and the log line reads as on stderr.
test_a_vrrp_transition_carries_its_fields() {
	local e
	wait_until 5 eval 'events $VRRP_ID VRRP_VRID=1 _PID=${DEV_PID[A.vrrpd]} | grep -q Master' ||
		{ journalctl --no-pager -n 20; return 1; }
	e=$(events $VRRP_ID VRRP_VRID=1 _PID="${DEV_PID[A.vrrpd]}" |
		jq -c 'select(.VRRP_NEW_STATE == "Master")' | tail -1)
	echo "  $(jq -r '.MESSAGE' <<<"$e")"
	jq -e '.SYSLOG_IDENTIFIER == "vrrpd" and .VRRP_INTERFACE == "eth1" and
		.VRRP_FAMILY == "vrrp" and .VRRP_OLD_STATE == "Backup" and .PRIORITY == "6" and
		(.VRRP_REASON | length > 0) and (.MESSAGE | test("vrid 1\\) Backup -> Master"))' \
		<<<"$e" >/dev/null || { echo "$e"; return 1; }
	# only the group asked for: no event of vrid 2 becoming master on A
	! events $VRRP_ID VRRP_VRID=2 _PID="${DEV_PID[A.vrrpd]}" | jq -e 'select(.VRRP_NEW_STATE == "Master")' \
		>/dev/null
}

test_the_channel_coming_up_is_an_event_on_both() {
	local d
	for d in A B; do
		wait_until 10 eval 'events $RBS_ID RBS_STATE=up _PID=${DEV_PID[$d.rbsd]} |
			jq -e "select(.RBS_SERVICE == \"rbs1\" and (.RBS_TLS | startswith(\"TLS\")))" >/dev/null' ||
			{ events $RBS_ID; return 1; }
	done
	events $RBS_ID RBS_STATE=up _PID="${DEV_PID[A.rbsd]}" | jq -r '"  \(.MESSAGE)"' | tail -1
}

# A dies: B logs the channel down with its reason, group 1 to Master, and
# the takeover with the users restored; journalctl -x explains it.
test_a_takeover_is_three_events_on_b() {
	local d
	for d in cfgd vrrpd rbsd rbpd; do stop9 A $d; done
	inns A ip link set eth1 down
	inns A ip link set eth2 down
	wait_until 15 eval 'events $VRRP_ID VRRP_VRID=1 VRRP_NEW_STATE=Master _PID=${DEV_PID[B.vrrpd]} |
		grep -q .' || { journalctl --no-pager -n 30; return 1; }
	wait_until 10 eval 'events $RBS_ID RBS_STATE=down _PID=${DEV_PID[B.rbsd]} |
		jq -e "select(.RBS_SERVICE == \"rbs1\" and (.RBS_REASON | length > 0))" >/dev/null' ||
		{ events $RBS_ID; return 1; }
	wait_until 10 eval 'events $TAKEOVER_ID VRRP_VRID=1 _PID=${DEV_PID[B.rbpd]} |
		jq -e "select(.RBP_PROFILE == \"rbp1\" and .RBP_PARITY == \"odd-mac\" and
			(.RBP_USERS_RESTORED | test(\"^[0-9]+$\")))" >/dev/null' ||
		{ events $TAKEOVER_ID; return 1; }
	events $TAKEOVER_ID _PID="${DEV_PID[B.rbpd]}" | jq -r '"  \(.MESSAGE)"' | tail -1
	# the catalog: journalctl -x adds the explanation with the fields filled in
	journalctl --no-pager -x MESSAGE_ID=$TAKEOVER_ID VRRP_VRID=1 _PID="${DEV_PID[B.rbpd]}" |
		grep -q "became master of VRRP group 1 on eth1" ||
		{ journalctl --no-pager -x MESSAGE_ID=$TAKEOVER_ID; return 1; }
}

t setup setup
t a_vrrp_transition_carries_its_fields test_a_vrrp_transition_carries_its_fields
t the_channel_coming_up_is_an_event_on_both test_the_channel_coming_up_is_an_event_on_both
t a_takeover_is_three_events_on_b test_a_takeover_is_three_events_on_b
t sigterm_and_clean_logs test_sigterm_and_clean_logs

echo "# journal: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
