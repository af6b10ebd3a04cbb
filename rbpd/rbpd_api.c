/*
 * The user-information API (proto/user.proto): services of this device
 * hand rbpd their users on a ROUTER at RUNDIR/rbpd-users.ipc, and learn
 * the users restored at a takeover on a PUB at RUNDIR/rbpd-restored.ipc.
 *
 * A change is taken only for a user this device is master for: the
 * interface must be in a profile that backs users up, the MAC's parity
 * must have a binding in it, and that group must be master here. Anything
 * else is refused with the reason, change by change; the others of the
 * same request are taken.
 *
 * A request with `sync` is answered once the peer holds its changes: each
 * remote-backup-service its changes went to keeps it waiting (rbp_sync.h)
 * until rbsd's credit says the peer acknowledged them; a channel down, a
 * lost entry or the timeout answers "not backed up" with why. Replies to
 * one client (ROUTER identity) leave in the order of its requests, so a
 * request behind a waiting one waits too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/daemon.h"
#include "common/log.h"
#include "common/uvtimer.h"
#include "rbpd/rbp_api_req.h"
#include "rbpd/rbpd.h"
#include "user.pb-c.h"

#define MAX_CHANGES RBP_API_MAX_CHANGES
#define RESTORED_HWM 100000 /* messages of up to 1024 users each */
#define SYNC_DEFAULT_MS 1000
#define SYNC_MAX_MS 60000
#define PENDING_MAX 65536 /* replies held at most */
#define API_HWM (2 * PENDING_MAX)

/* A reply held back: waiting for the peer (sync), or behind one that is. */
struct pend {
	struct pend *next;
	uint64_t token;
	uint8_t id[256]; /* the client's ROUTER identity */
	size_t idlen;
	uint8_t *buf; /* the reply without its backup verdict */
	size_t len;
	bool sync, done, failed;
	unsigned parts; /* channels still to confirm */
	uint64_t deadline;
	char why[200];
};

/* Held in d->pend_head: npend of them, ndone of which done (not sent yet). */

/* Replays to late subscribers (on_subscribe): at most one per second,
 * however many subscribe, so that a client subscribing in a loop cannot
 * make rbpd walk its table again and again (d->replay_due). */
#define REPLAY_GAP_MS 1000

/* What rbp_sync_resolve() and rbp_sync_fail_all() give on_settled(). */
struct settled {
	struct rbpd *d;
	const char *why;
};

/* One change; returns NULL when taken, else why not (a static string or
 * buf). */
static const char *take(struct rbpd *d, const Db__UserChange *c, char *buf, size_t len)
{
	struct rbp_user u = {0};
	enum ut_svc type = (enum ut_svc)c->type;
	struct prof *p;
	struct pbind *pb;
	const char *why;
	int rc;

	why = rbp_api_change_check(c);
	if (why != NULL)
		return why;
	p = rbpd_prof_by_ifname(d, c->ifname);
	if (p == NULL) {
		snprintf(buf, len, "interface %s is in no remote-backup-profile", c->ifname);
		return buf;
	}
	if (p->ch == NULL) {
		snprintf(buf, len,
			 "remote-backup-profile %s has no backup-id and remote-backup-service: "
			 "nothing is backed up",
			 p->name);
		return buf;
	}
	memcpy(u.mac, c->mac.data, RBP_MAC_LEN);
	pb = rbpd_binding_for(p, u.mac);
	if (pb == NULL) {
		snprintf(buf, len, "remote-backup-profile %s has no %s binding for this MAC",
			 p->name, rbp_mac_parity(u.mac) == RBP_PARITY_ODD ? "odd-mac" : "even-mac");
		return buf;
	}
	if (pb->role != RBP_ROLE_MASTER) {
		snprintf(buf, len,
			 "this device is backup for the users of vrrp-id %u on %s (%s): the master "
			 "owns them",
			 pb->b.vrid, pb->ifname,
			 pb->b.parity == RBP_PARITY_ODD ? "odd-mac" : "even-mac");
		return buf;
	}
	u.backup_id = p->backup_id;
	snprintf(u.ifname, sizeof(u.ifname), "%s", c->ifname);
	u.data = c->payload.data;
	u.data_len = c->payload.len;
	rc = rbpd_local_change(p,
			       c->op == DB__USER_OP__USER_OP_ADD ? DB__RBS_OP__RBS_OP_ADD
								 : DB__RBS_OP__RBS_OP_DELETE,
			       type, c->key.data, c->key.len, &u);
	if (rc == -ENOENT)
		return "no such user";
	if (rc == -ENOSPC) {
		snprintf(buf, len,
			 "the table of remote-backup-service %s is full (peer-backup "
			 "user-limit %llu)",
			 p->ch->name, (unsigned long long)rbpd_user_limit(d));
		return buf;
	}
	if (rc < 0) {
		snprintf(buf, len, "not taken: %s", strerror(-rc));
		return buf;
	}
	return NULL;
}

