/* The configuration as text (conf_int.h): rendered, loaded, compared. */
#include "cfgd/conf.h"
#include "cfgd/conf_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

/* ---- text -------------------------------------------------------------- */

void conf_section_title(enum gram_view view, const char *name, char *out, size_t len)
{
	if (view == VIEW_SYSTEM)
		snprintf(out, len, "%s", "");
	else if (name[0] == '\0')
		snprintf(out, len, "%s", gram_view_word(view)); /* bfd */
	else
		snprintf(out, len, "%s %s", gram_view_word(view), name);
}

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
	if ((lines = conf_sorted(s)) == NULL)
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
		int c = i == na ? 1 : j == nb ? -1 : conf_cmp_section(&sa[i], &sb[j]);

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
