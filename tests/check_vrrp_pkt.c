/* The VRRP packet parser and builder: what is built parses back to the
 * same fields, packets laid out by hand from RFC 3768 / RFC 5798 parse to
 * the fields the RFC layout says, and every malformed packet is dropped
 * with the reason a log line will show. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tests/lib/checkrun.h"
#include "vrrpd/vrrp_pkt.h"

static struct in_addr src4, dst4;
static struct in6_addr src6, dst6;

static void addrs_setup(void)
{
	inet_pton(AF_INET, "192.0.2.1", &src4);
	inet_pton(AF_INET, "224.0.0.18", &dst4);
	inet_pton(AF_INET6, "fe80::2", &src6);
	inet_pton(AF_INET6, "ff02::12", &dst6);
}

static const void *src_of(int family)
{
	return family == AF_INET6 ? (const void *)&src6 : (const void *)&src4;
}

static const void *dst_of(int family)
{
	return family == AF_INET6 ? (const void *)&dst6 : (const void *)&dst4;
}

/* The test's own checksum, written from RFC 1071 apart from the module's,
 * so that a packet altered by a test can be given a correct checksum
 * again: only the field the test changed is then wrong. */
static void fix_csum(uint8_t *buf, size_t len, int family, int pseudo)
{
	uint32_t sum = 0;
	size_t i;

	buf[6] = buf[7] = 0;
	if (pseudo) {
		size_t alen = family == AF_INET6 ? 16 : 4;
		const uint8_t *s = src_of(family), *d = dst_of(family);

		for (i = 0; i < alen; i += 2)
			sum += (uint32_t)(s[i] << 8 | s[i + 1]) + (uint32_t)(d[i] << 8 | d[i + 1]);
		sum += 112 + (uint32_t)len;
	}
	for (i = 0; i < len; i++)
		sum += i % 2 ? buf[i] : (uint32_t)buf[i] << 8;
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	buf[6] = (uint8_t)(sum >> 8);
	buf[7] = (uint8_t)sum;
}

/* A valid advertisement of each kind, with naddr addresses. */
static struct vrrp_pkt sample(int version, int family, int naddr)
{
	struct vrrp_pkt p;
	int i;

	memset(&p, 0, sizeof(p));
	p.family = family;
	p.version = (uint8_t)version;
	p.type = VRRP_PKT_TYPE_ADVERTISEMENT;
	p.vrid = 42;
	p.priority = 150;
	p.naddr = (uint8_t)naddr;
	if (version == 2)
		p.adver_int = 3;
	else
		p.max_adver_int = 0xabc;
	for (i = 0; i < naddr; i++) {
		if (family == AF_INET) {
			p.addr.v4[i].s_addr = htonl(0xc6336400u + (uint32_t)i); /* 198.51.100.i */
		} else {
			inet_pton(AF_INET6, "2001:db8::", &p.addr.v6[i]);
			p.addr.v6[i].s6_addr[14] = (uint8_t)(i >> 8);
			p.addr.v6[i].s6_addr[15] = (uint8_t)i;
		}
	}
	return p;
}

static void assert_same(const struct vrrp_pkt *a, const struct vrrp_pkt *b)
{
	size_t alen = a->family == AF_INET6 ? 16 : 4;

	ck_assert_int_eq(a->family, b->family);
	ck_assert_uint_eq(a->version, b->version);
	ck_assert_uint_eq(a->type, b->type);
	ck_assert_uint_eq(a->vrid, b->vrid);
	ck_assert_uint_eq(a->priority, b->priority);
	ck_assert_uint_eq(a->naddr, b->naddr);
	ck_assert_uint_eq(a->auth_type, b->auth_type);
	ck_assert_uint_eq(a->adver_int, b->adver_int);
	ck_assert_uint_eq(a->max_adver_int, b->max_adver_int);
	ck_assert_mem_eq(&a->addr, &b->addr, a->naddr * alen);
}

