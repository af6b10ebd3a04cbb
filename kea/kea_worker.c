#include "kea/kea_worker.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/strmap.h"
#include "kea/kea_ctrl.h"
#include "kea/kea_json.h"
#include "kea/kea_lease.h"
#include "kea/kea_role.h"
#include "rbpclient/rbp_client.h"

#define SVC_DHCP_SERVER 2     /* RbsServiceType RBS_SVC_DHCP_SERVER */
#define QUEUE_MAX 1000000     /* events queued at most; beyond, a catch-up follows */
#define CTRL_TIMEOUT_MS 10000 /* one control-socket command */
#define CMD_MAX (KL_CTX_MAX * 2 + 4096)
#define RETRY_MIN_MS 1000  /* a catch-up again after rbpd refused a lease ... */
#define RETRY_MAX_MS 60000 /* ... doubling while it refuses, to this */

struct event {
	struct event *next;
	void *cookie; /* parked (kw_event_parked()), or NULL */
	bool del;
	char iface[KR_IFNAME_MAX + 1];
	size_t len;
	char json[];
};

static struct {
	struct kw_opts o;
	char rundir[256], ctrl[256];
	pthread_t thread;
	bool running;
	int efd; /* wakes the worker: events queued, or stop */

	pthread_mutex_t lock; /* the queue, the roles, stop */
	struct event *head, *tail;
	size_t queued;
	bool overflow; /* events dropped: catch up */
	bool stop;
	struct kr_table roles;

	/* the worker's own */
	struct rbpc *c;
	bool catchup; /* due once the roles are known */
	/* Catch up (again) when a binding turns master: rbpd refused a lease,
	 * or it is new to us (the hook started, or rbpd restarted): it may
	 * not have known its configuration or vrrpd's states at the first
	 * catch-up, which then handed over nothing or was refused. */
	bool retry;
	/* roles have come since (re)connecting to rbpd: the earlier ones are
	 * another rbpd's, and a binding master in both is still new to this one */
	bool roles_fresh;
	/* and, whatever the roles do, again retry_ms after a refusal while a
	 * binding is master here: 1 s, doubling to 60 s while rbpd refuses
	 * (a restarted rbpd that had its configuration after the lease) */
	uint64_t retry_at, retry_ms;
	/* The keys of the leases rbpd restored or replayed since the last
	 * roles came. When those roles say the restore was whole (a binding
	 * became master from the peer's whole table, or a replay), Kea's
	 * leases of that binding's clients that are not among them and are
	 * not Kea's own record (kr_lease_keas()) are removed: their clients
	 * left while the peer was master. */
	struct strmap *got;
	uint64_t sent, skipped, restored, refused;
	uint64_t stale_kept, pruned; /* leases not handed over / removed, as above */
	uint64_t replay_kept; /* replayed leases Kea already held */
	/* a replayed lease could not reach Kea's control socket (Kea not
	 * listening yet, at its start): ask rbpd for the replay again once a
	 * command to Kea has worked */
	bool replay_again;
	uint64_t parked, unbacked; /* parked events, and those done not backed up */
	bool flush_unbacked;	   /* rbpd answered "not backed up" in this flush */
	void **cookies;		   /* the parked events of one drain */
	size_t ncookies, cookies_cap;
} w = {.lock = PTHREAD_MUTEX_INITIALIZER, .efd = -1};

