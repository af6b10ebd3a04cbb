/* RBS channel framing: every body survives encode and decode with all its
 * fields, the stream decoder gives the same frames however the bytes are
 * cut, and every malformed input stops it with the reason a log line will
 * show. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rbsd/rbs_frame.h"
#include "tests/lib/checkrun.h"

/* Sample frames, one per body, with every field set to something that is
 * not a default. */
static Db__RbsBinding bind1 = DB__RBS_BINDING__INIT, bind2 = DB__RBS_BINDING__INIT;
static Db__RbsBinding *binds[2] = {&bind1, &bind2};
static Db__RbsProfile prof = DB__RBS_PROFILE__INIT;
static Db__RbsProfile *profs[1] = {&prof};
static Db__RbsHello hello = DB__RBS_HELLO__INIT;
static Db__RbsEntry ent[3] = {DB__RBS_ENTRY__INIT, DB__RBS_ENTRY__INIT, DB__RBS_ENTRY__INIT};
static Db__RbsEntry *ents[3] = {&ent[0], &ent[1], &ent[2]};
static Db__RbsEntries entries = DB__RBS_ENTRIES__INIT;
static Db__RbsAck ack = DB__RBS_ACK__INIT;
static Db__RbsKeepalive keepalive = DB__RBS_KEEPALIVE__INIT;
static Db__RbsServiceType bb_types[2] = {DB__RBS_SERVICE_TYPE__RBS_SVC_ARP,
					 DB__RBS_SERVICE_TYPE__RBS_SVC_DHCPV6_RELAY};
static Db__RbsServiceType be_types[1] = {DB__RBS_SERVICE_TYPE__RBS_SVC_IPSEC};
static Db__RbsBatchBegin batch_begin = DB__RBS_BATCH_BEGIN__INIT;
static Db__RbsBatchEnd batch_end = DB__RBS_BATCH_END__INIT;
static Db__RbsServiceType br_types[3] = {DB__RBS_SERVICE_TYPE__RBS_SVC_BRAS,
					 DB__RBS_SERVICE_TYPE__RBS_SVC_ND,
					 DB__RBS_SERVICE_TYPE__RBS_SVC_DHCP_SERVER};
static Db__RbsBatchRequest batch_request = DB__RBS_BATCH_REQUEST__INIT;
static uint32_t cmp_buckets[1] = {200};
static uint64_t cmp_digests[AE_LEAVES];
static Db__RbsCompare compare = DB__RBS_COMPARE__INIT;
static uint32_t sum_leaves[3] = {0, AE_SLOTS - 1, 258};
static Db__RbsSummaryKey skey[2] = {DB__RBS_SUMMARY_KEY__INIT, DB__RBS_SUMMARY_KEY__INIT};
static Db__RbsSummaryKey *skeys[2] = {&skey[0], &skey[1]};
static Db__RbsSummary summary = DB__RBS_SUMMARY__INIT;

#define NSAMPLES 9
static Db__RbsFrame sample[NSAMPLES];

static uint8_t mac1[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x01};
static uint8_t mac2[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x02};
static uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x07};
static uint8_t lease[5] = {1, 0, 2, 0, 0xff};

static void samples_setup(void)
{
	int i;

	bind1.vrid = 10;
	bind1.ifname = "eth1";
	bind1.odd_mac = 1;
	bind2.vrid = 255;
	bind2.ifname = "eth2.100";
	bind2.odd_mac = 0;
	prof.backup_id = 7;
	prof.rbp = "rbp-a";
	prof.n_bindings = 2;
	prof.bindings = binds;
	hello.version = RBS_PROTO_VERSION;
	hello.session = 0xfedcba9876543210ull;
	hello.peer_session = 0x0123456789abcdefull;
	hello.rx_seq = 1000;
	hello.tx_acked = 2000;
	hello.tx_sent = 2100;
	hello.service = "rbs1";
	hello.n_profiles = 1;
	hello.profiles = profs;

	ent[0].op = DB__RBS_OP__RBS_OP_ADD;
	ent[0].type = DB__RBS_SERVICE_TYPE__RBS_SVC_ARP;
	ent[0].key = (ProtobufCBinaryData){sizeof(mac1), mac1};
	ent[0].payload = (ProtobufCBinaryData){sizeof(lease), lease};
	ent[0].version = 1;
	ent[1].op = DB__RBS_OP__RBS_OP_DELETE;
	ent[1].type = DB__RBS_SERVICE_TYPE__RBS_SVC_ND;
	ent[1].key = (ProtobufCBinaryData){sizeof(ip6), ip6};
	ent[1].version = UINT64_MAX;
	ent[2].op = DB__RBS_OP__RBS_OP_ADD;
	ent[2].type = DB__RBS_SERVICE_TYPE__RBS_SVC_IPSEC;
	ent[2].key = (ProtobufCBinaryData){sizeof(mac2), mac2};
	ent[2].payload = (ProtobufCBinaryData){0, NULL};
	ent[2].version = 0x100000000ull;
	entries.first_seq = 41;
	entries.n_entries = 3;
	entries.entries = ents;
	ack.seq = 43;
	keepalive.stamp = 123456789;
	keepalive.echo = 123456000;
	batch_begin.n_types = 2;
	batch_begin.types = bb_types;
	batch_begin.count = 100000;
	batch_end.n_types = 1;
	batch_end.types = be_types;
	batch_end.count = 99999;
	batch_end.digest = 0x8000000000000001ull;
	batch_request.n_types = 3;
	batch_request.types = br_types;
	for (i = 0; i < AE_LEAVES; i++)
		cmp_digests[i] = 0x0101010101010101ull * (uint64_t)i + 1;
	compare.round = 77;
	compare.type = DB__RBS_SERVICE_TYPE__RBS_SVC_BRAS;
	compare.level = 2;
	compare.n_buckets = 1;
	compare.buckets = cmp_buckets;
	compare.n_digests = AE_LEAVES;
	compare.digests = cmp_digests;
	skey[0].key = (ProtobufCBinaryData){sizeof(mac1), mac1};
	skey[0].version = 12;
	skey[1].key = (ProtobufCBinaryData){sizeof(ip6), ip6};
	skey[1].version = UINT64_MAX;
	skey[1].deleted = 1;
	summary.round = 78;
	summary.type = DB__RBS_SERVICE_TYPE__RBS_SVC_L2TP;
	summary.n_leaves = 3;
	summary.leaves = sum_leaves;
	summary.n_keys = 2;
	summary.keys = skeys;
	summary.answer = 1;

	for (i = 0; i < NSAMPLES; i++)
		db__rbs_frame__init(&sample[i]);
	sample[0].body_case = DB__RBS_FRAME__BODY_HELLO;
	sample[0].hello = &hello;
	sample[1].body_case = DB__RBS_FRAME__BODY_ENTRIES;
	sample[1].entries = &entries;
	sample[2].body_case = DB__RBS_FRAME__BODY_ACK;
	sample[2].ack = &ack;
	sample[3].body_case = DB__RBS_FRAME__BODY_KEEPALIVE;
	sample[3].keepalive = &keepalive;
	sample[4].body_case = DB__RBS_FRAME__BODY_BATCH_BEGIN;
	sample[4].batch_begin = &batch_begin;
	sample[5].body_case = DB__RBS_FRAME__BODY_BATCH_END;
	sample[5].batch_end = &batch_end;
	sample[6].body_case = DB__RBS_FRAME__BODY_BATCH_REQUEST;
	sample[6].batch_request = &batch_request;
	sample[7].body_case = DB__RBS_FRAME__BODY_COMPARE;
	sample[7].compare = &compare;
	sample[8].body_case = DB__RBS_FRAME__BODY_SUMMARY;
	sample[8].summary = &summary;
}

static void assert_bin_eq(ProtobufCBinaryData a, ProtobufCBinaryData b)
{
	ck_assert_uint_eq(a.len, b.len);
	if (a.len)
		ck_assert_mem_eq(a.data, b.data, a.len);
}

static void assert_types_eq(const Db__RbsServiceType *a, size_t na, const Db__RbsServiceType *b,
			    size_t nb)
{
	size_t i;

	ck_assert_uint_eq(na, nb);
	for (i = 0; i < na; i++)
		ck_assert_int_eq(a[i], b[i]);
}

