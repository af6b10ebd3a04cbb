/*
 * rbpd: remote backup profiles (see rbpd.h for how its files share the
 * work). This file: the daemon's life, the states of the VRRP groups as
 * vrrpd publishes them, what a change of state does to the users (a
 * takeover restores them, a handover withdraws them after
 * download-vrrp-table delay-time), split brain and the preemption gates.
 * Configuration is rbpd_conf.c, `display remote-backup-profile`
 * rbpd_show.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/daemon.h"
#include "common/log.h"
#include "common/peer.h"
#include "common/service.h"
#include "common/strmap.h"
#include "rbpd/rbpd.h"

/* A VRRP group as vrrpd last told: per family, -1 when it has none. */
struct grp {
	struct grp *next;
	char ifname[IF_NAMESIZE];
	uint32_t vrid;
	int st[2]; /* enum rbp_group_state, [0] vrrp, [1] vrrp6 */
	/* the takeover number of each family's last state (VrrpEvent.takeover,
	 * 0 unless Master), echoed in PreemptGate.taken_over once acted on */
	uint64_t takeover[2];
	char why[160]; /* its last VrrpEvent, as a reason to log */
};

uint64_t rbpd_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

uint64_t rbpd_next_version(struct rbpd *d, uint64_t held)
{
	return rbp_hlc_next(&d->hlc, rbpd_realtime_ns() / 1000, held);
}

bool rbpd_observe_version(struct rbpd *d, uint64_t v)
{
	return rbp_hlc_observe(&d->hlc, rbpd_realtime_ns() / 1000, v);
}

int rbpd_user_held(const struct chan *ch, enum ut_svc type, const uint8_t *key, size_t klen,
		   struct ut_rec *r, struct rbp_user *u)
{
	if (ut_lookup(ch->t, type, key, klen, r) < 0 ||
	    rbp_rec_decode(r->payload, r->payload_len, u) < 0)
		return -ENOENT;
	return 0;
}

uint64_t rbpd_user_limit(const struct rbpd *d)
{
	return d->running && d->running->user_limit ? d->running->user_limit
						    : RBPD_USER_LIMIT_DEFAULT;
}

uint64_t rbpd_kernel_limit(const struct rbpd *d)
{
	return d->running && d->running->kernel_limit ? d->running->kernel_limit
						      : RBPD_KERNEL_LIMIT_DEFAULT;
}

bool rbpd_table_has_room(const struct chan *ch)
{
	struct ut_mem m;
	uint64_t limit = rbpd_user_limit(ch->d);

	limit += ch->resync_slack < limit ? ch->resync_slack : limit;
	if (ut_count(ch->t, UT_SVC_ALL) >= limit)
		return false;
	ut_mem(ch->t, &m);
	return m.entries + m.buckets < limit * RBPD_BYTES_PER_USER;
}

void rbpd_refuse(struct chan *ch, enum rbp_admit reason, const char *what)
{
	if ((unsigned)reason >= RBP_ADMIT_COUNT || reason == RBP_ADMIT_OK)
		return;
	if (ch->refused[reason]++ == 0)
		log_warnx("remote-backup-service %s: refused from the peer (%s): %s; such refusals "
			  "are counted from now on (display remote-backup-profile)",
			  ch->name, rbp_admit_name(reason), what);
}

struct prof *rbpd_prof_by_ifname(const struct rbpd *d, const char *ifname)
{
	for (struct prof *p = d->profs; p; p = p->next)
		for (size_t i = 0; i < p->nifaces; i++)
			if (strcmp(p->ifaces[i], ifname) == 0)
				return p;
	return NULL;
}

struct prof *rbpd_prof_by_backup_id(const struct chan *ch, uint32_t backup_id)
{
	for (struct prof *p = ch->d->profs; p; p = p->next)
		if (p->ch == ch && p->backup_id == backup_id)
			return p;
	return NULL;
}

struct pbind *rbpd_binding_for(struct prof *p, const uint8_t mac[RBP_MAC_LEN])
{
	struct rbp_binding b[2];
	int i;

	for (size_t j = 0; j < p->nbind; j++)
		b[j] = p->bind[j].b;
	i = rbp_role_binding(b, p->nbind, mac);
	return i < 0 ? NULL : &p->bind[i];
}

