/*
 * rbpd's shell, run in process: a struct rbpd started on a loop of the
 * test's own (rbpd_init(), as service_main() starts the daemon) in a
 * network namespace of each test's own, configured as cfgd configures it
 * (a packed Db__RbpdConfig through rbpd_check() and rbpd_apply()). The
 * test plays every neighbour rbpd has on the bus:
 *
 *   vrrpd     RUNDIR/vrrpd-events.ipc (XPUB: VrrpEvents, and the test
 *             knows when rbpd's subscription arrived) and RUNDIR/vrrpd.ipc
 *             (ROUTER: the answer to rbpd's QUERY_VRRP_STATES), and hears
 *             rbpd's PreemptGates on RUNDIR/rbpd-events.ipc;
 *   rbsd      RUNDIR/rbsd-entries.ipc (ROUTER): attachment, credit, the
 *             channel's state, entries both ways, batches;
 *   services  librbpclient (rbpclient/rbp_client.h): changes from a thread
 *             of their own (the library blocks for rbpd's answers, which
 *             this loop gives), restored users and roles on the loop
 *             (rbpc_restored_fd());
 *   kernel    a veth pair a0/a1 in the namespace: neighbours added with
 *             `ip neigh`, what rbpd installs read back with RTM_GETNEIGH.
 *
 * What the tests assert is what a user sees: entries handed to rbsd (so,
 * to the peer), the kernel's neighbour table, what services are told,
 * the user API's answers, `display remote-backup-profile` (text, JSON).
 *
 * Every wait is bounded (WAIT_MS) and runs the loop until what is awaited
 * happens; only "nothing happens" is watched for a fixed time (QUIET_MS).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/bus.h"
#include "common/credit.h"
#include "common/daemon.h"
#include "rbpclient/rbp_client.h"
#include "rbpd/rbp_neigh.h"
#include "rbpd/rbpd.h"
#include "tests/lib/cfgcommit.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/jcheck.h"
#include "tests/lib/netns.h"
#include "tests/lib/standin.h"
#include "tests/lib/tmproot.h"
#include "user.pb-c.h"

#define WAIT_MS 3000 /* the bound of every wait for what must happen */
#define QUIET_MS 200 /* how long what must not happen is watched for */

#define SVC "rbs1"     /* the remote-backup-service */
#define PROFILE "p1"   /* the remote-backup-profile */
#define BACKUP_ID 7    /* its backup-id */
#define VRID_ODD 1     /* vrrp-id 1 interface a0 odd-mac */
#define VRID_EVEN 2    /* vrrp-id 2 interface a0 even-mac */
#define ATTACH1 0x1111 /* rbsd's attachments */
#define ATTACH2 0x2222

static const uint8_t MAC_ODD[6] = {0x02, 0, 0, 0, 0, 0x03};
static const uint8_t MAC_ODD2[6] = {0x02, 0, 0, 0, 0, 0x05};
static const uint8_t MAC_EVEN[6] = {0x02, 0, 0, 0, 0, 0x04};

/* ---- the loop ------------------------------------------------------------ */

#define ENTRIES_MAX 256

/* An entry rbpd handed rbsd. */
struct entry {
	int op, type;
	uint8_t key[256];
	size_t klen;
	uint8_t payload[1024];
	size_t plen;
	uint64_t version;
	bool in_batch; /* between a RbsBatchBegin and its End */
};

/* A user a service was told of (restored, or replayed). */
struct told {
	int type;
	uint8_t mac[6];
	char ifname[16], key[64], payload[64];
	bool replay;
};

/* One test's world; each test is a process of its own. */
static struct {
	uv_loop_t loop;
	void *zctx;
	struct rbpd d;
	bool stopped; /* rbpd_stop() ran */
	char rundir[64];
	uv_timer_t guard;
	uv_async_t wake; /* an API thread is done */

	/* vrrpd */
	struct bus_sock *vrrp_pub, *vrrp_ctl, *gates_sub;
	bool vrrp_subscribed;
	uint64_t vrrp_seq, takeover_next;
	int state[3];	      /* Db__VrrpState of vrid 1 and 2 on a0 */
	uint64_t takeover[3]; /* their takeover numbers, 0 unless Master */
	size_t queries, ngates;
	pid_t rbsd_proc;	/* the pid rbsd's credit says, 0: none */
	pid_t vrrpd_proc;	/* the pid vrrpd's state list says, 0: the test's */
	bool gate_listed[3];	/* the last PreemptGates lists vrid 1, 2 */
	uint64_t taken_over[3]; /* the last PreemptGates' echo */

	/* rbsd */
	struct bus_sock *rbsd;
	uint8_t rbpd_id[256];
	size_t rbpd_idlen;
	size_t attaches, batch_begins, batch_ends, batch_requests, nroles, compares, summaries;
	bool applied_acks; /* the last RbsAttach said rbpd tells what it applied */
	size_t napplied;   /* RbsApplied messages, and the last one's words */
	uint64_t applied_count, applied_attach;
	uint64_t batch_begin_count, batch_end_count;
	bool in_batch;
	bool roles_master[3];
	size_t nentries;
	Db__RbsCompare *cmp[3]; /* the last RbsCompare of each level */
	Db__RbsSummary *last_summary;
	struct ut_table *peer; /* what the peer holds: what it sent */

	/* a service's subscription */
	struct rbpc *sub;
	uv_poll_t sub_poll;
	bool sub_polling;
	size_t ntold, nroles_told;
	bool roles_master_told[3];
} T;

static struct entry entries[ENTRIES_MAX];
static struct told told[64];

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_guard(uv_timer_t *t)
{
	(void)t;
}

/* One turn of the loop, which returns at end at the latest; false once
 * end has passed. */
static bool turn(uint64_t end)
{
	uint64_t now = mono_ms();

	if (now >= end)
		return false;
	uv_timer_start(&T.guard, on_guard, end - now, 0);
	uv_run(&T.loop, UV_RUN_ONCE);
	uv_timer_stop(&T.guard);
	return true;
}

/* Runs the loop until cond holds, for ms at most; whether it held. */
#define UNTIL(cond, ms)                                                                            \
	({                                                                                         \
		uint64_t end_ = mono_ms() + (ms);                                                  \
		bool ok_;                                                                          \
		while (!(ok_ = (cond)) && turn(end_))                                              \
			;                                                                          \
		ok_;                                                                               \
	})
#define WAIT(cond) ck_assert_msg(UNTIL(cond, WAIT_MS), "not within %d ms: %s", WAIT_MS, #cond)

/* Runs the loop for ms: what must not happen meanwhile is checked after. */
static void run_for(unsigned ms)
{
	UNTIL(false, ms);
}

static void sh(const char *cmd)
{
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* Microseconds of the wall clock: versions as a peer's rbpd gives them. */
static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- vrrpd ----------------------------------------------------------------- */

/* vrrpd-events.ipc, an XPUB: a subscription says rbpd hears what follows. */
static void on_vrrp_sub(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	(void)s;
	(void)arg;
	if (n == 1 && parts[0].len >= 1 && parts[0].data[0] == 1)
		T.vrrp_subscribed = true;
}

/* vrrpd.ipc: vrrpd's answer to QUERY_VRRP_STATES, the states the test set. */
static void on_vrrp_query(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	Db__QueryReply r = DB__QUERY_REPLY__INIT;
	Db__VrrpStateList l = DB__VRRP_STATE_LIST__INIT;
	Db__VrrpGroupState g[2], *gp[2];
	Db__Envelope *env;
	Db__Query *q;

	(void)arg;
	ck_assert_int_eq(n, 2);
	env = bus_unpack(parts[1].data, parts[1].len);
	ck_assert_ptr_nonnull(env);
	ck_assert_int_eq(env->type, DB__MSG_TYPE__MSG_QUERY);
	ck_assert_int_eq(env->sender, DB__ROLE__ROLE_RBPD);
	q = db__query__unpack(NULL, env->payload.len, env->payload.data);
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(q->kind, DB__QUERY_KIND__QUERY_VRRP_STATES);
	T.queries++;
	for (unsigned v = 1; v <= 2; v++) {
		if (T.state[v] == 0)
			continue;
		db__vrrp_group_state__init(&g[l.n_groups]);
		g[l.n_groups].ifname = "a0";
		g[l.n_groups].vrid = v;
		g[l.n_groups].state = (Db__VrrpState)T.state[v];
		g[l.n_groups].takeover = T.takeover[v];
		gp[l.n_groups] = &g[l.n_groups];
		l.n_groups++;
	}
	l.groups = gp;
	l.seq = T.vrrp_seq;
	/* vrrpd lives as long as the test, unless a stand-in plays it */
	l.pid = (uint64_t)(T.vrrpd_proc ? T.vrrpd_proc : getpid());
	r.ok = true;
	r.states = &l;
	ck_assert_int_eq(bus_send_msg(s, parts[0].data, parts[0].len, DB__MSG_TYPE__MSG_QUERY_REPLY,
				      DB__ROLE__ROLE_VRRPD, env->id, &r.base),
			 0);
	db__query__free_unpacked(q, NULL);
	db__envelope__free_unpacked(env, NULL);
}

/* rbpd-events.ipc: rbpd's PreemptGates. */
static void on_gates(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	Db__Envelope *env;
	Db__PreemptGates *g;

	(void)s;
	(void)arg;
	ck_assert_int_eq(n, 1);
	env = bus_unpack(parts[0].data, parts[0].len);
	ck_assert_ptr_nonnull(env);
	ck_assert_int_eq(env->type, DB__MSG_TYPE__MSG_PREEMPT_GATES);
	g = db__preempt_gates__unpack(NULL, env->payload.len, env->payload.data);
	ck_assert_ptr_nonnull(g);
	T.gate_listed[1] = T.gate_listed[2] = false;
	for (size_t i = 0; i < g->n_gates; i++)
		if (g->gates[i]->vrid >= 1 && g->gates[i]->vrid <= 2) {
			T.taken_over[g->gates[i]->vrid] = g->gates[i]->taken_over;
			T.gate_listed[g->gates[i]->vrid] = true;
		}
	T.ngates++;
	db__preempt_gates__free_unpacked(g, NULL);
	db__envelope__free_unpacked(env, NULL);
}

/* A bound rbpd-side binding of vrid, as rbpd holds it. */
static struct pbind *bind_of(unsigned vrid)
{
	for (struct prof *p = T.d.profs; p; p = p->next)
		for (size_t j = 0; j < p->nbind; j++)
			if (p->bind[j].b.vrid == vrid)
				return &p->bind[j];
	ck_abort_msg("no binding of vrid %u", vrid);
	return NULL;
}

static enum rbp_group_state group_state_of(Db__VrrpState s)
{
	return s == DB__VRRP_STATE__VRRP_STATE_MASTER	? RBP_GROUP_MASTER
	       : s == DB__VRRP_STATE__VRRP_STATE_BACKUP ? RBP_GROUP_BACKUP
							: RBP_GROUP_INIT;
}

/* vrrpd publishes the transition of group vrid on a0 to `to`; rbpd has
 * acted on it when this returns. Returns the takeover number (Master). */
static uint64_t vrrp_event(unsigned vrid, Db__VrrpState to)
{
	Db__VrrpEvent ev = DB__VRRP_EVENT__INIT;

	ev.ifname = "a0";
	ev.vrid = vrid;
	ev.from =
	    T.state[vrid] ? (Db__VrrpState)T.state[vrid] : DB__VRRP_STATE__VRRP_STATE_INITIALIZE;
	ev.to = to;
	ev.reason = "test";
	ev.takeover = to == DB__VRRP_STATE__VRRP_STATE_MASTER ? ++T.takeover_next : 0;
	T.state[vrid] = to;
	T.takeover[vrid] = ev.takeover;
	ck_assert_int_eq(bus_send_msg(T.vrrp_pub, NULL, 0, DB__MSG_TYPE__MSG_VRRP_EVENT,
				      DB__ROLE__ROLE_VRRPD, ++T.vrrp_seq, &ev.base),
			 0);
	WAIT(bind_of(vrid)->b.state == group_state_of(to));
	return ev.takeover;
}

#define ADD DB__RBS_OP__RBS_OP_ADD
#define DEL DB__RBS_OP__RBS_OP_DELETE
#define MASTER DB__VRRP_STATE__VRRP_STATE_MASTER
#define BACKUP DB__VRRP_STATE__VRRP_STATE_BACKUP

/* Until rbpd's PreemptGates reach the test (it connects on its own time). */
static void gates_heard(void)
{
	uint64_t end = mono_ms() + WAIT_MS;

	T.ngates = 0;
	while (T.ngates == 0) {
		uint64_t step = mono_ms() + 5;

		rbpd_gates_publish(&T.d);
		while (T.ngates == 0 && turn(step < end ? step : end))
			;
		ck_assert_msg(mono_ms() < end, "rbpd-events.ipc: nothing heard in %d ms", WAIT_MS);
	}
}

/* ---- rbsd -------------------------------------------------------------------- */

static void rbsd_send(Db__RbsLocal *m)
{
	size_t len;
	uint8_t *buf;

	ck_assert_uint_gt(T.rbpd_idlen, 0);
	m->service = SVC;
	len = db__rbs_local__get_packed_size(m);
	buf = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(buf);
	db__rbs_local__pack(m, buf);
	ck_assert_int_eq(bus_send(T.rbsd, T.rbpd_id, T.rbpd_idlen, buf, len), 0);
	free(buf);
}

static void on_rbsd(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	Db__RbsLocal *m;

	(void)s;
	(void)arg;
	ck_assert_int_eq(n, 2);
	m = db__rbs_local__unpack(NULL, parts[1].len, parts[1].data);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->service, SVC);
	ck_assert_uint_le(parts[0].len, sizeof(T.rbpd_id));
	memcpy(T.rbpd_id, parts[0].data, parts[0].len);
	T.rbpd_idlen = parts[0].len;
	switch (m->body_case) {
	case DB__RBS_LOCAL__BODY_ATTACH:
		ck_assert_str_eq(m->attach->feeder, "rbpd");
		T.attaches++;
		T.applied_acks = m->attach->applied_acks;
		break;
	case DB__RBS_LOCAL__BODY_APPLIED:
		T.napplied++;
		T.applied_count = m->applied->count;
		T.applied_attach = m->applied->attach;
		break;
	case DB__RBS_LOCAL__BODY_ENTRIES:
		for (size_t i = 0; i < m->entries->n_entries; i++) {
			const Db__RbsEntry *e = m->entries->entries[i];
			struct entry *x = &entries[T.nentries];

			ck_assert_uint_lt(T.nentries, ENTRIES_MAX);
			ck_assert_uint_le(e->key.len, sizeof(x->key));
			ck_assert_uint_le(e->payload.len, sizeof(x->payload));
			x->op = e->op;
			x->type = e->type;
			memcpy(x->key, e->key.data, e->key.len);
			x->klen = e->key.len;
			memcpy(x->payload, e->payload.data, e->payload.len);
			x->plen = e->payload.len;
			x->version = e->version;
			x->in_batch = T.in_batch;
			T.nentries++;
		}
		break;
	case DB__RBS_LOCAL__BODY_BATCH_BEGIN:
		T.batch_begins++;
		T.batch_begin_count = m->batch_begin->count;
		T.in_batch = true;
		break;
	case DB__RBS_LOCAL__BODY_BATCH_END:
		T.batch_ends++;
		T.batch_end_count = m->batch_end->count;
		T.in_batch = false;
		break;
	case DB__RBS_LOCAL__BODY_BATCH_REQUEST:
		T.batch_requests++;
		break;
	case DB__RBS_LOCAL__BODY_ROLES:
		T.nroles++;
		for (size_t i = 0; i < m->roles->n_roles; i++) {
			const Db__RbsRole *r = m->roles->roles[i];

			ck_assert_uint_eq(r->backup_id, BACKUP_ID);
			if (r->vrid >= 1 && r->vrid <= 2)
				T.roles_master[r->vrid] = r->master;
		}
		break;
	case DB__RBS_LOCAL__BODY_COMPARE:
		T.compares++;
		ck_assert_uint_le(m->compare->level, 2);
		if (T.cmp[m->compare->level])
			db__rbs_compare__free_unpacked(T.cmp[m->compare->level], NULL);
		T.cmp[m->compare->level] = (Db__RbsCompare *)bus_msg_copy(&m->compare->base);
		break;
	case DB__RBS_LOCAL__BODY_SUMMARY:
		T.summaries++;
		if (T.last_summary)
			db__rbs_summary__free_unpacked(T.last_summary, NULL);
		T.last_summary = (Db__RbsSummary *)bus_msg_copy(&m->summary->base);
		break;
	default:
		ck_abort_msg("rbpd sent rbsd body %d", m->body_case);
	}
	db__rbs_local__free_unpacked(m, NULL);
}

