/* Each section of the configuration into the build (compile_int.h). */
#include "cfgd/compile_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/keyname.h"
#include "common/strmap.h"

/* A line's argument by its grammar name; absent, number 0 and text "". */
static const struct parsed_arg *arg(const struct parsed *r, const char *name)
{
	static const struct parsed_arg none = {NULL, 0, (char *)""};

	for (int i = 0; i < r->nargs; i++)
		if (strcmp(r->a[i].name, name) == 0)
			return &r->a[i];
	return &none;
}

void cfg_compile_group_id(char *id, size_t len, const char *ifname, unsigned vrid, int v6)
{
	char *end = keyname(id, len - 3, ifname, ' ', vrid);

	if (v6)
		memcpy(end, " v6", 4);
}

static struct grp *group(struct build *b, const char *ifname, unsigned vrid, int v6)
{
	char id[64];
	struct grp *g = b->last;

	if (g && g->g.vrid == vrid && g->is_v6 == v6 && strcmp(g->g.ifname, ifname) == 0)
		return g;
	cfg_compile_group_id(id, sizeof(id), ifname, vrid, v6);
	g = strmap_get(b->groups, id);
	if (g)
		return b->last = g;
	g = pool_alloc(&b->pl, sizeof(*g));
	if (g == NULL)
		return NULL;
	db__vrrp_group_config__init(&g->g);
	g->g.ifname = pool_strdup(&b->pl, ifname);
	g->g.vrid = vrid;
	g->g.priority = DEF_PRIORITY;
	g->g.preempt = 1;
	g->g.advert_interval_ms = DEF_ADVERT_MS;
	g->g.ipv6 = v6;
	g->is_v6 = v6;
	{
		char owner[64];

		snprintf(owner, sizeof(owner), "%s %s vrid %u", ifname, v6 ? "vrrp6" : "vrrp",
			 vrid);
		g->owner = pool_strdup(&b->pl, owner);
	}
	if (g->g.ifname == NULL || g->owner == NULL || strmap_put(b->groups, id, g) < 0)
		return NULL;
	if (pool_push_ptr(&b->pl, (void ***)&b->vrrp.groups, &b->vrrp.n_groups, &b->groups_cap, g))
		return NULL;
	return b->last = g;
}

static int add_vip(struct build *b, struct grp *g, const char *addr, int v6)
{
	const char *o = strmap_get(b->vips, addr);

	(void)v6; /* the group's own family (g->owner) */
	if (o && strcmp(o, g->owner) != 0)
		return errlist_add(b->errs,
				   "interface %s: vrrp vrid %u: virtual-ip %s is already used by "
				   "interface %s",
				   g->g.ifname, g->g.vrid, addr, o)
			   ?: -EINVAL;
	if (strmap_put(b->vips, addr, g->owner) < 0)
		return -ENOMEM;
	g->has_vip = 1;
	return pool_push_ptr(&b->pl, (void ***)&g->g.virtual_ips, &g->g.n_virtual_ips, &g->vip_cap,
			     pool_strdup(&b->pl, addr));
}

static int word_count(const char *s)
{
	int n = 0;

	for (const char *p = s; *p; p++)
		if (*p != ' ' && (p == s || p[-1] == ' '))
			n++;
	return n;
}

