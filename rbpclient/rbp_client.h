/*
 * The client side of rbpd's user-information API (proto/user.proto): how a
 * service of this device (a DHCP server's lease script, a BRAS ...) hands
 * rbpd its users, and learns the users rbpd restores when this device takes
 * over. Blocking, no event loop of its own: it needs only libzmq and
 * protobuf-c, so that any service can link it.
 *
 * Decisions:
 *  - Changes are batched: rbpc_add() and rbpc_delete() queue, and a request
 *    leaves when RBPC_BATCH_CHANGES changes (or RBPC_BATCH_BYTES bytes) are
 *    queued, or at rbpc_flush(). At most RBPC_MAX_INFLIGHT requests are
 *    outstanding: the call that would send one more first waits for a
 *    reply. Feeding users one request at a time would cost a round trip
 *    each; this way a bulk load runs at the speed rbpd applies changes.
 *  - A change refused by rbpd is reported by its seq: the number of the
 *    change counted from 0 since rbpc_open(). Every rbpc_add() or
 *    rbpc_delete() that returned 0 took the next seq, the others took
 *    none, so a caller can map a seq back to its own record (a line of a
 *    file) with a plain array.
 *  - Arguments are checked here as rbpd would check them (lengths, type),
 *    so that a bad change fails at the call that made it, with -EINVAL.
 *  - A reply that does not decode, that is not the answer to the oldest
 *    outstanding request, or that has more than one frame is an error
 *    (-EPROTO): it is dropped and the requests stay outstanding. An error
 *    entry of a reply whose index is not one of the request's changes, or
 *    that names a change twice, is ignored; the reply's `applied` is not
 *    trusted either: every change not refused was taken.
 *  - A timeout (-ETIMEDOUT) abandons nothing: what was in flight stays in
 *    flight and a later call waits for it again. If rbpd restarted, its
 *    answers are lost with it: close and open again.
 *  - Restored users arrive on a SUB socket, filtered by the type's word
 *    exactly (ZeroMQ filters by prefix only). A message that does not
 *    decode, whose type does not match its word, or a user in it without a
 *    6-byte MAC or a 1..255-byte key, is dropped and counted
 *    (rbpc_restored_dropped()).
 *
 * Not thread-safe: one struct rbpc per thread. The callbacks must not call
 * the library on the same struct rbpc.
 */
#ifndef DB_RBP_CLIENT_H
#define DB_RBP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RBPC_DEFAULT_RUNDIR "/run/dualbackup"
#define RBPC_DEFAULT_TIMEOUT_MS 5000

#define RBPC_KEY_MAX 255       /* bytes; a key has at least 1 */
#define RBPC_PAYLOAD_MAX 65000 /* bytes; 0 is allowed */
#define RBPC_IFNAME_MAX 15     /* characters (IFNAMSIZ - 1); at least 1 */

#define RBPC_BATCH_CHANGES 1024	    /* changes per request, the protocol's maximum */
#define RBPC_BATCH_BYTES (1u << 20) /* a request leaves once it is this large */
#define RBPC_MAX_INFLIGHT 8	    /* requests outstanding at most */

struct rbpc;

/*
 * Connects to the rbpd of rundir (NULL: RBPC_DEFAULT_RUNDIR):
 * RUNDIR/rbpd-users.ipc for changes, RUNDIR/rbpd-restored.ipc for restored
 * users. ZeroMQ connects in the background, so this succeeds whether rbpd
 * runs or not; the first call that waits for an answer tells (-ETIMEDOUT).
 * Returns the handle, which the caller frees with rbpc_close(); NULL on
 * failure (out of memory, a rundir too long for a socket path) with a
 * message in err (errlen bytes, NUL-terminated; err may be NULL).
 */
struct rbpc *rbpc_open(const char *rundir, char *err, size_t errlen);

/*
 * Closes the connection and frees c. Changes still queued or in flight are
 * dropped without waiting: call rbpc_flush() first to know their fate.
 * NULL is allowed.
 */
void rbpc_close(struct rbpc *c);

/* Called for every change rbpd refused: seq is the change's number (see
 * above), error rbpd's text, valid during the call only. */
typedef void (*rbpc_error_fn)(void *arg, uint64_t seq, const char *error);

/* Sets the callback for refused changes (NULL: none); arg is passed to
 * it. Replaces the previous one. */
