/* The user table: versions decide whatever the order of arrival (adds and
 * deletes alike), the digest depends on the content only, cursors return
 * each entry once while the table changes under them, a resync removes
 * exactly what was not received again, and the table grows and shrinks
 * without losing an entry. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rbpd/user_table.h"
#include "tests/lib/checkrun.h"

#define NO_LIMIT ((size_t)-1)

/* A 16-byte key for the number i. */
static const uint8_t *ikey(unsigned i)
{
	static uint8_t k[16];

	memset(k, 0, sizeof(k));
	snprintf((char *)k, sizeof(k), "user-%u", i);
	return k;
}

static int put(struct ut_table *t, enum ut_svc type, const uint8_t *key, uint64_t version,
	       const char *payload, enum ut_origin origin)
{
	struct ut_rec r = {
	    .type = type,
	    .origin = origin,
	    .version = version,
	    .key = key,
	    .key_len = 16,
	    .payload = (const uint8_t *)payload,
	    .payload_len = payload ? strlen(payload) : 0,
	};

	return ut_upsert(t, &r);
}

static int del(struct ut_table *t, enum ut_svc type, const uint8_t *key, uint64_t version,
	       enum ut_origin origin)
{
	return ut_delete(t, type, key, 16, version, origin);
}

/* The payload of (type, key) as a string, or NULL when there is no entry. */
static const char *payload_of(struct ut_table *t, enum ut_svc type, const uint8_t *key)
{
	static char buf[UT_PAYLOAD_MAX + 1];
	struct ut_rec r;

	if (ut_lookup(t, type, key, 16, &r) != 0)
		return NULL;
	memcpy(buf, r.payload ? (const char *)r.payload : "", r.payload_len);
	buf[r.payload_len] = '\0';
	return buf;
}

static uint64_t version_of(struct ut_table *t, enum ut_svc type, const uint8_t *key)
{
	struct ut_rec r;

	ck_assert_int_eq(ut_lookup(t, type, key, 16, &r), 0);
	return r.version;
}

/* Next permutation of idx[0..n) in lexicographic order; false after the
 * last one. */
static bool next_perm(int *idx, int n)
{
	int i = n - 2, j, tmp;

	while (i >= 0 && idx[i] >= idx[i + 1])
		i--;
	if (i < 0)
		return false;
	for (j = n - 1; idx[j] <= idx[i]; j--)
		;
	tmp = idx[i], idx[i] = idx[j], idx[j] = tmp;
	for (i++, j = n - 1; i < j; i++, j--)
		tmp = idx[i], idx[i] = idx[j], idx[j] = tmp;
	return true;
}

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

START_TEST(an_entry_is_a_copy_of_what_was_given)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	uint8_t key[16], payload[6] = {0x00, 0xe0, 0xfc, 0x12, 0x34, 0x56};
	struct ut_rec in = {UT_SVC_ARP, UT_ORIGIN_PEER, 42, key, 16, payload, sizeof(payload)};
	struct ut_rec out;

	memcpy(key, ikey(1), 16);
	ck_assert_int_eq(ut_upsert(t, &in), UT_APPLIED);
	memset(key, 0xff, sizeof(key));
	memset(payload, 0xff, sizeof(payload));
	ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(1), 16, &out), 0);
	ck_assert_int_eq(out.type, UT_SVC_ARP);
	ck_assert_int_eq(out.origin, UT_ORIGIN_PEER);
	ck_assert_uint_eq(out.version, 42);
	ck_assert_mem_eq(out.key, ikey(1), 16);
	ck_assert_uint_eq(out.key_len, 16);
	ck_assert_uint_eq(out.payload_len, 6);
	ck_assert_mem_eq(out.payload, "\x00\xe0\xfc\x12\x34\x56", 6);
	/* the same key under another type is another entry */
	ck_assert_int_eq(ut_lookup(t, UT_SVC_ND, ikey(1), 16, &out), -ENOENT);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(2), 16, &out), -ENOENT);
	ut_table_free(t);
}
END_TEST

/* Four versions of one entry, applied in each of the 24 orders: each
 * upsert applies exactly when it is newer than all before it, and the
 * newest always ends in the table. */
START_TEST(an_older_or_equal_version_never_overwrites_a_newer_one_in_any_order)
{
	static const char *const payloads[4] = {"v1", "v2-longer", "v3", "v4-longest-of-all"};
	int idx[4] = {0, 1, 2, 3}, orders = 0;

	do {
		struct ut_table *t = ut_table_new(7, NO_LIMIT);
		int i, newest = -1;

		for (i = 0; i < 4; i++) {
			int v = idx[i];

			ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(1), (uint64_t)v + 1, payloads[v],
					     UT_ORIGIN_PEER),
					 v > newest ? UT_APPLIED : UT_STALE);
			if (v > newest)
				newest = v;
			ck_assert_str_eq(payload_of(t, UT_SVC_ARP, ikey(1)), payloads[newest]);
		}
		ck_assert_uint_eq(version_of(t, UT_SVC_ARP, ikey(1)), 4);
		ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), 1);
		ut_table_free(t);
		orders++;
	} while (next_perm(idx, 4));
	ck_assert_int_eq(orders, 24);
}
END_TEST

START_TEST(an_equal_version_with_another_payload_is_stale)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	uint64_t d;

	ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(1), 5, "first", UT_ORIGIN_LOCAL), UT_APPLIED);
	d = ut_digest(t, UT_SVC_ALL);
	ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(1), 5, "second", UT_ORIGIN_PEER), UT_STALE);
	ck_assert_str_eq(payload_of(t, UT_SVC_BRAS, ikey(1)), "first");
	ck_assert_uint_eq(ut_digest(t, UT_SVC_ALL), d);
	ut_table_free(t);
}
END_TEST

/* Adds and deletes of one key, in every order: the one with the largest
 * version decides, a delete winning a tie. */
struct op {
	bool is_del;
	uint64_t version;
	const char *payload;
};

static void all_orders_end_the_same(const struct op *ops, int n)
{
	int idx[6], i, win = 0;

	for (i = 0; i < n; i++) {
		idx[i] = i;
		if (ops[i].version > ops[win].version ||
		    (ops[i].version == ops[win].version && ops[i].is_del))
			win = i;
	}
	do {
		struct ut_table *t = ut_table_new(3, NO_LIMIT);

		for (i = 0; i < n; i++) {
			const struct op *o = &ops[idx[i]];

			if (o->is_del)
				ck_assert_int_ge(
				    del(t, UT_SVC_DHCP_SERVER, ikey(9), o->version, UT_ORIGIN_PEER),
				    0);
			else
				ck_assert_int_ge(put(t, UT_SVC_DHCP_SERVER, ikey(9), o->version,
						     o->payload, UT_ORIGIN_PEER),
						 0);
		}
		if (ops[win].is_del) {
			ck_assert_ptr_null(payload_of(t, UT_SVC_DHCP_SERVER, ikey(9)));
			ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), 0);
			ck_assert_uint_eq(ut_digest(t, UT_SVC_ALL), 0);
		} else {
			ck_assert_str_eq(payload_of(t, UT_SVC_DHCP_SERVER, ikey(9)),
					 ops[win].payload);
			ck_assert_uint_eq(version_of(t, UT_SVC_DHCP_SERVER, ikey(9)),
					  ops[win].version);
			ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), 1);
		}
		ut_table_free(t);
	} while (next_perm(idx, n));
}

START_TEST(a_delete_and_an_add_end_the_same_in_every_order)
{
	const struct op add_older_than_del[] = {{false, 4, "lease"}, {true, 5, NULL}};
	const struct op add_newer_than_del[] = {{false, 6, "lease"}, {true, 5, NULL}};
	const struct op tie[] = {{false, 5, "lease"}, {true, 5, NULL}};
	const struct op readd[] = {{false, 1, "a"}, {true, 2, NULL}, {false, 3, "c"}};
	const struct op redelete[] = {{false, 1, "a"}, {false, 2, "b"}, {true, 3, NULL}};
	const struct op mixed[] = {{false, 1, "a"}, {true, 2, NULL}, {false, 3, "c"},
				   {true, 4, NULL}, {false, 6, "e"}, {true, 5, NULL}};

	all_orders_end_the_same(add_older_than_del, 2);
	all_orders_end_the_same(add_newer_than_del, 2);
	all_orders_end_the_same(tie, 2);
	all_orders_end_the_same(readd, 3);
	all_orders_end_the_same(redelete, 3);
	all_orders_end_the_same(mixed, 6);
}
END_TEST

