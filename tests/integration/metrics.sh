#!/usr/bin/env bash
# The Prometheus endpoint (metricsd): devices A and B run the demo's
# procedure (A master of group 1, B of group 2, the RBS channel over TLS);
# A's metricsd serves on 127.0.0.1 in A's namespace. Every scrape passes
# `promtool check metrics` and says what the displays say; a daemon that
# does not answer is reported, not fatal; only GET /metrics is served.
#
#   bash tests/integration/metrics.sh [BUILDDIR]    (root)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

PORT=9469
URL=http://127.0.0.1:$PORT

procedure() { demo_procedure "$1" "s|delay 600|delay 0|"; }

start_metricsd() {
	# not through inns: $! must be metricsd itself, not a subshell
	ip netns exec "${DEV_NS[A]}" "$BIN/metricsd" -d -r "$(run_dir A)" -l 127.0.0.1 -p $PORT \
		>>"$ROOT/A/metricsd.log" 2>&1 &
	DEV_PID[A.metricsd]=$!
	wait_until 5 inns A curl -sf -o /dev/null $URL/metrics
}

# scrape: A's metrics into $ROOT/scrape, checked by promtool.
scrape() {
	inns A curl -sf $URL/metrics >"$ROOT/scrape" || { echo "  scrape failed"; return 1; }
	promtool check metrics <"$ROOT/scrape" >"$ROOT/promtool.out" 2>&1 ||
		{ echo "  promtool:"; sed 's/^/    /' "$ROOT/promtool.out"; return 1; }
}
# metric LINE-PREFIX: the value of the sample whose name and labels start so.
metric() { awk -v p="$1" 'index($0, p) == 1 { print $NF }' "$ROOT/scrape"; }

setup() {
	pair_without_host || return 1
	wait_until 15 eval '[ "$(vrrp_state A 192.0.2.100)" = Master ]' &&
		wait_until 15 eval '[ "$(vrrp_state B 192.0.2.101)" = Master ]' || return 1
	wait_until 15 eval '[ "$(jcli A "display remote-backup-service rbs1" | jq .services[0].up)" = true ]' ||
		return 1
	start_metricsd
}