static void rbsd_open(void)
{
	struct bus_opts o = {.type = ZMQ_ROUTER, .bind = 1, .cb = on_rbsd};
	char ep[128];

	ck_assert_int_eq(daemon_endpoint(ep, sizeof(ep), T.rundir, "rbsd-entries"), 0);
	o.endpoint = ep;
	ck_assert_int_eq(bus_open(&T.rbsd, &T.loop, T.zctx, &o), 0);
}

/* rbsd's credit: entries and bytes in all since attachment `attach`. */
static void credit(uint64_t entries_, uint64_t bytes, uint64_t attach)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsCredit c = DB__RBS_CREDIT__INIT;

	c.entries = entries_;
	c.bytes = bytes;
	c.attach = attach;
	c.pid = (uint64_t)T.rbsd_proc;
	m.body_case = DB__RBS_LOCAL__BODY_CREDIT;
	m.credit = &c;
	rbsd_send(&m);
}

static void chan_state(bool up, const char *reason, const char *mismatch)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsChannelState s = DB__RBS_CHANNEL_STATE__INIT;

	s.up = up;
	s.reason = (char *)reason;
	s.mismatch = (char *)(mismatch ? mismatch : "");
	s.rx_full_batch = true;
	m.body_case = DB__RBS_LOCAL__BODY_STATE;
	m.state = &s;
	rbsd_send(&m);
}

static void batch_request(void)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsBatchRequest r = DB__RBS_BATCH_REQUEST__INIT;
	Db__RbsServiceType all[UT_SVC_COUNT];

	for (int t = 0; t < UT_SVC_COUNT; t++)
		all[t] = (Db__RbsServiceType)t;
	r.types = all;
	r.n_types = UT_SVC_COUNT;
	m.body_case = DB__RBS_LOCAL__BODY_BATCH_REQUEST;
	m.batch_request = &r;
	rbsd_send(&m);
}

static struct chan *chan(void)
{
	ck_assert_ptr_nonnull(T.d.chans);
	return T.d.chans;
}

/* rbsd takes rbpd: its first credit on the channel, which is up. */
static void rbsd_up(uint64_t attach)
{
	WAIT(T.attaches > 0);
	credit(1000, 1 << 20, attach);
	chan_state(true, "peer 192.0.2.2", NULL);
	WAIT(chan()->attached && chan()->up && chan()->attach == attach);
}

/* ---- what the peer sends ------------------------------------------------- */

struct peer_user {
	int op, type;
	const uint8_t *mac;
	const char *ifname;
	const uint8_t *key;
	size_t klen;
	const char *data;
	uint32_t backup_id;
};

/* An ARP user's key: address and interface (rbp_rec.h). */
static size_t arp_key(const char *addr, const char *ifname, uint8_t key[32])
{
	uint8_t a[4];
	int n;

	ck_assert_int_eq(inet_pton(AF_INET, addr, a), 1);
	n = rbp_rec_neigh_key(AF_INET, a, ifname, key);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

/* The peer's entries, as rbsd delivers them. */
static void peer_send(const struct peer_user *u, size_t n)
{
	static uint8_t recs[16][512];
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsEntries es = DB__RBS_ENTRIES__INIT;
	Db__RbsEntry e[16], *ep[16];

	ck_assert_uint_le(n, 16);
	for (size_t i = 0; i < n; i++) {
		struct rbp_user r = {.backup_id = u[i].backup_id ? u[i].backup_id : BACKUP_ID,
				     .data = (const uint8_t *)u[i].data,
				     .data_len = u[i].data ? strlen(u[i].data) : 0};
		int len;

		memcpy(r.mac, u[i].mac, 6);
		snprintf(r.ifname, sizeof(r.ifname), "%s", u[i].ifname);
		len = rbp_rec_encode(&r, recs[i], sizeof(recs[i]));
		ck_assert_int_gt(len, 0);
		db__rbs_entry__init(&e[i]);
		e[i].op = u[i].op ? (Db__RbsOp)u[i].op : DB__RBS_OP__RBS_OP_ADD;
		e[i].type = (Db__RbsServiceType)u[i].type;
		e[i].key.data = (uint8_t *)u[i].key;
		e[i].key.len = u[i].klen;
		e[i].payload.data = recs[i];
		e[i].payload.len = (size_t)len;
		e[i].version = now_us();
		ep[i] = &e[i];
		{
			struct ut_rec pr = {(enum ut_svc)u[i].type,
					    UT_ORIGIN_LOCAL,
					    e[i].version,
					    u[i].key,
					    u[i].klen,
					    recs[i],
					    (size_t)len};

			if (e[i].op == DEL)
				ut_delete(T.peer, pr.type, pr.key, pr.key_len, pr.version,
					  pr.origin);
			else
				ck_assert_int_ge(ut_upsert(T.peer, &pr), 0);
		}
	}
	es.entries = ep;
	es.n_entries = n;
	m.body_case = DB__RBS_LOCAL__BODY_ENTRIES;
	m.entries = &es;
	rbsd_send(&m);
}

/* The peer's batch of every type, as rbsd delivers it: its begin, and its
 * end with the count it claims and the digest of what the peer holds. */
static void peer_batch(bool end, uint64_t count)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsBatchBegin b = DB__RBS_BATCH_BEGIN__INIT;
	Db__RbsBatchEnd e = DB__RBS_BATCH_END__INIT;
	Db__RbsServiceType all[UT_SVC_COUNT];

	for (int t = 0; t < UT_SVC_COUNT; t++)
		all[t] = (Db__RbsServiceType)t;
	if (end) {
		e.types = all;
		e.n_types = UT_SVC_COUNT;
		e.count = count;
		e.digest = ut_digest(T.peer, UT_SVC_ALL);
		m.body_case = DB__RBS_LOCAL__BODY_BATCH_END;
		m.batch_end = &e;
	} else {
		b.types = all;
		b.n_types = UT_SVC_COUNT;
		b.count = count;
		m.body_case = DB__RBS_LOCAL__BODY_BATCH_BEGIN;
		m.batch_begin = &b;
	}
	rbsd_send(&m);
}

static void send_compare(Db__RbsCompare *c)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;

	m.body_case = DB__RBS_LOCAL__BODY_COMPARE;
	m.compare = c;
	rbsd_send(&m);
}

/* ---- the kernel ------------------------------------------------------------ */

/* The kernel's entry of addr on a0: 1 with *n filled, 0 when none. */
static int kernel_neigh(const char *addr, struct rbp_neigh *n)
{
	static uint32_t seq;
	struct rbp_neigh key = {.family = AF_INET};
	int fd = rbp_neigh_get_open(), rc;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(inet_pton(AF_INET, addr, key.addr), 1);
	key.ifindex = (int)if_nametoindex("a0");
	ck_assert_int_gt(key.ifindex, 0);
	rc = rbp_neigh_get(fd, &key, ++seq, n);
	close(fd);
	ck_assert_int_ge(rc, 0);
	return rc;
}

/* Whether the kernel holds addr on a0 with this MAC, state and protocol. */
static bool kernel_has(const char *addr, const uint8_t *mac, uint16_t state, uint8_t proto)
{
	struct rbp_neigh n;

	return kernel_neigh(addr, &n) == 1 && n.has_lladdr && memcmp(n.lladdr, mac, 6) == 0 &&
	       n.state == state && n.protocol == proto;
}

/* ---- the user API (librbpclient) -------------------------------------- */

struct change {
	int op; /* 0: add, 1: delete */
	int type;
	const uint8_t *mac;
	const char *ifname;
	const char *key, *payload;
};

/* A service's requests, made from a thread of their own: the library
 * waits for rbpd's answers, which only this loop can give. */
struct job {
	const struct change *c;
	size_t n;
	int rc;	     /* rbpc_flush()'s, or the first failing call's */
	size_t nerr; /* changes refused */
	char err[8][200];
	uint64_t err_seq[8];
	int sync_ms; /* rbpc_set_sync() */
	uint64_t backed, not_backed;
	char why[200]; /* the last "not backed up" */
	pthread_t th;
	atomic_bool done;
};

static void on_job_unbacked(void *arg, uint64_t first, uint64_t last, const char *why)
{
	struct job *j = arg;

	(void)first;
	(void)last;
	snprintf(j->why, sizeof(j->why), "%s", why);
}

