/* Who keeps a slot of an RBS channel and which connection survives: a
 * clear-text connection from the peer's address never displaces the
 * established channel, both devices still keep the same connection, at
 * most two inbound handshakes at once with a slot kept for this device's
 * own dial, and refusals are logged at most once per interval. */
#include <check.h>
#include <stdlib.h>

#include "rbsd/rbs_admit.h"
#include "tests/lib/checkrun.h"

static const struct rbs_admit_link established_inbound = {false, true, true};

START_TEST(clear_text_inbound_from_the_peer_address_never_displaces_the_established_channel)
{
	/* The lower-address side prefers inbound connections: a rogue one
	 * is "preferred" by the tie-break, and still loses. */
	struct rbs_admit_link rogue = {false, false, true};

	ck_assert_int_eq(rbs_admit_up(false, &rogue, &established_inbound), RBS_ADMIT_KEEP_OLD);
	ck_assert(rbs_admit_refuse_early(false, true));
}
END_TEST

START_TEST(clear_text_both_devices_keep_the_established_connection)
{
	/* Connection X is established, then the other one, Y, comes up.
	 * Whichever device dialed X, and whichever the tie-break prefers,
	 * the lower-address device L and the greater G both keep X. At L an
	 * inbound connection is the preferred one, at G an outbound one. */
	struct rbs_admit_link l_x = {false, true, true}, l_y = {true, false, false};
	struct rbs_admit_link g_x = {true, true, true}, g_y = {false, false, false};
	struct rbs_admit_link l_x2 = {true, true, false}, l_y2 = {false, false, true};
	struct rbs_admit_link g_x2 = {false, true, false}, g_y2 = {true, false, true};

	ck_assert_int_eq(rbs_admit_up(false, &l_y, &l_x), RBS_ADMIT_KEEP_OLD);
	ck_assert_int_eq(rbs_admit_up(false, &g_y, &g_x), RBS_ADMIT_KEEP_OLD);
	ck_assert_int_eq(rbs_admit_up(false, &l_y2, &l_x2), RBS_ADMIT_KEEP_OLD);
	ck_assert_int_eq(rbs_admit_up(false, &g_y2, &g_x2), RBS_ADMIT_KEEP_OLD);
}
END_TEST

START_TEST(before_anything_is_established_the_tie_break_decides_on_both_sides)
{
	/* Crossing dials: L keeps its inbound, G its outbound: the same one. */
	struct rbs_admit_link l_in = {false, false, true}, l_out = {true, false, false};
	struct rbs_admit_link g_in = {false, false, false}, g_out = {true, false, true};

	for (int tls = 0; tls < 2; tls++) {
		ck_assert_int_eq(rbs_admit_up(tls, &l_in, &l_out), RBS_ADMIT_KEEP_NEW);
		ck_assert_int_eq(rbs_admit_up(tls, &l_out, &l_in), RBS_ADMIT_KEEP_OLD);
		ck_assert_int_eq(rbs_admit_up(tls, &g_in, &g_out), RBS_ADMIT_KEEP_OLD);
		ck_assert_int_eq(rbs_admit_up(tls, &g_out, &g_in), RBS_ADMIT_KEEP_NEW);
	}
}
END_TEST

START_TEST(with_tls_only_a_verified_connection_reaches_the_tie_break)
{
	/* rbs_admit_up() is asked only once TLS verified the peer: a
	 * verified reconnect of the real peer may take over as the
	 * tie-break says (its old connection may be dead already). */
	struct rbs_admit_link verified = {false, false, true};
	struct rbs_admit_link old_out = {true, true, false};

	ck_assert_int_eq(rbs_admit_up(true, &verified, &old_out), RBS_ADMIT_KEEP_NEW);
	ck_assert_int_eq(rbs_admit_up(true, &(struct rbs_admit_link){false, false, false},
				      &(struct rbs_admit_link){true, true, true}),
			 RBS_ADMIT_KEEP_OLD);
	/* With TLS nothing is refused before its handshake. */
	ck_assert(!rbs_admit_refuse_early(true, true));
	ck_assert(!rbs_admit_refuse_early(false, false));
}
END_TEST

