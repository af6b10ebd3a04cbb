/* The configuration tree (conf_int.h): sections of keyed lines, shared
 * between copies until one changes them, their display order, and who
 * last touched each setting. */
#include "cfgd/conf.h"
#include "cfgd/conf_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

static void sec_id(char *buf, size_t len, enum gram_view view, const char *name)
{
	snprintf(buf, len, "%d:%s", (int)view, name);
}

struct conf *conf_new(void)
{
	struct conf *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->secs = strmap_new();
	c->touched = calloc(1, sizeof(*c->touched));
	if (c->touched)
		c->touched->m = strmap_new();
	if (c->secs == NULL || c->touched == NULL || c->touched->m == NULL) {
		strmap_free(c->secs);
		if (c->touched)
			strmap_free(c->touched->m);
		free(c->touched);
		free(c);
		return NULL;
	}
	c->touched->refs = 1;
	return c;
}

static void free_line(const char *k, void *v, void *arg)
{
	struct conf_line *l = v;

	(void)k;
	(void)arg;
	free(l->key);
	free(l->text);
	free(l);
}

/* The section's lines change: what was derived from them goes. */
static void changed(struct conf_section *s)
{
	free(s->sorted);
	s->sorted = NULL;
	s->nsorted = 0;
	free(s->rendered);
	s->rendered = NULL;
	s->rendered_len = 0;
}

/* Drops one configuration's hold on s; the last one frees it. */
static void free_section(struct conf_section *s)
{
	if (--s->refs > 0)
		return;
	changed(s);
	strmap_each(s->lines, free_line, NULL);
	strmap_free(s->lines);
	free(s->name);
	free(s);
}

static void free_section_cb(const char *k, void *v, void *arg)
{
	(void)k;
	(void)arg;
	free_section(v);
}

static void free_cb(const char *k, void *v, void *arg)
{
	(void)k;
	(void)arg;
	free(v);
}

void conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	strmap_each(c->secs, free_section_cb, NULL);
	strmap_free(c->secs);
	if (--c->touched->refs == 0) {
		strmap_each(c->touched->m, free_cb, NULL);
		strmap_free(c->touched->m);
		free(c->touched);
	}
	free(c);
}

struct conf_section *conf_section(const struct conf *c, enum gram_view view, const char *name)
{
	char id[128];

	sec_id(id, sizeof(id), view, name);
	return strmap_get(c->secs, id);
}

static struct conf_section *get_or_add(struct conf *c, enum gram_view view, const char *name)
{
	struct conf_section *s = conf_section(c, view, name);
	char id[128];

	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->view = view;
	s->name = strdup(name);
	s->lines = strmap_new();
	s->refs = 1;
	sec_id(id, sizeof(id), view, name);
	if (s->name == NULL || s->lines == NULL || strmap_put(c->secs, id, s) < 0) {
		free(s->name);
		strmap_free(s->lines);
		free(s);
		return NULL;
	}
	return s;
}

static void copy_line(const char *k, void *v, void *arg)
{
	const struct conf_line *l = v;
	struct conf_section *dst = arg;
	struct conf_line *n;

	if (dst->lines == NULL)
		return; /* an earlier line failed */
	n = calloc(1, sizeof(*n));
	if (n && (n->key = strdup(l->key)) != NULL && (n->text = strdup(l->text)) != NULL) {
		n->id = l->id;
		n->group = l->group;
		if (strmap_put(dst->lines, k, n) == 0)
			return;
	}
	if (n)
		free_line(NULL, n, NULL);
	strmap_each(dst->lines, free_line, NULL);
	strmap_free(dst->lines);
	dst->lines = NULL;
}

/* c's own copy of section s, to change: s itself when c alone holds it,
 * else a copy that replaces it in c. NULL on allocation failure (then c
 * still holds s, unchanged). */
static struct conf_section *own_section(struct conf *c, struct conf_section *s)
{
	struct conf_section *n;
	char id[128];

	if (s == NULL || s->refs == 1)
		return s;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->view = s->view;
	n->name = strdup(s->name);
	n->lines = strmap_new();
	n->refs = 1;
	if (n->name && n->lines)
		strmap_each(s->lines, copy_line, n);
	sec_id(id, sizeof(id), s->view, s->name);
	if (n->name == NULL || n->lines == NULL || strmap_put(c->secs, id, n) < 0) {
		if (n->lines) {
			strmap_each(n->lines, free_line, NULL);
			strmap_free(n->lines);
		}
		free(n->name);
		free(n);
		return NULL;
	}
	s->refs--; /* c's hold moved to the copy; another still holds s */
	return n;
}

static void copy_touch(const char *k, void *v, void *arg)
{
	struct strmap *dst = arg;
	struct conf_touch *t = malloc(sizeof(*t));

	/* on failure the record is missing from the copy, which conflict
	 * checks then do not see: own_touches() checks the count */
	if (t == NULL)
		return;
	*t = *(const struct conf_touch *)v;
	if (strmap_put(dst, k, t) < 0)
		free(t);
}

