/* The VRRP state machine, driven by events and a fake clock (plain ms
 * values, no sleeps): who becomes master and when, to the millisecond the
 * RFC 5798 / RFC 3768 timers say, what each event asks the caller to do,
 * and why, in words a log line will show. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/checkrun.h"
#include "vrrpd/vrrp_fsm.h"
#include "vrrpd/vrrpd.h"

#define ADD_SEND_ANNOUNCE (VRRP_ACT_ADD_VIPS | VRRP_ACT_SEND_ADVERT | VRRP_ACT_ANNOUNCE)

/* Any monotonic origin will do; not 0, which the module reserves for
 * stopped timers, and far from it so that an origin mistake shows. */
#define T0 ((uint64_t)5000000)

static struct vrrp_fsm f;
static struct vrrp_fsm_out out;

static struct vrrp_fsm_cfg cfg_of(int version, int priority, bool preempt, uint32_t delay_ms,
				  uint32_t interval_ms)
{
	struct vrrp_fsm_cfg c;

	memset(&c, 0, sizeof(c));
	c.version = (uint8_t)version;
	c.priority = (uint8_t)priority;
	c.preempt = preempt;
	c.preempt_delay_ms = delay_ms;
	c.adver_interval_ms = interval_ms;
	return c;
}

/* A v3 group at 1 s that preempts without delay. */
static struct vrrp_fsm_cfg cfg3(int priority)
{
	return cfg_of(3, priority, true, 0, 1000);
}

/* Every event goes through these: out is filled with garbage first, so a
 * path that leaves a field unwritten fails the assertions that follow. */
static void poison(void)
{
	memset(&out, 0xa5, sizeof(out));
}

static void ev_startup(uint64_t now)
{
	poison();
	vrrp_fsm_startup(&f, now, &out);
}

static void ev_shutdown(uint64_t now)
{
	poison();
	vrrp_fsm_shutdown(&f, now, &out);
}

static void ev_link(uint64_t now, bool up)
{
	poison();
	vrrp_fsm_set_link(&f, now, up, &out);
}

static void ev_timer(uint64_t now)
{
	poison();
	vrrp_fsm_timer(&f, now, &out);
}

static void ev_cfg(uint64_t now, struct vrrp_fsm_cfg c)
{
	poison();
	vrrp_fsm_set_cfg(&f, now, &c, &out);
}

static void ev_recv_full(uint64_t now, int priority, uint32_t interval_ms, bool sender_higher)
{
	struct vrrp_fsm_adv a;

	memset(&a, 0, sizeof(a));
	a.priority = (uint8_t)priority;
	a.adver_interval_ms = interval_ms;
	a.sender_addr_higher = sender_higher;
	poison();
	vrrp_fsm_recv(&f, now, &a, &out);
}

/* An advertisement at 1 s from a sender with a lower address. */
static void ev_recv(uint64_t now, int priority)
{
	ev_recv_full(now, priority, 1000, false);
}

/* The event did nothing: no action, no transition, no reason. */
static void assert_nothing(enum vrrp_state state)
{
	ck_assert_uint_eq(out.actions, 0);
	ck_assert_int_eq(out.from, state);
	ck_assert_int_eq(out.to, state);
	ck_assert_ptr_null(out.reason);
	ck_assert_int_eq(f.state, state);
}

/* The event moved the group from -> to, asking for exactly actions, for
 * exactly this reason. */
static void assert_moved(enum vrrp_state from, enum vrrp_state to, unsigned actions,
			 const char *reason)
{
	ck_assert_int_eq(out.from, from);
	ck_assert_int_eq(out.to, to);
	ck_assert_uint_eq(out.actions, actions);
	ck_assert_ptr_nonnull(out.reason);
	ck_assert_str_eq(out.reason, reason);
	ck_assert_int_eq(f.state, to);
}

static void assert_timers(uint64_t adver_at, uint64_t master_down_at, uint64_t preempt_at)
{
	ck_assert_uint_eq(f.adver_at, adver_at);
	ck_assert_uint_eq(f.master_down_at, master_down_at);
	ck_assert_uint_eq(f.preempt_at, preempt_at);
}

/* A group started at T0 with the link up. */
static void started(struct vrrp_fsm_cfg c)
{
	vrrp_fsm_init(&f, &c, true);
	ev_startup(T0);
}

/* A started non-owner that has become master by its master down timer. */
static uint64_t started_master(struct vrrp_fsm_cfg c)
{
	uint64_t t;

	started(c);
	ck_assert_int_eq(f.state, VRRP_STATE_BACKUP);
	t = f.master_down_at;
	ev_timer(t);
	ck_assert_int_eq(f.state, VRRP_STATE_MASTER);
	return t;
}

/* --- the numbers ------------------------------------------------------ */

START_TEST(state_names_are_the_operator_words)
{
	ck_assert_str_eq(vrrp_state_str(VRRP_STATE_INIT), "Initialize");
	ck_assert_str_eq(vrrp_state_str(VRRP_STATE_BACKUP), "Backup");
	ck_assert_str_eq(vrrp_state_str(VRRP_STATE_MASTER), "Master");
	ck_assert_ptr_nonnull(vrrp_state_str((enum vrrp_state)42));
}
END_TEST

/* RFC 5798 6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) /
 * 256, Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time. */
START_TEST(v3_timers_at_1_s_follow_rfc_5798)
{
	struct vrrp_fsm_cfg c = cfg3(100);

	vrrp_fsm_init(&f, &c, true);
	ck_assert_uint_eq(vrrp_fsm_skew_ms(&f), 609); /* 156000 / 256 = 609.375 */
	ck_assert_uint_eq(vrrp_fsm_master_down_ms(&f), 3609);

	c = cfg3(254);
	vrrp_fsm_init(&f, &c, true);
	ck_assert_uint_eq(vrrp_fsm_skew_ms(&f), 7); /* 2000 / 256 = 7.8 */
	ck_assert_uint_eq(vrrp_fsm_master_down_ms(&f), 3007);

	c = cfg3(1);
	vrrp_fsm_init(&f, &c, true);
	ck_assert_uint_eq(vrrp_fsm_skew_ms(&f), 996); /* 255000 / 256 = 996.1 */
	ck_assert_uint_eq(vrrp_fsm_master_down_ms(&f), 3996);
}
END_TEST

START_TEST(v3_timers_at_100_ms_scale_with_the_interval)
{
	struct vrrp_fsm_cfg c = cfg_of(3, 100, true, 0, 100);

	vrrp_fsm_init(&f, &c, true);
	ck_assert_uint_eq(vrrp_fsm_skew_ms(&f), 60); /* 15600 / 256 = 60.9 */
	ck_assert_uint_eq(vrrp_fsm_master_down_ms(&f), 360);

	c = cfg_of(3, 200, true, 0, 100);
	vrrp_fsm_init(&f, &c, true);
	ck_assert_uint_eq(vrrp_fsm_skew_ms(&f), 21); /* 5600 / 256 = 21.9 */
	ck_assert_uint_eq(vrrp_fsm_master_down_ms(&f), 321);
}
END_TEST

