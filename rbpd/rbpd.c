/*
 * rbpd: remote backup profiles (see rbpd.h for how its files share the
 * work). This file: the daemon's life, its configuration, the states of
 * the VRRP groups as vrrpd publishes them, what a change of state does to
 * the users (a takeover restores them, a handover withdraws them after
 * download-vrrp-table delay-time), and `display remote-backup-profile`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <zmq.h>

#include "common/daemon.h"
#include "common/jsonout.h"
#include "common/log.h"
#include "common/peer.h"
#include "common/service.h"
#include "common/show.h"
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
};

static uint64_t realtime_ns(void)
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
	return rbp_hlc_next(&d->hlc, realtime_ns() / 1000, held);
}

bool rbpd_observe_version(struct rbpd *d, uint64_t v)
{
	return rbp_hlc_observe(&d->hlc, realtime_ns() / 1000, v);
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
static bool next_user(const struct prof *p, struct ut_cursor *c, struct ut_rec *r,
		      struct rbp_user *u, const uint8_t *mac)
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
	while (next_user(p, &c, &r, &u, NULL))
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

/* arg: the struct rbpd */
static void restore_one(struct pbind *pb, struct ut_cursor *c, const struct ut_rec *r,
			const struct rbp_user *u, void *arg)
{
	struct rbpd *d = arg;
	struct restore_acc *a = &d->acc;

	if (ut_cursor_set_origin(c, UT_ORIGIN_LOCAL) != 1)
		return; /* already this device's */
	a->n++;
	pb->p->restored[r->type]++;
	if (r->type == UT_SVC_ARP || r->type == UT_SVC_ND) {
		rbpd_kern_restore(pb->p, r->type, r->key, r->key_len, u);
		return;
	}
	/* set_origin changes no memory: the pointers stay valid until the
	 * batch is published, within this takeover; none is packed for a
	 * type no service reads (one that subscribes later gets a replay) */
	if (rbpd_api_subscribed(d, r->type)) {
		a->published++;
		acc_push(d, r, u);
	}
}

/* The group became master here: the peer's copies of its users become
 * this device's, in the kernel for ARP/ND and announced to services. */
static void takeover(struct pbind *pb, const char *why)
{
	struct rbpd *d = pb->p->d;
	struct restore_acc *a = &d->acc;
	double t0 = mono_ms();

	/* A group vrrpd said was Backup here, with the peer's users all held
	 * (a whole batch since rbpd started): this table is every user of
	 * the binding, and a service may drop its own older records of them
	 * that it lacks (UserRole.restored_at_ms, docs/kea.md). Not after a
	 * state not heard of yet (rbpd restarted on the master): the services
	 * may have served users meanwhile that only they know. */
	pb->whole_at_ms = pb->role_known && pb->backup_heard && pb->p->ch && pb->p->ch->whole
			      ? realtime_ns() / 1000000
			      : 0;
	pb->backup_heard = false;
	pb->role_known = true;
	if (pb->withdrawing) {
		uv_timer_stop(&pb->withdraw);
		pb->withdrawing = false;
	}
	memset(a->cnt, 0, sizeof(a->cnt));
	a->n = a->published = 0;
	a->replay = false;
	for_users_of(pb, restore_one, d);
	for (int t = 0; t < UT_SVC_COUNT; t++)
		flush_restored(d, (enum ut_svc)t);
	pb->restored_users = a->n;
	pb->restored_published = a->published;
	pb->restore_ms = mono_ms() - t0;
	pb->restore_at_ns = realtime_ns();
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
		snprintf(users, sizeof(users), "%" PRIu64, a->n);
		snprintf(ms, sizeof(ms), "%.1f", pb->restore_ms);
		log_event(LOG_INFO, LOG_MSGID_RBP_TAKEOVER, lf, sizeof(lf) / sizeof(lf[0]),
			  "remote-backup-profile %s: vrrp-id %u interface %s (%s) is master (%s): "
			  "%" PRIu64 " users restored in %.1f ms",
			  pb->p->name, pb->b.vrid, pb->b.ifname,
			  pb->b.parity == RBP_PARITY_ODD ? "odd-mac" : "even-mac", why, a->n,
			  pb->restore_ms);
	}
	/* what the kernel learned meanwhile is this device's to send now */
	rbpd_kern_dump(d, DUMP_LEARN);
	if (pb->p->ch)
		rbpd_feed_pump(pb->p->ch);
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

static void on_withdraw(uv_timer_t *t)
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
	uv_timer_start(&pb->withdraw, on_withdraw, (uint64_t)delay * 1000, 0);
}

/* Every binding takes the role its group's state gives now. */
static void evaluate(struct rbpd *d, const char *why)
{
	bool changed = false;

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
				takeover(pb, why);
			else
				handover(pb, why);
		}
	}
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