int rbpd_local_change(struct prof *p, int op, enum ut_svc type, const uint8_t *key, size_t klen,
		      const struct rbp_user *u)
{
	static uint8_t rec[RBP_REC_HDR(RBP_IFNAME_MAX) + RBP_REC_DATA_MAX];
	struct ut_rec old,
	    in = {.type = type, .origin = UT_ORIGIN_LOCAL, .key = key, .key_len = klen};
	uint64_t held = 0;
	int n, rc;

	if (p->ch == NULL)
		return -ENOTCONN;
	n = rbp_rec_encode(u, rec, sizeof(rec));
	if (n < 0)
		return n;
	if (ut_lookup(p->ch->t, type, key, klen, &old) == 0) {
		held = old.version;
		if (op == DB__RBS_OP__RBS_OP_ADD && old.origin == UT_ORIGIN_LOCAL &&
		    old.payload_len == (size_t)n && memcmp(old.payload, rec, (size_t)n) == 0)
			return UT_STALE; /* nothing new: the peer has it */
	} else if (op == DB__RBS_OP__RBS_OP_DELETE) {
		return -ENOENT;
	} else if (!rbpd_table_has_room(p->ch)) {
		return -ENOSPC;
	}
	/* newer than the entry and than a tombstone of the peer's delete */
	if (ut_version_held(p->ch->t, type, key, klen) > held)
		held = ut_version_held(p->ch->t, type, key, klen);
	in.version = rbpd_next_version(p->d, held);
	if (op == DB__RBS_OP__RBS_OP_DELETE) {
		/* The record still goes with the delete: the peer needs the
		 * user's MAC to know whose it was. */
		rc = ut_delete(p->ch->t, type, key, klen, in.version, UT_ORIGIN_LOCAL);
	} else {
		in.payload = rec;
		in.payload_len = (size_t)n;
		rc = ut_upsert(p->ch->t, &in);
	}
	if (rc < 0)
		return rc;
	rbpd_feed_queue(p->ch, op, type, key, klen, rec, (size_t)n, in.version);
	return 0;
}

/* ---- VRRP group states ---------------------------------------------------- */

/* A group vrrpd told of, by interface and VRID (vrrpd's state list names
 * thousands of them every second: a hash map, not a walk of the list). */
static struct grp *grp_get(struct rbpd *d, const char *ifname, uint32_t vrid, bool create)
{
	struct grp *gr;
	char k[RBP_IFNAME_MAX + 16];

	snprintf(k, sizeof(k), "%s/%u", ifname, vrid);
	if (d->grp_idx == NULL && (d->grp_idx = strmap_new()) == NULL)
		fatal("out of memory");
	gr = strmap_get(d->grp_idx, k);
	if (gr || !create || (gr = calloc(1, sizeof(*gr))) == NULL)
		return gr;
	snprintf(gr->ifname, sizeof(gr->ifname), "%s", ifname);
	gr->vrid = vrid;
	gr->st[0] = gr->st[1] = -1;
	if (strmap_put(d->grp_idx, k, gr) < 0)
		fatal("out of memory");
	gr->next = d->grps;
	d->grps = gr;
	return gr;
}

/* The state that decides a binding: the VRRP (IPv4) group, else the vrrp6
 * one, else Initialize. */
static enum rbp_group_state grp_state(struct rbpd *d, const char *ifname, uint32_t vrid)
{
	struct grp *gr = grp_get(d, ifname, vrid, false);

	if (gr == NULL)
		return RBP_GROUP_INIT;
	if (gr->st[0] >= 0)
		return (enum rbp_group_state)gr->st[0];
	if (gr->st[1] >= 0)
		return (enum rbp_group_state)gr->st[1];
	return RBP_GROUP_INIT;
}

/* The reason of the group's last event ("vrrp vrid 1 Backup -> Master:
 * ..."). */
static const char *grp_why(struct rbpd *d, const char *ifname, uint32_t vrid)
{
	struct grp *gr = grp_get(d, ifname, vrid, false);

	return gr && gr->why[0] ? gr->why : "vrrpd's state";
}

/* The takeover number of the state grp_state() takes. */
static uint64_t grp_takeover(struct rbpd *d, const char *ifname, uint32_t vrid)
{
	struct grp *gr = grp_get(d, ifname, vrid, false);

	if (gr == NULL)
		return 0;
	return gr->takeover[gr->st[0] >= 0 ? 0 : 1];
}

/* The next user of profile p from cursor c (opened on p's table): true
 * with *r and *u filled (as ut_cursor_next()), false at the end. Users of
 * the table's other profiles and unreadable records are passed over. */
/* The next user of p at the cursor, only those with this MAC unless mac
 * is NULL. */
bool rbpd_next_user(const struct prof *p, struct ut_cursor *c, struct ut_rec *r, struct rbp_user *u,
		    const uint8_t *mac)
{
	while (ut_cursor_next(c, r))
		if (rbp_rec_decode(r->payload, r->payload_len, u) == 0 &&
		    u->backup_id == p->backup_id &&
		    (mac == NULL || memcmp(u->mac, mac, RBP_MAC_LEN) == 0))
			return true;
	return false;
}

/* Calls fn for every user of channel ch that binding pb decides. Records
 * point into the table and are valid during the call only; fn must not
 * add or delete entries (it may change their origin). */
static void for_users_of(struct pbind *pb,
			 void (*fn)(struct pbind *, struct ut_cursor *, const struct ut_rec *,
				    const struct rbp_user *, void *),
			 void *arg)
{
	struct prof *p = pb->p;
	struct ut_cursor c;
	struct ut_rec r;
	struct rbp_user u;

	if (p->ch == NULL || ut_cursor_open(p->ch->t, &c, UT_SVC_ALL) < 0)
		return;
	while (rbpd_next_user(p, &c, &r, &u, NULL))
		if (rbp_mac_parity(u.mac) == pb->b.parity)
			fn(pb, &c, &r, &u, arg);
	ut_cursor_close(&c);
}

