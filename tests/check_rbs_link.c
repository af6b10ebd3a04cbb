/* When an RBS channel dials and when it gives up on a link: the lower
 * address lets the greater one dial first, the redial backoff doubles up to
 * 5 s and starts again after an up, a flood of refused connections does not
 * push the own dial back, handshakes are bounded in time, the peer is dead
 * after more than 3 s of silence (never while reading is held), and an idle
 * side sends a keepalive every second. */
#include <check.h>
#include <stdlib.h>

#include "rbsd/rbs_link.h"
#include "tests/lib/checkrun.h"

/* A clock far from 0, as a monotonic clock is. */
#define T0 1000000u

/* The own dial falls due at `at` and is started; returns the time. */
static uint64_t dial_at(struct rbs_link_dial *d, uint64_t at)
{
	ck_assert_uint_eq(rbs_link_dial_next(d), at);
	ck_assert_int_eq(rbs_link_dial_due(d, at, false), RBS_LINK_DIAL_NOW);
	rbs_link_dial_begun(d);
	return at;
}

/* The own dial started at `now` fails: the peer refused it. */
static uint64_t dial_refused(struct rbs_link_dial *d, uint64_t now)
{
	rbs_link_dial_done(d);
	return rbs_link_dial_failed(d, now, false);
}

/* An established link: opened, connected and HELLOs exchanged at now. */
static void established(struct rbs_link *k, uint64_t now, bool dialed)
{
	rbs_link_open(k, now, dialed);
	rbs_link_connected(k, now);
	rbs_link_established(k);
}

START_TEST(the_greater_address_dials_at_once_the_lower_one_waits_a_second)
{
	struct rbs_link_dial g, l;

	ck_assert_uint_eq(rbs_link_dial_start(&g, T0, false), T0);
	ck_assert_int_eq(rbs_link_dial_due(&g, T0, false), RBS_LINK_DIAL_NOW);

	ck_assert_uint_eq(rbs_link_dial_start(&l, T0, true), T0 + 1000);
	ck_assert_int_eq(rbs_link_dial_due(&l, T0 + 999, false), RBS_LINK_DIAL_NONE);
	ck_assert_int_eq(rbs_link_dial_due(&l, T0 + 1000, false), RBS_LINK_DIAL_NOW);
}
END_TEST

START_TEST(the_lower_side_dials_nothing_when_the_greater_ones_link_came_first)
{
	struct rbs_link_dial l;

	rbs_link_dial_start(&l, T0, true);
	/* the greater side's connection arrived and carries the channel */
	rbs_link_dial_up(&l);
	ck_assert_int_eq(rbs_link_dial_due(&l, T0 + 1000, true), RBS_LINK_DIAL_NONE);
	ck_assert_uint_eq(rbs_link_dial_next(&l), RBS_LINK_NEVER);
}
END_TEST

START_TEST(a_dial_timer_that_fires_early_keeps_the_schedule)
{
	struct rbs_link_dial d;

	rbs_link_dial_start(&d, T0, true);
	ck_assert_int_eq(rbs_link_dial_due(&d, T0 + 500, false), RBS_LINK_DIAL_NONE);
	ck_assert_uint_eq(rbs_link_dial_next(&d), T0 + 1000);
}
END_TEST

START_TEST(the_backoff_doubles_after_each_failure_up_to_five_seconds)
{
	static const uint64_t delays[] = {100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000};
	struct rbs_link_dial d;
	uint64_t now = dial_at(&d, rbs_link_dial_start(&d, T0, false));

	for (size_t i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		now += 7; /* the refusal comes a little later */
		ck_assert_uint_eq(dial_refused(&d, now), now + delays[i]);
		now = dial_at(&d, now + delays[i]);
	}
	ck_assert_uint_eq(d.backoff_ms, 5000);
}
END_TEST

START_TEST(a_dial_that_cannot_start_backs_off_too)
{
	struct rbs_link_dial d;
	uint64_t now = T0;

	rbs_link_dial_start(&d, now, false);
	ck_assert_int_eq(rbs_link_dial_due(&d, now, false), RBS_LINK_DIAL_NOW);
	/* no address to dial from, say: never began */
	ck_assert_uint_eq(rbs_link_dial_failed(&d, now, false), now + 100);
	now += 100;
	ck_assert_int_eq(rbs_link_dial_due(&d, now, false), RBS_LINK_DIAL_NOW);
	ck_assert_uint_eq(rbs_link_dial_failed(&d, now, false), now + 200);
}
END_TEST