START_TEST(delete_says_what_it_did)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);

	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(1), 10, "x", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(1), 9, UT_ORIGIN_PEER), UT_STALE);
	ck_assert_str_eq(payload_of(t, UT_SVC_ARP, ikey(1)), "x");
	ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(1), 10, UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_ptr_null(payload_of(t, UT_SVC_ARP, ikey(1)));
	ck_assert_uint_eq(ut_tombstones(t), 1);
	/* on the tombstone: same or older is stale, newer moves it up */
	ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(1), 10, UT_ORIGIN_PEER), UT_STALE);
	ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(1), 3, UT_ORIGIN_PEER), UT_STALE);
	ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(1), 12, UT_ORIGIN_PEER), UT_NOENT);
	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(1), 11, "y", UT_ORIGIN_PEER), UT_STALE);
	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(1), 13, "z", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_uint_eq(ut_tombstones(t), 0);
	/* a key never seen */
	ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(2), 1, UT_ORIGIN_PEER), UT_NOENT);
	ck_assert_uint_eq(ut_tombstones(t), 1);
	ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), 1);
	ut_table_free(t);
}
END_TEST

START_TEST(without_tombstones_an_older_add_after_a_delete_comes_back)
{
	struct ut_table *t = ut_table_new(1, 0);

	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(1), 4, "old", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(1), 5, UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_uint_eq(ut_tombstones(t), 0);
	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(1), 3, "older", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(2), 5, UT_ORIGIN_PEER), UT_NOENT);
	ck_assert_uint_eq(ut_tombstones(t), 0);
	ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), 1);
	ut_table_free(t);
}
END_TEST

START_TEST(tombstones_are_bounded_and_the_oldest_go_first)
{
	struct ut_table *t = ut_table_new(1, 3);
	unsigned i;

	for (i = 0; i < 5; i++)
		ck_assert_int_eq(del(t, UT_SVC_ND, ikey(i), 10, UT_ORIGIN_PEER), UT_NOENT);
	ck_assert_uint_eq(ut_tombstones(t), 3);
	/* the two oldest are forgotten: an older add applies again */
	ck_assert_int_eq(put(t, UT_SVC_ND, ikey(0), 9, "a", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(put(t, UT_SVC_ND, ikey(1), 9, "a", UT_ORIGIN_PEER), UT_APPLIED);
	for (i = 2; i < 5; i++)
		ck_assert_int_eq(put(t, UT_SVC_ND, ikey(i), 9, "a", UT_ORIGIN_PEER), UT_STALE);
	/* a tombstone moved up to a newer delete is the youngest again */
	ck_assert_int_eq(del(t, UT_SVC_ND, ikey(2), 11, UT_ORIGIN_PEER), UT_NOENT);
	ck_assert_int_eq(del(t, UT_SVC_ND, ikey(5), 10, UT_ORIGIN_PEER), UT_NOENT);
	ck_assert_int_eq(put(t, UT_SVC_ND, ikey(3), 9, "a", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(put(t, UT_SVC_ND, ikey(2), 9, "a", UT_ORIGIN_PEER), UT_STALE);
	ck_assert_uint_eq(ut_tombstone_trim(t, 1), 2);
	ck_assert_uint_eq(ut_tombstones(t), 1);
	ck_assert_int_eq(put(t, UT_SVC_ND, ikey(4), 9, "a", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(put(t, UT_SVC_ND, ikey(5), 9, "a", UT_ORIGIN_PEER), UT_STALE);
	ck_assert_uint_eq(ut_tombstone_trim(t, 5), 0);
	ut_table_free(t);
}
END_TEST

START_TEST(tombstones_are_not_entries)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	struct ut_cursor c;
	struct ut_rec r;

	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(1), 1, "keep", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(2), 1, "gone", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(2), 2, UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(3), 2, UT_ORIGIN_PEER), UT_NOENT);
	ck_assert_uint_eq(ut_count(t, UT_SVC_ARP), 1);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(2), 16, &r), -ENOENT);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(3), 16, &r), -ENOENT);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(1), 16, &r), 0);
	ck_assert_uint_eq(ut_digest(t, UT_SVC_ARP), ut_entry_digest(&r));
	ck_assert_int_eq(ut_cursor_open(t, &c, UT_SVC_ALL), 0);
	ck_assert(ut_cursor_next(&c, &r));
	ck_assert_mem_eq(r.key, ikey(1), 16);
	ck_assert(!ut_cursor_next(&c, &r));
	ut_cursor_close(&c);
	ut_table_free(t);
}
END_TEST

/* The published definition of an entry's digest, computed apart from the
 * module (a Python SipHash-2-4 written from the paper): the peer must get
 * the same numbers. */
START_TEST(the_digest_of_an_entry_is_the_documented_siphash)
{
	static const uint8_t ip4[4] = {192, 0, 2, 10},
			     mac[6] = {0x00, 0xe0, 0xfc, 0x12, 0x34, 0x56};
	static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	struct ut_rec arp = {UT_SVC_ARP, UT_ORIGIN_LOCAL, 7, ip4, 4, mac, 6};
	struct ut_rec nd = {UT_SVC_ND, UT_ORIGIN_PEER, UINT64_MAX, ip6, 16, NULL, 0};
	struct ut_table *t = ut_table_new(12345, NO_LIMIT);

	ck_assert_uint_eq(ut_entry_digest(&arp), 0xca6623ebfad29b53ULL);
	ck_assert_uint_eq(ut_entry_digest(&nd), 0x36355c4f46f7e10aULL);
	ck_assert_uint_eq(ut_digest(t, UT_SVC_ALL), 0);
	ck_assert_int_eq(ut_upsert(t, &arp), UT_APPLIED);
	ck_assert_int_eq(ut_upsert(t, &nd), UT_APPLIED);
	ck_assert_uint_eq(ut_digest(t, UT_SVC_ARP), 0xca6623ebfad29b53ULL);
	ck_assert_uint_eq(ut_digest(t, UT_SVC_ND), 0x36355c4f46f7e10aULL);
	ck_assert_uint_eq(ut_digest(t, UT_SVC_ALL), 0x009b803b41ca7c5dULL);
	ck_assert_uint_eq(ut_digest(t, UT_SVC_IPSEC), 0);
	ck_assert_uint_eq(ut_digest(t, (enum ut_svc)99), 0);
	ut_table_free(t);
}
END_TEST

#define DIG_N 600

/* The content both tables must end with: entry i, of type i % 7, version
 * 100 + i, payload of i % 50 bytes. */
static int put_final(struct ut_table *t, unsigned i, enum ut_origin origin)
{
	uint8_t payload[64];
	struct ut_rec r = {
	    (enum ut_svc)(i % UT_SVC_COUNT), origin, 100 + i, ikey(i), 16, payload, i % 50};

	memset(payload, (int)i, sizeof(payload));
	return ut_upsert(t, &r);
}

START_TEST(same_entries_in_any_order_give_the_same_digests)
{
	struct ut_table *a = ut_table_new(1, NO_LIMIT), *b = ut_table_new(2, 0);
	struct ut_table *c = ut_table_new(3, 8);
	unsigned order[DIG_N], i, j, tmp;
	uint64_t sum = 0;
	struct ut_cursor cur;
	struct ut_rec r;
	int ty;

	/* a: in order, learned locally */
	for (i = 0; i < DIG_N; i++)
		ck_assert_int_eq(put_final(a, i, UT_ORIGIN_LOCAL), UT_APPLIED);
	/* b: reversed, from the peer, through older versions, deleted keys and
	 * deletes of what the end state keeps */
	for (i = DIG_N; i-- > 0;) {
		ck_assert_int_eq(
		    put(b, (enum ut_svc)(i % UT_SVC_COUNT), ikey(i), 1, "old", UT_ORIGIN_PEER),
		    UT_APPLIED);
		ck_assert_int_eq(put(b, UT_SVC_L2TP, ikey(DIG_N + i), 1, "gone", UT_ORIGIN_PEER),
				 UT_APPLIED);
		ck_assert_int_eq(
		    del(b, (enum ut_svc)(i % UT_SVC_COUNT), ikey(i), 2, UT_ORIGIN_PEER),
		    UT_APPLIED);
		ck_assert_int_eq(put_final(b, i, UT_ORIGIN_PEER), UT_APPLIED);
		ck_assert_int_eq(del(b, UT_SVC_L2TP, ikey(DIG_N + i), 2, UT_ORIGIN_PEER),
				 UT_APPLIED);
	}
	/* c: shuffled, and each entry twice (the second is stale) */
	for (i = 0; i < DIG_N; i++)
		order[i] = i;
	for (i = DIG_N - 1; i > 0; i--) {
		j = (unsigned)(rnd() % (i + 1));
		tmp = order[i], order[i] = order[j], order[j] = tmp;
	}
	for (i = 0; i < DIG_N; i++)
		ck_assert_int_eq(put_final(c, order[i], UT_ORIGIN_PEER), UT_APPLIED);
	for (i = 0; i < DIG_N; i++)
		ck_assert_int_eq(put_final(c, order[DIG_N - 1 - i], UT_ORIGIN_LOCAL), UT_STALE);

	for (ty = 0; ty < UT_SVC_COUNT; ty++) {
		ck_assert_uint_ne(ut_digest(a, (enum ut_svc)ty), 0);
		ck_assert_uint_eq(ut_digest(a, (enum ut_svc)ty), ut_digest(b, (enum ut_svc)ty));
		ck_assert_uint_eq(ut_digest(a, (enum ut_svc)ty), ut_digest(c, (enum ut_svc)ty));
	}
	ck_assert_uint_eq(ut_digest(a, UT_SVC_ALL), ut_digest(b, UT_SVC_ALL));
	ck_assert_uint_eq(ut_digest(a, UT_SVC_ALL), ut_digest(c, UT_SVC_ALL));
	/* and the whole-table digest is the sum of the entries' digests */
	ck_assert_int_eq(ut_cursor_open(a, &cur, UT_SVC_ALL), 0);
	while (ut_cursor_next(&cur, &r))
		sum += ut_entry_digest(&r);
	ut_cursor_close(&cur);
	ck_assert_uint_eq(sum, ut_digest(a, UT_SVC_ALL));
	ut_table_free(a);
	ut_table_free(b);
	ut_table_free(c);
}
END_TEST