# A scrape is valid exposition format and agrees with the JSON displays.
test_scrape_matches_the_displays() {
	local g='interface="eth1",vrid="1",family="ipv4"' g2='interface="eth1",vrid="2",family="ipv4"'
	scrape || return 1
	[ "$(metric "dualbackup_vrrp_state{$g,state=\"Master\"}")" = 1 ] &&
		[ "$(metric "dualbackup_vrrp_state{$g2,state=\"Backup\"}")" = 1 ] &&
		[ "$(metric "dualbackup_vrrp_priority{$g}")" = 120 ] || { grep vrrp_state "$ROOT/scrape"; return 1; }
	[ "$(metric 'dualbackup_rbs_up{service="rbs1"}')" = 1 ] &&
		[ "$(metric 'dualbackup_rbs_tls{service="rbs1"}')" = 1 ] || { grep rbs_ "$ROOT/scrape"; return 1; }
	[ "$(metric 'dualbackup_rbp_binding_master{profile="rbp1",vrid="1",interface="eth1"}')" = 1 ] &&
		[ "$(metric 'dualbackup_rbp_binding_master{profile="rbp1",vrid="2",interface="eth1"}')" = 0 ] ||
		return 1
	for d in vrrpd rbsd rbpd cfgd; do
		[ "$(metric "dualbackup_scrape_ok{daemon=\"$d\"}")" = 1 ] || return 1
	done
	[ "$(metric 'dualbackup_daemon_config_in_sync{daemon="rbpd"}')" = 1 ] || return 1
	# the adverts A sent, as display vrrp counts them, within a second
	local sent shown
	sent=$(metric "dualbackup_vrrp_adverts_sent_total{$g}")
	shown=$(jcli A "display vrrp" | jq '.groups[] | select(.vrid == 1) | .statistics.adverts_sent')
	[ "$sent" -gt 0 ] && [ $((shown - sent)) -le 2 ] || { echo "  sent $sent, display $shown"; return 1; }
}

# A commit is counted with its duration; the channel's TCP state and
# replication lag are exported as display ... verbose json shows them.
test_commits_lag_and_tcp() {
	local ok n inf rtt
	scrape || return 1
	ok=$(metric 'dualbackup_config_commits_total{result="ok"}')
	[ "${ok:-0}" -ge 1 ] || { grep config_commit "$ROOT/scrape"; return 1; }
	cli A -q -c "system-view" -c "interface eth1" -c "vrrp vrid 1 priority 121" -c "commit" ||
		return 1
	cli A -q -c "system-view" -c "interface eth1" -c "vrrp vrid 1 priority 120" -c "commit" ||
		return 1
	scrape || return 1
	n=$(metric 'dualbackup_config_commit_duration_seconds_count')
	inf=$(metric 'dualbackup_config_commit_duration_seconds_bucket{le="+Inf"}')
	[ "$(metric 'dualbackup_config_commits_total{result="ok"}')" = $((ok + 2)) ] &&
		[ "$n" = "$inf" ] && [ "$n" -ge $((ok + 2)) ] || { grep config_commit "$ROOT/scrape"; return 1; }
	[ -n "$(metric 'dualbackup_rbs_replication_lag_seconds{service="rbs1"}')" ] || return 1
	rtt=$(metric 'dualbackup_rbs_tcp_rtt_seconds{service="rbs1"}')
	awk -v r="$rtt" 'BEGIN { exit !(r > 0 && r < 1) }' || { echo "  rtt '$rtt'"; return 1; }
	jcli A "display remote-backup-service rbs1 verbose" |
		jq -e '.services[0].tcp.state == "established" and .services[0].replication_lag_ms >= 0' \
			>/dev/null || return 1
	cli A -c "display remote-backup-service rbs1 verbose" | grep -q "TCP *: established, rtt"
}

# docs/grafana-dashboard.json: every query parses as PromQL and names only
# families a live metricsd exports.
test_dashboard_queries_are_valid() {
	local dash=$HERE/../../docs/grafana-dashboard.json m bad=0
	scrape || return 1
	# each query as a recording rule (a JSON string is a YAML scalar)
	jq -r '"groups:\n  - name: dashboard\n    rules:",
		([.panels[].targets[].expr] | to_entries[] |
		 "      - record: dashboard:q\(.key)\n        expr: \(.value | @json)")' "$dash" \
		>"$ROOT/dashboard-rules.yml"
	promtool check rules "$ROOT/dashboard-rules.yml" >"$ROOT/promtool-rules.out" 2>&1 ||
		{ sed 's/^/    /' "$ROOT/promtool-rules.out"; return 1; }
	for m in $(jq -r '.panels[].targets[].expr' "$dash" | grep -o 'dualbackup_[a-z0-9_]*' | sort -u); do
		m=${m%_bucket}
		grep -q "^# TYPE $m " "$ROOT/scrape" || { echo "  $m: not exported"; bad=1; }
	done
	[ $bad = 0 ]
}

# A BFD session each way on the RBS link: vrrpd's sessions are scraped too.
test_bfd_sessions_are_exported() {
	local d peer
	for d in A B; do
		[ $d = A ] && peer=198.51.100.2 || peer=198.51.100.1
		cli $d -q -c "system-view" -c "bfd" -c "quit" -c "bfd m bind peer-ip $peer" \
			-c "min-tx-interval 100" -c "min-rx-interval 100" -c "commit" || return 1
	done
	wait_until 10 eval 'scrape && [ "$(metric '"'"'dualbackup_bfd_session_up{session="m"}'"'"')" = 1 ]' ||
		{ grep bfd_ "$ROOT/scrape"; return 1; }
	[ "$(metric 'dualbackup_bfd_detection_time_seconds{session="m"}')" = 0.3 ] &&
		[ "$(metric 'dualbackup_bfd_session_ups_total{session="m"}')" = 1 ] ||
		{ grep bfd_ "$ROOT/scrape"; return 1; }
}

# B's vrrpd gone: A takes group 2 over, and the next scrape says so.
test_a_takeover_is_seen() {
	local g2='interface="eth1",vrid="2",family="ipv4"' before
	scrape && before=$(metric "dualbackup_vrrp_transitions_total{$g2,to=\"master\"}")
	stop9 B vrrpd
	wait_until 10 eval '[ "$(vrrp_state A 192.0.2.101)" = Master ]' || return 1
	scrape || return 1
	[ "$(metric "dualbackup_vrrp_state{$g2,state=\"Master\"}")" = 1 ] &&
		[ "$(metric "dualbackup_vrrp_transitions_total{$g2,to=\"master\"}")" = $((before + 1)) ] &&
		[ "$(metric 'dualbackup_rbp_binding_master{profile="rbp1",vrid="2",interface="eth1"}')" = 1 ]
}

# A daemon that does not answer: the scrape still succeeds, says which,
# and leaves its metrics out rather than reporting stale ones.
test_a_silent_daemon_is_reported() {
	stop9 A rbsd
	scrape || return 1
	[ "$(metric 'dualbackup_scrape_ok{daemon="rbsd"}')" = 0 ] &&
		[ "$(metric 'dualbackup_scrape_ok{daemon="vrrpd"}')" = 1 ] || return 1
	! grep -q '^dualbackup_rbs_up{' "$ROOT/scrape" || return 1
	start A rbsd
	wait_sync A && scrape && [ "$(metric 'dualbackup_scrape_ok{daemon="rbsd"}')" = 1 ]
}

# Only GET (and HEAD) of /metrics; only on the address it was given.
test_only_metrics_on_its_address() {
	[ "$(inns A curl -s -o /dev/null -w '%{http_code}' $URL/)" = 404 ] &&
		[ "$(inns A curl -s -o /dev/null -w '%{http_code}' $URL/metrics/../etc/passwd)" = 404 ] &&
		[ "$(inns A curl -s -o /dev/null -w '%{http_code}' -X POST -d x $URL/metrics)" = 405 ] ||
		return 1
	# 192.0.2.1 is A's too, but metricsd was bound to 127.0.0.1
	! inns A curl -s -m 2 -o /dev/null http://192.0.2.1:$PORT/metrics
}

# metricsd refuses a port in use and a bad address, with the reason.
test_bad_options_refused() {
	local out
	out=$(inns A "$BIN/metricsd" -d -r "$(run_dir A)" -l 127.0.0.1 -p $PORT 2>&1) && return 1
	echo "$out" | grep -q "cannot serve on \[127.0.0.1\]:$PORT" || { echo "  $out"; return 1; }
	out=$(inns A "$BIN/metricsd" -d -l 192.0.2.300 2>&1)
	[ $? = 2 ] && echo "$out" | grep -q "not an IPv4 or IPv6 address"
}

t "setup: A and B, the demo's procedure, A's metricsd on 127.0.0.1:$PORT" setup || exit 1
t "a scrape passes promtool and says what the displays say" test_scrape_matches_the_displays
t "commits counted with their duration; TCP state and replication lag exported" \
	test_commits_lag_and_tcp
t "the Grafana dashboard's queries parse and name only exported families" \
	test_dashboard_queries_are_valid
t "BFD sessions are exported: up, detection time, transitions" test_bfd_sessions_are_exported
t "a takeover is seen in the next scrape" test_a_takeover_is_seen
t "a daemon that does not answer is reported, its metrics left out" test_a_silent_daemon_is_reported
t "only GET /metrics, only on the configured address" test_only_metrics_on_its_address
t "a port in use or a bad address is refused with the reason" test_bad_options_refused
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

echo "metrics integration: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
