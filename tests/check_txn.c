/* The commit coordinator against scripted participants: every path ends
 * in exactly one decision, with each refusing daemon's reason kept. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cfgd/txn.h"
#include "tests/lib/checkrun.h"

#define ALL ((1u << D_VRRPD) | (1u << D_RBSD) | (1u << D_RBPD))

static struct cfg_txn t;

static void teardown(void)
{
	cfg_txn_end(&t);
}

START_TEST(all_yes_commits_then_acks)
{
	cfg_txn_begin(&t, 1, ALL, 0, 2000);
	ck_assert_int_eq(cfg_txn_vote(&t, D_VRRPD, true, NULL, 0), TXN_PENDING);
	ck_assert_int_eq(cfg_txn_vote(&t, D_RBSD, true, NULL, 0), TXN_PENDING);
	ck_assert_int_eq(cfg_txn_vote(&t, D_RBPD, true, NULL, 0), TXN_COMMIT);
	cfg_txn_committed(&t, 10, 2000);
	ck_assert(!cfg_txn_ack(&t, D_VRRPD));
	ck_assert(!cfg_txn_ack(&t, D_RBSD));
	ck_assert(cfg_txn_ack(&t, D_RBPD));
	ck_assert_uint_eq(cfg_txn_unacked(&t), 0);
}
END_TEST

START_TEST(one_no_vote_aborts_with_its_reason)
{
	char *why[] = {"interface eth9: no such interface"};

	cfg_txn_begin(&t, 2, ALL, 0, 2000);
	cfg_txn_vote(&t, D_VRRPD, false, why, 1);
	ck_assert_int_eq(t.decision, TXN_ABORT);
	ck_assert_uint_eq(t.reasons.n, 1);
	ck_assert_str_eq(t.reasons.v[0], "vrrpd: interface eth9: no such interface");
	/* a late yes changes nothing */
	ck_assert_int_eq(cfg_txn_vote(&t, D_RBSD, true, NULL, 0), TXN_ABORT);
}
END_TEST

START_TEST(silent_participant_aborts_at_deadline)
{
	cfg_txn_begin(&t, 3, ALL, 1000, 2000);
	cfg_txn_vote(&t, D_VRRPD, true, NULL, 0);
	cfg_txn_vote(&t, D_RBPD, true, NULL, 0);
	ck_assert_int_eq(cfg_txn_tick(&t, 2999), TXN_PENDING);
	ck_assert_int_eq(cfg_txn_tick(&t, 3000), TXN_ABORT);
	ck_assert_uint_eq(t.reasons.n, 1);
	ck_assert_ptr_nonnull(strstr(t.reasons.v[0], "rbsd: no answer"));
}
END_TEST

START_TEST(participant_dying_before_vote_aborts)
{
	cfg_txn_begin(&t, 4, ALL, 0, 2000);
	cfg_txn_vote(&t, D_VRRPD, true, NULL, 0);
	ck_assert_int_eq(cfg_txn_lost(&t, D_RBSD), TXN_ABORT);
	ck_assert_ptr_nonnull(strstr(t.reasons.v[0], "rbsd: went away"));
}
END_TEST

START_TEST(participant_dying_between_phases_is_left_unacked)
{
	cfg_txn_begin(&t, 5, ALL, 0, 2000);
	cfg_txn_vote(&t, D_VRRPD, true, NULL, 0);
	cfg_txn_vote(&t, D_RBSD, true, NULL, 0);
	cfg_txn_vote(&t, D_RBPD, true, NULL, 0);
	/* the decision stands whoever dies now */
	ck_assert_int_eq(cfg_txn_lost(&t, D_RBSD), TXN_COMMIT);
	cfg_txn_committed(&t, 100, 2000);
	cfg_txn_ack(&t, D_VRRPD);
	cfg_txn_ack(&t, D_RBPD);
	ck_assert_int_eq(cfg_txn_tick(&t, 2100), TXN_COMMIT);
	ck_assert(t.acks_done);
	ck_assert_uint_eq(cfg_txn_unacked(&t), 1u << D_RBSD);
}
END_TEST

START_TEST(non_participants_and_duplicates_are_ignored)
{
	cfg_txn_begin(&t, 6, 1u << D_VRRPD, 0, 2000);
	ck_assert_int_eq(cfg_txn_vote(&t, D_RBSD, false, NULL, 0), TXN_PENDING);
	ck_assert_int_eq(cfg_txn_vote(&t, D_VRRPD, true, NULL, 0), TXN_COMMIT);
	ck_assert_int_eq(cfg_txn_vote(&t, D_VRRPD, false, NULL, 0), TXN_COMMIT);
}
END_TEST

