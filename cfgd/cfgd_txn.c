/*
 * cfgd: a commit across the daemons. A commit takes its turn in the queue
 * (cfgd/commitq.h), is compiled into each daemon's section, prepared on
 * the daemons whose section changes, written to the store once every one
 * voted yes, then committed and acknowledged; a no, a lost daemon or a
 * deadline aborts it everywhere. Daemons out of sync get the running
 * configuration pushed. Trials roll back through the same queue. The
 * daemons' own messages (HELLO, HEARTBEAT, VOTE, ACK) arrive here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfgd/cfgd.h"
#include "cfgd/store.h"
#include "cfgd/tlsfiles.h"
#include "common/log.h"

/* ---- pushing and daemons ------------------------------------------------ */

int cfgd_daemon_of(Db__Role r)
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
	cd->d[d].last_push_ms = cfgd_now_ms(cd);
	if (send_to(cd, d, DB__MSG_TYPE__MSG_PUSH, 0, &p.base) == 0)
		log_info("%s: pushed running configuration (commit %llu)", cfg_daemon_name(d),
			 (unsigned long long)cd->running_id);
}

bool cfgd_in_sync(struct cfgd *cd, enum cfg_daemon d)
{
	return cd->d[d].digest == cfg_compiled_digest(&cd->compiled, d);
}

/* Anti-divergence: a daemon whose applied section differs from the
 * running one gets the running configuration, whatever was lost on the
 * way (a dropped COMMIT, a restart, a cfgd restart). */
void cfgd_maybe_push(struct cfgd *cd, enum cfg_daemon d)
{
	struct daemon_state *ds = &cd->d[d];

	if (!ds->up || cfgd_in_sync(cd, d))
		return;
	if (cd->busy && (cd->txn.participants & (1u << d)))
		return;
	if (ds->last_push_ms && cfgd_now_ms(cd) - ds->last_push_ms < PUSH_RETRY_MS)
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
		cfgd_send_cli(cd, p->ident, p->identlen, p->req_id, ok, out, p->sess, NULL);
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

void cfgd_abort(struct cfgd *cd)
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
void cfgd_retry_rollback_write(struct cfgd *cd)
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
		cfgd_abort(cd);
		return;
	}
	ref.txn = cd->txn.id;
	for (int d = 0; d < D__COUNT; d++)
		if (cd->txn.participants & (1u << d))
			send_to(cd, d, DB__MSG_TYPE__MSG_COMMIT, cd->txn.id, &ref.base);
	log_info("txn %llu: commit %llu durable, COMMIT sent", (unsigned long long)cd->txn.id,
		 (unsigned long long)cd->next_id);
	activate(cd);
	cfg_txn_committed(&cd->txn, cfgd_now_ms(cd), ACK_TIMEOUT_MS);
}

void cfgd_acks_complete(struct cfgd *cd)
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
	cfg_txn_begin(&cd->txn, ++cd->txn_seq, parts, cfgd_now_ms(cd), PREPARE_TIMEOUT_MS);
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
			cfgd_acks_complete(cd);
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
		cfgd_abort(cd);
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
void cfgd_enqueue(struct cfgd *cd, struct cfg_pending *p)
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

int cfgd_load_commit(struct cfgd *cd, uint64_t id, struct conf **out)
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