/* RFC 3768 6.1: Skew_Time = (256 - Priority) / 256 seconds, whatever the
 * advertisement interval. */
START_TEST(v2_skew_time_is_a_fraction_of_one_second)
{
	struct vrrp_fsm_cfg c = cfg_of(2, 100, true, 0, 1000);

	vrrp_fsm_init(&f, &c, true);
	ck_assert_uint_eq(vrrp_fsm_skew_ms(&f), 609);
	ck_assert_uint_eq(vrrp_fsm_master_down_ms(&f), 3609);

	/* at 3 s, v3 would give 156 * 3000 / 256 = 1828 */
	c = cfg_of(2, 100, true, 0, 3000);
	vrrp_fsm_init(&f, &c, true);
	ck_assert_uint_eq(vrrp_fsm_skew_ms(&f), 609);
	ck_assert_uint_eq(vrrp_fsm_master_down_ms(&f), 9609);
	c = cfg_of(3, 100, true, 0, 3000);
	vrrp_fsm_init(&f, &c, true);
	ck_assert_uint_eq(vrrp_fsm_skew_ms(&f), 1828);
}
END_TEST

/* --- Initialize ------------------------------------------------------- */

START_TEST(nothing_happens_in_initialize)
{
	struct vrrp_fsm_cfg c = cfg3(100);
	int enabled;

	/* Never started, then started with the link down: both sit in
	 * Initialize and ignore advertisements, timers and their config. */
	for (enabled = 0; enabled <= 1; enabled++) {
		vrrp_fsm_init(&f, &c, !enabled);
		if (enabled) {
			ev_startup(T0);
			assert_nothing(VRRP_STATE_INIT);
			ck_assert(f.enabled);
		}
		ev_recv(T0 + 1, 50);
		assert_nothing(VRRP_STATE_INIT);
		ev_recv(T0 + 2, 200);
		assert_nothing(VRRP_STATE_INIT);
		ev_recv(T0 + 3, 0);
		assert_nothing(VRRP_STATE_INIT);
		ev_timer(T0 + 100000);
		assert_nothing(VRRP_STATE_INIT);
		ev_cfg(T0 + 100001, cfg3(255));
		assert_nothing(VRRP_STATE_INIT);
		assert_timers(0, 0, 0);
		ck_assert_uint_eq(vrrp_fsm_next(&f), 0);
	}
	/* not enabled: the link coming up starts nothing */
	vrrp_fsm_init(&f, &c, false);
	ev_link(T0, true);
	assert_nothing(VRRP_STATE_INIT);
	ck_assert(f.link_up);
	ck_assert_uint_eq(vrrp_fsm_next(&f), 0);
}
END_TEST

/* --- startup and the master down timer -------------------------------- */

START_TEST(non_owner_starts_as_backup_and_takes_over_after_master_down_interval)
{
	started(cfg3(100));
	assert_moved(VRRP_STATE_INIT, VRRP_STATE_BACKUP, 0, "startup");
	ck_assert(f.enabled);
	assert_timers(0, T0 + 3609, 0);
	ck_assert_uint_eq(vrrp_fsm_next(&f), T0 + 3609);

	ev_timer(T0 + 1);
	assert_nothing(VRRP_STATE_BACKUP);
	ev_timer(T0 + 3608);
	assert_nothing(VRRP_STATE_BACKUP);

	ev_timer(T0 + 3609);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "master down timer expired");
	assert_timers(T0 + 3609 + 1000, 0, 0);
	ck_assert_uint_eq(f.master_priority, 100);
	ck_assert_uint_eq(f.master_adver_ms, 1000);
}
END_TEST

/* Peer BFD: the session to the master's address went down, so a backup
 * takes over at once, long before its Master_Down_Timer; a master or a
 * group in Initialize is left alone. */
START_TEST(a_backup_told_the_master_is_gone_takes_over_at_once)
{
	started(cfg3(100));
	ev_recv(T0 + 100, 120);
	ck_assert_int_eq(f.state, VRRP_STATE_BACKUP);
	vrrp_fsm_master_gone(&f, T0 + 150, &out);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "the master's BFD session went down");
	assert_timers(T0 + 150 + 1000, 0, 0);
	vrrp_fsm_master_gone(&f, T0 + 200, &out);
	assert_nothing(VRRP_STATE_MASTER);
	vrrp_fsm_init(
	    &f, &(struct vrrp_fsm_cfg){.version = 3, .priority = 100, .adver_interval_ms = 1000},
	    true);
	vrrp_fsm_master_gone(&f, T0 + 300, &out);
	assert_nothing(VRRP_STATE_INIT);
}
END_TEST

START_TEST(owner_starts_as_master_even_without_preempt)
{
	started(cfg_of(3, 255, false, 5000, 1000));
	assert_moved(VRRP_STATE_INIT, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "startup, priority 255: address owner");
	assert_timers(T0 + 1000, 0, 0);
	ck_assert_uint_eq(f.master_priority, 255);
}
END_TEST

START_TEST(startup_twice_is_one_startup)
{
	started(cfg3(100));
	ev_startup(T0 + 1000);
	assert_nothing(VRRP_STATE_BACKUP);
	assert_timers(0, T0 + 3609, 0);
}
END_TEST

START_TEST(master_advertises_every_interval_and_only_then)
{
	uint64_t t = started_master(cfg3(100));
	int i;

	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(vrrp_fsm_next(&f), t + 1000);
		ev_timer(t + 999);
		assert_nothing(VRRP_STATE_MASTER);
		ev_timer(t + 1000);
		ck_assert_uint_eq(out.actions, VRRP_ACT_SEND_ADVERT);
		ck_assert_int_eq(out.from, VRRP_STATE_MASTER);
		ck_assert_int_eq(out.to, VRRP_STATE_MASTER);
		ck_assert_ptr_null(out.reason);
		t += 1000;
	}
	/* a late caller: one advertisement, the next a full interval on */
	ev_timer(t + 1500);
	ck_assert_uint_eq(out.actions, VRRP_ACT_SEND_ADVERT);
	ck_assert_uint_eq(vrrp_fsm_next(&f), t + 2500);
}
END_TEST

/* --- election --------------------------------------------------------- */

