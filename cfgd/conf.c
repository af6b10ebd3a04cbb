#include "cfgd/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

/* Touch records, shared between copies as sections are (conf_dup()). */
struct touches {
	struct strmap *m; /* "view:name\037key" -> struct conf_touch */
	unsigned refs;
};

struct conf {
	struct strmap *secs; /* "view:name" -> struct conf_section */
	struct touches *touched;
};

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

static int cmp_section(const void *pa, const void *pb)
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
	qsort(col.v, col.n, sizeof(void *), cmp_section);
	*out = (struct conf_section **)col.v;
	return (int)col.n;
}

/* The section's lines in display order, sorted once while they do not
 * change (s->sorted); NULL on allocation failure. */
static struct conf_line **sorted(const struct conf_section *cs)
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
	struct conf_line **v = sorted(s);

	if (v == NULL || (*out = malloc((s->nsorted + 1) * sizeof(*v))) == NULL)
		return -ENOMEM;
	memcpy(*out, v, s->nsorted * sizeof(*v));
	return (int)s->nsorted;
}

void conf_section_title(enum gram_view view, const char *name, char *out, size_t len)
{
	if (view == VIEW_SYSTEM)
		snprintf(out, len, "%s", "");
	else if (name[0] == '\0')
		snprintf(out, len, "%s", gram_view_word(view)); /* bfd */
	else
		snprintf(out, len, "%s %s", gram_view_word(view), name);
}

/* ---- text -------------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->p && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;

		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);

		if (p == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static char *bdone(struct buf *b)
{
	if (b->oom) {
		free(b->p);
		return NULL;
	}
	if (b->p == NULL)
		return strdup("");
	return b->p;
}

/* A section as rendered (its title, its lines, the closing "#"), kept
 * while its lines do not change (s->rendered); NULL on allocation failure. */
static const char *rendered(const struct conf_section *cs)
{
	struct conf_section *s = (struct conf_section *)cs; /* only the memo changes */
	struct conf_line **lines;
	struct buf b = {0};
	char title[160];

	if (s->rendered)
		return s->rendered;
	if ((lines = sorted(s)) == NULL)
		return NULL;
	conf_section_title(s->view, s->name, title, sizeof(title));
	if (title[0])
		bprintf(&b, "%s\n", title);
	for (size_t j = 0; j < s->nsorted; j++)
		bprintf(&b, "%s%s\n", title[0] ? " " : "", lines[j]->text);
	if (title[0] || s->nsorted > 0)
		bprintf(&b, "#\n");
	if ((s->rendered = bdone(&b)) != NULL)
		s->rendered_len = strlen(s->rendered);
	return s->rendered;
}

char *conf_render(const struct conf *c)
{
	struct conf_section **secs;
	const char **text;
	size_t len = sizeof("#\nreturn\n");
	char *out, *p;
	int ns = conf_sections(c, &secs);

	if (ns < 0)
		return NULL;
	text = malloc(((size_t)ns + 1) * sizeof(*text));
	for (int i = 0; text && i < ns; i++) {
		if ((text[i] = rendered(secs[i])) == NULL) {
			free(text);
			text = NULL;
			break;
		}
		len += secs[i]->rendered_len;
	}
	out = text ? malloc(len) : NULL;
	if (out) {
		p = out;
		memcpy(p, "#\n", 2);
		p += 2;
		for (int i = 0; i < ns; i++) {
			memcpy(p, text[i], secs[i]->rendered_len);
			p += secs[i]->rendered_len;
		}
		memcpy(p, "return\n", sizeof("return\n"));
	}
	free(text);
	free(secs);
	return out;
}

int conf_load(struct conf *c, const char *text, char *err, size_t errlen)
{
	struct conf *tmp = conf_dup(c);
	enum gram_view view = VIEW_SYSTEM;
	char sec[256] = "";
	const char *p = text;
	int lineno = 0, rc = 0;

	if (tmp == NULL)
		return -ENOMEM;
	while (*p && rc == 0) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[GRAM_LINE_MAX];
		struct gram_result r;
		int pr;

		lineno++;
		if (len >= sizeof(line)) {
			snprintf(err, errlen, "line %d: too long", lineno);
			rc = -EINVAL;
			break;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl ? nl + 1 : p + len;
		/* As in a saved VRP configuration: '#' closes a section and a
		 * line that is not indented belongs to the system view. */
		if (line[0] == '#' || (line[0] && line[0] != ' ' && line[0] != '\t')) {
			view = VIEW_SYSTEM;
			sec[0] = '\0';
		}
		pr = gram_parse(view, line, &r);
		if (pr == 1)
			continue;
		if (pr < 0) {
			snprintf(err, errlen, "line %d: %s %s: %s", lineno, r.err, r.reason, line);
			rc = -EINVAL;
			break;
		}
		if (r.id == G_RETURN)
			break;
		if (r.id == G_QUIT) {
			view = VIEW_SYSTEM;
			sec[0] = '\0';
			continue;
		}
		if (r.kind == GK_SESSION || r.kind == GK_ACTION || r.undo) {
			snprintf(err, errlen, "line %d: not a configuration line: %s", lineno,
				 line);
			rc = -EINVAL;
			break;
		}
		if (r.kind == GK_ENTER) {
			const char *bind = gram_enter_line(&r);

			view = r.enters;
			snprintf(sec, sizeof(sec), "%s", r.nargs ? r.args[0].str : "");
			if (view != VIEW_INTERFACE)
				rc = conf_section_add(tmp, view, sec);
			if (rc == 0 && bind)
				rc = conf_set(tmp, view, sec, "bind", bind, G_BFD_BIND);
			continue;
		}
		if (r.view == VIEW_SYSTEM) {
			view = VIEW_SYSTEM;
			sec[0] = '\0';
		}
		rc = conf_set(tmp, view, sec, r.key, r.canon, r.id);
	}
	if (rc == 0) {
		/* swap contents: *c takes tmp's sections */
		struct conf swap = *c;

		*c = *tmp;
		*tmp = swap;
	}
	conf_free(tmp);
	return rc;
}

