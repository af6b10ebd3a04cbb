/* The BFD state machine of one session, driven by events and a fake clock
 * (plain microsecond values, no sleeps): the three-way handshake between
 * two sessions that talk through the wire format, the Detection Time to
 * the microsecond, the negotiated intervals, jitter, Poll / Final,
 * AdminDown on either side, and exactly what each event asks the caller
 * to send. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bfd/bfd_fsm.h"
#include "bfd/bfd_pkt.h"
#include "tests/lib/checkrun.h"

/* Any monotonic origin will do; not 0, which the module reserves for
 * stopped timers, and far from it so that an origin mistake shows. */
#define T0 ((uint64_t)5000000000)
#define MS ((uint64_t)1000)
#define SEC ((uint64_t)1000000)

#define OUR_DISC 0x11111111u
#define PEER_DISC 0x0badcafeu

#define SEND BFD_ACT_SEND
#define POLL BFD_ACT_POLL
#define FINAL BFD_ACT_FINAL
#define ADMIN_DOWN BFD_STATE_ADMIN_DOWN
#define DOWN BFD_STATE_DOWN
#define INIT BFD_STATE_INIT
#define UP BFD_STATE_UP

static struct bfd_fsm s;
static struct bfd_fsm_out out;
/* The random value every event gets: 0 means no jitter, so that intervals
 * are exact unless a test says otherwise. */
static uint32_t rnd;

static struct bfd_fsm_cfg cfg_of(uint64_t tx_us, uint64_t rx_us, int mult)
{
	struct bfd_fsm_cfg c;

	memset(&c, 0, sizeof(c));
	c.desired_min_tx_us = (uint32_t)tx_us;
	c.required_min_rx_us = (uint32_t)rx_us;
	c.detect_mult = (uint8_t)mult;
	return c;
}

/* 50 ms both ways, Detect Mult 3. */
static struct bfd_fsm_cfg fast(void)
{
	return cfg_of(50 * MS, 50 * MS, 3);
}

/* Through the wire: built and parsed, so that every packet a test hands a
 * session is one that bfd_pkt_parse() accepts. */
static struct bfd_pkt wire(const struct bfd_pkt *p)
{
	uint8_t buf[BFD_PKT_LEN];
	struct bfd_pkt q;
	enum bfd_drop why;

	ck_assert_int_eq(bfd_pkt_build(buf, sizeof(buf), p), BFD_PKT_LEN);
	ck_assert_int_eq(bfd_pkt_parse(buf, sizeof(buf), &q, &why), 0);
	return q;
}

/* Every event goes through these: out is filled with garbage first, so a
 * path that leaves a field unwritten fails the assertions that follow. */
static void poison(void)
{
	memset(&out, 0xa5, sizeof(out));
}

static void ev_timer(uint64_t now)
{
	poison();
	bfd_fsm_timer(&s, now, rnd, &out);
}

static void ev_recv(uint64_t now, struct bfd_pkt p)
{
	struct bfd_pkt q = wire(&p);
	enum bfd_drop why = BFD_DROP__MAX;

	poison();
	ck_assert_int_eq(bfd_fsm_recv(&s, now, &q, rnd, &out, &why), 0);
	ck_assert_int_eq(why, BFD_DROP_NONE);
}

static void ev_cfg(uint64_t now, struct bfd_fsm_cfg c)
{
	poison();
	ck_assert_int_eq(bfd_fsm_set_cfg(&s, now, &c, rnd, &out), 0);
}

static void ev_admin(uint64_t now, bool down)
{
	poison();
	bfd_fsm_set_admin_down(&s, now, down, rnd, &out);
}

/* What the peer (PEER_DISC, Detect Mult 3, knows our discriminator) says. */
static struct bfd_pkt peer(enum bfd_state st, uint64_t tx_us, uint64_t rx_us)
{
	struct bfd_pkt p;

	memset(&p, 0, sizeof(p));
	p.version = BFD_PKT_VERSION;
	p.state = st;
	p.detect_mult = 3;
	p.length = BFD_PKT_LEN;
	p.my_disc = PEER_DISC;
	p.your_disc = OUR_DISC;
	p.desired_min_tx_us = (uint32_t)tx_us;
	p.required_min_rx_us = (uint32_t)rx_us;
	return p;
}

static struct bfd_pkt with_poll(struct bfd_pkt p)
{
	p.poll = true;
	return p;
}

static struct bfd_pkt with_final(struct bfd_pkt p)
{
	p.final = true;
	return p;
}

/* The event asks to send exactly this: one packet in state st, with P or F
 * as actions say, from us, that the peer's parser accepts. */
static void assert_sent(enum bfd_state st, unsigned actions)
{
	ck_assert_uint_eq(out.actions, actions);
	ck_assert_int_eq(out.pkt.state, st);
	ck_assert_int_eq(out.pkt.poll, (actions & POLL) != 0);
	ck_assert_int_eq(out.pkt.final, (actions & FINAL) != 0);
	ck_assert_uint_eq(out.pkt.my_disc, OUR_DISC);
	ck_assert_uint_eq(out.pkt.your_disc, s.remote_disc);
	ck_assert_uint_eq(out.pkt.detect_mult, s.cfg.detect_mult);
	ck_assert_uint_eq(out.pkt.diag, s.diag);
	ck_assert_uint_eq(out.pkt.required_min_echo_rx_us, 0);
	(void)wire(&out.pkt);
}

/* The event asks to send nothing. */
static void assert_quiet(void)
{
	ck_assert_uint_eq(out.actions, 0);
	ck_assert_uint_eq(out.pkt.version, 0);
}

/* The event left the session in st. */
static void assert_stayed(enum bfd_state st)
{
	ck_assert_int_eq(out.from, st);
	ck_assert_int_eq(out.to, st);
	ck_assert_int_eq(s.state, st);
	ck_assert_int_eq(out.diag, s.diag);
	ck_assert_uint_eq(out.next_us, bfd_fsm_next(&s));
}

/* The event moved the session from -> to, with diag as bfd.LocalDiag. */
static void assert_moved(enum bfd_state from, enum bfd_state to, enum bfd_diag diag)
{
	ck_assert_int_eq(out.from, from);
	ck_assert_int_eq(out.to, to);
	ck_assert_int_eq(out.diag, diag);
	ck_assert_int_eq(s.state, to);
	ck_assert_int_eq(s.diag, diag);
	ck_assert_uint_eq(out.next_us, bfd_fsm_next(&s));
}

/* Runs s's timers until it sends; returns when. */
static uint64_t next_send(void)
{
	int i;

	for (i = 0; i < 100; i++) {
		uint64_t t = bfd_fsm_next(&s);

		ck_assert_uint_ne(t, 0);
		ev_timer(t);
		if (out.actions & SEND)
			return t;
	}
	ck_abort_msg("no packet after 100 timer events");
	return 0;
}

/*
 * s, configured with c, brought Up by a peer that asks for peer_tx /
 * peer_rx (Detect Mult 3), with our Poll Sequence of coming Up (1 s to the
 * configured interval) over. Returns when it was all done: the peer's
 * last packet and ours went then.
 */
static uint64_t up(struct bfd_fsm_cfg c, uint64_t peer_tx, uint64_t peer_rx)
{
	struct bfd_pkt p;
	uint64_t t = T0 + 2 * MS;

	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), 0);
	ev_timer(T0);
	assert_sent(DOWN, SEND);
	p = peer(DOWN, SEC, peer_rx);
	p.your_disc = 0;
	ev_recv(T0 + 1 * MS, p);
	assert_moved(DOWN, INIT, BFD_DIAG_NONE);
	ev_recv(t, with_poll(peer(UP, peer_tx, peer_rx)));
	assert_moved(INIT, UP, BFD_DIAG_NONE);
	assert_sent(UP, SEND | FINAL);
	if (s.polling) {
		t = next_send();
		assert_sent(UP, SEND | POLL);
		ev_recv(t, with_final(peer(UP, peer_tx, peer_rx)));
		assert_quiet();
		ck_assert(!s.polling);
	}
	ck_assert_int_eq(s.state, UP);
	return t;
}