/* Restored users of the API's types, published by the thousand (d->acc). */
static void flush_restored(struct rbpd *d, enum ut_svc t)
{
	struct restore_acc *a = &d->acc;

	if (a->cnt[t])
		rbpd_api_publish_restored(d, t, a->users[t], a->keys[t], a->klens[t], a->cnt[t],
					  a->replay);
	a->cnt[t] = 0;
}

/* One user into the publication of its type, published by the thousand;
 * r and u must stay valid until then (the walk does not move them). */
static void acc_push(struct rbpd *d, const struct ut_rec *r, const struct rbp_user *u)
{
	struct restore_acc *a = &d->acc;

	a->users[r->type][a->cnt[r->type]] = *u;
	a->keys[r->type][a->cnt[r->type]] = r->key;
	a->klens[r->type][a->cnt[r->type]] = r->key_len;
	if (++a->cnt[r->type] == RBPD_PUB_BATCH)
		flush_restored(d, r->type);
}

/* One user of binding pb, which took over, becomes this device's. */
static void restore_one(struct rbpd *d, struct pbind *pb, struct ut_cursor *c,
			const struct ut_rec *r, const struct rbp_user *u)
{
	if (ut_cursor_set_origin(c, UT_ORIGIN_LOCAL) != 1)
		return; /* already this device's */
	pb->restored_users++;
	pb->p->restored[r->type]++;
	if (r->type == UT_SVC_ARP || r->type == UT_SVC_ND) {
		rbpd_kern_restore(pb->p, r->type, r->key, r->key_len, u);
		return;
	}
	/* set_origin changes no memory: the pointers stay valid until the
	 * batch is published, within this takeover; none is packed for a
	 * type no service reads (one that subscribes later gets a replay) */
	if (rbpd_api_subscribed(d, r->type)) {
		pb->restored_published++;
		acc_push(d, r, u);
	}
}

/* The group became master here: from now on its users are this
 * device's. */
static void takeover_begin(struct pbind *pb)
{
	/* A group vrrpd said was Backup here, with the peer's users all held
	 * (a whole batch since rbpd started): this table is every user of
	 * the binding, and a service may drop its own older records of them
	 * that it lacks (UserRole.restored_at_ms, docs/kea.md). Not after a
	 * state not heard of yet (rbpd restarted on the master): the services
	 * may have served users meanwhile that only they know. */
	pb->whole_at_ms = pb->role_known && pb->backup_heard && pb->p->ch && pb->p->ch->whole
			      ? rbpd_realtime_ns() / 1000000
			      : 0;
	pb->backup_heard = false;
	pb->role_known = true;
	if (pb->withdrawing) {
		uv_timer_stop(&pb->withdraw);
		pb->withdrawing = false;
	}
	pb->restored_users = pb->restored_published = 0;
}

/* The users of the bindings that took over (pbs, n), which share channel
 * ch's table: one walk of it, each user decoded once and restored by the
 * binding that decides it. Both groups of a profile (odd and even MACs)
 * usually become master together: one walk instead of one each. */
static void restore_walk(struct rbpd *d, struct chan *ch, struct pbind **pbs, size_t n)
{
	struct ut_cursor c;
	struct ut_rec r;
	struct rbp_user u;

	if (ut_cursor_open(ch->t, &c, UT_SVC_ALL) < 0)
		return;
	while (ut_cursor_next(&c, &r)) {
		if (rbp_rec_decode(r.payload, r.payload_len, &u) != 0)
			continue;
		for (size_t i = 0; i < n; i++)
			if (pbs[i]->p->ch == ch && pbs[i]->p->backup_id == u.backup_id &&
			    rbp_mac_parity(u.mac) == pbs[i]->b.parity) {
				restore_one(d, pbs[i], &c, &r, &u);
				break;
			}
	}
	ut_cursor_close(&c);
}

static void takeover_log(const struct pbind *pb, const char *why)
{
	char vrid[8], users[24], ms[24];
	const struct log_field lf[] = {
	    {"RBP_PROFILE", pb->p->name},
	    {"VRRP_VRID", vrid},
	    {"VRRP_INTERFACE", pb->b.ifname},
	    {"RBP_PARITY", pb->b.parity == RBP_PARITY_ODD ? "odd-mac" : "even-mac"},
	    {"RBP_USERS_RESTORED", users},
	    {"RBP_RESTORE_MS", ms},
	};

	snprintf(vrid, sizeof(vrid), "%u", pb->b.vrid);
	snprintf(users, sizeof(users), "%" PRIu64, pb->restored_users);
	snprintf(ms, sizeof(ms), "%.1f", pb->restore_ms);
	log_event(LOG_INFO, LOG_MSGID_RBP_TAKEOVER, lf, sizeof(lf) / sizeof(lf[0]),
		  "remote-backup-profile %s: vrrp-id %u interface %s (%s) is master (%s): "
		  "%" PRIu64 " users restored in %.1f ms",
		  pb->p->name, pb->b.vrid, pb->b.ifname,
		  pb->b.parity == RBP_PARITY_ODD ? "odd-mac" : "even-mac", why, pb->restored_users,
		  pb->restore_ms);
}

