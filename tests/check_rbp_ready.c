/* The preemption gate: when a returning device may take its groups back,
 * and what `display vrrp` says while it may not. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "rbpd/rbp_ready.h"
#include "tests/lib/checkrun.h"

static char why[200];

static struct rbp_ready_in complete(void)
{
	struct rbp_ready_in in = {
	    .service = "rbs1", .up = true, .batch_done = true, .batch_agreed = true};

	return in;
}

START_TEST(a_channel_up_after_an_agreeing_batch_is_ready)
{
	struct rbp_ready_in in = complete();

	ck_assert(rbp_ready(&in, why, sizeof(why)));
	ck_assert_str_eq(why, "");
}
END_TEST

START_TEST(a_batch_in_progress_says_how_far_it_is)
{
	struct rbp_ready_in in = complete();

	in.batch_running = true;
	in.batch_got = 61200;
	in.batch_total = 100000;
	ck_assert(!rbp_ready(&in, why, sizeof(why)));
	ck_assert_str_eq(why, "waiting for batch backup from rbs1: 61,200 of 100,000");
}
END_TEST

START_TEST(no_channel_no_batch_or_differing_tables_are_not_ready)
{
	struct rbp_ready_in in = complete();

	in.up = false;
	ck_assert(!rbp_ready(&in, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "remote-backup-service rbs1 is down"));

	in = complete();
	in.batch_done = false;
	ck_assert(!rbp_ready(&in, why, sizeof(why)));
	ck_assert_str_eq(why, "waiting for batch backup from rbs1 to begin");

	in = complete();
	in.batch_agreed = false;
	ck_assert(!rbp_ready(&in, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "tables that differ"));

	/* a short buffer is cut, never overrun */
	in = complete();
	in.up = false;
	{
		char small[8];

		ck_assert(!rbp_ready(&in, small, sizeof(small)));
		ck_assert_uint_eq(strlen(small), 7);
	}
}
END_TEST

START_TEST(counts_are_grouped_by_thousands)
{
	char b[32];

	ck_assert_str_eq(rbp_ready_count(0, b, sizeof(b)), "0");
	ck_assert_str_eq(rbp_ready_count(999, b, sizeof(b)), "999");
	ck_assert_str_eq(rbp_ready_count(1000, b, sizeof(b)), "1,000");
	ck_assert_str_eq(rbp_ready_count(100000, b, sizeof(b)), "100,000");
	ck_assert_str_eq(rbp_ready_count(1234567, b, sizeof(b)), "1,234,567");
	ck_assert_str_eq(rbp_ready_count(UINT64_MAX, b, sizeof(b)), "18,446,744,073,709,551,615");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    a_channel_up_after_an_agreeing_batch_is_ready,
	    a_batch_in_progress_says_how_far_it_is,
	    no_channel_no_batch_or_differing_tables_are_not_ready,
	    counts_are_grouped_by_thousands,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbp_ready", &core, 1);
}
