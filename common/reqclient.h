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

/* Wait until `z` is ready for `events` (ZMQ_POLLIN/ZMQ_POLLOUT) or
 * `deadline` passes. When intr_fd >= 0 and becomes readable (a self-pipe
 * written by a signal handler) the wait ends with -EINTR; the caller
 * drains it. Returns 1 ready, 0 on timeout, or a negative errno. */
int req_wait(void *z, short events, int64_t deadline, int intr_fd);

/* Send `payload` in an Envelope {type, sender, id} and wait for the
 * Envelope of `rtype` from `from` with the same id; anything else
 * (late answers to abandoned requests, what the bus policy rejects) is
 * dropped. On success copies the reply's payload into a malloc'd *out
 * (the caller frees it) and returns 0; otherwise -ETIMEDOUT, -EINTR (see
 * req_wait) or a negative errno. */
int req_call(void *z, Db__MsgType type, Db__Role sender, uint64_t id,
	     const ProtobufCMessage *payload, Db__MsgType rtype, Db__Role from, int64_t deadline,
	     int intr_fd, uint8_t **out, size_t *outlen);

#endif