static void on_job_error(void *arg, uint64_t seq, const char *error)
{
	struct job *j = arg;

	if (j->nerr < 8) {
		snprintf(j->err[j->nerr], sizeof(j->err[j->nerr]), "%s", error);
		j->err_seq[j->nerr] = seq;
	}
	j->nerr++;
}

static void *job_run(void *arg)
{
	struct job *j = arg;
	char err[200];
	struct rbpc *c = rbpc_open(T.rundir, err, sizeof(err));

	j->rc = -ENOMEM;
	if (c) {
		rbpc_set_timeout(c, WAIT_MS);
		rbpc_on_error(c, on_job_error, j);
		rbpc_set_sync(c, j->sync_ms);
		rbpc_on_not_backed_up(c, on_job_unbacked, j);
		j->rc = 0;
		for (size_t i = 0; i < j->n && j->rc == 0; i++) {
			const struct change *x = &j->c[i];

			j->rc =
			    x->op
				? rbpc_delete(c, x->type, x->mac, x->ifname, x->key, strlen(x->key))
				: rbpc_add(c, x->type, x->mac, x->ifname, x->key, strlen(x->key),
					   x->payload, x->payload ? strlen(x->payload) : 0);
		}
		if (j->rc == 0)
			j->rc = rbpc_flush(c);
		rbpc_sync_stats(c, &j->backed, &j->not_backed);
		rbpc_close(c);
	}
	atomic_store(&j->done, true);
	uv_async_send(&T.wake);
	return NULL;
}

static void on_wake(uv_async_t *a)
{
	(void)a;
}

/* Hands rbpd the changes c[0..n) as a service does; the number refused
 * (rbpc_flush()), with their reasons in j. */
static void api_start(struct job *j, const struct change *c, size_t n, int sync_ms)
{
	memset(j, 0, sizeof(*j));
	j->c = c;
	j->n = n;
	j->sync_ms = sync_ms;
	ck_assert_int_eq(pthread_create(&j->th, NULL, job_run, j), 0);
}

static int api_wait(struct job *j)
{
	ck_assert_msg(UNTIL(atomic_load(&j->done), 2 * WAIT_MS), "the API did not answer");
	ck_assert_int_eq(pthread_join(j->th, NULL), 0);
	return j->rc;
}

static int api(struct job *j, const struct change *c, size_t n)
{
	api_start(j, c, n, 0);
	return api_wait(j);
}

/* Adds one user through the API, which rbpd must take. */
static void api_add(const uint8_t *mac, const char *key, const char *payload)
{
	struct change c = {0, UT_SVC_DHCP_SERVER, mac, "a0", key, payload};
	struct job j;

	ck_assert_int_eq(api(&j, &c, 1), 0);
}

/* A service subscribed to the restored users of every type and the roles. */
static void on_told(void *arg, const struct rbpc_user *u)
{
	struct told *t = &told[T.ntold < 64 ? T.ntold : 63];

	(void)arg;
	t->type = u->type;
	memcpy(t->mac, u->mac, 6);
	snprintf(t->ifname, sizeof(t->ifname), "%s", u->ifname);
	snprintf(t->key, sizeof(t->key), "%.*s", (int)u->key_len, (const char *)u->key);
	snprintf(t->payload, sizeof(t->payload), "%.*s", (int)u->payload_len,
		 (const char *)u->payload);
	t->replay = u->replay;
	T.ntold++;
}

static void on_roles_told(void *arg, const struct rbpc_role *r, size_t n)
{
	(void)arg;
	for (size_t i = 0; i < n; i++)
		if (r[i].vrid >= 1 && r[i].vrid <= 2)
			T.roles_master_told[r[i].vrid] = r[i].master;
	T.nroles_told++;
}

static void on_sub(uv_poll_t *h, int status, int events)
{
	(void)h;
	(void)status;
	(void)events;
	while (rbpc_recv_restored(T.sub, 0, on_told, NULL) > 0)
		;
}

static void subscribe(void)
{
	char err[200];
	int fd;

	T.sub = rbpc_open(T.rundir, err, sizeof(err));
	ck_assert_msg(T.sub != NULL, "%s", err);
	ck_assert_int_eq(rbpc_subscribe(T.sub, -1), 0);
	ck_assert_int_eq(rbpc_subscribe_roles(T.sub, on_roles_told, NULL), 0);
	fd = rbpc_restored_fd(T.sub);
	ck_assert_int_ge(fd, 0);
	uv_poll_init(&T.loop, &T.sub_poll, fd);
	uv_poll_start(&T.sub_poll, UV_READABLE, on_sub);
	T.sub_polling = true;
	on_sub(NULL, 0, 0);
	/* the subscription to the roles went after the users': rbpd has both */
	WAIT(T.nroles_told > 0);
}

/* The user told of with this key, or NULL. */
static const struct told *told_of(const char *key)
{
	for (size_t i = 0; i < T.ntold && i < 64; i++)
		if (strcmp(told[i].key, key) == 0)
			return &told[i];
	return NULL;
}

/* ---- configuration (cfgd/compile.c's section for rbpd) ------------------ */

struct conf {
	Db__RbpdConfig c;
	Db__RbpConfig p, *pp[1];
	Db__RbpBinding b[2], *bp[2];
	char *ifaces[4];
};

/* Profile p1: vrrp-id 1 interface a0 odd-mac, vrrp-id 2 interface a0
 * even-mac, backup-id 7 remote-backup-service rbs1, peer-backup hot or
 * warm, cfgd's defaults otherwise (preempt-wait max 300 s). */
static void conf_init(struct conf *k, bool hot)
{
	memset(k, 0, sizeof(*k));
	db__rbpd_config__init(&k->c);
	db__rbp_config__init(&k->p);
	k->p.name = PROFILE;
	k->p.backup_mode = hot ? "hot" : "warm";
	k->p.backup_id = BACKUP_ID;
	k->p.service = SVC;
	k->p.preempt_wait_max_s = 300;
	for (unsigned i = 0; i < 2; i++) {
		db__rbp_binding__init(&k->b[i]);
		k->b[i].vrid = i + 1;
		k->b[i].ifname = "a0";
		k->b[i].odd_mac = i == 0;
		k->bp[i] = &k->b[i];
	}
	k->p.bindings = k->bp;
	k->p.n_bindings = 2;
	k->p.interfaces = k->ifaces;
	k->pp[0] = &k->p;
	k->c.profiles = k->pp;
	k->c.n_profiles = 1;
}

/* A commit as cfgclient runs it: rbpd_check() (PREPARE), then rbpd_apply()
 * when nothing is wrong (COMMIT), rbpd_discard() (ABORT) otherwise.
 * Returns the problems, for the caller to free. */
static const struct cfgclient_ops ops = {rbpd_check, rbpd_apply, rbpd_discard};

static struct errlist commit(const struct conf *k)
{
	return cfgcommit_msg(&ops, &T.d, &k->c.base);
}

static void commit_ok(const struct conf *k)
{
	cfgcommit_ok(&ops, &T.d, &k->c.base);
}

/* The profile configured, rbsd attached with credit and the channel up,
 * the groups in these states. */
static void ready(bool hot, Db__VrrpState odd, Db__VrrpState even)
{
	struct conf k;

	conf_init(&k, hot);
	commit_ok(&k);
	rbsd_up(ATTACH1);
	vrrp_event(VRID_ODD, odd);
	vrrp_event(VRID_EVEN, even);
}

/* ---- display ---------------------------------------------------------------- */

/* `display remote-backup-profile ...` as dbcli shows it; the caller frees
 * the text. *rc is rbpd_display()'s answer. */
static char *display_rc(Db__QueryKind kind, bool json, const char *name, const char *service,
			const char *mac, int *rc)
{
	Db__Query q = DB__QUERY__INIT;
	Db__QueryReply r = DB__QUERY_REPLY__INIT;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	q.kind = kind;
	q.json = json;
	q.name = (char *)(name ? name : "");
	q.service = (char *)(service ? service : "");
	q.mac = (char *)(mac ? mac : "");
	*rc = rbpd_display(&T.d, &q, f, &r);
	fclose(f);
	return buf;
}

static char *display(Db__QueryKind kind, bool json, const char *name, const char *service)
{
	int rc;
	char *text = display_rc(kind, json, name, service, NULL, &rc);

	ck_assert_msg(rc == 1, "display refused: %s", text);
	return text;
}

static json_object *jparse(char *text)
{
	json_object *o = json_tokener_parse(text);

	ck_assert_msg(o != NULL, "not JSON: %s", text);
	free(text);
	return o;
}


#define JSTR(o, k) json_object_get_string(jcheck_get(o, k))
#define JINT(o, k) json_object_get_int64(jcheck_get(o, k))

/* `display remote-backup-profile p1 json`'s profile. The caller puts root. */
static json_object *jprofile(json_object **root)
{
	json_object *arr;

	*root = jparse(display(DB__QUERY_KIND__QUERY_RBP, true, PROFILE, NULL));
	arr = jcheck_get(*root, "profiles");
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	return json_object_array_get_idx(arr, 0);
}

/* The binding of vrid in a profile's JSON. */
static json_object *jbinding(json_object *p, unsigned vrid)
{
	json_object *arr = jcheck_get(p, "bindings");

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *b = json_object_array_get_idx(arr, i);

		if (JINT(b, "vrid") == vrid)
			return b;
	}
	ck_abort_msg("no binding %u in %s", vrid, json_object_to_json_string(p));
	return NULL;
}

/* Users of a type in the profile's JSON counts: "master", "backup" ... */
static int64_t jusers(const char *type, const char *what)
{
	json_object *root, *p = jprofile(&root);
	int64_t n = JINT(jcheck_get(jcheck_get(p, "users"), type), what);

	json_object_put(root);
	return n;
}

/* The role of the user with this key ("master", "backup"), or NULL when
 * `display remote-backup-profile p1 users TYPE json` does not list it. */
static const char *user_role(const char *type, const char *key)
{
	static char role[16];
	json_object *root = jparse(display(DB__QUERY_KIND__QUERY_RBP_USERS, true, PROFILE, type));
	json_object *arr = jcheck_get(root, "users");
	const char *found = NULL;

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *u = json_object_array_get_idx(arr, i), *k;

		if ((json_object_object_get_ex(u, "key", &k) &&
		     strcmp(json_object_get_string(k), key) == 0) ||
		    (json_object_object_get_ex(u, "address", &k) &&
		     strcmp(json_object_get_string(k), key) == 0)) {
			snprintf(role, sizeof(role), "%s", JSTR(u, "role"));
			found = role;
		}
	}
	json_object_put(root);
	return found;
}

/* ---- what rbsd was handed ------------------------------------------------- */

/* The index of the first entry since from with this op, type and key
 * (text), or -1. */
static int entry_of(size_t from, int op, int type, const uint8_t *key, size_t klen)
{
	for (size_t i = from; i < T.nentries; i++)
		if (entries[i].op == op && entries[i].type == type && entries[i].klen == klen &&
		    memcmp(entries[i].key, key, klen) == 0)
			return (int)i;
	return -1;
}

#define ENTRY(from, op, key)                                                                       \
	entry_of(from, op, UT_SVC_DHCP_SERVER, (const uint8_t *)(key), strlen(key))

/* ---- each test's namespace and rbpd --------------------------------------- */

/*
 * The test's namespace: a0 (rbpd's access interface, 192.0.2.1/24) and
 * a1 (the user segment's other end), up, without duplicate address
 * detection nor a link-local address of the kernel's choice.
 */
static const char netns_setup[] = "ip -batch - <<'EOF'\n"
				  "link set lo up\n"
				  "link add a0 type veth peer name a1\n"
				  "link set a0 addrgenmode none\n"
				  "link set a1 addrgenmode none\n"
				  "addr add 192.0.2.1/24 dev a0\n"
				  "link set a0 up\n"
				  "link set a1 up\n"
				  "EOF\n";

/* The tests' run directories are made under one root (tests/lib/tmproot.h),
 * made and removed by the runner's process around the case: a test that
 * fails ends its process without teardown or atexit handlers, and its
 * directory still goes. */
static char run_root[64];

static void root_make(void)
{
	tmproot_make(run_root, sizeof(run_root), "check_rbpd");
}

static void root_remove(void)
{
	tmproot_remove(run_root);
}

static void rm_rundir(void)
{
	if (T.rundir[0])
		tmproot_rm(T.rundir);
	T.rundir[0] = '\0';
}

