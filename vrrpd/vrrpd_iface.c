/*
 * vrrpd: interfaces and their receive sockets, the virtual MAC (RFC 5798
 * 7.3, a macvlan per group with virtual-mac, as keepalived's use_vmac)
 * and the ARP sysctls it needs, and what links and addresses do to the
 * groups (rtnetlink notifications).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "vrrpd/vrrpd.h"
#include <sys/random.h>

/* ---- interfaces --------------------------------------------------------- */

static void refresh_iface(struct iface *ifp)
{
	union vrrp_addr a;
	bool had = ifp->has_primary;

	ifp->has_primary = vrrp_net_primary(ifp->family, ifp->ifindex, &a) == 0;
	if (ifp->has_primary)
		ifp->primary = a;
	if (had && !ifp->has_primary)
		log_warnx("%s: no %s address left to advertise from", ifp->name,
			  ifp->family == AF_INET ? "IPv4" : "IPv6 link-local");
	vrrp_net_hwaddr(ifp->name, ifp->mac);
}

struct iface **vrrpd_index_slot(struct vrrpd *d, int family, unsigned ifindex, bool grow)
{
	int f = family == AF_INET6;

	if (ifindex >= d->by_cap[f]) {
		size_t cap = d->by_cap[f] ? d->by_cap[f] : 64;
		struct iface **n;

		if (!grow)
			return NULL;
		while (cap <= ifindex)
			cap *= 2;
		n = realloc(d->by_index[f], cap * sizeof(*n));
		if (n == NULL)
			fatal("realloc");
		memset(n + d->by_cap[f], 0, (cap - d->by_cap[f]) * sizeof(*n));
		d->by_index[f] = n;
		d->by_cap[f] = cap;
	}
	return &d->by_index[f][ifindex];
}