START_TEST(an_up_channel_resets_the_backoff)
{
	struct rbs_link_dial d;
	uint64_t now = dial_at(&d, rbs_link_dial_start(&d, T0, false));

	for (int i = 0; i < 8; i++)
		now = dial_at(&d, dial_refused(&d, now));
	ck_assert_uint_eq(d.backoff_ms, 5000);
	/* this dial gets through: TCP and TLS, then HELLOs */
	rbs_link_dial_done(&d);
	rbs_link_dial_up(&d);
	/* the channel's link fails later: the first redial comes quickly */
	now += 60000;
	ck_assert_uint_eq(rbs_link_dial_failed(&d, now, false), now + 100);
	now = dial_at(&d, now + 100);
	ck_assert_uint_eq(dial_refused(&d, now), now + 200);
}
END_TEST

START_TEST(a_flood_of_refused_connections_does_not_push_the_own_dial_back)
{
	struct rbs_link_dial d;
	uint64_t now = dial_at(&d, rbs_link_dial_start(&d, T0, false)), due;

	now = dial_at(&d, dial_refused(&d, now));
	due = dial_refused(&d, now); /* 200 ms on */
	ck_assert_uint_eq(due, now + 200);
	/* inbound connections from the peer's address fail or are dropped,
	 * one every millisecond until the dial is due */
	for (uint64_t t = now + 1; t < due; t++) {
		ck_assert_uint_eq(rbs_link_dial_failed(&d, t, false), due);
		ck_assert_uint_eq(rbs_link_dial_closed(&d, t, false), due);
	}
	ck_assert_uint_eq(d.backoff_ms, 400);
	ck_assert_int_eq(rbs_link_dial_due(&d, due, false), RBS_LINK_DIAL_NOW);
}
END_TEST

START_TEST(nothing_is_scheduled_while_the_own_dial_is_in_progress)
{
	struct rbs_link_dial d;
	uint64_t now = dial_at(&d, rbs_link_dial_start(&d, T0, false));

	/* an inbound connection fails, another is dropped: the dial in
	 * progress decides what comes next */
	ck_assert_uint_eq(rbs_link_dial_failed(&d, now + 10, false), RBS_LINK_NEVER);
	ck_assert_uint_eq(rbs_link_dial_closed(&d, now + 20, false), RBS_LINK_NEVER);
	ck_assert_uint_eq(d.backoff_ms, 100);
	/* it fails in turn */
	ck_assert_uint_eq(dial_refused(&d, now + 30), now + 130);
}
END_TEST

START_TEST(a_dial_due_while_the_own_dial_is_in_progress_does_nothing)
{
	struct rbs_link_dial d;

	rbs_link_dial_start(&d, T0, true);
	rbs_link_dial_begun(&d);
	ck_assert_int_eq(rbs_link_dial_due(&d, T0 + 1000, false), RBS_LINK_DIAL_NONE);
	ck_assert_uint_eq(rbs_link_dial_next(&d), RBS_LINK_NEVER);
}
END_TEST

START_TEST(nothing_is_dialed_while_the_channel_is_up)
{
	struct rbs_link_dial d;
	uint64_t now = dial_at(&d, rbs_link_dial_start(&d, T0, false));

	rbs_link_dial_done(&d);
	rbs_link_dial_up(&d);
	/* other connections fail or are dropped: the channel carries on */
	ck_assert_uint_eq(rbs_link_dial_failed(&d, now + 10, true), RBS_LINK_NEVER);
	ck_assert_uint_eq(rbs_link_dial_closed(&d, now + 20, true), RBS_LINK_NEVER);
	ck_assert_uint_eq(d.backoff_ms, 100);
}
END_TEST

START_TEST(a_link_closed_on_purpose_redials_after_the_backoff_without_doubling_it)
{
	struct rbs_link_dial d;
	uint64_t now = dial_at(&d, rbs_link_dial_start(&d, T0, false));

	rbs_link_dial_done(&d);
	rbs_link_dial_up(&d);
	/* the peer went silent: this side closes the channel's link */
	now += 30000;
	ck_assert_uint_eq(rbs_link_dial_closed(&d, now, false), now + 100);
	ck_assert_uint_eq(d.backoff_ms, 100);
	now = dial_at(&d, now + 100);
	ck_assert_uint_eq(dial_refused(&d, now), now + 100);
	now = dial_at(&d, now + 100);
	ck_assert_uint_eq(dial_refused(&d, now), now + 200);
}
END_TEST

