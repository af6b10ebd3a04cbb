/* The RBS window: the sender numbers entries from 1, holds them until a
 * cumulative ACK, pushes back when full in entries or bytes, resends from
 * any held seq after a resume and empties itself for a resync; the
 * receiver takes entries only in order and says when to ACK. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/credit.h"
#include "rbsd/rbs_frame.h"
#include "rbsd/rbs_win.h"
#include "tests/lib/checkrun.h"

static const uint8_t mac[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x01};
static const uint8_t lease[24] = {192, 0, 2, 10, [23] = 0xee};

static struct rbs_win_item item(void)
{
	struct rbs_win_item it = {
	    .op = DB__RBS_OP__RBS_OP_ADD,
	    .type = DB__RBS_SERVICE_TYPE__RBS_SVC_ARP,
	    .key = mac,
	    .klen = sizeof(mac),
	    .payload = lease,
	    .plen = sizeof(lease),
	    .version = 1,
	};
	return it;
}

static size_t cost(const struct rbs_win_item *it)
{
	return CREDIT_ENTRY_HDR + it->klen + it->plen;
}

/* Pushes n items whose version is their expected seq. */
static void push_n(struct rbs_tx *t, int n)
{
	struct rbs_win_item it = item();
	uint64_t seq;
	int i;

	for (i = 0; i < n; i++) {
		it.version = rbs_tx_last(t) + 1;
		ck_assert_int_eq(rbs_tx_push(t, &it, &seq), 0);
		ck_assert_uint_eq(seq, it.version);
	}
}

