# Helpers for integration tests: devices in network namespaces with their
# own run and state directories, real daemons, dbcli. Everything created
# is recorded and removed by cleanup, also when a test fails.
# Only documentation prefixes are used (192.0.2.0/24, 198.51.100.0/24).

BIN=${BIN:?BIN must point at build/bin}
ROOT=$(mktemp -d /tmp/dbtest.XXXXXX)
TAG=db$$
declare -A DEV_NS=() DEV_PID=() DEV_USER=()
# How start runs daemons: in the foreground, logging to their log files;
# a suite that wants them to log to the journal empties it.
DAEMON_FG=(-d)
PASS=0
FAIL=0

cleanup() {
	local k
	for k in "${!DEV_PID[@]}"; do
		kill -9 "${DEV_PID[$k]}" 2>/dev/null
		wait "${DEV_PID[$k]}" 2>/dev/null
	done
	for k in "${!DEV_NS[@]}"; do
		ip netns del "${DEV_NS[$k]}" 2>/dev/null
	done
	rm -rf "$ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_dir() { echo "$ROOT/$1/run"; }
state_dir() { echo "$ROOT/$1/state"; }

# dev_create NAME ADDR/LEN: a namespace with loopback up and eth1 (one end
# of a veth pair whose other end, eth1p, stays in the namespace: dummy
# interfaces are not available on every kernel).
dev_create() {
	local name=$1 addr=$2 ns="$TAG-$1"
	ip netns add "$ns" || return 1
	DEV_NS[$name]=$ns
	ip -n "$ns" link set lo up
	ip -n "$ns" link add eth1 type veth peer name eth1p || return 1
	ip -n "$ns" link set eth1p up
	ip -n "$ns" link set eth1 up
	ip -n "$ns" addr add "$addr" dev eth1
	mkdir -p "$(run_dir "$name")" "$(state_dir "$name")"
}

# seg_create: a user segment, a bridge br0 in a namespace of its own.
seg_create() {
	local ns="$TAG-seg"
	ip netns add "$ns" || return 1
	DEV_NS[seg]=$ns
	ip -n "$ns" link add br0 type bridge || return 1
	# Forward at once: no listening/learning delay on new ports.
	ip -n "$ns" link set br0 type bridge forward_delay 0 2>/dev/null
	ip -n "$ns" link set br0 up
}

# dev_on_seg NAME [ADDR/LEN]: a device (or host) whose eth1 is a port of
# the segment's bridge (port pNAME in the segment namespace).
dev_on_seg() {
	local name=$1 addr=${2:-} ns="$TAG-$1"
	ip netns add "$ns" || return 1
	DEV_NS[$name]=$ns
	ip -n "$ns" link set lo up
	ip -n "${DEV_NS[seg]}" link add "p$name" type veth peer name eth1 netns "$ns" || return 1
	ip -n "${DEV_NS[seg]}" link set "p$name" master br0 up
	ip -n "$ns" link set eth1 up
	[ -z "$addr" ] || ip -n "$ns" addr add "$addr" dev eth1
	mkdir -p "$(run_dir "$name")" "$(state_dir "$name")"
}

# seg_with_host: the user segment with routers A (192.0.2.1, 2001:db8::1)
# and B (.2, ::2) and host H (.10, ::10) on it; nothing started
# (vrrp.sh, interop.sh). Fails only when the namespaces cannot be made:
# the IPv6 addresses are not checked.
seg_with_host() {
	seg_create || return 1
	dev_on_seg A 192.0.2.1/24 && dev_on_seg B 192.0.2.2/24 && dev_on_seg H 192.0.2.10/24 || return 1
	inns A ip addr add 2001:db8::1/64 dev eth1 nodad
	inns B ip addr add 2001:db8::2/64 dev eth1 nodad
	inns H ip addr add 2001:db8::10/64 dev eth1 nodad
	return 0
}

# isolate DEV on|off: DEV's port of the segment cut from the other
# isolated ports (the other device's), the host still reaching both: the
# split brain of splitbrain.sh and chaos.sh (bridge_slave isolated).
isolate() { ip -n "${DEV_NS[seg]}" link set "p$1" type bridge_slave isolated "$2"; }

# dev_bare NAME: a device with only loopback (to be linked with link_pair).
dev_bare() {
	local ns="$TAG-$1"
	ip netns add "$ns" || return 1
	DEV_NS[$1]=$ns
	ip -n "$ns" link set lo up
	mkdir -p "$(run_dir "$1")" "$(state_dir "$1")"
}

# link_pair DEV1 ADDR1 DEV2 ADDR2 [IF]: a point-to-point link IF (default
# eth2) between two devices, the RBS link of the test topology.
link_pair() {
	local ifn=${5:-eth2}
	ip -n "${DEV_NS[$1]}" link add "$ifn" type veth peer name "$ifn" netns "${DEV_NS[$3]}" ||
		return 1
	ip -n "${DEV_NS[$1]}" addr add "$2" dev "$ifn" && ip -n "${DEV_NS[$1]}" link set "$ifn" up
	ip -n "${DEV_NS[$3]}" addr add "$4" dev "$ifn" && ip -n "${DEV_NS[$3]}" link set "$ifn" up
}

# inns DEV CMD...: run a command in a device's namespace.
inns() {
	local dev=$1
	shift
	ip netns exec "${DEV_NS[$dev]}" "$@"
}

# start DEV DAEMON [ENV...]: start one daemon in the device's namespace
# (as user DEV_USER[DEV] with -u when that is set), with the environment
# DEV_ENV[DEV.DAEMON] (VAR=VALUE words) when a suite sets it.
declare -A DEV_ENV=()
start() {
	local dev=$1 d=$2 extra=() tun=()
	shift 2
	[ "$d" = cfgd ] && extra=(-s "$(state_dir "$dev")")
	# as their systemd units run them: malloc's memory in huge pages
	case $d in rbpd | rbsd) tun=(GLIBC_TUNABLES=glibc.malloc.hugetlb=1) ;; esac
	[ -n "${DEV_USER[$dev]:-}" ] && extra+=(-u "${DEV_USER[$dev]}")
	# shellcheck disable=SC2086 # VAR=VALUE words
	env "${tun[@]}" "$@" ${DEV_ENV[$dev.$d]:-} ip netns exec "${DEV_NS[$dev]}" "$BIN/$d" "${DAEMON_FG[@]}" -r "$(run_dir "$dev")" \
		"${extra[@]}" \
		>>"$ROOT/$dev/$d.log" 2>&1 &
	DEV_PID[$dev.$d]=$!
}