/* The bindings that became master in one evaluation (pbs, n): the peer's
 * copies of their users become this device's, in the kernel for ARP/ND
 * and announced to services. A binding's restore_ms is its table's walk,
 * shared with the others of that table. why: the reason, or NULL for each
 * group's last event. */
static void takeover(struct rbpd *d, struct pbind **pbs, size_t n, const char *why)
{
	struct restore_acc *a = &d->acc;

	memset(a->cnt, 0, sizeof(a->cnt));
	a->replay = false;
	for (size_t i = 0; i < n; i++)
		takeover_begin(pbs[i]);
	for (struct chan *ch = d->chans; ch; ch = ch->next) {
		double t0 = mono_ms(), ms;
		bool any = false;

		for (size_t i = 0; i < n && !any; i++)
			any = pbs[i]->p->ch == ch;
		if (!any)
			continue;
		restore_walk(d, ch, pbs, n);
		for (int t = 0; t < UT_SVC_COUNT; t++)
			flush_restored(d, (enum ut_svc)t);
		ms = mono_ms() - t0;
		for (size_t i = 0; i < n; i++)
			if (pbs[i]->p->ch == ch)
				pbs[i]->restore_ms = ms;
	}
	for (size_t i = 0; i < n; i++) {
		if (pbs[i]->p->ch == NULL)
			pbs[i]->restore_ms = 0;
		pbs[i]->restore_at_ns = rbpd_realtime_ns();
		takeover_log(pbs[i], why ? why : grp_why(d, pbs[i]->b.ifname, pbs[i]->b.vrid));
	}
	/* what the kernel learned meanwhile is this device's to send now */
	rbpd_kern_dump(d, DUMP_LEARN);
	for (struct chan *ch = d->chans; ch; ch = ch->next)
		for (size_t i = 0; i < n; i++)
			if (pbs[i]->p->ch == ch) {
				rbpd_feed_pump(ch);
				break;
			}
}

/* One user of a master binding, published again for a late subscriber:
 * the API's types only (the kernel holds the neighbours). arg: the
 * struct rbpd. */
static void replay_one(struct pbind *pb, struct ut_cursor *c, const struct ut_rec *r,
		       const struct rbp_user *u, void *arg)
{
	struct rbpd *d = arg;
	struct restore_acc *a = &d->acc;

	(void)pb;
	(void)c;
	if (r->type == UT_SVC_ARP || r->type == UT_SVC_ND ||
	    (a->type >= 0 && (int)r->type != a->type))
		return;
	a->n++;
	acc_push(d, r, u);
}

void rbpd_replay_masters(struct rbpd *d, int t)
{
	struct restore_acc *a = &d->acc;

	memset(a->cnt, 0, sizeof(a->cnt));
	a->n = 0;
	a->replay = true;
	a->type = t;
	for (struct prof *p = d->profs; p; p = p->next)
		for (size_t j = 0; j < p->nbind; j++) {
			struct pbind *pb = &p->bind[j];

			if (!pb->role_known || pb->role != RBP_ROLE_MASTER)
				continue;
			for_users_of(pb, replay_one, d);
			for (int k = 0; k < UT_SVC_COUNT; k++)
				flush_restored(d, (enum ut_svc)k);
		}
	if (a->n)
		log_info("%" PRIu64 " users of the bindings this device is master of replayed to "
			 "a service that subscribed%s%s",
			 a->n, t >= 0 ? " to " : "", t >= 0 ? ut_svc_name((enum ut_svc)t) : "");
}

static void handover_one(struct pbind *pb, struct ut_cursor *c, const struct ut_rec *r,
			 const struct rbp_user *u, void *arg)
{
	(void)pb;
	(void)r;
	(void)u;
	*(uint64_t *)arg += ut_cursor_set_origin(c, UT_ORIGIN_PEER) == 1;
}

static void withdraw_one(struct pbind *pb, struct ut_cursor *c, const struct ut_rec *r,
			 const struct rbp_user *u, void *arg)
{
	(void)c;
	(void)arg;
	if (r->type == UT_SVC_ARP || r->type == UT_SVC_ND)
		rbpd_kern_withdraw(pb->p, r->type, r->key, r->key_len, u);
}

void rbpd_on_withdraw(uv_timer_t *t)
{
	struct pbind *pb = t->data;

	pb->withdrawing = false;
	if (pb->role != RBP_ROLE_BACKUP)
		return;
	for_users_of(pb, withdraw_one, NULL);
	log_info("remote-backup-profile %s: vrrp-id %u interface %s: forwarding entries %s after "
		 "the download delay",
		 pb->p->name, pb->b.vrid, pb->b.ifname,
		 pb->p->hot ? "kept as backup entries" : "withdrawn");
}

