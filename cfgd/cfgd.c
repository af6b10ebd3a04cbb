/*
 * cfgd: owns the running configuration and its history, serves the CLI
 * sessions of dbcli, and runs the two-phase commit across the daemons.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cfgd/commitq.h"
#include "cfgd/compile.h"
#include "cfgd/conf.h"
#include "cfgd/session.h"
#include "cfgd/store.h"
#include "cfgd/tlsfiles.h"
#include "cfgd/txn.h"
#include "common/bus.h"
#include "common/daemon.h"
#include "common/histo.h"
#include "common/jsonout.h"
#include "common/log.h"
#include "common/peer.h"
#include "common/show.h"
#include "common/strmap.h"
#include "common/uvtimer.h"

#define FIRST_COMMIT_ID 1000000000ULL
#define PREPARE_TIMEOUT_MS 3000
#define ACK_TIMEOUT_MS 3000
#define DAEMON_DEAD_MS 3500
#define PUSH_RETRY_MS 2000
#define SESSION_IDLE_MS (3600 * 1000)
#define TICK_MS 100	  /* the tick while something waits on time (tick_arm()) */
#define TICK_IDLE_MS 1000 /* and while nothing does */

struct daemon_state {
	bool up;
	uint64_t last_seen_ms;
	uint64_t applied; /* commit id it reports */
	uint64_t digest;  /* digest of the section it reports applied */
	uint64_t pid;
	uint64_t last_push_ms;
};

struct cfgd {
	uv_loop_t *loop;
	void *zctx;
	struct bus_sock *sock; /* the daemons: cfgd.ipc */
	struct bus_sock *cli;  /* dbcli sessions: cfgd-cli.ipc */
	struct store *store;
	struct daemon_opts opts;
	uv_timer_t tick;
	struct conf *running;
	uint64_t running_id;
	struct compiled compiled; /* sections of the running config */
	struct daemon_state d[D__COUNT];
	struct strmap *sessions; /* identity (hex) -> struct session */
	/* the transaction in flight */
	bool busy;
	struct cfg_txn txn;
	struct cfg_pending cur;
	struct compiled next;
	uint64_t next_id;
	uint64_t txn_seq;
	/* commits waiting their turn, and the trial rollback until it is
	 * durable (cfgd/commitq.h) */
	struct cfg_commitq queue;
	/* trial */
	uint64_t trial_commit, trial_rollback_to;
	time_t trial_deadline;
	bool empty_ok; /* -E: start empty when every stored commit is unreadable */
	/* commits by outcome, and how long each took from its turn to its
	 * answer (compile, prepare, durable write, acknowledgments) */
	uint64_t commit_started_ns;
	uint64_t commits_ok, commits_failed, commits_unchanged;
	struct histo commit_latency;
	unsigned long dropped; /* bus messages dropped (drop()) */
};

static uint64_t now_ms(struct cfgd *cd)
{
	return uv_now(cd->loop);
}

static void hexid(const uint8_t *id, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";

	if (len > 64)
		len = 64;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[id[i] >> 4];
		out[2 * i + 1] = hx[id[i] & 15];
	}
	out[2 * len] = '\0';
}

/* ---- replies ----------------------------------------------------------- */

static void send_cli(struct cfgd *cd, const char *ident, size_t identlen, uint64_t id, bool ok,
		     const char *out, const struct session *s, const struct sess_result *fw)
{
	Db__CliReply r = DB__CLI_REPLY__INIT;
	Db__Query q = DB__QUERY__INIT;
	char prompt[160] = "";
	int rc;

	if (s)
		sess_prompt(s, cfg_sysname(cd->running), prompt, sizeof(prompt));
	r.ok = ok;
	r.output = (char *)(out ? out : "");
	r.prompt = prompt;
	r.close = s && s->closed;
	if (fw && fw->req == SR_FORWARD) {
		static const Db__Role roles[D__COUNT] = {DB__ROLE__ROLE_VRRPD, DB__ROLE__ROLE_RBSD,
							 DB__ROLE__ROLE_RBPD};

		r.forward_to = roles[fw->forward_to];
		q.kind = (Db__QueryKind)fw->query.kind;
		q.json = fw->json;
		q.verbose = fw->query.verbose;
		q.name = (char *)fw->query.name;
		q.service = (char *)fw->query.service;
		q.mac = (char *)fw->query.mac;
		r.query = &q;
	}
	rc = bus_send_msg(cd->cli, ident, identlen, DB__MSG_TYPE__MSG_CLI_REPLY,
			  DB__ROLE__ROLE_CFGD, id, &r.base);
	if (rc < 0)
		log_debug("reply to dbcli: %s", strerror(-rc));
}

/* ---- pushing and daemons ------------------------------------------------ */

static int daemon_of(Db__Role r)
{
	switch (r) {
	case DB__ROLE__ROLE_VRRPD:
		return D_VRRPD;
	case DB__ROLE__ROLE_RBSD:
		return D_RBSD;
	case DB__ROLE__ROLE_RBPD:
		return D_RBPD;
	default:
		return -1;
	}
}

static int send_to(struct cfgd *cd, enum cfg_daemon d, Db__MsgType t, uint64_t id,
		   const ProtobufCMessage *m)
{
	const char *name = cfg_daemon_name(d);

	return bus_send_msg(cd->sock, name, strlen(name), t, DB__ROLE__ROLE_CFGD, id, m);
}

static void push(struct cfgd *cd, enum cfg_daemon d)
{
	Db__Push p = DB__PUSH__INIT;

	p.commit_id = cd->running_id;
	p.section.data = cd->compiled.sec[d];
	p.section.len = cd->compiled.len[d];
	cd->d[d].last_push_ms = now_ms(cd);
	if (send_to(cd, d, DB__MSG_TYPE__MSG_PUSH, 0, &p.base) == 0)
		log_info("%s: pushed running configuration (commit %llu)", cfg_daemon_name(d),
			 (unsigned long long)cd->running_id);
}

static bool in_sync(struct cfgd *cd, enum cfg_daemon d)
{
	return cd->d[d].digest == cfg_compiled_digest(&cd->compiled, d);
}

/* Anti-divergence: a daemon whose applied section differs from the
 * running one gets the running configuration, whatever was lost on the
 * way (a dropped COMMIT, a restart, a cfgd restart). */
