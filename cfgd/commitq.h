/*
 * cfgd's commit queue, as pure decisions: one commit runs at a time
 * (cfgd's two-phase commit, cfgd/txn.h); the others wait here in the
 * order they came, and at its turn each is run, re-based or refused.
 * The queue sends, logs and writes nothing: every function says what to
 * do in a struct cfg_commitq_out, and cfgd carries it out (begins the
 * commit, or answers its CLI request with the message).
 *
 * At its turn a commit waiting in the queue is
 *  - refused when its session expired while it waited (it has nobody to
 *    answer to, and its candidate is gone);
 *  - run as it is when its target is not the session's candidate: a
 *    forced trial rollback (the configuration the trial replaced) or a
 *    rollback to a commit of the history (fixed);
 *  - otherwise re-based: the commits ahead of it changed the running
 *    configuration, so its target is made again from the running one and
 *    its session's candidate, and it is refused when one of those commits
 *    changed what the candidate edits (a conflict, cand_conflicts()).
 * A commit submitted while none runs runs at once as it is: it was made
 * from the running configuration a moment ago.
 *
 * A trial rollback is recorded from the moment it is queued until it is
 * durable (cfg_commitq_durable()): until then the trial file stays, so
 * that a restart rolls back again. One that ran but could not be written
 * (cfg_commitq_unsaved()) is retried while no commit runs.
 */
#ifndef DB_COMMITQ_H
#define DB_COMMITQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfgd/conf.h"
#include "cfgd/session.h"

/* A commit: what to commit, and the CLI request to answer when it is
 * done (none when identlen is 0: a trial rollback cfgd decided itself). */
struct cfg_pending {
	char ident[256]; /* the dbcli's routing identity */
	size_t identlen;
	uint64_t req_id;
	struct session *sess; /* NULL: none (forced), or it expired while queued */
	unsigned trial_s;     /* a trial commit: seconds until it rolls back */
	char label[64];
	bool forced;	     /* trial expiry rollback: no vote, never re-based */
	bool fixed;	     /* target is not the session's candidate (rollback): never re-based */
	struct conf *target; /* the configuration to commit; owned */
	struct candidate *actions; /* the candidate's actions (OP_ACTION); owned, may be NULL */
	char info[1024];	   /* printed with the outcome of a commit that succeeds */
};

/* What the queue does with configurations and memory. cfgd uses
 * cfg_commitq_default_ops (conf.c and the C library); the tests stub
 * them to count the calls, to make a conflict, or to fail an allocation. */
struct cfg_commitq_ops {
	struct conf *(*dup)(const struct conf *c);
	void (*free)(struct conf *c);
	/* as cand_conflicts(): the count of conflicts, described in out */
	int (*conflicts)(const struct candidate *cand, const struct conf *running, const char *user,
			 char *out, size_t outlen);
	/* as cand_apply(): 0 or a negative errno */
	int (*apply)(const struct candidate *cand, struct conf *c);
	void *(*realloc)(void *p, size_t size);
};

extern const struct cfg_commitq_ops cfg_commitq_default_ops;

/* The trial rollback, from the moment it is queued until it is durable. */
enum cfg_rollback {
	CFG_RB_NONE,
	CFG_RB_QUEUED,	/* decided, not yet durable (waiting, or running) */
	CFG_RB_UNSAVED, /* it ran, but could not be written: retried */
};

/* Fields are readable by the caller (display, tick); change them only
 * through the functions below. Zeroed, then cfg_commitq_init(). */
struct cfg_commitq {
	const struct cfg_commitq_ops *ops;
	struct cfg_pending *v; /* the queue, first to run first */
	size_t n;
	enum cfg_rollback rollback;
};

enum cfg_commitq_act {
	CFG_CQ_NONE,	    /* nothing to do: a commit runs, the queue is empty, or it queued */
	CFG_CQ_RUN,	    /* begin out.p as it is */
	CFG_CQ_RUN_REBASED, /* begin out.p, its target made again on the running configuration */
	CFG_CQ_EXPIRED,	    /* answer out.p with out.msg: its session expired */
	CFG_CQ_CONFLICT,    /* answer out.p with out.msg: the conflicts found when re-basing */
	CFG_CQ_NOMEM,	    /* answer out.p with out.msg: out of memory */
};

/* What to do. After CFG_CQ_RUN* or a refusal, the caller owns out.p
 * (what it points to): it begins the commit or answers and frees it. */
struct cfg_commitq_out {
	enum cfg_commitq_act act;
	struct cfg_pending p;
	char msg[2048]; /* the refusal, as the CLI shows it */
};

/* An empty queue that uses ops (NULL: cfg_commitq_default_ops). */
void cfg_commitq_init(struct cfg_commitq *q, const struct cfg_commitq_ops *ops);

/* Frees every queued commit (its target and actions, without answering
 * anybody) and the queue; q is then empty, with the same ops. */
void cfg_commitq_free(struct cfg_commitq *q);

/* A commit is submitted; busy: one runs now. Idle, out->act is CFG_CQ_RUN
 * (it runs at once, as it is). Busy, it waits in the queue
 * (CFG_CQ_NONE), or, when the queue cannot grow, it is refused
 * (CFG_CQ_NOMEM). Takes what *p owns, and clears *p: unless the queue
 * holds it, the commit is out->p. */
void cfg_commitq_submit(struct cfg_commitq *q, bool busy, struct cfg_pending *p,
			struct cfg_commitq_out *out);

/* A trial rollback to p->target is submitted, as cfg_commitq_submit():
 * it is forced (no vote, never re-based) and recorded as queued until it
 * is durable, also when it is refused (the trial file then stays, and a
 * restart rolls back again). */
void cfg_commitq_rollback(struct cfg_commitq *q, bool busy, struct cfg_pending *p,
			  struct cfg_commitq_out *out);

/* The next queued commit at its turn, taken from the queue (see the top
 * of this file): while busy or with nothing queued, CFG_CQ_NONE. After a
 * refusal, the caller answers and asks again. Re-basing reads running
 * and s->cand of the commit's session; it replaces the commit's target. */
void cfg_commitq_next(struct cfg_commitq *q, bool busy, const struct conf *running,
		      struct cfg_commitq_out *out);

/* Session s goes away: its queued commits are refused at their turn. */
void cfg_commitq_forget(struct cfg_commitq *q, const struct session *s);

/* A commit is durable; is_rollback: it is the trial rollback (or the
 * retried write of one). Returns whether to remove the trial file: not
 * while a trial is pending in memory (trial_pending), nor while a
 * rollback waits behind this commit, as the file is what makes a
 * restart roll back again. Unless it waits, the rollback is then no
 * longer recorded. */
bool cfg_commitq_durable(struct cfg_commitq *q, bool is_rollback, bool trial_pending);

/* The forced trial rollback ran but could not be written. */
void cfg_commitq_unsaved(struct cfg_commitq *q);

/* Whether to retry writing an unsaved trial rollback now: not while a
 * commit runs (one that becomes durable supersedes it,
 * cfg_commitq_durable()). */
bool cfg_commitq_retry_due(const struct cfg_commitq *q, bool busy);

#endif