/* --- two sessions on one link ---------------------------------------- */

static struct bfd_fsm a, b;
static bool link_up;

/* What went over the link and which transitions happened, in order. */
static struct sent_rec {
	char who;
	uint64_t t;
	struct bfd_pkt pkt;
} sent[4096];
static int nsent;
static struct moved_rec {
	char who;
	uint64_t t;
	enum bfd_state from, to;
	enum bfd_diag diag;
} moved[64];
static int nmoved;

static void note(char who, uint64_t t, const struct bfd_fsm_out *o)
{
	if (o->actions & SEND) {
		ck_assert_int_lt(nsent, (int)(sizeof(sent) / sizeof(sent[0])));
		sent[nsent++] = (struct sent_rec){who, t, o->pkt};
	}
	if (o->from != o->to) {
		ck_assert_int_lt(nmoved, (int)(sizeof(moved) / sizeof(moved[0])));
		moved[nmoved++] = (struct moved_rec){who, t, o->from, o->to, o->diag};
	}
}

static struct bfd_fsm *fsm_of(char who)
{
	return who == 'a' ? &a : &b;
}

/* Notes what `who` did at t, and carries what it sent to the other one
 * (no delay), and the answers back, until nobody has more to say. */
static void carry(char who, uint64_t t, struct bfd_fsm_out o)
{
	int hops;

	note(who, t, &o);
	for (hops = 0; (o.actions & SEND) && link_up; hops++) {
		char to = who == 'a' ? 'b' : 'a';
		struct bfd_pkt p = wire(&o.pkt);
		enum bfd_drop why;

		ck_assert_int_lt(hops, 8);
		ck_assert_int_eq(bfd_fsm_recv(fsm_of(to), t, &p, rnd, &o, &why), 0);
		note(to, t, &o);
		who = to;
	}
}

static void pair_start(struct bfd_fsm_cfg ca, struct bfd_fsm_cfg cb)
{
	ck_assert_int_eq(bfd_fsm_init(&a, 0xaaaa, &ca, T0), 0);
	ck_assert_int_eq(bfd_fsm_init(&b, 0xbbbb, &cb, T0), 0);
	link_up = true;
	nsent = nmoved = 0;
}

/* Runs both sessions' timers, in time order (a first on a tie), up to
 * and including until. */
static void run_pair(uint64_t until)
{
	int guard;

	for (guard = 0; guard < 100000; guard++) {
		uint64_t na = bfd_fsm_next(&a), nb = bfd_fsm_next(&b), t;
		bool pick_a = nb == 0 || (na != 0 && na <= nb);
		struct bfd_fsm_out o;

		t = pick_a ? na : nb;
		if (t == 0 || t > until)
			return;
		bfd_fsm_timer(pick_a ? &a : &b, t, rnd, &o);
		carry(pick_a ? 'a' : 'b', t, o);
	}
	ck_abort_msg("timers do not advance");
}

static void assert_rec_moved(int i, char who, enum bfd_state from, enum bfd_state to,
			     enum bfd_diag diag, uint64_t t)
{
	ck_assert_int_lt(i, nmoved);
	ck_assert_int_eq(moved[i].who, who);
	ck_assert_int_eq(moved[i].from, from);
	ck_assert_int_eq(moved[i].to, to);
	ck_assert_int_eq(moved[i].diag, diag);
	ck_assert_uint_eq(moved[i].t, t);
}

static void assert_rec_sent(int i, char who, enum bfd_state st, bool poll, bool final,
			    uint32_t your_disc)
{
	ck_assert_int_lt(i, nsent);
	ck_assert_int_eq(sent[i].who, who);
	ck_assert_int_eq(sent[i].pkt.state, st);
	ck_assert_int_eq(sent[i].pkt.poll, poll);
	ck_assert_int_eq(sent[i].pkt.final, final);
	ck_assert_uint_eq(sent[i].pkt.your_disc, your_disc);
}

static void setup(void)
{
	rnd = 0;
	memset(&s, 0, sizeof(s));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	link_up = true;
	nsent = nmoved = 0;
}

/* --- a new session ---------------------------------------------------- */

START_TEST(a_new_session_is_down_and_sends_its_first_packet_at_once)
{
	struct bfd_fsm_cfg c = fast();

	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), 0);
	ck_assert_int_eq(s.state, DOWN);
	ck_assert_int_eq(s.diag, BFD_DIAG_NONE);
	ck_assert_uint_eq(s.remote_disc, 0);
	ck_assert_uint_eq(bfd_fsm_next(&s), T0);
	ck_assert_uint_eq(s.last_change_us, T0);
	ck_assert_uint_eq(s.ups + s.downs, 0);

	ev_timer(T0);
	assert_stayed(DOWN);
	assert_sent(DOWN, SEND);
	ck_assert_uint_eq(out.pkt.your_disc, 0);
	ck_assert_uint_eq(out.pkt.desired_min_tx_us, SEC);
	ck_assert_uint_eq(out.pkt.required_min_rx_us, 50 * MS);
	ck_assert_uint_eq(out.next_us, T0 + SEC);
}
END_TEST

START_TEST(a_zero_discriminator_or_a_zero_setting_is_refused)
{
	struct bfd_fsm_cfg good = fast(), c;
	struct bfd_fsm before;

	memset(&s, 0x5a, sizeof(s));
	memcpy(&before, &s, sizeof(s));
	ck_assert_int_eq(bfd_fsm_init(&s, 0, &good, T0), -EINVAL);
	c = cfg_of(0, 50 * MS, 3);
	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), -EINVAL);
	c = cfg_of(50 * MS, 0, 3);
	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), -EINVAL);
	c = cfg_of(50 * MS, 50 * MS, 0);
	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), -EINVAL);
	ck_assert_mem_eq(&s, &before, sizeof(s));

	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &good, T0), 0);
	memcpy(&before, &s, sizeof(s));
	poison();
	ck_assert_int_eq(bfd_fsm_set_cfg(&s, T0 + 1, &c, rnd, &out), -EINVAL);
	ck_assert_mem_eq(&s, &before, sizeof(s));
	assert_quiet();
	assert_stayed(DOWN);
}
END_TEST

/* --- RFC 5880 6.8.3: 1 s while not Up --------------------------------- */

START_TEST(while_not_up_packets_go_out_every_second_whatever_the_configured_interval)
{
	struct bfd_fsm_cfg c = cfg_of(10 * MS, 10 * MS, 3);
	struct bfd_pkt p;
	int i;

	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), 0);
	ev_timer(T0);
	assert_sent(DOWN, SEND);
	for (i = 1; i <= 5; i++) {
		ev_timer(T0 + (uint64_t)i * SEC - 1);
		assert_quiet();
		ev_timer(T0 + (uint64_t)i * SEC);
		assert_sent(DOWN, SEND);
		ck_assert_uint_eq(out.pkt.desired_min_tx_us, SEC);
		ck_assert_uint_eq(out.pkt.required_min_rx_us, 10 * MS);
	}

	/* in Init as in Down */
	p = peer(DOWN, SEC, 10 * MS);
	ev_recv(T0 + 5 * SEC + 1, p);
	assert_moved(DOWN, INIT, BFD_DIAG_NONE);
	assert_sent(INIT, SEND);
	ck_assert_uint_eq(out.pkt.desired_min_tx_us, SEC);
	ck_assert_uint_eq(out.next_us, T0 + 6 * SEC + 1);
}
END_TEST

