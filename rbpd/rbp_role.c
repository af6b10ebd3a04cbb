/* Who is master for a user: see rbp_role.h. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "common/hex.h"
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

/* Reads 2 * nbytes hex digits at s into out. Returns 0 or -EINVAL. */
static int hex_bytes(const char *s, uint8_t *out, int nbytes)
{
	int i, hi, lo;

	for (i = 0; i < nbytes; i++) {
		hi = hex_digit(s[2 * i]);
		lo = hi < 0 ? -1 : hex_digit(s[2 * i + 1]);
		if (lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int rbp_mac_parse(const char *s, uint8_t mac[RBP_MAC_LEN])
{
	uint8_t m[RBP_MAC_LEN];
	size_t len;
	int i;

	if (s == NULL)
		return -EINVAL;
	len = strlen(s);
	if (len == 14) {
		/* VRP: xxxx-xxxx-xxxx */
		if (s[4] != '-' || s[9] != '-')
			return -EINVAL;
		for (i = 0; i < 3; i++)
			if (hex_bytes(s + 5 * i, m + 2 * i, 2))
				return -EINVAL;
	} else if (len == 17) {
		/* xx:xx:xx:xx:xx:xx or xx-xx-xx-xx-xx-xx, one separator throughout */
		char sep = s[2];

		if (sep != ':' && sep != '-')
			return -EINVAL;
		for (i = 0; i < RBP_MAC_LEN; i++) {
			if (i > 0 && s[3 * i - 1] != sep)
				return -EINVAL;
			if (hex_bytes(s + 3 * i, m + i, 1))
				return -EINVAL;
		}
	} else {
		return -EINVAL;
	}
	memcpy(mac, m, RBP_MAC_LEN);
	return 0;
}

char *rbp_mac_format(const uint8_t mac[RBP_MAC_LEN], char buf[RBP_MAC_STRLEN])
{
	static const char hex[] = "0123456789abcdef";
	char *p = buf;
	int i;

	for (i = 0; i < RBP_MAC_LEN; i++) {
		if (i == 2 || i == 4)
			*p++ = '-';
		*p++ = hex[mac[i] >> 4];
		*p++ = hex[mac[i] & 0xf];
	}
	*p = '\0';
	return buf;
}

int rbp_group_state_parse(const char *s, enum rbp_group_state *out)
{
	if (s == NULL)
		return -EINVAL;
	if (strcasecmp(s, "Initialize") == 0)
		*out = RBP_GROUP_INIT;
	else if (strcasecmp(s, "Backup") == 0)
		*out = RBP_GROUP_BACKUP;
	else if (strcasecmp(s, "Master") == 0)
		*out = RBP_GROUP_MASTER;
	else
		return -EINVAL;
	return 0;
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