START_TEST(at_most_two_inbound_handshakes_the_oldest_goes)
{
	/* four slots: one active, one own dial, two for inbound */
	ck_assert_int_eq(rbs_admit_inbound(0, 2, true), RBS_ADMIT_ACCEPT);
	ck_assert_int_eq(rbs_admit_inbound(1, 1, true), RBS_ADMIT_ACCEPT);
	ck_assert_int_eq(rbs_admit_inbound(2, 0, true), RBS_ADMIT_EVICT_OLDEST);
	/* plenty of room does not lift the bound */
	ck_assert_int_eq(rbs_admit_inbound(2, 10, false), RBS_ADMIT_EVICT_OLDEST);
	ck_assert_int_eq(rbs_admit_inbound(RBS_ADMIT_MAX_PENDING, 3, true), RBS_ADMIT_EVICT_OLDEST);
}
END_TEST

START_TEST(the_oldest_silent_handshake_is_pushed_out_first)
{
	/* half-open connections say nothing; the real peer's ClientHello
	 * arrives at once: it survives a flood of half-open ones */
	struct rbs_admit_pending p[] = {{100, 517}, {200, 0}, {150, 0}};
	struct rbs_admit_pending talking[] = {{300, 10}, {100, 20}};

	ck_assert_int_eq(rbs_admit_victim(p, 3), 2);
	ck_assert_int_eq(rbs_admit_victim(p, 1), 0);
	ck_assert_int_eq(rbs_admit_victim(talking, 2), 1);
	ck_assert_int_eq(rbs_admit_victim(p, 0), -1);
}
END_TEST

START_TEST(one_slot_stays_for_this_devices_own_dial)
{
	/* not dialing now: the last free slot is not given away */
	ck_assert_int_eq(rbs_admit_inbound(0, 1, false), RBS_ADMIT_REFUSE);
	ck_assert_int_eq(rbs_admit_inbound(1, 1, false), RBS_ADMIT_EVICT_OLDEST);
	ck_assert_int_eq(rbs_admit_inbound(0, 2, false), RBS_ADMIT_ACCEPT);
	/* dialing: its slot is taken already, every free one may be used */
	ck_assert_int_eq(rbs_admit_inbound(0, 1, true), RBS_ADMIT_ACCEPT);
	ck_assert_int_eq(rbs_admit_inbound(0, 0, true), RBS_ADMIT_REFUSE);
}
END_TEST

START_TEST(refusals_are_logged_once_per_interval_with_the_count_of_the_rest)
{
	struct rbs_ratelimit r = {.interval_ms = 5000};
	uint64_t sup = 99;

	ck_assert(rbs_ratelimit_ok(&r, 1000, &sup));
	ck_assert_uint_eq(sup, 0);
	for (int i = 0; i < 100; i++)
		ck_assert(!rbs_ratelimit_ok(&r, 1000 + (uint64_t)i * 40, &sup));
	ck_assert(rbs_ratelimit_ok(&r, 6000, &sup));
	ck_assert_uint_eq(sup, 100);
	ck_assert(!rbs_ratelimit_ok(&r, 6001, &sup));
	ck_assert(rbs_ratelimit_ok(&r, 20000, &sup));
	ck_assert_uint_eq(sup, 1);
	ck_assert_uint_eq(r.total_suppressed, 101);
	/* a clock at 0 still logs the first event */
	struct rbs_ratelimit z = {.interval_ms = 1000};
	ck_assert(rbs_ratelimit_ok(&z, 0, &sup));
	ck_assert(!rbs_ratelimit_ok(&z, 0, &sup));
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    clear_text_inbound_from_the_peer_address_never_displaces_the_established_channel,
	    clear_text_both_devices_keep_the_established_connection,
	    before_anything_is_established_the_tie_break_decides_on_both_sides,
	    with_tls_only_a_verified_connection_reaches_the_tie_break,
	    at_most_two_inbound_handshakes_the_oldest_goes,
	    one_slot_stays_for_this_devices_own_dial,
	    the_oldest_silent_handshake_is_pushed_out_first,
	    refusals_are_logged_once_per_interval_with_the_count_of_the_rest,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbs_admit", &core, 1);
}