/* The kinds of packet every drop test runs over. */
static const struct kind {
	int version, family;
	enum vrrp_csum_mode mode;
	int pseudo;
	size_t min_len; /* header, one address, v2 authentication data */
} kinds[] = {
    {2, AF_INET, VRRP_CSUM_PSEUDO, 0, 20},
    {3, AF_INET, VRRP_CSUM_PSEUDO, 1, 12},
    {3, AF_INET, VRRP_CSUM_MSG_ONLY, 0, 12},
    {3, AF_INET6, VRRP_CSUM_PSEUDO, 1, 24},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* Builds a valid packet of kind k with naddr addresses into buf. */
static size_t build_kind(const struct kind *k, int naddr, uint8_t *buf, size_t cap)
{
	struct vrrp_pkt p = sample(k->version, k->family, naddr);
	int n =
	    vrrp_pkt_build(buf, cap, &p, k->family, src_of(k->family), dst_of(k->family), k->mode);

	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

/* Parses buf as kind k, expecting a drop for the given reason. */
static void assert_dropped(const struct kind *k, const uint8_t *buf, size_t len,
			   enum vrrp_drop reason)
{
	struct vrrp_pkt out;
	enum vrrp_drop why = VRRP_DROP__MAX;
	int rc = vrrp_pkt_parse(buf, len, k->family, src_of(k->family), dst_of(k->family), k->mode,
				&out, &why);

	ck_assert_msg(rc == -EINVAL && why == reason,
		      "v%d family %d mode %d len %zu: rc %d why \"%s\", want \"%s\"", k->version,
		      k->family, k->mode, len, rc, vrrp_drop_str(why), vrrp_drop_str(reason));
}

static void round_trip(int version, int family, enum vrrp_csum_mode mode, int naddr)
{
	struct vrrp_pkt p = sample(version, family, naddr), out;
	uint8_t buf[VRRP_PKT_MAX_LEN];
	size_t alen = family == AF_INET6 ? 16 : 4;
	enum vrrp_drop why = VRRP_DROP__MAX;
	int n;

	n = vrrp_pkt_build(buf, sizeof(buf), &p, family, src_of(family), dst_of(family), mode);
	ck_assert_int_eq(n, 8 + naddr * (int)alen + (version == 2 ? 8 : 0));
	memset(&out, 0xa5, sizeof(out));
	ck_assert_int_eq(vrrp_pkt_parse(buf, (size_t)n, family, src_of(family), dst_of(family),
					mode, &out, &why),
			 0);
	ck_assert_int_eq(why, VRRP_DROP_NONE);
	assert_same(&p, &out);
}

START_TEST(v2_ipv4_round_trip_keeps_every_field)
{
	round_trip(2, AF_INET, VRRP_CSUM_PSEUDO, 3);
}
END_TEST

START_TEST(v2_sends_eight_zero_bytes_of_authentication_data)
{
	struct vrrp_pkt p = sample(2, AF_INET, 2);
	uint8_t buf[64], zero[8] = {0};
	int n;

	memset(buf, 0xff, sizeof(buf));
	n = vrrp_pkt_build(buf, sizeof(buf), &p, AF_INET, NULL, NULL, VRRP_CSUM_PSEUDO);
	ck_assert_int_eq(n, 8 + 2 * 4 + 8);
	ck_assert_mem_eq(buf + 16, zero, 8);
}
END_TEST

START_TEST(v3_ipv4_pseudo_header_round_trip_keeps_every_field)
{
	round_trip(3, AF_INET, VRRP_CSUM_PSEUDO, 4);
}
END_TEST

START_TEST(v3_ipv4_message_only_round_trip_keeps_every_field)
{
	round_trip(3, AF_INET, VRRP_CSUM_MSG_ONLY, 4);
}
END_TEST

START_TEST(v3_ipv6_round_trip_keeps_every_field)
{
	round_trip(3, AF_INET6, VRRP_CSUM_PSEUDO, 5);
}
END_TEST

START_TEST(the_largest_count_of_255_addresses_round_trips)
{
	round_trip(2, AF_INET, VRRP_CSUM_PSEUDO, 255);
	round_trip(3, AF_INET, VRRP_CSUM_PSEUDO, 255);
	round_trip(3, AF_INET6, VRRP_CSUM_PSEUDO, 255);
}
END_TEST

/*
 * VRRPv3 over IPv4, laid out from RFC 5798 5.1.1: version 3, type 1,
 * VRID 51, priority 100, one address 192.0.2.100, max adver int 100 cs,
 * sent from 192.0.2.1 to 224.0.0.18. The checksum worked by hand:
 *   message words  3133 6401 0064 c000 0264            = 0x157fc
 *   pseudo-header  c000 0201 e000 0012 0070(112) 000c  = 0x1a28f
 *   with pseudo-header: fold(0x2fa8b) = 0xfa8d, ~ = 0x0572
 *   message only:       fold(0x157fc) = 0x57fd, ~ = 0xa802
 */
START_TEST(hand_made_v3_ipv4_advert_parses_to_its_rfc_fields)
{
	static const uint8_t pseudo[] = {0x31, 0x33, 0x64, 0x01, 0x00, 0x64,
					 0x05, 0x72, 0xc0, 0x00, 0x02, 0x64};
	static const uint8_t msgonly[] = {0x31, 0x33, 0x64, 0x01, 0x00, 0x64,
					  0xa8, 0x02, 0xc0, 0x00, 0x02, 0x64};
	struct vrrp_pkt out;
	enum vrrp_drop why;
	char a[INET_ADDRSTRLEN];

	ck_assert_int_eq(vrrp_pkt_parse(pseudo, sizeof(pseudo), AF_INET, &src4, &dst4,
					VRRP_CSUM_PSEUDO, &out, &why),
			 0);
	ck_assert_int_eq(out.family, AF_INET);
	ck_assert_uint_eq(out.version, 3);
	ck_assert_uint_eq(out.type, 1);
	ck_assert_uint_eq(out.vrid, 51);
	ck_assert_uint_eq(out.priority, 100);
	ck_assert_uint_eq(out.naddr, 1);
	ck_assert_uint_eq(out.max_adver_int, 100);
	ck_assert_str_eq(inet_ntop(AF_INET, &out.addr.v4[0], a, sizeof(a)), "192.0.2.100");

	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(vrrp_pkt_parse(msgonly, sizeof(msgonly), AF_INET, NULL, NULL,
					VRRP_CSUM_MSG_ONLY, &out, &why),
			 0);
	ck_assert_uint_eq(out.vrid, 51);
	ck_assert_uint_eq(out.max_adver_int, 100);
	ck_assert_str_eq(inet_ntop(AF_INET, &out.addr.v4[0], a, sizeof(a)), "192.0.2.100");
}
END_TEST

/* And what the builder makes of the same fields is byte for byte the
 * hand-made packet. */
START_TEST(builder_writes_the_hand_made_v3_ipv4_advert)
{
	static const uint8_t want[] = {0x31, 0x33, 0x64, 0x01, 0x00, 0x64,
				       0x05, 0x72, 0xc0, 0x00, 0x02, 0x64};
	struct vrrp_pkt p;
	uint8_t buf[64];

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.version = 3;
	p.type = 1;
	p.vrid = 51;
	p.priority = 100;
	p.naddr = 1;
	p.max_adver_int = 100;
	inet_pton(AF_INET, "192.0.2.100", &p.addr.v4[0]);
	ck_assert_int_eq(
	    vrrp_pkt_build(buf, sizeof(buf), &p, AF_INET, &src4, &dst4, VRRP_CSUM_PSEUDO),
	    sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

/* VRRPv2, RFC 3768 5.1: VRID 1, priority 255 (owner), one address
 * 192.0.2.10, auth type 0, adver int 1 s, 8 bytes of zero auth data.
 * Checksum over the message: 2101+ff01+0001+c000+020a = 0x1e20d,
 * fold 0xe20e, ~ = 0x1df1. */
START_TEST(hand_made_v2_advert_parses_to_its_rfc_fields)
{
	static const uint8_t pkt[] = {0x21, 0x01, 0xff, 0x01, 0x00, 0x01, 0x1d, 0xf1, 0xc0, 0x00,
				      0x02, 0x0a, 0,	0,    0,    0,	  0,	0,    0,    0};
	struct vrrp_pkt out;
	enum vrrp_drop why;
	char a[INET_ADDRSTRLEN];

	ck_assert_int_eq(
	    vrrp_pkt_parse(pkt, sizeof(pkt), AF_INET, &src4, &dst4, VRRP_CSUM_PSEUDO, &out, &why),
	    0);
	ck_assert_uint_eq(out.version, 2);
	ck_assert_uint_eq(out.vrid, 1);
	ck_assert_uint_eq(out.priority, 255);
	ck_assert_uint_eq(out.naddr, 1);
	ck_assert_uint_eq(out.auth_type, 0);
	ck_assert_uint_eq(out.adver_int, 1);
	ck_assert_uint_eq(out.max_adver_int, 0);
	ck_assert_str_eq(inet_ntop(AF_INET, &out.addr.v4[0], a, sizeof(a)), "192.0.2.10");
}
END_TEST

/* VRRPv3 over IPv6, RFC 5798 5.1.2: VRID 7, priority 150, two addresses
 * fe80::1 and 2001:db8::100, max adver int 200 cs, from fe80::2 to
 * ff02::12; checksum 0x0cc3 with the RFC 2460 8.1 pseudo-header
 * (computed apart from this code). */
START_TEST(hand_made_v3_ipv6_advert_parses_to_its_rfc_fields)
{
	static const uint8_t pkt[] = {0x31, 0x07, 0x96, 0x02, 0x00, 0xc8, 0x0c, 0xc3, 0xfe, 0x80,
				      0,    0,	  0,	0,    0,    0,	  0,	0,    0,    0,
				      0,    0,	  0,	0x01, 0x20, 0x01, 0x0d, 0xb8, 0,    0,
				      0,    0,	  0,	0,    0,    0,	  0,	0,    0x01, 0x00};
	struct vrrp_pkt out;
	enum vrrp_drop why;
	char a[INET6_ADDRSTRLEN];

	ck_assert_int_eq(
	    vrrp_pkt_parse(pkt, sizeof(pkt), AF_INET6, &src6, &dst6, VRRP_CSUM_PSEUDO, &out, &why),
	    0);
	ck_assert_int_eq(out.family, AF_INET6);
	ck_assert_uint_eq(out.version, 3);
	ck_assert_uint_eq(out.vrid, 7);
	ck_assert_uint_eq(out.priority, 150);
	ck_assert_uint_eq(out.naddr, 2);
	ck_assert_uint_eq(out.max_adver_int, 200);
	ck_assert_str_eq(inet_ntop(AF_INET6, &out.addr.v6[0], a, sizeof(a)), "fe80::1");
	ck_assert_str_eq(inet_ntop(AF_INET6, &out.addr.v6[1], a, sizeof(a)), "2001:db8::100");

	/* the pseudo-header is mandatory over IPv6: the mode does not change it */
	ck_assert_int_eq(vrrp_pkt_parse(pkt, sizeof(pkt), AF_INET6, &src6, &dst6,
					VRRP_CSUM_MSG_ONLY, &out, &why),
			 0);
}
END_TEST

START_TEST(every_length_below_the_smallest_packet_is_short)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	size_t i, len;

	for (i = 0; i < NKINDS; i++) {
		build_kind(&kinds[i], 1, buf, sizeof(buf));
		for (len = 0; len < kinds[i].min_len; len++)
			assert_dropped(&kinds[i], buf, len, VRRP_DROP_SHORT);
	}
	/* and a zero-length buffer needs no readable byte at all */
	assert_dropped(&kinds[1], NULL, 0, VRRP_DROP_SHORT);
}
END_TEST

START_TEST(versions_other_than_2_and_3_are_dropped)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	size_t i, len;
	int v;

	for (i = 0; i < NKINDS; i++) {
		len = build_kind(&kinds[i], 2, buf, sizeof(buf));
		for (v = 0; v < 16; v++) {
			if (v == 2 || v == 3)
				continue;
			buf[0] = (uint8_t)(v << 4 | 1);
			fix_csum(buf, len, kinds[i].family, kinds[i].pseudo);
			assert_dropped(&kinds[i], buf, len, VRRP_DROP_VERSION);
		}
	}
}
END_TEST

START_TEST(v2_over_ipv6_is_a_bad_version)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	size_t len = build_kind(&kinds[3], 2, buf, sizeof(buf));
	struct vrrp_pkt p = sample(2, AF_INET6, 1);

	buf[0] = 0x21;
	fix_csum(buf, len, AF_INET6, 0);
	assert_dropped(&kinds[3], buf, len, VRRP_DROP_VERSION);
	ck_assert_int_eq(
	    vrrp_pkt_build(buf, sizeof(buf), &p, AF_INET6, &src6, &dst6, VRRP_CSUM_PSEUDO),
	    -EINVAL);
}
END_TEST

START_TEST(types_other_than_advertisement_are_dropped)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	size_t i, len;
	int t;

	for (i = 0; i < NKINDS; i++) {
		len = build_kind(&kinds[i], 2, buf, sizeof(buf));
		for (t = 0; t < 16; t++) {
			if (t == 1)
				continue;
			buf[0] = (uint8_t)(kinds[i].version << 4 | t);
			fix_csum(buf, len, kinds[i].family, kinds[i].pseudo);
			assert_dropped(&kinds[i], buf, len, VRRP_DROP_TYPE);
		}
	}
}
END_TEST

