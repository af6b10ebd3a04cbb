#!/usr/bin/env bash
# Chaos: nothing that was acknowledged as backed up is lost. Devices A and
# B with the spec's procedure (preempt delay 0); user churn on both for
# their own halves through the user API's synchronous acknowledgment
# (dbuser -s: A adds and deletes odd-MAC users, B even-MAC ones), while
# faults are injected at random: kill -9 of any daemon on either device
# (then started again), a whole device killed and started again, the RBS
# link cut and restored, the user segment cut between the devices (split
# brain: both master of both groups) and healed, loss/delay/reordering on
# the RBS link (netem, when the kernel has it). Real neighbour users come
# online meanwhile: after each fault, a wave of IPv4 and IPv6 users on
# host H (tests/tools/neigh_users.c), each asking its group's gateway,
# staying to answer probes. After the churn stops and a settle time:
# exactly one master per group, both tables digest-equal, every user
# whose last change was acknowledged as backed up is in both tables with
# the data of that change (added) or in neither (deleted), every
# neighbour user of the waves is in both tables, and no device has a
# neighbour install (rbpd's, proto 219) of a user its table lacks. It prints the
# faults it injected and the users it checked, and fails when one is
# lost (the first 20 named).
#
# Usage: tests/integration/chaos.sh BUILDDIR
# Environment: CHAOS_SECONDS (churn and faults, default 60; longer runs
# by hand, e.g. 1800), SEED (the faults' order, default random, printed).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