/* Join the VRRP group on the interface through a socket with room left. */
static int rx_join(struct iface *ifp)
{
	struct vrrpd *d = ifp->d;
	struct rxsock *r;
	int rc;

	for (r = d->rxsocks; r; r = r->next) {
		if (r->family != ifp->family || r->full)
			continue;
		rc = vrrp_net_join(r->fd, r->family, ifp->ifindex, true);
		if (rc == 0) {
			ifp->rx = r;
			return 0;
		}
		if (rc != -ENOBUFS && rc != -ENOMEM)
			return rc;
		r->full = true;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->d = d;
	r->family = ifp->family;
	r->fd = vrrp_net_open_shared(ifp->family);
	if (r->fd < 0) {
		rc = r->fd;
		free(r);
		return rc;
	}
	rc = vrrp_net_join(r->fd, r->family, ifp->ifindex, true);
	if (rc < 0) {
		close(r->fd);
		free(r);
		return rc;
	}
	uv_poll_init(d->loop, &r->poll, r->fd);
	r->poll.data = r;
	uv_poll_start(&r->poll, UV_READABLE, vrrpd_on_readable);
	r->next = d->rxsocks;
	d->rxsocks = r;
	ifp->rx = r;
	return 0;
}

struct iface *vrrpd_iface_get(struct vrrpd *d, const char *name, int family)
{
	struct iface *ifp;
	unsigned idx = if_nametoindex(name);
	int rc;

	for (ifp = d->ifaces; ifp; ifp = ifp->next)
		if (ifp->family == family && strcmp(ifp->name, name) == 0) {
			ifp->refs++;
			return ifp;
		}
	if (idx == 0)
		return NULL;
	ifp = calloc(1, sizeof(*ifp));
	if (ifp == NULL)
		fatal("calloc");
	ifp->d = d;
	ifp->family = family;
	ifp->ifindex = idx;
	snprintf(ifp->name, sizeof(ifp->name), "%s", name);
	rc = rx_join(ifp);
	if (rc < 0) {
		log_warnx("%s: cannot join the VRRP multicast group: %s", name, strerror(-rc));
		free(ifp);
		return NULL;
	}
	ifp->refs = 1;
	refresh_iface(ifp);
	*vrrpd_index_slot(d, family, idx, true) = ifp;
	ifp->next = d->ifaces;
	d->ifaces = ifp;
	return ifp;
}

void vrrpd_iface_put(struct iface *ifp)
{
	struct vrrpd *d = ifp->d;
	struct iface **pp, **slot;

	if (ifp == NULL || --ifp->refs > 0)
		return;
	for (pp = &d->ifaces; *pp; pp = &(*pp)->next)
		if (*pp == ifp) {
			*pp = ifp->next;
			break;
		}
	slot = vrrpd_index_slot(d, ifp->family, ifp->ifindex, false);
	if (slot && *slot == ifp)
		*slot = NULL;
	/* The interface may be gone already, and its membership with it. */
	if (vrrp_net_join(ifp->rx->fd, ifp->family, ifp->ifindex, false) == 0)
		ifp->rx->full = false;
	free(ifp->grp);
	free(ifp);
}

/* ---- virtual MAC (RFC 5798 7.3) ------------------------------------------ */

/* RFC 5798 7.3: 00-00-5E-00-01-{VRID} for IPv4. */
static void vmac_of(unsigned vrid, uint8_t mac[6])
{
	static const uint8_t prefix[5] = {0x00, 0x00, 0x5e, 0x00, 0x01};

	memcpy(mac, prefix, sizeof(prefix));
	mac[5] = (uint8_t)vrid;
}

/* One name per (interface, VRID): "vrrp.<ifindex>.<vrid>", or
 * "vr<ifindex>.<vrid>" in hexadecimal (13 characters at most) when that
 * is longer than an interface name may be. */
static void vmac_ifname(unsigned parent, unsigned vrid, char name[IF_NAMESIZE])
{
	if (snprintf(name, IF_NAMESIZE, "vrrp.%u.%u", parent, vrid) >= IF_NAMESIZE)
		snprintf(name, IF_NAMESIZE, "vr%x.%x", parent, vrid);
}

static void conf_path(char *buf, size_t len, const char *fam, const char *ifname, const char *key)
{
	snprintf(buf, len, "/proc/sys/net/%s/conf/%s/%s", fam, ifname, key);
}

static int conf_set(const char *fam, const char *ifname, const char *key, int val)
{
	char path[128];

	conf_path(path, sizeof(path), fam, ifname, key);
	return vrrp_net_sysctl_set(path, val);
}

static int conf_get(const char *fam, const char *ifname, const char *key)
{
	char path[128];
	int val, rc;

	conf_path(path, sizeof(path), fam, ifname, key);
	rc = vrrp_net_sysctl_get(path, &val);
	return rc < 0 ? -1 : val;
}

/*
 * The interface under virtual-mac groups must neither answer ARP for
 * their virtual addresses, which live on the macvlans (arp_ignore 1:
 * answer only for addresses of the interface the request came in on), nor
 * name one as the sender of the ARP requests it sends for the master's
 * own traffic (arp_announce 2: always its own address), or hosts would
 * learn a virtual address with the interface's MAC. keepalived sets
 * arp_ignore 1 too, and arp_filter 1, which adds nothing here: the
 * macvlans hold /32 addresses only, so no route leads out through them.
 */
static void parent_arp_hold(struct iface *ifp)
{
	int rc;

	if (ifp->vmac_groups++ > 0)
		return;
	ifp->saved_arp_ignore = conf_get("ipv4", ifp->name, "arp_ignore");
	ifp->saved_arp_announce = conf_get("ipv4", ifp->name, "arp_announce");
	rc = conf_set("ipv4", ifp->name, "arp_ignore", 1);
	if (rc == 0)
		rc = conf_set("ipv4", ifp->name, "arp_announce", 2);
	if (rc < 0)
		log_warnx("%s: cannot set arp_ignore 1 and arp_announce 2 for virtual-mac: %s",
			  ifp->name, strerror(-rc));
}

/* The last virtual-mac group of the interface is gone: its ARP sysctls
 * return to what they were before the first one. */
static void parent_arp_release(struct iface *ifp)
{
	if (ifp == NULL || --ifp->vmac_groups > 0)
		return;
	if (ifp->saved_arp_ignore >= 0)
		conf_set("ipv4", ifp->name, "arp_ignore", ifp->saved_arp_ignore);
	if (ifp->saved_arp_announce >= 0)
		conf_set("ipv4", ifp->name, "arp_announce", ifp->saved_arp_announce);
}

/*
 * Creates the macvlan `name` on parent with the virtual MAC of vrid, and
 * prepares it:
 *  - IPv6 off (disable_ipv6 1, before it is up): no link-local address,
 *    hence no DAD, MLD or router solicitation from the virtual MAC, which
 *    a backup must never send from (a switch would send the master's
 *    traffic to it);
 *  - arp_ignore 1: it answers ARP only for its own addresses, so a
 *    backup's macvlan, which has none, answers nothing, and a master's
 *    answers for the virtual addresses only, never for the routers' own
 *    (it receives every broadcast the parent does);
 *  - arp_announce 2: should it ever send an ARP request, it names its own
 *    address as the sender;
 *  - rp_filter 0: the way back to a host is the parent, not the macvlan,
 *    and strict reverse-path filtering would drop the ARP requests and
 *    packets that reach the virtual addresses (conf/all/rp_filter 1 would
 *    still win: the kernel takes the larger value).
 * Then brought up. A macvlan of that name left by a vrrpd that died is
 * deleted and created again (*replaced), so that its mode, MAC, parent and
 * addresses are ours, never two. Returns the macvlan's ifindex, or a
 * negative errno with why saying what failed (-EEXIST: an interface of
 * that name that is not a macvlan); nothing is left behind on failure.
 */
static int vmac_setup(struct vrrpd *d, const char *name, unsigned parent, unsigned vrid,
		      bool *replaced, char *why, size_t whylen)
{
	static const struct {
		const char *fam, *key;
		int val;
	} conf[] = {
	    {"ipv6", "disable_ipv6", 1},
	    {"ipv4", "arp_ignore", 1},
	    {"ipv4", "arp_announce", 2},
	    {"ipv4", "rp_filter", 0},
	};
	struct vrrp_net_link l;
	uint8_t mac[6];
	int rc;

	vmac_of(vrid, mac);
	*replaced = false;
	snprintf(why, whylen, "cannot create macvlan %s", name);
	rc = vrrp_net_macvlan_add(d->nl, parent, name, mac);
	if (rc == -EEXIST) {
		rc = vrrp_net_link_get(d->nl, name, &l);
		if (rc == 0 && strcmp(l.kind, "macvlan") != 0) {
			snprintf(why, whylen, "interface %s exists and is not a macvlan", name);
			return -EEXIST;
		}
		if (rc == 0)
			rc = vrrp_net_link_del(d->nl, l.ifindex);
		if (rc == 0 || rc == -ENODEV) {
			*replaced = true;
			rc = vrrp_net_macvlan_add(d->nl, parent, name, mac);
		}
	}
	if (rc == 0)
		rc = vrrp_net_link_get(d->nl, name, &l);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < sizeof(conf) / sizeof(conf[0]); i++) {
		rc = conf_set(conf[i].fam, name, conf[i].key, conf[i].val);
		if (rc == -ENOENT && strcmp(conf[i].fam, "ipv6") == 0)
			rc = 0; /* a kernel without IPv6 sends none */
		if (rc < 0) {
			snprintf(why, whylen, "macvlan %s: cannot set %s %s to %d", name,
				 conf[i].fam, conf[i].key, conf[i].val);
			goto fail;
		}
	}
	rc = vrrp_net_link_set_up(d->nl, l.ifindex);
	if (rc < 0) {
		snprintf(why, whylen, "cannot bring macvlan %s up", name);
		goto fail;
	}
	return (int)l.ifindex;
fail:
	vrrp_net_link_del(d->nl, l.ifindex);
	return rc;
}

