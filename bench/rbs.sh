#!/usr/bin/env bash
# RBS channel benchmark: throughput of a batch backup over TLS against the
# raw TLS rate of the same OpenSSL setup, replication lag under a steady
# update rate, memory per entry held in the sender's window, and the CPU
# time of each rbsd. Prints numbers, no thresholds; see bench/README.md.
#
#   bash bench/rbs.sh [BUILDDIR]        (root; default build; about 30 s)
#
# Environment:
#   PARTS="memory raw batch big realtime"
#                    memory: RSS per entry held in the window (first, on a
#                    fresh rbsd); raw: the raw TLS reference; batch: N
#                    entries of PAYLOAD bytes; big: BIG entries of 1024
#                    bytes; realtime: updates at RATE
#   N=1000000        entries of the batch (and of the live load before it)
#   PAYLOAD=64       payload bytes per entry (keys are 8 bytes)
#   BIG=200000       entries of the 1024-byte batch
#   REPEAT=3         batches of each size and raw TLS transfers (the
#                    figures are the median's)
#   LOAD=100000      entries loaded before the real-time and memory parts
#   RATE=100000      updates per second in the real-time part
#   SECS=10          seconds of updates measured in the real-time part
#   RAW_BYTES=1073741824
#                    bytes the raw TLS reference sends (64 KiB writes)
#   PERF=DIR         record system-wide profiles (perf record -a -g) of each
#                    batch and of the real-time window into DIR/*.data
#   PERF_OPTS="-g"   perf record's options (e.g. "--call-graph dwarf -F 999":
#                    the daemons are built without frame pointers)
#   KEEP=DIR         keep the logs, status lines and watch log in DIR
#   SMOKE=1          small defaults (N 20000, BIG 5000, REPEAT 1, LOAD 70000,
#                    RATE 10000, SECS 2, RAW_BYTES 64 MiB): every part in
#                    seconds, to show that the benchmark still runs
#
# The headline figures end the output as SUMMARY lines (bench/summary.sh):
# the batch's entries/s and wire rate (raw TLS of the same run as the
# anchor), the real-time lag p99 and rate, the window's RSS per entry. A
# missing one (a part that did not produce it) fails the run.
#
# Topology (tests/integration/lib.sh and tests/integration/rbs.sh): devices
# A (198.51.100.1) and B (198.51.100.2), each in its own network namespace
# with the whole suite (cfgd, vrrpd, rbsd, rbpd), joined by the link eth2;
# rbs1 between them with an SSL policy (a CA and one certificate per
# device, made by make_certs), configured through dbcli. rbs-feeder
# (tests/tools/rbs_feeder.c) stands in for rbpd on each device: A's owns
# the entries, B's receives them. bench-rbs-watch (bench/rbs_watch.c)
# timestamps every status line the feeders write (every 100 ms) and the
# bytes each rbsd reads and writes (/proc/PID/io, every 10 ms);
# bench-tls-raw (bench/tls_raw.c) is the raw TLS reference. Both are built
# by `make tests`.
#
# Everything it creates is recorded and removed on exit, also on failure or
# Ctrl-C. Documentation addresses only, only in the namespaces.
set -u
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${1:-build}
PARTS=${PARTS:-memory raw batch big realtime}
if [ "${SMOKE:-0}" = 1 ]; then
	N=${N:-20000} BIG=${BIG:-5000} REPEAT=${REPEAT:-1} LOAD=${LOAD:-70000}
	RATE=${RATE:-10000} SECS=${SECS:-2} RAW_BYTES=${RAW_BYTES:-67108864}
fi
N=${N:-1000000}
PAYLOAD=${PAYLOAD:-64}
BIG=${BIG:-200000}
REPEAT=${REPEAT:-3}
PERF=${PERF:-}
LOAD=${LOAD:-100000}
RATE=${RATE:-100000}
SECS=${SECS:-10}
RAW_BYTES=${RAW_BYTES:-1073741824}
WIN=65536 # RBS_CHAN_WIN_ENTRIES

me=bench/rbs.sh
. "$HERE/preflight.sh"
. "$HERE/summary.sh"
preflight $me "$BUILD" "make all tests" cfgd vrrpd rbsd rbpd dbcli rbs-feeder bench-tls-raw \
	bench-rbs-watch