/* "not less than one second": a slower setting is kept as it is. */
START_TEST(a_configured_interval_above_one_second_is_used_while_not_up)
{
	struct bfd_fsm_cfg c = cfg_of(3 * SEC, 10 * MS, 3);

	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), 0);
	ev_timer(T0);
	assert_sent(DOWN, SEND);
	ck_assert_uint_eq(out.pkt.desired_min_tx_us, 3 * SEC);
	ck_assert_uint_eq(out.next_us, T0 + 3 * SEC);
}
END_TEST

START_TEST(coming_up_switches_to_the_configured_interval_with_a_poll)
{
	struct bfd_fsm_cfg c = fast();
	uint64_t t;

	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), 0);
	ev_timer(T0);
	ev_recv(T0 + 1, peer(INIT, SEC, 50 * MS));
	assert_moved(DOWN, UP, BFD_DIAG_NONE);
	/* the packet that reports Up asks the peer to confirm 50 ms */
	assert_sent(UP, SEND | POLL);
	ck_assert_uint_eq(out.pkt.desired_min_tx_us, 50 * MS);
	ck_assert(s.polling);
	/* a faster rate applies at once (RFC 5880 6.8.3) */
	ck_assert_uint_eq(bfd_fsm_tx_interval_us(&s), 50 * MS);
	ck_assert_uint_eq(out.next_us, T0 + 1 + 50 * MS);

	t = next_send();
	ck_assert_uint_eq(t, T0 + 1 + 50 * MS);
	assert_sent(UP, SEND | POLL);
	ev_recv(t + 1, with_final(peer(UP, 50 * MS, 50 * MS)));
	assert_quiet();
	assert_stayed(UP);
	ck_assert(!s.polling);
	t = next_send();
	ck_assert_uint_eq(t, T0 + 1 + 100 * MS);
	assert_sent(UP, SEND);
}
END_TEST

START_TEST(going_down_falls_back_to_one_second_and_ends_a_poll)
{
	uint64_t t = up(fast(), 50 * MS, 50 * MS);

	ev_cfg(t + 1, cfg_of(20 * MS, 50 * MS, 3));
	ck_assert(s.polling);
	ev_recv(t + 2, peer(DOWN, SEC, 50 * MS));
	assert_moved(UP, DOWN, BFD_DIAG_NEIGHBOR_DOWN);
	assert_sent(DOWN, SEND);
	ck_assert(!s.polling);
	ck_assert_uint_eq(out.pkt.desired_min_tx_us, SEC);
	ck_assert_uint_eq(bfd_fsm_tx_interval_us(&s), SEC);
	ck_assert_uint_eq(s.tx_at, t + 2 + SEC);
}
END_TEST

/* --- the three-way handshake, RFC 5880 6.2 ---------------------------- */

START_TEST(two_sessions_come_up_through_down_init_up)
{
	int i, b_poll = -1;

	pair_start(fast(), fast());
	run_pair(T0);
	/* a speaks first: Down. b moves to Init and says so, a comes Up and
	 * polls for 50 ms, b comes Up and answers with F. */
	assert_rec_sent(0, 'a', DOWN, false, false, 0);
	assert_rec_sent(1, 'b', INIT, false, false, 0xaaaa);
	assert_rec_sent(2, 'a', UP, true, false, 0xbbbb);
	assert_rec_sent(3, 'b', UP, false, true, 0xaaaa);
	ck_assert_int_eq(nsent, 4);
	assert_rec_moved(0, 'b', DOWN, INIT, BFD_DIAG_NONE, T0);
	assert_rec_moved(1, 'a', DOWN, UP, BFD_DIAG_NONE, T0);
	assert_rec_moved(2, 'b', INIT, UP, BFD_DIAG_NONE, T0);
	ck_assert_int_eq(nmoved, 3);
	ck_assert(!a.polling); /* b's F ended it */
	ck_assert(b.polling);  /* b's own poll goes on its next packet */
	ck_assert_uint_eq(a.remote_disc, 0xbbbb);
	ck_assert_uint_eq(b.remote_disc, 0xaaaa);

	run_pair(T0 + 100 * MS);
	for (i = 4; i < nsent; i++)
		if (sent[i].who == 'b' && sent[i].pkt.poll) {
			b_poll = i;
			break;
		}
	ck_assert_int_ge(b_poll, 0);
	ck_assert_uint_eq(sent[b_poll].t, T0 + 50 * MS);
	assert_rec_sent(b_poll + 1, 'a', UP, false, true, 0xbbbb);
	ck_assert(!b.polling);
	ck_assert_int_eq(nmoved, 3);
	ck_assert_int_eq(a.state, UP);
	ck_assert_int_eq(b.state, UP);
	ck_assert_uint_eq(bfd_fsm_tx_interval_us(&a), 50 * MS);
	ck_assert_uint_eq(bfd_fsm_tx_interval_us(&b), 50 * MS);
	ck_assert_uint_eq(bfd_fsm_detect_time_us(&a), 150 * MS);
	ck_assert_uint_eq(bfd_fsm_detect_time_us(&b), 150 * MS);
	ck_assert_uint_eq(a.ups, 1);
	ck_assert_uint_eq(b.ups, 1);
}
END_TEST

/* Both speak before either hears the other: both go to Init, then Up. */
START_TEST(two_sessions_that_start_together_meet_in_init_and_come_up)
{
	struct bfd_fsm_out oa, ob, ra, rb;
	struct bfd_pkt pa, pb;
	enum bfd_drop why;
	struct bfd_fsm_cfg c = fast();

	pair_start(c, c);
	bfd_fsm_timer(&a, T0, rnd, &oa);
	bfd_fsm_timer(&b, T0, rnd, &ob);
	ck_assert_int_eq(oa.pkt.state, DOWN);
	ck_assert_int_eq(ob.pkt.state, DOWN);
	pa = wire(&oa.pkt);
	pb = wire(&ob.pkt);
	ck_assert_int_eq(bfd_fsm_recv(&a, T0 + 1, &pb, rnd, &ra, &why), 0);
	ck_assert_int_eq(bfd_fsm_recv(&b, T0 + 1, &pa, rnd, &rb, &why), 0);
	ck_assert_int_eq(ra.to, INIT);
	ck_assert_int_eq(rb.to, INIT);
	ck_assert_int_eq(ra.pkt.state, INIT);
	ck_assert_int_eq(rb.pkt.state, INIT);
	pa = wire(&ra.pkt);
	pb = wire(&rb.pkt);
	ck_assert_int_eq(bfd_fsm_recv(&a, T0 + 2, &pb, rnd, &oa, &why), 0);
	ck_assert_int_eq(bfd_fsm_recv(&b, T0 + 2, &pa, rnd, &ob, &why), 0);
	ck_assert_int_eq(oa.from, INIT);
	ck_assert_int_eq(oa.to, UP);
	ck_assert_int_eq(ob.from, INIT);
	ck_assert_int_eq(ob.to, UP);
}
END_TEST

/* RFC 5880 6.8.6, the state table, for every local state but AdminDown
 * and every state the peer can report. */