/* Field by field, written apart from the encoder. */
static void assert_frame_eq(const Db__RbsFrame *a, const Db__RbsFrame *b)
{
	size_t i, j;

	ck_assert_int_eq(a->body_case, b->body_case);
	switch (a->body_case) {
	case DB__RBS_FRAME__BODY_HELLO:
		ck_assert_uint_eq(a->hello->version, b->hello->version);
		ck_assert_uint_eq(a->hello->session, b->hello->session);
		ck_assert_uint_eq(a->hello->peer_session, b->hello->peer_session);
		ck_assert_uint_eq(a->hello->rx_seq, b->hello->rx_seq);
		ck_assert_uint_eq(a->hello->tx_acked, b->hello->tx_acked);
		ck_assert_uint_eq(a->hello->tx_sent, b->hello->tx_sent);
		ck_assert_str_eq(a->hello->service, b->hello->service);
		ck_assert_uint_eq(a->hello->n_profiles, b->hello->n_profiles);
		for (i = 0; i < a->hello->n_profiles; i++) {
			const Db__RbsProfile *p = a->hello->profiles[i], *q = b->hello->profiles[i];

			ck_assert_uint_eq(p->backup_id, q->backup_id);
			ck_assert_str_eq(p->rbp, q->rbp);
			ck_assert_uint_eq(p->n_bindings, q->n_bindings);
			for (j = 0; j < p->n_bindings; j++) {
				ck_assert_uint_eq(p->bindings[j]->vrid, q->bindings[j]->vrid);
				ck_assert_str_eq(p->bindings[j]->ifname, q->bindings[j]->ifname);
				ck_assert_int_eq(p->bindings[j]->odd_mac, q->bindings[j]->odd_mac);
			}
		}
		break;
	case DB__RBS_FRAME__BODY_ENTRIES:
		ck_assert_uint_eq(a->entries->first_seq, b->entries->first_seq);
		ck_assert_uint_eq(a->entries->n_entries, b->entries->n_entries);
		for (i = 0; i < a->entries->n_entries; i++) {
			const Db__RbsEntry *p = a->entries->entries[i], *q = b->entries->entries[i];

			ck_assert_int_eq(p->op, q->op);
			ck_assert_int_eq(p->type, q->type);
			assert_bin_eq(p->key, q->key);
			assert_bin_eq(p->payload, q->payload);
			ck_assert_uint_eq(p->version, q->version);
		}
		break;
	case DB__RBS_FRAME__BODY_ACK:
		ck_assert_uint_eq(a->ack->seq, b->ack->seq);
		break;
	case DB__RBS_FRAME__BODY_KEEPALIVE:
		ck_assert_uint_eq(a->keepalive->stamp, b->keepalive->stamp);
		ck_assert_uint_eq(a->keepalive->echo, b->keepalive->echo);
		break;
	case DB__RBS_FRAME__BODY_BATCH_BEGIN:
		assert_types_eq(a->batch_begin->types, a->batch_begin->n_types,
				b->batch_begin->types, b->batch_begin->n_types);
		ck_assert_uint_eq(a->batch_begin->count, b->batch_begin->count);
		break;
	case DB__RBS_FRAME__BODY_BATCH_END:
		assert_types_eq(a->batch_end->types, a->batch_end->n_types, b->batch_end->types,
				b->batch_end->n_types);
		ck_assert_uint_eq(a->batch_end->count, b->batch_end->count);
		ck_assert_uint_eq(a->batch_end->digest, b->batch_end->digest);
		break;
	case DB__RBS_FRAME__BODY_BATCH_REQUEST:
		assert_types_eq(a->batch_request->types, a->batch_request->n_types,
				b->batch_request->types, b->batch_request->n_types);
		break;
	case DB__RBS_FRAME__BODY_COMPARE:
		ck_assert_uint_eq(a->compare->round, b->compare->round);
		ck_assert_int_eq(a->compare->type, b->compare->type);
		ck_assert_uint_eq(a->compare->level, b->compare->level);
		ck_assert_uint_eq(a->compare->n_buckets, b->compare->n_buckets);
		for (i = 0; i < a->compare->n_buckets; i++)
			ck_assert_uint_eq(a->compare->buckets[i], b->compare->buckets[i]);
		ck_assert_uint_eq(a->compare->n_digests, b->compare->n_digests);
		for (i = 0; i < a->compare->n_digests; i++)
			ck_assert_uint_eq(a->compare->digests[i], b->compare->digests[i]);
		break;
	case DB__RBS_FRAME__BODY_SUMMARY:
		ck_assert_uint_eq(a->summary->round, b->summary->round);
		ck_assert_int_eq(a->summary->type, b->summary->type);
		ck_assert_uint_eq(a->summary->n_leaves, b->summary->n_leaves);
		for (i = 0; i < a->summary->n_leaves; i++)
			ck_assert_uint_eq(a->summary->leaves[i], b->summary->leaves[i]);
		ck_assert_uint_eq(a->summary->n_keys, b->summary->n_keys);
		for (i = 0; i < a->summary->n_keys; i++) {
			const Db__RbsSummaryKey *p = a->summary->keys[i], *q = b->summary->keys[i];

			assert_bin_eq(p->key, q->key);
			ck_assert_uint_eq(p->version, q->version);
			ck_assert_int_eq(p->deleted, q->deleted);
		}
		ck_assert_int_eq(a->summary->answer, b->summary->answer);
		break;
	default:
		ck_abort_msg("unexpected body %d", a->body_case);
	}
}

/* The samples, encoded one after the other; returns the length. */
static size_t encode_samples(uint8_t *buf, size_t cap, size_t *ends)
{
	size_t off = 0;
	int i, n;

	for (i = 0; i < NSAMPLES; i++) {
		n = rbs_frame_encode(&sample[i], buf + off, cap - off);
		ck_assert_int_gt(n, 0);
		off += (size_t)n;
		if (ends)
			ends[i] = off;
	}
	return off;
}

/* Feeds stream to a fresh decoder in chunks of the sizes in cuts (the
 * last size repeats), checking each frame against the samples in order.
 * Returns how many frames came out. */
static int feed_and_check(const uint8_t *stream, size_t len, const size_t *cuts, size_t ncuts)
{
	struct rbs_dec d;
	Db__RbsFrame *f;
	size_t off = 0, k = 0;
	int got = 0, rc;

	rbs_dec_init(&d);
	while (off < len) {
		size_t c = cuts[k < ncuts ? k : ncuts - 1];
		const uint8_t *p = stream + off;
		size_t n = c < len - off ? c : len - off;

		k++;
		off += n;
		while ((rc = rbs_dec_next(&d, &p, &n, &f)) > 0) {
			ck_assert_int_lt(got, NSAMPLES);
			assert_frame_eq(&sample[got], f);
			got++;
			rbs_dec_release(&d, f);
		}
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(n, 0);
	}
	ck_assert_uint_eq(rbs_dec_pending(&d), 0);
	rbs_dec_free(&d);
	return got;
}

START_TEST(every_body_round_trips_with_every_field)
{
	static uint8_t buf[4096];
	struct rbs_dec d;
	Db__RbsFrame *f;
	int i;

	rbs_dec_init(&d);
	for (i = 0; i < NSAMPLES; i++) {
		const uint8_t *p = buf;
		size_t n;
		int len = rbs_frame_encode(&sample[i], buf, sizeof(buf));

		ck_assert_int_gt(len, RBS_FRAME_HDR);
		ck_assert_int_eq(len, rbs_frame_size(&sample[i]));
		n = (size_t)len;
		ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
		ck_assert_uint_eq(n, 0);
		ck_assert_ptr_eq(p, buf + len);
		assert_frame_eq(&sample[i], f);
		rbs_dec_release(&d, f);
	}
	rbs_dec_free(&d);
}
END_TEST

START_TEST(the_wire_format_is_a_big_endian_length_then_the_packed_frame)
{
	/* RbsFrame field 3 (ack), length-delimited: tag 0x1a, length 2;
	 * RbsAck field 1 varint: tag 0x08, value 5 */
	static const uint8_t want[] = {0, 0, 0, 4, 0x1a, 0x02, 0x08, 0x05};
	Db__RbsAck a = DB__RBS_ACK__INIT;
	Db__RbsFrame fr = DB__RBS_FRAME__INIT;
	uint8_t buf[16];
	struct rbs_dec d;
	Db__RbsFrame *f;
	const uint8_t *p = want;
	size_t n = sizeof(want);

	a.seq = 5;
	fr.body_case = DB__RBS_FRAME__BODY_ACK;
	fr.ack = &a;
	ck_assert_int_eq(rbs_frame_encode(&fr, buf, sizeof(buf)), sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));

	rbs_dec_init(&d);
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	ck_assert_int_eq(f->body_case, DB__RBS_FRAME__BODY_ACK);
	ck_assert_uint_eq(f->ack->seq, 5);
	rbs_dec_release(&d, f);
	rbs_dec_free(&d);
}
END_TEST

START_TEST(encode_says_enospc_when_the_buffer_is_one_byte_short)
{
	uint8_t buf[4096], copy[4096];
	int i, n;

	for (i = 0; i < NSAMPLES; i++) {
		n = rbs_frame_size(&sample[i]);
		ck_assert_int_gt(n, 0);
		memset(buf, 0xa5, sizeof(buf));
		memcpy(copy, buf, sizeof(buf));
		ck_assert_int_eq(rbs_frame_encode(&sample[i], buf, (size_t)n - 1), -ENOSPC);
		ck_assert_mem_eq(buf, copy, sizeof(buf));
		ck_assert_int_eq(rbs_frame_encode(&sample[i], buf, (size_t)n), n);
	}
}
END_TEST

START_TEST(one_byte_at_a_time_gives_every_frame)
{
	static uint8_t buf[8192];
	size_t one = 1, len = encode_samples(buf, sizeof(buf), NULL);

	ck_assert_int_eq(feed_and_check(buf, len, &one, 1), NSAMPLES);
}
END_TEST

