/* RBS session decisions: both devices keep the same one of two crossing
 * connections, for IPv4 and IPv6; both compute the same resume / resync
 * plan from the two HELLOs in every case; and, driven through broken
 * handshakes, lost frames and restarts, the plan never skips an entry. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "rbsd/rbs_frame.h"
#include "rbsd/rbs_sess.h"
#include "rbsd/rbs_win.h"
#include "tests/lib/checkrun.h"

static struct sockaddr_storage addr(const char *text, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
	}
	return ss;
}

/* Which device dialed the connection that side keeps: 'A' or 'B'. */
static char dialer_kept(int keep, char self, char peer)
{
	ck_assert_msg(keep == RBS_SESS_KEEP_OUTBOUND || keep == RBS_SESS_KEEP_INBOUND, "keep %d",
		      keep);
	return keep == RBS_SESS_KEEP_OUTBOUND ? self : peer;
}

/* Devices A and B at addresses a and b: both keep the connection dialed
 * by the greater address, which is the one named by greater. */
static void assert_same_survivor(const char *a, const char *b, char greater)
{
	struct sockaddr_storage sa = addr(a, 3000), sb = addr(b, 3000);
	/* each side's own view: its address, then the peer's */
	char at_a = dialer_kept(rbs_sess_tiebreak(&sa, &sb), 'A', 'B');
	char at_b = dialer_kept(rbs_sess_tiebreak(&sb, &sa), 'B', 'A');

	ck_assert_msg(at_a == at_b, "%s / %s: A keeps %c's, B keeps %c's", a, b, at_a, at_b);
	ck_assert_msg(at_a == greater, "%s / %s: %c's survives, want %c's", a, b, at_a, greater);
}

START_TEST(both_ipv4_devices_keep_the_connection_dialed_by_the_greater_address)
{
	assert_same_survivor("192.0.2.1", "192.0.2.2", 'B');
	assert_same_survivor("192.0.2.2", "192.0.2.1", 'A');
	/* numerically, not as text: .10 > .9, 198.51.100.1 > 192.0.2.200 */
	assert_same_survivor("192.0.2.9", "192.0.2.10", 'B');
	assert_same_survivor("198.51.100.1", "192.0.2.200", 'A');
	assert_same_survivor("0.0.0.1", "255.255.255.255", 'B');
	assert_same_survivor("128.0.0.0", "127.255.255.255", 'A');
}
END_TEST

START_TEST(both_ipv6_devices_keep_the_connection_dialed_by_the_greater_address)
{
	assert_same_survivor("2001:db8::1", "2001:db8::2", 'B');
	assert_same_survivor("2001:db8::10", "2001:db8::9", 'A');
	assert_same_survivor("2001:db8:1::", "2001:db8::ffff", 'A');
	assert_same_survivor("fe80::1", "2001:db8::1", 'A');
	assert_same_survivor("2001:db8::8000:0", "2001:db8::7fff:ffff", 'A');
}
END_TEST

START_TEST(every_pair_of_a_list_agrees_and_exactly_one_side_dials_the_survivor)
{
	static const char *list[] = {"192.0.2.1",     "192.0.2.2",	 "192.0.2.254",
				     "198.51.100.7",  "203.0.113.9",	 "2001:db8::1",
				     "2001:db8::1:0", "2001:db8:ffff::", "fe80::2"};
	size_t n = sizeof(list) / sizeof(list[0]), i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			struct sockaddr_storage a = addr(list[i], 1), b = addr(list[j], 2);
			int ab = rbs_sess_tiebreak(&a, &b), ba = rbs_sess_tiebreak(&b, &a);

			if (i == j || a.ss_family != b.ss_family) {
				ck_assert_int_eq(ab, -EINVAL);
				ck_assert_int_eq(ba, -EINVAL);
				continue;
			}
			/* one keeps what it dialed, the other what it accepted */
			ck_assert_int_gt(ab, 0);
			ck_assert_int_gt(ba, 0);
			ck_assert_int_ne(ab, ba);
		}
	}
}
END_TEST

