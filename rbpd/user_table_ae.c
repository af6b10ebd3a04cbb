/*
 * The user table's anti-entropy ranges (docs/antientropy.md;
 * user_table_int.h says how its files share the work): the bucket digests
 * the table keeps at each change, the leaf digests of chosen buckets and
 * the entries and tombstones of chosen slots, each in one pass over a
 * type's list. A key's slot and the bucket digests' upkeep are in
 * user_table.c, beside the table's other hashes.
 */
#include <string.h>

#include "common/bitmap.h"
#include "rbpd/user_table_int.h"

void ut_ae_buckets(const struct ut_table *t, enum ut_svc type, uint64_t out[AE_BUCKETS])
{
	if (bad_type(type)) {
		memset(out, 0, sizeof(uint64_t) * AE_BUCKETS);
		return;
	}
	memcpy(out, t->bdigest[type], sizeof(uint64_t) * AE_BUCKETS);
}

void ut_ae_leaves(const struct ut_table *t, enum ut_svc type, uint64_t *const out[AE_BUCKETS])
{
	for (unsigned b = 0; b < AE_BUCKETS; b++)
		if (out[b])
			memset(out[b], 0, sizeof(uint64_t) * AE_LEAVES);
	if (bad_type(type))
		return;
	for (const struct ut_node *n = t->lists[type].next; n->kind != NODE_HEAD; n = n->next) {
		const struct ut_entry *e = (const struct ut_entry *)n;
		unsigned slot;

		if (n->kind != NODE_ENTRY)
			continue;
		slot = ut_slot_of(e);
		if (out[slot / AE_LEAVES])
			out[slot / AE_LEAVES][slot % AE_LEAVES] += ut_digest_of(e);
	}
}

static bool slot_wanted(const struct ut_entry *e, const uint8_t *want)
{
	unsigned slot = ut_slot_of(e);

	return bitmap_test(want, slot);
}

void ut_ae_scan(const struct ut_table *t, enum ut_svc type, const uint8_t want[AE_SLOTS / 8],
		ut_ae_cb cb, void *arg)
{
	struct ut_rec r;

	if (bad_type(type))
		return;
	for (const struct ut_node *n = t->lists[type].next; n->kind != NODE_HEAD; n = n->next) {
		const struct ut_entry *e = (const struct ut_entry *)n;

		if (n->kind != NODE_ENTRY || !slot_wanted(e, want))
			continue;
		rec_of(e, &r);
		cb(arg, &r, false);
	}
	for (const struct ut_node *n = t->tombs.next; n->kind != NODE_HEAD; n = n->next) {
		const struct ut_entry *e = (const struct ut_entry *)n;

		if (e->n.type != type || !slot_wanted(e, want))
			continue;
		rec_of(e, &r);
		r.payload = NULL;
		r.payload_len = 0;
		cb(arg, &r, true);
	}
}
