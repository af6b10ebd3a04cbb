/* End-to-end replication lag (rbpd/rbp_lag.h): the quantiles an operator
 * and the benchmarks read, against the exact ones of the same lags. */
#include <check.h>
#include <stdlib.h>

#include "rbpd/rbp_lag.h"
#include "tests/lib/checkrun.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

START_TEST(nothing_seen_reads_zero)
{
	struct rbp_lag l = {0};

	ck_assert_uint_eq(rbp_lag_quantile(&l, 0.5), 0);
	ck_assert_uint_eq(rbp_lag_quantile(&l, 0.99), 0);
}
END_TEST

START_TEST(small_lags_are_exact_and_the_largest_is_the_max)
{
	struct rbp_lag l = {0};

	for (uint64_t us = 1; us <= 10; us++)
		rbp_lag_add(&l, us);
	ck_assert_uint_eq(l.count, 10);
	ck_assert_uint_eq(rbp_lag_quantile(&l, 0.5), 5);
	ck_assert_uint_eq(rbp_lag_quantile(&l, 0.9), 9);
	ck_assert_uint_eq(rbp_lag_quantile(&l, 1.0), 10);
	ck_assert_uint_eq(l.max_us, 10);
}
END_TEST

START_TEST(quantiles_are_within_a_32nd_above_the_exact_ones)
{
	static uint64_t v[20000];
	struct rbp_lag l = {0};
	const double qs[] = {0.5, 0.9, 0.99, 0.999, 1.0};

	srandom(7);
	for (size_t i = 0; i < 20000; i++) {
		/* from microseconds to a minute, spread over the octaves */
		v[i] = (uint64_t)random() % (1u << (1 + random() % 26));
		rbp_lag_add(&l, v[i]);
	}
	qsort(v, 20000, sizeof(v[0]), cmp_u64);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		size_t at = (size_t)(qs[k] * 20000 + 0.999999) - 1;
		uint64_t exact = v[at], got = rbp_lag_quantile(&l, qs[k]);

		ck_assert_msg(got >= exact && got <= exact + exact / 32 + 1,
			      "q %.3f: %llu for exact %llu", qs[k], (unsigned long long)got,
			      (unsigned long long)exact);
	}
}
END_TEST

START_TEST(buckets_cover_every_value_once)
{
	uint64_t prev_hi = 0, lo, hi;

	for (size_t i = 0; i < RBP_LAG_BUCKETS; i++) {
		rbp_lag_bucket(i, &lo, &hi);
		ck_assert_uint_eq(lo, i == 0 ? 0 : prev_hi + 1);
		ck_assert_uint_ge(hi, lo);
		prev_hi = hi;
	}
	/* a lag beyond the last bucket counts there, and as the max */
	{
		struct rbp_lag l = {0};

		rbp_lag_add(&l, UINT64_MAX);
		ck_assert_uint_eq(l.b[RBP_LAG_BUCKETS - 1], 1);
		ck_assert_uint_eq(rbp_lag_quantile(&l, 0.5), prev_hi);
	}
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    nothing_seen_reads_zero,
	    small_lags_are_exact_and_the_largest_is_the_max,
	    quantiles_are_within_a_32nd_above_the_exact_ones,
	    buckets_cover_every_value_once,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbp_lag", &core, 1);
}
