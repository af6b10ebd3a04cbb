/*
 * vrrpd's state, shared by its parts (docs/architecture.md):
 *
 *   vrrpd.c        main(): the service glue
 *   vrrpd_life.c   start, stop, and freeing what is left
 *   vrrpd_iface.c  interfaces, their sockets, virtual MAC, links, addresses
 *   vrrpd_rx.c     receiving advertisements
 *   vrrpd_act.c    what a transition does: advertisements, addresses,
 *                  announcements (ordered takeover), events for the world
 *   vrrpd_conf.c   configuration (check, apply), tracking of interfaces and
 *                  BFD sessions
 *   vrrpd_show.c   display vrrp, text and JSON
 *   vrrpd_script.c the operator's notify script
 *
 * The pure cores beside them (vrrp_fsm, vrrp_pkt, vrrp_notify, vrrp_track,
 * vrrp_net's packet builders) know nothing of this state. The state is one
 * struct vrrpd, reached from each group and interface (gr->d, ifp->d) or
 * given to a function: no part keeps state of its own.
 */
#ifndef DB_VRRPD_H
#define DB_VRRPD_H

#include <arpa/inet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "common/bus.h"
#include "common/errlist.h"
#include "common/keyname.h"
#include "common/pidwatch.h"
#include "config.pb-c.h"
#include "vrrpd/vrrp_bfd.h"
#include "vrrpd/vrrp_fsm.h"
#include "vrrpd/vrrp_net.h"
#include "vrrpd/vrrp_pkt.h"
#include "vrrpd/vrrp_track.h"
#include "vrrpd/vrrpd_script.h"

#define DEF_GARP_COUNT 3
#define DEF_GARP_INTERVAL_MS 500
#define RX_BURST 64 /* packets read per wake-up of one socket */
/* Ordered takeover (docs/takeover.md): a new master's announcements wait
 * for rbpd's takeover at most this long, and only while rbpd lives (its
 * process, watched) and its last PreemptGates is this recent (it
 * publishes them on every change and every 10 s). */
#define ANNOUNCE_WAIT_MAX_MS 2000
#define GATES_FRESH_MS 25000
/* A master that hears another master announces again at most this often. */
#define REANNOUNCE_MIN_MS 1000

/* A raw socket of one family, joined to the VRRP group on up to as many
 * interfaces as the kernel lets one socket join. Every such socket sees
 * every VRRP packet of the system, so each handles only the packets of
 * its own interfaces. */
struct rxsock {
	struct rxsock *next;
	struct vrrpd *d;
	int family;
	int fd;
	uv_poll_t poll;
	bool full;	       /* the kernel refused one more membership */
	uint32_t kernel_drops; /* dropped by the kernel, the receive buffer full */
};

/* An interface and family with groups on it. */
struct iface {
	struct iface *next;
	struct vrrpd *d;
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
	uint64_t other_master_adverts, reannounced;    /* another master heard */
	uint64_t drops[VRRP_DROP__MAX];
};

/* A group's names in vrrpd's indexes (vrrpd_group_key()). */
#define GROUP_KEY_LEN (IF_NAMESIZE + 16)

struct group {
	struct group *next;
	struct vrrpd *d;
	char ifname[IF_NAMESIZE];
	unsigned vrid;
	int family;
	char key[GROUP_KEY_LEN];	/* IFNAME/VRID/4|6: the group (vrrpd.gidx) */
	char gate_key[GROUP_KEY_LEN];	/* IFNAME/VRID: its gate (rbpd's gates have no family) */
	const Db__VrrpGroupConfig *cfg; /* its entry in vrrpd.running */
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
	uv_timer_t track_timer; /* the end of a recover-delay */
	uint64_t link_up_at;	/* the interface came up then; counts after recover-delay */
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
	uint64_t reannounced_at;  /* now_ms() of the last announcing again */
	/* rbpd: the peer is master of this group too (split brain seen over
	 * the RBS channel), since then (unix seconds); 0: not */
	uint64_t dual_since;
	struct counters c;
	uint32_t logged; /* drop reasons already logged */
};

struct vrrpd {
	uv_loop_t *loop;
	Db__VrrpdConfig *running;
	struct group *groups;
	struct strmap *gidx; /* the groups by key: what each commit's groups are */
	struct iface *ifaces;
	struct bus_sock *pub;
	uint64_t pub_seq;
	struct bus_sock *gates_sub; /* rbpd's PreemptGates */
	uint64_t gates_at;	    /* now_ms() of the last one, 0: none yet or rbpd ended */
	struct pidwatch *rbpd;	    /* the process that sent them */
	Db__PreemptGates *gates_last; /* the last one, for the groups made after it */
	struct strmap *gates_idx;     /* its gates by gate_key */
	uint64_t takeover_base;	    /* random: takeover numbers differ across restarts */
	uint64_t takeovers;
	struct rxsock *rxsocks;
	struct iface **by_index[2]; /* [AF_INET6?1:0][ifindex] */
	size_t by_cap[2];
	int nl;	 /* rtnetlink requests */
	int mon; /* rtnetlink notifications */
	uv_poll_t mon_poll;
	int pkt_fd, icmp6_fd;
	struct vrrpd_script script; /* the operator's notify script */
	unsigned garp_count, garp_interval_ms;
	struct vrrp_bfd *bfd;		/* BFD sessions (vrrp_bfd.c) */
	uint64_t bfd_seq;		/* BfdEvents published */
	union vrrp_addr mcast4, mcast6; /* 224.0.0.18, ff02::12 */
	/* the answer to QUERY_VRRP_STATES, kept until the next one */
	Db__VrrpGroupState *states;
	Db__VrrpGroupState **state_ptrs;
	size_t states_cap;
	Db__VrrpStateList state_list;
};