START_TEST(no_free_slot_for_the_own_dial_retries_after_five_seconds)
{
	struct rbs_link_dial d;
	uint64_t now = dial_at(&d, rbs_link_dial_start(&d, T0, false));

	now = dial_at(&d, dial_refused(&d, now));
	rbs_link_dial_done(&d);
	ck_assert_uint_eq(rbs_link_dial_failed(&d, now, false), now + 200);
	now += 200;
	ck_assert_int_eq(rbs_link_dial_due(&d, now, false), RBS_LINK_DIAL_NOW);
	ck_assert_uint_eq(rbs_link_dial_no_slot(&d, now), now + 5000);
	ck_assert_uint_eq(d.backoff_ms, 400);
}
END_TEST

START_TEST(an_inbound_handshake_gets_1750_ms)
{
	struct rbs_link k;

	rbs_link_open(&k, T0, false);
	ck_assert_uint_eq(rbs_link_next(&k), T0 + 1751);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 1750, false), RBS_LINK_OK);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 1751, false), RBS_LINK_HANDSHAKE_EXPIRED);
}
END_TEST

START_TEST(the_own_dial_gets_5_s_for_its_handshake)
{
	struct rbs_link k;

	rbs_link_open(&k, T0, true);
	ck_assert_uint_eq(rbs_link_next(&k), T0 + 5001);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 1751, false), RBS_LINK_OK);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 5000, false), RBS_LINK_OK);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 5001, false), RBS_LINK_HANDSHAKE_EXPIRED);
}
END_TEST

START_TEST(bytes_during_the_handshake_do_not_extend_it)
{
	struct rbs_link k;

	/* a peer that trickles bytes and never finishes */
	rbs_link_open(&k, T0, false);
	rbs_link_connected(&k, T0 + 100);
	for (uint64_t t = T0 + 200; t <= T0 + 1750; t += 50) {
		rbs_link_heard(&k, t);
		/* no keepalive before HELLO either */
		ck_assert_int_eq(rbs_link_check(&k, t, false), RBS_LINK_OK);
	}
	ck_assert_uint_eq(rbs_link_next(&k), T0 + 1751);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 1751, false), RBS_LINK_HANDSHAKE_EXPIRED);
}
END_TEST

START_TEST(an_established_link_has_no_handshake_deadline)
{
	struct rbs_link k;

	rbs_link_open(&k, T0, false);
	rbs_link_connected(&k, T0 + 100);
	rbs_link_established(&k);
	rbs_link_heard(&k, T0 + 1700);
	rbs_link_sent(&k, T0 + 1700);
	ck_assert_uint_eq(rbs_link_next(&k), T0 + 2700);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 1751, false), RBS_LINK_OK);
}
END_TEST

START_TEST(the_peer_is_dead_after_more_than_3_s_of_silence_and_not_before)
{
	struct rbs_link k;

	established(&k, T0, true);
	/* this side keeps sending: only the peer's silence counts */
	rbs_link_sent(&k, T0 + 2500);
	ck_assert_uint_eq(rbs_link_next(&k), T0 + 3001);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 2999, false), RBS_LINK_OK);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 3000, false), RBS_LINK_OK);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 3001, false), RBS_LINK_DEAD);
}
END_TEST

START_TEST(anything_from_the_peer_starts_the_dead_interval_again)
{
	struct rbs_link k;

	established(&k, T0, false);
	rbs_link_heard(&k, T0 + 2900);
	rbs_link_sent(&k, T0 + 2900);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 3001, false), RBS_LINK_OK);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 5900, false), RBS_LINK_SEND_KEEPALIVE);
	rbs_link_sent(&k, T0 + 5900);
	ck_assert_uint_eq(rbs_link_next(&k), T0 + 5901);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 5901, false), RBS_LINK_DEAD);
}
END_TEST

START_TEST(what_this_side_sends_does_not_keep_a_silent_peer_alive)
{
	struct rbs_link k;

	established(&k, T0, true);
	for (uint64_t t = T0 + 1000; t <= T0 + 3000; t += 1000) {
		ck_assert_int_eq(rbs_link_check(&k, t, false), RBS_LINK_SEND_KEEPALIVE);
		rbs_link_sent(&k, t);
	}
	ck_assert_int_eq(rbs_link_check(&k, T0 + 3001, false), RBS_LINK_DEAD);
}
END_TEST