/* A flip in the version nibble may turn the packet into another valid
 * version, short for it; every other flip is a bad checksum, whatever
 * field it hits. */
START_TEST(any_flipped_bit_is_a_bad_checksum)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	struct vrrp_pkt out;
	enum vrrp_drop why;
	size_t i, len, byte;
	int bit;

	for (i = 0; i < NKINDS; i++) {
		const struct kind *k = &kinds[i];

		len = build_kind(k, 3, buf, sizeof(buf));
		for (byte = 0; byte < len; byte++) {
			for (bit = 0; bit < 8; bit++) {
				buf[byte] ^= (uint8_t)(1u << bit);
				if (byte == 0 && bit >= 4)
					ck_assert_int_eq(
					    vrrp_pkt_parse(buf, len, k->family, src_of(k->family),
							   dst_of(k->family), k->mode, &out, &why),
					    -EINVAL);
				else
					assert_dropped(k, buf, len, VRRP_DROP_CHECKSUM);
				buf[byte] ^= (uint8_t)(1u << bit);
			}
		}
	}
}
END_TEST

START_TEST(count_that_disagrees_with_the_length_is_dropped)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	size_t i, len;

	for (i = 0; i < NKINDS; i++) {
		const struct kind *k = &kinds[i];

		/* count says more or fewer addresses than there are */
		len = build_kind(k, 3, buf, sizeof(buf));
		buf[3] = 4;
		fix_csum(buf, len, k->family, k->pseudo);
		assert_dropped(k, buf, len, VRRP_DROP_COUNT);
		buf[3] = 2;
		fix_csum(buf, len, k->family, k->pseudo);
		assert_dropped(k, buf, len, VRRP_DROP_COUNT);
		buf[3] = 255;
		fix_csum(buf, len, k->family, k->pseudo);
		assert_dropped(k, buf, len, VRRP_DROP_COUNT);
		/* count 0 can never match a length that holds an address */
		buf[3] = 0;
		fix_csum(buf, len, k->family, k->pseudo);
		assert_dropped(k, buf, len, VRRP_DROP_COUNT);
		/* trailing bytes (an even number keeps the sum aligned) */
		len = build_kind(k, 3, buf, sizeof(buf));
		buf[len] = buf[len + 1] = 0x5a;
		fix_csum(buf, len + 2, k->family, k->pseudo);
		assert_dropped(k, buf, len + 2, VRRP_DROP_COUNT);
	}
}
END_TEST