static void logf_(enum kw_level lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(enum kw_level lv, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (w.o.log)
		w.o.log(lv, buf);
}

bool kw_answers(const uint8_t mac[6], const char *iface)
{
	bool yes;

	pthread_mutex_lock(&w.lock);
	yes = mac ? kr_answers(&w.roles, mac, iface) : w.roles.known;
	pthread_mutex_unlock(&w.lock);
	return yes;
}

bool kw_sync(void)
{
	return w.running && w.o.sync_ms > 0;
}

void kw_event(const char *json, size_t len, bool del, const char *iface)
{
	kw_event_parked(json, len, del, iface, NULL);
}

void kw_event_parked(const char *json, size_t len, bool del, const char *iface, void *cookie)
{
	struct event *e;
	uint64_t one = 1;
	bool wake;

	if (!w.running) {
		if (cookie)
			w.o.done(cookie, 0);
		return;
	}
	e = malloc(sizeof(*e) + len + 1);
	pthread_mutex_lock(&w.lock);
	if (e == NULL || w.queued >= QUEUE_MAX) {
		w.overflow = true;
		pthread_mutex_unlock(&w.lock);
		free(e);
		if (cookie)
			w.o.done(cookie, 0); /* answered, not backed up: a catch-up follows */
		return;
	}
	wake = w.head == NULL; /* else the worker has been woken already */
	e->next = NULL;
	e->cookie = cookie;
	e->del = del;
	snprintf(e->iface, sizeof(e->iface), "%s", iface ? iface : "");
	e->len = len;
	memcpy(e->json, json, len);
	e->json[len] = '\0';
	if (w.tail)
		w.tail->next = e;
	else
		w.head = e;
	w.tail = e;
	w.queued++;
	pthread_mutex_unlock(&w.lock);
	if (wake && write(w.efd, &one, sizeof(one)) < 0) {
		/* the counter is already non-zero: the worker will look */
	}
}

/* ---- to rbpd ---------------------------------------------------------------- */

/* strmap_del_if(): every key */
static bool drop_key(const char *k, void *v, void *arg)
{
	(void)k;
	(void)v;
	(void)arg;
	return true;
}

static void reconnect(const char *why)
{
	logf_(KW_WARN, "rbpd did not answer (%s): connecting again, then handing over every lease",
	      why);
	rbpc_close(w.c);
	w.c = NULL;
	w.catchup = true;
	w.retry = true;
	w.roles_fresh = false;
	if (w.got) /* what the earlier connection restored */
		strmap_del_if(w.got, drop_key, NULL);
}

static void on_unbacked(void *arg, uint64_t first, uint64_t last, const char *why)
{
	static time_t logged;
	static uint64_t n;
	time_t now = time(NULL);

	(void)arg;
	w.flush_unbacked = true;
	n += last - first + 1;
	/* at most one line every 10 s: a peer down would otherwise flood */
	if (now - logged >= 10) {
		logf_(KW_WARN, "%" PRIu64 " lease changes answered before the peer held them: %s",
		      n, why);
		logged = now;
		n = 0;
	}
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_refused(void *arg, uint64_t seq, const char *error)
{
	(void)arg;
	(void)seq;
	w.refused++;
	/* A restarted rbpd refuses until it knows its configuration and
	 * vrrpd's states: hand the leases over again once it says this device
	 * is master, or after retry_ms. */
	w.retry = true;
	if (w.retry_at == 0)
		w.retry_at = mono_ms() + w.retry_ms;
	logf_(KW_WARN, "rbpd refused a lease: %s", error);
}

/* One lease to rbpd, when this device is master for its client; from
 * Kea's database (the catch-up), only when it is Kea's own record
 * (kr_lease_keas()): a lease rbpd dropped while the peer was master must
 * not come back from a copy of before. */
static int hand_over(const struct kea_lease *l, bool del, const char *iface, bool from_db)
{
	uint8_t mac[6], key[KL_KEY_MAX], payload[KL_PAYLOAD_MAX];
	struct kr_binding b;
	const struct kr_binding *pb;
	size_t klen = kea_lease_key(l, key);
	int plen, rc;

	if (kea_lease_mac(l, mac) < 0) {
		w.skipped++;
		return 0; /* no MAC: no group decides it */
	}
	pthread_mutex_lock(&w.lock);
	pb = kr_decide(&w.roles, mac, iface);
	if (pb)
		b = *pb;
	pthread_mutex_unlock(&w.lock);
	if (pb == NULL || !b.master) {
		w.skipped++;
		return 0;
	}
	if (from_db && !kr_lease_keas(&b, l->cltt)) {
		w.stale_kept++;
		return 0;
	}
	if (del) {
		rc = rbpc_delete(w.c, SVC_DHCP_SERVER, mac, b.ifname, key, klen);
	} else {
		if ((plen = kea_lease_encode(l, payload, sizeof(payload))) < 0)
			return plen;
		rc =
		    rbpc_add(w.c, SVC_DHCP_SERVER, mac, b.ifname, key, klen, payload, (size_t)plen);
	}
	if (rc == 0)
		w.sent++;
	return rc;
}

static void one_event(const struct event *e)
{
	struct kea_lease l;
	const char *why = NULL;
	int rc;

	if (kea_lease_from_text(e->json, e->len, w.o.family, &l, &why) < 0) {
		logf_(KW_WARN, "a lease event from Kea skipped: %s: %.200s",
		      why ? why : "malformed", e->json);
		return;
	}
	rc = hand_over(&l, e->del, e->iface, false);
	if (rc == -EINVAL)
		logf_(KW_WARN, "a lease skipped: rbpd cannot carry it: %.200s", e->json);
	else if (rc < 0)
		reconnect(strerror(-rc));
}

static void keep_cookie(void *cookie)
{
	if (w.ncookies == w.cookies_cap) {
		size_t cap = w.cookies_cap ? w.cookies_cap * 2 : 256;
		void **c = realloc(w.cookies, cap * sizeof(*c));

		if (c == NULL) {
			w.o.done(cookie, 0);
			return;
		}
		w.cookies = c;
		w.cookies_cap = cap;
	}
	w.cookies[w.ncookies++] = cookie;
	w.parked++;
}

/* The parked events of this drain are done once rbpd has answered every
 * change sent: in the synchronous mode, once the peer holds them. The
 * worker stopping releases them without an answer. */
static void release_parked(void)
{
	int status = -1, rc;
	bool stop;

	pthread_mutex_lock(&w.lock);
	stop = w.stop;
	pthread_mutex_unlock(&w.lock);
	if (!stop) {
		w.flush_unbacked = false;
		rc = w.c ? rbpc_flush(w.c) : -ENOTCONN;
		status = rc >= 0 && !w.flush_unbacked;
		if (rc < 0 && w.c)
			reconnect(strerror(-rc));
	}
	for (size_t i = 0; i < w.ncookies; i++)
		w.o.done(w.cookies[i], status);
	if (status == 0)
		w.unbacked += w.ncookies;
	w.ncookies = 0;
}

/* Takes the queued events and hands them over, in order. */
static void drain(void)
{
	struct event *e;
	bool overflow;

	pthread_mutex_lock(&w.lock);
	e = w.head;
	w.head = w.tail = NULL;
	w.queued = 0;
	overflow = w.overflow;
	w.overflow = false;
	pthread_mutex_unlock(&w.lock);
	if (overflow) {
		logf_(KW_WARN,
		      "lease events dropped (more than %d queued): handing over every lease",
		      QUEUE_MAX);
		w.catchup = true;
	}
	w.ncookies = 0;
	while (e) {
		struct event *next = e->next;

		if (w.c)
			one_event(e);
		if (e->cookie)
			keep_cookie(e->cookie);
		free(e);
		e = next;
	}
	if (w.ncookies)
		release_parked();
}

/* The command that lists Kea's leases, by name. */
static const char *get_all_name(void)
{
	return w.o.family == 4 ? "lease4-get-all" : "lease6-get-all";
}

/*
 * Every lease Kea holds (get_all_name()): 0 with *leases the array inside
 * *a, NULL when Kea holds none (its result 3); -EIO for an error result,
 * -EBADMSG for a success without a lease array, or the command's negative
 * errno. *a is the caller's to put in every case.
 */
static int kea_all_leases(struct json_object **a, struct json_object **leases)
{
	char cmd[64];
	struct json_object *args;
	int rc;

	*a = *leases = NULL;
	snprintf(cmd, sizeof(cmd), "{\"command\":\"%s\"}", get_all_name());
	rc = kc_command(w.ctrl, cmd, CTRL_TIMEOUT_MS, a);
	if (rc < 0)
		return rc;
	if (kc_result(*a) == 3)
		return 0;
	if (kc_result(*a) != 0)
		return -EIO;
	if (!json_object_object_get_ex(*a, "arguments", &args) ||
	    !json_object_object_get_ex(args, "leases", leases) ||
	    !json_object_is_type(*leases, json_type_array)) {
		*leases = NULL;
		return -EBADMSG;
	}
	return 0;
}

/* kea_all_leases()'s failure in words */
static const char *all_leases_error(int rc)
{
	return rc == -EIO || rc == -EBADMSG ? "an error result" : strerror(-rc);
}

/* Every lease of Kea's database to rbpd again (see kea_worker.h). */
static void catch_up(void)
{
	struct json_object *a, *leases;
	size_t n, i, bad = 0;
	int rc;

	rc = kea_all_leases(&a, &leases);
	if (rc < 0 && rc != -EBADMSG) {
		logf_(KW_WARN, "catching up: %s on %s failed (%s): trying again", get_all_name(),
		      w.ctrl, all_leases_error(rc));
		json_object_put(a);
		return;
	}
	w.catchup = false;
	if (leases) {
		n = json_object_array_length(leases);
		for (i = 0; i < n && w.c; i++) {
			struct kea_lease l;

			if (kea_lease_from_json(json_object_array_get_idx(leases, i), w.o.family,
						&l, NULL) < 0)
				bad++;
			else if ((rc = hand_over(&l, false, NULL, true)) < 0 && rc != -EINVAL)
				reconnect(strerror(-rc));
		}
		logf_(KW_INFO,
		      "caught up: %zu leases of Kea's database handed to rbpd (%zu skipped as "
		      "malformed)",
		      n, bad);
	}
	json_object_put(a);
}

/* ---- from rbpd ----------------------------------------------------------------- */

/* The lease's key as text (kea_lease_key()), NUL-terminated. */
static const char *key_text(const struct kea_lease *l, char buf[KL_KEY_MAX + 1])
{
	size_t n = kea_lease_key(l, (uint8_t *)buf);

	buf[n] = '\0';
	return buf;
}

/*
 * Binding b of t became master from the peer's whole table, and every
 * lease rbpd holds for its clients has come since the last roles (w.got):
 * the leases of its clients Kea holds beyond those, written before the
 * takeover, are removed from Kea. Kea does not answer b's clients yet
 * (the roles are taken after this), or, after a replay, has answered
 * them only since the takeover (kr_lease_keas() keeps those).
 */
static void prune(const struct kr_table *t, size_t bi)
{
	const struct kr_binding *b = &t->b[bi];
	char cmd[CMD_MAX], key[KL_KEY_MAX + 1];
	struct json_object *a, *leases;
	size_t n, i, removed = 0, failed = 0;
	int rc;

	rc = kea_all_leases(&a, &leases);
	if (rc < 0)
		logf_(KW_WARN,
		      "vrrp-id %u interface %s: cannot look for leases left from before the "
		      "takeover: %s on %s failed (%s)",
		      b->vrid, b->ifname, get_all_name(), w.ctrl, all_leases_error(rc));
	if (leases == NULL) {
		json_object_put(a);
		return;
	}
	n = json_object_array_length(leases);
	for (i = 0; i < n; i++) {
		struct kea_lease l;
		struct json_object *r = NULL;
		uint8_t mac[6];

		if (kea_lease_from_json(json_object_array_get_idx(leases, i), w.o.family, &l,
					NULL) < 0 ||
		    kea_lease_mac(&l, mac) < 0 || kr_decide(t, mac, NULL) != b ||
		    kr_lease_keas(b, l.cltt) || strmap_get(w.got, key_text(&l, key)) != NULL ||
		    kea_lease_del_cmd(&l, cmd, sizeof(cmd)) < 0)
			continue;
		rc = kc_command(w.ctrl, cmd, CTRL_TIMEOUT_MS, &r);
		if (rc == 0 && kc_result(r) == 0)
			removed++;
		else
			failed++;
		json_object_put(r);
	}
	json_object_put(a);
	w.pruned += removed;
	if (removed || failed)
		logf_(KW_INFO,
		      "vrrp-id %u interface %s (%s-mac): %zu leases removed from Kea (%zu could "
		      "not be): written before this device took the group over, and not among "
		      "the leases rbpd holds: their clients left while the peer was master",
		      b->vrid, b->ifname, b->odd ? "odd" : "even", removed, failed);
}

static void on_restored(void *arg, const struct rbpc_user *u)
{
	struct kea_lease l;
	char cmd[CMD_MAX], key[KL_KEY_MAX + 1];
	struct json_object *a = NULL;
	int rc;

	(void)arg;
	if (u->type != SVC_DHCP_SERVER || kea_lease_decode(u->payload, u->payload_len, &l) < 0) {
		w.skipped++;
		return;
	}
	if (l.family != w.o.family)
		return; /* the other Kea's */
	if (w.got && strmap_get(w.got, key_text(&l, key)) == NULL &&
	    strmap_put(w.got, key, w.got) < 0)
		logf_(KW_WARN, "out of memory: a restored lease may be taken as stale");
	/* a replay (this hook came after the takeover): add what Kea lacks,
	 * keep what it holds */
	if ((u->replay ? kea_lease_add_cmd(&l, cmd, sizeof(cmd))
		       : kea_lease_update_cmd(&l, cmd, sizeof(cmd))) < 0)
		return;
	rc = kc_command(w.ctrl, cmd, CTRL_TIMEOUT_MS, &a);
	if (rc < 0 && u->replay) {
		w.replay_again = true;
		json_object_put(a);
		return;
	}
	if (rc == 0 && kc_result(a) == 0)
		w.restored++;
	else if (rc == 0 && u->replay && kc_result(a) != 0 && kc_text_has(a, "exists"))
		w.replay_kept++; /* Kea has its own lease of the address */
	else
		logf_(KW_ERROR, "a restored lease was not put into Kea: %s: %.200s",
		      rc < 0 ? strerror(-rc) : json_object_to_json_string(a), cmd);
	json_object_put(a);
}

static void on_roles(void *arg, const struct rbpc_role *r, size_t n)
{
	struct kr_table t = {.known = true};
	bool first;

	(void)arg;
	for (size_t i = 0; i < n && t.n < KR_MAX; i++, t.n++) {
		snprintf(t.b[t.n].ifname, sizeof(t.b[t.n].ifname), "%s", r[i].ifname);
		t.b[t.n].vrid = r[i].vrid;
		t.b[t.n].odd = r[i].odd_mac;
		t.b[t.n].master = r[i].master;
		t.b[t.n].restored_at_ms = r[i].master ? r[i].restored_at_ms : 0;
	}
	/* Before Kea answers a binding's clients: the leases left from before
	 * its takeover, once rbpd's restore of it is known whole. The worker
	 * alone writes w.roles: read here without the lock. */
	for (size_t i = 0; i < t.n && w.got; i++) {
		const struct kr_binding *old = i < w.roles.n ? &w.roles.b[i] : NULL;
		bool turned = w.roles.known && w.roles_fresh && old && !old->master &&
			      old->vrid == t.b[i].vrid && old->odd == t.b[i].odd &&
			      strcmp(old->ifname, t.b[i].ifname) == 0;

		if (t.b[i].master && t.b[i].restored_at_ms && (turned || r[i].replayed))
			prune(&t, i);
	}
	if (w.got)
		strmap_del_if(w.got, drop_key, NULL);
	pthread_mutex_lock(&w.lock);
	first = !w.roles.known;
	for (size_t i = 0; i < t.n && !first; i++) {
		const struct kr_binding *old = i < w.roles.n ? &w.roles.b[i] : NULL;
		const struct kr_binding *seen = w.roles_fresh ? old : NULL;

		if (t.b[i].master && (seen == NULL || !seen->master) && w.retry) {
			w.retry = false;
			w.catchup = true;
		}
		if (old == NULL || old->master != t.b[i].master)
			logf_(KW_INFO, "vrrp-id %u interface %s (%s-mac): %s", t.b[i].vrid,
			      t.b[i].ifname, t.b[i].odd ? "odd" : "even",
			      t.b[i].master ? "master: answering its clients"
					    : "backup: not answering its clients");
	}
	w.roles = t;
	w.roles_fresh = true;
	pthread_mutex_unlock(&w.lock);
	if (first)
		logf_(KW_INFO,
		      "roles known from rbpd (%zu bindings): answering the clients this "
		      "device is master for",
		      t.n);
}

static int open_rbpd(void)
{
	char err[200];

	w.c = rbpc_open(w.rundir, err, sizeof(err));
	if (w.c == NULL) {
		logf_(KW_ERROR, "rbpd's user API: %s", err);
		return -ENOMEM;
	}
	rbpc_on_error(w.c, on_refused, NULL);
	rbpc_on_not_backed_up(w.c, on_unbacked, NULL);
	if (w.o.sync_ms > 0) {
		rbpc_set_sync(w.c, w.o.sync_ms);
		rbpc_set_timeout(w.c, w.o.sync_ms + 1000);
	}
	if (rbpc_subscribe(w.c, SVC_DHCP_SERVER) < 0 ||
	    rbpc_subscribe_roles(w.c, on_roles, NULL) < 0)
		return -EIO;
	return 0;
}

/* ---- the counters, as Kea statistics ---------------------------------------------- */

static const struct {
	const char *name;
	const uint64_t *v;
} stats[] = {
    {"rbp-leases-sent", &w.sent},
    {"rbp-leases-skipped", &w.skipped},
    {"rbp-leases-refused", &w.refused},
    {"rbp-leases-restored", &w.restored},
    {"rbp-leases-restored-held", &w.replay_kept},
    {"rbp-leases-stale-kept", &w.stale_kept},
    {"rbp-leases-pruned", &w.pruned},
    {"rbp-answers-parked", &w.parked},
    {"rbp-answers-unbacked", &w.unbacked},
};
#define NSTATS (sizeof(stats) / sizeof(stats[0]))

/* Each counter that changed since it was last told (all, the first time). */
static void publish_stats(uint64_t *told, bool all)
{
	if (w.o.stat == NULL)
		return;
	for (size_t i = 0; i < NSTATS; i++)
		if (all || *stats[i].v != told[i]) {
			told[i] = *stats[i].v;
			w.o.stat(stats[i].name, (int64_t)told[i]);
		}
}

/* ---- the thread ------------------------------------------------------------------- */

static void *run(void *arg)
{
	uint64_t told[NSTATS] = {0};

	(void)arg;
	publish_stats(told, true);
	for (;;) {
		struct pollfd p[2] = {{.fd = w.efd, .events = POLLIN},
				      {.fd = -1, .events = POLLIN}};
		uint64_t v;
		bool stop, caught = false;
		int rc;

		if (w.c == NULL && open_rbpd() < 0) {
			rbpc_close(w.c);
			w.c = NULL;
		}
		if (w.c)
			p[1].fd = rbpc_restored_fd(w.c);
		poll(p, 2, 200);
		if (p[0].revents & POLLIN && read(w.efd, &v, sizeof(v)) < 0) {
			/* nothing to read: woken for nothing */
		}
		pthread_mutex_lock(&w.lock);
		stop = w.stop;
		pthread_mutex_unlock(&w.lock);
		if (stop)
			break;
		/* restored users first: they are in Kea before the roles that
		 * follow them make Kea answer their clients */
		while (w.c && (rc = rbpc_recv_restored(w.c, 0, on_restored, NULL)) > 0)
			;
		drain();
		if (w.c && w.retry && w.retry_at && mono_ms() >= w.retry_at &&
		    kr_any_master(&w.roles)) {
			w.retry = false;
			w.retry_at = 0;
			w.catchup = true;
			w.retry_ms = w.retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : w.retry_ms * 2;
			logf_(KW_INFO, "rbpd refused leases: handing every lease over again");
		}
		if (w.c && w.catchup && w.roles.known) {
			catch_up();
			caught = !w.catchup;
		}
		/* Kea answers now (the catch-up went through): the replay again,
		 * by subscribing again (rbpd answers every subscription) */
		if (w.c && w.replay_again && !w.catchup) {
			w.replay_again = false;
			logf_(KW_INFO, "Kea's control socket answers now: asking rbpd to replay "
				       "the leases of this device's users again");
			if (rbpc_replay(w.c, SVC_DHCP_SERVER) < 0)
				reconnect("asking for the replay failed");
		}
		/* release_parked() flushes only after a drain with parked
		 * events (the synchronous mode) and not when stopping, and
		 * catch_up() queues after it: this flush sends the changes of
		 * the asynchronous mode, the unparked ones (released, expired)
		 * and the catch-up. Right after release_parked()'s, with
		 * nothing queued since, it returns at once (nothing queued,
		 * nothing in flight): kept rather than guarded. */
		if (w.c && (rc = rbpc_flush(w.c)) < 0)
			reconnect(strerror(-rc));
		/* a catch-up rbpd took whole: the next refusal waits 1 s again */
		if (caught && !w.retry)
			w.retry_ms = RETRY_MIN_MS;
		publish_stats(told, false);
	}
	return NULL;
}

int kw_start(const struct kw_opts *o)
{
	int rc;

	w.o = *o;
	snprintf(w.rundir, sizeof(w.rundir), "%s", o->rundir ? o->rundir : RBPC_DEFAULT_RUNDIR);
	snprintf(w.ctrl, sizeof(w.ctrl), "%s", o->ctrl_socket ? o->ctrl_socket : "");
	w.o.rundir = w.rundir;
	w.o.ctrl_socket = w.ctrl;
	w.stop = false;
	w.catchup = true;
	w.retry = true; /* rbpd may be starting too */
	w.roles_fresh = false;
	w.retry_at = 0;
	w.retry_ms = RETRY_MIN_MS;
	memset(&w.roles, 0, sizeof(w.roles));
	w.got = strmap_new();
	if (w.got == NULL)
		return -ENOMEM;
	w.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w.efd < 0) {
		strmap_free(w.got);
		w.got = NULL;
		return -errno;
	}
	w.running = true;
	rc = pthread_create(&w.thread, NULL, run, NULL);
	if (rc != 0) {
		w.running = false;
		close(w.efd);
		w.efd = -1;
		strmap_free(w.got);
		w.got = NULL;
		logf_(KW_ERROR, "cannot start the worker thread: %s", strerror(rc));
		return -rc;
	}
	logf_(KW_INFO, "handing DHCPv%d leases to rbpd at %s; restoring through %s", o->family,
	      w.rundir, w.ctrl);
	return 0;
}

void kw_stop(void)
{
	uint64_t one = 1;

	if (!w.running)
		return;
	pthread_mutex_lock(&w.lock);
	w.stop = true;
	pthread_mutex_unlock(&w.lock);
	if (write(w.efd, &one, sizeof(one)) < 0) {
		/* already signalled */
	}
	pthread_join(w.thread, NULL);
	w.running = false;
	rbpc_close(w.c);
	w.c = NULL;
	drain(); /* frees what is left, sending nothing */
	close(w.efd);
	w.efd = -1;
	strmap_free(w.got);
	w.got = NULL;
	logf_(KW_INFO,
	      "stopped: %" PRIu64 " leases handed over, %" PRIu64 " skipped, %" PRIu64
	      " restored into Kea (%" PRIu64 " replayed ones it held already), %" PRIu64
	      " refused by rbpd; %" PRIu64 " answers parked, %" PRIu64
	      " of them given before the peer held the lease; %" PRIu64
	      " leases from before a takeover not handed over, %" PRIu64 " removed from Kea",
	      w.sent, w.skipped, w.restored, w.replay_kept, w.refused, w.parked, w.unbacked,
	      w.stale_kept, w.pruned);
}
