/* How far rbsd acknowledges the peer: the feeder's count of entries it
 * applied mapped back onto the sequences received, never past an entry it
 * did not apply nor past what was received, across resumes, resyncs and
 * new attachments; nothing before a feeder attached; and on receipt for a
 * feeder that does not say. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "rbsd/rbs_applied.h"
#include "tests/lib/checkrun.h"

#define T1 0x1111 /* attachments */
#define T2 0x2222

START_TEST(a_feeder_that_does_not_say_what_it_applied_has_what_was_received_acknowledged)
{
	struct rbs_applied a;

	rbs_applied_init(&a);
	rbs_applied_attach(&a, T1, false, 7);
	ck_assert_int_eq(rbs_applied_handed(&a, 8, 5), 0);
	ck_assert_uint_eq(a.len, 0); /* nothing kept */
	ck_assert_uint_eq(rbs_applied_ack(&a, 12), 12);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 5), -ESTALE);
	rbs_applied_free(&a);
}
END_TEST

/* rbsd started, resynced with the peer and received entries before its
 * rbpd attached: it dropped them, and acknowledges none. */
START_TEST(nothing_received_before_a_feeder_attached_is_acknowledged)
{
	struct rbs_applied a;

	rbs_applied_init(&a);
	ck_assert_uint_eq(rbs_applied_ack(&a, 7), 0);
	rbs_applied_rebase(&a, 100);
	ck_assert_uint_eq(rbs_applied_ack(&a, 100), 100); /* the new numbering's base */
	ck_assert_uint_eq(rbs_applied_ack(&a, 120), 100); /* 101 .. 120: no feeder */
	rbs_applied_attach(&a, T1, true, 120);
	ck_assert_uint_eq(rbs_applied_ack(&a, 120), 100);
	/* the peer sends them again */
	rbs_applied_rewind(&a, 100);
	rbs_applied_handed(&a, 101, 20);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 20), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 120), 120);
	rbs_applied_free(&a);
}
END_TEST

START_TEST(the_count_applied_maps_onto_the_sequences_received)
{
	struct rbs_applied a;

	rbs_applied_init(&a);
	rbs_applied_attach(&a, T2, false, 0);
	rbs_applied_attach(&a, T1, true, 100); /* 1..100 went on receipt before */
	ck_assert_uint_eq(rbs_applied_ack(&a, 100), 100);
	ck_assert_int_eq(rbs_applied_handed(&a, 101, 6), 0); /* two messages */
	ck_assert_int_eq(rbs_applied_handed(&a, 107, 4), 0);
	ck_assert_uint_eq(a.len, 1);
	/* received, not applied: nothing more is acknowledged */
	ck_assert_uint_eq(rbs_applied_ack(&a, 110), 100);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 4), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 110), 104);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 4), 0); /* the same word again */
	ck_assert_uint_eq(rbs_applied_ack(&a, 110), 104);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 10), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 110), 110);
	ck_assert_uint_eq(a.len, 0);
	rbs_applied_free(&a);
}
END_TEST

START_TEST(a_stale_or_impossible_word_changes_nothing)
{
	struct rbs_applied a;

	rbs_applied_init(&a);
	rbs_applied_attach(&a, T1, true, 0);
	rbs_applied_handed(&a, 1, 10);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 5), 0);
	/* a word of the attachment before, of a count never handed, or
	 * going back */
	ck_assert_int_eq(rbs_applied_report(&a, T2, 10), -ESTALE);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 11), -EINVAL);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 4), -EINVAL);
	ck_assert_uint_eq(rbs_applied_ack(&a, 10), 5);
	ck_assert_uint_eq(a.applied, 5);
	/* a new attachment: the old one's word is stale, even for entries
	 * handed to it */
	rbs_applied_attach(&a, T2, true, 10);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 10), -ESTALE);
	ck_assert_uint_eq(rbs_applied_ack(&a, 10), 5);
	rbs_applied_free(&a);
}
END_TEST

START_TEST(never_beyond_what_was_received)
{
	struct rbs_applied a;

	rbs_applied_init(&a);
	rbs_applied_attach(&a, T1, true, 0);
	rbs_applied_handed(&a, 1, 10);
	/* a reconnect resumes after 5: the peer sends 6 .. again, and the
	 * copies handed before are applied meanwhile */
	rbs_applied_rewind(&a, 5);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 10), 0);
	ck_assert_uint_eq(a.done, 10);
	ck_assert_uint_eq(rbs_applied_ack(&a, 5), 5);
	ck_assert_uint_eq(rbs_applied_ack(&a, 8), 8);
	ck_assert_uint_eq(rbs_applied_ack(&a, 12), 10);
	rbs_applied_free(&a);
}
END_TEST

START_TEST(an_entry_never_applied_stops_the_acknowledgment_until_it_is_resent)
{
	struct rbs_applied a;

	rbs_applied_init(&a);
	rbs_applied_attach(&a, T1, true, 0);
	rbs_applied_handed(&a, 1, 5);
	/* 6 .. 8 received and never handed (the feeder's queue failed) */
	rbs_applied_handed(&a, 9, 4);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 9), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 12), 5);
	/* a resume from 6: 6 .. 12 come again and are applied */
	rbs_applied_rewind(&a, 5);
	rbs_applied_handed(&a, 6, 7);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 12), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 12), 8);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 16), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 12), 12);
	rbs_applied_free(&a);
}
END_TEST

