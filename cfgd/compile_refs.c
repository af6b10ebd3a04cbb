/* The cross-references of the configuration (compile_int.h). */
#include "cfgd/compile_int.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

/* ---- cross-references: the checks ------------------------------------- */

/*
 * Each check reads the build (const) and appends one error per problem it
 * finds to b->errs; it returns 1 when it found one, else 0. Their order in
 * cfg_compile_refs() is the order of the errors a commit shows.
 */

/* A group has a virtual IP, an interval its VRRP version can carry, and
 * does not track the interface it runs on. */
static int check_group(const struct build *b, const struct grp *g)
{
	const char *fam = g->is_v6 ? "vrrp6" : "vrrp";
	int bad = 0;

	if (!g->has_vip) {
		errlist_add(b->errs, "interface %s: %s vrid %u has no virtual-ip", g->g.ifname, fam,
			    g->g.vrid);
		bad = 1;
	}
	/* VRRPv2 counts its interval in whole seconds (RFC 3768 5.3.7). */
	if (!g->is_v6 && b->vrrp.version == 2 && g->g.advert_interval_ms % 1000) {
		errlist_add(b->errs,
			    "interface %s: vrrp vrid %u: timer advertise %u msec needs "
			    "vrrp version v3 (VRRPv2 counts whole seconds)",
			    g->g.ifname, g->g.vrid, g->g.advert_interval_ms);
		bad = 1;
	}
	for (size_t j = 0; j < g->g.n_track_interface; j++) {
		if (strcmp(g->g.track_interface[j]->ifname, g->g.ifname) == 0) {
			errlist_add(b->errs,
				    "interface %s: %s vrid %u tracks its own interface: the "
				    "group already stops when its interface goes down",
				    g->g.ifname, fam, g->g.vrid);
			bad = 1;
		}
	}
	return bad;
}

/* A group that follows an admin-vrrp group (track admin-vrrp) follows one
 * that is one, is not one itself, and tracks nothing of its own. */
static int check_follower(const struct build *b, const struct grp *g)
{
	const struct grp *a;
	char id[64];
	int bad = 0;

	if (!g->track_if[0])
		return 0;
	if (g->g.admin) {
		errlist_add(b->errs,
			    "interface %s: vrrp vrid %u is an admin-vrrp group and cannot "
			    "track another one",
			    g->g.ifname, g->g.vrid);
		bad = 1;
	}
	if (g->g.n_track_interface || g->g.n_track_bfd) {
		errlist_add(b->errs,
			    "interface %s: vrrp vrid %u follows admin-vrrp interface %s vrid "
			    "%u and has no priority of its own: track the interface or "
			    "bfd-session in the admin-vrrp group",
			    g->g.ifname, g->g.vrid, g->track_if, g->track_vrid);
		bad = 1;
	}
	cfg_compile_group_id(id, sizeof(id), g->track_if, g->track_vrid, g->is_v6);
	a = strmap_get(b->groups, id);
	if (a == NULL || !a->g.admin) {
		errlist_add(b->errs,
			    "interface %s: vrrp vrid %u tracks interface %s vrid %u, "
			    "which is not an admin-vrrp group",
			    g->g.ifname, g->g.vrid, g->track_if, g->track_vrid);
		bad = 1;
	}
	return bad;
}

static int check_groups(const struct build *b)
{
	int bad = 0;

	for (size_t i = 0; i < b->vrrp.n_groups; i++) {
		const struct grp *g = (const struct grp *)b->vrrp.groups[i];

		bad |= check_group(b, g);
		bad |= check_follower(b, g);
	}
	return bad;
}

/* The group a profile's vrrp-id binds: vrrp's of that VRID, else vrrp6's;
 * NULL when the interface has neither. */
static struct grp *bound_group(const struct build *b, const Db__RbpBinding *bd)
{
	char id[64];

	cfg_compile_group_id(id, sizeof(id), bd->ifname, bd->vrid, 0);
	if (strmap_get(b->groups, id) == NULL)
		cfg_compile_group_id(id, sizeof(id), bd->ifname, bd->vrid, 1);
	return strmap_get(b->groups, id);
}

/* A profile binds at most two groups that exist, one odd-mac and one
 * even-mac. */
