#!/usr/bin/env bash
# Commit latency benchmark: one device (cfgd, vrrpd, rbsd, rbpd) in its own
# network namespace, driven by bench-commit. Prints numbers; see
# bench/README.md for what they mean.
#
#   bash bench/commit.sh [BUILDDIR]     (root; BUILDDIR defaults to build)
#
# Environment: ITER (one-line commits, default 1000), LINES (lines of the
# big commit, default 10000), IFACES (veth pairs for it, default 40),
# ON_TOP (one-line commits on top of the big configuration, default 20),
# TMPDIR (where the run and state directories go: the filesystem whose
# fsync is measured, default /tmp). SMOKE=1: small defaults (ITER 20,
# LINES 1800, IFACES 4: 816 groups, the last 56 vrrp6), seconds, to show
# that the benchmark still runs.
# The headline figures end the output as SUMMARY lines (bench/summary.sh);
# the exit status is 1 when one is missing.
#
# Everything it creates (the namespace, the daemons, the temp directory)
# is removed on exit, also on failure or Ctrl-C. Addresses are
# documentation prefixes only, and only inside the namespace.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-build}
if [ "${SMOKE:-0}" = 1 ]; then
	ITER=${ITER:-20} LINES=${LINES:-1800} IFACES=${IFACES:-4}
fi
ITER=${ITER:-1000}
LINES=${LINES:-10000}
IFACES=${IFACES:-40}
ON_TOP=${ON_TOP:-20}

. "$HERE/preflight.sh"
. "$HERE/summary.sh"
preflight bench/commit.sh "$BUILD" "make all $BUILD/bin/bench-commit" \
	cfgd vrrpd rbsd rbpd dbcli bench-commit

NS=dbbench$$
NS_MADE=0
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/dbbench.XXXXXX") || exit 1
RUN=$ROOT/run
STATE=$ROOT/state
declare -A PID=()
BENCH=

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local d i
	if [ -n "$BENCH" ]; then
		kill -TERM "$BENCH" 2>/dev/null
		wait "$BENCH" 2>/dev/null
	fi
	for d in "${!PID[@]}"; do
		kill -TERM "${PID[$d]}" 2>/dev/null
	done
	for d in "${!PID[@]}"; do
		for i in $(seq 20); do
			kill -0 "${PID[$d]}" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "${PID[$d]}" 2>/dev/null
		wait "${PID[$d]}" 2>/dev/null
	done
	[ "$NS_MADE" = 1 ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "bench/commit.sh: $*" >&2
	local f
	for f in "$ROOT"/*.log; do
		[ -f "$f" ] || continue
		echo "--- last lines of $(basename "$f")" >&2
		tail -n 8 "$f" >&2
	done
	exit 1
}

# The device: loopback, eth1 (a veth pair eth1/eth1p: dummy interfaces are
# not available on every kernel) with the RBS source address, and the
# veth pairs vethN/vethNp for the big configuration, all up, each with the
# same address as eth1 (vrrpd advertises from an address that is not a
# /32, and refuses an IPv4 group on an interface that
# has none), since the documentation prefixes hold no more: the rest are
# the groups' virtual IPs.
ip netns add "$NS" || fail "cannot create namespace $NS"
NS_MADE=1
# No duplicate address detection, so that the link-local addresses vrrp6
# groups advertise from are usable as soon as the interfaces are up.
ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
	net.ipv6.conf.all.accept_dad=0 || fail "cannot turn DAD off in $NS"
{
	echo "link set lo up"
	echo "link add eth1 type veth peer name eth1p"
	echo "link set eth1p up"
	echo "link set eth1 up"
	echo "addr add 198.51.100.1/24 dev eth1"
	for ((i = 0; i < IFACES; i++)); do
		echo "link add veth$i type veth peer name veth${i}p"
		echo "link set veth${i}p up"
		echo "link set veth$i up"
		# the IPv4 groups' source address (the device's own, as on eth1)
		echo "addr add 198.51.100.1/24 dev veth$i"
	done
} | ip -n "$NS" -batch - || fail "cannot set up the interfaces in $NS"
mkdir -p "$RUN" "$STATE"

start() {
	local d=$1 extra=()
	[ "$d" = cfgd ] && extra=(-s "$STATE")
	ip netns exec "$NS" "$BIN/$d" -d -r "$RUN" "${extra[@]}" >>"$ROOT/$d.log" 2>&1 &
	PID[$d]=$!
}

for d in cfgd vrrpd rbsd rbpd; do
	start "$d"
done

# Until cfgd sees the three daemons we started up and running its
# configuration, at most 15 s.
synced=0
for i in $(seq 150); do
	out=$("$BIN/dbcli" -r "$RUN" --json -c "display configuration sync" 2>/dev/null)
	ok=1
	for d in vrrpd rbsd rbpd; do
		jq -e --arg d "$d" --argjson p "${PID[$d]}" \
			'.daemons[] | select(.daemon == $d and .up and .pid == $p and .in_sync)' \
			<<<"$out" >/dev/null 2>&1 || ok=0
	done
	if [ $ok = 1 ]; then
		synced=1
		break
	fi
	sleep 0.1
done
[ $synced = 1 ] || fail "the daemons did not come up in sync:
$("$BIN/dbcli" -r "$RUN" -c "display configuration sync" 2>&1)"

echo "bench/commit.sh: $(uname -sr), $(nproc) CPU(s): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "state dir on $(df -T "$STATE" | awk 'NR == 2 { print $2 " (" $1 ")" }'), commits fsync'd"

# In the background, so that a signal reaches our trap at once.
"$BIN/bench-commit" -r "$RUN" -s "$STATE" -n "$ITER" -l "$LINES" -i "$IFACES" -t "$ON_TOP" \
	-p cfgd="${PID[cfgd]}" -p vrrpd="${PID[vrrpd]}" -p rbsd="${PID[rbsd]}" -p rbpd="${PID[rbpd]}" \
	>"$ROOT/out" &
BENCH=$!
wait "$BENCH"
rc=$?
BENCH=
grep -v '^SUMMARY ' "$ROOT/out"
[ $rc = 0 ] || fail "bench-commit exited $rc"
grep -q "considered down" "$ROOT/cfgd.log" &&
	echo "note: cfgd lost a daemon for a while during the run (cfgd.log: considered down)"

# The headline figures, checked: each must be there, with a number.
fig() { awk -v n="$1" -v f="$2" '$1 == "SUMMARY" && $2 == n { print $f }' "$ROOT/out"; }
for n in commit_one_line_p50 commit_one_line_p99 commit_${LINES}_lines \
	commit_${LINES}_lines_settled commit_one_line_on_${LINES}_p50; do
	case $n in commit_one_line_p*) [ "$ITER" = 0 ] && continue ;; *) [ "$LINES" = 0 ] && continue ;; esac
	summary "$n" "$(fig "$n" 3)" "$(fig "$n" 4)" "$(fig "$n" 5)" "$(fig "$n" 6)" "$(fig "$n" 7)"
done

for d in cfgd vrrpd rbsd rbpd; do
	kill -0 "${PID[$d]}" 2>/dev/null || fail "$d died during the benchmark"
done
exit "$SUMMARY_BAD"