# stop9 DEV DAEMON: kill -9 one daemon we started.
stop9() {
	local pid=${DEV_PID[$1.$2]:-}
	[ -n "$pid" ] || return 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "DEV_PID[$1.$2]"
}

alive() {
	local pid=${DEV_PID[$1.$2]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

start_all() {
	local d
	for d in cfgd vrrpd rbsd rbpd; do start "$1" "$d"; done
	wait_sync "$1"
}

cli() {
	local dev=$1
	shift
	"$BIN/dbcli" -r "$(run_dir "$dev")" "$@"
}

# jcli DEV CMD: the JSON answer of a display (docs/json.md).
jcli() { cli "$1" --json -c "$2"; }

# vrrp_state DEV VIP: the state of the group holding VIP on DEV.
vrrp_state() {
	jcli "$1" "display vrrp" 2>/dev/null |
		jq -r --arg a "$2" '.groups[] | select(.virtual_ips | index($a)) | .state'
}

# vrrp_is DEV VRID STATE: DEV's group VRID is in STATE ("Master",
# "Backup"). (jq -e alone would not do: jq 1.6 exits 0 on empty input,
# e.g. when dbcli found no cfgd to ask.)
vrrp_is() {
	jcli "$1" "display vrrp" | jq --argjson v "$2" --arg s "$3" \
		'any(.groups[]; .vrid == $v and .state == $s)' | grep -qx true
}

# rbpj DEV FILTER: jq FILTER over the profile rbp1 of DEV's display.
rbpj() { jcli "$1" "display remote-backup-profile rbp1" | jq -r ".profiles[0] | $2"; }

# chan_up DEV: the RBS channel of DEV's profile rbp1 is up.
chan_up() { [ "$(rbpj "$1" .service.channel)" = up ]; }

# other DEV: the other device of the pair A, B.
other() { [ "$1" = A ] && echo B || echo A; }

# wait_sync DEV: until cfgd sees the three daemons we started (their PIDs)
# up and running its configuration (content digests equal), at most 15 s.
wait_sync() {
	local i pids
	pids=$(printf '{"vrrpd":"%s","rbsd":"%s","rbpd":"%s"}' "${DEV_PID[$1.vrrpd]:-x}" \
		"${DEV_PID[$1.rbsd]:-x}" "${DEV_PID[$1.rbpd]:-x}")
	for i in $(seq 150); do
		jcli "$1" "display configuration sync" 2>/dev/null | jq -e --argjson p "$pids" \
			'all(.daemons[]; .up and .in_sync and (.pid | tostring) == $p[.daemon])' \
			>/dev/null && return 0
		sleep 0.1
	done
	echo "  device $1 did not converge (started: vrrpd ${DEV_PID[$1.vrrpd]:-} rbsd ${DEV_PID[$1.rbsd]:-} rbpd ${DEV_PID[$1.rbpd]:-}):" >&2
	cli "$1" -c "display configuration sync" >&2
	tail -n 4 "$ROOT/$1"/*.log >&2
	return 1
}

# demo_procedure DEV [SED-EXPR...]: the procedure of tests/procedure.txt
# (the spec's) with device DEV's values (A: master of group 1, source
# 198.51.100.1; B the other way), certificates from $ROOT/certs, and the
# suite's own changes as sed expressions (e.g. "s|delay 600|delay 0|").
demo_procedure() {
	local d=$1 p1 p2 src peer e args=()
	shift
	if [ "$d" = A ]; then p1=120 p2=100 src=198.51.100.1 peer=198.51.100.2
	else p1=100 p2=120 src=198.51.100.2 peer=198.51.100.1; fi
	for e in "$@"; do args+=(-e "$e"); done
	sed -e "s|@NAME@|$d|g" -e "s|@PRIO1@|$p1|" -e "s|@PRIO2@|$p2|" -e "s|@SOURCE@|$src|" \
		-e "s|@PEER@|$peer|" -e "s|@CERTS@|$ROOT/certs|g" "${args[@]}" \
		"$(dirname "${BASH_SOURCE[0]}")/../procedure.txt"
}

# raise_gc / restore_gc: suites that hold a thousand neighbours raise the
# neighbour tables' GC thresholds (past gc_thresh2, 512, the kernel starts
# removing idle entries), as any router holding that many users must;
# restore_gc puts them back (call it from the suite's EXIT trap).
declare -A SAVED_SYSCTL=()
raise_gc() {
	local f v
	for f in /proc/sys/net/ipv{4,6}/neigh/default/gc_thresh{1,2,3}; do
		SAVED_SYSCTL[$f]=$(cat "$f")
	done
	for v in 4 6; do
		# thresh1 first would be refused above thresh2: raise from the top
		echo 32768 >/proc/sys/net/ipv$v/neigh/default/gc_thresh3
		echo 16384 >/proc/sys/net/ipv$v/neigh/default/gc_thresh2
		echo 8192 >/proc/sys/net/ipv$v/neigh/default/gc_thresh1
	done
}
restore_gc() {
	local f
	for f in /proc/sys/net/ipv{4,6}/neigh/default/gc_thresh1 \
		/proc/sys/net/ipv{4,6}/neigh/default/gc_thresh2 \
		/proc/sys/net/ipv{4,6}/neigh/default/gc_thresh3; do
		[ -n "${SAVED_SYSCTL[$f]:-}" ] && echo "${SAVED_SYSCTL[$f]}" >"$f"
	done
}

# type_on_both: the suite's `procedure A` and `procedure B` typed on both
# devices at once, as two operators would: with the spec's preempt-mode
# timer delay 600, a device configured a Master_Down_Interval before the
# other would become master of both groups and keep them for 600 s (and a
# suite that shortens the delay would still wait that long for nothing).
type_on_both() {
	local pa pb ra rb
	procedure A >"$ROOT/A.proc" && procedure B >"$ROOT/B.proc" || return 1
	cli A -f "$ROOT/A.proc" >"$ROOT/A.typed" 2>&1 &
	pa=$!
	cli B -f "$ROOT/B.proc" >"$ROOT/B.typed" 2>&1 &
	pb=$!
	wait $pa
	ra=$?
	wait $pb
	rb=$?
	[ $ra = 0 ] && [ $rb = 0 ] || { cat "$ROOT/A.typed" "$ROOT/B.typed"; return 1; }
}

# pair_with_host: devices A (192.0.2.1, 2001:db8::1) and B (.2, ::2) and
# host H (.10, ::10) on the user segment, A and B linked for the RBS
# (198.51.100.1 and .2), certificates, every daemon on A and B, and the
# suite's `procedure A` and `procedure B` typed on each; the neighbour GC
# thresholds raised (raise_gc).
pair_with_host() {
	raise_gc
	seg_create || return 1
	dev_on_seg A 192.0.2.1/24 && dev_on_seg B 192.0.2.2/24 && dev_on_seg H 192.0.2.10/24 ||
		return 1
	inns A ip -6 addr add 2001:db8::1/64 dev eth1 nodad
	inns B ip -6 addr add 2001:db8::2/64 dev eth1 nodad
	inns H ip -6 addr add 2001:db8::10/64 dev eth1 nodad
	link_pair A 198.51.100.1/24 B 198.51.100.2/24 || return 1
	make_certs "$ROOT/certs" || return 1
	start_all A && start_all B || return 1
	type_on_both
}

# pair_without_host: pair_with_host without the host, the IPv6 addresses and
# the raised GC thresholds: devices A (192.0.2.1) and B (.2) on the user
# segment, linked for the RBS, certificates, every daemon on A and B and
# the suite's procedure typed on each (journal.sh, metrics.sh).
pair_without_host() {
	seg_create || return 1
	dev_on_seg A 192.0.2.1/24 && dev_on_seg B 192.0.2.2/24 || return 1
	link_pair A 198.51.100.1/24 B 198.51.100.2/24 || return 1
	make_certs "$ROOT/certs" || return 1
	start_all A && start_all B || return 1
	type_on_both
}

# users_on_h NAME ARGS...: one range of neighbour users on host H
# (tests/tools/neigh_users.c), staying to answer probes.
users_on_h() {
	local name=$1
	shift
	mkdir -p "$ROOT/H"
	ip netns exec "${DEV_NS[H]}" "$BIN/neigh-users" -i eth1 -k "$@" >>"$ROOT/H/$name.log" 2>&1 &
	DEV_PID[H.$name]=$!
}

# garp_watch NAME VIP [DEV]: capture on host H's eth1, in the background
# until garp_stop NAME or cleanup, the gratuitous ARPs that announce VIP
# (RFC 5227: a request whose sender and target are both VIP), only DEV's
# (sent from its eth1's MAC) when given. garp_first NAME [AFTER_NS] prints
# the first one's time in ns since the epoch (empty: none yet), the first
# at AFTER_NS or later when given.
garp_watch() {
	local mac=
	mkdir -p "$ROOT/H"
	if [ -n "${3:-}" ]; then
		mac=$(ip -n "${DEV_NS[$3]}" -j link show eth1 | jq -r '.[0].address') || return 1
	fi
	: >"$ROOT/H/$1.garp.err"
	ip netns exec "${DEV_NS[H]}" tcpdump -i eth1 -e -nn -tt -l arp >"$ROOT/H/$1.garp" \
		2>"$ROOT/H/$1.garp.err" &
	DEV_PID[H.garp.$1]=$!
	echo "$2 $mac" >"$ROOT/H/$1.garp.vip"
	wait_until 5 grep -q listening "$ROOT/H/$1.garp.err" ||
		{ echo "  tcpdump did not start: $(cat "$ROOT/H/$1.garp.err")"; return 1; }
}
garp_first() {
	local vip mac
	read -r vip mac <"$ROOT/H/$1.garp.vip"
	awk -v v="$vip" -v mac="$mac" -v after="${2:-0}" 'index($0, "who-has " v " tell " v ",") &&
		(mac == "" || $2 == mac) {
		split($1, t, "."); ns = t[1] substr(t[2] "000000000", 1, 9)
		if (ns + 0 >= after + 0) { print ns; exit } }' "$ROOT/H/$1.garp"
}
garp_stop() {
	local pid=${DEV_PID[H.garp.$1]:-}
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "DEV_PID[H.garp.$1]"
}

# takeover_ordered DEV VRID CAPTURE: DEV's last takeover of the group was
# announced only once rbpd had taken its users over (docs/takeover.md):
# vrrpd waited for rbpd's word and got it, and the first gratuitous ARP the
# capture saw on the segment followed the end of rbpd's takeover.
takeover_ordered() {
	local a t_m t_r t_g
	a=$(jcli "$1" "display vrrp" | jq -c --argjson v "$2" '.groups[] | select(.vrid == $v) | .announce')
	t_m=$(jq -r .became_master_ns <<<"$a")
	t_r=$(jcli "$1" "display remote-backup-profile" |
		jq -r --argjson v "$2" '[.profiles[].bindings[] | select(.vrid == $v) | .last_takeover.at_ns] | max')
	t_g=$(garp_first "$3")
	echo "  $1 vrid $2: master, then rbpd's takeover done after $(((t_r - t_m) / 1000)) us," \
		"first gratuitous ARP after $(((${t_g:-0} - t_m) / 1000)) us"
	[ "$(jq -r .last_awaited_rbpd <<<"$a")" = true ] && [ "$(jq -r .last_confirmed <<<"$a")" = true ] ||
		{ echo "  $1 vrid $2 did not wait for rbpd: $a"; return 1; }
	[ -n "$t_g" ] && [ "$t_r" != null ] && [ "$t_g" -ge "$t_r" ] ||
		{ echo "  $1 vrid $2: announced at '${t_g}' before rbpd's takeover ended at $t_r"; return 1; }
}

# gen_users PARITY: lines for `dbuser load`, the API users 0 .. N_API - 1
# whose number has that parity (so has their MAC's last byte).
gen_users() {
	awk -v n="$N_API" -v par="$1" 'BEGIN { for (i = par; i < n; i += 2)
		printf "add dhcp-server 02:dc:00:%02x:%02x:%02x eth1 lease-%d 192.0.2.%d/86400\n",
			int(i / 65536) % 256, int(i / 256) % 256, i % 256, i, 20 + i % 200 }'
}

# make_certs DIR: a CA and certificates for devices A and B.
make_certs() {
	local dir=$1 n
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=dualbackup test CA" \
		-keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1 || return 1
	for n in A B; do
		openssl req -newkey rsa:2048 -nodes -subj "/CN=device $n" \
			-keyout "$dir/$n.key" -out "$dir/$n.csr" >/dev/null 2>&1 || return 1
		openssl x509 -req -in "$dir/$n.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
			-CAcreateserial -days 30 -out "$dir/$n.pem" >/dev/null 2>&1 || return 1
	done
}

# SIGTERM to every daemon still running: each must exit 0, and no log
# may hold a sanitizer report. Every suite ends with it.
test_sigterm_and_clean_logs() {
	local k pid rc bad=0
	for k in "${!DEV_PID[@]}"; do
		pid=${DEV_PID[$k]}
		kill -TERM "$pid"
		# at most 10 s: a process that does not stop is a failure, not a hang
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$pid" 2>/dev/null; then
			echo "  $k (pid $pid) did not exit within 10 s of SIGTERM"
			tail -n 5 "$ROOT/${k%%.*}/${k#*.}.log" 2>/dev/null | sed 's/^/    /'
			kill -9 "$pid"
			bad=1
		fi
		wait "$pid"
		rc=$?
		unset "DEV_PID[$k]"
		[ $rc = 0 ] || { echo "  $k exited $rc on SIGTERM"; bad=1; }
	done
	if grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$ROOT"/*/*.log; then
		grep -hE -A12 "ERROR: (Address|Leak)Sanitizer|runtime error:" "$ROOT"/*/*.log | head -40
		bad=1
	fi
	[ $bad = 0 ]
}

# wait_until SECONDS CMD...: poll CMD every 50 ms until it succeeds,
# SECONDS*20 times. A CMD slow to answer (a display under the
# sanitizers) stretches that, up to twice SECONDS of wall clock: a
# failing wait must not hold the suite for minutes.
wait_until() {
	# names no caller uses: CMD sees the caller's variables (eval)
	local _wu_tries=$(($1 * 20)) _wu_end=$((${EPOCHREALTIME/./} + $1 * 2000000))
	shift
	while [ $_wu_tries -gt 0 ] && [ "${EPOCHREALTIME/./}" -lt "$_wu_end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
		_wu_tries=$((_wu_tries - 1))
	done
	"$@" >/dev/null 2>&1
}

# t NAME FUNCTION: run one test, count it, and say how long it took.
t() {
	local name=$1
	shift
	if [ -n "${ONLY:-}" ] && [[ "$name" != setup* ]] && ! [[ "$name" =~ $ONLY ]]; then
		return 0
	fi
	local _t_t0=${EPOCHREALTIME/./} _t_took
	if "$@"; then
		PASS=$((PASS + 1))
		_t_took=$(((${EPOCHREALTIME/./} - _t_t0) / 100000))
		echo "ok - $name ($((_t_took / 10)).$((_t_took % 10)) s)"
	else
		FAIL=$((FAIL + 1))
		_t_took=$(((${EPOCHREALTIME/./} - _t_t0) / 100000))
		echo "not ok - $name ($((_t_took / 10)).$((_t_took % 10)) s)"
	fi
}
