/*
 * vrrpd: VRRP groups on the wire (RFC 5798 VRRPv3 for IPv4 and IPv6,
 * RFC 3768 VRRPv2).
 *
 * One raw socket per interface and address family carries every group of
 * that interface. Each group runs the pure state machine of vrrp_fsm on a
 * libuv timer; this file turns its actions into packets, addresses and
 * announcements, publishes every state change on RUNDIR/vrrpd-events.ipc,
 * runs the operator's notify script, and answers `display vrrp`.
 *
 * Groups that track an admin-vrrp group (mVRRP) send and process no
 * advertisements: their state follows the admin group's.
 *
 * A group with virtual-mac (IPv4) owns a macvlan on its interface with
 * the virtual router MAC address 00-00-5E-00-01-{VRID} (RFC 5798 7.3),
 * as keepalived's use_vmac: a master holds its virtual addresses there and
 * sends its advertisements and gratuitous ARPs from it; everything is
 * still received on the interface's socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/bus.h"
#include "common/daemon.h"
#include "common/jsonout.h"
#include "common/log.h"
#include "common/service.h"
#include "common/show.h"
#include "config.pb-c.h"
#include "vrrpd/vrrp_bfd.h"
#include "vrrpd/vrrp_track.h"
#include "vrrpd/vrrp_fsm.h"
#include "vrrpd/vrrp_net.h"
#include "vrrpd/vrrp_notify.h"
#include "vrrpd/vrrp_pkt.h"

#define DEF_GARP_COUNT 3
#define DEF_GARP_INTERVAL_MS 500
#define RX_BURST 64 /* packets read per wake-up of one socket */
/* Ordered takeover (docs/takeover.md): a new master's announcements wait
 * for rbpd's takeover at most this long, and only while rbpd's last
 * PreemptGates is this recent (it publishes them every second). */
#define ANNOUNCE_WAIT_MAX_MS 2000
#define GATES_FRESH_MS 3000

/* A raw socket of one family, joined to the VRRP group on up to as many
 * interfaces as the kernel lets one socket join. Every such socket sees
 * every VRRP packet of the system, so each handles only the packets of
 * its own interfaces. */
struct rxsock {
	struct rxsock *next;
	int family;
	int fd;
	uv_poll_t poll;
	bool full;	       /* the kernel refused one more membership */
	uint32_t kernel_drops; /* dropped by the kernel, the receive buffer full */
};

/* An interface and family with groups on it. */
struct iface {
	struct iface *next;
	int family;
	unsigned ifindex;
	char name[IF_NAMESIZE];
	struct rxsock *rx; /* the socket joined on it, also used to send */
	int refs;
	union vrrp_addr primary; /* the source of our advertisements */
	bool has_primary;
	uint8_t mac[6];
	bool dirty;	    /* an address changed: read them again */
	struct group **grp; /* the groups on this socket, to find one by VRID */
	size_t ngrp, capgrp;
	/* Packets that reached no group (unknown VRID, or dropped before the
	 * VRID could be read). */
	uint64_t drops[VRRP_DROP__MAX];
	uint32_t logged; /* drop reasons already logged, one bit each */
	/* Groups with virtual-mac on this interface: the first one sets its
	 * ARP sysctls (parent_arp_hold), the last one restores these values
	 * (-1: could not be read, left as they are). */
	int vmac_groups;
	int saved_arp_ignore, saved_arp_announce;
};

struct counters {
	uint64_t adv_sent, adv_rcvd, prio0_sent, prio0_rcvd;
	uint64_t to_master, to_backup, to_init;
	uint64_t announce_sent, send_errors;
	uint64_t announce_holds, announce_unconfirmed; /* ordered takeover */
	uint64_t drops[VRRP_DROP__MAX];
};

struct group {
	struct group *next;
	char ifname[IF_NAMESIZE];
	unsigned vrid;
	int family;
	struct iface *ifp; /* NULL while the interface does not exist */
	/* configuration */
	uint8_t version;
	uint8_t prio_cfg;
	bool owner; /* a virtual address is the interface's own: priority 255 */
	bool admin, ignore_if_down;
	enum vrrp_csum_mode csum;
	char track_if[IF_NAMESIZE];
	unsigned track_vrid;
	struct vrrp_track *tracks; /* track bfd-session / interface (vrrp_track.h) */
	size_t ntracks;
	uint32_t recover_delay_ms; /* vrrp recover-delay of the interface */
	union vrrp_addr *vips;
	size_t nvips;
	bool vmac_cfg; /* virtual-mac */
	/* The macvlan with the virtual MAC (RFC 5798 7.3); vmac_ifindex is 0
	 * when there is none (not configured, or it could not be created). */
	char vmac_name[IF_NAMESIZE];
	unsigned vmac_ifindex;
	uint8_t vmac[6];
	/* running */
	struct vrrp_fsm fsm;
	struct group *leader;	     /* the admin group a tracking group follows */
	enum vrrp_state follow;	     /* a tracking group's state */
	bool link_up;		     /* for tracking groups */
	union vrrp_addr master_addr; /* backup: the sender of the last advertisement */
	bool master_known;
	uint8_t master_prio;
	uv_timer_t timer, garp_timer;
	uv_timer_t track_timer;	     /* the end of a recover-delay */
	uint64_t link_up_at;	     /* the interface came up then; counts after recover-delay */
	int open_handles;
	unsigned garp_left;
	time_t created, changed;
	time_t up_since; /* left Initialize (0: it is there) */
	const char *last_reason;
	/* preemption that waits for the backup: rbpd's last word on it */
	char gate_reason[200];
	bool wait_logged; /* the wait that runs now is in the log */
	/* ordered takeover: the announcements of a new master wait until
	 * rbpd echoes its takeover number (docs/takeover.md) */
	bool in_gates;		  /* rbpd's last PreemptGates lists the group */
	uint64_t takeover_id;	  /* the last becoming Master (VrrpEvent.takeover) */
	bool held;		  /* the announcements wait for rbpd (garp_timer: the bound) */
	uint64_t held_since;	  /* now_ms() */
	bool hold_known;	  /* a takeover has been announced since the start */
	bool hold_awaited;	  /* the last one waited for rbpd */
	bool hold_confirmed;	  /* rbpd confirmed the last one, or nothing was awaited */
	uint64_t hold_ms;	  /* how long the last one waited */
	uint64_t master_at_ns;	  /* CLOCK_REALTIME of the last becoming Master */
	uint64_t announced_at_ns; /* and of its first announcement */
	struct counters c;
	uint32_t logged; /* drop reasons already logged */
};

struct vrrpd {
	uv_loop_t *loop;
	Db__VrrpdConfig *running;
	struct group *groups;
	struct iface *ifaces;
	struct bus_sock *pub;
	uint64_t pub_seq;
	struct bus_sock *gates_sub; /* rbpd's PreemptGates */
	uint64_t gates_at;	    /* now_ms() of the last one, 0: none yet */
	uint64_t takeover_base;	    /* random: takeover numbers differ across restarts */
	uint64_t takeovers;
	struct rxsock *rxsocks;
	struct iface **by_index[2]; /* [AF_INET6?1:0][ifindex] */
	size_t by_cap[2];
	int nl;	 /* rtnetlink requests */
	int mon; /* rtnetlink notifications */
	uv_poll_t mon_poll;
	int pkt_fd, icmp6_fd;
	char *notify_script;
	unsigned garp_count, garp_interval_ms;
	struct vrrp_bfd *bfd; /* BFD sessions (vrrp_bfd.c) */
	uint64_t bfd_seq;     /* BfdEvents published */
};

static struct vrrpd g = {.nl = -1, .mon = -1, .pkt_fd = -1, .icmp6_fd = -1};

static union vrrp_addr mcast4, mcast6;