START_TEST(vrid_0_is_dropped)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	size_t i, len;

	for (i = 0; i < NKINDS; i++) {
		len = build_kind(&kinds[i], 1, buf, sizeof(buf));
		buf[1] = 0;
		fix_csum(buf, len, kinds[i].family, kinds[i].pseudo);
		assert_dropped(&kinds[i], buf, len, VRRP_DROP_VRID_ZERO);
	}
}
END_TEST

START_TEST(v3_max_adver_int_0_is_dropped_even_with_reserved_bits_set)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	size_t i, len;

	for (i = 1; i < NKINDS; i++) {
		len = build_kind(&kinds[i], 1, buf, sizeof(buf));
		buf[4] = 0;
		buf[5] = 0;
		fix_csum(buf, len, kinds[i].family, kinds[i].pseudo);
		assert_dropped(&kinds[i], buf, len, VRRP_DROP_INTERVAL_ZERO);
		buf[4] = 0xf0;
		fix_csum(buf, len, kinds[i].family, kinds[i].pseudo);
		assert_dropped(&kinds[i], buf, len, VRRP_DROP_INTERVAL_ZERO);
	}
}
END_TEST

START_TEST(v3_reserved_bits_are_ignored_on_reception)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	struct vrrp_pkt out;
	enum vrrp_drop why;
	size_t len = build_kind(&kinds[1], 1, buf, sizeof(buf));

	buf[4] |= 0xf0;
	fix_csum(buf, len, AF_INET, 1);
	ck_assert_int_eq(
	    vrrp_pkt_parse(buf, len, AF_INET, &src4, &dst4, VRRP_CSUM_PSEUDO, &out, &why), 0);
	ck_assert_uint_eq(out.max_adver_int, 0xabc);
}
END_TEST

