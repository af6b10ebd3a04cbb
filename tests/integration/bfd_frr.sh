#!/usr/bin/env bash
# BFD interoperation with FRR's bfdd (Debian frr): device A runs the suite,
# namespace F runs FRR's bfdd alone, joined by a link (eth3, 203.0.113.1
# and .2). Sessions come up both ways, intervals negotiated with FRR are
# honoured, a stopped peer is detected on either side, AdminDown is
# respected on either side.
# Usage: tests/integration/bfd_frr.sh BUILDDIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

FRR_BFDD=/usr/lib/frr/bfdd
[ -x "$FRR_BFDD" ] || { echo "not ok - FRR's bfdd is not installed (make deps installs frr)"; exit 1; }

bfd_field() { jcli A "display bfd session tofrr" | jq -r ".sessions[0]$1"; }
state_is() { [ "$(bfd_field .state)" = "$1" ]; }
# frr CMD...: vtysh against F's bfdd.
frr() {
	local a=()
	for c in "$@"; do a+=(-c "$c"); done
	inns F vtysh --vty_socket "$ROOT/F" -d bfdd "${a[@]}"
}
frr_peer() { frr "show bfd peers json" | jq -r ".[] | select(.peer == \"203.0.113.1\") | $1"; }

# frr_conf TX RX [shutdown]: F's bfdd configuration for its peer A.
frr_conf() {
	cat >"$ROOT/F/frr.conf" <<EOF
bfd
 peer 203.0.113.1 local-address 203.0.113.2
  detect-multiplier 3
  receive-interval $2
  transmit-interval $1
  ${3:-no shutdown}
 !
!
EOF
}

start_frr() {
	# FRR's daemons run as frr (of group frrvty, which its vty wants);
	# F's directory is theirs, reached through ROOT
	chmod 711 "$ROOT" && chown -R frr:frr "$ROOT/F" || return 1
	# not through inns: $! must be bfdd itself
	ip netns exec "${DEV_NS[F]}" "$FRR_BFDD" -f "$ROOT/F/frr.conf" -i "$ROOT/F/bfdd.pid" \
		--vty_socket "$ROOT/F" --bfdctl "$ROOT/F/bfdd.sock" -z "$ROOT/F/zserv.api" \
		-u frr -g frr -P 0 --log "file:$ROOT/F/bfdd.log" >>"$ROOT/F/bfdd.out" 2>&1 &
	DEV_PID[F.bfdd]=$!
	wait_until 5 frr "show bfd peers json"
}

explain() {
	cli A -c "display bfd session" | sed 's/^/  A: /'
	frr "show bfd peers" 2>&1 | sed 's/^/  F: /'
	grep bfd "$ROOT/A/vrrpd.log" | tail -n 4 | sed 's/^/  A: /'
	tail -n 4 "$ROOT/F/bfdd.log" 2>/dev/null | sed 's/^/  F: /'
	return 1
}

setup() {
	dev_bare A && dev_bare F && link_pair A 203.0.113.1/24 F 203.0.113.2/24 eth3 || return 1
	start_all A || return 1
	frr_conf 100 100 && start_frr || { cat "$ROOT/F/bfdd.out"; return 1; }
	cli A -q -c "system-view" -c "bfd" -c "quit" \
		-c "bfd tofrr bind peer-ip 203.0.113.2 interface eth3 source-ip 203.0.113.1" \
		-c "min-tx-interval 100" -c "min-rx-interval 100" -c "commit"
}

# Up on both sides, each with the other's discriminator.
test_up_both_ways() {
	wait_until 10 state_is Up || explain || return 1
	wait_until 5 eval '[ "$(frr_peer .status)" = up ]' || explain || return 1
	[ "$(frr_peer .\"remote-id\")" = "$(bfd_field .local_discriminator)" ] &&
		[ "$(frr_peer .id)" = "$(bfd_field .remote_discriminator)" ] || explain
}

