/*
 * VRRP advertisements on the wire: a pure parser and builder, no sockets,
 * no logging, so that tests and fuzzers drive them directly.
 *
 *   VRRPv2 (RFC 3768 5.1), IPv4 only:
 *
 *     0       | 1    | 2        | 3          | 4         | 5         | 6  7
 *     ver|type| VRID | priority | count addr | auth type | adver int | checksum
 *     count * 4 bytes of IPv4 addresses, then 8 bytes of authentication data
 *
 *   VRRPv3 (RFC 5798 5.1, 5.2), IPv4 and IPv6:
 *
 *     0       | 1    | 2        | 3          | 4  5                      | 6  7
 *     ver|type| VRID | priority | count addr | rsvd(4) max adver int(12) | checksum
 *     count * 4 (IPv4) or count * 16 (IPv6) bytes of addresses
 *
 * The buffer given to vrrp_pkt_parse() is the IP payload: the caller has
 * stripped the IP header and checks the TTL / hop limit itself with
 * vrrp_pkt_check_ttl() (RFC 3768 7.1, RFC 5798 7.1: it must be 255).
 *
 * Decisions where the RFCs leave room:
 *  - The length must be exactly what the address count says (plus the 8
 *    bytes of authentication data for v2): trailing bytes are a mismatch,
 *    not padding. Count 0 is refused the same way (RFC 5798 5.2.5: the
 *    minimum is 1), because no such packet can have a consistent length.
 *  - v2: only authentication type 0 is accepted. Types 1 (simple text)
 *    and 2 (IP AH) were removed by RFC 3768 5.3.6 and give no security;
 *    accepting them would only make a misconfigured peer look healthy.
 *    The 8 bytes of authentication data are ignored on reception and sent
 *    as zeros (RFC 3768 5.3.10).
 *  - v2: an advertisement interval of 0 is refused like a v3 maximum
 *    advertisement interval of 0: a master cannot advertise every 0 s.
 *  - The reserved bits of v3 (byte 4, high nibble) are ignored on
 *    reception and sent as zeros (RFC 5798 5.2.6).
 *  - The checksum is checked before the type, VRID and count fields, so
 *    that a packet corrupted in transit is logged as "bad checksum"
 *    rather than as whatever field the corruption happened to hit. Only a
 *    length shorter than the smallest valid packet and an unknown version
 *    (which decides how the checksum is computed) are refused first.
 */
#ifndef DB_VRRP_PKT_H
#define DB_VRRP_PKT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define VRRP_PKT_PROTO 112	     /* IANA protocol number, RFC 5798 5.2.8 pseudo-header */
#define VRRP_PKT_TTL 255	     /* RFC 5798 5.1.1.3 / 5.1.2.3, RFC 3768 5.2.3 */
#define VRRP_PKT_HDR_LEN 8	     /* the fixed part before the addresses */
#define VRRP_PKT_V2_AUTH_LEN 8	     /* RFC 3768 5.3.10, after the addresses */
#define VRRP_PKT_MAX_ADDRS 255	     /* the count field is 8 bits */
#define VRRP_PKT_MAX_ADVER_INT 0xfff /* RFC 5798 5.2.7: 12 bits of centiseconds */
/* The largest advertisement: 255 IPv6 addresses. A buffer this big never
 * gets -ENOSPC from vrrp_pkt_build(). */
#define VRRP_PKT_MAX_LEN (VRRP_PKT_HDR_LEN + VRRP_PKT_MAX_ADDRS * 16)

#define VRRP_PKT_TYPE_ADVERTISEMENT 1 /* RFC 5798 5.2.2, the only type */
#define VRRP_PKT_AUTH_NONE 0	      /* RFC 3768 5.3.6 */

/* How the VRRPv3 checksum over IPv4 is computed (RFC 5798 5.2.8, RFC 9568). */
enum vrrp_csum_mode {
	/* With the IPv4 pseudo-header (src, dst, 0, 112, length), as
	 * keepalived, FRR and Wireshark do. The default. */
	VRRP_CSUM_PSEUDO = 0,
	/* Over the VRRP message only, which RFC 9568 also allows for IPv4. */
	VRRP_CSUM_MSG_ONLY,
};

/* Why an advertisement was dropped; vrrp_drop_str() names it for logs. */
enum vrrp_drop {
	VRRP_DROP_NONE = 0,	 /* not dropped */
	VRRP_DROP_SHORT,	 /* shorter than the smallest valid packet */
	VRRP_DROP_TTL,		 /* TTL / hop limit not 255 (vrrp_pkt_check_ttl) */
	VRRP_DROP_VERSION,	 /* not 2 or 3, or 2 over IPv6 */
	VRRP_DROP_TYPE,		 /* not ADVERTISEMENT */
	VRRP_DROP_CHECKSUM,	 /* checksum does not verify */
	VRRP_DROP_COUNT,	 /* address count disagrees with the length (or is 0) */
	VRRP_DROP_VRID_ZERO,	 /* VRID 0 */
	VRRP_DROP_AUTH,		 /* v2 authentication type other than 0 */
	VRRP_DROP_INTERVAL_ZERO, /* (max) advertisement interval 0 */
	/* Set by the caller, which compares the parsed packet with its group;
	 * vrrp_pkt_parse() never returns these. */
	VRRP_DROP_VRID_MISMATCH,     /* no group with this VRID here */
	VRRP_DROP_INTERVAL_MISMATCH, /* v2: RFC 3768 7.1 (v3 backups adopt the master's) */
	VRRP_DROP_ADDR_MISMATCH,     /* address list differs from the group's */
	VRRP_DROP__MAX
};

