/* The RBS channel's replication lag: the age of the oldest entry the peer
 * has not acknowledged, from sampled push times. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "rbsd/rbs_lag.h"
#include "tests/lib/checkrun.h"

static struct rbs_lag lag;

static void setup(void)
{
	rbs_lag_reset(&lag);
}

START_TEST(nothing_waiting_is_no_lag)
{
	ck_assert_uint_eq(rbs_lag_ms(&lag, 0, 0, 5000), 0);
	rbs_lag_pushed(&lag, 1, 1000);
	ck_assert_uint_eq(rbs_lag_ms(&lag, 1, 1, 5000), 0);
}
END_TEST

START_TEST(the_lag_is_the_age_of_the_oldest_unacknowledged_entry)
{
	rbs_lag_pushed(&lag, 1, 1000);
	rbs_lag_pushed(&lag, 2, 1000);
	rbs_lag_pushed(&lag, 3, 1040);
	rbs_lag_pushed(&lag, 4, 1100);
	ck_assert_uint_eq(rbs_lag_ms(&lag, 0, 4, 1200), 200);
	ck_assert_uint_eq(rbs_lag_ms(&lag, 1, 4, 1200), 200); /* seq 2: same ms as 1 */
	ck_assert_uint_eq(rbs_lag_ms(&lag, 2, 4, 1200), 160);
	ck_assert_uint_eq(rbs_lag_ms(&lag, 3, 4, 1300), 200);
	ck_assert_uint_eq(rbs_lag_ms(&lag, 4, 4, 1300), 0);
}
END_TEST

START_TEST(entries_pushed_in_one_millisecond_share_its_sample)
{
	for (uint64_t s = 1; s <= 10000; s++)
		rbs_lag_pushed(&lag, s, 7000 + s / 1000);
	/* seq 2500 was pushed at 7002 (the sample of that ms is seq 2000) */
	ck_assert_uint_eq(rbs_lag_ms(&lag, 2499, 10000, 8000), 998);
	ck_assert_uint_eq(rbs_lag_ms(&lag, 9999, 10000, 8000), 990);
}
END_TEST

START_TEST(acks_never_make_the_lag_grow_older)
{
	uint64_t prev = UINT64_MAX, l;

	for (uint64_t s = 1; s <= 100; s++)
		rbs_lag_pushed(&lag, s, s * 10);
	for (uint64_t a = 0; a < 100; a++) {
		rbs_lag_acked(&lag, a, 100);
		l = rbs_lag_ms(&lag, a, 100, 2000);
		ck_assert_uint_le(l, prev);
		ck_assert_uint_eq(l, 2000 - (a + 1) * 10);
		prev = l;
	}
}
END_TEST

/* Past RBS_LAG_SAMPLES milliseconds of pushes with nothing acknowledged,
 * later pushes go unsampled: the lag reads older than the truth, never
 * younger. */
START_TEST(when_samples_run_out_the_lag_errs_old)
{
	uint64_t n = RBS_LAG_SAMPLES + 100, truth, got;

	for (uint64_t s = 1; s <= n; s++)
		rbs_lag_pushed(&lag, s, s);
	ck_assert_uint_eq(rbs_lag_ms(&lag, 0, n, n + 1), n);
	truth = (n + 1) - (RBS_LAG_SAMPLES + 50);
	got = rbs_lag_ms(&lag, RBS_LAG_SAMPLES + 49, n, n + 1);
	ck_assert_uint_ge(got, truth);
	ck_assert_uint_eq(rbs_lag_ms(&lag, n, n, n + 1), 0);
	rbs_lag_acked(&lag, n, n);
	/* and sampling starts again once everything was acknowledged */
	rbs_lag_pushed(&lag, n + 1, n + 10);
	ck_assert_uint_eq(rbs_lag_ms(&lag, n, n + 1, n + 15), 5);
}
END_TEST

START_TEST(a_clock_that_did_not_move_is_no_negative_lag)
{
	rbs_lag_pushed(&lag, 1, 500);
	ck_assert_uint_eq(rbs_lag_ms(&lag, 0, 1, 400), 0);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    nothing_waiting_is_no_lag,
	    the_lag_is_the_age_of_the_oldest_unacknowledged_entry,
	    entries_pushed_in_one_millisecond_share_its_sample,
	    acks_never_make_the_lag_grow_older,
	    when_samples_run_out_the_lag_errs_old,
	    a_clock_that_did_not_move_is_no_negative_lag,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests, .setup = setup};

	return checkrun("rbs_lag", &core, 1);
}