/* The group's macvlan, up, and its interface's ARP sysctls. Returns 0 or a
 * negative errno (why: what failed). */
int vrrpd_vmac_start(struct group *gr, char *why, size_t whylen)
{
	bool replaced;
	int idx;

	vmac_of(gr->vrid, gr->vmac);
	vmac_ifname(gr->ifp->ifindex, gr->vrid, gr->vmac_name);
	idx = vmac_setup(gr->d, gr->vmac_name, gr->ifp->ifindex, gr->vrid, &replaced, why, whylen);
	if (idx < 0)
		return idx;
	if (replaced)
		log_info("(%s vrrp vrid %u) replaced macvlan %s, left behind by an earlier vrrpd",
			 gr->ifname, gr->vrid, gr->vmac_name);
	gr->vmac_ifindex = (unsigned)idx;
	parent_arp_hold(gr->ifp);
	return 0;
}

/* Deletes the group's macvlan (and with it any address on it). */
void vrrpd_vmac_stop(struct group *gr)
{
	struct vrrpd *d = gr->d;
	char name[IF_NAMESIZE];
	int rc;

	if (gr->vmac_ifindex == 0)
		return;
	/* Only if it is still ours: never another interface that took its index. */
	if (if_indextoname(gr->vmac_ifindex, name) && strcmp(name, gr->vmac_name) == 0) {
		rc = vrrp_net_link_del(d->nl, gr->vmac_ifindex);
		if (rc < 0 && rc != -ENODEV)
			log_warnx("(%s vrrp vrid %u) cannot delete macvlan %s: %s", gr->ifname,
				  gr->vrid, gr->vmac_name, strerror(-rc));
	}
	gr->vmac_ifindex = 0;
	parent_arp_release(gr->ifp);
}

