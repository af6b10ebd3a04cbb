#include "cfgd/compile.h"
#include "cfgd/compile_bfd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bus.h"
#include "common/strmap.h"
#include "config.pb-c.h"

/* VRP's defaults where the configuration is silent. */
#define DEF_PRIORITY 100
#define DEF_ADVERT_MS 1000
#define DEF_VERSION 2
/* peer-backup preempt-wait max: time enough for a batch of a million
 * users on our measured rates, short of the spec's 600 s preempt delay */
#define DEF_PREEMPT_WAIT_S 300

/* Everything allocated while building, freed in one go after packing. */
struct pool {
	void **p;
	size_t n, cap;
	int oom;
};

static void *palloc(struct pool *pl, size_t size)
{
	void *m;

	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 64;
		void **p = realloc(pl->p, cap * sizeof(*p));

		if (p == NULL) {
			pl->oom = 1;
			return NULL;
		}
		pl->p = p;
		pl->cap = cap;
	}
	m = calloc(1, size ? size : 1);
	if (m == NULL) {
		pl->oom = 1;
		return NULL;
	}
	pl->p[pl->n++] = m;
	return m;
}

static char *pstrdup(struct pool *pl, const char *s)
{
	char *d = palloc(pl, strlen(s) + 1);

	if (d)
		strcpy(d, s);
	return d;
}

/* Append a copy of s to a repeated string field (the array is pooled). */
static int push_str(struct pool *pl, char ***arr, size_t *n, const char *s)
{
	char **a = palloc(pl, (*n + 1) * sizeof(char *));

	if (a == NULL)
		return -ENOMEM;
	if (*n)
		memcpy(a, *arr, *n * sizeof(char *));
	a[*n] = pstrdup(pl, s);
	if (a[*n] == NULL)
		return -ENOMEM;
	*arr = a;
	(*n)++;
	return 0;
}

/* Append to a protobuf repeated field of pointers. */
static int push_ptr(struct pool *pl, void ***arr, size_t *n, size_t *cap, void *v)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		void **a = palloc(pl, nc * sizeof(void *));

		if (a == NULL)
			return -ENOMEM;
		if (*n)
			memcpy(a, *arr, *n * sizeof(void *));
		*arr = a;
		*cap = nc;
	}
	(*arr)[(*n)++] = v;
	return 0;
}

static void pool_free(struct pool *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		free(pl->p[i]);
	free(pl->p);
}

/* A group under construction, with its capacities. */
struct grp {
	Db__VrrpGroupConfig g;
	size_t vip_cap, track_bfd_cap, track_if_cap;
	char track_if[64];
	unsigned track_vrid;
	int has_vip;
	int is_v6;
	char *owner; /* "IFNAME vrrp|vrrp6 vrid N": who holds its virtual IPs */
};

struct build {
	struct pool pl;
	struct errlist *errs;
	Db__VrrpdConfig vrrp;
	size_t groups_cap;
	struct strmap *groups; /* "ifname vrid" -> struct grp */
	struct grp *last;      /* the group of the last line: a group's lines come together */
	struct strmap *vips;   /* address -> "ifname vrid" owner */
	Db__RbsdConfig rbsd;
	size_t rbs_cap, batch_cap;
	Db__RbpdConfig rbpd;
	size_t rbp_cap;
	struct strmap *rbps;	   /* name -> Db__RbpConfig */
	struct strmap *rbss;	   /* name -> Db__RbsConfig */
	struct strmap *ssls;	   /* name -> Db__SslPolicyConfig */
	struct strmap *backup_ids; /* "N" -> rbp name */
	struct strmap *rbs_ssl;	   /* RBS name -> name of its bound policy */
	struct strmap *recover;	   /* interface -> its vrrp recover-delay (uint32_t *) */
};

/*
 * Stored lines parsed once: every commit compiles the whole configuration,
 * and parsing its canonical lines again through the grammar was most of a
 * one-line commit's cost on a large configuration. A stored line is
 * canonical, so its parse depends on its view and text alone. Each entry
 * carries the number of the last compile that used it; once the cache
 * holds more than twice the lines of the last compile (and 1,024), the
 * entries that compile did not use go.
 */
struct parsed_arg {
	const char *name; /* the grammar's own, static */
	long num;
	char *str;
};