for v in N PAYLOAD BIG REPEAT LOAD RATE SECS RAW_BYTES; do
	[[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "$me: $v must be a positive number" >&2; exit 2; }
done
[ "$LOAD" -gt "$WIN" ] || { echo "$me: LOAD must be over $WIN to fill the window" >&2; exit 2; }
[ "$PAYLOAD" -ge 8 ] && [ "$PAYLOAD" -le 1024 ] ||
	{ echo "$me: PAYLOAD is 8 (the send time) to 1024 (rbs-feeder's limit)" >&2; exit 2; }
if [ -n "$PERF" ]; then
	command -v perf >/dev/null || { echo "$me: PERF needs perf" >&2; exit 2; }
	mkdir -p "$PERF" && PERF=$(cd "$PERF" && pwd) || exit 2
fi

# lib.sh: namespaces, daemons (DEV_PID), cleanup on exit. Every process we
# start is recorded in DEV_PID, so that its cleanup ends it.
# shellcheck source=tests/integration/lib.sh
. "$TOP/tests/integration/lib.sh"
# shellcheck source=tests/integration/rbs_lib.sh
. "$TOP/tests/integration/rbs_lib.sh"

# Our own copy of the binaries: a rebuild while the benchmark runs must not
# mix versions.
mkdir -p "$ROOT/bin" &&
	cp "$BIN"/{cfgd,vrrpd,rbsd,rbpd,dbcli,rbs-feeder,bench-tls-raw,bench-rbs-watch} "$ROOT/bin/" ||
	exit 1
BIN=$ROOT/bin
CERTS=$ROOT/certs
WATCH=$ROOT/watch.log
HZ=$(getconf CLK_TCK)

fail() {
	local f
	echo "$me: $*" >&2
	for f in "$ROOT"/*/*.log "$ROOT"/*.feeder; do
		[ -f "$f" ] || continue
		echo "--- last lines of ${f#"$ROOT"/}" >&2
		tail -n 6 "$f" >&2
	done
	for d in A B; do
		echo "--- display remote-backup-service rbs1 on $d" >&2
		show $d >&2
	done
	exit 1
}

# ---- the channel and the feeders: tests/integration/rbs_lib.sh, and ---------------

# poll SECONDS INTERVAL CMD...: until CMD succeeds.
poll() {
	local end=$((${EPOCHREALTIME%.*} + $1)) iv=$2
	shift 2
	while ! "$@"; do
		[ "${EPOCHREALTIME%.*}" -lt "$end" ] || return 1
		sleep "$iv"
	done
}

# ---- measures -------------------------------------------------------------------

# cpu PID: utime + stime in clock ticks (all threads).
cpu() {
	local line rest
	read -r line <"/proc/$1/stat" || { echo 0; return; }
	rest=${line##*) }
	# shellcheck disable=SC2086
	set -- $rest
	echo $((${12} + ${13}))
}
# busy: CPU time of the whole machine, all CPUs, in clock ticks, from
# /proc/stat: user + nice + system + steal, then irq + softirq (the
# kernel charges the network's receive work there, not to a process).
# What our processes did not use of the first is a disturbance.
busy() {
	local u n sy irq sirq st
	read -r _ u n sy _ _ irq sirq st _ </proc/stat
	echo $((u + n + sy + st)) $((irq + sirq))
}
# kb PID FIELD: VmRSS, VmHWM … in kB.
kb() { sed -n "s/^$2:[[:space:]]*\\([0-9]*\\) kB/\\1/p" "/proc/$1/status"; }
# calc EXPR: awk arithmetic, printed with printf format FMT (default %.3f).
calc() { awk "BEGIN { printf \"${2:-%.3f}\", ($1) }"; }
# rj DEV KEY: a field of rbs1 in display remote-backup-service's JSON
# (docs/json.md), e.g. bytes_sent, window.unacknowledged.
rj() { jcli "$1" "display remote-backup-service rbs1" | jq -r ".services[0].$2"; }

# progress NAME T0 COUNT KEY COND: from the watch log, the rx (or KEY)
# progression of feeder NAME's status lines written after T0, until the
# first line where the awk condition COND holds (variables: rx, batches,
# want = COUNT). Prints: first_t lo_t lo_v hi_t hi_v est_t median_rate max_rate
# (times in s after T0, rates per second; est_t interpolates between the
# last line before COND and the first with it, at the rate just before).
progress() {
	awk -v name="$1" -v t0="$2" -v want="$3" -v key="$4" '
	function val(k,   i, f) {
		for (i = 3; i <= NF; i++) { split($i, f, "="); if (f[1] == k) return f[2] }
		return ""
	}
	$2 == name && $1 + 0 >= t0 + 0 && !done {
		t = $1 - t0; v = val(key) + 0; rx = val("rx") + 0; batches = val("batches") + 0
		if (n == 0) first = t
		n++; T[n] = t; V[n] = v
		if ('"$5"') done = n
	}
	END {
		if (!done) { print "none"; exit }
		hi = T[done]; lo = done > 1 ? T[done - 1] : first; lov = done > 1 ? V[done - 1] : 0
		est = hi
		if (done > 2 && T[done - 1] > T[done - 2] && V[done - 1] > V[done - 2]) {
			r = (V[done - 1] - V[done - 2]) / (T[done - 1] - T[done - 2])
			est = lo + (want - lov) / r
			if (est > hi) est = hi
			if (est < lo) est = lo
		}
		m = 0; max = 0
		for (i = 2; i <= done; i++)
			if (V[i] > V[i - 1] && T[i] > T[i - 1]) {
				R[++m] = (V[i] - V[i - 1]) / (T[i] - T[i - 1]); if (R[m] > max) max = R[m]
			}
		# median by insertion sort (a few dozen values)
		for (i = 2; i <= m; i++) { x = R[i]; for (j = i - 1; j >= 1 && R[j] > x; j--) R[j + 1] = R[j]; R[j + 1] = x }
		med = m ? R[int((m + 1) / 2)] : 0
		printf "%.4f %.4f %d %.4f %d %.4f %.0f %.0f\n", first, lo, lov, hi, V[done], est, med, max
	}' "$WATCH"
}

# io_at NAME FIELD T0 DELTA: seconds after T0 when process NAME's FIELD
# (rchar or wchar, sampled every 10 ms in the watch log) had grown by
# DELTA bytes from its value at T0; "none" if it never did.
io_at() {
	awk -v name="io:$1" -v key="$2" -v t0="$3" -v delta="$4" '
	$2 == name {
		split($(key == "rchar" ? 3 : 4), f, "="); v = f[2] + 0
		if ($1 + 0 < t0 + 0) { base = v; next }
		if (base == "") base = v
		if (v - base >= delta) { printf "%.4f\n", $1 - t0; found = 1; exit }
	}
	END { if (!found) print "none" }' "$WATCH"
}

hr() { printf '%s\n' "------------------------------------------------------------------------------"; }

# perf_start NAME / perf_stop: with PERF=DIR, a system-wide profile with
# call graphs of what follows, in DIR/NAME.data.
perf_start() {
	[ -n "$PERF" ] || return 0
	# shellcheck disable=SC2086
	perf record -a ${PERF_OPTS:--g} -o "$PERF/$1.data" >"$ROOT/perf-$1.log" 2>&1 &
	DEV_PID[perf]=$!
	sleep 0.5 # perf takes a moment to start recording
}
perf_stop() {
	local pid=${DEV_PID[perf]:-}
	[ -n "$pid" ] || return 0
	kill -INT "$pid"
	wait "$pid"
	unset "DEV_PID[perf]"
}

# ---- 4. memory per entry held in the sender's window ---------------------------
# Right after setup: A's rbsd is fresh, the channel up, nothing sent yet.
# B's eth2 goes down, and once A has declared the peer gone (3 s), A's
# feeder fills the window: every entry is held, none is framed (nothing is
# written to a channel that is down), so the difference is the window's.

part_memory() {
	local rss0 rss1 win wbytes t
	hr
	echo "4. memory: $WIN entries held in A's window (B's eth2 down), $PAYLOAD-byte payloads"
	rss0=$(kb "$RBSD_A" VmRSS)
	inns B ip link set eth2 down
	poll 10 0.1 eval '! is_up A' || fail "A did not notice the cut"
	feeder A -n "$LOAD" -P "$PAYLOAD"
	win_full() { [ "$(fv A sent)" = "$WIN" ] && [ "$(rj A window.unacknowledged)" = "$WIN" ]; }
	poll 10 0.2 win_full || fail "A's window did not fill"
	sleep 1
	win=$(field A Window)
	rss1=$(kb "$RBSD_A" VmRSS)
	wbytes=$(sed -n 's/.*(\([0-9]*\) bytes).*/\1/p' <<<"$win")
	M_PER=$(calc "($rss1 - $rss0) * 1024 / $WIN" %.1f)
	M_KB=$((rss1 - rss0))
	echo "  VmRSS of A's rbsd: $rss0 kB before, $rss1 kB with the window full (+$M_KB kB)"
	echo "  window (display): $win"
	echo "  per entry held: $M_PER bytes of RSS (the window counts $(calc "$wbytes / $WIN" %.1f):" \
		"26-byte header + 8-byte key + payload)"
	t=$EPOCHREALTIME
	inns B ip link set eth2 up
	poll 30 0.2 is_up A && poll 60 0.2 identical "$LOAD" || fail "no recovery after the link came back"
	echo "  link up again: B holds A's $LOAD entries (same digest) after $(calc "$EPOCHREALTIME - $t" %.1f) s"
}

# ---- 2. raw TLS reference ---------------------------------------------------------
# REPEAT transfers; the figures are the median's (by wire rate).

part_raw() {
	local ver=${PROTO#TLSv} rc rs r runs=() m b0 b1 i0 i1
	hr
	echo "2. raw TLS: $RAW_BYTES bytes A -> B in 64 KiB SSL_write, blocking sockets, $PROTO" \
		"$CIPHER, the same certificates"
	printf '    %-3s %8s %14s %10s %12s %12s %8s %8s\n' run "time s" "plaintext MB/s" "wire MB/s" \
		"CPU client s" "CPU server s" "irq s" "other s"
	for r in $(seq "$REPEAT"); do
		read -r b0 i0 < <(busy)
		ip netns exec "${DEV_NS[B]}" "$BIN/bench-tls-raw" server -a 198.51.100.2 -p 6001 \
			-c "$CERTS/B.pem" -k "$CERTS/B.key" -C "$CERTS/ca.pem" -V "$ver" -s "$CIPHER" \
			-n "$RAW_BYTES" >"$ROOT/raw.server" 2>&1 &
		DEV_PID[raw.server]=$!
		ip netns exec "${DEV_NS[A]}" "$BIN/bench-tls-raw" client -a 198.51.100.2 -p 6001 \
			-c "$CERTS/A.pem" -k "$CERTS/A.key" -C "$CERTS/ca.pem" -V "$ver" -s "$CIPHER" \
			-n "$RAW_BYTES" >"$ROOT/raw.client" 2>&1 &
		DEV_PID[raw.client]=$!
		wait "${DEV_PID[raw.client]}" && wait "${DEV_PID[raw.server]}" ||
			{ cat "$ROOT"/raw.* >&2; fail "bench-tls-raw failed"; }
		read -r b1 i1 < <(busy)
		unset "DEV_PID[raw.client]" "DEV_PID[raw.server]"
		rc=$(cat "$ROOT/raw.client") rs=$(cat "$ROOT/raw.server")
		[ "$(kv "$rc" proto)" = "$PROTO" ] && [ "$(kv "$rc" cipher)" = "$CIPHER" ] ||
			fail "bench-tls-raw negotiated $(kv "$rc" proto) $(kv "$rc" cipher)"
		printf '    %-3s %8s %14s %10s %12s %12s %8s %8s\n' "$r" "$(kv "$rc" secs)" "$(kv "$rc" MBps)" \
			"$(kv "$rc" wire_MBps)" "$(kv "$rc" cpu_s)" "$(kv "$rs" cpu_s)" \
			"$(calc "($i1 - $i0) / $HZ" %.2f)" \
			"$(calc "($b1 - $b0) / $HZ - $(kv "$rc" cpu_s) - $(kv "$rs" cpu_s)" %.2f)"
		runs+=("$(kv "$rc" wire_MBps) $(kv "$rc" MBps)")
	done
	m=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(((REPEAT + 1) / 2))p")
	R_WIRE=${m% *} R_MBPS=${m#* }
	R_ALL=$(printf '%s\n' "${runs[@]}" | sort -n | cut -d' ' -f1 | paste -sd' ')
	echo "  median: $R_MBPS MB/s of plaintext, $R_WIRE MB/s on the wire (TLS records included," \
		"from tcpi_bytes_acked)"
}
kv() { [[ " $1" =~ \ $2=([^ ]*) ]] && echo "${BASH_REMATCH[1]}"; }

# ---- 1. batch (after a live load) ------------------------------------------------------
# batch_run TAG COUNT PAYLOAD: fresh feeders; A's loads COUNT entries,
# sent live as credit allows, until B holds them all. Then REPEAT times:
# B's feeder restarts, its rbsd asks the peer for everything, and A's
# feeder answers with one batch of COUNT, timed from B's feeder start to
# B's feeder holding all COUNT with A's digest. Sets TAG_* figures from
# the median run (by time).

batch_run() {
	local tag=$1 n=$2 p=$3 r tl t0 c_a0 c_b0 c_a1 c_b1 c_fa0 c_fa1 c_fb1 bytes0 bytes1 brx0 brx1
	local first lo lov hi hiv est med max wire adig live_rate a_out b_in runs=() m b0 b1 i0 i1 how bet
	hr
	echo "1. batch: $n entries of $p bytes from A to B over TLS"
	stop_feeder A
	stop_feeder B
	feeder B -P "$p"
	poll 10 0.1 eval '[ "$(fv B attached)" = 1 ]' || fail "B's feeder did not attach"
	c_a0=$(cpu "$RBSD_A") c_b0=$(cpu "$RBSD_B")
	tl=$EPOCHREALTIME
	feeder A -n "$n" -P "$p"
	poll 600 0.2 identical "$n" || fail "the live load did not complete"
	c_a1=$(cpu "$RBSD_A") c_b1=$(cpu "$RBSD_B")
	read -r _ lo _ hi _ est _ _ < <(progress B.feeder "$tl" "$n" rx 'rx == want')
	live_rate=$(calc "$n / $est" %.0f)
	echo "  live load first (for comparison): $n entries at B $(calc "$est") s after A's feeder" \
		"started: $live_rate entries/s; rbsd CPU A $(calc "($c_a1 - $c_a0) / $HZ" %.2f) s," \
		"B $(calc "($c_b1 - $c_b0) / $HZ" %.2f) s"
	poll 10 0.2 eval '[ "$(rj A window.unacknowledged)" = 0 ]' || fail "A's window did not drain"
	adig=$(fv A own_digest)
	batch_done() {
		local line=
		read -r line 2>/dev/null <"$ROOT/B.feeder"
		[[ "$line" =~ \ rx=$n\ rx_digest=$adig\ batches=[1-9] ]]
	}
	echo "  batches (time: B's feeder start to all $n held with A's digest, interpolated between"
	echo "  its status lines or from its batch_end_t; channel: until B's rbsd had read every byte"
	echo "  of the batch;"
	echo "  CPU, s: utime+stime during the batch; irq: the machine's irq+softirq (the network's"
	echo "  receive work); other: the machine's other busy time minus those four processes'):"
	printf '    %-3s %8s %10s %8s %8s %10s %8s %8s %8s %8s %8s %8s %8s\n' run "time s" entries/s \
		"MB/s" "wire" "channel s" "rbsd A" "rbsd B" "feedr A" "feedr B" "irq" "other" "wire B/e"
	for r in $(seq "$REPEAT"); do
		bytes0=$(rj A bytes_sent) brx0=$(rj B bytes_received)
		perf_start "batch-$tag-$r"
		c_a0=$(cpu "$RBSD_A") c_b0=$(cpu "$RBSD_B") c_fa0=$(cpu "${DEV_PID[A.feeder]}")
		read -r b0 i0 < <(busy)
		stop_feeder B
		t0=$EPOCHREALTIME
		feeder B -P "$p"
		poll 600 0.05 batch_done || fail "the batch did not complete (B: $(cat "$ROOT/B.feeder"))"
		c_a1=$(cpu "$RBSD_A") c_b1=$(cpu "$RBSD_B") c_fa1=$(cpu "${DEV_PID[A.feeder]}")
		c_fb1=$(cpu "${DEV_PID[B.feeder]}")
		read -r b1 i1 < <(busy)
		perf_stop
		bytes1=$(rj A bytes_sent) brx1=$(rj B bytes_received)
		[ "$(fv B bad_batches)" = 0 ] || fail "B's feeder counted a bad batch"
		read -r first lo lov hi hiv est med max < <(progress B.feeder "$t0" "$n" rx 'rx == want && batches >= 1')
		[ "$first" != none ] || fail "no status line of B's feeder shows the batch done"
		# A feeder that stamps the end of a batch (batch_end_t=) gives it exactly.
		how="interpolated"
		bet=$(fv B batch_end_t)
		if [ -n "$bet" ] && [ "$(calc "$bet > $t0" %d)" = 1 ]; then
			est=$(calc "$bet - $t0" %.4f) how="batch_end_t"
		fi
		wire=$((bytes1 - bytes0))
		a_out=$(io_at rbsdA wchar "$t0" "$wire") b_in=$(io_at rbsdB rchar "$t0" $((brx1 - brx0)))
		runs+=("$est $r")
		# time entries/s payload-MB/s wire-MB/s channel-s cpuA cpuB feederA feederB
		# irq other wire-bytes-per-entry
		printf -v "RUN_$r" '%s %s %s %s %s %s %s %s %s %s %s %s' "$(calc "$est")" \
			"$(calc "$n / $est" %.0f)" "$(calc "$n * $p / $est / 1e6" %.1f)" \
			"$(calc "$wire / $est / 1e6" %.1f)" "$b_in" \
			"$(calc "($c_a1 - $c_a0) / $HZ" %.2f)" "$(calc "($c_b1 - $c_b0) / $HZ" %.2f)" \
			"$(calc "($c_fa1 - $c_fa0) / $HZ" %.2f)" "$(calc "$c_fb1 / $HZ" %.2f)" \
			"$(calc "($i1 - $i0) / $HZ" %.2f)" \
			"$(calc "($b1 - $b0 - ($c_a1 - $c_a0) - ($c_b1 - $c_b0) - ($c_fa1 - $c_fa0) - $c_fb1) / $HZ" %.2f)" \
			"$(calc "$wire / $n" %.1f)"
		m=RUN_$r
		# shellcheck disable=SC2086
		printf '    %-3s %8s %10s %8s %8s %10s %8s %8s %8s %8s %8s %8s %8s\n' "$r" ${!m}
		[ "$brx1" -ne 0 ] && [ $((brx1 - brx0)) = "$wire" ] ||
			echo "    (B's rbsd received $((brx1 - brx0)) bytes, A sent $wire)"
		[ "$r" = 1 ] && echo "    (run 1: time $how; status lines around the end at $(calc "$lo") s, rx=$lov," \
			"and $(calc "$hi") s, rx=$hiv; rx steps of 100 ms: median $med/s, best $max/s;" \
			"A's rbsd had written the bytes at $a_out s)"
	done
	m=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(((REPEAT + 1) / 2))p" | cut -d' ' -f2)
	m=RUN_$m
	# shellcheck disable=SC2086
	set -- ${!m}
	printf -v "${tag}_T" %s "$1"
	printf -v "${tag}_RATE" %s "$2"
	printf -v "${tag}_PAY" %s "$3"
	printf -v "${tag}_WIRE" %s "$4"
	printf -v "${tag}_CHAN" %s "$5 s ($(calc "$n / $5" %.0f) entries/s)"
	printf -v "${tag}_RATIO" %s "$(calc "100 * $4 / ${R_WIRE:-0}" %.1f)"
	printf -v "${tag}_CPU" %s "$6 s / $7 s"
	printf -v "${tag}_FCPU" %s "$8 s / $9 s"
	printf -v "${tag}_LIVE" %s "$live_rate"
	printf -v "${tag}_ALL" %s "$(printf '%s\n' "${runs[@]}" | sort -n | cut -d' ' -f1 | paste -sd' ')"
	echo "  median run: $1 s, $2 entries/s, $3 MB/s of payload, $4 MB/s on the wire" \
		"$([ -n "${R_WIRE:-}" ] && echo "($(calc "100 * $4 / $R_WIRE" %.1f) % of raw TLS's $R_WIRE)")"
	echo "  VmHWM (peak RSS so far): rbsd A $(kb "$RBSD_A" VmHWM) kB, rbsd B $(kb "$RBSD_B" VmHWM) kB"
}

# ---- 3. real time -------------------------------------------------------------------------

part_realtime() {
	local e0 e1 s0 s1 r0 r1 c_a0 c_b0 c_a1 c_b1 fdig t
	hr
	echo "3. real time: $LOAD entries loaded, then $RATE updates/s for $SECS s"
	stop_feeder A
	stop_feeder B
	feeder B -P "$PAYLOAD"
	poll 10 0.1 eval '[ "$(fv B attached)" = 1 ]' || fail "B's feeder did not attach"
	feeder A -n "$LOAD" -P "$PAYLOAD" -u "$RATE"
	poll 30 0.05 eval '[ "$(fv B rx)" = "$LOAD" ] && [ "$(fv A sent)" -gt "$LOAD" ]' ||
		fail "the load before the updates did not complete"
	perf_start realtime
	e0=$(rj B entries_received) s0=$(fv A sent) r0=$EPOCHREALTIME
	c_a0=$(cpu "$RBSD_A") c_b0=$(cpu "$RBSD_B")
	sleep "$SECS"
	e1=$(rj B entries_received) s1=$(fv A sent) r1=$EPOCHREALTIME
	c_a1=$(cpu "$RBSD_A") c_b1=$(cpu "$RBSD_B")
	perf_stop
	U_P99=$(fv B lag_p99_us) U_N=$(fv B lag_n)
	U_LAGS=$(grep -o 'lag_[a-z0-9_]*=[^ ]*' "$ROOT/B.feeder" | paste -sd' ')
	stop_feeder A
	fdig=$(fv A own_digest "$ROOT/A.feeder.last")
	t=$EPOCHREALTIME
	poll 30 0.05 eval '[ "$(fv B rx_digest)" = "$fdig" ]' || fail "B did not catch up after the updates"
	U_RATE=$(calc "($e1 - $e0) / ($r1 - $r0)" %.0f)
	U_OFFER=$(calc "($s1 - $s0) / ($r1 - $r0)" %.0f)
	U_CPU="$(calc "100 * ($c_a1 - $c_a0) / $HZ / ($r1 - $r0)" %.1f) % / $(calc "100 * ($c_b1 - $c_b0) / $HZ / ($r1 - $r0)" %.1f) %"
	echo "  over $(calc "$r1 - $r0" %.2f) s: A's feeder sent $U_OFFER entries/s, B's rbsd received" \
		"$U_RATE entries/s"
	echo "  lag p99 at B's feeder: $U_P99 us over $U_N samples (the feeder keeps the first 200,000," \
		"here the first $(calc "$U_N / $RATE" %.1f) s of updates; it sorts them all at each status" \
		"line, every 100 ms, and does not read meanwhile: see bench/README.md)"
	echo "  every lag figure of its status line: $U_LAGS"
	echo "  rbsd CPU, A / B: $U_CPU of one core"
	echo "  A's feeder stopped: B's table equals A's (digest $fdig) $(calc "$EPOCHREALTIME - $t" %.2f) s later"
}

# ---- run ------------------------------------------------------------------------------------

echo "RBS channel benchmark: $(uname -r), $(nproc) CPUs ($(sed -n 's/^model name.*: //p' /proc/cpuinfo | head -1)),"
echo "  $(openssl version | cut -d' ' -f1-2), commit $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$TOP" diff --quiet HEAD -- rbsd common tests/tools 2>/dev/null || echo ' (rbsd, common or tests/tools modified)'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  PARTS=\"$PARTS\" N=$N PAYLOAD=$PAYLOAD BIG=$BIG REPEAT=$REPEAT LOAD=$LOAD RATE=$RATE SECS=$SECS RAW_BYTES=$RAW_BYTES"

make_certs "$CERTS" || fail "cannot make certificates"
dev_bare A && dev_bare B && link_pair A 198.51.100.1/24 B 198.51.100.2/24 || fail "cannot build the topology"
start_all A && start_all B || fail "the suite did not come up"
rbs_config A ssl >/dev/null && rbs_config B ssl >/dev/null || fail "RBS configuration refused"
poll 10 0.1 is_up A && poll 10 0.1 is_up B || fail "the channel did not come up"
RBSD_A=${DEV_PID[A.rbsd]}
RBSD_B=${DEV_PID[B.rbsd]}
"$BIN/bench-rbs-watch" -p "rbsdA=$RBSD_A" -p "rbsdB=$RBSD_B" "$ROOT" A.feeder B.feeder \
	>"$WATCH" 2>"$ROOT/watch.err" &
DEV_PID[watch]=$!
TLS=$(field A TLS)
PROTO=$(sed -n 's/.*, \(TLSv1\.[23]\), .*/\1/p' <<<"$TLS")
CIPHER=${TLS##*, }
[ -n "$PROTO" ] && [ -n "$CIPHER" ] || fail "no TLS protocol or cipher in display: $TLS"
echo "  channel: TLS $TLS"
feeder B -P "$PAYLOAD"
poll 10 0.1 eval '[ "$(fv B attached)" = 1 ]' || fail "B's feeder did not attach"

has() { [[ " $PARTS " == *" $1 "* ]]; }
has memory && part_memory
has raw && part_raw
has batch && batch_run B "$N" "$PAYLOAD"
has big && batch_run G "$BIG" 1024
has realtime && part_realtime

hr
echo "summary"
row() { printf '  %-50s %s\n' "$1" "$2"; }
if has batch; then
	row "batch of $N entries of $PAYLOAD B over TLS (median)" "$B_T s (runs: $B_ALL)"
	row "  entries/s" "$B_RATE (target >= 1000000)"
	row "  payload MB/s" "$B_PAY"
	row "  wire MB/s (A's bytes sent)" "$B_WIRE"
	has raw && row "  wire / raw TLS wire" "$B_RATIO % (target >= 50 %)"
	row "  CPU rbsd A / rbsd B" "$B_CPU"
	row "  CPU feeder A / feeder B" "$B_FCPU"
	row "  B's rbsd had read every byte at" "$B_CHAN"
	row "  (live load of the same, entries/s)" "$B_LIVE"
fi
if has big; then
	row "batch of $BIG entries of 1024 B over TLS (median)" "$G_T s (runs: $G_ALL)"
	row "  entries/s" "$G_RATE"
	row "  payload MB/s" "$G_PAY"
	row "  wire MB/s (A's bytes sent)" "$G_WIRE"
	has raw && row "  wire / raw TLS wire" "$G_RATIO %"
	row "  CPU rbsd A / rbsd B" "$G_CPU"
	row "  CPU feeder A / feeder B" "$G_FCPU"
	row "  B's rbsd had read every byte at" "$G_CHAN"
	row "  (live load of the same, entries/s)" "$G_LIVE"
fi
if has raw; then
	row "raw TLS ($PROTO $CIPHER), plaintext MB/s" "$R_MBPS"
	row "  wire MB/s (median)" "$R_WIRE (runs: $R_ALL)"
fi
if has realtime; then
	row "updates at $RATE/s: received entries/s" "$U_RATE"
	row "  lag p99 (the first $U_N updates)" "$U_P99 us (target <= 2000)"
	row "  CPU rbsd A / rbsd B, % of one core" "$U_CPU"
fi
has memory && row "window of $WIN entries held: RSS per entry" "$M_PER bytes (+$M_KB kB)"

[ -n "${KEEP:-}" ] && cp -r "$ROOT" "$KEEP"

echo
if has batch; then
	summary rbs_batch_${N}x${PAYLOAD}B_rate "${B_RATE:-}" entries/s ">=1000000"
	summary rbs_batch_${N}x${PAYLOAD}B_wire "${B_WIRE:-}" MB/s - \
		"$(has raw && echo raw_tls || echo -)" "$(has raw && echo "${R_WIRE:-}" || echo -)"
fi
has big && summary rbs_batch_${BIG}x1024B_wire "${G_WIRE:-}" MB/s - \
	"$(has raw && echo raw_tls || echo -)" "$(has raw && echo "${R_WIRE:-}" || echo -)"
if has realtime; then
	summary rbs_realtime_${RATE}_lag_p99 "${U_P99:-}" us "<=2000"
	summary rbs_realtime_${RATE}_received "${U_RATE:-}" entries/s ">=$((RATE * 99 / 100))"
fi
has memory && summary rbs_window_rss_per_entry "${M_PER:-}" B -
exit "$SUMMARY_BAD"
