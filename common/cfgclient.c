#include "common/cfgclient.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "common/bus.h"
#include "common/log.h"
#include "common/pidwatch.h"

/* Heartbeats say the daemon lives and what it applied. Once 10 s apart:
 * cfgd watches the process (common/pidwatch.h), so its end is known at
 * once, and a dropped COMMIT is mended by cfgd's pushes, not by them;
 * they remain for a daemon hung but alive. Once a second to a cfgd whose
 * process we cannot watch (an older one: it never answered our HELLO). */
#define HEARTBEAT_MS 1000
#define HEARTBEAT_QUIET_MS 10000
#define HELLO_RETRY_MS 100

#ifdef DB_TEST_HOOKS
/* Fault injection (DB_FAULT): compiled into test builds only, see the
 * Makefile; installed binaries have none of it. */
enum fault_action { FAULT_NONE, FAULT_DROP, FAULT_DELAY, FAULT_DIE };
#endif

struct cfgclient {
	uv_loop_t *loop;
	struct bus_sock *sock;
	uv_timer_t heartbeat;
	Db__Role role;
	const struct cfgclient_ops *ops;
	void *arg;
	uint64_t applied;      /* commit id applied */
	int synced;	       /* cfgd has answered (HELLO, push) since we started */
	struct pidwatch *cfgd; /* cfgd's process, from its HELLO: NULL until then */
	uint64_t prepared_txn; /* txn held, 0 when none */
	void *held;	       /* the prepared object */
	uint64_t prepared_commit;
	uint64_t digest; /* of the section applied */
	uint64_t prepared_digest;
#ifdef DB_TEST_HOOKS
	/* fault injection */
	enum fault_action fault;
	Db__MsgType fault_msg;
	unsigned fault_arg;
	int fault_used;
#endif
};

#ifdef DB_TEST_HOOKS
struct delayed {
	uv_timer_t t;
	struct cfgclient *c;
	uint8_t *buf;
	size_t len;
};
#endif

static void send_msg(struct cfgclient *c, Db__MsgType t, uint64_t id, const ProtobufCMessage *m)
{
	int rc = bus_send_msg(c->sock, NULL, 0, t, c->role, id, m);

	if (rc < 0)
		log_debug("send %d to cfgd: %s", t, strerror(-rc));
}

static void send_hello(struct cfgclient *c)
{
	Db__Hello h = DB__HELLO__INIT;

	h.role = c->role;
	h.applied_commit = c->applied;
	h.pid = (uint64_t)getpid();
	h.digest = c->digest;
	send_msg(c, DB__MSG_TYPE__MSG_HELLO, 0, &h.base);
}

static void on_heartbeat(uv_timer_t *t)
{
	struct cfgclient *c = t->data;
	Db__Heartbeat hb = DB__HEARTBEAT__INIT;

	/* Until cfgd has answered (its HELLO or a push), keep saying HELLO
	 * quickly: the first one may have gone out before the connection
	 * was up. */
	if (!c->synced) {
		send_hello(c);
		return;
	}
	if (uv_timer_get_repeat(t) != (c->cfgd ? HEARTBEAT_QUIET_MS : HEARTBEAT_MS))
		uv_timer_set_repeat(t, c->cfgd ? HEARTBEAT_QUIET_MS : HEARTBEAT_MS);
	hb.applied_commit = c->applied;
	hb.digest = c->digest;
	hb.pid = (uint64_t)getpid();
	send_msg(c, DB__MSG_TYPE__MSG_HEARTBEAT, 0, &hb.base);
}

static void send_errors(struct cfgclient *c, Db__MsgType t, uint64_t txn, int ok,
			struct errlist *errs)
{
	if (t == DB__MSG_TYPE__MSG_VOTE) {
		Db__Vote v = DB__VOTE__INIT;

		v.txn = txn;
		v.ok = ok;
		v.n_errors = errs->n;
		v.errors = errs->v;
		send_msg(c, t, txn, &v.base);
	} else {
		Db__Ack a = DB__ACK__INIT;

		a.txn = txn;
		a.commit_id = c->applied;
		a.digest = c->digest;
		a.n_errors = errs->n;
		a.errors = errs->v;
		send_msg(c, t, txn, &a.base);
	}
}

static void drop_held(struct cfgclient *c)
{
	if (c->held)
		c->ops->discard(c->arg, c->held);
	c->held = NULL;
	c->prepared_txn = 0;
}

