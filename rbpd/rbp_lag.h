/*
 * Replication lag, end to end: for each change from the peer that this
 * device applies as it streams in (not in a batch), how long ago the peer
 * made it, from the change's version (a hybrid logical clock in
 * microseconds of the peer's wall clock, rbp_hlc.h) to this device's
 * wall clock once the change is in its table. On one machine (the
 * benchmarks) the two clocks are one; between devices, NTP's offset adds
 * to it.
 *
 * A log-linear histogram: exact below 32 us, then 32 buckets per power
 * of two (each within 1/32 of its values). Pure: the caller passes the
 * lag in microseconds.
 */
#ifndef DB_RBP_LAG_H
#define DB_RBP_LAG_H

#include <stddef.h>
#include <stdint.h>

#define RBP_LAG_SUB 32
/* lags up to 2^36 us (19 hours); longer ones count in the last bucket */
#define RBP_LAG_OCTAVES 31
#define RBP_LAG_BUCKETS (RBP_LAG_SUB + RBP_LAG_OCTAVES * RBP_LAG_SUB)

struct rbp_lag {
	uint64_t count, max_us;
	uint64_t b[RBP_LAG_BUCKETS];
};

void rbp_lag_add(struct rbp_lag *l, uint64_t us);

/* The lag that a fraction q (0 < q <= 1) of the changes stayed within: the
 * upper bound of the bucket where the q-th change falls (at most 1/32
 * above the truth; never above max_us). 0 with no change. */
uint64_t rbp_lag_quantile(const struct rbp_lag *l, double q);

/* Bucket i's values: lo .. hi, both included. */
void rbp_lag_bucket(size_t i, uint64_t *lo, uint64_t *hi);

#endif
