/* Split brain seen from the RBS channel (rbp_dual.h). */
#include "rbpd/rbp_dual.h"

bool rbp_dual_peer_master(const struct rbp_peer_role *roles, size_t n, uint32_t backup_id,
			  uint32_t vrid, const char **ifname)
{
	for (size_t i = 0; i < n; i++)
		if (roles[i].backup_id == backup_id && roles[i].vrid == vrid && roles[i].master) {
			if (ifname)
				*ifname = roles[i].ifname;
			return true;
		}
	return false;
}

enum rbp_dual_change rbp_dual_update(struct rbp_dual *d, bool both_master, uint64_t now)
{
	if (both_master == (d->since != 0))
		return RBP_DUAL_SAME;
	if (both_master) {
		d->since = now ? now : 1;
		d->count++;
		return RBP_DUAL_BEGAN;
	}
	d->last_s = now > d->since ? now - d->since : 0;
	d->since = 0;
	return RBP_DUAL_ENDED;
}