static void setup(void)
{
	struct bus_opts pub = {.type = ZMQ_XPUB, .bind = 1, .cb = on_vrrp_sub};
	struct bus_opts ctl = {.type = ZMQ_ROUTER, .bind = 1, .cb = on_vrrp_query};
	struct bus_opts gates = {.type = ZMQ_SUB, .cb = on_gates};
	char ep[128], ep2[128], ep3[128];
	int rc;

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s", strerror(errno));
	sh(netns_setup);
	snprintf(T.rundir, sizeof(T.rundir), "%s/t.XXXXXX", run_root);
	ck_assert_ptr_nonnull(mkdtemp(T.rundir));
	ck_assert_int_eq(uv_loop_init(&T.loop), 0);
	uv_timer_init(&T.loop, &T.guard);
	ck_assert_int_eq(uv_async_init(&T.loop, &T.wake, on_wake), 0);
	T.zctx = zmq_ctx_new();
	ck_assert_ptr_nonnull(T.zctx);

	/* vrrpd and rbsd are there before rbpd, as after a boot */
	ck_assert_int_eq(daemon_endpoint(ep, sizeof(ep), T.rundir, "vrrpd-events"), 0);
	pub.endpoint = ep;
	ck_assert_int_eq(bus_open(&T.vrrp_pub, &T.loop, T.zctx, &pub), 0);
	ck_assert_int_eq(daemon_endpoint(ep2, sizeof(ep2), T.rundir, "vrrpd"), 0);
	ctl.endpoint = ep2;
	ck_assert_int_eq(bus_open(&T.vrrp_ctl, &T.loop, T.zctx, &ctl), 0);
	rbsd_open();

	T.peer = ut_table_new(1, 0);
	ck_assert_ptr_nonnull(T.peer);
	T.d = (struct rbpd)RBPD_INITIALIZER;
	rc = rbpd_init(&T.loop, T.zctx, T.rundir, &T.d);
	ck_assert_msg(rc == 0, "rbpd_init: %s", strerror(-rc));
	ck_assert_int_eq(daemon_endpoint(ep3, sizeof(ep3), T.rundir, "rbpd-events"), 0);
	gates.endpoint = ep3;
	ck_assert_int_eq(bus_open(&T.gates_sub, &T.loop, T.zctx, &gates), 0);
	/* rbpd hears vrrpd's events from here on */
	WAIT(T.vrrp_subscribed);
}

static void teardown(void)
{
	if (!T.stopped)
		rbpd_stop(&T.d);
	if (T.sub_polling)
		uv_close((uv_handle_t *)&T.sub_poll, NULL);
	rbpc_close(T.sub);
	bus_close(T.vrrp_pub);
	bus_close(T.vrrp_ctl);
	bus_close(T.gates_sub);
	if (T.rbsd)
		bus_close(T.rbsd);
	uv_close((uv_handle_t *)&T.wake, NULL);
	daemon_close_loop(&T.loop);
	rbpd_free(&T.d);
	ck_assert_int_eq(uv_loop_close(&T.loop), 0);
	zmq_ctx_term(T.zctx);
	for (int i = 0; i < 3; i++)
		if (T.cmp[i])
			db__rbs_compare__free_unpacked(T.cmp[i], NULL);
	ut_table_free(T.peer);
	if (T.last_summary)
		db__rbs_summary__free_unpacked(T.last_summary, NULL);
	rm_rundir();
}

/* ---- the tests ------------------------------------------------------------ */

START_TEST(an_api_user_of_a_master_binding_goes_to_rbsd_within_its_credit)
{
	struct rbp_user u;
	const struct entry *e;
	int i;

	ready(true, MASTER, MASTER);
	/* rbsd allows two more entries than rbpd has handed it */
	credit(chan()->sent_e + 2, 1 << 20, ATTACH1);
	WAIT(chan()->credit_e == chan()->sent_e + 2);
	api_add(MAC_ODD, "lease-1", "192.0.2.11/86400");
	api_add(MAC_EVEN, "lease-2", "192.0.2.12/86400");
	api_add(MAC_ODD2, "lease-3", "192.0.2.13/86400");
	WAIT(ENTRY(0, ADD, "lease-1") >= 0 && ENTRY(0, ADD, "lease-2") >= 0);
	/* the key is the service's, the payload rbpd's record of the user */
	i = ENTRY(0, ADD, "lease-1");
	e = &entries[i];
	ck_assert_int_eq(rbp_rec_decode(e->payload, e->plen, &u), 0);
	ck_assert_uint_eq(u.backup_id, BACKUP_ID);
	ck_assert_mem_eq(u.mac, MAC_ODD, 6);
	ck_assert_str_eq(u.ifname, "a0");
	ck_assert_uint_eq(u.data_len, strlen("192.0.2.11/86400"));
	ck_assert_mem_eq(u.data, "192.0.2.11/86400", u.data_len);
	ck_assert_uint_gt(e->version, 0);
	/* not the third: the credit is spent */
	run_for(QUIET_MS);
	ck_assert_int_eq(ENTRY(0, ADD, "lease-3"), -1);
	ck_assert_uint_eq(chan()->q.len, 1);
	/* the next credit sends it */
	credit(chan()->sent_e + 1, 1 << 20, ATTACH1);
	WAIT(ENTRY(0, ADD, "lease-3") >= 0);
	ck_assert_uint_eq(chan()->q.len, 0);
	ck_assert_int_eq(jusers("dhcp-server", "master"), 3);
}
END_TEST

START_TEST(the_byte_credit_bounds_what_goes_to_rbsd_too)
{
	size_t cost = credit_entry_cost(strlen("lease-1"), RBP_REC_HDR(2) + strlen("x"));

	ready(true, MASTER, MASTER);
	/* room for many entries, but the bytes of one */
	credit(chan()->sent_e + 100, chan()->sent_b + cost, ATTACH1);
	WAIT(chan()->credit_b == chan()->sent_b + cost);
	api_add(MAC_ODD, "lease-1", "x");
	api_add(MAC_ODD, "lease-2", "x");
	WAIT(ENTRY(0, ADD, "lease-1") >= 0);
	run_for(QUIET_MS);
	ck_assert_int_eq(ENTRY(0, ADD, "lease-2"), -1);
	credit(chan()->sent_e + 100, chan()->sent_b + cost, ATTACH1);
	WAIT(ENTRY(0, ADD, "lease-2") >= 0);
}
END_TEST

START_TEST(deleting_an_api_user_sends_the_delete_with_its_record)
{
	struct change c = {1, UT_SVC_DHCP_SERVER, MAC_ODD, "a0", "lease-1", NULL};
	struct rbp_user u;
	struct job j;
	int i;

	ready(true, MASTER, BACKUP);
	api_add(MAC_ODD, "lease-1", "192.0.2.11/86400");
	WAIT(ENTRY(0, ADD, "lease-1") >= 0);
	ck_assert_int_eq(api(&j, &c, 1), 0);
	WAIT((i = ENTRY(0, DEL, "lease-1")) >= 0);
	/* the peer learns whose user it was from the record */
	ck_assert_int_eq(rbp_rec_decode(entries[i].payload, entries[i].plen, &u), 0);
	ck_assert_mem_eq(u.mac, MAC_ODD, 6);
	ck_assert_uint_gt(entries[i].version, entries[ENTRY(0, ADD, "lease-1")].version);
	ck_assert_ptr_null(user_role("dhcp-server", "lease-1"));
	/* a second delete finds nothing */
	ck_assert_int_eq(api(&j, &c, 1), 1);
	ck_assert_str_eq(j.err[0], "no such user");
}
END_TEST

START_TEST(the_peers_arp_users_are_installed_permanent_by_a_hot_backup)
{
	uint8_t k1[32], k2[32], k3[32], k4[32], k5[32];
	struct peer_user u[] = {
	    {0, UT_SVC_ARP, MAC_ODD, "a0", k1, arp_key("192.0.2.21", "a0", k1), NULL, 0},
	    /* not on a prefix connected to a0: held, never installed */
	    {0, UT_SVC_ARP, MAC_ODD2, "a0", k2, arp_key("198.51.100.5", "a0", k2), NULL, 0},
	    /* another backup-id: no profile here shares it */
	    {0, UT_SVC_ARP, MAC_EVEN, "a0", k3, arp_key("192.0.2.23", "a0", k3), NULL, 9},
	    /* an even MAC: the other binding's, backup too */
	    {0, UT_SVC_ARP, MAC_EVEN, "a0", k4, arp_key("192.0.2.24", "a0", k4), NULL, 0},
	    /* an address an administrator has put in the kernel */
	    {0, UT_SVC_ARP, MAC_ODD2, "a0", k5, arp_key("192.0.2.25", "a0", k5), NULL, 0},
	};
	static const uint8_t admin_mac[6] = {0x02, 0, 0, 0, 0, 0x07};
	json_object *root, *p, *r;

	ready(true, BACKUP, BACKUP);
	sh("ip neigh replace 192.0.2.25 lladdr 02:00:00:00:00:07 dev a0 nud permanent");
	peer_send(u, 5);
	WAIT(kernel_has("192.0.2.21", MAC_ODD, NUD_PERMANENT, RBP_NEIGH_PROTO));
	WAIT(kernel_has("192.0.2.24", MAC_EVEN, NUD_PERMANENT, RBP_NEIGH_PROTO));
	ck_assert_str_eq(user_role("arp", "192.0.2.21"), "backup");
	/* held, but only two of them in the kernel */
	ck_assert_int_eq(jusers("arp", "backup"), 4);
	ck_assert_int_eq(jusers("arp", "master"), 0);
	ck_assert_ptr_null(user_role("arp", "192.0.2.23"));
	ck_assert(kernel_has("192.0.2.25", admin_mac, NUD_PERMANENT, 0));
	p = jprofile(&root);
	r = jcheck_get(jcheck_get(p, "service"), "refused_from_peer");
	ck_assert_int_eq(JINT(r, "unknown-backup-id"), 1);
	ck_assert_int_eq(JINT(r, "address-off-subnet"), 1);
	ck_assert_int_eq(JINT(r, "kernel-entry-not-ours"), 1);
	ck_assert_int_eq(JINT(jcheck_get(root, "kernel"), "installed"), 2);
	json_object_put(root);
	/* the peer deletes its user of the administrator's address: the
	 * administrator's entry stays */
	u[4].op = DEL;
	peer_send(&u[4], 1);
	WAIT(user_role("arp", "192.0.2.25") == NULL);
	ck_assert(kernel_has("192.0.2.25", admin_mac, NUD_PERMANENT, 0));
	/* and nothing sent back: they are the peer's users */
	ck_assert_uint_eq(T.nentries, 0);
}
END_TEST

START_TEST(a_warm_backup_installs_nothing_until_it_takes_over)
{
	uint8_t k1[32];
	struct peer_user u = {0,    UT_SVC_ARP, MAC_ODD, "a0", k1, arp_key("192.0.2.21", "a0", k1),
			      NULL, 0};
	struct rbp_neigh n;

	ready(false, BACKUP, BACKUP);
	peer_send(&u, 1);
	WAIT(user_role("arp", "192.0.2.21") != NULL);
	run_for(QUIET_MS);
	ck_assert_int_eq(kernel_neigh("192.0.2.21", &n), 0);
	vrrp_event(VRID_ODD, MASTER);
	WAIT(kernel_has("192.0.2.21", MAC_ODD, NUD_STALE, RBP_NEIGH_PROTO));
	ck_assert_str_eq(user_role("arp", "192.0.2.21"), "master");
}
END_TEST

START_TEST(a_kernel_neighbour_becomes_a_master_user_and_its_deletion_a_delete)
{
	uint8_t key[32], key2[32];
	size_t klen = arp_key("192.0.2.11", "a0", key), klen2 = arp_key("192.0.2.12", "a0", key2);
	struct rbp_user u;
	int i;

	ready(true, MASTER, BACKUP);
	/* odd MAC: vrrp-id 1's, master here */
	sh("ip neigh replace 192.0.2.11 lladdr 02:00:00:00:00:03 dev a0 nud reachable");
	/* even MAC: vrrp-id 2's, the peer's */
	sh("ip neigh replace 192.0.2.12 lladdr 02:00:00:00:00:04 dev a0 nud reachable");
	WAIT((i = entry_of(0, ADD, UT_SVC_ARP, key, klen)) >= 0);
	ck_assert_int_eq(rbp_rec_decode(entries[i].payload, entries[i].plen, &u), 0);
	ck_assert_uint_eq(u.backup_id, BACKUP_ID);
	ck_assert_mem_eq(u.mac, MAC_ODD, 6);
	ck_assert_str_eq(u.ifname, "a0");
	ck_assert_uint_eq(u.data_len, 0);
	ck_assert_str_eq(user_role("arp", "192.0.2.11"), "master");
	run_for(QUIET_MS);
	ck_assert_int_eq(entry_of(0, ADD, UT_SVC_ARP, key2, klen2), -1);
	ck_assert_ptr_null(user_role("arp", "192.0.2.12"));

	sh("ip neigh del 192.0.2.11 dev a0");
	WAIT(entry_of(0, DEL, UT_SVC_ARP, key, klen) >= 0);
	ck_assert_ptr_null(user_role("arp", "192.0.2.11"));
	ck_assert_int_eq(jusers("arp", "master"), 0);
}
END_TEST