static uint64_t now_ms(void)
{
	uv_update_time(g.loop);
	return uv_now(g.loop) + 1; /* the state machine reserves 0 for "stopped" */
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *fam_word(int family)
{
	return family == AF_INET ? "vrrp" : "vrrp6";
}

static const char *addr_str(int family, const union vrrp_addr *a, char *buf, size_t len)
{
	return inet_ntop(family, a, buf, (socklen_t)len) ? buf : "?";
}

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

static void on_readable(uv_poll_t *h, int status, int events);

static struct iface **index_slot(int family, unsigned ifindex, bool grow)
{
	int f = family == AF_INET6;

	if (ifindex >= g.by_cap[f]) {
		size_t cap = g.by_cap[f] ? g.by_cap[f] : 64;
		struct iface **n;

		if (!grow)
			return NULL;
		while (cap <= ifindex)
			cap *= 2;
		n = realloc(g.by_index[f], cap * sizeof(*n));
		if (n == NULL)
			fatal("realloc");
		memset(n + g.by_cap[f], 0, (cap - g.by_cap[f]) * sizeof(*n));
		g.by_index[f] = n;
		g.by_cap[f] = cap;
	}
	return &g.by_index[f][ifindex];
}

/* Join the VRRP group on the interface through a socket with room left. */
static int rx_join(struct iface *ifp)
{
	struct rxsock *r;
	int rc;

	for (r = g.rxsocks; r; r = r->next) {
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
	uv_poll_init(g.loop, &r->poll, r->fd);
	r->poll.data = r;
	uv_poll_start(&r->poll, UV_READABLE, on_readable);
	r->next = g.rxsocks;
	g.rxsocks = r;
	ifp->rx = r;
	return 0;
}

static struct iface *iface_get(const char *name, int family)
{
	struct iface *ifp;
	unsigned idx = if_nametoindex(name);
	int rc;

	for (ifp = g.ifaces; ifp; ifp = ifp->next)
		if (ifp->family == family && strcmp(ifp->name, name) == 0) {
			ifp->refs++;
			return ifp;
		}
	if (idx == 0)
		return NULL;
	ifp = calloc(1, sizeof(*ifp));
	if (ifp == NULL)
		fatal("calloc");
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
	*index_slot(family, idx, true) = ifp;
	ifp->next = g.ifaces;
	g.ifaces = ifp;
	return ifp;
}

static void iface_put(struct iface *ifp)
{
	struct iface **pp, **slot;

	if (ifp == NULL || --ifp->refs > 0)
		return;
	for (pp = &g.ifaces; *pp; pp = &(*pp)->next)
		if (*pp == ifp) {
			*pp = ifp->next;
			break;
		}
	slot = index_slot(ifp->family, ifp->ifindex, false);
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
static int vmac_setup(const char *name, unsigned parent, unsigned vrid, bool *replaced, char *why,
		      size_t whylen)
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
	rc = vrrp_net_macvlan_add(g.nl, parent, name, mac);
	if (rc == -EEXIST) {
		rc = vrrp_net_link_get(g.nl, name, &l);
		if (rc == 0 && strcmp(l.kind, "macvlan") != 0) {
			snprintf(why, whylen, "interface %s exists and is not a macvlan", name);
			return -EEXIST;
		}
		if (rc == 0)
			rc = vrrp_net_link_del(g.nl, l.ifindex);
		if (rc == 0 || rc == -ENODEV) {
			*replaced = true;
			rc = vrrp_net_macvlan_add(g.nl, parent, name, mac);
		}
	}
	if (rc == 0)
		rc = vrrp_net_link_get(g.nl, name, &l);
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
	rc = vrrp_net_link_set_up(g.nl, l.ifindex);
	if (rc < 0) {
		snprintf(why, whylen, "cannot bring macvlan %s up", name);
		goto fail;
	}
	return (int)l.ifindex;
fail:
	vrrp_net_link_del(g.nl, l.ifindex);
	return rc;
}

/* The group's macvlan, up, and its interface's ARP sysctls. Returns 0 or a
 * negative errno (why: what failed). */
static int vmac_start(struct group *gr, char *why, size_t whylen)
{
	bool replaced;
	int idx;

	vmac_of(gr->vrid, gr->vmac);
	vmac_ifname(gr->ifp->ifindex, gr->vrid, gr->vmac_name);
	idx = vmac_setup(gr->vmac_name, gr->ifp->ifindex, gr->vrid, &replaced, why, whylen);
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
static void vmac_stop(struct group *gr)
{
	char name[IF_NAMESIZE];
	int rc;

	if (gr->vmac_ifindex == 0)
		return;
	/* Only if it is still ours: never another interface that took its index. */
	if (if_indextoname(gr->vmac_ifindex, name) && strcmp(name, gr->vmac_name) == 0) {
		rc = vrrp_net_link_del(g.nl, gr->vmac_ifindex);
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
static int vmac_check(unsigned idx, unsigned vrid, char *why, size_t whylen)
{
	char name[IF_NAMESIZE];
	struct vrrp_net_link l;
	bool replaced;
	int rc;

	vmac_ifname(idx, vrid, name);
	rc = vrrp_net_link_get(g.nl, name, &l);
	if (rc == 0 && strcmp(l.kind, "macvlan") == 0)
		return 0;
	if (rc == 0) {
		snprintf(why, whylen, "interface %s exists and is not a macvlan", name);
		return -EEXIST;
	}
	rc = vmac_setup(name, idx, vrid, &replaced, why, whylen);
	if (rc < 0)
		return rc;
	vrrp_net_link_del(g.nl, (unsigned)rc);
	return 0;
}

/* Where the group's frames leave from: its macvlan with virtual-mac. */
static unsigned tx_ifindex(const struct group *gr)
{
	return gr->vmac_ifindex ? gr->vmac_ifindex : gr->ifp->ifindex;
}

/* ---- what a transition does ---------------------------------------------- */

static void send_advert(struct group *gr, uint8_t prio)
{
	uint8_t buf[VRRP_PKT_MAX_LEN];
	struct vrrp_pkt p;
	struct iface *ifp = gr->ifp;
	const union vrrp_addr *dst = gr->family == AF_INET ? &mcast4 : &mcast6;
	int n;

	if (ifp == NULL || !ifp->has_primary) {
		gr->c.send_errors++;
		return;
	}
	memset(&p, 0, sizeof(p));
	p.family = gr->family;
	p.version = gr->version;
	p.type = VRRP_PKT_TYPE_ADVERTISEMENT;
	p.vrid = (uint8_t)gr->vrid;
	p.priority = prio;
	p.naddr = (uint8_t)gr->nvips;
	if (gr->version == 2)
		p.adver_int = (uint8_t)(gr->fsm.cfg.adver_interval_ms / 1000);
	else
		p.max_adver_int = (uint16_t)(gr->fsm.cfg.adver_interval_ms / 10);
	for (size_t i = 0; i < gr->nvips; i++) {
		if (gr->family == AF_INET)
			p.addr.v4[i] = gr->vips[i].v4;
		else
			p.addr.v6[i] = gr->vips[i].v6;
	}
	n = vrrp_pkt_build(buf, sizeof(buf), &p, gr->family, &ifp->primary, dst, gr->csum);
	if (n > 0 && gr->family == AF_INET6)
		n = vrrp_net_send6_link(g.pkt_fd, tx_ifindex(gr), &ifp->primary.v6, buf, (size_t)n);
	else if (n > 0)
		n = vrrp_net_send(ifp->rx->fd, gr->family, tx_ifindex(gr), &ifp->primary, buf,
				  (size_t)n);
	if (n < 0) {
		if (gr->c.send_errors++ == 0)
			log_warnx("(%s vrid %u) cannot send an advertisement: %s", gr->ifname,
				  gr->vrid, strerror(-n));
		return;
	}
	gr->c.adv_sent++;
	if (prio == 0)
		gr->c.prio0_sent++;
}

static void set_vips(struct group *gr, bool add)
{
	char a[INET6_ADDRSTRLEN];

	if (gr->owner || gr->ifp == NULL)
		return; /* the owner's addresses are the interface's own */
	for (size_t i = 0; i < gr->nvips; i++) {
		int rc = vrrp_net_addr(g.nl, add, gr->family, tx_ifindex(gr), &gr->vips[i]);

		if (rc < 0)
			log_warnx("(%s vrid %u) cannot %s virtual address %s: %s", gr->ifname,
				  gr->vrid, add ? "add" : "remove",
				  addr_str(gr->family, &gr->vips[i], a, sizeof(a)), strerror(-rc));
	}
}

static void announce_once(struct group *gr)
{
	unsigned idx;
	const uint8_t *mac;

	if (gr->ifp == NULL)
		return;
	/* From where the addresses are: the owner's are the interface's own,
	 * and the interface answers ARP for them with its own MAC. */
	idx = gr->owner ? gr->ifp->ifindex : tx_ifindex(gr);
	mac = idx == gr->vmac_ifindex ? gr->vmac : gr->ifp->mac;
	for (size_t i = 0; i < gr->nvips; i++) {
		int rc = gr->family == AF_INET
			     ? vrrp_net_garp(g.pkt_fd, idx, mac, &gr->vips[i].v4)
			     : vrrp_net_unsolicited_na(g.icmp6_fd, idx, mac, &gr->vips[i].v6);

		if (rc < 0)
			gr->c.send_errors++;
		else
			gr->c.announce_sent++;
	}
}

static void on_garp_timer(uv_timer_t *t)
{
	struct group *gr = t->data;

	if (gr->garp_left == 0) {
		uv_timer_stop(t);
		return;
	}
	gr->garp_left--;
	announce_once(gr);
	if (gr->garp_left == 0)
		uv_timer_stop(t);
}

static void announce(struct group *gr)
{
	gr->announced_at_ns = realtime_ns();
	gr->garp_left = g.garp_count;
	if (gr->garp_left == 0)
		return;
	gr->garp_left--;
	announce_once(gr);
	if (gr->garp_left)
		uv_timer_start(&gr->garp_timer, on_garp_timer, g.garp_interval_ms,
			       g.garp_interval_ms);
}

/* Ordered takeover (docs/takeover.md): whether a new master's
 * announcements wait for rbpd, which backs up users of the group and is
 * alive. */
static bool takeover_awaited(const struct group *gr, uint64_t now)
{
	return gr->in_gates && g.gates_at != 0 && now - g.gates_at < GATES_FRESH_MS;
}

/* The held announcements go out: rbpd confirmed its takeover, or the
 * bound is over. */
static void hold_end(struct group *gr, uint64_t now, bool confirmed, const char *why)
{
	gr->held = false;
	uv_timer_stop(&gr->garp_timer);
	gr->hold_ms = now - gr->held_since;
	gr->hold_confirmed = confirmed;
	if (!confirmed) {
		gr->c.announce_unconfirmed++;
		log_warnx("(%s %s vrid %u) announcing after %llu ms although rbpd has not "
			  "confirmed the takeover of the users: %s",
			  gr->ifname, fam_word(gr->family), gr->vrid,
			  (unsigned long long)gr->hold_ms, why);
	}
	announce(gr);
}

static void on_hold_bound(uv_timer_t *t)
{
	hold_end(t->data, now_ms(), false, "no word from rbpd within the bound");
}

/* VRRP_ACT_ANNOUNCE: at once, unless rbpd backs up users of the group;
 * then once their neighbour entries are in the kernel and they are handed
 * to the services, which rbpd says by echoing the group's takeover number
 * (on_gates), at most ANNOUNCE_WAIT_MAX_MS later. */
static void announce_ordered(struct group *gr, uint64_t now)
{
	gr->hold_known = true;
	gr->hold_awaited = takeover_awaited(gr, now);
	if (!gr->hold_awaited) {
		gr->held = false;
		gr->hold_ms = 0;
		gr->hold_confirmed = true;
		announce(gr);
		return;
	}
	gr->held = true;
	gr->held_since = now;
	gr->c.announce_holds++;
	uv_timer_start(&gr->garp_timer, on_hold_bound, ANNOUNCE_WAIT_MAX_MS, 0);
}

/* Leaving Master: nothing more to announce. */
static void announce_stop(struct group *gr)
{
	uv_timer_stop(&gr->garp_timer);
	gr->garp_left = 0;
	gr->held = false;
}

/* A running notify script with its timeout. Scripts still running when
 * vrrpd stops have their handles closed by the loop's final walk and are
 * freed in main. */
struct notify_proc {
	uv_process_t p;
	uv_timer_t timer;
	int open_handles;
	bool term_sent;
	struct vrrp_notify_q *q; /* handed back to the scheduler on exit */
	char what[64];		 /* "eth1 vrrp vrid 1 #12", for the log */
	struct notify_proc *next, **prevp;
};

static struct notify_proc *notify_procs;
static struct vrrp_notify notify_sched;
static uint64_t notify_killed, notify_failed;
static bool notify_refused_logged;

static void notify_closed(uv_handle_t *h)
{
	struct notify_proc *n = h->data;

	if (--n->open_handles == 0)
		free(n);
}

static void notify_pump(void);

/* SIGTERM at the timeout, SIGKILL VRRP_NOTIFY_KILL_MS later. */
static void notify_timeout(uv_timer_t *t)
{
	struct notify_proc *n = t->data;

	if (!n->term_sent) {
		log_warnx("notify-script (%s) still running after %u s: SIGTERM", n->what,
			  VRRP_NOTIFY_TIMEOUT_MS / 1000);
		n->term_sent = true;
		notify_killed++;
		kill(-n->p.pid, SIGTERM); /* its process group: what it started too */
		uv_timer_start(&n->timer, notify_timeout, VRRP_NOTIFY_KILL_MS, 0);
		return;
	}
	log_warnx("notify-script (%s) ignored SIGTERM: SIGKILL", n->what);
	kill(-n->p.pid, SIGKILL);
}

static void notify_exit(uv_process_t *p, int64_t status, int sig)
{
	struct notify_proc *n = p->data;

	if (status != 0 || sig != 0)
		log_warnx("notify-script (%s) exited with status %lld%s", n->what,
			  (long long)status, sig ? " (killed by a signal)" : "");
	*n->prevp = n->next;
	if (n->next)
		n->next->prevp = n->prevp;
	uv_timer_stop(&n->timer);
	uv_close((uv_handle_t *)&n->timer, notify_closed);
	uv_close((uv_handle_t *)p, notify_closed);
	vrrp_notify_done(&notify_sched, n->q);
	notify_pump();
}

/*
 * Run one transition: SCRIPT IFNAME VRID FAMILY OLD NEW REASON, executed
 * by its absolute path (never looked up in PATH) with a clean environment
 * that says where it stands in the group's sequence. Returns 0 when it
 * runs (its exit hands q back), or -errno (the caller hands q back).
 */
static int notify_spawn(struct vrrp_notify_q *q, const struct vrrp_notify_ev *ev)
{
	char vrid[16], seq[48], dropped[48], why[160];
	char *args[8], *env[4];
	uv_process_options_t o = {0};
	struct notify_proc *n;
	int rc;

	if (g.notify_script == NULL)
		return -ENOENT;
	/* checked at commit; again now, for what changed on disk since */
	rc = vrrp_notify_check_path(g.notify_script, why, sizeof(why));
	if (rc < 0) {
		if (!notify_refused_logged)
			log_warnx("notify-script %s not run: %s", g.notify_script, why);
		notify_refused_logged = true;
		notify_failed++;
		return rc;
	}
	snprintf(vrid, sizeof(vrid), "%u", ev->vrid);
	snprintf(seq, sizeof(seq), "DB_NOTIFY_SEQ=%llu", (unsigned long long)ev->seq);
	snprintf(dropped, sizeof(dropped), "DB_NOTIFY_DROPPED=%llu",
		 (unsigned long long)ev->dropped);
	args[0] = g.notify_script;
	args[1] = (char *)ev->ifname;
	args[2] = vrid;
	args[3] = ev->ipv6 ? "ipv6" : "ipv4";
	args[4] = (char *)vrrp_state_str(ev->from);
	args[5] = (char *)vrrp_state_str(ev->to);
	args[6] = (char *)ev->reason;
	args[7] = NULL;
	env[0] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	env[1] = seq;
	env[2] = dropped;
	env[3] = NULL;
	o.file = g.notify_script; /* absolute: execve, no PATH search */
	o.args = args;
	o.env = env;
	o.exit_cb = notify_exit;
	o.flags = UV_PROCESS_DETACHED; /* a process group of its own, killed whole */
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	n->q = q;
	snprintf(n->what, sizeof(n->what), "%s %s vrid %u #%llu", ev->ifname,
		 ev->ipv6 ? "vrrp6" : "vrrp", ev->vrid, (unsigned long long)ev->seq);
	n->p.data = n;
	n->timer.data = n;
	uv_timer_init(g.loop, &n->timer);
	n->open_handles = 1;
	rc = uv_spawn(g.loop, &n->p, &o);
	if (rc < 0) {
		log_warnx("notify-script %s: %s", g.notify_script, uv_strerror(rc));
		notify_failed++;
		n->open_handles++;
		uv_close((uv_handle_t *)&n->p, notify_closed);
		uv_close((uv_handle_t *)&n->timer, notify_closed);
		return rc;
	}
	n->open_handles++;
	uv_timer_start(&n->timer, notify_timeout, VRRP_NOTIFY_TIMEOUT_MS, 0);
	n->next = notify_procs;
	n->prevp = &notify_procs;
	if (notify_procs)
		notify_procs->prevp = &n->next;
	notify_procs = n;
	return 0;
}

/* Start what the scheduler allows now. */
static void notify_pump(void)
{
	struct vrrp_notify_ev ev;
	struct vrrp_notify_q *q;

	while ((q = vrrp_notify_next(&notify_sched, &ev)) != NULL)
		if (notify_spawn(q, &ev) < 0)
			vrrp_notify_done(&notify_sched, q);
}

/* Queue a transition for the operator's script (see vrrp_notify.h). */
static void notify(const struct group *gr, enum vrrp_state from, enum vrrp_state to,
		   const char *reason)
{
	struct vrrp_notify_ev ev = {0};
	int rc;

	if (g.notify_script == NULL)
		return;
	snprintf(ev.ifname, sizeof(ev.ifname), "%s", gr->ifname);
	ev.vrid = gr->vrid;
	ev.ipv6 = gr->family == AF_INET6;
	ev.from = (uint8_t)from;
	ev.to = (uint8_t)to;
	snprintf(ev.reason, sizeof(ev.reason), "%s", reason);
	rc = vrrp_notify_push(&notify_sched, &ev);
	/* log the first drop and then every 2^k-th: a flapping group must not
	 * flood the log either */
	if (rc == 1 && (notify_sched.dropped & (notify_sched.dropped - 1)) == 0)
		log_warnx("(%s %s vrid %u) notify-script: more than %u transitions waiting, "
			  "the oldest dropped (%llu dropped so far)",
			  gr->ifname, fam_word(gr->family), gr->vrid, VRRP_NOTIFY_QLEN,
			  (unsigned long long)notify_sched.dropped);
	notify_pump();
}

static void publish(const struct group *gr, enum vrrp_state from, enum vrrp_state to,
		    const char *reason)
{
	Db__VrrpEvent ev = DB__VRRP_EVENT__INIT;

	if (g.pub == NULL)
		return;
	ev.ifname = (char *)gr->ifname;
	ev.vrid = gr->vrid;
	ev.old_state = (char *)vrrp_state_str(from);
	ev.new_state = (char *)vrrp_state_str(to);
	ev.reason = (char *)reason;
	ev.ipv6 = gr->family == AF_INET6;
	ev.takeover = to == VRRP_STATE_MASTER ? gr->takeover_id : 0;
	bus_send_msg(g.pub, NULL, 0, DB__MSG_TYPE__MSG_VRRP_EVENT, DB__ROLE__ROLE_VRRPD,
		     ++g.pub_seq, &ev.base);
}

static void follow_leader(struct group *gr);

/* A state change of any group: count, log, tell the world. */
static void changed(struct group *gr, enum vrrp_state from, enum vrrp_state to, const char *reason)
{
	char vrid[8];
	const struct log_field lf[] = {
	    {"VRRP_INTERFACE", gr->ifname},	      {"VRRP_VRID", vrid},
	    {"VRRP_FAMILY", fam_word(gr->family)},  {"VRRP_OLD_STATE", vrrp_state_str(from)},
	    {"VRRP_NEW_STATE", vrrp_state_str(to)}, {"VRRP_REASON", reason},
	};

	snprintf(vrid, sizeof(vrid), "%u", gr->vrid);
	log_event(LOG_INFO, LOG_MSGID_VRRP_STATE, lf, sizeof(lf) / sizeof(lf[0]),
		  "(%s %s vrid %u) %s -> %s: %s", gr->ifname, fam_word(gr->family), gr->vrid,
		  vrrp_state_str(from), vrrp_state_str(to), reason);
	if (to == VRRP_STATE_MASTER)
		gr->c.to_master++;
	else if (to == VRRP_STATE_BACKUP)
		gr->c.to_backup++;
	else
		gr->c.to_init++;
	if (to != VRRP_STATE_BACKUP)
		gr->master_known = false;
	if (to == VRRP_STATE_MASTER) {
		gr->takeover_id = g.takeover_base + ++g.takeovers;
		gr->master_at_ns = realtime_ns();
	}
	gr->changed = time(NULL);
	if (to == VRRP_STATE_INIT)
		gr->up_since = 0;
	else if (from == VRRP_STATE_INIT)
		gr->up_since = gr->changed;
	gr->last_reason = reason;
	publish(gr, from, to, reason);
	notify(gr, from, to, reason);
	for (struct group *f = g.groups; f; f = f->next)
		if (f->leader == gr)
			follow_leader(f);
}

static void on_timer(uv_timer_t *t);

/* Never 0 ms: libuv runs a timer due again at once within the same pass,
 * so a deadline the machine did not move would spin the loop. */
static void rearm(struct group *gr, uint64_t now)
{
	uint64_t next = vrrp_fsm_next(&gr->fsm);

	if (next == 0)
		uv_timer_stop(&gr->timer);
	else
		uv_timer_start(&gr->timer, on_timer, next > now ? next - now : 1, 0);
}

/* Carry out what the state machine asked, in its order. */
static void run(struct group *gr, const struct vrrp_fsm_out *o, uint64_t now)
{
	bool waiting = vrrp_fsm_waiting(&gr->fsm);

	if (!waiting)
		gr->wait_logged = false;
	else if (!gr->wait_logged && (gr->wait_logged = true))
		log_info("(%s %s vrid %u) preemption waits for the backup of the users, at most "
			 "%u s: %s",
			 gr->ifname, fam_word(gr->family), gr->vrid,
			 gr->fsm.cfg.preempt_wait_max_ms / 1000,
			 gr->gate_reason[0] ? gr->gate_reason : "no word from rbpd yet");
	if (o->backup_incomplete)
		log_warnx("(%s %s vrid %u) preempting although the backup is incomplete: %s",
			  gr->ifname, fam_word(gr->family), gr->vrid,
			  gr->gate_reason[0] ? gr->gate_reason : "no word from rbpd");
	if (o->actions & VRRP_ACT_SEND_PRIO0)
		send_advert(gr, 0);
	if (o->actions & VRRP_ACT_DEL_VIPS) {
		announce_stop(gr);
		set_vips(gr, false);
	}
	if (o->actions & VRRP_ACT_ADD_VIPS)
		set_vips(gr, true);
	if (o->actions & VRRP_ACT_SEND_ADVERT)
		send_advert(gr, gr->fsm.cfg.priority);
	if (o->actions & VRRP_ACT_ANNOUNCE)
		announce_ordered(gr, now);
	if (o->from != o->to)
		changed(gr, o->from, o->to, o->reason);
	rearm(gr, now);
}

static void on_timer(uv_timer_t *t)
{
	struct group *gr = t->data;
	struct vrrp_fsm_out o;
	uint64_t now = now_ms();

	vrrp_fsm_timer(&gr->fsm, now, &o);
	run(gr, &o, now);
}

/* bus_recv_cb of rbpd's PUB: whether the groups bound to a profile may
 * preempt (docs/preempt.md). A gated group rbpd does not list is not. */
static void on_gates(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	Db__Envelope *env;
	Db__PreemptGates *m;
	uint64_t now = now_ms();

	(void)s;
	(void)arg;
	if (n != 1 || (env = bus_unpack(parts[0].data, parts[0].len)) == NULL)
		return;
	m = env->type == DB__MSG_TYPE__MSG_PREEMPT_GATES
		? db__preempt_gates__unpack(NULL, env->payload.len, env->payload.data)
		: NULL;
	db__envelope__free_unpacked(env, NULL);
	if (m == NULL)
		return;
	g.gates_at = now;
	for (struct group *gr = g.groups; gr; gr = gr->next) {
		const Db__PreemptGate *gate = NULL;
		struct vrrp_fsm_out o;

		for (size_t i = 0; i < m->n_gates && gate == NULL; i++)
			if (m->gates[i]->ifname && strcmp(m->gates[i]->ifname, gr->ifname) == 0 &&
			    m->gates[i]->vrid == gr->vrid)
				gate = m->gates[i];
		gr->in_gates = gate != NULL;
		/* rbpd has taken the users over, or backs up none now */
		if (gr->held && (gate == NULL || gate->taken_over == gr->takeover_id))
			hold_end(gr, now, true, "");
		if (gr->fsm.cfg.preempt_wait_max_ms == 0)
			continue;
		snprintf(gr->gate_reason, sizeof(gr->gate_reason), "%s",
			 gate == NULL	     ? "rbpd backs up no users of this group"
			 : gate->ready	     ? ""
			 : gate->reason	     ? gate->reason
					     : "not ready");
		if ((gate && gate->ready) == gr->fsm.gate_open)
			continue;
		vrrp_fsm_set_gate(&gr->fsm, now, gate && gate->ready, &o);
		run(gr, &o, now);
	}
	db__preempt_gates__free_unpacked(m, NULL);
}

/* A tracking group takes the state of its admin group (mVRRP). */
static void follow_leader(struct group *gr)
{
	enum vrrp_state to, from = gr->follow;
	const char *reason;

	if (!gr->link_up && !gr->ignore_if_down) {
		to = VRRP_STATE_INIT;
		reason = "interface down";
	} else if (gr->leader == NULL) {
		to = VRRP_STATE_INIT;
		reason = "the admin-vrrp group it tracks is gone";
	} else {
		to = gr->leader->fsm.state;
		reason = to == VRRP_STATE_MASTER   ? "admin-vrrp group became master"
			 : to == VRRP_STATE_BACKUP ? "admin-vrrp group became backup"
						   : "admin-vrrp group left service";
	}
	if (to == from)
		return;
	gr->follow = to;
	gr->fsm.state = to; /* for display and the published state */
	if (from == VRRP_STATE_MASTER) {
		announce_stop(gr);
		set_vips(gr, false);
	}
	if (to == VRRP_STATE_MASTER) {
		set_vips(gr, true);
		announce_ordered(gr, now_ms());
	}
	changed(gr, from, to, reason);
}

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
	struct group *gr = rx->len >= 2 ? find_vrid(ifp, rx->payload[1]) : NULL;
	struct vrrp_pkt p;
	struct vrrp_fsm_adv adv;
	struct vrrp_fsm_out o;
	enum vrrp_drop why;
	size_t alen = ifp->family == AF_INET ? 4 : 16;
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
	now = now_ms();
	vrrp_fsm_recv(&gr->fsm, now, &adv, &o);
	if (gr->fsm.state == VRRP_STATE_BACKUP && p.priority != 0) {
		gr->master_addr = rx->src;
		gr->master_known = true;
		gr->master_prio = p.priority;
	}
	run(gr, &o, now);
}

static void on_readable(uv_poll_t *h, int status, int events)
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
		slot = index_slot(r->family, rx.ifindex, false);
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

/* ---- links and addresses --------------------------------------------------- */

static void track_seen(struct group *gr, enum vrrp_track_kind kind, const char *name,
		       bool down, const char *what, uint64_t now);
static void tracks_apply(struct group *gr, const char *what, uint64_t now);

static void link_changed(struct group *gr, bool up)
{
	struct vrrp_fsm_out o;
	uint64_t now = now_ms();

	if (gr->track_if[0]) {
		gr->link_up = up;
		follow_leader(gr);
		return;
	}
	if (gr->ignore_if_down)
		return;
	if (!up) {
		gr->link_up_at = 0;
	} else if (gr->recover_delay_ms && gr->link_up_at == 0 && !gr->fsm.link_up) {
		/* VRP's recover-delay: up only once it stayed up that long */
		gr->link_up_at = now;
		tracks_apply(gr, "interface up", now);
		return;
	} else if (gr->link_up_at) {
		return; /* on_track_timer() ends the wait */
	}
	vrrp_fsm_set_link(&gr->fsm, now, up, &o);
	run(gr, &o, now);
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
	log_warnx("(%s vrrp vrid %u) macvlan %s was deleted; creating it again", gr->ifname,
		  gr->vrid, gr->vmac_name);
	gr->vmac_ifindex = 0;
	rc = vmac_setup(gr->vmac_name, gr->ifp->ifindex, gr->vrid, &replaced, why, sizeof(why));
	if (rc < 0) {
		log_warnx("(%s vrrp vrid %u) virtual-mac: %s: %s; the interface's MAC is used "
			  "instead",
			  gr->ifname, gr->vrid, why, strerror(-rc));
		parent_arp_release(gr->ifp);
	} else {
		gr->vmac_ifindex = (unsigned)rc;
	}
	if (gr->fsm.state == VRRP_STATE_MASTER) {
		set_vips(gr, true);
		if (!gr->held)
			announce(gr);
	}
}

static void on_net_event(const struct vrrp_net_event *ev, void *arg)
{
	(void)arg;
	if (ev->kind == VRRP_NET_ADDR) {
		/* Read once for the whole burst: see refresh_dirty(). */
		for (struct iface *ifp = g.ifaces; ifp; ifp = ifp->next)
			if (ifp->ifindex == ev->ifindex)
				ifp->dirty = true;
		return;
	}
	for (struct group *gr = g.groups; gr; gr = gr->next)
		if (gr->vmac_ifindex && gr->vmac_ifindex == ev->ifindex && !ev->up)
			vmac_lost(gr);
	if (ev->ifname[0])
		for (struct group *gr = g.groups; gr; gr = gr->next) {
			char what[64];

			snprintf(what, sizeof(what), "tracked interface %s %s", ev->ifname,
				 ev->up ? "up" : "down");
			track_seen(gr, VRRP_TRACK_INTERFACE, ev->ifname, !ev->up, what, now_ms());
		}
	for (struct group *gr = g.groups; gr; gr = gr->next) {
		bool was;

		if (gr->ifp == NULL || gr->ifp->ifindex != ev->ifindex)
			continue;
		was = gr->track_if[0] ? gr->link_up : gr->fsm.link_up || gr->link_up_at;
		if (was != ev->up) {
			log_info("(%s %s vrid %u) interface %s", gr->ifname, fam_word(gr->family),
				 gr->vrid, ev->up ? "up" : "down");
			link_changed(gr, ev->up);
		}
	}
}

static void resync_links(void)
{
	vrrp_net_snapshot_begin();
	for (struct iface *ifp = g.ifaces; ifp; ifp = ifp->next)
		refresh_iface(ifp);
	vrrp_net_snapshot_end();
	for (struct group *gr = g.groups; gr; gr = gr->next) {
		struct vrrp_net_event ev = {.kind = VRRP_NET_LINK};

		if (gr->ifp == NULL)
			continue;
		ev.ifindex = gr->ifp->ifindex;
		ev.up = vrrp_net_link_up(gr->ifname) == 1;
		on_net_event(&ev, NULL);
	}
	for (struct group *gr = g.groups; gr; gr = gr->next)
		for (size_t i = 0; i < gr->ntracks; i++)
			if (gr->tracks[i].kind == VRRP_TRACK_INTERFACE)
				track_seen(gr, VRRP_TRACK_INTERFACE, gr->tracks[i].name,
					   vrrp_net_link_up(gr->tracks[i].name) != 1,
					   "tracked interface re-read", now_ms());
}

/* The interfaces whose addresses changed, from one dump: a master taking
 * over a thousand groups causes a thousand notifications. */
static void refresh_dirty(void)
{
	bool any = false;

	for (struct iface *ifp = g.ifaces; ifp && !any; ifp = ifp->next)
		any = ifp->dirty;
	if (!any)
		return;
	vrrp_net_snapshot_begin();
	for (struct iface *ifp = g.ifaces; ifp; ifp = ifp->next)
		if (ifp->dirty) {
			ifp->dirty = false;
			refresh_iface(ifp);
		}
	vrrp_net_snapshot_end();
}

static void on_monitor(uv_poll_t *h, int status, int events)
{
	int rc;

	(void)h;
	(void)events;
	if (status < 0)
		return;
	rc = vrrp_net_monitor_read(g.mon, on_net_event, NULL);
	if (rc == -ENOBUFS) {
		log_warnx("link notifications were lost; reading every interface again");
		resync_links();
	} else if (rc < 0) {
		log_warnx("link notifications: %s", strerror(-rc));
	}
	refresh_dirty();
}

/* ---- configuration ----------------------------------------------------------- */

static int parse_vips(const Db__VrrpGroupConfig *c, union vrrp_addr **out, size_t *n)
{
	int family = c->ipv6 ? AF_INET6 : AF_INET;
	union vrrp_addr *v = calloc(c->n_virtual_ips ? c->n_virtual_ips : 1, sizeof(*v));

	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_virtual_ips; i++)
		if (inet_pton(family, c->virtual_ips[i], &v[i]) != 1) {
			free(v);
			return -EINVAL;
		}
	*out = v;
	*n = c->n_virtual_ips;
	return 0;
}

static struct group *find_group(const char *ifname, unsigned vrid, int family)
{
	for (struct group *gr = g.groups; gr; gr = gr->next)
		if (gr->vrid == vrid && gr->family == family && strcmp(gr->ifname, ifname) == 0)
			return gr;
	return NULL;
}

static bool iface_open(const char *ifname, int family)
{
	for (struct iface *ifp = g.ifaces; ifp; ifp = ifp->next)
		if (ifp->family == family && strcmp(ifp->name, ifname) == 0)
			return true;
	return false;
}

/* cfgclient_ops.check: unpack and check against the live system. */
static void *check(void *arg, const uint8_t *sec, size_t len, struct errlist *errs)
{
	Db__VrrpdConfig *c = db__vrrpd_config__unpack(NULL, len, sec);

	(void)arg;
	if (c == NULL)
		return NULL;
	vrrp_net_snapshot_begin(); /* one address dump for every group */
	vrrp_bfd_check(c, errs);
	if (c->notify_script && c->notify_script[0]) {
		char why[160];

		if (vrrp_notify_check_path(c->notify_script, why, sizeof(why)) < 0)
			errlist_add(errs, "vrrp notify-script %s: %s", c->notify_script, why);
	}
	for (size_t i = 0; i < c->n_groups; i++) {
		Db__VrrpGroupConfig *gr = c->groups[i];
		int family = gr->ipv6 ? AF_INET6 : AF_INET;
		const char *fam = fam_word(family);
		unsigned idx = if_nametoindex(gr->ifname);
		union vrrp_addr a, *vips;
		size_t n;
		int fd;

		if (idx == 0) {
			errlist_add(errs, "interface %s: %s vrid %u: the interface does not exist",
				    gr->ifname, fam, gr->vrid);
			continue;
		}
		if (parse_vips(gr, &vips, &n) < 0) {
			errlist_add(errs, "interface %s: %s vrid %u: a virtual-ip does not parse",
				    gr->ifname, fam, gr->vrid);
			continue;
		}
		free(vips);
		if (gr->virtual_mac && family != AF_INET) {
			errlist_add(errs, "interface %s: %s vrid %u virtual-mac: IPv4 groups only",
				    gr->ifname, fam, gr->vrid);
		} else if (gr->virtual_mac) {
			char why[96];
			int rc = vmac_check(idx, gr->vrid, why, sizeof(why));

			if (rc < 0)
				errlist_add(errs, "interface %s: vrrp vrid %u virtual-mac: %s: %s",
					    gr->ifname, gr->vrid, why, strerror(-rc));
		}
		if (gr->track_ifname && gr->track_ifname[0])
			continue; /* sends nothing itself */
		if (vrrp_net_primary(family, idx, &a) < 0)
			errlist_add(errs,
				    "interface %s: %s vrid %u: the interface has no %s address to "
				    "advertise from",
				    gr->ifname, fam, gr->vrid,
				    family == AF_INET ? "IPv4" : "IPv6 link-local");
		if (iface_open(gr->ifname, family))
			continue;
		/* Can the group be created? Open (and drop) its socket now. */
		fd = vrrp_net_open(family, idx, gr->ifname);
		if (fd < 0)
			errlist_add(errs, "interface %s: %s vrid %u: cannot open a VRRP socket: %s",
				    gr->ifname, fam, gr->vrid, strerror(-fd));
		else
			close(fd);
	}
	vrrp_net_snapshot_end();
	return c;
}

static struct vrrp_fsm_cfg fsm_cfg(const struct group *gr, const Db__VrrpGroupConfig *c)
{
	struct vrrp_fsm_cfg f = {
	    .version = gr->version,
	    .priority = vrrp_track_priority((uint8_t)c->priority, gr->owner, gr->tracks,
					    gr->ntracks, now_ms(), gr->recover_delay_ms),
	    .preempt = c->preempt,
	    .preempt_delay_ms = c->preempt_delay_s * 1000,
	    .adver_interval_ms = c->advert_interval_ms,
	    .preempt_wait_max_ms = c->preempt_wait_max_s * 1000,
	};

	return f;
}

/* Does this router own one of the addresses (RFC 5798 1.1)? */
static bool is_owner(const struct group *gr)
{
	if (gr->ifp == NULL)
		return false;
	for (size_t i = 0; i < gr->nvips; i++)
		if (vrrp_net_addr_kind(gr->family, gr->ifp->ifindex, &gr->vips[i]) ==
		    VRRP_NET_ADDR_IFACE)
			return true;
	return false;
}

/* Remove virtual addresses a previous vrrpd left behind: a restarted
 * daemon starts in Initialize and must not leave a second master. */
static void remove_stale(struct group *gr)
{
	char a[INET6_ADDRSTRLEN];

	if (gr->ifp == NULL || gr->owner)
		return;
	for (size_t i = 0; i < gr->nvips; i++)
		if (vrrp_net_addr_kind(gr->family, gr->ifp->ifindex, &gr->vips[i]) ==
		    VRRP_NET_ADDR_HOST) {
			log_info("(%s %s vrid %u) removing stale virtual address %s", gr->ifname,
				 fam_word(gr->family), gr->vrid,
				 addr_str(gr->family, &gr->vips[i], a, sizeof(a)));
			vrrp_net_addr(g.nl, false, gr->family, gr->ifp->ifindex, &gr->vips[i]);
		}
}

static void group_closed(uv_handle_t *h)
{
	struct group *gr = h->data;

	if (--gr->open_handles == 0) {
		free(gr->vips);
		free(gr->tracks);
		free(gr);
	}
}

/* Leave service (priority 0 when master) and free the group. */
static void group_destroy(struct group *gr)
{
	struct vrrp_fsm_out o;
	uint64_t now = now_ms();

	if (gr->track_if[0]) {
		if (gr->follow == VRRP_STATE_MASTER)
			set_vips(gr, false);
		if (gr->follow != VRRP_STATE_INIT)
			changed(gr, gr->follow, VRRP_STATE_INIT, "group removed");
	} else {
		vrrp_fsm_shutdown(&gr->fsm, now, &o);
		o.reason = o.from != o.to ? "group removed" : NULL;
		run(gr, &o, now);
	}
	for (struct group *f = g.groups; f; f = f->next)
		if (f->leader == gr)
			f->leader = NULL;
	vmac_stop(gr);
	if (gr->ifp) {
		struct iface *ifp = gr->ifp;

		for (size_t i = 0; i < ifp->ngrp; i++)
			if (ifp->grp[i] == gr) {
				ifp->grp[i] = ifp->grp[--ifp->ngrp];
				break;
			}
	}
	iface_put(gr->ifp);
	gr->ifp = NULL;
	uv_close((uv_handle_t *)&gr->timer, group_closed);
	uv_close((uv_handle_t *)&gr->garp_timer, group_closed);
	uv_close((uv_handle_t *)&gr->track_timer, group_closed);
}

/* The tracks of configuration c, each as it is now; a track kept from the
 * previous configuration keeps its recover-delay. */
static void configure_tracks(struct group *gr, const Db__VrrpGroupConfig *c)
{
	size_t n = c->n_track_bfd + c->n_track_interface;
	struct vrrp_track *t = n ? calloc(n, sizeof(*t)) : NULL;

	if (n && t == NULL)
		fatal("calloc");
	for (size_t i = 0; i < n; i++) {
		enum bfd_state st;

		if (i < c->n_track_bfd) {
			const Db__TrackBfd *b = c->track_bfd[i];

			t[i].kind = VRRP_TRACK_BFD;
			snprintf(t[i].name, sizeof(t[i].name), "%s", b->session);
			t[i].reduced = (uint8_t)b->reduced;
			t[i].increased = (uint8_t)b->increased;
			t[i].peer = b->peer;
			t[i].down = !vrrp_bfd_state(g.bfd, t[i].name, &st) || st != BFD_STATE_UP;
		} else {
			const Db__TrackInterface *f = c->track_interface[i - c->n_track_bfd];

			t[i].kind = VRRP_TRACK_INTERFACE;
			snprintf(t[i].name, sizeof(t[i].name), "%s", f->ifname);
			t[i].reduced = (uint8_t)f->reduced;
			t[i].increased = (uint8_t)f->increased;
			t[i].down = vrrp_net_link_up(t[i].name) != 1;
		}
		for (size_t j = 0; j < gr->ntracks; j++)
			if (gr->tracks[j].kind == t[i].kind &&
			    strcmp(gr->tracks[j].name, t[i].name) == 0 &&
			    gr->tracks[j].down == t[i].down)
				t[i].up_at = gr->tracks[j].up_at;
	}
	free(gr->tracks);
	gr->tracks = t;
	gr->ntracks = n;
}

static void group_configure(struct group *gr, const Db__VrrpGroupConfig *c, unsigned version)
{
	gr->version = gr->family == AF_INET6 ? 3 : (uint8_t)version;
	gr->prio_cfg = (uint8_t)c->priority;
	gr->admin = c->admin;
	gr->ignore_if_down = c->ignore_if_down;
	gr->csum = c->csum_msg_only ? VRRP_CSUM_MSG_ONLY : VRRP_CSUM_PSEUDO;
	snprintf(gr->track_if, sizeof(gr->track_if), "%s", c->track_ifname ? c->track_ifname : "");
	gr->track_vrid = c->track_vrid;
	gr->recover_delay_ms = c->recover_delay_s * 1000;
	configure_tracks(gr, c);
}

/* The group's entry in configuration c (same interface, VRID, family), or
 * NULL. */
static const Db__VrrpGroupConfig *group_config(const Db__VrrpdConfig *c, const struct group *gr)
{
	for (size_t i = 0; c && i < c->n_groups; i++) {
		const Db__VrrpGroupConfig *gc = c->groups[i];

		if (gc->vrid == gr->vrid && (gc->ipv6 ? AF_INET6 : AF_INET) == gr->family &&
		    strcmp(gc->ifname, gr->ifname) == 0)
			return gc;
	}
	return NULL;
}

static void on_track_timer(uv_timer_t *t);

/* The group's priority from its tracks now, and the timer for the next
 * end of a recover-delay (its own interface's included). */
static void tracks_apply(struct group *gr, const char *what, uint64_t now)
{
	const Db__VrrpGroupConfig *c = group_config(g.running, gr);
	uint64_t next = vrrp_track_next(gr->tracks, gr->ntracks, now, gr->recover_delay_ms);
	uint64_t link = gr->link_up_at ? gr->link_up_at + gr->recover_delay_ms : 0;

	if (link && (next == 0 || link < next))
		next = link;
	if (next)
		uv_timer_start(&gr->track_timer, on_track_timer, next > now ? next - now : 1, 0);
	else
		uv_timer_stop(&gr->track_timer);
	if (c && !gr->track_if[0] && gr->fsm.enabled) {
		struct vrrp_fsm_cfg fc = fsm_cfg(gr, c);
		struct vrrp_fsm_out o;

		if (fc.priority != gr->fsm.cfg.priority)
			log_info("(%s %s vrid %u) %s: priority %u", gr->ifname,
				 fam_word(gr->family), gr->vrid, what, fc.priority);
		vrrp_fsm_set_cfg(&gr->fsm, now, &fc, &o);
		run(gr, &o, now);
	}
}

/* What the group's tracks of this kind and name now are: its priority
 * follows, and a backup whose peer session to the master went down takes
 * over now. */
static void track_seen(struct group *gr, enum vrrp_track_kind kind, const char *name,
		       bool down, const char *what, uint64_t now)
{
	bool changed = false, peer_down = false;

	for (size_t i = 0; i < gr->ntracks; i++) {
		struct vrrp_track *t = &gr->tracks[i];

		if (t->kind != kind || strcmp(t->name, name) != 0 || !vrrp_track_set(t, down, now))
			continue;
		changed = true;
		peer_down |= t->peer && t->down;
	}
	if (!changed)
		return;
	tracks_apply(gr, what, now);
	if (peer_down && !gr->track_if[0] && gr->fsm.enabled) {
		struct vrrp_fsm_out o;

		vrrp_fsm_master_gone(&gr->fsm, now, &o);
		run(gr, &o, now);
	}
}

/* A recover-delay ended. */
static void on_track_timer(uv_timer_t *t)
{
	struct group *gr = t->data;
	uint64_t now = now_ms();

	if (gr->link_up_at && now >= gr->link_up_at + gr->recover_delay_ms) {
		struct vrrp_fsm_out o;

		gr->link_up_at = 0; /* it went down meanwhile otherwise */
		log_info("(%s %s vrid %u) interface up for the recover-delay (%u s)", gr->ifname,
			 fam_word(gr->family), gr->vrid, gr->recover_delay_ms / 1000);
		vrrp_fsm_set_link(&gr->fsm, now, true, &o);
		run(gr, &o, now);
	}
	tracks_apply(gr, "recover-delay over", now);
}

/* A BFD session changed state (vrrp_bfd.h): the groups that track it
 * take their new priority, and a backup whose peer session to the master
 * went down takes over now. */
static void on_bfd_change(void *arg, const char *name, enum bfd_state from, enum bfd_state to,
			  enum bfd_diag diag)
{
	uint64_t now = now_ms();

	(void)arg;
	(void)from;
	if (g.pub) {
		Db__BfdEvent ev = DB__BFD_EVENT__INIT;

		ev.session = (char *)name;
		ev.up = to == BFD_STATE_UP;
		ev.state = (char *)bfd_state_str(to);
		ev.diagnostic = (char *)bfd_diag_str(diag);
		bus_send_msg(g.pub, NULL, 0, DB__MSG_TYPE__MSG_BFD_EVENT, DB__ROLE__ROLE_VRRPD,
			     ++g.bfd_seq, &ev.base);
	}
	for (struct group *gr = g.groups; gr; gr = gr->next) {
		char what[96];

		snprintf(what, sizeof(what), "bfd-session %s %s", name, bfd_state_str(to));
		track_seen(gr, VRRP_TRACK_BFD, name, to != BFD_STATE_UP, what, now);
	}
}

static struct group *group_create(const Db__VrrpGroupConfig *c, unsigned version)
{
	struct group *gr = calloc(1, sizeof(*gr));
	int family = c->ipv6 ? AF_INET6 : AF_INET;
	struct vrrp_fsm_cfg fc;
	int up;

	if (gr == NULL)
		fatal("calloc");
	snprintf(gr->ifname, sizeof(gr->ifname), "%s", c->ifname);
	gr->vrid = c->vrid;
	gr->family = family;
	group_configure(gr, c, version);
	if (parse_vips(c, &gr->vips, &gr->nvips) < 0)
		fatalx("(%s vrid %u) virtual addresses did not parse after the check", c->ifname,
		       c->vrid);
	gr->ifp = iface_get(c->ifname, family);
	if (gr->ifp) {
		struct iface *ifp = gr->ifp;

		if (ifp->ngrp == ifp->capgrp) {
			size_t cap = ifp->capgrp ? 2 * ifp->capgrp : 2;
			struct group **n = realloc(ifp->grp, cap * sizeof(*n));

			if (n == NULL)
				fatal("realloc");
			ifp->grp = n;
			ifp->capgrp = cap;
		}
		ifp->grp[ifp->ngrp++] = gr;
	}
	gr->owner = is_owner(gr);
	gr->vmac_cfg = c->virtual_mac && family == AF_INET;
	if (gr->vmac_cfg && gr->ifp) {
		char why[96];
		int rc = vmac_start(gr, why, sizeof(why));

		if (rc < 0)
			log_warnx("(%s vrrp vrid %u) virtual-mac: %s: %s; the interface's MAC is "
				  "used instead",
				  gr->ifname, gr->vrid, why, strerror(-rc));
	}
	gr->created = gr->changed = time(NULL);
	gr->last_reason = "created";
	uv_timer_init(g.loop, &gr->timer);
	uv_timer_init(g.loop, &gr->garp_timer);
	uv_timer_init(g.loop, &gr->track_timer);
	gr->timer.data = gr->garp_timer.data = gr->track_timer.data = gr;
	gr->open_handles = 3;
	remove_stale(gr);
	up = gr->ifp ? vrrp_net_link_up(gr->ifname) == 1 : 0;
	gr->link_up = up;
	fc = fsm_cfg(gr, c);
	vrrp_fsm_init(&gr->fsm, &fc, up || gr->ignore_if_down);
	return gr;
}

/* A group whose addresses or settings changed while it runs: no restart,
 * no transition (RFC 5798 leaves reconfiguration to the implementation). */
static void group_update(struct group *gr, const Db__VrrpGroupConfig *c, unsigned version)
{
	union vrrp_addr *vips;
	size_t n;
	struct vrrp_fsm_cfg fc;
	struct vrrp_fsm_out o;
	bool master = gr->fsm.state == VRRP_STATE_MASTER && !gr->track_if[0];
	bool fmaster = gr->track_if[0] && gr->follow == VRRP_STATE_MASTER;
	uint64_t now = now_ms();

	if (parse_vips(c, &vips, &n) < 0)
		return;
	if (n != gr->nvips || memcmp(vips, gr->vips, n * sizeof(*vips)) != 0) {
		if (master || fmaster)
			set_vips(gr, false);
		free(gr->vips);
		gr->vips = vips;
		gr->nvips = n;
		gr->owner = is_owner(gr);
		if (master || fmaster) {
			set_vips(gr, true);
			announce(gr);
		}
	} else {
		free(vips);
	}
	group_configure(gr, c, version);
	if (gr->track_if[0])
		return;
	fc = fsm_cfg(gr, c);
	vrrp_fsm_set_cfg(&gr->fsm, now, &fc, &o);
	run(gr, &o, now);
}

static void start(struct group *gr)
{
	struct vrrp_fsm_out o;
	uint64_t now = now_ms();

	vrrp_fsm_startup(&gr->fsm, now, &o);
	run(gr, &o, now);
}

static bool still_configured(const struct group *gr, const Db__VrrpdConfig *c)
{
	const Db__VrrpGroupConfig *gc = group_config(c, gr);

	/* A new version, a switch to or from tracking or virtual-mac, or a
	 * macvlan to try again is a new group. */
	return gc && (gr->family == AF_INET6 || gr->version == c->version) &&
	       !gc->track_ifname[0] == !gr->track_if[0] && !gc->virtual_mac == !gr->vmac_cfg &&
	       !(gr->vmac_cfg && gr->vmac_ifindex == 0);
}

/* cfgclient_ops.apply: takes ownership of obj. */
static void apply(void *arg, void *obj)
{
	Db__VrrpdConfig *c = obj;
	struct group *list = NULL, **tail = &list, **pp;

	(void)arg;
	free(g.notify_script);
	g.notify_script = c->notify_script && c->notify_script[0] ? strdup(c->notify_script) : NULL;
	notify_refused_logged = false;
	/* sessions first: the groups that track them read their state */
	vrrp_bfd_apply(g.bfd, c);
	vrrp_net_snapshot_begin(); /* one address dump for every group */
	g.garp_count = c->garp_count ? c->garp_count : DEF_GARP_COUNT;
	g.garp_interval_ms = c->garp_interval_ms ? c->garp_interval_ms : DEF_GARP_INTERVAL_MS;
	/* Tracking is resolved again below, once every group is in place. */
	for (struct group *gr = g.groups; gr; gr = gr->next)
		gr->leader = NULL;
	/* Groups that go away leave service first (priority 0 when master). */
	for (pp = &g.groups; *pp;) {
		struct group *gr = *pp;

		if (still_configured(gr, c)) {
			pp = &gr->next;
			continue;
		}
		*pp = gr->next;
		group_destroy(gr);
	}
	/* The new list, in the configuration's order. */
	for (size_t i = 0; i < c->n_groups; i++) {
		Db__VrrpGroupConfig *gc = c->groups[i];
		struct group *gr = find_group(gc->ifname, gc->vrid, gc->ipv6 ? AF_INET6 : AF_INET);

		if (gr) {
			for (pp = &g.groups; *pp != gr; pp = &(*pp)->next)
				;
			*pp = gr->next;
			group_update(gr, gc, c->version);
		} else {
			gr = group_create(gc, c->version);
		}
		gr->next = NULL;
		*tail = gr;
		tail = &gr->next;
	}
	g.groups = list;
	for (struct group *gr = g.groups; gr; gr = gr->next)
		if (gr->track_if[0])
			gr->leader = find_group(gr->track_if, gr->track_vrid, gr->family);
	for (struct group *gr = g.groups; gr; gr = gr->next)
		if (!gr->track_if[0] && !gr->fsm.enabled)
			start(gr);
	for (struct group *gr = g.groups; gr; gr = gr->next)
		if (gr->track_if[0])
			follow_leader(gr);
	if (g.running)
		db__vrrpd_config__free_unpacked(g.running, NULL);
	g.running = c;
	vrrp_net_snapshot_end();
	log_info("%zu VRRP group(s) configured", c->n_groups);
}

/* cfgclient_ops.discard */
static void discard(void *arg, void *obj)
{
	(void)arg;
	db__vrrpd_config__free_unpacked(obj, NULL);
}

/* ---- display --------------------------------------------------------------- */

static void show_group(FILE *f, const struct group *gr)
{
	char a[INET6_ADDRSTRLEN], t[32];
	const struct vrrp_fsm *m = &gr->fsm;
	bool tracking = gr->track_if[0] != 0;

	fprintf(f, "%s | Virtual Router %u%s\n", gr->ifname, gr->vrid,
		gr->family == AF_INET6 ? " (IPv6)" : "");
	fprintf(f, "  %-17s: %s\n", "State", vrrp_state_str(m->state));
	fprintf(f, "  %-17s:", "Virtual IP");
	for (size_t i = 0; i < gr->nvips; i++)
		fprintf(f, " %s", addr_str(gr->family, &gr->vips[i], a, sizeof(a)));
	fprintf(f, "\n  %-17s: ", "Master IP");
	if (m->state == VRRP_STATE_MASTER && gr->ifp && gr->ifp->has_primary)
		fprintf(f, "%s (this device)\n",
			addr_str(gr->family, &gr->ifp->primary, a, sizeof(a)));
	else if (gr->master_known)
		fprintf(f, "%s\n", addr_str(gr->family, &gr->master_addr, a, sizeof(a)));
	else
		fprintf(f, "-\n");
	fprintf(f, "  %-17s: %u%s\n", "PriorityRun", m->cfg.priority,
		gr->owner ? " (address owner)" : "");
	fprintf(f, "  %-17s: %u\n", "PriorityConfig", gr->prio_cfg);
	if (m->state == VRRP_STATE_MASTER)
		fprintf(f, "  %-17s: %u\n", "MasterPriority", m->cfg.priority);
	else if (gr->master_known)
		fprintf(f, "  %-17s: %u\n", "MasterPriority", gr->master_prio);
	fprintf(f, "  %-17s: %s   Delay Time : %u s\n", "Preempt", m->cfg.preempt ? "YES" : "NO",
		m->cfg.preempt_delay_ms / 1000);
	if (m->preempt_at)
		fprintf(
		    f, "  %-17s: in %llu ms\n", "Preempting",
		    (unsigned long long)(m->preempt_at > now_ms() ? m->preempt_at - now_ms() : 0));
	if (m->cfg.preempt_wait_max_ms && vrrp_fsm_waiting(m))
		fprintf(f, "  %-17s: waiting (at most %llu s more): %s\n", "Preempt Hold",
			(unsigned long long)((m->wait_until > now_ms() ? m->wait_until - now_ms()
								       : 0) /
					     1000),
			gr->gate_reason[0] ? gr->gate_reason : "no word from rbpd yet");
	else if (m->cfg.preempt_wait_max_ms)
		fprintf(f, "  %-17s: up to %u s for the backup; %s%s\n", "Preempt Hold",
			m->cfg.preempt_wait_max_ms / 1000, m->gate_open ? "ready" : "not ready: ",
			m->gate_open		? ""
			: gr->gate_reason[0]	? gr->gate_reason
						: "no word from rbpd yet");
	if (gr->held)
		fprintf(f, "  %-17s: held for rbpd's takeover of the users (%llu ms, at most %u)\n",
			"Announcement", (unsigned long long)(now_ms() - gr->held_since),
			ANNOUNCE_WAIT_MAX_MS);
	else if (gr->hold_known && gr->hold_awaited)
		fprintf(f, "  %-17s: %llu ms after becoming master, %s\n", "Last Announced",
			(unsigned long long)gr->hold_ms,
			gr->hold_confirmed ? "once rbpd had taken the users over"
					   : "at the bound, without rbpd's word");
	else if (gr->hold_known)
		fprintf(f, "  %-17s: at once (rbpd %s)\n", "Last Announced",
			gr->in_gates ? "was silent" : "backs up no users of this group");
	fprintf(f, "  %-17s: %u ms\n", "TimerRun", m->master_adver_ms);
	fprintf(f, "  %-17s: %u ms\n", "TimerConfig", m->cfg.adver_interval_ms);
	if (!tracking)
		fprintf(f, "  %-17s: %u ms   Master_Down_Interval : %u ms\n", "Skew_Time",
			vrrp_fsm_skew_ms(m), vrrp_fsm_master_down_ms(m));
	fprintf(f, "  %-17s: v%u%s\n", "Version", gr->version,
		gr->family == AF_INET && gr->version == 3
		    ? (gr->csum == VRRP_CSUM_PSEUDO ? ", checksum with pseudo-header"
						    : ", checksum over the message only")
		    : "");
	if (gr->vmac_ifindex)
		fprintf(f, "  %-17s: %02x%02x-%02x%02x-%02x%02x (macvlan %s)\n", "Virtual MAC",
			gr->vmac[0], gr->vmac[1], gr->vmac[2], gr->vmac[3], gr->vmac[4],
			gr->vmac[5], gr->vmac_name);
	else
		fprintf(f, "  %-17s: %02x%02x-%02x%02x-%02x%02x (interface%s)\n", "Virtual MAC",
			gr->ifp ? gr->ifp->mac[0] : 0, gr->ifp ? gr->ifp->mac[1] : 0,
			gr->ifp ? gr->ifp->mac[2] : 0, gr->ifp ? gr->ifp->mac[3] : 0,
			gr->ifp ? gr->ifp->mac[4] : 0, gr->ifp ? gr->ifp->mac[5] : 0,
			gr->vmac_cfg ? "; virtual-mac: the macvlan could not be created" : "");
	fprintf(f, "  %-17s: YES\n", "Check TTL");
	if (gr->admin)
		fprintf(f, "  %-17s: admin-vrrp%s\n", "Config Type",
			gr->ignore_if_down ? " (ignore-if-down)" : "");
	else if (tracking)
		fprintf(f, "  %-17s: normal-vrrp, tracking admin-vrrp %s vrid %u%s\n",
			"Config Type", gr->track_if, gr->track_vrid,
			gr->leader ? "" : " (not configured)");
	else
		fprintf(f, "  %-17s: normal-vrrp\n", "Config Type");
	for (size_t i = 0; i < gr->ntracks; i++) {
		const struct vrrp_track *tb = &gr->tracks[i];
		bool bfd = tb->kind == VRRP_TRACK_BFD;
		const char *st = tb->down ? "down"
				 : vrrp_track_counts_down(tb, now_ms(), gr->recover_delay_ms)
				     ? "up, counted down for the recover-delay"
				     : "up";

		if (tb->peer)
			fprintf(f, "  %-17s: session %s, %s: the master's (peer BFD)\n", "Track BFD",
				tb->name, st);
		else
			fprintf(f, "  %-17s: %s %s, %s: priority %s %u while down\n",
				bfd ? "Track BFD" : "Track Interface", bfd ? "session" : "interface",
				tb->name, st, tb->reduced ? "reduced" : "increased",
				tb->reduced ? tb->reduced : tb->increased);
	}
	if (gr->recover_delay_ms)
		fprintf(f, "  %-17s: %u s%s\n", "Recover Delay", gr->recover_delay_ms / 1000,
			gr->link_up_at ? " (the interface is up and waits for it)" : "");
	if (gr->ifp == NULL)
		fprintf(f, "  %-17s: the interface does not exist\n", "Note");
	show_time(gr->created, t, sizeof(t));
	fprintf(f, "  %-17s: %s\n", "Create Time", t);
	show_time(gr->changed, t, sizeof(t));
	fprintf(f, "  %-17s: %s (%s)\n", "Last Change Time", t, gr->last_reason);
}

static void show_stats(FILE *f, const struct group *gr)
{
	const struct counters *c = &gr->c;

	fprintf(f, "%s | Virtual Router %u%s: %s\n", gr->ifname, gr->vrid,
		gr->family == AF_INET6 ? " (IPv6)" : "", vrrp_state_str(gr->fsm.state));
	fprintf(f, "  Transitions to master/backup/initialize : %llu/%llu/%llu\n",
		(unsigned long long)c->to_master, (unsigned long long)c->to_backup,
		(unsigned long long)c->to_init);
	fprintf(f, "  Advertisements sent/received            : %llu/%llu\n",
		(unsigned long long)c->adv_sent, (unsigned long long)c->adv_rcvd);
	fprintf(f, "  Priority 0 sent/received                : %llu/%llu\n",
		(unsigned long long)c->prio0_sent, (unsigned long long)c->prio0_rcvd);
	fprintf(f, "  Gratuitous ARP / NA sent                : %llu\n",
		(unsigned long long)c->announce_sent);
	fprintf(f, "  Announcements held for rbpd/at the bound: %llu/%llu\n",
		(unsigned long long)c->announce_holds, (unsigned long long)c->announce_unconfirmed);
	fprintf(f, "  Send errors                             : %llu\n",
		(unsigned long long)c->send_errors);
	for (int w = 1; w < VRRP_DROP__MAX; w++)
		if (c->drops[w])
			fprintf(f, "  Dropped, %-31s: %llu\n", vrrp_drop_str(w),
				(unsigned long long)c->drops[w]);
}

static void mac_str(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* One group as JSON: the fields of `display vrrp verbose` and of
 * `display vrrp statistics` (docs/json.md). */
static void json_group(struct json_object *arr, const struct group *gr)
{
	struct json_object *o = jout_push_obj(arr), *x;
	const struct vrrp_fsm *m = &gr->fsm;
	char a[INET6_ADDRSTRLEN], mac[18];
	uint64_t now = now_ms();

	jout_str(o, "interface", gr->ifname);
	jout_u64(o, "vrid", gr->vrid);
	jout_str(o, "family", gr->family == AF_INET6 ? "ipv6" : "ipv4");
	jout_u64(o, "version", gr->version);
	jout_str(o, "state", vrrp_state_str(m->state));
	x = jout_arr(o, "virtual_ips");
	for (size_t i = 0; i < gr->nvips; i++)
		json_object_array_add(
		    x, json_object_new_string(addr_str(gr->family, &gr->vips[i], a, sizeof(a))));
	if (m->state == VRRP_STATE_MASTER && gr->ifp && gr->ifp->has_primary)
		jout_str(o, "master_ip", addr_str(gr->family, &gr->ifp->primary, a, sizeof(a)));
	else
		jout_str(o, "master_ip",
			 gr->master_known ? addr_str(gr->family, &gr->master_addr, a, sizeof(a))
					  : NULL);
	jout_str(o, "primary_ip",
		 gr->ifp && gr->ifp->has_primary
		     ? addr_str(gr->family, &gr->ifp->primary, a, sizeof(a))
		     : NULL);
	jout_bool(o, "this_device_is_master", m->state == VRRP_STATE_MASTER);
	jout_u64(o, "priority_running", m->cfg.priority);
	jout_u64(o, "priority_configured", gr->prio_cfg);
	if (m->state == VRRP_STATE_MASTER)
		jout_u64(o, "priority_master", m->cfg.priority);
	else if (gr->master_known)
		jout_u64(o, "priority_master", gr->master_prio);
	else
		jout_str(o, "priority_master", NULL);
	jout_bool(o, "address_owner", gr->owner);
	jout_bool(o, "preempt", m->cfg.preempt);
	jout_u64(o, "preempt_delay_ms", m->cfg.preempt_delay_ms);
	if (m->preempt_at)
		jout_u64(o, "preempt_in_ms", m->preempt_at > now ? m->preempt_at - now : 0);
	else
		jout_str(o, "preempt_in_ms", NULL);
	{
		struct json_object *h = jout_obj(o, "preempt_hold");

		jout_u64(h, "max_ms", m->cfg.preempt_wait_max_ms);
		jout_bool(h, "ready", m->gate_open);
		jout_bool(h, "waiting", vrrp_fsm_waiting(m));
		if (vrrp_fsm_waiting(m))
			jout_u64(h, "remaining_ms", m->wait_until > now ? m->wait_until - now : 0);
		else
			jout_str(h, "remaining_ms", NULL);
		jout_str(h, "reason",
			 m->cfg.preempt_wait_max_ms == 0 || m->gate_open ? NULL
			 : gr->gate_reason[0]				    ? gr->gate_reason
									    : "no word from rbpd yet");
	}
	{
		struct json_object *h = jout_obj(o, "announce");

		jout_bool(h, "awaits_rbpd", takeover_awaited(gr, now));
		jout_bool(h, "held", gr->held);
		if (gr->held)
			jout_u64(h, "held_ms", now - gr->held_since);
		else
			jout_str(h, "held_ms", NULL);
		jout_u64(h, "max_ms", ANNOUNCE_WAIT_MAX_MS);
		if (gr->hold_known && !gr->held) {
			jout_bool(h, "last_awaited_rbpd", gr->hold_awaited);
			jout_bool(h, "last_confirmed", gr->hold_confirmed);
			jout_u64(h, "last_wait_ms", gr->hold_ms);
		} else {
			jout_str(h, "last_awaited_rbpd", NULL);
			jout_str(h, "last_confirmed", NULL);
			jout_str(h, "last_wait_ms", NULL);
		}
		if (gr->master_at_ns)
			jout_u64(h, "became_master_ns", gr->master_at_ns);
		else
			jout_str(h, "became_master_ns", NULL);
		if (gr->announced_at_ns)
			jout_u64(h, "announced_ns", gr->announced_at_ns);
		else
			jout_str(h, "announced_ns", NULL);
	}
	{
		struct json_object *tb = jout_arr(o, "track_bfd");
		struct json_object *ti = jout_arr(o, "track_interface");

		for (size_t i = 0; i < gr->ntracks; i++) {
			const struct vrrp_track *t = &gr->tracks[i];
			bool bfd = t->kind == VRRP_TRACK_BFD;
			struct json_object *e = jout_push_obj(bfd ? tb : ti);

			jout_str(e, bfd ? "session" : "interface", t->name);
			jout_bool(e, "down", t->down);
			jout_bool(e, "counted_down",
				  vrrp_track_counts_down(t, now, gr->recover_delay_ms));
			if (bfd)
				jout_bool(e, "peer", t->peer);
			jout_u64(e, "reduced", t->reduced);
			jout_u64(e, "increased", t->increased);
		}
		jout_u64(o, "recover_delay_s", gr->recover_delay_ms / 1000);
		jout_bool(o, "link_recovering", gr->link_up_at != 0);
	}
	jout_u64(o, "advert_interval_running_ms", m->master_adver_ms);
	jout_u64(o, "advert_interval_configured_ms", m->cfg.adver_interval_ms);
	jout_u64(o, "skew_time_ms", vrrp_fsm_skew_ms(m));
	jout_u64(o, "master_down_interval_ms", vrrp_fsm_master_down_ms(m));
	if (gr->family == AF_INET && gr->version == 3)
		jout_str(o, "checksum",
			 gr->csum == VRRP_CSUM_PSEUDO ? "pseudo-header" : "message-only");
	if (gr->vmac_ifindex)
		mac_str(gr->vmac, mac, sizeof(mac));
	else if (gr->ifp)
		mac_str(gr->ifp->mac, mac, sizeof(mac));
	jout_str(o, "virtual_mac", gr->vmac_ifindex || gr->ifp ? mac : NULL);
	jout_str(o, "virtual_mac_interface", gr->vmac_ifindex ? gr->vmac_name : NULL);
	jout_bool(o, "virtual_mac_configured", gr->vmac_cfg);
	jout_str(o, "config_type",
		 gr->admin ? "admin-vrrp" : gr->track_if[0] ? "member" : "normal-vrrp");
	if (gr->track_if[0]) {
		x = jout_obj(o, "tracks");
		jout_str(x, "interface", gr->track_if);
		jout_u64(x, "vrid", gr->track_vrid);
		jout_bool(x, "configured", gr->leader != NULL);
	}
	jout_bool(o, "interface_exists", gr->ifp != NULL);
	jout_i64(o, "created", (int64_t)gr->created);
	jout_i64(o, "last_change", (int64_t)gr->changed);
	if (gr->up_since)
		jout_i64(o, "up_since", (int64_t)gr->up_since);
	else
		jout_str(o, "up_since", NULL);
	jout_str(o, "last_change_reason", gr->last_reason);
	x = jout_obj(o, "statistics");
	jout_u64(x, "to_master", gr->c.to_master);
	jout_u64(x, "to_backup", gr->c.to_backup);
	jout_u64(x, "to_initialize", gr->c.to_init);
	jout_u64(x, "adverts_sent", gr->c.adv_sent);
	jout_u64(x, "adverts_received", gr->c.adv_rcvd);
	jout_u64(x, "priority0_sent", gr->c.prio0_sent);
	jout_u64(x, "priority0_received", gr->c.prio0_rcvd);
	jout_u64(x, "announcements_sent", gr->c.announce_sent);
	jout_u64(x, "announcements_held", gr->c.announce_holds);
	jout_u64(x, "announcements_at_bound", gr->c.announce_unconfirmed);
	jout_u64(x, "send_errors", gr->c.send_errors);
	x = jout_obj(x, "dropped");
	for (int w = 1; w < VRRP_DROP__MAX; w++)
		jout_u64(x, vrrp_drop_key(w), gr->c.drops[w]);
}

/* `display vrrp … json`: every group, whatever the detail asked for, and
 * what was dropped before reaching a group. */
static int display_json(FILE *f)
{
	struct json_object *o = json_object_new_object(), *arr, *k;
	uint64_t kd[2] = {0, 0};

	if (o == NULL)
		return 0;
	arr = jout_arr(o, "groups");
	for (const struct group *gr = g.groups; gr; gr = gr->next)
		json_group(arr, gr);
	arr = jout_arr(o, "interfaces");
	for (const struct iface *ifp = g.ifaces; ifp; ifp = ifp->next) {
		struct json_object *i = jout_push_obj(arr);

		jout_str(i, "interface", ifp->name);
		jout_str(i, "family", ifp->family == AF_INET6 ? "ipv6" : "ipv4");
		k = jout_obj(i, "dropped");
		for (int w = 1; w < VRRP_DROP__MAX; w++)
			jout_u64(k, vrrp_drop_key(w), ifp->drops[w]);
	}
	for (const struct rxsock *r = g.rxsocks; r; r = r->next)
		kd[r->family == AF_INET6] += r->kernel_drops;
	k = jout_obj(o, "kernel_drops");
	jout_u64(k, "ipv4", kd[0]);
	jout_u64(k, "ipv6", kd[1]);
	k = jout_obj(o, "notify_script");
	jout_str(k, "path", g.notify_script);
	jout_u64(k, "started", notify_sched.started);
	jout_u64(k, "running", notify_sched.running);
	jout_u64(k, "waiting", vrrp_notify_pending(&notify_sched));
	jout_u64(k, "dropped", notify_sched.dropped);
	jout_u64(k, "timed_out", notify_killed);
	jout_u64(k, "not_run", notify_failed);
	return jout_write(f, o);
}

/* ctl_query_fn */
static int display(void *arg, const char *what, bool json, FILE *f)
{
	bool brief = strcmp(what, "vrrp brief") == 0;
	bool stats = strcmp(what, "vrrp statistics") == 0;
	char a[INET6_ADDRSTRLEN];

	(void)arg;
	if (strncmp(what, "bfd session", 11) == 0)
		return vrrp_bfd_show(g.bfd, what[11] == ' ' ? what + 12 : NULL, json, f);
	if (json && strncmp(what, "vrrp", 4) == 0)
		return display_json(f);
	if (strcmp(what, "vrrp state-list") == 0) {
		/* For rbpd: the number of the last event published, then one
		 * line per group; events numbered up to it are included. */
		fprintf(f, "seq %llu\n", (unsigned long long)g.pub_seq);
		for (const struct group *gr = g.groups; gr; gr = gr->next)
			fprintf(f, "%s %u %s %s %llu\n", gr->ifname, gr->vrid, fam_word(gr->family),
				vrrp_state_str(gr->fsm.state),
				(unsigned long long)(gr->fsm.state == VRRP_STATE_MASTER
							 ? gr->takeover_id
							 : 0));
		return 1;
	}
	if (g.groups == NULL) {
		fprintf(f, "Info: No VRRP group is configured.");
		return 1;
	}
	if (brief)
		fprintf(f, "VRID  State        Interface        Type     Virtual IP\n");
	for (const struct group *gr = g.groups; gr; gr = gr->next) {
		if (brief)
			fprintf(f, "%-5u %-12s %-16s %-8s %s%s\n", gr->vrid,
				vrrp_state_str(gr->fsm.state), gr->ifname,
				gr->admin	  ? "Admin"
				: gr->track_if[0] ? "Member"
						  : "Normal",
				gr->nvips ? addr_str(gr->family, &gr->vips[0], a, sizeof(a)) : "-",
				gr->nvips > 1 ? " ..." : "");
		else if (stats)
			show_stats(f, gr);
		else
			show_group(f, gr);
	}
	if (stats) {
		unsigned long long kd[2] = {0, 0};

		for (const struct rxsock *r = g.rxsocks; r; r = r->next)
			kd[r->family == AF_INET6] += r->kernel_drops;
		for (int i = 0; i < 2; i++)
			if (kd[i])
				fprintf(f, "%s: dropped by the kernel, receive buffer full: %llu\n",
					i ? "IPv6" : "IPv4", kd[i]);
		if (g.notify_script || notify_sched.started)
			fprintf(f,
				"Notify script: started %llu, running %u, waiting %zu, dropped %llu, "
				"timed out %llu, not run %llu\n",
				(unsigned long long)notify_sched.started, notify_sched.running,
				vrrp_notify_pending(&notify_sched),
				(unsigned long long)notify_sched.dropped,
				(unsigned long long)notify_killed, (unsigned long long)notify_failed);
	}
	if (stats)
		for (const struct iface *ifp = g.ifaces; ifp; ifp = ifp->next)
			for (int w = 1; w < VRRP_DROP__MAX; w++)
				if (ifp->drops[w])
					fprintf(
					    f,
					    "%s (%s): dropped before reaching a group, %s: %llu\n",
					    ifp->name, fam_word(ifp->family), vrrp_drop_str(w),
					    (unsigned long long)ifp->drops[w]);
	return 1;
}

/* ---- life ------------------------------------------------------------------------ */

static int init(uv_loop_t *loop, void *zctx, const char *rundir, void *arg)
{
	char ep[512];
	struct bus_opts bo = {.type = ZMQ_PUB, .bind = 1, .zap_domain = PEER_DOMAIN_DAEMON};
	int rc;

	(void)arg;
	g.loop = loop;
	inet_pton(AF_INET, "224.0.0.18", &mcast4.v4);
	inet_pton(AF_INET6, "ff02::12", &mcast6.v6);
	if (getrandom(&g.takeover_base, sizeof(g.takeover_base), 0) != sizeof(g.takeover_base))
		g.takeover_base = realtime_ns();
	g.takeover_base &= ~(uint64_t)0xffffffff; /* the counter's room */
	g.garp_count = DEF_GARP_COUNT;
	g.garp_interval_ms = DEF_GARP_INTERVAL_MS;
	rc = vrrp_bfd_new(&g.bfd, loop, on_bfd_change, NULL);
	if (rc < 0)
		return rc;
	g.nl = vrrp_net_nl_open();
	if (g.nl < 0)
		return g.nl;
	rc = vrrp_net_announce_open(&g.pkt_fd, &g.icmp6_fd);
	if (rc < 0)
		return rc;
	g.mon = vrrp_net_monitor_open();
	if (g.mon < 0)
		return g.mon;
	uv_poll_init(loop, &g.mon_poll, g.mon);
	uv_poll_start(&g.mon_poll, UV_READABLE, on_monitor);
	rc = daemon_endpoint(ep, sizeof(ep), rundir, "vrrpd-events");
	if (rc < 0)
		return rc;
	bo.endpoint = ep;
	rc = bus_open(&g.pub, loop, zctx, &bo);
	if (rc < 0)
		return rc;
	{
		struct bus_opts sub = {.type = ZMQ_SUB, .endpoint = ep, .cb = on_gates};

		rc = daemon_endpoint(ep, sizeof(ep), rundir, "rbpd-events");
		if (rc < 0)
			return rc;
		return bus_open(&g.gates_sub, loop, zctx, &sub);
	}
}

/* SIGTERM: every master says goodbye with priority 0 (RFC 5798 6.4.3), so
 * that the backup takes over after Skew_Time, and removes its addresses. */
static void stop(void *arg)
{
	(void)arg;
	while (g.groups) {
		struct group *gr = g.groups;

		g.groups = gr->next;
		group_destroy(gr);
	}
	if (g.pub)
		bus_close(g.pub);
	g.pub = NULL;
	if (g.gates_sub)
		bus_close(g.gates_sub);
	g.gates_sub = NULL;
	vrrp_bfd_free(g.bfd); /* sessions say AdminDown */
	g.bfd = NULL;
	uv_close((uv_handle_t *)&g.mon_poll, NULL);
}

static const struct cfgclient_ops ops = {check, apply, discard};

int main(int argc, char **argv)
{
	static const struct service svc = {
	    "vrrpd", DB__ROLE__ROLE_VRRPD, &ops, display, NULL, init, stop,
	};
	int rc = service_main(argc, argv, &svc);

	if (g.running)
		db__vrrpd_config__free_unpacked(g.running, NULL);
	while (notify_procs) {
		struct notify_proc *n = notify_procs;

		notify_procs = n->next;
		free(n);
	}
	vrrp_notify_free(&notify_sched);
	/* The loop's final walk closed the sockets' poll handles. */
	while (g.rxsocks) {
		struct rxsock *r = g.rxsocks;

		g.rxsocks = r->next;
		close(r->fd);
		free(r);
	}
	free(g.by_index[0]);
	free(g.by_index[1]);
	free(g.notify_script);
	close(g.nl);
	close(g.mon);
	close(g.pkt_fd);
	close(g.icmp6_fd);
	return rc;
}