START_TEST(ports_do_not_matter)
{
	struct sockaddr_storage a = addr("192.0.2.1", 3000), b = addr("192.0.2.2", 3000);
	struct sockaddr_storage a2 = addr("192.0.2.1", 65535), b2 = addr("192.0.2.2", 1);

	/* the dialed connection has an ephemeral local port, the accepted
	 * one the configured port: the same answer on both */
	ck_assert_int_eq(rbs_sess_tiebreak(&a, &b), RBS_SESS_KEEP_INBOUND);
	ck_assert_int_eq(rbs_sess_tiebreak(&a2, &b), RBS_SESS_KEEP_INBOUND);
	ck_assert_int_eq(rbs_sess_tiebreak(&a, &b2), RBS_SESS_KEEP_INBOUND);
	ck_assert_int_eq(rbs_sess_tiebreak(&b2, &a2), RBS_SESS_KEEP_OUTBOUND);
}
END_TEST

START_TEST(a_dual_stack_socket_sees_ipv4_mapped_addresses_and_agrees)
{
	struct sockaddr_storage a4 = addr("192.0.2.1", 3000), b4 = addr("192.0.2.2", 3000);
	struct sockaddr_storage a6 = addr("::ffff:192.0.2.1", 3000);
	struct sockaddr_storage b6 = addr("::ffff:192.0.2.2", 3000);

	/* A listens on a dual-stack socket, B does not */
	ck_assert_int_eq(rbs_sess_tiebreak(&a6, &b6), RBS_SESS_KEEP_INBOUND);
	ck_assert_int_eq(rbs_sess_tiebreak(&a6, &b4), RBS_SESS_KEEP_INBOUND);
	ck_assert_int_eq(rbs_sess_tiebreak(&b4, &a4), RBS_SESS_KEEP_OUTBOUND);
	ck_assert_int_eq(rbs_sess_tiebreak(&b6, &a4), RBS_SESS_KEEP_OUTBOUND);
	/* the same address, written both ways */
	ck_assert_int_eq(rbs_sess_tiebreak(&a6, &a4), -EINVAL);
}
END_TEST

START_TEST(the_ipv6_scope_does_not_matter)
{
	struct sockaddr_storage a = addr("fe80::1", 3000), b = addr("fe80::2", 3000);

	((struct sockaddr_in6 *)&a)->sin6_scope_id = 7;
	((struct sockaddr_in6 *)&b)->sin6_scope_id = 3;
	ck_assert_int_eq(rbs_sess_tiebreak(&a, &b), RBS_SESS_KEEP_INBOUND);
	ck_assert_int_eq(rbs_sess_tiebreak(&b, &a), RBS_SESS_KEEP_OUTBOUND);
}
END_TEST

START_TEST(no_rule_for_equal_addresses_mixed_or_other_families)
{
	struct sockaddr_storage a = addr("192.0.2.1", 1), b = addr("192.0.2.1", 2);
	struct sockaddr_storage c = addr("2001:db8::1", 1), u;

	ck_assert_int_eq(rbs_sess_tiebreak(&a, &b), -EINVAL);
	ck_assert_int_eq(rbs_sess_tiebreak(&a, &c), -EINVAL);
	ck_assert_int_eq(rbs_sess_tiebreak(&c, &a), -EINVAL);
	memset(&u, 0, sizeof(u));
	u.ss_family = AF_UNIX;
	ck_assert_int_eq(rbs_sess_tiebreak(&u, &a), -EAFNOSUPPORT);
	ck_assert_int_eq(rbs_sess_tiebreak(&a, &u), -EAFNOSUPPORT);
}
END_TEST

#define SA 0xa1a1a1a1a1a1a1a1ull
#define SB 0xb2b2b2b2b2b2b2b2ull

