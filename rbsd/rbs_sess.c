/* Tie-break and resume / resync: see rbs_sess.h. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "rbsd/rbs_sess.h"

/* The address bytes to compare, in network order (so memcmp() compares
 * numerically), and their length: 4 for IPv4 and IPv4-mapped IPv6, 16 for
 * other IPv6; 0 for another family. */
static size_t addr_bytes(const struct sockaddr_storage *ss, const uint8_t **p)
{
	if (ss->ss_family == AF_INET) {
		*p = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
		return 4;
	}
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			*p = a->s6_addr + 12;
			return 4;
		}
		*p = a->s6_addr;
		return 16;
	}
	return 0;
}

int rbs_sess_tiebreak(const struct sockaddr_storage *local, const struct sockaddr_storage *peer)
{
	const uint8_t *l = NULL, *p = NULL;
	size_t llen = addr_bytes(local, &l), plen = addr_bytes(peer, &p);
	int c;

	if (llen == 0 || plen == 0)
		return -EAFNOSUPPORT;
	if (llen != plen)
		return -EINVAL;
	c = memcmp(l, p, llen);
	if (c == 0)
		return -EINVAL;
	return c > 0 ? RBS_SESS_KEEP_OUTBOUND : RBS_SESS_KEEP_INBOUND;
}

/* The plan of the direction snd -> rcv, the same on both sides. */
static struct rbs_sess_dir direction(const struct rbs_sess_state *snd,
				     const struct rbs_sess_state *rcv)
{
	struct rbs_sess_dir d = {.resume = false, .why = RBS_SESS_WHY_RESUME};

	if (snd->peer_session == 0)
		d.why = RBS_SESS_WHY_FIRST;
	else if (snd->peer_session != rcv->session)
		d.why = RBS_SESS_WHY_PEER_NEW;
	else if (rcv->peer_session != snd->session)
		d.why = RBS_SESS_WHY_SENDER_NEW;
	else if (rcv->rx_seq > snd->tx_sent)
		d.why = RBS_SESS_WHY_SEQ_AHEAD;
	else if (rcv->rx_seq < snd->tx_acked)
		d.why = RBS_SESS_WHY_SEQ_BEHIND;

	if (d.why == RBS_SESS_WHY_RESUME) {
		d.resume = true;
		d.seq = rcv->rx_seq + 1;
	} else {
		/* rbs_tx_resync() keeps numbering after the last seq sent */
		d.seq = snd->tx_sent + 1;
	}
	return d;
}

int rbs_sess_decide(const struct rbs_sess_state *local, const struct rbs_sess_state *peer,
		    struct rbs_sess_plan *out)
{
	if (local->session == 0 || peer->session == 0 || local->session == peer->session)
		return -EINVAL;
	out->tx = direction(local, peer);
	out->rx = direction(peer, local);
	return 0;
}

static const char *const why_str[RBS_SESS_WHY__MAX] = {
    [RBS_SESS_WHY_RESUME] = "resume",
    [RBS_SESS_WHY_FIRST] = "first contact",
    [RBS_SESS_WHY_PEER_NEW] = "the receiver restarted",
    [RBS_SESS_WHY_SENDER_NEW] = "the receiver does not know the sender's run",
    [RBS_SESS_WHY_SEQ_AHEAD] = "the receiver claims more than was sent",
    [RBS_SESS_WHY_SEQ_BEHIND] = "the receiver claims less than it acked",
};

const char *rbs_sess_why_str(enum rbs_sess_why why)
{
	if ((unsigned)why >= RBS_SESS_WHY__MAX)
		return "unknown";
	return why_str[why];
}