static uint8_t *pack_reply(const Db__UserReply *rep, size_t *len)
{
	uint8_t *buf;

	*len = db__user_reply__get_packed_size(rep);
	buf = malloc(*len ? *len : 1);
	if (buf == NULL)
		fatal("malloc");
	db__user_reply__pack(rep, buf);
	return buf;
}

static bool same_client(const struct pend *a, const uint8_t *id, size_t idlen)
{
	return a->idlen == idlen && memcmp(a->id, id, idlen) == 0;
}

/* Sends every held reply that is done and has no earlier one of its
 * client still waiting. The verdict of a sync request goes as a second
 * UserReply packed after the first: protobuf merges them into one. */
static void send_ready(struct rbpd *d)
{
	const struct pend *blocked[64];
	size_t nb = 0, seen = 0;
	struct pend **pp = &d->pend_head;

	/* past the last one done nothing can go: stop there */
	while (*pp && seen < d->ndone) {
		struct pend *p = *pp;
		bool wait = !p->done;

		for (size_t i = 0; i < nb && !wait; i++)
			wait = same_client(blocked[i], p->id, p->idlen);
		if (wait) {
			seen += p->done;
			if (!p->done && nb < 64)
				blocked[nb++] = p;
			else if (!p->done)
				return; /* too many clients waiting: later */
			pp = &p->next;
			continue;
		}
		if (p->sync) {
			Db__UserReply v = DB__USER_REPLY__INIT;
			size_t vlen;
			uint8_t *vb, *all;

			v.backed_up = !p->failed;
			v.not_backed_up = p->failed ? p->why : NULL;
			vb = pack_reply(&v, &vlen);
			all = realloc(p->buf, p->len + vlen);
			if (all == NULL)
				fatal("realloc");
			memcpy(all + p->len, vb, vlen);
			free(vb);
			p->buf = all;
			p->len += vlen;
		}
		bus_send(d->api, p->id, p->idlen, p->buf, p->len);
		*pp = p->next;
		if (d->pend_tail == &p->next)
			d->pend_tail = pp;
		if (d->pend_hint == p)
			d->pend_hint = NULL;
		free(p->buf);
		free(p);
		d->npend--;
		d->ndone--;
	}
}

static struct pend *pend_find(struct rbpd *d, uint64_t token)
{
	struct pend *p = d->pend_hint && d->pend_hint->token <= token ? d->pend_hint : d->pend_head;

	for (; p; p = p->next)
		if (p->token == token)
			return d->pend_hint = p;
	return NULL;
}

static void settle(struct rbpd *d, struct pend *p, bool held, const char *why)
{
	if (p->done)
		return; /* timed out before */
	if (!held && !p->failed) {
		p->failed = true;
		if (why != p->why)
			snprintf(p->why, sizeof(p->why), "%s", why);
	}
	if (p->parts > 0)
		p->parts--;
	if (p->parts == 0) {
		p->done = true;
		d->ndone++;
	}
}

/* arg: a struct settled */
static void on_settled(uint64_t token, bool held, void *arg)
{
	const struct settled *x = arg;
	struct pend *p = pend_find(x->d, token);

	if (p)
		settle(x->d, p, held, x->why);
}