static void assert_dir_eq(const struct rbs_sess_dir *x, const struct rbs_sess_dir *y)
{
	ck_assert_int_eq(x->resume, y->resume);
	ck_assert_uint_eq(x->seq, y->seq);
	ck_assert_int_eq(x->why, y->why);
}

/* The plan at A, after checking that B's is the same seen from B. */
static struct rbs_sess_plan both(const struct rbs_sess_state *a, const struct rbs_sess_state *b)
{
	struct rbs_sess_plan pa, pb;

	ck_assert_int_eq(rbs_sess_decide(a, b, &pa), 0);
	ck_assert_int_eq(rbs_sess_decide(b, a, &pb), 0);
	assert_dir_eq(&pa.tx, &pb.rx);
	assert_dir_eq(&pa.rx, &pb.tx);
	return pa;
}

static void assert_resume(const struct rbs_sess_dir *d, uint64_t from)
{
	ck_assert_msg(d->resume, "resync (%s), want resume from %llu", rbs_sess_why_str(d->why),
		      (unsigned long long)from);
	ck_assert_uint_eq(d->seq, from);
	ck_assert_int_eq(d->why, RBS_SESS_WHY_RESUME);
}

static void assert_resync(const struct rbs_sess_dir *d, enum rbs_sess_why why, uint64_t next)
{
	ck_assert_msg(!d->resume, "resume, want resync (%s)", rbs_sess_why_str(why));
	ck_assert_msg(d->why == why, "resync because %s, want %s", rbs_sess_why_str(d->why),
		      rbs_sess_why_str(why));
	ck_assert_uint_eq(d->seq, next);
}

START_TEST(the_same_pair_resumes_both_ways_from_what_each_received)
{
	struct rbs_sess_state a = {SA, SB, 50, 90, 100}, b = {SB, SA, 95, 40, 50};
	struct rbs_sess_plan p = both(&a, &b);

	assert_resume(&p.tx, 96); /* B has 1..95 of A's */
	assert_resume(&p.rx, 51); /* A has 1..50 of B's */
}
END_TEST

START_TEST(resume_works_at_both_ends_of_acked_to_sent)
{
	struct rbs_sess_state a = {SA, SB, 0, 90, 100}, b = {SB, SA, 90, 0, 0};
	struct rbs_sess_plan p = both(&a, &b);

	assert_resume(&p.tx, 91); /* nothing lost but what was unacked */
	b.rx_seq = 100;
	p = both(&a, &b);
	assert_resume(&p.tx, 101); /* nothing to resend */
	/* a pair that never sent anything resumes from 1 */
	a.tx_acked = a.tx_sent = b.rx_seq = 0;
	p = both(&a, &b);
	assert_resume(&p.tx, 1);
	assert_resume(&p.rx, 1);
}
END_TEST

START_TEST(first_contact_resyncs_both_ways)
{
	struct rbs_sess_state a = {SA, 0, 0, 0, 0}, b = {SB, 0, 0, 0, 0};
	struct rbs_sess_plan p = both(&a, &b);

	assert_resync(&p.tx, RBS_SESS_WHY_FIRST, 1);
	assert_resync(&p.rx, RBS_SESS_WHY_FIRST, 1);
}
END_TEST

START_TEST(a_restarted_peer_gets_a_resync_and_is_resynced_from_1)
{
	/* B restarted as SB2: it knows nobody; A still remembers SB */
	struct rbs_sess_state a = {SA, SB, 50, 90, 100}, b = {SB + 1, 0, 0, 0, 0};
	struct rbs_sess_plan p = both(&a, &b);

	assert_resync(&p.tx, RBS_SESS_WHY_PEER_NEW, 101); /* A numbers on */
	assert_resync(&p.rx, RBS_SESS_WHY_FIRST, 1);	  /* B starts at 1 */
}
END_TEST

