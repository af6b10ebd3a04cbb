/*
 * rbsd's shell, run in process: two struct rbsd, device A on 127.0.0.1
 * and device B on 127.0.0.2, started on one libuv loop (rbsd_init(), as
 * service_main() starts the daemon), each with a run directory of its
 * own, configured as cfgd configures them (a packed Db__RbsdConfig
 * through rbsd_check() and rbsd_apply(), or rbsd_discard() when the check
 * refuses it). The tests play each device's feeder (rbpd) with a ZeroMQ
 * DEALER on its RUNDIR/rbsd-entries.ipc, speaking RbsLocal
 * (proto/rbs.proto), and vrrpd with a PUB on RUNDIR/vrrpd-events.ipc.
 * What they assert is what a feeder and an operator see: the messages a
 * feeder gets (credit, channel state, entries, markers, roles, requests)
 * and `display remote-backup-service`, text and JSON.
 *
 * Each test runs in its own process (check forks) and unshares a network
 * namespace of its own there, with lo up and 127.0.0.2 on it; main()
 * leaves the tests out where that is not allowed (not root). Every wait
 * runs the loop one pass at a time until what is awaited happened or its
 * deadline passed; a pass lasts SLICE_MS at most, since the feeders'
 * sockets are not on the loop and are read between passes. Only "nothing
 * happens" is watched for a fixed time (QUIET_MS).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "common/bus.h"
#include "common/credit.h"
#include "common/daemon.h"
#include "common/log.h"
#include "rbsd/rbsd.h"
#include "tests/lib/cfgcommit.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/loopwait.h"
#include "tests/lib/netns.h"

#define IP_A "127.0.0.1" /* the lower address: it lets B dial first */
#define IP_B "127.0.0.2"
#define PORT 7800    /* the namespace is the test's own */
#define WAIT_MS 5000 /* the bound of every wait for what must happen */
#define QUIET_MS 200 /* how long what must not happen is watched for */
#define SLICE_MS 5   /* the longest pass of the loop: the feeders are read between */
#define SVC "rbs1"
#define WIN RBS_CHAN_WIN_ENTRIES

/* ---- a feeder: a DEALER on a device's rbsd-entries.ipc --------------------- */

#define GOT_MAX 32768 /* what a feeder keeps of what it got */

/* One thing a feeder was handed, in order. */
struct got {
	char kind;  /* 'e' entry, '?' a damaged one, 'B' begin, 'E' end, 'R' roles,
		       'Q' batch request, 'C' compare, 'S' summary */
	uint32_t n; /* entry: its index; markers: count; 'Q': types; 'C'/'S': round */
	uint64_t x; /* 'E': digest; 'R': roles; 'C': first digest */
};

struct feeder {
	void *z;
	bool reading; /* false: the feeder does not read (its queue fills) */
	/* what rbsd told it */
	struct got *got; /* GOT_MAX of them */
	size_t ngot;
	unsigned entries, states, credits, requests;
	unsigned credits_at_request; /* credits it had when the first request came */
	unsigned downs; /* told down after up */
	bool up;
	bool rx_full_batch;
	char reason[256];
	uint64_t c_entries, c_bytes, c_attach, c_resolved, c_lost; /* the last credit */
	/* what it sent since it attached */
	uint64_t sent, sent_bytes;
	bool over_grant; /* a credit granted more than the window holds */
	/* asked for a batch, it sends one at once, empty (rbpd with an
	 * empty table), unless the test sends its own (manual) */
	bool manual;
	unsigned asked, answered;
	bool applies; /* it says what it applied (RbsAttach.applied_acks), as rbpd */
};

struct dev {
	const char *ip, *peer;
	char rundir[128];
	struct rbsd d;
	bool started;
	struct feeder f;
};

static uv_loop_t loop;
static struct loopwait lw; /* the waits (tests/lib/loopwait.h) */
static void *zctx;
static struct dev A, B;
static char root[64];	      /* the run directories' parent, made and removed by the runner */
static struct feeder X;	      /* a second feeder, of the tests that need one */
static struct feeder *extra;  /* &X once open: read with the others */
static int64_t undelivered_b; /* rbsd B's feeder_undelivered when both_up() returned */

static uint64_t now_ms(void)
{
	return loopwait_ms();
}

static void feeder_poll(struct feeder *f);
static void feeder_answer(struct feeder *f);

/* Between two passes of the loop: what the feeders were sent, and their
 * answers. */
static void feeders_turn(void *arg)
{
	(void)arg;
	feeder_poll(&A.f);
	feeder_poll(&B.f);
	if (extra)
		feeder_poll(extra);
	feeder_answer(&A.f);
	feeder_answer(&B.f);
	if (extra)
		feeder_answer(extra);
}

/* One pass of the loop (SLICE_MS at most), then the feeders. false once
 * the deadline has passed. */
static bool turn(uint64_t deadline)
{
	return loopwait_turn(&lw, deadline);
}

#define UNTIL(cond, ms) LOOPWAIT_UNTIL(&lw, cond, ms)
#define WAIT(cond) ck_assert_msg(UNTIL(cond, WAIT_MS), "not within %d ms: %s", WAIT_MS, #cond)

/* Runs the loop for ms: what must not happen meanwhile is checked after. */
static void run_for(unsigned ms)
{
	loopwait_run_for(&lw, ms);
}

/* How many of what f got it kept. */
static size_t got_n(const struct feeder *f)
{
	return f->ngot < GOT_MAX ? f->ngot : GOT_MAX;
}

/* No ck_assert: see feeder_take(). A feeder keeps GOT_MAX things; more
 * make every check of what it got fail. */
static void record(struct feeder *f, struct got g)
{
	if (f->ngot < GOT_MAX)
		f->got[f->ngot] = g;
	f->ngot++;
}

/* Entry n's key is "k" and n big-endian, its version n, its payload bytes
 * n + j; UINT32_MAX for an entry that is not one of these. */
static uint32_t entry_index(const Db__RbsEntry *e)
{
	uint32_t n;

	if (e->key.len != 5 || e->key.data[0] != 'k')
		return UINT32_MAX;
	n = (uint32_t)e->key.data[1] << 24 | (uint32_t)e->key.data[2] << 16 |
	    (uint32_t)e->key.data[3] << 8 | e->key.data[4];
	if (e->version != n)
		return UINT32_MAX;
	for (size_t j = 0; j < e->payload.len; j++)
		if (e->payload.data[j] != (uint8_t)(n + j))
			return UINT32_MAX;
	return n;
}

/* No ck_assert here: in a forked test each passing one is a write to
 * check's pipe, and a transfer makes thousands. */
static void feeder_take(struct feeder *f, const Db__RbsLocal *m)
{
	switch (m->body_case) {
	case DB__RBS_LOCAL__BODY_ENTRIES:
		for (size_t i = 0; i < m->entries->n_entries; i++) {
			uint32_t n = entry_index(m->entries->entries[i]);

			record(f, (struct got){n == UINT32_MAX ? '?' : 'e', n, 0});
			f->entries++;
		}
		break;
	case DB__RBS_LOCAL__BODY_BATCH_BEGIN:
		record(f, (struct got){'B', (uint32_t)m->batch_begin->count, 0});
		break;
	case DB__RBS_LOCAL__BODY_BATCH_END:
		record(f, (struct got){'E', (uint32_t)m->batch_end->count, m->batch_end->digest});
		break;
	case DB__RBS_LOCAL__BODY_BATCH_REQUEST:
		record(f, (struct got){'Q', (uint32_t)m->batch_request->n_types,
				       m->batch_request->n_types ? m->batch_request->types[0] : 0});
		if (f->requests++ == 0)
			f->credits_at_request = f->credits;
		f->asked++;
		break;
	case DB__RBS_LOCAL__BODY_ROLES:
		record(f, (struct got){'R', (uint32_t)m->roles->n_roles,
				       m->roles->n_roles ? m->roles->roles[0]->vrid : 0});
		break;
	case DB__RBS_LOCAL__BODY_COMPARE:
		record(f, (struct got){'C', (uint32_t)m->compare->round,
				       m->compare->n_digests ? m->compare->digests[0] : 0});
		break;
	case DB__RBS_LOCAL__BODY_SUMMARY:
		record(f, (struct got){'S', (uint32_t)m->summary->round, m->summary->n_keys});
		break;
	case DB__RBS_LOCAL__BODY_STATE:
		f->states++;
		if (f->up && !m->state->up)
			f->downs++;
		f->up = m->state->up;
		f->rx_full_batch = m->state->rx_full_batch;
		snprintf(f->reason, sizeof(f->reason), "%s", m->state->reason);
		break;
	case DB__RBS_LOCAL__BODY_CREDIT:
		f->credits++;
		if (m->credit->attach != f->c_attach) /* a new attachment: counts anew */
			f->sent = f->sent_bytes = 0;
		f->c_entries = m->credit->entries;
		f->c_bytes = m->credit->bytes;
		f->c_attach = m->credit->attach;
		f->c_resolved = m->credit->resolved;
		f->c_lost = m->credit->lost;
		if (f->c_entries > f->sent + WIN)
			f->over_grant = true;
		break;
	default:
		record(f, (struct got){'!', (uint32_t)m->body_case, 0});
		break;
	}
}

