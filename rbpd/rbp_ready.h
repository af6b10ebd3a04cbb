/*
 * Whether this device holds everything the peer holds for the users of a
 * profile's bindings, so that their VRRP groups may preempt (the
 * preemption gate, docs/preempt.md). Pure: the channel's facts in, a
 * verdict and the words for `display vrrp` out.
 *
 * Ready means: the channel is up; since it came up (or rbpd attached to
 * rbsd) the peer's batch backup has been received to its end, none runs
 * now, and at its end both sides' digests over the batch's types were
 * equal. Entries after the batch come on the same ordered stream, and
 * rbpd installs a hot backup's neighbours as it applies each entry, so
 * no later condition is needed.
 */
#ifndef DB_RBP_READY_H
#define DB_RBP_READY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rbp_ready_in {
	const char *service;  /* the remote-backup-service's name */
	bool up;	      /* its channel is up */
	bool batch_running;   /* a batch from the peer has begun and not ended */
	uint64_t batch_got;   /* entries of that batch received so far */
	uint64_t batch_total; /* entries the peer announced for it */
	bool batch_done;      /* a whole batch from the peer since the channel came up */
	bool batch_agreed;    /* and the digests were equal at its end */
};

/* Returns whether the bindings may preempt; otherwise why not in why
 * ("waiting for batch backup from rbs1: 61,200 of 100,000"). */
bool rbp_ready(const struct rbp_ready_in *in, char *why, size_t len);

/* n with a comma every three digits ("61,200"), in buf. */
const char *rbp_ready_count(uint64_t n, char *buf, size_t len);

#endif