static void set_state(struct rbpd *d, const char *ifname, uint32_t vrid, bool v6,
		      Db__VrrpState state, uint64_t takeover)
{
	enum rbp_group_state s;
	struct grp *gr;

	if (rbp_group_state_of(state, &s) < 0)
		return;
	gr = grp_get(d, ifname, vrid, true);
	if (gr) {
		gr->st[v6] = (int)s;
		gr->takeover[v6] = takeover;
	}
}

/* bus_recv_cb of vrrpd's PUB: one VrrpEvent in an Envelope. */
static void on_vrrp_event(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	struct rbpd *d = arg;
	Db__Envelope *env;
	Db__VrrpEvent *ev;
	char why[160];

	(void)s;
	if (n != 1 || (env = bus_unpack(parts[0].data, parts[0].len)) == NULL)
		return;
	if (env->type == DB__MSG_TYPE__MSG_VRRP_EVENT &&
	    (ev = db__vrrp_event__unpack(NULL, env->payload.len, env->payload.data)) != NULL) {
		if (env->id > d->vrrp_seq || env->id + 1000000 < d->vrrp_seq)
			d->vrrp_seq = env->id; /* a restarted vrrpd counts from 1 again */
		set_state(d, ev->ifname, ev->vrid, ev->ipv6, ev->to, ev->takeover);
		snprintf(why, sizeof(why), "vrrp vrid %u %s -> %s: %s", ev->vrid,
			 bus_vrrp_state_word(ev->from), bus_vrrp_state_word(ev->to), ev->reason);
		evaluate(d, why);
		/* the takeover is done (kernel installs written, restored
		 * users published): vrrpd may announce (docs/takeover.md) */
		if (ev->takeover)
			rbpd_gates_publish(d);
		db__vrrp_event__free_unpacked(ev, NULL);
	}
	db__envelope__free_unpacked(env, NULL);
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
	if (l && (l->seq >= d->vrrp_seq || l->seq + 1000000 < d->vrrp_seq)) {
		/* Not older than the last event: take it. A group vrrpd no
		 * longer has is Initialize. */
		for (struct grp *gr = d->grps; gr; gr = gr->next)
			gr->st[0] = gr->st[1] = -1;
		d->vrrp_seq = l->seq;
		for (size_t i = 0; i < l->n_groups; i++) {
			const Db__VrrpGroupState *st = l->groups[i];

			if (st->ifname && st->ifname[0])
				set_state(d, st->ifname, st->vrid, st->ipv6, st->state,
					  st->takeover);
		}
		evaluate(d, "vrrpd's state list");
		rbpd_gates_publish(d);
	}
	if (r)
		db__query_reply__free_unpacked(r, NULL);
	db__envelope__free_unpacked(env, NULL);
}

static void ask_vrrp_states(struct rbpd *d)
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

static void on_tick(uv_timer_t *t)
{
	struct rbpd *d = t->data;

	/* Without a binding, vrrpd is asked and told every 10 s rather than
	 * every second (fewer wake-ups of both when idle); the empty gates
	 * still say that rbpd holds no group back. */
	if (any_binding(d) || d->ticks++ % 10 == 0) {
		ask_vrrp_states(d);
		rbpd_gates_publish(d);
	}
	rbpd_feed_attach_all(d);
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
	bus_send_msg(d->gates_pub, NULL, 0, DB__MSG_TYPE__MSG_PREEMPT_GATES, DB__ROLE__ROLE_RBPD,
		     ++d->gates_seq, &m.base);
	free(ptrs);
	free(gates);
}

/* ---- configuration -------------------------------------------------------- */

/* cfgclient_ops.check: unpack and check against the live system. */
void *rbpd_check(void *arg, const uint8_t *sec, size_t len, struct errlist *errs)
{
	Db__RbpdConfig *c = db__rbpd_config__unpack(NULL, len, sec);

	(void)arg;
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < c->n_profiles; i++) {
		Db__RbpConfig *p = c->profiles[i];

		for (size_t j = 0; j < p->n_bindings; j++)
			if (if_nametoindex(p->bindings[j]->ifname) == 0)
				errlist_add(
				    errs,
				    "remote-backup-profile %s: vrrp-id %u interface %s: the "
				    "interface does not exist",
				    p->name, p->bindings[j]->vrid, p->bindings[j]->ifname);
		for (size_t j = 0; j < p->n_interfaces; j++)
			if (if_nametoindex(p->interfaces[j]) == 0)
				errlist_add(errs, "interface %s: the interface does not exist",
					    p->interfaces[j]);
		if (p->n_bindings > 2 || p->n_bindings + p->n_interfaces > RBPD_MAX_IFACES)
			errlist_add(errs,
				    "remote-backup-profile %s: at most two bindings and %d "
				    "interfaces in all",
				    p->name, RBPD_MAX_IFACES);
	}
	return c;
}