START_TEST(after_our_restart_both_directions_resync)
{
	/* A restarted as SA2; B remembers SA */
	struct rbs_sess_state a = {SA + 1, 0, 0, 0, 0}, b = {SB, SA, 95, 40, 50};
	struct rbs_sess_plan p = both(&a, &b);

	assert_resync(&p.tx, RBS_SESS_WHY_FIRST, 1);
	assert_resync(&p.rx, RBS_SESS_WHY_PEER_NEW, 51);
}
END_TEST

START_TEST(a_receiver_that_knows_another_sender_run_gets_a_resync)
{
	/* A paired with SB, but B's numbers belong to some other run */
	struct rbs_sess_state a = {SA, SB, 50, 90, 100}, b = {SB, SA + 7, 95, 40, 50};
	struct rbs_sess_plan p = both(&a, &b);

	assert_resync(&p.tx, RBS_SESS_WHY_SENDER_NEW, 101);
	assert_resync(&p.rx, RBS_SESS_WHY_PEER_NEW, 51);
}
END_TEST

START_TEST(impossible_numbers_resync)
{
	struct rbs_sess_state a = {SA, SB, 50, 90, 100}, b = {SB, SA, 101, 40, 50};
	struct rbs_sess_plan p = both(&a, &b);

	/* B claims an entry A never sent */
	assert_resync(&p.tx, RBS_SESS_WHY_SEQ_AHEAD, 101);
	assert_resume(&p.rx, 51);
	/* B claims less than it acked */
	b.rx_seq = 89;
	p = both(&a, &b);
	assert_resync(&p.tx, RBS_SESS_WHY_SEQ_BEHIND, 101);
	/* the other direction, independently */
	a.rx_seq = 51;
	b.rx_seq = 95;
	p = both(&a, &b);
	assert_resume(&p.tx, 96);
	assert_resync(&p.rx, RBS_SESS_WHY_SEQ_AHEAD, 51);
	a.rx_seq = 39;
	p = both(&a, &b);
	assert_resync(&p.rx, RBS_SESS_WHY_SEQ_BEHIND, 51);
}
END_TEST

START_TEST(a_resync_the_sender_never_heard_of_is_not_taken_for_a_resume_later)
{
	/* S has sent 1..100, R received 1..95 and acked 1..90. Then R
	 * paired with another device C and received 7 of its entries. */
	const uint64_t sc = 0xc3c3c3c3c3c3c3c3ull;
	struct rbs_sess_state s = {SA, SB, 0, 90, 100}, r = {SB, sc, 7, 0, 0}, hs = s;
	struct rbs_sess_plan p;
	struct rbs_rx rx;

	rbs_rx_init(&rx, 8, 10);
	ck_assert_int_eq(rbs_rx_accept(&rx, 1, 7, 0), 0);
	/* S reconnects; R gets S's HELLO, S never gets R's */
	ck_assert_int_eq(rbs_sess_decide(&r, &hs, &p), 0);
	assert_resync(&p.rx, RBS_SESS_WHY_SENDER_NEW, 101);
	r.peer_session = hs.session;
	rbs_rx_resync(&rx, p.rx.seq);
	r.rx_seq = rbs_rx_last(&rx);
	ck_assert_uint_eq(r.rx_seq, 0);
	/* the next connection still resyncs: S never started the batch */
	p = both(&s, &r);
	assert_resync(&p.tx, RBS_SESS_WHY_SEQ_BEHIND, 101);
	/* had R taken 101 as expected at once, the numbers would say
	 * resume, and 96..100, which R never got, would be skipped */
	r.rx_seq = 100;
	p = both(&s, &r);
	assert_resume(&p.tx, 101);
}
END_TEST

