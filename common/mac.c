/* MAC addresses as operators write them: see mac.h. */
#include "common/mac.h"

#include <errno.h>
#include <string.h>

#include "common/hex.h"

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

int mac_parse(const char *s, uint8_t mac[MAC_LEN])
{
	uint8_t m[MAC_LEN];
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
		for (i = 0; i < MAC_LEN; i++) {
			if (i > 0 && s[3 * i - 1] != sep)
				return -EINVAL;
			if (hex_bytes(s + 3 * i, m + i, 1))
				return -EINVAL;
		}
	} else {
		return -EINVAL;
	}
	memcpy(mac, m, MAC_LEN);
	return 0;
}

char *mac_format(const uint8_t mac[MAC_LEN], char buf[MAC_STRLEN])
{
	static const char hex[] = "0123456789abcdef";
	char *p = buf;
	int i;

	for (i = 0; i < MAC_LEN; i++) {
		if (i == 2 || i == 4)
			*p++ = '-';
		*p++ = hex[mac[i] >> 4];
		*p++ = hex[mac[i] & 0xf];
	}
	*p = '\0';
	return buf;
}
