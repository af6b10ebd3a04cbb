/*
 * ZeroMQ sockets inside a libuv loop.
 *
 * ZMQ_FD is edge-triggered: it signals only when the socket's event state
 * changes, so a reader must drain until ZMQ_EVENTS no longer shows POLLIN,
 * after every wake-up and after every send (a send can consume the edge).
 * This module is the only place that touches ZMQ_FD; daemons see whole
 * multipart messages through a callback.
 */
#ifndef DB_BUS_H
#define DB_BUS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "bus.pb-c.h"
#include "common/peer.h"

#define BUS_MAX_PARTS 4

struct bus_sock;

/* One received frame; data points into a buffer owned by the bus, valid
 * only during the callback. */
struct bus_part {
	const uint8_t *data;
	size_t len;
};

/* Called once per complete multipart message. Messages with more than
 * BUS_MAX_PARTS frames are dropped and counted before the callback. */
typedef void (*bus_recv_cb)(struct bus_sock *s, const struct bus_part *parts, int nparts,
			    void *arg);

struct bus_opts {
	int type;		/* ZMQ_ROUTER, ZMQ_DEALER, ZMQ_PUB, ZMQ_SUB (subscribed to all) */
	const char *endpoint;	/* e.g. "ipc:///run/dualbackup/cfgd.ipc" */
	int bind;		/* 1: bind, 0: connect */
	const char *routing_id; /* DEALER identity, or NULL */
	bus_recv_cb cb;		/* NULL for send-only sockets */
	void *arg;
	int hwm; /* messages queued each way before sends fail, 0: ZeroMQ's 1000 */
	/* A bound ipc:// endpoint: who may connect (PEER_DOMAIN_DAEMON or
	 * PEER_DOMAIN_CLIENT, common/peer.h), checked on the peer's kernel
	 * credentials; its socket file is made 0660, group dualbackup. NULL:
	 * no check. A ROUTER of PEER_DOMAIN_CLIENT does not let a new
	 * connection take over another's routing id. */
	const char *zap_domain;
};

/* Open a socket per `o` on `zctx` and watch it on `loop`.
 * Returns 0 and sets *out, or a negative errno. */
int bus_open(struct bus_sock **out, uv_loop_t *loop, void *zctx, const struct bus_opts *o);

/* Send one message: an optional identity frame (ROUTER) then `len` bytes.
 * Never blocks: returns 0, -EAGAIN when the peer's queue is full or it is
 * unknown to a ROUTER, or another negative errno. */
int bus_send(struct bus_sock *s, const void *ident, size_t identlen, const void *buf, size_t len);

/* Pack `payload` (may be NULL) in an Envelope and send it. */
int bus_send_msg(struct bus_sock *s, const void *ident, size_t identlen, Db__MsgType type,
		 Db__Role sender, uint64_t id, const ProtobufCMessage *payload);

/* During a receive callback: the uid of the process that sent the
 * message, as the kernel reported it when it connected to an endpoint
 * with a zap_domain; -1 when unknown (no check on that endpoint). */
long bus_peer_uid(const struct bus_sock *s);

/* Number of incoming messages dropped for having too many frames. */
uint64_t bus_dropped(const struct bus_sock *s);

/* Stop watching and close. Safe to call from inside the callback. */
void bus_close(struct bus_sock *s);

/* Pack an envelope around payload into a malloc'd buffer (*out, *len).
 * Returns 0 or -ENOMEM. The caller frees *out. */
int bus_pack(uint8_t **out, size_t *len, Db__MsgType type, Db__Role sender, uint64_t id,
	     const ProtobufCMessage *payload);

/* Unpack and check an envelope: NULL when `buf` is not a well-formed
 * Envelope, or `type` may not be sent by the role it claims according to
 * the bus policy. The caller frees with db__envelope__free_unpacked. */
Db__Envelope *bus_unpack(const uint8_t *buf, size_t len);

/* May a sender of role `r` send messages of type `t`? */
int bus_allowed(Db__Role r, Db__MsgType t);

/* 64-bit FNV-1a of buf; 1 for an empty buffer, never 0 (0 means "none"). */
uint64_t bus_digest(const void *buf, size_t len);

/* bus_digest() of message m packed: whether a message differs from one
 * sent before, without keeping it. */
uint64_t bus_msg_digest(const ProtobufCMessage *m);

/* Name of a role ("vrrpd"), for identities and logs. */
const char *bus_role_name(Db__Role r);

/* A deep copy of any message, to keep beyond the one it came in (free it
 * with protobuf_c_message_free_unpacked()). NULL: out of memory. */
ProtobufCMessage *bus_msg_copy(const ProtobufCMessage *m);

/* A VRRP state's display word ("Initialize", "Backup", "Master", as
 * vrrpd displays them), for logs and tools; "unknown" for any other
 * value. Never sent: the bus carries the enum. A static string. */
const char *bus_vrrp_state_word(Db__VrrpState s);

#endif
