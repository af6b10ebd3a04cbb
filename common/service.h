/* The life of a daemon: start-up, its control socket, its connection to
 * cfgd, readiness, and a clean stop on SIGTERM. */
#ifndef DB_SERVICE_H
#define DB_SERVICE_H

#include "common/cfgclient.h"
#include "common/ctl.h"

struct service {
	const char *name; /* "vrrpd" */
	Db__Role role;
	const struct cfgclient_ops *ops; /* its configuration section */
	ctl_query_fn query;		 /* its display commands */
	void *arg;			 /* given to ops and query */
	/* Optional: runs once the loop and the ZeroMQ context exist, before
	 * the daemon connects to cfgd and says it is ready (sockets, timers,
	 * published endpoints). Returns 0 or a negative errno, which is fatal. */
	int (*init)(uv_loop_t *loop, void *zctx, const char *rundir, void *arg);
	/* Optional: runs on SIGTERM/SIGINT before the loop's handles are
	 * closed; the last chance to say goodbye on the wire. */
	void (*stop)(void *arg);
};

/* Run the daemon until SIGTERM/SIGINT. Returns the exit status. */
int service_main(int argc, char **argv, const struct service *svc);

#endif