static struct chan *chan_get(struct rbpd *d, const char *name)
{
	struct chan *ch;
	uint64_t seed;

	for (ch = d->chans; ch; ch = ch->next)
		if (strcmp(ch->name, name) == 0)
			return ch;
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		fatal("calloc");
	ch->d = d;
	snprintf(ch->name, sizeof(ch->name), "%s", name);
	getrandom(&seed, sizeof(seed), 0);
	/* tombstones: a delete that overtakes an older add must win */
	ch->t = ut_table_new(seed, 65536);
	if (ch->t == NULL)
		fatal("ut_table_new");
	rbp_fifo_init(&ch->q);
	ch->next = d->chans;
	d->chans = ch;
	return ch;
}

static void prof_closed(uv_handle_t *h)
{
	struct pbind *pb = h->data;
	struct prof *p = pb->p;

	pb->p = NULL;
	if (p->bind[0].p == NULL && p->bind[1].p == NULL)
		free(p);
}

static void prof_free(struct prof *p)
{
	for (int i = 0; i < 2; i++)
		uv_close((uv_handle_t *)&p->bind[i].withdraw, prof_closed);
}

static void add_iface(struct prof *p, const char *ifname)
{
	for (size_t j = 0; j < p->nifaces; j++)
		if (strcmp(p->ifaces[j], ifname) == 0)
			return;
	if (p->nifaces < RBPD_MAX_IFACES)
		snprintf(p->ifaces[p->nifaces++], RBP_IFNAME_MAX + 1, "%s", ifname);
}

static struct prof *prof_new(struct rbpd *d, const Db__RbpConfig *c, struct prof *old)
{
	struct prof *p = calloc(1, sizeof(*p));

	if (p == NULL)
		fatal("calloc");
	p->d = d;
	snprintf(p->name, sizeof(p->name), "%s", c->name);
	p->hot = strcmp(c->backup_mode, "hot") == 0;
	p->backup_id = c->backup_id;
	p->preempt_wait_max_s = c->preempt_wait_max_s;
	if (c->backup_id && c->service[0]) {
		p->ch = chan_get(d, c->service);
		p->ch->used = true;
	}
	for (size_t i = 0; i < 2; i++) {
		struct pbind *pb = &p->bind[i];

		uv_timer_init(d->loop, &pb->withdraw);
		pb->withdraw.data = pb;
		pb->p = p;
		pb->role = RBP_ROLE_BACKUP;
		if (i >= c->n_bindings)
			continue;
		snprintf(pb->ifname, sizeof(pb->ifname), "%s", c->bindings[i]->ifname);
		pb->b.vrid = c->bindings[i]->vrid;
		pb->b.ifname = pb->ifname;
		pb->b.parity = c->bindings[i]->odd_mac ? RBP_PARITY_ODD : RBP_PARITY_EVEN;
		pb->b.state = RBP_GROUP_INIT;
		p->nbind++;
		add_iface(p, pb->ifname);
		/* The same binding as before keeps its role: a commit that
		 * changes something else is no switchover. */
		if (old && old->ch == p->ch && old->backup_id == p->backup_id)
			for (size_t j = 0; j < old->nbind; j++)
				if (old->bind[j].b.vrid == pb->b.vrid &&
				    old->bind[j].b.parity == pb->b.parity &&
				    strcmp(old->bind[j].ifname, pb->ifname) == 0) {
					pb->role = old->bind[j].role;
					pb->role_known = old->bind[j].role_known;
					if (old->bind[j].withdrawing) {
						/* the download delay goes on */
						pb->withdrawing = true;
						uv_timer_start(
						    &pb->withdraw, on_withdraw,
						    uv_timer_get_due_in(&old->bind[j].withdraw), 0);
					}
					pb->restored_users = old->bind[j].restored_users;
					pb->restored_published =
					    old->bind[j].restored_published;
					pb->restore_ms = old->bind[j].restore_ms;
					pb->restore_at_ns = old->bind[j].restore_at_ns;
					pb->whole_at_ms = old->bind[j].whole_at_ms;
					pb->backup_heard = old->bind[j].backup_heard;
				}
	}
	for (size_t i = 0; i < c->n_interfaces; i++)
		add_iface(p, c->interfaces[i]);
	if (old)
		memcpy(p->restored, old->restored, sizeof(p->restored));
	return p;
}

/* peer-backup hot <-> warm: what the backup keeps in its kernel follows
 * (hot installs the peer's ARP/ND users, warm removes them). */
