/* Versions that do not depend on the wall clock (rbp_hlc.h): the tests
 * drive the physical clock by hand, step it back, and play a peer whose
 * clock is ahead, or hostile. */
#include <check.h>
#include <stdlib.h>

#include "rbpd/rbp_hlc.h"
#include "rbpd/user_table.h"
#include "tests/lib/checkrun.h"

#define DAY_US (24ull * 3600 * 1000000)
#define T0 1796330000000000ull /* a December 2026 wall clock, in microseconds */

START_TEST(versions_follow_a_clock_that_moves_forward)
{
	struct rbp_hlc c;

	rbp_hlc_init(&c, DAY_US);
	ck_assert_uint_eq(rbp_hlc_next(&c, T0, 0), T0);
	ck_assert_uint_eq(rbp_hlc_next(&c, T0 + 10, 0), T0 + 10);
	/* two changes in the same microsecond still get two versions */
	ck_assert_uint_eq(rbp_hlc_next(&c, T0 + 10, 0), T0 + 11);
	ck_assert_uint_eq(rbp_hlc_now(&c, T0 + 500), T0 + 500);
}
END_TEST

START_TEST(a_clock_stepped_back_never_makes_a_newer_change_lose)
{
	struct rbp_hlc c;
	uint64_t before, after;

	rbp_hlc_init(&c, DAY_US);
	before = rbp_hlc_next(&c, T0, 0);
	/* NTP steps the clock back an hour */
	after = rbp_hlc_next(&c, T0 - 3600ull * 1000000, 0);
	ck_assert_uint_gt(after, before);
	ck_assert_uint_eq(rbp_hlc_now(&c, T0 - 3600ull * 1000000), after);
	/* and once the clock has caught up, it leads again */
	ck_assert_uint_eq(rbp_hlc_next(&c, T0 + 1000, 0), T0 + 1000);
}
END_TEST

START_TEST(a_change_after_the_peers_is_newer_whatever_the_clocks_say)
{
	struct rbp_hlc c;
	uint64_t peer = T0 + 3600ull * 1000000; /* the peer's clock is an hour ahead */

	rbp_hlc_init(&c, DAY_US);
	ck_assert(rbp_hlc_observe(&c, T0, peer));
	/* a change here, a second later by this clock, comes after the peer's */
	ck_assert_uint_gt(rbp_hlc_next(&c, T0 + 1000000, 0), peer);
	/* an older version from the peer moves nothing back */
	ck_assert(rbp_hlc_observe(&c, T0, T0 - 5));
	ck_assert_uint_gt(rbp_hlc_now(&c, T0), peer);
	ck_assert_uint_eq(c.refused, 0);
}
END_TEST

START_TEST(a_version_beyond_the_bound_is_refused_and_moves_nothing)
{
	struct rbp_hlc c;

	rbp_hlc_init(&c, DAY_US);
	ck_assert(rbp_hlc_observe(&c, T0, T0 + DAY_US));
	ck_assert(!rbp_hlc_observe(&c, T0, T0 + DAY_US + 1));
	ck_assert(!rbp_hlc_observe(&c, T0, UINT64_MAX));
	ck_assert_uint_eq(c.refused, 2);
	ck_assert_uint_eq(rbp_hlc_now(&c, T0), T0 + DAY_US);
}
END_TEST

/* A hostile peer sends each version a day beyond the last one this device
 * gave out, which it learns from the channel: were the bound taken from
 * the clock's reading, every step would be admitted. It is taken from the
 * physical clock, so the second step is refused. */
START_TEST(a_peer_cannot_walk_the_clock_forward)
{
	struct rbp_hlc c;
	uint64_t mine;
	int i, taken = 0;

	rbp_hlc_init(&c, DAY_US);
	for (i = 0; i < 10; i++) {
		mine = rbp_hlc_next(&c, T0 + (uint64_t)i, 0);
		taken += rbp_hlc_observe(&c, T0 + (uint64_t)i, mine + DAY_US);
	}
	ck_assert_int_eq(taken, 1);
	ck_assert_uint_le(rbp_hlc_now(&c, T0), T0 + DAY_US + 10);
}
END_TEST

START_TEST(versions_never_wrap)
{
	struct rbp_hlc c;

	rbp_hlc_init(&c, DAY_US);
	ck_assert_uint_eq(rbp_hlc_next(&c, T0, UINT64_MAX - 1), UINT64_MAX);
	ck_assert_uint_eq(rbp_hlc_next(&c, T0, 0), UINT64_MAX);
	ck_assert_uint_eq(rbp_hlc_next(&c, T0, UINT64_MAX), UINT64_MAX);
	/* a physical clock at its end takes every version: nothing wraps */
	rbp_hlc_init(&c, DAY_US);
	ck_assert(rbp_hlc_observe(&c, UINT64_MAX - 1, UINT64_MAX));
}
END_TEST

/* With the user table: the peer deletes a user (its tombstone carries the
 * peer's version), this device's clock is then stepped back a day, and a
 * local change of the same user comes after the delete, as it did. */
START_TEST(a_local_change_after_a_delete_is_versioned_after_the_tombstone)
{
	struct ut_table *t = ut_table_new(1, 100);
	struct rbp_hlc c;
	uint8_t key[6] = {2, 0xdb, 0, 0, 0, 1};
	uint8_t pl[4] = {1, 2, 3, 4};
	struct ut_rec in = {.type = UT_SVC_ARP,
			    .key = key,
			    .key_len = sizeof(key),
			    .payload = pl,
			    .payload_len = sizeof(pl),
			    .origin = UT_ORIGIN_LOCAL};
	uint64_t del = T0 + 3600ull * 1000000;

	ck_assert_ptr_nonnull(t);
	rbp_hlc_init(&c, DAY_US);
	in.version = rbp_hlc_next(&c, T0, 0);
	ck_assert_int_eq(ut_upsert(t, &in), UT_APPLIED);
	ck_assert(rbp_hlc_observe(&c, T0, del));
	ck_assert_int_eq(ut_delete(t, UT_SVC_ARP, key, sizeof(key), del, UT_ORIGIN_PEER),
			 UT_APPLIED);
	in.version =
	    rbp_hlc_next(&c, T0 - DAY_US, ut_version_held(t, UT_SVC_ARP, key, sizeof(key)));
	ck_assert_uint_gt(in.version, del);
	ck_assert_int_eq(ut_upsert(t, &in), UT_APPLIED);
	ut_table_free(t);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    versions_follow_a_clock_that_moves_forward,
	    a_clock_stepped_back_never_makes_a_newer_change_lose,
	    a_change_after_the_peers_is_newer_whatever_the_clocks_say,
	    a_version_beyond_the_bound_is_refused_and_moves_nothing,
	    a_peer_cannot_walk_the_clock_forward,
	    versions_never_wrap,
	    a_local_change_after_a_delete_is_versioned_after_the_tombstone,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbp_hlc", &core, 1);
}
