/* A bump allocator for protobuf-c's unpack: see arena.h. */
#include "common/arena.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
	struct arena_chunk *next;
	size_t size; /* bytes in data */
	size_t used;
	max_align_t data[];
};

#define ARENA_ALIGN alignof(max_align_t)
#define ARENA_FIRST (64u * 1024)
#define ARENA_KEEP (4u << 20)

static void *arena_alloc(void *arg, size_t size)
{
	struct arena *a = arg;
	struct arena_chunk *c = a->chunk;
	void *p;

	if (size > SIZE_MAX / 4) {
		a->oom = 1;
		return NULL;
	}
	size = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (!c || c->size - c->used < size) {
		size_t n = c ? 2 * c->size : ARENA_FIRST;

		if (n < size)
			n = size;
		c = malloc(sizeof(*c) + n);
		if (!c) {
			a->oom = 1;
			return NULL;
		}
		c->next = a->chunk;
		c->size = n;
		c->used = 0;
		a->chunk = c;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

/* Memory goes back all at once in arena_reset(). */
static void arena_nofree(void *arg, void *p)
{
	(void)arg;
	(void)p;
}

void arena_init(struct arena *a)
{
	memset(a, 0, sizeof(*a));
}

ProtobufCAllocator *arena_allocator(struct arena *a)
{
	a->alloc.alloc = arena_alloc;
	a->alloc.free = arena_nofree;
	a->alloc.allocator_data = a;
	a->oom = 0;
	return &a->alloc;
}

void arena_reset(struct arena *a)
{
	struct arena_chunk *c = a->chunk, *next;

	if (!c)
		return;
	for (next = c->next; next;) {
		struct arena_chunk *n = next->next;

		free(next);
		next = n;
	}
	c->next = NULL;
	c->used = 0;
	if (c->size > ARENA_KEEP) {
		free(c);
		a->chunk = NULL;
	}
}

void arena_free(struct arena *a)
{
	arena_reset(a);
	free(a->chunk);
	a->chunk = NULL;
}
