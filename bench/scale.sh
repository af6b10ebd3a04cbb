#!/usr/bin/env bash
# VRRP scale and idle-cost benchmark: the CPU and memory of vrrpd with one
# group (next to keepalived's) and with 1,000 groups, and whether any group
# changes state while nothing happens. Prints numbers; see bench/README.md.
#
#   bash bench/scale.sh [BUILDDIR] [SECONDS]     (root; defaults: build, 60)
#
# Environment:
#   PARTS="idle spec groups"
#                         idle: one group, ours then keepalived;
#                         spec: the spec's procedure (ours, idle);
#                         groups: the SHAPES, ours
#   SHAPES="1000x1 1000x250"
#                         NxK: N groups, K per interface (vrid 1..K on each of
#                         eth1.1 ... eth1.(N/K)); 1000x1 is one group per VLAN
#   LINKS=auto            vlan: eth1.N is 802.1Q VLAN N on eth1, A and B on
#                         the bridge; veth: eth1.N is a veth pair between A
#                         and B; auto: vlan when the kernel has 802.1Q
#   KA_GROUPS=1           1: each shape measured with keepalived too, the same
#                         groups as vrrp_instance blocks (one process pair per
#                         device)
#   STEER=auto            1: measure each shape a second time with B's receive
#                         work steered off A's CPU (see steered()); auto: 1
#                         when the machine has two CPUs or more
#
# Quick smoke test: SHAPES=50x1 bash bench/scale.sh build 5
# SMOKE=1: the defaults become SECONDS 3, SHAPES 20x1, KA_GROUPS 0, STEER 0
# (idle with keepalived, 20 groups ours only; about 40 s). The headline
# figures end the output as SUMMARY lines (bench/summary.sh); a missing one
# (a part that did not run to its end) fails the run.
#
# Topology (tests/integration/lib.sh): routers A (192.0.2.1) and B
# (192.0.2.2) on a bridge, each in its own network namespace, each running
# our whole suite (cfgd, vrrpd, rbsd, rbpd) configured through dbcli, or
# keepalived. A has priority 120 and is master of every group, B has 100
# and is backup of every group.
#
# Everything it creates is recorded and removed on exit, also on failure
# or Ctrl-C. Documentation addresses only, only in the namespaces.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${1:-build}
DEF_SECS=60
if [ "${SMOKE:-0}" = 1 ]; then
	DEF_SECS=3
	SHAPES=${SHAPES:-20x1} KA_GROUPS=${KA_GROUPS:-0} STEER=${STEER:-0}
fi
SECS=${2:-$DEF_SECS}
PARTS=${PARTS:-idle spec groups}
THREADS=${THREADS:-0}
SHAPES=${SHAPES:-1000x1 1000x250}
LINKS=${LINKS:-auto}
STEER=${STEER:-auto}
KA_GROUPS=${KA_GROUPS:-1}
REFUSED=0

me=bench/scale.sh
. "$HERE/preflight.sh"
. "$HERE/summary.sh"
preflight $me "$BUILD" make cfgd vrrpd rbsd rbpd dbcli
case $KA_GROUPS in 0 | 1) ;; *) echo "$me: KA_GROUPS is 0 or 1" >&2; exit 2 ;; esac
if [[ " $PARTS " == *" idle "* ]] || { [[ " $PARTS " == *" groups "* ]] && [ "$KA_GROUPS" = 1 ]; }; then
	need_keepalived $me
fi
[[ "$SECS" =~ ^[1-9][0-9]*$ ]] || { echo "$me: SECONDS must be a positive number" >&2; exit 2; }
for sh in $SHAPES; do
	[[ "$sh" =~ ^([1-9][0-9]*)x([1-9][0-9]*)$ ]] && [ "${BASH_REMATCH[2]}" -le 255 ] &&
		[ $(((BASH_REMATCH[1] + BASH_REMATCH[2] - 1) / BASH_REMATCH[2])) -le 4094 ] ||
		{ echo "$me: bad shape $sh: NxK, K <= 255 vrids per interface, N/K <= 4094 VLANs" >&2; exit 2; }