START_TEST(the_rfc_5880_state_table_holds_for_every_pair_of_states)
{
	static const struct {
		enum bfd_state local, remote, to;
		enum bfd_diag diag;
	} table[] = {
	    {DOWN, ADMIN_DOWN, DOWN, BFD_DIAG_NONE},
	    {DOWN, DOWN, INIT, BFD_DIAG_NONE},
	    {DOWN, INIT, UP, BFD_DIAG_NONE},
	    {DOWN, UP, DOWN, BFD_DIAG_NONE},
	    {INIT, ADMIN_DOWN, DOWN, BFD_DIAG_NEIGHBOR_DOWN},
	    {INIT, DOWN, INIT, BFD_DIAG_NONE},
	    {INIT, INIT, UP, BFD_DIAG_NONE},
	    {INIT, UP, UP, BFD_DIAG_NONE},
	    {UP, ADMIN_DOWN, DOWN, BFD_DIAG_NEIGHBOR_DOWN},
	    {UP, DOWN, DOWN, BFD_DIAG_NEIGHBOR_DOWN},
	    {UP, INIT, UP, BFD_DIAG_NONE},
	    {UP, UP, UP, BFD_DIAG_NONE},
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct bfd_fsm_cfg c = fast();
		struct bfd_pkt p = peer(table[i].remote, SEC, 50 * MS);

		ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), 0);
		ev_timer(T0);
		if (table[i].local != DOWN)
			ev_recv(T0 + 1, peer(DOWN, SEC, 50 * MS));
		if (table[i].local == UP)
			ev_recv(T0 + 2, peer(INIT, SEC, 50 * MS));
		ck_assert_int_eq(s.state, table[i].local);

		ev_recv(T0 + 3, p);
		ck_assert_msg(s.state == table[i].to && s.diag == table[i].diag,
			      "%s receiving %s: %s diag %d, want %s diag %d",
			      bfd_state_str(table[i].local), bfd_state_str(table[i].remote),
			      bfd_state_str(s.state), s.diag, bfd_state_str(table[i].to),
			      table[i].diag);
		ck_assert_int_eq(out.from, table[i].local);
		ck_assert_int_eq(out.to, table[i].to);
		/* a change is reported at once, no change sends nothing */
		if (table[i].to != table[i].local)
			assert_sent(table[i].to, table[i].to == UP ? SEND | POLL : SEND);
		else
			assert_quiet();
	}
}
END_TEST

/* --- RFC 5880 6.8.4: the Detection Time -------------------------------- */

START_TEST(detection_timeout_fires_exactly_at_detect_mult_times_the_interval_not_earlier)
{
	uint64_t t = up(fast(), 50 * MS, 50 * MS), end = t + 3 * 50 * MS;

	ck_assert_uint_eq(s.detect_at, end);
	/* every periodic packet up to then, and not a microsecond before */
	while (bfd_fsm_next(&s) < end) {
		ev_timer(bfd_fsm_next(&s));
		assert_stayed(UP);
	}
	ev_timer(end - 1);
	assert_stayed(UP);
	ck_assert_uint_eq(s.remote_disc, PEER_DISC);

	ev_timer(end);
	assert_moved(UP, DOWN, BFD_DIAG_DETECT_EXPIRED);
	assert_sent(DOWN, SEND);
	ck_assert_uint_eq(out.pkt.diag, BFD_DIAG_DETECT_EXPIRED);
	/* RFC 5880 6.8.1: a Detection Time of silence forgets the peer */
	ck_assert_uint_eq(s.remote_disc, 0);
	ck_assert_uint_eq(out.pkt.your_disc, 0);
	ck_assert_uint_eq(s.detect_at, 0);
	ck_assert_uint_eq(s.downs, 1);
	ck_assert_uint_eq(s.last_change_us, end);
}
END_TEST

START_TEST(each_received_packet_restarts_the_detection_time)
{
	uint64_t t = up(fast(), 50 * MS, 50 * MS);

	ev_recv(t + 100 * MS, peer(UP, 50 * MS, 50 * MS));
	ck_assert_uint_eq(s.detect_at, t + 250 * MS);
	ev_timer(t + 150 * MS);
	assert_stayed(UP);
	ev_timer(t + 250 * MS - 1);
	assert_stayed(UP);
	ev_timer(t + 250 * MS);
	assert_moved(UP, DOWN, BFD_DIAG_DETECT_EXPIRED);
}
END_TEST

/* A session in Init that hears nothing more goes back Down the same way. */
START_TEST(init_times_out_to_down_like_up)
{
	struct bfd_fsm_cfg c = fast();

	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), 0);
	ev_timer(T0);
	ev_recv(T0 + 1, peer(DOWN, SEC, 50 * MS));
	ck_assert_int_eq(s.state, INIT);
	/* the peer is not Up: its 1 s counts, 3 x max(50 ms, 1 s) */
	ck_assert_uint_eq(s.detect_at, T0 + 1 + 3 * SEC);
	ev_timer(T0 + 3 * SEC);
	assert_stayed(INIT);
	ev_timer(T0 + 1 + 3 * SEC);
	assert_moved(INIT, DOWN, BFD_DIAG_DETECT_EXPIRED);
	ck_assert_uint_eq(s.ups + s.downs, 0);
}
END_TEST

/* Detection Time = the peer's Detect Mult x max(our Required Min RX, its
 * Desired Min TX): whichever is slower decides, in both directions. */
START_TEST(the_detection_time_uses_the_peers_mult_and_the_slower_of_our_rx_and_its_tx)
{
	uint64_t t = up(fast(), 200 * MS, 50 * MS);
	struct bfd_pkt p;

	/* its 200 ms TX is slower than our 50 ms RX */
	ck_assert_uint_eq(bfd_fsm_detect_time_us(&s), 600 * MS);
	ck_assert_uint_eq(s.detect_at, t + 600 * MS);

	/* our 300 ms RX is slower than its 200 ms TX */
	t = up(cfg_of(50 * MS, 300 * MS, 3), 200 * MS, 50 * MS);
	ck_assert_uint_eq(bfd_fsm_detect_time_us(&s), 900 * MS);

	/* its Detect Mult, not ours */
	p = peer(UP, 200 * MS, 50 * MS);
	p.detect_mult = 5;
	ev_recv(t + 1, p);
	ck_assert_uint_eq(bfd_fsm_detect_time_us(&s), 1500 * MS);
	ck_assert_uint_eq(s.detect_at, t + 1 + 1500 * MS);
	ev_timer(t + 1500 * MS);
	assert_stayed(UP);
	ev_timer(t + 1 + 1500 * MS);
	assert_moved(UP, DOWN, BFD_DIAG_DETECT_EXPIRED);
}
END_TEST

/* In Down, nothing can time out, but the peer's discriminator is
 * forgotten after a Detection Time of silence (RFC 5880 6.8.1). */
START_TEST(silence_in_down_forgets_the_peer_discriminator_without_a_transition)
{
	struct bfd_fsm_cfg c = fast();
	uint64_t end = T0 + 1 + 3 * SEC;

	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), 0);
	ev_timer(T0);
	ev_recv(T0 + 1, peer(UP, SEC, SEC)); /* a peer that still thinks it is Up */
	assert_stayed(DOWN);
	ck_assert_uint_eq(s.remote_disc, PEER_DISC);
	ck_assert_uint_eq(s.detect_at, end);
	ev_timer(end - 1);
	ck_assert_uint_eq(s.remote_disc, PEER_DISC);
	ev_timer(end);
	assert_stayed(DOWN);
	ck_assert_int_eq(s.diag, BFD_DIAG_NONE);
	ck_assert_uint_eq(s.remote_disc, 0);
	ck_assert_uint_eq(s.detect_at, 0);
	next_send();
	ck_assert_uint_eq(out.pkt.your_disc, 0);
}
END_TEST

/* --- RFC 5880 6.8.2 / 6.8.7: the transmit interval --------------------- */

/* max(our Desired Min TX, the peer's Required Min RX), both ways. */
START_TEST(the_transmit_interval_is_the_slower_of_our_tx_and_the_peers_rx)
{
	uint64_t t1, t2;

	up(fast(), SEC, 200 * MS);
	ck_assert_uint_eq(bfd_fsm_tx_interval_us(&s), 200 * MS);
	t1 = next_send();
	t2 = next_send();
	ck_assert_uint_eq(t2 - t1, 200 * MS);

	up(fast(), SEC, 20 * MS);
	ck_assert_uint_eq(bfd_fsm_tx_interval_us(&s), 50 * MS);
	t1 = next_send();
	t2 = next_send();
	ck_assert_uint_eq(t2 - t1, 50 * MS);
	ck_assert_uint_eq(out.pkt.desired_min_tx_us, 50 * MS);
}
END_TEST