START_TEST(failed_durable_write_aborts)
{
	cfg_txn_begin(&t, 7, 1u << D_RBPD, 0, 2000);
	cfg_txn_vote(&t, D_RBPD, true, NULL, 0);
	cfg_txn_fail(&t, "cannot write the state directory: No space left on device");
	ck_assert_int_eq(t.decision, TXN_ABORT);
	ck_assert_ptr_nonnull(strstr(t.reasons.v[0], "No space left"));
}
END_TEST

START_TEST(forced_commit_takes_no_votes)
{
	char *why[] = {"interface eth9: no such interface"};

	/* a trial that expired rolls back whatever the daemons say */
	cfg_txn_begin(&t, 8, ALL, 0, 2000);
	ck_assert_int_eq(cfg_txn_force(&t), TXN_COMMIT);
	ck_assert_int_eq(cfg_txn_vote(&t, D_VRRPD, false, why, 1), TXN_COMMIT);
	ck_assert_int_eq(cfg_txn_lost(&t, D_RBSD), TXN_COMMIT);
	ck_assert_int_eq(cfg_txn_tick(&t, 5000), TXN_COMMIT);
	ck_assert_uint_eq(t.reasons.n, 0);
}
END_TEST

START_TEST(force_keeps_an_abort)
{
	cfg_txn_begin(&t, 9, ALL, 0, 2000);
	cfg_txn_vote(&t, D_RBPD, false, NULL, 0);
	ck_assert_int_eq(cfg_txn_force(&t), TXN_ABORT);
	ck_assert_int_eq(t.decision, TXN_ABORT);
}
END_TEST

START_TEST(participant_not_running_aborts_with_its_reason)
{
	cfg_txn_begin(&t, 10, ALL, 0, 2000);
	ck_assert_int_eq(cfg_txn_refuse(&t, D_RBSD, "not running (no HELLO from it)"), TXN_ABORT);
	ck_assert_int_eq(t.decision, TXN_ABORT);
	ck_assert_uint_eq(t.reasons.n, 1);
	ck_assert_str_eq(t.reasons.v[0], "rbsd: not running (no HELLO from it)");
	/* the others' yes changes nothing */
	ck_assert_int_eq(cfg_txn_vote(&t, D_VRRPD, true, NULL, 0), TXN_ABORT);
	ck_assert_int_eq(cfg_txn_vote(&t, D_RBPD, true, NULL, 0), TXN_ABORT);
}
END_TEST

START_TEST(every_participant_not_running_is_named_once)
{
	cfg_txn_begin(&t, 11, ALL, 0, 2000);
	cfg_txn_refuse(&t, D_VRRPD, "not running (no HELLO from it)");
	cfg_txn_refuse(&t, D_RBPD, "not running (no HELLO from it)");
	cfg_txn_refuse(&t, D_VRRPD, "not running (no HELLO from it)");
	ck_assert_int_eq(t.decision, TXN_ABORT);
	ck_assert_uint_eq(t.reasons.n, 2);
	ck_assert_str_eq(t.reasons.v[0], "vrrpd: not running (no HELLO from it)");
	ck_assert_str_eq(t.reasons.v[1], "rbpd: not running (no HELLO from it)");
}
END_TEST

START_TEST(refusing_a_non_participant_or_after_commit_is_ignored)
{
	cfg_txn_begin(&t, 12, 1u << D_VRRPD, 0, 2000);
	ck_assert_int_eq(cfg_txn_refuse(&t, D_RBSD, "not running"), TXN_PENDING);
	ck_assert_int_eq(cfg_txn_vote(&t, D_VRRPD, true, NULL, 0), TXN_COMMIT);
	ck_assert_int_eq(cfg_txn_refuse(&t, D_VRRPD, "not running"), TXN_COMMIT);
	ck_assert_uint_eq(t.reasons.n, 0);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    all_yes_commits_then_acks,
	    one_no_vote_aborts_with_its_reason,
	    silent_participant_aborts_at_deadline,
	    participant_dying_before_vote_aborts,
	    participant_dying_between_phases_is_left_unacked,
	    non_participants_and_duplicates_are_ignored,
	    failed_durable_write_aborts,
	    forced_commit_takes_no_votes,
	    force_keeps_an_abort,
	    participant_not_running_aborts_with_its_reason,
	    every_participant_not_running_is_named_once,
	    refusing_a_non_participant_or_after_commit_is_ignored,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests, .teardown = teardown};

	return checkrun("txn", &core, 1);
}
