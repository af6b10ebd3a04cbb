/* From the configuration to the daemons' sections (compile.h): a compile
 * from start to end; its parts are named in compile_int.h. */
#include "cfgd/compile.h"
#include "cfgd/compile_bfd.h"
#include "cfgd/compile_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/bus.h"
#include "common/strmap.h"

/* ---- the pool -------------------------------------------------------- */

void *pool_alloc(struct pool *pl, size_t size)
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

char *pool_strdup(struct pool *pl, const char *s)
{
	char *d = pool_alloc(pl, strlen(s) + 1);

	if (d)
		strcpy(d, s);
	return d;
}

int pool_push_str(struct pool *pl, char ***arr, size_t *n, const char *s)
{
	char **a = pool_alloc(pl, (*n + 1) * sizeof(char *));

	if (a == NULL)
		return -ENOMEM;
	if (*n)
		memcpy(a, *arr, *n * sizeof(char *));
	a[*n] = pool_strdup(pl, s);
	if (a[*n] == NULL)
		return -ENOMEM;
	*arr = a;
	(*n)++;
	return 0;
}

int pool_push_ptr(struct pool *pl, void ***arr, size_t *n, size_t *cap, void *v)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		void **a = pool_alloc(pl, nc * sizeof(void *));

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

void pool_free(struct pool *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		free(pl->p[i]);
	free(pl->p);
}

/* ---- the compile ----------------------------------------------------- */

/* A line's argument by its grammar name, of a line the grammar just
 * parsed; absent, number 0 and text "". */
static const struct gram_arg *garg(const struct gram_result *r, const char *name)
{
	static const struct gram_arg none = {0};
	const struct gram_arg *a = gram_arg(r, name);

	return a ? a : &none;
}

/* The commit's one-shot actions (batch-backup … now) into rbsd's section.
 * An action on a service that does not exist refuses the commit (the
 * first such action names it): returns 0, -EINVAL or -ENOMEM. */
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
		bb = pool_alloc(&b->pl, sizeof(*bb));
		if (bb == NULL)
			return -ENOMEM;
		db__batch_backup__init(bb);
		bb->service = pool_strdup(&b->pl, op->name);
		bb->service_type = pool_strdup(&b->pl, garg(&r, "service-type")->str);
		if (pool_push_ptr(&b->pl, (void ***)&b->rbsd.batch, &b->rbsd.n_batch, &b->batch_cap,
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

int cfg_compiled_rbsd(const struct compiled *out, Db__RbsdConfig **r)
{
	*r = NULL;
	if (out->sec[D_RBSD] == NULL)
		return 0;
	*r = db__rbsd_config__unpack(NULL, out->len[D_RBSD], out->sec[D_RBSD]);
	return *r ? 0 : -ENOMEM;
}

int cfg_compile_warnings(const struct compiled *out, struct errlist *warns)
{
	Db__RbsdConfig *r;
	int n;

	n = cfg_compiled_rbsd(out, &r);
	if (n < 0 || r == NULL)
		return n;
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

/* A build with nothing in it yet: sections with VRP's defaults, empty
 * indexes. Returns 0 or -ENOMEM; build_free() releases it either way. */
static int build_init(struct build *b, struct errlist *errs)
{
	memset(b, 0, sizeof(*b));
	b->errs = errs;
	db__vrrpd_config__init(&b->vrrp);
	db__rbsd_config__init(&b->rbsd);
	db__rbpd_config__init(&b->rbpd);
	b->vrrp.version = DEF_VERSION;
	b->groups = strmap_new();
	b->vips = strmap_new();
	b->rbps = strmap_new();
	b->rbss = strmap_new();
	b->ssls = strmap_new();
	b->backup_ids = strmap_new();
	b->rbs_ssl = strmap_new();
	b->recover = strmap_new();
	if (!b->groups || !b->vips || !b->rbps || !b->rbss || !b->ssls || !b->backup_ids ||
	    !b->rbs_ssl || !b->recover)
		return -ENOMEM;
	return 0;
}

static void build_free(struct build *b)
{
	cfg_compile_bfd_free(&b->vrrp);
	strmap_free(b->groups);
	strmap_free(b->vips);
	strmap_free(b->rbps);
	strmap_free(b->rbss);
	strmap_free(b->ssls);
	strmap_free(b->backup_ids);
	strmap_free(b->rbs_ssl);
	strmap_free(b->recover);
	pool_free(&b->pl);
}

/* Every section of c into the build, in display order. A section with an
 * error does not stop the others (each adds its own), running out of
 * memory does. Returns 0, -EINVAL or -ENOMEM. */
static int sections(struct build *b, const struct conf *c)
{
	struct conf_section **secs;
	int ns = conf_sections(c, &secs), rc = 0;

	if (ns < 0)
		return ns;
	for (int i = 0; i < ns; i++) {
		int r = cfg_compile_section(b, secs[i]);

		if (r == -ENOMEM) {
			rc = r;
			break;
		}
		if (r < 0)
			rc = r;
	}
	free(secs);
	return rc;
}

int cfg_compile(const struct conf *c, const struct candidate *cd, struct compiled *out,
		struct errlist *errs)
{
	struct build b;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = build_init(&b, errs);
	if (rc == 0)
		rc = sections(&b, c);
	if (rc == 0)
		rc = cfg_compile_refs(&b, c);
	if (rc == 0)
		rc = cfg_compile_bfd(c, &b.vrrp, errs);
	if (rc == 0)
		rc = cfg_compile_check_rbs_bfd(&b);
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
	cfg_compile_cache_turn();
	build_free(&b);
	return rc;
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