static void maybe_push(struct cfgd *cd, enum cfg_daemon d)
{
	struct daemon_state *ds = &cd->d[d];

	if (!ds->up || in_sync(cd, d))
		return;
	if (cd->busy && (cd->txn.participants & (1u << d)))
		return;
	if (ds->last_push_ms && now_ms(cd) - ds->last_push_ms < PUSH_RETRY_MS)
		return;
	push(cd, d);
}

/* ---- the commit pipeline ------------------------------------------------ */

static void start_next(struct cfgd *cd);

/* Answer a pending commit's CLI request (if it came from one) and free
 * what it owns. */
static void pending_done(struct cfgd *cd, struct cfg_pending *p, bool ok, const char *out)
{
	if (p->identlen)
		send_cli(cd, p->ident, p->identlen, p->req_id, ok, out, p->sess, NULL);
	conf_free(p->target);
	if (p->actions) {
		cand_clear(p->actions);
		free(p->actions);
	}
	memset(p, 0, sizeof(*p));
}

/* A commit took its turn and is answered now: count it. */
static void count_commit(struct cfgd *cd, bool ok, bool changed)
{
	if (cd->commit_started_ns == 0)
		return;
	histo_add(&cd->commit_latency, (double)(uv_hrtime() - cd->commit_started_ns) / 1e9);
	cd->commit_started_ns = 0;
	if (!ok)
		cd->commits_failed++;
	else if (changed)
		cd->commits_ok++;
	else
		cd->commits_unchanged++;
}

static void finish(struct cfgd *cd, bool ok, const char *out)
{
	count_commit(cd, ok, true);
	pending_done(cd, &cd->cur, ok, out);
	cfg_compiled_free(&cd->next);
	cfg_txn_end(&cd->txn);
	cd->busy = false;
	start_next(cd);
}

static char *join_reasons(const char *head, const struct errlist *e)
{
	size_t len = strlen(head) + 2;
	char *s;

	for (size_t i = 0; i < e->n; i++)
		len += strlen(e->v[i]) + 16;
	s = malloc(len);
	if (s == NULL)
		return NULL;
	strcpy(s, head);
	for (size_t i = 0; i < e->n; i++) {
		strcat(s, "\n  ");
		strcat(s, e->v[i]);
	}
	return s;
}

static void abort_txn(struct cfgd *cd)
{
	Db__TxnRef ref = DB__TXN_REF__INIT;
	char *msg;

	ref.txn = cd->txn.id;
	for (int d = 0; d < D__COUNT; d++)
		if (cd->txn.participants & (1u << d))
			send_to(cd, d, DB__MSG_TYPE__MSG_ABORT, cd->txn.id, &ref.base);
	log_info("txn %llu: aborted, nothing changed", (unsigned long long)cd->txn.id);
	msg = join_reasons("Error: The commit failed and nothing was changed:", &cd->txn.reasons);
	finish(cd, false, msg ? msg : "Error: The commit failed and nothing was changed.");
	free(msg);
}

static int write_commit(struct cfgd *cd, const struct conf *cf, uint64_t id, const char *user,
			const char *label)
{
	struct store_commit c = {0};
	char *text;
	int rc;

	text = conf_render(cf);
	if (text == NULL)
		return -ENOMEM;
	c.id = id;
	c.time = time(NULL);
	snprintf(c.user, sizeof(c.user), "%s", user);
	snprintf(c.label, sizeof(c.label), "%s", label);
	c.text = text;
	c.len = strlen(text);
	rc = store_write(cd->store, &c);
	free(text);
	return rc;
}

/* A commit is durable and no trial is pending in memory: a trial file
 * still on disk belongs to a trial that was confirmed, aborted or rolled
 * back, and this durable commit supersedes it. */
static void durable_done(struct cfgd *cd, bool is_rollback)
{
	if (cfg_commitq_durable(&cd->queue, is_rollback, cd->trial_commit != 0))
		store_trial_clear(cd->store);
}

static int make_durable(struct cfgd *cd)
{
	uint64_t old_commit = cd->trial_commit, old_rollback = cd->trial_rollback_to;
	time_t old_deadline = cd->trial_deadline;
	int rc;

	/* The trial is recorded before the commit it guards: a crash between
	 * the two leaves a trial naming a commit that never happened, which
	 * recovery discards, never a commit that escaped its trial. */
	if (cd->cur.trial_s) {
		time_t deadline = time(NULL) + cd->cur.trial_s;

		rc = store_trial_save(cd->store, cd->next_id, cd->running_id, deadline);
		if (rc < 0)
			return rc;
		cd->trial_commit = cd->next_id;
		cd->trial_rollback_to = cd->running_id;
		cd->trial_deadline = deadline;
	}
	rc = write_commit(cd, cd->cur.target, cd->next_id,
			  cd->cur.sess ? cd->cur.sess->user : "cfgd", cd->cur.label);
	if (rc < 0 && cd->cur.trial_s) {
		/* The commit did not happen (disk full): neither did its trial.
		 * Put back the trial it replaced, if any; should that write fail
		 * too, the file names a commit above the durable ones, which
		 * recovery discards. */
		cd->trial_commit = old_commit;
		cd->trial_rollback_to = old_rollback;
		cd->trial_deadline = old_deadline;
		if (old_commit)
			store_trial_save(cd->store, old_commit, old_rollback, old_deadline);
		else
			store_trial_clear(cd->store);
		return rc;
	}
	if (rc == 0)
		durable_done(cd, cd->cur.forced);
	return rc;
}

/* Retry writing a trial rollback that ran but could not be written. */
static void retry_unsaved_rollback(struct cfgd *cd)
{
	int rc;

	if (!cfg_commitq_retry_due(&cd->queue, cd->busy))
		return;
	rc = write_commit(cd, cd->running, cd->running_id, "cfgd", "trial-rollback");
	if (rc < 0)
		return;
	log_info("trial rollback: commit %llu is now durable", (unsigned long long)cd->running_id);
	durable_done(cd, true);
}

