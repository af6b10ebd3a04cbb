/* Start-up shared by the daemons: options, run directory, readiness. */
#ifndef DB_DAEMON_H
#define DB_DAEMON_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <uv.h>

#define DB_DEFAULT_RUNDIR "/run/dualbackup"
#define DB_DEFAULT_STATEDIR "/var/lib/dualbackup"

struct daemon_opts {
	const char *name;     /* "vrrpd" */
	bool foreground;      /* -d */
	bool verbose;	      /* -v */
	const char *rundir;   /* -r */
	const char *statedir; /* -s, cfgd only */
	const char *run_user; /* -u, or NULL */
	uid_t run_uid;	      /* its uid and gid, (uid_t)-1 without -u */
	gid_t run_gid;
};

/* Parse -d -v -r RUNDIR -u USER [-s STATEDIR] -h. `with_statedir`
 * enables -s. Prints usage and exits on -h (0) or a bad option (2).
 * Sets umask 077; creates RUNDIR (0750, group dualbackup; one owned by
 * another user is refused) and STATEDIR when missing; takes the pid file
 * lock; with -u as root, becomes USER keeping only the capabilities the
 * daemon needs. Starts logging. Exits on any failure. */
void daemon_start(struct daemon_opts *o, int argc, char **argv, bool with_statedir);

/* For a program that parses its own options and is started otherwise
 * (metricsd, dbagentx): one option getopt() returned that is not the
 * program's own. -d, -v and -r RUNDIR go into o; -h prints usage_fn(stdout)
 * and exits 0; anything else prints usage_fn(stderr) and exits 2. */
void daemon_opt(struct daemon_opts *o, int c, const char *val, void (*usage_fn)(FILE *f));

/* Build "ipc://RUNDIR/NAME.ipc" into buf. Returns 0 or -ENAMETOOLONG. */
int daemon_endpoint(char *buf, size_t len, const char *rundir, const char *name);

struct bus_sock;
struct bus_opts;

/* Bind a ROUTER at RUNDIR/NAME.ipc with o's callback, argument, ZAP
 * domain and high-water mark (o's type, endpoint and bind are not read),
 * first removing the socket file a killed instance may have left there.
 * Returns what bus_open() returns, or -ENAMETOOLONG. */
int daemon_bind_router(struct bus_sock **out, uv_loop_t *loop, void *zctx, const char *rundir,
		       const char *name, const struct bus_opts *o);

/* Tell systemd (when it started us) that start-up is complete. */
void daemon_ready(void);

/* Tell systemd we are stopping. */
void daemon_stopping(void);

/* Watch SIGTERM and SIGINT on `loop`; `cb` runs once on the first. */
void daemon_on_signal(uv_loop_t *loop, void (*cb)(void *arg), void *arg);

/* Close every handle still open on `loop` and run it until they are gone. */
void daemon_close_loop(uv_loop_t *loop);

#endif
