/*
 * A stand-in for rbpd on rbsd's local endpoint (rbsd-entries.ipc), the
 * part the test feeders share (rbs-feeder, rbs-rogue): the DEALER, the
 * attach every second, the credit rbsd grants and what is spent of it,
 * the batch rbsd asks for and the channel's state.
 */
#ifndef DB_FEEDER_LINK_H
#define DB_FEEDER_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rbpd/user_table.h"
#include "rbs.pb-c.h"

struct feeder_link {
	void *ctx, *sock;
	const char *feeder;  /* RbsAttach.feeder */
	const char *service; /* every message's service */
	uint64_t attach, sent_e, sent_b, credit_e, credit_b;
	bool attached, up;
	uint64_t last_attach;
	/* the types of the batch rbsd asked for last */
	Db__RbsServiceType batch_types[UT_SVC_COUNT];
	size_t n_batch_types;
};

/* Connects a DEALER (linger 0, 64 messages each way) to
 * RUNDIR/rbsd-entries.ipc as `feeder` for `service` (both kept, not
 * copied). Returns 0, or -1 with errno set (zmq_strerror()). */
int feeder_link_open(struct feeder_link *l, const char *rundir, const char *feeder,
		     const char *service);

/* Closes the socket and the ZeroMQ context. */
void feeder_link_close(struct feeder_link *l);

/* Sends m with the link's service; a message that cannot be packed is
 * not sent. */
void feeder_link_send(struct feeder_link *l, Db__RbsLocal *m);

/* Sends ep[0..n) in one RbsEntries message. */
void feeder_link_send_entries(struct feeder_link *l, Db__RbsEntry **ep, size_t n);

/* Attaches when a second has passed since the last attach (now_ms:
 * CLOCK_MONOTONIC, ms). */
void feeder_link_attach(struct feeder_link *l, uint64_t now_ms);

/* Whether the credit left takes one more entry of that key and payload
 * length. */
bool feeder_link_may_send(const struct feeder_link *l, size_t klen, size_t plen);

/* Counts one entry of that key and payload length against the credit. */
void feeder_link_spend(struct feeder_link *l, size_t klen, size_t plen);

/* Waits up to timeout_ms for rbsd, then takes each message that came
 * (256 at most): a credit, a batch request's types and the channel's
 * state into the link, then every message to fn. */
void feeder_link_poll(struct feeder_link *l, int timeout_ms,
		      void (*fn)(const Db__RbsLocal *m, void *arg), void *arg);

#endif