START_TEST(one_different_payload_byte_changes_the_digest)
{
	struct ut_table *a = ut_table_new(1, NO_LIMIT);
	unsigned i, pos, bit;
	uint64_t base;

	for (i = 0; i < 100; i++)
		ck_assert_int_eq(put_final(a, i, UT_ORIGIN_PEER), UT_APPLIED);
	base = ut_digest(a, UT_SVC_ALL);
	/* entry 49 has 49 payload bytes: change each bit of each byte in a copy */
	for (pos = 0; pos < 49; pos++) {
		for (bit = 0; bit < 8; bit++) {
			struct ut_table *b = ut_table_new(1, NO_LIMIT);
			uint8_t payload[49];
			struct ut_rec r = {(enum ut_svc)(49 % UT_SVC_COUNT),
					   UT_ORIGIN_PEER,
					   149,
					   NULL,
					   16,
					   payload,
					   sizeof(payload)};

			for (i = 0; i < 100; i++)
				if (i != 49)
					ck_assert_int_eq(put_final(b, i, UT_ORIGIN_PEER),
							 UT_APPLIED);
			memset(payload, 49, sizeof(payload));
			payload[pos] ^= (uint8_t)(1u << bit);
			r.key = ikey(49);
			ck_assert_int_eq(ut_upsert(b, &r), UT_APPLIED);
			ck_assert_uint_eq(ut_count(b, UT_SVC_ALL), 100);
			ck_assert_uint_ne(ut_digest(b, UT_SVC_ALL), base);
			ck_assert_uint_ne(ut_digest(b, r.type), ut_digest(a, r.type));
			ut_table_free(b);
		}
	}
	ut_table_free(a);
}
END_TEST

START_TEST(version_key_and_type_are_in_the_digest_and_origin_is_not)
{
	static const uint8_t key[4] = {192, 0, 2, 1}, key2[4] = {192, 0, 2, 2};
	struct ut_rec r = {UT_SVC_ARP, UT_ORIGIN_LOCAL, 5, key, 4, (const uint8_t *)"mac", 3};
	uint64_t d = ut_entry_digest(&r);

	r.origin = UT_ORIGIN_PEER;
	ck_assert_uint_eq(ut_entry_digest(&r), d);
	r.version = 6;
	ck_assert_uint_ne(ut_entry_digest(&r), d);
	r.version = 5;
	r.type = UT_SVC_ND;
	ck_assert_uint_ne(ut_entry_digest(&r), d);
	r.type = UT_SVC_ARP;
	r.key = key2;
	ck_assert_uint_ne(ut_entry_digest(&r), d);
	/* the lengths are in it: the key/payload boundary cannot shift */
	r.key = (const uint8_t *)"abcd";
	r.payload = (const uint8_t *)"ef";
	r.payload_len = 2;
	d = ut_entry_digest(&r);
	r.key_len = 3;
	r.payload = (const uint8_t *)"def";
	r.payload_len = 3;
	ck_assert_uint_ne(ut_entry_digest(&r), d);
}
END_TEST

START_TEST(the_digest_follows_updates_and_deletes)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	uint64_t empty = ut_digest(t, UT_SVC_ALL), one, two;

	ck_assert_uint_eq(empty, 0);
	ck_assert_int_eq(put(t, UT_SVC_IPSEC, ikey(1), 1, "sa", UT_ORIGIN_LOCAL), UT_APPLIED);
	one = ut_digest(t, UT_SVC_ALL);
	ck_assert_int_eq(put(t, UT_SVC_IPSEC, ikey(2), 1, "sb", UT_ORIGIN_LOCAL), UT_APPLIED);
	two = ut_digest(t, UT_SVC_ALL);
	ck_assert_int_eq(put(t, UT_SVC_IPSEC, ikey(2), 2, "a longer payload", UT_ORIGIN_LOCAL),
			 UT_APPLIED);
	ck_assert_uint_ne(ut_digest(t, UT_SVC_ALL), two);
	ck_assert_int_eq(del(t, UT_SVC_IPSEC, ikey(2), 3, UT_ORIGIN_LOCAL), UT_APPLIED);
	ck_assert_uint_eq(ut_digest(t, UT_SVC_ALL), one);
	ck_assert_int_eq(del(t, UT_SVC_IPSEC, ikey(1), 3, UT_ORIGIN_LOCAL), UT_APPLIED);
	ck_assert_uint_eq(ut_digest(t, UT_SVC_ALL), empty);
	ut_table_free(t);
}
END_TEST

START_TEST(counts_per_type_and_in_total)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	unsigned i;
	int ty;

	for (ty = 0; ty < UT_SVC_COUNT; ty++)
		for (i = 0; i < (unsigned)ty * 3; i++)
			ck_assert_int_eq(put(t, (enum ut_svc)ty, ikey(i), 1, "p", UT_ORIGIN_PEER),
					 UT_APPLIED);
	for (ty = 0; ty < UT_SVC_COUNT; ty++)
		ck_assert_uint_eq(ut_count(t, (enum ut_svc)ty), (unsigned)ty * 3);
	ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), 3 * (0 + 1 + 2 + 3 + 4 + 5 + 6));
	/* an update is no new entry, a stale one changes nothing, a delete counts */
	ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(0), 2, "q", UT_ORIGIN_LOCAL), UT_APPLIED);
	ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(0), 1, "r", UT_ORIGIN_LOCAL), UT_STALE);
	ck_assert_uint_eq(ut_count(t, UT_SVC_BRAS), 12);
	ck_assert_int_eq(del(t, UT_SVC_BRAS, ikey(0), 3, UT_ORIGIN_LOCAL), UT_APPLIED);
	ck_assert_int_eq(del(t, UT_SVC_BRAS, ikey(0), 4, UT_ORIGIN_LOCAL), UT_NOENT);
	ck_assert_uint_eq(ut_count(t, UT_SVC_BRAS), 11);
	ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), 62);
	ck_assert_uint_eq(ut_count(t, (enum ut_svc)UT_SVC_COUNT), 0);
	ut_table_free(t);
}
END_TEST

/* Opens a cursor over type and counts in seen[] how often each key number
 * (entries of type i % 7 ... made by put_final, keys ikey(i)) comes back. */
static unsigned key_num(const struct ut_rec *r)
{
	return (unsigned)strtoul((const char *)r->key + 5, NULL, 10);
}

START_TEST(a_cursor_returns_every_entry_once_in_insertion_order)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	struct ut_cursor c;
	struct ut_rec r;
	unsigned i, n = 0, last = 0;
	int ty;

	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(put_final(t, i, UT_ORIGIN_PEER), UT_APPLIED);
	for (ty = 0; ty < UT_SVC_COUNT; ty++) {
		n = 0;
		ck_assert_int_eq(ut_cursor_open(t, &c, (enum ut_svc)ty), 0);
		while (ut_cursor_next(&c, &r)) {
			ck_assert_int_eq(r.type, ty);
			ck_assert_uint_eq(key_num(&r), (unsigned)ty + UT_SVC_COUNT * n);
			n++;
		}
		ck_assert(!ut_cursor_next(&c, &r));
		ut_cursor_close(&c);
		ck_assert_uint_eq(n, ut_count(t, (enum ut_svc)ty));
	}
	/* all: type by type */
	n = 0;
	ck_assert_int_eq(ut_cursor_open(t, &c, UT_SVC_ALL), 0);
	for (ty = 0; ut_cursor_next(&c, &r); n++) {
		ck_assert_int_ge(r.type, ty);
		if ((int)r.type == ty && n > 0)
			ck_assert_uint_gt(key_num(&r), last);
		ty = r.type;
		last = key_num(&r);
	}
	ut_cursor_close(&c);
	ck_assert_uint_eq(n, 1000);
	ut_table_free(t);
}
END_TEST

