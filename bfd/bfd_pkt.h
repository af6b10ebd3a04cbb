/*
 * BFD Control packets on the wire (RFC 5880 4.1), single hop over UDP
 * (RFC 5881): a pure parser and builder, no sockets, no logging, so that
 * tests and fuzzers drive them directly.
 *
 *     0       | 1                 | 2           | 3
 *     vers(3) diag(5) | sta(2) P F C A D M | detect mult | length
 *     4..7   my discriminator
 *     8..11  your discriminator
 *     12..15 desired min TX interval (us)
 *     16..19 required min RX interval (us)
 *     20..23 required min echo RX interval (us)
 *     then, with A set, an authentication section (not implemented here)
 *
 * All multi-byte fields are big-endian. The buffer given to bfd_pkt_parse()
 * is the UDP payload: the caller has stripped the IP and UDP headers and
 * checks the TTL / hop limit itself with bfd_pkt_check_ttl() (RFC 5881 5).
 *
 * bfd_pkt_parse() applies the reception rules of RFC 5880 6.8.6 that need
 * no session, in the RFC's order; the rest (which session a packet belongs
 * to, what it does to it) is the caller's and bfd_fsm's.
 *
 * Decisions where the RFCs leave room:
 *  - Authentication is not implemented. A packet with the A bit set is
 *    dropped as BFD_DROP_AUTH ("authentication not supported") once it has
 *    passed the other checks, as RFC 5880 6.8.6 drops it when no
 *    authentication is in use; a distinct reason tells the operator that
 *    the peer is configured for authentication, not that it is broken.
 *  - Without the A bit, the Length field must be exactly 24: nothing can
 *    follow the mandatory section but an authentication section.
 *  - Bytes received beyond the Length field are ignored, not refused: the
 *    Length field, not the UDP length, says where the packet ends, and
 *    RFC 9764 pads BFD packets that way to test the path MTU.
 *  - Poll and Final set together are accepted on reception (RFC 5880 6.8.6
 *    gives no rule to drop them; bfd_fsm handles both), but never built:
 *    RFC 5880 6.5 forbids sending them.
 *  - The Diagnostic field is kept as received, reserved values (9..31)
 *    included: it only informs.
 *  - The C and D bits are kept as received: the session decides what they
 *    mean (bfd_fsm honours a peer in Demand mode, RFC 5880 6.8.7).
 *  - Desired Min TX Interval 0 (reserved, RFC 5880 4.1) is accepted: no
 *    reception rule drops it, and bfd_fsm never divides by it.
 */
#ifndef DB_BFD_PKT_H
#define DB_BFD_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFD_PKT_VERSION 1	/* RFC 5880 4.1 */
#define BFD_PKT_LEN 24		/* the mandatory section, all this module builds */
#define BFD_PKT_AUTH_MIN_LEN 26 /* RFC 5880 6.8.6: the least Length with the A bit set */

/* RFC 5881 4: Control packets go to UDP port 3784, from a source port in
 * 49152..65535 that stays the same for the life of the session. */
#define BFD_UDP_PORT 3784
#define BFD_SRC_PORT_MIN 49152
#define BFD_SRC_PORT_MAX 65535
/* RFC 5881 5: sent with TTL / hop limit 255, and received with it or
 * dropped (no authentication here, so no exception). */
#define BFD_TTL 255

/* bfd.SessionState and the Sta field, RFC 5880 4.1 / 6.2. */
enum bfd_state {
	BFD_STATE_ADMIN_DOWN = 0,
	BFD_STATE_DOWN = 1,
	BFD_STATE_INIT = 2,
	BFD_STATE_UP = 3,
};

/* bfd.LocalDiag and the Diag field, RFC 5880 4.1; 9..31 are reserved. */
enum bfd_diag {
	BFD_DIAG_NONE = 0,
	BFD_DIAG_DETECT_EXPIRED = 1,	   /* Control Detection Time Expired */
	BFD_DIAG_ECHO_FAILED = 2,	   /* Echo Function Failed */
	BFD_DIAG_NEIGHBOR_DOWN = 3,	   /* Neighbor Signaled Session Down */
	BFD_DIAG_FWD_RESET = 4,		   /* Forwarding Plane Reset */
	BFD_DIAG_PATH_DOWN = 5,		   /* Path Down */
	BFD_DIAG_CONCAT_PATH_DOWN = 6,	   /* Concatenated Path Down */
	BFD_DIAG_ADMIN_DOWN = 7,	   /* Administratively Down */
	BFD_DIAG_REV_CONCAT_PATH_DOWN = 8, /* Reverse Concatenated Path Down */
	BFD_DIAG_MAX = 31,		   /* the field is 5 bits */
};

/* Why a Control packet was dropped. bfd_drop_str() names it for counters
 * and metrics, bfd_drop_text() for logs. */