/* RFC 5880 6.8.3: a lower Required Min RX from the peer is honoured at
 * once, counting from our last packet; a higher one from the last packet
 * too, so that it is never undercut. */
START_TEST(a_change_of_the_peers_rx_interval_counts_from_our_last_packet)
{
	uint64_t t1, t2;

	up(cfg_of(10 * MS, 50 * MS, 3), SEC, SEC);
	ck_assert_uint_eq(bfd_fsm_tx_interval_us(&s), SEC);
	t1 = next_send();

	/* 10 ms: already past since t1, so at once */
	ev_recv(t1 + 100 * MS, peer(UP, SEC, 10 * MS));
	assert_quiet();
	ck_assert_uint_eq(out.next_us, t1 + 100 * MS);
	t2 = next_send();
	ck_assert_uint_eq(t2, t1 + 100 * MS);

	/* back to 1 s: the next packet a full second after t2 */
	ev_recv(t2 + 1 * MS, peer(UP, SEC, SEC));
	ck_assert_uint_eq(s.tx_at, t2 + SEC);
	ck_assert_uint_eq(next_send(), t2 + SEC);
}
END_TEST

/* --- jitter, RFC 5880 6.8.7 -------------------------------------------- */

static uint32_t lcg(uint32_t *x)
{
	*x = *x * 1664525u + 1013904223u;
	return *x;
}

START_TEST(jitter_keeps_the_interval_between_75_and_100_percent)
{
	static const uint32_t ivls[] = {1000000, 50000, 333333, 3300, 7, 1};
	uint32_t x = 42;
	size_t i;
	int n;

	ck_assert_uint_eq(bfd_fsm_jitter_us(1000000, 3, 0), 1000000);
	ck_assert_uint_eq(bfd_fsm_jitter_us(1000000, 3, UINT32_MAX), 750000);
	/* half way, give or take the rounding */
	ck_assert_uint_le(bfd_fsm_jitter_us(1000000, 3, UINT32_MAX / 2) - 874999, 2);
	ck_assert_uint_eq(bfd_fsm_jitter_us(1000000, 2, 0), 1000000);
	ck_assert_uint_eq(bfd_fsm_jitter_us(UINT32_MAX, 3, UINT32_MAX),
			  UINT32_MAX - UINT32_MAX / 4);
	for (i = 0; i < sizeof(ivls) / sizeof(ivls[0]); i++) {
		for (n = 0; n < 20000; n++) {
			uint64_t ivl = ivls[i];
			uint64_t d = bfd_fsm_jitter_us((uint32_t)ivl, 3, lcg(&x));

			ck_assert_msg(d <= ivl && 4 * d >= 3 * ivl && d > 0, "%llu of %llu",
				      (unsigned long long)d, (unsigned long long)ivl);
		}
	}
}
END_TEST

START_TEST(jitter_with_detect_mult_1_keeps_the_interval_between_75_and_90_percent)
{
	static const uint32_t ivls[] = {1000000, 50000, 333333, 3300, 10};
	uint32_t x = 7;
	size_t i;
	int n;

	ck_assert_uint_eq(bfd_fsm_jitter_us(1000000, 1, 0), 900000);
	ck_assert_uint_eq(bfd_fsm_jitter_us(1000000, 1, UINT32_MAX), 750000);
	for (i = 0; i < sizeof(ivls) / sizeof(ivls[0]); i++) {
		for (n = 0; n < 20000; n++) {
			uint64_t ivl = ivls[i];
			uint64_t d = bfd_fsm_jitter_us((uint32_t)ivl, 1, lcg(&x));

			ck_assert_msg(10 * d <= 9 * ivl && 4 * d >= 3 * ivl, "%llu of %llu",
				      (unsigned long long)d, (unsigned long long)ivl);
		}
	}
}
END_TEST

/* The session draws each periodic packet's delay from the random value of
 * the event that sent the previous one, with its own Detect Mult. */
START_TEST(periodic_packets_are_jittered_by_the_callers_random_value)
{
	struct bfd_fsm_cfg c = fast();

	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), 0);
	rnd = UINT32_MAX;
	ev_timer(T0);
	ck_assert_uint_eq(out.next_us, T0 + 750 * MS);
	rnd = 0;
	ck_assert_uint_eq(next_send(), T0 + 750 * MS);
	ck_assert_uint_eq(out.next_us, T0 + 1750 * MS);

	c = cfg_of(50 * MS, 50 * MS, 1);
	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), 0);
	ev_timer(T0);
	ck_assert_uint_eq(out.next_us, T0 + 900 * MS);
}
END_TEST

/* --- Poll / Final, RFC 5880 6.5 ----------------------------------------- */

START_TEST(a_poll_is_answered_at_once_with_final)
{
	uint64_t t = up(fast(), 50 * MS, 50 * MS);
	uint64_t tx_at = s.tx_at;
	struct bfd_fsm_cfg c = fast();
	struct bfd_pkt p;

	ev_recv(t + 10 * MS, with_poll(peer(UP, 50 * MS, 50 * MS)));
	assert_stayed(UP);
	assert_sent(UP, SEND | FINAL);
	ck_assert_uint_ne(tx_at, s.tx_at); /* the periodic timer restarted */
	ck_assert_uint_eq(s.tx_at, t + 60 * MS);

	/* in Down too, with the state change in the same packet */
	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), 0);
	ev_timer(T0);
	p = with_poll(peer(DOWN, SEC, 50 * MS));
	p.your_disc = 0;
	ev_recv(T0 + 1, p);
	assert_moved(DOWN, INIT, BFD_DIAG_NONE);
	assert_sent(INIT, SEND | FINAL);
}
END_TEST

START_TEST(a_poll_during_our_own_poll_gets_a_final_without_our_poll_bit)
{
	uint64_t t = up(fast(), 50 * MS, 50 * MS);

	ev_cfg(t + 1, cfg_of(20 * MS, 50 * MS, 3));
	ck_assert(s.polling);
	ev_recv(t + 2, with_poll(peer(UP, 50 * MS, 20 * MS)));
	assert_sent(UP, SEND | FINAL); /* never P and F together */
	ck_assert(s.polling);
	next_send();
	assert_sent(UP, SEND | POLL);
}
END_TEST

START_TEST(a_final_without_a_poll_of_ours_changes_nothing)
{
	uint64_t t = up(fast(), 50 * MS, 50 * MS);
	struct bfd_fsm before = s;

	ev_recv(t + 1, with_final(peer(UP, 50 * MS, 50 * MS)));
	assert_quiet();
	assert_stayed(UP);
	ck_assert(!s.polling);
	ck_assert_uint_eq(s.tx_used_us, before.tx_used_us);
	ck_assert_uint_eq(s.rx_used_us, before.rx_used_us);
	ck_assert_uint_eq(s.tx_at, before.tx_at);
}
END_TEST

/* A lower Desired Min TX while Up: a Poll Sequence, carried by the
 * periodic packets (no extra one), and the faster rate at once. */
