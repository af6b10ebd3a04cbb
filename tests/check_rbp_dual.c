/* Split brain seen from the RBS channel (rbpd/rbp_dual.h): which peer
 * binding says master, and a binding's episodes of both masters. */
#include <check.h>
#include <stdlib.h>

#include "rbpd/rbp_dual.h"
#include "tests/lib/checkrun.h"

static const struct rbp_peer_role roles[] = {
    {.backup_id = 10, .vrid = 1, .master = false, .ifname = "eth1"},
    {.backup_id = 10, .vrid = 2, .master = true, .ifname = "eth7"},
    {.backup_id = 20, .vrid = 1, .master = true, .ifname = "eth3"},
};

START_TEST(the_peer_is_master_only_of_the_bindings_it_says)
{
	const char *ifname = NULL;

	ck_assert(!rbp_dual_peer_master(roles, 3, 10, 1, &ifname));
	ck_assert_ptr_null(ifname);
	ck_assert(rbp_dual_peer_master(roles, 3, 10, 2, &ifname));
	ck_assert_str_eq(ifname, "eth7");
	/* the same VRID of another profile is another binding */
	ck_assert(rbp_dual_peer_master(roles, 3, 20, 1, &ifname));
	ck_assert_str_eq(ifname, "eth3");
	ck_assert(!rbp_dual_peer_master(roles, 3, 20, 2, NULL));
	ck_assert(!rbp_dual_peer_master(roles, 3, 30, 2, NULL));
	/* no roles (the channel down, or a peer that tells none): not master */
	ck_assert(!rbp_dual_peer_master(NULL, 0, 10, 2, NULL));
}
END_TEST

START_TEST(an_episode_begins_once_and_ends_with_its_length)
{
	struct rbp_dual d = {0};

	ck_assert_int_eq(rbp_dual_update(&d, false, 100), RBP_DUAL_SAME);
	ck_assert_uint_eq(d.since, 0);
	ck_assert_int_eq(rbp_dual_update(&d, true, 100), RBP_DUAL_BEGAN);
	ck_assert_uint_eq(d.since, 100);
	ck_assert_uint_eq(d.count, 1);
	/* still both masters: the episode goes on, counted once */
	ck_assert_int_eq(rbp_dual_update(&d, true, 105), RBP_DUAL_SAME);
	ck_assert_uint_eq(d.since, 100);
	ck_assert_uint_eq(d.count, 1);
	ck_assert_int_eq(rbp_dual_update(&d, false, 142), RBP_DUAL_ENDED);
	ck_assert_uint_eq(d.since, 0);
	ck_assert_uint_eq(d.last_s, 42);
	ck_assert_int_eq(rbp_dual_update(&d, false, 150), RBP_DUAL_SAME);
	/* a second episode */
	ck_assert_int_eq(rbp_dual_update(&d, true, 200), RBP_DUAL_BEGAN);
	ck_assert_uint_eq(d.count, 2);
}
END_TEST

START_TEST(a_clock_at_zero_or_stepped_back_breaks_nothing)
{
	struct rbp_dual d = {0};

	/* since 0 means "none": an episode that begins at 0 still shows */
	ck_assert_int_eq(rbp_dual_update(&d, true, 0), RBP_DUAL_BEGAN);
	ck_assert_uint_ne(d.since, 0);
	ck_assert_int_eq(rbp_dual_update(&d, true, 0), RBP_DUAL_SAME);
	/* the wall clock stepped back during the episode: length 0, not 2^64 */
	d.since = 500;
	ck_assert_int_eq(rbp_dual_update(&d, false, 400), RBP_DUAL_ENDED);
	ck_assert_uint_eq(d.last_s, 0);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    the_peer_is_master_only_of_the_bindings_it_says,
	    an_episode_begins_once_and_ends_with_its_length,
	    a_clock_at_zero_or_stepped_back_breaks_nothing,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbp_dual", &core, 1);
}