/* c's own touch records, to change (as own_section()). 0 or -ENOMEM. */
static int own_touches(struct conf *c)
{
	struct touches *n;

	if (c->touched->refs == 1)
		return 0;
	n = calloc(1, sizeof(*n));
	if (n == NULL || (n->m = strmap_new()) == NULL) {
		free(n);
		return -ENOMEM;
	}
	n->refs = 1;
	strmap_each(c->touched->m, copy_touch, n->m);
	if (strmap_count(n->m) != strmap_count(c->touched->m)) {
		strmap_each(n->m, free_cb, NULL);
		strmap_free(n->m);
		free(n);
		return -ENOMEM;
	}
	c->touched->refs--;
	c->touched = n;
	return 0;
}

int conf_section_add(struct conf *c, enum gram_view view, const char *name)
{
	return get_or_add(c, view, name) ? 0 : -ENOMEM;
}

int conf_section_del(struct conf *c, enum gram_view view, const char *name)
{
	char id[128];
	struct conf_section *s;

	sec_id(id, sizeof(id), view, name);
	s = strmap_del(c->secs, id);
	if (s)
		free_section(s);
	return 0;
}

static unsigned group_of(const char *key);

int conf_set(struct conf *c, enum gram_view view, const char *name, const char *key,
	     const char *text, enum gram_id id)
{
	struct conf_section *s = own_section(c, get_or_add(c, view, name));
	struct conf_line *l;
	char *t;

	if (s == NULL)
		return -ENOMEM;
	changed(s);
	l = strmap_get(s->lines, key);
	if (l) {
		t = strdup(text);
		if (t == NULL)
			return -ENOMEM;
		free(l->text);
		l->text = t;
		l->id = id;
		l->group = group_of(key);
		return 0;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	l->key = strdup(key);
	l->text = strdup(text);
	l->id = id;
	l->group = group_of(key);
	if (l->key == NULL || l->text == NULL || strmap_put(s->lines, key, l) < 0) {
		free_line(NULL, l, NULL);
		return -ENOMEM;
	}
	return 0;
}

struct conf_line *conf_line(const struct conf *c, enum gram_view view, const char *name,
			    const char *key)
{
	struct conf_section *s = conf_section(c, view, name);

	return s ? strmap_get(s->lines, key) : NULL;
}

/* Interface sections exist only through their lines. */
static void prune(struct conf *c, struct conf_section *s)
{
	if (s->view == VIEW_INTERFACE && strmap_count(s->lines) == 0)
		conf_section_del(c, s->view, s->name);
}

int conf_del(struct conf *c, enum gram_view view, const char *name, const char *key)
{
	struct conf_section *s = conf_section(c, view, name);
	struct conf_line *l;

	if (s == NULL || strmap_get(s->lines, key) == NULL)
		return 0;
	if ((s = own_section(c, s)) == NULL)
		return -ENOMEM;
	changed(s);
	l = strmap_del(s->lines, key);
	if (l)
		free_line(NULL, l, NULL);
	prune(c, s);
	return 0;
}

/* strmap_del_if() of a section's lines: those whose key is the prefix or
 * starts with it and a space. */
static bool under_prefix(const char *k, void *v, void *arg)
{
	const char *prefix = arg;
	size_t plen = strlen(prefix);

	if (strncmp(k, prefix, plen) != 0 || (k[plen] != '\0' && k[plen] != ' '))
		return false;
	free_line(NULL, v, NULL);
	return true;
}

int conf_del_prefix(struct conf *c, enum gram_view view, const char *name, const char *prefix)
{
	struct conf_section *s = own_section(c, conf_section(c, view, name));

	if (s == NULL)
		return conf_section(c, view, name) ? -ENOMEM : 0;
	changed(s);
	strmap_del_if(s->lines, under_prefix, (void *)prefix);
	prune(c, s);
	return 0;
}

size_t conf_count(const struct conf *c)
{
	struct conf_section **secs;
	size_t n = 0;
	int ns = conf_sections(c, &secs);

	for (int i = 0; i < ns; i++)
		n += strmap_count(secs[i]->lines);
	free(secs);
	return n;
}

static void share_section(const char *k, void *v, void *arg)
{
	struct conf *dst = arg;
	struct conf_section *s = v;

	if (dst->secs == NULL)
		return;
	if (strmap_put(dst->secs, k, s) < 0) {
		strmap_each(dst->secs, free_section_cb, NULL);
		strmap_free(dst->secs);
		dst->secs = NULL;
		return;
	}
	s->refs++;
}

struct conf *conf_dup(const struct conf *c)
{
	struct conf *d = calloc(1, sizeof(*d));

	if (d == NULL || (d->secs = strmap_new()) == NULL) {
		free(d);
		return NULL;
	}
	strmap_each(c->secs, share_section, d);
	if (d->secs == NULL) {
		free(d);
		return NULL;
	}
	d->touched = c->touched;
	d->touched->refs++;
	return d;
}

/* ---- ordering ---------------------------------------------------------- */

/* Compare with runs of digits taken as numbers: eth2 < eth10. */
static int natcmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *ea = a, *eb = b;

			while (*a == '0' && isdigit((unsigned char)a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char)b[1]))
				b++;
			for (ea = a; isdigit((unsigned char)*ea); ea++)
				;
			for (eb = b; isdigit((unsigned char)*eb); eb++)
				;
			if (ea - a != eb - b)
				return (int)((ea - a) - (eb - b));
			for (; a < ea; a++, b++)
				if (*a != *b)
					return *a - *b;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static int view_rank(enum gram_view v)
{
	switch (v) {
	case VIEW_SYSTEM:
		return 0;
	case VIEW_BFD:
		return 1;
	case VIEW_BFD_SESSION:
		return 2;
	case VIEW_SSL:
		return 3;
	case VIEW_INTERFACE:
		return 4;
	case VIEW_RBS:
		return 5;
	case VIEW_RBP:
		return 6;
	default:
		return 7;
	}
}

