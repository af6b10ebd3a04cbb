/* Requests waiting until the peer holds their changes: mapped from the
 * live queue to the feeder's entries as they go to rbsd, settled in order
 * by rbsd's word, held only when nothing of theirs was lost. */
#include <check.h>
#include <stdlib.h>

#include "rbpd/rbp_sync.h"
#include "tests/lib/checkrun.h"

static uint64_t got[64];
static bool held[64];
static size_t ngot;

static void done(uint64_t token, bool h, void *arg)
{
	(void)arg;
	got[ngot] = token;
	held[ngot++] = h;
}

START_TEST(a_request_is_held_once_its_last_entry_is_resolved)
{
	struct rbp_sync s;

	ngot = 0;
	rbp_sync_init(&s);
	ck_assert_int_eq(rbp_sync_add(&s, 7, 3, 5), 0); /* queue changes 3..5 */
	/* changes 1 and 2 (an asynchronous request) go first, as entries 10, 11 */
	rbp_sync_taken(&s, 1, 10);
	rbp_sync_taken(&s, 2, 11);
	rbp_sync_taken(&s, 3, 12);
	rbp_sync_taken(&s, 4, 13);
	rbp_sync_resolve(&s, 13, 0, done, NULL); /* its last change not handed over yet */
	ck_assert_uint_eq(ngot, 0);
	rbp_sync_taken(&s, 5, 14);
	rbp_sync_resolve(&s, 13, 0, done, NULL);
	ck_assert_uint_eq(ngot, 0);
	rbp_sync_resolve(&s, 14, 0, done, NULL);
	ck_assert_uint_eq(ngot, 1);
	ck_assert_uint_eq(got[0], 7);
	ck_assert(held[0]);
	ck_assert_uint_eq(rbp_sync_len(&s), 0);
	rbp_sync_free(&s);
}
END_TEST

START_TEST(a_loss_from_its_first_entry_on_means_not_held)
{
	struct rbp_sync s;

	ngot = 0;
	rbp_sync_init(&s);
	rbp_sync_add(&s, 1, 1, 2);
	rbp_sync_add(&s, 2, 3, 3);
	rbp_sync_add(&s, 3, 4, 4);
	for (uint64_t q = 1; q <= 4; q++)
		rbp_sync_taken(&s, q, q + 100);
	/* 101 and 102 acknowledged and seen: held */
	rbp_sync_resolve(&s, 102, 0, done, NULL);
	/* then 103 lost and 104 acknowledged in one word */
	rbp_sync_resolve(&s, 104, 103, done, NULL);
	ck_assert_uint_eq(ngot, 3);
	ck_assert(held[0]);
	ck_assert(!held[1]);
	ck_assert(held[2]); /* the highest loss is before its first entry */
	rbp_sync_free(&s);
}
END_TEST

START_TEST(settled_in_order_and_failed_all_at_once)
{
	struct rbp_sync s;

	ngot = 0;
	rbp_sync_init(&s);
	for (uint64_t t = 1; t <= 40; t++) /* grows the ring */
		rbp_sync_add(&s, t, t, t);
	for (uint64_t q = 1; q <= 20; q++)
		rbp_sync_taken(&s, q, q);
	rbp_sync_resolve(&s, 30, 0, done, NULL); /* 21.. not handed over: not settled */
	ck_assert_uint_eq(ngot, 20);
	for (size_t i = 0; i < 20; i++)
		ck_assert(got[i] == i + 1 && held[i]);
	rbp_sync_fail_all(&s, done, NULL);
	ck_assert_uint_eq(ngot, 40);
	for (size_t i = 20; i < 40; i++)
		ck_assert(got[i] == i + 1 && !held[i]);
	ck_assert_uint_eq(rbp_sync_len(&s), 0);
	/* after a failure, new waiters map from where the queue is */
	rbp_sync_add(&s, 99, 50, 50);
	rbp_sync_taken(&s, 50, 1);
	rbp_sync_resolve(&s, 1, 0, done, NULL);
	ck_assert_uint_eq(got[40], 99);
	ck_assert(held[40]);
	rbp_sync_free(&s);
}
END_TEST

START_TEST(changes_that_went_by_unseen_are_never_called_held)
{
	struct rbp_sync s;

	ngot = 0;
	rbp_sync_init(&s);
	rbp_sync_add(&s, 5, 2, 3);
	rbp_sync_taken(&s, 4, 9); /* 2 and 3 never reported */
	rbp_sync_resolve(&s, 9, 0, done, NULL);
	ck_assert_uint_eq(ngot, 1);
	ck_assert(!held[0]);
	rbp_sync_free(&s);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    a_request_is_held_once_its_last_entry_is_resolved,
	    a_loss_from_its_first_entry_on_means_not_held,
	    settled_in_order_and_failed_all_at_once,
	    changes_that_went_by_unseen_are_never_called_held,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbp_sync", &core, 1);
}