START_TEST(several_frames_in_one_chunk_come_out_one_by_one)
{
	static uint8_t buf[8192];
	size_t ends[NSAMPLES], len = encode_samples(buf, sizeof(buf), ends);
	struct rbs_dec d;
	Db__RbsFrame *f;
	const uint8_t *p = buf;
	size_t n = len;
	int i;

	rbs_dec_init(&d);
	for (i = 0; i < NSAMPLES; i++) {
		ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
		/* exactly one frame consumed per call */
		ck_assert_ptr_eq(p, buf + ends[i]);
		ck_assert_uint_eq(n, len - ends[i]);
		assert_frame_eq(&sample[i], f);
		rbs_dec_release(&d, f);
	}
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 0);
	ck_assert_ptr_null(f);
	rbs_dec_free(&d);
}
END_TEST

START_TEST(a_stream_split_at_every_byte_position_gives_the_same_frames)
{
	static uint8_t buf[8192];
	size_t len = encode_samples(buf, sizeof(buf), NULL), cut;

	for (cut = 1; cut < len; cut++) {
		size_t cuts[2] = {cut, len};

		ck_assert_int_eq(feed_and_check(buf, len, cuts, 2), NSAMPLES);
	}
}
END_TEST

START_TEST(odd_chunk_sizes_give_the_same_frames)
{
	static uint8_t buf[8192];
	size_t len = encode_samples(buf, sizeof(buf), NULL), c;

	for (c = 2; c < 64; c++)
		ck_assert_int_eq(feed_and_check(buf, len, &c, 1), NSAMPLES);
}
END_TEST

START_TEST(a_decoded_frame_does_not_point_into_the_input)
{
	static uint8_t buf[4096];
	struct rbs_dec d;
	Db__RbsFrame *f;
	const uint8_t *p = buf;
	size_t n;
	int len = rbs_frame_encode(&sample[1], buf, sizeof(buf));

	ck_assert_int_gt(len, 0);
	n = (size_t)len;
	rbs_dec_init(&d);
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	memset(buf, 0, sizeof(buf)); /* the connection reuses its read buffer */
	assert_frame_eq(&sample[1], f);
	rbs_dec_release(&d, f);
	rbs_dec_free(&d);
}
END_TEST

/* Feeds bytes to d and expects it to stop with reason why. */
static void expect_refused(struct rbs_dec *d, const uint8_t *bytes, size_t len,
			   enum rbs_frame_err why)
{
	Db__RbsFrame *f = (Db__RbsFrame *)1;
	const uint8_t *p = bytes;
	size_t n = len;
	int rc;

	while ((rc = rbs_dec_next(d, &p, &n, &f)) > 0)
		rbs_dec_release(d, f);
	ck_assert_msg(rc == -EBADMSG, "rc %d, want -EBADMSG (%s)", rc, rbs_frame_err_str(why));
	ck_assert_ptr_null(f);
	ck_assert_msg(rbs_dec_error(d) == why, "error '%s', want '%s'",
		      rbs_frame_err_str(rbs_dec_error(d)), rbs_frame_err_str(why));
}

/* A fresh decoder fed with one frame of the given body bytes. */
static void expect_body_refused(const uint8_t *body, size_t blen, enum rbs_frame_err why)
{
	uint8_t buf[256];
	struct rbs_dec d;

	ck_assert_uint_le(blen + 4, sizeof(buf));
	buf[0] = 0;
	buf[1] = 0;
	buf[2] = (uint8_t)(blen >> 8);
	buf[3] = (uint8_t)blen;
	memcpy(buf + 4, body, blen);
	rbs_dec_init(&d);
	expect_refused(&d, buf, blen + 4, why);
	rbs_dec_free(&d);
}

START_TEST(length_0_is_refused)
{
	static const uint8_t b[] = {0, 0, 0, 0, 0x1a, 0x02, 0x08, 0x05};
	struct rbs_dec d;

	rbs_dec_init(&d);
	expect_refused(&d, b, sizeof(b), RBS_FRAME_ERR_LEN_ZERO);
	rbs_dec_free(&d);
}
END_TEST

START_TEST(a_length_over_the_maximum_is_refused_before_its_body_arrives)
{
	uint8_t b[4];
	uint32_t len = RBS_FRAME_MAX + 1;
	struct rbs_dec d;

	b[0] = (uint8_t)(len >> 24);
	b[1] = (uint8_t)(len >> 16);
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	rbs_dec_init(&d);
	expect_refused(&d, b, 4, RBS_FRAME_ERR_TOO_BIG);
	rbs_dec_free(&d);

	memset(b, 0xff, sizeof(b));
	rbs_dec_init(&d);
	expect_refused(&d, b, 4, RBS_FRAME_ERR_TOO_BIG);
	rbs_dec_free(&d);
}
END_TEST

/* Sizes the payload of e, the only entry of fr, so that fr packs to
 * exactly want bytes. */
static int tune_payload(const Db__RbsFrame *fr, Db__RbsEntry *e, size_t want)
{
	size_t plen = want - 16;
	int i;

	for (i = 0; i < 8; i++) {
		size_t got;

		e->payload.len = plen;
		got = db__rbs_frame__get_packed_size(fr);
		if (got == want)
			return 0;
		plen += want - got; /* converges: only varint widths move */
	}
	return -1;
}

START_TEST(a_frame_of_exactly_the_maximum_length_is_accepted)
{
	static uint8_t payload[RBS_FRAME_MAX], buf[RBS_FRAME_HDR + RBS_FRAME_MAX + 1];
	Db__RbsEntry e = DB__RBS_ENTRY__INIT, *pe = &e;
	Db__RbsEntries es = DB__RBS_ENTRIES__INIT;
	Db__RbsFrame fr = DB__RBS_FRAME__INIT, *f;
	struct rbs_dec d;
	const uint8_t *p = buf;
	size_t n;

	e.op = DB__RBS_OP__RBS_OP_ADD;
	e.key = (ProtobufCBinaryData){sizeof(mac1), mac1};
	e.payload.data = payload;
	es.first_seq = 1;
	es.n_entries = 1;
	es.entries = &pe;
	fr.body_case = DB__RBS_FRAME__BODY_ENTRIES;
	fr.entries = &es;
	ck_assert_int_eq(tune_payload(&fr, &e, RBS_FRAME_MAX), 0);
	ck_assert_int_eq(rbs_frame_encode(&fr, buf, sizeof(buf)), RBS_FRAME_HDR + RBS_FRAME_MAX);

	/* through the split path, then the in-place path */
	rbs_dec_init(&d);
	n = 1000;
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 0);
	ck_assert_uint_eq(rbs_dec_pending(&d), 1000);
	n = RBS_FRAME_HDR + RBS_FRAME_MAX - 1000;
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	assert_frame_eq(&fr, f);
	rbs_dec_release(&d, f);
	p = buf;
	n = RBS_FRAME_HDR + RBS_FRAME_MAX;
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	assert_frame_eq(&fr, f);
	rbs_dec_release(&d, f);
	rbs_dec_free(&d);

	/* one byte more: the encoder refuses it */
	ck_assert_int_eq(tune_payload(&fr, &e, RBS_FRAME_MAX + 1), 0);
	ck_assert_int_eq(rbs_frame_size(&fr), -EMSGSIZE);
	ck_assert_int_eq(rbs_frame_encode(&fr, buf, sizeof(buf)), -EMSGSIZE);
}
END_TEST

START_TEST(the_largest_entry_always_fits_in_a_frame)
{
	static uint8_t bytes[RBS_ENTRY_MAX];
	Db__RbsEntry e = DB__RBS_ENTRY__INIT, *pe = &e;
	Db__RbsEntries es = DB__RBS_ENTRIES__INIT;
	Db__RbsFrame fr = DB__RBS_FRAME__INIT;
	size_t klens[] = {
	    1, 127, 128, 16383, 16384, RBS_ENTRY_MAX / 2, RBS_ENTRY_MAX - 1, RBS_ENTRY_MAX};
	size_t i;

	/* every number at its widest varint */
	e.op = DB__RBS_OP__RBS_OP_DELETE;
	e.type = DB__RBS_SERVICE_TYPE__RBS_SVC_IPSEC;
	e.version = UINT64_MAX;
	es.first_seq = UINT64_MAX;
	es.n_entries = 1;
	es.entries = &pe;
	fr.body_case = DB__RBS_FRAME__BODY_ENTRIES;
	fr.entries = &es;
	for (i = 0; i < sizeof(klens) / sizeof(klens[0]); i++) {
		e.key = (ProtobufCBinaryData){klens[i], bytes};
		e.payload = (ProtobufCBinaryData){RBS_ENTRY_MAX - klens[i], bytes};
		ck_assert_int_le(rbs_frame_size(&fr), RBS_FRAME_HDR + RBS_FRAME_MAX);
		ck_assert_int_gt(rbs_frame_size(&fr), 0);
	}
}
END_TEST

