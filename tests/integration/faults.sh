#!/usr/bin/env bash
# Faults of our own: cfgd on a full disk (a small tmpfs as its state
# directory) and on a commit history that no longer reads.
# Usage: tests/integration/faults.sh BUILDDIR
# The suite runs in a private mount namespace of its own (unshare -m): the
# tmpfs mounts vanish with it, whatever happens to the script.
set -u
if [ -z "${DB_FAULTS_UNSHARED:-}" ]; then
	DB_FAULTS_UNSHARED=1 exec unshare -m --propagation private bash "$0" "$@"
fi
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

MOUNTS=()
umount_all() {
	local m
	for m in "${MOUNTS[@]}"; do umount -l "$m" 2>/dev/null; done
}
trap 'umount_all; cleanup' EXIT

PAGE=$(getconf PAGESIZE)

# fill DIR PAGES: fill the filesystem of DIR until PAGES pages are left.
fill() {
	local dir=$1 keep=$2
	rm -f "$dir/fill" "$dir/pad"
	[ "$keep" = 0 ] || dd if=/dev/zero of="$dir/pad" bs="$PAGE" count="$keep" 2>/dev/null
	dd if=/dev/zero of="$dir/fill" bs="$PAGE" 2>/dev/null
	rm -f "$dir/pad"
	[ "$(stat -f -c %a "$dir")" = "$keep" ] || {
		echo "  could not leave $keep pages free in $dir: $(stat -f -c %a "$dir")"
		return 1
	}
}
unfill() { rm -f "$1/fill" "$1/pad"; }

sync_out() { cli "$1" -c "display configuration sync"; }
no_trial() { sync_out "$1" | grep -q "^Trial commit: none$"; }
sysname_is() { cli "$1" -c "display current-configuration" | grep -q "^sysname $2$"; }
cfgd_up() { wait_until 10 sync_out "$1"; }

setup() {
	local st
	dev_bare F || return 1
	st=$(state_dir F)
	mount -t tmpfs -o size=$((64 * PAGE)),mode=0700 dbfaults "$st" || return 1
	MOUNTS+=("$st")
	start F cfgd
	cfgd_up F || return 1
	cli F -q -c "system-view" -c "sysname base" -c "commit" >/dev/null || return 1
	sysname_is F base
}

# Room for the trial record but not for the commit it guards: the commit
# is refused with the reason, and no trial survives it, in memory (display,
# abort trial) or on disk (a restart). With room again everything works.
test_full_disk_leaves_no_phantom_trial() {
	local st out rc before
	st=$(state_dir F)
	before=$(cli F -c "display current-configuration")
	fill "$st" 1 || return 1
	out=$(cli F -c "system-view" -c "sysname trial1" -c "commit trial 60" 2>&1)
	rc=$?
	[ $rc != 0 ] || { echo "  commit trial on a full disk succeeded: $out"; return 1; }
	echo "$out" | grep -q "Error: The commit failed and nothing was changed" || { echo "$out"; return 1; }
	echo "$out" | grep -q "cannot write the state directory $st: No space left on device" ||
		{ echo "$out"; return 1; }
	[ "$(cli F -c "display current-configuration")" = "$before" ] || return 1
	no_trial F || { sync_out F; return 1; }
	out=$(cli F -c "abort trial" 2>&1) && { echo "  abort trial found a trial: $out"; return 1; }
	echo "$out" | grep -q "No trial commit is pending" || { echo "$out"; return 1; }
	[ ! -e "$st/trial" ] || { echo "  $st/trial survived"; return 1; }
	# and no room at all: the trial record itself cannot be written
	fill "$st" 0 || return 1
	cli F -c "system-view" -c "sysname trial2" -c "commit trial 60" >/dev/null 2>&1 && return 1
	no_trial F || return 1
	stop9 F cfgd
	start F cfgd
	cfgd_up F || return 1
	[ "$(cli F -c "display current-configuration")" = "$before" ] || return 1
	no_trial F || return 1
	# room again: a trial commit and its confirmation work
	unfill "$st"
	cli F -c "system-view" -c "sysname trial3" -c "commit trial 60" >/dev/null || return 1
	sync_out F | grep -q "^Trial commit: [0-9]*, rolls back to" || { sync_out F; return 1; }
	cli F -c "commit" | grep -q "The trial commit was confirmed" || return 1
	no_trial F && sysname_is F trial3 && [ ! -e "$st/trial" ]
}

