/* A daemon's control socket: a ROUTER at RUNDIR/NAME.ipc answering
 * `display` queries from dbcli. */
#ifndef DB_CTL_H
#define DB_CTL_H

#include <stdbool.h>
#include <stdio.h>
#include <uv.h>

#include "bus.pb-c.h"

struct ctl;

/* Answer `what` (e.g. "vrrp brief") by writing the text into out (a
 * stream the ctl module owns), or with json a JSON document (docs/json.md;
 * common/jsonout.h). Returns 1, or 0 for an unknown query or an object
 * that does not exist (the text, or the document's "error", says so). */
typedef int (*ctl_query_fn)(void *arg, const char *what, bool json, FILE *out);

/* Bind RUNDIR/NAME.ipc (NAME from `role`). Returns 0 or -errno. */
int ctl_open(struct ctl **out, uv_loop_t *loop, void *zctx, const char *rundir, Db__Role role,
	     ctl_query_fn fn, void *arg);

void ctl_close(struct ctl *c);

#endif
