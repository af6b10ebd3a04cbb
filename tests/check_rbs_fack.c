/* Which of the feeder's entries the peer holds: acknowledgments of window
 * sequences mapped back to the feeder's count, entries dropped or
 * discarded by a resync counted as lost, and never as held. */
#include <check.h>
#include <stdlib.h>

#include "rbsd/rbs_fack.h"
#include "tests/lib/checkrun.h"

/* held: what the feeder concludes of its entry k. */
static int held(const struct rbs_fack *f, uint64_t k)
{
	return k <= f->resolved && f->lost < k;
}

START_TEST(acknowledgments_resolve_the_feeder_entries_in_order)
{
	struct rbs_fack f;

	rbs_fack_init(&f);
	for (uint64_t s = 101; s <= 110; s++) /* the window had 100 before */
		ck_assert_int_eq(rbs_fack_pushed(&f, s), 0);
	ck_assert_uint_eq(f.fed, 10);
	rbs_fack_update(&f, 100, 0, 0); /* the old entries: nothing of ours */
	ck_assert_uint_eq(f.resolved, 0);
	rbs_fack_update(&f, 104, 0, 0);
	ck_assert_uint_eq(f.resolved, 4);
	ck_assert(held(&f, 4) && !held(&f, 5));
	rbs_fack_update(&f, 110, 0, 0);
	ck_assert_uint_eq(f.resolved, 10);
	ck_assert_uint_eq(f.lost, 0);
	ck_assert_uint_eq(f.len, 0);
	rbs_fack_free(&f);
}
END_TEST

START_TEST(a_dropped_entry_is_lost_and_resolved_at_once_when_nothing_waits)
{
	struct rbs_fack f;

	rbs_fack_init(&f);
	rbs_fack_pushed(&f, 0); /* the window awaits a batch */
	ck_assert_uint_eq(f.lost, 1);
	ck_assert_uint_eq(f.resolved, 1);
	ck_assert(!held(&f, 1));
	rbs_fack_pushed(&f, 7);
	rbs_fack_update(&f, 7, 0, 0);
	ck_assert(held(&f, 2));
	rbs_fack_free(&f);
}
END_TEST

START_TEST(a_resync_loses_what_was_not_acknowledged_though_the_window_moves_past_it)
{
	struct rbs_fack f;

	rbs_fack_init(&f);
	for (uint64_t s = 11; s <= 20; s++)
		rbs_fack_pushed(&f, s);
	rbs_fack_update(&f, 12, 0, 0);
	ck_assert(held(&f, 2));
	/* sent through 15, acked 12; the resync drops 13..20 and says acked 15 */
	rbs_fack_update(&f, 15, 13, 20);
	ck_assert_uint_eq(f.resolved, 10);
	ck_assert_uint_eq(f.lost, 10);
	for (uint64_t k = 3; k <= 10; k++)
		ck_assert(!held(&f, k));
	/* new entries take sequences from 16 again: held once acknowledged */
	rbs_fack_pushed(&f, 16);
	rbs_fack_pushed(&f, 17);
	rbs_fack_update(&f, 16, 0, 0);
	ck_assert(held(&f, 11) && !held(&f, 12));
	rbs_fack_update(&f, 17, 0, 0);
	ck_assert(held(&f, 12));
	rbs_fack_free(&f);
}
END_TEST

START_TEST(acknowledged_before_the_resync_stays_held)
{
	struct rbs_fack f;

	rbs_fack_init(&f);
	for (uint64_t s = 1; s <= 6; s++)
		rbs_fack_pushed(&f, s);
	/* acked through 3 (not seen yet), then a resync dropped 4..6 */
	rbs_fack_update(&f, 6, 4, 6);
	ck_assert(!held(&f, 3)); /* lost >= 3: conservatively not held */
	ck_assert_uint_eq(f.lost, 6);
	ck_assert_uint_eq(f.resolved, 6);
	rbs_fack_free(&f);

	rbs_fack_init(&f);
	for (uint64_t s = 1; s <= 6; s++)
		rbs_fack_pushed(&f, s);
	rbs_fack_update(&f, 3, 0, 0); /* seen before the resync */
	ck_assert(held(&f, 3));
	rbs_fack_update(&f, 6, 4, 6);
	ck_assert_uint_eq(f.lost, 6);
	rbs_fack_free(&f);
}
END_TEST

START_TEST(runs_follow_gaps_in_the_sequences_and_the_ring_grows)
{
	struct rbs_fack f;
	uint64_t s = 1;

	rbs_fack_init(&f);
	/* 1000 entries in runs of 3 with a gap of 2 between them */
	for (uint64_t k = 1; k <= 1000; k++) {
		rbs_fack_pushed(&f, s);
		s += k % 3 ? 1 : 3;
	}
	ck_assert_uint_eq(f.len, 334);
	rbs_fack_update(&f, 7, 0, 0); /* 1 2 3, 6 7 */
	ck_assert_uint_eq(f.resolved, 5);
	rbs_fack_update(&f, s, 0, 0);
	ck_assert_uint_eq(f.resolved, 1000);
	ck_assert_uint_eq(f.len, 0);
	rbs_fack_reset(&f);
	ck_assert_uint_eq(f.fed, 0);
	rbs_fack_pushed(&f, 5);
	ck_assert_uint_eq(f.fed, 1);
	rbs_fack_free(&f);
}
END_TEST

/* An entry dropped while older ones wait (the window full, an entry it
 * refused), then a resync that discards those older ones: the dropped
 * one is still lost, and never held, though the discarded are older. */
START_TEST(a_dropped_entry_stays_lost_when_a_resync_then_discards_older_ones)
{
	struct rbs_fack f;

	rbs_fack_init(&f);
	for (uint64_t s = 1; s <= 5; s++) /* entries 1..5: unacknowledged */
		rbs_fack_pushed(&f, s);
	rbs_fack_pushed(&f, 0); /* entry 6: the window refused it */
	ck_assert_uint_eq(f.lost, 6);
	rbs_fack_update(&f, 5, 1, 5); /* a resync discards 1..5 */
	ck_assert_uint_eq(f.resolved, 6);
	ck_assert_uint_eq(f.lost, 6);
	for (uint64_t k = 1; k <= 6; k++)
		ck_assert_msg(!held(&f, k), "entry %llu held", (unsigned long long)k);
	rbs_fack_free(&f);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    acknowledgments_resolve_the_feeder_entries_in_order,
	    a_dropped_entry_is_lost_and_resolved_at_once_when_nothing_waits,
	    a_resync_loses_what_was_not_acknowledged_though_the_window_moves_past_it,
	    acknowledged_before_the_resync_stays_held,
	    runs_follow_gaps_in_the_sequences_and_the_ring_grows,
	    a_dropped_entry_stays_lost_when_a_resync_then_discards_older_ones,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbs_fack", &core, 1);
}
