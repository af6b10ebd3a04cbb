/* VRRP advertisements on the wire: see vrrp_pkt.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "vrrpd/vrrp_pkt.h"

/* One's-complement sum (RFC 1071) of len bytes as big-endian 16-bit
 * words, added to acc; an odd last byte is padded with a zero. Only the
 * last chunk of a sum may have an odd length. Folding is left to fold(),
 * a 64-bit accumulator cannot overflow on any buffer we are given. */
static uint64_t sum_bytes(uint64_t acc, const uint8_t *p, size_t len)
{
	while (len >= 2) {
		acc += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;
	return acc;
}

static uint16_t fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

static size_t addr_len(int family)
{
	return family == AF_INET6 ? sizeof(struct in6_addr) : sizeof(struct in_addr);
}

/* Whether the checksum of this packet covers a pseudo-header
 * (RFC 5798 5.2.8): always for v3 over IPv6, for v3 over IPv4 unless the
 * caller chose the message-only form, never for v2 (RFC 3768 5.3.8). */
static int uses_pseudo(int version, int family, enum vrrp_csum_mode mode)
{
	if (version == 2)
		return 0;
	return family == AF_INET6 || mode != VRRP_CSUM_MSG_ONLY;
}

/* The one's-complement sum of the whole message, with the pseudo-header
 * when pseudo is set: for IPv4 src, dst, zero, protocol, length; for IPv6
 * (RFC 2460 8.1) src, dst, 32-bit length, three zeros, next header. Both
 * add up to the same words, save the high half of the IPv6 length. */
static uint16_t msg_sum(const uint8_t *buf, size_t len, int family, int pseudo, const void *src,
			const void *dst)
{
	uint64_t acc = 0;

	if (pseudo) {
		size_t alen = addr_len(family);

		acc = sum_bytes(acc, src, alen);
		acc = sum_bytes(acc, dst, alen);
		acc += VRRP_PKT_PROTO;
		acc += len & 0xffff;
		if (family == AF_INET6)
			acc += (len >> 16) & 0xffff;
	}
	return fold(sum_bytes(acc, buf, len));
}

static int drop(enum vrrp_drop *why, enum vrrp_drop reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

int vrrp_pkt_parse(const uint8_t *buf, size_t len, int family, const void *src_addr,
		   const void *dst_addr, enum vrrp_csum_mode mode, struct vrrp_pkt *out,
		   enum vrrp_drop *why)
{
	size_t alen, auth, want;
	int version, pseudo;
	uint8_t naddr;

	if (why)
		*why = VRRP_DROP_NONE;
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (len < VRRP_PKT_HDR_LEN)
		return drop(why, VRRP_DROP_SHORT);

	version = buf[0] >> 4;
	if (version != 2 && version != 3)
		return drop(why, VRRP_DROP_VERSION);
	if (version == 2 && family != AF_INET) /* RFC 3768 is IPv4 only */
		return drop(why, VRRP_DROP_VERSION);

	alen = addr_len(family);
	auth = version == 2 ? VRRP_PKT_V2_AUTH_LEN : 0;
	/* at least one address (RFC 5798 5.2.5) */
	if (len < VRRP_PKT_HDR_LEN + alen + auth)
		return drop(why, VRRP_DROP_SHORT);

	pseudo = uses_pseudo(version, family, mode);
	if (pseudo && (!src_addr || !dst_addr))
		return -EFAULT;
	/* summed with its checksum field, a correct message gives 0xffff */
	if (msg_sum(buf, len, family, pseudo, src_addr, dst_addr) != 0xffff)
		return drop(why, VRRP_DROP_CHECKSUM);

	if ((buf[0] & 0x0f) != VRRP_PKT_TYPE_ADVERTISEMENT)
		return drop(why, VRRP_DROP_TYPE);
	if (buf[1] == 0)
		return drop(why, VRRP_DROP_VRID_ZERO);
	naddr = buf[3];
	want = VRRP_PKT_HDR_LEN + (size_t)naddr * alen + auth;
	if (naddr == 0 || len != want)
		return drop(why, VRRP_DROP_COUNT);
	if (version == 2) {
		if (buf[4] != VRRP_PKT_AUTH_NONE)
			return drop(why, VRRP_DROP_AUTH);
		if (buf[5] == 0)
			return drop(why, VRRP_DROP_INTERVAL_ZERO);
	} else if (((buf[4] & 0x0f) << 8 | buf[5]) == 0) {
		return drop(why, VRRP_DROP_INTERVAL_ZERO);
	}

	/* every check passed: only now is *out written */
	out->family = family;
	out->version = (uint8_t)version;
	out->type = buf[0] & 0x0f;
	out->vrid = buf[1];
	out->priority = buf[2];
	out->naddr = naddr;
	if (version == 2) {
		out->auth_type = buf[4];
		out->adver_int = buf[5];
		out->max_adver_int = 0;
	} else {
		out->auth_type = 0;
		out->adver_int = 0;
		out->max_adver_int = (uint16_t)((buf[4] & 0x0f) << 8 | buf[5]);
	}
	memcpy(&out->addr, buf + VRRP_PKT_HDR_LEN, (size_t)naddr * alen);
	return 0;
}

int vrrp_pkt_build(uint8_t *buf, size_t cap, const struct vrrp_pkt *p, int family, const void *src,
		   const void *dst, enum vrrp_csum_mode mode)
{
	size_t alen, auth, len;
	int pseudo;
	uint16_t csum;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (p->family != family)
		return -EINVAL;
	if (p->version != 2 && p->version != 3)
		return -EINVAL;
	if (p->version == 2 && family != AF_INET)
		return -EINVAL;
	if (p->type != VRRP_PKT_TYPE_ADVERTISEMENT || p->vrid == 0 || p->naddr == 0)
		return -EINVAL;
	if (p->version == 2 && (p->auth_type != VRRP_PKT_AUTH_NONE || p->adver_int == 0))
		return -EINVAL;
	if (p->version == 3 && (p->max_adver_int == 0 || p->max_adver_int > VRRP_PKT_MAX_ADVER_INT))
		return -EINVAL;

	pseudo = uses_pseudo(p->version, family, mode);
	if (pseudo && (!src || !dst))
		return -EFAULT;

	alen = addr_len(family);
	auth = p->version == 2 ? VRRP_PKT_V2_AUTH_LEN : 0;
	len = VRRP_PKT_HDR_LEN + (size_t)p->naddr * alen + auth;
	if (cap < len)
		return -ENOSPC;

	buf[0] = (uint8_t)(p->version << 4 | p->type);
	buf[1] = p->vrid;
	buf[2] = p->priority;
	buf[3] = p->naddr;
	if (p->version == 2) {
		buf[4] = p->auth_type;
		buf[5] = p->adver_int;
	} else {
		/* the reserved high nibble goes out as zero (RFC 5798 5.2.6) */
		buf[4] = (uint8_t)(p->max_adver_int >> 8);
		buf[5] = (uint8_t)(p->max_adver_int & 0xff);
	}
	buf[6] = 0;
	buf[7] = 0;
	memcpy(buf + VRRP_PKT_HDR_LEN, &p->addr, (size_t)p->naddr * alen);
	if (auth)
		memset(buf + len - auth, 0, auth);

	csum = (uint16_t)~msg_sum(buf, len, family, pseudo, src, dst);
	buf[6] = (uint8_t)(csum >> 8);
	buf[7] = (uint8_t)(csum & 0xff);
	return (int)len;
}

int vrrp_pkt_check_ttl(int ttl)
{
	return ttl == VRRP_PKT_TTL ? 0 : -EINVAL;
}

const char *vrrp_drop_str(enum vrrp_drop why)
{
	switch (why) {
	case VRRP_DROP_NONE:
		return "accepted";
	case VRRP_DROP_SHORT:
		return "too short";
	case VRRP_DROP_TTL:
		return "ttl not 255";
	case VRRP_DROP_VERSION:
		return "bad version";
	case VRRP_DROP_TYPE:
		return "bad type";
	case VRRP_DROP_CHECKSUM:
		return "bad checksum";
	case VRRP_DROP_COUNT:
		return "address count does not match length";
	case VRRP_DROP_VRID_ZERO:
		return "vrid 0";
	case VRRP_DROP_AUTH:
		return "bad authentication type";
	case VRRP_DROP_INTERVAL_ZERO:
		return "advertisement interval 0";
	case VRRP_DROP_VRID_MISMATCH:
		return "vrid mismatch";
	case VRRP_DROP_INTERVAL_MISMATCH:
		return "advertisement interval mismatch";
	case VRRP_DROP_ADDR_MISMATCH:
		return "address list mismatch";
	case VRRP_DROP__MAX:
		break;
	}
	return "unknown";
}

const char *vrrp_drop_key(enum vrrp_drop why)
{
	static const char *const keys[VRRP_DROP__MAX] = {
	    [VRRP_DROP_NONE] = "none",
	    [VRRP_DROP_SHORT] = "short",
	    [VRRP_DROP_TTL] = "ttl",
	    [VRRP_DROP_VERSION] = "version",
	    [VRRP_DROP_TYPE] = "type",
	    [VRRP_DROP_CHECKSUM] = "checksum",
	    [VRRP_DROP_COUNT] = "address_count",
	    [VRRP_DROP_VRID_ZERO] = "vrid_zero",
	    [VRRP_DROP_AUTH] = "auth_type",
	    [VRRP_DROP_INTERVAL_ZERO] = "interval_zero",
	    [VRRP_DROP_VRID_MISMATCH] = "vrid_mismatch",
	    [VRRP_DROP_INTERVAL_MISMATCH] = "interval_mismatch",
	    [VRRP_DROP_ADDR_MISMATCH] = "address_mismatch",
	};

	return (unsigned)why < VRRP_DROP__MAX && keys[why] ? keys[why] : "unknown";
}