done
case $LINKS in auto | vlan | veth) ;; *) echo "$me: LINKS is auto, vlan or veth" >&2; exit 2 ;; esac
if [ "$STEER" = auto ]; then
	STEER=0
	[ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null && STEER=1
fi
case $STEER in 0 | 1) ;; *) echo "$me: STEER is auto, 0 or 1" >&2; exit 2 ;; esac

. "$TOP/tests/integration/lib.sh"
. "$HERE/vrrp_lib.sh"

# Our own copy of the binaries: a rebuild while the benchmark runs must not
# mix versions (daemons are restarted during it).
mkdir -p "$ROOT/bin" && cp "$BIN"/{cfgd,vrrpd,rbsd,rbpd,dbcli} "$ROOT/bin/" || exit 1
BIN=$ROOT/bin

VIP=192.0.2.100
DAEMONS="cfgd vrrpd rbsd rbpd"

# count DEV STATE: how many of DEV's groups are in STATE.
count() {
	jcli "$1" "display vrrp" 2>/dev/null | jq --arg s "$2" '[.groups[] | select(.state == $s)] | length'
}
# settled N: A master of N groups, B backup of N.
settled() { [ "$(count A Master)" = "$1" ] && [ "$(count B Backup)" = "$1" ]; }

# stats DEV: "TRANSITIONS SENT RECEIVED" summed over DEV's groups.
stats() {
	jcli "$1" "display vrrp" | jq -r '[.groups[].statistics] |
		"\(map(.to_master + .to_backup + .to_initialize) | add // 0)" +
		" \(map(.adverts_sent) | add // 0) \(map(.adverts_received) | add // 0)"'
}

