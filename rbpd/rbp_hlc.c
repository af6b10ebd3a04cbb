/* Versions of users' changes: rbp_hlc.h. */
#include "rbpd/rbp_hlc.h"

void rbp_hlc_init(struct rbp_hlc *c, uint64_t max_ahead_us)
{
	*c = (struct rbp_hlc){.max_ahead_us = max_ahead_us};
}

uint64_t rbp_hlc_now(const struct rbp_hlc *c, uint64_t phys_us)
{
	return phys_us > c->last ? phys_us : c->last;
}

static uint64_t after(uint64_t v)
{
	return v < UINT64_MAX ? v + 1 : UINT64_MAX;
}

uint64_t rbp_hlc_next(struct rbp_hlc *c, uint64_t phys_us, uint64_t held)
{
	uint64_t v = phys_us;

	if (v <= c->last)
		v = after(c->last);
	if (v <= held)
		v = after(held);
	c->last = v;
	return v;
}

bool rbp_hlc_observe(struct rbp_hlc *c, uint64_t phys_us, uint64_t v)
{
	/* Against the physical clock, not the HLC's reading: the reading
	 * moves past what the peer sends, and a bound on it would let the
	 * peer walk this clock forward by max_ahead_us per message. */
	if (phys_us <= UINT64_MAX - c->max_ahead_us && v > phys_us + c->max_ahead_us) {
		c->refused++;
		return false;
	}
	if (v > c->last)
		c->last = v;
	return true;
}
