#include "common/ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/bus.h"
#include "common/daemon.h"
#include "common/log.h"

struct ctl {
	struct bus_sock *sock;
	Db__Role role;
	ctl_query_fn fn;
	void *arg;
	unsigned long dropped;
};

static void drop(struct ctl *c, const char *why)
{
	/* Log the first and then every 1000th, so garbage cannot flood the log. */
	if (c->dropped++ % 1000 == 0)
		log_warnx("control: message dropped: %s (%lu so far)", why, c->dropped);
}

static void on_recv(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	Db__QueryReply r = DB__QUERY_REPLY__INIT;
	struct ctl *c = arg;
	Db__Envelope *env;
	Db__Query *q;
	char *text = NULL;
	size_t textlen = 0;
	FILE *f;
	int ok = 0;

	if (n != 2) {
		drop(c, "wrong number of frames");
		return;
	}
	env = bus_unpack(parts[1].data, parts[1].len);
	if (env == NULL || env->type != DB__MSG_TYPE__MSG_QUERY) {
		drop(c, "not a query");
		if (env)
			db__envelope__free_unpacked(env, NULL);
		return;
	}
	q = db__query__unpack(NULL, env->payload.len, env->payload.data);
	if (q == NULL) {
		drop(c, "malformed query");
		db__envelope__free_unpacked(env, NULL);
		return;
	}
	/* a stream: the answer grows with the configuration, no size guessed */
	f = open_memstream(&text, &textlen);
	if (f != NULL) {
		ok = c->fn(c->arg, q, f, &r);
		fclose(f);
	}
	r.ok = f != NULL && ok;
	r.text = f != NULL ? text : (char *)"Error: out of memory.";
	if (f != NULL && !ok && textlen == 0) {
		/* a query this daemon does not answer: say which */
		free(text);
		text = NULL;
		if (asprintf(&text,
			     q->json ? "{\"error\":\"%s cannot answer %s.\"}"
				     : "Error: %s cannot answer %s.",
			     bus_role_name(c->role), ctl_kind_word(q->kind)) < 0)
			text = NULL;
		r.text = text ? text : (char *)"Error: unknown query.";
	}
	bus_send_msg(s, parts[0].data, parts[0].len, DB__MSG_TYPE__MSG_QUERY_REPLY, c->role,
		     env->id, &r.base);
	if (f != NULL)
		free(text);
	db__query__free_unpacked(q, NULL);
	db__envelope__free_unpacked(env, NULL);
}

const char *ctl_kind_word(Db__QueryKind k)
{
	switch (k) {
	case DB__QUERY_KIND__QUERY_VRRP:
		return "vrrp";
	case DB__QUERY_KIND__QUERY_VRRP_BRIEF:
		return "vrrp brief";
	case DB__QUERY_KIND__QUERY_VRRP_STATISTICS:
		return "vrrp statistics";
	case DB__QUERY_KIND__QUERY_BFD_SESSION:
		return "bfd session";
	case DB__QUERY_KIND__QUERY_RBS:
		return "remote-backup-service";
	case DB__QUERY_KIND__QUERY_RBP:
		return "remote-backup-profile";
	case DB__QUERY_KIND__QUERY_RBP_USERS:
		return "remote-backup-profile users";
	case DB__QUERY_KIND__QUERY_VRRP_STATES:
		return "vrrp states";
	default:
		return "unknown query";
	}
}

int ctl_open(struct ctl **out, uv_loop_t *loop, void *zctx, const char *rundir, Db__Role role,
	     ctl_query_fn fn, void *arg)
{
	struct bus_opts o = {0};
	struct ctl *c;
	int rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->role = role;
	c->fn = fn;
	c->arg = arg;
	/* Displays for dbcli, state queries between daemons. */
	o.zap_domain = PEER_DOMAIN_CLIENT;
	o.cb = on_recv;
	o.arg = c;
	rc = daemon_bind_router(&c->sock, loop, zctx, rundir, bus_role_name(role), &o);
	if (rc < 0) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void ctl_close(struct ctl *c)
{
	if (c == NULL)
		return;
	bus_close(c->sock);
	free(c);
}
