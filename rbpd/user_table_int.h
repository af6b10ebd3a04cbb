/*
 * The user table's insides (user_table.h is its interface), shared by its
 * parts, one concern each:
 *
 *   user_table.c       the table: entries found by (type, key) in the
 *                      hash, the bucket arrays growing and shrinking in
 *                      steps, upsert, delete and tombstones, lookup,
 *                      origins, counts and digests; the three hashes
 *                      (bucket, entry digest, anti-entropy slot)
 *   user_table_walk.c  walks of the per-type lists in insertion order:
 *                      cursors (batch backup), the resync's sweep
 *   user_table_ae.c    anti-entropy: the digests of buckets and leaves, the
 *                      entries and tombstones of a set of slots
 *
 * Only these files include this header. The hashes and the bucket arrays
 * are user_table.c's alone, so that an insert or a lookup runs within one
 * file, no call from one to another on its way; the parts share the
 * layout, the small static inline helpers below and the functions
 * declared at the end.
 */
#ifndef DB_USER_TABLE_INT_H
#define DB_USER_TABLE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rbpd/user_table.h"

/* Kinds of list nodes. */
#define NODE_HEAD 0  /* the head of a list, in the table */
#define NODE_ENTRY 1 /* an entry or a tombstone */
#define NODE_MARK 2  /* a cursor's bookmark */

/* ut_node.flags of an entry. */
#define F_PEER 0x01 /* origin UT_ORIGIN_PEER */
#define F_TOMB 0x02 /* a tombstone: key and version only */

/* One allocation per entry: this header, the key, the payload. */
struct ut_entry {
	struct ut_node n;	/* list links, type, flags, key and payload lengths */
	struct ut_entry *hnext; /* next in the hash chain */
	uint64_t version;
	uint32_t hash;	  /* low bits of the bucket hash: the index in any array */
	uint32_t touched; /* t->gen when last added, changed or received again */
	uint8_t data[];	  /* key_len bytes of key, then payload_len bytes of payload */
};

_Static_assert(sizeof(struct ut_entry) == UT_ENTRY_OVERHEAD, "UT_ENTRY_OVERHEAD is out of date");
_Static_assert(offsetof(struct ut_entry, n) == 0, "entries are found from their list node");

struct ut_table {
	/* Buckets. During a resize, the chains of old[0 .. old_pos) have moved
	 * to bk already; the rest are still in old. */
	struct ut_entry **bk, **old;
	size_t mask, old_mask, old_pos;
	size_t floor;	 /* no shrinking below this many buckets (ut_reserve()) */
	size_t nhashed;	 /* entries and tombstones */
	uint64_t k0, k1; /* SipHash key of the bucket hash */

	struct ut_node lists[UT_SVC_COUNT]; /* entries of each type, oldest first */
	/* per type and origin */
	size_t count[UT_SVC_COUNT][2];
	uint64_t digest[UT_SVC_COUNT]; /* both origins: ut_digest() */
	/* per type and anti-entropy bucket, both origins (ut_ae_buckets()) */
	uint64_t bdigest[UT_SVC_COUNT][AE_BUCKETS];

	struct ut_node tombs; /* tombstones, oldest first */
	size_t ntombs, max_tombs;

	/* Resync: gen only grows; rs_gen[type][origin] is its value when that
	 * resync began, and an entry was received again when its touched is
	 * not older (serial number arithmetic, so a wrap after 2^32 begins is
	 * harmless unless an entry stays untouched for 2^31 of them). */
	uint32_t gen;
	uint32_t rs_gen[UT_SVC_COUNT][2];
	bool rs_active[UT_SVC_COUNT][2];

	size_t entry_bytes;
};

/* Lists: circular, through a head of kind NODE_HEAD. An unlinked node has
 * NULL links. */
static inline void list_init(struct ut_node *h)
{
	memset(h, 0, sizeof(*h));
	h->kind = NODE_HEAD;
	h->prev = h->next = h;
}

static inline void list_insert_after(struct ut_node *at, struct ut_node *n)
{
	n->prev = at;
	n->next = at->next;
	at->next->prev = n;
	at->next = n;
}

static inline void list_append(struct ut_node *head, struct ut_node *n)
{
	list_insert_after(head->prev, n);
}

static inline void list_unlink(struct ut_node *n)
{
	if (n->prev == NULL)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = NULL;
}

static inline struct ut_entry *entry_of(struct ut_node *n)
{
	return (struct ut_entry *)n;
}

static inline enum ut_origin origin_of(const struct ut_entry *e)
{
	return e->n.flags & F_PEER ? UT_ORIGIN_PEER : UT_ORIGIN_LOCAL;
}

static inline bool bad_type(enum ut_svc type)
{
	return (unsigned)type >= UT_SVC_COUNT;
}

static inline bool bad_origin(enum ut_origin origin)
{
	return (unsigned)origin > UT_ORIGIN_PEER;
}

static inline bool bad_key(const void *key, size_t klen)
{
	return klen == 0 || klen > USER_KEY_MAX || key == NULL;
}

static inline void rec_of(const struct ut_entry *e, struct ut_rec *out)
{
	out->type = (enum ut_svc)e->n.type;
	out->origin = origin_of(e);
	out->version = e->version;
	out->key = e->data;
	out->key_len = e->n.key_len;
	out->payload = e->n.payload_len ? e->data + e->n.key_len : NULL;
	out->payload_len = e->n.payload_len;
}

/* ---- user_table.c ---- */

/* The entry's part of the digest (ut_entry_digest()). */
uint64_t ut_digest_of(const struct ut_entry *e);

/* The entry's anti-entropy slot (ut_ae_slot()). */
unsigned ut_slot_of(const struct ut_entry *e);

/* Removes a live entry without a tombstone: out of its chain, its list,
 * the counts and the digests, and frees it. */
void ut_drop_entry(struct ut_table *t, struct ut_entry *e);

/* Removes a tombstone: out of its chain and the tombstone list, and
 * frees it. */
void ut_drop_tomb(struct ut_table *t, struct ut_entry *e);

/* Moves a live entry to origin (counts and digests follow) and counts it
 * as received again for a resync of either origin. Returns 1 when the
 * origin changed, 0 when it already was origin. */
int ut_move_origin(struct ut_table *t, struct ut_entry *e, enum ut_origin origin);

#endif
