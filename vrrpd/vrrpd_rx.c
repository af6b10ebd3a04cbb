/*
 * vrrpd: receiving advertisements. Every raw socket sees every VRRP packet
 * of the system; each is checked (vrrp_pkt.h), given to its group's state
 * machine, or counted as dropped on its group or interface.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "vrrpd/vrrpd.h"

/* ---- receiving ------------------------------------------------------------ */

static struct group *find_vrid(const struct iface *ifp, unsigned vrid)
{
	for (size_t i = 0; i < ifp->ngrp; i++)
		if (ifp->grp[i]->vrid == vrid)
			return ifp->grp[i];
	return NULL;
}

static void dropped(struct iface *ifp, struct group *gr, enum vrrp_drop why,
		    const union vrrp_addr *src)
{
	char a[INET6_ADDRSTRLEN];
	uint32_t bit = 1u << why;

	if (gr) {
		gr->c.drops[why]++;
		if (gr->logged & bit)
			return;
		gr->logged |= bit;
		log_warnx("(%s %s vrid %u) advertisement from %s dropped: %s (logged once)",
			  gr->ifname, fam_word(gr->family), gr->vrid,
			  addr_str(ifp->family, src, a, sizeof(a)), vrrp_drop_str(why));
		return;
	}
	ifp->drops[why]++;
	if (ifp->logged & bit)
		return;
	ifp->logged |= bit;
	log_warnx("%s: %s advertisement from %s dropped: %s (logged once)", ifp->name,
		  fam_word(ifp->family), addr_str(ifp->family, src, a, sizeof(a)),
		  vrrp_drop_str(why));
}

/* RFC 5798 7.1: the address list must match, unless the sender owns it. */
static bool same_addrs(const struct group *gr, const struct vrrp_pkt *p)
{
	size_t alen = gr->family == AF_INET ? 4 : 16;

	if (p->naddr != gr->nvips)
		return false;
	for (size_t i = 0; i < gr->nvips; i++) {
		bool found = false;

		for (size_t j = 0; j < p->naddr && !found; j++) {
			const void *x = gr->family == AF_INET ? (const void *)&p->addr.v4[j]
							      : (const void *)&p->addr.v6[j];

			found = memcmp(x, &gr->vips[i], alen) == 0;
		}
		if (!found)
			return false;
	}
	return true;
}

static void received(struct iface *ifp, const struct vrrp_net_rx *rx)
{
	struct vrrpd *d = ifp->d;
	struct group *gr = rx->len >= 2 ? find_vrid(ifp, rx->payload[1]) : NULL;
	struct vrrp_pkt p;
	struct vrrp_fsm_adv adv;
	struct vrrp_fsm_out o;
	enum vrrp_drop why;
	size_t alen = ifp->family == AF_INET ? 4 : 16;
	bool was_master;
	uint64_t now;

	if (gr && gr->track_if[0])
		gr = NULL; /* tracking groups run no protocol of their own */
	if (vrrp_pkt_check_ttl(rx->ttl) < 0)
		return dropped(ifp, gr, VRRP_DROP_TTL, &rx->src);
	if (vrrp_pkt_parse(rx->payload, rx->len, ifp->family, &rx->src, &rx->dst,
			   gr ? gr->csum : VRRP_CSUM_PSEUDO, &p, &why) < 0)
		return dropped(ifp, gr, why == VRRP_DROP_NONE ? VRRP_DROP_SHORT : why, &rx->src);
	if (gr == NULL)
		return dropped(ifp, NULL, VRRP_DROP_VRID_MISMATCH, &rx->src);
	if (p.version != gr->version)
		return dropped(ifp, gr, VRRP_DROP_VERSION, &rx->src);
	if (gr->version == 2 && p.adver_int * 1000u != gr->fsm.cfg.adver_interval_ms)
		return dropped(ifp, gr, VRRP_DROP_INTERVAL_MISMATCH, &rx->src);
	if (p.priority != 255 && !same_addrs(gr, &p))
		return dropped(ifp, gr, VRRP_DROP_ADDR_MISMATCH, &rx->src);
	gr->c.adv_rcvd++;
	if (p.priority == 0)
		gr->c.prio0_rcvd++;
	adv.priority = p.priority;
	adv.adver_interval_ms = gr->version == 2 ? p.adver_int * 1000u : p.max_adver_int * 10u;
	adv.sender_addr_higher = ifp->has_primary && memcmp(&rx->src, &ifp->primary, alen) > 0;
	now = now_ms(d);
	was_master = gr->fsm.state == VRRP_STATE_MASTER;
	vrrp_fsm_recv(&gr->fsm, now, &adv, &o);
	if (gr->fsm.state == VRRP_STATE_BACKUP && p.priority != 0) {
		gr->master_addr = rx->src;
		gr->master_known = true;
		gr->master_prio = p.priority;
	}
	vrrpd_run(gr, &o, now);
	/* a master of lower priority: the segment was cut and is whole again */
	if (was_master && gr->fsm.state == VRRP_STATE_MASTER && p.priority != 0)
		vrrpd_other_master(gr, &rx->src, p.priority, now);
}

void vrrpd_on_readable(uv_poll_t *h, int status, int events)
{
	struct rxsock *r = h->data;
	uint8_t buf[60 + VRRP_PKT_MAX_LEN + 64]; /* IPv4 header, message, slack */
	struct vrrp_net_rx rx;

	(void)events;
	if (status < 0)
		return;
	for (int i = 0; i < RX_BURST; i++) {
		int n = vrrp_net_recv(r->fd, r->family, buf, sizeof(buf), &rx);
		struct iface **slot, *ifp;

		if (n == -EAGAIN)
			break;
		if (n < 0 && n != -EBADMSG) {
			log_warnx("%s receive: %s", r->family == AF_INET ? "IPv4" : "IPv6",
				  strerror(-n));
			break;
		}
		if (rx.has_kernel_drops && rx.kernel_drops != r->kernel_drops) {
			if (r->kernel_drops == 0)
				log_warnx("%s: the kernel dropped advertisements, the receive "
					  "buffer full (display vrrp statistics counts them)",
					  r->family == AF_INET ? "IPv4" : "IPv6");
			r->kernel_drops = rx.kernel_drops;
		}
		/* Only the packets of this socket's interfaces: the others are
		 * another socket's, or of interfaces without groups. */
		slot = vrrpd_index_slot(r->d, r->family, rx.ifindex, false);
		ifp = slot ? *slot : NULL;
		if (ifp == NULL || ifp->rx != r)
			continue;
		if (n == -EBADMSG) {
			union vrrp_addr none = {0};

			dropped(ifp, NULL, VRRP_DROP_SHORT, &none);
			continue;
		}
		received(ifp, &rx);
	}
}