static void mode_changed(struct prof *p)
{
	for (size_t i = 0; i < p->nbind; i++)
		if (p->bind[i].role == RBP_ROLE_BACKUP && !p->bind[i].withdrawing)
			for_users_of(&p->bind[i], withdraw_one, NULL);
	log_info("remote-backup-profile %s: peer-backup %s: backup users %s the kernel", p->name,
		 p->hot ? "hot" : "warm", p->hot ? "installed in" : "removed from");
}

/* cfgclient_ops.apply: takes ownership of obj. */
void rbpd_apply(void *arg, void *obj)
{
	struct rbpd *d = arg;
	Db__RbpdConfig *c = obj;
	struct prof *old = d->profs, **tail = &d->profs;
	struct chan **cp;

	for (struct chan *ch = d->chans; ch; ch = ch->next)
		ch->used = false;
	d->profs = NULL;
	for (size_t i = 0; i < c->n_profiles; i++) {
		struct prof *o;

		for (o = old; o && strcmp(o->name, c->profiles[i]->name); o = o->next)
			;
		*tail = prof_new(d, c->profiles[i], o);
		if (o && o->hot != (*tail)->hot)
			mode_changed(*tail);
		tail = &(*tail)->next;
	}
	while (old) {
		struct prof *next = old->next;

		prof_free(old);
		old = next;
	}
	for (cp = &d->chans; *cp;) {
		struct chan *ch = *cp;

		if (ch->used) {
			cp = &ch->next;
			continue;
		}
		log_info("remote-backup-service %s: no profile names it any more; its %zu users "
			 "are dropped",
			 ch->name, ut_count(ch->t, UT_SVC_ALL));
		*cp = ch->next;
		rbpd_feed_chan_free(ch);
	}
	if (d->running)
		db__rbpd_config__free_unpacked(d->running, NULL);
	d->running = c;
	log_info("%zu remote backup profile(s) configured", c->n_profiles);
	rbpd_feed_attach_all(d);
	evaluate(d, "configuration");
	rbpd_kern_dump(d, DUMP_LEARN);
}

/* cfgclient_ops.discard */
void rbpd_discard(void *arg, void *obj)
{
	(void)arg;
	db__rbpd_config__free_unpacked(obj, NULL);
}

/* ---- display -------------------------------------------------------------- */

struct counts {
	uint64_t master[UT_SVC_COUNT], backup[UT_SVC_COUNT], pending[UT_SVC_COUNT];
};

/* Whether ifname exists here. */
static bool iface_exists(struct rbpd *d, const char *ifname)
{
	return rbpd_ifindex(d, ifname) != 0;
}

static void count_users(struct prof *p, struct counts *n)
{
	struct ut_cursor c;
	struct ut_rec r;
	struct rbp_user u;

	memset(n, 0, sizeof(*n));
	if (p->ch == NULL || ut_cursor_open(p->ch->t, &c, UT_SVC_ALL) < 0)
		return;
	while (next_user(p, &c, &r, &u, NULL)) {
		if (r.origin == UT_ORIGIN_LOCAL)
			n->master[r.type]++;
		else
			n->backup[r.type]++;
		/* held but of no use here: nothing decides its role, or its
		 * interface does not exist on this device */
		if (rbpd_binding_for(p, u.mac) == NULL || !iface_exists(p->d, u.ifname))
			n->pending[r.type]++;
	}
	ut_cursor_close(&c);
}

static const char *state_word(enum rbp_group_state s)
{
	return s == RBP_GROUP_MASTER ? "Master" : s == RBP_GROUP_BACKUP ? "Backup" : "Initialize";
}

