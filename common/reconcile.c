/* Applying a configuration (reconcile.h). */
#include "common/reconcile.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

struct found {
	void *obj;
	size_t i;
};

static void **next_of(const struct reconcile_ops *ops, void *obj)
{
	return (void **)((char *)obj + ops->next_off);
}

/* By object, then by item: the first item of an object comes first. */
static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	uintptr_t p = (uintptr_t)x->obj, q = (uintptr_t)y->obj;

	if (p != q)
		return p < q ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int cmp_obj(const void *key, const void *elem)
{
	uintptr_t p = (uintptr_t)key, q = (uintptr_t)((const struct found *)elem)->obj;

	return p < q ? -1 : p > q;
}

int reconcile(void **head, size_t n, const struct reconcile_ops *ops, void *ctx)
{
	void **match = calloc(n ? n : 1, sizeof(*match));
	struct found *found = calloc(n ? n : 1, sizeof(*found));
	void **tail = head, **pp;
	size_t nf = 0;

	if (match == NULL || found == NULL) {
		free(match);
		free(found);
		return -ENOMEM;
	}
	/* 1. what each item continues, each object only by its first item */
	for (size_t i = 0; i < n; i++) {
		void *obj = ops->find(ctx, i);

		if (obj)
			found[nf++] = (struct found){obj, i};
	}
	qsort(found, nf, sizeof(*found), cmp_found);
	for (size_t k = 0; k < nf; k++)
		if (k == 0 || found[k].obj != found[k - 1].obj)
			match[found[k].i] = found[k].obj;
	/* 2. the others leave first */
	for (pp = head; *pp;) {
		void *obj = *pp;

		if (bsearch(obj, found, nf, sizeof(*found), cmp_obj)) {
			pp = next_of(ops, obj);
			continue;
		}
		*pp = *next_of(ops, obj);
		*next_of(ops, obj) = NULL;
		ops->drop(ctx, obj);
	}
	/* 3, 4. each item in order, the list growing as they come (what is
	 * left of the old one is all in match) */
	*head = NULL;
	for (size_t i = 0; i < n; i++) {
		void *obj = match[i] ? ops->keep(ctx, match[i], i) : ops->make(ctx, i);

		*next_of(ops, obj) = NULL;
		*tail = obj;
		tail = next_of(ops, obj);
	}
	free(match);
	free(found);
	return 0;
}
