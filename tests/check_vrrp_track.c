/* A VRRP group's priority and takeover from the BFD sessions and interfaces
 * it tracks, and the recover-delay. */
#include <check.h>
#include <stdlib.h>

#include "tests/lib/checkrun.h"
#include "vrrpd/vrrp_track.h"

START_TEST(a_session_down_lowers_or_raises_the_priority_while_it_is_down)
{
	struct vrrp_track t[2] = {{.name = "a", .reduced = 30}, {.name = "b", .increased = 5}};

	ck_assert_uint_eq(vrrp_track_priority(120, false, t, 2, 1000, 0), 120);
	t[0].down = true;
	ck_assert_uint_eq(vrrp_track_priority(120, false, t, 2, 1000, 0), 90);
	t[1].down = true;
	ck_assert_uint_eq(vrrp_track_priority(120, false, t, 2, 1000, 0), 95);
	t[0].down = false;
	ck_assert_uint_eq(vrrp_track_priority(120, false, t, 2, 1000, 0), 125);
}
END_TEST

START_TEST(the_priority_stays_within_1_and_254)
{
	struct vrrp_track t[2] = {{.name = "a", .reduced = 200, .down = true},
				  {.name = "b", .reduced = 200, .down = true}};
	struct vrrp_track up = {.name = "c", .increased = 255, .down = true};

	ck_assert_uint_eq(vrrp_track_priority(100, false, t, 2, 1000, 0), 1);
	ck_assert_uint_eq(vrrp_track_priority(100, false, &up, 1, 1000, 0), 254);
}
END_TEST

START_TEST(the_address_owner_keeps_255)
{
	struct vrrp_track t = {.name = "a", .reduced = 50, .down = true};

	ck_assert_uint_eq(vrrp_track_priority(255, true, &t, 1, 1000, 0), 255);
}
END_TEST

START_TEST(a_peer_session_changes_no_priority_and_says_when_the_master_is_gone)
{
	struct vrrp_track t[2] = {{.name = "m", .peer = true}, {.name = "x", .reduced = 10}};

	ck_assert(!vrrp_track_peer_down(t, 2));
	t[1].down = true;
	ck_assert(!vrrp_track_peer_down(t, 2));
	t[0].down = true;
	ck_assert(vrrp_track_peer_down(t, 2));
	ck_assert_uint_eq(vrrp_track_priority(100, false, t, 2, 1000, 0), 90);
	ck_assert(!vrrp_track_peer_down(t, 0));
}
END_TEST

START_TEST(an_interface_adds_up_with_a_session)
{
	struct vrrp_track t[2] = {{.kind = VRRP_TRACK_INTERFACE, .name = "eth2", .reduced = 30},
				  {.kind = VRRP_TRACK_BFD, .name = "s", .reduced = 20}};

	ck_assert(vrrp_track_set(&t[0], true, 100));
	ck_assert(!vrrp_track_set(&t[0], true, 150)); /* no change: nothing to do */
	ck_assert_uint_eq(vrrp_track_priority(120, false, t, 2, 200, 0), 90);
	ck_assert(vrrp_track_set(&t[1], true, 200));
	ck_assert_uint_eq(vrrp_track_priority(120, false, t, 2, 200, 0), 70);
	ck_assert(vrrp_track_set(&t[0], false, 300));
	ck_assert_uint_eq(vrrp_track_priority(120, false, t, 2, 300, 0), 100);
}
END_TEST

START_TEST(with_a_recover_delay_a_track_back_up_counts_down_until_it_ends)
{
	struct vrrp_track t = {.kind = VRRP_TRACK_INTERFACE, .name = "eth2", .reduced = 30};
	const uint32_t delay = 5000;

	/* up since it was configured: no delay applies */
	ck_assert(!vrrp_track_counts_down(&t, 10, delay));
	ck_assert_uint_eq(vrrp_track_next(&t, 1, 10, delay), 0);
	/* down counts at once */
	vrrp_track_set(&t, true, 1000);
	ck_assert_uint_eq(vrrp_track_priority(120, false, &t, 1, 1000, delay), 90);
	ck_assert_uint_eq(vrrp_track_next(&t, 1, 1000, delay), 0);
	/* back up at 2000: still down until 7000 */
	vrrp_track_set(&t, false, 2000);
	ck_assert_uint_eq(vrrp_track_priority(120, false, &t, 1, 2000, delay), 90);
	ck_assert_uint_eq(vrrp_track_priority(120, false, &t, 1, 6999, delay), 90);
	ck_assert_uint_eq(vrrp_track_next(&t, 1, 2000, delay), 7000);
	ck_assert_uint_eq(vrrp_track_priority(120, false, &t, 1, 7000, delay), 120);
	ck_assert_uint_eq(vrrp_track_next(&t, 1, 7000, delay), 0);
	/* a flap during the delay starts it again */
	vrrp_track_set(&t, true, 8000);
	vrrp_track_set(&t, false, 8100);
	vrrp_track_set(&t, true, 9000);
	vrrp_track_set(&t, false, 9100);
	ck_assert_uint_eq(vrrp_track_next(&t, 1, 9100, delay), 14100);
	ck_assert_uint_eq(vrrp_track_priority(120, false, &t, 1, 13100, delay), 90);
	/* without a delay, up is up */
	ck_assert_uint_eq(vrrp_track_priority(120, false, &t, 1, 9100, 0), 120);
}
END_TEST

START_TEST(the_earliest_recovery_of_several_is_next)
{
	struct vrrp_track t[3] = {
	    {.name = "a", .reduced = 1}, {.name = "b", .reduced = 1}, {.name = "c", .reduced = 1}};

	vrrp_track_set(&t[0], true, 1);
	vrrp_track_set(&t[1], true, 1);
	vrrp_track_set(&t[2], true, 1);
	vrrp_track_set(&t[0], false, 300);
	vrrp_track_set(&t[1], false, 100);
	/* c is still down: it ends no delay */
	ck_assert_uint_eq(vrrp_track_next(t, 3, 100, 1000), 1100);
	ck_assert_uint_eq(vrrp_track_next(t, 3, 1100, 1000), 1300);
	ck_assert_uint_eq(vrrp_track_priority(100, false, t, 3, 1200, 1000), 98);
}
END_TEST

START_TEST(a_peer_session_takes_no_delay)
{
	struct vrrp_track t = {.kind = VRRP_TRACK_BFD, .name = "m", .peer = true};

	vrrp_track_set(&t, true, 10);
	ck_assert(vrrp_track_peer_down(&t, 1));
	vrrp_track_set(&t, false, 20);
	ck_assert(!vrrp_track_peer_down(&t, 1));
	ck_assert(!vrrp_track_counts_down(&t, 21, 60000));
	ck_assert_uint_eq(vrrp_track_next(&t, 1, 21, 60000), 0);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    a_session_down_lowers_or_raises_the_priority_while_it_is_down,
	    the_priority_stays_within_1_and_254,
	    the_address_owner_keeps_255,
	    a_peer_session_changes_no_priority_and_says_when_the_master_is_gone,
	    an_interface_adds_up_with_a_session,
	    with_a_recover_delay_a_track_back_up_counts_down_until_it_ends,
	    the_earliest_recovery_of_several_is_next,
	    a_peer_session_takes_no_delay,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("vrrp_track", &core, 1);
}