/* peer-backup hot <-> warm: what the backup keeps in its kernel follows
 * (hot installs the peer's ARP/ND users, warm removes them). */
void rbpd_mode_changed(struct prof *p)
{
	for (size_t i = 0; i < p->nbind; i++)
		if (p->bind[i].role == RBP_ROLE_BACKUP && !p->bind[i].withdrawing)
			for_users_of(&p->bind[i], withdraw_one, NULL);
	log_info("remote-backup-profile %s: peer-backup %s: backup users %s the kernel", p->name,
		 p->hot ? "hot" : "warm", p->hot ? "installed in" : "removed from");
}

/* The group is no longer master here: its users are the peer's now; the
 * kernel keeps forwarding for them until the download delay is over. */
static void handover(struct pbind *pb, const char *why)
{
	struct rbpd *d = pb->p->d;
	uint64_t n = 0;
	uint32_t delay = d->running ? d->running->download_delay_s : 0;
	bool known = pb->role_known;

	pb->role_known = true;
	pb->whole_at_ms = 0;
	for_users_of(pb, handover_one, &n);
	if (!known && n == 0)
		return; /* a new binding, backup from the start: nothing to hand over */
	log_info("remote-backup-profile %s: vrrp-id %u interface %s is no longer master (%s): "
		 "%" PRIu64 " users now the peer's; forwarding entries kept %u s",
		 pb->p->name, pb->b.vrid, pb->b.ifname, why, n, delay);
	pb->withdrawing = true;
	uv_timer_start(&pb->withdraw, rbpd_on_withdraw, (uint64_t)delay * 1000, 0);
}

/* Every binding takes the role its group's state gives now; those that
 * become master take over together (takeover()). why: the reason, or
 * NULL for each group's last event (grp_why()). */
void rbpd_evaluate(struct rbpd *d, const char *why)
{
	bool changed = false;
	size_t nb = 0, n = 0;
	struct pbind **pbs;

	for (struct prof *p = d->profs; p; p = p->next)
		nb += p->nbind;
	pbs = malloc((nb ? nb : 1) * sizeof(*pbs));
	if (pbs == NULL)
		fatal("malloc");
	for (struct prof *p = d->profs; p; p = p->next) {
		for (size_t i = 0; i < p->nbind; i++) {
			struct pbind *pb = &p->bind[i];
			enum rbp_role r;

			pb->b.state = grp_state(d, pb->b.ifname, pb->b.vrid);
			r = rbp_role_of_state(pb->b.state);
			if (pb->b.state == RBP_GROUP_BACKUP)
				pb->backup_heard = true;
			if (r == pb->role && pb->role_known)
				continue;
			pb->role = r;
			changed = true;
			if (r == RBP_ROLE_MASTER)
				pbs[n++] = pb;
			else
				handover(pb, why ? why : grp_why(d, pb->b.ifname, pb->b.vrid));
		}
	}
	if (n)
		takeover(d, pbs, n, why);
	free(pbs);
	/* after the restored users a takeover published */
	if (changed) {
		rbpd_api_publish_roles(d, 0);
		for (struct chan *ch = d->chans; ch; ch = ch->next) {
			rbpd_feed_send_roles(ch);
			rbpd_dual_check(ch);
			rbpd_ae_soon(ch);
		}
	}
}

/* ---- split brain (rbp_dual.h, docs/splitbrain.md) ------------------------- */

static void dual_event(const struct pbind *pb, bool began)
{
	char vrid[8], since[24], secs[24];
	const struct log_field lf[] = {
	    {"RBP_PROFILE", pb->p->name},   {"VRRP_VRID", vrid},
	    {"VRRP_INTERFACE", pb->ifname}, {"RBP_DUAL_MASTER", began ? "yes" : "no"},
	    {"RBP_DUAL_SINCE", since},	    {"RBP_DUAL_SECONDS", secs},
	};

	snprintf(vrid, sizeof(vrid), "%u", pb->b.vrid);
	snprintf(since, sizeof(since), "%" PRIu64, pb->dual.since);
	snprintf(secs, sizeof(secs), "%" PRIu64, began ? 0 : pb->dual.last_s);
	if (began)
		log_event(LOG_WARNING, LOG_MSGID_RBP_DUAL, lf, sizeof(lf) / sizeof(lf[0]),
			  "remote-backup-profile %s: vrrp-id %u interface %s is master on both "
			  "devices (the peer, over %s, is master of it on %s): the user segment "
			  "is cut between them",
			  pb->p->name, pb->b.vrid, pb->ifname, pb->p->ch->name, pb->dual_peer_if);
	else
		log_event(LOG_INFO, LOG_MSGID_RBP_DUAL, lf, sizeof(lf) / sizeof(lf[0]),
			  "remote-backup-profile %s: vrrp-id %u interface %s is no longer master "
			  "on both devices, after %" PRIu64 " s",
			  pb->p->name, pb->b.vrid, pb->ifname, pb->dual.last_s);
}

