/*
 * rbsd's state, shared by its parts (docs/architecture.md):
 *
 *   rbsd.c         main(): the service glue
 *   rbsd_life.c    start, stop, and freeing what is left
 *   rbsd_feeder.c  the local bus RUNDIR/rbsd-entries.ipc and the feeder's
 *                  protocol: attach, credit, entries, roles, batches and
 *                  anti-entropy both ways; what the channel delivers, and
 *                  the queue that holds it (and the channel) while the
 *                  feeder is slow
 *   rbsd_conf.c    configuration (check against the live system, apply:
 *                  channels opened, changed, closed), batch-backup now,
 *                  tracked BFD sessions (vrrpd's events)
 *   rbsd_show.c    display remote-backup-service, text and JSON
 *
 * The channel (rbs_chan*.c) and the pure cores beside it (rbs_frame,
 * rbs_win, rbs_sess, rbs_link, rbs_fack, rbs_applied) know nothing of
 * this state. The
 * state is one struct rbsd, reached from each service (v->d) or given to
 * a function: no part keeps state of its own.
 */
#ifndef DB_RBSD_H
#define DB_RBSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "bus.pb-c.h"
#include "common/bus.h"
#include "common/errlist.h"
#include "config.pb-c.h"
#include "rbs.pb-c.h"
#include "common/arena.h"
#include "rbsd/rbs_chan.h"
#include "rbsd/rbs_fack.h"
#include "rbsd/rbs_frame.h"

#define LOCAL_HWM 64 /* messages (up to a frame of entries each) queued to or from a feeder */

/* What the peer sent that the feeder's queue could not take yet: one
 * packed RbsLocal; for entries, the sequences they were received as and
 * the channel's numbering then (rbs_chan_feeder_handed()). */
struct pending {
	struct pending *next;
	uint64_t epoch, seq, n; /* n 0: not entries */
	size_t len;
	uint8_t data[];
};

/* One configured service: its channel and the feeder attached to it. */
struct svc {
	struct svc *next;
	struct rbsd *d; /* the daemon's state */
	char name[64];
	uint64_t cfg_digest; /* of its configuration, to notice changes */
	struct rbs_chan *ch;
	char open_error[160];
	/* the local feeder */
	uint8_t feeder_id[256];
	size_t feeder_idlen; /* 0: none attached */
	char feeder_name[64];
	uint64_t attach;		       /* this attachment's id, in credits */
	bool applied_acks; /* it says what it applied (RbsApplied): only that is acknowledged */
	uint64_t applied_refused;	       /* RbsApplied of counts it was never handed */
	uint64_t got_entries, got_bytes;       /* from the feeder since it attached */
	uint64_t credit_entries, credit_bytes; /* granted to it in all */
	/* which of its entries the peer holds (rbs_fack.h), and what the
	 * last credit said of it */
	struct rbs_fack fack;
	uint64_t seen_resyncs, credit_resolved, credit_lost;
	uint64_t overruns, undelivered;
	uint64_t ae_refused; /* anti-entropy frames from the feeder the peer would refuse */
	/* The feeder's roles, kept for a channel opened anew (a changed
	 * address or TLS policy): the feeder sends them only when they or
	 * the attachment change. NULL: none yet. */
	Db__RbsRoles *roles;
	/* The peer's roles as last handed to the feeder (a hash of them, 0:
	 * none since it attached or the channel's state changed): the peer
	 * says them in every keepalive, the feeder hears them when they
	 * change. */
	uint64_t peer_roles_hash;
	bool batch_wanted; /* a batch request waits for a feeder */
	/* What the peer sent that the feeder's queue could not take yet, in
	 * order; while it is not empty the channel is held (rbs_chan_hold()). */
	struct pending *pend, **pend_tail;
	Db__RbsServiceType want_types[RBS_SVC_COUNT];
	size_t n_want;
};

/* The daemon's state: one, main()'s, passed explicitly. The service's
 * ops, query, init and stop get it as their arg, and so do the bus
 * sockets' and the channels' callbacks; the retry timer has it in its
 * data, each service in svc.d. Zero is its state before rbsd_init(). */
struct rbsd {
	uv_loop_t *loop;
	uv_timer_t retry; /* flushes the services' pending deliveries */
	Db__RbsdConfig *running;
	struct svc *svcs;
	struct bus_sock *local;
	struct bus_sock *vrrp_sub;    /* vrrpd's events: BFD sessions tracked */
	struct arena local_arena; /* what rbsd_on_local() unpacks into */
	unsigned long batches;	      /* batch-backup requests received */
};

/* ---- rbsd_life.c: start and stop (struct service's init and stop) */

/* Opens rbsd's sockets on loop, with its endpoints in rundir: the local
 * bus rbsd-entries.ipc it binds, vrrpd's events it reads; arg is the
 * struct rbsd, zeroed. Returns 0 or a negative errno; what was opened is
 * then left for rbsd_stop() and rbsd_free() (the daemon exits). */
int rbsd_init(uv_loop_t *loop, void *zctx, const char *rundir, void *arg);
/* Every service's channel closes, and the bus sockets; handles are
 * closed, so the loop must run on until they are gone. */
void rbsd_stop(void *arg);
/* Frees what is left of d (the running configuration) once the loop has
 * closed every handle; d is zeroed again. */
void rbsd_free(struct rbsd *d);

/* ---- rbsd_feeder.c: the local bus and the feeder's protocol */

/* bus_recv_cb of RUNDIR/rbsd-entries.ipc: [identity, RbsLocal] from a
 * feeder; anything else, or bytes that do not unpack, dropped. */
void rbsd_on_local(struct bus_sock *s, const struct bus_part *parts, int nparts, void *arg);
/* Asks the service's feeder for a batch of v->want_types, or keeps the
 * request (v->batch_wanted) for the next feeder to attach. */
void rbsd_ask_feeder_batch(struct svc *v);
/* Forgets what waits for the feeder and releases the channel. */
void rbsd_drop_pending(struct svc *v);
/* What a channel tells rbsd (its arg is the struct rbsd). */
extern const struct rbs_chan_ops rbsd_chan_ops;

/* ---- rbsd_conf.c: configuration (check and apply), BFD tracking */

/* cfgclient_ops: arg is the struct rbsd. */
void *rbsd_check(void *arg, const uint8_t *sec, size_t len, struct errlist *errs);
void rbsd_apply(void *arg, void *obj);
void rbsd_discard(void *arg, void *obj);
/* The service of that name, or NULL. */
struct svc *rbsd_svc_find(struct rbsd *d, const char *name);
/* Closes the service's channel and frees it (unlinked by the caller). */
void rbsd_svc_free(struct svc *v);
/* bus_recv_cb of vrrpd's events: a tracked BFD session that leaves Up
 * takes its services' channels down. */
void rbsd_on_vrrp_event(struct bus_sock *s, const struct bus_part *parts, int n, void *arg);

/* ---- rbsd_show.c: display remote-backup-service */

/* ctl_query_fn: arg is the struct rbsd. */
int rbsd_display(void *arg, const Db__Query *q, FILE *f, Db__QueryReply *r);

#endif
