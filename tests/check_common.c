/* The small shared containers every daemon leans on: the string map
 * (vrrpd's, rbpd's and cfgd's indexes, cfgd's sessions and parse cache),
 * the error list, the latency histogram and the ring. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errlist.h"
#include "common/histo.h"
#include "common/keyname.h"
#include "common/ring.h"
#include "common/strmap.h"
#include "tests/lib/checkrun.h"

#define NKEYS 20000

static void key_of(char *buf, size_t len, unsigned i)
{
	snprintf(buf, len, "veth%u/%u/%d", i / 255, i % 255 + 1, i % 2 ? 10 : 2);
}

struct walk {
	const bool *live;
	unsigned seen, wrong;
};

static void visit(const char *k, void *v, void *arg)
{
	struct walk *w = arg;
	unsigned i = (unsigned)(uintptr_t)v - 1;
	char want[64];

	key_of(want, sizeof(want), i);
	if (i >= NKEYS || !w->live[i] || strcmp(k, want) != 0)
		w->wrong++;
	w->seen++;
}

/* Against a model (which keys are in), through rounds of inserts and
 * deletes that leave many tombstones: every lookup answers as the model
 * does, and a walk visits exactly the live keys. */
START_TEST(strmap_matches_a_model_through_inserts_and_deletes)
{
	struct strmap *m = strmap_new();
	bool *live = calloc(NKEYS, sizeof(*live));
	unsigned n = 0;
	char k[64];
	struct walk w;

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(live);
	srand(7);
	for (int round = 0; round < 8; round++) {
		for (unsigned j = 0; j < NKEYS; j++) {
			unsigned i = (unsigned)rand() % NKEYS;

			key_of(k, sizeof(k), i);
			if (rand() % 3 == 0) {
				void *v = strmap_del(m, k);

				ck_assert_ptr_eq(v, live[i] ? (void *)(uintptr_t)(i + 1) : NULL);
				n -= live[i];
				live[i] = false;
			} else {
				ck_assert_int_eq(strmap_put(m, k, (void *)(uintptr_t)(i + 1)), 0);
				n += !live[i];
				live[i] = true;
			}
		}
		ck_assert_uint_eq(strmap_count(m), n);
		for (unsigned i = 0; i < NKEYS; i++) {
			key_of(k, sizeof(k), i);
			ck_assert_ptr_eq(strmap_get(m, k),
					 live[i] ? (void *)(uintptr_t)(i + 1) : NULL);
		}
	}
	w = (struct walk){.live = live};
	strmap_each(m, visit, &w);
	ck_assert_uint_eq(w.seen, n);
	ck_assert_uint_eq(w.wrong, 0);
	strmap_free(m);
	free(live);
}
END_TEST

/* Setting a key again replaces its value and does not count it twice;
 * the key is copied, so the caller's buffer may change. */
START_TEST(strmap_put_replaces_and_copies_the_key)
{
	struct strmap *m = strmap_new();
	char k[16] = "eth1/1";
	int a = 1, b = 2;

	ck_assert_int_eq(strmap_put(m, k, &a), 0);
	ck_assert_int_eq(strmap_put(m, "eth1/1", &b), 0);
	ck_assert_uint_eq(strmap_count(m), 1);
	memcpy(k, "eth9/9", 7);
	ck_assert_ptr_eq(strmap_get(m, "eth1/1"), &b);
	ck_assert_ptr_null(strmap_get(m, k));
	ck_assert_ptr_null(strmap_del(m, "absent"));
	ck_assert_ptr_eq(strmap_del(m, "eth1/1"), &b);
	ck_assert_uint_eq(strmap_count(m), 0);
	/* the same key, deleted and inserted again many times: the
	 * tombstones it leaves never fill the table */
	for (int i = 0; i < 100000; i++) {
		ck_assert_int_eq(strmap_put(m, i % 2 ? "x" : "y", &a), 0);
		ck_assert_ptr_eq(strmap_del(m, i % 2 ? "x" : "y"), &a);
	}
	ck_assert_ptr_null(strmap_get(m, "x"));
	strmap_free(m);
	strmap_free(NULL);
}
END_TEST

static bool odd_value(const char *k, void *v, void *arg)
{
	unsigned *freed = arg;

	(void)k;
	if ((uintptr_t)v % 2 == 0)
		return false;
	(*freed)++;
	return true;
}

/* strmap_del_if() removes exactly the entries its function picks, in one
 * walk, and the map goes on working over the tombstones it leaves. */
