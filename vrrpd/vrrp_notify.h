/*
 * The operator's notify script: which transitions run it, in which order,
 * how many at once, and whether a path may be run at all.
 *
 * The scheduler is pure (no processes, no clock): vrrpd queues every
 * transition of a group here and asks what to start; it spawns, times out
 * and reaps the processes itself.
 *
 *  - A group's transitions run one after another, in the order they
 *    happened: at most one script per group at a time.
 *  - At most VRRP_NOTIFY_MAX_RUNNING scripts run at once over all groups,
 *    so a flapping segment never forks without bound.
 *  - A group queues at most VRRP_NOTIFY_QLEN transitions. When the queue is
 *    full the oldest queued one is dropped and counted: what still runs is
 *    in order and always ends with the newest transition, i.e. the state
 *    the group is in.
 *
 * Queues are created on a group's first transition and freed once idle and
 * empty, so a group deleted by a commit still has its last transitions
 * delivered.
 */
#ifndef DB_VRRP_NOTIFY_H
#define DB_VRRP_NOTIFY_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VRRP_NOTIFY_QLEN 8
#define VRRP_NOTIFY_MAX_RUNNING 4
#define VRRP_NOTIFY_TIMEOUT_MS 10000 /* then SIGTERM */
#define VRRP_NOTIFY_KILL_MS 2000     /* after SIGTERM, SIGKILL */
#define VRRP_NOTIFY_REASON 96

/* One transition, as the script is told of it. */
struct vrrp_notify_ev {
	char ifname[IF_NAMESIZE];
	unsigned vrid;
	bool ipv6;
	uint8_t from, to;		 /* enum vrrp_state */
	char reason[VRRP_NOTIFY_REASON]; /* cut when longer */
	uint64_t seq;			 /* the group's transition count, from 1 */
	uint64_t dropped;		 /* of this group, dropped before this one */
};

struct vrrp_notify_q;

struct vrrp_notify {
	struct vrrp_notify_q *head, *tail; /* round-robin order */
	unsigned running;
	uint64_t queued, dropped, started; /* totals */
};

/*
 * Queue transition ev (copied; its seq and dropped are filled in here).
 * Returns 0, 1 when the group's queue was full and its oldest queued
 * transition was dropped, or -ENOMEM (ev is then not queued).
 */
int vrrp_notify_push(struct vrrp_notify *n, const struct vrrp_notify_ev *ev);

/*
 * The next transition to run now, if any: a group with none running whose
 * queue is not empty, while fewer than VRRP_NOTIFY_MAX_RUNNING run. Copies
 * it to *ev and returns its group's queue, now marked running, which the
 * caller hands back to vrrp_notify_done() when the script is over (or could
 * not start). NULL when nothing may start now.
 */
struct vrrp_notify_q *vrrp_notify_next(struct vrrp_notify *n, struct vrrp_notify_ev *ev);

/* The script started for q by vrrp_notify_next() is over. q may be freed
 * here: the caller forgets it. */
void vrrp_notify_done(struct vrrp_notify *n, struct vrrp_notify_q *q);

/* Transitions queued and not yet started, over all groups. */
size_t vrrp_notify_pending(const struct vrrp_notify *n);

/* Free every queue (at exit; scripts still running are forgotten). */
void vrrp_notify_free(struct vrrp_notify *n);

/*
 * Whether `path` may be run as the notify script of a daemon running as
 * root: an absolute path to a regular, executable file owned by root and
 * not writable by group or others, in directories that are owned by root
 * and not writable by group or others unless sticky (like /tmp), all the
 * way up, after symbolic links are resolved. Returns 0, or -errno with a
 * reason in why ("not an absolute path", "writable by group or others").
 */
int vrrp_notify_check_path(const char *path, char *why, size_t len);

#endif