/* The decision is made and durable: the new configuration is running. */
static void activate(struct cfgd *cd)
{
	const char *user = cd->cur.sess ? cd->cur.sess->user : "cfgd";

	/* the old configuration goes first: the new one then holds alone
	 * what they shared (conf_dup()), and recording the touches below
	 * copies nothing */
	conf_free(cd->running);
	cd->running = cd->cur.target;
	cd->cur.target = NULL;
	if (cd->cur.sess) {
		cand_touch(&cd->cur.sess->cand, cd->running, cd->next_id, user);
		cand_clear(&cd->cur.sess->cand);
	}
	cd->running_id = cd->next_id;
	cfg_compiled_free(&cd->compiled);
	cd->compiled = cd->next;
	memset(&cd->next, 0, sizeof(cd->next));
}

static void send_commit(struct cfgd *cd)
{
	Db__TxnRef ref = DB__TXN_REF__INIT;
	int rc = make_durable(cd);

	if (rc < 0) {
		char why[160];

		snprintf(why, sizeof(why), "cannot write the state directory %s: %s",
			 cd->opts.statedir, strerror(-rc));
		log_warnx("txn %llu: %s", (unsigned long long)cd->txn.id, why);
		cfg_txn_fail(&cd->txn, why);
		abort_txn(cd);
		return;
	}
	ref.txn = cd->txn.id;
	for (int d = 0; d < D__COUNT; d++)
		if (cd->txn.participants & (1u << d))
			send_to(cd, d, DB__MSG_TYPE__MSG_COMMIT, cd->txn.id, &ref.base);
	log_info("txn %llu: commit %llu durable, COMMIT sent", (unsigned long long)cd->txn.id,
		 (unsigned long long)cd->next_id);
	activate(cd);
	cfg_txn_committed(&cd->txn, now_ms(cd), ACK_TIMEOUT_MS);
}

static void acks_complete(struct cfgd *cd)
{
	unsigned miss = cfg_txn_unacked(&cd->txn);
	char out[512];
	size_t used = 0;

	out[0] = '\0';
	if (cd->cur.info[0])
		used += (size_t)snprintf(out, sizeof(out), "%s", cd->cur.info);
	for (int d = 0; d < D__COUNT; d++) {
		if (!(miss & (1u << d)))
			continue;
		/* it will be brought up to date by push when it shows up */
		cd->d[d].last_push_ms = 0;
		used += (size_t)snprintf(out + used, sizeof(out) - used,
					 "%sWarning: %s did not confirm commit %llu; it will be "
					 "resynchronised.",
					 used ? "\n" : "", cfg_daemon_name(d),
					 (unsigned long long)cd->running_id);
		if (used >= sizeof(out))
			break;
	}
	finish(cd, true, out[0] ? out : NULL);
}

/* The commit's warnings (cfg_compile_warnings()) after its info. */
static void add_warnings(struct cfgd *cd)
{
	struct errlist w = {0};
	size_t used = strlen(cd->cur.info);

	cfg_compile_warnings(&cd->next, &w);
	for (size_t i = 0; i < w.n && used < sizeof(cd->cur.info); i++)
		used += (size_t)snprintf(cd->cur.info + used, sizeof(cd->cur.info) - used, "%s%s",
					 used ? "\n" : "", w.v[i]);
	errlist_free(&w);
}

static void begin(struct cfgd *cd, struct cfg_pending *p)
{
	struct errlist errs = {0};
	unsigned parts = 0;
	int rc;

	cd->busy = true;
	cd->cur = *p;
	cd->commit_started_ns = uv_hrtime();
	rc = cfg_compile(cd->cur.target, cd->cur.actions, &cd->next, &errs);
	if (rc == 0)
		rc = cfg_tls_files_stamp(&cd->next);
	if (rc < 0) {
		char *msg = join_reasons("Error: The configuration is not valid; nothing was "
					 "changed:",
					 &errs);

		errlist_free(&errs);
		finish(cd, false, msg ? msg : "Error: The configuration is not valid.");
		free(msg);
		return;
	}
	for (int d = 0; d < D__COUNT; d++)
		if (cd->next.len[d] != cd->compiled.len[d] ||
		    memcmp(cd->next.sec[d], cd->compiled.sec[d], cd->next.len[d]) != 0)
			parts |= 1u << d;
	if (parts & (1u << D_RBSD))
		add_warnings(cd);
	if (parts == 0 && conf_equal(cd->running, cd->cur.target)) {
		/* A trial rollback to what runs already (a later commit undid
		 * the trial): done, as if written; else the trial file would
		 * stay and a restart roll back over the commits after it. */
		if (cd->cur.forced)
			durable_done(cd, true);
		count_commit(cd, true, false);
		finish(cd, true,
		       cd->cur.info[0] ? cd->cur.info
				       : "Info: No configuration changes to commit.");
		return;
	}
	cd->next_id = cd->running_id + 1;
	cfg_txn_begin(&cd->txn, ++cd->txn_seq, parts, now_ms(cd), PREPARE_TIMEOUT_MS);
	if (cd->cur.forced) {
		/* A trial that expired rolls back whatever the daemons say: they
		 * follow by push. */
		int wrc;

		cfg_txn_force(&cd->txn);
		wrc = make_durable(cd);
		if (wrc < 0) {
			log_warnx("trial rollback: cannot write the state directory %s: %s; "
				  "running it anyway, the write is retried (a restart rolls back "
				  "again)",
				  cd->opts.statedir, strerror(-wrc));
			cfg_commitq_unsaved(&cd->queue);
		}
		activate(cd);
		for (int d = 0; d < D__COUNT; d++)
			if (parts & (1u << d))
				push(cd, d);
		finish(cd, true, NULL);
		return;
	}
	if (parts == 0) {
		/* cfgd's own settings (sysname): nobody to ask */
		send_commit(cd);
		if (cd->busy && cd->txn.acks_done)
			acks_complete(cd);
		return;
	}
	for (int d = 0; d < D__COUNT; d++) {
		Db__Prepare pr = DB__PREPARE__INIT;

		if (!(parts & (1u << d)))
			continue;
		if (!cd->d[d].up) {
			cfg_txn_refuse(&cd->txn, d, "not running (no HELLO from it)");
			continue;
		}
		pr.txn = cd->txn.id;
		pr.commit_id = cd->next_id;
		pr.section.data = cd->next.sec[d];
		pr.section.len = cd->next.len[d];
		send_to(cd, d, DB__MSG_TYPE__MSG_PREPARE, cd->txn.id, &pr.base);
	}
	log_info("txn %llu: PREPARE commit %llu to%s%s%s", (unsigned long long)cd->txn.id,
		 (unsigned long long)cd->next_id, parts & 1 ? " vrrpd" : "",
		 parts & 2 ? " rbsd" : "", parts & 4 ? " rbpd" : "");
	if (cd->txn.decision == TXN_ABORT)
		abort_txn(cd);
}