/*
 * A group's name in vrrpd's indexes: "IFNAME/VRID/4" or ".../6", or with
 * family 0 "IFNAME/VRID", the name of its gate. Written without printf:
 * each commit and each gates message names thousands of groups. buf holds
 * GROUP_KEY_LEN; an interface name is at most IF_NAMESIZE - 1 bytes.
 */
static inline const char *vrrpd_group_key(char *buf, const char *ifname, unsigned vrid, int family)
{
	char *end = keyname(buf, GROUP_KEY_LEN - 2, ifname, '/', vrid);

	if (family) {
		end[0] = '/';
		end[1] = family == AF_INET6 ? '6' : '4';
		end[2] = '\0';
	}
	return buf;
}

static inline uint64_t now_ms(struct vrrpd *d)
{
	uv_update_time(d->loop);
	return uv_now(d->loop) + 1; /* the state machine reserves 0 for "stopped" */
}

static inline uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline const char *fam_word(int family)
{
	return family == AF_INET ? "vrrp" : "vrrp6";
}

static inline const char *addr_str(int family, const union vrrp_addr *a, char *buf, size_t len)
{
	return inet_ntop(family, a, buf, (socklen_t)len) ? buf : "?";
}

/* A struct vrrpd before vrrpd_init(): no descriptor open. */
#define VRRPD_INITIALIZER                                                                          \
	{                                                                                          \
		.nl = -1, .mon = -1, .pkt_fd = -1, .icmp6_fd = -1                                  \
	}

/* ---- vrrpd_life.c: start and stop (struct service's init and stop) */

/* Opens vrrpd's sockets on loop, with its endpoints in rundir (the
 * events it publishes, rbpd's gates it reads); arg is the struct vrrpd,
 * as VRRPD_INITIALIZER left it. Returns 0 or a negative errno; what was
 * opened is then left for vrrpd_free() (the daemon exits). */
int vrrpd_init(uv_loop_t *loop, void *zctx, const char *rundir, void *arg);
/* Every group leaves service (a master sends priority 0 and removes its
 * addresses), the bus sockets and BFD sessions close; handles are closed,
 * so the loop must run on until they are gone. */
void vrrpd_stop(void *arg);
/* Frees and closes what is left of d once the loop has closed every
 * handle (daemon_close_loop()); d is as VRRPD_INITIALIZER left it. */
void vrrpd_free(struct vrrpd *d);

/* ---- vrrpd_iface.c: interfaces, their sockets, virtual MAC, links and addresses */

struct iface **vrrpd_index_slot(struct vrrpd *d, int family, unsigned ifindex, bool grow);
struct iface *vrrpd_iface_get(struct vrrpd *d, const char *name, int family);
void vrrpd_iface_put(struct iface *ifp);
int vrrpd_vmac_start(struct group *gr, char *why, size_t whylen);
void vrrpd_vmac_stop(struct group *gr);
int vrrpd_vmac_check(struct vrrpd *d, unsigned idx, unsigned vrid, char *why, size_t whylen);
unsigned vrrpd_tx_ifindex(const struct group *gr);
void vrrpd_on_monitor(uv_poll_t *h, int status, int events);

/* ---- vrrpd_act.c: what a transition does (advertisements, addresses, announcements, events) */

void vrrpd_set_vips(struct group *gr, bool add);
void vrrpd_announce(struct group *gr);
bool vrrpd_takeover_awaited(const struct group *gr, uint64_t now);
void vrrpd_changed(struct group *gr, enum vrrp_state from, enum vrrp_state to, const char *reason);
void vrrpd_run(struct group *gr, const struct vrrp_fsm_out *o, uint64_t now);
void vrrpd_on_gates(struct bus_sock *s, const struct bus_part *parts, int n, void *arg);
void vrrpd_gate_of_new_group(struct group *gr, uint64_t now);
void vrrpd_gates_free(struct vrrpd *d);
void vrrpd_follow_leader(struct group *gr);
void vrrpd_other_master(struct group *gr, const union vrrp_addr *from, uint8_t prio, uint64_t now);

/* ---- vrrpd_rx.c: receiving advertisements */

void vrrpd_on_readable(uv_poll_t *h, int status, int events);

/* ---- vrrpd_conf.c: configuration (check and apply), tracking */

void *vrrpd_check(void *arg, const uint8_t *sec, size_t len, struct errlist *errs);
void vrrpd_group_destroy(struct group *gr);
/* The group on its interface (gr->ifp), when one of its name exists; run
 * at its creation and when an interface of that name appears. */
void vrrpd_group_attach(struct group *gr);
void vrrpd_tracks_apply(struct group *gr, const char *what, uint64_t now);
void vrrpd_track_seen(struct group *gr, enum vrrp_track_kind kind, const char *name, bool down,
		      const char *what, uint64_t now);
void vrrpd_on_track_timer(uv_timer_t *t);
void vrrpd_on_bfd_change(void *arg, const char *name, enum bfd_state from, enum bfd_state to,
			 enum bfd_diag diag);
void vrrpd_apply(void *arg, void *obj);
void vrrpd_discard(void *arg, void *obj);

/* ---- vrrpd_show.c: display vrrp */

int vrrpd_display(void *arg, const Db__Query *q, FILE *f, Db__QueryReply *r);

/* The bus's word for a state (proto/bus.proto VrrpState). */
Db__VrrpState vrrpd_bus_state(enum vrrp_state s);

#endif
