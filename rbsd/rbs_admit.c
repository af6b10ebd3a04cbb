#include "rbsd/rbs_admit.h"

enum rbs_admit_keep rbs_admit_up(bool authenticated, const struct rbs_admit_link *nl,
				 const struct rbs_admit_link *ol)
{
	/* Clear text: the live channel wins against anything new, which may
	 * be anyone able to send from the peer's address. Both devices see
	 * the established connection as established, so both keep it. */
	if (!authenticated) {
		if (ol->established)
			return RBS_ADMIT_KEEP_OLD;
		if (nl->established)
			return RBS_ADMIT_KEEP_NEW;
	}
	if (nl->preferred != ol->preferred)
		return nl->preferred ? RBS_ADMIT_KEEP_NEW : RBS_ADMIT_KEEP_OLD;
	/* Both or neither preferred (cannot happen between one pair of
	 * addresses): keep what works. */
	return RBS_ADMIT_KEEP_OLD;
}

enum rbs_admit_room rbs_admit_inbound(unsigned pending, unsigned free_slots, bool dial_open)
{
	unsigned usable = free_slots;

	if (!dial_open)
		usable = usable > 0 ? usable - 1 : 0; /* kept for this device's own dial */
	if (pending >= RBS_ADMIT_MAX_PENDING)
		return RBS_ADMIT_EVICT_OLDEST;
	if (usable > 0)
		return RBS_ADMIT_ACCEPT;
	return pending > 0 ? RBS_ADMIT_EVICT_OLDEST : RBS_ADMIT_REFUSE;
}

int rbs_admit_victim(const struct rbs_admit_pending *p, size_t n)
{
	int idle = -1, any = -1;

	for (size_t i = 0; i < n; i++) {
		if (any < 0 || p[i].opened_ms < p[any].opened_ms)
			any = (int)i;
		if (p[i].rx_bytes == 0 && (idle < 0 || p[i].opened_ms < p[idle].opened_ms))
			idle = (int)i;
	}
	return idle >= 0 ? idle : any;
}

bool rbs_admit_refuse_early(bool authenticated, bool established)
{
	return !authenticated && established;
}

bool rbs_ratelimit_ok(struct rbs_ratelimit *r, uint64_t now_ms, uint64_t *suppressed)
{
	if (r->next_ms != 0 && now_ms < r->next_ms) {
		r->suppressed++;
		r->total_suppressed++;
		return false;
	}
	*suppressed = r->suppressed;
	r->suppressed = 0;
	r->next_ms = now_ms + r->interval_ms;
	if (r->next_ms == 0)
		r->next_ms = 1;
	return true;
}