/* What compiling reads of a line: the compile's handlers read the cached
 * parse itself, nothing is copied. */
struct parsed {
	enum gram_id id;
	char *canon;
	int nargs;
	unsigned long used; /* the compile that last used it (parsed_gen) */
	struct parsed_arg a[GRAM_MAX_ARGS];
};

/* A line's argument by its grammar name; absent, number 0 and text "". */
static const struct parsed_arg *arg(const struct parsed *r, const char *name)
{
	static const struct parsed_arg none = {NULL, 0, (char *)""};

	for (int i = 0; i < r->nargs; i++)
		if (strcmp(r->a[i].name, name) == 0)
			return &r->a[i];
	return &none;
}

/* The same, of a line the grammar just parsed. */
static const struct gram_arg *garg(const struct gram_result *r, const char *name)
{
	static const struct gram_arg none = {0};
	const struct gram_arg *a = gram_arg(r, name);

	return a ? a : &none;
}

/* The key of a group in b->groups: vrrp and vrrp6 groups of one VRID are
 * two groups (VRP keeps them apart, and they run separate protocols). */
static void group_id(char *id, size_t len, const char *ifname, unsigned vrid, int v6)
{
	/* without printf: a compile names a group at each of its lines */
	char digits[12];
	size_t n = strnlen(ifname, len - 20), nd = 0;

	memcpy(id, ifname, n);
	id[n++] = ' ';
	do
		digits[nd++] = (char)('0' + vrid % 10);
	while ((vrid /= 10) != 0);
	while (nd > 0)
		id[n++] = digits[--nd];
	if (v6) {
		memcpy(id + n, " v6", 3);
		n += 3;
	}
	id[n] = '\0';
}

static struct grp *group(struct build *b, const char *ifname, unsigned vrid, int v6)
{
	char id[64];
	struct grp *g = b->last;

	if (g && g->g.vrid == vrid && g->is_v6 == v6 && strcmp(g->g.ifname, ifname) == 0)
		return g;
	group_id(id, sizeof(id), ifname, vrid, v6);
	g = strmap_get(b->groups, id);
	if (g)
		return b->last = g;
	g = palloc(&b->pl, sizeof(*g));
	if (g == NULL)
		return NULL;
	db__vrrp_group_config__init(&g->g);
	g->g.ifname = pstrdup(&b->pl, ifname);
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
		g->owner = pstrdup(&b->pl, owner);
	}
	if (g->g.ifname == NULL || g->owner == NULL || strmap_put(b->groups, id, g) < 0 ||
	    push_ptr(&b->pl, (void ***)&b->vrrp.groups, &b->vrrp.n_groups, &b->groups_cap, g) < 0)
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
	return push_ptr(&b->pl, (void ***)&g->g.virtual_ips, &g->g.n_virtual_ips, &g->vip_cap,
			pstrdup(&b->pl, addr));
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
	Db__TrackBfd *t = palloc(&b->pl, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	db__track_bfd__init(t);
	t->session = pstrdup(&b->pl, arg(r, "session-name")->str);
	t->session_id = (uint32_t)arg(r, "session-id")->num;
	/* "... session-name NAME peer" (eight words) or "... bfd-session
	 * ID peer" (seven): peer last (a session may be called peer) */
	t->peer = word_count(r->canon) == (t->session_id ? 7 : 8) &&
		  strcmp(strrchr(r->canon, ' ') + 1, "peer") == 0;
	t->increased = (uint32_t)arg(r, "value-increased")->num;
	t->reduced = (uint32_t)arg(r, "value-reduced")->num;
	if (!t->peer && !t->increased && !t->reduced)
		t->reduced = 10; /* VRP's default */
	return push_ptr(&b->pl, (void ***)&g->g.track_bfd, &g->g.n_track_bfd, &g->track_bfd_cap, t);
}