START_TEST(master_yields_to_a_higher_priority)
{
	uint64_t t = started_master(cfg3(100)) + 10;

	ev_recv(t, 150);
	assert_moved(VRRP_STATE_MASTER, VRRP_STATE_BACKUP, VRRP_ACT_DEL_VIPS,
		     "higher priority advertisement received");
	assert_timers(0, t + 3609, 0);
	ck_assert_uint_eq(f.master_priority, 150);

	/* and the new master's advertisements keep it backup */
	ev_recv(t + 1000, 150);
	assert_nothing(VRRP_STATE_BACKUP);
	ck_assert_uint_eq(f.master_down_at, t + 1000 + 3609);
}
END_TEST

START_TEST(master_ignores_a_lower_priority)
{
	uint64_t t = started_master(cfg3(150));

	ev_recv_full(t + 10, 100, 1000, true);
	assert_nothing(VRRP_STATE_MASTER);
	assert_timers(t + 1000, 0, 0);
	ck_assert_uint_eq(f.master_priority, 150);
}
END_TEST

/* RFC 5798 6.4.3: with equal priorities the higher primary address wins. */
START_TEST(equal_priority_is_won_by_the_higher_address)
{
	uint64_t t = started_master(cfg3(100));

	ev_recv_full(t + 10, 100, 1000, false);
	assert_nothing(VRRP_STATE_MASTER);
	assert_timers(t + 1000, 0, 0);

	ev_recv_full(t + 20, 100, 1000, true);
	assert_moved(VRRP_STATE_MASTER, VRRP_STATE_BACKUP, VRRP_ACT_DEL_VIPS,
		     "equal priority, higher sender address");
	assert_timers(0, t + 20 + 3609, 0);
}
END_TEST

/* RFC 5798 6.4.2: a backup accepts a master of equal priority, whatever
 * its address (only a master compares addresses). */
START_TEST(backup_accepts_a_master_of_equal_priority)
{
	started(cfg3(100));
	ev_recv_full(T0 + 500, 100, 1000, false);
	assert_nothing(VRRP_STATE_BACKUP);
	assert_timers(0, T0 + 500 + 3609, 0);
	ev_recv_full(T0 + 1500, 100, 1000, true);
	assert_nothing(VRRP_STATE_BACKUP);
	assert_timers(0, T0 + 1500 + 3609, 0);
}
END_TEST

/* --- preemption ------------------------------------------------------- */

START_TEST(preempt_without_delay_takes_over_at_once)
{
	started(cfg3(150));
	ev_recv(T0 + 500, 100);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "preempt: local priority higher than the master's");
	assert_timers(T0 + 500 + 1000, 0, 0);
	ck_assert_uint_eq(f.master_priority, 150);
}
END_TEST

START_TEST(preempt_delay_waits_then_takes_over)
{
	uint64_t t = T0 + 500;
	int i;

	started(cfg_of(3, 150, true, 5000, 1000));
	ev_recv(t, 100);
	assert_nothing(VRRP_STATE_BACKUP);
	/* the master is kept alive meanwhile */
	assert_timers(0, t + 1000 * 3 + 414, t + 5000); /* skew 106000 / 256 */
	ck_assert_uint_eq(f.master_priority, 100);

	/* its later advertisements neither restart the delay nor let the
	 * master down timer run out */
	for (i = 1; i <= 4; i++) {
		ev_recv(t + 1000 * (uint64_t)i, 100);
		assert_nothing(VRRP_STATE_BACKUP);
		ck_assert_uint_eq(f.preempt_at, t + 5000);
	}
	ck_assert_uint_eq(vrrp_fsm_next(&f), t + 5000);
	ev_timer(t + 4999);
	assert_nothing(VRRP_STATE_BACKUP);

	ev_timer(t + 5000);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "preempt delay expired");
	assert_timers(t + 5000 + 1000, 0, 0);
}
END_TEST

START_TEST(preempt_delay_is_cancelled_by_an_equal_or_higher_master)
{
	uint64_t t = T0 + 500;
	int prio;

	for (prio = 150; prio <= 151; prio++) {
		started(cfg_of(3, 150, true, 5000, 1000));
		ev_recv(t, 100);
		ck_assert_uint_eq(f.preempt_at, t + 5000);

		ev_recv(t + 1000, prio);
		assert_nothing(VRRP_STATE_BACKUP);
		ck_assert_uint_eq(f.preempt_at, 0);
		ck_assert_uint_eq(f.master_priority, prio);
		/* the new master stays: nothing fires when the delay would have */
		ev_recv(t + 2000, prio);
		ev_recv(t + 3000, prio);
		ev_recv(t + 4000, prio);
		ev_timer(t + 5000);
		assert_nothing(VRRP_STATE_BACKUP);

		/* a lower master later starts a new, full delay */
		ev_recv(t + 6000, 100);
		ck_assert_uint_eq(f.preempt_at, t + 11000);
	}
}
END_TEST

START_TEST(without_preempt_a_backup_serves_a_lower_master_until_it_stops)
{
	uint64_t t = T0 + 500;
	int i;

	started(cfg_of(3, 150, false, 0, 1000));
	for (i = 0; i < 10; i++) {
		ev_recv(t + 1000 * (uint64_t)i, 100);
		assert_nothing(VRRP_STATE_BACKUP);
		ck_assert_uint_eq(f.preempt_at, 0);
		ev_timer(t + 1000 * (uint64_t)i + 999);
		assert_nothing(VRRP_STATE_BACKUP);
	}
	ck_assert_uint_eq(f.master_priority, 100);

	/* the master falls silent after its advertisement at t + 9000 */
	ck_assert_uint_eq(vrrp_fsm_next(&f), t + 9000 + 3414);
	ev_timer(t + 9000 + 3413);
	assert_nothing(VRRP_STATE_BACKUP);
	ev_timer(t + 9000 + 3414);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "master down timer expired");
}
END_TEST

/* RFC 5798 6.1: the owner preempts whatever Preempt_Mode says, and
 * without the delay. Reached here through a misconfigured second owner
 * with a higher address, which leaves the first one backup. */
START_TEST(owner_preempts_at_once_even_with_preempt_off)
{
	uint64_t t = T0 + 100;

	started(cfg_of(3, 255, false, 5000, 1000));
	ck_assert_int_eq(f.state, VRRP_STATE_MASTER);
	ev_recv_full(t, 255, 1000, true);
	assert_moved(VRRP_STATE_MASTER, VRRP_STATE_BACKUP, VRRP_ACT_DEL_VIPS,
		     "equal priority, higher sender address");

	ev_recv(t + 1000, 200);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "preempt: priority 255, address owner");
	assert_timers(t + 1000 + 1000, 0, 0);
}
END_TEST

/* Two routers both configured as owner: the one with the lower address
 * stays backup instead of taking over at every advertisement. */