START_TEST(v2_auth_types_1_and_2_are_dropped)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	size_t len = build_kind(&kinds[0], 1, buf, sizeof(buf));
	struct vrrp_pkt p = sample(2, AF_INET, 1);
	int t;

	for (t = 1; t < 256; t++) {
		buf[4] = (uint8_t)t;
		fix_csum(buf, len, AF_INET, 0);
		assert_dropped(&kinds[0], buf, len, VRRP_DROP_AUTH);
	}
	p.auth_type = 1;
	ck_assert_int_eq(
	    vrrp_pkt_build(buf, sizeof(buf), &p, AF_INET, NULL, NULL, VRRP_CSUM_PSEUDO), -EINVAL);
}
END_TEST

START_TEST(v2_nonzero_authentication_data_is_ignored)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	struct vrrp_pkt out;
	enum vrrp_drop why;
	size_t len = build_kind(&kinds[0], 1, buf, sizeof(buf));

	memcpy(buf + len - 8, "password", 8);
	fix_csum(buf, len, AF_INET, 0);
	ck_assert_int_eq(
	    vrrp_pkt_parse(buf, len, AF_INET, NULL, NULL, VRRP_CSUM_PSEUDO, &out, &why), 0);
}
END_TEST

START_TEST(v2_adver_int_0_is_dropped)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	size_t len = build_kind(&kinds[0], 1, buf, sizeof(buf));

	buf[5] = 0;
	fix_csum(buf, len, AF_INET, 0);
	assert_dropped(&kinds[0], buf, len, VRRP_DROP_INTERVAL_ZERO);
}
END_TEST

