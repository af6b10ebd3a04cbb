/* A daemon's control socket: a ROUTER at RUNDIR/NAME.ipc answering
 * `display` queries from dbcli, and
 * rbpd's question for vrrpd's group states. */
#ifndef DB_CTL_H
#define DB_CTL_H

#include <stdbool.h>
#include <stdio.h>
#include <uv.h>

#include "bus.pb-c.h"

struct ctl;

/* Answer the query q (its kind, and what it names: proto/bus.proto) by
 * writing the text into out (a stream the ctl module owns), or with
 * q->json a JSON document (docs/json.md; common/jsonout.h). A query
 * answered with a message rather than a display (QUERY_VRRP_STATES) sets
 * its field in r instead, pointing to memory the daemon keeps until its
 * next call. Returns 1, or 0 for a query it does not answer or an object
 * that does not exist (the text, or the document's "error", says so). */
typedef int (*ctl_query_fn)(void *arg, const Db__Query *q, FILE *out, Db__QueryReply *r);

/* The display word of a query's kind ("vrrp brief"), for logs and
 * refusals: "unknown query" for any other value. A static string. */
const char *ctl_kind_word(Db__QueryKind k);

/* Bind RUNDIR/NAME.ipc (NAME from `role`). Returns 0 or -errno. */
int ctl_open(struct ctl **out, uv_loop_t *loop, void *zctx, const char *rundir, Db__Role role,
	     ctl_query_fn fn, void *arg);

void ctl_close(struct ctl *c);

#endif