START_TEST(strmap_del_if_removes_what_it_picks)
{
	struct strmap *m = strmap_new();
	unsigned freed = 0;
	char k[64];

	for (unsigned i = 1; i <= 5000; i++) {
		key_of(k, sizeof(k), i);
		ck_assert_int_eq(strmap_put(m, k, (void *)(uintptr_t)i), 0);
	}
	ck_assert_uint_eq(strmap_del_if(m, odd_value, &freed), 2500);
	ck_assert_uint_eq(freed, 2500);
	ck_assert_uint_eq(strmap_count(m), 2500);
	for (unsigned i = 1; i <= 5000; i++) {
		key_of(k, sizeof(k), i);
		ck_assert_ptr_eq(strmap_get(m, k), i % 2 ? NULL : (void *)(uintptr_t)i);
	}
	ck_assert_uint_eq(strmap_del_if(m, odd_value, &freed), 0);
	for (unsigned i = 1; i <= 5000; i += 2) {
		key_of(k, sizeof(k), i);
		ck_assert_int_eq(strmap_put(m, k, (void *)(uintptr_t)(i + 1)), 0);
	}
	ck_assert_uint_eq(strmap_count(m), 5000);
	strmap_free(m);
}
END_TEST

START_TEST(errlist_keeps_messages_in_order_and_empties)
{
	struct errlist e = {0};

	ck_assert_int_eq(errlist_add(&e, "interface %s: vrid %u", "eth1", 7), 0);
	ck_assert_int_eq(errlist_add(&e, "%s", "second"), 0);
	ck_assert_uint_eq(e.n, 2);
	ck_assert_str_eq(e.v[0], "interface eth1: vrid 7");
	ck_assert_str_eq(e.v[1], "second");
	errlist_free(&e);
	ck_assert_uint_eq(e.n, 0);
	ck_assert_int_eq(errlist_add(&e, "again"), 0);
	ck_assert_str_eq(e.v[0], "again");
	errlist_free(&e);
}
END_TEST

/* Each observation falls in the first bucket whose bound holds it; one
 * above every bound counts in count and sum only (+Inf). */
START_TEST(histo_buckets_by_upper_bound)
{
	static const double le[] = {0.001, 0.01, 0.1};
	struct histo h;

	histo_init(&h, le, 3);
	histo_add(&h, 0.0005);
	histo_add(&h, 0.001); /* on the bound: in it */
	histo_add(&h, 0.005);
	histo_add(&h, 0.05);
	histo_add(&h, 2.0);
	ck_assert_uint_eq(h.n, 3);
	ck_assert_uint_eq(h.bucket[0], 2);
	ck_assert_uint_eq(h.bucket[1], 1);
	ck_assert_uint_eq(h.bucket[2], 1);
	ck_assert_uint_eq(h.count, 5);
	ck_assert_double_eq_tol(h.sum, 2.0565, 1e-9);
}
END_TEST

/* A wrapped ring grows into one that starts at 0, oldest first. */
START_TEST(ring_grow_unwraps_oldest_first)
{
	unsigned *items = NULL;
	size_t head = 0, len = 0, cap = 0;

	ck_assert_int_eq(ring_grow((void **)&items, sizeof(*items), &head, len, &cap, 4), 0);
	ck_assert_uint_eq(cap, 4);
	/* 1..4 pushed, 1 and 2 taken, 5 and 6 pushed: 3 4 5 6 wrapped */
	for (unsigned v = 1; v <= 4; v++)
		items[(head + len++) % cap] = v;
	head = 2;
	len = 2;
	items[(head + len++) % cap] = 5;
	items[(head + len++) % cap] = 6;
	ck_assert_uint_eq(items[0], 5);
	ck_assert_int_eq(ring_grow((void **)&items, sizeof(*items), &head, len, &cap, 4), 0);
	ck_assert_uint_eq(cap, 8);
	ck_assert_uint_eq(head, 0);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(items[i], i + 3);
	free(items);
}
END_TEST

START_TEST(keyname_writes_the_name_the_separator_and_the_number)
{
	char buf[32], *end;

	end = keyname(buf, sizeof(buf), "eth1", '/', 2);
	ck_assert_str_eq(buf, "eth1/2");
	ck_assert_ptr_eq(end, buf + 6);
	keyname(buf, sizeof(buf), "ge0", ' ', 0);
	ck_assert_str_eq(buf, "ge0 0");
	keyname(buf, sizeof(buf), "x", '/', 4294967295u);
	ck_assert_str_eq(buf, "x/4294967295");
	/* a name too long for the buffer is cut, the number is whole */
	end = keyname(buf, 20, "a-very-long-interface-name", '/', 255);
	ck_assert_str_eq(buf, "a-very-l/255");
	ck_assert_uint_lt((size_t)(end - buf), 20);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    strmap_matches_a_model_through_inserts_and_deletes,
	    keyname_writes_the_name_the_separator_and_the_number,
	    strmap_put_replaces_and_copies_the_key,
	    strmap_del_if_removes_what_it_picks,
	    errlist_keeps_messages_in_order_and_empties,
	    histo_buckets_by_upper_bound,
	    ring_grow_unwraps_oldest_first,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("common", &core, 1);
}