START_TEST(a_second_owner_with_a_higher_address_is_not_flapped)
{
	uint64_t t = T0 + 100;
	int i;

	started(cfg3(255));
	ev_recv_full(t, 255, 1000, true);
	ck_assert_int_eq(f.state, VRRP_STATE_BACKUP);
	for (i = 1; i <= 5; i++) {
		ev_recv_full(t + 1000 * (uint64_t)i, 255, 1000, true);
		assert_nothing(VRRP_STATE_BACKUP);
	}
}
END_TEST

/* --- the master leaving (priority 0) ---------------------------------- */

START_TEST(priority_0_hands_over_after_exactly_skew_time)
{
	uint64_t t = T0 + 1500;

	started(cfg3(100));
	ev_recv(T0 + 500, 200);
	ev_recv(t, 0);
	assert_nothing(VRRP_STATE_BACKUP);
	assert_timers(0, t + 609, 0);
	ck_assert_uint_eq(f.master_priority, 0);

	ev_timer(t + 608);
	assert_nothing(VRRP_STATE_BACKUP);
	ev_timer(t + 609);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "master left (priority 0), skew time expired");
	ck_assert(!f.master_left);
}
END_TEST

START_TEST(priority_0_skew_time_uses_the_learnt_interval)
{
	uint64_t t = T0 + 500;

	started(cfg3(100));
	ev_recv_full(t, 200, 100, false);
	ev_recv_full(t + 100, 0, 100, false);
	ck_assert_uint_eq(f.master_down_at, t + 100 + 60);
}
END_TEST

/* A master that comes back after saying it left is a live master again:
 * if it then falls silent, the log says so, not that it left. */
START_TEST(a_master_that_comes_back_after_priority_0_is_silent_not_leaving)
{
	uint64_t t = T0 + 500;

	started(cfg3(100));
	ev_recv(t, 0);
	ev_recv(t + 100, 200);
	ck_assert(!f.master_left);
	ck_assert_uint_eq(f.master_down_at, t + 100 + 3609);
	ev_timer(t + 100 + 3609);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "master down timer expired");
}
END_TEST

/* The master is leaving: Skew_Time, not a pending preemption, decides
 * which backup speaks first. */
START_TEST(priority_0_cancels_a_pending_preempt_delay)
{
	uint64_t t = T0 + 500;

	started(cfg_of(3, 150, true, 200, 1000));
	ev_recv(t, 100);
	ck_assert_uint_eq(f.preempt_at, t + 200);
	ev_recv(t + 100, 0);
	assert_timers(0, t + 100 + 414, 0);
	ev_timer(t + 200);
	assert_nothing(VRRP_STATE_BACKUP);
}
END_TEST

START_TEST(master_answers_priority_0_with_an_advertisement)
{
	uint64_t t = started_master(cfg3(100));

	ev_recv(t + 300, 0);
	ck_assert_uint_eq(out.actions, VRRP_ACT_SEND_ADVERT);
	ck_assert_int_eq(out.from, VRRP_STATE_MASTER);
	ck_assert_int_eq(out.to, VRRP_STATE_MASTER);
	ck_assert_ptr_null(out.reason);
	assert_timers(t + 300 + 1000, 0, 0);
}
END_TEST

/* --- the advertisement interval --------------------------------------- */

/* RFC 5798 6.4.2: a v3 backup adopts the master's interval, and its own
 * again when it becomes master. */
START_TEST(v3_backup_learns_the_master_interval)
{
	uint64_t t = T0 + 500;

	started(cfg3(100));
	ev_recv_full(t, 200, 200, false);
	assert_nothing(VRRP_STATE_BACKUP);
	ck_assert_uint_eq(f.master_adver_ms, 200);
	/* 3 * 200 + 156 * 200 / 256 (121.875) */
	ck_assert_uint_eq(f.master_down_at, t + 721);

	ev_timer(t + 721);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "master down timer expired");
	ck_assert_uint_eq(f.master_adver_ms, 1000);
	ck_assert_uint_eq(f.adver_at, t + 721 + 1000);
}
END_TEST

START_TEST(v3_master_that_yields_learns_the_new_master_interval)
{
	uint64_t t = started_master(cfg3(100));

	ev_recv_full(t + 10, 200, 300, false);
	ck_assert_int_eq(f.state, VRRP_STATE_BACKUP);
	ck_assert_uint_eq(f.master_adver_ms, 300);
	/* 3 * 300 + 156 * 300 / 256 (182.8) */
	ck_assert_uint_eq(f.master_down_at, t + 10 + 1082);
}
END_TEST

START_TEST(v2_backup_keeps_its_configured_interval)
{
	uint64_t t = T0 + 500;

	started(cfg_of(2, 100, true, 0, 1000));
	ev_recv_full(t, 200, 3000, false);
	assert_nothing(VRRP_STATE_BACKUP);
	ck_assert_uint_eq(f.master_adver_ms, 1000);
	ck_assert_uint_eq(f.master_down_at, t + 3609);
}
END_TEST

/* --- configuration changes on the fly --------------------------------- */

START_TEST(shorter_interval_moves_the_next_advertisement_earlier)
{
	uint64_t t = started_master(cfg3(100));

	ev_cfg(t + 100, cfg_of(3, 100, true, 0, 300));
	assert_nothing(VRRP_STATE_MASTER);
	ck_assert_uint_eq(f.adver_at, t + 400);
	ck_assert_uint_eq(f.master_adver_ms, 300);
	ev_timer(t + 400);
	ck_assert_uint_eq(out.actions, VRRP_ACT_SEND_ADVERT);
	ck_assert_uint_eq(f.adver_at, t + 700);

	/* shorter again but not sooner than what already runs: unchanged */
	ev_cfg(t + 600, cfg_of(3, 100, true, 0, 200));
	ck_assert_uint_eq(f.adver_at, t + 700);

	/* longer: the running timer stands, the next one is longer */
	ev_cfg(t + 650, cfg_of(3, 100, true, 0, 2000));
	assert_nothing(VRRP_STATE_MASTER);
	ck_assert_uint_eq(f.adver_at, t + 700);
	ev_timer(t + 700);
	ck_assert_uint_eq(f.adver_at, t + 2700);
}
END_TEST

START_TEST(priority_change_while_master_is_only_remembered)
{
	uint64_t t = started_master(cfg3(100));

	ev_cfg(t + 100, cfg3(50));
	assert_nothing(VRRP_STATE_MASTER);
	assert_timers(t + 1000, 0, 0);
	ck_assert_uint_eq(f.master_priority, 50);

	/* the new priority is the one compared */
	ev_recv(t + 200, 80);
	assert_moved(VRRP_STATE_MASTER, VRRP_STATE_BACKUP, VRRP_ACT_DEL_VIPS,
		     "higher priority advertisement received");
}
END_TEST