START_TEST(a_truncated_frame_followed_by_garbage_does_not_unpack)
{
	static uint8_t buf[4096];
	struct rbs_dec d;
	int len = rbs_frame_encode(&sample[0], buf, sizeof(buf));

	ck_assert_int_gt(len, 20);
	/* the sender died after 20 bytes; what follows is another stream */
	memset(buf + 20, 0xff, (size_t)len - 20);
	rbs_dec_init(&d);
	expect_refused(&d, buf, (size_t)len, RBS_FRAME_ERR_UNPACK);
	rbs_dec_free(&d);
}
END_TEST

START_TEST(protobuf_garbage_does_not_unpack)
{
	static const uint8_t ff[] = {0xff, 0xff, 0xff, 0xff};
	/* hello (field 1) as a varint: the wrong wire type */
	static const uint8_t wiretype[] = {0x08, 0x01};
	/* entries whose length runs past the frame */
	static const uint8_t overrun[] = {0x12, 0x10, 0x08, 0x01};
	/* a varint that never ends */
	static const uint8_t varint[] = {0x1a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff,
					 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	/* field number 0 (tag 0x05 written as 0x85 0x00, fixed32), which
	 * protobuf-c unpacks but would not read back once packed again: in
	 * the frame, in a body, in an entry, in a profile */
	static const uint8_t zero_frame[] = {0x1a, 0x02, 0x08, 0x05, 0x85, 0x00, 1, 2, 3, 4};
	static const uint8_t zero_body[] = {0x1a, 0x08, 0x08, 0x05, 0x85, 0x00, 1, 2, 3, 4};
	static const uint8_t zero_entry[] = {0x12, 0x0f, 0x08, 0x01, 0x12, 0x0b, 0x08, 0x01, 0x1a,
					     0x01, 0xaa, 0x85, 0x00, 1,	   2,	 3,    4};
	static const uint8_t zero_profile[] = {0x0a, 0x11, 0x11, 1,    0,    0, 0, 0, 0, 0,
					       0,    0x42, 0x06, 0x85, 0x00, 1, 2, 3, 4};
	/* ... in a compare (level 0, one digest), in a key of a summary
	 * (leaves [5], key{key aa}) */
	static const uint8_t zero_compare[] = {0x42, 0x10, 0x2a, 0x08, 1,    2, 3, 4, 5,
					       6,    7,	   8,	 0x85, 0x00, 1, 2, 3, 4};
	static const uint8_t zero_skey[] = {0x4a, 0x0e, 0x1a, 0x01, 0x05, 0x22, 0x09, 0x0a,
					    0x01, 0xaa, 0x85, 0x00, 1,	  2,	3,    4};

	expect_body_refused(ff, sizeof(ff), RBS_FRAME_ERR_UNPACK);
	expect_body_refused(zero_frame, sizeof(zero_frame), RBS_FRAME_ERR_UNPACK);
	expect_body_refused(zero_body, sizeof(zero_body), RBS_FRAME_ERR_UNPACK);
	expect_body_refused(zero_entry, sizeof(zero_entry), RBS_FRAME_ERR_UNPACK);
	expect_body_refused(zero_profile, sizeof(zero_profile), RBS_FRAME_ERR_UNPACK);
	expect_body_refused(zero_compare, sizeof(zero_compare), RBS_FRAME_ERR_UNPACK);
	expect_body_refused(zero_skey, sizeof(zero_skey), RBS_FRAME_ERR_UNPACK);
	expect_body_refused(wiretype, sizeof(wiretype), RBS_FRAME_ERR_UNPACK);
	expect_body_refused(overrun, sizeof(overrun), RBS_FRAME_ERR_UNPACK);
	expect_body_refused(varint, sizeof(varint), RBS_FRAME_ERR_UNPACK);
}
END_TEST

START_TEST(a_frame_with_an_unknown_body_is_refused)
{
	/* field 15 (a later version's body), varint 1 */
	static const uint8_t later[] = {0x78, 0x01};
	/* field 10 (the first after summary), length-delimited, empty */
	static const uint8_t later10[] = {0x52, 0x00};

	expect_body_refused(later, sizeof(later), RBS_FRAME_ERR_UNKNOWN_BODY);
	expect_body_refused(later10, sizeof(later10), RBS_FRAME_ERR_UNKNOWN_BODY);
}
END_TEST

START_TEST(an_unknown_field_inside_a_known_body_is_ignored)
{
	/* ack{seq 5, field 9 varint 1}: a later version's extra field */
	static const uint8_t b[] = {0, 0, 0, 6, 0x1a, 0x04, 0x08, 0x05, 0x48, 0x01};
	struct rbs_dec d;
	Db__RbsFrame *f;
	const uint8_t *p = b;
	size_t n = sizeof(b);

	rbs_dec_init(&d);
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	ck_assert_uint_eq(f->ack->seq, 5);
	rbs_dec_release(&d, f);
	rbs_dec_free(&d);
}
END_TEST

START_TEST(empty_bodies_are_refused_where_they_mean_nothing)
{
	static const uint8_t hello0[] = {0x0a, 0x00};
	static const uint8_t entries0[] = {0x12, 0x00};
	static const uint8_t begin0[] = {0x2a, 0x00};
	static const uint8_t end0[] = {0x32, 0x00};
	static const uint8_t request0[] = {0x3a, 0x00};
	/* compare level 0 without its digest; summary without leaves */
	static const uint8_t compare0[] = {0x42, 0x00};
	static const uint8_t summary0[] = {0x4a, 0x00};
	/* an empty ack (seq 0) or keepalive is meaningful */
	static const uint8_t b[] = {0, 0, 0, 2, 0x1a, 0x00, 0, 0, 0, 2, 0x22, 0x00};
	Db__RbsFrame empty = DB__RBS_FRAME__INIT;
	struct rbs_dec d;
	Db__RbsFrame *f;
	const uint8_t *p = b;
	size_t n = sizeof(b);

	expect_body_refused(hello0, sizeof(hello0), RBS_FRAME_ERR_HELLO_SESSION);
	expect_body_refused(entries0, sizeof(entries0), RBS_FRAME_ERR_NO_ENTRIES);
	expect_body_refused(begin0, sizeof(begin0), RBS_FRAME_ERR_BATCH_TYPES);
	expect_body_refused(end0, sizeof(end0), RBS_FRAME_ERR_BATCH_TYPES);
	expect_body_refused(request0, sizeof(request0), RBS_FRAME_ERR_BATCH_TYPES);
	expect_body_refused(compare0, sizeof(compare0), RBS_FRAME_ERR_AE_DIGESTS);
	expect_body_refused(summary0, sizeof(summary0), RBS_FRAME_ERR_AE_LEAVES);

	rbs_dec_init(&d);
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	ck_assert_uint_eq(f->ack->seq, 0);
	rbs_dec_release(&d, f);
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	ck_assert_int_eq(f->body_case, DB__RBS_FRAME__BODY_KEEPALIVE);
	rbs_dec_release(&d, f);
	rbs_dec_free(&d);

	/* a frame with no body at all cannot be sent (its length would be 0) */
	ck_assert_int_eq(rbs_frame_check(&empty), RBS_FRAME_ERR_NO_BODY);
	ck_assert_int_eq(rbs_frame_size(&empty), -EINVAL);
}
END_TEST

START_TEST(bad_entries_are_refused_with_their_reason)
{
	/* entries{first_seq, entry{op, type, key}} built by hand */
	static const uint8_t seq0[] = {0x12, 0x09, 0x08, 0x00, 0x12, 0x05,
				       0x08, 0x01, 0x1a, 0x01, 0xaa};
	static const uint8_t op0[] = {0x12, 0x07, 0x08, 0x01, 0x12, 0x03, 0x1a, 0x01, 0xaa};
	static const uint8_t op3[] = {0x12, 0x09, 0x08, 0x01, 0x12, 0x05,
				      0x08, 0x03, 0x1a, 0x01, 0xaa};
	static const uint8_t type7[] = {0x12, 0x0b, 0x08, 0x01, 0x12, 0x07, 0x08,
					0x01, 0x10, 0x07, 0x1a, 0x01, 0xaa};
	static const uint8_t nokey[] = {0x12, 0x06, 0x08, 0x01, 0x12, 0x02, 0x08, 0x02};
	/* first_seq 2^64 - 1 with two entries: the second would be 2^64 */
	static const uint8_t wrap[] = {0x12, 0x19, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0x01, 0x12, 0x05, 0x08, 0x01, 0x1a,
				       0x01, 0xaa, 0x12, 0x05, 0x08, 0x01, 0x1a, 0x01, 0xbb};
	/* the same with one entry is fine: seq 2^64 - 1 exists */
	static const uint8_t last[] = {0,    0,	   0,	 0x14, 0x12, 0x12, 0x08, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0x01, 0x12, 0x05, 0x08, 0x01, 0x1a, 0x01, 0xaa};
	struct rbs_dec d;
	Db__RbsFrame *f;
	const uint8_t *p = last;
	size_t n = sizeof(last);

	expect_body_refused(seq0, sizeof(seq0), RBS_FRAME_ERR_SEQ);
	expect_body_refused(op0, sizeof(op0), RBS_FRAME_ERR_ENTRY_OP);
	expect_body_refused(op3, sizeof(op3), RBS_FRAME_ERR_ENTRY_OP);
	expect_body_refused(type7, sizeof(type7), RBS_FRAME_ERR_ENTRY_TYPE);
	expect_body_refused(nokey, sizeof(nokey), RBS_FRAME_ERR_ENTRY_KEY);
	expect_body_refused(wrap, sizeof(wrap), RBS_FRAME_ERR_SEQ);

	rbs_dec_init(&d);
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	ck_assert_uint_eq(f->entries->first_seq, UINT64_MAX);
	ck_assert_uint_eq(f->entries->n_entries, 1);
	rbs_dec_release(&d, f);
	rbs_dec_free(&d);
}
END_TEST

START_TEST(bad_hellos_and_batches_are_refused_with_their_reason)
{
	/* hello{session fixed64 = 1, tx_acked 5, tx_sent 4} */
	static const uint8_t acked[] = {0x0a, 0x0d, 0x11, 1,	0,    0,    0,	 0,
					0,    0,    0,	  0x28, 0x05, 0x30, 0x04};
	/* batch_begin{types [7]}, {types [1, 1]} (packed) */
	static const uint8_t unknown[] = {0x2a, 0x03, 0x0a, 0x01, 0x07};
	static const uint8_t twice[] = {0x2a, 0x04, 0x0a, 0x02, 0x01, 0x01};
	/* batch_request{types [6, 7]} */
	static const uint8_t request7[] = {0x3a, 0x04, 0x0a, 0x02, 0x06, 0x07};
	/* batch_end{types [-1]}: a negative enum is a 10-byte varint */
	static const uint8_t neg[] = {0x32, 0x0c, 0x0a, 0x0a, 0xff, 0xff, 0xff,
				      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};

	expect_body_refused(acked, sizeof(acked), RBS_FRAME_ERR_HELLO_SEQ);
	expect_body_refused(unknown, sizeof(unknown), RBS_FRAME_ERR_BATCH_TYPES);
	expect_body_refused(twice, sizeof(twice), RBS_FRAME_ERR_BATCH_TYPES);
	expect_body_refused(request7, sizeof(request7), RBS_FRAME_ERR_BATCH_TYPES);
	expect_body_refused(neg, sizeof(neg), RBS_FRAME_ERR_BATCH_TYPES);
}
END_TEST

/* Roles in a keepalive (split-brain detection): they cross the wire, and
 * what no configuration can hold is refused, so a hostile peer cannot make
 * rbpd keep unbounded or odd roles. */
START_TEST(keepalive_roles_cross_and_bad_ones_are_refused)
{
	static uint8_t buf[64 * 1024];
	static Db__RbsRole many[RBS_ROLES_MAX + 1], *pmany[RBS_ROLES_MAX + 1];
	Db__RbsFrame fr = DB__RBS_FRAME__INIT, *f;
	Db__RbsKeepalive k = DB__RBS_KEEPALIVE__INIT;
	Db__RbsRoles r = DB__RBS_ROLES__INIT;
	Db__RbsRole one = DB__RBS_ROLE__INIT, two = DB__RBS_ROLE__INIT, *p2[] = {&one, &two};
	struct rbs_dec d;
	const uint8_t *p = buf;
	size_t n;
	int len;

	one.backup_id = 10, one.vrid = 1, one.ifname = "eth1", one.master = true;
	two.backup_id = 10, two.vrid = 255, two.ifname = "0123456789abcde"; /* 15: fits */
	r.roles = p2;
	r.n_roles = 2;
	k.roles = &r;
	fr.body_case = DB__RBS_FRAME__BODY_KEEPALIVE;
	fr.keepalive = &k;
	len = rbs_frame_encode(&fr, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	rbs_dec_init(&d);
	n = (size_t)len;
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	ck_assert_ptr_nonnull(f->keepalive->roles);
	ck_assert_uint_eq(f->keepalive->roles->n_roles, 2);
	ck_assert_uint_eq(f->keepalive->roles->roles[0]->backup_id, 10);
	ck_assert(f->keepalive->roles->roles[0]->master);
	ck_assert_str_eq(f->keepalive->roles->roles[1]->ifname, "0123456789abcde");
	rbs_dec_release(&d, f);
	rbs_dec_free(&d);

	/* a keepalive without roles (an older peer) is still fine */
	k.roles = NULL;
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_OK);
	k.roles = &r;

	two.vrid = 0;
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_ERR_ROLES);
	two.vrid = 256;
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_ERR_ROLES);
	ck_assert_int_eq(rbs_frame_encode(&fr, buf, sizeof(buf)), -EINVAL);
	two.vrid = 2;
	two.ifname = "0123456789abcdef"; /* 16: no interface is named so */
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_ERR_ROLES);
	two.ifname = "eth2";
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_OK);

	for (size_t i = 0; i <= RBS_ROLES_MAX; i++) {
		db__rbs_role__init(&many[i]);
		many[i].vrid = 1;
		many[i].ifname = "eth1";
		pmany[i] = &many[i];
	}
	r.roles = pmany;
	r.n_roles = RBS_ROLES_MAX;
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_OK);
	r.n_roles = RBS_ROLES_MAX + 1;
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_ERR_ROLES);
}
END_TEST