/* Carry out what the commit queue decided (cfgd/commitq.h). */
static void carry_out(struct cfgd *cd, struct cfg_commitq_out *o)
{
	switch (o->act) {
	case CFG_CQ_NONE:
		break;
	case CFG_CQ_RUN:
	case CFG_CQ_RUN_REBASED:
		begin(cd, &o->p);
		break;
	case CFG_CQ_EXPIRED:
	case CFG_CQ_CONFLICT:
	case CFG_CQ_NOMEM:
		pending_done(cd, &o->p, false, o->msg);
		break;
	}
}

/* Run commit p now, or at its turn. Takes what p owns. */
static void enqueue(struct cfgd *cd, struct cfg_pending *p)
{
	struct cfg_commitq_out o;

	cfg_commitq_submit(&cd->queue, cd->busy, p, &o);
	carry_out(cd, &o);
}

/* The queued commits, while none runs: each is run, re-based or refused
 * at its turn. begin() may finish a commit at once (it comes back here). */
static void start_next(struct cfgd *cd)
{
	struct cfg_commitq_out o;

	do {
		cfg_commitq_next(&cd->queue, cd->busy, cd->running, &o);
		carry_out(cd, &o);
	} while (o.act != CFG_CQ_NONE);
}

/* ---- trial ------------------------------------------------------------- */

static int load_commit_conf(struct cfgd *cd, uint64_t id, struct conf **out)
{
	struct store_commit c;
	char err[256];
	int rc;

	*out = conf_new();
	if (*out == NULL)
		return -ENOMEM;
	if (id <= FIRST_COMMIT_ID)
		return 0; /* before the first commit: empty */
	rc = store_load(cd->store, id, &c);
	if (rc < 0) {
		conf_free(*out);
		*out = NULL;
		return rc;
	}
	rc = conf_load(*out, c.text, err, sizeof(err));
	store_commit_free(&c);
	if (rc < 0) {
		conf_free(*out);
		*out = NULL;
	}
	return rc;
}

static void trial_rollback(struct cfgd *cd, const char *why)
{
	struct cfg_pending p = {0};
	struct cfg_commitq_out o;

	if (!cd->trial_commit)
		return;
	log_info("trial commit %llu: %s, rolling back to commit %llu",
		 (unsigned long long)cd->trial_commit, why,
		 (unsigned long long)cd->trial_rollback_to);
	if (load_commit_conf(cd, cd->trial_rollback_to, &p.target) < 0) {
		log_warnx("trial: cannot load commit %llu",
			  (unsigned long long)cd->trial_rollback_to);
		return;
	}
	snprintf(p.label, sizeof(p.label), "trial-rollback");
	/* The trial file stays until the rollback is durable (make_durable):
	 * a crash before that rolls back again at the next start. */
	cd->trial_commit = 0;
	cfg_commitq_rollback(&cd->queue, cd->busy, &p, &o);
	carry_out(cd, &o);
}

/* ---- CLI --------------------------------------------------------------- */

static char *commit_list(struct cfgd *cd)
{
	struct store_commit *list;
	char *out = NULL;
	size_t n, outlen = 0;
	FILE *f;

	if (store_list(cd->store, &list, &n) < 0)
		return strdup("Error: cannot read the commit history.");
	f = open_memstream(&out, &outlen);
	if (f == NULL) {
		free(list);
		return NULL;
	}
	fprintf(f, "Number  CommitId    Label                User        TimeStamp\n");
	for (size_t i = 0; i < n; i++) {
		char ts[32];

		show_time(list[i].time, ts, sizeof(ts));
		fprintf(f, "%-7zu %-11llu %-20s %-11s %s\n", i + 1, (unsigned long long)list[i].id,
			list[i].label[0] ? list[i].label : "-", list[i].user, ts);
	}
	fprintf(f, "Total: %zu", n);
	fclose(f);
	free(list);
	return out;
}

static char *commit_changes(struct cfgd *cd, uint64_t id)
{
	struct conf *before, *after;
	char *d, *out;

	if (load_commit_conf(cd, id, &after) < 0)
		return NULL;
	if (load_commit_conf(cd, id - 1, &before) < 0) {
		/* pruned predecessor: show the commit whole */
		before = conf_new();
	}
	d = conf_diff(before, after);
	if (asprintf(&out, "Building configuration\n%s", d && d[0] ? d : "(no changes)\n") < 0)
		out = NULL;
	free(d);
	conf_free(before);
	conf_free(after);
	return out;
}

/* Whether every daemon runs the running configuration: the content
 * digests of their applied sections against cfgd's. */
static char *sync_status(struct cfgd *cd)
{
	char *out = malloc(1024), *p = out;

	if (out == NULL)
		return NULL;
	p += sprintf(p, "Running commit: %llu\n", (unsigned long long)cd->running_id);
	if (cd->trial_commit) {
		long long left = (long long)(cd->trial_deadline - time(NULL));

		p += sprintf(p,
			     "Trial commit: %llu, rolls back to %llu in %lld s unless confirmed\n",
			     (unsigned long long)cd->trial_commit,
			     (unsigned long long)cd->trial_rollback_to, left > 0 ? left : 0);
	} else {
		p += sprintf(p, "Trial commit: none\n");
	}
	if (cd->queue.rollback == CFG_RB_UNSAVED)
		p += sprintf(p, "Warning: the trial rollback is not yet written to disk\n");
	p += sprintf(p, "Daemon  State  PID       Applied     Digest            Sync\n");
	for (int d = 0; d < D__COUNT; d++)
		p += sprintf(p, "%-7s %-6s %-9llu %-11llu %016llx  %s\n", cfg_daemon_name(d),
			     cd->d[d].up ? "up" : "down", (unsigned long long)cd->d[d].pid,
			     (unsigned long long)cd->d[d].applied,
			     (unsigned long long)cd->d[d].digest,
			     cd->d[d].up && in_sync(cd, d) ? "yes" : "no");
	p[-1] = '\0';
	return out;
}