static void feeder_poll(struct feeder *f)
{
	zmq_msg_t msg;

	if (f->z == NULL || !f->reading)
		return;
	zmq_msg_init(&msg);
	while (zmq_msg_recv(&msg, f->z, ZMQ_DONTWAIT) >= 0) {
		Db__RbsLocal *m =
		    db__rbs_local__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));

		if (m == NULL || strcmp(m->service, SVC) != 0) {
			record(f, (struct got){'!', 0, 0});
		} else {
			feeder_take(f, m);
		}
		if (m)
			db__rbs_local__free_unpacked(m, NULL);
	}
	zmq_msg_close(&msg);
}

/* A DEALER with routing id `id` on dv's rbsd-entries.ipc. rcvhwm 0:
 * ZeroMQ's default. */
static void feeder_open(struct feeder *f, const struct dev *dv, const char *id, int rcvhwm)
{
	char ep[256];
	int zero = 0, small = 4096;

	memset(f, 0, sizeof(*f));
	f->got = calloc(GOT_MAX, sizeof(*f->got));
	ck_assert_ptr_nonnull(f->got);
	f->reading = true;
	f->z = zmq_socket(zctx, ZMQ_DEALER);
	ck_assert_ptr_nonnull(f->z);
	zmq_setsockopt(f->z, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(f->z, ZMQ_ROUTING_ID, id, strlen(id));
	if (rcvhwm) {
		zmq_setsockopt(f->z, ZMQ_RCVHWM, &rcvhwm, sizeof(rcvhwm));
		zmq_setsockopt(f->z, ZMQ_RCVBUF, &small, sizeof(small));
	}
	ck_assert_int_eq(daemon_endpoint(ep, sizeof(ep), dv->rundir, "rbsd-entries"), 0);
	ck_assert_int_eq(zmq_connect(f->z, ep), 0);
}

static void feeder_close(struct feeder *f)
{
	if (f->z)
		zmq_close(f->z);
	free(f->got);
	memset(f, 0, sizeof(*f));
}

/* Sends raw bytes as one message (more: a further part), waiting while
 * the feeder's queue to rbsd is full. */
static void feeder_send_raw(struct feeder *f, const void *buf, size_t len, bool more)
{
	uint64_t end = now_ms() + WAIT_MS;

	while (zmq_send(f->z, buf, len, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)) < 0) {
		ck_assert_int_eq(errno, EAGAIN);
		ck_assert_msg(turn(end), "the feeder could not send within %d ms", WAIT_MS);
	}
}

static void feeder_send(struct feeder *f, Db__RbsLocal *m)
{
	size_t len;
	uint8_t *buf;

	if (m->service == NULL || m->service == protobuf_c_empty_string)
		m->service = SVC;
	len = db__rbs_local__get_packed_size(m);
	buf = malloc(len + 1);
	ck_assert_ptr_nonnull(buf);
	db__rbs_local__pack(m, buf);
	feeder_send_raw(f, buf, len, false);
	free(buf);
}

static void feeder_attach(struct feeder *f, const char *name)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsAttach a = DB__RBS_ATTACH__INIT;

	a.feeder = (char *)name;
	a.applied_acks = f->applies;
	m.body_case = DB__RBS_LOCAL__BODY_ATTACH;
	m.attach = &a;
	feeder_send(f, &m);
}

/* RbsApplied: the feeder applied the first count entries it was handed
 * since attachment `attach`. */
static void feeder_applied(struct feeder *f, uint64_t count, uint64_t attach)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsApplied a = DB__RBS_APPLIED__INIT;

	a.count = count;
	a.attach = attach;
	m.body_case = DB__RBS_LOCAL__BODY_APPLIED;
	m.applied = &a;
	feeder_send(f, &m);
}

/* Entries first .. first + n - 1 in one message, each with a payload of
 * plen bytes; counted as sent. */
static void feeder_entries(struct feeder *f, uint32_t first, uint32_t n, size_t plen)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsEntries es = DB__RBS_ENTRIES__INIT;
	Db__RbsEntry *e = calloc(n, sizeof(*e));
	Db__RbsEntry **ep = calloc(n, sizeof(*ep));
	uint8_t *keys = malloc((size_t)n * 5), *pay = malloc((size_t)n * plen + 1);

	ck_assert(e && ep && keys && pay);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = first + i;
		uint8_t *key = keys + (size_t)i * 5, *p = pay + (size_t)i * plen;

		db__rbs_entry__init(&e[i]);
		key[0] = 'k';
		key[1] = (uint8_t)(k >> 24);
		key[2] = (uint8_t)(k >> 16);
		key[3] = (uint8_t)(k >> 8);
		key[4] = (uint8_t)k;
		for (size_t j = 0; j < plen; j++)
			p[j] = (uint8_t)(k + j);
		e[i].op = DB__RBS_OP__RBS_OP_ADD;
		e[i].type = DB__RBS_SERVICE_TYPE__RBS_SVC_ARP;
		e[i].key.data = key;
		e[i].key.len = 5;
		e[i].payload.data = p;
		e[i].payload.len = plen;
		e[i].version = k;
		ep[i] = &e[i];
		f->sent_bytes += credit_entry_cost(5, plen);
	}
	f->sent += n;
	es.entries = ep;
	es.n_entries = n;
	m.body_case = DB__RBS_LOCAL__BODY_ENTRIES;
	m.entries = &es;
	feeder_send(f, &m);
	free(e);
	free(ep);
	free(keys);
	free(pay);
}

/* As rbpd feeds: entries first .. first + n - 1, in messages of at most
 * chunk, each sent only within the credit granted (waiting for more). */
static void feeder_entries_within_credit(struct feeder *f, uint32_t first, uint32_t n,
					 uint32_t chunk, size_t plen)
{
	uint64_t base = f->sent;

	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done < chunk ? n - done : chunk;

		WAIT(f->sent + k <= f->c_entries &&
		     f->sent_bytes + (uint64_t)k * credit_entry_cost(5, plen) <= f->c_bytes);
		ck_assert_uint_eq(f->sent, base + done); /* no new attachment meanwhile */
		feeder_entries(f, first + done, k, plen);
		done += k;
	}
}

static void feeder_marker(struct feeder *f, bool end, uint64_t count, uint64_t digest,
			  size_t ntypes)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsBatchBegin b = DB__RBS_BATCH_BEGIN__INIT;
	Db__RbsBatchEnd e = DB__RBS_BATCH_END__INIT;
	Db__RbsServiceType all[RBS_SVC_COUNT];

	ck_assert_int_eq(rbs_svc_parse("all", all), RBS_SVC_COUNT);
	if (end) {
		e.types = all;
		e.n_types = ntypes;
		e.count = count;
		e.digest = digest;
		m.body_case = DB__RBS_LOCAL__BODY_BATCH_END;
		m.batch_end = &e;
	} else {
		b.types = all;
		b.n_types = ntypes;
		b.count = count;
		m.body_case = DB__RBS_LOCAL__BODY_BATCH_BEGIN;
		m.batch_begin = &b;
	}
	feeder_send(f, &m);
}

/* This device's roles: master of VRRP group vrid on eth0 (backup-id 1). */
static void feeder_roles(struct feeder *f, uint32_t vrid)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsRoles rs = DB__RBS_ROLES__INIT;
	Db__RbsRole r = DB__RBS_ROLE__INIT, *rp = &r;

	r.backup_id = 1;
	r.vrid = vrid;
	r.ifname = "eth0";
	r.master = true;
	rs.roles = &rp;
	rs.n_roles = 1;
	m.body_case = DB__RBS_LOCAL__BODY_ROLES;
	m.roles = &rs;
	feeder_send(f, &m);
}