START_TEST(the_encoder_refuses_what_the_decoder_refuses)
{
	uint8_t buf[4096];
	Db__RbsFrame fr = DB__RBS_FRAME__INIT;
	Db__RbsEntry bad = DB__RBS_ENTRY__INIT, *pbad = &bad;
	Db__RbsEntries es = DB__RBS_ENTRIES__INIT;
	Db__RbsServiceType seven = (Db__RbsServiceType)7;
	Db__RbsHello h = hello;

	ck_assert_int_eq(rbs_frame_encode(&fr, buf, sizeof(buf)), -EINVAL);

	fr.body_case = DB__RBS_FRAME__BODY_ENTRIES;
	fr.entries = &es;
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_ERR_NO_ENTRIES);
	ck_assert_int_eq(rbs_frame_encode(&fr, buf, sizeof(buf)), -EINVAL);
	es.n_entries = 1;
	es.entries = &pbad;
	es.first_seq = 1;
	bad.key = (ProtobufCBinaryData){sizeof(mac1), mac1};
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_ERR_ENTRY_OP);
	ck_assert_int_eq(rbs_frame_encode(&fr, buf, sizeof(buf)), -EINVAL);
	bad.op = DB__RBS_OP__RBS_OP_ADD;
	ck_assert_int_gt(rbs_frame_encode(&fr, buf, sizeof(buf)), 0);
	es.first_seq = 0;
	ck_assert_int_eq(rbs_frame_encode(&fr, buf, sizeof(buf)), -EINVAL);

	fr.body_case = DB__RBS_FRAME__BODY_BATCH_BEGIN;
	fr.batch_begin = &batch_begin;
	batch_begin.types = &seven;
	batch_begin.n_types = 1;
	ck_assert_int_eq(rbs_frame_encode(&fr, buf, sizeof(buf)), -EINVAL);

	fr.body_case = DB__RBS_FRAME__BODY_HELLO;
	fr.hello = &h;
	h.session = 0;
	ck_assert_int_eq(rbs_frame_encode(&fr, buf, sizeof(buf)), -EINVAL);
}
END_TEST

START_TEST(after_an_error_nothing_more_is_consumed_until_reset)
{
	static uint8_t buf[4096];
	static const uint8_t zero[] = {0, 0, 0, 0};
	struct rbs_dec d;
	Db__RbsFrame *f;
	const uint8_t *p;
	size_t n;
	int len = rbs_frame_encode(&sample[2], buf, sizeof(buf));

	rbs_dec_init(&d);
	expect_refused(&d, zero, sizeof(zero), RBS_FRAME_ERR_LEN_ZERO);
	/* a perfectly good frame is refused, and left in the input */
	p = buf;
	n = (size_t)len;
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), -EBADMSG);
	ck_assert_ptr_eq(p, buf);
	ck_assert_uint_eq(n, (size_t)len);
	ck_assert_int_eq(rbs_dec_error(&d), RBS_FRAME_ERR_LEN_ZERO);

	/* a new connection */
	rbs_dec_reset(&d);
	ck_assert_int_eq(rbs_dec_error(&d), RBS_FRAME_OK);
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	assert_frame_eq(&sample[2], f);
	rbs_dec_release(&d, f);
	rbs_dec_free(&d);
}
END_TEST

START_TEST(reset_forgets_a_partial_frame)
{
	static uint8_t buf[4096];
	struct rbs_dec d;
	Db__RbsFrame *f;
	const uint8_t *p = buf;
	size_t n = 7;
	int len = rbs_frame_encode(&sample[0], buf, sizeof(buf));

	rbs_dec_init(&d);
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 0);
	ck_assert_uint_eq(rbs_dec_pending(&d), 7);
	rbs_dec_reset(&d);
	ck_assert_uint_eq(rbs_dec_pending(&d), 0);
	p = buf;
	n = (size_t)len;
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	assert_frame_eq(&sample[0], f);
	rbs_dec_release(&d, f);
	rbs_dec_free(&d);
}
END_TEST