enum bfd_drop {
	BFD_DROP_NONE = 0,    /* not dropped */
	BFD_DROP_SHORT,	      /* fewer than 24 bytes received */
	BFD_DROP_VERSION,     /* version not 1 */
	BFD_DROP_LENGTH,      /* Length below 24 (26 with A), or not 24 without A */
	BFD_DROP_TRUNCATED,   /* Length greater than the bytes received */
	BFD_DROP_DETECT_MULT, /* Detect Mult 0 */
	BFD_DROP_MULTIPOINT,  /* M bit set */
	BFD_DROP_MY_DISC,     /* My Discriminator 0 */
	BFD_DROP_YOUR_DISC,   /* Your Discriminator 0 in state Init or Up */
	BFD_DROP_AUTH,	      /* A bit set: authentication not supported */
	/* Set by the caller (or bfd_fsm_recv()); bfd_pkt_parse() never
	 * returns these. */
	BFD_DROP_TTL,	     /* TTL / hop limit not 255 (bfd_pkt_check_ttl) */
	BFD_DROP_NO_SESSION, /* no session for Your Discriminator / the source */
	BFD_DROP__MAX
};

/* One Control packet, RFC 5880 4.1. Intervals in microseconds. */
struct bfd_pkt {
	uint8_t version;		  /* BFD_PKT_VERSION */
	uint8_t diag;			  /* enum bfd_diag, 0..31, kept as received */
	enum bfd_state state;		  /* Sta */
	bool poll;			  /* P: asks for a packet with F in reply */
	bool final;			  /* F: answers a packet with P */
	bool cpi;			  /* C: Control Plane Independent */
	bool auth;			  /* A: authentication present; never accepted */
	bool demand;			  /* D: the sender wants Demand mode */
	bool multipoint;		  /* M: reserved, never accepted */
	uint8_t detect_mult;		  /* Detect Mult, > 0 */
	uint8_t length;			  /* Length in bytes: BFD_PKT_LEN */
	uint32_t my_disc;		  /* the sender's discriminator, > 0 */
	uint32_t your_disc;		  /* ours as the sender knows it, 0 if not yet */
	uint32_t desired_min_tx_us;	  /* Desired Min TX Interval */
	uint32_t required_min_rx_us;	  /* Required Min RX Interval */
	uint32_t required_min_echo_rx_us; /* Required Min Echo RX Interval */
};

/*
 * Parses one BFD Control packet.
 *
 * buf, len: the UDP payload (IP and UDP headers already stripped); len is
 * what was received, which may be more than the Length field (the rest is
 * ignored). why may be NULL.
 *
 * Returns 0 with *out filled and *why = BFD_DROP_NONE; -EINVAL when the
 * packet must be dropped, with *why saying why (never BFD_DROP_TTL or
 * BFD_DROP_NO_SESSION) and *out untouched. Nothing is allocated and *out
 * does not point into buf.
 */
int bfd_pkt_parse(const uint8_t *buf, size_t len, struct bfd_pkt *out, enum bfd_drop *why);

/*
 * Writes the Control packet *p into buf: BFD_PKT_LEN bytes, no
 * authentication section.
 *
 * Returns BFD_PKT_LEN; -ENOSPC when cap is smaller (buf is then untouched);
 * -EINVAL when *p is something bfd_pkt_parse() would drop (version not 1,
 * length not BFD_PKT_LEN, A or M set, Detect Mult 0, My Discriminator 0,
 * Your Discriminator 0 in Init or Up), when P and F are both set (RFC 5880
 * 6.5), or when diag or state does not fit its field. Anything it builds
 * parses back to the same fields.
 */
int bfd_pkt_build(uint8_t *buf, size_t cap, const struct bfd_pkt *p);

/*
 * Checks the TTL (IPv4) or hop limit (IPv6) of a received Control packet:
 * it must be 255, proof that it was not routed (RFC 5881 5). Returns 0, or
 * -EINVAL (count it as BFD_DROP_TTL).
 */
int bfd_pkt_check_ttl(int ttl);

/* A stable identifier for a drop reason ("detect_mult_zero",
 * "auth_unsupported"): snake_case, for counters, JSON keys and metric
 * labels; "unknown" outside the enum. A static string, never NULL. */
const char *bfd_drop_str(enum bfd_drop why);

/* The same reason in words for a log line ("authentication not
 * supported"); "unknown" outside the enum. */
const char *bfd_drop_text(enum bfd_drop why);

/* "AdminDown", "Down", "Init", "Up" (RFC 5880's words); "unknown" for a
 * value outside the enum. Never NULL. */
const char *bfd_state_str(enum bfd_state s);

/* The RFC 5880 4.1 name of a diagnostic code ("Control Detection Time
 * Expired"); "Reserved" for 9..31, "unknown" above. Never NULL. */
const char *bfd_diag_str(unsigned diag);

#endif