START_TEST(lowering_our_tx_interval_while_up_polls_and_applies_at_once)
{
	uint64_t t1, t2;

	up(cfg_of(100 * MS, 100 * MS, 3), SEC, 10 * MS);
	t1 = next_send();
	assert_sent(UP, SEND);

	ev_cfg(t1 + 1 * MS, cfg_of(20 * MS, 100 * MS, 3));
	assert_quiet();
	assert_stayed(UP);
	ck_assert(s.polling);
	ck_assert_uint_eq(s.desired_min_tx_us, 20 * MS);
	ck_assert_uint_eq(bfd_fsm_tx_interval_us(&s), 20 * MS);
	ck_assert_uint_eq(out.next_us, t1 + 20 * MS);

	t2 = next_send();
	ck_assert_uint_eq(t2, t1 + 20 * MS);
	assert_sent(UP, SEND | POLL);
	ck_assert_uint_eq(out.pkt.desired_min_tx_us, 20 * MS);
	/* P on every packet until the Final */
	ck_assert_uint_eq(next_send(), t2 + 20 * MS);
	assert_sent(UP, SEND | POLL);

	ev_recv(t2 + 25 * MS, with_final(peer(UP, SEC, 10 * MS)));
	assert_quiet();
	ck_assert(!s.polling);
	ck_assert_uint_eq(next_send(), t2 + 40 * MS);
	assert_sent(UP, SEND);
}
END_TEST

/* A higher Desired Min TX while Up: sent at once, used only once the peer
 * has confirmed it (its Detection Time for us must grow first). */
START_TEST(raising_our_tx_interval_while_up_waits_for_the_final)
{
	uint64_t t1, t2, t3;

	up(cfg_of(50 * MS, 100 * MS, 3), SEC, 10 * MS);
	t1 = next_send();

	ev_cfg(t1 + 1, cfg_of(500 * MS, 100 * MS, 3));
	assert_quiet();
	ck_assert(s.polling);
	ck_assert_uint_eq(s.desired_min_tx_us, 500 * MS);
	ck_assert_uint_eq(bfd_fsm_tx_interval_us(&s), 50 * MS);

	t2 = next_send();
	ck_assert_uint_eq(t2, t1 + 50 * MS);
	assert_sent(UP, SEND | POLL);
	ck_assert_uint_eq(out.pkt.desired_min_tx_us, 500 * MS);
	t3 = next_send();
	ck_assert_uint_eq(t3, t2 + 50 * MS);
	assert_sent(UP, SEND | POLL);

	ev_recv(t3 + 1, with_final(peer(UP, SEC, 10 * MS)));
	ck_assert(!s.polling);
	ck_assert_uint_eq(bfd_fsm_tx_interval_us(&s), 500 * MS);
	ck_assert_uint_eq(out.next_us, t3 + 500 * MS);
}
END_TEST

/* A lower Required Min RX while Up: sent at once, but the Detection Time
 * shrinks only once the peer has confirmed it sends faster; a higher one
 * lengthens the Detection Time at once. */
START_TEST(lowering_our_rx_interval_keeps_the_old_detection_time_until_the_final)
{
	uint64_t t = up(cfg_of(50 * MS, 300 * MS, 3), 10 * MS, 50 * MS), t2;

	ck_assert_uint_eq(bfd_fsm_detect_time_us(&s), 900 * MS);
	ev_cfg(t + 1, cfg_of(50 * MS, 50 * MS, 3));
	ck_assert(s.polling);
	ck_assert_uint_eq(s.required_min_rx_us, 50 * MS);
	ck_assert_uint_eq(bfd_fsm_detect_time_us(&s), 900 * MS);
	ck_assert_uint_eq(s.detect_at, t + 900 * MS);

	t2 = next_send();
	assert_sent(UP, SEND | POLL);
	ck_assert_uint_eq(out.pkt.required_min_rx_us, 50 * MS);
	ev_recv(t2, with_final(peer(UP, 10 * MS, 50 * MS)));
	ck_assert(!s.polling);
	ck_assert_uint_eq(bfd_fsm_detect_time_us(&s), 150 * MS);
	ck_assert_uint_eq(s.detect_at, t2 + 150 * MS);

	ev_cfg(t2 + 1, cfg_of(50 * MS, 500 * MS, 3));
	ck_assert(s.polling);
	ck_assert_uint_eq(bfd_fsm_detect_time_us(&s), 1500 * MS);
	ck_assert_uint_eq(s.detect_at, t2 + 1500 * MS);
}
END_TEST

/* A change while a Poll Sequence runs is not sent until it ends, so that
 * the Final answers exactly what the Polls carried; then a new one
 * carries it. */
START_TEST(a_change_during_a_poll_waits_for_the_next_poll)
{
	uint64_t t = up(cfg_of(100 * MS, 100 * MS, 3), SEC, 10 * MS), t2;

	ev_cfg(t + 1, cfg_of(20 * MS, 100 * MS, 3));
	ev_cfg(t + 2, cfg_of(30 * MS, 100 * MS, 3));
	ck_assert_uint_eq(s.desired_min_tx_us, 20 * MS);
	t2 = next_send();
	assert_sent(UP, SEND | POLL);
	ck_assert_uint_eq(out.pkt.desired_min_tx_us, 20 * MS);

	ev_recv(t2 + 1, with_final(peer(UP, SEC, 10 * MS)));
	ck_assert(s.polling);
	ck_assert_uint_eq(s.desired_min_tx_us, 30 * MS);
	/* 20 -> 30 ms is slower: still 20 ms until this one's Final */
	ck_assert_uint_eq(bfd_fsm_tx_interval_us(&s), 20 * MS);
	next_send();
	assert_sent(UP, SEND | POLL);
	ck_assert_uint_eq(out.pkt.desired_min_tx_us, 30 * MS);

	ev_recv(t2 + 30 * MS, with_final(peer(UP, SEC, 10 * MS)));
	ck_assert(!s.polling);
	ck_assert_uint_eq(bfd_fsm_tx_interval_us(&s), 30 * MS);
}
END_TEST

/* Two sessions: a goes to 20 ms, polls b on its next periodic packet, b
 * answers at once, and from then on b expects a every 20 ms. */
START_TEST(an_interval_change_between_two_sessions_polls_and_is_answered_with_final)
{
	struct bfd_fsm_cfg c = cfg_of(50 * MS, 10 * MS, 3), c2 = cfg_of(20 * MS, 10 * MS, 3);
	struct bfd_fsm_out o;
	uint64_t t = T0 + SEC, last_a = 0;
	int i, first, polls = 0;

	pair_start(c, c);
	run_pair(t);
	nmoved = 0;
	ck_assert(!a.polling && !b.polling);
	ck_assert_uint_eq(bfd_fsm_detect_time_us(&b), 150 * MS);

	ck_assert_int_eq(bfd_fsm_set_cfg(&a, t, &c2, rnd, &o), 0);
	carry('a', t, o);
	ck_assert_uint_eq(o.actions, 0);
	first = nsent;
	run_pair(t + SEC);
	for (i = first; i < nsent; i++) {
		if (sent[i].who != 'a')
			continue;
		if (sent[i].pkt.poll) {
			polls++;
			assert_rec_sent(i + 1, 'b', UP, false, true, 0xaaaa);
		} else if (last_a) {
			ck_assert_uint_eq(sent[i].t - last_a, 20 * MS);
		}
		last_a = sent[i].t;
	}
	ck_assert_int_eq(polls, 1);
	ck_assert(!a.polling);
	ck_assert_uint_eq(bfd_fsm_tx_interval_us(&a), 20 * MS);
	ck_assert_uint_eq(bfd_fsm_detect_time_us(&b), 60 * MS);
	ck_assert_int_eq(nmoved, 0);
}
END_TEST

/* Slowing a down to 500 ms (b expected a packet every 50 ms) must not cost
 * the session: b learns the new rate before a uses it. */
