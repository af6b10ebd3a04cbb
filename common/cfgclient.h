/*
 * The participant side of cfgd's two-phase commit, shared by the daemons.
 *
 * Connects a DEALER (identity = the daemon's role name) to cfgd, says
 * HELLO with the commit id it runs, sends a heartbeat every second, and
 * turns PREPARE / COMMIT / ABORT / PUSH into calls of the daemon's ops.
 * cfgd compares the heartbeat's commit id with its running one and
 * re-pushes on any difference, so a lost message never leaves a daemon
 * silently out of date.
 *
 * Fault injection for tests: the environment variable DB_FAULT holds
 * "ACTION:MSG[:N]" where ACTION is drop (ignore the message), delay
 * (handle it N ms late) or die (exit(3) on receiving it), and MSG is
 * prepare, commit, abort or push. drop and die act on the first
 * occurrence only, N for delay is the delay in ms.
 */
#ifndef DB_CFGCLIENT_H
#define DB_CFGCLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "bus.pb-c.h"
#include "common/errlist.h"

struct cfgclient;

struct cfgclient_ops {
	/* Check `section` (a packed config message of this daemon) against
	 * the live system and hold it without activating. Return 0 to vote
	 * yes, or a negative errno with reasons added to `errs`. */
	int (*prepare)(void *arg, const uint8_t *section, size_t len, struct errlist *errs);
	/* Activate what prepare() held. Problems go to `errs` (reported to
	 * cfgd and logged), but the new configuration stays applied. */
	void (*commit)(void *arg, struct errlist *errs);
	/* Drop what prepare() held. */
	void (*abort)(void *arg);
	/* Check and apply `section` at once (start-up, resync). */
	int (*push)(void *arg, const uint8_t *section, size_t len, struct errlist *errs);
};

/* Connect to cfgd at RUNDIR/cfgd.ipc as `role`. Returns 0 or -errno. */
int cfgclient_open(struct cfgclient **out, uv_loop_t *loop, void *zctx, const char *rundir,
		   Db__Role role, const struct cfgclient_ops *ops, void *arg);

/* The commit id of the configuration applied now (0: none yet). */
uint64_t cfgclient_applied(const struct cfgclient *c);

void cfgclient_close(struct cfgclient *c);

#endif
