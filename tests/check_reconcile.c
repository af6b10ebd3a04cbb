/* Applying a configuration (common/reconcile.h), as vrrpd's groups,
 * rbsd's services and rbpd's profiles go through it: what goes leaves
 * first, what stays is carried on, what is new is made, and the list ends
 * in the configuration's order. The objects here are named by a letter;
 * every call is written down in order. */
#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/reconcile.h"
#include "tests/lib/checkrun.h"

struct obj {
	char name;
	int gen; /* 0: made before the commit; 1: made or replaced by it */
	struct obj *next;
};

struct run {
	const char *items; /* the configuration: one letter per item */
	bool replace;	   /* keep replaces the object */
	char log[64];	   /* "-a" dropped, "=b" kept, "+c" made */
	size_t nlog;
	struct obj *head;
};

static void note(struct run *r, char op, char name)
{
	ck_assert_uint_lt(r->nlog + 2, sizeof(r->log));
	r->log[r->nlog++] = op;
	r->log[r->nlog++] = name;
	r->log[r->nlog] = '\0';
}

static struct obj *obj_new(char name, int gen)
{
	struct obj *o = calloc(1, sizeof(*o));

	ck_assert_ptr_nonnull(o);
	o->name = name;
	o->gen = gen;
	return o;
}

static void *find(void *ctx, size_t i)
{
	struct run *r = ctx;

	for (struct obj *o = r->head; o; o = o->next)
		if (o->name == r->items[i])
			return o;
	return NULL;
}

static void drop(void *ctx, void *obj)
{
	struct obj *o = obj;

	note(ctx, '-', o->name);
	free(o);
}

static void *keep(void *ctx, void *obj, size_t i)
{
	struct run *r = ctx;
	struct obj *o = obj;

	note(r, '=', r->items[i]);
	if (!r->replace)
		return o;
	free(o);
	return obj_new(r->items[i], 1);
}

static void *make(void *ctx, size_t i)
{
	struct run *r = ctx;

	note(r, '+', r->items[i]);
	return obj_new(r->items[i], 1);
}

static const struct reconcile_ops ops = {offsetof(struct obj, next), find, drop, keep, make};

/* The running list of the letters in names, in order. */
static void running(struct run *r, const char *names)
{
	struct obj **tail = &r->head;

	for (const char *p = names; *p; p++) {
		*tail = obj_new(*p, 0);
		tail = &(*tail)->next;
	}
}

/* The list's letters, and whether each was made before the commit. */
static void list_is(struct run *r, const char *names, const char *gens)
{
	size_t i = 0;

	for (struct obj *o = r->head; o; o = o->next, i++) {
		ck_assert_uint_lt(i, strlen(names));
		ck_assert_int_eq(o->name, names[i]);
		ck_assert_int_eq(o->gen, gens[i] - '0');
	}
	ck_assert_uint_eq(i, strlen(names));
}

static void run_free(struct run *r)
{
	while (r->head) {
		struct obj *o = r->head;

		r->head = o->next;
		free(o);
	}
}

START_TEST(what_goes_leaves_first_then_each_item_in_the_configurations_order)
{
	struct run r = {.items = "dbe"};

	running(&r, "abcd");
	ck_assert_int_eq(reconcile((void **)&r.head, strlen(r.items), &ops, &r), 0);
	/* a and c go, in the list's order, before anything is carried on or
	 * made; then d, b (kept, the same objects) and e (new), in that order */
	ck_assert_str_eq(r.log, "-a-c=d=b+e");
	list_is(&r, "dbe", "001");
	run_free(&r);
}
END_TEST

START_TEST(an_object_found_for_two_items_carries_on_the_first_only)
{
	struct run r = {.items = "aa"};

	running(&r, "a");
	ck_assert_int_eq(reconcile((void **)&r.head, 2, &ops, &r), 0);
	ck_assert_str_eq(r.log, "=a+a");
	list_is(&r, "aa", "01");
	run_free(&r);
}
END_TEST

START_TEST(a_kept_object_may_be_replaced_by_another)
{
	struct run r = {.items = "ba", .replace = true};

	running(&r, "ab");
	ck_assert_int_eq(reconcile((void **)&r.head, 2, &ops, &r), 0);
	ck_assert_str_eq(r.log, "=b=a");
	list_is(&r, "ba", "11");
	run_free(&r);
}
END_TEST

START_TEST(an_empty_configuration_drops_everything_and_an_empty_list_makes_everything)
{
	struct run r = {.items = ""};

	running(&r, "xyz");
	ck_assert_int_eq(reconcile((void **)&r.head, 0, &ops, &r), 0);
	ck_assert_str_eq(r.log, "-x-y-z");
	ck_assert_ptr_null(r.head);
	r.items = "pq";
	r.nlog = 0;
	ck_assert_int_eq(reconcile((void **)&r.head, 2, &ops, &r), 0);
	ck_assert_str_eq(r.log, "+p+q");
	list_is(&r, "pq", "11");
	run_free(&r);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    what_goes_leaves_first_then_each_item_in_the_configurations_order,
	    an_object_found_for_two_items_carries_on_the_first_only,
	    a_kept_object_may_be_replaced_by_another,
	    an_empty_configuration_drops_everything_and_an_empty_list_makes_everything,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("reconcile", &core, 1);
}