CHAOS_SECONDS=${CHAOS_SECONDS:-60}
SEED=${SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$SEED

procedure() { demo_procedure "$1" "s|delay 600|delay 0|" "s|delay-time 10|delay-time 2|"; }
rbpj() { jcli "$1" "display remote-backup-profile rbp1" 2>/dev/null | jq -r ".profiles[0] | $2"; }
chan_up() { [ "$(rbpj "$1" .service.channel)" = up ]; }
digest() { rbpj "$1" .service.table.digest; }
same_digest() { [ -n "$(digest A)" ] && [ "$(digest A)" = "$(digest B)" ]; }
state() {
	jcli "$1" "display vrrp" 2>/dev/null |
		jq -r --argjson v "$2" '.groups[] | select(.vrid == $v and .family == "ipv4") | .state'
}
settled() {
	[ "$(state A 1)" = Master ] && [ "$(state B 1)" = Backup ] &&
		[ "$(state B 2)" = Master ] && [ "$(state A 2)" = Backup ] &&
		chan_up A && chan_up B && same_digest
}

# churn DEV PARITY: adds of new users and deletes of earlier ones through
# dbuser -s, until $ROOT/stop exists; each attempt and each change
# acknowledged as backed up goes to $ROOT/DEV.churn, in order.
churn() {
	local d=$1 par=$2 i=0 log=$ROOT/$1.churn mac k
	local acked=()
	while [ ! -e "$ROOT/stop" ]; do
		i=$((i + 1))
		k=$d-$i
		mac=$(printf '02:cc:%02x:%02x:%02x:%02x' $((i >> 23 & 255)) $((i >> 15 & 255)) \
			$((i >> 7 & 255)) $(((i & 127) << 1 | par)))
		echo "try add $k" >>"$log"
		if "$BIN/dbuser" -r "$(run_dir "$d")" -s 1000 add dhcp-server "$mac" eth1 "$k" "v$i" \
			>/dev/null 2>&1; then
			echo "ack add $k v$i" >>"$log"
			acked+=("$k $mac")
		fi
		# every fourth round, delete the oldest user acknowledged so far
		if [ $((i % 4)) = 0 ] && [ ${#acked[@]} -gt 0 ]; then
			set -- ${acked[0]}
			acked=("${acked[@]:1}")
			echo "try del $1" >>"$log"
			"$BIN/dbuser" -r "$(run_dir "$d")" -s 1000 delete dhcp-server "$2" eth1 "$1" \
				>/dev/null 2>&1 && echo "ack del $1" >>"$log"
		fi
	done
}

restart() {
	start "$1" "$2"
	wait_sync "$1" >/dev/null 2>&1 || true
}

NETEM=0
FAULTS=0
WAVES=0
WAVE_N=6 # IPv4 and IPv6 users a wave
# wave: WAVE_N IPv4 users from 192.0.2.110 up and WAVE_N IPv6 users from
# 2001:db8::1:0 up come online on H, MACs of both parities (odd: A's
# group 1, even: B's group 2), staying.
wave() {
	local w=$WAVES
	[ $((110 + (w + 1) * WAVE_N)) -le 250 ] || return 0
	WAVES=$((WAVES + 1))
	users_on_h "wave4-$w" -a "192.0.2.$((110 + w * WAVE_N))" -n $WAVE_N -o 192.0.2.100 \
		-e 192.0.2.101 -s $((3000 + w * 2 * WAVE_N))
	users_on_h "wave6-$w" -a "2001:db8::1:$(printf %x $((w * WAVE_N)))" -n $WAVE_N \
		-o 2001:db8::1 -e 2001:db8::2 -s $((3000 + (w * 2 + 1) * WAVE_N))
}

# neigh_check: every neighbour user of the waves that a device's kernel
# knows (a wave that came while no device held its gateway's address was
# heard by none: a host would ask again) is in both devices' tables, and
# neither device has rbpd's install (proto 219) of a user its table lacks.
# Prints what it checked; 1 when a user is missing or an install stray.
neigh_check() {
	local d a w k bad=0 missing=0 known=0 n=0
	for d in A B; do
		{
			jcli "$d" "display remote-backup-profile rbp1 users arp" | jq -r '.users[].address'
			jcli "$d" "display remote-backup-profile rbp1 users nd" | jq -r '.users[].address'
		} | sort >"$ROOT/$d.neigh" || return 1
		{ inns "$d" ip -4 neigh show dev eth1; inns "$d" ip -6 neigh show dev eth1; } |
			awk '/lladdr 02:db:/ && !/FAILED|INCOMPLETE/ { print $1 }' | sort -u >"$ROOT/$d.kernel"
		for a in $({ inns "$d" ip -4 neigh show dev eth1 proto 219; inns "$d" ip -6 neigh show dev eth1 proto 219; } |
			awk '{ print $1 }'); do
			grep -qxF "$a" "$ROOT/$d.neigh" && continue
			echo "  STRAY: $d's kernel has rbpd's install of $a, a user its table lacks"
			bad=1
		done
	done
	for ((w = 0; w < WAVES; w++)); do
		for ((k = 0; k < WAVE_N; k++)); do
			for a in "192.0.2.$((110 + w * WAVE_N + k))" "2001:db8::1:$(printf %x $((w * WAVE_N + k)))"; do
				n=$((n + 1))
				grep -qxF "$a" "$ROOT/A.kernel" "$ROOT/B.kernel" || continue
				known=$((known + 1))
				grep -qxF "$a" "$ROOT/A.neigh" && grep -qxF "$a" "$ROOT/B.neigh" && continue
				[ $missing -lt 10 ] &&
					echo "  MISSING: neighbour user $a (in a kernel) is not in both tables" \
						"(A: $(grep -cxF "$a" "$ROOT/A.neigh"), B: $(grep -cxF "$a" "$ROOT/B.neigh"))"
				missing=$((missing + 1))
				bad=1
			done
		done
	done
	echo "  neighbour users: $n came online in $WAVES waves, $known heard by a device;" \
		"missing from a table: $missing"
	[ $bad = 0 ]
}
# one_fault: a fault chosen at random, carried out, and undone.
one_fault() {
	local d w n
	d=$([ $((RANDOM % 2)) = 0 ] && echo A || echo B)
	n=$((RANDOM % (NETEM ? 8 : 7)))
	FAULTS=$((FAULTS + 1))
	case $n in
	0 | 1 | 2 | 3)
		w=(rbpd rbsd vrrpd cfgd)
		w=${w[$n]}
		echo "  fault $FAULTS: kill -9 $d's $w, started again"
		stop9 "$d" "$w"
		sleep 0.$((RANDOM % 10))
		restart "$d" "$w"
		;;
	4)
		echo "  fault $FAULTS: the whole of $d killed (-9) and started again"
		for w in rbpd rbsd vrrpd cfgd; do stop9 "$d" "$w"; done
		sleep 1
		start_all "$d" >/dev/null 2>&1 || true
		;;
	5)
		w=$((2 + RANDOM % 3))
		echo "  fault $FAULTS: the RBS link cut for $w s"
		inns A ip link set eth2 down
		sleep "$w"
		inns A ip link set eth2 up
		;;
	6)
		# both master of both groups, the RBS channel alive
		# (docs/splitbrain.md): each side's churn goes on, as master
		w=$((3 + RANDOM % 4))
		echo "  fault $FAULTS: the user segment cut between A and B for $w s (split brain), then healed"
		isolate A on
		isolate B on
		sleep "$w"
		isolate A off
		isolate B off
		;;
	7)
		echo "  fault $FAULTS: netem on the RBS link for 5 s (5 % loss, 20 ms +- 10 ms, 10 % reordered)"
		inns A tc qdisc add dev eth2 root netem loss 5% delay 20ms 10ms reorder 10% 2>/dev/null
		sleep 5
		inns A tc qdisc del dev eth2 root 2>/dev/null
		;;
	esac
}