START_TEST(a_resync_voids_what_was_handed_and_not_applied)
{
	struct rbs_applied a;

	rbs_applied_init(&a);
	rbs_applied_attach(&a, T1, true, 0);
	rbs_applied_handed(&a, 1, 10);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 2), 0);
	/* the peer restarted: its numbering begins after 3 now, and the old
	 * 4 .. 10 (handed, not applied) are other entries than the new ones */
	rbs_applied_rebase(&a, 3);
	ck_assert_uint_eq(rbs_applied_ack(&a, 3), 3);
	rbs_applied_handed(&a, 4, 2); /* the new 4, 5 */
	ck_assert_int_eq(rbs_applied_report(&a, T1, 10), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 5), 3);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 12), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 5), 5);
	/* entries of the old numbering handed after the resync (they waited
	 * for the feeder) acknowledge nothing either */
	rbs_applied_handed(&a, 0, 3);
	rbs_applied_handed(&a, 6, 1);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 15), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 6), 5);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 16), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 6), 6);
	rbs_applied_free(&a);
}
END_TEST

/* A resync decided at one HELLO, then a connection that resumes from 1
 * (the peer never saw that HELLO and still holds everything): nothing
 * of what the resync's base covered counts as applied. */
START_TEST(a_resync_that_never_happened_is_undone_by_the_resume_after_it)
{
	struct rbs_applied a;

	rbs_applied_init(&a);
	rbs_applied_attach(&a, T1, true, 0);
	rbs_applied_rebase(&a, 20);
	rbs_applied_rewind(&a, 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 3), 0);
	rbs_applied_handed(&a, 1, 3);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 3), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 3), 3);
	rbs_applied_free(&a);
}
END_TEST

START_TEST(a_new_attachment_counts_anew_and_what_the_old_one_left_stays_unapplied)
{
	struct rbs_applied a;

	rbs_applied_init(&a);
	rbs_applied_attach(&a, T1, true, 0);
	rbs_applied_handed(&a, 1, 10);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 4), 0);
	/* rbpd restarted with 5 .. 10 unapplied */
	rbs_applied_attach(&a, T2, true, 10);
	ck_assert_uint_eq(a.handed, 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 10), 4);
	rbs_applied_handed(&a, 11, 2);
	ck_assert_int_eq(rbs_applied_report(&a, T2, 2), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 12), 4);
	/* the peer sends 5 .. again */
	rbs_applied_rewind(&a, 4);
	rbs_applied_handed(&a, 5, 8);
	ck_assert_int_eq(rbs_applied_report(&a, T2, 10), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 12), 12);
	/* a feeder that acknowledges on receipt: everything received */
	rbs_applied_attach(&a, T1, false, 12);
	ck_assert_uint_eq(rbs_applied_ack(&a, 15), 15);
	/* and after it one that says again: from what was received then */
	rbs_applied_attach(&a, T2, true, 15);
	ck_assert_uint_eq(rbs_applied_ack(&a, 17), 15);
	rbs_applied_free(&a);
}
END_TEST

/* rbpd attaches to an rbsd that resynced with the peer before and waits
 * for the peer's batch: the new numbering's base stands. */
START_TEST(a_feeder_that_attaches_while_a_resync_waits_for_the_batch_starts_at_its_base)
{
	struct rbs_applied a;

	rbs_applied_init(&a);
	rbs_applied_rebase(&a, 100); /* nothing received until the batch begins */
	rbs_applied_attach(&a, T1, true, 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 100), 100);
	rbs_applied_handed(&a, 101, 3);
	ck_assert_uint_eq(rbs_applied_ack(&a, 103), 100);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 3), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 103), 103);
	rbs_applied_free(&a);
}
END_TEST

START_TEST(runs_that_do_not_follow_each_other_are_kept_apart_and_the_ring_grows)
{
	struct rbs_applied a;

	rbs_applied_init(&a);
	rbs_applied_attach(&a, T1, true, 0);
	/* each entry handed twice (a resume resent it before the first copy
	 * was applied): 1 1 2 2 3 3 ... */
	for (uint64_t s = 1; s <= 40; s++) {
		ck_assert_int_eq(rbs_applied_handed(&a, s, 1), 0);
		ck_assert_int_eq(rbs_applied_handed(&a, s, 1), 0);
	}
	ck_assert_uint_gt(a.len, 8);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 41), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 40), 21);
	ck_assert_int_eq(rbs_applied_report(&a, T1, 80), 0);
	ck_assert_uint_eq(rbs_applied_ack(&a, 40), 40);
	ck_assert_uint_eq(a.len, 0);
	rbs_applied_free(&a);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    a_feeder_that_does_not_say_what_it_applied_has_what_was_received_acknowledged,
	    nothing_received_before_a_feeder_attached_is_acknowledged,
	    the_count_applied_maps_onto_the_sequences_received,
	    a_stale_or_impossible_word_changes_nothing,
	    never_beyond_what_was_received,
	    an_entry_never_applied_stops_the_acknowledgment_until_it_is_resent,
	    a_resync_voids_what_was_handed_and_not_applied,
	    a_resync_that_never_happened_is_undone_by_the_resume_after_it,
	    a_new_attachment_counts_anew_and_what_the_old_one_left_stays_unapplied,
	    a_feeder_that_attaches_while_a_resync_waits_for_the_batch_starts_at_its_base,
	    runs_that_do_not_follow_each_other_are_kept_apart_and_the_ring_grows,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbs_applied", &core, 1);
}