START_TEST(a_takeover_makes_the_peers_users_this_devices_and_a_handover_gives_them_back)
{
	uint8_t k1[32];
	const uint8_t *lease = (const uint8_t *)"lease-21", *lease2 = (const uint8_t *)"lease-22";
	struct peer_user u[] = {
	    {0, UT_SVC_ARP, MAC_ODD, "a0", k1, arp_key("192.0.2.21", "a0", k1), NULL, 0},
	    {0, UT_SVC_DHCP_SERVER, MAC_ODD, "a0", lease, 8, "192.0.2.21/86400", 0},
	    /* vrrp-id 2's, which stays backup */
	    {0, UT_SVC_DHCP_SERVER, MAC_EVEN, "a0", lease2, 8, "192.0.2.22/86400", 0},
	};
	const struct told *t;
	json_object *root, *p, *b;
	uint64_t takeover;
	char *text;

	ready(true, BACKUP, BACKUP);
	subscribe();
	gates_heard();
	peer_send(u, 3);
	WAIT(kernel_has("192.0.2.21", MAC_ODD, NUD_PERMANENT, RBP_NEIGH_PROTO));
	WAIT(jusers("dhcp-server", "backup") == 2);
	ck_assert_str_eq(user_role("dhcp-server", "lease-21"), "backup");
	ck_assert_uint_eq(T.ntold, 0);

	takeover = vrrp_event(VRID_ODD, MASTER);
	/* the services are told, the kernel's entry is the kernel's to check */
	WAIT((t = told_of("lease-21")) != NULL);
	ck_assert_int_eq(t->type, UT_SVC_DHCP_SERVER);
	ck_assert_mem_eq(t->mac, MAC_ODD, 6);
	ck_assert_str_eq(t->ifname, "a0");
	ck_assert_str_eq(t->payload, "192.0.2.21/86400");
	ck_assert(!t->replay);
	ck_assert(kernel_has("192.0.2.21", MAC_ODD, NUD_STALE, RBP_NEIGH_PROTO));
	/* vrrpd may announce: rbpd echoes the takeover once it is done */
	WAIT(T.taken_over[VRID_ODD] == takeover);
	WAIT(T.roles_master_told[VRID_ODD] && T.roles_master[VRID_ODD]);
	ck_assert(!T.roles_master_told[VRID_EVEN]);
	run_for(QUIET_MS);
	ck_assert_ptr_null(told_of("lease-22"));
	ck_assert_str_eq(user_role("dhcp-server", "lease-21"), "master");
	ck_assert_str_eq(user_role("arp", "192.0.2.21"), "master");
	ck_assert_str_eq(user_role("dhcp-server", "lease-22"), "backup");
	p = jprofile(&root);
	ck_assert_int_eq(JINT(jcheck_get(jcheck_get(p, "users"), "dhcp-server"), "restored"), 1);
	ck_assert_int_eq(JINT(jcheck_get(jcheck_get(p, "users"), "arp"), "restored"), 1);
	b = jbinding(p, VRID_ODD);
	ck_assert_str_eq(JSTR(b, "role"), "master");
	ck_assert_str_eq(JSTR(b, "group_state"), "Master");
	ck_assert_int_eq(JINT(jcheck_get(b, "last_takeover"), "users_restored"), 2);
	/* the lease; the neighbour is the kernel's */
	ck_assert_int_eq(JINT(jcheck_get(b, "last_takeover"), "users_published"), 1);
	ck_assert_str_eq(JSTR(jbinding(p, VRID_EVEN), "role"), "backup");
	json_object_put(root);
	text = display(DB__QUERY_KIND__QUERY_RBP, false, NULL, NULL);
	ck_assert_msg(strstr(text, "Last takeover     : vrid 1: 2 users restored (1 handed to services) in") != NULL, "%s",
		      text);
	free(text);

	/* the peer takes the group back: its users are the peer's again, and
	 * the hot backup's kernel entries permanent once the delay is over */
	vrrp_event(VRID_ODD, BACKUP);
	WAIT(kernel_has("192.0.2.21", MAC_ODD, NUD_PERMANENT, RBP_NEIGH_PROTO));
	ck_assert_str_eq(user_role("dhcp-server", "lease-21"), "backup");
	ck_assert_str_eq(user_role("arp", "192.0.2.21"), "backup");
	WAIT(!T.roles_master_told[VRID_ODD] && !T.roles_master[VRID_ODD]);
	/* nothing of the peer's was sent back to it */
	ck_assert_uint_eq(T.nentries, 0);
}
END_TEST

START_TEST(groups_that_become_master_together_are_restored_in_one_walk)
{
	const uint8_t *l1 = (const uint8_t *)"lease-41", *l2 = (const uint8_t *)"lease-42";
	struct peer_user u[] = {
	    {0, UT_SVC_DHCP_SERVER, MAC_ODD, "a0", l1, 8, "192.0.2.41/86400", 0},
	    {0, UT_SVC_DHCP_SERVER, MAC_EVEN, "a0", l2, 8, "192.0.2.42/86400", 0},
	};
	json_object *root, *p, *odd, *even;

	ready(true, BACKUP, BACKUP);
	peer_send(u, 2);
	WAIT(jusers("dhcp-server", "backup") == 2);
	/* vrrpd's state list says both are master now: one walk of the
	 * table restores both groups' users, each by its own binding */
	T.state[VRID_ODD] = T.state[VRID_EVEN] = MASTER;
	T.takeover[VRID_ODD] = ++T.takeover_next;
	T.takeover[VRID_EVEN] = ++T.takeover_next;
	rbpd_ask_vrrp(&T.d); /* (as at a missed event) */
	WAIT(jusers("dhcp-server", "master") == 2);
	p = jprofile(&root);
	odd = jcheck_get(jbinding(p, VRID_ODD), "last_takeover");
	even = jcheck_get(jbinding(p, VRID_EVEN), "last_takeover");
	ck_assert_int_eq(JINT(odd, "users_restored"), 1);
	ck_assert_int_eq(JINT(even, "users_restored"), 1);
	ck_assert_double_eq(json_object_get_double(jcheck_get(odd, "restore_ms")),
			    json_object_get_double(jcheck_get(even, "restore_ms")));
	json_object_put(root);
}
END_TEST

START_TEST(the_peers_streamed_changes_show_their_lag_from_made_to_applied)
{
	const uint8_t *l1 = (const uint8_t *)"lease-51", *l2 = (const uint8_t *)"lease-52";
	struct peer_user u[] = {
	    {0, UT_SVC_DHCP_SERVER, MAC_ODD, "a0", l1, 8, "192.0.2.51/86400", 0},
	    {0, UT_SVC_DHCP_SERVER, MAC_EVEN, "a0", l2, 8, "192.0.2.52/86400", 0},
	};
	json_object *root, *lag;
	uint64_t before, t0, t1;
	char *text;

	ready(true, BACKUP, BACKUP);
	lag = jcheck_get(jcheck_get(jprofile(&root), "service"), "replication_lag_us");
	before = (uint64_t)json_object_get_uint64(jcheck_get(lag, "changes"));
	json_object_put(root);
	t0 = now_us();
	peer_send(u, 2);
	WAIT(jusers("dhcp-server", "backup") == 2);
	t1 = now_us();
	lag = jcheck_get(jcheck_get(jprofile(&root), "service"), "replication_lag_us");
	ck_assert_uint_eq(json_object_get_uint64(jcheck_get(lag, "changes")), before + 2);
	/* made (versioned) after t0, applied before t1 */
	ck_assert_uint_le(json_object_get_uint64(jcheck_get(lag, "max")), t1 - t0);
	ck_assert_uint_le(json_object_get_uint64(jcheck_get(lag, "p50")),
			  json_object_get_uint64(jcheck_get(lag, "max")));
	ck_assert_uint_ge(json_object_array_length(jcheck_get(lag, "buckets")), 1);
	json_object_put(root);
	text = display(DB__QUERY_KIND__QUERY_RBP, false, NULL, NULL);
	ck_assert_msg(strstr(text, "Replication lag   : p50 ") != NULL, "%s", text);
	free(text);
}
END_TEST

START_TEST(a_takeover_packs_nothing_for_nobody_and_a_later_subscriber_gets_it_all)
{
	const uint8_t *lease = (const uint8_t *)"lease-31";
	struct peer_user u[] = {
	    {0, UT_SVC_DHCP_SERVER, MAC_ODD, "a0", lease, 8, "192.0.2.31/86400", 0},
	};
	const struct told *t;
	json_object *root, *b;

	ready(true, BACKUP, BACKUP);
	gates_heard();
	peer_send(u, 1);
	WAIT(jusers("dhcp-server", "backup") == 1);
	/* no service reads the restored users: none is packed */
	vrrp_event(VRID_ODD, MASTER);
	WAIT(jusers("dhcp-server", "master") == 1);
	b = jbinding(jprofile(&root), VRID_ODD);
	ck_assert_int_eq(JINT(jcheck_get(b, "last_takeover"), "users_restored"), 1);
	ck_assert_int_eq(JINT(jcheck_get(b, "last_takeover"), "users_published"), 0);
	json_object_put(root);
	/* a service that comes now is told every one, as a replay */
	subscribe();
	WAIT((t = told_of("lease-31")) != NULL);
	ck_assert(t->replay);
	ck_assert_str_eq(t->payload, "192.0.2.31/86400");
}
END_TEST

START_TEST(a_late_subscriber_gets_the_users_this_device_is_master_of_replayed)
{
	const struct told *t;

	ready(true, MASTER, BACKUP);
	api_add(MAC_ODD, "lease-1", "192.0.2.11/86400");
	subscribe();
	WAIT((t = told_of("lease-1")) != NULL);
	ck_assert(t->replay);
	ck_assert_str_eq(t->payload, "192.0.2.11/86400");
}
END_TEST

START_TEST(a_batch_request_from_rbsd_gets_every_user_of_the_table)
{
	const uint8_t *lease = (const uint8_t *)"lease-9";
	struct peer_user u = {0, UT_SVC_DHCP_SERVER, MAC_EVEN, "a0", lease, 7, "peer's", 0};
	json_object *root, *p;
	size_t from;

	ready(true, MASTER, BACKUP);
	api_add(MAC_ODD, "lease-1", "a");
	api_add(MAC_ODD2, "lease-2", "b");
	peer_send(&u, 1);
	WAIT(ENTRY(0, ADD, "lease-2") >= 0 && user_role("dhcp-server", "lease-9") != NULL);
	from = T.nentries;
	batch_request();
	WAIT(T.batch_ends == 1);
	ck_assert_uint_eq(T.batch_begins, 1);
	ck_assert_uint_eq(T.batch_begin_count, 3);
	ck_assert_uint_eq(T.batch_end_count, 3);
	ck_assert_uint_eq(T.nentries - from, 3);
	ck_assert(entries[ENTRY(from, ADD, "lease-1")].in_batch);
	ck_assert(entries[ENTRY(from, ADD, "lease-2")].in_batch);
	/* the peer's own users too: a peer that restarted gets them back */
	ck_assert(entries[ENTRY(from, ADD, "lease-9")].in_batch);
	p = jprofile(&root);
	ck_assert_int_eq(JINT(jcheck_get(jcheck_get(p, "service"), "table"), "batches_out"), 1);
	json_object_put(root);
}
END_TEST

START_TEST(the_backup_refuses_api_changes_of_users_the_peer_owns)
{
	struct change c[] = {
	    {0, UT_SVC_DHCP_SERVER, MAC_EVEN, "a0", "lease-2", "b"},
	    {0, UT_SVC_DHCP_SERVER, MAC_ODD, "a0", "lease-1", "a"},
	};
	struct job j;

	ready(true, MASTER, BACKUP);
	ck_assert_int_eq(api(&j, c, 2), 1);
	ck_assert_uint_eq(j.err_seq[0], 0);
	ck_assert_str_eq(j.err[0], "this device is backup for the users of vrrp-id 2 on a0 "
				   "(even-mac): the master owns them");
	/* the other change of the request is taken */
	WAIT(ENTRY(0, ADD, "lease-1") >= 0);
	run_for(QUIET_MS);
	ck_assert_int_eq(ENTRY(0, ADD, "lease-2"), -1);
	ck_assert_ptr_null(user_role("dhcp-server", "lease-2"));
	ck_assert_int_eq(jusers("dhcp-server", "master"), 1);
}
END_TEST

