/*
 * vrrpd: what a transition does. The pure state machine (vrrp_fsm.h)
 * returns actions; this part carries them out in its order: priority-0
 * and ordinary advertisements, the virtual addresses, the announcements
 * (gratuitous ARP / unsolicited NA, after rbpd's takeover: docs/takeover.md),
 * and the events for the world (RUNDIR/vrrpd-events.ipc, the journal, the
 * notify script). Also rbpd's preemption gates (docs/preempt.md) and the
 * groups that follow an admin-vrrp group (mVRRP).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/jsonout.h"
#include "common/log.h"
#include "common/strmap.h"
#include "vrrpd/vrrpd.h"

/* ---- what a transition does ---------------------------------------------- */

static void send_advert(struct group *gr, uint8_t prio)
{
	struct vrrpd *d = gr->d;
	uint8_t buf[VRRP_PKT_MAX_LEN];
	struct vrrp_pkt p;
	struct iface *ifp = gr->ifp;
	const union vrrp_addr *dst = gr->family == AF_INET ? &d->mcast4 : &d->mcast6;
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
		n = vrrp_net_send6_link(d->pkt_fd, vrrpd_tx_ifindex(gr), &ifp->primary.v6, buf,
					(size_t)n);
	else if (n > 0)
		n = vrrp_net_send(ifp->rx->fd, gr->family, vrrpd_tx_ifindex(gr), &ifp->primary, buf,
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

void vrrpd_set_vips(struct group *gr, bool add)
{
	struct vrrpd *d = gr->d;
	char a[INET6_ADDRSTRLEN];

	if (gr->owner || gr->ifp == NULL)
		return; /* the owner's addresses are the interface's own */
	for (size_t i = 0; i < gr->nvips; i++) {
		int rc = vrrp_net_addr(d->nl, add, gr->family, vrrpd_tx_ifindex(gr), &gr->vips[i]);

		if (rc < 0)
			log_warnx("(%s vrid %u) cannot %s virtual address %s: %s", gr->ifname,
				  gr->vrid, add ? "add" : "remove",
				  addr_str(gr->family, &gr->vips[i], a, sizeof(a)), strerror(-rc));
	}
}

static void announce_once(struct group *gr)
{
	struct vrrpd *d = gr->d;
	unsigned idx;
	const uint8_t *mac;

	if (gr->ifp == NULL)
		return;
	/* From where the addresses are: the owner's are the interface's own,
	 * and the interface answers ARP for them with its own MAC. */
	idx = gr->owner ? gr->ifp->ifindex : vrrpd_tx_ifindex(gr);
	mac = idx == gr->vmac_ifindex ? gr->vmac : gr->ifp->mac;
	for (size_t i = 0; i < gr->nvips; i++) {
		int rc = gr->family == AF_INET
			     ? vrrp_net_garp(d->pkt_fd, idx, mac, &gr->vips[i].v4)
			     : vrrp_net_unsolicited_na(d->icmp6_fd, idx, mac, &gr->vips[i].v6);

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

void vrrpd_announce(struct group *gr)
{
	struct vrrpd *d = gr->d;
	gr->announced_at_ns = realtime_ns();
	gr->garp_left = d->garp_count;
	if (gr->garp_left == 0)
		return;
	gr->garp_left--;
	announce_once(gr);
	if (gr->garp_left)
		uv_timer_start(&gr->garp_timer, on_garp_timer, d->garp_interval_ms,
			       d->garp_interval_ms);
}

/* Ordered takeover (docs/takeover.md): whether a new master's
 * announcements wait for rbpd, which backs up users of the group and is
 * alive. */
bool vrrpd_takeover_awaited(const struct group *gr, uint64_t now)
{
	struct vrrpd *d = gr->d;
	return gr->in_gates && d->gates_at != 0 && now - d->gates_at < GATES_FRESH_MS;
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
	vrrpd_announce(gr);
}

static void on_hold_bound(uv_timer_t *t)
{
	struct group *gr = t->data;

	hold_end(gr, now_ms(gr->d), false, "no word from rbpd within the bound");
}

/* pidwatch_cb: rbpd ended. Nobody is left to wait for: the groups holding
 * their announcements for it announce now, and the next ones at once. */
static void on_rbpd_end(struct pidwatch *w, void *arg)
{
	struct vrrpd *d = arg;
	uint64_t now = now_ms(d);
	char why[64];

	snprintf(why, sizeof(why), "rbpd (pid %d) ended", (int)pidwatch_pid(w));
	log_warnx("%s: groups announce without waiting for it", why);
	pidwatch_free(w);
	d->rbpd = NULL;
	d->gates_at = 0;
	for (struct group *gr = d->groups; gr; gr = gr->next)
		if (gr->held)
			hold_end(gr, now, false, why);
}

/* VRRP_ACT_ANNOUNCE: at once, unless rbpd backs up users of the group;
 * then once their neighbour entries are in the kernel and they are handed
 * to the services, which rbpd says by echoing the group's takeover number
 * (vrrpd_on_gates), at most ANNOUNCE_WAIT_MAX_MS later. */
static void announce_ordered(struct group *gr, uint64_t now)
{
	gr->hold_known = true;
	gr->hold_awaited = vrrpd_takeover_awaited(gr, now);
	if (!gr->hold_awaited) {
		gr->held = false;
		gr->hold_ms = 0;
		gr->hold_confirmed = true;
		vrrpd_announce(gr);
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

static void publish(const struct group *gr, enum vrrp_state from, enum vrrp_state to,
		    const char *reason)
{
	struct vrrpd *d = gr->d;
	Db__VrrpEvent ev = DB__VRRP_EVENT__INIT;

	if (d->pub == NULL)
		return;
	ev.ifname = (char *)gr->ifname;
	ev.vrid = gr->vrid;
	ev.from = vrrpd_bus_state(from);
	ev.to = vrrpd_bus_state(to);
	ev.reason = (char *)reason;
	ev.ipv6 = gr->family == AF_INET6;
	ev.takeover = to == VRRP_STATE_MASTER ? gr->takeover_id : 0;
	bus_send_msg(d->pub, NULL, 0, DB__MSG_TYPE__MSG_VRRP_EVENT, DB__ROLE__ROLE_VRRPD,
		     ++d->pub_seq, &ev.base);
}

/* A state change of any group: count, log, tell the world. */
void vrrpd_changed(struct group *gr, enum vrrp_state from, enum vrrp_state to, const char *reason)
{
	struct vrrpd *d = gr->d;
	char vrid[8];
	const struct log_field lf[] = {
	    {"VRRP_INTERFACE", gr->ifname},	    {"VRRP_VRID", vrid},
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
		gr->takeover_id = d->takeover_base + ++d->takeovers;
		gr->master_at_ns = realtime_ns();
	}
	gr->changed = time(NULL);
	if (to == VRRP_STATE_INIT)
		gr->up_since = 0;
	else if (from == VRRP_STATE_INIT)
		gr->up_since = gr->changed;
	gr->last_reason = reason;
	publish(gr, from, to, reason);
	vrrpd_script_push(&d->script, gr->ifname, gr->vrid, gr->family == AF_INET6, from, to,
			  reason);
	for (struct group *f = d->groups; f; f = f->next)
		if (f->leader == gr)
			vrrpd_follow_leader(f);
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
void vrrpd_run(struct group *gr, const struct vrrp_fsm_out *o, uint64_t now)
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
		vrrpd_set_vips(gr, false);
	}
	if (o->actions & VRRP_ACT_ADD_VIPS)
		vrrpd_set_vips(gr, true);
	if (o->actions & VRRP_ACT_SEND_ADVERT)
		send_advert(gr, gr->fsm.cfg.priority);
	if (o->actions & VRRP_ACT_ANNOUNCE)
		announce_ordered(gr, now);
	if (o->from != o->to)
		vrrpd_changed(gr, o->from, o->to, o->reason);
	rearm(gr, now);
}

static void on_timer(uv_timer_t *t)
{
	struct group *gr = t->data;
	struct vrrpd *d = gr->d;
	struct vrrp_fsm_out o;
	uint64_t now = now_ms(d);

	vrrp_fsm_timer(&gr->fsm, now, &o);
	vrrpd_run(gr, &o, now);
}

/* Announce this master again (gratuitous ARP / NA) after a split brain,
 * at most every REANNOUNCE_MIN_MS and never over its own announcements. */
static void reannounce(struct group *gr, uint64_t now, const char *why)
{
	if (gr->held || gr->garp_left || now - gr->reannounced_at < REANNOUNCE_MIN_MS)
		return;
	log_info("(%s %s vrid %u) %s: announcing this one again", gr->ifname,
		 fam_word(gr->family), gr->vrid, why);
	gr->reannounced_at = now;
	gr->c.reannounced++;
	vrrpd_announce(gr);
}

/* One group's gate from rbpd's PreemptGates (NULL: rbpd does not list
 * the group). */
static void gate_apply(struct group *gr, const Db__PreemptGate *gate, uint64_t now)
{
	struct vrrp_fsm_out o;

	gr->in_gates = gate != NULL;
	/* the peer's master stepped down (its roles, over the RBS channel):
	 * it may never have advertised after the heal, so hearing it is not
	 * enough to announce this one again */
	if (gr->dual_since && (gate == NULL || gate->dual_master_since == 0) &&
	    gr->fsm.state == VRRP_STATE_MASTER)
		reannounce(gr, now, "the other device is no longer master (RBS channel)");
	gr->dual_since = gate ? gate->dual_master_since : 0;
	/* rbpd has taken the users over, or backs up none now */
	if (gr->held && (gate == NULL || gate->taken_over == gr->takeover_id))
		hold_end(gr, now, true, "");
	if (gr->fsm.cfg.preempt_wait_max_ms == 0)
		return;
	snprintf(gr->gate_reason, sizeof(gr->gate_reason), "%s",
		 gate == NULL	? "rbpd backs up no users of this group"
		 : gate->ready	? ""
		 : gate->reason ? gate->reason
				: "not ready");
	if ((gate && gate->ready) == gr->fsm.gate_open)
		return;
	vrrp_fsm_set_gate(&gr->fsm, now, gate && gate->ready, &o);
	vrrpd_run(gr, &o, now);
}

/* The gates of rbpd's last message, kept for the groups made after it. */
static void gates_keep(struct vrrpd *d, Db__PreemptGates *m, struct strmap *idx)
{
	vrrpd_gates_free(d);
	d->gates_last = m;
	d->gates_idx = idx;
}

void vrrpd_gates_free(struct vrrpd *d)
{
	strmap_free(d->gates_idx);
	if (d->gates_last)
		db__preempt_gates__free_unpacked(d->gates_last, NULL);
	d->gates_idx = NULL;
	d->gates_last = NULL;
}

/* A group made after rbpd's last gates message (rbpd may have applied
 * the same commit first) takes its gate from that message now, not at the
 * next one, a second later. A group it does not list waits for the next. */
void vrrpd_gate_of_new_group(struct group *gr, uint64_t now)
{
	const Db__PreemptGate *gate;

	if (gr->d->gates_idx && (gate = strmap_get(gr->d->gates_idx, gr->gate_key)) != NULL)
		gate_apply(gr, gate, now);
}

/* bus_recv_cb of rbpd's PUB: whether the groups bound to a profile may
 * preempt (docs/preempt.md). A gated group rbpd does not list is not. */
void vrrpd_on_gates(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	struct vrrpd *d = arg;
	Db__Envelope *env;
	Db__PreemptGates *m;
	uint64_t now = now_ms(d);
	struct strmap *idx;
	char k[GROUP_KEY_LEN];

	(void)s;
	if (n != 1 || (env = bus_unpack(parts[0].data, parts[0].len)) == NULL)
		return;
	m = env->type == DB__MSG_TYPE__MSG_PREEMPT_GATES
		? db__preempt_gates__unpack(NULL, env->payload.len, env->payload.data)
		: NULL;
	db__envelope__free_unpacked(env, NULL);
	if (m == NULL)
		return;
	d->gates_at = now;
	pidwatch_follow(&d->rbpd, d->loop, m->pid, on_rbpd_end, d);
	/* by interface and VRID: thousands of groups, a gate each or none */
	idx = strmap_new();
	if (idx == NULL)
		fatal("out of memory");
	for (size_t i = 0; i < m->n_gates; i++) {
		if (m->gates[i]->ifname == NULL || strlen(m->gates[i]->ifname) >= IF_NAMESIZE)
			continue; /* names no interface */
		vrrpd_group_key(k, m->gates[i]->ifname, m->gates[i]->vrid, 0);
		/* the first one listed counts, as it always has */
		if (strmap_get(idx, k) == NULL && strmap_put(idx, k, m->gates[i]) < 0)
			fatal("out of memory");
	}
	for (struct group *gr = d->groups; gr; gr = gr->next)
		gate_apply(gr, strmap_get(idx, gr->gate_key), now);
	gates_keep(d, m, idx);
}

/*
 * This master heard an advertisement from another master of lower
 * priority, which the protocol ignores: the other one will hear this
 * device and step down. Until now the segment was cut between them (split
 * brain), and its hosts and switches may have followed the other one:
 * announce again (gratuitous ARP / NA), as keepalived's
 * garp_lower_prio_repeat, at most every REANNOUNCE_MIN_MS.
 */
void vrrpd_other_master(struct group *gr, const union vrrp_addr *from, uint8_t prio, uint64_t now)
{
	char a[INET6_ADDRSTRLEN], why[96];

	gr->c.other_master_adverts++;
	snprintf(why, sizeof(why), "another master advertises on the segment (%s, priority %u)",
		 addr_str(gr->family, from, a, sizeof(a)), prio);
	reannounce(gr, now, why);
}

/* A tracking group takes the state of its admin group (mVRRP). */
void vrrpd_follow_leader(struct group *gr)
{
	struct vrrpd *d = gr->d;
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
		vrrpd_set_vips(gr, false);
	}
	if (to == VRRP_STATE_MASTER) {
		vrrpd_set_vips(gr, true);
		announce_ordered(gr, now_ms(d));
	}
	vrrpd_changed(gr, from, to, reason);
}
