/*
 * vrrpd: display vrrp [brief | statistics | json], and the state list rbpd
 * asks for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/jsonout.h"
#include "common/log.h"
#include "common/show.h"
#include "vrrpd/vrrpd.h"

/* ---- display --------------------------------------------------------------- */

static void show_group(FILE *f, const struct group *gr)
{
	struct vrrpd *d = gr->d;
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
		fprintf(f, "  %-17s: in %llu ms\n", "Preempting",
			(unsigned long long)(m->preempt_at > now_ms(d) ? m->preempt_at - now_ms(d)
								       : 0));
	if (m->cfg.preempt_wait_max_ms && vrrp_fsm_waiting(m))
		fprintf(f, "  %-17s: waiting (at most %llu s more): %s\n", "Preempt Hold",
			(unsigned long long)((m->wait_until > now_ms(d) ? m->wait_until - now_ms(d)
									: 0) /
					     1000),
			gr->gate_reason[0] ? gr->gate_reason : "no word from rbpd yet");
	else if (m->cfg.preempt_wait_max_ms)
		fprintf(f, "  %-17s: up to %u s for the backup; %s%s\n", "Preempt Hold",
			m->cfg.preempt_wait_max_ms / 1000, m->gate_open ? "ready" : "not ready: ",
			m->gate_open	     ? ""
			: gr->gate_reason[0] ? gr->gate_reason
					     : "no word from rbpd yet");
	if (gr->held)
		fprintf(f, "  %-17s: held for rbpd's takeover of the users (%llu ms, at most %u)\n",
			"Announcement", (unsigned long long)(now_ms(d) - gr->held_since),
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
				 : vrrp_track_counts_down(tb, now_ms(d), gr->recover_delay_ms)
				     ? "up, counted down for the recover-delay"
				     : "up";

		if (tb->peer)
			fprintf(f, "  %-17s: session %s, %s: the master's (peer BFD)\n",
				"Track BFD", tb->name, st);
		else
			fprintf(f, "  %-17s: %s %s, %s: priority %s %u while down\n",
				bfd ? "Track BFD" : "Track Interface",
				bfd ? "session" : "interface", tb->name, st,
				tb->reduced ? "reduced" : "increased",
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
	if (gr->dual_since) {
		show_time((time_t)gr->dual_since, t, sizeof(t));
		fprintf(f, "  %-17s: since %s: the peer is master too (rbpd, over the RBS channel)\n",
			"Dual Master", t);
	}
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
	fprintf(f, "  Another master heard/announced again    : %llu/%llu\n",
		(unsigned long long)c->other_master_adverts, (unsigned long long)c->reannounced);
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
/* preempt_hold: the wait for rbpd's gate (docs/preempt.md). */
static void json_preempt_hold(struct json_object *o, const struct group *gr, uint64_t now)
{
	const struct vrrp_fsm *m = &gr->fsm;
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
		 : gr->gate_reason[0]				 ? gr->gate_reason
								 : "no word from rbpd yet");
}

/* announce: the ordered takeover (docs/takeover.md). */
static void json_announce(struct json_object *o, const struct group *gr, uint64_t now)
{
	struct json_object *h = jout_obj(o, "announce");

	jout_bool(h, "awaits_rbpd", vrrpd_takeover_awaited(gr, now));
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

/* track_bfd, track_interface and the recover-delay (docs/bfd.md). */
static void json_tracks(struct json_object *o, const struct group *gr, uint64_t now)
{
	struct json_object *tb = jout_arr(o, "track_bfd");
	struct json_object *ti = jout_arr(o, "track_interface");

	for (size_t i = 0; i < gr->ntracks; i++) {
		const struct vrrp_track *t = &gr->tracks[i];
		bool bfd = t->kind == VRRP_TRACK_BFD;
		struct json_object *e = jout_push_obj(bfd ? tb : ti);

		jout_str(e, bfd ? "session" : "interface", t->name);
		jout_bool(e, "down", t->down);
		jout_bool(e, "counted_down", vrrp_track_counts_down(t, now, gr->recover_delay_ms));
		if (bfd)
			jout_bool(e, "peer", t->peer);
		jout_u64(e, "reduced", t->reduced);
		jout_u64(e, "increased", t->increased);
	}
	jout_u64(o, "recover_delay_s", gr->recover_delay_ms / 1000);
	jout_bool(o, "link_recovering", gr->link_up_at != 0);
}

static void json_group(struct json_object *arr, const struct group *gr)
{
	struct vrrpd *d = gr->d;
	struct json_object *o = jout_push_obj(arr), *x;
	const struct vrrp_fsm *m = &gr->fsm;
	char a[INET6_ADDRSTRLEN], mac[18];
	uint64_t now = now_ms(d);

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
	json_preempt_hold(o, gr, now);
	json_announce(o, gr, now);
	json_tracks(o, gr, now);
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
		 gr->admin	   ? "admin-vrrp"
		 : gr->track_if[0] ? "member"
				   : "normal-vrrp");
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
	if (gr->dual_since)
		jout_u64(o, "dual_master_since", gr->dual_since);
	else
		jout_str(o, "dual_master_since", NULL);
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
	jout_u64(x, "other_master_adverts", gr->c.other_master_adverts);
	jout_u64(x, "reannounced", gr->c.reannounced);
	jout_u64(x, "send_errors", gr->c.send_errors);
	x = jout_obj(x, "dropped");
	for (int w = 1; w < VRRP_DROP__MAX; w++)
		jout_u64(x, vrrp_drop_key(w), gr->c.drops[w]);
}

/* `display vrrp … json`: every group, whatever the detail asked for, and
 * what was dropped before reaching a group. */
static int display_json(struct vrrpd *d, FILE *f)
{
	struct json_object *o = json_object_new_object(), *arr, *k;
	uint64_t kd[2] = {0, 0};

	if (o == NULL)
		return 0;
	arr = jout_arr(o, "groups");
	for (const struct group *gr = d->groups; gr; gr = gr->next)
		json_group(arr, gr);
	arr = jout_arr(o, "interfaces");
	for (const struct iface *ifp = d->ifaces; ifp; ifp = ifp->next) {
		struct json_object *i = jout_push_obj(arr);

		jout_str(i, "interface", ifp->name);
		jout_str(i, "family", ifp->family == AF_INET6 ? "ipv6" : "ipv4");
		k = jout_obj(i, "dropped");
		for (int w = 1; w < VRRP_DROP__MAX; w++)
			jout_u64(k, vrrp_drop_key(w), ifp->drops[w]);
	}
	for (const struct rxsock *r = d->rxsocks; r; r = r->next)
		kd[r->family == AF_INET6] += r->kernel_drops;
	k = jout_obj(o, "kernel_drops");
	jout_u64(k, "ipv4", kd[0]);
	jout_u64(k, "ipv6", kd[1]);
	k = jout_obj(o, "notify_script");
	jout_str(k, "path", d->script.path);
	jout_u64(k, "started", d->script.sched.started);
	jout_u64(k, "running", d->script.sched.running);
	jout_u64(k, "waiting", vrrp_notify_pending(&d->script.sched));
	jout_u64(k, "dropped", d->script.sched.dropped);
	jout_u64(k, "timed_out", d->script.killed);
	jout_u64(k, "not_run", d->script.failed);
	return jout_write(f, o);
}

Db__VrrpState vrrpd_bus_state(enum vrrp_state s)
{
	switch (s) {
	case VRRP_STATE_INIT:
		return DB__VRRP_STATE__VRRP_STATE_INITIALIZE;
	case VRRP_STATE_BACKUP:
		return DB__VRRP_STATE__VRRP_STATE_BACKUP;
	case VRRP_STATE_MASTER:
		return DB__VRRP_STATE__VRRP_STATE_MASTER;
	}
	return DB__VRRP_STATE__VRRP_STATE_NONE;
}

/* QUERY_VRRP_STATES, for rbpd: the number of the last event published and
 * every group's state; events numbered up to it are included. The answer
 * lives in d until the next query. */
static int state_list(struct vrrpd *d, Db__QueryReply *r)
{
	size_t n = 0, i = 0;

	for (const struct group *gr = d->groups; gr; gr = gr->next)
		n++;
	if (n > d->states_cap) {
		Db__VrrpGroupState *st = realloc(d->states, n * sizeof(*st));
		Db__VrrpGroupState **p = st ? realloc(d->state_ptrs, n * sizeof(*p)) : NULL;

		if (st)
			d->states = st;
		if (p == NULL)
			return 0; /* ctl says the query failed; rbpd asks again */
		d->state_ptrs = p;
		d->states_cap = n;
	}
	for (const struct group *gr = d->groups; gr; gr = gr->next, i++) {
		Db__VrrpGroupState *st = &d->states[i];

		db__vrrp_group_state__init(st);
		st->ifname = (char *)gr->ifname;
		st->vrid = gr->vrid;
		st->ipv6 = gr->family == AF_INET6;
		st->state = vrrpd_bus_state(gr->fsm.state);
		st->takeover = gr->fsm.state == VRRP_STATE_MASTER ? gr->takeover_id : 0;
		d->state_ptrs[i] = st;
	}
	db__vrrp_state_list__init(&d->state_list);
	d->state_list.seq = d->pub_seq;
	d->state_list.pid = (uint64_t)getpid();
	d->state_list.n_groups = n;
	d->state_list.groups = d->state_ptrs;
	r->states = &d->state_list;
	return 1;
}

/* ctl_query_fn */
int vrrpd_display(void *arg, const Db__Query *q, FILE *f, Db__QueryReply *reply)
{
	struct vrrpd *d = arg;
	bool brief = q->kind == DB__QUERY_KIND__QUERY_VRRP_BRIEF;
	bool stats = q->kind == DB__QUERY_KIND__QUERY_VRRP_STATISTICS;
	char a[INET6_ADDRSTRLEN];

	switch (q->kind) {
	case DB__QUERY_KIND__QUERY_BFD_SESSION:
		return vrrp_bfd_show(d->bfd, q->name[0] ? q->name : NULL, q->json, f);
	case DB__QUERY_KIND__QUERY_VRRP_STATES:
		return state_list(d, reply);
	case DB__QUERY_KIND__QUERY_VRRP:
	case DB__QUERY_KIND__QUERY_VRRP_BRIEF:
	case DB__QUERY_KIND__QUERY_VRRP_STATISTICS:
		break;
	default:
		return 0; /* not vrrpd's: ctl says so */
	}
	if (q->json)
		return display_json(d, f);
	if (d->groups == NULL) {
		fprintf(f, "Info: No VRRP group is configured.");
		return 1;
	}
	if (brief)
		fprintf(f, "VRID  State        Interface        Type     Virtual IP\n");
	for (const struct group *gr = d->groups; gr; gr = gr->next) {
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

		for (const struct rxsock *r = d->rxsocks; r; r = r->next)
			kd[r->family == AF_INET6] += r->kernel_drops;
		for (int i = 0; i < 2; i++)
			if (kd[i])
				fprintf(f, "%s: dropped by the kernel, receive buffer full: %llu\n",
					i ? "IPv6" : "IPv4", kd[i]);
		if (d->script.path || d->script.sched.started)
			fprintf(
			    f,
			    "Notify script: started %llu, running %u, waiting %zu, dropped %llu, "
			    "timed out %llu, not run %llu\n",
			    (unsigned long long)d->script.sched.started, d->script.sched.running,
			    vrrp_notify_pending(&d->script.sched),
			    (unsigned long long)d->script.sched.dropped,
			    (unsigned long long)d->script.killed,
			    (unsigned long long)d->script.failed);
	}
	if (stats)
		for (const struct iface *ifp = d->ifaces; ifp; ifp = ifp->next)
			for (int w = 1; w < VRRP_DROP__MAX; w++)
				if (ifp->drops[w])
					fprintf(
					    f,
					    "%s (%s): dropped before reaching a group, %s: %llu\n",
					    ifp->name, fam_word(ifp->family), vrrp_drop_str(w),
					    (unsigned long long)ifp->drops[w]);
	return 1;
}
