/* rbpd's user record and neighbour keys: see rbp_rec.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "rbpd/rbp_rec.h"

static size_t name_len(const char *s)
{
	size_t n = strnlen(s, RBP_IFNAME_MAX + 1);

	return n >= 1 && n <= RBP_IFNAME_MAX ? n : 0;
}

/* A name the peer sent: printable, no '/' (never a path), no spaces. */
static int name_ok(const uint8_t *p, size_t n)
{
	if (n < 1 || n > RBP_IFNAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] >= 0x7f || p[i] == '/')
			return 0;
	return 1;
}

size_t rbp_rec_len(const struct rbp_user *u)
{
	size_t n = name_len(u->ifname);

	if (n == 0 || u->data_len > RBP_REC_DATA_MAX || (u->data_len && u->data == NULL))
		return 0;
	return RBP_REC_HDR(n) + u->data_len;
}

int rbp_rec_encode(const struct rbp_user *u, uint8_t *buf, size_t cap)
{
	size_t n = name_len(u->ifname), len = rbp_rec_len(u);

	if (len == 0 || !name_ok((const uint8_t *)u->ifname, n))
		return -EINVAL;
	if (len > cap)
		return -ENOSPC;
	buf[0] = RBP_REC_FORMAT;
	buf[1] = (uint8_t)(u->backup_id >> 24);
	buf[2] = (uint8_t)(u->backup_id >> 16);
	buf[3] = (uint8_t)(u->backup_id >> 8);
	buf[4] = (uint8_t)u->backup_id;
	memcpy(buf + 5, u->mac, RBP_MAC_LEN);
	buf[11] = (uint8_t)n;
	memcpy(buf + 12, u->ifname, n);
	if (u->data_len)
		memcpy(buf + 12 + n, u->data, u->data_len);
	return (int)len;
}

int rbp_rec_decode(const uint8_t *p, size_t len, struct rbp_user *out)
{
	size_t n;

	if (p == NULL || len < RBP_REC_HDR(1) || p[0] != RBP_REC_FORMAT)
		return -EINVAL;
	n = p[11];
	if (len < RBP_REC_HDR(n) || !name_ok(p + 12, n) || len - RBP_REC_HDR(n) > RBP_REC_DATA_MAX)
		return -EINVAL;
	out->backup_id = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	memcpy(out->mac, p + 5, RBP_MAC_LEN);
	memcpy(out->ifname, p + 12, n);
	out->ifname[n] = '\0';
	out->data_len = len - RBP_REC_HDR(n);
	out->data = out->data_len ? p + RBP_REC_HDR(n) : NULL;
	return 0;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int rbp_rec_neigh_key(int family, const uint8_t *addr, const char *ifname, uint8_t *key)
{
	size_t a = addr_len(family), n = name_len(ifname);

	if (a == 0 || n == 0 || addr == NULL)
		return -EINVAL;
	memcpy(key, addr, a);
	memcpy(key + a, ifname, n);
	return (int)(a + n);
}

int rbp_rec_neigh_key_parse(int family, const uint8_t *key, size_t len, uint8_t addr[16],
			    char ifname[RBP_IFNAME_MAX + 1])
{
	size_t a = addr_len(family);

	if (a == 0 || key == NULL || len <= a || !name_ok(key + a, len - a))
		return -EINVAL;
	memset(addr, 0, 16);
	memcpy(addr, key, a);
	memcpy(ifname, key + a, len - a);
	ifname[len - a] = '\0';
	return 0;
}
