/* Who is master for a user: see rbp_role.h. */
#include <errno.h>
#include <string.h>

#include "rbpd/rbp_role.h"

enum rbp_parity rbp_mac_parity(const uint8_t mac[RBP_MAC_LEN])
{
	return mac[RBP_MAC_LEN - 1] & 1 ? RBP_PARITY_ODD : RBP_PARITY_EVEN;
}

int rbp_role_binding(const struct rbp_binding *b, size_t n, const uint8_t mac[RBP_MAC_LEN])
{
	enum rbp_parity p = rbp_mac_parity(mac);
	int found = -ENOENT;
	size_t i;

	if (b == NULL && n > 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if ((unsigned)b[i].parity > RBP_PARITY_ODD)
			return -EINVAL;
		if (b[i].parity != p)
			continue;
		if (found >= 0)
			return -EINVAL;
		found = (int)i;
	}
	return found;
}

enum rbp_role rbp_role_of_state(enum rbp_group_state s)
{
	return s == RBP_GROUP_MASTER ? RBP_ROLE_MASTER : RBP_ROLE_BACKUP;
}

int rbp_role_for_user(const struct rbp_binding *b, size_t n, const uint8_t mac[RBP_MAC_LEN],
		      enum rbp_role *role)
{
	int i = rbp_role_binding(b, n, mac);

	if (i < 0)
		return i;
	*role = rbp_role_of_state(b[i].state);
	return 0;
}

int rbp_group_state_of(Db__VrrpState s, enum rbp_group_state *out)
{
	switch (s) {
	case DB__VRRP_STATE__VRRP_STATE_INITIALIZE:
		*out = RBP_GROUP_INIT;
		return 0;
	case DB__VRRP_STATE__VRRP_STATE_BACKUP:
		*out = RBP_GROUP_BACKUP;
		return 0;
	case DB__VRRP_STATE__VRRP_STATE_MASTER:
		*out = RBP_GROUP_MASTER;
		return 0;
	default:
		return -EINVAL;
	}
}

const char *rbp_role_str(enum rbp_role r)
{
	switch (r) {
	case RBP_ROLE_MASTER:
		return "master";
	case RBP_ROLE_BACKUP:
		return "backup";
	}
	return "unknown";
}