/* "none", or "REASON N, REASON N" for every reason counted. */
/* Anti-entropy's last comparison and what the comparisons repaired. */
static void text_ae(FILE *f, const struct rbpd_ae *ae)
{
	char when[32] = "never";
	time_t at = (time_t)ae->compared_at;
	struct tm tm;

	if (ae->compared_at && localtime_r(&at, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f,
		"  Anti-entropy      : last compared %s%s; rounds %" PRIu64 ", differing types %" PRIu64
		" buckets %" PRIu64 " leaves %" PRIu64 ", entries resent %" PRIu64 "\n",
		when, !ae->compared_at ? "" : ae->last_agreed ? ", agreed" : ", differed", ae->round,
		ae->types_differing, ae->buckets_differing, ae->leaves_differing,
		ae->entries_resent);
}

static void json_ae(struct json_object *x, const struct rbpd_ae *ae)
{
	struct json_object *y = jout_obj(x, "antientropy");

	jout_u64(y, "rounds", ae->round);
	jout_u64(y, "compared", ae->compared);
	if (ae->compared_at) {
		jout_u64(y, "last_compared", ae->compared_at);
		jout_bool(y, "last_agreed", ae->last_agreed);
	} else {
		jout_str(y, "last_compared", NULL);
		jout_str(y, "last_agreed", NULL);
	}
	jout_u64(y, "types_differing", ae->types_differing);
	jout_u64(y, "buckets_differing", ae->buckets_differing);
	jout_u64(y, "leaves_differing", ae->leaves_differing);
	jout_u64(y, "summaries_in", ae->summaries_in);
	jout_u64(y, "keys_summarized", ae->keys_summarized);
	jout_u64(y, "entries_resent", ae->entries_resent);
	jout_u64(y, "whole_exchanges", ae->whole_exchanges);
}

static void refused_line(FILE *f, const struct chan *ch)
{
	const char *sep = " ";
	bool any = false;

	for (int r = 1; r < RBP_ADMIT_COUNT; r++)
		if (ch->refused[r]) {
			fprintf(f, "%s%s %" PRIu64, sep, rbp_admit_name((enum rbp_admit)r),
				ch->refused[r]);
			sep = ", ";
			any = true;
		}
	fprintf(f, "%s\n", any ? "" : " none");
}

static void show_prof(FILE *f, struct prof *p)
{
	struct counts n;
	struct chan *ch = p->ch;

	fprintf(f, "Remote backup profile: %s\n", p->name);
	fprintf(f, "  Backup mode       : %s\n", p->hot ? "hot" : "warm");
	if (p->backup_id)
		fprintf(f, "  Backup-id         : %u\n", p->backup_id);
	if (ch) {
		fprintf(f, "  Service           : %s, channel %s%s%s\n", ch->name,
			!ch->attached ? "unknown (rbsd not answering)"
			: ch->up      ? "up"
				      : "down",
			ch->reason[0] ? ", " : "", ch->reason);
		fprintf(f, "  Peer consistency  : %s\n",
			!ch->up		  ? "unknown (channel down)"
			: ch->mismatch[0] ? ch->mismatch
					  : "consistent");
	} else {
		fprintf(f, "  Service           : none: set backup-id and remote-backup-service "
			   "to back users up\n");
	}
	for (size_t j = 0; j < p->nbind; j++) {
		struct pbind *pb = &p->bind[j];

		fprintf(f, "  VRRP binding      : vrid %u interface %s %s, group %s: %s%s\n",
			pb->b.vrid, pb->ifname,
			pb->b.parity == RBP_PARITY_ODD ? "odd-mac" : "even-mac",
			state_word(pb->b.state), pb->role == RBP_ROLE_MASTER ? "master" : "backup",
			pb->withdrawing ? " (download delay running)" : "");
		if (ch && p->preempt_wait_max_s) {
			char why[200];
			bool ready = rbpd_binding_ready(pb, why, sizeof(why));

			fprintf(f, "  Preempt gate      : vrid %u: %s%s (preempt-wait max %u s)\n",
				pb->b.vrid, ready ? "open" : "closed: ", ready ? "" : why,
				p->preempt_wait_max_s);
		}
		if (pb->dual.since) {
			char t[32];

			show_time((time_t)pb->dual.since, t, sizeof(t));
			fprintf(f,
				"  Dual master       : vrid %u: since %s: the peer is master of it "
				"too (on %s): the user segment is cut between them\n",
				pb->b.vrid, t, pb->dual_peer_if);
		}
		if (pb->restore_at_ns)
			fprintf(f,
				"  Last takeover     : vrid %u: %" PRIu64 " users restored (%" PRIu64
				" handed to services) in %.1f ms, at %" PRIu64 ".%09" PRIu64 "\n",
				pb->b.vrid, pb->restored_users, pb->restored_published, pb->restore_ms,
				pb->restore_at_ns / 1000000000u, pb->restore_at_ns % 1000000000u);
	}
	for (size_t j = 0; j < p->nifaces; j++) {
		bool bound = false;

		for (size_t k = 0; k < p->nbind; k++)
			bound |= strcmp(p->bind[k].ifname, p->ifaces[j]) == 0;
		if (!bound)
			fprintf(f, "  Access interface  : %s\n", p->ifaces[j]);
	}
	count_users(p, &n);
	fprintf(f, "  Users             : type          master     backup    pending   restored\n");
	for (int t = 0; t < UT_SVC_COUNT; t++)
		fprintf(f,
			"                      %-12s %7" PRIu64 " %10" PRIu64 " %10" PRIu64
			" %10" PRIu64 "\n",
			ut_svc_name((enum ut_svc)t), n.master[t], n.backup[t], n.pending[t],
			p->restored[t]);
	if (ch) {
		struct ut_mem m;

		ut_mem(ch->t, &m);
		fprintf(f,
			"  Table of %-8s : %zu users, digest %016" PRIx64 ", %zu bytes, batches "
			"in %" PRIu64 " (%" PRIu64 " with another digest) out %" PRIu64
			", queued %zu\n",
			ch->name, ut_count(ch->t, UT_SVC_ALL), ut_digest(ch->t, UT_SVC_ALL),
			m.entries + m.buckets, ch->batches_in, ch->bad_batches, ch->batches_out,
			ch->q.len);
		fprintf(f, "  Table limit       : %" PRIu64 " users, %" PRIu64 " bytes\n",
			rbpd_user_limit(p->d), rbpd_user_limit(p->d) * RBPD_BYTES_PER_USER);
		text_ae(f, &ch->ae);
		fprintf(f, "  Refused from peer :");
		refused_line(f, ch);
	}
}

/* A key or payload as text when it is printable, else as hex:... */
static void put_bytes(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && p[i] > ' ' && p[i] < 0x7f; i++)
		;
	if (n && i == n) {
		fwrite(p, 1, n, f);
		return;
	}
	fputs("hex:", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

/* display remote-backup-profile NAME users TYPE: one line per user. */
/* The users of one type of profile name, those of MAC macs only unless it
 * is NULL. */
static int show_users(struct rbpd *d, FILE *f, const char *name, const char *word, const char *macs)
{
	struct prof *p;
	enum ut_svc type;
	struct ut_cursor c;
	struct ut_rec r;
	struct rbp_user u;
	uint8_t mac[RBP_MAC_LEN];
	size_t n = 0;

	for (p = d->profs; p && strcmp(p->name, name); p = p->next)
		;
	if (p == NULL) {
		fprintf(f, "Error: The remote backup profile %s does not exist.", name);
		return 0;
	}
	if (ut_svc_parse(word, &type) < 0 || type == UT_SVC_ALL) {
		fprintf(f, "Error: Unknown service type %s.", word);
		return 0;
	}
	if (macs && mac_parse(macs, mac) < 0) {
		fprintf(f, "Error: Wrong MAC address %s (H-H-H, or six bytes with ':' or '-').",
			macs);
		return 0;
	}
	fprintf(f, "MAC            Interface       Role    Version           User\n");
	if (p->ch == NULL || ut_cursor_open(p->ch->t, &c, type) < 0)
		return 1;
	while (next_user(p, &c, &r, &u, macs ? mac : NULL)) {
		char ms[MAC_STRLEN], ifname[RBP_IFNAME_MAX + 1], a[INET6_ADDRSTRLEN];
		uint8_t addr[16];

		fprintf(f, "%-14s %-15s %-7s %-17" PRIu64 " ", mac_format(u.mac, ms), u.ifname,
			r.origin == UT_ORIGIN_LOCAL ? "master" : "backup", r.version);
		if ((type == UT_SVC_ARP || type == UT_SVC_ND) &&
		    rbp_rec_neigh_key_parse(type == UT_SVC_ARP ? AF_INET : AF_INET6, r.key,
					    r.key_len, addr, ifname) == 0) {
			fputs(
			    inet_ntop(type == UT_SVC_ARP ? AF_INET : AF_INET6, addr, a, sizeof(a)),
			    f);
		} else {
			put_bytes(f, r.key, r.key_len);
			fputc(' ', f);
			put_bytes(f, u.data, u.data_len);
		}
		fputc('\n', f);
		n++;
	}
	ut_cursor_close(&c);
	fprintf(f, "Total: %zu", n);
	return 1;
}

/* ---- display as JSON (docs/json.md) ---------------------------------------- */

static void json_prof(struct json_object *arr, struct prof *p)
{
	struct json_object *o = jout_push_obj(arr), *x, *y;
	struct chan *ch = p->ch;
	struct counts n;

	jout_str(o, "name", p->name);
	jout_str(o, "backup_mode", p->hot ? "hot" : "warm");
	if (p->backup_id)
		jout_u64(o, "backup_id", p->backup_id);
	else
		jout_str(o, "backup_id", NULL);
	x = jout_obj(o, "service");
	jout_str(x, "name", ch ? ch->name : NULL);
	jout_str(x, "channel", !ch ? NULL : !ch->attached ? "unknown" : ch->up ? "up" : "down");
	jout_str(x, "reason", ch && ch->reason[0] ? ch->reason : NULL);
	jout_str(x, "peer_consistency",
		 !ch || !ch->up	   ? NULL
		 : ch->mismatch[0] ? ch->mismatch
				   : "consistent");
	if (ch) {
		struct ut_mem m;
		char d[17];

		ut_mem(ch->t, &m);
		snprintf(d, sizeof(d), "%016" PRIx64, ut_digest(ch->t, UT_SVC_ALL));
		y = jout_obj(x, "table");
		jout_u64(y, "users", ut_count(ch->t, UT_SVC_ALL));
		jout_str(y, "digest", d);
		jout_u64(y, "bytes", m.entries + m.buckets);
		jout_u64(y, "batches_in", ch->batches_in);
		jout_u64(y, "batches_in_other_digest", ch->bad_batches);
		jout_u64(y, "batches_in_partial", ch->partial_batches_in);
		jout_bool(y, "whole", ch->whole);
		jout_u64(y, "batches_out", ch->batches_out);
		jout_u64(y, "queued", ch->q.len);
		jout_u64(y, "limit_users", rbpd_user_limit(p->d));
		json_ae(x, &ch->ae);
		y = jout_obj(x, "refused_from_peer");
		for (int r = 1; r < RBP_ADMIT_COUNT; r++)
			jout_u64(y, rbp_admit_name((enum rbp_admit)r), ch->refused[r]);
	}
	x = jout_arr(o, "bindings");
	for (size_t j = 0; j < p->nbind; j++) {
		struct pbind *pb = &p->bind[j];

		y = jout_push_obj(x);
		jout_u64(y, "vrid", pb->b.vrid);
		jout_str(y, "interface", pb->ifname);
		jout_str(y, "parity", pb->b.parity == RBP_PARITY_ODD ? "odd-mac" : "even-mac");
		jout_str(y, "group_state", state_word(pb->b.state));
		jout_str(y, "role", pb->role == RBP_ROLE_MASTER ? "master" : "backup");
		jout_bool(y, "download_delay_running", pb->withdrawing);
		{
			struct json_object *gt = jout_obj(y, "preempt_gate");
			char why[200];
			bool ready = rbpd_binding_ready(pb, why, sizeof(why));

			jout_u64(gt, "max_s", ch ? p->preempt_wait_max_s : 0);
			jout_bool(gt, "open", ready);
			jout_str(gt, "reason", ready ? NULL : why);
		}
		{
			struct json_object *dm = jout_obj(y, "dual_master");

			if (pb->dual.since)
				jout_u64(dm, "since", pb->dual.since);
			else
				jout_str(dm, "since", NULL);
			jout_str(dm, "peer_interface", pb->dual.since ? pb->dual_peer_if : NULL);
			jout_u64(dm, "count", pb->dual.count);
			jout_u64(dm, "last_seconds", pb->dual.last_s);
		}
		if (pb->restore_at_ns) {
			struct json_object *t = jout_obj(y, "last_takeover");
			char ms[32];

			/* json-c writes the text it is given: microseconds, not 17 digits */
			snprintf(ms, sizeof(ms), "%.3f", pb->restore_ms);
			jout_u64(t, "users_restored", pb->restored_users);
			jout_u64(t, "users_published", pb->restored_published);
			json_object_object_add(t, "restore_ms",
					       json_object_new_double_s(pb->restore_ms, ms));
			jout_u64(t, "at_ns", pb->restore_at_ns);
		}
	}
	x = jout_arr(o, "access_interfaces");
	for (size_t j = 0; j < p->nifaces; j++)
		json_object_array_add(x, json_object_new_string(p->ifaces[j]));
	count_users(p, &n);
	x = jout_obj(o, "users");
	for (int t = 0; t < UT_SVC_COUNT; t++) {
		y = jout_obj(x, ut_svc_name((enum ut_svc)t));
		jout_u64(y, "master", n.master[t]);
		jout_u64(y, "backup", n.backup[t]);
		jout_u64(y, "pending", n.pending[t]);
		jout_u64(y, "restored", p->restored[t]);
	}
}

/* A key or payload: text when printable (as display shows it), else hex. */
static void json_bytes(struct json_object *o, const char *key, const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 5), *w = s;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < n && p[i] > ' ' && p[i] < 0x7f; i++)
		;
	if (n && i == n) {
		memcpy(s, p, n);
		s[n] = 0;
	} else {
		w += sprintf(w, "hex:");
		for (i = 0; i < n; i++)
			w += sprintf(w, "%02x", p[i]);
	}
	jout_str(o, key, s);
	free(s);
}