void rbpd_dual_check(struct chan *ch)
{
	struct rbpd *d = ch->d;
	bool changed = false;
	time_t now = time(NULL);

	for (struct prof *p = d->profs; p; p = p->next) {
		for (size_t j = 0; j < p->nbind && p->ch == ch; j++) {
			struct pbind *pb = &p->bind[j];
			const char *peer_if = NULL;
			bool peer = rbp_dual_peer_master(ch->peer_roles, ch->n_peer_roles,
							 p->backup_id, pb->b.vrid, &peer_if);
			bool both = peer && pb->role_known && pb->role == RBP_ROLE_MASTER;
			enum rbp_dual_change c;

			snprintf(pb->dual_peer_if, sizeof(pb->dual_peer_if), "%s",
				 peer_if ? peer_if : "");
			c = rbp_dual_update(&pb->dual, both, now > 0 ? (uint64_t)now : 0);
			if (c != RBP_DUAL_SAME) {
				dual_event(pb, c == RBP_DUAL_BEGAN);
				changed = true;
			}
		}
	}
	if (changed)
		rbpd_gates_publish(d);
}

static struct grp *set_state(struct rbpd *d, const char *ifname, uint32_t vrid, bool v6,
			     Db__VrrpState state, uint64_t takeover)
{
	enum rbp_group_state s;
	struct grp *gr;

	if (rbp_group_state_of(state, &s) < 0)
		return NULL;
	gr = grp_get(d, ifname, vrid, true);
	if (gr) {
		gr->st[v6] = (int)s;
		gr->takeover[v6] = takeover;
	}
	return gr;
}

/* uv_check: the VrrpEvents read in one turn of the loop are acted on
 * together, after it: the groups that became master at once (both of a
 * profile, at the same Master_Down timer) are restored in one walk. */
static void on_events_read(uv_check_t *h)
{
	struct rbpd *d = h->data;

	uv_check_stop(h);
	rbpd_evaluate(d, NULL);
	/* the takeover is done (kernel installs written, restored users
	 * published): vrrpd may announce (docs/takeover.md) */
	if (d->events_takeover)
		rbpd_gates_publish(d);
	d->events_takeover = false;
}

/* bus_recv_cb of vrrpd's PUB: one VrrpEvent in an Envelope. */
static void on_vrrp_event(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	struct rbpd *d = arg;
	Db__Envelope *env;
	Db__VrrpEvent *ev;
	struct grp *gr;

	(void)s;
	if (n != 1 || (env = bus_unpack(parts[0].data, parts[0].len)) == NULL)
		return;
	if (env->type == DB__MSG_TYPE__MSG_VRRP_EVENT &&
	    (ev = db__vrrp_event__unpack(NULL, env->payload.len, env->payload.data)) != NULL) {
		/* an event missed (or a restarted vrrpd, which counts from 1
		 * again): vrrpd's list says where every group is */
		if (d->vrrp_seq && env->id != d->vrrp_seq + 1)
			rbpd_ask_vrrp(d);
		if (env->id > d->vrrp_seq || env->id + 1000000 < d->vrrp_seq)
			d->vrrp_seq = env->id;
		gr = set_state(d, ev->ifname, ev->vrid, ev->ipv6, ev->to, ev->takeover);
		if (gr)
			snprintf(gr->why, sizeof(gr->why), "vrrp vrid %u %s -> %s: %s", ev->vrid,
				 bus_vrrp_state_word(ev->from), bus_vrrp_state_word(ev->to),
				 ev->reason ? ev->reason : "");
		d->events_takeover |= ev->takeover != 0;
		uv_check_start(&d->events_read, on_events_read);
		db__vrrp_event__free_unpacked(ev, NULL);
	}
	db__envelope__free_unpacked(env, NULL);
}

/* pidwatch_cb: vrrpd ended. Its states are asked each second until the
 * next vrrpd answers. */
static void on_vrrpd_end(struct pidwatch *w, void *arg)
{
	struct rbpd *d = arg;

	log_warnx("vrrpd (pid %d) ended: asking the next one for the groups' states",
		  (int)pidwatch_pid(w));
	pidwatch_free(w);
	d->vrrpd = NULL;
	d->vrrp_seq = 0; /* the next one counts from 1 */
}