START_TEST(slowing_down_between_two_sessions_never_drops_the_session)
{
	struct bfd_fsm_cfg c = fast(), slow = cfg_of(500 * MS, 50 * MS, 3);
	struct bfd_fsm_out o;
	uint64_t t = T0 + SEC;

	pair_start(c, c);
	run_pair(t);
	nmoved = 0;
	ck_assert_int_eq(bfd_fsm_set_cfg(&a, t, &slow, rnd, &o), 0);
	carry('a', t, o);
	run_pair(t + 10 * SEC);
	ck_assert_int_eq(nmoved, 0);
	ck_assert_int_eq(a.state, UP);
	ck_assert_int_eq(b.state, UP);
	ck_assert_uint_eq(bfd_fsm_tx_interval_us(&a), 500 * MS);
	ck_assert_uint_eq(bfd_fsm_detect_time_us(&b), 1500 * MS);
}
END_TEST

START_TEST(two_sessions_stay_up_and_each_detects_a_cut_link_after_its_detection_time)
{
	struct bfd_fsm_cfg ca = fast(), cb = cfg_of(50 * MS, 100 * MS, 5);
	uint64_t a_rx, b_rx;
	int i;

	pair_start(ca, cb);
	run_pair(T0 + 10 * SEC);
	ck_assert_int_eq(nmoved, 3); /* the handshake, nothing after */
	ck_assert_int_eq(a.state, UP);
	ck_assert_int_eq(b.state, UP);
	/* a hears b every 100 ms at most: 5 x max(50, 50); b: 3 x max(100, 50) */
	ck_assert_uint_eq(bfd_fsm_detect_time_us(&a), 250 * MS);
	ck_assert_uint_eq(bfd_fsm_detect_time_us(&b), 300 * MS);

	link_up = false;
	a_rx = a.last_rx_us;
	b_rx = b.last_rx_us;
	nmoved = 0;
	run_pair(T0 + 20 * SEC);
	ck_assert_int_eq(nmoved, 2);
	i = moved[0].who == 'a' ? 0 : 1;
	assert_rec_moved(i, 'a', UP, DOWN, BFD_DIAG_DETECT_EXPIRED, a_rx + 250 * MS);
	assert_rec_moved(1 - i, 'b', UP, DOWN, BFD_DIAG_DETECT_EXPIRED, b_rx + 300 * MS);

	/* and they come back when the link does */
	link_up = true;
	nmoved = 0;
	run_pair(T0 + 25 * SEC);
	ck_assert_int_eq(a.state, UP);
	ck_assert_int_eq(b.state, UP);
	ck_assert_uint_eq(a.ups, 2);
	ck_assert_uint_eq(a.downs, 1);
}
END_TEST

/* --- AdminDown, RFC 5880 6.8.16 ----------------------------------------- */

START_TEST(local_admin_down_says_so_with_diag_7_and_stops_detection)
{
	uint64_t t = up(fast(), 50 * MS, 50 * MS);

	ev_admin(t + 1, true);
	assert_moved(UP, ADMIN_DOWN, BFD_DIAG_ADMIN_DOWN);
	assert_sent(ADMIN_DOWN, SEND);
	ck_assert_uint_eq(out.pkt.diag, BFD_DIAG_ADMIN_DOWN);
	ck_assert_uint_eq(out.pkt.desired_min_tx_us, SEC);
	ck_assert_uint_eq(s.detect_at, 0);
	ck_assert_uint_eq(out.next_us, t + 1 + SEC);
	ck_assert_uint_eq(s.downs, 1);
	ck_assert_uint_eq(s.last_change_us, t + 1);

	/* long silence: no detection, AdminDown packets every second */
	ev_timer(t + 1 + SEC);
	assert_stayed(ADMIN_DOWN);
	assert_sent(ADMIN_DOWN, SEND);
	ev_timer(t + 60 * SEC);
	assert_stayed(ADMIN_DOWN);

	/* the peer cannot move it, nor get a Final */
	ev_recv(t + 61 * SEC, with_poll(peer(UP, 50 * MS, 50 * MS)));
	assert_stayed(ADMIN_DOWN);
	assert_quiet();
	ev_recv(t + 62 * SEC, peer(DOWN, SEC, 50 * MS));
	assert_stayed(ADMIN_DOWN);

	ev_admin(t + 63 * SEC, true);
	assert_stayed(ADMIN_DOWN);
	assert_quiet();
}
END_TEST

START_TEST(leaving_admin_down_goes_down_and_comes_back_up)
{
	uint64_t t = up(fast(), 50 * MS, 50 * MS);

	ev_admin(t + 1, false); /* not AdminDown: no event */
	assert_stayed(UP);
	assert_quiet();
	ev_admin(t + 2, true);
	ev_admin(t + 3, false);
	assert_moved(ADMIN_DOWN, DOWN, BFD_DIAG_NONE);
	assert_sent(DOWN, SEND);
	ev_recv(t + 4, peer(DOWN, SEC, 50 * MS));
	assert_moved(DOWN, INIT, BFD_DIAG_NONE);
	ev_recv(t + 5, peer(UP, SEC, 50 * MS));
	assert_moved(INIT, UP, BFD_DIAG_NONE);
	ck_assert_uint_eq(s.ups, 2);
	ck_assert_uint_eq(s.downs, 1);
	ck_assert_uint_eq(s.last_change_us, t + 5);
}
END_TEST

START_TEST(the_peer_signalling_admin_down_takes_the_session_down_with_diag_3)
{
	uint64_t t = up(fast(), 50 * MS, 50 * MS);

	ev_recv(t + 1, peer(ADMIN_DOWN, SEC, 50 * MS));
	assert_moved(UP, DOWN, BFD_DIAG_NEIGHBOR_DOWN);
	assert_sent(DOWN, SEND);
	ck_assert_uint_eq(out.pkt.diag, BFD_DIAG_NEIGHBOR_DOWN);
	ck_assert_uint_eq(s.downs, 1);

	/* and keeps it Down, not Init, while the peer stays AdminDown */
	ev_recv(t + SEC, peer(ADMIN_DOWN, SEC, 50 * MS));
	assert_stayed(DOWN);
	assert_quiet();
	ck_assert_int_eq(s.diag, BFD_DIAG_NEIGHBOR_DOWN);
}
END_TEST

/* The diagnostic says why the session last went down, until it is Up. */
START_TEST(the_diagnostic_is_kept_until_the_session_is_up_again)
{
	uint64_t t = up(fast(), 50 * MS, 50 * MS);

	ev_timer(s.detect_at);
	assert_moved(UP, DOWN, BFD_DIAG_DETECT_EXPIRED);
	t = s.last_change_us;
	ev_recv(t + SEC, peer(DOWN, SEC, 50 * MS));
	assert_moved(DOWN, INIT, BFD_DIAG_DETECT_EXPIRED);
	assert_sent(INIT, SEND);
	ck_assert_uint_eq(out.pkt.diag, BFD_DIAG_DETECT_EXPIRED);
	ev_recv(t + SEC + 1, peer(UP, SEC, 50 * MS));
	assert_moved(INIT, UP, BFD_DIAG_NONE);
	ck_assert_uint_eq(out.pkt.diag, BFD_DIAG_NONE);
}
END_TEST

START_TEST(admin_down_on_one_side_brings_both_down_and_admin_up_brings_both_back)
{
	struct bfd_fsm_out o;
	uint64_t t = T0 + SEC;

	pair_start(fast(), fast());
	run_pair(t);
	nmoved = 0;
	bfd_fsm_set_admin_down(&a, t, true, rnd, &o);
	carry('a', t, o);
	assert_rec_moved(0, 'a', UP, ADMIN_DOWN, BFD_DIAG_ADMIN_DOWN, t);
	assert_rec_moved(1, 'b', UP, DOWN, BFD_DIAG_NEIGHBOR_DOWN, t);
	run_pair(t + 10 * SEC);
	ck_assert_int_eq(nmoved, 2); /* b stays Down: no detection, no Init */
	ck_assert_int_eq(a.state, ADMIN_DOWN);
	ck_assert_int_eq(b.state, DOWN);

	bfd_fsm_set_admin_down(&a, t + 10 * SEC, false, rnd, &o);
	carry('a', t + 10 * SEC, o);
	run_pair(t + 12 * SEC);
	ck_assert_int_eq(a.state, UP);
	ck_assert_int_eq(b.state, UP);
	ck_assert_int_eq(a.diag, BFD_DIAG_NONE);
	ck_assert_int_eq(b.diag, BFD_DIAG_NONE);
}
END_TEST