/* display remote-backup-profile NAME users TYPE json */
static int json_users(struct rbpd *d, FILE *f, const char *name, const char *word, const char *macs)
{
	struct json_object *o = json_object_new_object(), *arr;
	struct prof *p;
	enum ut_svc type;
	struct ut_cursor c;
	struct ut_rec r;
	struct rbp_user u;
	uint8_t want[RBP_MAC_LEN];

	if (o == NULL)
		return 0;
	for (p = d->profs; p && strcmp(p->name, name); p = p->next)
		;
	if (p == NULL || ut_svc_parse(word, &type) < 0 || type == UT_SVC_ALL) {
		jout_str(o, "error",
			 p == NULL ? "The remote backup profile does not exist."
				   : "Unknown service type.");
		jout_write(f, o);
		return 0;
	}
	if (macs && mac_parse(macs, want) < 0) {
		jout_str(o, "error", "Wrong MAC address.");
		jout_write(f, o);
		return 0;
	}
	jout_str(o, "profile", p->name);
	jout_str(o, "service_type", ut_svc_name(type));
	if (macs) {
		char m[MAC_STRLEN];

		jout_str(o, "mac", mac_format(want, m));
	}
	arr = jout_arr(o, "users");
	if (p->ch && ut_cursor_open(p->ch->t, &c, type) == 0) {
		while (next_user(p, &c, &r, &u, macs ? want : NULL)) {
			struct json_object *x = jout_push_obj(arr);
			char mac[MAC_STRLEN], ifname[RBP_IFNAME_MAX + 1], a[INET6_ADDRSTRLEN];
			uint8_t addr[16];
			int fam = type == UT_SVC_ARP ? AF_INET : AF_INET6;

			jout_str(x, "mac", mac_format(u.mac, mac));
			jout_str(x, "interface", u.ifname);
			jout_str(x, "role", r.origin == UT_ORIGIN_LOCAL ? "master" : "backup");
			jout_u64(x, "version", r.version);
			if ((type == UT_SVC_ARP || type == UT_SVC_ND) &&
			    rbp_rec_neigh_key_parse(fam, r.key, r.key_len, addr, ifname) == 0) {
				jout_str(x, "address", inet_ntop(fam, addr, a, sizeof(a)));
			} else {
				json_bytes(x, "key", r.key, r.key_len);
				json_bytes(x, "data", u.data, u.data_len);
			}
		}
		ut_cursor_close(&c);
	}
	jout_u64(o, "total", json_object_array_length(arr));
	return jout_write(f, o);
}

