/* Anti-entropy's decisions (rbpd/rbp_ae.h): which side's state of a key
 * is newer, as the table decides on arrival, and which ranges differ. */
#include <check.h>
#include <stdlib.h>

#include "rbpd/rbp_ae.h"
#include "rbpd/user_table.h"
#include "tests/lib/checkrun.h"

static const struct rbp_ae_key none = {RBP_AE_NONE, 0};

static struct rbp_ae_key entry(uint64_t v)
{
	return (struct rbp_ae_key){RBP_AE_ENTRY, v};
}

static struct rbp_ae_key tomb(uint64_t v)
{
	return (struct rbp_ae_key){RBP_AE_TOMB, v};
}

START_TEST(the_larger_version_wins_and_anything_beats_nothing)
{
	ck_assert_int_eq(rbp_ae_newer(entry(5), entry(4)), RBP_AE_MINE);
	ck_assert_int_eq(rbp_ae_newer(entry(4), entry(5)), RBP_AE_THEIRS);
	ck_assert_int_eq(rbp_ae_newer(entry(5), entry(5)), RBP_AE_SAME);
	ck_assert_int_eq(rbp_ae_newer(entry(1), none), RBP_AE_MINE);
	ck_assert_int_eq(rbp_ae_newer(none, entry(1)), RBP_AE_THEIRS);
	ck_assert_int_eq(rbp_ae_newer(tomb(1), none), RBP_AE_MINE);
	ck_assert_int_eq(rbp_ae_newer(none, none), RBP_AE_SAME);
	/* an entry newer than a tombstone came back after the delete */
	ck_assert_int_eq(rbp_ae_newer(entry(7), tomb(6)), RBP_AE_MINE);
	ck_assert_int_eq(rbp_ae_newer(tomb(6), entry(7)), RBP_AE_THEIRS);
	ck_assert_int_eq(rbp_ae_newer(tomb(8), entry(7)), RBP_AE_MINE);
	ck_assert_int_eq(rbp_ae_newer(tomb(3), tomb(3)), RBP_AE_SAME);
}
END_TEST

START_TEST(at_one_version_the_delete_wins)
{
	ck_assert_int_eq(rbp_ae_newer(tomb(5), entry(5)), RBP_AE_MINE);
	ck_assert_int_eq(rbp_ae_newer(entry(5), tomb(5)), RBP_AE_THEIRS);
}
END_TEST

/* What the decision says is what the table does: the newer state, sent to
 * a table holding the older one, is applied; the older one, sent to a
 * table holding the newer, is not. */
static void hold(struct ut_table *t, struct rbp_ae_key k)
{
	struct ut_rec r = {UT_SVC_BRAS, UT_ORIGIN_PEER,	      k.version, (const uint8_t *)"k",
			   1,		(const uint8_t *)"p", 1};

	if (k.held == RBP_AE_ENTRY)
		ck_assert_int_eq(ut_upsert(t, &r), UT_APPLIED);
	else if (k.held == RBP_AE_TOMB)
		ck_assert_int_ge(ut_delete(t, UT_SVC_BRAS, "k", 1, k.version, UT_ORIGIN_PEER), 0);
}

/* Sends state k to table t as the peer would: whether t changed. */
static bool send(struct ut_table *t, struct rbp_ae_key k)
{
	struct ut_rec r = {UT_SVC_BRAS, UT_ORIGIN_PEER,	      k.version, (const uint8_t *)"k",
			   1,		(const uint8_t *)"p", 1};
	int rc = k.held == RBP_AE_ENTRY ? ut_upsert(t, &r)
		 : k.held == RBP_AE_TOMB
		     ? ut_delete(t, UT_SVC_BRAS, "k", 1, k.version, UT_ORIGIN_PEER)
		     : UT_STALE;

	return rc == UT_APPLIED || (rc == UT_NOENT && k.held == RBP_AE_TOMB);
}

START_TEST(the_decision_is_the_tables)
{
	struct rbp_ae_key ks[] = {none, entry(1), entry(2), tomb(1), tomb(2)};
	size_t n = sizeof(ks) / sizeof(ks[0]);

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			struct ut_table *t = ut_table_new(1, 100);
			enum rbp_ae_newer w = rbp_ae_newer(ks[i], ks[j]);
			uint64_t before;

			/* t holds j's state; i's is sent to it */
			hold(t, ks[j]);
			before = ut_version_held(t, UT_SVC_BRAS, "k", 1);
			if (w == RBP_AE_MINE)
				ck_assert_msg(send(t, ks[i]), "%zu over %zu not applied", i, j);
			else if (ks[i].held != RBP_AE_NONE)
				ck_assert_msg(!send(t, ks[i]) ||
						  ut_version_held(t, UT_SVC_BRAS, "k", 1) == before,
					      "%zu over %zu applied", i, j);
			ut_table_free(t);
		}
}
END_TEST

START_TEST(the_ranges_that_differ_in_order)
{
	uint64_t a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 3, 4, 0, 7};
	uint32_t out[6];

	ck_assert_uint_eq(rbp_ae_diff(a, b, 6, out), 3);
	ck_assert_uint_eq(out[0], 1);
	ck_assert_uint_eq(out[1], 4);
	ck_assert_uint_eq(out[2], 5);
	ck_assert_uint_eq(rbp_ae_diff(a, a, 6, out), 0);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    the_larger_version_wins_and_anything_beats_nothing,
	    at_one_version_the_delete_wins,
	    the_decision_is_the_tables,
	    the_ranges_that_differ_in_order,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests, .timeout = 30};

	return checkrun("rbp_ae", &core, 1);
}
