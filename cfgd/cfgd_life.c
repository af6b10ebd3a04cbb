/*
 * cfgd: its start and stop, given to the loop by cfgd_main.c, and the
 * freeing of what is left once the loop has closed every handle; the
 * dispatch of the two endpoints' messages, and the clock. Apart from
 * main() so that a test can run a struct cfgd on a loop of its own
 * (tests/check_cfgd.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfgd/cfgd.h"
#include "cfgd/store.h"
#include "cfgd/tlsfiles.h"
#include "common/log.h"
#include "common/peer.h"
#include "common/strmap.h"
#include "common/uvtimer.h"

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
		if (env->sender == DB__ROLE__ROLE_CLI && env->type == DB__MSG_TYPE__MSG_CLI_REQUEST)
			cfgd_cli_request(cd, parts[0].data, parts[0].len, env, bus_peer_uid(s));
		else
			drop(cd, "the CLI endpoint takes only dbcli requests");
	} else if (env->sender == DB__ROLE__ROLE_CLI) {
		drop(cd, "dbcli on the daemons' endpoint");
	} else if ((d = cfgd_daemon_of(env->sender)) >= 0) {
		const char *name = cfg_daemon_name(d);

		/* A daemon's identity is its name: nobody speaks for another. */
		if (parts[0].len != strlen(name) || memcmp(parts[0].data, name, parts[0].len))
			drop(cd, "daemon message from a foreign identity");
		else
			cfgd_daemon_msg(cd, d, env);
	} else {
		drop(cd, "unknown sender");
	}
	db__envelope__free_unpacked(env, NULL);
	tick_arm(cd);
}

/* ---- clock ------------------------------------------------------------- */

static void on_tick(uv_timer_t *t)
{
	struct cfgd *cd = t->data;
	uint64_t now = cfgd_now_ms(cd);

	for (int d = 0; d < D__COUNT; d++) {
		if (!cd->d[d].up)
			cfgd_greet(cd, d);
		if (cd->d[d].up && now - cd->d[d].last_seen_ms > DAEMON_DEAD_MS) {
			char why[64];

			snprintf(why, sizeof(why), "silent for %d ms", DAEMON_DEAD_MS);
			cfgd_daemon_down(cd, d, why);
		}
		cfgd_maybe_push(cd, d);
	}
	if (cd->busy) {
		enum txn_decision before = cd->txn.decision;
		enum txn_decision dec = cfg_txn_tick(&cd->txn, now);

		if (before == TXN_PENDING && dec == TXN_ABORT)
			cfgd_abort(cd);
		else if (dec == TXN_COMMIT && cd->txn.acks_done)
			cfgd_acks_complete(cd);
	}
	if (cd->trial_commit && time(NULL) >= cd->trial_deadline)
		cfgd_trial_rollback(cd, "not confirmed in time");
	cfgd_retry_rollback_write(cd);
	cfgd_sess_expire(cd);
	tick_arm(cd);
}

/* Whether something waits on the clock at TICK_MS: a commit in flight or
 * queued (its deadlines), a daemon to push to, a rollback to make durable,
 * a trial about to end, a daemon to greet just after start. */
static bool tick_urgent(struct cfgd *cd)
{
	if (cd->busy || cd->queue.n > 0 || cd->queue.rollback == CFG_RB_UNSAVED)
		return true;
	/* just started: the daemons are greeted until they answer */
	if (cfgd_now_ms(cd) - cd->started_ms < GREET_MS)
		for (int d = 0; d < D__COUNT; d++)
			if (!cd->d[d].up)
				return true;
	if (cd->trial_commit && time(NULL) + TICK_IDLE_MS / 1000 + 1 >= cd->trial_deadline)
		return true;
	for (int d = 0; d < D__COUNT; d++)
		if (cd->d[d].up && !cfgd_in_sync(cd, d))
			return true;
	return false;
}

/* The tick runs every TICK_MS while tick_urgent(), else every
 * TICK_IDLE_MS, so that an idle cfgd wakes once in 5 s (a daemon's
 * silence is then noticed DAEMON_DEAD_MS to DAEMON_DEAD_MS + 5 s after
 * its last word; its end, at once). Called after each tick and each message, which is
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

/* Binds RUNDIR/NAME.ipc, a ROUTER of the zap domain, whatever a stale
 * socket file of a previous run left there. */
static int bind_endpoint(struct cfgd *cd, struct bus_sock **out, const char *name,
			 const char *zap_domain)
{
	struct bus_opts o = {.cb = on_recv, .arg = cd, .zap_domain = zap_domain};
	char ep[4200];
	int rc;

	rc = daemon_bind_router(out, cd->loop, cd->zctx, cd->opts.rundir, name, &o);
	if (rc < 0 && daemon_endpoint(ep, sizeof(ep), cd->opts.rundir, name) == 0)
		log_warnx("cannot bind %s: %s", ep, strerror(-rc));
	return rc;
}

int cfgd_init(struct cfgd *cd, uv_loop_t *loop, void *zctx)
{
	static const double le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				    0.1,   0.25,   0.5,	  1,	2.5,   5};
	char ep[4200];
	int rc;

	cd->loop = loop;
	cd->zctx = zctx;
	histo_init(&cd->commit_latency, le, sizeof(le) / sizeof(le[0]));
	cd->sessions = strmap_new();
	if (cd->sessions == NULL)
		return -ENOMEM;
	cfg_commitq_init(&cd->queue, NULL);
	rc = store_open(&cd->store, cd->opts.statedir);
	if (rc < 0) {
		log_warnx("state directory %s: %s", cd->opts.statedir, strerror(-rc));
		return rc;
	}
	recover(cd);
	rc = bind_endpoint(cd, &cd->sock, "cfgd", PEER_DOMAIN_DAEMON);
	if (rc == 0)
		rc = bind_endpoint(cd, &cd->cli, "cfgd-cli", PEER_DOMAIN_CLIENT);
	if (rc < 0)
		return rc;
	uv_timer_init(loop, &cd->tick);
	cd->tick.data = cd;
	cd->started_ms = cfgd_now_ms(cd);
	tick_arm(cd);
	daemon_endpoint(ep, sizeof(ep), cd->opts.rundir, "cfgd-cli");
	log_info("ready: %s, running commit %llu", ep, (unsigned long long)cd->running_id);
	return 0;
}

void cfgd_stop(struct cfgd *cd)
{
	for (int d = 0; d < D__COUNT; d++) {
		pidwatch_free(cd->d[d].watch);
		cd->d[d].watch = NULL;
	}
	if (cd->tick.loop && !uv_is_closing((uv_handle_t *)&cd->tick))
		uv_close((uv_handle_t *)&cd->tick, NULL);
	if (cd->sock)
		bus_close(cd->sock);
	if (cd->cli)
		bus_close(cd->cli);
	cd->sock = cd->cli = NULL;
}

void cfgd_free(struct cfgd *cd)
{
	if (cd->sessions) {
		cfgd_sess_free_all(cd);
		strmap_free(cd->sessions);
	}
	cfg_commitq_free(&cd->queue);
	/* a commit in flight at the stop: its session is gone with cfgd */
	conf_free(cd->cur.target);
	if (cd->cur.actions) {
		cand_clear(cd->cur.actions);
		free(cd->cur.actions);
	}
	if (cd->busy) {
		cfg_compiled_free(&cd->next);
		cfg_txn_end(&cd->txn);
	}
	conf_free(cd->running);
	cfg_compiled_free(&cd->compiled);
	if (cd->store)
		store_close(cd->store);
	memset(cd, 0, sizeof(*cd));
}