/* vrrp … track interface: the group's priority follows an interface's link. */
static int add_track_if(struct build *b, struct grp *g, const struct parsed *r)
{
	Db__TrackInterface *t = palloc(&b->pl, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	db__track_interface__init(t);
	t->ifname = pstrdup(&b->pl, arg(r, "tracked-interface")->str);
	t->increased = (uint32_t)arg(r, "value-increased")->num;
	t->reduced = (uint32_t)arg(r, "value-reduced")->num;
	if (!t->increased && !t->reduced)
		t->reduced = 10; /* VRP's default */
	return push_ptr(&b->pl, (void ***)&g->g.track_interface, &g->g.n_track_interface,
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
		uint32_t *d = palloc(&b->pl, sizeof(*d));

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
	p = palloc(&b->pl, sizeof(*p));
	if (p == NULL)
		return NULL;
	db__rbp_config__init(p);
	p->name = pstrdup(&b->pl, name);
	p->preempt_wait_max_s = DEF_PREEMPT_WAIT_S;
	if (strmap_put(b->rbps, name, p) < 0 ||
	    push_ptr(&b->pl, (void ***)&b->rbpd.profiles, &b->rbpd.n_profiles, &b->rbp_cap, p) < 0)
		return NULL;
	return p;
}

static int rbp_line(struct build *b, Db__RbpConfig *p, const struct parsed *r)
{
	switch (r->id) {
	case G_PEER_BACKUP:
		p->backup_mode = pstrdup(&b->pl, arg(r, "mode")->str);
		break;
	case G_PREEMPT_WAIT:
		p->preempt_wait_max_s = (uint32_t)arg(r, "seconds")->num;
		break;
	case G_BACKUP_ID: {
		char id[16];
		const char *other;

		p->backup_id = (uint32_t)arg(r, "backup-id")->num;
		p->service = pstrdup(&b->pl, arg(r, "service-name")->str);
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
		Db__RbpBinding *bd = palloc(&b->pl, sizeof(*bd));
		size_t cap = p->n_bindings; /* arrays here are exact-size */
		Db__RbpBinding **arr;

		if (bd == NULL)
			return -ENOMEM;
		db__rbp_binding__init(bd);
		bd->vrid = (uint32_t)arg(r, "vrid")->num;
		bd->ifname = pstrdup(&b->pl, arg(r, "interface-name")->str);
		bd->odd_mac = strcmp(arg(r, "parity")->str, "odd-mac") == 0;
		arr = palloc(&b->pl, (cap + 1) * sizeof(*arr));
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
	s = palloc(&b->pl, sizeof(*s));
	if (s == NULL)
		return NULL;
	db__rbs_config__init(s);
	s->name = pstrdup(&b->pl, name);
	if (strmap_put(b->rbss, name, s) < 0 ||
	    push_ptr(&b->pl, (void ***)&b->rbsd.services, &b->rbsd.n_services, &b->rbs_cap, s) < 0)
		return NULL;
	return s;
}

static Db__SslPolicyConfig *ssl(struct build *b, const char *name)
{
	Db__SslPolicyConfig *s = strmap_get(b->ssls, name);

	if (s)
		return s;
	s = palloc(&b->pl, sizeof(*s));
	if (s == NULL)
		return NULL;
	db__ssl_policy_config__init(s);
	s->name = pstrdup(&b->pl, name);
	if (strmap_put(b->ssls, name, s) < 0)
		return NULL;
	return s;
}

static struct strmap *parsed;
static unsigned long parsed_gen, parsed_hits;

static void parsed_free(struct parsed *p)
{
	for (int i = 0; i < p->nargs; i++)
		free(p->a[i].str);
	free(p->canon);
	free(p);
}

/* strmap_del_if() of the cache: what the last compile did not use. */
static bool parsed_stale(const char *k, void *v, void *arg)
{
	struct parsed *p = v;

	(void)k;
	(void)arg;
	if (p->used == parsed_gen)
		return false;
	parsed_free(p);
	return true;
}

/* The end of one compile: drop the entries it did not use, when they are
 * many. */
static void parsed_turn(void)
{
	size_t n = parsed ? strmap_count(parsed) : 0;

	if (n > 1024 && n > 2 * parsed_hits)
		strmap_del_if(parsed, parsed_stale, NULL);
	parsed_gen++;
	parsed_hits = 0;
}

static struct parsed *parsed_keep(const struct gram_result *r)
{
	struct parsed *p = calloc(1, sizeof(*p));

	if (p == NULL || (p->canon = strdup(r->canon)) == NULL) {
		free(p);
		return NULL;
	}
	p->id = r->id;
	for (int i = 0; i < r->nargs && i < GRAM_MAX_ARGS; i++) {
		p->a[i].name = r->args[i].name;
		p->a[i].num = r->args[i].num;
		p->a[i].str = strdup(r->args[i].str);
		p->nargs = i + 1;
		if (p->a[i].str == NULL) {
			parsed_free(p);
			return NULL;
		}
	}
	return p;
}

/* src into dst of size len, cut to fit: the copies of a cache hit,
 * thousands per compile, without printf. */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The parse of a stored line, through the cache: valid until the end of
 * this compile (parsed_turn()). NULL when the line does not parse (*rc
 * is gram_parse()'s result) or memory ran out (*rc -ENOMEM). */
static const struct parsed *stored_parse(enum gram_view view, const char *text, int *rc)
{
	char key[GRAM_LINE_MAX + 16];
	struct gram_result r;
	struct parsed *p;

	/* "VIEW TEXT": the view is a small number (enum gram_view) */
	_Static_assert(VIEW__COUNT <= 100, "a view is two digits at most");
	key[0] = (char)('0' + (int)view / 10);
	key[1] = (char)('0' + (int)view % 10);
	key[2] = ' ';
	copy_str(key + 3, sizeof(key) - 3, text);
	*rc = -ENOMEM;
	if (parsed == NULL && (parsed = strmap_new()) == NULL)
		return NULL;
	p = strmap_get(parsed, key);
	if (p == NULL) {
		*rc = gram_parse(view, text, &r);
		if (*rc != 0)
			return NULL;
		*rc = -ENOMEM;
		if ((p = parsed_keep(&r)) == NULL)
			return NULL;
		if (strmap_put(parsed, key, p) < 0) {
			parsed_free(p);
			return NULL;
		}
		p->used = parsed_gen;
		parsed_hits++;
		return p;
	}
	if (p->used != parsed_gen) {
		p->used = parsed_gen;
		parsed_hits++;
	}
	return p;
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
		b->vrrp.notify_script = pstrdup(&b->pl, arg(r, "script")->str);
	else if (r->id == G_VRRP_GARP) {
		b->vrrp.garp_count = (uint32_t)arg(r, "count")->num;
		b->vrrp.garp_interval_ms = (uint32_t)arg(r, "interval-ms")->num;
	}
}

static int rbs_line(struct build *b, Db__RbsConfig *sv, const struct parsed *r)
{
	if (r->id == G_PEER) {
		sv->peer = pstrdup(&b->pl, arg(r, "peer-ip-address")->str);
		sv->source = pstrdup(&b->pl, arg(r, "source-ip-address")->str);
		sv->port = (uint32_t)arg(r, "port-id")->num;
	} else if (r->id == G_BIND_SSL) {
		/* resolved after every policy is known */
		char *pn = pstrdup(&b->pl, arg(r, "ssl-policy-name")->str);

		if (pn == NULL || strmap_put(b->rbs_ssl, sv->name, pn) < 0)
			return -ENOMEM;
	} else if (r->id == G_RBS_TRACK_BFD) {
		sv->track_bfd = pstrdup(&b->pl, arg(r, "session-name")->str);
	} else if (r->id == G_PEER_CERT) {
		return push_str(&b->pl, &sv->peer_cert_sha256, &sv->n_peer_cert_sha256,
				arg(r, "fingerprint")->str);
	}
	return 0;
}

static int ssl_line(struct build *b, Db__SslPolicyConfig *p, const struct parsed *r)
{
	if (r->id == G_SSL_CERT) {
		p->cert_file = pstrdup(&b->pl, arg(r, "cert-file")->str);
		p->key_type = pstrdup(&b->pl, arg(r, "key-type")->str);
		p->key_file = pstrdup(&b->pl, arg(r, "key-file")->str);
	} else if (r->id == G_SSL_CA) {
		return push_str(&b->pl, &p->ca_files, &p->n_ca_files, arg(r, "ca-file")->str);
	} else if (r->id == G_SSL_CRL) {
		return push_str(&b->pl, &p->crl_files, &p->n_crl_files, arg(r, "crl-file")->str);
	}
	return 0;
}

/* One section's lines into the build, each parsed once (stored_parse()).
 * Returns 0, -EINVAL (its error in b->errs) or -ENOMEM. */
static int section(struct build *b, const struct conf_section *s)
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
		const struct parsed *r = stored_parse(s->view, lines[i]->text, &prc);

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

/* ---- cross-references: the checks ------------------------------------- */

/*
 * Each check reads the build (const) and appends one error per problem it
 * finds to b->errs; it returns 1 when it found one, else 0. Their order in
 * refs() is the order of the errors a commit shows.
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
	group_id(id, sizeof(id), g->track_if, g->track_vrid, g->is_v6);
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

	group_id(id, sizeof(id), bd->ifname, bd->vrid, 0);
	if (strmap_get(b->groups, id) == NULL)
		group_id(id, sizeof(id), bd->ifname, bd->vrid, 1);
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
 * needs, and its peer and source are of one family; a pinned peer
 * certificate needs a bound policy. */
static int check_service(const struct build *b, const Db__RbsConfig *s)
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
	if (s->peer && s->source) {
		int v6p = strchr(s->peer, ':') != NULL, v6s = strchr(s->source, ':') != NULL;

		if (v6p != v6s) {
			errlist_add(b->errs,
				    "remote-backup-service %s: peer %s and source %s are not of "
				    "the same address family",
				    s->name, s->peer, s->source);
			bad = 1;
		}
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
		sum = palloc(&b->pl, sizeof(*sum));
		arr = palloc(&b->pl, (s->n_profiles + 1) * sizeof(*arr));
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
		arr = palloc(&b->pl, (p->n_interfaces + 1) * sizeof(char *));
		if (arr == NULL)
			return -ENOMEM;
		if (p->n_interfaces)
			memcpy(arr, p->interfaces, p->n_interfaces * sizeof(char *));
		arr[p->n_interfaces] = pstrdup(&b->pl, secs[i]->name);
		p->interfaces = arr;
		p->n_interfaces++;
	}
	return 0;
}

/* Cross-references that need the whole configuration: every check, then,
 * if they all passed, the fills. Returns 0, -EINVAL (the errors in
 * b->errs) or -ENOMEM. */
static int refs(struct build *b, const struct conf *c)
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

/* A service tracks a BFD session that is configured (read after
 * cfg_compile_bfd() filled in the sessions). Stops at the first that
 * does not: returns 0, -EINVAL (its error in b->errs) or -ENOMEM. */
static int check_rbs_bfd(const struct build *b)
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

static int add_actions(struct build *b, const struct candidate *cd)
{
	for (size_t i = 0; cd && i < cd->n; i++) {
		const struct cand_op *op = &cd->ops[i];
		Db__BatchBackup *bb;
		struct gram_result r;

		if (op->type != OP_ACTION || op->id != G_BATCH_BACKUP)
			continue;
		if (gram_parse(VIEW_RBS, op->text, &r) != 0)
			continue;
		if (strmap_get(b->rbss, op->name) == NULL) {
			errlist_add(
			    b->errs,
			    "remote-backup-service %s: batch-backup: the service does not exist",
			    op->name);
			return -EINVAL;
		}
		bb = palloc(&b->pl, sizeof(*bb));
		if (bb == NULL)
			return -ENOMEM;
		db__batch_backup__init(bb);
		bb->service = pstrdup(&b->pl, op->name);
		bb->service_type = pstrdup(&b->pl, garg(&r, "service-type")->str);
		if (push_ptr(&b->pl, (void ***)&b->rbsd.batch, &b->rbsd.n_batch, &b->batch_cap,
			     bb) < 0)
			return -ENOMEM;
	}
	return 0;
}

uint64_t cfg_compiled_digest(struct compiled *c, enum cfg_daemon d)
{
	if (c->digest[d] == 0)
		c->digest[d] = bus_digest(c->sec[d], c->len[d]);
	return c->digest[d];
}

static int pack(struct compiled *out, enum cfg_daemon d, const ProtobufCMessage *m)
{
	out->digest[d] = 0;
	out->len[d] = protobuf_c_message_get_packed_size(m);
	out->sec[d] = malloc(out->len[d] ? out->len[d] : 1);
	if (out->sec[d] == NULL)
		return -ENOMEM;
	protobuf_c_message_pack(m, out->sec[d]);
	return 0;
}

int cfg_compile_warnings(const struct compiled *out, struct errlist *warns)
{
	Db__RbsdConfig *r;
	int n = 0;

	if (out->sec[D_RBSD] == NULL)
		return 0;
	r = db__rbsd_config__unpack(NULL, out->len[D_RBSD], out->sec[D_RBSD]);
	if (r == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_services; i++) {
		if (r->services[i]->ssl)
			continue;
		/* The spec's words (the note to "bind ssl-policy"). */
		if (errlist_add(warns,
				"Warning: remote-backup-service %s has no SSL policy bound: its "
				"channel is clear text and the peer is not authenticated. If no "
				"SSL policy is bound to the RBS, data may be leaked or tampered "
				"with. You are advised to bind an SSL policy to the RBS to enhance "
				"RBS security.",
				r->services[i]->name) < 0) {
			n = -ENOMEM;
			break;
		}
		n++;
	}
	db__rbsd_config__free_unpacked(r, NULL);
	return n;
}

int cfg_compile(const struct conf *c, const struct candidate *cd, struct compiled *out,
		struct errlist *errs)
{
	struct conf_section **secs;
	struct build b;
	int ns, rc = 0;

	memset(out, 0, sizeof(*out));
	memset(&b, 0, sizeof(b));
	b.errs = errs;
	db__vrrpd_config__init(&b.vrrp);
	db__rbsd_config__init(&b.rbsd);
	db__rbpd_config__init(&b.rbpd);
	b.vrrp.version = DEF_VERSION;
	b.groups = strmap_new();
	b.vips = strmap_new();
	b.rbps = strmap_new();
	b.rbss = strmap_new();
	b.ssls = strmap_new();
	b.backup_ids = strmap_new();
	b.rbs_ssl = strmap_new();
	b.recover = strmap_new();
	if (!b.groups || !b.vips || !b.rbps || !b.rbss || !b.ssls || !b.backup_ids || !b.rbs_ssl ||
	    !b.recover) {
		rc = -ENOMEM;
		goto out;
	}
	ns = conf_sections(c, &secs);
	if (ns < 0) {
		rc = ns;
		goto out;
	}
	for (int i = 0; i < ns; i++) {
		int r = section(&b, secs[i]);

		if (r == -ENOMEM) {
			rc = r;
			break;
		}
		if (r < 0)
			rc = r;
	}
	free(secs);
	if (rc == 0)
		rc = refs(&b, c);
	if (rc == 0)
		rc = cfg_compile_bfd(c, &b.vrrp, errs);
	if (rc == 0)
		rc = check_rbs_bfd(&b);
	if (rc == 0)
		rc = add_actions(&b, cd);
	if (rc == 0 && b.pl.oom)
		rc = -ENOMEM;
	if (rc == 0)
		rc = pack(out, D_VRRPD, &b.vrrp.base);
	if (rc == 0)
		rc = pack(out, D_RBSD, &b.rbsd.base);
	if (rc == 0)
		rc = pack(out, D_RBPD, &b.rbpd.base);
	if (rc < 0)
		cfg_compiled_free(out);
	cfg_compile_bfd_free(&b.vrrp);
out:
	parsed_turn();
	strmap_free(b.groups);
	strmap_free(b.vips);
	strmap_free(b.rbps);
	strmap_free(b.rbss);
	strmap_free(b.ssls);
	strmap_free(b.backup_ids);
	strmap_free(b.rbs_ssl);
	strmap_free(b.recover);
	pool_free(&b.pl);
	return rc;
}

static void parsed_free_cb(const char *k, void *v, void *arg)
{
	(void)k;
	(void)arg;
	parsed_free(v);
}

size_t cfg_compile_cache_size(void)
{
	return parsed ? strmap_count(parsed) : 0;
}

void cfg_compile_cache_free(void)
{
	if (parsed == NULL)
		return;
	strmap_each(parsed, parsed_free_cb, NULL);
	strmap_free(parsed);
	parsed = NULL;
}

void cfg_compiled_free(struct compiled *out)
{
	for (int i = 0; i < D__COUNT; i++) {
		free(out->sec[i]);
		out->sec[i] = NULL;
		out->len[i] = 0;
	}
}

const char *cfg_sysname(const struct conf *c)
{
	struct conf_line *l = conf_line(c, VIEW_SYSTEM, "", "sysname");

	return l ? l->text + strlen("sysname ") : "dualbackup";
}