START_TEST(sessions_that_cannot_pair_are_refused)
{
	struct rbs_sess_state a = {SA, SB, 0, 0, 0}, b = {SB, SA, 0, 0, 0};
	struct rbs_sess_plan p, untouched;

	memset(&p, 0x5a, sizeof(p));
	untouched = p;
	a.session = 0;
	ck_assert_int_eq(rbs_sess_decide(&a, &b, &p), -EINVAL);
	ck_assert_int_eq(rbs_sess_decide(&b, &a, &p), -EINVAL);
	a.session = SB; /* talking to itself */
	ck_assert_int_eq(rbs_sess_decide(&a, &b, &p), -EINVAL);
	ck_assert_mem_eq(&p, &untouched, sizeof(p));
}
END_TEST

START_TEST(both_sides_agree_on_every_small_state)
{
	static const uint64_t sess[] = {0, SA, SB, 3};
	static const uint64_t nums[] = {0, 1, 2, 5};
	struct rbs_sess_state a = {SA, 0, 0, 0, 0}, b = {SB, 0, 0, 0, 0};
	unsigned i, n = 0;

	/* every combination of remembered sessions and of numbers 0..5 */
	for (i = 0; i < 4 * 4 * 4 * 4 * 4 * 4 * 4 * 4; i++) {
		unsigned k = i;
		struct rbs_sess_plan p;

		a.peer_session = sess[k % 4];
		k /= 4;
		b.peer_session = sess[k % 4];
		k /= 4;
		a.rx_seq = nums[k % 4];
		k /= 4;
		b.rx_seq = nums[k % 4];
		k /= 4;
		a.tx_acked = nums[k % 4];
		k /= 4;
		a.tx_sent = nums[k % 4];
		k /= 4;
		b.tx_acked = nums[k % 4];
		k /= 4;
		b.tx_sent = nums[k % 4];
		if (a.tx_acked > a.tx_sent || b.tx_acked > b.tx_sent)
			continue; /* no valid HELLO says that */
		p = both(&a, &b);
		n++;
		/* resume exactly when the rule says so, from the seq it says */
		ck_assert_int_eq(p.tx.resume, a.peer_session == SB && b.peer_session == SA &&
						  a.tx_acked <= b.rx_seq && b.rx_seq <= a.tx_sent);
		ck_assert_uint_eq(p.tx.seq, p.tx.resume ? b.rx_seq + 1 : a.tx_sent + 1);
	}
	ck_assert_uint_gt(n, 1000);
}
END_TEST

START_TEST(every_resync_reason_has_its_own_log_text)
{
	int a, b;

	for (a = 0; a < RBS_SESS_WHY__MAX; a++) {
		ck_assert_str_ne(rbs_sess_why_str((enum rbs_sess_why)a), "unknown");
		for (b = 0; b < a; b++)
			ck_assert_str_ne(rbs_sess_why_str((enum rbs_sess_why)a),
					 rbs_sess_why_str((enum rbs_sess_why)b));
	}
	ck_assert_str_eq(rbs_sess_why_str(RBS_SESS_WHY__MAX), "unknown");
}
END_TEST

/*
 * A model of two devices: S sends entries to R, and the connection
 * between them breaks at random points: HELLOs that one side or both never
 * get, frames lost in flight, restarts of either side, a third device
 * that pairs with R meanwhile. Each side follows
 * rbs_sess.h to the letter. Checked all along: both sides plan the same,
 * the receiver never sees a gap and the sender never an impossible ACK;
 * at the end, after one healthy connection, R holds every entry of S's
 * table (what S pushed in its current run).
 */
#define MAX_IDS 20000
#define QLEN 4096

struct frame {
	int begin; /* BatchBegin, otherwise Entries */
	uint64_t first, n;
	uint64_t ids[8];
};

struct side {
	uint64_t session, peer_session;
	struct rbs_tx tx;
	struct rbs_rx rx;
};