void rbpc_on_error(struct rbpc *c, rbpc_error_fn fn, void *arg);

/*
 * Queues "add or replace" of the user (type, key). type is an
 * RbsServiceType (the same numbers as enum ut_svc) other than ARP and ND,
 * which rbpd learns from the kernel. mac is 6 bytes, ifname the access
 * interface (1..RBPC_IFNAME_MAX characters), key 1..RBPC_KEY_MAX bytes,
 * payload 0..RBPC_PAYLOAD_MAX bytes (NULL when payload_len is 0). Nothing
 * is kept: the change is encoded before the call returns.
 *
 * Sends a request when the batch is full, waiting first for a reply when
 * RBPC_MAX_INFLIGHT requests are outstanding; that reply's refusals go to
 * the error callback from inside this call.
 *
 * Returns 0 (the change is queued and took the next seq), or, with nothing
 * queued: -EINVAL for a bad argument; -ETIMEDOUT when rbpd did not answer
 * within the timeout (rbpc_set_timeout()); -EPROTO for a malformed reply
 * (see above); -ENOMEM; another negative errno from ZeroMQ.
 */
int rbpc_add(struct rbpc *c, int type, const uint8_t mac[6], const char *ifname, const void *key,
	     size_t key_len, const void *payload, size_t payload_len);

/* Queues the removal of the user (type, key); mac and ifname are checked
 * and sent as for rbpc_add(). Returns as rbpc_add(). */
int rbpc_delete(struct rbpc *c, int type, const uint8_t mac[6], const char *ifname, const void *key,
		size_t key_len);

/*
 * Sends what is queued and waits for every outstanding reply (the timeout
 * applies to each reply, not to the whole). Returns the number of changes
 * refused since the last rbpc_flush() that succeeded (each one was also
 * reported to the error callback), at most INT_MAX; or -ETIMEDOUT,
 * -EPROTO, -ENOMEM or another negative errno, in which case the changes
 * not answered yet stay queued or in flight and the refusals seen so far
 * count in the next rbpc_flush().
 */
int rbpc_flush(struct rbpc *c);

/* How long a call waits for each answer of rbpd, in ms (default
 * RBPC_DEFAULT_TIMEOUT_MS); negative: forever. */
void rbpc_set_timeout(struct rbpc *c, int ms);

/* Changes rbpd applied and refused since rbpc_open(). Either pointer may
 * be NULL. */
void rbpc_stats(const struct rbpc *c, uint64_t *applied, uint64_t *refused);

/*
 * Synchronous acknowledgment (UserRequest.sync): with ms > 0 (at most
 * 60000), rbpd answers each request of this client only once the peer
 * holds the changes it took (the peer's rbsd acknowledged them), or after
 * ms with "not backed up" and why: the channel is down, the peer did not
 * confirm in time, entries were lost on the way. The changes are taken
 * either way: only the answer waits, and a call that waits for it
 * (rbpc_flush(), a full batch) waits that long, so the timeout
 * (rbpc_set_timeout()) must be longer than ms. For one answer per change,
 * call rbpc_flush() after each. 0 (the default): answers at once.
 */
void rbpc_set_sync(struct rbpc *c, int ms);

/* Called for every request answered "not backed up": its changes are the
 * seqs first..last, why is rbpd's reason, valid during the call only. */
typedef void (*rbpc_unbacked_fn)(void *arg, uint64_t first_seq, uint64_t last_seq,
				 const char *why);
void rbpc_on_not_backed_up(struct rbpc *c, rbpc_unbacked_fn fn, void *arg);

/* Requests answered backed up and not backed up since rbpc_open(). */
void rbpc_sync_stats(const struct rbpc *c, uint64_t *backed, uint64_t *not_backed);

/* A restored user, as rbpc_recv_restored() hands it: ifname, key and
 * payload point into the received message and are valid during the
 * callback only; ifname is NUL-terminated; payload is NULL when
 * payload_len is 0. */
struct rbpc_user {
	int type; /* RbsServiceType, the one of the message */
	uint8_t mac[6];
	const char *ifname;
	const uint8_t *key; /* 1..RBPC_KEY_MAX bytes */
	size_t key_len;
	const uint8_t *payload;
	size_t payload_len;
	/* Not from a takeover: rbpd replays the users this device is master
	 * of to a subscriber that just came (UserRestored.replay). Put in
	 * place those missing; keep what the service holds. */
	bool replay;
};