/* A JSON document as the malloc'd text of a CLI reply (NULL: no memory). */
static char *json_text(struct json_object *o)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL) {
		json_object_put(o);
		return NULL;
	}
	jout_write(f, o);
	fclose(f);
	return out;
}

/* display configuration commit list json (docs/json.md) */
static char *commit_list_json(struct cfgd *cd)
{
	struct json_object *o = json_object_new_object(), *arr;
	struct store_commit *list;
	size_t n;

	if (o == NULL)
		return NULL;
	if (store_list(cd->store, &list, &n) < 0) {
		jout_str(o, "error", "cannot read the commit history");
		return json_text(o);
	}
	arr = jout_arr(o, "commits");
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = jout_push_obj(arr);

		jout_u64(c, "commit_id", list[i].id);
		jout_str(c, "label", list[i].label[0] ? list[i].label : NULL);
		jout_str(c, "user", list[i].user);
		jout_i64(c, "time", (int64_t)list[i].time);
	}
	free(list);
	jout_u64(o, "running_commit_id", cd->running_id);
	if (cd->trial_commit)
		jout_u64(o, "trial_commit_id", cd->trial_commit);
	else
		jout_str(o, "trial_commit_id", NULL);
	return json_text(o);
}

/* display configuration sync json (docs/json.md) */
static char *sync_status_json(struct cfgd *cd)
{
	struct json_object *o = json_object_new_object(), *arr;

	if (o == NULL)
		return NULL;
	jout_u64(o, "running_commit_id", cd->running_id);
	{
		struct json_object *c = jout_obj(o, "commits");

		jout_u64(c, "ok", cd->commits_ok);
		jout_u64(c, "failed", cd->commits_failed);
		jout_u64(c, "unchanged", cd->commits_unchanged);
		histo_json(&cd->commit_latency, c, "duration_seconds");
	}
	arr = jout_arr(o, "daemons");
	for (int d = 0; d < D__COUNT; d++) {
		struct json_object *x = jout_push_obj(arr);
		char dg[17];

		snprintf(dg, sizeof(dg), "%016llx", (unsigned long long)cd->d[d].digest);
		jout_str(x, "daemon", cfg_daemon_name(d));
		jout_bool(x, "up", cd->d[d].up);
		jout_u64(x, "pid", cd->d[d].pid);
		jout_u64(x, "applied_commit_id", cd->d[d].applied);
		jout_str(x, "digest", dg);
		jout_bool(x, "in_sync", cd->d[d].up && in_sync(cd, d));
	}
	return json_text(o);
}

static void cli_exec(struct cfgd *cd, const char *ident, size_t identlen, uint64_t req_id,
		     struct session *s, const char *line, bool json)
{
	struct sess_result res;
	struct cfg_pending p = {0};
	char *text;

	sess_exec(s, cd->running, cd->running_id, line, &res);
	res.json |= json; /* dbcli --json */
	memcpy(p.ident, ident, identlen);
	p.identlen = identlen;
	p.req_id = req_id;
	p.sess = s;
	switch (res.req) {
	case SR_NONE:
	case SR_FORWARD:
		send_cli(cd, ident, identlen, req_id, res.ok, res.output, s, &res);
		break;
	case SR_COMMIT: {
		char out[2048];

		if (cd->trial_commit && res.trial_s == 0 && !cand_pending(&s->cand)) {
			log_info("trial commit %llu confirmed by %s",
				 (unsigned long long)cd->trial_commit, s->user);
			cd->trial_commit = 0;
			store_trial_clear(cd->store);
			send_cli(cd, ident, identlen, req_id, true,
				 "Info: The trial commit was confirmed.", s, NULL);
			break;
		}
		if (cand_conflicts(&s->cand, cd->running, s->user, out, sizeof(out))) {
			send_cli(cd, ident, identlen, req_id, false, out, s, NULL);
			break;
		}
		p.target = conf_dup(cd->running);
		if (p.target == NULL || cand_apply(&s->cand, p.target) < 0) {
			conf_free(p.target);
			send_cli(cd, ident, identlen, req_id, false, "Error: out of memory.", s,
				 NULL);
			break;
		}
		p.actions = calloc(1, sizeof(*p.actions));
		for (size_t i = 0; p.actions && i < s->cand.n; i++)
			if (s->cand.ops[i].type == OP_ACTION)
				cand_add(p.actions, OP_ACTION, s->cand.ops[i].view,
					 s->cand.ops[i].name, s->cand.ops[i].key,
					 s->cand.ops[i].text, s->cand.ops[i].id, 0);
		p.trial_s = res.trial_s;
		snprintf(p.label, sizeof(p.label), "%s", res.label);
		if (res.trial_s)
			snprintf(p.info, sizeof(p.info),
				 "Info: Trial commit: it is rolled back in %u seconds unless "
				 "confirmed with commit.",
				 res.trial_s);
		enqueue(cd, &p);
		break;
	}
	case SR_ABORT_TRIAL:
		if (!cd->trial_commit) {
			send_cli(cd, ident, identlen, req_id, false,
				 "Error: No trial commit is pending.", s, NULL);
			break;
		}
		trial_rollback(cd, "aborted by the operator");
		send_cli(cd, ident, identlen, req_id, true,
			 "Info: The trial commit is being rolled back.", s, NULL);
		break;
	case SR_ROLLBACK:
		if (res.commit_id > cd->running_id || res.commit_id <= FIRST_COMMIT_ID ||
		    load_commit_conf(cd, res.commit_id - 1, &p.target) < 0) {
			send_cli(cd, ident, identlen, req_id, false,
				 "Error: No such commit in the history.", s, NULL);
			break;
		}
		p.fixed = true;
		snprintf(p.label, sizeof(p.label), "rollback-%llu",
			 (unsigned long long)res.commit_id);
		snprintf(p.info, sizeof(p.info),
			 "Info: The configuration was rolled back to the state before commit %llu.",
			 (unsigned long long)res.commit_id);
		enqueue(cd, &p);
		break;
	case SR_SYNC:
		text = res.json ? sync_status_json(cd) : sync_status(cd);
		send_cli(cd, ident, identlen, req_id, text != NULL, text, s, NULL);
		free(text);
		break;
	case SR_COMMIT_LIST:
		text = res.json ? commit_list_json(cd) : commit_list(cd);
		send_cli(cd, ident, identlen, req_id, text != NULL, text, s, NULL);
		free(text);
		break;
	case SR_COMMIT_CHANGES:
		text = commit_changes(cd, res.commit_id);
		send_cli(cd, ident, identlen, req_id, text != NULL,
			 text ? text : "Error: No such commit in the history.", s, NULL);
		free(text);
		break;
	}
	free(res.output);
}

