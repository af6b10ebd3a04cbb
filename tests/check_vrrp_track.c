/* A VRRP group's priority and takeover from the BFD sessions it tracks. */
#include <check.h>
#include <stdlib.h>

#include "vrrpd/vrrp_track.h"

START_TEST(a_session_down_lowers_or_raises_the_priority_while_it_is_down)
{
	struct vrrp_track_bfd t[2] = {{.session = "a", .reduced = 30},
				      {.session = "b", .increased = 5}};

	ck_assert_uint_eq(vrrp_track_priority(120, false, t, 2), 120);
	t[0].down = true;
	ck_assert_uint_eq(vrrp_track_priority(120, false, t, 2), 90);
	t[1].down = true;
	ck_assert_uint_eq(vrrp_track_priority(120, false, t, 2), 95);
	t[0].down = false;
	ck_assert_uint_eq(vrrp_track_priority(120, false, t, 2), 125);
}
END_TEST

START_TEST(the_priority_stays_within_1_and_254)
{
	struct vrrp_track_bfd t[2] = {{.session = "a", .reduced = 200, .down = true},
				      {.session = "b", .reduced = 200, .down = true}};
	struct vrrp_track_bfd up = {.session = "c", .increased = 255, .down = true};

	ck_assert_uint_eq(vrrp_track_priority(100, false, t, 2), 1);
	ck_assert_uint_eq(vrrp_track_priority(100, false, &up, 1), 254);
}
END_TEST

START_TEST(the_address_owner_keeps_255)
{
	struct vrrp_track_bfd t = {.session = "a", .reduced = 50, .down = true};

	ck_assert_uint_eq(vrrp_track_priority(255, true, &t, 1), 255);
}
END_TEST

START_TEST(a_peer_session_changes_no_priority_and_says_when_the_master_is_gone)
{
	struct vrrp_track_bfd t[2] = {{.session = "m", .peer = true},
				      {.session = "x", .reduced = 10}};

	ck_assert(!vrrp_track_peer_down(t, 2));
	t[1].down = true;
	ck_assert(!vrrp_track_peer_down(t, 2));
	t[0].down = true;
	ck_assert(vrrp_track_peer_down(t, 2));
	ck_assert_uint_eq(vrrp_track_priority(100, false, t, 2), 90);
	ck_assert(!vrrp_track_peer_down(t, 0));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vrrp_track");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, a_session_down_lowers_or_raises_the_priority_while_it_is_down);
	tcase_add_test(tc, the_priority_stays_within_1_and_254);
	tcase_add_test(tc, the_address_owner_keeps_255);
	tcase_add_test(tc, a_peer_session_changes_no_priority_and_says_when_the_master_is_gone);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