static void handle_prepare(struct cfgclient *c, const Db__Envelope *env)
{
	struct errlist errs = {0};
	Db__Prepare *p;
	void *obj;

	p = db__prepare__unpack(NULL, env->payload.len, env->payload.data);
	if (p == NULL) {
		log_warnx("cfgd: malformed PREPARE dropped");
		return;
	}
	drop_held(c);
	obj = c->ops->check(c->arg, p->section.data, p->section.len, &errs);
	if (obj == NULL && errs.n == 0)
		errlist_add(&errs, "the configuration section does not unpack");
	if (errs.n == 0) {
		c->held = obj;
		c->prepared_txn = p->txn;
		c->prepared_commit = p->commit_id;
		c->prepared_digest = bus_digest(p->section.data, p->section.len);
	} else if (obj) {
		c->ops->discard(c->arg, obj);
	}
	log_info("txn %llu: prepare for commit %llu: %s", (unsigned long long)p->txn,
		 (unsigned long long)p->commit_id, errs.n ? errs.v[0] : "ok");
	send_errors(c, DB__MSG_TYPE__MSG_VOTE, p->txn, errs.n == 0, &errs);
	errlist_free(&errs);
	db__prepare__free_unpacked(p, NULL);
}

static void handle_decision(struct cfgclient *c, const Db__Envelope *env)
{
	struct errlist errs = {0};
	Db__TxnRef *r = db__txn_ref__unpack(NULL, env->payload.len, env->payload.data);

	if (r == NULL) {
		log_warnx("cfgd: malformed decision dropped");
		return;
	}
	if (r->txn != c->prepared_txn || c->prepared_txn == 0) {
		/* Not ours (we restarted, or already aborted it): cfgd compares
		 * our digest with its own and re-pushes if we are behind. */
		log_info("txn %llu: decision for a transaction not held, ignored",
			 (unsigned long long)r->txn);
		db__txn_ref__free_unpacked(r, NULL);
		return;
	}
	if (env->type == DB__MSG_TYPE__MSG_COMMIT) {
		c->ops->apply(c->arg, c->held);
		c->held = NULL;
		c->applied = c->prepared_commit;
		c->digest = c->prepared_digest;
		log_info("txn %llu: commit %llu applied", (unsigned long long)r->txn,
			 (unsigned long long)c->applied);
		send_errors(c, DB__MSG_TYPE__MSG_ACK, r->txn, 1, &errs);
	} else {
		log_info("txn %llu: aborted", (unsigned long long)r->txn);
	}
	drop_held(c);
	errlist_free(&errs);
	db__txn_ref__free_unpacked(r, NULL);
}

static void handle_push(struct cfgclient *c, const Db__Envelope *env)
{
	struct errlist errs = {0};
	Db__Push *p = db__push__unpack(NULL, env->payload.len, env->payload.data);
	void *obj;

	if (p == NULL) {
		log_warnx("cfgd: malformed PUSH dropped");
		return;
	}
	drop_held(c);
	obj = c->ops->check(c->arg, p->section.data, p->section.len, &errs);
	if (obj) {
		/* Committed already: the operator's configuration is the truth,
		 * what the live system lacks is reported, not refused. */
		for (size_t i = 0; i < errs.n; i++)
			log_warnx("commit %llu: %s", (unsigned long long)p->commit_id, errs.v[i]);
		c->ops->apply(c->arg, obj);
		c->applied = p->commit_id;
		c->digest = bus_digest(p->section.data, p->section.len);
		log_info("commit %llu applied from cfgd's running configuration",
			 (unsigned long long)c->applied);
	} else {
		log_warnx("commit %llu pushed by cfgd does not unpack",
			  (unsigned long long)p->commit_id);
	}
	send_errors(c, DB__MSG_TYPE__MSG_ACK, 0, 1, &errs);
	errlist_free(&errs);
	db__push__free_unpacked(p, NULL);
}

static void dispatch(struct cfgclient *c, const Db__Envelope *env);

#ifdef DB_TEST_HOOKS
static void on_delay_closed(uv_handle_t *h)
{
	struct delayed *d = h->data;

	free(d->buf);
	free(d);
}

