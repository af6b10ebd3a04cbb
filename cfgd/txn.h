/*
 * The coordinator's side of the two-phase commit, as a pure state
 * machine: cfgd feeds it votes, acks, lost participants and the clock,
 * and it says when the transaction is decided. It sends nothing itself.
 *
 *   begin -> PREPARING --all yes--> COMMIT (cfgd writes durably, sends COMMIT)
 *                     \--a no, a lost or refused participant, the deadline--> ABORT
 *         \--forced (a trial rollback: no vote)--> COMMIT
 *   COMMIT -> acks until every participant acked or the ack deadline;
 *             a participant that did not ack is reported so cfgd re-pushes.
 */
#ifndef DB_TXN_H
#define DB_TXN_H

#include <stdbool.h>
#include <stdint.h>

#include "cfgd/compile.h"
#include "common/errlist.h"

enum txn_decision { TXN_PENDING, TXN_COMMIT, TXN_ABORT };

struct cfg_txn {
	uint64_t id;
	unsigned participants; /* bit (1 << enum cfg_daemon) */
	unsigned voted, yes, acked;
	enum txn_decision decision;
	bool acks_done;
	uint64_t deadline_ms;	/* of the current phase */
	struct errlist reasons; /* "vrrpd: …" for each no, lost or silent participant */
};

/* Start transaction `id` with `participants`; votes are due by now+timeout. */
void cfg_txn_begin(struct cfg_txn *t, uint64_t id, unsigned participants, uint64_t now_ms,
		   uint64_t timeout_ms);

/* A vote from daemon d with its errors (n strings). Returns the decision
 * (TXN_PENDING until every vote is in or one is no). Votes after the
 * decision, twice, or from non-participants are ignored. */
enum txn_decision cfg_txn_vote(struct cfg_txn *t, enum cfg_daemon d, bool ok, char *const *errors,
			       size_t n);

/* Daemon d went away. Before the decision this aborts the transaction. */
enum txn_decision cfg_txn_lost(struct cfg_txn *t, enum cfg_daemon d);

/* Participant d cannot take part (cfgd did not send it the PREPARE:
 * `why` is "not running (no HELLO from it)"): the transaction aborts with
 * "d: why" among its reasons. Every participant refused before the
 * decision is named, not only the first, so that an operator sees each
 * daemon that is down; a participant that voted or was refused already,
 * a non-participant, or any after a commit decision is ignored. Returns
 * the decision. */
enum txn_decision cfg_txn_refuse(struct cfg_txn *t, enum cfg_daemon d, const char *why);

/* The commit goes ahead whatever the participants would say (a trial
 * that expired rolls back; they follow by push): a pending transaction
 * is decided TXN_COMMIT and takes no votes. A decided one keeps its
 * decision. Returns the decision. */
enum txn_decision cfg_txn_force(struct cfg_txn *t);

/* The clock moved: past the deadline, missing votes abort the transaction.
 * After a commit, returns TXN_COMMIT and sets acks_done when the ack
 * deadline passed. */
enum txn_decision cfg_txn_tick(struct cfg_txn *t, uint64_t now_ms);

/* The durable write failed: abort the transaction with `why`. */
void cfg_txn_fail(struct cfg_txn *t, const char *why);

/* Enter the ack phase after a COMMIT was sent; acks are due by now+timeout. */
void cfg_txn_committed(struct cfg_txn *t, uint64_t now_ms, uint64_t timeout_ms);

/* An ack from d. Returns true when every participant has acked. */
bool cfg_txn_ack(struct cfg_txn *t, enum cfg_daemon d);

/* Participants that have not acked (bit mask), for re-pushing. */
unsigned cfg_txn_unacked(const struct cfg_txn *t);

void cfg_txn_end(struct cfg_txn *t);

/* "vrrpd", "rbsd", "rbpd" */
const char *cfg_daemon_name(enum cfg_daemon d);

#endif