void rbpd_api_sync_resolve(struct chan *ch, uint64_t resolved, uint64_t lost)
{
	char why[200];
	struct settled x = {ch->d, why};

	if (rbp_sync_len(&ch->sync) == 0)
		return;
	snprintf(why, sizeof(why),
		 "remote-backup-service %s lost entries on the way (the channel was "
		 "resynchronised); the peer gets them in a batch backup",
		 ch->name);
	rbp_sync_resolve(&ch->sync, resolved, lost, on_settled, &x);
	send_ready(ch->d);
}

void rbpd_api_sync_fail(struct chan *ch, const char *why)
{
	struct settled x = {ch->d, why};

	if (rbp_sync_len(&ch->sync) == 0)
		return;
	rbp_sync_fail_all(&ch->sync, on_settled, &x);
	send_ready(ch->d);
}

static void on_sync_timer(uv_timer_t *t)
{
	struct rbpd *d = t->data;
	uint64_t now = uv_now(d->loop), next = 0;

	for (struct pend *p = d->pend_head; p; p = p->next) {
		if (p->done || !p->sync)
			continue;
		if (p->deadline <= now) {
			/* p->why says the timeout unless a failure came first */
			p->parts = 1;
			settle(d, p, false, p->why);
		} else if (next == 0 || p->deadline < next) {
			next = p->deadline;
		}
	}
	if (next)
		uv_timer_start(t, on_sync_timer, next - now, 0);
	send_ready(d);
}

/* Holds the reply of a request (packed in buf) until it may go: sync, it
 * waits for the channels whose changes it made (those with q_pushed past
 * api_mark); else it only waits behind the client's earlier replies. */
static void hold(struct rbpd *d, const struct bus_part *id, uint8_t *buf, size_t len,
		 const Db__UserRequest *req)
{
	struct pend *p = calloc(1, sizeof(*p));
	uint32_t ms = req->sync_timeout_ms ? req->sync_timeout_ms : SYNC_DEFAULT_MS;

	if (p == NULL)
		fatal("calloc");
	p->token = d->next_token++;
	p->idlen = id->len < sizeof(p->id) ? id->len : sizeof(p->id);
	memcpy(p->id, id->data, p->idlen);
	p->buf = buf;
	p->len = len;
	p->sync = req->sync;
	p->done = !req->sync;
	if (p->sync) {
		if (ms > SYNC_MAX_MS)
			ms = SYNC_MAX_MS;
		p->deadline = uv_now(d->loop) + ms;
		snprintf(p->why, sizeof(p->why), "the peer did not confirm within %u ms", ms);
		for (struct chan *ch = d->chans; ch; ch = ch->next) {
			if (ch->q_pushed == ch->api_mark)
				continue;
			if (!ch->up || !ch->attached) {
				p->failed = true;
				snprintf(p->why, sizeof(p->why),
					 "remote-backup-service %s is %s%s%s", ch->name,
					 ch->up ? "up but rbsd has not taken rbpd yet" : "down",
					 !ch->up && ch->reason[0] ? ": " : "",
					 ch->up ? "" : ch->reason);
				continue;
			}
			if (rbp_sync_add(&ch->sync, p->token, ch->api_mark + 1, ch->q_pushed) < 0) {
				p->failed = true;
				snprintf(p->why, sizeof(p->why), "out of memory");
				continue;
			}
			p->parts++;
		}
		if (p->parts == 0)
			p->done = true;
		else
			uvtimer_by(&d->sync_timer, on_sync_timer, ms);
	}
	*d->pend_tail = p;
	d->pend_tail = &p->next;
	d->npend++;
	d->ndone += p->done;
	send_ready(d);
}

static bool client_waits(const struct rbpd *d, const struct bus_part *id)
{
	for (struct pend *p = d->pend_head; p; p = p->next)
		if (same_client(p, id->data, id->len))
			return true;
	return false;
}