static void on_delayed(uv_timer_t *t)
{
	struct delayed *d = t->data;
	Db__Envelope *env = bus_unpack(d->buf, d->len);

	if (env) {
		dispatch(d->c, env);
		db__envelope__free_unpacked(env, NULL);
	}
	uv_close((uv_handle_t *)t, on_delay_closed);
}

/* Returns 1 when the fault consumed the message. */
static int inject_fault(struct cfgclient *c, const Db__Envelope *env, const uint8_t *buf,
			size_t len)
{
	struct delayed *d;

	if (c->fault == FAULT_NONE || env->type != c->fault_msg)
		return 0;
	switch (c->fault) {
	case FAULT_DROP:
		if (c->fault_used++)
			return 0;
		log_warnx("fault injection: message %d dropped", env->type);
		return 1;
	case FAULT_DIE:
		log_warnx("fault injection: dying on message %d", env->type);
		_exit(3);
	case FAULT_DELAY:
		d = calloc(1, sizeof(*d));
		if (d == NULL || (d->buf = malloc(len)) == NULL) {
			free(d);
			return 0;
		}
		memcpy(d->buf, buf, len);
		d->len = len;
		d->c = c;
		uv_timer_init(c->loop, &d->t);
		d->t.data = d;
		uv_timer_start(&d->t, on_delayed, c->fault_arg, 0);
		return 1;
	default:
		return 0;
	}
}
#else
static int inject_fault(struct cfgclient *c, const Db__Envelope *env, const uint8_t *buf,
			size_t len)
{
	return 0;
}
#endif

/* pidwatch_cb: cfgd ended. Say HELLO quickly again until the next one
 * answers (systemd restarts it; it reloads the running configuration and
 * pushes it to us if we differ). */
static void on_cfgd_end(struct pidwatch *w, void *arg)
{
	struct cfgclient *c = arg;

	log_info("cfgd (pid %d) ended: saying HELLO to the next one", (int)pidwatch_pid(w));
	pidwatch_free(w);
	c->cfgd = NULL;
	c->synced = 0;
	uv_timer_start(&c->heartbeat, on_heartbeat, HELLO_RETRY_MS, HELLO_RETRY_MS);
}

/* cfgd's HELLO: its answer to ours (id 0), or a new cfgd's greeting (id
 * 1), which ours answers. Either way, watch its process. */
static void handle_hello(struct cfgclient *c, const Db__Envelope *env)
{
	Db__Hello *h = db__hello__unpack(NULL, env->payload.len, env->payload.data);

	if (h == NULL || env->sender != DB__ROLE__ROLE_CFGD) {
		log_warnx("cfgd: malformed HELLO dropped");
	} else if (env->id == 1) {
		/* (before any answer, the HELLOs we repeat answer it) */
		pidwatch_follow(&c->cfgd, c->loop, h->pid, on_cfgd_end, c);
		if (c->synced)
			send_hello(c);
	} else {
		c->synced = 1; /* cfgd answered: heartbeats from now on */
		if (pidwatch_follow(&c->cfgd, c->loop, h->pid, on_cfgd_end, c))
			uv_timer_start(&c->heartbeat, on_heartbeat, HEARTBEAT_QUIET_MS,
				       HEARTBEAT_QUIET_MS);
	}
	if (h)
		db__hello__free_unpacked(h, NULL);
}

static void dispatch(struct cfgclient *c, const Db__Envelope *env)
{
	switch (env->type) {
	case DB__MSG_TYPE__MSG_HELLO:
		handle_hello(c, env);
		break;
	case DB__MSG_TYPE__MSG_PREPARE:
		handle_prepare(c, env);
		break;
	case DB__MSG_TYPE__MSG_COMMIT:
	case DB__MSG_TYPE__MSG_ABORT:
		handle_decision(c, env);
		break;
	case DB__MSG_TYPE__MSG_PUSH:
		c->synced = 1;
		handle_push(c, env);
		break;
	default:
		log_warnx("cfgd: unexpected message type %d dropped", env->type);
	}
}

static void on_recv(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	struct cfgclient *c = arg;
	Db__Envelope *env;

	(void)s;
	if (n != 1) {
		log_warnx("cfgd: message of %d frames dropped", n);
		return;
	}
	env = bus_unpack(parts[0].data, parts[0].len);
	if (env == NULL) {
		log_warnx("cfgd: malformed or unexpected message dropped (%zu bytes)",
			  parts[0].len);
		return;
	}
	if (!inject_fault(c, env, parts[0].data, parts[0].len))
		dispatch(c, env);
	db__envelope__free_unpacked(env, NULL);
}

