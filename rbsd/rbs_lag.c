/* Replication lag from sampled push times (rbs_lag.h). */
#include "rbsd/rbs_lag.h"

#define AT(l, i) ((l)->s[((l)->head + (i)) % RBS_LAG_SAMPLES])

void rbs_lag_reset(struct rbs_lag *l)
{
	l->head = 0;
	l->n = 0;
}

void rbs_lag_pushed(struct rbs_lag *l, uint64_t seq, uint64_t now_ms)
{
	if (l->n && AT(l, l->n - 1).ms >= now_ms)
		return; /* this millisecond already has its sample */
	if (l->n == RBS_LAG_SAMPLES)
		return;
	AT(l, l->n).seq = seq;
	AT(l, l->n).ms = now_ms;
	l->n++;
}

void rbs_lag_acked(struct rbs_lag *l, uint64_t acked, uint64_t last)
{
	if (last <= acked) {
		rbs_lag_reset(l);
		return;
	}
	/* keep the newest sample at or below the oldest unacked entry */
	while (l->n > 1 && AT(l, 1).seq <= acked + 1) {
		l->head = (l->head + 1) % RBS_LAG_SAMPLES;
		l->n--;
	}
}

uint64_t rbs_lag_ms(const struct rbs_lag *l, uint64_t acked, uint64_t last, uint64_t now_ms)
{
	unsigned i = 0;

	if (last <= acked || l->n == 0 || AT(l, 0).seq > acked + 1)
		return 0; /* nothing waits, or pushed before sampling began */
	while (i + 1 < l->n && AT(l, i + 1).seq <= acked + 1)
		i++;
	return now_ms > AT(l, i).ms ? now_ms - AT(l, i).ms : 0;
}