static int check_bindings(const struct build *b, const Db__RbpConfig *p)
{
	int odd = 0, even = 0, bad = 0;

	if (p->n_bindings > 2) {
		errlist_add(b->errs,
			    "remote-backup-profile %s: at most two vrrp-id bindings (one "
			    "odd-mac, one even-mac), %zu configured",
			    p->name, p->n_bindings);
		bad = 1;
	}
	for (size_t j = 0; j < p->n_bindings; j++) {
		const Db__RbpBinding *bd = p->bindings[j];

		if (bound_group(b, bd) == NULL) {
			errlist_add(b->errs,
				    "remote-backup-profile %s: vrrp-id %u interface %s: no such "
				    "VRRP group on that interface",
				    p->name, bd->vrid, bd->ifname);
			bad = 1;
		}
		if (bd->odd_mac ? odd++ : even++) {
			errlist_add(b->errs,
				    "remote-backup-profile %s: two bindings use %s; one must be "
				    "odd-mac and the other even-mac",
				    p->name, bd->odd_mac ? "odd-mac" : "even-mac");
			bad = 1;
		}
	}
	return bad;
}

static int check_profiles(const struct build *b)
{
	int bad = 0;

	for (size_t i = 0; i < b->rbpd.n_profiles; i++)
		bad |= check_bindings(b, b->rbpd.profiles[i]);
	return bad;
}

/* A service's bound SSL policy exists and has what mutual authentication
 * needs; a pinned peer certificate needs a bound policy. */
static int check_service_ssl(const struct build *b, const Db__RbsConfig *s)
{
	const char *pname = strmap_get(b->rbs_ssl, s->name);
	const Db__SslPolicyConfig *pol;
	int bad = 0;

	if (pname == NULL) {
		if (s->n_peer_cert_sha256 == 0)
			return 0;
		errlist_add(b->errs,
			    "remote-backup-service %s: peer-certificate needs bind "
			    "ssl-policy (in clear text nothing proves who the peer is)",
			    s->name);
		return 1;
	}
	pol = strmap_get(b->ssls, pname);
	if (pol == NULL) {
		errlist_add(b->errs,
			    "remote-backup-service %s: bind ssl-policy %s: no such ssl policy",
			    s->name, pname);
		bad = 1;
	} else if (pol->cert_file == NULL || pol->n_ca_files == 0) {
		errlist_add(b->errs,
			    "remote-backup-service %s: ssl policy %s needs a certificate and a "
			    "trusted-ca for mutual authentication",
			    s->name, pname);
		bad = 1;
	}
	return bad;
}

/* ... and, in clear text too, its peer and source are of one family. */
static int check_service(const struct build *b, const Db__RbsConfig *s)
{
	int bad = check_service_ssl(b, s);

	if (s->peer && s->source &&
	    (strchr(s->peer, ':') == NULL) != (strchr(s->source, ':') == NULL)) {
		errlist_add(b->errs,
			    "remote-backup-service %s: peer %s and source %s are not of the same "
			    "address family",
			    s->name, s->peer, s->source);
		bad = 1;
	}
	return bad;
}

static int check_services(const struct build *b)
{
	int bad = 0;

	for (size_t i = 0; i < b->rbsd.n_services; i++)
		bad |= check_service(b, b->rbsd.services[i]);
	return bad;
}

/* The profile an interface section names (remote-backup-profile NAME),
 * or NULL. */
static const char *if_profile(const struct conf *c, const struct conf_section *s)
{
	const struct conf_line *l;

	if (s->view != VIEW_INTERFACE)
		return NULL;
	l = conf_line(c, VIEW_INTERFACE, s->name, "remote-backup-profile");
	return l ? l->text + strlen("remote-backup-profile ") : NULL;
}

/* The profile each interface names exists. */
static int check_if_profiles(const struct build *b, const struct conf *c,
			     struct conf_section **secs, int ns)
{
	int bad = 0;

	for (int i = 0; i < ns; i++) {
		const char *name = if_profile(c, secs[i]);

		if (name == NULL || strmap_get(b->rbps, name) != NULL)
			continue;
		errlist_add(b->errs, "interface %s: remote-backup-profile %s: no such profile",
			    secs[i]->name, name);
		bad = 1;
	}
	return bad;
}

/* ---- cross-references: what one object takes from another ------------ */

/*
 * Run once every check passed: each fills in part of a section from
 * another object of the build and adds no error. Those that allocate
 * return 0 or -ENOMEM.
 */

/* A group's recover-delay is its interface's; a group that follows an
 * admin-vrrp group names it in its section. */
static void fill_groups(struct build *b)
{
	for (size_t i = 0; i < b->vrrp.n_groups; i++) {
		struct grp *g = (struct grp *)b->vrrp.groups[i];
		const uint32_t *d = strmap_get(b->recover, g->g.ifname);

		g->g.recover_delay_s = d ? *d : 0;
		if (g->track_if[0]) {
			g->g.track_ifname = g->track_if;
			g->g.track_vrid = g->track_vrid;
		}
	}
}

