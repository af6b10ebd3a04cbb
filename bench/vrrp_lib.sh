# shellcheck shell=bash
# Helpers shared by bench/failover.sh and bench/scale.sh, sourced after
# tests/integration/lib.sh (namespaces, DEV_PID, cleanup): failing with
# the daemons' logs, our daemons stopped, keepalived started, watched and
# stopped on a device of the topology, and the CPU and memory of processes
# read from /proc.

# ---- failing, our daemons ------------------------------------------------------

# fail MESSAGE: MESSAGE after $me, the last lines of every daemon's log,
# then exit 1. (bench/bfd.sh, which sources this too, has its own.)
fail() {
	local f
	# shellcheck disable=SC2154 # me: set by the script that sources this file
	echo "$me: $*" >&2
	for f in "$ROOT"/*/*.log; do
		[ -f "$f" ] || continue
		echo "--- last lines of ${f#"$ROOT"/}" >&2
		tail -n 6 "$f" >&2
	done
	exit 1
}

# ours_stop: SIGTERM to every process recorded for A or B (DEV_PID), each
# waited for and forgotten.
ours_stop() {
	local k
	for k in "${!DEV_PID[@]}"; do
		case $k in A.* | B.*) ;; *) continue ;; esac
		kill -TERM "${DEV_PID[$k]}" 2>/dev/null
		wait "${DEV_PID[$k]}" 2>/dev/null
		unset "DEV_PID[$k]"
	done
}

# ---- keepalived -----------------------------------------------------------------

# ka_state DEV: keepalived's last state on DEV (MASTER, BACKUP, FAULT), as
# its notify script wrote it.
ka_state() { tail -n 1 "$ROOT/$1/ka.state" 2>/dev/null | awk '{ print $3 }'; }
ka_is() { [ "$(ka_state "$1")" = "$2" ]; }

# ka_start DEV PRIORITY INTERVAL_S [ADDR]: keepalived with one VRRPv3 group,
# vrid 1 on eth1, virtual address ADDR (default $VIP), preemption without
# delay, starting as backup as our groups do. The parent is recorded as
# DEV_PID[DEV.keepalived], each child as DEV_PID[DEV.keepalived-PID], so
# that lib.sh's cleanup ends them all. Returns 1 when it did not start.
ka_start() {
	ka_run "$1" < <(ka_instance VI_1 eth1 1 "$2" "$3" "${4:-$VIP}/32")
}

# ka_instance NAME IFACE VRID PRIORITY INTERVAL_S ADDR/LEN: one
# vrrp_instance block as ka_start's, for ka_run's standard input.
ka_instance() {
	cat <<EOF
vrrp_instance $1 {
	state BACKUP
	interface $2
	virtual_router_id $3
	priority $4
	advert_int $5
	preempt_delay 0
	virtual_ipaddress {
		$6
	}
	notify NOTIFY
}
EOF
}

# ka_run DEV [WAIT_S]: keepalived on DEV with the configuration blocks read
# from standard input (not through a pipe: DEV_PID must be set in this
# shell; NOTIFY in them becomes the notify script, which
# appends each transition to DEV/ka.state); waits up to WAIT_S (5) for
# its VRRP process.
ka_run() {
	local dev=$1 dir=$ROOT/$1 k
	printf '#!/bin/sh\necho "$@" >>%s\n' "$dir/ka.state" >"$dir/ka-notify.sh"
	chmod 755 "$dir/ka-notify.sh"
	{
		cat <<EOF
global_defs {
	router_id $dev
	vrrp_version 3
	script_user root
	enable_script_security
}
EOF
		sed "s|NOTIFY|$dir/ka-notify.sh|"
	} >"$dir/keepalived.conf"
	: >"$dir/ka.state"
	rm -f "$dir/ka.pid" "$dir/ka-vrrp.pid" "$dir/ka-bfd.pid"
	# Not through inns: $! must be keepalived itself, not a subshell.
	# --vrrp: its VRRP process only; KA_BFD=1: its BFD process too (no
	# option names the pair: without --vrrp it starts every subsystem the
	# configuration uses, and this one has no virtual_server).
	local only=--vrrp
	[ "${KA_BFD:-0}" = 1 ] && only=
	ip netns exec "${DEV_NS[$dev]}" keepalived -n -l -D $only -f "$dir/keepalived.conf" \
		-p "$dir/ka.pid" -r "$dir/ka-vrrp.pid" -b "$dir/ka-bfd.pid" >>"$dir/keepalived.log" 2>&1 &
	DEV_PID[$dev.keepalived]=$!
	wait_until "${2:-5}" test -s "$dir/ka-vrrp.pid" || return 1
	if [ "${KA_BFD:-0}" = 1 ]; then
		wait_until "${2:-5}" test -s "$dir/ka-bfd.pid" || return 1
	fi
	for k in $(pgrep -P "${DEV_PID[$dev.keepalived]}"); do
		DEV_PID[$dev.keepalived-$k]=$k
	done
}


# ka_pids DEV: every keepalived process we know of on DEV, children first.
ka_pids() {
	local k
	for k in "${!DEV_PID[@]}"; do
		case $k in "$1".keepalived-*) echo "${DEV_PID[$k]}" ;; esac
	done
	echo "${DEV_PID[$1.keepalived]}"
}

# ka_kill DEV SIGNAL: the whole keepalived process tree on DEV; waits until
# every process of it is gone.
ka_kill() {
	local dev=$1 k pids
	pids=$(ka_pids "$dev")
	# shellcheck disable=SC2086
	kill "-$2" $pids 2>/dev/null
	wait "${DEV_PID[$dev.keepalived]}" 2>/dev/null
	for k in $pids; do wait_until 5 eval "! kill -0 $k 2>/dev/null"; done
	for k in "${!DEV_PID[@]}"; do
		case $k in "$dev".keepalived*) unset "DEV_PID[$k]" ;; esac
	done
}

# ---- /proc ---------------------------------------------------------------------------

# shellcheck disable=SC2034 # used by the scripts that source this file
CLK_TCK=$(getconf CLK_TCK)

# cpu_ticks PID...: utime + stime of the processes, in clock ticks, summed.
cpu_ticks() {
	local p t=0 line f
	for p in "$@"; do
		line=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		# The fields after the command name (which may hold spaces):
		# utime and stime are the 14th and 15th of the line.
		read -ra f <<<"${line##*) }"
		t=$((t + f[11] + f[12]))
	done
	echo $t
}

# cpu_ns PID...: time on a CPU in ns, summed over the processes and all
# their threads (the first field of /proc/PID/task/TID/schedstat: user and
# system, counted by the scheduler to the nanosecond, where utime and
# stime are sampled per tick). A thread that ended since the previous
# reading takes its time with it: compare readings of long-lived threads.
cpu_ns() {
	local p t=0 f s
	for p in "$@"; do
		for s in /proc/"$p"/task/*/schedstat; do
			read -r f _ <"$s" 2>/dev/null || continue
			t=$((t + f))
		done
	done
	echo $t
}

# cpu_runs PID...: how many times the processes' threads were put on a
# CPU (the third field of schedstat: one per wake-up of a sleeping thread,
# and per preemption), summed over the processes and all their threads.
cpu_runs() {
	local p t=0 a b c s
	for p in "$@"; do
		for s in /proc/"$p"/task/*/schedstat; do
			read -r a b c <"$s" 2>/dev/null || continue
			t=$((t + c))
		done
	done
	echo $t
}

# thread_runs PID...: one line per thread, "PROCESS/THREAD RUNS" (comm
# names and schedstat's third field, the times it was put on a CPU).
thread_runs() {
	local p s a b c
	for p in "$@"; do
		for s in /proc/"$p"/task/*; do
			read -r a b c <"$s/schedstat" 2>/dev/null || continue
			echo "$(cat "/proc/$p/comm" 2>/dev/null)[$p]/$(cat "$s/comm" 2>/dev/null)[${s##*/}] $c"
		done
	done
}

# rss_kb PID...: VmRSS of the processes in kB, summed.
rss_kb() {
	local p t=0 v
	for p in "$@"; do
		v=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status" 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo $t
}

# now_s: the time in seconds, with nanoseconds.
now_s() { date +%s.%N; }