/* vrrp … track bfd-session: the group's priority follows a BFD session. */
static int add_track_bfd(struct build *b, struct grp *g, const struct parsed *r)
{
	Db__TrackBfd *t = pool_alloc(&b->pl, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	db__track_bfd__init(t);
	t->session = pool_strdup(&b->pl, arg(r, "session-name")->str);
	t->session_id = (uint32_t)arg(r, "session-id")->num;
	/* "... session-name NAME peer" (eight words) or "... bfd-session
	 * ID peer" (seven): peer last (a session may be called peer) */
	t->peer = word_count(r->canon) == (t->session_id ? 7 : 8) &&
		  strcmp(strrchr(r->canon, ' ') + 1, "peer") == 0;
	t->increased = (uint32_t)arg(r, "value-increased")->num;
	t->reduced = (uint32_t)arg(r, "value-reduced")->num;
	if (!t->peer && !t->increased && !t->reduced)
		t->reduced = 10; /* VRP's default */
	return pool_push_ptr(&b->pl, (void ***)&g->g.track_bfd, &g->g.n_track_bfd,
			     &g->track_bfd_cap, t);
}

/* vrrp … track interface: the group's priority follows an interface's link. */
static int add_track_if(struct build *b, struct grp *g, const struct parsed *r)
{
	Db__TrackInterface *t = pool_alloc(&b->pl, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	db__track_interface__init(t);
	t->ifname = pool_strdup(&b->pl, arg(r, "tracked-interface")->str);
	t->increased = (uint32_t)arg(r, "value-increased")->num;
	t->reduced = (uint32_t)arg(r, "value-reduced")->num;
	if (!t->increased && !t->reduced)
		t->reduced = 10; /* VRP's default */
	return pool_push_ptr(&b->pl, (void ***)&g->g.track_interface, &g->g.n_track_interface,
			     &g->track_if_cap, t);
}

static int interface_line(struct build *b, const char *ifname, const struct parsed *r)
{
	unsigned vrid = (unsigned)arg(r, "virtual-router-id")->num;
	const char *fam = arg(r, "family")->str;
	int v6 = r->id == G_VRRP6_VIP || (fam && strcmp(fam, "vrrp6") == 0);
	struct grp *g;

	if (r->id == G_IF_RBP)
		return 0; /* handled with the profiles */
	if (r->id == G_VRRP_RECOVER_DELAY) {
		uint32_t *d = pool_alloc(&b->pl, sizeof(*d));

		if (d == NULL)
			return -ENOMEM;
		*d = (uint32_t)arg(r, "delay-value")->num;
		return strmap_put(b->recover, ifname, d);
	}
	g = group(b, ifname, vrid, v6);
	if (g == NULL)
		return -ENOMEM;
	switch (r->id) {
	case G_VRRP_VIP:
		return add_vip(b, g, arg(r, "virtual-address")->str, 0);
	case G_VRRP6_VIP:
		return add_vip(b, g, arg(r, "virtual-address")->str, 1);
	case G_VRRP_PRIORITY:
		g->g.priority = (uint32_t)arg(r, "priority-value")->num;
		break;
	case G_VRRP_PREEMPT_DELAY:
		g->g.preempt = 1;
		g->g.preempt_delay_s = (uint32_t)arg(r, "delay-time")->num;
		break;
	case G_VRRP_PREEMPT_DISABLE:
		g->g.preempt = 0;
		break;
	case G_VRRP_ADVERTISE:
		g->g.advert_interval_ms = (uint32_t)arg(r, "adver-interval")->num * 1000;
		break;
	case G_VRRP_ADVERTISE_MS:
		g->g.advert_interval_ms = (uint32_t)arg(r, "adver-interval-ms")->num;
		break;
	case G_ADMIN_VRRP:
		g->g.admin = 1;
		g->g.ignore_if_down = strstr(r->canon, "ignore-if-down") != NULL;
		break;
	case G_VRRP_TRACK_ADMIN:
		snprintf(g->track_if, sizeof(g->track_if), "%s", arg(r, "interface-name")->str);
		g->track_vrid = (unsigned)arg(r, "admin-vrid")->num;
		break;
	case G_VRRP_VMAC:
		g->g.virtual_mac = 1;
		break;
	case G_VRRP_TRACK_BFD:
		return add_track_bfd(b, g, r);
	case G_VRRP_TRACK_IF:
		return add_track_if(b, g, r);
	case G_VRRP_CHECKSUM:
		g->g.csum_msg_only = strcmp(arg(r, "checksum")->str, "message-only") == 0;
		break;
	default:
		break;
	}
	return 0;
}

static Db__RbpConfig *rbp(struct build *b, const char *name)
{
	Db__RbpConfig *p = strmap_get(b->rbps, name);

	if (p)
		return p;
	p = pool_alloc(&b->pl, sizeof(*p));
	if (p == NULL)
		return NULL;
	db__rbp_config__init(p);
	p->name = pool_strdup(&b->pl, name);
	p->preempt_wait_max_s = DEF_PREEMPT_WAIT_S;
	if (strmap_put(b->rbps, name, p) < 0 ||
	    pool_push_ptr(&b->pl, (void ***)&b->rbpd.profiles, &b->rbpd.n_profiles, &b->rbp_cap,
			  p) < 0)
		return NULL;
	return p;
}

static int rbp_line(struct build *b, Db__RbpConfig *p, const struct parsed *r)
{
	switch (r->id) {
	case G_PEER_BACKUP:
		p->backup_mode = pool_strdup(&b->pl, arg(r, "mode")->str);
		break;
	case G_PREEMPT_WAIT:
		p->preempt_wait_max_s = (uint32_t)arg(r, "seconds")->num;
		break;
	case G_BACKUP_ID: {
		char id[16];
		const char *other;

		p->backup_id = (uint32_t)arg(r, "backup-id")->num;
		p->service = pool_strdup(&b->pl, arg(r, "service-name")->str);
		snprintf(id, sizeof(id), "%u", p->backup_id);
		other = strmap_get(b->backup_ids, id);
		if (other)
			return errlist_add(
				   b->errs,
				   "remote-backup-profile %s: backup-id %u is already used by "
				   "remote-backup-profile %s",
				   p->name, p->backup_id, other)
				   ?: -EINVAL;
		if (strmap_put(b->backup_ids, id, p->name) < 0)
			return -ENOMEM;
		break;
	}
	case G_VRRP_ID: {
		Db__RbpBinding *bd = pool_alloc(&b->pl, sizeof(*bd));
		size_t cap = p->n_bindings; /* arrays here are exact-size */
		Db__RbpBinding **arr;

		if (bd == NULL)
			return -ENOMEM;
		db__rbp_binding__init(bd);
		bd->vrid = (uint32_t)arg(r, "vrid")->num;
		bd->ifname = pool_strdup(&b->pl, arg(r, "interface-name")->str);
		bd->odd_mac = strcmp(arg(r, "parity")->str, "odd-mac") == 0;
		arr = pool_alloc(&b->pl, (cap + 1) * sizeof(*arr));
		if (arr == NULL)
			return -ENOMEM;
		if (cap)
			memcpy(arr, p->bindings, cap * sizeof(*arr));
		arr[cap] = bd;
		p->bindings = arr;
		p->n_bindings = cap + 1;
		break;
	}
	default:
		break;
	}
	return 0;
}

static Db__RbsConfig *rbs(struct build *b, const char *name)
{
	Db__RbsConfig *s = strmap_get(b->rbss, name);

	if (s)
		return s;
	s = pool_alloc(&b->pl, sizeof(*s));
	if (s == NULL)
		return NULL;
	db__rbs_config__init(s);
	s->name = pool_strdup(&b->pl, name);
	if (strmap_put(b->rbss, name, s) < 0 ||
	    pool_push_ptr(&b->pl, (void ***)&b->rbsd.services, &b->rbsd.n_services, &b->rbs_cap,
			  s) < 0)
		return NULL;
	return s;
}

static Db__SslPolicyConfig *ssl(struct build *b, const char *name)
{
	Db__SslPolicyConfig *s = strmap_get(b->ssls, name);

	if (s)
		return s;
	s = pool_alloc(&b->pl, sizeof(*s));
	if (s == NULL)
		return NULL;
	db__ssl_policy_config__init(s);
	s->name = pool_strdup(&b->pl, name);
	if (strmap_put(b->ssls, name, s) < 0)
		return NULL;
	return s;
}

/* A line of the system view: rbpd's limits, vrrpd's globals. */
static void system_line(struct build *b, const struct parsed *r)
{
	if (r->id == G_DOWNLOAD_DELAY)
		b->rbpd.download_delay_s = (uint32_t)arg(r, "delay-time")->num;
	else if (r->id == G_USER_LIMIT)
		b->rbpd.user_limit = (uint32_t)arg(r, "user-count")->num;
	else if (r->id == G_KERNEL_LIMIT)
		b->rbpd.kernel_limit = (uint32_t)arg(r, "entry-count")->num;
	else if (r->id == G_VRRP_VERSION)
		b->vrrp.version = arg(r, "version")->str[1] - '0';
	else if (r->id == G_VRRP_NOTIFY)
		b->vrrp.notify_script = pool_strdup(&b->pl, arg(r, "script")->str);
	else if (r->id == G_VRRP_GARP) {
		b->vrrp.garp_count = (uint32_t)arg(r, "count")->num;
		b->vrrp.garp_interval_ms = (uint32_t)arg(r, "interval-ms")->num;
	}
}

/* A line of a remote-backup-service section. */
static int rbs_line(struct build *b, Db__RbsConfig *sv, const struct parsed *r)
{
	if (r->id == G_PEER) {
		sv->peer = pool_strdup(&b->pl, arg(r, "peer-ip-address")->str);
		sv->source = pool_strdup(&b->pl, arg(r, "source-ip-address")->str);
		sv->port = (uint32_t)arg(r, "port-id")->num;
	} else if (r->id == G_BIND_SSL) {
		/* resolved after every policy is known */
		char *pn = pool_strdup(&b->pl, arg(r, "ssl-policy-name")->str);

		if (pn == NULL || strmap_put(b->rbs_ssl, sv->name, pn) < 0)
			return -ENOMEM;
	} else if (r->id == G_RBS_TRACK_BFD) {
		sv->track_bfd = pool_strdup(&b->pl, arg(r, "session-name")->str);
	} else if (r->id == G_PEER_CERT) {
		return pool_push_str(&b->pl, &sv->peer_cert_sha256, &sv->n_peer_cert_sha256,
				     arg(r, "fingerprint")->str);
	}
	return 0;
}

/* A line of an ssl policy section. */
static int ssl_line(struct build *b, Db__SslPolicyConfig *p, const struct parsed *r)
{
	if (r->id == G_SSL_CERT) {
		p->cert_file = pool_strdup(&b->pl, arg(r, "cert-file")->str);
		p->key_type = pool_strdup(&b->pl, arg(r, "key-type")->str);
		p->key_file = pool_strdup(&b->pl, arg(r, "key-file")->str);
	} else if (r->id == G_SSL_CA) {
		return pool_push_str(&b->pl, &p->ca_files, &p->n_ca_files, arg(r, "ca-file")->str);
	} else if (r->id == G_SSL_CRL) {
		return pool_push_str(&b->pl, &p->crl_files, &p->n_crl_files,
				     arg(r, "crl-file")->str);
	}
	return 0;
}

int cfg_compile_section(struct build *b, const struct conf_section *s)
{
	struct conf_line **lines;
	int n = conf_lines(s, &lines), rc = 0;
	void *obj = NULL;

	if (n < 0)
		return n;
	if (s->view == VIEW_BFD || s->view == VIEW_BFD_SESSION) {
		free(lines); /* compile_bfd.c's */
		return 0;
	}
	if (s->view == VIEW_RBP)
		obj = rbp(b, s->name);
	else if (s->view == VIEW_RBS)
		obj = rbs(b, s->name);
	else if (s->view == VIEW_SSL)
		obj = ssl(b, s->name);
	if (s->view != VIEW_SYSTEM && s->view != VIEW_INTERFACE && obj == NULL)
		rc = -ENOMEM;
	for (int i = 0; i < n && rc >= 0; i++) {
		int prc;
		/* Stored lines are canonical: they parse in their own view. */
		const struct parsed *r = cfg_compile_cache_parse(s->view, lines[i]->text, &prc);

		if (r == NULL && prc == -ENOMEM) {
			rc = prc;
			break;
		}
		if (r == NULL) {
			rc = errlist_add(b->errs, "%s: cannot parse stored line '%s'", s->name,
					 lines[i]->text)
				 ?: -EINVAL;
			break;
		}
		switch (s->view) {
		case VIEW_SYSTEM:
			system_line(b, r);
			break;
		case VIEW_INTERFACE:
			rc = interface_line(b, s->name, r);
			break;
		case VIEW_RBP:
			rc = rbp_line(b, obj, r);
			break;
		case VIEW_RBS:
			rc = rbs_line(b, obj, r);
			break;
		case VIEW_SSL:
			rc = ssl_line(b, obj, r);
			break;
		default:
			break;
		}
	}
	free(lines);
	return rc;
}