# check: every user whose last change was acknowledged is as that change
# left it, on both devices. Prints what it checked; 1 on the first loss.
check() {
	local d
	for d in A B; do
		jcli "$d" "display remote-backup-profile rbp1 users dhcp-server" |
			jq -r '.users[] | "\(.key) \(.data)"' | sort >"$ROOT/$d.table" || return 1
	done
	cat "$ROOT/A.churn" "$ROOT/B.churn" | awk -v ta="$ROOT/A.table" -v tb="$ROOT/B.table" '
		BEGIN {
			while ((getline l < ta) > 0) { split(l, f, " "); a[f[1]] = f[2] }
			while ((getline l < tb) > 0) { split(l, f, " "); b[f[1]] = f[2] }
		}
		# the last acknowledged change of each user, and whether a change
		# was tried after it (its fate is open: not checked)
		$1 == "try" { open[$3] = 1 }
		$1 == "ack" { last[$3] = $2; val[$3] = $4; open[$3] = 0 }
		END {
			for (k in last) {
				if (open[k]) { skipped++; continue }
				checked++
				if (last[k] == "add") {
					if (a[k] != val[k] || b[k] != val[k]) {
						if (lost < 20) printf "  LOST: %s added as %s (acknowledged); A holds \"%s\", B \"%s\"\n",
							k, val[k], a[k], b[k]
						lost++
					}
				} else if ((k in a) || (k in b)) {
					if (lost < 20) printf "  LOST: %s deleted (acknowledged) but A holds \"%s\", B \"%s\"\n",
						k, a[k], b[k]
					lost++
				}
			}
			printf "  users checked: %d (acknowledged last change), %d with a later change of open fate; lost: %d\n",
				checked, skipped, lost
			exit lost > 0
		}'
}

setup() {
	pair_with_host || return 1
	wait_until 20 settled
}

test_nothing_acknowledged_is_lost() {
	local t_end acks tries
	if inns A tc qdisc add dev eth2 root netem delay 1ms 2>/dev/null; then
		inns A tc qdisc del dev eth2 root
		NETEM=1
	fi
	echo "  seed $SEED, ${CHAOS_SECONDS} s of churn and faults, netem $([ $NETEM = 1 ] && echo yes || echo 'not in this kernel')"
	churn A 1 &
	DEV_PID[A.churn]=$!
	churn B 0 &
	DEV_PID[B.churn]=$!
	t_end=$((SECONDS + CHAOS_SECONDS))
	sleep 3
	while [ $SECONDS -lt "$t_end" ]; do
		one_fault
		wave
		sleep $((2 + RANDOM % 3))
	done
	touch "$ROOT/stop"
	wait "${DEV_PID[A.churn]}" "${DEV_PID[B.churn]}"
	unset "DEV_PID[A.churn]" "DEV_PID[B.churn]"
	# every daemon running, as after any repair
	for d in A B; do
		for w in cfgd vrrpd rbsd rbpd; do alive $d $w || restart $d $w; done
	done
	acks=$(grep -c "^ack" "$ROOT/A.churn" "$ROOT/B.churn" | awk -F: '{ s += $2 } END { print s }')
	tries=$(grep -c "^try" "$ROOT/A.churn" "$ROOT/B.churn" | awk -F: '{ s += $2 } END { print s }')
	echo "  $FAULTS faults; $tries changes tried, $acks acknowledged as backed up"
	if ! wait_until 90 settled; then
		echo "  not settled after 90 s: A vrid1 $(state A 1) vrid2 $(state A 2)," \
			"B vrid1 $(state B 1) vrid2 $(state B 2), channel A $(rbpj A .service.channel)" \
			"B $(rbpj B .service.channel), digests $(digest A) $(digest B)"
		check
		dump_state
		keep
		return 1
	fi
	echo "  settled: one master per group, channel up, digests equal ($(digest A))"
	check || { keep; return 1; }
	neigh_check || { keep; return 1; }
}

# dump_state: what a run that did not settle left, for the log: each
# device's channel and profile as JSON, and the end of its daemons' logs.
dump_state() {
	local d w
	for d in A B; do
		echo "  $d: display remote-backup-service:"
		jcli "$d" "display remote-backup-service" 2>&1 | jq -c . 2>&1 | sed 's/^/    /'
		echo "  $d: display remote-backup-profile rbp1:"
		jcli "$d" "display remote-backup-profile rbp1" 2>&1 | jq -c . 2>&1 | sed 's/^/    /'
		for w in cfgd vrrpd rbsd rbpd; do
			echo "  $d: the end of $w's log ($(alive "$d" "$w" && echo running || echo 'not running')):"
			tail -n 15 "$ROOT/$d/$w.log" | sed 's/^/    /'
		done
	done
}

# keep: with CHAOS_KEEP=DIR, the churn logs, tables and daemon logs of a
# failed run are copied there.
keep() {
	[ -n "${CHAOS_KEEP:-}" ] || return 0
	mkdir -p "$CHAOS_KEEP" && cp -r "$ROOT"/A "$ROOT"/B "$ROOT"/*.churn "$ROOT"/*.table "$CHAOS_KEEP/" 2>/dev/null
	echo "  kept in $CHAOS_KEEP"
}

if ! setup; then
	echo "not ok - setup: A and B with the spec's procedure, settled"
	exit 1
fi
echo "ok - setup: A and B with the spec's procedure, settled"
t "chaos: churn on both, random kills, link cuts and netem; nothing acknowledged is lost" \
	test_nothing_acknowledged_is_lost
t "SIGTERM stops every daemon with exit 0; no sanitizer report in any log" test_sigterm_and_clean_logs

echo "chaos integration: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