/* One parsed advertisement, RFC 3768 5.1 (v2) / RFC 5798 5.1 (v3). */
struct vrrp_pkt {
	int family;		/* AF_INET or AF_INET6 (v3 only) */
	uint8_t version;	/* 2 or 3, RFC 5798 5.2.1 */
	uint8_t type;		/* VRRP_PKT_TYPE_ADVERTISEMENT, RFC 5798 5.2.2 */
	uint8_t vrid;		/* 1..255, RFC 5798 5.2.3 */
	uint8_t priority;	/* 0 = master leaving, 255 = address owner, RFC 5798 5.2.4 */
	uint8_t naddr;		/* 1..255, RFC 5798 5.2.5 */
	uint8_t auth_type;	/* v2 only: VRRP_PKT_AUTH_NONE, RFC 3768 5.3.6; 0 in v3 */
	uint8_t adver_int;	/* v2 only: seconds, RFC 3768 5.3.7; 0 in v3 */
	uint16_t max_adver_int; /* v3 only: centiseconds, 1..0xfff, RFC 5798 5.2.7; 0 in v2 */
	union {			/* network byte order, RFC 5798 5.2.9 */
		struct in_addr v4[VRRP_PKT_MAX_ADDRS];
		struct in6_addr v6[VRRP_PKT_MAX_ADDRS];
	} addr; /* only the first naddr are meaningful */
};

/*
 * Parses one VRRP advertisement.
 *
 * buf, len: the IP payload (IP header already stripped). family: AF_INET or
 * AF_INET6, the family of the IP header it came in. src_addr, dst_addr: the
 * IP source and destination (struct in_addr or struct in6_addr), used for
 * the VRRPv3 pseudo-header checksum; they may be NULL when no pseudo-header
 * is needed (v2, or v3 over IPv4 with VRRP_CSUM_MSG_ONLY). mode selects the
 * VRRPv3-over-IPv4 checksum; it is ignored for v2 (always message only) and
 * for IPv6 (always pseudo-header, RFC 5798 5.2.8). why may be NULL.
 *
 * The TTL / hop limit is not in buf: check it with vrrp_pkt_check_ttl().
 *
 * Returns 0 with *out filled and *why = VRRP_DROP_NONE; -EINVAL when the
 * packet must be dropped, with *why saying why and *out untouched;
 * -EAFNOSUPPORT for another family and -EFAULT for a NULL address that the
 * checksum needs (both caller bugs, *why = VRRP_DROP_NONE). Nothing is
 * allocated and *out does not point into buf.
 */
int vrrp_pkt_parse(const uint8_t *buf, size_t len, int family, const void *src_addr,
		   const void *dst_addr, enum vrrp_csum_mode mode, struct vrrp_pkt *out,
		   enum vrrp_drop *why);

/*
 * Writes the advertisement *p into buf, checksum included, ready to be the
 * payload of an IP packet with TTL / hop limit 255 from src to dst (same
 * types and NULL rules as for vrrp_pkt_parse()). p->family must equal
 * family. Fields of the other version are ignored (auth_type and adver_int
 * in v3, max_adver_int in v2); v2 authentication data is written as zeros.
 *
 * Returns the number of bytes written; -ENOSPC when cap is too small (buf
 * is then untouched); -EINVAL when *p is something vrrp_pkt_parse() would
 * drop (version, type, VRID 0, count 0, interval 0 or > 12 bits, v2 auth
 * type not 0, v2 over IPv6, family mismatch); -EAFNOSUPPORT, -EFAULT as
 * for vrrp_pkt_parse(). Anything it builds parses back to the same fields.
 */
int vrrp_pkt_build(uint8_t *buf, size_t cap, const struct vrrp_pkt *p, int family, const void *src,
		   const void *dst, enum vrrp_csum_mode mode);

/*
 * Checks the TTL (IPv4) or hop limit (IPv6) of a received advertisement:
 * it must be 255, proof that it was not routed (RFC 5798 7.1, RFC 3768 7.1).
 * Returns 0, or -EINVAL (log it as VRRP_DROP_TTL).
 */
int vrrp_pkt_check_ttl(int ttl);

/* A short text for a drop reason, for logs ("bad checksum"); a static
 * string, never NULL ("unknown" for a value outside the enum). */
const char *vrrp_drop_str(enum vrrp_drop why);

/* The same reason as a stable identifier for machines ("checksum",
 * "vrid_mismatch"): JSON keys and metric labels; "unknown" outside the
 * enum. */
const char *vrrp_drop_key(enum vrrp_drop why);

#endif
