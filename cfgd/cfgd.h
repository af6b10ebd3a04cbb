/*
 * cfgd's state, shared by its parts (docs/architecture.md):
 *
 *   cfgd_main.c   main(): options, then the life below on the default loop
 *   cfgd_life.c   start (recovery from the store, the two endpoints), stop,
 *                 freeing what is left; the bus's dispatch and the clock
 *   cfgd_txn.c    a commit across the daemons: its turn in the queue,
 *                 PREPARE / COMMIT / ABORT, durability, acknowledgments,
 *                 pushes, trials and their rollback; the daemons' messages
 *   cfgd_sess.c   CLI sessions over the bus: requests, replies, expiry
 *   cfgd_show.c   what cfgd displays itself: the commit history, a commit's
 *                 changes, the daemons' sync state (text and JSON)
 *
 * The pure cores beside them (grammar, conf, compile, txn, commitq, store,
 * session) know nothing of this state. The state is one struct cfgd, given
 * to every function (the `arg` of the bus and the timer): no part keeps
 * state of its own.
 */
#ifndef DB_CFGD_H
#define DB_CFGD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "bus.pb-c.h"
#include "cfgd/commitq.h"
#include "cfgd/compile.h"
#include "cfgd/conf.h"
#include "cfgd/session.h"
#include "cfgd/txn.h"
#include "common/bus.h"
#include "common/daemon.h"
#include "common/histo.h"
#include "common/pidwatch.h"

#define FIRST_COMMIT_ID 1000000000ULL
#define PREPARE_TIMEOUT_MS 3000
#define ACK_TIMEOUT_MS 3000
/* A daemon that ended is known at once (common/pidwatch.h); one silent
 * this long (hung, or its end could not be watched) is taken as down:
 * three of its heartbeats (common/cfgclient.c) and a half. */
#define DAEMON_DEAD_MS 35000
#define PUSH_RETRY_MS 2000
#define SESSION_IDLE_MS (3600 * 1000)
#define TICK_MS 100	  /* the tick while something waits on time (tick_arm()) */
#define TICK_IDLE_MS 5000 /* and while nothing does */
#define GREET_MS 5000	  /* after start, the daemons greeted at TICK_MS */

struct daemon_state {
	bool up;
	uint64_t last_seen_ms;
	uint64_t applied; /* commit id it reports */
	uint64_t digest;  /* digest of the section it reports applied */
	uint64_t pid;
	uint64_t last_push_ms;
	struct pidwatch *watch; /* the process behind pid, when the kernel can watch it */
	struct cfgd *cd;	/* for the watch's callback */
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
	uint64_t started_ms;	 /* cfgd_now_ms() at start */
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

static inline uint64_t cfgd_now_ms(struct cfgd *cd)
{
	return uv_now(cd->loop);
}

/* ---- cfgd_life.c ---- */

/*
 * Starts cfgd on loop and zctx: the caller has set cd->opts.rundir,
 * cd->opts.statedir and cd->empty_ok, the rest of *cd is zero. Recovers
 * the running configuration from the store (exits, as a daemon does, when
 * it cannot: see recover()), binds RUNDIR/cfgd.ipc and RUNDIR/cfgd-cli.ipc
 * and arms the clock. Returns 0 or a negative errno (the store or an
 * endpoint cannot be opened).
 */
int cfgd_init(struct cfgd *cd, uv_loop_t *loop, void *zctx);

/* Closes the endpoints and the clock (their handles close with the loop). */
void cfgd_stop(struct cfgd *cd);

/* Once the loop has closed cfgd's handles: frees the sessions, the queue,
 * a commit in flight, the running configuration, and closes the store. */
void cfgd_free(struct cfgd *cd);

/* ---- cfgd_txn.c ---- */

/* The index of the daemon of role r (enum cfg_daemon), -1 for another role. */
int cfgd_daemon_of(Db__Role r);

/* A message of daemon d, checked to come from it: HELLO, HEARTBEAT, VOTE,
 * ACK, each carried out. */
void cfgd_daemon_msg(struct cfgd *cd, enum cfg_daemon d, const Db__Envelope *env);

/* cfgd's HELLO to daemon d, which is not up: a restarted cfgd learns its
 * daemons from their answers at once rather than at their next
 * heartbeat (a send before d has connected fails, and is tried again). */
void cfgd_greet(struct cfgd *cd, enum cfg_daemon d);

/* Daemon d is down (its process ended, or it fell silent: why says
 * which): logged, and the transaction in flight learns it lost d. */
void cfgd_daemon_down(struct cfgd *cd, enum cfg_daemon d, const char *why);

/* Whether daemon d's applied section is the running one's. */
bool cfgd_in_sync(struct cfgd *cd, enum cfg_daemon d);

/* Pushes the running configuration to daemon d when it is up, out of sync,
 * not in the transaction in flight, and not pushed to in PUSH_RETRY_MS. */
void cfgd_maybe_push(struct cfgd *cd, enum cfg_daemon d);

/* Aborts the transaction in flight: ABORT to its participants, its
 * reasons to its session. */
void cfgd_abort(struct cfgd *cd);

/* Every participant acknowledged the commit in flight, or the deadline
 * passed: the answer to its session, with a warning for each one silent. */
void cfgd_acks_complete(struct cfgd *cd);

/* Runs commit p now, or at its turn. Takes what p owns. */
void cfgd_enqueue(struct cfgd *cd, struct cfg_pending *p);

/* Rolls back the pending trial commit (why: for the log), at its turn. */
void cfgd_trial_rollback(struct cfgd *cd, const char *why);

/* Retries writing a trial rollback that ran but could not be written. */
void cfgd_retry_rollback_write(struct cfgd *cd);

/* The configuration of stored commit id into *out (empty before the first
 * commit). Returns 0 or a negative errno; *out is the caller's. */
int cfgd_load_commit(struct cfgd *cd, uint64_t id, struct conf **out);

/* ---- cfgd_sess.c ---- */

/* A request of dbcli on cfgd-cli.ipc (identity ident), from uid. */
void cfgd_cli_request(struct cfgd *cd, const uint8_t *ident, size_t identlen,
		      const Db__Envelope *env, long uid);

/* Answers request id of the session at ident: ok, out (NULL: none), the
 * session's prompt (s may be NULL), and the query of a display a daemon
 * answers (fw, may be NULL). */
void cfgd_send_cli(struct cfgd *cd, const char *ident, size_t identlen, uint64_t id, bool ok,
		   const char *out, const struct session *s, const struct sess_result *fw);

/* Forgets the sessions closed or idle for SESSION_IDLE_MS, but the one
 * whose commit runs. */
void cfgd_sess_expire(struct cfgd *cd);

/* Frees every session (at the end). */
void cfgd_sess_free_all(struct cfgd *cd);

/* ---- cfgd_show.c ---- */

/* The malloc'd text of `display configuration commit list` (json: as
 * docs/json.md says), of `... sync`, and of `display configuration changes
 * commit id`; NULL when out of memory, or, for changes, no such commit. */
char *cfgd_show_commit_list(struct cfgd *cd, bool json);
char *cfgd_show_sync(struct cfgd *cd, bool json);
char *cfgd_show_changes(struct cfgd *cd, uint64_t id);

#endif