# FRR asks for packets no faster than 300 ms: A sends every 300 ms, and
# FRR's detection of A uses it; A's own detection follows FRR's 300 ms
# transmit interval.
test_intervals_honoured() {
	local downs
	downs=$(bfd_field .downs)
	frr "configure terminal" "bfd" "peer 203.0.113.1 local-address 203.0.113.2" \
		"receive-interval 300" "transmit-interval 300" >/dev/null || return 1
	wait_until 5 eval '[ "$(bfd_field .tx_interval_us)" = 300000 ] &&
		[ "$(bfd_field .detection_time_us)" = 900000 ]' || explain || return 1
	[ "$(bfd_field .downs)" = "$downs" ] && state_is Up || explain || return 1
	frr "configure terminal" "bfd" "peer 203.0.113.1 local-address 203.0.113.2" \
		"receive-interval 100" "transmit-interval 100" >/dev/null
	wait_until 5 eval '[ "$(bfd_field .tx_interval_us)" = 100000 ]' || explain
}

# FRR's bfdd stopped: A goes Down, Control Detection Time Expired.
test_stopped_frr_detected() {
	local diag
	kill -STOP "${DEV_PID[F.bfdd]}"
	wait_until 3 state_is Down || { kill -CONT "${DEV_PID[F.bfdd]}"; explain; return 1; }
	diag=$(bfd_field .diagnostic)
	kill -CONT "${DEV_PID[F.bfdd]}"
	[ "$diag" = 1 ] || { echo "  diagnostic $diag"; return 1; }
	wait_until 10 state_is Up || explain
}

# A's vrrpd stopped: FRR goes down too.
test_stopped_a_detected_by_frr() {
	kill -STOP "${DEV_PID[A.vrrpd]}"
	wait_until 3 eval '[ "$(frr_peer .status)" = down ]' ||
		{ kill -CONT "${DEV_PID[A.vrrpd]}"; explain; return 1; }
	kill -CONT "${DEV_PID[A.vrrpd]}"
	wait_until 10 eval '[ "$(frr_peer .status)" = up ]' && wait_until 5 state_is Up || explain
}

# AdminDown from FRR: A goes Down with Neighbor Signaled Session Down;
# from A: FRR's peer goes down and says the remote is administratively down.
test_admin_down_both_ways() {
	frr "configure terminal" "bfd" "peer 203.0.113.1 local-address 203.0.113.2" "shutdown" \
		>/dev/null || return 1
	wait_until 5 state_is Down || explain || return 1
	[ "$(bfd_field .diagnostic)" = 3 ] || explain || return 1
	frr "configure terminal" "bfd" "peer 203.0.113.1 local-address 203.0.113.2" "no shutdown" \
		>/dev/null
	wait_until 10 state_is Up || explain || return 1
	cli A -q -c "system-view" -c "bfd tofrr" -c "shutdown" -c "commit" || return 1
	wait_until 5 eval '[ "$(frr_peer .status)" = down ]' || explain || return 1
	frr "show bfd peers json" | jq -e '.[] | select(.peer == "203.0.113.1") |
		(.["remote-diagnostic"] // "" | test("^administratively"))' >/dev/null ||
		{ frr "show bfd peers json"; explain; return 1; }
	cli A -q -c "system-view" -c "bfd tofrr" -c "undo shutdown" -c "commit" &&
		wait_until 10 state_is Up || explain
}

t "setup: A with the suite, F with FRR's bfdd, linked on eth3; a session each way" setup
if [ "$FAIL" != 0 ]; then
	cat "$ROOT/F/bfdd.out" "$ROOT/F/bfdd.log" 2>/dev/null | tail -n 20
	exit 1
fi
t "FRR and A come up: each knows the other's discriminator" test_up_both_ways
t "FRR's 300 ms intervals honoured by A without a flap, and back to 100 ms" test_intervals_honoured
t "FRR's bfdd stopped: A Down, Control Detection Time Expired; back Up" test_stopped_frr_detected
t "A's vrrpd stopped: FRR's peer down; back up" test_stopped_a_detected_by_frr
t "AdminDown from FRR (diag 3 on A) and from A (FRR: administratively-down)" \
	test_admin_down_both_ways
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

echo "bfd frr integration: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