/* ---- comparison -------------------------------------------------------- */

static void diff_section(struct buf *b, const struct conf_section *sa,
			 const struct conf_section *sb, enum gram_view view, const char *name)
{
	struct conf_line **la = NULL, **lb = NULL;
	int na = sa ? conf_lines(sa, &la) : 0, nb = sb ? conf_lines(sb, &lb) : 0;
	char title[160];
	int header = 0;

	conf_section_title(view, name, title, sizeof(title));
	if (!sa != !sb && view != VIEW_INTERFACE && view != VIEW_SYSTEM) {
		bprintf(b, "%s%s\n", sa ? "-" : "+", title);
		header = 1;
	}
	for (int i = 0; i < na; i++) {
		struct conf_line *o = sb ? strmap_get(sb->lines, la[i]->key) : NULL;

		if (o && strcmp(o->text, la[i]->text) == 0)
			continue;
		if (!header++ && title[0])
			bprintf(b, " %s\n", title);
		bprintf(b, "-%s%s\n", title[0] ? " " : "", la[i]->text);
		if (o)
			bprintf(b, "+%s%s\n", title[0] ? " " : "", o->text);
	}
	for (int i = 0; i < nb; i++) {
		if (sa && strmap_get(sa->lines, lb[i]->key))
			continue;
		if (!header++ && title[0])
			bprintf(b, " %s\n", title);
		bprintf(b, "+%s%s\n", title[0] ? " " : "", lb[i]->text);
	}
	free(la);
	free(lb);
}

char *conf_diff(const struct conf *a, const struct conf *b)
{
	struct conf_section **sa, **sb;
	struct buf out = {0};
	int na = conf_sections(a, &sa), nb = conf_sections(b, &sb);

	if (na < 0 || nb < 0) {
		free(na < 0 ? NULL : sa);
		free(nb < 0 ? NULL : sb);
		return NULL;
	}
	/* both lists are sorted the same way: merge them */
	for (int i = 0, j = 0; i < na || j < nb;) {
		int c = i == na ? 1 : j == nb ? -1 : cmp_section(&sa[i], &sb[j]);

		if (c < 0) {
			diff_section(&out, sa[i], NULL, sa[i]->view, sa[i]->name);
			i++;
		} else if (c > 0) {
			diff_section(&out, NULL, sb[j], sb[j]->view, sb[j]->name);
			j++;
		} else {
			diff_section(&out, sa[i], sb[j], sa[i]->view, sa[i]->name);
			i++;
			j++;
		}
	}
	free(sa);
	free(sb);
	return bdone(&out);
}

bool conf_equal(const struct conf *a, const struct conf *b)
{
	char *d = conf_diff(a, b);
	bool eq = d && d[0] == '\0';

	free(d);
	return eq;
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

/* ---- touches ----------------------------------------------------------- */

static void touch_id(char *buf, size_t len, enum gram_view view, const char *name, const char *key)
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
	touch_id(id, sizeof(id), view, name, key);
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

	touch_id(id, sizeof(id), view, name, key);
	return strmap_get(c->touched->m, id);
}

/* ---- candidate --------------------------------------------------------- */

int cand_add(struct candidate *cd, enum cand_op_type type, enum gram_view view, const char *name,
	     const char *key, const char *text, enum gram_id id, uint64_t base)
{
	struct cand_op *op;

	if (cd->n == cd->cap) {
		size_t cap = cd->cap ? cd->cap * 2 : 16;
		struct cand_op *ops = realloc(cd->ops, cap * sizeof(*ops));

		if (ops == NULL)
			return -ENOMEM;
		cd->ops = ops;
		cd->cap = cap;
	}
	op = &cd->ops[cd->n];
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->view = view;
	op->id = id;
	op->base = base;
	op->name = strdup(name ? name : "");
	op->key = strdup(key ? key : "");
	op->text = strdup(text ? text : "");
	if (!op->name || !op->key || !op->text) {
		free(op->name);
		free(op->key);
		free(op->text);
		return -ENOMEM;
	}
	cd->n++;
	return 0;
}

