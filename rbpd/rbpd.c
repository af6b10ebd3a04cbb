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

#include "common/log.h"
#include "common/service.h"
#include "config.pb-c.h"

struct rbpd {
	Db__RbpdConfig *running;
};

static struct rbpd g;

/* cfgclient_ops.check: unpack and check against the live system. */
static void *check(void *arg, const uint8_t *sec, size_t len, struct errlist *errs)
{
	Db__RbpdConfig *c = db__rbpd_config__unpack(NULL, len, sec);

	(void)arg;
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < c->n_profiles; i++) {
		Db__RbpConfig *p = c->profiles[i];

		for (size_t j = 0; j < p->n_bindings; j++)
			if (if_nametoindex(p->bindings[j]->ifname) == 0)
				errlist_add(
				    errs,
				    "remote-backup-profile %s: vrrp-id %u interface %s: the "
				    "interface does not exist",
				    p->name, p->bindings[j]->vrid, p->bindings[j]->ifname);
		for (size_t j = 0; j < p->n_interfaces; j++)
			if (if_nametoindex(p->interfaces[j]) == 0)
				errlist_add(errs, "interface %s: the interface does not exist",
					    p->interfaces[j]);
	}
	return c;
}

/* cfgclient_ops.apply: takes ownership of obj. */
static void apply(void *arg, void *obj)
{
	Db__RbpdConfig *c = obj;

	(void)arg;
	if (g.running)
		db__rbpd_config__free_unpacked(g.running, NULL);
	g.running = c;
	log_info("%zu remote backup profile(s) configured", c->n_profiles);
}

/* cfgclient_ops.discard */
static void discard(void *arg, void *obj)
{
	(void)arg;
	db__rbpd_config__free_unpacked(obj, NULL);
}

/* ctl_query_fn */
static int display(void *arg, const char *what, FILE *f)
{
	const char *name = strncmp(what, "remote-backup-profile ", 22) == 0 ? what + 22 : NULL;
	size_t n = g.running ? g.running->n_profiles : 0, shown = 0;

	(void)arg;
	for (size_t i = 0; i < n; i++) {
		Db__RbpConfig *r = g.running->profiles[i];

		if (name && strcmp(name, r->name))
			continue;
		shown++;
		fprintf(f, "Remote backup profile: %s\n", r->name);
		fprintf(f, "  Backup mode    : %s\n", r->backup_mode[0] ? r->backup_mode : "-");
		if (r->backup_id)
			fprintf(f, "  Backup-id      : %u\n  Service        : %s\n", r->backup_id,
				r->service);
		for (size_t j = 0; j < r->n_bindings && j < 2; j++)
			fprintf(f, "  VRRP binding   : vrid %u interface %s %s\n",
				r->bindings[j]->vrid, r->bindings[j]->ifname,
				r->bindings[j]->odd_mac ? "odd-mac" : "even-mac");
		for (size_t j = 0; j < r->n_interfaces && j < 16; j++)
			fprintf(f, "  Access         : interface %s\n", r->interfaces[j]);
		fprintf(f, "  Users          : (user tables not implemented yet)\n");
	}
	if (name && shown == 0) {
		fprintf(f, "Error: The remote backup profile %s does not exist.", name);
		return 0;
	}
	if (shown == 0)
		fprintf(f, "Info: No remote backup profile is configured.");
	else
		fprintf(f, "Download-vrrp-table delay: %u s", g.running->download_delay_s);
	return 1;
}

static const struct cfgclient_ops ops = {check, apply, discard};

int main(int argc, char **argv)
{
	static const struct service svc = {"rbpd", DB__ROLE__ROLE_RBPD, &ops, display, NULL, NULL,
					   NULL};
	int rc = service_main(argc, argv, &svc);

	if (g.running)
		db__rbpd_config__free_unpacked(g.running, NULL);
	return rc;
}