struct model {
	uint64_t rnd;
	uint64_t next_session;
	struct side s, r;
	/* S: its table, and the batch it owes */
	uint64_t table[MAX_IDS];
	size_t ntable;
	int batch_owed, batch_begun;
	uint64_t batch_last;
	/* R: what it holds */
	uint8_t got[MAX_IDS];
	/* the connection */
	int up;
	struct frame q[QLEN]; /* S -> R */
	size_t qhead, qtail;
	uint64_t acks[QLEN]; /* R -> S */
	size_t ahead, atail;
	uint64_t next_id, now;
	unsigned resumes, resyncs;
};

static uint64_t rnd(struct model *m, uint64_t n)
{
	/* xorshift64: the same run for a seed, on every machine */
	m->rnd ^= m->rnd << 13;
	m->rnd ^= m->rnd >> 7;
	m->rnd ^= m->rnd << 17;
	return m->rnd % n;
}

static void side_start(struct model *m, struct side *x)
{
	x->session = m->next_session++;
	x->peer_session = 0;
	ck_assert_int_eq(rbs_tx_init(&x->tx, 1 << 20, 256u << 20), 0);
	rbs_rx_init(&x->rx, 8, 10);
}

static void side_stop(struct side *x)
{
	rbs_tx_free(&x->tx);
}

static struct rbs_sess_state hello_of(const struct side *x)
{
	struct rbs_sess_state h = {x->session, x->peer_session, rbs_rx_last(&x->rx),
				   rbs_tx_acked(&x->tx), rbs_tx_sent(&x->tx)};
	return h;
}

/* What a side does with the peer's HELLO (rbs_sess.h). Returns the plan. */
static struct rbs_sess_plan apply(struct side *x, const struct rbs_sess_state *mine,
				  const struct rbs_sess_state *peer, int *owes_batch)
{
	struct rbs_sess_plan p;

	ck_assert_int_eq(rbs_sess_decide(mine, peer, &p), 0);
	x->peer_session = peer->session;
	if (p.tx.resume) {
		ck_assert_int_eq(rbs_tx_resume(&x->tx, p.tx.seq), 0);
	} else {
		rbs_tx_resync(&x->tx);
		ck_assert_uint_eq(rbs_tx_sent(&x->tx) + 1, p.tx.seq);
		if (owes_batch)
			*owes_batch = 1;
	}
	if (p.rx.resume)
		rbs_rx_reset(&x->rx, p.rx.seq);
	else
		rbs_rx_resync(&x->rx, p.rx.seq);
	return p;
}

static void conn_down(struct model *m)
{
	m->up = 0;
	m->qhead = m->qtail = 0;
	m->ahead = m->atail = 0;
	m->batch_begun = 0;
}

static void connect_pair(struct model *m, int lossless)
{
	struct rbs_sess_state hs = hello_of(&m->s), hr = hello_of(&m->r);
	/* which HELLOs arrive before the connection breaks */
	int s_gets = lossless || rnd(m, 4) != 0, r_gets = lossless || rnd(m, 4) != 0;
	struct rbs_sess_plan ps, pr;

	conn_down(m);
	if (s_gets)
		ps = apply(&m->s, &hs, &hr, &m->batch_owed);
	if (r_gets)
		pr = apply(&m->r, &hr, &hs, NULL);
	if (s_gets && r_gets) {
		assert_dir_eq(&ps.tx, &pr.rx);
		assert_dir_eq(&ps.rx, &pr.tx);
		if (ps.tx.resume)
			m->resumes++;
		else
			m->resyncs++;
		m->up = 1;
	}
}

static void s_produce(struct model *m)
{
	struct rbs_win_item it = {.op = DB__RBS_OP__RBS_OP_ADD, .type = 0, .klen = 8};
	uint64_t id = m->next_id;

	if (m->next_id >= MAX_IDS - 1 || m->ntable >= MAX_IDS / 2)
		return;
	it.key = &id;
	if (rbs_tx_push(&m->s.tx, &it, NULL) == 0) {
		m->table[m->ntable++] = id;
		m->next_id++;
	}
}

static void s_batch_check(struct model *m);