/* A raw UserRequest from a DEALER of the test's: what librbpclient would never
 * send. The reply, or NULL. */
static Db__UserReply *reply;
static void on_reply(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	(void)s;
	(void)arg;
	ck_assert_int_eq(n, 1);
	reply = db__user_reply__unpack(NULL, parts[0].len, parts[0].data);
	ck_assert_ptr_nonnull(reply);
}

/* Sends on a DEALER once it is connected (until then ZeroMQ refuses). */
static void send_connected(struct bus_sock *s, const void *buf, size_t len)
{
	uint64_t end = mono_ms() + WAIT_MS;

	while (bus_send(s, NULL, 0, buf, len) == -EAGAIN) {
		uint64_t step = mono_ms() + 5;

		ck_assert_msg(mono_ms() < end, "not connected within %d ms", WAIT_MS);
		turn(step);
	}
}

START_TEST(a_bad_api_request_is_refused_with_the_reason_and_changes_nothing)
{
	struct change c[] = {
	    {0, UT_SVC_DHCP_SERVER, MAC_ODD, "eth9", "lease-1", "a"},
	    {0, UT_SVC_DHCP_SERVER, MAC_ODD, "a0", "lease-2", "b"},
	};
	struct bus_opts o = {.type = ZMQ_DEALER, .cb = on_reply};
	Db__UserRequest req = DB__USER_REQUEST__INIT;
	Db__UserChange ch = DB__USER_CHANGE__INIT, *chp = &ch;
	struct bus_sock *raw;
	uint8_t key[8], buf[256];
	struct job j;
	char ep[128];
	size_t len;

	ready(true, MASTER, MASTER);
	ck_assert_int_eq(api(&j, c, 2), 1);
	ck_assert_str_eq(j.err[0], "interface eth9 is in no remote-backup-profile");
	WAIT(ENTRY(0, ADD, "lease-2") >= 0);

	/* requests librbpclient would refuse itself: a garbled one is
	 * dropped and counted, an ARP user refused with the reason */
	ck_assert_int_eq(daemon_endpoint(ep, sizeof(ep), T.rundir, "rbpd-users"), 0);
	o.endpoint = ep;
	ck_assert_int_eq(bus_open(&raw, &T.loop, T.zctx, &o), 0);
	send_connected(raw, "\xff\xff\xff", 3);
	WAIT(T.d.bad_requests == 1);
	ch.op = DB__USER_OP__USER_OP_ADD;
	ch.type = DB__RBS_SERVICE_TYPE__RBS_SVC_ARP;
	ch.mac.data = (uint8_t *)MAC_ODD;
	ch.mac.len = 6;
	ch.ifname = "a0";
	memcpy(key,
	       "\xc0\x00\x02\x0b"
	       "a0",
	       6);
	ch.key.data = key;
	ch.key.len = 6;
	req.id = 42;
	req.changes = &chp;
	req.n_changes = 1;
	len = db__user_request__get_packed_size(&req);
	ck_assert_uint_le(len, sizeof(buf));
	db__user_request__pack(&req, buf);
	ck_assert_int_eq(bus_send(raw, NULL, 0, buf, len), 0);
	WAIT(reply != NULL);
	ck_assert_uint_eq(reply->id, 42);
	ck_assert_uint_eq(reply->applied, 0);
	ck_assert_uint_eq(reply->n_errors, 1);
	ck_assert_str_eq(reply->errors[0]->error,
			 "arp and nd users are learned from the kernel, not through the API");
	db__user_reply__free_unpacked(reply, NULL);
	reply = NULL;
	bus_close(raw);

	/* nothing changed: one user, sent once */
	run_for(QUIET_MS);
	ck_assert_int_eq(jusers("dhcp-server", "master"), 1);
	ck_assert_int_eq(jusers("arp", "master"), 0);
	ck_assert_uint_eq(T.nentries, 1);
}
END_TEST

START_TEST(a_profile_without_a_service_refuses_api_changes_with_the_reason)
{
	struct change c = {0, UT_SVC_DHCP_SERVER, MAC_ODD, "a0", "lease-1", "a"};
	struct conf k;
	struct job j;
	char *text;

	conf_init(&k, true);
	k.p.backup_id = 0;
	k.p.service = "";
	commit_ok(&k);
	ck_assert_int_eq(api(&j, &c, 1), 1);
	ck_assert_str_eq(j.err[0], "remote-backup-profile p1 has no backup-id and "
				   "remote-backup-service: nothing is backed up");
	text = display(DB__QUERY_KIND__QUERY_RBP, false, PROFILE, NULL);
	ck_assert_msg(strstr(text, "Service           : none: set backup-id") != NULL, "%s", text);
	free(text);
}
END_TEST

START_TEST(rbsd_going_away_and_coming_back_loses_no_user)
{
	size_t from;

	/* rbsd is a process of its own, whose pid its credit says */
	T.rbsd_proc = standin_start();
	ready(true, MASTER, MASTER);
	api_add(MAC_ODD, "lease-1", "a");
	WAIT(ENTRY(0, ADD, "lease-1") >= 0);
	/* rbsd stops: what it held is gone with it, and rbpd knows at once */
	bus_close(T.rbsd);
	T.rbsd = NULL;
	standin_end(T.rbsd_proc);
	T.rbsd_proc = 0;
	WAIT(!chan()->attached);
	T.attaches = 0;
	T.rbpd_idlen = 0;
	api_add(MAC_EVEN, "lease-2", "b");
	api_add(MAC_ODD2, "lease-3", "c");
	/* rbsd starts again: rbpd attaches (each second until answered), is
	 * taken as new, and the new session wants everything */
	rbsd_open();
	WAIT(T.attaches > 0);
	from = T.nentries;
	chan_state(true, "peer 192.0.2.2", NULL);
	batch_request();
	/* credit counts from the new attachment: room for the batch's three
	 * entries, the two changes queued while rbsd was away (they follow
	 * the batch's entries: the same versions again, no-ops at the peer),
	 * and one more, which a batch needs to see its end */
	credit(6, 1 << 20, ATTACH2);
	WAIT(T.batch_ends == 1);
	ck_assert_int_ge(ENTRY(from, ADD, "lease-1"), 0);
	ck_assert_int_ge(ENTRY(from, ADD, "lease-2"), 0);
	ck_assert_int_ge(ENTRY(from, ADD, "lease-3"), 0);
	ck_assert_uint_eq(T.batch_end_count, 3);
	ck_assert_uint_eq(chan()->attach, ATTACH2);
	/* and what comes after goes on as before */
	credit(7, 1 << 20, ATTACH2);
	api_add(MAC_EVEN, "lease-4", "d");
	WAIT(ENTRY(from, ADD, "lease-4") >= 0);
}
END_TEST

START_TEST(display_remote_backup_profile_shows_bindings_service_and_users)
{
	json_object *root, *p, *s, *b;
	char *text;
	int rc;

	ready(true, MASTER, BACKUP);
	api_add(MAC_ODD, "lease-1", "192.0.2.11/86400");
	text = display(DB__QUERY_KIND__QUERY_RBP, false, NULL, NULL);
	ck_assert_msg(strstr(text, "Remote backup profile: p1\n") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "  Backup mode       : hot\n") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "  Backup-id         : 7\n") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "  Service           : rbs1, channel up, peer 192.0.2.2\n"),
		      "%s", text);
	ck_assert_msg(strstr(text, "  Peer consistency  : consistent\n"), "%s", text);
	ck_assert_msg(
	    strstr(text,
		   "  VRRP binding      : vrid 1 interface a0 odd-mac, group Master: master\n"),
	    "%s", text);
	ck_assert_msg(strstr(text, "  VRRP binding      : vrid 2 interface a0 even-mac, group "
				   "Backup: backup\n"),
		      "%s", text);
	ck_assert_msg(strstr(text, "dhcp-server        1          0          0          0\n"), "%s",
		      text);
	ck_assert_msg(strstr(text, "Download-vrrp-table delay: 0 s\n"), "%s", text);
	free(text);

	p = jprofile(&root);
	ck_assert_str_eq(JSTR(p, "name"), PROFILE);
	ck_assert_str_eq(JSTR(p, "backup_mode"), "hot");
	ck_assert_int_eq(JINT(p, "backup_id"), BACKUP_ID);
	s = jcheck_get(p, "service");
	ck_assert_str_eq(JSTR(s, "name"), SVC);
	ck_assert_str_eq(JSTR(s, "channel"), "up");
	ck_assert_str_eq(JSTR(s, "peer_consistency"), "consistent");
	ck_assert_int_eq(JINT(jcheck_get(s, "table"), "users"), 1);
	ck_assert_int_eq(JINT(jcheck_get(s, "table"), "limit_users"), RBPD_USER_LIMIT_DEFAULT);
	b = jbinding(p, VRID_ODD);
	ck_assert_str_eq(JSTR(b, "interface"), "a0");
	ck_assert_str_eq(JSTR(b, "parity"), "odd-mac");
	ck_assert_str_eq(JSTR(b, "group_state"), "Master");
	ck_assert_str_eq(JSTR(b, "role"), "master");
	ck_assert_int_eq(JINT(jcheck_get(b, "preempt_gate"), "max_s"), 300);
	ck_assert_int_eq(JINT(jcheck_get(jcheck_get(p, "users"), "dhcp-server"), "master"), 1);
	ck_assert_str_eq(
	    json_object_get_string(json_object_array_get_idx(jcheck_get(p, "access_interfaces"), 0)),
	    "a0");
	json_object_put(root);

	/* one user, in text and JSON */
	text = display(DB__QUERY_KIND__QUERY_RBP_USERS, false, PROFILE, "dhcp-server");
	ck_assert_msg(strstr(text, "0200-0000-0003 a0              master  ") != NULL, "%s", text);
	ck_assert_msg(strstr(text, " lease-1 192.0.2.11/86400\nTotal: 1") != NULL, "%s", text);
	free(text);
	root = jparse(display_rc(DB__QUERY_KIND__QUERY_RBP_USERS, true, PROFILE, "dhcp-server",
				 "0200-0000-0003", &rc));
	ck_assert_int_eq(rc, 1);
	ck_assert_int_eq(JINT(root, "total"), 1);
	ck_assert_str_eq(JSTR(json_object_array_get_idx(jcheck_get(root, "users"), 0), "data"),
			 "192.0.2.11/86400");
	json_object_put(root);

	/* what does not exist is said so */
	text = display_rc(DB__QUERY_KIND__QUERY_RBP, false, "nope", NULL, NULL, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(text, "Error: The remote backup profile nope does not exist.");
	free(text);
	text = display_rc(DB__QUERY_KIND__QUERY_RBP_USERS, false, PROFILE, "telnet", NULL, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(text, "Error: Unknown service type telnet.");
	free(text);
	root = jparse(display_rc(DB__QUERY_KIND__QUERY_RBP, true, "nope", NULL, NULL, &rc));
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(JSTR(root, "error"), "The remote backup profile does not exist.");
	json_object_put(root);
}
END_TEST

START_TEST(a_profile_on_a_missing_interface_is_refused_and_nothing_is_applied)
{
	struct conf k;
	struct errlist errs;
	char *text;

	conf_init(&k, true);
	k.b[1].ifname = "eth9";
	errs = commit(&k);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.v[0], "remote-backup-profile p1: vrrp-id 2 interface eth9: the "
				    "interface does not exist");
	errlist_free(&errs);
	text = display(DB__QUERY_KIND__QUERY_RBP, false, NULL, NULL);
	ck_assert_str_eq(text, "Info: No remote backup profile is configured.");
	free(text);
}
END_TEST

START_TEST(a_commit_publishes_the_gates_of_the_groups_it_binds_at_once)
{
	struct conf k;
	uint64_t seq;

	gates_heard();
	ck_assert(!T.gate_listed[VRID_ODD]);
	/* vrrpd may make the groups of this commit before or after rbpd
	 * applies it: either way it learns their gates now, not at the next
	 * second's message */
	seq = T.d.gates_seq;
	conf_init(&k, true);
	commit_ok(&k);
	ck_assert_uint_eq(T.d.gates_seq, seq + 1);
	WAIT(T.gate_listed[VRID_ODD] && T.gate_listed[VRID_EVEN]);
}
END_TEST

