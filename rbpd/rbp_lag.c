/* End-to-end replication lag (rbp_lag.h). */
#include "rbpd/rbp_lag.h"

static size_t index_of(uint64_t us)
{
	unsigned msb, octave;

	if (us < RBP_LAG_SUB)
		return (size_t)us;
	msb = 63u - (unsigned)__builtin_clzll(us); /* >= 5 */
	octave = msb - 5;
	if (octave >= RBP_LAG_OCTAVES)
		return RBP_LAG_BUCKETS - 1;
	return RBP_LAG_SUB + (size_t)octave * RBP_LAG_SUB + (size_t)((us >> octave) - RBP_LAG_SUB);
}

void rbp_lag_bucket(size_t i, uint64_t *lo, uint64_t *hi)
{
	size_t octave, m;

	if (i < RBP_LAG_SUB) {
		*lo = *hi = i;
		return;
	}
	octave = (i - RBP_LAG_SUB) / RBP_LAG_SUB;
	m = (i - RBP_LAG_SUB) % RBP_LAG_SUB + RBP_LAG_SUB;
	*lo = (uint64_t)m << octave;
	*hi = (((uint64_t)m + 1) << octave) - 1;
}

void rbp_lag_add(struct rbp_lag *l, uint64_t us)
{
	l->b[index_of(us)]++;
	l->count++;
	if (us > l->max_us)
		l->max_us = us;
}

uint64_t rbp_lag_quantile(const struct rbp_lag *l, double q)
{
	uint64_t want, seen = 0, lo, hi;

	if (l->count == 0)
		return 0;
	want = (uint64_t)(q * (double)l->count + 0.999999);
	if (want == 0)
		want = 1;
	for (size_t i = 0; i < RBP_LAG_BUCKETS; i++) {
		seen += l->b[i];
		if (seen >= want) {
			rbp_lag_bucket(i, &lo, &hi);
			return hi < l->max_us ? hi : l->max_us;
		}
	}
	return l->max_us;
}
