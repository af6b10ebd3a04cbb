/*
 * rbpd: remote backup profiles. This stage holds the profiles cfgd
 * commits (checked against the live interfaces) and reports them; the
 * user tables, roles and the user-information API are the subject of the
 * rbpd issue and are not running yet.
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

struct rbpd {
	uv_loop_t *loop;
	void *zctx;
	struct daemon_opts opts;
	struct cfgclient *cfg;
	struct ctl *ctl;
	Db__RbpdConfig *running;
	Db__RbpdConfig *prepared;
};

static struct rbpd g;

static Db__RbpdConfig *check(const uint8_t *sec, size_t len, struct errlist *errs)
{
	Db__RbpdConfig *c = db__rbpd_config__unpack(NULL, len, sec);

	if (c == NULL) {
		errlist_add(errs, "malformed configuration section");
		return NULL;
	}
	for (size_t i = 0; i < c->n_profiles; i++) {
		Db__RbpConfig *p = c->profiles[i];

		for (size_t j = 0; j < p->n_bindings; j++)
			if (if_nametoindex(p->bindings[j]->ifname) == 0)
				errlist_add(errs,
					    "remote-backup-profile %s: vrrp-id %u interface %s: the "
					    "interface does not exist",
					    p->name, p->bindings[j]->vrid, p->bindings[j]->ifname);
		for (size_t j = 0; j < p->n_interfaces; j++)
			if (if_nametoindex(p->interfaces[j]) == 0)
				errlist_add(errs, "interface %s: the interface does not exist",
					    p->interfaces[j]);
	}
	if (errs->n) {
		db__rbpd_config__free_unpacked(c, NULL);
		return NULL;
	}
	return c;
}

static void apply(Db__RbpdConfig *c)
{
	if (g.running)
		db__rbpd_config__free_unpacked(g.running, NULL);
	g.running = c;
	log_info("%zu remote backup profile(s) configured", c->n_profiles);
}

static int on_prepare(void *arg, const uint8_t *sec, size_t len, struct errlist *errs)
{
	(void)arg;
	g.prepared = check(sec, len, errs);
	return g.prepared ? 0 : -EINVAL;
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
		db__rbpd_config__free_unpacked(g.prepared, NULL);
	g.prepared = NULL;
}

static int on_push(void *arg, const uint8_t *sec, size_t len, struct errlist *errs)
{
	Db__RbpdConfig *c = check(sec, len, errs);

	(void)arg;
	if (c == NULL && (c = db__rbpd_config__unpack(NULL, len, sec)) == NULL)
		return -EINVAL;
	apply(c);
	return 0;
}

static char *display(void *arg, const char *what, int *ok)
{
	const char *name = strncmp(what, "remote-backup-profile ", 22) == 0 ? what + 22 : NULL;
	size_t n = g.running ? g.running->n_profiles : 0, shown = 0;
	char *out = malloc(256 + n * 1024), *p = out;

	(void)arg;
	if (out == NULL)
		return NULL;
	*p = '\0';
	for (size_t i = 0; i < n; i++) {
		Db__RbpConfig *r = g.running->profiles[i];

		if (name && strcmp(name, r->name))
			continue;
		shown++;
		p += sprintf(p, "Remote backup profile: %s\n", r->name);
		p += sprintf(p, "  Backup mode    : %s\n", r->backup_mode[0] ? r->backup_mode : "-");
		if (r->backup_id)
			p += sprintf(p, "  Backup-id      : %u\n  Service        : %s\n", r->backup_id,
				     r->service);
		for (size_t j = 0; j < r->n_bindings && j < 2; j++)
			p += sprintf(p, "  VRRP binding   : vrid %u interface %s %s\n",
				     r->bindings[j]->vrid, r->bindings[j]->ifname,
				     r->bindings[j]->odd_mac ? "odd-mac" : "even-mac");
		for (size_t j = 0; j < r->n_interfaces && j < 16; j++)
			p += sprintf(p, "  Access         : interface %s\n", r->interfaces[j]);
		p += sprintf(p, "  Users          : (user tables not implemented yet)\n");
	}
	if (name && shown == 0) {
		sprintf(out, "Error: The remote backup profile %s does not exist.", name);
		*ok = 0;
		return out;
	}
	if (shown == 0)
		sprintf(out, "Info: No remote backup profile is configured.");
	else
		sprintf(p, "Download-vrrp-table delay: %u s", g.running->download_delay_s);
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

	g.opts.name = "rbpd";
	daemon_start(&g.opts, argc, argv, false);
	g.loop = uv_default_loop();
	g.zctx = zmq_ctx_new();
	rc = ctl_open(&g.ctl, g.loop, g.zctx, g.opts.rundir, DB__ROLE__ROLE_RBPD, display, NULL);
	if (rc < 0)
		fatalx("control socket in %s: %s", g.opts.rundir, strerror(-rc));
	rc = cfgclient_open(&g.cfg, g.loop, g.zctx, g.opts.rundir, DB__ROLE__ROLE_RBPD, &ops,
			    NULL);
	if (rc < 0)
		fatalx("cfgd connection in %s: %s", g.opts.rundir, strerror(-rc));
	daemon_on_signal(g.loop, on_stop, NULL);
	log_info("ready");
	daemon_ready();
	uv_run(g.loop, UV_RUN_DEFAULT);
	daemon_close_loop(g.loop);
	if (g.running)
		db__rbpd_config__free_unpacked(g.running, NULL);
	on_abort(NULL);
	zmq_ctx_term(g.zctx);
	return 0;
}