void cfgd_trial_rollback(struct cfgd *cd, const char *why)
{
	struct cfg_pending p = {0};
	struct cfg_commitq_out o;

	if (!cd->trial_commit)
		return;
	log_info("trial commit %llu: %s, rolling back to commit %llu",
		 (unsigned long long)cd->trial_commit, why,
		 (unsigned long long)cd->trial_rollback_to);
	if (cfgd_load_commit(cd, cd->trial_rollback_to, &p.target) < 0) {
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

/* ---- daemons ----------------------------------------------------------- */

void cfgd_daemon_down(struct cfgd *cd, enum cfg_daemon d, const char *why)
{
	struct daemon_state *ds = &cd->d[d];

	if (!ds->up)
		return;
	log_warnx("%s: %s, considered down", cfg_daemon_name(d), why);
	ds->up = false;
	pidwatch_free(ds->watch);
	ds->watch = NULL;
	if (cd->busy && cd->txn.decision == TXN_PENDING && cfg_txn_lost(&cd->txn, d) == TXN_ABORT)
		cfgd_abort(cd);
}

/* pidwatch_cb: the process a daemon's HELLO named has ended. */
static void on_daemon_end(struct pidwatch *w, void *arg)
{
	struct daemon_state *ds = arg;
	char why[64];

	snprintf(why, sizeof(why), "its process (pid %d) ended", (int)pidwatch_pid(w));
	cfgd_daemon_down(ds->cd, (enum cfg_daemon)(ds - ds->cd->d), why);
}

/* Watch the process a daemon names, so that its end is known at once and
 * its heartbeats may be rare (common/pidwatch.h). */
static void follow_pid(struct cfgd *cd, enum cfg_daemon d, uint64_t pid)
{
	struct daemon_state *ds = &cd->d[d];

	ds->cd = cd;
	if (ds->pid != pid && ds->pid)
		log_info("%s: now pid %llu", cfg_daemon_name(d), (unsigned long long)pid);
	ds->pid = pid;
	pidwatch_follow(&ds->watch, cd->loop, pid, on_daemon_end, ds);
}

/* cfgd's own HELLO: who to watch (its pid). The answer to a daemon's has
 * id 0; a greeting (id 1) asks for the daemon's HELLO. */
static void send_hello(struct cfgd *cd, enum cfg_daemon d, uint64_t id)
{
	Db__Hello h = DB__HELLO__INIT;

	h.role = DB__ROLE__ROLE_CFGD;
	h.pid = (uint64_t)getpid();
	h.applied_commit = cd->running_id;
	send_to(cd, d, DB__MSG_TYPE__MSG_HELLO, id, &h.base);
}

void cfgd_greet(struct cfgd *cd, enum cfg_daemon d)
{
	send_hello(cd, d, 1);
}

void cfgd_daemon_msg(struct cfgd *cd, enum cfg_daemon d, const Db__Envelope *env)
{
	struct daemon_state *ds = &cd->d[d];

	if (!ds->up)
		log_info("%s: connected", cfg_daemon_name(d));
	ds->up = true;
	ds->last_seen_ms = cfgd_now_ms(cd);
	switch (env->type) {
	case DB__MSG_TYPE__MSG_HELLO: {
		Db__Hello *h = db__hello__unpack(NULL, env->payload.len, env->payload.data);

		if (h == NULL)
			break;
		log_info("%s: HELLO (pid %llu, runs commit %llu)", cfg_daemon_name(d),
			 (unsigned long long)h->pid, (unsigned long long)h->applied_commit);
		ds->applied = h->applied_commit;
		ds->digest = h->digest;
		follow_pid(cd, d, h->pid);
		db__hello__free_unpacked(h, NULL);
		send_hello(cd, d, 0);
		/* A (re)started daemon: it may have lost a transaction it had
		 * prepared; the coordinator learns it now rather than at the
		 * deadline. */
		if (cd->busy && cd->txn.decision == TXN_PENDING &&
		    cfg_txn_lost(&cd->txn, d) == TXN_ABORT) {
			cfgd_abort(cd);
		}
		ds->last_push_ms = 0;
		cfgd_maybe_push(cd, d);
		break;
	}
	case DB__MSG_TYPE__MSG_HEARTBEAT: {
		Db__Heartbeat *h = db__heartbeat__unpack(NULL, env->payload.len, env->payload.data);

		if (h == NULL)
			break;
		ds->applied = h->applied_commit;
		ds->digest = h->digest;
		follow_pid(cd, d, h->pid);
		db__heartbeat__free_unpacked(h, NULL);
		cfgd_maybe_push(cd, d);
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
				cfgd_abort(cd);
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
			cfgd_acks_complete(cd);
		db__ack__free_unpacked(a, NULL);
		break;
	}
	default:
		break;
	}
}