/* A bound group's preemption waits for its profile's backup, once there
 * is a service to back up through. */
static void fill_preempt_waits(struct build *b)
{
	for (size_t i = 0; i < b->rbpd.n_profiles; i++) {
		const Db__RbpConfig *p = b->rbpd.profiles[i];

		for (size_t j = 0; j < p->n_bindings; j++) {
			struct grp *gr = bound_group(b, p->bindings[j]);

			if (gr && p->backup_id && p->service)
				gr->g.preempt_wait_max_s = p->preempt_wait_max_s;
		}
	}
}

/* A service's summary of the profiles that use it; the RBS may not exist
 * yet (legal: the binding becomes active when it appears). */
static int fill_summaries(struct build *b)
{
	for (size_t i = 0; i < b->rbpd.n_profiles; i++) {
		Db__RbpConfig *p = b->rbpd.profiles[i];
		Db__RbsConfig *s;
		Db__RbpSummary *sum, **arr;

		if (p->service == NULL || (s = strmap_get(b->rbss, p->service)) == NULL)
			continue;
		sum = pool_alloc(&b->pl, sizeof(*sum));
		arr = pool_alloc(&b->pl, (s->n_profiles + 1) * sizeof(*arr));
		if (sum == NULL || arr == NULL)
			return -ENOMEM;
		db__rbp_summary__init(sum);
		sum->name = p->name;
		sum->backup_id = p->backup_id;
		sum->n_bindings = p->n_bindings;
		sum->bindings = p->bindings;
		if (s->n_profiles)
			memcpy(arr, s->profiles, s->n_profiles * sizeof(*arr));
		arr[s->n_profiles] = sum;
		s->profiles = arr;
		s->n_profiles++;
	}
	return 0;
}

/* A service's section carries the SSL policy it binds. */
static void fill_ssl(struct build *b)
{
	for (size_t i = 0; i < b->rbsd.n_services; i++) {
		Db__RbsConfig *s = b->rbsd.services[i];
		const char *pname = strmap_get(b->rbs_ssl, s->name);

		if (pname)
			s->ssl = strmap_get(b->ssls, pname);
	}
}

/* A profile's section lists the interfaces that name it. */
static int fill_if_profiles(struct build *b, const struct conf *c, struct conf_section **secs,
			    int ns)
{
	for (int i = 0; i < ns; i++) {
		const char *name = if_profile(c, secs[i]);
		Db__RbpConfig *p = name ? strmap_get(b->rbps, name) : NULL;
		char **arr;

		if (p == NULL)
			continue;
		arr = pool_alloc(&b->pl, (p->n_interfaces + 1) * sizeof(char *));
		if (arr == NULL)
			return -ENOMEM;
		if (p->n_interfaces)
			memcpy(arr, p->interfaces, p->n_interfaces * sizeof(char *));
		arr[p->n_interfaces] = pool_strdup(&b->pl, secs[i]->name);
		p->interfaces = arr;
		p->n_interfaces++;
	}
	return 0;
}

int cfg_compile_refs(struct build *b, const struct conf *c)
{
	struct conf_section **secs;
	int ns, bad = 0, rc;

	ns = conf_sections(c, &secs);
	if (ns < 0)
		return ns;
	bad |= check_groups(b);
	bad |= check_profiles(b);
	bad |= check_services(b);
	bad |= check_if_profiles(b, c, secs, ns);
	if (bad) {
		free(secs);
		return -EINVAL;
	}
	fill_groups(b);
	fill_preempt_waits(b);
	fill_ssl(b);
	rc = fill_summaries(b);
	if (rc == 0)
		rc = fill_if_profiles(b, c, secs, ns);
	free(secs);
	return rc;
}

int cfg_compile_check_rbs_bfd(const struct build *b)
{
	for (size_t i = 0; i < b->rbsd.n_services; i++) {
		const char *t = b->rbsd.services[i]->track_bfd;
		bool found = false;

		for (size_t k = 0; t && t[0] && k < b->vrrp.n_bfd_sessions && !found; k++)
			found = strcmp(b->vrrp.bfd_sessions[k]->name, t) == 0;
		if (t && t[0] && !found)
			return errlist_add(b->errs,
					   "remote-backup-service %s tracks bfd-session %s, which "
					   "is not configured",
					   b->rbsd.services[i]->name, t)
				   ?: -EINVAL;
	}
	return 0;
}