/* bus_recv_cb of the ROUTER: [identity, UserRequest]. */
static void on_request(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	static Db__UserError errs[MAX_CHANGES], *errp[MAX_CHANGES];
	static char texts[MAX_CHANGES][200];
	struct rbpd *d = arg;
	Db__UserReply rep = DB__USER_REPLY__INIT;
	Db__UserRequest *req;
	uint8_t *buf;
	size_t len;

	if (n != 2 || (req = db__user_request__unpack(NULL, parts[1].len, parts[1].data)) == NULL) {
		if (d->bad_requests++ % 1000 == 0)
			log_warnx("user API: malformed request dropped (%llu so far)",
				  (unsigned long long)d->bad_requests);
		return;
	}
	rep.id = req->id;
	rep.errors = errp;
	if (req->n_changes > MAX_CHANGES) {
		db__user_error__init(&errs[0]);
		errs[0].index = MAX_CHANGES;
		errs[0].error = "more than 1024 changes in one request: the rest were not taken";
		errp[rep.n_errors++] = &errs[0];
	}
	for (struct chan *ch = d->chans; ch; ch = ch->next)
		ch->api_mark = ch->q_pushed;
	for (size_t i = 0; i < req->n_changes && i < MAX_CHANGES; i++) {
		const char *why = take(d, req->changes[i], texts[i], sizeof(texts[i]));

		if (why == NULL) {
			rep.applied++;
			continue;
		}
		if (rep.n_errors < MAX_CHANGES) {
			db__user_error__init(&errs[rep.n_errors]);
			errs[rep.n_errors].index = (uint32_t)i;
			errs[rep.n_errors].error = (char *)why;
			errp[rep.n_errors] = &errs[rep.n_errors];
			rep.n_errors++;
		}
	}
	if (req->sync && d->npend >= PENDING_MAX) {
		rep.backed_up = false;
		rep.not_backed_up = "too many requests wait for the peer; not waited for";
		req->sync = false;
	}
	buf = pack_reply(&rep, &len);
	if (req->sync || client_waits(d, &parts[0])) {
		hold(d, &parts[0], buf, len, req);
	} else {
		bus_send(s, parts[0].data, parts[0].len, buf, len);
		free(buf);
	}
	db__user_request__free_unpacked(req, NULL);
}

void rbpd_api_publish_restored(struct rbpd *d, enum ut_svc type, const struct rbp_user *users,
			       const uint8_t *const *keys, const size_t *klens, size_t n,
			       bool replay)
{
	static Db__UserChange ch[1024], *chp[1024];
	static char names[1024][RBP_IFNAME_MAX + 1];
	Db__UserRestored m = DB__USER_RESTORED__INIT;
	const char *word = ut_svc_name(type);
	uint8_t *buf;
	size_t len;

	if (d->restored_pub == NULL || n == 0)
		return;
	if (n > 1024)
		n = 1024;
	for (size_t i = 0; i < n; i++) {
		db__user_change__init(&ch[i]);
		ch[i].op = DB__USER_OP__USER_OP_ADD;
		ch[i].type = (Db__RbsServiceType)type;
		ch[i].mac.data = (uint8_t *)users[i].mac;
		ch[i].mac.len = RBP_MAC_LEN;
		memcpy(names[i], users[i].ifname, sizeof(names[i]));
		ch[i].ifname = names[i];
		ch[i].key.data = (uint8_t *)keys[i];
		ch[i].key.len = klens[i];
		ch[i].payload.data = (uint8_t *)users[i].data;
		ch[i].payload.len = users[i].data_len;
		chp[i] = &ch[i];
	}
	m.type = (Db__RbsServiceType)type;
	m.users = chp;
	m.n_users = n;
	m.replay = replay;
	len = db__user_restored__get_packed_size(&m);
	buf = malloc(len ? len : 1);
	if (buf == NULL)
		fatal("malloc");
	db__user_restored__pack(&m, buf);
	/* PUB: the type's word, then the message */
	bus_send(d->restored_pub, word, strlen(word), buf, len);
	free(buf);
}

