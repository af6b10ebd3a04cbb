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
 * occurrence only, N for delay is the delay in ms. Only in test builds
 * (-DDB_TEST_HOOKS, the Makefile's build/bin); installed daemons ignore
 * DB_FAULT.
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
	/* Unpack `section` (a packed configuration message of this daemon)
	 * and check it against the live system. Returns the daemon's object
	 * for it, or NULL when it does not unpack; every problem goes to errs
	 * as one message naming the offending command. With problems a
	 * PREPARE votes no and the object is discarded; a PUSH (cfgd's running
	 * configuration, already committed) is applied anyway. */
	void *(*check)(void *arg, const uint8_t *section, size_t len, struct errlist *errs);
	/* Make obj the running configuration. Takes ownership of obj. */
	void (*apply)(void *arg, void *obj);
	/* Free an object from check() that will not be applied. */
	void (*discard)(void *arg, void *obj);
};

/* Connect to cfgd at RUNDIR/cfgd.ipc as `role`. Returns 0 or -errno. */
int cfgclient_open(struct cfgclient **out, uv_loop_t *loop, void *zctx, const char *rundir,
		   Db__Role role, const struct cfgclient_ops *ops, void *arg);

void cfgclient_close(struct cfgclient *c);

/*
 * A daemon's test hook, compiled into test builds only (-DDB_TEST_HOOKS,
 * see the Makefile; a production build has none and this does nothing):
 * when the environment holds NAME set to a number, SIGUSR2 calls
 * cb(arg, that number) in the loop. One per process. Returns 0, or
 * -errno when the signal cannot be watched.
 */
typedef void (*cfgclient_hook_cb)(void *arg, unsigned long n);
int cfgclient_test_hook(uv_loop_t *loop, const char *name, cfgclient_hook_cb cb, void *arg);
void cfgclient_test_hook_close(void);

#endif
