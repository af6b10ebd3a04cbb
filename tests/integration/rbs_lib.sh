# shellcheck shell=bash
# The RBS channel between devices A (198.51.100.1) and B (198.51.100.2),
# joined by eth2, with rbs-feeder standing in for rbpd on each: shared by
# tests/integration/rbs.sh, tests/integration/attack_rbs.sh and
# bench/rbs.sh, sourced after lib.sh (which gives ROOT, BIN, DEV_NS,
# DEV_PID, cli, inns). CERTS is where make_certs put the certificates.

addr_of() { [ "$1" = A ] && echo 198.51.100.1 || echo 198.51.100.2; }
other() { [ "$1" = A ] && echo B || echo A; }

# rbs_config DEV [ssl]: the spec's RBS steps, rbs1 towards the other device
# on port 6000 (with ssl: and the SSL policy pol bound to it).
rbs_config() {
	local d=$1 extra=()
	if [ "${2:-}" = ssl ]; then
		extra=(-c "ssl policy pol"
			-c "certificate load pem-cert $CERTS/$d.pem key-pair rsa key-file $CERTS/$d.key"
			-c "trusted-ca load pem-ca $CERTS/ca.pem" -c "quit"
			-c "remote-backup-service rbs1" -c "bind ssl-policy pol" -c "quit")
	fi
	cli "$d" -q -c "system-view" "${extra[@]}" \
		-c "remote-backup-service rbs1" -c "peer $(addr_of "$(other "$d")") source $(addr_of "$d") port 6000" \
		-c "quit" -c "commit"
}

# feeder DEV [ARGS...]: (re)start the device's rbs-feeder, its status line
# in $ROOT/DEV.feeder, its log in $ROOT/DEV/feeder.log.
feeder() {
	local d=$1
	shift
	stop_feeder "$d"
	# Not through inns: $! must be the feeder itself, not a subshell.
	ip netns exec "${DEV_NS[$d]}" "$BIN/rbs-feeder" -r "$(run_dir "$d")" -s rbs1 \
		-o "$ROOT/$d.feeder" "$@" >>"$ROOT/$d/feeder.log" 2>&1 &
	DEV_PID[$d.feeder]=$!
}
# stop_feeder DEV: SIGTERM (it writes a last status line, kept as
# $ROOT/DEV.feeder.last), then forget it.
stop_feeder() {
	local pid=${DEV_PID[$1.feeder]:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "DEV_PID[$1.feeder]"
	mv -f "$ROOT/$1.feeder" "$ROOT/$1.feeder.last" 2>/dev/null
}
# fv DEV KEY [FILE]: a value from the device's feeder status line (or
# FILE's), read without a fork (bench/rbs.sh reads it while it measures).
fv() {
	local line=
	read -r line 2>/dev/null <"${3:-$ROOT/$1.feeder}"
	[[ " $line" =~ \ $2=([^ ]*) ]] && echo "${BASH_REMATCH[1]}"
}
# identical COUNT: B holds exactly what A owns, COUNT entries, same digest.
identical() {
	[ "$(fv A own)" = "$1" ] && [ "$(fv B rx)" = "$1" ] &&
		[ "$(fv A own_digest)" = "$(fv B rx_digest)" ]
}
show() { cli "$1" -c "display remote-backup-service rbs1"; }
is_up() { show "$1" | grep -q "State *: Connected"; }
# field DEV LABEL: what display says after LABEL, e.g. field A "Refused peers".
field() { show "$1" | sed -n "s/^ *$2 *: //p"; }

# rbs_setup: certificates in CERTS, A and B linked, the suite on each,
# rbs1 with the SSL policy pol on both.
rbs_setup() {
	make_certs "$CERTS" || return 1
	dev_bare A && dev_bare B && link_pair A 198.51.100.1/24 B 198.51.100.2/24 || return 1
	start_all A && start_all B || return 1
	rbs_config A ssl && rbs_config B ssl
}

# rbs_explain LINES: each device's feeder status line, its display and the
# last LINES lines of its rbsd log; returns 1 (for "|| explain || return 1").
rbs_explain() {
	local d
	for d in A B; do
		echo "  --- $d: $(cat "$ROOT/$d.feeder" 2>/dev/null)"
		show $d | sed 's/^/  /'
		tail -n "$1" "$ROOT/$d/rbsd.log" | sed 's/^/  /'
	done
	return 1
}