void rbpd_api_publish_roles(struct rbpd *d, uint32_t replayed)
{
	Db__UserRoles m = DB__USER_ROLES__INIT;
	Db__UserRole *roles, **ptrs;
	size_t n = 0, max = 0;
	uint8_t *buf;
	size_t len;

	if (d->restored_pub == NULL)
		return;
	for (struct prof *p = d->profs; p; p = p->next)
		max += p->nbind;
	roles = calloc(max ? max : 1, sizeof(*roles));
	ptrs = calloc(max ? max : 1, sizeof(*ptrs));
	if (roles == NULL || ptrs == NULL)
		fatal("calloc");
	for (struct prof *p = d->profs; p; p = p->next)
		for (size_t j = 0; j < p->nbind; j++, n++) {
			const struct pbind *pb = &p->bind[j];

			db__user_role__init(&roles[n]);
			roles[n].profile = p->name;
			roles[n].ifname = (char *)pb->ifname;
			roles[n].vrid = pb->b.vrid;
			roles[n].odd_mac = pb->b.parity == RBP_PARITY_ODD;
			roles[n].master = pb->role_known && pb->role == RBP_ROLE_MASTER;
			roles[n].restored_at_ms = roles[n].master ? pb->whole_at_ms : 0;
			ptrs[n] = &roles[n];
		}
	m.roles = ptrs;
	m.n_roles = n;
	m.replayed = replayed;
	len = db__user_roles__get_packed_size(&m);
	buf = malloc(len ? len : 1);
	if (buf == NULL)
		fatal("malloc");
	db__user_roles__pack(&m, buf);
	bus_send(d->restored_pub, "role", 4, buf, len);
	free(buf);
	free(ptrs);
	free(roles);
}

static void on_replay(uv_timer_t *t)
{
	struct rbpd *d = t->data;

	uint32_t replayed = 0;

	d->replay_last = uv_now(d->loop);
	if (d->replay_due[UT_SVC_COUNT]) {
		rbpd_replay_masters(d, -1);
		replayed = (1u << UT_SVC_COUNT) - 1;
	} else {
		for (int k = 0; k < UT_SVC_COUNT; k++)
			if (d->replay_due[k]) {
				rbpd_replay_masters(d, k);
				replayed |= 1u << k;
			}
	}
	memset(d->replay_due, 0, sizeof(d->replay_due));
	/* the subscribers learn the replay is whole (UserRoles.replayed) */
	rbpd_api_publish_roles(d, replayed);
}

/* A replay of type t (UT_SVC_COUNT: every type) soon: within 1 ms, or once
 * a second has passed since the last one. */
static void replay_soon(struct rbpd *d, int t)
{
	uint64_t now = uv_now(d->loop), wait = 1;

	d->replay_due[t] = true;
	if (!d->replay_timer_init || uv_is_active((uv_handle_t *)&d->replay_timer))
		return;
	if (d->replay_last && now < d->replay_last + REPLAY_GAP_MS)
		wait = d->replay_last + REPLAY_GAP_MS - now;
	uv_timer_start(&d->replay_timer, on_replay, wait, 0);
}

/* bus_recv_cb of the restored users' XPUB: a subscription ([1][word])
 * from a service that just came, or came back after rbpd restarted. It
 * gets the users of that type this device is master of (all types for
 * the empty word), and the roles at once for "role". */
bool rbpd_api_subscribed(const struct rbpd *d, enum ut_svc t)
{
	const char *w = ut_svc_name(t);

	if (d->sub_many)
		return true;
	for (unsigned i = 0; i < d->n_sub_topics; i++)
		if (strncmp(w, d->sub_topic[i], strlen(d->sub_topic[i])) == 0)
			return true; /* ZeroMQ matches a topic as a prefix */
	return false;
}

/* Keeps the set of topics subscribed to: [1][topic] or [0][topic]. */
static void note_topic(struct rbpd *d, bool on, const uint8_t *word, size_t len)
{
	unsigned i;

	for (i = 0; i < d->n_sub_topics; i++)
		if (strlen(d->sub_topic[i]) == len && memcmp(d->sub_topic[i], word, len) == 0)
			break;
	if (!on && i < d->n_sub_topics)
		memcpy(d->sub_topic[i], d->sub_topic[--d->n_sub_topics], sizeof(d->sub_topic[i]));
	else if (on && i == d->n_sub_topics && len <= RBPD_SUB_TOPIC_MAX &&
		 memchr(word, 0, len) == NULL && i < RBPD_SUB_TOPICS) {
		memcpy(d->sub_topic[i], word, len);
		d->sub_topic[i][len] = '\0';
		d->n_sub_topics++;
	} else if (on && i == d->n_sub_topics) {
		d->sub_many = true; /* for good: publishing is always right */
	}
}