# A trial expires while the disk is full: the rollback runs at once but is
# not durable, so the trial record stays and a restart rolls back again
# (the trial commit never escapes its trial); once there is room the
# rollback is written and only then is the trial record removed.
test_rollback_on_full_disk_stays_until_durable() {
	local st
	st=$(state_dir F)
	cli F -c "system-view" -c "sysname base" -c "commit" >/dev/null || return 1
	cli F -c "system-view" -c "sysname escaped" -c "commit trial 2" >/dev/null || return 1
	fill "$st" 0 || return 1
	wait_until 6 sysname_is F base || { echo "  no rollback"; return 1; }
	sync_out F | grep -q "the trial rollback is not yet written" || { sync_out F; return 1; }
	[ -e "$st/trial" ] || { echo "  trial record removed before the rollback was durable"; return 1; }
	stop9 F cfgd
	start F cfgd
	cfgd_up F || return 1
	wait_until 3 sysname_is F base || { echo "  the trial commit escaped its trial"; return 1; }
	[ -e "$st/trial" ] || return 1
	unfill "$st"
	wait_until 3 test ! -e "$st/trial" || { echo "  rollback never written"; return 1; }
	sync_out F | grep -q "not yet written" && return 1
	grep -q "trial rollback: commit [0-9]* is now durable" "$ROOT/F/cfgd.log" || return 1
	stop9 F cfgd
	start F cfgd
	cfgd_up F || return 1
	sysname_is F base && no_trial F
}

# Every stored commit unreadable: cfgd refuses to start (it would push an
# empty configuration to every daemon); with -E it starts empty and numbers
# new commits above the damaged files, which it leaves in place.
test_unreadable_history_refused() {
	local st out rc f n newest
	dev_bare G || return 1
	st=$(state_dir G)
	start G cfgd
	cfgd_up G || return 1
	cli G -q -c "system-view" -c "sysname g1" -c "commit" >/dev/null || return 1
	cli G -q -c "system-view" -c "sysname g2" -c "commit" >/dev/null || return 1
	kill -TERM "${DEV_PID[G.cfgd]}"
	wait "${DEV_PID[G.cfgd]}"
	unset "DEV_PID[G.cfgd]"
	for f in "$st"/commits/*.cfg; do
		printf 'garbage\n' >"$f"
	done
	n=$(ls "$st"/commits | wc -l)
	newest=$(ls "$st"/commits | sort | tail -n 1)
	out=$(timeout 10 ip netns exec "${DEV_NS[G]}" "$BIN/cfgd" -d -r "$(run_dir G)" -s "$st" 2>&1)
	rc=$?
	[ $rc = 1 ] || { echo "  cfgd exit $rc: $out"; return 1; }
	echo "$out" | grep -q "every stored commit in $st/commits is unreadable ($n corrupt files); refusing to start" ||
		{ echo "$out"; return 1; }
	echo "$out" | grep -q "start cfgd with -E" || return 1
	# lib.sh's start takes extra words as environment: -E by hand
	ip netns exec "${DEV_NS[G]}" "$BIN/cfgd" -d -E -r "$(run_dir G)" -s "$st" >>"$ROOT/G/cfgd.log" 2>&1 &
	DEV_PID[G.cfgd]=$!
	cfgd_up G || { tail -n 5 "$ROOT/G/cfgd.log"; return 1; }
	cli G -c "display current-configuration" | grep -q "^sysname g" && return 1
	grep -q "starting empty as -E asks" "$ROOT/G/cfgd.log" || return 1
	cli G -q -c "system-view" -c "sysname g3" -c "commit" >/dev/null || return 1
	sysname_is G g3 || return 1
	# the damaged files are still there, the new commit is above them
	[ "$(ls "$st"/commits | wc -l)" = $((n + 1)) ] || return 1
	[ "$(ls "$st"/commits | sort | tail -n 1)" \> "$newest" ] || return 1
	[ "$(head -c 8 "$st/commits/$newest")" = garbage ]
}

t "setup: cfgd with a 64-page tmpfs as its state directory" setup || exit 1
t "full disk: commit trial refused with the reason, no phantom trial, works again with room" \
	test_full_disk_leaves_no_phantom_trial
t "full disk at trial expiry: the trial record stays until the rollback is durable" \
	test_rollback_on_full_disk_stays_until_durable
t "every stored commit unreadable: cfgd refuses to start; -E starts empty" \
	test_unreadable_history_refused
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

echo "faults: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
