/*
 * Who is at the other end of a local ZeroMQ connection, and whether they
 * may speak to an endpoint.
 *
 * Mechanism: ZeroMQ's ZAP (RFC 27). libzmq gives us no descriptor on which
 * to read SO_PEERCRED ourselves, and its ZMQ_IPC_FILTER_UID/GID options
 * (still accepted by Debian 12's 4.3.4, but deprecated) only admit or
 * refuse, per socket, and cannot say who sent a message. But for an
 * ipc:// connection libzmq reads SO_PEERCRED itself and appends
 * ":UID:GID:PID" to the peer address it hands the ZAP handler
 * ("localhost:0:0:4242"). So each daemon runs a ZAP handler (a thread on
 * inproc://zeromq.zap.01) that admits or refuses every new connection to
 * a bound endpoint on the kernel's word about the peer's uid, before a
 * single message is read; an admitted connection carries the uid as its
 * "User-Id", which every message it delivers has as a property
 * (bus_peer_uid()): cfgd records the committing user from it.
 *
 * The endpoint says what it admits through its ZAP domain:
 *   PEER_DOMAIN_DAEMON  root and the daemons' own user: the bus a daemon
 *                       speaks its role on (cfgd.ipc, rbsd-entries.ipc,
 *                       vrrpd-events.ipc)
 *   PEER_DOMAIN_CLIENT  the above and members of the dualbackup group:
 *                       CLI sessions, displays and the user API
 * A connection to an endpoint with another (or no) domain is admitted.
 */
#ifndef DB_PEER_H
#define DB_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PEER_DOMAIN_DAEMON "dualbackup-daemon"
#define PEER_DOMAIN_CLIENT "dualbackup-client"
/* The group (and system user) of the platform. */
#define PEER_GROUP "dualbackup"

struct peer_cred {
	uid_t uid;
	gid_t gid;
	pid_t pid;
};

/* Who counts as what, from the user database and our own uid. */
struct peer_policy {
	uid_t self;	  /* this daemon's effective uid */
	bool has_svc;	  /* a PEER_GROUP user exists */
	uid_t svc_uid;	  /* its uid */
};

enum peer_class {
	PEER_STRANGER, /* neither of the below */
	PEER_MEMBER,   /* a member of the PEER_GROUP group */
	PEER_DAEMON,   /* root, this daemon's uid or the PEER_GROUP user */
};

/* Parse the credentials libzmq appends to an ipc peer's address,
 * "...:UID:GID:PID" (`addr` of `len` bytes, not necessarily terminated).
 * Returns 0 and fills *out, or -EINVAL when the address does not end
 * with three decimal numbers that fit their types. Pure. */
int peer_parse_address(const char *addr, size_t len, struct peer_cred *out);

/* Class of a peer with uid `uid`; `member` says whether that uid belongs
 * to the PEER_GROUP group. Pure. */
enum peer_class peer_classify(const struct peer_policy *p, uid_t uid, bool member);

/* Does an endpoint of ZAP domain `domain` (len bytes) admit a peer of
 * class `c`? Unknown domains admit everyone (they are not ours). Pure. */
bool peer_admits(const char *domain, size_t len, enum peer_class c);

/* Is the user `uid` (whose process runs with primary group `gid`) a
 * member of the PEER_GROUP group, by the process's gid or the user
 * database? False when the group does not exist. */
bool peer_in_group(uid_t uid, gid_t gid);

/* This process's policy, from geteuid() and the user database. */
void peer_policy_load(struct peer_policy *p);

/* Start the ZAP handler of ZeroMQ context `zctx` (once per context; later
 * calls for the same context do nothing). It runs until the context is
 * terminated. Returns 0 or a negative errno. */
int peer_zap_start(void *zctx);

#endif
