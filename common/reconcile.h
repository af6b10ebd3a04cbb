/*
 * Applying a configuration, the one way every daemon does it: the running
 * objects, a singly linked list, against the items of the new
 * configuration, in its order. The daemon says how to find the running
 * object an item continues and what to do with each; reconcile() does the
 * rest, the same for all:
 *   1. each item gets the running object it continues (find), if any; an
 *      object found for two items continues the first only;
 *   2. the running objects no item continues are dropped, in list order,
 *      before anything else changes (a VRRP master says goodbye first, a
 *      removed service frees its port before another binds it);
 *   3. each item, in order, carries its object on (keep, which may return
 *      another object in its place) or gets a new one (make);
 *   4. the list is then those objects, in the configuration's order: it
 *      grows as they come (empty before the first keep or make).
 * Pure: no I/O of its own. O((n + m) log n) for n items and m objects.
 */
#ifndef DB_RECONCILE_H
#define DB_RECONCILE_H

#include <stddef.h>

struct reconcile_ops {
	size_t next_off; /* offsetof(the object's struct, its next pointer) */
	/* The running object item i continues, or NULL. */
	void *(*find)(void *ctx, size_t i);
	/* A running object no item continues: unlinked; free it. */
	void (*drop)(void *ctx, void *obj);
	/* Item i continues obj: returns obj, or the object that takes its
	 * place (the callback then disposes of obj). */
	void *(*keep)(void *ctx, void *obj, size_t i);
	/* Item i is new: returns its object. */
	void *(*make)(void *ctx, size_t i);
};

/* *head: the running list, then the new one. Returns 0, or -ENOMEM with
 * nothing changed. */
int reconcile(void **head, size_t n, const struct reconcile_ops *ops, void *ctx);

#endif