START_TEST(a_frame_not_released_blocks_the_next_one)
{
	static uint8_t buf[8192];
	size_t len = encode_samples(buf, sizeof(buf), NULL);
	struct rbs_dec d;
	Db__RbsFrame *f, *g;
	const uint8_t *p = buf, *q;
	size_t n = len, m;

	rbs_dec_init(&d);
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	q = p;
	m = n;
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &g), -EBUSY);
	ck_assert_ptr_eq(p, q);
	ck_assert_uint_eq(n, m);
	/* a pointer that is not the frame given out changes nothing */
	rbs_dec_release(&d, NULL);
	rbs_dec_release(&d, &sample[0]);
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &g), -EBUSY);
	rbs_dec_release(&d, f);
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &g), 1);
	assert_frame_eq(&sample[1], g);
	rbs_dec_release(&d, g);
	rbs_dec_free(&d);
}
END_TEST

START_TEST(many_frames_reuse_the_decoders_memory)
{
	static uint8_t buf[8192];
	size_t len = encode_samples(buf, sizeof(buf), NULL), c = 1000;
	int i;

	/* leaks would show under SAN=1 */
	for (i = 0; i < 200; i++)
		ck_assert_int_eq(feed_and_check(buf, len, &c, 1), NSAMPLES);
}
END_TEST

START_TEST(a_freed_decoder_can_be_used_again)
{
	static uint8_t buf[8192];
	size_t len = encode_samples(buf, sizeof(buf), NULL);
	struct rbs_dec d;
	Db__RbsFrame *f;
	const uint8_t *p = buf;
	size_t n = len - 1;

	rbs_dec_init(&d);
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	/* freed with a frame out and a partial frame held */
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), -EBUSY);
	rbs_dec_free(&d);
	ck_assert_uint_eq(rbs_dec_pending(&d), 0);
	p = buf;
	n = len;
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	assert_frame_eq(&sample[0], f);
	rbs_dec_release(&d, f);
	rbs_dec_free(&d);
}
END_TEST

START_TEST(a_large_entries_frame_round_trips)
{
	enum { N = 20000 };
	static Db__RbsEntry e[N], *pe[N];
	static uint8_t keys[N][6], payload[20];
	static uint8_t buf[RBS_FRAME_HDR + RBS_FRAME_MAX];
	Db__RbsEntries es = DB__RBS_ENTRIES__INIT;
	Db__RbsFrame fr = DB__RBS_FRAME__INIT, *f;
	struct rbs_dec d;
	const uint8_t *p;
	size_t n, c;
	int i, len;

	for (i = 0; i < N; i++) {
		db__rbs_entry__init(&e[i]);
		memcpy(keys[i], mac1, 6);
		keys[i][4] = (uint8_t)(i >> 8);
		keys[i][5] = (uint8_t)i;
		e[i].op = i % 3 ? DB__RBS_OP__RBS_OP_ADD : DB__RBS_OP__RBS_OP_DELETE;
		e[i].type = (Db__RbsServiceType)(i % RBS_SVC_COUNT);
		e[i].key = (ProtobufCBinaryData){6, keys[i]};
		e[i].payload = (ProtobufCBinaryData){(size_t)(i % 20), payload};
		e[i].version = (uint64_t)i * 1000003;
		payload[i % 20] = (uint8_t)i;
		pe[i] = &e[i];
	}
	es.first_seq = 1;
	es.n_entries = N;
	es.entries = pe;
	fr.body_case = DB__RBS_FRAME__BODY_ENTRIES;
	fr.entries = &es;
	len = rbs_frame_encode(&fr, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);

	rbs_dec_init(&d);
	/* several times: the arena is reused, in place and split */
	for (c = 16384; c <= (size_t)len; c *= 4) {
		size_t off = 0;
		int rc = 0;

		while (off < (size_t)len) {
			p = buf + off;
			n = c < (size_t)len - off ? c : (size_t)len - off;
			off += n;
			rc = rbs_dec_next(&d, &p, &n, &f);
			ck_assert_int_ge(rc, 0);
		}
		ck_assert_int_eq(rc, 1);
		assert_frame_eq(&fr, f);
		rbs_dec_release(&d, f);
	}
	p = buf;
	n = (size_t)len;
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	assert_frame_eq(&fr, f);
	rbs_dec_release(&d, f);
	rbs_dec_free(&d);
}
END_TEST

/* Encodes fr, decodes it again and compares field by field: what the
 * checker accepts crosses the wire whole. */
static void assert_crosses(const Db__RbsFrame *fr)
{
	static uint8_t buf[RBS_FRAME_HDR + RBS_FRAME_MAX];
	struct rbs_dec d;
	Db__RbsFrame *f;
	const uint8_t *p = buf;
	size_t n;
	int len;

	ck_assert_int_eq(rbs_frame_check(fr), RBS_FRAME_OK);
	len = rbs_frame_encode(fr, buf, sizeof(buf));
	ck_assert_int_gt(len, RBS_FRAME_HDR);
	n = (size_t)len;
	rbs_dec_init(&d);
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	ck_assert_uint_eq(n, 0);
	assert_frame_eq(fr, f);
	rbs_dec_release(&d, f);
	rbs_dec_free(&d);
}

/* Every level of a comparison, at its smallest and largest: level 2 of
 * every bucket (65536 digests) still fits in one frame. */
START_TEST(compares_of_every_level_cross)
{
	static uint64_t dig[AE_SLOTS];
	static uint32_t all[AE_BUCKETS];
	Db__RbsCompare c = DB__RBS_COMPARE__INIT;
	Db__RbsFrame fr = DB__RBS_FRAME__INIT;
	uint32_t last = AE_BUCKETS - 1;

	for (size_t i = 0; i < AE_SLOTS; i++)
		dig[i] = UINT64_MAX - i;
	for (uint32_t i = 0; i < AE_BUCKETS; i++)
		all[i] = AE_BUCKETS - 1 - i; /* any order */
	fr.body_case = DB__RBS_FRAME__BODY_COMPARE;
	fr.compare = &c;
	c.round = UINT64_MAX;
	c.type = DB__RBS_SERVICE_TYPE__RBS_SVC_IPSEC;
	c.digests = dig;

	c.level = 0;
	c.n_digests = 1;
	assert_crosses(&fr);
	c.type = DB__RBS_SERVICE_TYPE__RBS_SVC_ARP;
	c.round = 0;
	assert_crosses(&fr);

	c.level = 1;
	c.n_digests = AE_BUCKETS;
	assert_crosses(&fr);

	c.level = 2;
	c.buckets = &last;
	c.n_buckets = 1;
	c.n_digests = AE_LEAVES;
	assert_crosses(&fr);
	c.buckets = all;
	c.n_buckets = AE_BUCKETS;
	c.n_digests = AE_SLOTS;
	assert_crosses(&fr);
}
END_TEST

/* Each way a comparison can be malformed, by its reason, and the encoder
 * refuses it too. */
