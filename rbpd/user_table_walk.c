/*
 * The user table's walks in insertion order (user_table_int.h says how its
 * files share the work): cursors over the per-type lists, which survive
 * any change between two steps (a batch backup), and the resync's sweep
 * of what was not received again.
 */
#include <errno.h>
#include <string.h>

#include "rbpd/user_table_int.h"

static void mark_init(struct ut_node *m)
{
	memset(m, 0, sizeof(*m));
	m->kind = NODE_MARK;
}

int ut_cursor_open(struct ut_table *t, struct ut_cursor *c, enum ut_svc type)
{
	int i;

	c->t = NULL;
	mark_init(&c->pos);
	for (i = 0; i < UT_SVC_COUNT; i++)
		mark_init(&c->end[i]);
	if (type == UT_SVC_ALL) {
		c->cur = 0;
		c->last = UT_SVC_COUNT - 1;
	} else if (bad_type(type)) {
		return -EINVAL;
	} else {
		c->cur = c->last = (uint8_t)type;
	}
	c->t = t;
	for (i = c->cur; i <= c->last; i++)
		list_append(&t->lists[i], &c->end[i]);
	list_insert_after(&t->lists[c->cur], &c->pos);
	return 0;
}

bool ut_cursor_next(struct ut_cursor *c, struct ut_rec *out)
{
	if (c->t == NULL)
		return false;
	while (c->pos.prev) {
		struct ut_node *n = c->pos.next;

		if (n == &c->end[c->cur] || n->kind == NODE_HEAD) {
			/* This type is done: on to the next one. */
			list_unlink(&c->end[c->cur]);
			list_unlink(&c->pos);
			if (c->cur == c->last)
				return false;
			c->cur++;
			list_insert_after(&c->t->lists[c->cur], &c->pos);
			continue;
		}
		list_unlink(&c->pos);
		list_insert_after(n, &c->pos);
		if (n->kind == NODE_ENTRY) {
			rec_of(entry_of(n), out);
			return true;
		}
		/* another cursor's bookmark */
	}
	return false;
}

int ut_cursor_set_origin(struct ut_cursor *c, enum ut_origin origin)
{
	struct ut_node *n;

	if (c->t == NULL || bad_origin(origin))
		return -EINVAL;
	/* ut_cursor_next() put the bookmark right after what it returned */
	n = c->pos.prev;
	if (n == NULL || n->kind != NODE_ENTRY)
		return -ENOENT;
	return ut_move_origin(c->t, entry_of(n), origin);
}

void ut_cursor_close(struct ut_cursor *c)
{
	int i;

	if (c->t == NULL)
		return;
	list_unlink(&c->pos);
	for (i = 0; i < UT_SVC_COUNT; i++)
		list_unlink(&c->end[i]);
	c->t = NULL;
}

/* The types a resync call covers: [*first, *last]. */
static int resync_range(enum ut_svc type, enum ut_origin origin, int *first, int *last)
{
	if (bad_origin(origin))
		return -EINVAL;
	if (type == UT_SVC_ALL) {
		*first = 0;
		*last = UT_SVC_COUNT - 1;
		return 0;
	}
	if (bad_type(type))
		return -EINVAL;
	*first = *last = type;
	return 0;
}

int ut_resync_begin(struct ut_table *t, enum ut_svc type, enum ut_origin origin)
{
	int first, last, i;

	if (resync_range(type, origin, &first, &last))
		return -EINVAL;
	t->gen++;
	for (i = first; i <= last; i++) {
		t->rs_gen[i][origin] = t->gen;
		t->rs_active[i][origin] = true;
	}
	return 0;
}

/* Which types of [first, last] have a resync of origin in progress, as a
 * bit mask; -EINVAL when none has. */
static int active_mask(const struct ut_table *t, int first, int last, enum ut_origin origin)
{
	int i, mask = 0;

	for (i = first; i <= last; i++)
		if (t->rs_active[i][origin])
			mask |= 1 << i;
	return mask ? mask : -EINVAL;
}

static bool stale_in(const struct ut_table *t, const struct ut_entry *e, int mask,
		     enum ut_origin origin)
{
	return (mask & (1 << e->n.type)) && origin_of(e) == origin &&
	       (int32_t)(e->touched - t->rs_gen[e->n.type][origin]) < 0;
}

ssize_t ut_resync_end(struct ut_table *t, enum ut_svc type, enum ut_origin origin)
{
	struct ut_node *n, *next;
	int first, last, mask, i;
	ssize_t removed = 0;

	if (resync_range(type, origin, &first, &last))
		return -EINVAL;
	mask = active_mask(t, first, last, origin);
	if (mask < 0)
		return mask;
	for (i = first; i <= last; i++) {
		if (!(mask & (1 << i)))
			continue;
		for (n = t->lists[i].next; n != &t->lists[i]; n = next) {
			next = n->next;
			if (n->kind == NODE_ENTRY && stale_in(t, entry_of(n), mask, origin)) {
				ut_drop_entry(t, entry_of(n));
				removed++;
			}
		}
	}
	for (n = t->tombs.next; n != &t->tombs; n = next) {
		next = n->next;
		if (stale_in(t, entry_of(n), mask, origin))
			ut_drop_tomb(t, entry_of(n));
	}
	for (i = first; i <= last; i++)
		t->rs_active[i][origin] = false;
	return removed;
}

int ut_resync_cancel(struct ut_table *t, enum ut_svc type, enum ut_origin origin)
{
	int first, last, mask, i;

	if (resync_range(type, origin, &first, &last))
		return -EINVAL;
	mask = active_mask(t, first, last, origin);
	if (mask < 0)
		return mask;
	for (i = first; i <= last; i++)
		t->rs_active[i][origin] = false;
	return 0;
}