START_TEST(v3_ipv4_checksum_forms_are_not_interchangeable)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	size_t len;

	/* pseudo-header checksum, received in message-only mode */
	len = build_kind(&kinds[1], 2, buf, sizeof(buf));
	assert_dropped(&kinds[2], buf, len, VRRP_DROP_CHECKSUM);
	/* message-only checksum, received in pseudo-header mode */
	len = build_kind(&kinds[2], 2, buf, sizeof(buf));
	assert_dropped(&kinds[1], buf, len, VRRP_DROP_CHECKSUM);
}
END_TEST

START_TEST(pseudo_header_checksum_depends_on_the_ip_addresses)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	struct vrrp_pkt out;
	enum vrrp_drop why = VRRP_DROP_NONE;
	struct in_addr other4;
	struct in6_addr other6;
	size_t len;

	inet_pton(AF_INET, "192.0.2.2", &other4);
	inet_pton(AF_INET6, "fe80::3", &other6);
	len = build_kind(&kinds[1], 1, buf, sizeof(buf));
	ck_assert_int_eq(
	    vrrp_pkt_parse(buf, len, AF_INET, &other4, &dst4, VRRP_CSUM_PSEUDO, &out, &why),
	    -EINVAL);
	ck_assert_int_eq(why, VRRP_DROP_CHECKSUM);
	len = build_kind(&kinds[3], 1, buf, sizeof(buf));
	ck_assert_int_eq(
	    vrrp_pkt_parse(buf, len, AF_INET6, &other6, &dst6, VRRP_CSUM_PSEUDO, &out, &why),
	    -EINVAL);
	ck_assert_int_eq(why, VRRP_DROP_CHECKSUM);
}
END_TEST

