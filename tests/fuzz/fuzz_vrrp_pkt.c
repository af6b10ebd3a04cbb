/*
 * libFuzzer target: a VRRP advertisement off the wire. The first byte
 * picks how it arrived (bit 0: IPv6, bit 1: message-only IPv4 checksum),
 * the rest is the IP payload given to vrrp_pkt_parse(). Whatever parses
 * must build again, to the same length, and the built packet must parse
 * to the same fields; anything else is a bug and aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vrrpd/vrrp_pkt.h"

/* Documentation prefixes and the VRRP groups (RFC 5798 5.1.1.2, 5.1.2.2). */
static const uint8_t src4[4] = {192, 0, 2, 1};
static const uint8_t dst4[4] = {224, 0, 0, 18};
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};
static const uint8_t dst6[16] = {0xff, 0x02, [15] = 0x12};

static int same(const struct vrrp_pkt *a, const struct vrrp_pkt *b)
{
	size_t alen = a->family == AF_INET6 ? 16 : 4;

	return a->family == b->family && a->version == b->version && a->type == b->type &&
	       a->vrid == b->vrid && a->priority == b->priority && a->naddr == b->naddr &&
	       a->auth_type == b->auth_type && a->adver_int == b->adver_int &&
	       a->max_adver_int == b->max_adver_int &&
	       memcmp(&a->addr, &b->addr, a->naddr * alen) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vrrp_pkt p, q;
	static uint8_t buf[VRRP_PKT_MAX_LEN];
	enum vrrp_csum_mode mode;
	enum vrrp_drop why;
	const void *src, *dst;
	int family, n, rc;

	if (size < 1)
		return 0;
	family = data[0] & 1 ? AF_INET6 : AF_INET;
	mode = data[0] & 2 ? VRRP_CSUM_MSG_ONLY : VRRP_CSUM_PSEUDO;
	src = family == AF_INET6 ? (const void *)src6 : (const void *)src4;
	dst = family == AF_INET6 ? (const void *)dst6 : (const void *)dst4;

	rc = vrrp_pkt_parse(data + 1, size - 1, family, src, dst, mode, &p, &why);
	if (rc != 0) {
		if (rc != -EINVAL || why == VRRP_DROP_NONE || why >= VRRP_DROP_VRID_MISMATCH)
			abort();
		return 0;
	}
	if (why != VRRP_DROP_NONE)
		abort();

	n = vrrp_pkt_build(buf, sizeof(buf), &p, family, src, dst, mode);
	if (n < 0 || (size_t)n != size - 1)
		abort();
	if (vrrp_pkt_parse(buf, (size_t)n, family, src, dst, mode, &q, &why) != 0)
		abort();
	if (!same(&p, &q))
		abort();
	return 0;
}