/* What rbpd does when asked for a batch with an empty table. */
static void feeder_answer(struct feeder *f)
{
	if (f->z == NULL || f->manual || f->answered == f->asked)
		return;
	f->answered = f->asked;
	feeder_marker(f, false, 0, 0, RBS_SVC_COUNT);
	feeder_marker(f, true, 0, 0, RBS_SVC_COUNT);
}

/* Whether the entries f got from index `from` on are exactly first ..
 * first + n - 1, in order, once each, none damaged (markers, roles and
 * the like between them are not entries). */
static bool got_run(const struct feeder *f, size_t from, uint32_t first, uint32_t n)
{
	uint32_t want = first;

	if (f->ngot > GOT_MAX)
		return false;
	for (size_t i = from; i < f->ngot; i++) {
		if (f->got[i].kind == '?')
			return false;
		if (f->got[i].kind != 'e')
			continue;
		if (f->got[i].n != want)
			return false;
		want++;
	}
	return want == first + n;
}

/* What f got from index `from` on, one letter each ('e' entries, markers
 * with their count: "B3eeeE3"), leaving out the empty batches the other
 * feeder answers requests with, and requests and roles. */
static const char *got_text(const struct feeder *f, size_t from)
{
	static char buf[512];
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = from; i < got_n(f) && n + 16 < sizeof(buf); i++) {
		const struct got *g = &f->got[i];

		if ((g->kind == 'B' || g->kind == 'E') && g->n == 0)
			continue;
		if (g->kind == 'B' || g->kind == 'E')
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%c%u", g->kind, g->n);
		else if (g->kind != 'R' && g->kind != 'Q')
			buf[n++] = g->kind;
		buf[n] = 0;
	}
	return buf;
}

/* The index in f->got of the first thing of kind, from `from`; -1. */
static long got_find(const struct feeder *f, size_t from, char kind)
{
	for (size_t i = from; i < got_n(f); i++)
		if (f->got[i].kind == kind)
			return (long)i;
	return -1;
}

/* ---- the devices: configuration, displays ---------------------------------- */

struct conf {
	const char *source, *peer; /* NULL: the device's; "" none */
	unsigned port;		   /* 0: PORT */
	const char *track_bfd;
	const char *batch_type; /* batch-backup service-type ... now */
	bool ssl;		/* an ssl policy whose files are missing */
	unsigned backup_id;	/* 0: 1 */
	bool none;		/* no service at all */
};

/* As cfgd's compile.c builds it, packed, then PREPARE (check) and
 * COMMIT (apply) or ABORT (discard). Returns the number of errors; the
 * first in err. */
static size_t configure(struct dev *dv, const struct conf *c, char *err, size_t errlen)
{
	Db__RbsdConfig cfg = DB__RBSD_CONFIG__INIT;
	Db__RbsConfig s = DB__RBS_CONFIG__INIT, *sp = &s;
	Db__RbpSummary p = DB__RBP_SUMMARY__INIT, *pp = &p;
	Db__RbpBinding b = DB__RBP_BINDING__INIT, *bp = &b;
	Db__SslPolicyConfig ssl = DB__SSL_POLICY_CONFIG__INIT;
	Db__BatchBackup bb = DB__BATCH_BACKUP__INIT, *bbp = &bb;
	static const struct cfgclient_ops ops = {rbsd_check, rbsd_apply, rbsd_discard};
	struct errlist errs;
	char cert[256], key[256];
	uint8_t *buf;
	size_t len, n;

	s.name = SVC;
	s.source = (char *)(c->source ? c->source : dv->ip);
	s.peer = (char *)(c->peer ? c->peer : dv->peer);
	s.port = c->port ? c->port : PORT;
	s.track_bfd = (char *)(c->track_bfd ? c->track_bfd : "");
	b.vrid = 1;
	b.ifname = "eth0";
	b.odd_mac = true;
	p.name = "rbp1";
	p.backup_id = c->backup_id ? c->backup_id : 1;
	p.bindings = &bp;
	p.n_bindings = 1;
	s.profiles = &pp;
	s.n_profiles = 1;
	if (c->ssl) {
		snprintf(cert, sizeof(cert), "%s/missing-cert.pem", dv->rundir);
		snprintf(key, sizeof(key), "%s/missing-key.pem", dv->rundir);
		ssl.name = "pol1";
		ssl.cert_file = cert;
		ssl.key_file = key;
		ssl.key_type = "ecc";
		s.ssl = &ssl;
	}
	if (!c->none) {
		cfg.services = &sp;
		cfg.n_services = 1;
	}
	if (c->batch_type) {
		bb.service = SVC;
		bb.service_type = (char *)c->batch_type;
		cfg.batch = &bbp;
		cfg.n_batch = 1;
	}
	len = db__rbsd_config__get_packed_size(&cfg);
	buf = malloc(len + 1);
	ck_assert_ptr_nonnull(buf);
	db__rbsd_config__pack(&cfg, buf);
	errs = cfgcommit(&ops, &dv->d, buf, len);
	free(buf);
	n = errs.n;
	if (err && errlen)
		snprintf(err, errlen, "%s", n ? errs.v[0] : "");
	errlist_free(&errs);
	return n;
}

static void configure_ok(struct dev *dv, const struct conf *c)
{
	char err[512];

	ck_assert_msg(configure(dv, c, err, sizeof(err)) == 0, "refused: %s", err);
}

/* `display remote-backup-service [name] [verbose] [json]`: the text, and
 * the query function's return value in *rc. The caller frees. */
static char *display(struct dev *dv, Db__QueryKind kind, const char *name, bool verbose, bool json,
		     int *rc)
{
	Db__Query q = DB__QUERY__INIT;
	Db__QueryReply r = DB__QUERY_REPLY__INIT;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	q.kind = kind;
	q.name = (char *)(name ? name : "");
	q.verbose = verbose;
	q.json = json;
	*rc = rbsd_display(&dv->d, &q, f, &r);
	fclose(f);
	return text;
}

static char *show(struct dev *dv, const char *name, bool verbose)
{
	int rc;
	char *t = display(dv, DB__QUERY_KIND__QUERY_RBS, name, verbose, false, &rc);

	ck_assert_int_eq(rc, 1);
	return t;
}

/* The JSON display's first service (or the whole document with name
 * set to one that does not exist). The caller puts it. */
static struct json_object *show_json(struct dev *dv, const char *name)
{
	int rc;
	char *t = display(dv, DB__QUERY_KIND__QUERY_RBS, name, false, true, &rc);
	struct json_object *o = json_tokener_parse(t), *arr, *x;

	ck_assert_msg(o != NULL, "not JSON: %s", t);
	free(t);
	if (!json_object_object_get_ex(o, "services", &arr))
		return o;
	ck_assert_int_ge(json_object_array_length(arr), 1);
	x = json_object_get(json_object_array_get_idx(arr, 0));
	json_object_put(o);
	return x;
}

static int64_t jint(struct json_object *o, const char *k)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no %s", k);
	return json_object_get_int64(v);
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no %s", k);
	return v ? json_object_get_string(v) : NULL;
}

static bool jbool(struct json_object *o, const char *k)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no %s", k);
	return json_object_get_boolean(v);
}

/* One number of the JSON display (a field of the service, or of its
 * window with "window."). */
static int64_t json_num(struct dev *dv, const char *k)
{
	struct json_object *o = show_json(dv, SVC), *w;
	int64_t v;

	if (strncmp(k, "window.", 7) == 0) {
		ck_assert(json_object_object_get_ex(o, "window", &w));
		v = jint(w, k + 7);
	} else {
		v = jint(o, k);
	}
	json_object_put(o);
	return v;
}

/* One string of the JSON display (a field of the service, or of one of
 * its objects with "object.field"), copied; "(null)" for null. */
static const char *jstr_of(struct dev *dv, const char *k)
{
	static char buf[128];
	struct json_object *o = show_json(dv, SVC), *x = o;
	const char *dot = strchr(k, '.'), *v;

	if (dot) {
		char obj[64];

		snprintf(obj, sizeof(obj), "%.*s", (int)(dot - k), k);
		ck_assert_msg(json_object_object_get_ex(o, obj, &x), "no %s", obj);
		k = dot + 1;
	}
	v = jstr(x, k);
	snprintf(buf, sizeof(buf), "%s", v ? v : "(null)");
	json_object_put(o);
	return buf;
}

static bool json_flag(struct dev *dv, const char *k)
{
	struct json_object *o = show_json(dv, SVC);
	bool v = jbool(o, k);

	json_object_put(o);
	return v;
}

/* ---- what the log says ----------------------------------------------------- */

static int saved_stderr = -1;
static char log_path[128];

