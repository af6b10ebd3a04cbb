/*
 * vrrpd: VRRP groups. This stage holds the groups cfgd commits (checked
 * against the live interfaces) and reports them; the protocol on the wire
 * is the subject of the vrrpd issue and is not running yet: every group
 * shows state Initialize.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/cfgclient.h"
#include "common/ctl.h"
#include "common/daemon.h"
#include "common/log.h"
#include "config.pb-c.h"

struct vrrpd {
	uv_loop_t *loop;
	void *zctx;
	struct daemon_opts opts;
	struct cfgclient *cfg;
	struct ctl *ctl;
	Db__VrrpdConfig *running;   /* applied */
	Db__VrrpdConfig *prepared;  /* held between PREPARE and COMMIT */
};

static struct vrrpd g;

/* Check a section against the live system. Returns the unpacked config or
 * NULL with reasons in errs. */
static Db__VrrpdConfig *check(const uint8_t *sec, size_t len, struct errlist *errs)
{
	Db__VrrpdConfig *c = db__vrrpd_config__unpack(NULL, len, sec);

	if (c == NULL) {
		errlist_add(errs, "malformed configuration section");
		return NULL;
	}
	for (size_t i = 0; i < c->n_groups; i++) {
		Db__VrrpGroupConfig *gr = c->groups[i];

		if (if_nametoindex(gr->ifname) == 0)
			errlist_add(errs, "interface %s: vrrp vrid %u: the interface does not exist",
				    gr->ifname, gr->vrid);
	}
	if (errs->n) {
		db__vrrpd_config__free_unpacked(c, NULL);
		return NULL;
	}
	return c;
}

static int on_prepare(void *arg, const uint8_t *sec, size_t len, struct errlist *errs)
{
	(void)arg;
	g.prepared = check(sec, len, errs);
	return g.prepared ? 0 : -EINVAL;
}

static void apply(Db__VrrpdConfig *c)
{
	if (g.running)
		db__vrrpd_config__free_unpacked(g.running, NULL);
	g.running = c;
	log_info("%zu VRRP group(s) configured", c->n_groups);
}

static void on_commit(void *arg, struct errlist *errs)
{
	(void)arg;
	(void)errs;
	apply(g.prepared);
	g.prepared = NULL;
}

static void on_abort(void *arg)
{
	(void)arg;
	if (g.prepared)
		db__vrrpd_config__free_unpacked(g.prepared, NULL);
	g.prepared = NULL;
}

static int on_push(void *arg, const uint8_t *sec, size_t len, struct errlist *errs)
{
	Db__VrrpdConfig *c = check(sec, len, errs);

	(void)arg;
	if (c == NULL) {
		/* Apply what was committed anyway: the operator's configuration is
		 * the truth; groups on missing interfaces stay down. */
		c = db__vrrpd_config__unpack(NULL, len, sec);
		if (c == NULL)
			return -EINVAL;
	}
	apply(c);
	return 0;
}

static char *display(void *arg, const char *what, int *ok)
{
	size_t cap = 256 + (g.running ? g.running->n_groups : 0) * 512;
	char *out = malloc(cap), *p = out;
	bool brief = strcmp(what, "vrrp brief") == 0;

	(void)arg;
	if (out == NULL)
		return NULL;
	*p = '\0';
	if (g.running == NULL || g.running->n_groups == 0) {
		snprintf(out, cap, "Info: No VRRP group is configured.");
		return out;
	}
	if (brief)
		p += sprintf(p, "VRID  State        Interface        Type     Virtual IP\n");
	for (size_t i = 0; i < g.running->n_groups; i++) {
		Db__VrrpGroupConfig *gr = g.running->groups[i];

		if (brief) {
			p += sprintf(p, "%-5u %-12s %-16s %-8s %s\n", gr->vrid, "Initialize",
				     gr->ifname, gr->admin ? "Admin" : "Normal",
				     gr->n_virtual_ips ? gr->virtual_ips[0] : "-");
			continue;
		}
		p += sprintf(p, "%s | Virtual Router %u\n", gr->ifname, gr->vrid);
		p += sprintf(p, "  State            : Initialize (protocol not running yet)\n");
		p += sprintf(p, "  Virtual IP       :");
		for (size_t j = 0; j < gr->n_virtual_ips && j < 8; j++)
			p += sprintf(p, " %s", gr->virtual_ips[j]);
		p += sprintf(p, "\n  PriorityRun      : %u\n  PriorityConfig   : %u\n", gr->priority,
			     gr->priority);
		p += sprintf(p, "  Preempt          : %s   Delay Time : %u s\n",
			     gr->preempt ? "YES" : "NO", gr->preempt_delay_s);
		p += sprintf(p, "  Adver Timer      : %u ms\n", gr->advert_interval_ms);
		p += sprintf(p, "  Version          : v%u\n", g.running->version);
		if (gr->admin)
			p += sprintf(p, "  Config Type      : admin-vrrp%s\n",
				     gr->ignore_if_down ? " (ignore-if-down)" : "");
		else
			p += sprintf(p, "  Config Type      : normal-vrrp\n");
	}
	*ok = 1;
	return out;
}

static const struct cfgclient_ops ops = {on_prepare, on_commit, on_abort, on_push};

static void on_stop(void *arg)
{
	(void)arg;
	daemon_stopping();
	cfgclient_close(g.cfg);
	ctl_close(g.ctl);
	uv_stop(g.loop);
}

int main(int argc, char **argv)
{
	int rc;

	g.opts.name = "vrrpd";
	daemon_start(&g.opts, argc, argv, false);
	g.loop = uv_default_loop();
	g.zctx = zmq_ctx_new();
	rc = ctl_open(&g.ctl, g.loop, g.zctx, g.opts.rundir, DB__ROLE__ROLE_VRRPD, display, NULL);
	if (rc < 0)
		fatalx("control socket in %s: %s", g.opts.rundir, strerror(-rc));
	rc = cfgclient_open(&g.cfg, g.loop, g.zctx, g.opts.rundir, DB__ROLE__ROLE_VRRPD, &ops,
			    NULL);
	if (rc < 0)
		fatalx("cfgd connection in %s: %s", g.opts.rundir, strerror(-rc));
	daemon_on_signal(g.loop, on_stop, NULL);
	log_info("ready");
	daemon_ready();
	uv_run(g.loop, UV_RUN_DEFAULT);
	daemon_close_loop(g.loop);
	if (g.running)
		db__vrrpd_config__free_unpacked(g.running, NULL);
	on_abort(NULL);
	zmq_ctx_term(g.zctx);
	return 0;
}
