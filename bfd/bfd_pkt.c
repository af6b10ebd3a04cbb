/* BFD Control packets on the wire: see bfd_pkt.h. */
#include <errno.h>
#include <string.h>

#include "bfd/bfd_pkt.h"

/* Byte 1: Sta(2) P F C A D M, RFC 5880 4.1. */
#define F_POLL 0x20
#define F_FINAL 0x10
#define F_CPI 0x08
#define F_AUTH 0x04
#define F_DEMAND 0x02
#define F_MULTIPOINT 0x01

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int drop(enum bfd_drop *why, enum bfd_drop reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

/* RFC 5880 6.8.6: Your Discriminator may be 0 only while the sender does
 * not know ours yet, which it cannot while it says Init or Up. */
static bool your_disc_ok(uint32_t your_disc, enum bfd_state state)
{
	return your_disc != 0 || state == BFD_STATE_DOWN || state == BFD_STATE_ADMIN_DOWN;
}

int bfd_pkt_parse(const uint8_t *buf, size_t len, struct bfd_pkt *out, enum bfd_drop *why)
{
	uint8_t flags, length, mult;
	uint32_t my_disc, your_disc;
	enum bfd_state state;
	bool auth;

	if (why)
		*why = BFD_DROP_NONE;
	if (len < BFD_PKT_LEN)
		return drop(why, BFD_DROP_SHORT);

	/* RFC 5880 6.8.6, in its order */
	if (buf[0] >> 5 != BFD_PKT_VERSION)
		return drop(why, BFD_DROP_VERSION);
	flags = buf[1];
	auth = flags & F_AUTH;
	length = buf[3];
	if (length < (auth ? BFD_PKT_AUTH_MIN_LEN : BFD_PKT_LEN))
		return drop(why, BFD_DROP_LENGTH);
	if (length > len)
		return drop(why, BFD_DROP_TRUNCATED);
	if (!auth && length != BFD_PKT_LEN)
		return drop(why, BFD_DROP_LENGTH);
	mult = buf[2];
	if (mult == 0)
		return drop(why, BFD_DROP_DETECT_MULT);
	if (flags & F_MULTIPOINT)
		return drop(why, BFD_DROP_MULTIPOINT);
	my_disc = get32(buf + 4);
	if (my_disc == 0)
		return drop(why, BFD_DROP_MY_DISC);
	your_disc = get32(buf + 8);
	state = (enum bfd_state)(flags >> 6);
	if (!your_disc_ok(your_disc, state))
		return drop(why, BFD_DROP_YOUR_DISC);
	if (auth)
		return drop(why, BFD_DROP_AUTH);

	/* every check passed: only now is *out written */
	out->version = BFD_PKT_VERSION;
	out->diag = buf[0] & 0x1f;
	out->state = state;
	out->poll = flags & F_POLL;
	out->final = flags & F_FINAL;
	out->cpi = flags & F_CPI;
	out->auth = false;
	out->demand = flags & F_DEMAND;
	out->multipoint = false;
	out->detect_mult = mult;
	out->length = length;
	out->my_disc = my_disc;
	out->your_disc = your_disc;
	out->desired_min_tx_us = get32(buf + 12);
	out->required_min_rx_us = get32(buf + 16);
	out->required_min_echo_rx_us = get32(buf + 20);
	return 0;
}

int bfd_pkt_build(uint8_t *buf, size_t cap, const struct bfd_pkt *p)
{
	if (p->version != BFD_PKT_VERSION || p->length != BFD_PKT_LEN)
		return -EINVAL;
	if (p->diag > BFD_DIAG_MAX || (unsigned)p->state > BFD_STATE_UP)
		return -EINVAL;
	if (p->auth || p->multipoint || (p->poll && p->final))
		return -EINVAL;
	if (p->detect_mult == 0 || p->my_disc == 0 || !your_disc_ok(p->your_disc, p->state))
		return -EINVAL;
	if (cap < BFD_PKT_LEN)
		return -ENOSPC;

	buf[0] = (uint8_t)(BFD_PKT_VERSION << 5 | p->diag);
	buf[1] =
	    (uint8_t)((unsigned)p->state << 6 | (p->poll ? F_POLL : 0) | (p->final ? F_FINAL : 0) |
		      (p->cpi ? F_CPI : 0) | (p->demand ? F_DEMAND : 0));
	buf[2] = p->detect_mult;
	buf[3] = BFD_PKT_LEN;
	put32(buf + 4, p->my_disc);
	put32(buf + 8, p->your_disc);
	put32(buf + 12, p->desired_min_tx_us);
	put32(buf + 16, p->required_min_rx_us);
	put32(buf + 20, p->required_min_echo_rx_us);
	return BFD_PKT_LEN;
}

int bfd_pkt_check_ttl(int ttl)
{
	return ttl == BFD_TTL ? 0 : -EINVAL;
}

const char *bfd_drop_str(enum bfd_drop why)
{
	static const char *const keys[BFD_DROP__MAX] = {
	    [BFD_DROP_NONE] = "none",
	    [BFD_DROP_SHORT] = "short",
	    [BFD_DROP_VERSION] = "version",
	    [BFD_DROP_LENGTH] = "length",
	    [BFD_DROP_TRUNCATED] = "truncated",
	    [BFD_DROP_DETECT_MULT] = "detect_mult_zero",
	    [BFD_DROP_MULTIPOINT] = "multipoint",
	    [BFD_DROP_MY_DISC] = "my_disc_zero",
	    [BFD_DROP_YOUR_DISC] = "your_disc_zero",
	    [BFD_DROP_AUTH] = "auth_unsupported",
	    [BFD_DROP_TTL] = "ttl",
	    [BFD_DROP_NO_SESSION] = "no_session",
	};

	return (unsigned)why < BFD_DROP__MAX && keys[why] ? keys[why] : "unknown";
}

const char *bfd_drop_text(enum bfd_drop why)
{
	static const char *const texts[BFD_DROP__MAX] = {
	    [BFD_DROP_NONE] = "accepted",
	    [BFD_DROP_SHORT] = "too short",
	    [BFD_DROP_VERSION] = "bad version",
	    [BFD_DROP_LENGTH] = "bad length",
	    [BFD_DROP_TRUNCATED] = "length beyond the received bytes",
	    [BFD_DROP_DETECT_MULT] = "detect mult 0",
	    [BFD_DROP_MULTIPOINT] = "multipoint bit set",
	    [BFD_DROP_MY_DISC] = "my discriminator 0",
	    [BFD_DROP_YOUR_DISC] = "your discriminator 0 in state init or up",
	    [BFD_DROP_AUTH] = "authentication not supported",
	    [BFD_DROP_TTL] = "ttl not 255",
	    [BFD_DROP_NO_SESSION] = "no such session",
	};

	return (unsigned)why < BFD_DROP__MAX && texts[why] ? texts[why] : "unknown";
}

const char *bfd_state_str(enum bfd_state s)
{
	switch (s) {
	case BFD_STATE_ADMIN_DOWN:
		return "AdminDown";
	case BFD_STATE_DOWN:
		return "Down";
	case BFD_STATE_INIT:
		return "Init";
	case BFD_STATE_UP:
		return "Up";
	}
	return "unknown";
}

const char *bfd_diag_str(unsigned diag)
{
	static const char *const names[] = {
	    [BFD_DIAG_NONE] = "No Diagnostic",
	    [BFD_DIAG_DETECT_EXPIRED] = "Control Detection Time Expired",
	    [BFD_DIAG_ECHO_FAILED] = "Echo Function Failed",
	    [BFD_DIAG_NEIGHBOR_DOWN] = "Neighbor Signaled Session Down",
	    [BFD_DIAG_FWD_RESET] = "Forwarding Plane Reset",
	    [BFD_DIAG_PATH_DOWN] = "Path Down",
	    [BFD_DIAG_CONCAT_PATH_DOWN] = "Concatenated Path Down",
	    [BFD_DIAG_ADMIN_DOWN] = "Administratively Down",
	    [BFD_DIAG_REV_CONCAT_PATH_DOWN] = "Reverse Concatenated Path Down",
	};

	if (diag < sizeof(names) / sizeof(names[0]))
		return names[diag];
	return diag <= BFD_DIAG_MAX ? "Reserved" : "unknown";
}