static int display_json(struct rbpd *d, const char *name, FILE *f)
{
	struct json_object *o = json_object_new_object(), *arr, *k;
	size_t shown = 0;

	if (o == NULL)
		return 0;
	arr = jout_arr(o, "profiles");
	for (struct prof *p = d->profs; p; p = p->next) {
		if (name && strcmp(name, p->name))
			continue;
		shown++;
		json_prof(arr, p);
	}
	if (name && shown == 0) {
		json_object_put(o);
		o = json_object_new_object();
		jout_str(o, "error", "The remote backup profile does not exist.");
		jout_write(f, o);
		return 0;
	}
	jout_u64(o, "download_delay_s", d->running ? d->running->download_delay_s : 0);
	k = jout_obj(o, "kernel");
	jout_u64(k, "installed", d->kern_installed);
	jout_u64(k, "removed", d->kern_removed);
	jout_u64(k, "refused", d->kern_errors);
	jout_u64(k, "repaired", d->kern_repaired);
	return jout_write(f, o);
}

/* ctl_query_fn */
int rbpd_display(void *arg, const Db__Query *q, FILE *f, Db__QueryReply *r)
{
	struct rbpd *d = arg;
	const char *name = q->name[0] ? q->name : NULL;
	const char *mac = q->mac[0] ? q->mac : NULL;
	size_t shown = 0;

	(void)r;
	if (q->kind == DB__QUERY_KIND__QUERY_RBP_USERS)
		return q->json ? json_users(d, f, q->name, q->service, mac)
			       : show_users(d, f, q->name, q->service, mac);
	if (q->kind != DB__QUERY_KIND__QUERY_RBP)
		return 0; /* not rbpd's: ctl says so */
	if (q->json)
		return display_json(d, name, f);
	for (struct prof *p = d->profs; p; p = p->next) {
		if (name && strcmp(name, p->name))
			continue;
		shown++;
		show_prof(f, p);
	}
	if (name && shown == 0) {
		fprintf(f, "Error: The remote backup profile %s does not exist.", name);
		return 0;
	}
	if (shown == 0)
		fprintf(f, "Info: No remote backup profile is configured.");
	else
		fprintf(f,
			"Download-vrrp-table delay: %u s\nKernel: %" PRIu64 " installed, %" PRIu64
			" removed, %" PRIu64 " refused, %" PRIu64 " repaired, at most %" PRIu64
			" installs",
			d->running ? d->running->download_delay_s : 0, d->kern_installed,
			d->kern_removed, d->kern_errors, d->kern_repaired, rbpd_kernel_limit(d));
	return 1;
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
		struct bus_opts pub = {
		    .type = ZMQ_PUB, .bind = 1, .endpoint = ep, .zap_domain = PEER_DOMAIN_DAEMON};

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
	cfgclient_test_hook_close();
	while (d->profs) {
		struct prof *p = d->profs;

		d->profs = p->next;
		prof_free(p);
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