void cand_clear(struct candidate *cd)
{
	for (size_t i = 0; i < cd->n; i++) {
		free(cd->ops[i].name);
		free(cd->ops[i].key);
		free(cd->ops[i].text);
	}
	free(cd->ops);
	memset(cd, 0, sizeof(*cd));
}

bool cand_pending(const struct candidate *cd)
{
	return cd->n > 0;
}

int cand_apply(const struct candidate *cd, struct conf *c)
{
	int rc = 0;

	for (size_t i = 0; i < cd->n && rc == 0; i++) {
		const struct cand_op *op = &cd->ops[i];

		switch (op->type) {
		case OP_SET:
			rc = conf_set(c, op->view, op->name, op->key, op->text, op->id);
			break;
		case OP_DEL:
			rc = conf_del(c, op->view, op->name, op->key);
			break;
		case OP_DEL_PREFIX:
			rc = conf_del_prefix(c, op->view, op->name, op->key);
			break;
		case OP_ENTER:
			rc = conf_section_add(c, op->view, op->name);
			break;
		case OP_DEL_SECTION:
			rc = conf_section_del(c, op->view, op->name);
			break;
		case OP_ACTION:
			break;
		}
	}
	return rc;
}

/* The latest touch of `t` or `u`. */
static const struct conf_touch *later(const struct conf_touch *t, const struct conf_touch *u)
{
	return !t || (u && u->commit > t->commit) ? u : t;
}

struct under_walk {
	char prefix[GRAM_LINE_MAX + 160];
	size_t plen;
	bool whole_section;
	const struct conf_touch *latest;
};

static void touched_under(const char *k, void *v, void *arg)
{
	struct under_walk *w = arg;

	if (strncmp(k, w->prefix, w->plen) == 0 && (w->whole_section || k[w->plen] == ' '))
		w->latest = later(w->latest, v);
}

/* The latest commit that touched what `op` edits: its key, its section as
 * a whole, a group removed as a whole that contains the key (undo vrrp
 * vrid N), and for such a removal every key inside it. */
static const struct conf_touch *touched_by_others(const struct conf *running,
						  const struct cand_op *op)
{
	const struct conf_touch *t = conf_touched(running, op->view, op->name, op->key);
	char key[GRAM_LINE_MAX];
	char *sp;

	t = later(t, conf_touched(running, op->view, op->name, ""));
	snprintf(key, sizeof(key), "%s", op->key);
	while ((sp = strrchr(key, ' ')) != NULL) {
		*sp = '\0';
		t = later(t, conf_touched(running, op->view, op->name, key));
	}
	if (op->type == OP_DEL_PREFIX || op->type == OP_DEL_SECTION) {
		struct under_walk w = {.latest = t};

		touch_id(w.prefix, sizeof(w.prefix), op->view, op->name, op->key);
		w.plen = strlen(w.prefix);
		w.whole_section = op->type == OP_DEL_SECTION;
		strmap_each(running->touched->m, touched_under, &w);
		t = w.latest;
	}
	return t;
}

int cand_conflicts(const struct candidate *cd, const struct conf *running, const char *user,
		   char *out, size_t outlen)
{
	size_t used = 0;
	int n = 0;

	if (outlen)
		out[0] = '\0';
	for (size_t i = 0; i < cd->n; i++) {
		const struct cand_op *op = &cd->ops[i];
		const struct conf_touch *t;
		char title[160];

		if (op->type == OP_ACTION)
			continue;
		t = touched_by_others(running, op);
		if (t == NULL || t->commit <= op->base)
			continue;
		conf_section_title(op->view, op->name, title, sizeof(title));
		n++;
		if (used < outlen) {
			int w = snprintf(out + used, outlen - used,
					 "Error: '%s%s%s' was changed by %s in commit %llu after "
					 "this session (%s) began editing it.\n",
					 title, title[0] ? ": " : "",
					 op->key[0] ? op->key : "(section)", t->user,
					 (unsigned long long)t->commit, user);

			if (w > 0)
				used += (size_t)w;
		}
	}
	return n;
}

int cand_touch(const struct candidate *cd, struct conf *running, uint64_t commit, const char *user)
{
	int rc = 0;

	for (size_t i = 0; i < cd->n && rc == 0; i++) {
		const struct cand_op *op = &cd->ops[i];

		if (op->type == OP_ACTION)
			continue;
		rc = conf_touch(running, op->view, op->name,
				op->type == OP_ENTER || op->type == OP_DEL_SECTION ? "" : op->key,
				commit, user);
	}
	return rc;
}