/* The name the commit history records for the user of uid `uid`, as the
 * kernel reported it when dbcli connected (the request's own `user`
 * field is the client's say-so and is ignored). */
static void user_name(long uid, char *buf, size_t len)
{
	struct passwd *pw = uid >= 0 ? getpwuid((uid_t)uid) : NULL;

	if (pw && pw->pw_name && pw->pw_name[0])
		snprintf(buf, len, "%s", pw->pw_name);
	else if (uid >= 0)
		snprintf(buf, len, "uid %ld", uid);
	else
		snprintf(buf, len, "unknown");
}

static void cli_request(struct cfgd *cd, const uint8_t *ident, size_t identlen,
			const Db__Envelope *env, long uid)
{
	Db__CliRequest *rq = db__cli_request__unpack(NULL, env->payload.len, env->payload.data);
	struct session *s;
	char key[140];

	if (rq == NULL) {
		log_warnx("dbcli: malformed request dropped");
		return;
	}
	hexid(ident, identlen, key);
	s = strmap_get(cd->sessions, key);
	if (s != NULL && s->uid != uid) {
		/* A session belongs to whoever opened it. */
		log_warnx("dbcli: uid %ld sent a request in a session of uid %ld: dropped", uid,
			  s->uid);
		db__cli_request__free_unpacked(rq, NULL);
		return;
	}
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL || strmap_put(cd->sessions, key, s) < 0) {
			free(s);
			db__cli_request__free_unpacked(rq, NULL);
			return;
		}
		s->view = VIEW_USER;
		s->uid = uid;
		user_name(uid, s->user, sizeof(s->user));
	}
	s->last_active_ms = now_ms(cd);
	switch (rq->op) {
	case DB__CLI_OP__CLI_OPEN:
		send_cli(cd, (const char *)ident, identlen, env->id, true, NULL, s, NULL);
		break;
	case DB__CLI_OP__CLI_CLOSE:
		s->closed = true;
		send_cli(cd, (const char *)ident, identlen, env->id, true, NULL, s, NULL);
		break;
	case DB__CLI_OP__CLI_HELP: {
		char out[8192];

		gram_help(s->view, rq->line, out, sizeof(out));
		send_cli(cd, (const char *)ident, identlen, env->id, true, out, s, NULL);
		break;
	}
	case DB__CLI_OP__CLI_COMPLETE: {
		Db__CliReply r = DB__CLI_REPLY__INIT;
		const char *words[64];
		char prompt[160];
		int n = gram_complete(s->view, rq->line, words, 64);

		sess_prompt(s, cfg_sysname(cd->running), prompt, sizeof(prompt));
		r.ok = 1;
		r.prompt = prompt;
		r.n_completions = (size_t)n;
		r.completions = (char **)words;
		bus_send_msg(cd->cli, ident, identlen, DB__MSG_TYPE__MSG_CLI_REPLY,
			     DB__ROLE__ROLE_CFGD, env->id, &r.base);
		break;
	}
	case DB__CLI_OP__CLI_EXEC:
	default:
		cli_exec(cd, (const char *)ident, identlen, env->id, s, rq->line, rq->json);
		break;
	}
	db__cli_request__free_unpacked(rq, NULL);
}

/* ---- daemons ----------------------------------------------------------- */

static void daemon_msg(struct cfgd *cd, enum cfg_daemon d, const Db__Envelope *env)
{
	struct daemon_state *ds = &cd->d[d];

	if (!ds->up)
		log_info("%s: connected", cfg_daemon_name(d));
	ds->up = true;
	ds->last_seen_ms = now_ms(cd);
	switch (env->type) {
	case DB__MSG_TYPE__MSG_HELLO: {
		Db__Hello *h = db__hello__unpack(NULL, env->payload.len, env->payload.data);

		if (h == NULL)
			break;
		log_info("%s: HELLO (pid %llu, runs commit %llu)", cfg_daemon_name(d),
			 (unsigned long long)h->pid, (unsigned long long)h->applied_commit);
		ds->applied = h->applied_commit;
		ds->digest = h->digest;
		ds->pid = h->pid;
		db__hello__free_unpacked(h, NULL);
		/* A (re)started daemon: it may have lost a transaction it had
		 * prepared; the coordinator learns it now rather than at the
		 * deadline. */
		if (cd->busy && cd->txn.decision == TXN_PENDING &&
		    cfg_txn_lost(&cd->txn, d) == TXN_ABORT) {
			abort_txn(cd);
		}
		ds->last_push_ms = 0;
		maybe_push(cd, d);
		break;
	}
	case DB__MSG_TYPE__MSG_HEARTBEAT: {
		Db__Heartbeat *h = db__heartbeat__unpack(NULL, env->payload.len, env->payload.data);

		if (h == NULL)
			break;
		ds->applied = h->applied_commit;
		ds->digest = h->digest;
		if (ds->pid != h->pid)
			log_info("%s: now pid %llu", cfg_daemon_name(d),
				 (unsigned long long)h->pid);
		ds->pid = h->pid;
		db__heartbeat__free_unpacked(h, NULL);
		maybe_push(cd, d);
		break;
	}
	case DB__MSG_TYPE__MSG_VOTE: {
		Db__Vote *v = db__vote__unpack(NULL, env->payload.len, env->payload.data);
		enum txn_decision dec;

		if (v == NULL)
			break;
		if (cd->busy && v->txn == cd->txn.id && cd->txn.decision == TXN_PENDING) {
			dec = cfg_txn_vote(&cd->txn, d, v->ok, v->errors, v->n_errors);
			if (dec == TXN_COMMIT)
				send_commit(cd);
			else if (dec == TXN_ABORT)
				abort_txn(cd);
		}
		db__vote__free_unpacked(v, NULL);
		break;
	}
	case DB__MSG_TYPE__MSG_ACK: {
		Db__Ack *a = db__ack__unpack(NULL, env->payload.len, env->payload.data);

		if (a == NULL)
			break;
		ds->applied = a->commit_id;
		ds->digest = a->digest;
		for (size_t i = 0; i < a->n_errors; i++)
			log_warnx("%s: commit %llu: %s", cfg_daemon_name(d),
				  (unsigned long long)a->commit_id, a->errors[i]);
		if (cd->busy && a->txn && a->txn == cd->txn.id && cd->txn.decision == TXN_COMMIT &&
		    cfg_txn_ack(&cd->txn, d))
			acks_complete(cd);
		db__ack__free_unpacked(a, NULL);
		break;
	}
	default:
		break;
	}
}