static void s_send(struct model *m)
{
	const struct rbs_win_entry *e;
	struct frame *f;
	uint64_t max;
	size_t i;

	if (m->batch_owed && !m->batch_begun) {
		struct rbs_win_item it = {.op = DB__RBS_OP__RBS_OP_ADD, .type = 0, .klen = 8};

		/* BatchBegin, then the whole table as entries */
		m->q[m->qtail++ % QLEN] = (struct frame){.begin = 1};
		for (i = 0; i < m->ntable; i++) {
			it.key = &m->table[i];
			ck_assert_int_eq(rbs_tx_push(&m->s.tx, &it, NULL), 0);
		}
		m->batch_last = rbs_tx_last(&m->s.tx);
		m->batch_begun = 1;
		s_batch_check(m);
	}
	if (!(e = rbs_tx_next_unsent(&m->s.tx)) || m->qtail - m->qhead >= QLEN - 1)
		return;
	max = 1 + rnd(m, 8);
	f = &m->q[m->qtail++ % QLEN];
	memset(f, 0, sizeof(*f));
	f->first = e->seq;
	for (; e && f->n < max; e = rbs_tx_next_unsent(&m->s.tx)) {
		memcpy(&f->ids[f->n++], rbs_win_key(e), 8);
		ck_assert_int_eq(rbs_tx_mark_sent(&m->s.tx, e->seq), 0);
	}
}

static void r_receive(struct model *m)
{
	struct frame *f;
	uint64_t i;

	if (m->qhead == m->qtail)
		return;
	f = &m->q[m->qhead++ % QLEN];
	if (f->begin) {
		rbs_rx_batch_begin(&m->r.rx);
		return;
	}
	ck_assert_msg(rbs_rx_accept(&m->r.rx, f->first, f->n, m->now) == 0,
		      "R expected %llu, got %llu", (unsigned long long)rbs_rx_expected(&m->r.rx),
		      (unsigned long long)f->first);
	for (i = 0; i < f->n; i++)
		m->got[f->ids[i]] = 1;
}

static void r_ack(struct model *m, int now)
{
	if (rbs_rx_ack_deadline(&m->r.rx) == UINT64_MAX)
		return;
	if (now || rbs_rx_ack_due(&m->r.rx, m->now))
		m->acks[m->atail++ % QLEN] = rbs_rx_ack_take(&m->r.rx);
}

/* The batch is done when R acked every entry sent up to its end (at once
 * for an empty batch with nothing unacked before it). */
static void s_batch_check(struct model *m)
{
	if (m->batch_begun && rbs_tx_acked(&m->s.tx) >= m->batch_last)
		m->batch_owed = 0;
}

static void s_get_ack(struct model *m)
{
	if (m->ahead == m->atail)
		return;
	ck_assert_int_eq(rbs_tx_ack(&m->s.tx, m->acks[m->ahead++ % QLEN]), 0);
	s_batch_check(m);
}

/* A third device (a misconfigured one) pairs with R for a while, and may
 * send it a batch and entries: afterwards R's numbers are about it. */
static void r_meets_intruder(struct model *m)
{
	struct side c;
	struct rbs_sess_state hc, hr = hello_of(&m->r);
	uint64_t n = rnd(m, 20);

	side_start(m, &c);
	hc = hello_of(&c);
	apply(&m->r, &hr, &hc, NULL);
	if (rnd(m, 2)) {
		rbs_rx_batch_begin(&m->r.rx);
		if (n)
			ck_assert_int_eq(rbs_rx_accept(&m->r.rx, 1, n, m->now), 0);
	}
	side_stop(&c);
}

