#include "common/strmap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	char *key; /* NULL: empty; TOMB: deleted */
	void *val;
	uint64_t h; /* hash(key): a probe compares strings only when it matches */
};

struct strmap {
	struct slot *s;
	size_t cap;  /* power of two */
	size_t n;    /* live entries */
	size_t used; /* live + tombstones */
};

static char tomb;
#define TOMB (&tomb)

static uint64_t hash(const char *k)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*k) {
		h ^= (unsigned char)*k++;
		h *= 1099511628211ULL;
	}
	return h;
}

struct strmap *strmap_new(void)
{
	struct strmap *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->cap = 16;
	m->s = calloc(m->cap, sizeof(*m->s));
	if (m->s == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void strmap_free(struct strmap *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->cap; i++)
		if (m->s[i].key && m->s[i].key != TOMB)
			free(m->s[i].key);
	free(m->s);
	free(m);
}

static struct slot *find(const struct strmap *m, const char *key, uint64_t h)
{
	size_t i = h & (m->cap - 1);

	for (;;) {
		struct slot *s = &m->s[i];

		if (s->key == NULL)
			return NULL;
		if (s->h == h && s->key != TOMB && strcmp(s->key, key) == 0)
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

void *strmap_get(const struct strmap *m, const char *key)
{
	struct slot *s = find(m, key, hash(key));

	return s ? s->val : NULL;
}

static int grow(struct strmap *m)
{
	struct slot *old = m->s;
	size_t oldcap = m->cap, cap = m->cap;

	/* Rehash at the same size when tombstones are the problem. */
	if (m->n * 2 >= m->cap)
		cap *= 2;
	m->s = calloc(cap, sizeof(*m->s));
	if (m->s == NULL) {
		m->s = old;
		return -ENOMEM;
	}
	m->cap = cap;
	m->used = m->n;
	for (size_t i = 0; i < oldcap; i++) {
		size_t j;

		if (old[i].key == NULL || old[i].key == TOMB)
			continue;
		j = old[i].h & (cap - 1);
		while (m->s[j].key)
			j = (j + 1) & (cap - 1);
		m->s[j] = old[i];
	}
	free(old);
	return 0;
}

int strmap_put(struct strmap *m, const char *key, void *val)
{
	uint64_t h = hash(key);
	struct slot *s = find(m, key, h);
	size_t i;

	if (s) {
		s->val = val;
		return 0;
	}
	if ((m->used + 1) * 4 >= m->cap * 3 && grow(m) < 0)
		return -ENOMEM;
	i = h & (m->cap - 1);
	while (m->s[i].key && m->s[i].key != TOMB)
		i = (i + 1) & (m->cap - 1);
	if (m->s[i].key == NULL)
		m->used++;
	m->s[i].key = strdup(key);
	if (m->s[i].key == NULL) {
		m->s[i].key = TOMB;
		return -ENOMEM;
	}
	m->s[i].val = val;
	m->s[i].h = h;
	m->n++;
	return 0;
}

void *strmap_del(struct strmap *m, const char *key)
{
	struct slot *s = find(m, key, hash(key));
	void *v;

	if (s == NULL)
		return NULL;
	v = s->val;
	free(s->key);
	s->key = TOMB;
	s->val = NULL;
	m->n--;
	return v;
}

size_t strmap_count(const struct strmap *m)
{
	return m->n;
}

size_t strmap_del_if(struct strmap *m, bool (*fn)(const char *key, void *val, void *arg), void *arg)
{
	size_t n = 0;

	/* a delete only marks its slot: the walk goes on over the same table */
	for (size_t i = 0; i < m->cap; i++) {
		if (m->s[i].key == NULL || m->s[i].key == TOMB ||
		    !fn(m->s[i].key, m->s[i].val, arg))
			continue;
		free(m->s[i].key);
		m->s[i].key = TOMB;
		m->s[i].val = NULL;
		m->n--;
		n++;
	}
	return n;
}

void strmap_each(const struct strmap *m, void (*fn)(const char *key, void *val, void *arg),
		 void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->s[i].key && m->s[i].key != TOMB)
			fn(m->s[i].key, m->s[i].val, arg);
}