/* Can the group's macvlan be created? A trial: created, brought up (which
 * fails when another macvlan has the MAC up) and deleted again, unless a
 * macvlan of that name is there already (running, or left by a vrrpd that
 * died: the group will replace it). It sends nothing meanwhile: no
 * address, IPv6 off. Returns 0 or a negative errno (why: what failed). */
int vrrpd_vmac_check(struct vrrpd *d, unsigned idx, unsigned vrid, char *why, size_t whylen)
{
	char name[IF_NAMESIZE];
	struct vrrp_net_link l;
	bool replaced;
	int rc;

	vmac_ifname(idx, vrid, name);
	rc = vrrp_net_link_get(d->nl, name, &l);
	if (rc == 0 && strcmp(l.kind, "macvlan") == 0)
		return 0;
	if (rc == 0) {
		snprintf(why, whylen, "interface %s exists and is not a macvlan", name);
		return -EEXIST;
	}
	rc = vmac_setup(d, name, idx, vrid, &replaced, why, whylen);
	if (rc < 0)
		return rc;
	vrrp_net_link_del(d->nl, (unsigned)rc);
	return 0;
}

/* Where the group's frames leave from: its macvlan with virtual-mac. */
unsigned vrrpd_tx_ifindex(const struct group *gr)
{
	return gr->vmac_ifindex ? gr->vmac_ifindex : gr->ifp->ifindex;
}

/* ---- links and addresses --------------------------------------------------- */

static void link_changed(struct group *gr, bool up)
{
	struct vrrpd *d = gr->d;
	struct vrrp_fsm_out o;
	uint64_t now = now_ms(d);

	if (gr->track_if[0]) {
		gr->link_up = up;
		vrrpd_follow_leader(gr);
		return;
	}
	if (gr->ignore_if_down)
		return;
	if (!up) {
		gr->link_up_at = 0;
	} else if (gr->recover_delay_ms && gr->link_up_at == 0 && !gr->fsm.link_up) {
		/* VRP's recover-delay: up only once it stayed up that long */
		gr->link_up_at = now;
		vrrpd_tracks_apply(gr, "interface up", now);
		return;
	} else if (gr->link_up_at) {
		return; /* vrrpd_on_track_timer() ends the wait */
	}
	vrrp_fsm_set_link(&gr->fsm, now, up, &o);
	vrrpd_run(gr, &o, now);
}

/* Someone deleted a running group's macvlan: create it again, with the
 * virtual addresses when master. */
