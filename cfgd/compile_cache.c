/*
 * Stored lines parsed once: every commit compiles the whole configuration,
 * and parsing its canonical lines again through the grammar was most of a
 * one-line commit's cost on a large configuration. A stored line is
 * canonical, so its parse depends on its view and text alone. Each entry
 * carries the number of the last compile that used it; once the cache
 * holds more than twice the lines of the last compile (and 1,024), the
 * entries that compile did not use go.
 */
#include "cfgd/compile_int.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

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

void cfg_compile_cache_turn(void)
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

const struct parsed *cfg_compile_cache_parse(enum gram_view view, const char *text, int *rc)
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