static void on_subscribe(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	struct rbpd *d = arg;
	const uint8_t *word;
	size_t len;

	(void)s;
	if (n != 1 || parts[0].len < 1 || ((const uint8_t *)parts[0].data)[0] > 1)
		return; /* not a subscription */
	word = (const uint8_t *)parts[0].data + 1;
	len = parts[0].len - 1;
	note_topic(d, ((const uint8_t *)parts[0].data)[0] == 1, word, len);
	if (((const uint8_t *)parts[0].data)[0] == 0)
		return; /* its end */
	if (len == 4 && memcmp(word, "role", 4) == 0) {
		rbpd_api_publish_roles(d, 0);
		return;
	}
	if (len == 0) {
		replay_soon(d, UT_SVC_COUNT);
		return;
	}
	for (int t = 0; t < UT_SVC_COUNT; t++) {
		const char *w = ut_svc_name((enum ut_svc)t);

		if (strlen(w) == len && memcmp(w, word, len) == 0) {
			replay_soon(d, t);
			return;
		}
	}
}

int rbpd_api_init(struct rbpd *d)
{
	char ep[512];
	/* The user API: root, the daemons' user and the dualbackup group. */
	/* A ROUTER drops what does not fit a client's queue: room for every
	 * reply held (PENDING_MAX, released in bursts when the peer's
	 * acknowledgment comes) and more. */
	struct bus_opts r = {.type = ZMQ_ROUTER,
			     .bind = 1,
			     .endpoint = ep,
			     .cb = on_request,
			     .arg = d,
			     .zap_domain = PEER_DOMAIN_CLIENT,
			     .hwm = API_HWM};
	struct bus_opts p = {.type = ZMQ_XPUB,
			     .bind = 1,
			     .endpoint = ep,
			     .hwm = RESTORED_HWM,
			     .cb = on_subscribe,
			     .arg = d,
			     .zap_domain = PEER_DOMAIN_CLIENT};
	int rc;

	if (d->pend_tail == NULL)
		d->pend_tail = &d->pend_head;
	if (d->next_token == 0)
		d->next_token = 1;
	if ((rc = daemon_endpoint(ep, sizeof(ep), d->rundir, "rbpd-users")) < 0 ||
	    (rc = bus_open(&d->api, d->loop, d->zctx, &r)) < 0)
		return rc;
	if (!d->sync_timer_init) {
		uv_timer_init(d->loop, &d->sync_timer);
		d->sync_timer.data = d;
		d->sync_timer_init = true;
	}
	if (!d->replay_timer_init) {
		uv_timer_init(d->loop, &d->replay_timer);
		d->replay_timer.data = d;
		d->replay_timer_init = true;
	}
	if ((rc = daemon_endpoint(ep, sizeof(ep), d->rundir, "rbpd-restored")) < 0)
		return rc;
	return bus_open(&d->restored_pub, d->loop, d->zctx, &p);
}

void rbpd_api_close(struct rbpd *d)
{
	while (d->pend_head) {
		struct pend *p = d->pend_head;

		d->pend_head = p->next;
		free(p->buf);
		free(p);
	}
	d->pend_tail = &d->pend_head;
	d->pend_hint = NULL;
	d->npend = d->ndone = 0;
	if (d->sync_timer_init) {
		uv_close((uv_handle_t *)&d->sync_timer, NULL);
		d->sync_timer_init = false;
	}
	if (d->replay_timer_init) {
		uv_close((uv_handle_t *)&d->replay_timer, NULL);
		d->replay_timer_init = false;
	}
	if (d->api)
		bus_close(d->api);
	if (d->restored_pub)
		bus_close(d->restored_pub);
	d->api = d->restored_pub = NULL;
}