static void drop(struct cfgd *cd, const char *why)
{
	if (cd->dropped++ % 1000 == 0)
		log_warnx("bus: message dropped: %s (%lu so far)", why, cd->dropped);
}

static void tick_arm(struct cfgd *cd);

static void on_recv(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	struct cfgd *cd = arg;
	Db__Envelope *env;
	int d;

	if (n != 2) {
		drop(cd, "wrong number of frames");
		return;
	}
	env = bus_unpack(parts[1].data, parts[1].len);
	if (env == NULL) {
		drop(cd, "malformed or not allowed");
		return;
	}
	/* Two endpoints: cfgd.ipc admits only root and the daemons' user
	 * (the roles of the bus), cfgd-cli.ipc also the dualbackup group
	 * (CLI sessions). Neither speaks for the other. */
	if (s == cd->cli) {
		if (env->sender == DB__ROLE__ROLE_CLI &&
		    env->type == DB__MSG_TYPE__MSG_CLI_REQUEST)
			cli_request(cd, parts[0].data, parts[0].len, env, bus_peer_uid(s));
		else
			drop(cd, "the CLI endpoint takes only dbcli requests");
	} else if (env->sender == DB__ROLE__ROLE_CLI) {
		drop(cd, "dbcli on the daemons' endpoint");
	} else if ((d = daemon_of(env->sender)) >= 0) {
		const char *name = cfg_daemon_name(d);

		/* A daemon's identity is its name: nobody speaks for another. */
		if (parts[0].len != strlen(name) || memcmp(parts[0].data, name, parts[0].len))
			drop(cd, "daemon message from a foreign identity");
		else
			daemon_msg(cd, d, env);
	} else {
		drop(cd, "unknown sender");
	}
	db__envelope__free_unpacked(env, NULL);
	tick_arm(cd);
}

/* ---- clock ------------------------------------------------------------- */

/* strmap_del_if() of the sessions: a closed or idle one goes, unless its
 * commit is running; queued commits forget it. */
static bool expire_session(const char *k, void *v, void *arg)
{
	struct cfgd *cd = arg;
	struct session *s = v;

	(void)k;
	if (!(s->closed || now_ms(cd) - s->last_active_ms > SESSION_IDLE_MS) ||
	    (cd->busy && cd->cur.sess == s))
		return false;
	cfg_commitq_forget(&cd->queue, s);
	cand_clear(&s->cand);
	free(s);
	return true;
}

static void expire_sessions(struct cfgd *cd)
{
	strmap_del_if(cd->sessions, expire_session, cd);
}

static void on_tick(uv_timer_t *t)
{
	struct cfgd *cd = t->data;
	uint64_t now = now_ms(cd);

	for (int d = 0; d < D__COUNT; d++) {
		if (cd->d[d].up && now - cd->d[d].last_seen_ms > DAEMON_DEAD_MS) {
			log_warnx("%s: silent for %d ms, considered down", cfg_daemon_name(d),
				  DAEMON_DEAD_MS);
			cd->d[d].up = false;
			if (cd->busy && cd->txn.decision == TXN_PENDING &&
			    cfg_txn_lost(&cd->txn, d) == TXN_ABORT)
				abort_txn(cd);
		}
		maybe_push(cd, d);
	}
	if (cd->busy) {
		enum txn_decision before = cd->txn.decision;
		enum txn_decision dec = cfg_txn_tick(&cd->txn, now);

		if (before == TXN_PENDING && dec == TXN_ABORT)
			abort_txn(cd);
		else if (dec == TXN_COMMIT && cd->txn.acks_done)
			acks_complete(cd);
	}
	if (cd->trial_commit && time(NULL) >= cd->trial_deadline)
		trial_rollback(cd, "not confirmed in time");
	retry_unsaved_rollback(cd);
	expire_sessions(cd);
	tick_arm(cd);
}

/* Whether something waits on the clock at TICK_MS: a commit in flight or
 * queued (its deadlines), a daemon to push to, a rollback to make durable,
 * a trial about to end. */
static bool tick_urgent(struct cfgd *cd)
{
	if (cd->busy || cd->queue.n > 0 || cd->queue.rollback == CFG_RB_UNSAVED)
		return true;
	if (cd->trial_commit && time(NULL) + 2 >= cd->trial_deadline)
		return true;
	for (int d = 0; d < D__COUNT; d++)
		if (cd->d[d].up && !in_sync(cd, d))
			return true;
	return false;
}

/* The tick runs every TICK_MS while tick_urgent(), else every
 * TICK_IDLE_MS, so that an idle cfgd wakes once a second (a daemon's
 * silence is then noticed DAEMON_DEAD_MS to DAEMON_DEAD_MS + 1 s after
 * its last word). Called after each tick and each message, which is
 * what can make the tick urgent. */
static void tick_arm(struct cfgd *cd)
{
	uvtimer_by(&cd->tick, on_tick, tick_urgent(cd) ? TICK_MS : TICK_IDLE_MS);
}

/* ---- start-up ---------------------------------------------------------- */