START_TEST(a_dead_peer_is_dropped_rather_than_sent_a_keepalive)
{
	struct rbs_link k;

	established(&k, T0, true); /* both due at once after silence both ways */
	ck_assert_int_eq(rbs_link_check(&k, T0 + 3001, false), RBS_LINK_DEAD);
}
END_TEST

START_TEST(silence_while_reading_is_held_proves_nothing)
{
	struct rbs_link k;

	established(&k, T0, false);
	/* the local feeder is full: this side reads nothing for a minute */
	for (uint64_t t = T0 + 1000; t <= T0 + 60000; t += 1000) {
		enum rbs_link_act a = rbs_link_check(&k, t, true);

		ck_assert_int_ne(a, RBS_LINK_DEAD);
		if (a == RBS_LINK_SEND_KEEPALIVE)
			rbs_link_sent(&k, t);
	}
	/* released: the interval runs from the last look, not from the
	 * peer's last byte */
	ck_assert_int_eq(rbs_link_check(&k, T0 + 63000, false), RBS_LINK_SEND_KEEPALIVE);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 63001, false), RBS_LINK_DEAD);
}
END_TEST

START_TEST(the_release_of_a_hold_starts_the_dead_interval_again)
{
	struct rbs_link k;

	established(&k, T0, false);
	rbs_link_held(&k, T0 + 10000); /* rbs_chan_hold(false) */
	rbs_link_sent(&k, T0 + 10000);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 10500, false), RBS_LINK_OK);
	ck_assert_uint_eq(rbs_link_next(&k), T0 + 11000);
	rbs_link_sent(&k, T0 + 12900);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 13000, false), RBS_LINK_OK);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 13001, false), RBS_LINK_DEAD);
}
END_TEST

START_TEST(an_idle_side_sends_a_keepalive_after_1_s)
{
	struct rbs_link k;

	established(&k, T0, true);
	rbs_link_heard(&k, T0 + 900);
	ck_assert_uint_eq(rbs_link_next(&k), T0 + 1000);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 999, false), RBS_LINK_OK);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 1000, false), RBS_LINK_SEND_KEEPALIVE);
	rbs_link_sent(&k, T0 + 1000);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 1000, false), RBS_LINK_OK);
	ck_assert_uint_eq(rbs_link_next(&k), T0 + 2000);
}
END_TEST

START_TEST(anything_sent_defers_the_keepalive)
{
	struct rbs_link k;

	established(&k, T0, false);
	rbs_link_heard(&k, T0 + 1500);
	rbs_link_sent(&k, T0 + 700); /* entries, an ACK */
	ck_assert_int_eq(rbs_link_check(&k, T0 + 1000, false), RBS_LINK_OK);
	ck_assert_uint_eq(rbs_link_next(&k), T0 + 1700);
	ck_assert_int_eq(rbs_link_check(&k, T0 + 1700, false), RBS_LINK_SEND_KEEPALIVE);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    the_greater_address_dials_at_once_the_lower_one_waits_a_second,
	    the_lower_side_dials_nothing_when_the_greater_ones_link_came_first,
	    a_dial_timer_that_fires_early_keeps_the_schedule,
	    the_backoff_doubles_after_each_failure_up_to_five_seconds,
	    a_dial_that_cannot_start_backs_off_too,
	    an_up_channel_resets_the_backoff,
	    a_flood_of_refused_connections_does_not_push_the_own_dial_back,
	    nothing_is_scheduled_while_the_own_dial_is_in_progress,
	    a_dial_due_while_the_own_dial_is_in_progress_does_nothing,
	    nothing_is_dialed_while_the_channel_is_up,
	    a_link_closed_on_purpose_redials_after_the_backoff_without_doubling_it,
	    no_free_slot_for_the_own_dial_retries_after_five_seconds,
	    an_inbound_handshake_gets_1750_ms,
	    the_own_dial_gets_5_s_for_its_handshake,
	    bytes_during_the_handshake_do_not_extend_it,
	    an_established_link_has_no_handshake_deadline,
	    the_peer_is_dead_after_more_than_3_s_of_silence_and_not_before,
	    anything_from_the_peer_starts_the_dead_interval_again,
	    what_this_side_sends_does_not_keep_a_silent_peer_alive,
	    a_dead_peer_is_dropped_rather_than_sent_a_keepalive,
	    silence_while_reading_is_held_proves_nothing,
	    the_release_of_a_hold_starts_the_dead_interval_again,
	    an_idle_side_sends_a_keepalive_after_1_s,
	    anything_sent_defers_the_keepalive,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbs_link", &core, 1);
}
