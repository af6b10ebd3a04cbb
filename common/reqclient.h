/*
 * Blocking request/reply over a ZeroMQ DEALER, for the command-line tools
 * (dbcli, bench-commit), which have no event loop. They use zmq_poll with
 * a deadline and never touch ZMQ_FD.
 */
#ifndef DB_REQCLIENT_H
#define DB_REQCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "bus.pb-c.h"

/* Monotonic clock in ms, the time base of every deadline here. */
int64_t req_now_ms(void);

/* What else ends a wait, besides the deadline (-1: not watched). */
struct req_intr {
	int sig_fd; /* readable: -EINTR (a self-pipe a signal handler writes;
		     * the caller drains it) */
	int end_fd; /* readable: -ESRCH (a pidfd: the answering process ended) */
};

/* Wait until `z` is ready for `events` (ZMQ_POLLIN/ZMQ_POLLOUT) or
 * `deadline` passes, or what intr (NULL: nothing) watches happens.
 * Returns 1 ready, 0 on timeout, or a negative errno. */
int req_wait(void *z, short events, int64_t deadline, const struct req_intr *intr);

/* Send `payload` in an Envelope {type, sender, id} and wait for the
 * Envelope of `rtype` from `from` with the same id; anything else
 * (late answers to abandoned requests, what the bus policy rejects) is
 * dropped. On success copies the reply's payload into a malloc'd *out
 * (the caller frees it) and returns 0; otherwise -ETIMEDOUT, -EINTR or
 * -ESRCH (see req_wait) or a negative errno. */
int req_call(void *z, Db__MsgType type, Db__Role sender, uint64_t id,
	     const ProtobufCMessage *payload, Db__MsgType rtype, Db__Role from, int64_t deadline,
	     const struct req_intr *intr, uint8_t **out, size_t *outlen);

#endif