/* From now on the log (stderr) goes to a file of the test's own. */
static void log_capture(void)
{
	int fd;

	snprintf(log_path, sizeof(log_path), "%s/log", A.rundir);
	fflush(stderr);
	saved_stderr = dup(2);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	dup2(fd, 2);
	close(fd);
}

static void log_release(void)
{
	if (saved_stderr < 0)
		return;
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
}

/* How many lines of the captured log hold `what`. */
static unsigned log_count(const char *what)
{
	char line[1024];
	unsigned n = 0;
	FILE *f;

	fflush(stderr);
	f = fopen(log_path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

/* ---- fixture ----------------------------------------------------------------- */

/* A network namespace of the test's own: lo up, 127.0.0.2 on it (an
 * address of "this device" for rbsd's check, as 127.0.0.1 is). */
static void own_loopback(void)
{
	struct ifreq ifr;
	int fd;

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s", strerror(errno));
	ck_assert_int_eq(netns_lo_up(), 0);
	/* an alias label: a second IPv4 address on lo */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo:1");
	ifr.ifr_addr.sa_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, IP_B, &((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr),
			 1);
	ck_assert_int_eq(ioctl(fd, SIOCSIFADDR, &ifr), 0);
	close(fd);
}

static void dev_start(struct dev *dv, const char *ip, const char *peer, const char *name)
{
	int rc;

	memset(dv, 0, sizeof(*dv));
	dv->ip = ip;
	dv->peer = peer;
	snprintf(dv->rundir, sizeof(dv->rundir), "%s/%d-%s", root, (int)getpid(), name);
	ck_assert_int_eq(mkdir(dv->rundir, 0750), 0);
	rc = rbsd_init(&loop, zctx, dv->rundir, &dv->d);
	ck_assert_msg(rc == 0, "rbsd_init: %s", strerror(-rc));
	dv->started = true;
}

static void setup(void)
{
	own_loopback();
	signal(SIGPIPE, SIG_IGN); /* as the daemon runs (daemon.c) */
	log_init("check_rbsd", true);
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	loopwait_init(&lw, &loop, SLICE_MS, feeders_turn, NULL);
	zctx = zmq_ctx_new();
	ck_assert_ptr_nonnull(zctx);
	dev_start(&A, IP_A, IP_B, "A");
	dev_start(&B, IP_B, IP_A, "B");
	extra = NULL;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void dev_stop(struct dev *dv)
{
	feeder_close(&dv->f);
	if (dv->started)
		rbsd_stop(&dv->d);
}

/* Everything stopped and freed, and the loop proves it: nothing is left
 * on it. */
static void teardown(void)
{
	log_release();
	if (extra)
		feeder_close(extra);
	dev_stop(&A);
	dev_stop(&B);
	loopwait_close(&lw);
	daemon_close_loop(&loop);
	rbsd_free(&A.d);
	rbsd_free(&B.d);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	zmq_ctx_term(zctx);
	nftw(A.rundir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	nftw(B.rundir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* The runner's: the run directories' parent, removed after every test of
 * the case ran, whatever became of them. */
static void root_make(void)
{
	snprintf(root, sizeof(root), "/tmp/check_rbsd.XXXXXX");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static void root_remove(void)
{
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Both devices configured, a feeder attached on each (B's queue of
 * rcvhwm_b messages, 0: ZeroMQ's default; B's saying what it applied when
 * b_applies), the channel up, and the full batches of a new session sent
 * both ways: entries pass from now on. */
static void both_up_as(int rcvhwm_b, bool b_applies)
{
	configure_ok(&A, &(struct conf){0});
	configure_ok(&B, &(struct conf){0});
	feeder_open(&A.f, &A, "feeder-a", 0);
	feeder_open(&B.f, &B, "feeder-b", rcvhwm_b);
	B.f.applies = b_applies;
	feeder_attach(&A.f, "rbpd-a");
	feeder_attach(&B.f, "rbpd-b");
	WAIT(A.f.up && B.f.up && A.f.credits && B.f.credits);
	WAIT(A.f.answered && B.f.answered && got_find(&A.f, 0, 'E') >= 0 &&
	     got_find(&B.f, 0, 'E') >= 0);
	/* A's first batch may reach rbsd B before its feeder's attach does:
	 * counted undelivered, and sent again once it attaches */
	undelivered_b = json_num(&B, "feeder_undelivered");
}

static void both_up_with(int rcvhwm_b)
{
	both_up_as(rcvhwm_b, false);
}

static void both_up(void)
{
	both_up_with(0);
}

/* ---- the tests ----------------------------------------------------------------- */

START_TEST(an_attached_feeder_is_granted_credit_and_told_the_channel_state)
{
	configure_ok(&A, &(struct conf){0});
	feeder_open(&A.f, &A, "feeder-a", 0);
	feeder_attach(&A.f, "rbpd-a");
	/* B is not there yet: down, with credit for a whole window */
	WAIT(A.f.states >= 1 && A.f.credits >= 1);
	ck_assert(!A.f.up);
	ck_assert_uint_eq(A.f.c_entries, WIN);
	ck_assert_uint_eq(A.f.c_bytes, RBS_CHAN_WIN_BYTES);
	ck_assert_uint_ne(A.f.c_attach, 0);
	ck_assert_uint_eq(A.f.c_resolved, 0);
	ck_assert_uint_eq(A.f.c_lost, 0);
	/* Attach again (rbpd does every second): nothing new */
	feeder_attach(&A.f, "rbpd-a");
	run_for(QUIET_MS);
	ck_assert_uint_eq(A.f.states, 1);
	ck_assert_uint_eq(A.f.credits, 1);

	configure_ok(&B, &(struct conf){0});
	WAIT(A.f.up);
	ck_assert_msg(strncmp(A.f.reason, IP_B ":", strlen(IP_B ":")) == 0, "%s", A.f.reason);
	/* B's feeder, attaching once the channel is up, hears so at once and
	 * that a full batch from the peer is coming (a new session) */
	feeder_open(&B.f, &B, "feeder-b", 0);
	feeder_attach(&B.f, "rbpd-b");
	WAIT(B.f.states >= 1 && B.f.credits >= 1);
	ck_assert(B.f.up);
	ck_assert_msg(strncmp(B.f.reason, IP_A ":", strlen(IP_A ":")) == 0, "%s", B.f.reason);
	ck_assert(B.f.rx_full_batch);
	ck_assert_uint_ne(B.f.c_attach, A.f.c_attach);
}
END_TEST

START_TEST(entries_from_feeder_a_reach_feeder_b_in_order_once_within_credit)
{
	const uint32_t n = 3000;
	struct json_object *o, *w;

	both_up();
	feeder_entries_within_credit(&A.f, 1, n, 250, 16);
	WAIT(B.f.entries >= n);
	ck_assert(got_run(&B.f, 0, 1, n));
	/* everything acknowledged: the credit is what was sent plus a whole
	 * window again, and every entry is held by the peer */
	WAIT(A.f.c_resolved == n && A.f.c_entries == n + WIN);
	ck_assert_uint_eq(A.f.c_lost, 0);
	ck_assert(!A.f.over_grant);
	ck_assert_str_eq(jstr_of(&B, "feeder_acks"), "received"); /* on receipt, as ever */
	run_for(QUIET_MS); /* and nothing more comes */
	ck_assert_uint_eq(B.f.entries, n);

	o = show_json(&A, SVC);
	ck_assert_int_eq(jint(o, "entries_sent"), n);
	ck_assert_int_eq(jint(o, "feeder_overruns"), 0);
	ck_assert(json_object_object_get_ex(o, "window", &w));
	ck_assert_int_eq(jint(w, "unacknowledged"), 0);
	ck_assert_int_eq(jint(w, "acknowledged_seq"), n);
	json_object_put(o);
	o = show_json(&B, SVC);
	ck_assert_int_eq(jint(o, "entries_received"), n);
	ck_assert_int_eq(jint(o, "feeder_undelivered"), undelivered_b);
	json_object_put(o);
}
END_TEST

/* B's feeder says what it applied (as rbpd does): A's entries reach it at
 * once, but A's feeder learns that B holds them only once B's feeder says
 * it applied them; a word of another attachment, or of more than it was
 * handed, moves nothing. */
START_TEST(a_feeder_that_says_what_it_applied_has_only_that_acknowledged)
{
	uint64_t att;

	both_up_as(0, true);
	feeder_entries(&A.f, 1, 10, 8);
	WAIT(B.f.entries == 10);
	ck_assert(got_run(&B.f, 0, 1, 10));
	run_for(QUIET_MS);
	ck_assert_uint_eq(A.f.c_resolved, 0);
	ck_assert_str_eq(jstr_of(&B, "feeder_acks"), "applied");
	ck_assert_int_eq(json_num(&A, "window.acknowledged_seq"), 0);
	ck_assert_int_eq(json_num(&B, "window.received_seq"), 10);
	ck_assert_int_eq(json_num(&B, "window.applied_seq"), 0);

	att = B.f.c_attach;
	feeder_applied(&B.f, 10, att ^ 1); /* another attachment's */
	feeder_applied(&B.f, 11, att);	   /* more than it was handed */
	run_for(QUIET_MS);
	ck_assert_uint_eq(A.f.c_resolved, 0);
	ck_assert_int_eq(json_num(&B, "feeder_applied_refused"), 1);

	feeder_applied(&B.f, 4, att);
	WAIT(A.f.c_resolved == 4);
	ck_assert_int_eq(json_num(&B, "window.applied_seq"), 4);
	feeder_applied(&B.f, 10, att);
	WAIT(A.f.c_resolved == 10);
	ck_assert_uint_eq(A.f.c_lost, 0);
	WAIT(json_num(&A, "window.unacknowledged") == 0);
	ck_assert(A.f.up && B.f.up);
}
END_TEST

/* The entries of a batch from the peer are acknowledged by the same rule. */
START_TEST(a_batch_is_acknowledged_as_the_feeder_applies_it)
{
	both_up_as(0, true);
	feeder_marker(&A.f, false, 3, 0, RBS_SVC_COUNT);
	feeder_entries(&A.f, 1, 3, 8);
	feeder_marker(&A.f, true, 3, 0x77, RBS_SVC_COUNT);
	WAIT(strstr(got_text(&B.f, 0), "E3"));
	run_for(QUIET_MS);
	ck_assert_uint_eq(A.f.c_resolved, 0);
	ck_assert_str_eq(jstr_of(&A, "batch_sent.state"), "waiting-for-ack");
	feeder_applied(&B.f, 3, B.f.c_attach);
	WAIT(A.f.c_resolved == 3);
	WAIT(strcmp(jstr_of(&A, "batch_sent.state"), "completed") == 0);
}
END_TEST

/* rbpd B restarts before applying what it was handed: nothing of it is
 * acknowledged, and the new one gets it again (the connection starts
 * anew and resumes after what was applied), and B holds it once the new
 * one says it applied it. */
START_TEST(what_a_feeder_did_not_apply_before_it_went_comes_again_to_the_next)
{
	struct feeder *f2 = &X;
	unsigned downs;

	both_up_as(0, true);
	feeder_entries(&A.f, 1, 5, 4);
	WAIT(B.f.entries == 5);
	feeder_applied(&B.f, 2, B.f.c_attach);
	WAIT(A.f.c_resolved == 2);
	downs = A.f.downs;

	feeder_open(f2, &B, "feeder-b2", 0);
	f2->applies = true;
	extra = f2;
	feeder_attach(f2, "rbpd-b");
	WAIT(A.f.downs > downs);
	WAIT(A.f.up && f2->up && f2->entries == 3);
	ck_assert(got_run(f2, 0, 3, 3));
	run_for(QUIET_MS);
	ck_assert_uint_eq(A.f.c_resolved, 2);
	feeder_applied(f2, 3, f2->c_attach);
	WAIT(A.f.c_resolved == 5);
	ck_assert_uint_eq(A.f.c_lost, 0);
	/* and on from there */
	feeder_entries(&A.f, 6, 2, 4);
	WAIT(f2->entries == 5);
	ck_assert(got_run(f2, 0, 3, 5));
	feeder_applied(f2, 5, f2->c_attach);
	WAIT(A.f.c_resolved == 7);
}
END_TEST

START_TEST(a_feeder_that_does_not_read_holds_the_channel_and_loses_nothing)
{
	uint32_t sent = 0;
	bool held;

	both_up_with(1);
	B.f.reading = false;
	/* A's feeder sends until B's feeder's queue is full and rbsd B holds
	 * the channel: then the peer's entries wait in rbsd B */
	for (held = false; !held && sent < 20000; sent += 200) {
		feeder_entries_within_credit(&A.f, sent + 1, 200, 50, 1000);
		held = UNTIL(json_flag(&B, "feeder_holding"), 5);
	}
	ck_assert_msg(held, "rbsd B never held its channel (%u entries sent)", sent);
	ck_assert_int_ge(json_num(&B, "feeder_waits"), 1);
	/* held: B acknowledges nothing more, so A's window keeps what B has
	 * not handed its feeder */
	run_for(QUIET_MS);
	ck_assert(json_flag(&B, "feeder_holding"));
	ck_assert_int_gt(json_num(&A, "window.unacknowledged"), 0);
	{
		char *t = show(&B, SVC, false);

		ck_assert_msg(strstr(t, "Feeder waits   : ") && strstr(t, "holding now"), "%s", t);
		free(t);
	}
	/* it reads again: everything, in order, once, and the hold ends */
	B.f.reading = true;
	WAIT(B.f.entries >= sent);
	ck_assert(got_run(&B.f, 0, 1, sent));
	WAIT(!json_flag(&B, "feeder_holding"));
	WAIT(json_num(&A, "window.unacknowledged") == 0);
	ck_assert_int_eq(json_num(&B, "feeder_undelivered"), undelivered_b);
	WAIT(A.f.c_resolved == sent);
	ck_assert(!A.f.over_grant);
}
END_TEST

START_TEST(a_feeder_sending_past_its_credit_is_counted_and_logged_and_service_goes_on)
{
	const uint32_t over = 100;
	struct json_object *o;
	char *t;

	/* B is not configured: nothing is acknowledged, the window fills */
	configure_ok(&A, &(struct conf){0});
	feeder_open(&A.f, &A, "feeder-a", 0);
	A.f.manual = true;
	feeder_attach(&A.f, "rbpd-a");
	WAIT(A.f.credits >= 1);
	ck_assert_uint_eq(A.f.c_entries, WIN);
	log_capture();
	for (uint32_t k = 0; k < WIN + over; k += 4096)
		feeder_entries(&A.f, k + 1, WIN + over - k < 4096 ? WIN + over - k : 4096, 0);
	WAIT(json_num(&A, "feeder_overruns") == over);
	ck_assert_int_eq(json_num(&A, "window.pushed_seq"), WIN);
	ck_assert_uint_eq(log_count("feeder rbpd-a sent past its credit"), 1);
	ck_assert_uint_eq(A.f.c_entries, WIN); /* no credit more */
	t = show(&A, SVC, false);
	ck_assert_msg(strstr(t, "Feeder         : rbpd-a (overruns 100, undelivered 0)"), "%s", t);
	free(t);
	log_release();

	/* and service goes on: B comes, the channel is up; a new session, so
	 * what A's window held is discarded (the feeder learns that every
	 * entry it sent is lost) and A's feeder is asked for a batch */
	configure_ok(&B, &(struct conf){0});
	feeder_open(&B.f, &B, "feeder-b", 0);
	feeder_attach(&B.f, "rbpd-b");
	WAIT(A.f.up && B.f.up);
	WAIT(A.f.requests >= 1);
	WAIT(A.f.c_resolved == WIN + over);
	ck_assert_uint_eq(A.f.c_lost, WIN + over);
	feeder_marker(&A.f, false, 2, 0, RBS_SVC_COUNT);
	feeder_entries(&A.f, 900001, 2, 4);
	feeder_marker(&A.f, true, 2, 77, RBS_SVC_COUNT);
	WAIT(strstr(got_text(&B.f, 0), "E2"));
	ck_assert_str_eq(got_text(&B.f, 0), "B2eeE2");
	ck_assert(got_run(&B.f, 0, 900001, 2));
	o = show_json(&A, SVC);
	ck_assert_str_eq(jstr(o, "state"), "Connected");
	ck_assert_int_eq(jint(o, "feeder_overruns"), over);
	json_object_put(o);
}
END_TEST

START_TEST(batch_markers_and_requests_pass_between_the_feeders)
{
	size_t from;
	long e;

	both_up();
	from = B.f.ngot;
	/* A's batch, as rbpd sends it: begin, entries, end, in order at B */
	feeder_marker(&A.f, false, 3, 0, RBS_SVC_COUNT);
	feeder_entries(&A.f, 1, 3, 8);
	feeder_marker(&A.f, true, 3, 0xfeedu, RBS_SVC_COUNT);
	WAIT(strstr(got_text(&B.f, from), "E3"));
	ck_assert_str_eq(got_text(&B.f, from), "B3eeeE3");
	ck_assert(got_run(&B.f, from, 1, 3));
	e = (long)B.f.ngot - 1;
	while (B.f.got[e].kind != 'E')
		e--;
	ck_assert_uint_eq(B.f.got[e].x, 0xfeedu);

	/* a marker the peer would refuse (no types) is dropped here, and the
	 * channel stays up */
	from = B.f.ngot;
	feeder_marker(&A.f, false, 1, 0, 0);
	feeder_marker(&A.f, true, 1, 0, 0);
	feeder_entries(&A.f, 4, 1, 8);
	WAIT(B.f.entries == 4);
	ck_assert_str_eq(got_text(&B.f, from), "e");
	ck_assert(A.f.up && B.f.up);

	/* B's feeder lost part of A's batch: A's feeder is asked for one of
	 * every type */
	{
		Db__RbsLocal m = DB__RBS_LOCAL__INIT;
		Db__RbsBatchRequest r = DB__RBS_BATCH_REQUEST__INIT;
		unsigned before = A.f.requests;
		long q;

		m.body_case = DB__RBS_LOCAL__BODY_BATCH_REQUEST;
		m.batch_request = &r;
		feeder_send(&B.f, &m);
		WAIT(A.f.requests > before);
		q = got_find(&A.f, 0, 'Q');
		while (got_find(&A.f, (size_t)q + 1, 'Q') >= 0)
			q = got_find(&A.f, (size_t)q + 1, 'Q');
		ck_assert_uint_eq(A.f.got[q].n, RBS_SVC_COUNT);
	}

	/* batch-backup service-type arp now, committed on A: A's feeder is
	 * asked for a batch of ARP */
	{
		unsigned before = A.f.requests;
		long q;

		configure_ok(&A, &(struct conf){.batch_type = "arp"});
		WAIT(A.f.requests > before);
		q = (long)A.f.ngot - 1;
		while (A.f.got[q].kind != 'Q')
			q--;
		ck_assert_uint_eq(A.f.got[q].n, 1);
		ck_assert_uint_eq(A.f.got[q].x, DB__RBS_SERVICE_TYPE__RBS_SVC_ARP);
		ck_assert(A.f.up); /* the channel was kept */
		ck_assert_uint_eq(A.d.batches, 1);
	}
}
END_TEST

START_TEST(a_batch_request_with_no_feeder_waits_for_one_to_attach)
{
	struct json_object *o;
	char *t;

	configure_ok(&A, &(struct conf){0});
	configure_ok(&A, &(struct conf){.batch_type = "nd"});
	o = show_json(&A, SVC);
	ck_assert(jbool(o, "batch_request_waiting"));
	ck_assert_ptr_null(jstr(o, "feeder"));
	json_object_put(o);
	t = show(&A, SVC, false);
	ck_assert_msg(strstr(t, "Feeder         : none attached"), "%s", t);
	ck_assert_msg(strstr(t, "Batch request  : waiting for a feeder"), "%s", t);
	free(t);
	/* an unknown service type or service is taken and does nothing */
	configure_ok(&A, &(struct conf){.batch_type = "nonsense"});

	feeder_open(&A.f, &A, "feeder-a", 0);
	feeder_attach(&A.f, "rbpd-a");
	WAIT(A.f.requests == 1);
	/* its credit came first: it counts from 0 for this attachment before
	 * anything asks it to send */
	ck_assert_uint_ge(A.f.credits_at_request, 1);
	ck_assert_uint_eq(A.f.got[got_find(&A.f, 0, 'Q')].n, 1);
	ck_assert_uint_eq(A.f.got[got_find(&A.f, 0, 'Q')].x, DB__RBS_SERVICE_TYPE__RBS_SVC_ND);
	ck_assert(!json_flag(&A, "batch_request_waiting"));
}
END_TEST

START_TEST(a_feeder_that_attaches_anew_gets_a_full_batch_from_the_peer)
{
	struct feeder *f2 = &X;
	unsigned before;
	uint64_t attach1;

	both_up();
	feeder_entries(&A.f, 1, 5, 4);
	WAIT(B.f.entries == 5);
	attach1 = B.f.c_attach;
	before = A.f.requests;

	/* rbpd B restarted: a new connection, a new routing id */
	feeder_open(f2, &B, "feeder-b2", 0);
	extra = f2;
	feeder_attach(f2, "rbpd-b");
	WAIT(f2->states >= 1 && f2->credits >= 1);
	ck_assert(f2->up);
	ck_assert_uint_ne(f2->c_attach, attach1);
	ck_assert_uint_eq(f2->c_entries, WIN);
	/* what it held of A's entries is gone: A's feeder sends them all */
	WAIT(A.f.requests > before);
	ck_assert_uint_eq(A.f.got[A.f.ngot - 1].kind, 'Q');
	ck_assert_uint_eq(A.f.got[A.f.ngot - 1].n, RBS_SVC_COUNT);
	/* what A sends now goes to the new feeder, and the old one's words
	 * are not taken */
	feeder_entries(&A.f, 6, 2, 4);
	WAIT(f2->entries == 2);
	ck_assert(got_run(f2, 0, 6, 2));
	B.f.sent = 0;
	feeder_entries(&B.f, 100, 3, 4); /* from the old feeder: ignored */
	run_for(QUIET_MS);
	ck_assert_uint_eq(json_num(&B, "entries_sent"), 0);
	ck_assert_uint_eq(B.f.entries, 5);
	{
		struct json_object *o = show_json(&B, SVC);

		ck_assert_str_eq(jstr(o, "feeder"), "rbpd-b");
		json_object_put(o);
	}
}
END_TEST

START_TEST(entries_a_batch_leaves_out_are_given_back_as_credit)
{
	struct feeder *f2 = &X;
	unsigned before;
	uint64_t c0;
	uint32_t n;

	both_up();
	feeder_entries(&A.f, 1, 5, 4);
	WAIT(B.f.entries == 5);
	WAIT(A.f.c_entries == A.f.sent + WIN);
	c0 = A.f.c_entries;
	before = A.f.requests;
	/* rbpd B restarted: A owes it a whole batch, and leaves out what its
	 * feeder sends before the batch begins */
	feeder_open(f2, &B, "feeder-b2", 0);
	extra = f2;
	feeder_attach(f2, "rbpd-b");
	WAIT(A.f.requests > before);
	run_for(QUIET_MS);
	c0 = A.f.c_entries;
	n = (uint32_t)(c0 - A.f.sent);
	/* all its credit, before the batch begins */
	feeder_entries(&A.f, 6, n, 4);
	/* not held against the feeder: its credit grows by as much, or it
	 * would wait for room that never frees (the window did not change) */
	WAIT(A.f.c_entries == c0 + n);
	ck_assert_uint_eq(json_num(&A, "feeder_overruns"), 0);
}
END_TEST

START_TEST(bad_local_messages_are_dropped_and_service_goes_on)
{
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12};
	struct feeder *stranger = &X;

	both_up();
	/* bytes that are no RbsLocal */
	feeder_send_raw(&A.f, junk, sizeof(junk), false);
	/* a message of three parts, and one of more than the bus takes */
	feeder_send_raw(&A.f, "x", 1, true);
	feeder_send_raw(&A.f, junk, sizeof(junk), false);
	for (int i = 0; i < BUS_MAX_PARTS; i++)
		feeder_send_raw(&A.f, "y", 1, true);
	feeder_send_raw(&A.f, junk, sizeof(junk), false);
	/* a service that does not exist */
	{
		Db__RbsLocal m = DB__RBS_LOCAL__INIT;
		Db__RbsAttach a = DB__RBS_ATTACH__INIT;

		m.service = "nosuch";
		m.body_case = DB__RBS_LOCAL__BODY_ATTACH;
		m.attach = &a;
		feeder_send(&A.f, &m);
	}
	/* entries from a connection that did not attach */
	feeder_open(stranger, &A, "stranger", 0);
	extra = stranger;
	feeder_entries(stranger, 500, 2, 4);
	/* roles the peer would refuse (VRID 0): dropped here, not sent */
	feeder_roles(&A.f, 0);
	/* and then real entries: they pass, alone */
	feeder_entries(&A.f, 1, 3, 4);
	WAIT(B.f.entries == 3);
	run_for(QUIET_MS);
	ck_assert(got_run(&B.f, 0, 1, 3));
	ck_assert_int_eq(got_find(&B.f, 0, 'R'), -1);
	ck_assert(A.f.up && B.f.up);
	ck_assert_uint_eq(A.f.downs, 0);
	ck_assert_uint_eq(stranger->ngot, 0);
	ck_assert_uint_eq(bus_dropped(A.d.local), 1);
	{
		struct json_object *o = show_json(&A, SVC);

		ck_assert_str_eq(jstr(o, "feeder"), "rbpd-a");
		ck_assert_int_eq(jint(o, "entries_sent"), 3);
		json_object_put(o);
	}
}
END_TEST

/* Whether f was handed roles naming vrid from its got[from] on. */
static bool roles_heard(const struct feeder *f, size_t from, uint32_t vrid)
{
	for (long at; (at = got_find(f, from, 'R')) >= 0; from = (size_t)at + 1)
		if (f->got[at].x == vrid)
			return true;
	return false;
}

START_TEST(roles_and_antientropy_pass_and_bad_antientropy_is_counted)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsCompare c = DB__RBS_COMPARE__INIT;
	uint64_t dig[2] = {42, 43};
	long at;

	both_up();
	feeder_roles(&A.f, 7);
	WAIT((at = got_find(&B.f, 0, 'R')) >= 0);
	ck_assert_uint_eq(B.f.got[at].n, 1);
	ck_assert_uint_eq(B.f.got[at].x, 7);
	/* A's keepalives say them every second; B's feeder hears them again
	 * only when they change */
	run_for(2500);
	ck_assert_int_lt(got_find(&B.f, (size_t)at + 1, 'R'), 0);
	feeder_roles(&A.f, 8);
	WAIT(roles_heard(&B.f, (size_t)at + 1, 8));

	/* a comparison step, after the entries before it */
	feeder_entries(&A.f, 1, 2, 4);
	c.round = 9;
	c.type = DB__RBS_SERVICE_TYPE__RBS_SVC_ARP;
	c.level = 0;
	c.digests = dig;
	c.n_digests = 1;
	m = (Db__RbsLocal)DB__RBS_LOCAL__INIT;
	m.body_case = DB__RBS_LOCAL__BODY_COMPARE;
	m.compare = &c;
	feeder_send(&A.f, &m);
	WAIT((at = got_find(&B.f, 0, 'C')) >= 0);
	ck_assert_uint_eq(B.f.got[at].n, 9);
	ck_assert_uint_eq(B.f.got[at].x, 42);
	ck_assert_uint_eq(B.f.entries, 2);
	ck_assert_uint_eq(B.f.got[at - 1].kind, 'e');

	/* one the peer would refuse (two digests at level 0): dropped,
	 * counted and shown; the channel stays up */
	c.n_digests = 2;
	c.round = 10;
	feeder_send(&A.f, &m);
	WAIT(json_num(&A, "feeder_antientropy_refused") == 1);
	{
		char *t = show(&A, SVC, false);

		ck_assert_msg(strstr(t, "(anti-entropy frames refused 1)"), "%s", t);
		free(t);
	}
	/* a summary passes too */
	{
		Db__RbsSummary s = DB__RBS_SUMMARY__INIT;
		uint32_t leaf = 3;

		s.round = 11;
		s.type = DB__RBS_SERVICE_TYPE__RBS_SVC_ARP;
		s.leaves = &leaf;
		s.n_leaves = 1;
		m = (Db__RbsLocal)DB__RBS_LOCAL__INIT;
		m.body_case = DB__RBS_LOCAL__BODY_SUMMARY;
		m.summary = &s;
		feeder_send(&A.f, &m);
		WAIT((at = got_find(&B.f, 0, 'S')) >= 0);
		ck_assert_uint_eq(B.f.got[at].n, 11);
	}
	ck_assert_int_eq(got_find(&B.f, 0, '!'), -1);
	ck_assert(A.f.up && B.f.up);
}
END_TEST

START_TEST(entries_with_no_feeder_attached_are_counted_and_the_feeder_gets_a_batch)
{
	struct json_object *o;

	configure_ok(&A, &(struct conf){0});
	configure_ok(&B, &(struct conf){0});
	feeder_open(&A.f, &A, "feeder-a", 0);
	feeder_attach(&A.f, "rbpd-a");
	log_capture();
	WAIT(A.f.up && A.f.answered);
	feeder_entries(&A.f, 1, 4, 4);
	WAIT(json_num(&B, "entries_received") == 4);
	/* a message each: the batch's two markers and the entries' frame */
	ck_assert_int_ge(json_num(&B, "feeder_undelivered"), 3);
	ck_assert_uint_eq(log_count("entries from the peer with no feeder attached"), 1);
	log_release();
	o = show_json(&B, SVC);
	ck_assert_ptr_null(jstr(o, "feeder"));
	json_object_put(o);
	/* when it attaches, the peer is asked for all of it */
	{
		unsigned before = A.f.requests;

		feeder_open(&B.f, &B, "feeder-b", 0);
		feeder_attach(&B.f, "rbpd-b");
		WAIT(A.f.requests > before);
	}
}
END_TEST

START_TEST(display_shows_what_an_operator_reads)
{
	struct json_object *o, *p, *x;
	char *t;
	int rc;

	/* nothing configured */
	t = show(&A, NULL, false);
	ck_assert_str_eq(t, "Info: No remote backup service is configured.");
	free(t);
	/* another daemon's query: not rbsd's to answer */
	t = display(&A, DB__QUERY_KIND__QUERY_VRRP, NULL, false, false, &rc);
	ck_assert_int_eq(rc, 0);
	free(t);

	/* a service with no peer yet */
	configure_ok(&A, &(struct conf){.source = "", .peer = "", .port = 1});
	t = show(&A, SVC, false);
	ck_assert_msg(strstr(t, "Remote backup service: rbs1\n"), "%s", t);
	ck_assert_msg(strstr(t, "State          : Init (no peer configured"), "%s", t);
	ck_assert_msg(strstr(t, "TLS            : OFF"), "%s", t);
	ck_assert_msg(strstr(t, "Profile        : rbp1 backup-id 1"), "%s", t);
	free(t);
	o = show_json(&A, SVC);
	ck_assert_str_eq(jstr(o, "state"), "Init");
	ck_assert(!jbool(o, "up"));
	ck_assert_str_eq(jstr(o, "down_reason"), "no peer configured (peer P source S port N)");
	ck_assert(json_object_object_get_ex(o, "tls", &x));
	ck_assert(!jbool(x, "enabled"));
	json_object_put(o);

	/* both up, a feeder on A, BFD tracked */
	configure_ok(&A, &(struct conf){.track_bfd = "s1"});
	configure_ok(&B, &(struct conf){0});
	feeder_open(&A.f, &A, "feeder-a", 0);
	feeder_attach(&A.f, "rbpd-a");
	WAIT(A.f.up && A.f.answered);
	feeder_entries(&A.f, 1, 2, 4);
	WAIT(json_num(&B, "entries_received") == 2);
	t = show(&A, SVC, false);
	ck_assert_msg(strstr(t, "Remote backup service: rbs1\n"), "%s", t);
	ck_assert_msg(strstr(t, "Track BFD      : session s1"), "%s", t);
	ck_assert_msg(strstr(t, "Feeder         : rbpd-a\n"), "%s", t);
	ck_assert_msg(strstr(t, "Profile        : rbp1 backup-id 1"), "%s", t);
	free(t);
	t = show(&A, NULL, true);
	ck_assert_msg(strstr(t, "Remote backup service: rbs1\n"), "%s", t);
	free(t);
	o = show_json(&A, SVC);
	ck_assert_str_eq(jstr(o, "name"), SVC);
	ck_assert_str_eq(jstr(o, "state"), "Connected");
	ck_assert(jbool(o, "up"));
	ck_assert_str_eq(jstr(o, "peer"), IP_B);
	ck_assert_str_eq(jstr(o, "source"), IP_A);
	ck_assert_int_eq(jint(o, "port"), PORT);
	ck_assert_str_eq(jstr(o, "feeder"), "rbpd-a");
	ck_assert_int_eq(jint(o, "feeder_overruns"), 0);
	ck_assert_int_eq(jint(o, "feeder_undelivered"), 0);
	ck_assert_int_eq(jint(o, "feeder_antientropy_refused"), 0);
	ck_assert(!jbool(o, "batch_request_waiting"));
	ck_assert(!jbool(o, "feeder_holding"));
	ck_assert_int_eq(jint(o, "entries_sent"), 2);
	ck_assert_str_eq(jstr(o, "track_bfd"), "s1");
	ck_assert(json_object_object_get_ex(o, "profiles", &p));
	ck_assert_int_eq(json_object_array_length(p), 1);
	x = json_object_array_get_idx(p, 0);
	ck_assert_str_eq(jstr(x, "name"), "rbp1");
	ck_assert_int_eq(jint(x, "backup_id"), 1);
	json_object_put(o);

	/* a name that is not configured */
	t = display(&A, DB__QUERY_KIND__QUERY_RBS, "nosuch", false, false, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(t, "Error: The remote backup service nosuch does not exist.");
	free(t);
	o = show_json(&A, "nosuch");
	ck_assert_str_eq(jstr(o, "error"), "The remote backup service does not exist.");
	json_object_put(o);
}
END_TEST

START_TEST(a_refused_configuration_leaves_the_running_service_as_it_was)
{
	char err[512];
	int fd, one = 1;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(PORT + 1)};

	both_up();
	/* the source is not an address of this device */
	ck_assert_uint_eq(configure(&A, &(struct conf){.source = "192.0.2.1"}, err, sizeof(err)),
			  1);
	ck_assert_str_eq(err, "remote-backup-service rbs1: source 192.0.2.1 is not an address of "
			      "this device");
	/* the port is another's */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, IP_A, &sin.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_uint_eq(configure(&A, &(struct conf){.port = PORT + 1}, err, sizeof(err)), 1);
	ck_assert_msg(strstr(err, "remote-backup-service rbs1: cannot bind 127.0.0.1 port 7801: "),
		      "%s", err);
	close(fd);
	/* the ssl policy's files are not there */
	ck_assert_uint_ge(configure(&A, &(struct conf){.ssl = true}, err, sizeof(err)), 1);
	ck_assert_msg(strstr(err, "remote-backup-service rbs1: ssl policy pol1: key-file "), "%s",
		      err);
	/* no commit of those touched the service: the same channel, up */
	run_for(QUIET_MS);
	ck_assert_uint_eq(A.f.downs, 0);
	ck_assert_uint_eq(B.f.downs, 0);
	ck_assert(A.f.up);
	feeder_entries(&A.f, 1, 2, 4);
	WAIT(B.f.entries == 2);
	ck_assert_int_eq(json_num(&A, "reconnects"), 0);
	{
		struct json_object *o = show_json(&A, SVC);

		ck_assert_int_eq(jint(o, "port"), PORT);
		ck_assert_str_eq(jstr(o, "source"), IP_A);
		json_object_put(o);
	}
	/* the same addresses with another profile: the channel is kept */
	configure_ok(&A, &(struct conf){.backup_id = 1});
	run_for(QUIET_MS);
	ck_assert_uint_eq(A.f.downs, 0);
	ck_assert_uint_eq(B.f.downs, 0);
	/* the service removed: its feeder is left without one */
	configure_ok(&A, &(struct conf){.none = true});
	{
		char *t = show(&A, NULL, false);

		ck_assert_str_eq(t, "Info: No remote backup service is configured.");
		free(t);
	}
	WAIT(!B.f.up);
}
END_TEST

START_TEST(changed_addresses_open_a_new_channel)
{
	unsigned states, asked;

	both_up();
	states = A.f.states;
	asked = A.f.asked;
	/* another port on both: a new channel each, and up again */
	configure_ok(&A, &(struct conf){.port = PORT + 2});
	WAIT(!B.f.up);
	ck_assert_int_eq(json_num(&A, "port"), PORT + 2);
	configure_ok(&B, &(struct conf){.port = PORT + 2});
	WAIT(A.f.states > states && A.f.up && B.f.up);
	/* a new session: the feeder sends its batch again, then what it
	 * sends passes on the new channel */
	WAIT(A.f.answered > asked);
	feeder_entries(&A.f, 1, 2, 4);
	WAIT(B.f.entries >= 2);
	ck_assert(got_run(&B.f, 0, 1, 2));
}
END_TEST

START_TEST(a_tracked_bfd_session_going_down_takes_the_channel_down)
{
	struct bus_sock *pub;
	struct bus_opts po = {.type = ZMQ_PUB, .bind = 1};
	char ep[256];
	Db__BfdEvent ev = DB__BFD_EVENT__INIT;
	uint64_t end;
	unsigned states;

	configure_ok(&A, &(struct conf){.track_bfd = "s1"});
	configure_ok(&B, &(struct conf){0});
	feeder_open(&A.f, &A, "feeder-a", 0);
	feeder_attach(&A.f, "rbpd-a");
	WAIT(A.f.up);
	/* vrrpd's events, as vrrpd publishes them */
	ck_assert_int_eq(daemon_endpoint(ep, sizeof(ep), A.rundir, "vrrpd-events"), 0);
	po.endpoint = ep;
	ck_assert_int_eq(bus_open(&pub, &loop, zctx, &po), 0);
	/* A subscriber hears only once its subscription has arrived: the
	 * tracked session's Down is published until it is heard. */
	ev.session = "s1";
	ev.up = false;
	ev.state = "Down";
	ev.diagnostic = "Control Detection Time Expired";
	end = now_ms() + WAIT_MS;
	while (A.f.up) {
		ck_assert_msg(now_ms() < end, "no BFD event heard within %d ms", WAIT_MS);
		bus_send_msg(pub, NULL, 0, DB__MSG_TYPE__MSG_BFD_EVENT, DB__ROLE__ROLE_VRRPD, 0,
			     &ev.base);
		UNTIL(!A.f.up, 20);
	}
	ck_assert_str_eq(A.f.reason, "bfd session s1 went Down (Control Detection Time Expired)");
	/* the channel dials again as after any loss */
	WAIT(A.f.up);
	/* and another session's Down, a session coming up, or a Down that
	 * does not come from vrrpd take nothing down */
	states = A.f.states;
	{
		Db__BfdEvent other = ev, upev = ev;

		other.session = "s2";
		upev.up = true;
		upev.state = "Up";
		bus_send_msg(pub, NULL, 0, DB__MSG_TYPE__MSG_BFD_EVENT, DB__ROLE__ROLE_VRRPD, 0,
			     &other.base);
		bus_send_msg(pub, NULL, 0, DB__MSG_TYPE__MSG_BFD_EVENT, DB__ROLE__ROLE_VRRPD, 0,
			     &upev.base);
		bus_send_msg(pub, NULL, 0, DB__MSG_TYPE__MSG_BFD_EVENT, DB__ROLE__ROLE_RBPD, 0,
			     &ev.base);
	}
	run_for(QUIET_MS);
	ck_assert_uint_eq(A.f.states, states);
	ck_assert(A.f.up);
	bus_close(pub);
}
END_TEST

int main(void)
{
	/* Each test unshares its own network namespace in setup(): they rely
	 * on check's default of one forked process per test. */
	const TTest *tests[] = {
	    an_attached_feeder_is_granted_credit_and_told_the_channel_state,
	    entries_from_feeder_a_reach_feeder_b_in_order_once_within_credit,
	    a_feeder_that_says_what_it_applied_has_only_that_acknowledged,
	    a_batch_is_acknowledged_as_the_feeder_applies_it,
	    what_a_feeder_did_not_apply_before_it_went_comes_again_to_the_next,
	    a_feeder_that_does_not_read_holds_the_channel_and_loses_nothing,
	    a_feeder_sending_past_its_credit_is_counted_and_logged_and_service_goes_on,
	    batch_markers_and_requests_pass_between_the_feeders,
	    a_batch_request_with_no_feeder_waits_for_one_to_attach,
	    a_feeder_that_attaches_anew_gets_a_full_batch_from_the_peer,
	    entries_a_batch_leaves_out_are_given_back_as_credit,
	    bad_local_messages_are_dropped_and_service_goes_on,
	    roles_and_antientropy_pass_and_bad_antientropy_is_counted,
	    entries_with_no_feeder_attached_are_counted_and_the_feeder_gets_a_batch,
	    display_shows_what_an_operator_reads,
	    a_refused_configuration_leaves_the_running_service_as_it_was,
	    changed_addresses_open_a_new_channel,
	    a_tracked_bfd_session_going_down_takes_the_channel_down,
	    NULL,
	};
	bool netns = netns_can_unshare();
	const struct checkrun_case cases[] = {
	    {.tests = tests,
	     .timeout = 30,
	     .setup = setup,
	     .teardown = teardown,
	     .unchecked_setup = root_make,
	     .unchecked_teardown = root_remove,
	     .skip = !netns,
	     .skip_why = "rbsd runs in a network namespace of each test's own (root)"},
	};

	return checkrun("rbsd", cases, sizeof(cases) / sizeof(cases[0]));
}
