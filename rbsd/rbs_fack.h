/*
 * Which of the feeder's entries the peer holds: the feeder (rbpd) counts
 * the entries it hands rbsd since it attached (1, 2, 3 ...); rbsd pushes
 * each into the channel's window, where it gets a sequence number, or
 * drops it (the window waits for a batch to begin after a resync). The
 * peer acknowledges window sequences cumulatively; a resync discards the
 * window's unacknowledged entries (the peer gets a batch instead).
 *
 * rbs_fack maps one onto the other and tells the feeder two numbers, in
 * its own count: `resolved`, every entry up to it was acknowledged or
 * lost; `lost`, the highest entry that was lost. An entry k is held by the
 * peer once k <= resolved, if no entry from k on was lost (lost < k): the
 * feeder's synchronous acknowledgment (rbpd/rbp_sync.h). Held means what
 * the peer's ACK means: applied to the table of the peer's feeder, when
 * that feeder says what it applied (rbs_applied.h; rbpd does), received
 * by the peer's rbsd otherwise. Pure: no I/O.
 */
#ifndef DB_RBS_FACK_H
#define DB_RBS_FACK_H

#include <stddef.h>
#include <stdint.h>

/* A run of entries whose window sequences follow their feeder count. */
struct rbs_fack_run {
	uint64_t k, seq, n; /* entries k .. k+n-1 have sequences seq .. seq+n-1 */
};

struct rbs_fack {
	struct rbs_fack_run *runs; /* unresolved entries, oldest first (a ring) */
	size_t head, len, cap;
	uint64_t fed;	   /* the feeder's entries counted */
	uint64_t resolved; /* every entry up to this one is acknowledged or lost */
	uint64_t lost;	   /* the highest entry lost (0: none) */
};

void rbs_fack_init(struct rbs_fack *f);
void rbs_fack_free(struct rbs_fack *f);
/* A new attachment: the feeder counts from 1 again. */
void rbs_fack_reset(struct rbs_fack *f);

/* The feeder's next entry went into the window as seq, or was dropped
 * (seq 0). Returns 0 or -ENOMEM (then the entry counts as lost). */
int rbs_fack_pushed(struct rbs_fack *f, uint64_t seq);

/* The window now: acknowledged through acked; and, once per resync, the
 * sequences it discarded, from .. to (else 0 0). A resync sets the
 * acknowledged sequence past entries it discarded, and the sequences of
 * new entries may fall in the discarded range: pass the range once, in
 * the first call after the resync and before new entries are pushed. */
void rbs_fack_update(struct rbs_fack *f, uint64_t acked, uint64_t discard_from,
		     uint64_t discard_to);

#endif