static void recover(struct cfgd *cd)
{
	struct store_commit c;
	char err[256];
	struct errlist errs = {0};
	uint64_t tc, tr;
	time_t td;
	int rc;

	cd->running = conf_new();
	cd->running_id = FIRST_COMMIT_ID;
	if (cd->running == NULL)
		fatalx("out of memory");
	rc = store_latest(cd->store, &c);
	if (rc < 0 && rc != -ENOENT)
		fatalx("cannot read the commit history in %s: %s", cd->opts.statedir,
		       strerror(-rc));
	if (rc == -ENOENT && store_skipped(cd->store) > 0) {
		/* Starting empty would push an empty configuration to every
		 * daemon: the operator decides, not a damaged disk. */
		if (!cd->empty_ok)
			fatalx("every stored commit in %s/commits is unreadable (%u corrupt "
			       "files); refusing to start with an empty configuration. Restore "
			       "the state directory, or start cfgd with -E to start empty",
			       cd->opts.statedir, store_skipped(cd->store));
		log_warnx("every stored commit in %s/commits is unreadable (%u corrupt files); "
			  "starting empty as -E asks, new commits are numbered after %llu",
			  cd->opts.statedir, store_skipped(cd->store),
			  (unsigned long long)store_newest_id(cd->store));
		if (store_newest_id(cd->store) > cd->running_id)
			cd->running_id = store_newest_id(cd->store);
		/* the commits a trial names are unreadable too */
		store_trial_clear(cd->store);
	}
	if (rc == 0) {
		if (conf_load(cd->running, c.text, err, sizeof(err)) < 0)
			fatalx("commit %llu in %s does not load: %s", (unsigned long long)c.id,
			       cd->opts.statedir, err);
		cd->running_id = c.id;
		log_info("recovered commit %llu from %s", (unsigned long long)c.id,
			 cd->opts.statedir);
		store_commit_free(&c);
	}
	if (store_skipped(cd->store))
		log_warnx("%u unreadable commit files skipped in %s", store_skipped(cd->store),
			  cd->opts.statedir);
	if (cfg_compile(cd->running, NULL, &cd->compiled, &errs) < 0 ||
	    cfg_tls_files_stamp(&cd->compiled) < 0)
		fatalx("the recovered configuration does not compile: %s",
		       errs.n ? errs.v[0] : "out of memory");
	errlist_free(&errs);
	if (store_trial_load(cd->store, &tc, &tr, &td) == 0 && tc > cd->running_id) {
		log_info("trial for commit %llu that never happened discarded",
			 (unsigned long long)tc);
		store_trial_clear(cd->store);
	} else if (store_trial_load(cd->store, &tc, &tr, &td) == 0) {
		cd->trial_commit = tc;
		cd->trial_rollback_to = tr;
		cd->trial_deadline = td;
		log_info("trial commit %llu pending, rolls back at %lld unless confirmed",
			 (unsigned long long)tc, (long long)td);
	}
	cd->txn_seq = (uint64_t)time(NULL) << 16;
}

static void on_stop(void *arg)
{
	struct cfgd *cd = arg;

	daemon_stopping();
	uv_timer_stop(&cd->tick);
	bus_close(cd->sock);
	bus_close(cd->cli);
	uv_stop(cd->loop);
}

static void free_session(const char *k, void *v, void *arg)
{
	struct session *s = v;

	(void)k;
	(void)arg;
	cand_clear(&s->cand);
	free(s);
}

/* -E / --empty is cfgd's own option: taken out of argv (as a word of its
 * own) before the options every daemon shares are parsed. */
static bool take_empty_flag(int *argc, char **argv)
{
	bool found = false;
	int j = 1;

	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "-E") == 0 || strcmp(argv[i], "--empty") == 0)
			found = true;
		else
			argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	return found;
}

int main(int argc, char **argv)
{
	static struct cfgd cfgd;
	struct cfgd *cd = &cfgd;
	struct bus_opts o = {0};
	char ep[4200], path[4200];
	int rc;

	cd->opts.name = "cfgd";
	cd->empty_ok = take_empty_flag(&argc, argv);
	daemon_start(&cd->opts, argc, argv, true);
	cd->loop = uv_default_loop();
	{
		static const double le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
					    0.1,   0.25,   0.5,   1,    2.5,   5};

		histo_init(&cd->commit_latency, le, sizeof(le) / sizeof(le[0]));
	}
	cd->zctx = zmq_ctx_new();
	cd->sessions = strmap_new();
	cfg_commitq_init(&cd->queue, NULL);
	rc = store_open(&cd->store, cd->opts.statedir);
	if (rc < 0)
		fatalx("state directory %s: %s", cd->opts.statedir, strerror(-rc));
	recover(cd);
	daemon_endpoint(ep, sizeof(ep), cd->opts.rundir, "cfgd");
	snprintf(path, sizeof(path), "%s/cfgd.ipc", cd->opts.rundir);
	unlink(path);
	o.type = ZMQ_ROUTER;
	o.endpoint = ep;
	o.bind = 1;
	o.cb = on_recv;
	o.arg = cd;
	o.zap_domain = PEER_DOMAIN_DAEMON;
	rc = bus_open(&cd->sock, cd->loop, cd->zctx, &o);
	if (rc < 0)
		fatalx("cannot bind %s: %s", ep, strerror(-rc));
	daemon_endpoint(ep, sizeof(ep), cd->opts.rundir, "cfgd-cli");
	snprintf(path, sizeof(path), "%s/cfgd-cli.ipc", cd->opts.rundir);
	unlink(path);
	o.endpoint = ep;
	o.zap_domain = PEER_DOMAIN_CLIENT;
	rc = bus_open(&cd->cli, cd->loop, cd->zctx, &o);
	if (rc < 0)
		fatalx("cannot bind %s: %s", ep, strerror(-rc));
	uv_timer_init(cd->loop, &cd->tick);
	cd->tick.data = cd;
	tick_arm(cd);
	daemon_on_signal(cd->loop, on_stop, cd);
	log_info("ready: %s, running commit %llu", ep, (unsigned long long)cd->running_id);
	daemon_ready();
	uv_run(cd->loop, UV_RUN_DEFAULT);
	daemon_close_loop(cd->loop);
	strmap_each(cd->sessions, free_session, NULL);
	strmap_free(cd->sessions);
	cfg_commitq_free(&cd->queue);
	conf_free(cd->running);
	cfg_compiled_free(&cd->compiled);
	cfg_compile_cache_free();
	store_close(cd->store);
	zmq_ctx_term(cd->zctx);
	log_info("stopped");
	return 0;
}