START_TEST(rbpd_is_quiet_when_nothing_changes_and_asks_vrrpd_at_a_missed_event)
{
	size_t queries, ngates;

	ready(true, MASTER, BACKUP);
	gates_heard();
	/* vrrpd answered (its process is watched), the gates went out: for
	 * the next 1.5 s, nothing is asked or sent again (both were each
	 * second) */
	WAIT(T.queries > 0 && T.d.vrrpd != NULL);
	/* and not within 1.5 s of the every-10-s tick that says it all again */
	WAIT(T.d.ticks % 10 >= 1 && T.d.ticks % 10 <= 7);
	queries = T.queries;
	ngates = T.ngates;
	run_for(1500);
	ck_assert_uint_eq(T.queries, queries);
	ck_assert_uint_eq(T.ngates, ngates);
	/* an event whose number skips some: one was missed, and vrrpd's
	 * list is asked for at once */
	T.vrrp_seq += 3;
	vrrp_event(VRID_EVEN, MASTER);
	WAIT(T.queries > queries);
	/* a change of the gates goes out without waiting for the tick */
	WAIT(T.ngates > ngates);
}
END_TEST

/* vrrpd killed and started again while master of the odd group: the new
 * one starts in Backup and numbers its events from 1 again, and its
 * startup events may go before rbpd hears it. Its state list, though
 * numbered below the events of the one before, is taken. */
START_TEST(a_restarted_vrrpds_state_list_is_taken_though_it_counts_from_1)
{
	size_t queries;

	T.vrrpd_proc = standin_start();
	ready(true, MASTER, BACKUP);
	T.vrrp_seq += 50;
	vrrp_event(VRID_EVEN, BACKUP);
	WAIT(T.d.vrrpd != NULL && bind_of(VRID_ODD)->role == RBP_ROLE_MASTER &&
	     T.d.vrrp_seq == T.vrrp_seq);
	queries = T.queries;
	standin_end(T.vrrpd_proc);
	T.vrrpd_proc = standin_start();
	T.vrrp_seq = 1;
	T.state[VRID_ODD] = BACKUP;
	T.takeover[VRID_ODD] = 0;
	WAIT(T.queries > queries && bind_of(VRID_ODD)->role == RBP_ROLE_BACKUP);
	ck_assert_int_eq(bind_of(VRID_ODD)->b.state, RBP_GROUP_BACKUP);
	standin_end(T.vrrpd_proc);
	T.vrrpd_proc = 0;
}
END_TEST

START_TEST(vrrpds_state_list_sets_the_roles_when_no_event_was_heard)
{
	struct conf k;

	/* vrrpd knew the groups before rbpd started: rbpd asks it (each
	 * second until it answers), and takes what it answers */
	T.state[VRID_ODD] = MASTER;
	T.takeover[VRID_ODD] = 99;
	T.state[VRID_EVEN] = BACKUP;
	T.vrrp_seq = 5;
	conf_init(&k, true);
	commit_ok(&k);
	WAIT(T.queries > 0 && bind_of(VRID_ODD)->role == RBP_ROLE_MASTER);
	ck_assert_int_eq(bind_of(VRID_EVEN)->b.state, RBP_GROUP_BACKUP);
	ck_assert_int_eq(bind_of(VRID_EVEN)->role, RBP_ROLE_BACKUP);
}
END_TEST

START_TEST(a_batch_from_the_peer_removes_the_users_it_no_longer_has)
{
	uint8_t k1[32], k2[32];
	const uint8_t *lease = (const uint8_t *)"lease-9";
	struct peer_user u[] = {
	    {0, UT_SVC_ARP, MAC_ODD, "a0", k1, arp_key("192.0.2.21", "a0", k1), NULL, 0},
	    {0, UT_SVC_ARP, MAC_EVEN, "a0", k2, arp_key("192.0.2.24", "a0", k2), NULL, 0},
	    {0, UT_SVC_DHCP_SERVER, MAC_EVEN, "a0", lease, 7, "peer's", 0},
	};
	json_object *root, *p, *t;
	struct rbp_neigh n;

	ready(true, BACKUP, BACKUP);
	peer_send(u, 3);
	WAIT(kernel_has("192.0.2.24", MAC_EVEN, NUD_PERMANENT, RBP_NEIGH_PROTO));
	WAIT(jusers("dhcp-server", "backup") == 1);
	/* the peer's table lost 192.0.2.24 and lease-9 (a restart) and sends
	 * what it has left: one user */
	ck_assert_int_eq(ut_forget(T.peer, UT_SVC_ARP, k2, u[1].klen), 0);
	ck_assert_int_eq(ut_forget(T.peer, UT_SVC_DHCP_SERVER, lease, 7), 0);
	peer_batch(false, 1);
	peer_send(u, 1);
	peer_batch(true, 1);
	WAIT(kernel_neigh("192.0.2.24", &n) == 0);
	ck_assert_ptr_null(user_role("arp", "192.0.2.24"));
	ck_assert_ptr_null(user_role("dhcp-server", "lease-9"));
	ck_assert(kernel_has("192.0.2.21", MAC_ODD, NUD_PERMANENT, RBP_NEIGH_PROTO));
	ck_assert_str_eq(user_role("arp", "192.0.2.21"), "backup");
	p = jprofile(&root);
	t = jcheck_get(jcheck_get(p, "service"), "table");
	ck_assert_int_eq(JINT(t, "batches_in"), 1);
	ck_assert_int_eq(JINT(t, "batches_in_other_digest"), 0);
	ck_assert(json_object_get_boolean(jcheck_get(t, "whole")));
	/* this device holds what the peer holds: its groups may preempt */
	ck_assert(
	    json_object_get_boolean(jcheck_get(jcheck_get(jbinding(p, VRID_ODD), "preempt_gate"), "open")));
	json_object_put(root);
}
END_TEST

START_TEST(an_incomplete_batch_from_the_peer_removes_nothing_and_is_asked_again)
{
	uint8_t k1[32], k2[32];
	struct peer_user u[] = {
	    {0, UT_SVC_ARP, MAC_ODD, "a0", k1, arp_key("192.0.2.21", "a0", k1), NULL, 0},
	    {0, UT_SVC_ARP, MAC_EVEN, "a0", k2, arp_key("192.0.2.24", "a0", k2), NULL, 0},
	};
	json_object *root, *p;

	ready(true, BACKUP, BACKUP);
	peer_send(u, 2);
	WAIT(kernel_has("192.0.2.24", MAC_EVEN, NUD_PERMANENT, RBP_NEIGH_PROTO));
	/* two users claimed, one arrived */
	peer_batch(false, 2);
	peer_send(u, 1);
	peer_batch(true, 2);
	WAIT(T.batch_requests == 1);
	ck_assert_str_eq(user_role("arp", "192.0.2.24"), "backup");
	ck_assert(kernel_has("192.0.2.24", MAC_EVEN, NUD_PERMANENT, RBP_NEIGH_PROTO));
	p = jprofile(&root);
	ck_assert_int_eq(JINT(jcheck_get(jcheck_get(p, "service"), "table"), "batches_in_other_digest"), 1);
	ck_assert_int_eq(JINT(jcheck_get(jcheck_get(p, "service"), "table"), "batches_in"), 0);
	json_object_put(root);
}
END_TEST

/* The peer runs the rounds (its table changes, this one's follows), and
 * this table loses a user nobody is told of: rbpd compares at its next
 * tick, not once the peer's rounds stop (at least 7.5 s). */
START_TEST(a_loss_nobody_told_of_is_compared_though_the_peer_runs_the_rounds)
{
	Db__RbsCompare c = DB__RBS_COMPARE__INIT;
	uint64_t d;
	size_t n;

	ready(true, MASTER, MASTER);
	api_add(MAC_ODD, "lease-1", "a");
	api_add(MAC_ODD, "lease-2", "b");
	WAIT(ENTRY(0, ADD, "lease-2") >= 0);
	peer_batch(false, 0);
	peer_batch(true, 0);
	WAIT(chan()->whole && chan()->rx_batch_done);
	run_for(1500); /* the round rbpd runs soon after a batch */
	/* the peer's round: the same digest */
	d = ut_digest(chan()->t, UT_SVC_DHCP_SERVER);
	c.round = 7;
	c.type = DB__RBS_SERVICE_TYPE__RBS_SVC_DHCP_SERVER;
	c.level = 0;
	c.digests = &d;
	c.n_digests = 1;
	send_compare(&c);
	WAIT(T.cmp[0] && T.cmp[0]->answer && T.cmp[0]->round == 7);
	n = T.compares;
	ck_assert_int_eq(ut_forget(chan()->t, UT_SVC_DHCP_SERVER, (const uint8_t *)"lease-2", 7),
			 0);
	ck_assert_msg(UNTIL(T.compares > n && !T.cmp[0]->answer, 7000),
		      "rbpd started no round of its own within 7 s of the loss");
	ck_assert_uint_eq(T.cmp[0]->type, DB__RBS_SERVICE_TYPE__RBS_SVC_DHCP_SERVER);
}
END_TEST

START_TEST(anti_entropy_sends_again_a_user_the_peer_lost)
{
	Db__RbsCompare c = DB__RBS_COMPARE__INIT;
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsSummary sum = DB__RBS_SUMMARY__INIT;
	uint64_t mine[AE_BUCKETS], zero = 0, *leaves;
	uint32_t diff[AE_BUCKETS], slot;
	size_t nd = 0;
	json_object *root, *p, *ae;
	uint64_t d;

	ready(true, MASTER, MASTER);
	api_add(MAC_ODD, "lease-1", "a");
	WAIT(ENTRY(0, ADD, "lease-1") >= 0);
	/* the peer's batch, empty: it lost lease-1; the tables differ, and
	 * rbpd asks for the batch again */
	peer_batch(false, 0);
	peer_batch(true, 0);
	WAIT(chan()->whole && chan()->rx_batch_done);
	WAIT(T.batch_requests == 1);
	/* the peer compares: its digest of dhcp-server is 0 */
	c.round = 1;
	c.type = DB__RBS_SERVICE_TYPE__RBS_SVC_DHCP_SERVER;
	c.level = 0;
	c.digests = &zero;
	c.n_digests = 1;
	send_compare(&c);
	WAIT(T.cmp[1] != NULL);
	ck_assert_uint_eq(T.cmp[1]->n_digests, AE_BUCKETS);
	ck_assert_uint_eq(T.cmp[1]->round, 1);
	ut_ae_buckets(T.peer, UT_SVC_DHCP_SERVER, mine);
	for (uint32_t b = 0; b < AE_BUCKETS; b++)
		if (T.cmp[1]->digests[b] != mine[b])
			diff[nd++] = b;
	ck_assert_uint_eq(nd, 1);
	/* its leaves of the bucket that differs: all 0 */
	leaves = calloc(AE_LEAVES, sizeof(*leaves));
	ck_assert_ptr_nonnull(leaves);
	c.level = 2;
	c.buckets = diff;
	c.n_buckets = 1;
	c.digests = leaves;
	c.n_digests = AE_LEAVES;
	send_compare(&c);
	WAIT(T.last_summary != NULL);
	free(leaves);
	/* rbpd's summary of the leaf: lease-1 */
	ck_assert(T.last_summary->answer);
	ck_assert_uint_eq(T.last_summary->n_leaves, 1);
	ck_assert_uint_eq(T.last_summary->n_keys, 1);
	ck_assert_uint_eq(T.last_summary->keys[0]->key.len, 7);
	ck_assert_mem_eq(T.last_summary->keys[0]->key.data, "lease-1", 7);
	slot = T.last_summary->leaves[0];
	ck_assert_uint_eq(slot, ut_ae_slot(UT_SVC_DHCP_SERVER, "lease-1", 7));
	/* the peer's own summary of it: nothing; rbpd sends lease-1 again */
	sum.round = 1;
	sum.type = DB__RBS_SERVICE_TYPE__RBS_SVC_DHCP_SERVER;
	sum.leaves = &slot;
	sum.n_leaves = 1;
	m.body_case = DB__RBS_LOCAL__BODY_SUMMARY;
	m.summary = &sum;
	rbsd_send(&m);
	WAIT(ENTRY(ENTRY(0, ADD, "lease-1") + 1, ADD, "lease-1") >= 0);
	p = jprofile(&root);
	ae = jcheck_get(jcheck_get(p, "service"), "antientropy");
	ck_assert_int_eq(JINT(ae, "types_differing"), 1);
	ck_assert_int_eq(JINT(ae, "buckets_differing"), 0);
	ck_assert_int_eq(JINT(ae, "leaves_differing"), 1);
	ck_assert_int_eq(JINT(ae, "entries_resent"), 1);
	ck_assert_int_eq(JINT(ae, "summaries_in"), 1);
	json_object_put(root);

	/* the peer's answer for a leaf where rbpd holds nothing, with a key
	 * newer there: rbpd summarizes that leaf, empty (nothing to sort),
	 * so that the peer sends what it holds */
	{
		Db__RbsSummaryKey k9 = DB__RBS_SUMMARY_KEY__INIT, *kp9 = &k9;
		uint32_t s9 = ut_ae_slot(UT_SVC_DHCP_SERVER, "lease-9", 7);

		ck_assert_uint_ne(s9, slot);
		k9.key.data = (uint8_t *)"lease-9";
		k9.key.len = 7;
		k9.version = 5;
		sum.round = 9;
		sum.answer = true;
		sum.leaves = &s9;
		sum.n_leaves = 1;
		sum.keys = &kp9;
		sum.n_keys = 1;
		rbsd_send(&m);
		WAIT(T.last_summary->round == 9);
		ck_assert(!T.last_summary->answer);
		ck_assert_uint_eq(T.last_summary->n_leaves, 1);
		ck_assert_uint_eq(T.last_summary->leaves[0], s9);
		ck_assert_uint_eq(T.last_summary->n_keys, 0);
	}

	/* rbpd runs rounds of its own too (soon after a batch): it sends its
	 * digest, and the peer, now equal, says they agree */
	WAIT(T.cmp[0] != NULL && !T.cmp[0]->answer);
	ck_assert_uint_eq(T.cmp[0]->type, DB__RBS_SERVICE_TYPE__RBS_SVC_DHCP_SERVER);
	d = T.cmp[0]->digests[0];
	c.round = T.cmp[0]->round;
	c.level = 0;
	c.answer = true;
	c.digests = &d;
	c.n_digests = 1;
	c.buckets = NULL;
	c.n_buckets = 0;
	send_compare(&c);
	WAIT(chan()->ae.compared >= 2 && chan()->ae.last_agreed);
	p = jprofile(&root);
	ae = jcheck_get(jcheck_get(p, "service"), "antientropy");
	ck_assert(json_object_get_boolean(jcheck_get(ae, "last_agreed")));
	ck_assert_int_ge(JINT(ae, "rounds"), 1);
	json_object_put(root);
}
END_TEST