START_TEST(a_cursor_survives_deletes_adds_and_updates_between_steps)
{
	enum { N = 2000 };
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	static unsigned seen[N];
	bool deleted[N] = {false};
	unsigned i, k, added = 0;
	struct ut_cursor c;
	struct ut_rec r;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < N; i++)
		ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(i), 1, "x", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(ut_cursor_open(t, &c, UT_SVC_ALL), 0);
	while (ut_cursor_next(&c, &r)) {
		k = key_num(&r);
		ck_assert_uint_lt(k, N);
		ck_assert(!deleted[k]);
		seen[k]++;
		switch (k % 4) {
		case 0: /* the entry just returned, with the key the cursor gave */
			ck_assert_int_eq(ut_delete(t, r.type, r.key, r.key_len, 2, UT_ORIGIN_PEER),
					 UT_APPLIED);
			break;
		case 1: /* one further on, which must not come back */
			if (k + 2 < N && !deleted[k + 2]) {
				ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(k + 2), 2, UT_ORIGIN_PEER),
						 UT_APPLIED);
				deleted[k + 2] = true;
			}
			break;
		case 2: /* updates, of other sizes, before and after the cursor */
			if (k + 3 < N)
				ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(k + 3), 3,
						     "a longer payload", UT_ORIGIN_PEER),
						 UT_APPLIED);
			ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(k - 1), 4, "", UT_ORIGIN_PEER),
					 UT_APPLIED);
			break;
		}
		/* new users, not part of this batch */
		ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(N + added), 1, "new", UT_ORIGIN_PEER),
				 UT_APPLIED);
		ck_assert_int_eq(put(t, UT_SVC_ND, ikey(N + added), 1, "new", UT_ORIGIN_PEER),
				 UT_APPLIED);
		added++;
	}
	ut_cursor_close(&c);
	for (i = 0; i < N; i++)
		ck_assert_uint_eq(seen[i], deleted[i] ? 0 : 1);
	ck_assert_uint_eq(ut_count(t, UT_SVC_ND), added);
	ut_table_free(t);
}
END_TEST

START_TEST(cursors_do_not_disturb_each_other)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	struct ut_cursor a, b;
	struct ut_rec r;
	unsigned i, na = 0, nb = 0;

	for (i = 0; i < 100; i++)
		ck_assert_int_eq(put_final(t, i, UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(ut_cursor_open(t, &a, UT_SVC_ALL), 0);
	ck_assert_int_eq(ut_cursor_open(t, &b, UT_SVC_ALL), 0);
	for (i = 0; i < 300; i++) {
		if (i % 3 != 0 && ut_cursor_next(&a, &r))
			na++;
		if (i % 3 == 0 && ut_cursor_next(&b, &r))
			nb++;
	}
	while (ut_cursor_next(&a, &r))
		na++;
	while (ut_cursor_next(&b, &r))
		nb++;
	ck_assert_uint_eq(na, 100);
	ck_assert_uint_eq(nb, 100);
	ut_cursor_close(&a);
	ut_cursor_close(&a); /* twice is harmless */
	ut_cursor_close(&b);
	ut_table_free(t);
}
END_TEST

START_TEST(a_cursor_on_an_empty_type_or_a_bad_type)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	struct ut_cursor c;
	struct ut_rec r;

	ck_assert_int_eq(ut_cursor_open(t, &c, UT_SVC_L2TP), 0);
	ck_assert(!ut_cursor_next(&c, &r));
	ut_cursor_close(&c);
	ck_assert_int_eq(ut_cursor_open(t, &c, UT_SVC_ALL), 0);
	ck_assert(!ut_cursor_next(&c, &r));
	ut_cursor_close(&c);
	ck_assert_int_eq(ut_cursor_open(t, &c, (enum ut_svc)UT_SVC_COUNT), -EINVAL);
	ck_assert(!ut_cursor_next(&c, &r));
	ut_cursor_close(&c);
	/* a cursor left open at the end of the table still lets it change */
	ck_assert_int_eq(ut_cursor_open(t, &c, UT_SVC_ARP), 0);
	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(1), 1, "x", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert(!ut_cursor_next(&c, &r));
	ut_cursor_close(&c);
	ut_table_free(t);
}
END_TEST

/* 100 arp entries from the peer, 20 learned here, 30 nd from the peer;
 * a resync of the peer's arp entries re-receives 60 of them (20 stale
 * repeats, 20 newer, 20 deletes... of those kept) and brings 10 new. */
START_TEST(a_resync_removes_exactly_the_entries_not_received_again)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	struct ut_rec r;
	unsigned i;

	for (i = 0; i < 100; i++)
		ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(i), 10, "peer", UT_ORIGIN_PEER),
				 UT_APPLIED);
	for (i = 100; i < 120; i++)
		ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(i), 10, "mine", UT_ORIGIN_LOCAL),
				 UT_APPLIED);
	for (i = 0; i < 30; i++)
		ck_assert_int_eq(put(t, UT_SVC_ND, ikey(i), 10, "peer", UT_ORIGIN_PEER),
				 UT_APPLIED);
	ck_assert_int_eq(ut_resync_begin(t, UT_SVC_ARP, UT_ORIGIN_PEER), 0);
	for (i = 0; i < 20; i++) /* the same again: stale, but received */
		ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(i), 10, "peer", UT_ORIGIN_PEER), UT_STALE);
	for (i = 20; i < 40; i++) /* older than ours: still the peer has it */
		ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(i), 9, "peer", UT_ORIGIN_PEER), UT_STALE);
	for (i = 40; i < 60; i++) /* newer */
		ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(i), 11, "peer2", UT_ORIGIN_PEER),
				 UT_APPLIED);
	for (i = 200; i < 210; i++) /* new */
		ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(i), 1, "new", UT_ORIGIN_PEER), UT_APPLIED);
	/* the peer also names local entries: that does not make them its own */
	for (i = 100; i < 110; i++)
		ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(i), 5, "peer", UT_ORIGIN_PEER), UT_STALE);
	ck_assert_int_eq(ut_resync_end(t, UT_SVC_ARP, UT_ORIGIN_PEER), 40);

	for (i = 0; i < 60; i++)
		ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(i), 16, &r), 0);
	for (i = 60; i < 100; i++)
		ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(i), 16, &r), -ENOENT);
	for (i = 100; i < 120; i++) {
		ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(i), 16, &r), 0);
		ck_assert_int_eq(r.origin, UT_ORIGIN_LOCAL);
	}
	for (i = 200; i < 210; i++)
		ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(i), 16, &r), 0);
	ck_assert_uint_eq(ut_count(t, UT_SVC_ARP), 60 + 20 + 10);
	ck_assert_uint_eq(ut_count(t, UT_SVC_ND), 30);
	/* removed without tombstones: nobody deleted them */
	ck_assert_uint_eq(ut_tombstones(t), 0);
	/* over: a second end is refused */
	ck_assert_int_eq(ut_resync_end(t, UT_SVC_ARP, UT_ORIGIN_PEER), -EINVAL);
	ut_table_free(t);
}
END_TEST

START_TEST(an_entry_taken_over_during_a_resync_leaves_its_sweep)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	struct ut_rec r;

	/* a local entry that the peer updates (it became master for it) is
	 * the peer's now, and received; a peer entry learned here becomes
	 * local and escapes a sweep of the peer's entries */
	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(1), 1, "mine", UT_ORIGIN_LOCAL), UT_APPLIED);
	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(2), 1, "peer", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(ut_resync_begin(t, UT_SVC_ARP, UT_ORIGIN_PEER), 0);
	ck_assert_int_eq(ut_resync_begin(t, UT_SVC_ARP, UT_ORIGIN_LOCAL), 0);
	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(1), 2, "peer", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(2), 2, "mine", UT_ORIGIN_LOCAL), UT_APPLIED);
	ck_assert_int_eq(ut_resync_end(t, UT_SVC_ARP, UT_ORIGIN_PEER), 0);
	ck_assert_int_eq(ut_resync_end(t, UT_SVC_ARP, UT_ORIGIN_LOCAL), 0);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(1), 16, &r), 0);
	ck_assert_int_eq(r.origin, UT_ORIGIN_PEER);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(2), 16, &r), 0);
	ck_assert_int_eq(r.origin, UT_ORIGIN_LOCAL);
	ut_table_free(t);
}
END_TEST