START_TEST(a_dropped_packet_leaves_out_untouched)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	struct vrrp_pkt out, before;
	enum vrrp_drop why;
	size_t len = build_kind(&kinds[1], 1, buf, sizeof(buf));

	buf[1] = 0;
	fix_csum(buf, len, AF_INET, 1);
	memset(&out, 0x5a, sizeof(out));
	before = out;
	ck_assert_int_eq(
	    vrrp_pkt_parse(buf, len, AF_INET, &src4, &dst4, VRRP_CSUM_PSEUDO, &out, &why), -EINVAL);
	ck_assert_mem_eq(&out, &before, sizeof(out));
}
END_TEST

START_TEST(caller_mistakes_are_not_packet_drops)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	struct vrrp_pkt out, p = sample(3, AF_INET, 1);
	enum vrrp_drop why;
	size_t len = build_kind(&kinds[1], 1, buf, sizeof(buf));

	ck_assert_int_eq(
	    vrrp_pkt_parse(buf, len, AF_UNIX, &src4, &dst4, VRRP_CSUM_PSEUDO, &out, &why),
	    -EAFNOSUPPORT);
	ck_assert_int_eq(why, VRRP_DROP_NONE);
	ck_assert_int_eq(
	    vrrp_pkt_parse(buf, len, AF_INET, NULL, &dst4, VRRP_CSUM_PSEUDO, &out, &why), -EFAULT);
	ck_assert_int_eq(why, VRRP_DROP_NONE);
	ck_assert_int_eq(
	    vrrp_pkt_build(buf, sizeof(buf), &p, AF_INET, &src4, NULL, VRRP_CSUM_PSEUDO), -EFAULT);
	ck_assert_int_eq(
	    vrrp_pkt_build(buf, sizeof(buf), &p, AF_INET6, &src6, &dst6, VRRP_CSUM_PSEUDO),
	    -EINVAL);
	/* why may be NULL */
	ck_assert_int_eq(
	    vrrp_pkt_parse(buf, 3, AF_INET, &src4, &dst4, VRRP_CSUM_PSEUDO, &out, NULL), -EINVAL);
}
END_TEST

START_TEST(build_says_enospc_when_the_buffer_is_one_byte_short)
{
	uint8_t buf[VRRP_PKT_MAX_LEN], copy[VRRP_PKT_MAX_LEN];
	size_t i, need;

	for (i = 0; i < NKINDS; i++) {
		const struct kind *k = &kinds[i];
		struct vrrp_pkt p = sample(k->version, k->family, 3);

		need = build_kind(k, 3, buf, sizeof(buf));
		memset(buf, 0xee, sizeof(buf));
		memcpy(copy, buf, sizeof(buf));
		ck_assert_int_eq(vrrp_pkt_build(buf, need - 1, &p, k->family, src_of(k->family),
						dst_of(k->family), k->mode),
				 -ENOSPC);
		ck_assert_mem_eq(buf, copy, sizeof(buf));
		ck_assert_int_eq(vrrp_pkt_build(buf, need, &p, k->family, src_of(k->family),
						dst_of(k->family), k->mode),
				 (int)need);
	}
}
END_TEST

START_TEST(build_refuses_what_parse_would_drop)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	struct vrrp_pkt p;

#define REFUSED(ver, fam, field, value)                                                            \
	do {                                                                                       \
		p = sample(ver, fam, 1);                                                           \
		p.field = value;                                                                   \
		ck_assert_int_eq(vrrp_pkt_build(buf, sizeof(buf), &p, fam, src_of(fam),            \
						dst_of(fam), VRRP_CSUM_PSEUDO),                    \
				 -EINVAL);                                                         \
	} while (0)
	REFUSED(3, AF_INET, version, 1);
	REFUSED(3, AF_INET, version, 4);
	REFUSED(3, AF_INET, type, 2);
	REFUSED(3, AF_INET, vrid, 0);
	REFUSED(3, AF_INET6, naddr, 0);
	REFUSED(3, AF_INET, max_adver_int, 0);
	REFUSED(3, AF_INET, max_adver_int, 0x1000);
	REFUSED(2, AF_INET, adver_int, 0);
	REFUSED(2, AF_INET, auth_type, 2);
	REFUSED(3, AF_INET, family, AF_INET6);
#undef REFUSED
}
END_TEST