START_TEST(backup_that_becomes_owner_takes_over_at_once)
{
	started(cfg_of(3, 100, false, 5000, 1000));
	ev_recv(T0 + 500, 200);
	ev_cfg(T0 + 600, cfg_of(3, 255, false, 5000, 1000));
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "priority changed to 255: address owner");
	assert_timers(T0 + 1600, 0, 0);
	ck_assert_uint_eq(f.master_priority, 255);
}
END_TEST

START_TEST(backup_config_changes_cause_no_transition)
{
	started(cfg3(100));
	ev_recv(T0 + 500, 200);
	/* a priority above the master's does not preempt until the master
	 * next advertises */
	ev_cfg(T0 + 600, cfg3(254));
	assert_nothing(VRRP_STATE_BACKUP);
	assert_timers(0, T0 + 500 + 3609, 0);
	ev_recv(T0 + 1500, 200);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "preempt: local priority higher than the master's");
}
END_TEST

START_TEST(losing_preempt_or_priority_cancels_the_preempt_delay)
{
	uint64_t t = T0 + 500;

	/* Preempt_Mode turned off */
	started(cfg_of(3, 150, true, 5000, 1000));
	ev_recv(t, 100);
	ev_cfg(t + 100, cfg_of(3, 150, false, 5000, 1000));
	assert_nothing(VRRP_STATE_BACKUP);
	ck_assert_uint_eq(f.preempt_at, 0);
	ck_assert_uint_eq(vrrp_fsm_next(&f), f.master_down_at);
	/* the lower master keeps advertising and stays master */
	ev_recv(t + 1000, 100);
	ev_recv(t + 2000, 100);
	ev_recv(t + 3000, 100);
	ev_recv(t + 4000, 100);
	ev_timer(t + 5000);
	assert_nothing(VRRP_STATE_BACKUP);
	ck_assert_uint_eq(f.preempt_at, 0);

	/* priority no longer above the master's */
	started(cfg_of(3, 150, true, 5000, 1000));
	ev_recv(t, 100);
	ev_cfg(t + 100, cfg_of(3, 100, true, 5000, 1000));
	assert_nothing(VRRP_STATE_BACKUP);
	ck_assert_uint_eq(f.preempt_at, 0);

	/* still above: the wait goes on */
	started(cfg_of(3, 150, true, 5000, 1000));
	ev_recv(t, 100);
	ev_cfg(t + 100, cfg_of(3, 101, true, 5000, 1000));
	assert_nothing(VRRP_STATE_BACKUP);
	ck_assert_uint_eq(f.preempt_at, t + 5000);
}
END_TEST

START_TEST(v2_backup_takes_a_new_interval_as_master_adver_interval)
{
	started(cfg_of(2, 100, true, 0, 1000));
	ev_cfg(T0 + 100, cfg_of(2, 100, true, 0, 2000));
	assert_nothing(VRRP_STATE_BACKUP);
	ck_assert_uint_eq(f.master_adver_ms, 2000);
	ev_recv_full(T0 + 200, 200, 2000, false);
	ck_assert_uint_eq(f.master_down_at, T0 + 200 + 6609);

	/* a v3 backup keeps the interval it learnt */
	started(cfg3(100));
	ev_recv_full(T0 + 100, 200, 500, false);
	ev_cfg(T0 + 200, cfg_of(3, 100, true, 0, 2000));
	ck_assert_uint_eq(f.master_adver_ms, 500);
}
END_TEST

/* --- link and shutdown ------------------------------------------------ */

START_TEST(link_down_on_master_removes_addresses_without_sending)
{
	uint64_t t = started_master(cfg3(100));

	ev_link(t + 100, false);
	assert_moved(VRRP_STATE_MASTER, VRRP_STATE_INIT, VRRP_ACT_DEL_VIPS, "interface down");
	assert_timers(0, 0, 0);
	ck_assert_uint_eq(vrrp_fsm_next(&f), 0);
	ck_assert(f.enabled);
	ck_assert(!f.link_up);

	ev_link(t + 200, false);
	assert_nothing(VRRP_STATE_INIT);
	ev_timer(t + 5000);
	assert_nothing(VRRP_STATE_INIT);

	/* up again: a fresh start, as backup */
	ev_link(t + 10000, true);
	assert_moved(VRRP_STATE_INIT, VRRP_STATE_BACKUP, 0, "interface up");
	assert_timers(0, t + 10000 + 3609, 0);
	ev_link(t + 10001, true);
	assert_nothing(VRRP_STATE_BACKUP);
	ck_assert_uint_eq(f.master_down_at, t + 10000 + 3609);
}
END_TEST

START_TEST(link_down_on_backup_stops_its_timers)
{
	started(cfg_of(3, 150, true, 5000, 1000));
	ev_recv(T0 + 100, 100);
	ck_assert_uint_ne(f.preempt_at, 0);

	ev_link(T0 + 200, false);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_INIT, 0, "interface down");
	assert_timers(0, 0, 0);
	ev_timer(T0 + 100000);
	assert_nothing(VRRP_STATE_INIT);
}
END_TEST

START_TEST(started_with_the_link_down_it_starts_when_the_link_comes_up)
{
	struct vrrp_fsm_cfg c = cfg3(100);

	vrrp_fsm_init(&f, &c, false);
	ev_startup(T0);
	assert_nothing(VRRP_STATE_INIT);
	ck_assert(f.enabled);
	ev_link(T0 + 700, true);
	assert_moved(VRRP_STATE_INIT, VRRP_STATE_BACKUP, 0, "interface up");
	assert_timers(0, T0 + 700 + 3609, 0);

	c = cfg3(255);
	vrrp_fsm_init(&f, &c, false);
	ev_startup(T0);
	ev_link(T0 + 700, true);
	assert_moved(VRRP_STATE_INIT, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "interface up, priority 255: address owner");
	assert_timers(T0 + 1700, 0, 0);
}
END_TEST

START_TEST(shutdown_of_a_master_sends_priority_0_and_removes_addresses)
{
	uint64_t t = started_master(cfg3(100));

	ev_shutdown(t + 100);
	assert_moved(VRRP_STATE_MASTER, VRRP_STATE_INIT, VRRP_ACT_SEND_PRIO0 | VRRP_ACT_DEL_VIPS,
		     "shutdown");
	ck_assert(!f.enabled);
	assert_timers(0, 0, 0);
	ck_assert_uint_eq(vrrp_fsm_next(&f), 0);

	ev_shutdown(t + 200);
	assert_nothing(VRRP_STATE_INIT);
	/* disabled: a link flap starts nothing */
	ev_link(t + 300, false);
	assert_nothing(VRRP_STATE_INIT);
	ev_link(t + 400, true);
	assert_nothing(VRRP_STATE_INIT);

	/* and a new startup starts from scratch */
	ev_startup(t + 500);
	assert_moved(VRRP_STATE_INIT, VRRP_STATE_BACKUP, 0, "startup");
}
END_TEST