int conf_cmp_section(const void *pa, const void *pb)
{
	const struct conf_section *a = *(const struct conf_section *const *)pa;
	const struct conf_section *b = *(const struct conf_section *const *)pb;

	if (view_rank(a->view) != view_rank(b->view))
		return view_rank(a->view) - view_rank(b->view);
	return natcmp(a->name, b->name);
}

/* Lines of one VRRP group stay together: vrrp vrid N …, admin-vrrp vrid N. */
static unsigned group_of(const char *key)
{
	unsigned n;

	if (sscanf(key, "vrrp vrid %u", &n) == 1 || sscanf(key, "admin-vrrp vrid %u", &n) == 1)
		return n;
	if (sscanf(key, "vrrp6 vrid %u", &n) == 1)
		return 256 + n;
	return 0;
}

static int cmp_line(const void *pa, const void *pb)
{
	const struct conf_line *a = *(const struct conf_line *const *)pa;
	const struct conf_line *b = *(const struct conf_line *const *)pb;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->id != b->id)
		return (int)a->id - (int)b->id;
	return natcmp(a->text, b->text);
}

struct collect {
	void **v;
	size_t n;
};

static void collect_cb(const char *k, void *v, void *arg)
{
	struct collect *c = arg;

	(void)k;
	c->v[c->n++] = v;
}

int conf_sections(const struct conf *c, struct conf_section ***out)
{
	struct collect col;

	col.v = malloc((strmap_count(c->secs) + 1) * sizeof(void *));
	if (col.v == NULL)
		return -ENOMEM;
	col.n = 0;
	strmap_each(c->secs, collect_cb, &col);
	qsort(col.v, col.n, sizeof(void *), conf_cmp_section);
	*out = (struct conf_section **)col.v;
	return (int)col.n;
}

struct conf_line **conf_sorted(const struct conf_section *cs)
{
	struct conf_section *s = (struct conf_section *)cs; /* only the memo changes */
	struct collect col;

	if (s->sorted)
		return s->sorted;
	col.v = malloc((strmap_count(s->lines) + 1) * sizeof(void *));
	if (col.v == NULL)
		return NULL;
	col.n = 0;
	strmap_each(s->lines, collect_cb, &col);
	qsort(col.v, col.n, sizeof(void *), cmp_line);
	s->sorted = (struct conf_line **)col.v;
	s->nsorted = col.n;
	return s->sorted;
}

int conf_lines(const struct conf_section *s, struct conf_line ***out)
{
	struct conf_line **v = conf_sorted(s);

	if (v == NULL || (*out = malloc((s->nsorted + 1) * sizeof(*v))) == NULL)
		return -ENOMEM;
	memcpy(*out, v, s->nsorted * sizeof(*v));
	return (int)s->nsorted;
}

/* ---- touches ----------------------------------------------------------- */

void conf_touch_id(char *buf, size_t len, enum gram_view view, const char *name, const char *key)
{
	snprintf(buf, len, "%d:%s\037%s", (int)view, name, key);
}

int conf_touch(struct conf *c, enum gram_view view, const char *name, const char *key,
	       uint64_t commit, const char *user)
{
	char id[GRAM_LINE_MAX + 160];
	struct conf_touch *t;

	if (own_touches(c) < 0)
		return -ENOMEM;
	conf_touch_id(id, sizeof(id), view, name, key);
	t = strmap_get(c->touched->m, id);
	if (t == NULL) {
		t = calloc(1, sizeof(*t));
		if (t == NULL || strmap_put(c->touched->m, id, t) < 0) {
			free(t);
			return -ENOMEM;
		}
	}
	t->commit = commit;
	snprintf(t->user, sizeof(t->user), "%s", user);
	return 0;
}

const struct conf_touch *conf_touched(const struct conf *c, enum gram_view view, const char *name,
				      const char *key)
{
	char id[GRAM_LINE_MAX + 160];

	conf_touch_id(id, sizeof(id), view, name, key);
	return strmap_get(c->touched->m, id);
}