START_TEST(only_ttl_255_is_accepted)
{
	ck_assert_int_eq(vrrp_pkt_check_ttl(255), 0);
	ck_assert_int_eq(vrrp_pkt_check_ttl(254), -EINVAL);
	ck_assert_int_eq(vrrp_pkt_check_ttl(64), -EINVAL);
	ck_assert_int_eq(vrrp_pkt_check_ttl(1), -EINVAL);
	ck_assert_int_eq(vrrp_pkt_check_ttl(0), -EINVAL);
	ck_assert_int_eq(vrrp_pkt_check_ttl(256), -EINVAL);
}
END_TEST

START_TEST(every_drop_reason_has_its_own_log_text)
{
	int a, b;

	ck_assert_str_eq(vrrp_drop_str(VRRP_DROP_CHECKSUM), "bad checksum");
	for (a = 0; a < VRRP_DROP__MAX; a++) {
		ck_assert_str_ne(vrrp_drop_str((enum vrrp_drop)a), "unknown");
		for (b = 0; b < a; b++)
			ck_assert_str_ne(vrrp_drop_str((enum vrrp_drop)a),
					 vrrp_drop_str((enum vrrp_drop)b));
	}
	ck_assert_str_eq(vrrp_drop_str(VRRP_DROP__MAX), "unknown");
	ck_assert_str_eq(vrrp_drop_str((enum vrrp_drop) - 1), "unknown");
}
END_TEST

START_TEST(every_drop_reason_has_its_own_identifier)
{
	int a, b;

	ck_assert_str_eq(vrrp_drop_key(VRRP_DROP_VRID_MISMATCH), "vrid_mismatch");
	for (a = 0; a < VRRP_DROP__MAX; a++) {
		const char *k = vrrp_drop_key((enum vrrp_drop)a);

		ck_assert_str_ne(k, "unknown");
		/* usable as a JSON key and a Prometheus label value as is */
		ck_assert_uint_eq(strspn(k, "abcdefghijklmnopqrstuvwxyz_"), strlen(k));
		for (b = 0; b < a; b++)
			ck_assert_str_ne(k, vrrp_drop_key((enum vrrp_drop)b));
	}
	ck_assert_str_eq(vrrp_drop_key(VRRP_DROP__MAX), "unknown");
	ck_assert_str_eq(vrrp_drop_key((enum vrrp_drop) - 1), "unknown");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    v2_ipv4_round_trip_keeps_every_field,
	    v2_sends_eight_zero_bytes_of_authentication_data,
	    v3_ipv4_pseudo_header_round_trip_keeps_every_field,
	    v3_ipv4_message_only_round_trip_keeps_every_field,
	    v3_ipv6_round_trip_keeps_every_field,
	    the_largest_count_of_255_addresses_round_trips,
	    hand_made_v3_ipv4_advert_parses_to_its_rfc_fields,
	    builder_writes_the_hand_made_v3_ipv4_advert,
	    hand_made_v2_advert_parses_to_its_rfc_fields,
	    hand_made_v3_ipv6_advert_parses_to_its_rfc_fields,
	    every_length_below_the_smallest_packet_is_short,
	    versions_other_than_2_and_3_are_dropped,
	    v2_over_ipv6_is_a_bad_version,
	    types_other_than_advertisement_are_dropped,
	    any_flipped_bit_is_a_bad_checksum,
	    count_that_disagrees_with_the_length_is_dropped,
	    vrid_0_is_dropped,
	    v3_max_adver_int_0_is_dropped_even_with_reserved_bits_set,
	    v3_reserved_bits_are_ignored_on_reception,
	    v2_auth_types_1_and_2_are_dropped,
	    v2_nonzero_authentication_data_is_ignored,
	    v2_adver_int_0_is_dropped,
	    v3_ipv4_checksum_forms_are_not_interchangeable,
	    pseudo_header_checksum_depends_on_the_ip_addresses,
	    a_dropped_packet_leaves_out_untouched,
	    caller_mistakes_are_not_packet_drops,
	    build_says_enospc_when_the_buffer_is_one_byte_short,
	    build_refuses_what_parse_would_drop,
	    only_ttl_255_is_accepted,
	    every_drop_reason_has_its_own_log_text,
	    every_drop_reason_has_its_own_identifier,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests, .setup = addrs_setup};

	return checkrun("vrrp_pkt", &core, 1);
}