START_TEST(a_resync_of_all_types_and_its_tombstones)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	int ty;

	for (ty = 0; ty < UT_SVC_COUNT; ty++) {
		ck_assert_int_eq(put(t, (enum ut_svc)ty, ikey(1), 1, "a", UT_ORIGIN_PEER),
				 UT_APPLIED);
		ck_assert_int_eq(put(t, (enum ut_svc)ty, ikey(2), 1, "b", UT_ORIGIN_PEER),
				 UT_APPLIED);
	}
	ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(3), 5, UT_ORIGIN_PEER), UT_NOENT);
	ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(4), 5, UT_ORIGIN_PEER), UT_NOENT);
	ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(5), 5, UT_ORIGIN_LOCAL), UT_NOENT);
	ck_assert_int_eq(ut_resync_begin(t, UT_SVC_ALL, UT_ORIGIN_PEER), 0);
	for (ty = 0; ty < UT_SVC_COUNT; ty++)
		ck_assert_int_eq(put(t, (enum ut_svc)ty, ikey(1), 1, "a", UT_ORIGIN_PEER),
				 UT_STALE);
	ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(3), 5, UT_ORIGIN_PEER), UT_STALE);
	ck_assert_int_eq(ut_resync_end(t, UT_SVC_ALL, UT_ORIGIN_PEER), UT_SVC_COUNT);
	ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), UT_SVC_COUNT);
	/* the tombstone seen again and the local one stay */
	ck_assert_uint_eq(ut_tombstones(t), 2);
	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(3), 4, "x", UT_ORIGIN_PEER), UT_STALE);
	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(4), 4, "x", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(5), 4, "x", UT_ORIGIN_PEER), UT_STALE);
	ut_table_free(t);
}
END_TEST

START_TEST(a_resync_can_be_cancelled_or_started_over)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	unsigned i;

	for (i = 0; i < 10; i++)
		ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(i), 1, "s", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(ut_resync_end(t, UT_SVC_BRAS, UT_ORIGIN_PEER), -EINVAL);
	ck_assert_int_eq(ut_resync_cancel(t, UT_SVC_BRAS, UT_ORIGIN_PEER), -EINVAL);
	ck_assert_int_eq(ut_resync_end(t, UT_SVC_ALL, UT_ORIGIN_PEER), -EINVAL);
	/* cancelled: nothing removed */
	ck_assert_int_eq(ut_resync_begin(t, UT_SVC_BRAS, UT_ORIGIN_PEER), 0);
	ck_assert_int_eq(ut_resync_cancel(t, UT_SVC_BRAS, UT_ORIGIN_PEER), 0);
	ck_assert_int_eq(ut_resync_end(t, UT_SVC_BRAS, UT_ORIGIN_PEER), -EINVAL);
	ck_assert_uint_eq(ut_count(t, UT_SVC_BRAS), 10);
	/* started over: what was received before the second begin must come
	 * again */
	ck_assert_int_eq(ut_resync_begin(t, UT_SVC_BRAS, UT_ORIGIN_PEER), 0);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(i), 1, "s", UT_ORIGIN_PEER), UT_STALE);
	ck_assert_int_eq(ut_resync_begin(t, UT_SVC_BRAS, UT_ORIGIN_PEER), 0);
	for (i = 3; i < 5; i++)
		ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(i), 1, "s", UT_ORIGIN_PEER), UT_STALE);
	ck_assert_int_eq(ut_resync_end(t, UT_SVC_BRAS, UT_ORIGIN_PEER), 8);
	ck_assert_uint_eq(ut_count(t, UT_SVC_BRAS), 2);
	/* an empty resync of a type empties it */
	ck_assert_int_eq(ut_resync_begin(t, UT_SVC_BRAS, UT_ORIGIN_PEER), 0);
	ck_assert_int_eq(ut_resync_end(t, UT_SVC_BRAS, UT_ORIGIN_PEER), 2);
	ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), 0);
	ck_assert_uint_eq(ut_digest(t, UT_SVC_ALL), 0);
	ck_assert_int_eq(ut_resync_begin(t, (enum ut_svc)UT_SVC_COUNT, UT_ORIGIN_PEER), -EINVAL);
	ck_assert_int_eq(ut_resync_begin(t, UT_SVC_ARP, (enum ut_origin)2), -EINVAL);
	ut_table_free(t);
}
END_TEST

/* What a local change must beat: the entry's version, or its
 * tombstone's once the peer deleted it. */
START_TEST(a_reserved_table_holds_a_batch_without_growing_and_does_not_shrink_meanwhile)
{
	enum { OLD = 1000, N = 100000, CAP = 131072 };
	struct ut_table *t = ut_table_new(5, NO_LIMIT);
	struct ut_mem m;
	struct ut_rec r;
	unsigned i;

	for (i = 0; i < OLD; i++)
		ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(i), 1, "a", UT_ORIGIN_PEER), UT_APPLIED);
	/* the whole batch's room at once, the entries held moved into it */
	ck_assert_int_eq(ut_reserve(t, OLD + N), 0);
	ut_mem(t, &m);
	ck_assert_uint_eq(m.buckets, CAP * sizeof(void *));
	for (i = 0; i < OLD; i++)
		ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(i), 16, &r), 0);
	/* the batch arrives: no doubling (no second array meanwhile) */
	for (i = OLD; i < OLD + N; i++) {
		ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(i), 1, "b", UT_ORIGIN_PEER), UT_APPLIED);
		if (i % 9973 == 0) {
			ut_mem(t, &m);
			ck_assert_uint_eq(m.buckets, CAP * sizeof(void *));
		}
	}
	for (i = 0; i < OLD + N; i++)
		ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(i), 16, &r), 0);
	ut_table_free(t);

	/* reserved before anything came: changes meanwhile do not shrink it */
	t = ut_table_new(6, NO_LIMIT);
	ck_assert_int_eq(ut_reserve(t, N), 0);
	for (i = 0; i < 5000; i++)
		ck_assert_int_eq(put(t, UT_SVC_ND, ikey(i % 10), 1 + i, "x", UT_ORIGIN_PEER),
				 UT_APPLIED);
	ut_mem(t, &m);
	ck_assert_uint_eq(m.buckets, CAP * sizeof(void *));
	/* the floor lifted, it shrinks to its size again */
	ck_assert_int_eq(ut_reserve(t, 0), 0);
	for (i = 0; i < 5000; i++)
		ck_assert_int_eq(put(t, UT_SVC_ND, ikey(i % 10), 6000 + i, "y", UT_ORIGIN_PEER),
				 UT_APPLIED);
	ut_mem(t, &m);
	ck_assert_uint_le(m.buckets, 1024 * sizeof(void *));
	ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), 10);
	ut_table_free(t);

	/* a large table is not moved at once: it grows in steps as ever */
	t = ut_table_new(7, NO_LIMIT);
	for (i = 0; i < 70000; i++)
		ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(i), 1, "c", UT_ORIGIN_PEER), UT_APPLIED);
	ut_mem(t, &m);
	{
		size_t before = m.buckets;

		ck_assert_int_eq(ut_reserve(t, 1000000), 0);
		ut_mem(t, &m);
		ck_assert_uint_eq(m.buckets, before);
	}
	ut_table_free(t);
}
END_TEST

START_TEST(the_version_held_counts_a_tombstone)
{
	struct ut_table *t = ut_table_new(5, 16);

	ck_assert_uint_eq(ut_version_held(t, UT_SVC_BRAS, ikey(1), 16), 0);
	ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(1), 10, "a", UT_ORIGIN_LOCAL), UT_APPLIED);
	ck_assert_uint_eq(ut_version_held(t, UT_SVC_BRAS, ikey(1), 16), 10);
	/* the peer's delete, with its clock ahead of ours */
	ck_assert_int_eq(ut_delete(t, UT_SVC_BRAS, ikey(1), 16, 500, UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_BRAS, ikey(1), 16, &(struct ut_rec){0}), -ENOENT);
	ck_assert_uint_eq(ut_version_held(t, UT_SVC_BRAS, ikey(1), 16), 500);
	/* an add below the tombstone would be lost; above it, it lands */
	ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(1), 400, "b", UT_ORIGIN_LOCAL), UT_STALE);
	ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(1), 501, "b", UT_ORIGIN_LOCAL), UT_APPLIED);
	ck_assert_uint_eq(ut_version_held(t, (enum ut_svc)UT_SVC_COUNT, ikey(1), 16), 0);
	ut_table_free(t);
}
END_TEST

/* Many inserts: every entry is found after each growth, lookups work
 * while chains move between arrays, and the bucket array follows the
 * count up and back down. */