static void vmac_lost(struct group *gr)
{
	char name[IF_NAMESIZE], why[96];
	bool replaced;
	int rc;

	if (if_indextoname(gr->vmac_ifindex, name) != NULL)
		return; /* only down: it follows its interface */
	if (if_indextoname(gr->ifp->ifindex, name) == NULL) {
		/* it went with its interface: made again with it
		 * (iface_renumber()) */
		log_info("(%s vrrp vrid %u) macvlan %s went with its interface", gr->ifname,
			 gr->vrid, gr->vmac_name);
		gr->vmac_ifindex = 0;
		parent_arp_release(gr->ifp);
		return;
	}
	log_warnx("(%s vrrp vrid %u) macvlan %s was deleted; creating it again", gr->ifname,
		  gr->vrid, gr->vmac_name);
	gr->vmac_ifindex = 0;
	rc = vmac_setup(gr->d, gr->vmac_name, gr->ifp->ifindex, gr->vrid, &replaced, why,
			sizeof(why));
	if (rc < 0) {
		log_warnx("(%s vrrp vrid %u) virtual-mac: %s: %s; the interface's MAC is used "
			  "instead",
			  gr->ifname, gr->vrid, why, strerror(-rc));
		parent_arp_release(gr->ifp);
	} else {
		gr->vmac_ifindex = (unsigned)rc;
	}
	if (gr->fsm.state == VRRP_STATE_MASTER) {
		vrrpd_set_vips(gr, true);
		if (!gr->held)
			vrrpd_announce(gr);
	}
}

/* The group's interface was made again: its macvlan, which went with the
 * old one, is made on the new one (named after the new index), before the
 * link event that starts the group. */
static void vmac_remake(struct group *gr)
{
	char why[96];
	int rc;

	vrrpd_vmac_stop(gr); /* the old one, if its deletion is still unread */
	rc = vrrpd_vmac_start(gr, why, sizeof(why));
	if (rc < 0)
		log_warnx("(%s vrrp vrid %u) virtual-mac: %s: %s; the interface's MAC is used "
			  "instead",
			  gr->ifname, gr->vrid, why, strerror(-rc));
	else
		log_info("(%s vrrp vrid %u) macvlan %s made on the new interface", gr->ifname,
			 gr->vrid, gr->vmac_name);
}

/* The interface of ifp was deleted and another of its name now has
 * ifindex (an operator made a VLAN or a bond again): its groups run on the
 * new one, whose link event follows, as they are configured by name. The
 * old one's membership went with it. */
static void iface_renumber(struct iface *ifp, unsigned ifindex)
{
	struct vrrpd *d = ifp->d;
	struct iface **slot = vrrpd_index_slot(d, ifp->family, ifp->ifindex, false);
	int rc;

	log_info("%s: created again (ifindex %u, was %u)", ifp->name, ifindex, ifp->ifindex);
	if (slot && *slot == ifp)
		*slot = NULL;
	if (vrrp_net_join(ifp->rx->fd, ifp->family, ifp->ifindex, false) == 0)
		ifp->rx->full = false;
	ifp->ifindex = ifindex;
	*vrrpd_index_slot(d, ifp->family, ifindex, true) = ifp;
	rc = rx_join(ifp);
	if (rc < 0)
		log_warnx("%s: cannot join the VRRP multicast group: %s", ifp->name, strerror(-rc));
	refresh_iface(ifp);
	for (struct group *gr = d->groups; gr; gr = gr->next)
		if (gr->ifp == ifp && gr->vmac_cfg)
			vmac_remake(gr);
}