# pct TICKS NS SECONDS: CPU as % of one core, from the ticks and from the ns.
pct() {
	awk -v t="$1" -v n="$2" -v s="$3" -v hz="$CLK_TCK" \
		'BEGIN { printf "%7.3f %9.4f", t / hz / s * 100, n / 1e9 / s * 100 }'
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# sched NS SECONDS: CPU as % of one core from schedstat's ns (the finer one).
sched() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.4f", n / 1e9 / s * 100 }'; }

# window NAME:PIDS...: measures each named set of processes over SECS
# seconds; writes "NAME TICKS NS RSS_KB ELAPSED_S RUNS" per set (CPU in clock
# ticks from /proc/PID/stat and in ns from /proc/PID/schedstat, RUNS: the
# times their threads were put on a CPU, i.e. woke up) to
# $ROOT/window. A set is NAME:PID,PID,... Runs in this shell, not in a
# $(...), so that Ctrl-C is not held up until the window ends.
window() {
	local s t0 t1 el name pids
	declare -A c0=() n0=() r0=()
	for s in "$@"; do
		name=${s%%:*}
		pids=${s#*:}
		# shellcheck disable=SC2086
		c0[$name]=$(cpu_ticks ${pids//,/ })
		# shellcheck disable=SC2086
		n0[$name]=$(cpu_ns ${pids//,/ })
		# shellcheck disable=SC2086
		r0[$name]=$(cpu_runs ${pids//,/ })
	done
	[ "$THREADS" = 1 ] && for s in "$@"; do
		pids=${s#*:}
		# shellcheck disable=SC2086
		thread_runs ${pids//,/ }
	done >"$ROOT/threads0"
	t0=$(now_s)
	# In the background, so that a signal reaches the trap at once (lib.sh's
	# cleanup ends the sleep too).
	sleep "$SECS" &
	DEV_PID[bench.sleep]=$!
	wait "${DEV_PID[bench.sleep]}"
	unset "DEV_PID[bench.sleep]"
	t1=$(now_s)
	el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	for s in "$@"; do
		name=${s%%:*}
		pids=${s#*:}
		# shellcheck disable=SC2086
		echo "$name $(($(cpu_ticks ${pids//,/ }) - c0[$name])) $(($(cpu_ns ${pids//,/ }) - n0[$name]))" \
			"$(rss_kb ${pids//,/ }) $el $(($(cpu_runs ${pids//,/ }) - r0[$name]))"
	done >"$ROOT/window"
	[ "$THREADS" = 1 ] || return 0
	for s in "$@"; do
		pids=${s#*:}
		# shellcheck disable=SC2086
		thread_runs ${pids//,/ }
	done | awk 'NR == FNR { r0[$1] = $2; next } { print $1, $2 - r0[$1] }' "$ROOT/threads0" - >"$ROOT/threads"
}

alive_all() {
	local k
	for k in "$@"; do
		alive "${k%%.*}" "${k#*.}" || fail "$k died during the benchmark"
	done
}

suite_pids() {
	local d out=
	for d in $DAEMONS; do out+=${out:+,}${DEV_PID[$1.$d]}; done
	echo "$out"
}

# fresh_start: our suite on A and B, with empty run and state directories
# and logs (nothing left from a previous part).
fresh_start() {
	local d
	for d in A B; do
		rm -rf "$(run_dir $d)" "$(state_dir $d)"
		mkdir -p "$(run_dir $d)" "$(state_dir $d)"
		rm -f "$ROOT/$d"/*.log
	done
	start_all A && start_all B || fail "our daemons did not come up"
}

# row WHAT ROLE "CPU_STAT CPU_SCHED" RSS [WAKEUPS_PER_S]
row() { printf '  %-34s %-7s %17s %8s %9s\n' "$1" "$2" "$3" "$4" "${5:-}"; }
row_head() {
	printf '  %-34s %-7s %17s %8s %9s\n' "$1" role "CPU % of one core" "RSS" "${2:-}"
	printf '  %-34s %-7s %17s %8s %9s\n' "" "" "stat    schedstat" "MB" "${3:-}"
}
# per_s COUNT SECONDS
per_s() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", n / s }'; }

# ---- part idle: one group, ours and keepalived -----------------------------------------

part_idle() {
	local res el win name ticks ns rss d
	echo
	echo "idle: one group (vrid 1, IPv4, VIP $VIP, VRRPv3, 1 s), A master, B backup, $SECS s"
	fresh_start
	for d in A:120 B:100; do
		cli "${d%:*}" -q -c "system-view" -c "vrrp version v3" -c "interface eth1" \
			-c "vrrp vrid 1 virtual-ip $VIP" -c "vrrp vrid 1 priority ${d#*:}" \
			-c "vrrp vrid 1 timer advertise 1" -c "commit" >/dev/null ||
			fail "configuration refused on ${d%:*}"
	done
	wait_until 15 settled 1 || fail "not settled: A $(count A Master) master, B $(count B Backup) backup"
	sleep 3
	window "ours-vrrpd-A:${DEV_PID[A.vrrpd]}" "ours-vrrpd-B:${DEV_PID[B.vrrpd]}" \
		"ours-suite-A:$(suite_pids A)" "ours-suite-B:$(suite_pids B)"
	res=$(cat "$ROOT/window")
	alive_all A.vrrpd B.vrrpd
	settled 1 || echo "  (note: not settled at the end of the window)"
	ours_stop

	ka_start A 120 1 && ka_start B 100 1 || fail "keepalived did not start"
	KA_N_A=$(ka_pids A | wc -l)
	KA_N_B=$(ka_pids B | wc -l)
	wait_until 15 eval 'ka_is A MASTER && ka_is B BACKUP' ||
		fail "keepalived: A $(ka_state A), B $(ka_state B)"
	sleep 3
	window "keepalived-A:$(ka_pids A | paste -sd,)" "keepalived-B:$(ka_pids B | paste -sd,)"
	res+=$'\n'$(cat "$ROOT/window")
	ka_is A MASTER && ka_is B BACKUP || echo "  (note: keepalived changed state during the window)"
	ka_kill A TERM
	ka_kill B TERM

	row_head process wake-ups "per s"
	declare -A cpu=() mem=() wk=()
	while read -r name ticks ns rss el runs; do
		win=$el
		cpu[$name]=$(sched "$ns" "$el")
		mem[$name]=$(mb "$rss")
		wk[$name]=$(per_s "$runs" "$el")
		case $name in
		ours-vrrpd-A) row "ours: vrrpd on A" master "$(pct "$ticks" "$ns" "$el")" "$(mb "$rss")" "${wk[$name]}" ;;
		ours-vrrpd-B) row "ours: vrrpd on B" backup "$(pct "$ticks" "$ns" "$el")" "$(mb "$rss")" "${wk[$name]}" ;;
		ours-suite-A) row "ours: whole suite on A (4 daemons)" master "$(pct "$ticks" "$ns" "$el")" "$(mb "$rss")" "${wk[$name]}" ;;
		ours-suite-B) row "ours: whole suite on B (4 daemons)" backup "$(pct "$ticks" "$ns" "$el")" "$(mb "$rss")" "${wk[$name]}" ;;
		keepalived-A) row "keepalived on A ($(ka_n A) processes)" master "$(pct "$ticks" "$ns" "$el")" "$(mb "$rss")" "${wk[$name]}" ;;
		keepalived-B) row "keepalived on B ($(ka_n B) processes)" backup "$(pct "$ticks" "$ns" "$el")" "$(mb "$rss")" "${wk[$name]}" ;;
		esac
	done <<<"$res"
	echo "  CPU: over each ${win} s window; stat: utime + stime from /proc/PID/stat (steps of $((1000 / CLK_TCK)) ms,"
	echo "  $(awk -v s="$win" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", 100 / hz / s }') % here), schedstat: /proc/PID/schedstat (ns, all threads)."
	echo "  RSS: VmRSS at the end of the window, summed over the processes."
	echo "  wake-ups: times the processes' threads (ZeroMQ's I/O threads included) were put on a CPU"
	echo "  (schedstat's third field), per second of the window."
	summary scale_idle_vrrpd_cpu_A "${cpu[ours-vrrpd-A]:-}" % "ratio<=1" keepalived "${cpu[keepalived-A]:-}"
	summary scale_idle_vrrpd_cpu_B "${cpu[ours-vrrpd-B]:-}" % "ratio<=1" keepalived "${cpu[keepalived-B]:-}"
	summary scale_idle_suite_cpu_A "${cpu[ours-suite-A]:-}" % "<=0.1" keepalived "${cpu[keepalived-A]:-}"
	summary scale_idle_suite_rss_A "${mem[ours-suite-A]:-}" MB - keepalived "${mem[keepalived-A]:-}"
	summary scale_idle_vrrpd_wakeups_A "${wk[ours-vrrpd-A]:-}" /s "ratio<=1" keepalived "${wk[keepalived-A]:-}"
}

# ---- part spec: the spec's procedure, idle ---------------------------------------------

# The spec's whole procedure (two groups, the RBS over TLS, the profile),
# over the same segment, no user: what a deployed pair costs when nothing
# changes. THREADS=1: where the wake-ups come from, per thread.
part_spec() {
	local res name ticks ns rss el runs win
	echo
	echo "spec: the spec's procedure on A and B (both groups, the RBS over TLS, the profile), no user, $SECS s"
	fresh_start
	make_certs "$ROOT/certs" || fail "cannot make certificates"
	inns A ip addr add 198.51.100.1/24 dev eth1
	inns B ip addr add 198.51.100.2/24 dev eth1
	demo_procedure A >"$ROOT/A.proc" && demo_procedure B >"$ROOT/B.proc" || fail "no procedure"
	cli A -f "$ROOT/A.proc" >/dev/null && cli B -f "$ROOT/B.proc" >/dev/null ||
		fail "the spec's procedure refused"
	wait_until 30 eval '[ "$(rbpj A .service.channel)" = up ] && [ "$(rbpj B .service.channel)" = up ] &&
		[ "$(count A Master)" = 1 ] && [ "$(count B Master)" = 1 ]' ||
		fail "the spec's procedure did not settle"
	sleep 3
	window "spec-suite-A:$(suite_pids A)" "spec-suite-B:$(suite_pids B)"
	res=$(cat "$ROOT/window")
	ours_stop
	inns A ip addr del 198.51.100.1/24 dev eth1
	inns B ip addr del 198.51.100.2/24 dev eth1

	row_head process wake-ups "per s"
	declare -A cpu=() wk=()
	while read -r name ticks ns rss el runs; do
		win=$el
		cpu[$name]=$(sched "$ns" "$el")
		wk[$name]=$(per_s "$runs" "$el")
		case $name in
		spec-suite-A) row "ours: spec's procedure, suite on A" "m1 b2" "$(pct "$ticks" "$ns" "$el")" "$(mb "$rss")" "${wk[$name]}" ;;
		spec-suite-B) row "ours: spec's procedure, suite on B" "b1 m2" "$(pct "$ticks" "$ns" "$el")" "$(mb "$rss")" "${wk[$name]}" ;;
		esac
	done <<<"$res"
	echo "  m1 b2: master of vrid 1, backup of vrid 2. The RBS sends a keepalive each second each way."
	if [ "$THREADS" = 1 ]; then
		echo "  wake-ups per second by thread (A then B; process[pid]/thread[tid]):"
		sort -k2,2nr "$ROOT/threads" | awk -v s="$win" '$2 > 0 { printf "    %-44s %6.2f\n", $1, $2 / s }'
	fi
	summary scale_idle_spec_suite_cpu_A "${cpu[spec-suite-A]:-}" % "<=0.1"
	summary scale_idle_spec_suite_wakeups_A "${wk[spec-suite-A]:-}" /s "<=5"
}
KA_N_A=0
KA_N_B=0
ka_n() { if [ "$1" = A ]; then echo $KA_N_A; else echo $KA_N_B; fi; }

# ---- part groups: many groups, ours -------------------------------------------------------

# conf PRIORITY N K: the dbcli batch that configures N groups, K per
# interface (vrid 1..K on each of eth1.1, eth1.2 ...), in one commit.
# Group vrid V on eth1.I has the virtual address 2001:db8:I::(99 + V).
conf() {
	local j i v
	echo "system-view"
	for ((j = 0; j < $2; j++)); do
		i=$((j / $3 + 1))
		v=$((j % $3 + 1))
		[ "$v" = 1 ] && echo "interface eth1.$i"
		echo "vrrp6 vrid $v virtual-ip 2001:db8:$i::$((99 + v))"
		echo "vrrp6 vrid $v priority $1"
		echo "vrrp6 vrid $v timer advertise 1"
		if [ "$v" = "$3" ] || [ $((j + 1)) = "$2" ]; then echo "quit"; fi
	done
	echo "commit"
}

# links_make N: eth1.1 ... eth1.N on A and B, up (802.1Q VLANs on eth1, or
# veth pairs between A and B).
links_make() {
	local d n
	if [ "$LINKS_KIND" = vlan ]; then
		for d in A B; do
			for ((n = 1; n <= $1; n++)); do
				echo "link add link eth1 name eth1.$n type vlan id $n"
				echo "link set eth1.$n up"
			done | ip -n "${DEV_NS[$d]}" -batch - || fail "cannot create the VLANs on $d"
		done
	else
		for ((n = 1; n <= $1; n++)); do
			echo "link add eth1.$n type veth peer name eth1.$n netns ${DEV_NS[B]}"
			echo "link set eth1.$n up"
		done | ip -n "${DEV_NS[A]}" -batch - || fail "cannot create the veth pairs"
		for ((n = 1; n <= $1; n++)); do
			echo "link set eth1.$n up"
		done | ip -n "${DEV_NS[B]}" -batch - || fail "cannot set the veth pairs up on B"
	fi
	# The kernel adds a link-local address once it sees the carrier, a
	# moment after the interface came up.
	wait_until 60 eval "[ \"\$(lladdrs A)\" = $1 ] && [ \"\$(lladdrs B)\" = $1 ]" ||
		fail "link-local addresses: A has $(lladdrs A), B $(lladdrs B) of $1"
}

# lladdrs DEV: how many of DEV's eth1.N have their IPv6 link-local address.
lladdrs() { inns "$1" ip -6 -o addr show scope link | grep -c ' eth1\.[0-9]* '; }

# links_del N: removes them (a veth pair goes with either end).
links_del() {
	local d n
	for d in A B; do
		[ "$LINKS_KIND" = veth ] && [ $d = B ] && break
		for ((n = 1; n <= $1; n++)); do
			echo "link del eth1.$n"
		done | ip -n "${DEV_NS[$d]}" -batch - 2>/dev/null
	done
}

# commit_groups DEV: runs DEV's batch; prints how long it took, and cfgd's
# refusal or warnings. Returns 1 when refused.
commit_groups() {
	local dev=$1 t0 t1 rc
	t0=$(now_s)
	cli "$dev" -q -f "$ROOT/$dev/groups.conf" >"$ROOT/$dev/groups.out" 2>&1
	rc=$?
	t1=$(now_s)
	awk -v a="$t0" -v b="$t1" -v d="$dev" -v r=$rc 'BEGIN {
		printf "  commit on %s (dbcli -f): %.1f s%s\n", d, b - a, r ? ", REFUSED:" : "" }'
	grep -E "^(Warning|Error|  )" "$ROOT/$dev/groups.out" | sed 's/^ */    /' |
		awk 'NR <= 4 { print } END { if (NR > 4) printf "    ... (%d lines more)\n", NR - 4 }'
	return $rc
}

# kdrops DEV: advertisements DEV's kernel dropped on vrrpd's sockets, their
# receive buffer full (display vrrp statistics), since vrrpd started.
kdrops() { jcli "$1" "display vrrp" | jq '.kernel_drops.ipv4 + .kernel_drops.ipv6'; }

# shape N K: N groups, K per interface, A master of all, B backup of all.
shape() {
	local n=$1 k=$2 nif d t1 t2 res el win s0a s0b s1a s1b r0b r1b l0a l0b name ticks ns rss ta tb
	nif=$(((n + k - 1) / k))
	echo
	echo "groups: $n vrrp6 groups, $k per interface on $nif interface(s) eth1.N (VRRPv3 over IPv6,"
	echo "  one virtual address each in 2001:db8::/32, advertised from the interface's link-local"
	echo "  address), 1 s; A priority 120, master of all; B 100, backup of all; $SECS s"
	if [ "$LINKS_KIND" = vlan ]; then
		echo "  eth1.N: 802.1Q VLAN N on eth1, A and B on the bridge"
	else
		echo "  eth1.N: a veth pair between A and B, one per N (this kernel has no 802.1Q VLANs)"
	fi
	links_make "$nif"
	fresh_start
	conf 120 "$n" "$k" >"$ROOT/A/groups.conf"
	conf 100 "$n" "$k" >"$ROOT/B/groups.conf"
	if ! commit_groups A || ! commit_groups B; then
		echo "  not measured: the configuration was refused"
		summary "scale_${n}x${k}_vrrpd_cpu_A" "" % "<=2"
		REFUSED=1
		ours_stop
		links_del "$nif"
		return
	fi
	t1=$(now_s)
	wait_until 300 settled "$n" ||
		fail "not settled: A $(count A Master) master, B $(count B Backup) backup of $n"
	t2=$(now_s)
	awk -v a="$t1" -v b="$t2" 'BEGIN { printf "  all settled %.1f s after the commit on B\n", b - a }'
	# How long A took from its first group's takeover to its last: each
	# one is quick, so this is mostly time the event loop spent elsewhere.
	grep -- '-> Master' "$ROOT/A/vrrpd.log" | awk '
		{ split($1, t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3]; if (!n++) f = s; l = s }
		END { if (n) printf "  A: %d groups became master over %.2f s (first to last log line)\n", n, l - f }'
	sleep 5
	read -r s0a _ _ < <(stats A)
	read -r s0b _ r0b < <(stats B)
	l0a=$(wc -l <"$ROOT/A/vrrpd.log")
	l0b=$(wc -l <"$ROOT/B/vrrpd.log")
	window "A:${DEV_PID[A.vrrpd]}" "B:${DEV_PID[B.vrrpd]}"
	res=$(cat "$ROOT/window")
	alive_all A.vrrpd B.vrrpd
	read -r s1a _ _ < <(stats A)
	read -r s1b _ r1b < <(stats B)
	row_head vrrpd
	declare -A cpu=()
	while read -r name ticks ns rss el _; do
		win=$el
		cpu[$name]=$(sched "$ns" "$el")
		row "ours: vrrpd on $name" "$([ "$name" = A ] && echo master || echo backup)" \
			"$(pct "$ticks" "$ns" "$el")" "$(mb "$rss")"
	done <<<"$res"
	echo "  CPU over the ${win} s window, as above; RSS at its end."
	echo "  advertisements received by B during the window: $((r1b - r0b))" \
		"($(awk -v c=$((r1b - r0b)) -v s="$win" 'BEGIN { printf "%.0f", c / s }')/s)"
	ta=$(tail -n +$((l0a + 1)) "$ROOT/A/vrrpd.log" | grep -c ' -> ')
	tb=$(tail -n +$((l0b + 1)) "$ROOT/B/vrrpd.log" | grep -c ' -> ')
	echo "  transitions during the window: A $ta, B $tb (log lines with ' -> ');" \
		"from the statistics: A $((s1a - s0a)), B $((s1b - s0b))"
	summary "scale_${n}x${k}_vrrpd_cpu_A" "${cpu[A]:-}" % "<=2"
	summary "scale_${n}x${k}_vrrpd_cpu_B" "${cpu[B]:-}" % "<=2"
	summary "scale_${n}x${k}_transitions" $((ta + tb + s1a - s0a + s1b - s0b)) count "<=0"
	echo "  after the window: A master of $(count A Master), B backup of $(count B Backup);" \
		"advertisements B's kernel dropped, vrrpd's receive buffer full: $(kdrops B)"
	if [ "$STEER" = 1 ]; then
		steered "ours: vrrpd on" "${DEV_PID[A.vrrpd]}" "${DEV_PID[B.vrrpd]}"
		alive_all A.vrrpd B.vrrpd
		echo "  transitions during this window: A $(tail -n +$((l0a + 1)) "$ROOT/A/vrrpd.log" | grep -c ' -> ')," \
			"B $(tail -n +$((l0b + 1)) "$ROOT/B/vrrpd.log" | grep -c ' -> ') (since the first window);" \
			"after it: A master of $(count A Master), B backup of $(count B Backup);" \
			"B's kernel drops so far: $(kdrops B)"
	fi
	ours_stop
	if [ "$KA_GROUPS" = 1 ]; then
		ka_groups "$n" "$k"
	else
		echo "  keepalived: not measured with these groups (KA_GROUPS=0)"
	fi
	links_del "$nif"
}

# rps NS MASK: every receive queue of every interface in namespace NS
# steered to the CPUs of MASK (hex; 0: no steering).
rps() {
	ip netns exec "$1" sh -c 'for f in /sys/class/net/*/queues/rx-*/rps_cpus; do
		echo "$0" >"$f" || exit 1; done' "$2"
}

# steered LABEL PIDS_A PIDS_B: the window again, with what a veth charges to
# A that is B's. A veth delivers each frame in the sender's context: B's
# receive path (the IPv6 input route lookup, the raw socket delivery) runs
# in A's sendmsg and is charged to A's process, where two machines would
# charge it to B's softirq. Here A's processes (PIDS_A, comma-separated)
# are pinned to CPU 0 and every receive queue of B and of the bridge's
# namespace is steered to CPU 1 (RPS), so that B's receive work runs
# there. Prints a row per device; leaves the steering off and A unpinned.
steered() {
	local res name ticks ns rss el p
	for p in ${2//,/ }; do
		taskset -a -p 1 "$p" >/dev/null || fail "cannot pin $p to CPU 0"
	done
	rps "${DEV_NS[B]}" 2 && rps "${DEV_NS[seg]}" 2 || fail "cannot set RPS on B's interfaces"
	sleep 2
	window "A:$2" "B:$3"
	res=$(cat "$ROOT/window")
	rps "${DEV_NS[B]}" 0
	rps "${DEV_NS[seg]}" 0
	for p in ${2//,/ }; do taskset -a -p 3 "$p" >/dev/null; done
	echo "  again, with B's receive work on CPU 1 (RPS on B's and the bridge's interfaces) and"
	echo "  A's processes pinned to CPU 0: what A pays for its own work, as on two machines"
	while read -r name ticks ns rss el _; do
		row "$1 $name, steered" "$([ "$name" = A ] && echo master || echo backup)" \
			"$(pct "$ticks" "$ns" "$el")" "$(mb "$rss")"
	done <<<"$res"
}

# vips DEV: how many of the shapes' virtual addresses (2001:db8:N::/128 on
# eth1.N) DEV holds.
vips() { inns "$1" ip -6 -o addr show | grep -c ' eth1\.[0-9]* *inet6 2001:db8:[0-9]*::[0-9]*/128 '; }

# ka_groups N K: the shape's groups with keepalived on A (120) and B (100),
# measured as ours were.
ka_groups() {
	local n=$1 k=$2 j i v d t0 res name ticks ns rss el l0a l0b
	for d in A:120 B:100; do
		for ((j = 0; j < n; j++)); do
			i=$((j / k + 1)) v=$((j % k + 1))
			ka_instance "VI_${i}_$v" "eth1.$i" "$v" "${d#*:}" 1 "2001:db8:$i::$((99 + v))/128"
		done >"$ROOT/${d%:*}/ka-groups"
	done
	t0=$(now_s)
	ka_run A 60 <"$ROOT/A/ka-groups" && ka_run B 60 <"$ROOT/B/ka-groups" ||
		fail "keepalived did not start"
	# Settled when A holds every virtual address and B none. (Not from
	# the notify lines: keepalived runs its notify scripts concurrently,
	# so a MASTER and a BACKUP in quick succession may land in either
	# order.)
	wait_until 300 eval "[ \"\$(vips A)\" = $n ] && [ \"\$(vips B)\" = 0 ]" ||
		fail "keepalived not settled: A holds $(vips A) virtual addresses, B $(vips B), of $n"
	awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "  keepalived, the same groups: settled %.1f s after it started\n", b - a }'
	sleep 5
	l0a=$(wc -l <"$ROOT/A/ka.state") l0b=$(wc -l <"$ROOT/B/ka.state")
	window "A:$(ka_pids A | paste -sd,)" "B:$(ka_pids B | paste -sd,)"
	res=$(cat "$ROOT/window")
	while read -r name ticks ns rss el _; do
		row "keepalived on $name ($(ka_pids "$name" | wc -l) processes)" \
			"$([ "$name" = A ] && echo master || echo backup)" "$(pct "$ticks" "$ns" "$el")" "$(mb "$rss")"
	done <<<"$res"
	[ "$STEER" = 1 ] && steered "keepalived on" "$(ka_pids A | paste -sd,)" "$(ka_pids B | paste -sd,)"
	echo "  keepalived's transitions during its window(s): A $(($(wc -l <"$ROOT/A/ka.state") - l0a))," \
		"B $(($(wc -l <"$ROOT/B/ka.state") - l0b)) (lines of its notify script); after: A holds" \
		"$(vips A) virtual addresses, B $(vips B)"
	ka_kill A TERM
	ka_kill B TERM
}

part_groups() {
	local sh n k
	LINKS_KIND=$LINKS
	if [ "$LINKS_KIND" = auto ]; then
		LINKS_KIND=veth
		if inns A ip link add link eth1 name eth1.probe type vlan id 4094 2>/dev/null; then
			inns A ip link del eth1.probe
			LINKS_KIND=vlan
		fi
	fi
	# Link-local addresses usable at once, and no router solicitations
	# (a burst of 3 per interface when it comes up).
	for d in A B; do
		inns $d sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.router_solicitations=0 >/dev/null || fail "sysctl on $d"
	done
	for sh in $SHAPES; do
		n=${sh%x*}
		k=${sh#*x}
		shape "$n" "$k"
	done
}

seg_create || fail "cannot create the segment"
dev_on_seg A 192.0.2.1/24 && dev_on_seg B 192.0.2.2/24 || fail "cannot create the namespaces"
echo "$me: $(uname -sr), $(nproc) CPU(s): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
for p in $PARTS; do
	case $p in
	idle) part_idle ;;
	spec) part_spec ;;
	groups) part_groups ;;
	*) fail "unknown part $p" ;;
	esac
done
# A configuration refused is a benchmark that could not run; so is a
# headline figure missing.
[ "$REFUSED" = 0 ] && [ "$SUMMARY_BAD" = 0 ]