static void run_model(struct model *m, uint64_t seed, int steps)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->rnd = seed * 0x9e3779b97f4a7c15ull | 1;
	m->next_session = 1000;
	m->next_id = 1;
	side_start(m, &m->s);
	side_start(m, &m->r);

	for (i = 0; i < steps; i++) {
		uint64_t c = rnd(m, 1000);

		m->now++;
		if (c < 300)
			s_produce(m);
		else if (!m->up && c < 400)
			connect_pair(m, 0);
		else if (!m->up && c < 410)
			r_meets_intruder(m);
		else if (!m->up)
			continue;
		else if (c < 550)
			s_send(m);
		else if (c < 750)
			r_receive(m);
		else if (c < 850)
			r_ack(m, c < 800);
		else if (c < 980)
			s_get_ack(m);
		else if (c < 994)
			conn_down(m);
		else if (c < 997) {
			/* S restarts: a new run with an empty table */
			conn_down(m);
			side_stop(&m->s);
			side_start(m, &m->s);
			m->ntable = 0;
			m->batch_owed = 0;
		} else {
			/* R restarts: it holds nothing */
			conn_down(m);
			side_stop(&m->r);
			side_start(m, &m->r);
			memset(m->got, 0, sizeof(m->got));
		}
	}

	/* one healthy connection, until everything is sent and acked */
	connect_pair(m, 1);
	for (i = 0; i < 1000000; i++) {
		s_send(m);
		while (m->qhead != m->qtail)
			r_receive(m);
		r_ack(m, 1);
		while (m->ahead != m->atail)
			s_get_ack(m);
		if (!m->batch_owed && rbs_tx_unacked(&m->s.tx) == 0)
			break;
	}
	ck_assert(!m->batch_owed);
	ck_assert_uint_eq(rbs_tx_unacked(&m->s.tx), 0);
	for (i = 0; i < (int)m->ntable; i++)
		ck_assert_msg(m->got[m->table[i]], "seed %llu: R misses entry %llu",
			      (unsigned long long)seed, (unsigned long long)m->table[i]);
	side_stop(&m->s);
	side_stop(&m->r);
}

START_TEST(broken_handshakes_lost_frames_and_restarts_never_lose_an_entry)
{
	static struct model m;
	unsigned resumes = 0, resyncs = 0;
	uint64_t seed;

	for (seed = 1; seed <= 300; seed++) {
		run_model(&m, seed, 3000);
		resumes += m.resumes;
		resyncs += m.resyncs;
	}
	/* the runs went through both kinds of reconnect, many times */
	ck_assert_uint_gt(resumes, 1000);
	ck_assert_uint_gt(resyncs, 300);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    both_ipv4_devices_keep_the_connection_dialed_by_the_greater_address,
	    both_ipv6_devices_keep_the_connection_dialed_by_the_greater_address,
	    every_pair_of_a_list_agrees_and_exactly_one_side_dials_the_survivor,
	    ports_do_not_matter,
	    a_dual_stack_socket_sees_ipv4_mapped_addresses_and_agrees,
	    the_ipv6_scope_does_not_matter,
	    no_rule_for_equal_addresses_mixed_or_other_families,
	    the_same_pair_resumes_both_ways_from_what_each_received,
	    resume_works_at_both_ends_of_acked_to_sent,
	    first_contact_resyncs_both_ways,
	    a_restarted_peer_gets_a_resync_and_is_resynced_from_1,
	    after_our_restart_both_directions_resync,
	    a_receiver_that_knows_another_sender_run_gets_a_resync,
	    impossible_numbers_resync,
	    a_resync_the_sender_never_heard_of_is_not_taken_for_a_resume_later,
	    sessions_that_cannot_pair_are_refused,
	    both_sides_agree_on_every_small_state,
	    every_resync_reason_has_its_own_log_text,
	    broken_handshakes_lost_frames_and_restarts_never_lose_an_entry,
	    NULL,
	};
	/* The model test runs 300 seeds of 3,000 steps: about 50 s under
	 * ASan on an idle 2-core machine, over 60 with a build beside it.
	 * The limit is there to catch a hang, not to time it. */
	const struct checkrun_case core = {.tests = tests, .timeout = 240};

	return checkrun("rbs_sess", &core, 1);
}