static void on_net_event(const struct vrrp_net_event *ev, void *arg)
{
	struct vrrpd *d = arg;
	int now_up = -2; /* vrrp_net_link_up() of the event's interface, once read */

	if (ev->kind == VRRP_NET_LINK && ev->ifname[0])
		for (struct iface *ifp = d->ifaces; ifp; ifp = ifp->next)
			if (ifp->ifindex != ev->ifindex && strcmp(ifp->name, ev->ifname) == 0 &&
			    if_nametoindex(ev->ifname) == ev->ifindex)
				iface_renumber(ifp, ev->ifindex);
	/* Groups applied while their interface did not exist (cfgd's PUSH
	 * applies what a commit would refuse): it is there now. */
	if (ev->kind == VRRP_NET_LINK && ev->ifname[0] && ev->up)
		for (struct group *gr = d->groups; gr; gr = gr->next)
			if (gr->ifp == NULL && strcmp(gr->ifname, ev->ifname) == 0 &&
			    if_nametoindex(ev->ifname) == ev->ifindex) {
				log_info("(%s %s vrid %u) the interface exists now", gr->ifname,
					 fam_word(gr->family), gr->vrid);
				vrrpd_group_attach(gr);
			}
	if (ev->kind == VRRP_NET_ADDR) {
		/* Read once for the whole burst: see refresh_dirty(). */
		for (struct iface *ifp = d->ifaces; ifp; ifp = ifp->next)
			if (ifp->ifindex == ev->ifindex)
				ifp->dirty = true;
		return;
	}
	for (struct group *gr = d->groups; gr; gr = gr->next)
		if (gr->vmac_ifindex && gr->vmac_ifindex == ev->ifindex && !ev->up)
			vmac_lost(gr);
	if (ev->ifname[0])
		for (struct group *gr = d->groups; gr; gr = gr->next) {
			char what[64];

			snprintf(what, sizeof(what), "tracked interface %s %s", ev->ifname,
				 ev->up ? "up" : "down");
			vrrpd_track_seen(gr, VRRP_TRACK_INTERFACE, ev->ifname, !ev->up, what,
					 now_ms(d));
		}
	for (struct group *gr = d->groups; gr; gr = gr->next) {
		bool was;

		if (gr->ifp == NULL || gr->ifp->ifindex != ev->ifindex)
			continue;
		was = gr->track_if[0] ? gr->link_up : gr->fsm.link_up || gr->link_up_at;
		/* A notification older than the group (its interface made just
		 * before the commit) is history: the link is as the group has
		 * it. The one that changed it, if any, is still to come. The
		 * link is read once for all the interface's groups. */
		if (was != ev->up && now_up == -2)
			now_up = vrrp_net_link_up(gr->ifname);
		if (was != ev->up && now_up == was)
			continue;
		if (was != ev->up) {
			log_info("(%s %s vrid %u) interface %s", gr->ifname, fam_word(gr->family),
				 gr->vrid, ev->up ? "up" : "down");
			link_changed(gr, ev->up);
		}
	}
}

static void resync_links(struct vrrpd *d)
{
	vrrp_net_snapshot_begin();
	for (struct iface *ifp = d->ifaces; ifp; ifp = ifp->next)
		refresh_iface(ifp);
	vrrp_net_snapshot_end();
	for (struct group *gr = d->groups; gr; gr = gr->next) {
		struct vrrp_net_event ev = {.kind = VRRP_NET_LINK};

		if (gr->ifp == NULL)
			continue;
		ev.ifindex = gr->ifp->ifindex;
		ev.up = vrrp_net_link_up(gr->ifname) == 1;
		on_net_event(&ev, NULL);
	}
	for (struct group *gr = d->groups; gr; gr = gr->next)
		for (size_t i = 0; i < gr->ntracks; i++)
			if (gr->tracks[i].kind == VRRP_TRACK_INTERFACE)
				vrrpd_track_seen(gr, VRRP_TRACK_INTERFACE, gr->tracks[i].name,
						 vrrp_net_link_up(gr->tracks[i].name) != 1,
						 "tracked interface re-read", now_ms(d));
}

/* The interfaces whose addresses changed, from one dump: a master taking
 * over a thousand groups causes a thousand notifications. */
static void refresh_dirty(struct vrrpd *d)
{
	bool any = false;

	for (struct iface *ifp = d->ifaces; ifp && !any; ifp = ifp->next)
		any = ifp->dirty;
	if (!any)
		return;
	vrrp_net_snapshot_begin();
	for (struct iface *ifp = d->ifaces; ifp; ifp = ifp->next)
		if (ifp->dirty) {
			ifp->dirty = false;
			refresh_iface(ifp);
		}
	vrrp_net_snapshot_end();
}

void vrrpd_on_monitor(uv_poll_t *h, int status, int events)
{
	struct vrrpd *d = h->data;
	int rc;

	(void)events;
	if (status < 0)
		return;
	rc = vrrp_net_monitor_read(d->mon, on_net_event, d);
	if (rc == -ENOBUFS) {
		log_warnx("link notifications were lost; reading every interface again");
		resync_links(d);
	} else if (rc < 0) {
		log_warnx("link notifications: %s", strerror(-rc));
	}
	refresh_dirty(d);
}