START_TEST(shutdown_of_a_backup_sends_nothing)
{
	started(cfg3(100));
	ev_shutdown(T0 + 100);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_INIT, 0, "shutdown");
	ck_assert(!f.enabled);
	assert_timers(0, 0, 0);
	ev_timer(T0 + 100000);
	assert_nothing(VRRP_STATE_INIT);
}
END_TEST

/* --- vrrp_fsm_next ---------------------------------------------------- */

START_TEST(next_is_the_earliest_running_timer)
{
	struct vrrp_fsm_cfg c = cfg3(100);

	vrrp_fsm_init(&f, &c, true);
	ck_assert_uint_eq(vrrp_fsm_next(&f), 0);

	/* preemption delay shorter than the master down timer */
	started(cfg_of(3, 150, true, 2000, 1000));
	ev_recv(T0 + 100, 100);
	ck_assert_uint_eq(vrrp_fsm_next(&f), T0 + 2100);

	/* longer: the master down timer comes first (the master went quiet) */
	started(cfg_of(3, 150, true, 9000, 1000));
	ev_recv(T0 + 100, 100);
	ck_assert_uint_eq(vrrp_fsm_next(&f), T0 + 100 + 3414);
	ev_timer(T0 + 100 + 3414);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "master down timer expired");
	ck_assert_uint_eq(vrrp_fsm_next(&f), T0 + 100 + 3414 + 1000);
}
END_TEST

/* When the caller is late and both timers expired, the reason is the
 * one that expired first. */
START_TEST(a_late_timer_call_names_the_timer_that_expired_first)
{
	started(cfg_of(3, 150, true, 2000, 1000));
	ev_recv(T0 + 100, 100);
	ev_timer(T0 + 100000);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "preempt delay expired");

	started(cfg_of(3, 150, true, 9000, 1000));
	ev_recv(T0 + 100, 100);
	ev_timer(T0 + 100000);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "master down timer expired");
}
END_TEST

/* --- several routers on one link -------------------------------------- */

/* Routers on a fake link: an advertisement reaches the others at once.
 * Each router's address is its index, so a higher index is a higher
 * address. */
#define NR 3

static struct vrrp_fsm net[NR];
static uint64_t became_master_at[NR];

static void deliver(int from, uint64_t now, int priority, int depth);

static void apply_out(int r, uint64_t now, const struct vrrp_fsm_out *o, int depth)
{
	if (o->to == VRRP_STATE_MASTER && o->from != VRRP_STATE_MASTER)
		became_master_at[r] = now;
	if (o->actions & VRRP_ACT_SEND_PRIO0)
		deliver(r, now, 0, depth + 1);
	if (o->actions & VRRP_ACT_SEND_ADVERT)
		deliver(r, now, net[r].cfg.priority, depth + 1);
}

static void deliver(int from, uint64_t now, int priority, int depth)
{
	struct vrrp_fsm_out o;
	int r;

	ck_assert_int_lt(depth, 10); /* no advertisement storm */
	for (r = 0; r < NR; r++) {
		struct vrrp_fsm_adv a = {
		    .priority = (uint8_t)priority,
		    .adver_interval_ms = net[from].cfg.adver_interval_ms,
		    .sender_addr_higher = from > r,
		};

		if (r == from)
			continue;
		vrrp_fsm_recv(&net[r], now, &a, &o);
		apply_out(r, now, &o, depth);
	}
}

/* Runs every timer of every router until 'until'; returns it. Timers
 * that expire at the same instant all run before anything is delivered,
 * as on a real link where both routers speak before hearing each other. */
static uint64_t run_until(uint64_t until)
{
	for (;;) {
		struct vrrp_fsm_out o[NR];
		bool due[NR];
		uint64_t t = 0;
		int r;

		for (r = 0; r < NR; r++) {
			uint64_t n = vrrp_fsm_next(&net[r]);

			if (n && (t == 0 || n < t))
				t = n;
		}
		if (t == 0 || t > until)
			return until;
		for (r = 0; r < NR; r++) {
			due[r] = vrrp_fsm_next(&net[r]) == t;
			if (due[r])
				vrrp_fsm_timer(&net[r], t, &o[r]);
		}
		for (r = 0; r < NR; r++)
			if (due[r])
				apply_out(r, t, &o[r], 0);
	}
}

static int masters(void)
{
	int r, n = 0;

	for (r = 0; r < NR; r++)
		n += net[r].state == VRRP_STATE_MASTER;
	return n;
}

static void net_start(const int prio[NR])
{
	int r;

	for (r = 0; r < NR; r++) {
		struct vrrp_fsm_cfg c = cfg_of(3, prio[r], true, 0, 1000);
		struct vrrp_fsm_out o;

		vrrp_fsm_init(&net[r], &c, true);
		became_master_at[r] = 0;
		vrrp_fsm_startup(&net[r], T0, &o);
		apply_out(r, T0, &o, 0);
	}
}

START_TEST(three_routers_elect_the_highest_priority_and_hand_over_by_skew_time)
{
	static const int prio[NR] = {150, 200, 100};
	struct vrrp_fsm_out o;
	uint64_t t;

	net_start(prio);
	t = run_until(T0 + 60000);
	ck_assert_int_eq(masters(), 1);
	ck_assert_int_eq(net[1].state, VRRP_STATE_MASTER);
	/* the shortest master down interval: 3000 + 56000 / 256 */
	ck_assert_uint_eq(became_master_at[1], T0 + 3218);
	ck_assert_uint_eq(became_master_at[0], 0);
	ck_assert_uint_eq(became_master_at[2], 0);

	/* the master shuts down: priority 150 speaks first, Skew_Time later */
	vrrp_fsm_shutdown(&net[1], t, &o);
	apply_out(1, t, &o, 0);
	run_until(t + 60000);
	ck_assert_int_eq(masters(), 1);
	ck_assert_int_eq(net[0].state, VRRP_STATE_MASTER);
	ck_assert_uint_eq(became_master_at[0], t + 414); /* 106000 / 256 */
	ck_assert_uint_eq(became_master_at[2], 0);
}
END_TEST

/* Started together, all three time out together and advertise at once:
 * the masters then settle on the highest address (RFC 5798 6.4.3). */