#ifdef DB_TEST_HOOKS
static void parse_fault(struct cfgclient *c)
{
	const char *f = getenv("DB_FAULT");
	char action[16], msg[16];
	unsigned n = 0;
	static const struct {
		const char *name;
		Db__MsgType t;
	} msgs[] = {
	    {"prepare", DB__MSG_TYPE__MSG_PREPARE},
	    {"commit", DB__MSG_TYPE__MSG_COMMIT},
	    {"abort", DB__MSG_TYPE__MSG_ABORT},
	    {"push", DB__MSG_TYPE__MSG_PUSH},
	};

	if (f == NULL || sscanf(f, "%15[a-z]:%15[a-z]:%u", action, msg, &n) < 2)
		return;
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		if (strcmp(msg, msgs[i].name) == 0)
			c->fault_msg = msgs[i].t;
	if (c->fault_msg == 0)
		return;
	if (strcmp(action, "drop") == 0)
		c->fault = FAULT_DROP;
	else if (strcmp(action, "delay") == 0)
		c->fault = FAULT_DELAY;
	else if (strcmp(action, "die") == 0)
		c->fault = FAULT_DIE;
	c->fault_arg = n;
	if (c->fault != FAULT_NONE)
		log_warnx("fault injection armed: %s", f);
}
#else
static void parse_fault(struct cfgclient *c)
{
}
#endif

int cfgclient_open(struct cfgclient **out, uv_loop_t *loop, void *zctx, const char *rundir,
		   Db__Role role, const struct cfgclient_ops *ops, void *arg)
{
	struct bus_opts o = {0};
	struct cfgclient *c;
	char ep[4200];
	int rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->loop = loop;
	c->role = role;
	c->ops = ops;
	c->arg = arg;
	parse_fault(c);
	snprintf(ep, sizeof(ep), "ipc://%s/cfgd.ipc", rundir);
	o.type = ZMQ_DEALER;
	o.endpoint = ep;
	o.routing_id = bus_role_name(role);
	o.cb = on_recv;
	o.arg = c;
	rc = bus_open(&c->sock, loop, zctx, &o);
	if (rc < 0) {
		free(c);
		return rc;
	}
	uv_timer_init(loop, &c->heartbeat);
	c->heartbeat.data = c;
	uv_timer_start(&c->heartbeat, on_heartbeat, HELLO_RETRY_MS, HELLO_RETRY_MS);
	send_hello(c);
	*out = c;
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void cfgclient_close(struct cfgclient *c)
{
	if (c == NULL)
		return;
	drop_held(c);
	pidwatch_free(c->cfgd);
	bus_close(c->sock);
	uv_timer_stop(&c->heartbeat);
	uv_close((uv_handle_t *)&c->heartbeat, on_closed);
}

#ifdef DB_TEST_HOOKS
static struct {
	uv_signal_t sig;
	bool on;
	cfgclient_hook_cb cb;
	void *arg;
	unsigned long n;
} hook;

static void on_hook(uv_signal_t *h, int signum)
{
	(void)h;
	(void)signum;
	log_info("test hook: SIGUSR2, %lu", hook.n);
	hook.cb(hook.arg, hook.n);
}
#endif

int cfgclient_test_hook(uv_loop_t *loop, const char *name, cfgclient_hook_cb cb, void *arg)
{
#ifdef DB_TEST_HOOKS
	const char *v = getenv(name);
	char *end;
	int rc;

	if (v == NULL || hook.on)
		return 0;
	hook.n = strtoul(v, &end, 10);
	if (*v == '\0' || *end != '\0')
		return 0;
	hook.cb = cb;
	hook.arg = arg;
	if ((rc = uv_signal_init(loop, &hook.sig)) < 0 ||
	    (rc = uv_signal_start(&hook.sig, on_hook, SIGUSR2)) < 0)
		return rc;
	hook.on = true;
	log_info("test hook %s=%lu armed: SIGUSR2 runs it", name, hook.n);
#else
	(void)loop;
	(void)name;
	(void)cb;
	(void)arg;
#endif
	return 0;
}

void cfgclient_test_hook_close(void)
{
#ifdef DB_TEST_HOOKS
	if (hook.on)
		uv_close((uv_handle_t *)&hook.sig, NULL);
	hook.on = false;
#endif
}