START_TEST(bad_compares_are_refused_with_their_reason)
{
	static uint64_t dig[AE_SLOTS + AE_LEAVES];
	static uint32_t many[AE_BUCKETS + 1];
	uint8_t buf[64];
	uint32_t b2[2] = {4, 9};
	Db__RbsCompare c = DB__RBS_COMPARE__INIT;
	Db__RbsFrame fr = DB__RBS_FRAME__INIT;

	fr.body_case = DB__RBS_FRAME__BODY_COMPARE;
	fr.compare = &c;
	c.digests = dig;
#define REFUSED(why)                                                                               \
	do {                                                                                       \
		ck_assert_str_eq(rbs_frame_err_str(rbs_frame_check(&fr)), rbs_frame_err_str(why)); \
		ck_assert_int_eq(rbs_frame_size(&fr), -EINVAL);                                    \
	} while (0)

	/* level 0: exactly one digest, no bucket */
	c.level = 0;
	c.n_digests = 1;
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_OK);
	c.type = (Db__RbsServiceType)RBS_SVC_COUNT;
	REFUSED(RBS_FRAME_ERR_AE_TYPE);
	c.type = (Db__RbsServiceType)-1;
	REFUSED(RBS_FRAME_ERR_AE_TYPE);
	c.type = DB__RBS_SERVICE_TYPE__RBS_SVC_ND;
	c.n_digests = 0;
	REFUSED(RBS_FRAME_ERR_AE_DIGESTS);
	c.n_digests = 2;
	REFUSED(RBS_FRAME_ERR_AE_DIGESTS);
	c.n_digests = 1;
	c.buckets = b2;
	c.n_buckets = 1;
	REFUSED(RBS_FRAME_ERR_AE_BUCKETS);

	/* level 1: exactly 256 digests, no bucket */
	c.level = 1;
	c.n_digests = AE_BUCKETS;
	REFUSED(RBS_FRAME_ERR_AE_BUCKETS);
	c.n_buckets = 0;
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_OK);
	c.n_digests = AE_BUCKETS - 1;
	REFUSED(RBS_FRAME_ERR_AE_DIGESTS);
	c.n_digests = AE_BUCKETS + 1;
	REFUSED(RBS_FRAME_ERR_AE_DIGESTS);
	c.n_digests = 1;
	REFUSED(RBS_FRAME_ERR_AE_DIGESTS);

	/* level 2: 1..256 distinct buckets under 256, 256 digests each */
	c.level = 2;
	c.n_digests = 2 * AE_LEAVES;
	REFUSED(RBS_FRAME_ERR_AE_BUCKETS); /* none */
	c.n_buckets = 2;
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_OK);
	c.n_digests = 2 * AE_LEAVES - 1;
	REFUSED(RBS_FRAME_ERR_AE_DIGESTS);
	c.n_digests = 2 * AE_LEAVES + 1;
	REFUSED(RBS_FRAME_ERR_AE_DIGESTS);
	c.n_digests = AE_LEAVES; /* as for one bucket */
	REFUSED(RBS_FRAME_ERR_AE_DIGESTS);
	c.n_digests = 2 * AE_LEAVES;
	b2[1] = AE_BUCKETS;
	REFUSED(RBS_FRAME_ERR_AE_BUCKETS);
	b2[1] = UINT32_MAX;
	REFUSED(RBS_FRAME_ERR_AE_BUCKETS);
	b2[1] = 4;
	REFUSED(RBS_FRAME_ERR_AE_BUCKETS); /* twice */
	b2[1] = AE_BUCKETS - 1;
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_OK);
	/* 257 buckets: one is repeated or over 255 anyway, but the count
	 * alone refuses it */
	for (uint32_t i = 0; i <= AE_BUCKETS; i++)
		many[i] = i;
	c.buckets = many;
	c.n_buckets = AE_BUCKETS + 1;
	c.n_digests = (size_t)AE_LEAVES * c.n_buckets;
	REFUSED(RBS_FRAME_ERR_AE_BUCKETS);
	c.n_buckets = AE_BUCKETS;
	c.n_digests = AE_SLOTS;
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_OK);

	/* any other level */
	c.level = 3;
	REFUSED(RBS_FRAME_ERR_AE_LEVEL);
	c.n_buckets = 0;
	c.n_digests = 1;
	REFUSED(RBS_FRAME_ERR_AE_LEVEL);
	c.level = UINT32_MAX;
	REFUSED(RBS_FRAME_ERR_AE_LEVEL);
	ck_assert_int_eq(rbs_frame_encode(&fr, buf, sizeof(buf)), -EINVAL);
#undef REFUSED
}
END_TEST

/* The same refusals reach the decoder: a peer sending them loses the
 * connection, with the reason in the log. */
START_TEST(a_bad_compare_from_the_peer_stops_the_decoder)
{
	/* compare{type 7, digests [1]} */
	static const uint8_t type7[] = {0x42, 0x0c, 0x10, 0x07, 0x2a, 0x08, 1, 0, 0, 0, 0, 0, 0, 0};
	/* compare{level 3, digests [1]} */
	static const uint8_t level3[] = {0x42, 0x0c, 0x18, 0x03, 0x2a, 0x08, 1,
					 0,    0,    0,	   0,	 0,    0,    0};
	/* compare{level 0, buckets [1], digests [1]} */
	static const uint8_t bucket0[] = {0x42, 0x0d, 0x22, 0x01, 0x01, 0x2a, 0x08, 1,
					  0,	0,    0,    0,	  0,	0,    0};
	/* compare{level 2, buckets [1, 1], digests []} */
	static const uint8_t twice[] = {0x42, 0x06, 0x18, 0x02, 0x22, 0x02, 0x01, 0x01};
	/* compare{level 1, digests [1]} */
	static const uint8_t short1[] = {0x42, 0x0c, 0x18, 0x01, 0x2a, 0x08, 1,
					 0,    0,    0,	   0,	 0,    0,    0};

	expect_body_refused(type7, sizeof(type7), RBS_FRAME_ERR_AE_TYPE);
	expect_body_refused(level3, sizeof(level3), RBS_FRAME_ERR_AE_LEVEL);
	expect_body_refused(bucket0, sizeof(bucket0), RBS_FRAME_ERR_AE_BUCKETS);
	expect_body_refused(twice, sizeof(twice), RBS_FRAME_ERR_AE_BUCKETS);
	expect_body_refused(short1, sizeof(short1), RBS_FRAME_ERR_AE_DIGESTS);
}
END_TEST

/* A summary names 1..65536 distinct leaves and keys as rbpd holds them. */
START_TEST(summaries_are_checked_leaf_by_leaf_and_key_by_key)
{
	static uint32_t leaves[AE_SLOTS + 1];
	static uint8_t kb[USER_KEY_MAX + 1];
	uint8_t buf[64];
	Db__RbsSummaryKey k = DB__RBS_SUMMARY_KEY__INIT, *pk = &k;
	Db__RbsSummary sm = DB__RBS_SUMMARY__INIT;
	Db__RbsFrame fr = DB__RBS_FRAME__INIT;

	memset(kb, 0x5a, sizeof(kb));
	for (uint32_t i = 0; i <= AE_SLOTS; i++)
		leaves[i] = (i * 40503u) % AE_SLOTS; /* a permutation, 40503 is odd */
	fr.body_case = DB__RBS_FRAME__BODY_SUMMARY;
	fr.summary = &sm;
	sm.type = DB__RBS_SERVICE_TYPE__RBS_SVC_DHCP_SERVER;
	sm.leaves = leaves;
	sm.n_leaves = 1;
	assert_crosses(&fr); /* one leaf, no key: the sender holds none there */
	sm.keys = &pk;
	sm.n_keys = 1;
	k.key = (ProtobufCBinaryData){1, kb};
	assert_crosses(&fr);
	k.key.len = USER_KEY_MAX;
	k.deleted = 1;
	k.version = 3;
	assert_crosses(&fr);
	sm.n_leaves = AE_SLOTS; /* every leaf of the type */
	assert_crosses(&fr);

#define REFUSED(why)                                                                               \
	do {                                                                                       \
		ck_assert_str_eq(rbs_frame_err_str(rbs_frame_check(&fr)), rbs_frame_err_str(why)); \
		ck_assert_int_eq(rbs_frame_size(&fr), -EINVAL);                                    \
	} while (0)
	k.key.len = USER_KEY_MAX + 1;
	REFUSED(RBS_FRAME_ERR_AE_KEY);
	k.key.len = 0;
	REFUSED(RBS_FRAME_ERR_AE_KEY);
	k.key.len = 6;
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_OK);

	sm.n_leaves = AE_SLOTS + 1; /* leaves[65536] repeats leaves[0] */
	REFUSED(RBS_FRAME_ERR_AE_LEAVES);
	sm.n_leaves = 0;
	REFUSED(RBS_FRAME_ERR_AE_LEAVES);
	sm.n_leaves = 3;
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_OK);
	leaves[2] = leaves[0];
	REFUSED(RBS_FRAME_ERR_AE_LEAVES);
	leaves[2] = AE_SLOTS;
	REFUSED(RBS_FRAME_ERR_AE_LEAVES);
	leaves[2] = UINT32_MAX;
	REFUSED(RBS_FRAME_ERR_AE_LEAVES);
	leaves[2] = AE_SLOTS - 1;
	ck_assert_int_eq(rbs_frame_check(&fr), RBS_FRAME_OK);

	sm.type = (Db__RbsServiceType)RBS_SVC_COUNT;
	REFUSED(RBS_FRAME_ERR_AE_TYPE);
	sm.type = (Db__RbsServiceType)-1;
	REFUSED(RBS_FRAME_ERR_AE_TYPE);
	ck_assert_int_eq(rbs_frame_encode(&fr, buf, sizeof(buf)), -EINVAL);
#undef REFUSED
}
END_TEST

/* The same through the decoder, with summaries built by hand. */
START_TEST(a_bad_summary_from_the_peer_stops_the_decoder)
{
	/* summary{leaves [65536]} (varint 0x80 0x80 0x04) */
	static const uint8_t leaf_big[] = {0x4a, 0x05, 0x1a, 0x03, 0x80, 0x80, 0x04};
	/* summary{leaves [7, 7]} */
	static const uint8_t leaf_twice[] = {0x4a, 0x04, 0x1a, 0x02, 0x07, 0x07};
	/* summary{type 9, leaves [7]} */
	static const uint8_t type9[] = {0x4a, 0x05, 0x10, 0x09, 0x1a, 0x01, 0x07};
	/* summary{leaves [7], keys [{version 1}]}: a key without its key */
	static const uint8_t nokey[] = {0x4a, 0x07, 0x1a, 0x01, 0x07, 0x22, 0x02, 0x10, 0x01};
	/* the same, with a key of 1 byte: fine */
	static const uint8_t ok[] = {0,	   0,	 0,    0x0c, 0x4a, 0x0a, 0x1a, 0x01,
				     0x07, 0x22, 0x05, 0x0a, 0x01, 0xaa, 0x10, 0x01};
	struct rbs_dec d;
	Db__RbsFrame *f;
	const uint8_t *p = ok;
	size_t n = sizeof(ok);

	expect_body_refused(leaf_big, sizeof(leaf_big), RBS_FRAME_ERR_AE_LEAVES);
	expect_body_refused(leaf_twice, sizeof(leaf_twice), RBS_FRAME_ERR_AE_LEAVES);
	expect_body_refused(type9, sizeof(type9), RBS_FRAME_ERR_AE_TYPE);
	expect_body_refused(nokey, sizeof(nokey), RBS_FRAME_ERR_AE_KEY);

	rbs_dec_init(&d);
	ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
	ck_assert_int_eq(f->body_case, DB__RBS_FRAME__BODY_SUMMARY);
	ck_assert_uint_eq(f->summary->n_leaves, 1);
	ck_assert_uint_eq(f->summary->leaves[0], 7);
	ck_assert_uint_eq(f->summary->n_keys, 1);
	ck_assert_uint_eq(f->summary->keys[0]->key.len, 1);
	ck_assert_uint_eq(f->summary->keys[0]->version, 1);
	rbs_dec_release(&d, f);
	rbs_dec_free(&d);
}
END_TEST

