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

#include "common/log.h"
#include "common/service.h"
#include "config.pb-c.h"

struct vrrpd {
	Db__VrrpdConfig *running; /* applied */
};

static struct vrrpd g;

/* Check a section against the live system. Returns the unpacked config or
 * NULL with reasons in errs. */
/* cfgclient_ops.check: unpack and check against the live system. */
static void *check(void *arg, const uint8_t *sec, size_t len, struct errlist *errs)
{
	Db__VrrpdConfig *c = db__vrrpd_config__unpack(NULL, len, sec);

	(void)arg;
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < c->n_groups; i++) {
		Db__VrrpGroupConfig *gr = c->groups[i];

		if (if_nametoindex(gr->ifname) == 0)
			errlist_add(errs,
				    "interface %s: vrrp vrid %u: the interface does not exist",
				    gr->ifname, gr->vrid);
	}
	return c;
}

/* cfgclient_ops.apply: takes ownership of obj. */
static void apply(void *arg, void *obj)
{
	Db__VrrpdConfig *c = obj;

	(void)arg;
	if (g.running)
		db__vrrpd_config__free_unpacked(g.running, NULL);
	g.running = c;
	log_info("%zu VRRP group(s) configured", c->n_groups);
}

/* cfgclient_ops.discard */
static void discard(void *arg, void *obj)
{
	(void)arg;
	db__vrrpd_config__free_unpacked(obj, NULL);
}

/* ctl_query_fn */
static int display(void *arg, const char *what, FILE *f)
{
	bool brief = strcmp(what, "vrrp brief") == 0;

	(void)arg;
	if (g.running == NULL || g.running->n_groups == 0) {
		fprintf(f, "Info: No VRRP group is configured.");
		return 1;
	}
	if (brief)
		fprintf(f, "VRID  State        Interface        Type     Virtual IP\n");
	for (size_t i = 0; i < g.running->n_groups; i++) {
		Db__VrrpGroupConfig *gr = g.running->groups[i];

		if (brief) {
			fprintf(f, "%-5u %-12s %-16s %-8s %s\n", gr->vrid, "Initialize", gr->ifname,
				gr->admin ? "Admin" : "Normal",
				gr->n_virtual_ips ? gr->virtual_ips[0] : "-");
			continue;
		}
		fprintf(f, "%s | Virtual Router %u\n", gr->ifname, gr->vrid);
		fprintf(f, "  State            : Initialize (protocol not running yet)\n");
		fprintf(f, "  Virtual IP       :");
		for (size_t j = 0; j < gr->n_virtual_ips && j < 8; j++)
			fprintf(f, " %s", gr->virtual_ips[j]);
		fprintf(f, "\n  PriorityRun      : %u\n  PriorityConfig   : %u\n", gr->priority,
			gr->priority);
		fprintf(f, "  Preempt          : %s   Delay Time : %u s\n",
			gr->preempt ? "YES" : "NO", gr->preempt_delay_s);
		fprintf(f, "  Adver Timer      : %u ms\n", gr->advert_interval_ms);
		fprintf(f, "  Version          : v%u\n", g.running->version);
		if (gr->admin)
			fprintf(f, "  Config Type      : admin-vrrp%s\n",
				gr->ignore_if_down ? " (ignore-if-down)" : "");
		else
			fprintf(f, "  Config Type      : normal-vrrp\n");
	}
	return 1;
}

static const struct cfgclient_ops ops = {check, apply, discard};

int main(int argc, char **argv)
{
	static const struct service svc = {"vrrpd", DB__ROLE__ROLE_VRRPD, &ops, display, NULL};
	int rc = service_main(argc, argv, &svc);

	if (g.running)
		db__vrrpd_config__free_unpacked(g.running, NULL);
	return rc;
}