typedef void (*rbpc_restored_fn)(void *arg, const struct rbpc_user *u);

/*
 * Subscribes to the restored users of a type (an RbsServiceType), or of
 * every type with -1. Can be called several times; subscribing twice to a
 * type is harmless. Messages published before the subscription reached
 * rbpd (ZeroMQ sends it in the background) are not received; but when the
 * subscription reaches rbpd (also after rbpd restarts) it replays the
 * users of that type this device is master of, marked replay: a service
 * that starts after a takeover still gets what the takeover restored
 * (within a second: rbpd answers the subscriptions of a second together,
 * so that none can make it walk its table without pause).
 * Returns 0, or -EINVAL for an unknown type, or a negative errno from
 * ZeroMQ.
 */
int rbpc_subscribe(struct rbpc *c, int type);

/*
 * Asks rbpd to replay again the users of a subscribed type this device is
 * master of (marked replay), as at the subscription: for a service that
 * could not put the first replay in place. Returns 0, -EINVAL for a type
 * not subscribed, or a negative errno from ZeroMQ.
 */
int rbpc_replay(struct rbpc *c, int type);

/*
 * Waits up to timeout_ms (-1 forever, 0 not at all) for restored users of
 * the subscribed types, then receives the messages that are there, at most
 * 64 that deliver users per call, and calls fn(arg, user) for every user
 * of each, in order (and the roles callback for each set of roles, when
 * subscribed: rbpc_subscribe_roles()). Returns the number of users and
 * role sets delivered (more than 0
 * when some arrived before the timeout, even if the deadline passed
 * meanwhile), 0 on timeout or, with timeout_ms 0, when nothing is waiting
 * any more; -EINVAL when c or fn is NULL; -EINTR when a signal interrupted
 * the wait; another negative errno from ZeroMQ. Messages dropped as
 * malformed deliver nothing and do not end the wait.
 */
int rbpc_recv_restored(struct rbpc *c, int timeout_ms, rbpc_restored_fn fn, void *arg);

/*
 * The file descriptor to poll for readability before calling
 * rbpc_recv_restored(c, 0, ...) from an event loop: ZMQ_FD of the SUB
 * socket. It is edge-triggered and says "something may have changed", not
 * "a message is there": when it fires, call rbpc_recv_restored(c, 0, ...)
 * until it returns 0 (or an error). Returns the fd, owned by the library,
 * or a negative errno.
 */
int rbpc_restored_fd(struct rbpc *c);

/* This device's role for the users of one binding of a profile (RBP
 * `vrrp-id V interface I odd-mac|even-mac`); profile and ifname are valid
 * during the callback only. */
struct rbpc_role {
	const char *profile;
	const char *ifname;
	uint32_t vrid;
	int odd_mac; /* the binding decides the users whose MAC is odd */
	int master;  /* this device is master for them */
	/* CLOCK_REALTIME ms of the takeover that made this device master of
	 * the binding from a whole copy of the peer's users: what rbpd holds
	 * of them is then all there is, and a record of the service's own
	 * older than this that rbpd did not restore is stale (the users left
	 * while the peer was master). 0: no such takeover, or backup. */
	uint64_t restored_at_ms;
	/* Master, and every user of this binding of each type this client
	 * subscribed to was published again (a replay, marked so) just before
	 * this set: the service has had them all. */
	int replayed;
};

/* Every binding of every profile, as rbpd published them last. */
typedef void (*rbpc_roles_fn)(void *arg, const struct rbpc_role *roles, size_t n);

/*
 * Subscribes to this device's roles: rbpd publishes them after every
 * change (after the users a takeover restored, so that a service has put
 * them in place when it learns it is master) and every second.
 * rbpc_recv_restored() calls fn with each set it receives, and counts it
 * as one delivery. A service that answers users itself answers only those
 * whose MAC parity a binding it is master for decides; until the first set
 * arrives it knows nothing, and should answer nobody. Returns 0, -EINVAL
 * when c or fn is NULL, or a negative errno from ZeroMQ.
 */
int rbpc_subscribe_roles(struct rbpc *c, rbpc_roles_fn fn, void *arg);

/* Restored messages and users dropped as malformed since rbpc_open() (see
 * above). */
uint64_t rbpc_restored_dropped(const struct rbpc *c);

#endif
