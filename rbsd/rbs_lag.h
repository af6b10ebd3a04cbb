/*
 * Replication lag of the RBS channel: how long the oldest entry the peer
 * has not acknowledged has been waiting since it was pushed. Pure: the
 * caller passes the time in ms.
 *
 * The window itself keeps no times. Instead, the first push in each
 * millisecond records a sample (seq, ms); an entry was pushed no earlier
 * than the newest sample at or below its seq, so the lag is
 *
 *     now - time of the newest sample with seq <= acked + 1
 *
 * exact to the millisecond while samples fit. When they do not (a
 * steady stream for longer than RBS_LAG_SAMPLES ms with nothing
 * acknowledged), pushes are left unsampled: the lag reads older, never
 * younger, than the truth.
 */
#ifndef DB_RBS_LAG_H
#define DB_RBS_LAG_H

#include <stdint.h>

#define RBS_LAG_SAMPLES 4096

struct rbs_lag {
	struct {
		uint64_t seq, ms;
	} s[RBS_LAG_SAMPLES];
	unsigned head, n; /* the oldest sample is s[head] */
};

void rbs_lag_reset(struct rbs_lag *l);
/* seq was pushed at now_ms. */
void rbs_lag_pushed(struct rbs_lag *l, uint64_t seq, uint64_t now_ms);
/* The peer acknowledged every seq up to acked; last is the newest pushed:
 * forget the samples no longer needed. */
void rbs_lag_acked(struct rbs_lag *l, uint64_t acked, uint64_t last);
/* The lag in ms: 0 when nothing waits (acked == last). */
uint64_t rbs_lag_ms(const struct rbs_lag *l, uint64_t acked, uint64_t last, uint64_t now_ms);

#endif