START_TEST(sequence_numbers_start_at_1_and_count_up)
{
	struct rbs_tx t;
	struct rbs_win_item it = item();
	uint64_t seq;

	ck_assert_int_eq(rbs_tx_init(&t, 16, 1 << 20), 0);
	ck_assert_uint_eq(rbs_tx_last(&t), 0);
	ck_assert_ptr_null(rbs_tx_next_unsent(&t));
	ck_assert_int_eq(rbs_tx_push(&t, &it, &seq), 0);
	ck_assert_uint_eq(seq, 1);
	ck_assert_int_eq(rbs_tx_push(&t, &it, &seq), 0);
	ck_assert_uint_eq(seq, 2);
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), 0);
	ck_assert_uint_eq(rbs_tx_last(&t), 3);
	ck_assert_uint_eq(rbs_tx_unacked(&t), 3);
	ck_assert_uint_eq(rbs_tx_unsent(&t), 3);
	ck_assert_uint_eq(rbs_tx_sent(&t), 0);
	ck_assert_uint_eq(rbs_tx_acked(&t), 0);
	ck_assert_uint_eq(rbs_tx_next_unsent(&t)->seq, 1);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(push_copies_the_entry)
{
	struct rbs_tx t;
	uint8_t key[6], payload[24];
	struct rbs_win_item it = item();
	const struct rbs_win_entry *e;

	memcpy(key, mac, sizeof(key));
	memcpy(payload, lease, sizeof(payload));
	it.op = DB__RBS_OP__RBS_OP_DELETE;
	it.type = DB__RBS_SERVICE_TYPE__RBS_SVC_L2TP;
	it.key = key;
	it.payload = payload;
	it.version = UINT64_MAX;
	ck_assert_int_eq(rbs_tx_init(&t, 16, 1 << 20), 0);
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), 0);
	/* the producer reuses its buffers at once */
	memset(key, 0, sizeof(key));
	memset(payload, 0, sizeof(payload));

	e = rbs_tx_get(&t, 1);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->seq, 1);
	ck_assert_uint_eq(e->op, DB__RBS_OP__RBS_OP_DELETE);
	ck_assert_uint_eq(e->type, DB__RBS_SERVICE_TYPE__RBS_SVC_L2TP);
	ck_assert_uint_eq(e->version, UINT64_MAX);
	ck_assert_uint_eq(e->klen, sizeof(mac));
	ck_assert_uint_eq(e->plen, sizeof(lease));
	ck_assert_mem_eq(rbs_win_key(e), mac, sizeof(mac));
	ck_assert_mem_eq(rbs_win_payload(e), lease, sizeof(lease));

	/* an empty payload is fine, and may be NULL */
	it.payload = NULL;
	it.plen = 0;
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), 0);
	ck_assert_uint_eq(rbs_tx_get(&t, 2)->plen, 0);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(the_byte_count_is_the_header_plus_key_plus_payload)
{
	struct rbs_tx t;
	struct rbs_win_item it = item();

	/* the documented per-entry overhead */
	ck_assert_uint_eq(CREDIT_ENTRY_HDR, 26);
	ck_assert_int_eq(rbs_tx_init(&t, 16, 1 << 20), 0);
	push_n(&t, 3);
	ck_assert_uint_eq(rbs_tx_bytes(&t), 3 * (26 + sizeof(mac) + sizeof(lease)));
	it.plen = 0;
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), 0);
	ck_assert_uint_eq(rbs_tx_bytes(&t), 3 * (26 + sizeof(mac) + sizeof(lease)) + 26 + 6);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(a_window_full_of_entries_pushes_back_until_an_ack)
{
	struct rbs_tx t;
	struct rbs_win_item it = item();
	uint64_t seq = 99;

	ck_assert_int_eq(rbs_tx_init(&t, 4, 1 << 20), 0);
	push_n(&t, 4);
	ck_assert_int_eq(rbs_tx_push(&t, &it, &seq), -EAGAIN);
	ck_assert_uint_eq(seq, 99);
	ck_assert_uint_eq(rbs_tx_last(&t), 4);
	ck_assert_int_eq(rbs_tx_mark_sent(&t, 4), 0);
	ck_assert_int_eq(rbs_tx_push(&t, &it, &seq), -EAGAIN); /* sent is not acked */
	ck_assert_int_eq(rbs_tx_ack(&t, 2), 0);
	ck_assert_int_eq(rbs_tx_push(&t, &it, &seq), 0);
	ck_assert_uint_eq(seq, 5);
	ck_assert_int_eq(rbs_tx_push(&t, &it, &seq), 0);
	ck_assert_uint_eq(seq, 6);
	ck_assert_int_eq(rbs_tx_push(&t, &it, &seq), -EAGAIN);
	ck_assert_uint_eq(rbs_tx_unacked(&t), 4);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(a_window_full_of_bytes_pushes_back_until_an_ack)
{
	struct rbs_tx t;
	struct rbs_win_item it = item();
	size_t c = cost(&it);

	/* room for 3 entries and a smaller one, far fewer than max_entries */
	ck_assert_int_eq(rbs_tx_init(&t, 1000, 3 * c + 40), 0);
	push_n(&t, 3);
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), -EAGAIN);
	ck_assert_uint_eq(rbs_tx_bytes(&t), 3 * c);
	/* a smaller entry still fits */
	it.plen = 0;
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), 0);
	it.plen = sizeof(lease);
	ck_assert_int_eq(rbs_tx_mark_sent(&t, 4), 0);
	ck_assert_int_eq(rbs_tx_ack(&t, 1), 0);
	ck_assert_uint_eq(rbs_tx_bytes(&t), 2 * c + CREDIT_ENTRY_HDR + sizeof(mac));
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), 0);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(an_entry_that_can_never_fit_is_emsgsize_not_eagain)
{
	static uint8_t big[RBS_ENTRY_MAX + 1];
	struct rbs_tx t;
	struct rbs_win_item it = item();

	ck_assert_int_eq(rbs_tx_init(&t, 4, 100), 0);
	it.payload = big;
	it.plen = 100; /* alone over max_bytes */
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), -EMSGSIZE);
	rbs_tx_free(&t);

	ck_assert_int_eq(rbs_tx_init(&t, 4, 4u << 20), 0);
	it.plen = RBS_ENTRY_MAX - it.klen; /* the largest that can be sent */
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), 0);
	it.plen++;
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), -EMSGSIZE);
	it.key = big;
	it.klen = RBS_ENTRY_MAX + 1;
	it.plen = 0;
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), -EMSGSIZE);
	it.klen = SIZE_MAX; /* no overflow in the sum */
	it.plen = SIZE_MAX;
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), -EMSGSIZE);
	ck_assert_uint_eq(rbs_tx_last(&t), 1);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(entries_that_cannot_be_sent_are_refused)
{
	struct rbs_tx t;
	struct rbs_win_item it;

	ck_assert_int_eq(rbs_tx_init(&t, 4, 1 << 20), 0);
	it = item();
	it.op = DB__RBS_OP__RBS_OP_NONE;
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), -EINVAL);
	it.op = 3;
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), -EINVAL);
	it = item();
	it.type = RBS_SVC_COUNT;
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), -EINVAL);
	it = item();
	it.klen = 0;
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), -EINVAL);
	it = item();
	it.key = NULL;
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), -EINVAL);
	it = item();
	it.payload = NULL;
	ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), -EINVAL);
	ck_assert_uint_eq(rbs_tx_last(&t), 0);
	ck_assert_uint_eq(rbs_tx_bytes(&t), 0);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(init_refuses_a_window_that_holds_nothing)
{
	struct rbs_tx t;

	ck_assert_int_eq(rbs_tx_init(&t, 0, 1 << 20), -EINVAL);
	ck_assert_int_eq(rbs_tx_init(&t, 4, CREDIT_ENTRY_HDR), -EINVAL);
	ck_assert_int_eq(rbs_tx_init(&t, 1, CREDIT_ENTRY_HDR + 1), 0);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(an_ack_frees_every_entry_up_to_it)
{
	struct rbs_tx t;
	struct rbs_win_item it = item();

	ck_assert_int_eq(rbs_tx_init(&t, 16, 1 << 20), 0);
	push_n(&t, 10);
	ck_assert_int_eq(rbs_tx_mark_sent(&t, 8), 0);
	ck_assert_int_eq(rbs_tx_ack(&t, 5), 0);
	ck_assert_uint_eq(rbs_tx_acked(&t), 5);
	ck_assert_uint_eq(rbs_tx_unacked(&t), 5);
	ck_assert_uint_eq(rbs_tx_bytes(&t), 5 * cost(&it));
	ck_assert_ptr_null(rbs_tx_get(&t, 5));
	ck_assert_ptr_null(rbs_tx_get(&t, 1));
	ck_assert_ptr_null(rbs_tx_get(&t, 0));
	ck_assert_uint_eq(rbs_tx_get(&t, 6)->version, 6);
	ck_assert_uint_eq(rbs_tx_get(&t, 10)->version, 10);
	ck_assert_ptr_null(rbs_tx_get(&t, 11));
	/* the same ACK again changes nothing */
	ck_assert_int_eq(rbs_tx_ack(&t, 5), 0);
	ck_assert_uint_eq(rbs_tx_unacked(&t), 5);
	ck_assert_int_eq(rbs_tx_ack(&t, 8), 0);
	ck_assert_uint_eq(rbs_tx_bytes(&t), 2 * cost(&it));
	rbs_tx_free(&t);
}
END_TEST

START_TEST(an_ack_beyond_what_was_sent_or_going_backwards_is_refused)
{
	struct rbs_tx t;

	ck_assert_int_eq(rbs_tx_init(&t, 16, 1 << 20), 0);
	push_n(&t, 10);
	ck_assert_int_eq(rbs_tx_ack(&t, 1), -EINVAL); /* nothing sent yet */
	ck_assert_int_eq(rbs_tx_mark_sent(&t, 6), 0);
	ck_assert_int_eq(rbs_tx_ack(&t, 7), -EINVAL); /* pushed, not sent */
	ck_assert_int_eq(rbs_tx_ack(&t, 11), -EINVAL);
	ck_assert_int_eq(rbs_tx_ack(&t, 4), 0);
	ck_assert_int_eq(rbs_tx_ack(&t, 3), -EINVAL);
	ck_assert_uint_eq(rbs_tx_acked(&t), 4);
	ck_assert_uint_eq(rbs_tx_unacked(&t), 6);
	ck_assert_int_eq(rbs_tx_ack(&t, 0), -EINVAL);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(the_sent_mark_only_moves_forward_up_to_the_last_push)
{
	struct rbs_tx t;

	ck_assert_int_eq(rbs_tx_init(&t, 16, 1 << 20), 0);
	push_n(&t, 5);
	ck_assert_int_eq(rbs_tx_mark_sent(&t, 6), -EINVAL);
	ck_assert_int_eq(rbs_tx_mark_sent(&t, 2), 0);
	ck_assert_uint_eq(rbs_tx_next_unsent(&t)->seq, 3);
	ck_assert_uint_eq(rbs_tx_unsent(&t), 3);
	ck_assert_int_eq(rbs_tx_mark_sent(&t, 1), -EINVAL);
	ck_assert_int_eq(rbs_tx_mark_sent(&t, 2), 0);
	ck_assert_int_eq(rbs_tx_mark_sent(&t, 5), 0);
	ck_assert_ptr_null(rbs_tx_next_unsent(&t));
	ck_assert_uint_eq(rbs_tx_unsent(&t), 0);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(unacked_entries_can_be_walked_from_any_held_seq)
{
	struct rbs_tx t;
	const struct rbs_win_entry *e;
	uint64_t want = 5;

	ck_assert_int_eq(rbs_tx_init(&t, 16, 1 << 20), 0);
	push_n(&t, 10);
	ck_assert_int_eq(rbs_tx_mark_sent(&t, 10), 0);
	ck_assert_int_eq(rbs_tx_ack(&t, 3), 0);
	for (e = rbs_tx_get(&t, 5); e; e = rbs_tx_get(&t, e->seq + 1)) {
		ck_assert_uint_eq(e->seq, want);
		ck_assert_uint_eq(e->version, want);
		want++;
	}
	ck_assert_uint_eq(want, 11);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(resume_acks_what_the_peer_has_and_resends_the_rest)
{
	struct rbs_tx t;

	ck_assert_int_eq(rbs_tx_init(&t, 16, 1 << 20), 0);
	push_n(&t, 10);
	ck_assert_int_eq(rbs_tx_mark_sent(&t, 8), 0);
	ck_assert_int_eq(rbs_tx_ack(&t, 3), 0);
	/* the connection broke; the peer's HELLO says it has up to 6 */
	ck_assert_int_eq(rbs_tx_resume(&t, 7), 0);
	ck_assert_uint_eq(rbs_tx_acked(&t), 6);
	ck_assert_uint_eq(rbs_tx_sent(&t), 6);
	ck_assert_uint_eq(rbs_tx_next_unsent(&t)->seq, 7);
	ck_assert_uint_eq(rbs_tx_unsent(&t), 4);
	ck_assert_uint_eq(rbs_tx_unacked(&t), 4);
	ck_assert_uint_eq(rbs_tx_last(&t), 10);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(resume_outside_acked_to_sent_is_refused)
{
	struct rbs_tx t;

	ck_assert_int_eq(rbs_tx_init(&t, 16, 1 << 20), 0);
	push_n(&t, 10);
	ck_assert_int_eq(rbs_tx_mark_sent(&t, 8), 0);
	ck_assert_int_eq(rbs_tx_ack(&t, 3), 0);
	ck_assert_int_eq(rbs_tx_resume(&t, 0), -EINVAL);
	ck_assert_int_eq(rbs_tx_resume(&t, 3), -EINVAL);  /* 2 < acked */
	ck_assert_int_eq(rbs_tx_resume(&t, 10), -EINVAL); /* 9 > sent */
	ck_assert_uint_eq(rbs_tx_acked(&t), 3);
	ck_assert_uint_eq(rbs_tx_sent(&t), 8);
	/* both ends of the range are fine */
	ck_assert_int_eq(rbs_tx_resume(&t, 9), 0);
	ck_assert_uint_eq(rbs_tx_acked(&t), 8);
	ck_assert_int_eq(rbs_tx_resume(&t, 9), 0);
	ck_assert_uint_eq(rbs_tx_next_unsent(&t)->seq, 9);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(resync_empties_the_window_and_numbering_goes_on_after_sent)
{
	struct rbs_tx t;
	struct rbs_win_item it = item();
	uint64_t seq;

	ck_assert_int_eq(rbs_tx_init(&t, 16, 1 << 20), 0);
	push_n(&t, 10);
	ck_assert_int_eq(rbs_tx_mark_sent(&t, 6), 0);
	ck_assert_int_eq(rbs_tx_ack(&t, 2), 0);
	rbs_tx_resync(&t);
	ck_assert_uint_eq(rbs_tx_unacked(&t), 0);
	ck_assert_uint_eq(rbs_tx_unsent(&t), 0);
	ck_assert_uint_eq(rbs_tx_bytes(&t), 0);
	ck_assert_uint_eq(rbs_tx_acked(&t), 6);
	ck_assert_uint_eq(rbs_tx_sent(&t), 6);
	ck_assert_ptr_null(rbs_tx_get(&t, 7));
	ck_assert_ptr_null(rbs_tx_next_unsent(&t));
	/* 7..10 were never sent: the seqs are given again */
	ck_assert_int_eq(rbs_tx_push(&t, &it, &seq), 0);
	ck_assert_uint_eq(seq, 7);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(the_ring_wraps_many_times_and_keeps_every_entry)
{
	struct rbs_tx t;
	struct rbs_win_item it = item();
	uint8_t key[8];
	uint64_t s, seq;

	it.key = key;
	it.klen = sizeof(key);
	ck_assert_int_eq(rbs_tx_init(&t, 3, 1 << 20), 0);
	for (s = 1; s <= 1000; s++) {
		memcpy(key, &s, sizeof(key));
		it.version = s;
		ck_assert_int_eq(rbs_tx_push(&t, &it, &seq), 0);
		ck_assert_uint_eq(seq, s);
		if (s % 3 == 0) {
			uint64_t k;

			ck_assert_int_eq(rbs_tx_push(&t, &it, NULL), -EAGAIN);
			for (k = s - 2; k <= s; k++) {
				const struct rbs_win_entry *e = rbs_tx_get(&t, k);

				ck_assert_uint_eq(e->seq, k);
				ck_assert_mem_eq(rbs_win_key(e), &k, sizeof(k));
			}
			ck_assert_int_eq(rbs_tx_mark_sent(&t, s), 0);
			ck_assert_int_eq(rbs_tx_ack(&t, s - 1), 0);
			ck_assert_uint_eq(rbs_tx_get(&t, s)->version, s);
			ck_assert_int_eq(rbs_tx_ack(&t, s), 0);
		}
	}
	rbs_tx_free(&t);
}
END_TEST

/* Entry s: its key is s, its payload (s * 7919) % 3000 bytes, or over
 * 300 KiB (more than one of the window's blocks) for every 97th; byte i
 * of the payload is (s + i) & 0xff. */
static size_t plen_of(uint64_t s)
{
	return s % 97 == 0 ? 300 * 1024 + (size_t)(s % 13) : (size_t)((s * 7919) % 3000);
}

static void check_entry(const struct rbs_tx *t, uint64_t s)
{
	const struct rbs_win_entry *e = rbs_tx_get(t, s);
	const uint8_t *p;

	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->seq, s);
	ck_assert_uint_eq(e->klen, sizeof(s));
	ck_assert_mem_eq(rbs_win_key(e), &s, sizeof(s));
	ck_assert_uint_eq(e->plen, plen_of(s));
	p = rbs_win_payload(e);
	for (size_t i = 0; i < e->plen; i++)
		if (p[i] != (uint8_t)(s + i))
			ck_abort_msg("entry %llu: payload byte %zu changed", (unsigned long long)s,
				     i);
}

START_TEST(entries_of_every_size_stay_intact_while_acks_free_the_oldest)
{
	struct rbs_tx t;
	struct rbs_win_item it = item();
	static uint8_t buf[300 * 1024 + 16];
	uint64_t s, seq, k;
	unsigned rnd = 12345;

	it.klen = sizeof(s);
	it.payload = buf;
	ck_assert_int_eq(rbs_tx_init(&t, 512, 8u << 20), 0);
	for (s = 1; s <= 5000;) {
		it.key = &s;
		it.plen = plen_of(s);
		for (size_t i = 0; i < it.plen; i++)
			buf[i] = (uint8_t)(s + i);
		int rc = rbs_tx_push(&t, &it, &seq);

		if (rc == 0) {
			ck_assert_uint_eq(seq, s);
			s++;
			continue;
		}
		/* Full: every held entry is as pushed; send all, then ACK a
		 * random part, sometimes after resending from the middle. */
		ck_assert_int_eq(rc, -EAGAIN);
		for (k = rbs_tx_acked(&t) + 1; k <= rbs_tx_last(&t); k++)
			check_entry(&t, k);
		ck_assert_int_eq(rbs_tx_mark_sent(&t, rbs_tx_last(&t)), 0);
		rnd = rnd * 1103515245 + 12345;
		k = rbs_tx_acked(&t) + 1 + (rnd >> 8) % rbs_tx_unacked(&t);
		if (rnd % 5 == 0) {
			ck_assert_int_eq(rbs_tx_resume(&t, k), 0);
			ck_assert_int_eq(rbs_tx_mark_sent(&t, rbs_tx_last(&t)), 0);
		} else {
			ck_assert_int_eq(rbs_tx_ack(&t, k), 0);
		}
		ck_assert_ptr_null(rbs_tx_get(&t, rbs_tx_acked(&t)));
	}
	for (k = rbs_tx_acked(&t) + 1; k <= rbs_tx_last(&t); k++)
		check_entry(&t, k);
	rbs_tx_resync(&t);
	ck_assert_uint_eq(rbs_tx_bytes(&t), 0);
	push_n(&t, 3);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(the_last_seq_of_a_session_is_2_to_the_64_minus_1)
{
	struct rbs_tx t;
	struct rbs_win_item it = item();
	uint64_t seq;

	ck_assert_int_eq(rbs_tx_init(&t, 4, 1 << 20), 0);
	/* white box: a session that has sent almost 2^64 entries */
	t.acked = t.sent = t.last = UINT64_MAX - 1;
	ck_assert_int_eq(rbs_tx_push(&t, &it, &seq), 0);
	ck_assert_uint_eq(seq, UINT64_MAX);
	ck_assert_int_eq(rbs_tx_push(&t, &it, &seq), -EOVERFLOW);
	ck_assert_int_eq(rbs_tx_mark_sent(&t, UINT64_MAX), 0);
	ck_assert_int_eq(rbs_tx_ack(&t, UINT64_MAX), 0);
	ck_assert_uint_eq(rbs_tx_bytes(&t), 0);
	rbs_tx_free(&t);
}
END_TEST

START_TEST(freeing_a_window_frees_what_it_holds)
{
	struct rbs_tx t;

	/* leaks would show under SAN=1 */
	ck_assert_int_eq(rbs_tx_init(&t, 64, 1 << 20), 0);
	push_n(&t, 50);
	ck_assert_int_eq(rbs_tx_mark_sent(&t, 30), 0);
	ck_assert_int_eq(rbs_tx_ack(&t, 10), 0);
	rbs_tx_free(&t);
	ck_assert_uint_eq(rbs_tx_bytes(&t), 0);
}
END_TEST

START_TEST(the_receiver_takes_entries_only_in_order)
{
	struct rbs_rx r;

	rbs_rx_init(&r, 100, 50);
	ck_assert_uint_eq(rbs_rx_expected(&r), 1);
	ck_assert_uint_eq(rbs_rx_last(&r), 0);
	ck_assert_int_eq(rbs_rx_accept(&r, 1, 3, 0), 0);
	ck_assert_uint_eq(rbs_rx_expected(&r), 4);
	ck_assert_uint_eq(rbs_rx_last(&r), 3);
	ck_assert_int_eq(rbs_rx_accept(&r, 5, 1, 0), -EPROTO); /* gap */
	ck_assert_int_eq(rbs_rx_accept(&r, 3, 1, 0), -EPROTO); /* duplicate */
	ck_assert_int_eq(rbs_rx_accept(&r, 2, 5, 0), -EPROTO); /* overlap */
	ck_assert_int_eq(rbs_rx_accept(&r, 1, 3, 0), -EPROTO); /* replay */
	ck_assert_uint_eq(rbs_rx_expected(&r), 4);
	ck_assert_int_eq(rbs_rx_accept(&r, 4, 1, 0), 0);
	ck_assert_int_eq(rbs_rx_accept(&r, 5, 0, 0), -EINVAL);
	ck_assert_int_eq(rbs_rx_accept(&r, UINT64_MAX, 2, 0), -EINVAL);
	ck_assert_uint_eq(rbs_rx_last(&r), 4);
}
END_TEST

START_TEST(an_ack_is_due_every_n_entries)
{
	struct rbs_rx r;

	rbs_rx_init(&r, 4, 1000);
	ck_assert(!rbs_rx_ack_due(&r, 0));
	ck_assert_int_eq(rbs_rx_accept(&r, 1, 3, 0), 0);
	ck_assert(!rbs_rx_ack_due(&r, 0));
	ck_assert_int_eq(rbs_rx_accept(&r, 4, 1, 0), 0);
	ck_assert(rbs_rx_ack_due(&r, 0));
	ck_assert_uint_eq(rbs_rx_ack_take(&r), 4);
	ck_assert(!rbs_rx_ack_due(&r, 0));
	/* a frame of many entries makes it due at once */
	ck_assert_int_eq(rbs_rx_accept(&r, 5, 10, 0), 0);
	ck_assert(rbs_rx_ack_due(&r, 0));
	ck_assert_uint_eq(rbs_rx_ack_take(&r), 14);
}
END_TEST

START_TEST(an_ack_is_due_when_the_oldest_entry_waited_t_ms)
{
	struct rbs_rx r;

	rbs_rx_init(&r, 100, 50);
	ck_assert_uint_eq(rbs_rx_ack_deadline(&r), UINT64_MAX);
	ck_assert_int_eq(rbs_rx_accept(&r, 1, 1, 1000), 0);
	ck_assert_uint_eq(rbs_rx_ack_deadline(&r), 1050);
	/* a later entry does not push the deadline */
	ck_assert_int_eq(rbs_rx_accept(&r, 2, 1, 1040), 0);
	ck_assert_uint_eq(rbs_rx_ack_deadline(&r), 1050);
	ck_assert(!rbs_rx_ack_due(&r, 1049));
	ck_assert(rbs_rx_ack_due(&r, 1050));
	ck_assert(rbs_rx_ack_due(&r, 5000));
	ck_assert_uint_eq(rbs_rx_ack_take(&r), 2);
	ck_assert_uint_eq(rbs_rx_ack_deadline(&r), UINT64_MAX);
	ck_assert(!rbs_rx_ack_due(&r, 5000));
	/* the next entry starts a new wait */
	ck_assert_int_eq(rbs_rx_accept(&r, 3, 1, 6000), 0);
	ck_assert_uint_eq(rbs_rx_ack_deadline(&r), 6050);
	ck_assert(!rbs_rx_ack_due(&r, 6049));
	/* a clock that went backwards does not make it due */
	ck_assert(!rbs_rx_ack_due(&r, 10));
}
END_TEST

START_TEST(ack_every_0_means_every_entry)
{
	struct rbs_rx r;

	rbs_rx_init(&r, 0, 1000);
	ck_assert_int_eq(rbs_rx_accept(&r, 1, 1, 0), 0);
	ck_assert(rbs_rx_ack_due(&r, 0));
}
END_TEST

START_TEST(a_resumed_receiver_expects_the_seq_it_is_given)
{
	struct rbs_rx r;

	rbs_rx_init(&r, 4, 50);
	ck_assert_int_eq(rbs_rx_accept(&r, 1, 2, 0), 0);
	rbs_rx_reset(&r, 3);
	ck_assert_uint_eq(rbs_rx_expected(&r), 3);
	ck_assert_uint_eq(rbs_rx_last(&r), 2);
	/* the peer learned it from HELLO: no ACK owed */
	ck_assert_uint_eq(rbs_rx_ack_deadline(&r), UINT64_MAX);
	ck_assert(!rbs_rx_ack_due(&r, 1000));
	ck_assert_int_eq(rbs_rx_accept(&r, 3, 1, 0), 0);
}
END_TEST

/* The local feeder acknowledges what it applied (rbs_applied.h): ACKs
 * stop at the limit, wait for it without spinning, and never pass what
 * was received. */
START_TEST(acks_go_no_further_than_the_limit_nor_what_was_received)
{
	struct rbs_rx r;

	rbs_rx_init(&r, 4, 50);
	rbs_rx_limit(&r, 0);
	ck_assert_int_eq(rbs_rx_accept(&r, 1, 10, 1000), 0);
	/* nothing applied: no ACK is due, now or later */
	ck_assert_uint_eq(rbs_rx_ackable(&r), 0);
	ck_assert(!rbs_rx_ack_due(&r, 5000));
	ck_assert_uint_eq(rbs_rx_ack_deadline(&r), UINT64_MAX);
	/* 3 applied: under ack_every, due once the oldest waited */
	rbs_rx_limit(&r, 3);
	ck_assert_uint_eq(rbs_rx_ack_deadline(&r), 1050);
	ck_assert(!rbs_rx_ack_due(&r, 1049));
	ck_assert(rbs_rx_ack_due(&r, 1050));
	ck_assert_uint_eq(rbs_rx_ack_take(&r), 3);
	ck_assert(!rbs_rx_ack_due(&r, 5000));
	/* 8 applied: ack_every entries may be acknowledged, due at once */
	rbs_rx_limit(&r, 8);
	ck_assert(rbs_rx_ack_due(&r, 0));
	ck_assert_uint_eq(rbs_rx_ack_take(&r), 8);
	/* a limit past what was received: no further than received */
	rbs_rx_limit(&r, 50);
	ck_assert_uint_eq(rbs_rx_ackable(&r), 10);
	ck_assert_uint_eq(rbs_rx_ack_take(&r), 10);
	/* nor back below an ACK sent */
	rbs_rx_limit(&r, 5);
	ck_assert_uint_eq(rbs_rx_ackable(&r), 10);
	ck_assert(!rbs_rx_ack_due(&r, 5000));
	/* a resume after what was applied: received again from there */
	rbs_rx_reset(&r, 11);
	ck_assert_int_eq(rbs_rx_accept(&r, 11, 2, 6000), 0);
	ck_assert_uint_eq(rbs_rx_ackable(&r), 10);
	rbs_rx_limit(&r, UINT64_MAX); /* no limit: what was received */
	ck_assert_uint_eq(rbs_rx_ackable(&r), 12);
}
END_TEST

START_TEST(a_resyncing_receiver_waits_for_the_batch)
{
	struct rbs_rx r;

	rbs_rx_init(&r, 4, 50);
	ck_assert_int_eq(rbs_rx_accept(&r, 1, 20, 0), 0);
	rbs_rx_resync(&r, 101);
	/* until the batch begins: nothing counts as received */
	ck_assert_uint_eq(rbs_rx_last(&r), 0);
	ck_assert_uint_eq(rbs_rx_expected(&r), 101);
	ck_assert_int_eq(rbs_rx_accept(&r, 101, 1, 0), -EPROTO);
	ck_assert_int_eq(rbs_rx_accept(&r, 21, 1, 0), -EPROTO);
	ck_assert(!rbs_rx_ack_due(&r, 1000));
	ck_assert(rbs_rx_batch_begin(&r));
	ck_assert_uint_eq(rbs_rx_last(&r), 100);
	ck_assert_int_eq(rbs_rx_accept(&r, 101, 1, 0), 0);
	/* later batches change nothing */
	ck_assert(!rbs_rx_batch_begin(&r));
	ck_assert_uint_eq(rbs_rx_expected(&r), 102);
}
END_TEST

/* A sender and a receiver in lock step, with a window far smaller than
 * what goes through: every entry arrives once, in order, intact, and the
 * producer is held back rather than refused. */
START_TEST(everything_pushed_arrives_once_in_order_through_a_small_window)
{
	enum { TOTAL = 10000 };
	struct rbs_tx t;
	struct rbs_rx r;
	struct rbs_win_item it = item();
	uint64_t pushed = 0, delivered = 0, now = 0, key;
	unsigned eagain = 0;

	it.key = &key;
	it.klen = sizeof(key);
	ck_assert_int_eq(rbs_tx_init(&t, 64, 40 * (CREDIT_ENTRY_HDR + 8 + 24)), 0);
	rbs_rx_init(&r, 16, 5);
	while (delivered < TOTAL) {
		const struct rbs_win_entry *e;
		uint64_t first = 0, n = 0;

		/* the producer pushes until the window says wait */
		while (pushed < TOTAL) {
			int rc;

			key = pushed + 1;
			it.plen = (size_t)(key % 25);
			rc = rbs_tx_push(&t, &it, NULL);
			if (rc == -EAGAIN) {
				eagain++;
				break;
			}
			ck_assert_int_eq(rc, 0);
			pushed++;
		}
		ck_assert_uint_le(rbs_tx_unacked(&t), 64);
		ck_assert_uint_le(rbs_tx_bytes(&t), 40 * (CREDIT_ENTRY_HDR + 8 + 24));
		/* one "frame" of up to 7 unsent entries */
		while (n < 7 && (e = rbs_tx_next_unsent(&t))) {
			if (!first)
				first = e->seq;
			ck_assert_uint_eq(e->seq, first + n);
			ck_assert_mem_eq(rbs_win_key(e), &e->seq, sizeof(e->seq));
			ck_assert_uint_eq(e->plen, e->seq % 25);
			ck_assert_int_eq(rbs_tx_mark_sent(&t, e->seq), 0);
			n++;
		}
		if (n) {
			ck_assert_int_eq(rbs_rx_accept(&r, first, n, now), 0);
			delivered += n;
		}
		now++;
		if (rbs_rx_ack_due(&r, now))
			ck_assert_int_eq(rbs_tx_ack(&t, rbs_rx_ack_take(&r)), 0);
	}
	ck_assert_uint_eq(rbs_rx_last(&r), TOTAL);
	ck_assert_uint_gt(eagain, 0);
	rbs_tx_free(&t);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    sequence_numbers_start_at_1_and_count_up,
	    push_copies_the_entry,
	    the_byte_count_is_the_header_plus_key_plus_payload,
	    a_window_full_of_entries_pushes_back_until_an_ack,
	    a_window_full_of_bytes_pushes_back_until_an_ack,
	    an_entry_that_can_never_fit_is_emsgsize_not_eagain,
	    entries_that_cannot_be_sent_are_refused,
	    init_refuses_a_window_that_holds_nothing,
	    an_ack_frees_every_entry_up_to_it,
	    an_ack_beyond_what_was_sent_or_going_backwards_is_refused,
	    the_sent_mark_only_moves_forward_up_to_the_last_push,
	    unacked_entries_can_be_walked_from_any_held_seq,
	    resume_acks_what_the_peer_has_and_resends_the_rest,
	    resume_outside_acked_to_sent_is_refused,
	    resync_empties_the_window_and_numbering_goes_on_after_sent,
	    the_ring_wraps_many_times_and_keeps_every_entry,
	    entries_of_every_size_stay_intact_while_acks_free_the_oldest,
	    the_last_seq_of_a_session_is_2_to_the_64_minus_1,
	    freeing_a_window_frees_what_it_holds,
	    the_receiver_takes_entries_only_in_order,
	    an_ack_is_due_every_n_entries,
	    an_ack_is_due_when_the_oldest_entry_waited_t_ms,
	    ack_every_0_means_every_entry,
	    a_resumed_receiver_expects_the_seq_it_is_given,
	    a_resyncing_receiver_waits_for_the_batch,
	    acks_go_no_further_than_the_limit_nor_what_was_received,
	    everything_pushed_arrives_once_in_order_through_a_small_window,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbs_win", &core, 1);
}