START_TEST(equal_priorities_elect_the_highest_address)
{
	static const int prio[NR] = {100, 100, 100};
	int r;

	net_start(prio);
	run_until(T0 + 60000);
	ck_assert_int_eq(masters(), 1);
	ck_assert_int_eq(net[NR - 1].state, VRRP_STATE_MASTER);
	for (r = 0; r < NR; r++)
		ck_assert_uint_eq(became_master_at[r], T0 + 3609);
}
END_TEST

/* --- reasons ---------------------------------------------------------- */

/* Every kind of transition has its own text, so that a log line alone
 * says which rule fired. */
/* --- preemption that waits for the backup ------------------------------ */

static struct vrrp_fsm_cfg gated(uint32_t delay_ms, uint32_t max_ms)
{
	struct vrrp_fsm_cfg c = cfg_of(3, 150, true, delay_ms, 1000);

	c.preempt_wait_max_ms = max_ms;
	return c;
}

static void ev_gate(uint64_t now, bool open)
{
	poison();
	vrrp_fsm_set_gate(&f, now, open, &out);
}

START_TEST(a_closed_gate_holds_preemption_and_keeps_the_master_alive)
{
	uint64_t t = T0 + 500;

	started(gated(0, 60000));
	ev_recv(t, 100);
	assert_nothing(VRRP_STATE_BACKUP);
	ck_assert(vrrp_fsm_waiting(&f));
	ck_assert_uint_eq(f.wait_until, t + 60000);
	/* the master's advertisements keep it alive and do not restart the
	 * bound */
	for (int i = 1; i <= 30; i++) {
		ev_recv(t + 1000 * (uint64_t)i, 100);
		assert_nothing(VRRP_STATE_BACKUP);
		ev_timer(t + 1000 * (uint64_t)i + 1);
		assert_nothing(VRRP_STATE_BACKUP);
	}
	ck_assert_uint_eq(f.wait_until, t + 60000);
	ck_assert_uint_eq(vrrp_fsm_next(&f), t + 30000 + 3000 + 414);
	/* the gate opens: preemption at once */
	ev_gate(t + 30500, true);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "preempt: the backup of the users is complete");
	ck_assert(!out.backup_incomplete);
	ck_assert(!vrrp_fsm_waiting(&f));
	assert_timers(t + 30500 + 1000, 0, 0);
}
END_TEST

START_TEST(the_wait_starts_after_the_preempt_delay_and_is_bounded)
{
	uint64_t t = T0 + 500;

	started(gated(5000, 20000));
	ev_recv(t, 100);
	ck_assert_uint_eq(f.preempt_at, t + 5000);
	ck_assert_uint_eq(f.wait_until, 0);
	for (int i = 1; i <= 5; i++)
		ev_recv(t + 1000 * (uint64_t)i, 100);
	ev_timer(t + 5000);
	assert_nothing(VRRP_STATE_BACKUP);
	ck_assert_uint_eq(f.preempt_at, 0);
	ck_assert_uint_eq(f.wait_until, t + 25000);
	/* later advertisements neither start a new delay nor move the bound */
	for (int i = 6; i <= 24; i++) {
		ev_recv(t + 1000 * (uint64_t)i, 100);
		assert_nothing(VRRP_STATE_BACKUP);
		ck_assert_uint_eq(f.preempt_at, 0);
	}
	ck_assert_uint_eq(vrrp_fsm_next(&f), t + 25000);
	ev_timer(t + 24999);
	assert_nothing(VRRP_STATE_BACKUP);
	ev_timer(t + 25000);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "preempt: the backup still incomplete after preempt-wait max");
	ck_assert(out.backup_incomplete);
}
END_TEST

/* vrrpd applies a group's configuration only when it differs
 * (vrrp_fsm_cfg_equal()): every field counts. */
START_TEST(configurations_are_equal_only_field_by_field)
{
	struct vrrp_fsm_cfg a = gated(5000, 20000), b = a;

	ck_assert(vrrp_fsm_cfg_equal(&a, &b));
	b.priority++;
	ck_assert(!vrrp_fsm_cfg_equal(&a, &b));
	b = a;
	b.preempt = !b.preempt;
	ck_assert(!vrrp_fsm_cfg_equal(&a, &b));
	b = a;
	b.preempt_delay_ms++;
	ck_assert(!vrrp_fsm_cfg_equal(&a, &b));
	b = a;
	b.adver_interval_ms += 10;
	ck_assert(!vrrp_fsm_cfg_equal(&a, &b));
	b = a;
	b.preempt_wait_max_ms++;
	ck_assert(!vrrp_fsm_cfg_equal(&a, &b));
	b = a;
	b.version = 2;
	ck_assert(!vrrp_fsm_cfg_equal(&a, &b));
}
END_TEST

/* vrrpd's index names (vrrpd_group_key()), written without printf. */
START_TEST(group_keys_name_interface_vrid_and_family)
{
	char k[GROUP_KEY_LEN], want[64];

	ck_assert_str_eq(vrrpd_group_key(k, "eth1", 1, AF_INET), "eth1/1/4");
	ck_assert_str_eq(vrrpd_group_key(k, "veth39", 255, AF_INET6), "veth39/255/6");
	ck_assert_str_eq(vrrpd_group_key(k, "eth1", 10, 0), "eth1/10");
	ck_assert_str_eq(vrrpd_group_key(k, "eth1", 0, 0), "eth1/0");
	/* the longest name and number fit */
	snprintf(want, sizeof(want), "%s/%u/6", "abcdefghijklmno", 4294967295u);
	ck_assert_str_eq(vrrpd_group_key(k, "abcdefghijklmno", 4294967295u, AF_INET6), want);
	ck_assert_uint_lt(strlen(want), GROUP_KEY_LEN);
}
END_TEST

START_TEST(an_open_gate_or_no_gate_preempts_as_before)
{
	started(gated(0, 60000));
	ev_gate(T0 + 1, true);
	assert_nothing(VRRP_STATE_BACKUP);
	ev_recv(T0 + 500, 100);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "preempt: local priority higher than the master's");

	started(gated(0, 0));
	ev_recv(T0 + 500, 100);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "preempt: local priority higher than the master's");

	/* the address owner never waits */
	{
		struct vrrp_fsm_cfg c = gated(0, 60000);

		c.priority = 255;
		started(c);
		ck_assert_int_eq(f.state, VRRP_STATE_MASTER);
	}
}
END_TEST

START_TEST(a_silent_master_is_taken_over_whatever_the_gate)
{
	uint64_t t = T0 + 500;

	started(gated(0, 600000));
	ev_recv(t, 100);
	ck_assert(vrrp_fsm_waiting(&f));
	ev_timer(t + 3414);
	assert_moved(VRRP_STATE_BACKUP, VRRP_STATE_MASTER, ADD_SEND_ANNOUNCE,
		     "master down timer expired");
	ck_assert(!vrrp_fsm_waiting(&f));
}
END_TEST

