/*
 * vrrpd's BFD sessions (RFC 5880 asynchronous mode, RFC 5881 single hop):
 * the sockets, timers and configuration around bfd/bfd_fsm, whose
 * decisions it carries out. State is passed explicitly: one struct
 * vrrp_bfd per daemon.
 *
 * Sockets (RFC 5881): one UDP socket per address family receives on port
 * 3784 with the TTL / hop limit and the arrival interface of each packet;
 * only TTL 255 is accepted (GTSM, 4.). Each session sends from its own
 * socket bound to its source address, a port in 49152-65535 and, when it
 * has one, its interface, with TTL 255. A packet is given to the session
 * its Your Discriminator names, or, while that is 0, to the session whose
 * peer address (and interface) it came from; it must come from that peer
 * in either case.
 *
 * Timers run on the monotonic clock in microseconds (uv_hrtime); a libuv
 * timer wakes the session at the millisecond its state machine asks for,
 * never "at once" (see vrrpd's rearm()).
 */
#ifndef DB_VRRP_BFD_H
#define DB_VRRP_BFD_H

#include <stdbool.h>
#include <stdio.h>
#include <uv.h>

#include "bfd/bfd_fsm.h"
#include "common/errlist.h"
#include "config.pb-c.h"

struct vrrp_bfd;

/* A session changed state: name, from, to, and the diagnostic. */
typedef void (*vrrp_bfd_change_fn)(void *arg, const char *name, enum bfd_state from,
				   enum bfd_state to, enum bfd_diag diag);

/* Returns 0 or -errno. */
int vrrp_bfd_new(struct vrrp_bfd **out, uv_loop_t *loop, vrrp_bfd_change_fn cb, void *arg);
/* Closes every socket and timer; *b is freed once libuv has closed them
 * (the loop must run on, as it does on vrrpd's way out). */
void vrrp_bfd_free(struct vrrp_bfd *b);

/* What can be checked of c's sessions on this system before a commit:
 * the interfaces exist, the source addresses are this device's. One
 * message per problem into errs. */
void vrrp_bfd_check(const Db__VrrpdConfig *c, struct errlist *errs);

/* Runs c's sessions: new ones start Down, removed ones stop (they say
 * AdminDown first), changed intervals and shutdown apply to a running
 * session, a changed peer, interface, source or discriminator starts it
 * again. Problems opening sockets are logged and the session waits. */
void vrrp_bfd_apply(struct vrrp_bfd *b, const Db__VrrpdConfig *c);

/* The state of session `name`; false when there is none. */
bool vrrp_bfd_state(const struct vrrp_bfd *b, const char *name, enum bfd_state *st);

/* display bfd session [NAME | all] [json] (docs/json.md); name NULL or
 * "all": every session. Returns 1 (written), as ctl_query_fn wants. */
int vrrp_bfd_show(const struct vrrp_bfd *b, const char *name, bool json, FILE *f);

#endif