/* --- what stops our periodic packets, RFC 5880 6.8.7 --------------------- */

START_TEST(a_peer_required_min_rx_of_0_stops_our_periodic_packets)
{
	uint64_t t = up(fast(), SEC, 50 * MS);

	ev_recv(t + 1, peer(UP, SEC, 0));
	ck_assert_uint_eq(s.tx_at, 0);
	ck_assert_uint_eq(out.next_us, s.detect_at);
	ev_timer(t + 2 * SEC);
	assert_quiet();
	assert_stayed(UP);

	/* a Poll is still answered */
	ev_recv(t + 2 * SEC, with_poll(peer(UP, SEC, 0)));
	assert_sent(UP, SEND | FINAL);
	ck_assert_uint_eq(s.tx_at, 0);

	/* and periodic packets resume at once when it asks again */
	ev_recv(t + 2500 * MS, peer(UP, SEC, 50 * MS));
	ck_assert_uint_eq(out.next_us, t + 2500 * MS);
	ck_assert_uint_eq(next_send(), t + 2500 * MS);
	assert_sent(UP, SEND);
}
END_TEST

START_TEST(a_peer_in_demand_mode_stops_our_periodic_packets_once_both_are_up)
{
	uint64_t t = up(fast(), SEC, 50 * MS), t2;
	struct bfd_pkt p = peer(UP, SEC, 50 * MS);
	struct bfd_fsm_cfg c = fast();

	p.demand = true;
	ev_recv(t + 1, p);
	ck_assert_uint_eq(s.tx_at, 0);

	/* except while a Poll Sequence of ours needs them */
	ev_cfg(t + 2, cfg_of(20 * MS, 50 * MS, 3));
	ck_assert_uint_ne(s.tx_at, 0);
	t2 = next_send();
	assert_sent(UP, SEND | POLL);
	ev_recv(t2 + 1, with_final(p));
	ck_assert(!s.polling);
	ck_assert_uint_eq(s.tx_at, 0);

	/* not both Up: Demand mode is not active */
	ck_assert_int_eq(bfd_fsm_init(&s, OUR_DISC, &c, T0), 0);
	ev_timer(T0);
	p = peer(DOWN, SEC, 50 * MS);
	p.demand = true;
	ev_recv(T0 + 1, p);
	assert_moved(DOWN, INIT, BFD_DIAG_NONE);
	ck_assert_uint_eq(s.tx_at, T0 + 1 + SEC);
}
END_TEST

/* --- the rest ----------------------------------------------------------- */

START_TEST(a_packet_for_another_discriminator_is_not_for_this_session)
{
	uint64_t t = up(fast(), 50 * MS, 50 * MS);
	struct bfd_fsm before;
	struct bfd_pkt p = peer(ADMIN_DOWN, SEC, 50 * MS);
	enum bfd_drop why = BFD_DROP__MAX;

	memcpy(&before, &s, sizeof(s));

	p.your_disc = OUR_DISC + 1;
	poison();
	ck_assert_int_eq(bfd_fsm_recv(&s, t + 1, &p, rnd, &out, &why), -EINVAL);
	ck_assert_int_eq(why, BFD_DROP_NO_SESSION);
	ck_assert_mem_eq(&s, &before, sizeof(s));
	assert_quiet();
	assert_stayed(UP);
	/* why may be NULL */
	ck_assert_int_eq(bfd_fsm_recv(&s, t + 1, &p, rnd, &out, NULL), -EINVAL);
}
END_TEST

START_TEST(next_is_the_earliest_running_timer)
{
	uint64_t t = up(fast(), 200 * MS, 50 * MS);

	ck_assert_uint_eq(s.tx_at, t + 50 * MS);
	ck_assert_uint_eq(s.detect_at, t + 600 * MS);
	ck_assert_uint_eq(bfd_fsm_next(&s), t + 50 * MS);
	ev_recv(t + 1, peer(UP, 200 * MS, 0)); /* no more periodic packets */
	ck_assert_uint_eq(bfd_fsm_next(&s), t + 1 + 600 * MS);
	ev_admin(t + 2, true); /* and AdminDown runs no Detection Time */
	ck_assert_uint_eq(s.detect_at, 0);
	ck_assert_uint_eq(bfd_fsm_next(&s), 0);
	ck_assert_uint_eq(out.next_us, 0);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    a_new_session_is_down_and_sends_its_first_packet_at_once,
	    a_zero_discriminator_or_a_zero_setting_is_refused,
	    while_not_up_packets_go_out_every_second_whatever_the_configured_interval,
	    a_configured_interval_above_one_second_is_used_while_not_up,
	    coming_up_switches_to_the_configured_interval_with_a_poll,
	    going_down_falls_back_to_one_second_and_ends_a_poll,
	    two_sessions_come_up_through_down_init_up,
	    two_sessions_that_start_together_meet_in_init_and_come_up,
	    the_rfc_5880_state_table_holds_for_every_pair_of_states,
	    detection_timeout_fires_exactly_at_detect_mult_times_the_interval_not_earlier,
	    each_received_packet_restarts_the_detection_time,
	    init_times_out_to_down_like_up,
	    the_detection_time_uses_the_peers_mult_and_the_slower_of_our_rx_and_its_tx,
	    silence_in_down_forgets_the_peer_discriminator_without_a_transition,
	    the_transmit_interval_is_the_slower_of_our_tx_and_the_peers_rx,
	    a_change_of_the_peers_rx_interval_counts_from_our_last_packet,
	    jitter_keeps_the_interval_between_75_and_100_percent,
	    jitter_with_detect_mult_1_keeps_the_interval_between_75_and_90_percent,
	    periodic_packets_are_jittered_by_the_callers_random_value,
	    a_poll_is_answered_at_once_with_final,
	    a_poll_during_our_own_poll_gets_a_final_without_our_poll_bit,
	    a_final_without_a_poll_of_ours_changes_nothing,
	    lowering_our_tx_interval_while_up_polls_and_applies_at_once,
	    raising_our_tx_interval_while_up_waits_for_the_final,
	    lowering_our_rx_interval_keeps_the_old_detection_time_until_the_final,
	    a_change_during_a_poll_waits_for_the_next_poll,
	    an_interval_change_between_two_sessions_polls_and_is_answered_with_final,
	    slowing_down_between_two_sessions_never_drops_the_session,
	    two_sessions_stay_up_and_each_detects_a_cut_link_after_its_detection_time,
	    local_admin_down_says_so_with_diag_7_and_stops_detection,
	    leaving_admin_down_goes_down_and_comes_back_up,
	    the_peer_signalling_admin_down_takes_the_session_down_with_diag_3,
	    the_diagnostic_is_kept_until_the_session_is_up_again,
	    admin_down_on_one_side_brings_both_down_and_admin_up_brings_both_back,
	    a_peer_required_min_rx_of_0_stops_our_periodic_packets,
	    a_peer_in_demand_mode_stops_our_periodic_packets_once_both_are_up,
	    a_packet_for_another_discriminator_is_not_for_this_session,
	    next_is_the_earliest_running_timer,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests, .setup = setup};

	return checkrun("bfd_fsm", &core, 1);
}
