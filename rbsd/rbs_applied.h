/*
 * Which of the peer's entries the local feeder applied: how far the RBS
 * channel may acknowledge the peer (rbs_chan.h), so that an acknowledged
 * entry is one the peer's table (rbpd) holds, not one rbsd merely
 * received. The peer's synchronous acknowledgments (rbs_fack.h,
 * rbpd/rbp_sync.h) rest on it.
 *
 * rbsd numbers what it receives with the peer's sequences (rbs_win.h's
 * receiver); the feeder counts the entries rbsd hands it since it
 * attached (1, 2, 3 ... over the RbsLocal.entries messages, in order) and
 * says, in RbsApplied, how many of them it applied. rbs_applied maps that
 * count back onto the sequences and keeps `done`: every entry received up
 * to it was applied. The feeder never names sequences: the receiver's
 * numbering starts again after a resync, and an entry may be handed twice
 * (a resume resends what was not applied), so only rbsd can map them.
 *
 *  - An entry that was received and never handed (dropped), or handed and
 *    not applied by a feeder that went away, leaves a gap: `done` stops
 *    before it, whatever is applied after it. A resume that starts after
 *    `done` fills it (the peer resends).
 *  - A resync (rbs_applied_rebase()) starts a numbering of its own: what
 *    was handed and not applied by then acknowledges nothing.
 *  - A feeder that does not acknowledge what it applied (not `on`) has
 *    every entry acknowledged once received, as before RbsApplied existed.
 *  - Before any feeder attached (rbsd just started), nothing is applied:
 *    the peer's entries are acknowledged once a feeder applied them, so
 *    that an rbsd without its rbpd never says "backed up".
 *
 * Pure: no I/O, no clock.
 */
#ifndef DB_RBS_APPLIED_H
#define DB_RBS_APPLIED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The feeder's entries k .. k+n-1 were received as seq .. seq+n-1; seq 0:
 * under a numbering a resync replaced, they acknowledge nothing. */
struct rbs_applied_run {
	uint64_t k, seq, n;
};

struct rbs_applied {
	struct rbs_applied_run *runs; /* handed, not yet applied, oldest first (a ring) */
	size_t head, len, cap;
	bool on;	  /* the feeder says what it applied: acknowledge only that */
	uint64_t attach;  /* its attachment (RbsCredit.attach) */
	uint64_t handed;  /* entries handed to it since it attached */
	uint64_t applied; /* of those, how many it said it applied */
	uint64_t done;	  /* every entry received up to this seq was applied (on only) */
};

/* No feeder yet: nothing received is applied, so nothing is acknowledged
 * (what arrives before the feeder attaches is dropped, and the peer sends
 * it again). */
void rbs_applied_init(struct rbs_applied *a);
void rbs_applied_free(struct rbs_applied *a);

/*
 * A feeder attached: attach is rbsd's token for it (nonzero), on whether
 * it says what it applied. It counts from 0; what was handed to a feeder
 * before it and not applied stays unapplied (done does not move), as
 * does what arrived while there was none. When the one before did not say
 * what it applied, entries up to received (rbs_rx_last()) were
 * acknowledged on receipt: done is at least received (a resync's base may
 * be above it while the peer's batch has not begun).
 */
void rbs_applied_attach(struct rbs_applied *a, uint64_t attach, bool on, uint64_t received);

/*
 * The feeder was handed its next n entries, received as seq .. seq+n-1
 * (seq 0: under a numbering a resync replaced since). Returns 0, or
 * -ENOMEM: they then acknowledge nothing (a gap). Nothing is kept when
 * not on.
 */
int rbs_applied_handed(struct rbs_applied *a, uint64_t seq, uint64_t n);

/*
 * The feeder's word: of attachment attach, it applied the first count
 * entries it was handed. Returns 0; -ESTALE when attach is not the
 * current attachment or the feeder does not say what it applied (a word
 * for a feeder before: ignored); -EINVAL when count is above what it was
 * handed or below what it said before. Nothing changes on error.
 */
int rbs_applied_report(struct rbs_applied *a, uint64_t attach, uint64_t count);

/*
 * A reconnect resumes: the peer sends again from last + 1 (what the HELLO
 * said, rbs_applied_ack()). Entries after last count as applied only once
 * applied; those handed before the resume stay valid (the numbering is
 * the same) and count when the feeder applies them.
 */
void rbs_applied_rewind(struct rbs_applied *a, uint64_t last);

/* A resync: a new numbering, whose entries come after base. What was
 * handed and not applied acknowledges nothing; sequences up to base are
 * owed nothing. */
void rbs_applied_rebase(struct rbs_applied *a, uint64_t base);

/* How far the peer may be acknowledged, received being the last entry
 * received in order: received when not on; else the last entry up to
 * which every one was applied, never beyond received. */
uint64_t rbs_applied_ack(const struct rbs_applied *a, uint64_t received);

#endif