START_TEST(a_higher_master_or_closing_the_gate_ends_the_wait_without_transition)
{
	uint64_t t = T0 + 500;

	started(gated(0, 60000));
	ev_recv(t, 100);
	ck_assert(vrrp_fsm_waiting(&f));
	ev_recv(t + 1000, 200);
	assert_nothing(VRRP_STATE_BACKUP);
	ck_assert(!vrrp_fsm_waiting(&f));
	/* an open gate now is no preemption: nothing is due */
	ev_gate(t + 1500, true);
	assert_nothing(VRRP_STATE_BACKUP);
	/* closed again, a lower master starts a new wait from then */
	ev_gate(t + 1600, false);
	assert_nothing(VRRP_STATE_BACKUP);
	ev_recv(t + 2000, 100);
	assert_nothing(VRRP_STATE_BACKUP);
	ck_assert_uint_eq(f.wait_until, t + 2000 + 60000);
	/* preemption disabled by configuration: the wait ends */
	ev_cfg(t + 2500, cfg_of(3, 150, false, 0, 1000));
	assert_nothing(VRRP_STATE_BACKUP);
	ck_assert(!vrrp_fsm_waiting(&f));
}
END_TEST

START_TEST(every_transition_has_a_distinct_reason)
{
	const char *seen[32];
	size_t n = 0, i, j;

#define SEEN()                                                                                     \
	do {                                                                                       \
		ck_assert_ptr_nonnull(out.reason);                                                 \
		ck_assert_uint_lt(n, sizeof(seen) / sizeof(seen[0]));                              \
		seen[n++] = out.reason;                                                            \
	} while (0)

	started(cfg3(100)); /* startup */
	SEEN();
	ev_timer(f.master_down_at); /* master down */
	SEEN();
	ev_recv(T0 + 10000, 200); /* higher priority */
	SEEN();
	ev_link(T0 + 10001, false); /* interface down */
	SEEN();
	ev_link(T0 + 10002, true); /* interface up */
	SEEN();
	ev_shutdown(T0 + 10003); /* shutdown */
	SEEN();

	started(cfg3(255)); /* startup as owner */
	SEEN();
	ev_recv_full(T0 + 1, 255, 1000, true); /* equal priority, higher address */
	SEEN();
	ev_recv(T0 + 2, 100); /* owner preempts */
	SEEN();
	ev_link(T0 + 3, false);
	ev_link(T0 + 4, true); /* interface up as owner */
	SEEN();

	started(cfg3(150));
	ev_recv(T0 + 1, 100); /* preempt */
	SEEN();

	started(cfg_of(3, 150, true, 100, 1000));
	ev_recv(T0 + 1, 100);
	ev_timer(T0 + 101); /* preempt delay */
	SEEN();

	started(cfg3(100));
	ev_recv(T0 + 1, 0);
	ev_timer(f.master_down_at); /* master left */
	SEEN();

	started(cfg3(100));
	ev_cfg(T0 + 1, cfg3(255)); /* became owner */
	SEEN();

	started(gated(0, 1000));
	ev_recv(T0 + 1, 100);
	ev_gate(T0 + 2, true); /* the backup is complete */
	SEEN();

	started(gated(0, 1000));
	ev_recv(T0 + 1, 100);
	ev_recv(T0 + 900, 100);
	ev_timer(T0 + 1001); /* preempt-wait max */
	SEEN();
	ck_assert_uint_eq(n, 16);

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			ck_assert_msg(strcmp(seen[i], seen[j]) != 0, "reason \"%s\" used twice",
				      seen[i]);
#undef SEEN
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    state_names_are_the_operator_words,
	    v3_timers_at_1_s_follow_rfc_5798,
	    v3_timers_at_100_ms_scale_with_the_interval,
	    v2_skew_time_is_a_fraction_of_one_second,
	    nothing_happens_in_initialize,
	    non_owner_starts_as_backup_and_takes_over_after_master_down_interval,
	    owner_starts_as_master_even_without_preempt,
	    a_backup_told_the_master_is_gone_takes_over_at_once,
	    startup_twice_is_one_startup,
	    master_advertises_every_interval_and_only_then,
	    master_yields_to_a_higher_priority,
	    master_ignores_a_lower_priority,
	    equal_priority_is_won_by_the_higher_address,
	    backup_accepts_a_master_of_equal_priority,
	    preempt_without_delay_takes_over_at_once,
	    preempt_delay_waits_then_takes_over,
	    preempt_delay_is_cancelled_by_an_equal_or_higher_master,
	    without_preempt_a_backup_serves_a_lower_master_until_it_stops,
	    owner_preempts_at_once_even_with_preempt_off,
	    a_second_owner_with_a_higher_address_is_not_flapped,
	    priority_0_hands_over_after_exactly_skew_time,
	    priority_0_skew_time_uses_the_learnt_interval,
	    a_master_that_comes_back_after_priority_0_is_silent_not_leaving,
	    priority_0_cancels_a_pending_preempt_delay,
	    master_answers_priority_0_with_an_advertisement,
	    v3_backup_learns_the_master_interval,
	    v3_master_that_yields_learns_the_new_master_interval,
	    v2_backup_keeps_its_configured_interval,
	    shorter_interval_moves_the_next_advertisement_earlier,
	    priority_change_while_master_is_only_remembered,
	    backup_that_becomes_owner_takes_over_at_once,
	    backup_config_changes_cause_no_transition,
	    losing_preempt_or_priority_cancels_the_preempt_delay,
	    v2_backup_takes_a_new_interval_as_master_adver_interval,
	    link_down_on_master_removes_addresses_without_sending,
	    link_down_on_backup_stops_its_timers,
	    started_with_the_link_down_it_starts_when_the_link_comes_up,
	    shutdown_of_a_master_sends_priority_0_and_removes_addresses,
	    shutdown_of_a_backup_sends_nothing,
	    next_is_the_earliest_running_timer,
	    a_late_timer_call_names_the_timer_that_expired_first,
	    three_routers_elect_the_highest_priority_and_hand_over_by_skew_time,
	    equal_priorities_elect_the_highest_address,
	    a_closed_gate_holds_preemption_and_keeps_the_master_alive,
	    the_wait_starts_after_the_preempt_delay_and_is_bounded,
	    configurations_are_equal_only_field_by_field,
	    group_keys_name_interface_vrid_and_family,
	    an_open_gate_or_no_gate_preempts_as_before,
	    a_silent_master_is_taken_over_whatever_the_gate,
	    a_higher_master_or_closing_the_gate_ends_the_wait_without_transition,
	    every_transition_has_a_distinct_reason,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("vrrp_fsm", &core, 1);
}