/* This build speaks version 2 and still talks to a peer of version 1,
 * whose HELLO looks the same; it refuses one of a version it does not
 * know (3), whose frames it could not read. */
START_TEST(a_version_1_peer_is_taken_and_a_version_3_one_refused)
{
	static uint8_t buf[4096];
	Db__RbsHello h = hello;
	Db__RbsFrame fr = DB__RBS_FRAME__INIT, *f;
	struct rbs_dec d;
	const uint8_t *p;
	size_t n;
	int len;

	ck_assert_uint_eq(RBS_PROTO_VERSION, 2);
	ck_assert_uint_eq(RBS_PROTO_MIN, 1);
	fr.body_case = DB__RBS_FRAME__BODY_HELLO;
	fr.hello = &h;
	rbs_dec_init(&d);
	for (uint32_t v = 0; v <= 4; v++) {
		h.version = v;
		len = rbs_frame_encode(&fr, buf, sizeof(buf));
		ck_assert_int_gt(len, 0);
		p = buf;
		n = (size_t)len;
		/* the framing takes any version: the channel decides */
		ck_assert_int_eq(rbs_dec_next(&d, &p, &n, &f), 1);
		ck_assert_uint_eq(f->hello->version, v);
		ck_assert_msg(rbs_frame_version_ok(f->hello->version) == (v == 1 || v == 2),
			      "version %u", v);
		rbs_dec_release(&d, f);
	}
	rbs_dec_free(&d);
	ck_assert(!rbs_frame_version_ok(UINT32_MAX));
}
END_TEST

/* The version spoken with a peer: a build of version 1 says 1 and nothing
 * else; this build says 1 (which such a peer requires) and its highest in
 * version_max; a later build's highest is capped at this one's. */
START_TEST(the_version_spoken_is_the_lower_of_the_two_highest)
{
	Db__RbsHello h = hello;

	h.version = 1;
	h.version_max = 0; /* a build of version 1 */
	ck_assert_uint_eq(rbs_frame_peer_version(&h), 1);
	h.version_max = 2; /* this build */
	ck_assert_uint_eq(rbs_frame_peer_version(&h), 2);
	h.version_max = 7; /* a later build */
	ck_assert_uint_eq(rbs_frame_peer_version(&h), RBS_PROTO_VERSION);
	h.version = 2; /* a build that says 2 outright */
	h.version_max = 0;
	ck_assert_uint_eq(rbs_frame_peer_version(&h), 2);
	ck_assert(rbs_frame_version_ok(RBS_PROTO_MIN));
}
END_TEST

/* What a peer of each version may be sent: everything of version 1 to
 * all, Compare and Summary only to version 2 and later (an older peer
 * would close the connection on an unknown body). */
START_TEST(compare_and_summary_are_for_version_2_peers_only)
{
	Db__RbsFrame empty = DB__RBS_FRAME__INIT;

	for (int i = 0; i < NSAMPLES; i++) {
		bool ae = sample[i].body_case == DB__RBS_FRAME__BODY_COMPARE ||
			  sample[i].body_case == DB__RBS_FRAME__BODY_SUMMARY;
		uint32_t v = rbs_frame_body_version(&sample[i]);

		ck_assert_uint_eq(v, ae ? 2 : 1);
		/* a version-1 peer gets it or not; this build's own always */
		ck_assert_int_eq(v <= 1, !ae);
		ck_assert_uint_le(v, RBS_PROTO_VERSION);
		ck_assert_uint_ge(v, RBS_PROTO_MIN);
	}
	ck_assert_uint_eq(rbs_frame_body_version(&empty), 0);
}
END_TEST

START_TEST(service_type_words_are_the_specs)
{
	static const char *words[RBS_SVC_COUNT] = {"arp",  "nd",   "dhcp-server", "dhcpv6-relay",
						   "bras", "l2tp", "ipsec"};
	Db__RbsServiceType t[RBS_SVC_COUNT];
	int i;

	for (i = 0; i < RBS_SVC_COUNT; i++) {
		ck_assert_str_eq(rbs_svc_str((unsigned)i), words[i]);
		ck_assert_int_eq(rbs_svc_parse(words[i], t), 1);
		ck_assert_int_eq(t[0], i);
	}
	ck_assert_int_eq(rbs_svc_parse("all", t), RBS_SVC_COUNT);
	for (i = 0; i < RBS_SVC_COUNT; i++)
		ck_assert_int_eq(t[i], i);
	ck_assert_int_eq(rbs_svc_parse("ARP", t), -EINVAL);
	ck_assert_int_eq(rbs_svc_parse("", t), -EINVAL);
	ck_assert_str_eq(rbs_svc_str(RBS_SVC_COUNT), "unknown");
	ck_assert_int_eq(DB__RBS_SERVICE_TYPE__RBS_SVC_IPSEC, RBS_SVC_COUNT - 1);
}
END_TEST

START_TEST(every_refusal_has_its_own_log_text)
{
	int a, b;

	ck_assert_str_eq(rbs_frame_err_str(RBS_FRAME_ERR_TOO_BIG), "length over the maximum");
	for (a = 0; a < RBS_FRAME_ERR__MAX; a++) {
		ck_assert_ptr_nonnull(rbs_frame_err_str((enum rbs_frame_err)a));
		ck_assert_str_ne(rbs_frame_err_str((enum rbs_frame_err)a), "unknown");
		for (b = 0; b < a; b++)
			ck_assert_str_ne(rbs_frame_err_str((enum rbs_frame_err)a),
					 rbs_frame_err_str((enum rbs_frame_err)b));
	}
	ck_assert_str_eq(rbs_frame_err_str(RBS_FRAME_ERR__MAX), "unknown");
	ck_assert_str_eq(rbs_frame_err_str((enum rbs_frame_err) - 1), "unknown");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    every_body_round_trips_with_every_field,
	    the_wire_format_is_a_big_endian_length_then_the_packed_frame,
	    encode_says_enospc_when_the_buffer_is_one_byte_short,
	    one_byte_at_a_time_gives_every_frame,
	    several_frames_in_one_chunk_come_out_one_by_one,
	    a_stream_split_at_every_byte_position_gives_the_same_frames,
	    odd_chunk_sizes_give_the_same_frames,
	    a_decoded_frame_does_not_point_into_the_input,
	    length_0_is_refused,
	    a_length_over_the_maximum_is_refused_before_its_body_arrives,
	    a_frame_of_exactly_the_maximum_length_is_accepted,
	    the_largest_entry_always_fits_in_a_frame,
	    a_truncated_frame_followed_by_garbage_does_not_unpack,
	    protobuf_garbage_does_not_unpack,
	    a_frame_with_an_unknown_body_is_refused,
	    an_unknown_field_inside_a_known_body_is_ignored,
	    empty_bodies_are_refused_where_they_mean_nothing,
	    bad_entries_are_refused_with_their_reason,
	    bad_hellos_and_batches_are_refused_with_their_reason,
	    keepalive_roles_cross_and_bad_ones_are_refused,
	    the_encoder_refuses_what_the_decoder_refuses,
	    after_an_error_nothing_more_is_consumed_until_reset,
	    reset_forgets_a_partial_frame,
	    a_frame_not_released_blocks_the_next_one,
	    many_frames_reuse_the_decoders_memory,
	    a_freed_decoder_can_be_used_again,
	    a_large_entries_frame_round_trips,
	    compares_of_every_level_cross,
	    bad_compares_are_refused_with_their_reason,
	    a_bad_compare_from_the_peer_stops_the_decoder,
	    summaries_are_checked_leaf_by_leaf_and_key_by_key,
	    a_bad_summary_from_the_peer_stops_the_decoder,
	    a_version_1_peer_is_taken_and_a_version_3_one_refused,
	    the_version_spoken_is_the_lower_of_the_two_highest,
	    compare_and_summary_are_for_version_2_peers_only,
	    service_type_words_are_the_specs,
	    every_refusal_has_its_own_log_text,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests, .timeout = 30, .setup = samples_setup};

	return checkrun("rbs_frame", &core, 1);
}