START_TEST(the_table_grows_and_shrinks_without_losing_an_entry)
{
	enum { N = 200000 };
	struct ut_table *t = ut_table_new(99, NO_LIMIT);
	struct ut_mem m;
	struct ut_rec r;
	unsigned i;

	for (i = 0; i < N; i++) {
		char p[16];

		snprintf(p, sizeof(p), "%u", i);
		ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(i), 1, p, UT_ORIGIN_PEER), UT_APPLIED);
		if (i % 7 == 0) {
			unsigned j = (unsigned)(rnd() % (i + 1));
			char want[16];

			/* the payload is payload_len bytes, not a C string:
			 * strtoul read on into the next entry now and then */
			snprintf(want, sizeof(want), "%u", j);
			ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(j), 16, &r), 0);
			ck_assert_uint_eq(r.payload_len, strlen(want));
			ck_assert_mem_eq(r.payload, want, r.payload_len);
		}
	}
	ck_assert_uint_eq(ut_count(t, UT_SVC_ARP), N);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(i), 16, &r), 0);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(N), 16, &r), -ENOENT);
	ut_mem(t, &m);
	ck_assert_uint_ge(m.buckets, N * sizeof(void *));
	ck_assert_uint_le(m.buckets, 3 * N * sizeof(void *));
	ck_assert_uint_ge(m.entries, N * (UT_ENTRY_OVERHEAD + 16 + 1));

	for (i = 0; i < N; i++)
		ck_assert_int_eq(del(t, UT_SVC_ARP, ikey(i), 2, UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), 0);
	ck_assert_uint_eq(ut_tombstones(t), N);
	ck_assert_uint_eq(ut_tombstone_trim(t, 0), N);
	/* a few thousand changes later the arrays are small again */
	for (i = 0; i < 5000; i++) {
		ck_assert_int_eq(put(t, UT_SVC_ND, ikey(i % 10), 3 + i, "x", UT_ORIGIN_PEER),
				 UT_APPLIED);
	}
	ut_mem(t, &m);
	ck_assert_uint_le(m.buckets, 1024 * sizeof(void *));
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(ut_lookup(t, UT_SVC_ND, ikey(i), 16, &r), 0);
	ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), 10);
	ut_table_free(t);
}
END_TEST

START_TEST(keys_and_payloads_at_their_limits_and_over)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	static uint8_t key[USER_KEY_MAX + 1], payload[UT_PAYLOAD_MAX + 1];
	struct ut_rec r = {UT_SVC_L2TP, UT_ORIGIN_PEER, 1, key, USER_KEY_MAX,
			   payload,	UT_PAYLOAD_MAX};
	struct ut_rec out;

	memset(key, 'k', sizeof(key));
	memset(payload, 'p', sizeof(payload));
	ck_assert_int_eq(ut_upsert(t, &r), UT_APPLIED);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_L2TP, key, USER_KEY_MAX, &out), 0);
	ck_assert_uint_eq(out.key_len, USER_KEY_MAX);
	ck_assert_uint_eq(out.payload_len, UT_PAYLOAD_MAX);
	ck_assert_mem_eq(out.payload, payload, UT_PAYLOAD_MAX);
	/* a shorter key is another entry */
	ck_assert_int_eq(ut_lookup(t, UT_SVC_L2TP, key, USER_KEY_MAX - 1, &out), -ENOENT);

	r.version = 2;
	r.key_len = USER_KEY_MAX + 1;
	ck_assert_int_eq(ut_upsert(t, &r), -EINVAL);
	r.key_len = 0;
	ck_assert_int_eq(ut_upsert(t, &r), -EINVAL);
	r.key_len = 1;
	r.payload_len = UT_PAYLOAD_MAX + 1;
	ck_assert_int_eq(ut_upsert(t, &r), -EINVAL);
	r.payload_len = 0; /* an empty payload is fine, also with a NULL pointer */
	r.payload = NULL;
	ck_assert_int_eq(ut_upsert(t, &r), UT_APPLIED);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_L2TP, key, 1, &out), 0);
	ck_assert_ptr_null(out.payload);
	ck_assert_uint_eq(out.payload_len, 0);
	r.payload_len = 1;
	ck_assert_int_eq(ut_upsert(t, &r), -EINVAL);
	r.payload_len = 0;
	r.key = NULL;
	ck_assert_int_eq(ut_upsert(t, &r), -EINVAL);
	r.key = key;
	r.type = UT_SVC_ALL;
	ck_assert_int_eq(ut_upsert(t, &r), -EINVAL);
	r.type = (enum ut_svc)UT_SVC_COUNT;
	ck_assert_int_eq(ut_upsert(t, &r), -EINVAL);
	r.type = UT_SVC_L2TP;
	r.origin = (enum ut_origin)2;
	ck_assert_int_eq(ut_upsert(t, &r), -EINVAL);
	ck_assert_int_eq(ut_upsert(t, NULL), -EINVAL);

	ck_assert_int_eq(ut_delete(t, UT_SVC_L2TP, key, USER_KEY_MAX + 1, 9, UT_ORIGIN_PEER),
			 -EINVAL);
	ck_assert_int_eq(ut_delete(t, UT_SVC_L2TP, key, 0, 9, UT_ORIGIN_PEER), -EINVAL);
	ck_assert_int_eq(ut_delete(t, UT_SVC_ALL, key, 1, 9, UT_ORIGIN_PEER), -EINVAL);
	ck_assert_int_eq(ut_delete(t, UT_SVC_L2TP, key, 1, 9, (enum ut_origin)7), -EINVAL);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_L2TP, key, USER_KEY_MAX + 1, &out), -EINVAL);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_ALL, key, 1, &out), -EINVAL);
	ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), 2);
	/* the largest entry goes, and comes back */
	ck_assert_int_eq(ut_delete(t, UT_SVC_L2TP, key, USER_KEY_MAX, 9, UT_ORIGIN_PEER),
			 UT_APPLIED);
	r.origin = UT_ORIGIN_PEER;
	r.key_len = USER_KEY_MAX;
	r.payload = payload;
	r.payload_len = UT_PAYLOAD_MAX;
	r.version = 10;
	ck_assert_int_eq(ut_upsert(t, &r), UT_APPLIED);
	ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), 2);
	ut_table_free(t);
}
END_TEST

START_TEST(an_entry_can_be_written_from_its_own_lookup)
{
	struct ut_table *t = ut_table_new(1, NO_LIMIT);
	struct ut_rec r;

	ck_assert_int_eq(put(t, UT_SVC_ARP, ikey(1), 1, "payload", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(1), 16, &r), 0);
	r.version = 2;
	r.origin = UT_ORIGIN_LOCAL;
	ck_assert_int_eq(ut_upsert(t, &r), UT_APPLIED);
	ck_assert_str_eq(payload_of(t, UT_SVC_ARP, ikey(1)), "payload");
	ck_assert_int_eq(ut_lookup(t, UT_SVC_ARP, ikey(1), 16, &r), 0);
	r.version = 3;
	r.payload_len = 3; /* shorter: a new allocation, copied from the old one */
	ck_assert_int_eq(ut_upsert(t, &r), UT_APPLIED);
	ck_assert_str_eq(payload_of(t, UT_SVC_ARP, ikey(1)), "pay");
	ut_table_free(t);
}
END_TEST

/* Random adds, deletes and resyncs on a few keys, against a model that
 * applies the rules of user_table.h literally. */
#define M_TYPES 3
#define M_KEYS 24
#define M_PLEN 12

struct model_entry {
	int state; /* 0 none, 1 live, 2 tombstone */
	uint64_t version;
	enum ut_origin origin;
	uint8_t payload[M_PLEN];
	size_t plen;
	bool received; /* during the resync of its (type, origin) */
};

static struct model_entry model[M_TYPES][M_KEYS];
static bool model_rs[M_TYPES][2];

static void model_receive(struct model_entry *m, enum ut_origin origin)
{
	if (m->origin == origin)
		m->received = true;
}

/* ut_ae_scan()'s callback: what it reports of each key, by key number. */
struct ae_seen {
	int state[M_KEYS]; /* 0 not reported, 1 entry, 2 tombstone */
	uint64_t version[M_KEYS];
	int calls;
};

static void ae_seen_cb(void *arg, const struct ut_rec *r, bool deleted)
{
	struct ae_seen *s = arg;
	unsigned k = key_num(r);

	ck_assert_uint_lt(k, M_KEYS);
	ck_assert_int_eq(s->state[k], 0); /* once */
	s->state[k] = deleted ? 2 : 1;
	s->version[k] = r->version;
	ck_assert(!deleted || r->payload_len == 0);
	s->calls++;
}

/* The anti-entropy views of a type agree with the model: bucket and leaf
 * digests are the sums of the entries in them, and a scan of every other
 * slot reports exactly the model's entries and tombstones in those slots. */
static void model_check_ae(struct ut_table *t, int ty)
{
	static uint64_t want_b[AE_BUCKETS], got_b[AE_BUCKETS];
	static uint64_t leaves[AE_BUCKETS][AE_LEAVES], want_l[AE_BUCKETS][AE_LEAVES];
	static uint8_t want[AE_SLOTS / 8];
	uint64_t *out[AE_BUCKETS];
	struct ae_seen seen;
	struct ut_rec r;

	memset(want_b, 0, sizeof(want_b));
	memset(want_l, 0, sizeof(want_l));
	memset(&seen, 0, sizeof(seen));
	for (unsigned s = 0; s < AE_SLOTS; s += 2)
		want[s / 8] = 0x55; /* the even slots */
	for (int k = 0; k < M_KEYS; k++) {
		unsigned slot = ut_ae_slot((enum ut_svc)ty, ikey((unsigned)k), 16);

		if (model[ty][k].state != 1)
			continue;
		ck_assert_int_eq(ut_lookup(t, (enum ut_svc)ty, ikey((unsigned)k), 16, &r), 0);
		want_b[slot / AE_LEAVES] += ut_entry_digest(&r);
		want_l[slot / AE_LEAVES][slot % AE_LEAVES] += ut_entry_digest(&r);
	}
	ut_ae_buckets(t, (enum ut_svc)ty, got_b);
	ck_assert_mem_eq(got_b, want_b, sizeof(want_b));
	for (unsigned b = 0; b < AE_BUCKETS; b++)
		out[b] = b % 3 ? leaves[b] : NULL;
	ut_ae_leaves(t, (enum ut_svc)ty, out);
	for (unsigned b = 0; b < AE_BUCKETS; b++)
		if (b % 3)
			ck_assert_mem_eq(leaves[b], want_l[b], sizeof(want_l[b]));
	ut_ae_scan(t, (enum ut_svc)ty, want, ae_seen_cb, &seen);
	for (int k = 0; k < M_KEYS; k++) {
		unsigned slot = ut_ae_slot((enum ut_svc)ty, ikey((unsigned)k), 16);
		int st = slot % 2 ? 0 : model[ty][k].state;

		ck_assert_int_eq(seen.state[k], st);
		if (st)
			ck_assert_uint_eq(seen.version[k], model[ty][k].version);
	}
}