/* bus_recv_cb of the query socket: vrrpd's answer to QUERY_VRRP_STATES. */
static void on_vrrp_list(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	struct rbpd *d = arg;
	Db__Envelope *env;
	Db__QueryReply *r;
	const Db__VrrpStateList *l;

	(void)s;
	if (n != 1 || (env = bus_unpack(parts[0].data, parts[0].len)) == NULL)
		return;
	r = env->type == DB__MSG_TYPE__MSG_QUERY_REPLY && env->sender == DB__ROLE__ROLE_VRRPD
		? db__query_reply__unpack(NULL, env->payload.len, env->payload.data)
		: NULL;
	l = r && r->ok ? r->states : NULL;
	if (l)
		pidwatch_follow(&d->vrrpd, d->loop, l->pid, on_vrrpd_end, d);
	if (l && (l->seq >= d->vrrp_seq || l->seq + 1000000 < d->vrrp_seq ||
		  (l->pid && l->pid != d->vrrp_pid))) {
		/* Not older than the last event, or from another vrrpd (a
		 * restarted one counts from 1 again): take it. A group vrrpd
		 * no longer has is Initialize. */
		d->vrrp_pid = l->pid;
		for (struct grp *gr = d->grps; gr; gr = gr->next)
			gr->st[0] = gr->st[1] = -1;
		d->vrrp_seq = l->seq;
		for (size_t i = 0; i < l->n_groups; i++) {
			const Db__VrrpGroupState *st = l->groups[i];

			if (st->ifname && st->ifname[0])
				set_state(d, st->ifname, st->vrid, st->ipv6, st->state,
					  st->takeover);
		}
		rbpd_evaluate(d, "vrrpd's state list");
		rbpd_gates_publish(d);
	}
	if (r)
		db__query_reply__free_unpacked(r, NULL);
	db__envelope__free_unpacked(env, NULL);
}

void rbpd_ask_vrrp(struct rbpd *d)
{
	Db__Query q = DB__QUERY__INIT;

	q.kind = DB__QUERY_KIND__QUERY_VRRP_STATES;
	bus_send_msg(d->vrrp_ctl, NULL, 0, DB__MSG_TYPE__MSG_QUERY, DB__ROLE__ROLE_RBPD,
		     ++d->vrrp_query_id, &q.base);
}

/* Whether a profile binds a VRRP group: only then do vrrpd's states and
 * rbpd's gates matter to anyone. */
static bool any_binding(const struct rbpd *d)
{
	for (struct prof *p = d->profs; p; p = p->next)
		if (p->nbind > 0)
			return true;
	return false;
}

static void gates_send(struct rbpd *d, bool always);

/* Once a second, and quiet when nothing changes: vrrpd is asked for its
 * states and rbsd attached to until each has answered; the gates go out
 * when they differ from the last sent. Every 10 s all of it, which only
 * a neighbour hung but alive needs: one that ended is watched
 * (common/pidwatch.h), and a missed VrrpEvent is seen by its number. */
static void on_tick(uv_timer_t *t)
{
	struct rbpd *d = t->data;
	bool slow = d->ticks++ % 10 == 0;

	if (slow || (d->vrrpd == NULL && any_binding(d)))
		rbpd_ask_vrrp(d);
	gates_send(d, slow);
	rbpd_feed_attach_all(d, slow);
	for (struct chan *ch = d->chans; ch; ch = ch->next)
		rbpd_feed_send_roles(ch);
	rbpd_api_publish_roles(d, 0);
	rbpd_ae_tick(d);
}

/* ---- the preemption gates (rbp_ready.h) ------------------------------------ */

bool rbpd_binding_ready(const struct pbind *pb, char *why, size_t len)
{
	const struct chan *ch = pb->p->ch;
	struct rbp_ready_in in = {0};

	if (ch == NULL) {
		snprintf(why, len, "no remote-backup-service: nothing to wait for");
		return true;
	}
	in.service = ch->name;
	in.up = ch->attached && ch->up;
	in.batch_running = rbpd_rx_batch_running(ch);
	in.batch_got = ch->rx_batch_got;
	in.batch_total = ch->rx_batch_total;
	in.batch_done = ch->rx_batch_done;
	in.batch_agreed = ch->rx_batch_agreed;
	return rbp_ready(&in, why, len);
}

void rbpd_gates_publish(struct rbpd *d)
{
	gates_send(d, true);
}

/* Whether m differs from the gates last sent; remembers m's. */
static bool gates_changed(struct rbpd *d, const ProtobufCMessage *m)
{
	uint64_t h = bus_msg_digest(m);

	if (h == d->gates_hash)
		return false;
	d->gates_hash = h;
	return true;
}

/* The gates, to vrrpd: always, or only when they differ from the last
 * sent (the reasons count a batch's progress, so they change while one
 * runs). */
