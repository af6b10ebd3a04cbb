/*
 * vrrpd: configuration. check() says what cfgd's candidate would break
 * (phase one of the commit), apply() makes the running groups what the
 * committed configuration says (phase two); and the tracking of
 * interfaces and BFD sessions that changes a group's priority.
 */
#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/reconcile.h"
#include "common/strmap.h"
#include "vrrpd/vrrpd.h"

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

static bool iface_open(struct vrrpd *d, const char *ifname, int family)
{
	for (struct iface *ifp = d->ifaces; ifp; ifp = ifp->next)
		if (ifp->family == family && strcmp(ifp->name, ifname) == 0)
			return true;
	return false;
}

/* cfgclient_ops.check: unpack and check against the live system. */
void *vrrpd_check(void *arg, const uint8_t *sec, size_t len, struct errlist *errs)
{
	struct vrrpd *d = arg;
	Db__VrrpdConfig *c = db__vrrpd_config__unpack(NULL, len, sec);
	char last_if[IFNAMSIZ] = "";
	unsigned last_idx = 0;
	/* the primary address of the last interface asked, per family */
	struct {
		unsigned idx;
		int rc;
	} prim[2] = {{0, 0}, {0, 0}};

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
		unsigned idx;
		union vrrp_addr a, *vips;
		struct iface **slot, *ifp;
		size_t n;
		int fd;

		/* groups come by interface: one lookup for each run of them */
		if (strcmp(gr->ifname, last_if) != 0) {
			snprintf(last_if, sizeof(last_if), "%s", gr->ifname);
			last_idx = if_nametoindex(gr->ifname);
		}
		idx = last_idx;
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
		if (n == 0) {
			/* cfgd refuses it too; a group without one would be
			 * master with every advertisement failing to build */
			errlist_add(errs, "interface %s: %s vrid %u has no virtual-ip", gr->ifname,
				    fam, gr->vrid);
			continue;
		}
		if (gr->virtual_mac && family != AF_INET) {
			errlist_add(errs, "interface %s: %s vrid %u virtual-mac: IPv4 groups only",
				    gr->ifname, fam, gr->vrid);
		} else if (gr->virtual_mac) {
			char why[96];
			int rc = vrrpd_vmac_check(d, idx, gr->vrid, why, sizeof(why));

			if (rc < 0)
				errlist_add(errs, "interface %s: vrrp vrid %u virtual-mac: %s: %s",
					    gr->ifname, gr->vrid, why, strerror(-rc));
		}
		if (gr->track_ifname && gr->track_ifname[0])
			continue; /* sends nothing itself */
		/* An interface vrrpd runs already: its address is followed by
		 * rtnetlink (refresh_iface()) and its socket is open, so a
		 * commit that changes a priority asks the kernel nothing. */
		slot = vrrpd_index_slot(d, family, idx, false);
		ifp = slot && *slot && strcmp((*slot)->name, gr->ifname) == 0 ? *slot : NULL;
		if (ifp == NULL && prim[family == AF_INET6].idx != idx) {
			prim[family == AF_INET6].idx = idx;
			prim[family == AF_INET6].rc = vrrp_net_primary(family, idx, &a);
		}
		if (ifp ? !ifp->has_primary : prim[family == AF_INET6].rc < 0)
			errlist_add(errs,
				    "interface %s: %s vrid %u: the interface has no %s address to "
				    "advertise from",
				    gr->ifname, fam, gr->vrid,
				    family == AF_INET ? "IPv4" : "IPv6 link-local");
		if (ifp || iface_open(d, gr->ifname, family))
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
	struct vrrpd *d = gr->d;
	struct vrrp_fsm_cfg f = {
	    .version = gr->version,
	    .priority = vrrp_track_priority((uint8_t)c->priority, gr->owner, gr->tracks,
					    gr->ntracks, now_ms(d), gr->recover_delay_ms),
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
	struct vrrpd *d = gr->d;
	char a[INET6_ADDRSTRLEN];

	if (gr->ifp == NULL || gr->owner)
		return;
	for (size_t i = 0; i < gr->nvips; i++)
		if (vrrp_net_addr_kind(gr->family, gr->ifp->ifindex, &gr->vips[i]) ==
		    VRRP_NET_ADDR_HOST) {
			log_info("(%s %s vrid %u) removing stale virtual address %s", gr->ifname,
				 fam_word(gr->family), gr->vrid,
				 addr_str(gr->family, &gr->vips[i], a, sizeof(a)));
			vrrp_net_addr(d->nl, false, gr->family, gr->ifp->ifindex, &gr->vips[i]);
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
void vrrpd_group_destroy(struct group *gr)
{
	struct vrrpd *d = gr->d;
	struct vrrp_fsm_out o;
	uint64_t now = now_ms(d);

	if (gr->track_if[0]) {
		if (gr->follow == VRRP_STATE_MASTER)
			vrrpd_set_vips(gr, false);
		if (gr->follow != VRRP_STATE_INIT)
			vrrpd_changed(gr, gr->follow, VRRP_STATE_INIT, "group removed");
	} else {
		vrrp_fsm_shutdown(&gr->fsm, now, &o);
		o.reason = o.from != o.to ? "group removed" : NULL;
		vrrpd_run(gr, &o, now);
	}
	for (struct group *f = d->groups; f; f = f->next)
		if (f->leader == gr)
			f->leader = NULL;
	vrrpd_vmac_stop(gr);
	if (gr->ifp) {
		struct iface *ifp = gr->ifp;

		for (size_t i = 0; i < ifp->ngrp; i++)
			if (ifp->grp[i] == gr) {
				ifp->grp[i] = ifp->grp[--ifp->ngrp];
				break;
			}
	}
	vrrpd_iface_put(gr->ifp);
	gr->ifp = NULL;
	uv_close((uv_handle_t *)&gr->timer, group_closed);
	uv_close((uv_handle_t *)&gr->garp_timer, group_closed);
	uv_close((uv_handle_t *)&gr->track_timer, group_closed);
}

/* The tracks of configuration c, each as it is now; a track kept from the
 * previous configuration keeps its recover-delay. */
static void configure_tracks(struct group *gr, const Db__VrrpGroupConfig *c)
{
	struct vrrpd *d = gr->d;
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
			t[i].down = !vrrp_bfd_state(d->bfd, t[i].name, &st) || st != BFD_STATE_UP;
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

/* The group's priority from its tracks now, and the timer for the next
 * end of a recover-delay (its own interface's included). */
void vrrpd_tracks_apply(struct group *gr, const char *what, uint64_t now)
{
	const Db__VrrpGroupConfig *c = gr->cfg;
	uint64_t next = vrrp_track_next(gr->tracks, gr->ntracks, now, gr->recover_delay_ms);
	uint64_t link = gr->link_up_at ? gr->link_up_at + gr->recover_delay_ms : 0;

	if (link && (next == 0 || link < next))
		next = link;
	if (next)
		uv_timer_start(&gr->track_timer, vrrpd_on_track_timer, next > now ? next - now : 1,
			       0);
	else
		uv_timer_stop(&gr->track_timer);
	if (c && !gr->track_if[0] && gr->fsm.enabled) {
		struct vrrp_fsm_cfg fc = fsm_cfg(gr, c);
		struct vrrp_fsm_out o;

		if (fc.priority != gr->fsm.cfg.priority)
			log_info("(%s %s vrid %u) %s: priority %u", gr->ifname,
				 fam_word(gr->family), gr->vrid, what, fc.priority);
		vrrp_fsm_set_cfg(&gr->fsm, now, &fc, &o);
		vrrpd_run(gr, &o, now);
	}
}

/* What the group's tracks of this kind and name now are: its priority
 * follows, and a backup whose peer session to the master went down takes
 * over now. */
void vrrpd_track_seen(struct group *gr, enum vrrp_track_kind kind, const char *name, bool down,
		      const char *what, uint64_t now)
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
	vrrpd_tracks_apply(gr, what, now);
	if (peer_down && !gr->track_if[0] && gr->fsm.enabled) {
		struct vrrp_fsm_out o;

		vrrp_fsm_master_gone(&gr->fsm, now, &o);
		vrrpd_run(gr, &o, now);
	}
}

/* A recover-delay ended. */
void vrrpd_on_track_timer(uv_timer_t *t)
{
	struct group *gr = t->data;
	struct vrrpd *d = gr->d;
	uint64_t now = now_ms(d);

	if (gr->link_up_at && now >= gr->link_up_at + gr->recover_delay_ms) {
		struct vrrp_fsm_out o;

		gr->link_up_at = 0; /* it went down meanwhile otherwise */
		log_info("(%s %s vrid %u) interface up for the recover-delay (%u s)", gr->ifname,
			 fam_word(gr->family), gr->vrid, gr->recover_delay_ms / 1000);
		vrrp_fsm_set_link(&gr->fsm, now, true, &o);
		vrrpd_run(gr, &o, now);
	}
	vrrpd_tracks_apply(gr, "recover-delay over", now);
}

/* A BFD session changed state (vrrp_bfd.h): the groups that track it
 * take their new priority, and a backup whose peer session to the master
 * went down takes over now. */
void vrrpd_on_bfd_change(void *arg, const char *name, enum bfd_state from, enum bfd_state to,
			 enum bfd_diag diag)
{
	struct vrrpd *d = arg;
	uint64_t now = now_ms(d);

	(void)from;
	if (d->pub) {
		Db__BfdEvent ev = DB__BFD_EVENT__INIT;

		ev.session = (char *)name;
		ev.up = to == BFD_STATE_UP;
		ev.state = (char *)bfd_state_str(to);
		ev.diagnostic = (char *)bfd_diag_str(diag);
		bus_send_msg(d->pub, NULL, 0, DB__MSG_TYPE__MSG_BFD_EVENT, DB__ROLE__ROLE_VRRPD,
			     ++d->bfd_seq, &ev.base);
	}
	for (struct group *gr = d->groups; gr; gr = gr->next) {
		char what[96];

		snprintf(what, sizeof(what), "bfd-session %s %s", name, bfd_state_str(to));
		vrrpd_track_seen(gr, VRRP_TRACK_BFD, name, to != BFD_STATE_UP, what, now);
	}
}

/* The group on its interface, when there is one by its name: socket,
 * index of its VRIDs, ownership of its addresses, virtual MAC. */
void vrrpd_group_attach(struct group *gr)
{
	struct iface *ifp = vrrpd_iface_get(gr->d, gr->ifname, gr->family);

	gr->ifp = ifp;
	if (ifp) {
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
	if (gr->vmac_cfg && gr->ifp) {
		char why[96];
		int rc = vrrpd_vmac_start(gr, why, sizeof(why));

		if (rc < 0)
			log_warnx("(%s vrrp vrid %u) virtual-mac: %s: %s; the interface's MAC is "
				  "used instead",
				  gr->ifname, gr->vrid, why, strerror(-rc));
	}
}

static struct group *group_create(struct vrrpd *d, const Db__VrrpGroupConfig *c, unsigned version)
{
	struct group *gr = calloc(1, sizeof(*gr));
	int family = c->ipv6 ? AF_INET6 : AF_INET;
	struct vrrp_fsm_cfg fc;
	int up;

	if (gr == NULL)
		fatal("calloc");
	gr->d = d;
	snprintf(gr->ifname, sizeof(gr->ifname), "%s", c->ifname);
	gr->vrid = c->vrid;
	gr->family = family;
	vrrpd_group_key(gr->key, gr->ifname, gr->vrid, family);
	vrrpd_group_key(gr->gate_key, gr->ifname, gr->vrid, 0);
	group_configure(gr, c, version);
	if (parse_vips(c, &gr->vips, &gr->nvips) < 0)
		fatalx("(%s vrid %u) virtual addresses did not parse after the check", c->ifname,
		       c->vrid);
	gr->vmac_cfg = c->virtual_mac && family == AF_INET;
	vrrpd_group_attach(gr);
	gr->created = gr->changed = time(NULL);
	gr->last_reason = "created";
	uv_timer_init(d->loop, &gr->timer);
	uv_timer_init(d->loop, &gr->garp_timer);
	uv_timer_init(d->loop, &gr->track_timer);
	gr->timer.data = gr->garp_timer.data = gr->track_timer.data = gr;
	gr->open_handles = 3;
	remove_stale(gr);
	up = gr->ifp ? vrrp_net_link_up(gr->ifname) == 1 : 0;
	gr->link_up = up;
	fc = fsm_cfg(gr, c);
	vrrp_fsm_init(&gr->fsm, &fc, up || gr->ignore_if_down);
	vrrpd_gate_of_new_group(gr, now_ms(d));
	return gr;
}

/* A group whose addresses or settings changed while it runs: no restart,
 * no transition (RFC 5798 leaves reconfiguration to the implementation). */
/* Whether the configured virtual addresses are written as they were in
 * the group's last configuration: then they are the same, unparsed. */
static bool same_vip_text(const struct group *gr, const Db__VrrpGroupConfig *c)
{
	const Db__VrrpGroupConfig *old = gr->cfg;

	if (old == NULL || old->n_virtual_ips != c->n_virtual_ips)
		return false;
	for (size_t i = 0; i < c->n_virtual_ips; i++)
		if (strcmp(old->virtual_ips[i], c->virtual_ips[i]) != 0)
			return false;
	return true;
}

static void group_update(struct group *gr, const Db__VrrpGroupConfig *c, unsigned version,
			 uint64_t now)
{
	union vrrp_addr *vips;
	size_t n;
	struct vrrp_fsm_cfg fc;
	struct vrrp_fsm_out o;
	bool master = gr->fsm.state == VRRP_STATE_MASTER && !gr->track_if[0];
	bool fmaster = gr->track_if[0] && gr->follow == VRRP_STATE_MASTER;

	if (same_vip_text(gr, c))
		vips = NULL; /* gr->vips stand */
	else if (parse_vips(c, &vips, &n) < 0)
		return;
	if (vips && (n != gr->nvips || memcmp(vips, gr->vips, n * sizeof(*vips)) != 0)) {
		if (master || fmaster)
			vrrpd_set_vips(gr, false);
		free(gr->vips);
		gr->vips = vips;
		gr->nvips = n;
		gr->owner = is_owner(gr);
		if (master || fmaster) {
			vrrpd_set_vips(gr, true);
			vrrpd_announce(gr);
		}
	} else {
		free(vips);
	}
	group_configure(gr, c, version);
	if (gr->track_if[0])
		return;
	fc = fsm_cfg(gr, c);
	if (vrrp_fsm_cfg_equal(&fc, &gr->fsm.cfg))
		return; /* another group's commit: nothing to run, no timer to move */
	vrrp_fsm_set_cfg(&gr->fsm, now, &fc, &o);
	vrrpd_run(gr, &o, now);
}

static void start(struct group *gr)
{
	struct vrrpd *d = gr->d;
	struct vrrp_fsm_out o;
	uint64_t now = now_ms(d);

	vrrp_fsm_startup(&gr->fsm, now, &o);
	vrrpd_run(gr, &o, now);
}

/* Whether gr can become configuration gc (same interface, VRID and
 * family): a new version, a switch to or from tracking or virtual-mac, or
 * a macvlan to try again makes a new group instead. */
static bool same_group(const struct group *gr, const Db__VrrpdConfig *c,
		       const Db__VrrpGroupConfig *gc)
{
	return (gr->family == AF_INET6 || gr->version == c->version) &&
	       !gc->track_ifname[0] == !gr->track_if[0] && !gc->virtual_mac == !gr->vmac_cfg &&
	       !(gr->vmac_cfg && gr->vmac_ifindex == 0);
}

/* A commit's groups against the running ones (common/reconcile.h). */
struct apply {
	struct vrrpd *d;
	const Db__VrrpdConfig *c;
	uint64_t now;
};

/* reconcile_ops.find: the running group a configured one continues,
 * through the standing index (d->gidx): a commit of thousands of groups
 * compares none with another, and builds no index of its own. */
static void *apply_find(void *ctx, size_t i)
{
	struct apply *a = ctx;
	const Db__VrrpGroupConfig *gc = a->c->groups[i];
	char k[GROUP_KEY_LEN];
	struct group *gr = strmap_get(
	    a->d->gidx, vrrpd_group_key(k, gc->ifname, gc->vrid, gc->ipv6 ? AF_INET6 : AF_INET));

	return gr && same_group(gr, a->c, gc) ? gr : NULL;
}

/* reconcile_ops.drop: a group that goes leaves service first (priority 0
 * when master). */
static void apply_drop(void *ctx, void *obj)
{
	struct apply *a = ctx;
	struct group *gr = obj;

	strmap_del(a->d->gidx, gr->key);
	vrrpd_group_destroy(gr);
}

static void *apply_keep(void *ctx, void *obj, size_t i)
{
	struct apply *a = ctx;
	struct group *gr = obj;

	group_update(gr, a->c->groups[i], a->c->version, a->now);
	gr->cfg = a->c->groups[i];
	return gr;
}

static void *apply_make(void *ctx, size_t i)
{
	struct apply *a = ctx;
	struct group *gr = group_create(a->d, a->c->groups[i], a->c->version);

	if (strmap_put(a->d->gidx, gr->key, gr) < 0)
		fatal("out of memory");
	gr->cfg = a->c->groups[i];
	return gr;
}

static const struct reconcile_ops apply_ops = {offsetof(struct group, next), apply_find, apply_drop,
					       apply_keep, apply_make};

/* cfgclient_ops.apply: takes ownership of obj. */
void vrrpd_apply(void *arg, void *obj)
{
	struct vrrpd *d = arg;
	Db__VrrpdConfig *c = obj;
	struct apply a = {d, c, 0};
	char k[GROUP_KEY_LEN];

	if (d->gidx == NULL && (d->gidx = strmap_new()) == NULL)
		fatal("out of memory");
	vrrpd_script_set_path(&d->script, c->notify_script);
	/* sessions first: the groups that track them read their state */
	vrrp_bfd_apply(d->bfd, c);
	vrrp_net_snapshot_begin(); /* one address dump for every group */
	d->garp_count = c->garp_count ? c->garp_count : DEF_GARP_COUNT;
	d->garp_interval_ms = c->garp_interval_ms ? c->garp_interval_ms : DEF_GARP_INTERVAL_MS;
	/* Tracking is resolved again below, once every group is in place. */
	for (struct group *gr = d->groups; gr; gr = gr->next)
		gr->leader = NULL;
	a.now = now_ms(d);
	if (reconcile((void **)&d->groups, c->n_groups, &apply_ops, &a) < 0)
		fatal("out of memory");
	for (struct group *gr = d->groups; gr; gr = gr->next)
		if (gr->track_if[0])
			gr->leader = strmap_get(
			    d->gidx, vrrpd_group_key(k, gr->track_if, gr->track_vrid, gr->family));
	for (struct group *gr = d->groups; gr; gr = gr->next)
		if (!gr->track_if[0] && !gr->fsm.enabled)
			start(gr);
	for (struct group *gr = d->groups; gr; gr = gr->next)
		if (gr->track_if[0])
			vrrpd_follow_leader(gr);
	if (d->running)
		db__vrrpd_config__free_unpacked(d->running, NULL);
	d->running = c;
	vrrp_net_snapshot_end();
	log_info("%zu VRRP group(s) configured", c->n_groups);
}

/* cfgclient_ops.discard */
void vrrpd_discard(void *arg, void *obj)
{
	(void)arg;
	db__vrrpd_config__free_unpacked(obj, NULL);
}