START_TEST(a_sync_request_is_answered_once_the_peer_holds_it_or_why_not)
{
	struct change c1 = {0, UT_SVC_DHCP_SERVER, MAC_ODD, "a0", "lease-1", "a"};
	struct change c2 = {0, UT_SVC_DHCP_SERVER, MAC_ODD, "a0", "lease-2", "b"};
	struct change c3 = {0, UT_SVC_DHCP_SERVER, MAC_ODD, "a0", "lease-3", "c"};
	struct job j;

	ready(true, MASTER, MASTER);
	/* held: rbsd says the peer acknowledged it */
	api_start(&j, &c1, 1, 2000);
	WAIT(ENTRY(0, ADD, "lease-1") >= 0);
	run_for(QUIET_MS / 4);
	ck_assert(!atomic_load(&j.done));
	{
		Db__RbsLocal m = DB__RBS_LOCAL__INIT;
		Db__RbsCredit cr = DB__RBS_CREDIT__INIT;

		cr.entries = 1000;
		cr.bytes = 1 << 20;
		cr.attach = ATTACH1;
		cr.resolved = chan()->sent_e;
		m.body_case = DB__RBS_LOCAL__BODY_CREDIT;
		m.credit = &cr;
		rbsd_send(&m);
	}
	ck_assert_int_eq(api_wait(&j), 0);
	ck_assert_uint_eq(j.backed, 1);
	ck_assert_uint_eq(j.not_backed, 0);

	/* the channel goes down meanwhile: not backed up, and why */
	api_start(&j, &c2, 1, 2000);
	WAIT(ENTRY(0, ADD, "lease-2") >= 0);
	chan_state(false, "the peer is silent", NULL);
	ck_assert_int_eq(api_wait(&j), 0);
	ck_assert_uint_eq(j.not_backed, 1);
	ck_assert_str_eq(j.why, "remote-backup-service rbs1 is down: the peer is silent");

	/* down from the start: said at once */
	api_start(&j, &c3, 1, 2000);
	ck_assert_int_eq(api_wait(&j), 0);
	ck_assert_uint_eq(j.not_backed, 1);
	ck_assert_str_eq(j.why, "remote-backup-service rbs1 is down: the peer is silent");
	/* the users were taken all the same */
	ck_assert_int_eq(jusers("dhcp-server", "master"), 3);
}
END_TEST

/* rbsd acknowledges to the peer only what rbpd applied (RbsApplied): rbpd
 * says so in its attachment, counts the peer's entries rbsd hands it from
 * each attachment on, and tells the count once per turn of its loop, not
 * once per message. */
START_TEST(rbpd_tells_rbsd_what_it_applied_once_per_turn_of_its_loop)
{
	static char keys[40][16];
	struct peer_user u = {0, UT_SVC_DHCP_SERVER, MAC_ODD, "a0", NULL, 0, "192.0.2.9/86400", 0};
	size_t before;

	ready(true, BACKUP, BACKUP);
	ck_assert(T.applied_acks);
	ck_assert_uint_eq(T.napplied, 0);
	/* 40 messages of the peer's, one user each, all there before rbpd
	 * reads any: applied in a turn or two, and said as such */
	for (int i = 0; i < 40; i++) {
		snprintf(keys[i], sizeof(keys[i]), "lease-%d", i);
		u.key = (const uint8_t *)keys[i];
		u.klen = strlen(keys[i]);
		peer_send(&u, 1);
	}
	WAIT(T.applied_count == 40);
	ck_assert_uint_eq(T.applied_attach, ATTACH1);
	ck_assert_int_eq(jusers("dhcp-server", "backup"), 40);
	ck_assert_uint_le(T.napplied, 4);
	/* what the table refuses is done with too, and counted */
	u.backup_id = 9; /* no profile here has it */
	peer_send(&u, 1);
	WAIT(T.applied_count == 41);
	run_for(QUIET_MS);
	before = T.napplied;
	ck_assert_uint_eq(T.applied_count, 41); /* nothing more said */

	/* rbsd restarted: a new attachment counts from 1 */
	credit(1000, 1 << 20, ATTACH2);
	WAIT(chan()->attach == ATTACH2);
	u.backup_id = 0;
	u.key = (const uint8_t *)"lease-x";
	u.klen = 7;
	peer_send(&u, 1);
	WAIT(T.applied_attach == ATTACH2);
	ck_assert_uint_eq(T.applied_count, 1);
	ck_assert_uint_eq(T.napplied, before + 1);
}
END_TEST

START_TEST(a_sync_request_the_peer_does_not_confirm_times_out)
{
	struct change c = {0, UT_SVC_DHCP_SERVER, MAC_ODD, "a0", "lease-1", "a"};
	struct job j;

	ready(true, MASTER, MASTER);
	api_start(&j, &c, 1, 100);
	ck_assert_int_eq(api_wait(&j), 0);
	ck_assert_uint_eq(j.not_backed, 1);
	ck_assert_str_eq(j.why, "the peer did not confirm within 100 ms");
}
END_TEST

START_TEST(a_backup_install_deleted_behind_rbpds_back_is_put_back)
{
	uint8_t k1[32];
	struct peer_user u = {0,    UT_SVC_ARP, MAC_ODD, "a0", k1, arp_key("192.0.2.21", "a0", k1),
			      NULL, 0};
	json_object *root;

	ready(true, BACKUP, BACKUP);
	peer_send(&u, 1);
	WAIT(kernel_has("192.0.2.21", MAC_ODD, NUD_PERMANENT, RBP_NEIGH_PROTO));
	sh("ip neigh del 192.0.2.21 dev a0");
	WAIT(T.d.kern_repaired == 1);
	WAIT(kernel_has("192.0.2.21", MAC_ODD, NUD_PERMANENT, RBP_NEIGH_PROTO));
	jprofile(&root);
	ck_assert_int_eq(JINT(jcheck_get(root, "kernel"), "repaired"), 1);
	json_object_put(root);
	/* the peer deletes the user: its install goes */
	u.op = DEL;
	peer_send(&u, 1);
	WAIT(kernel_neigh("192.0.2.21", &(struct rbp_neigh){0}) == 0);
	ck_assert_ptr_null(user_role("arp", "192.0.2.21"));
}
END_TEST

START_TEST(peer_backup_warm_removes_the_installs_and_hot_puts_them_back)
{
	uint8_t k1[32];
	struct peer_user u = {0,    UT_SVC_ARP, MAC_ODD, "a0", k1, arp_key("192.0.2.21", "a0", k1),
			      NULL, 0};
	struct rbp_neigh n;
	struct conf k;

	ready(true, BACKUP, BACKUP);
	peer_send(&u, 1);
	WAIT(kernel_has("192.0.2.21", MAC_ODD, NUD_PERMANENT, RBP_NEIGH_PROTO));
	conf_init(&k, false);
	commit_ok(&k);
	WAIT(kernel_neigh("192.0.2.21", &n) == 0);
	ck_assert_str_eq(user_role("arp", "192.0.2.21"), "backup");
	conf_init(&k, true);
	commit_ok(&k);
	WAIT(kernel_has("192.0.2.21", MAC_ODD, NUD_PERMANENT, RBP_NEIGH_PROTO));
	/* the profile removed: its service and users go */
	conf_init(&k, true);
	k.c.n_profiles = 0;
	commit_ok(&k);
	ck_assert_ptr_null(T.d.chans);
}
END_TEST

int main(void)
{
	/* Each test unshares its own network namespace in setup(): they rely
	 * on check's default of one forked process per test. */
	const TTest *tests[] = {
	    an_api_user_of_a_master_binding_goes_to_rbsd_within_its_credit,
	    the_byte_credit_bounds_what_goes_to_rbsd_too,
	    deleting_an_api_user_sends_the_delete_with_its_record,
	    the_peers_arp_users_are_installed_permanent_by_a_hot_backup,
	    a_warm_backup_installs_nothing_until_it_takes_over,
	    a_kernel_neighbour_becomes_a_master_user_and_its_deletion_a_delete,
	    a_takeover_makes_the_peers_users_this_devices_and_a_handover_gives_them_back,
	    groups_that_become_master_together_are_restored_in_one_walk,
	    the_peers_streamed_changes_show_their_lag_from_made_to_applied,
	    a_takeover_packs_nothing_for_nobody_and_a_later_subscriber_gets_it_all,
	    a_late_subscriber_gets_the_users_this_device_is_master_of_replayed,
	    a_batch_request_from_rbsd_gets_every_user_of_the_table,
	    the_backup_refuses_api_changes_of_users_the_peer_owns,
	    a_bad_api_request_is_refused_with_the_reason_and_changes_nothing,
	    a_profile_without_a_service_refuses_api_changes_with_the_reason,
	    rbsd_going_away_and_coming_back_loses_no_user,
	    display_remote_backup_profile_shows_bindings_service_and_users,
	    a_profile_on_a_missing_interface_is_refused_and_nothing_is_applied,
	    a_commit_publishes_the_gates_of_the_groups_it_binds_at_once,
	    vrrpds_state_list_sets_the_roles_when_no_event_was_heard,
	    a_restarted_vrrpds_state_list_is_taken_though_it_counts_from_1,
	    rbpd_is_quiet_when_nothing_changes_and_asks_vrrpd_at_a_missed_event,
	    a_batch_from_the_peer_removes_the_users_it_no_longer_has,
	    an_incomplete_batch_from_the_peer_removes_nothing_and_is_asked_again,
	    a_loss_nobody_told_of_is_compared_though_the_peer_runs_the_rounds,
	    anti_entropy_sends_again_a_user_the_peer_lost,
	    a_sync_request_is_answered_once_the_peer_holds_it_or_why_not,
	    rbpd_tells_rbsd_what_it_applied_once_per_turn_of_its_loop,
	    a_sync_request_the_peer_does_not_confirm_times_out,
	    a_backup_install_deleted_behind_rbpds_back_is_put_back,
	    peer_backup_warm_removes_the_installs_and_hot_puts_them_back,
	    NULL,
	};
	const struct checkrun_case cases[] = {
	    {
		.name = "netns",
		.tests = tests,
		.timeout = 30,
		.setup = setup,
		.teardown = teardown,
		.unchecked_setup = root_make,
		.unchecked_teardown = root_remove,
		.skip = !netns_can_unshare(),
		.skip_why = "rbpd runs in a network namespace of each test's own (root)",
	    },
	};

	return checkrun("rbpd", cases, sizeof(cases) / sizeof(cases[0]));
}