static void gates_send(struct rbpd *d, bool always)
{
	Db__PreemptGates m = DB__PREEMPT_GATES__INIT;
	struct gate {
		Db__PreemptGate msg;
		char why[200];
	} * gates;
	Db__PreemptGate **ptrs;
	size_t n = 0, max = 0;

	if (d->gates_pub == NULL)
		return;
	for (struct prof *p = d->profs; p; p = p->next)
		max += p->ch ? p->nbind : 0;
	/* every binding, however many profiles: one left out would wait
	 * for its whole preempt-wait max */
	gates = calloc(max ? max : 1, sizeof(*gates));
	ptrs = calloc(max ? max : 1, sizeof(*ptrs));
	if (gates == NULL || ptrs == NULL)
		fatal("calloc");
	for (struct prof *p = d->profs; p; p = p->next)
		for (size_t j = 0; j < p->nbind && p->ch; j++) {
			struct pbind *pb = &p->bind[j];
			struct gate *x = &gates[n];

			db__preempt_gate__init(&x->msg);
			x->msg.ifname = pb->ifname;
			x->msg.vrid = pb->b.vrid;
			x->msg.ready = rbpd_binding_ready(pb, x->why, sizeof(x->why));
			x->msg.reason = x->why;
			x->msg.taken_over = grp_takeover(d, pb->b.ifname, pb->b.vrid);
			x->msg.dual_master_since = pb->dual.since;
			ptrs[n++] = &x->msg;
		}
	m.gates = ptrs;
	m.n_gates = n;
	m.pid = (uint64_t)getpid();
	if (gates_changed(d, &m.base) || always)
		bus_send_msg(d->gates_pub, NULL, 0, DB__MSG_TYPE__MSG_PREEMPT_GATES,
			     DB__ROLE__ROLE_RBPD, ++d->gates_seq, &m.base);
	free(ptrs);
	free(gates);
}

/* bus_recv_cb of the gates' XPUB: a subscription (a vrrpd that started) is
 * told the gates at once. */
static void on_gates_sub(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	(void)s;
	if (n == 1 && parts[0].len >= 1 && parts[0].data[0] == 1)
		rbpd_gates_publish(arg);
}

/* ---- life ----------------------------------------------------------------- */

int rbpd_init(uv_loop_t *loop, void *zctx, const char *rundir, void *arg)
{
	struct rbpd *d = arg;
	char ep[512];
	struct bus_opts sub = {.type = ZMQ_SUB, .endpoint = ep, .cb = on_vrrp_event, .arg = d};
	struct bus_opts q = {.type = ZMQ_DEALER, .endpoint = ep, .cb = on_vrrp_list, .arg = d};
	int rc;

	d->loop = loop;
	rbp_hlc_init(&d->hlc, RBP_ADMIT_VERSION_AHEAD_US);
	d->zctx = zctx;
	d->rundir = rundir;
	uv_timer_init(loop, &d->tick);
	d->tick.data = d;
	uv_check_init(loop, &d->events_read);
	d->events_read.data = d;
	if ((rc = daemon_endpoint(ep, sizeof(ep), rundir, "vrrpd-events")) < 0 ||
	    (rc = bus_open(&d->vrrp_sub, loop, zctx, &sub)) < 0)
		return rc;
	if ((rc = daemon_endpoint(ep, sizeof(ep), rundir, "vrrpd")) < 0 ||
	    (rc = bus_open(&d->vrrp_ctl, loop, zctx, &q)) < 0)
		return rc;
	if ((rc = rbpd_feed_init(d)) < 0 || (rc = rbpd_api_init(d)) < 0 ||
	    (rc = rbpd_kern_init(d)) < 0)
		return rc;
	{
		struct bus_opts pub = {.type = ZMQ_XPUB,
				       .bind = 1,
				       .endpoint = ep,
				       .zap_domain = PEER_DOMAIN_DAEMON,
				       .cb = on_gates_sub,
				       .arg = d};

		if ((rc = daemon_endpoint(ep, sizeof(ep), rundir, "rbpd-events")) < 0 ||
		    (rc = bus_open(&d->gates_pub, loop, zctx, &pub)) < 0)
			return rc;
	}
	if ((rc = cfgclient_test_hook(loop, "DB_TEST_DROP_PERMILLE", rbpd_ae_test_drop, d)) < 0)
		return rc;
	uv_timer_start(&d->tick, on_tick, 0, 1000);
	return 0;
}

void rbpd_stop(void *arg)
{
	struct rbpd *d = arg;

	uv_close((uv_handle_t *)&d->tick, NULL);
	uv_close((uv_handle_t *)&d->events_read, NULL);
	pidwatch_free(d->vrrpd);
	pidwatch_free(d->rbsdpw);
	d->vrrpd = d->rbsdpw = NULL;
	cfgclient_test_hook_close();
	while (d->profs) {
		struct prof *p = d->profs;

		d->profs = p->next;
		rbpd_prof_free(p);
	}
	while (d->chans) {
		struct chan *ch = d->chans;

		d->chans = ch->next;
		rbpd_feed_chan_free(ch);
	}
	while (d->grps) {
		struct grp *gr = d->grps;

		d->grps = gr->next;
		free(gr);
	}
	strmap_free(d->grp_idx);
	rbpd_kern_close(d);
	rbpd_api_close(d);
	rbpd_feed_close(d);
	arena_free(&d->local_arena);
	bus_close(d->vrrp_sub);
	bus_close(d->vrrp_ctl);
	if (d->gates_pub)
		bus_close(d->gates_pub);
	d->gates_pub = NULL;
}

void rbpd_free(struct rbpd *d)
{
	if (d->running)
		db__rbpd_config__free_unpacked(d->running, NULL);
	d->running = NULL;
}