static void model_check(struct ut_table *t)
{
	uint64_t digest[M_TYPES] = {0}, all = 0;
	size_t count[M_TYPES] = {0}, total = 0, tombs = 0, seen = 0, n_origin[M_TYPES][2] = {{0}};
	struct ut_cursor c;
	struct ut_rec r;
	int ty, k;

	for (ty = 0; ty < M_TYPES; ty++) {
		for (k = 0; k < M_KEYS; k++) {
			struct model_entry *m = &model[ty][k];
			int rc = ut_lookup(t, (enum ut_svc)ty, ikey((unsigned)k), 16, &r);

			tombs += m->state == 2;
			if (m->state != 1) {
				ck_assert_int_eq(rc, -ENOENT);
				continue;
			}
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(r.version, m->version);
			ck_assert_int_eq(r.origin, m->origin);
			ck_assert_uint_eq(r.payload_len, m->plen);
			if (m->plen)
				ck_assert_mem_eq(r.payload, m->payload, m->plen);
			digest[ty] += ut_entry_digest(&r);
			count[ty]++;
			n_origin[ty][m->origin]++;
		}
		for (int o = 0; o < 2; o++) {
			ck_assert_uint_eq(ut_count_origin(t, (enum ut_svc)ty, (enum ut_origin)o),
					  n_origin[ty][o]);
		}
		ck_assert_uint_eq(ut_count(t, (enum ut_svc)ty), count[ty]);
		ck_assert_uint_eq(ut_digest(t, (enum ut_svc)ty), digest[ty]);
		model_check_ae(t, ty);
		total += count[ty];
		all += digest[ty];
	}
	ck_assert_uint_eq(ut_count(t, UT_SVC_ALL), total);
	ck_assert_uint_eq(ut_digest(t, UT_SVC_ALL), all);
	ck_assert_uint_eq(ut_tombstones(t), tombs);
	ck_assert_int_eq(ut_cursor_open(t, &c, UT_SVC_ALL), 0);
	while (ut_cursor_next(&c, &r))
		seen++;
	ut_cursor_close(&c);
	ck_assert_uint_eq(seen, total);
}

START_TEST(random_changes_agree_with_a_model_of_the_rules)
{
	struct ut_table *t = ut_table_new(5, NO_LIMIT);
	int step;

	memset(model, 0, sizeof(model));
	memset(model_rs, 0, sizeof(model_rs));
	for (step = 0; step < 30000; step++) {
		int ty = (int)(rnd() % M_TYPES), k = (int)(rnd() % M_KEYS), op = (int)(rnd() % 18);
		enum ut_origin origin = (enum ut_origin)(rnd() % 2);
		uint64_t v = rnd() % 40;
		struct model_entry *m = &model[ty][k];

		if (op < 8) {
			uint8_t p[M_PLEN];
			struct ut_rec in = {(enum ut_svc)ty,
					    origin,
					    v,
					    ikey((unsigned)k),
					    16,
					    p,
					    (size_t)(rnd() % (M_PLEN + 1))};
			int want = m->state != 0 && v <= m->version ? UT_STALE : UT_APPLIED;

			for (size_t i = 0; i < sizeof(p); i++)
				p[i] = (uint8_t)rnd();
			ck_assert_int_eq(ut_upsert(t, &in), want);
			if (want == UT_STALE) {
				model_receive(m, origin);
			} else {
				m->state = 1;
				m->version = v;
				m->origin = origin;
				memcpy(m->payload, p, in.payload_len);
				m->plen = in.payload_len;
				m->received = true;
			}
		} else if (op < 13) {
			int want;

			if (m->state == 1)
				want = v >= m->version ? UT_APPLIED : UT_STALE;
			else if (m->state == 2)
				want = v > m->version ? UT_NOENT : UT_STALE;
			else
				want = UT_NOENT;
			ck_assert_int_eq(del(t, (enum ut_svc)ty, ikey((unsigned)k), v, origin),
					 want);
			if (want == UT_STALE) {
				model_receive(m, origin);
			} else {
				m->state = 2;
				m->version = v;
				m->origin = origin;
				m->received = true;
			}
		} else if (op < 14) {
			ck_assert_int_eq(ut_resync_begin(t, (enum ut_svc)ty, origin), 0);
			model_rs[ty][origin] = true;
			for (k = 0; k < M_KEYS; k++)
				if (model[ty][k].origin == origin)
					model[ty][k].received = false;
		} else if (op < 16) {
			ssize_t want = 0;

			if (!model_rs[ty][origin]) {
				ck_assert_int_eq(ut_resync_end(t, (enum ut_svc)ty, origin),
						 -EINVAL);
				continue;
			}
			for (k = 0; k < M_KEYS; k++) {
				struct model_entry *e = &model[ty][k];

				if (e->state == 0 || e->origin != origin || e->received)
					continue;
				want += e->state == 1;
				e->state = 0;
			}
			ck_assert_int_eq(ut_resync_end(t, (enum ut_svc)ty, origin), want);
			model_rs[ty][origin] = false;
		} else {
			/* the role for the user changed */
			int rc = ut_set_origin(t, (enum ut_svc)ty, ikey((unsigned)k), 16, origin);

			if (m->state != 1) {
				ck_assert_int_eq(rc, -ENOENT);
				continue;
			}
			ck_assert_int_eq(rc, m->origin != origin);
			m->origin = origin;
			m->received = true;
		}
		if (step % 97 == 0)
			model_check(t);
	}
	model_check(t);
	ut_table_free(t);
}
END_TEST

START_TEST(a_role_change_moves_an_entry_between_origins_and_saves_it_from_a_sweep)
{
	struct ut_table *t = ut_table_new(3, NO_LIMIT);
	uint64_t d;

	ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(1), 5, "one", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(2), 5, "two", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(3), 5, "three", UT_ORIGIN_LOCAL), UT_APPLIED);
	d = ut_digest(t, UT_SVC_ALL);
	ck_assert_uint_eq(ut_count_origin(t, UT_SVC_BRAS, UT_ORIGIN_PEER), 2);
	ck_assert_uint_eq(ut_count_origin(t, UT_SVC_ALL, UT_ORIGIN_LOCAL), 1);

	/* The peer is about to send everything again; meanwhile this device
	 * becomes master for user 1: the sweep must not take it. */
	ck_assert_int_eq(ut_resync_begin(t, UT_SVC_BRAS, UT_ORIGIN_PEER), 0);
	ck_assert_int_eq(ut_set_origin(t, UT_SVC_BRAS, ikey(1), 16, UT_ORIGIN_LOCAL), 1);
	ck_assert_int_eq(ut_set_origin(t, UT_SVC_BRAS, ikey(1), 16, UT_ORIGIN_LOCAL), 0);
	ck_assert_uint_eq(ut_count_origin(t, UT_SVC_BRAS, UT_ORIGIN_LOCAL), 2);
	ck_assert_uint_eq(ut_digest(t, UT_SVC_ALL), d);
	/* And master -> backup for user 3 during the same resync: kept too. */
	ck_assert_int_eq(ut_set_origin(t, UT_SVC_BRAS, ikey(3), 16, UT_ORIGIN_PEER), 1);
	ck_assert_int_eq(ut_resync_end(t, UT_SVC_BRAS, UT_ORIGIN_PEER), 1); /* user 2 */
	ck_assert_ptr_null(payload_of(t, UT_SVC_BRAS, ikey(2)));
	ck_assert_str_eq(payload_of(t, UT_SVC_BRAS, ikey(1)), "one");
	ck_assert_str_eq(payload_of(t, UT_SVC_BRAS, ikey(3)), "three");

	/* Nothing to move: no entry, a tombstone, bad arguments. */
	ck_assert_int_eq(ut_set_origin(t, UT_SVC_BRAS, ikey(9), 16, UT_ORIGIN_LOCAL), -ENOENT);
	ck_assert_int_eq(del(t, UT_SVC_BRAS, ikey(1), 6, UT_ORIGIN_LOCAL), UT_APPLIED);
	ck_assert_int_eq(ut_set_origin(t, UT_SVC_BRAS, ikey(1), 16, UT_ORIGIN_PEER), -ENOENT);
	ck_assert_int_eq(ut_set_origin(t, UT_SVC_ALL, ikey(3), 16, UT_ORIGIN_PEER), -EINVAL);
	ck_assert_int_eq(ut_set_origin(t, UT_SVC_BRAS, ikey(3), 0, UT_ORIGIN_PEER), -EINVAL);
	ck_assert_int_eq(ut_set_origin(t, UT_SVC_BRAS, ikey(3), 16, (enum ut_origin)2), -EINVAL);
	ck_assert_uint_eq(ut_count_origin(t, UT_SVC_BRAS, (enum ut_origin)2), 0);
	ut_table_free(t);
}
END_TEST

