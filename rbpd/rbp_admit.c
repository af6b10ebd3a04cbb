/* What the peer may put into the kernel: see rbp_admit.h. */
#include <string.h>
#include <sys/socket.h>

#include "rbpd/rbp_admit.h"

static const char *const names[RBP_ADMIT_COUNT] = {
    [RBP_ADMIT_OK] = "ok",
    [RBP_ADMIT_NO_PROFILE] = "unknown-backup-id",
    [RBP_ADMIT_IFNAME_MISMATCH] = "key-interface-mismatch",
    [RBP_ADMIT_IFACE_OUTSIDE] = "interface-not-in-profile",
    [RBP_ADMIT_ADDR_NOT_UNICAST] = "address-not-unicast",
    [RBP_ADMIT_ADDR_OFF_SUBNET] = "address-off-subnet",
    [RBP_ADMIT_ADDR_LOCAL] = "address-is-local",
    [RBP_ADMIT_MAC_NOT_UNICAST] = "mac-not-unicast",
    [RBP_ADMIT_KERNEL_NOT_OURS] = "kernel-entry-not-ours",
    [RBP_ADMIT_TABLE_FULL] = "table-full",
    [RBP_ADMIT_KERNEL_FULL] = "kernel-installs-full",
    [RBP_ADMIT_VERSION_AHEAD] = "version-far-ahead",
};

const char *rbp_admit_name(enum rbp_admit r)
{
	return (unsigned)r < RBP_ADMIT_COUNT ? names[r] : "?";
}

bool rbp_admit_mac_unicast(const uint8_t mac[RBP_MAC_LEN])
{
	static const uint8_t zero[RBP_MAC_LEN];

	return !(mac[0] & 1) && memcmp(mac, zero, RBP_MAC_LEN) != 0;
}

bool rbp_admit_addr_unicast(int family, const uint8_t *a)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t zero[16];

	if (family == AF_INET)
		/* 0/8 "this network", 127/8 loopback, 224/4 multicast, 240/4
		 * reserved and 255.255.255.255 */
		return a[0] != 0 && a[0] != 127 && a[0] < 224;
	if (family != AF_INET6)
		return false;
	if (a[0] == 0xff)
		return false; /* multicast */
	if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
		return false; /* :: and ::1 */
	return memcmp(a, v4mapped, sizeof(v4mapped)) != 0;
}

enum rbp_admit rbp_admit_record(int family, const uint8_t *addr, const char *key_ifname,
				const struct rbp_user *u, const char (*ifaces)[RBP_IFNAME_MAX + 1],
				size_t nifaces)
{
	bool in = false;

	if (ifaces == NULL)
		return RBP_ADMIT_NO_PROFILE;
	if (strcmp(key_ifname, u->ifname) != 0)
		return RBP_ADMIT_IFNAME_MISMATCH;
	for (size_t i = 0; i < nifaces && !in; i++)
		in = strcmp(ifaces[i], key_ifname) == 0;
	if (!in)
		return RBP_ADMIT_IFACE_OUTSIDE;
	if (!rbp_admit_addr_unicast(family, addr))
		return RBP_ADMIT_ADDR_NOT_UNICAST;
	if (!rbp_admit_mac_unicast(u->mac))
		return RBP_ADMIT_MAC_NOT_UNICAST;
	return RBP_ADMIT_OK;
}

/* Whether a and b share their first len bits. */
static bool same_prefix(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned bytes = len / 8, bits = len % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	return ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

enum rbp_admit rbp_admit_prefix(int family, const uint8_t *addr, const struct rbp_prefix *pfx,
				size_t n)
{
	size_t alen = family == AF_INET ? 4 : 16;
	enum rbp_admit best = RBP_ADMIT_ADDR_OFF_SUBNET;

	if (family != AF_INET && family != AF_INET6)
		return RBP_ADMIT_ADDR_NOT_UNICAST;
	/* this device's own addresses first: an address of another prefix
	 * of the interface may fall inside a wider one */
	for (size_t i = 0; i < n; i++)
		if (pfx[i].family == family && memcmp(pfx[i].addr, addr, alen) == 0)
			return RBP_ADMIT_ADDR_LOCAL;
	for (size_t i = 0; i < n; i++) {
		unsigned len = pfx[i].len;

		if (pfx[i].family != family || len > alen * 8 ||
		    !same_prefix(pfx[i].addr, addr, len))
			continue;
		if (family == AF_INET && len <= 30) {
			/* the host part all ones (broadcast) or all zeros
			 * (the network, the old broadcast) */
			uint32_t a = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 |
				     (uint32_t)addr[2] << 8 | addr[3];
			uint32_t host = len == 0 ? 0xffffffffu : (1u << (32 - len)) - 1;

			if ((a & host) == host || (a & host) == 0) {
				best = RBP_ADMIT_ADDR_NOT_UNICAST;
				continue;
			}
		}
		return RBP_ADMIT_OK;
	}
	return best;
}

enum rbp_admit rbp_admit_kernel(const struct rbp_neigh *cur)
{
	if (cur == NULL || cur->protocol == RBP_NEIGH_PROTO)
		return RBP_ADMIT_OK;
	return RBP_ADMIT_KERNEL_NOT_OURS;
}
