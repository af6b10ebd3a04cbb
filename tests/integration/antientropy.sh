#!/usr/bin/env bash
# Anti-entropy (docs/antientropy.md): while the RBS channel is up, the two
# tables are compared every few seconds, coarse to fine, and only what
# differs is sent. A and B run the spec's procedure and hold N_API API
# users (100,000 by default), half mastered on each. Then B's table loses
# 1 % of its users behind everyone's back (a test hook of rbpd: nothing is
# deleted, nothing is sent), and within 10 s both tables are whole again,
# by resending about as many entries as were lost, not the table.
#
# (The kernel side, a backup install deleted with `ip neigh del` and put
# back, is proven in users.sh.)
#
#   bash tests/integration/antientropy.sh [BUILDDIR]    (root; ONLY=regex)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build}/bin" && pwd)
. "$HERE/lib.sh"

N_API=${N_API:-100000}
trap 'restore_gc; cleanup' EXIT

procedure() { demo_procedure "$1" "s|delay 600|delay 0|" "s|delay-time 10|delay-time 2|"; }

digest() { rbpj "$1" .service.table.digest; }
users() { rbpj "$1" .service.table.users; }
same_digest() { [ -n "$(digest A)" ] && [ "$(digest A)" = "$(digest B)" ]; }
ae() { rbpj "$1" ".service.antientropy.$2"; }
# masters DEV: the dhcp-server users DEV is master of
masters() { rbpj "$1" '.users["dhcp-server"].master'; }

setup() {
	# B's rbpd drops 10 per mille of its table on SIGUSR2
	DEV_ENV[B.rbpd]="DB_TEST_DROP_PERMILLE=10"
	pair_with_host || return 1
	wait_until 20 vrrp_is A 1 Master && wait_until 20 vrrp_is B 2 Master &&
		wait_until 15 chan_up A && wait_until 15 chan_up B || return 1
	gen_users 1 >"$ROOT/A.users" && gen_users 0 >"$ROOT/B.users"
	"$BIN/dbuser" -r "$(run_dir A)" load "$ROOT/A.users" >/dev/null &&
		"$BIN/dbuser" -r "$(run_dir B)" load "$ROOT/B.users" >/dev/null || return 1
	wait_until 60 eval '[ "$(users A)" = "$N_API" ] && same_digest' ||
		{ echo "  A $(users A) $(digest A), B $(users B) $(digest B)"; return 1; }
}

# Agreeing tables: each side compares the other's digests every 5 s, finds
# them equal, and sends nothing.
test_agreeing_tables_are_compared_and_nothing_is_sent() {
	local a0 b0 ra rb
	# (a round during the load may have found changes in flight and
	# resent them: from here on the tables agree, and nothing is sent)
	a0=$(ae A compared) b0=$(ae B compared)
	ra=$(ae A entries_resent) rb=$(ae B entries_resent)
	wait_until 12 eval '[ "$(ae A compared)" -gt "$a0" ] && [ "$(ae B compared)" -gt "$b0" ]' ||
		{ rbpj A .service.antientropy; return 1; }
	[ "$(ae A last_agreed)" = true ] && [ "$(ae B last_agreed)" = true ] &&
		[ "$(ae A entries_resent)" = "$ra" ] && [ "$(ae B entries_resent)" = "$rb" ] ||
		{ rbpj A .service.antientropy; rbpj B .service.antientropy; return 1; }
	cli A -c "display remote-backup-profile rbp1" |
		grep -q "Anti-entropy *: last compared .*, agreed; rounds [1-9]" ||
		{ cli A -c "display remote-backup-profile rbp1"; return 1; }
}

# B loses 1 % of its table: its own users and A's copies alike. Both
# tables are whole again within 10 s; A resends about what B lost; B is
# master again of the users of its own it lost (A gave them back).
test_a_table_that_loses_users_is_repaired_with_what_it_lost() {
	local t0 t1 lost resent masters_b RESENT0
	masters_b=$(masters B)
	RESENT0=$(($(ae A entries_resent) + $(ae B entries_resent)))
	t0=$(date +%s%N)
	inns B kill -USR2 "${DEV_PID[B.rbpd]}" || return 1
	wait_until 5 grep -q "users dropped from the table, nobody told" "$ROOT/B/rbpd.log" ||
		{ tail -3 "$ROOT/B/rbpd.log"; return 1; }
	lost=$(sed -n 's/.*: \([0-9]*\) of [0-9]* users dropped from the table, nobody told.*/\1/p' \
		"$ROOT/B/rbpd.log" | tail -1)
	[ "$lost" -ge $((N_API / 200)) ] || { echo "  B lost only $lost users"; return 1; }
	wait_until 10 eval '[ "$(users B)" = "$N_API" ] && same_digest' ||
		{ echo "  after 10 s: B holds $(users B) of $N_API"; rbpj B .service.antientropy; return 1; }
	t1=$(date +%s%N)
	resent=$(($(ae A entries_resent) + $(ae B entries_resent) - RESENT0))
	echo "  B lost $lost of $N_API users; whole again after $(((t1 - t0) / 1000000)) ms," \
		"$resent entries resent; buckets differing $(($(ae A buckets_differing) + $(ae B buckets_differing)))," \
		"leaves $(($(ae A leaves_differing) + $(ae B leaves_differing)))"
	[ "$resent" -ge "$lost" ] && [ "$resent" -le $((lost + lost / 2 + 20)) ] ||
		{ echo "  resent $resent for $lost lost"; return 1; }
	[ "$(masters B)" = "$masters_b" ] || { echo "  B master of $(masters B), was $masters_b"; return 1; }
	[ "$(ae A whole_exchanges)" = 0 ] && [ "$(ae B whole_exchanges)" = 0 ] ||
		{ echo "  a whole exchange was needed"; return 1; }
}

t setup setup || exit 1
t agreeing_tables_are_compared_and_nothing_is_sent \
	test_agreeing_tables_are_compared_and_nothing_is_sent
t a_table_that_loses_users_is_repaired_with_what_it_lost \
	test_a_table_that_loses_users_is_repaired_with_what_it_lost
t sigterm_and_clean_logs test_sigterm_and_clean_logs
echo "# antientropy: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