START_TEST(a_cursor_moves_the_entry_it_returned_between_origins)
{
	struct ut_table *t = ut_table_new(4, NO_LIMIT);
	struct ut_cursor c = {.t = NULL}; /* closed */
	struct ut_rec r;
	unsigned moved = 0;

	for (unsigned i = 0; i < 100; i++)
		ck_assert_int_eq(put(t, UT_SVC_DHCP_SERVER, ikey(i), 1, "p", UT_ORIGIN_PEER),
				 UT_APPLIED);
	ck_assert_int_eq(ut_cursor_set_origin(&c, UT_ORIGIN_LOCAL), -EINVAL); /* closed */
	ck_assert_int_eq(ut_cursor_open(t, &c, UT_SVC_ALL), 0);
	while (ut_cursor_next(&c, &r)) {
		if (strncmp((const char *)r.key, "user-1", 6) != 0)
			continue; /* user-1, user-10 .. user-19 */
		ck_assert_int_eq(ut_cursor_set_origin(&c, UT_ORIGIN_LOCAL), 1);
		ck_assert_int_eq(ut_cursor_set_origin(&c, UT_ORIGIN_LOCAL), 0);
		moved++;
	}
	ck_assert_int_eq(ut_cursor_set_origin(&c, UT_ORIGIN_LOCAL), -ENOENT); /* at the end */
	ut_cursor_close(&c);
	ck_assert_uint_eq(moved, 11);
	ck_assert_uint_eq(ut_count_origin(t, UT_SVC_DHCP_SERVER, UT_ORIGIN_LOCAL), 11);
	ck_assert_uint_eq(ut_count_origin(t, UT_SVC_DHCP_SERVER, UT_ORIGIN_PEER), 89);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_DHCP_SERVER, ikey(15), 16, &r), 0);
	ck_assert_int_eq(r.origin, UT_ORIGIN_LOCAL);
	ck_assert_int_eq(ut_lookup(t, UT_SVC_DHCP_SERVER, ikey(25), 16, &r), 0);
	ck_assert_int_eq(r.origin, UT_ORIGIN_PEER);
	ut_table_free(t);
}
END_TEST

START_TEST(a_forgotten_key_leaves_no_trace)
{
	struct ut_table *t = ut_table_new(4, NO_LIMIT);
	struct ut_table *u = ut_table_new(9, NO_LIMIT);
	uint64_t b[AE_BUCKETS], c[AE_BUCKETS];

	ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(1), 5, "one", UT_ORIGIN_PEER), UT_APPLIED);
	ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(2), 5, "two", UT_ORIGIN_LOCAL), UT_APPLIED);
	ck_assert_int_eq(del(t, UT_SVC_BRAS, ikey(3), 7, UT_ORIGIN_PEER), UT_NOENT);
	ck_assert_int_eq(put(u, UT_SVC_BRAS, ikey(2), 5, "two", UT_ORIGIN_LOCAL), UT_APPLIED);
	ck_assert_int_eq(ut_forget(t, UT_SVC_BRAS, ikey(1), 16), 0);
	ck_assert_int_eq(ut_forget(t, UT_SVC_BRAS, ikey(3), 16), 0);
	ck_assert_int_eq(ut_forget(t, UT_SVC_BRAS, ikey(3), 16), -ENOENT);
	ck_assert_int_eq(ut_forget(t, UT_SVC_ALL, ikey(2), 16), -EINVAL);
	/* no tombstone: an old version of either is taken again */
	ck_assert_uint_eq(ut_version_held(t, UT_SVC_BRAS, ikey(1), 16), 0);
	ck_assert_uint_eq(ut_tombstones(t), 0);
	ck_assert_uint_eq(ut_count(t, UT_SVC_BRAS), 1);
	/* the digests are those of a table that only ever held the rest */
	ck_assert_uint_eq(ut_digest(t, UT_SVC_BRAS), ut_digest(u, UT_SVC_BRAS));
	ut_ae_buckets(t, UT_SVC_BRAS, b);
	ut_ae_buckets(u, UT_SVC_BRAS, c);
	ck_assert_mem_eq(b, c, sizeof(b));
	ck_assert_int_eq(put(t, UT_SVC_BRAS, ikey(1), 1, "old", UT_ORIGIN_PEER), UT_APPLIED);
	ut_table_free(t);
	ut_table_free(u);
}
END_TEST

START_TEST(service_type_words)
{
	static const char *const words[] = {"arp",  "nd",   "dhcp-server", "dhcpv6-relay",
					    "bras", "l2tp", "ipsec"};
	enum ut_svc s = UT_SVC_ARP;
	int i;

	for (i = 0; i < UT_SVC_COUNT; i++) {
		ck_assert_str_eq(ut_svc_name((enum ut_svc)i), words[i]);
		ck_assert_int_eq(ut_svc_parse(words[i], &s), 0);
		ck_assert_int_eq(s, i);
	}
	ck_assert_int_eq(ut_svc_parse("all", &s), 0);
	ck_assert_int_eq(s, UT_SVC_ALL);
	ck_assert_str_eq(ut_svc_name(UT_SVC_ALL), "all");
	ck_assert_int_eq(ut_svc_parse("DHCP-Server", &s), 0);
	ck_assert_int_eq(s, UT_SVC_DHCP_SERVER);
	s = UT_SVC_ND;
	ck_assert_int_eq(ut_svc_parse("dhcp", &s), -EINVAL);
	ck_assert_int_eq(ut_svc_parse("", &s), -EINVAL);
	ck_assert_int_eq(ut_svc_parse("arp ", &s), -EINVAL);
	ck_assert_int_eq(ut_svc_parse(NULL, &s), -EINVAL);
	ck_assert_int_eq(s, UT_SVC_ND);
	ck_assert_str_eq(ut_svc_name((enum ut_svc)UT_SVC_COUNT), "unknown");
	ck_assert_str_eq(ut_svc_name((enum ut_svc) - 1), "unknown");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    an_entry_is_a_copy_of_what_was_given,
	    an_older_or_equal_version_never_overwrites_a_newer_one_in_any_order,
	    an_equal_version_with_another_payload_is_stale,
	    a_delete_and_an_add_end_the_same_in_every_order,
	    delete_says_what_it_did,
	    without_tombstones_an_older_add_after_a_delete_comes_back,
	    tombstones_are_bounded_and_the_oldest_go_first,
	    tombstones_are_not_entries,
	    the_digest_of_an_entry_is_the_documented_siphash,
	    same_entries_in_any_order_give_the_same_digests,
	    one_different_payload_byte_changes_the_digest,
	    version_key_and_type_are_in_the_digest_and_origin_is_not,
	    the_digest_follows_updates_and_deletes,
	    counts_per_type_and_in_total,
	    a_cursor_returns_every_entry_once_in_insertion_order,
	    a_cursor_survives_deletes_adds_and_updates_between_steps,
	    cursors_do_not_disturb_each_other,
	    a_cursor_on_an_empty_type_or_a_bad_type,
	    a_role_change_moves_an_entry_between_origins_and_saves_it_from_a_sweep,
	    a_cursor_moves_the_entry_it_returned_between_origins,
	    a_resync_removes_exactly_the_entries_not_received_again,
	    an_entry_taken_over_during_a_resync_leaves_its_sweep,
	    a_resync_of_all_types_and_its_tombstones,
	    a_resync_can_be_cancelled_or_started_over,
	    the_table_grows_and_shrinks_without_losing_an_entry,
	    a_reserved_table_holds_a_batch_without_growing_and_does_not_shrink_meanwhile,
	    the_version_held_counts_a_tombstone,
	    keys_and_payloads_at_their_limits_and_over,
	    an_entry_can_be_written_from_its_own_lookup,
	    random_changes_agree_with_a_model_of_the_rules,
	    a_forgotten_key_leaves_no_trace,
	    service_type_words,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests, .timeout = 60};

	return checkrun("user_table", &core, 1);
}
