/*
 * Synchronous acknowledgment (proto/user.proto UserRequest.sync): a user
 * API request answered only once the peer holds its changes: the peer's
 * rbpd applied them to its table (the peer's rbpd says what it applied,
 * RbsApplied, and its rbsd acknowledges nothing beyond, rbsd/rbs_applied.h;
 * a peer's feeder that does not say has what its rbsd received
 * acknowledged). Per
 * remote-backup-service, the requests waiting, oldest first: each names
 * its changes by their numbers in the channel's live queue (q_first ..
 * q_last, counted since rbpd started); as the queue hands them to rbsd
 * they become the feeder's entries k_first .. k_last (counted since the
 * attachment, rbsd/rbs_fack.h); rbsd's credit says which entries are
 * resolved and the highest lost. A waiter is done when its last entry is
 * resolved: held if none from its first on was lost. Pure: the caller
 * carries out timeouts, failures (channel down, a new attachment, a queue
 * replaced by a batch) and the replies.
 */
#ifndef DB_RBP_SYNC_H
#define DB_RBP_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rbp_sync_wait {
	uint64_t token;		/* the caller's request */
	uint64_t q_first, q_last; /* its changes in the live queue */
	uint64_t k_first, k_last; /* as the feeder's entries (0: not handed over yet) */
};

struct rbp_sync {
	struct rbp_sync_wait *w; /* a ring, oldest first */
	size_t head, len, cap;
	size_t mapped; /* waiters whose changes all went to rbsd (a prefix) */
};

/* What became of a waiter: held by the peer, or not. */
typedef void (*rbp_sync_done_fn)(uint64_t token, bool held, void *arg);

void rbp_sync_init(struct rbp_sync *s);
void rbp_sync_free(struct rbp_sync *s);

/* A request waits for its changes q_first .. q_last of the live queue
 * (after those of every waiter already added). 0 or -ENOMEM. */
int rbp_sync_add(struct rbp_sync *s, uint64_t token, uint64_t q_first, uint64_t q_last);

/* The live queue's change q went to rbsd as the feeder's entry k. */
void rbp_sync_taken(struct rbp_sync *s, uint64_t q, uint64_t k);

/* rbsd's word: entries up to resolved are resolved, lost the highest
 * lost. Calls done for each waiter it settles, oldest first. */
void rbp_sync_resolve(struct rbp_sync *s, uint64_t resolved, uint64_t lost,
		      rbp_sync_done_fn done, void *arg);

/* Every waiter is done, not held (the channel went down, rbsd took the
 * feeder as new, or the queue was replaced by a batch). */
void rbp_sync_fail_all(struct rbp_sync *s, rbp_sync_done_fn done, void *arg);

/* Waiters left. */
size_t rbp_sync_len(const struct rbp_sync *s);

#endif
