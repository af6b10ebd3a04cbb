/*
 * The table of user entries rbpd keeps: what this device learned as master
 * for a user and what the peer sent while this device is backup for it.
 * Pure: no sockets, no clock, no logging.
 *
 * An entry is identified by (service type, key). It carries an opaque
 * payload, a version given by its origin (larger = newer) and where it came
 * from: learned here (UT_ORIGIN_LOCAL) or received from the peer
 * (UT_ORIGIN_PEER).
 *
 * Decisions:
 *  - Versions decide, whatever the order of arrival. An upsert applies only
 *    when its version is larger than the one the table holds; equal is
 *    stale too (UT_STALE), even when the payload differs: the origin gave
 *    the version, a second payload under it is the origin's bug and the
 *    first one stays. A delete applies when its version is larger than or
 *    equal to the entry's: between an add and a delete of the same version
 *    the delete wins, in both orders.
 *  - Tombstones. A delete leaves a tombstone (the key and the delete's
 *    version, no payload), also for a key the table never held, so that an
 *    add older than the delete that arrives after it is refused as stale
 *    instead of bringing the user back. Tombstones are not entries: lookup,
 *    counts, digests and cursors ignore them. They are bounded: at most
 *    max_tombstones (ut_table_new()), the oldest dropped first, and a resync
 *    sweeps the ones it did not see again (ut_resync_end()). Once a
 *    tombstone is gone an older add is applied again; with max_tombstones
 *    0 the table keeps none, and the last arrival wins between a delete and
 *    an older add.
 *  - The digest is the sum modulo 2^64 of one 64-bit hash per entry,
 *    SipHash-2-4 under a fixed key (see ut_entry_digest()) over the type,
 *    key, version and payload, origin excluded: the master holds an entry as
 *    local and the backup the same entry as peer, and their digests must
 *    agree. A sum does not depend on the order entries came in, is kept up
 *    to date at each change and read in O(1). Its value is defined
 *    byte for byte, the same on every build and architecture.
 *  - Hashing: separate chaining, one allocation per entry (a 48-byte header,
 *    then the key, then the payload), an array of bucket pointers. The table
 *    doubles when it holds more entries (tombstones included) than buckets,
 *    and shrinks to about twice its entries when it holds fewer than an
 *    eighth (never below 16 buckets). Either way the chains move to the new
 *    array a few per change (8 chains, at most 128 empty buckets looked at),
 *    as Redis does, instead of in one call: the price is two arrays for a
 *    while and lookups that check both meanwhile; the gain is that the
 *    insert that crosses 2^19 entries costs about 50 us instead of a 20 ms
 *    rehash (bench/table.c). At 1,000,000 entries of 16 + 64 bytes the
 *    table needs about 72 bytes per entry beyond key and payload (header,
 *    malloc's own 8 to 16, buckets). The bucket index comes from SipHash-2-4
 *    keyed with the seed given to ut_table_new(), since keys (MACs, IPs)
 *    are chosen by users on the segment: with a random seed they cannot aim
 *    at one chain.
 *  - Cursors (batch backup) are bookmarks linked into per-type lists of
 *    entries kept in insertion order, so they survive any change between
 *    two calls; see struct ut_cursor for what is guaranteed.
 *  - Resync is mark and sweep per (service type, origin): see
 *    ut_resync_begin().
 */
#ifndef DB_USER_TABLE_H
#define DB_USER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/ae.h" /* AE_*, USER_KEY_MAX: a key is 1..USER_KEY_MAX bytes */

/* Service types. The values go to the peer and into the digest: never
 * renumber them, add new ones before UT_SVC_COUNT. */
enum ut_svc {
	UT_SVC_ARP = 0,
	UT_SVC_ND = 1,
	UT_SVC_DHCP_SERVER = 2,
	UT_SVC_DHCPV6_RELAY = 3,
	UT_SVC_BRAS = 4,
	UT_SVC_L2TP = 5,
	UT_SVC_IPSEC = 6,
	UT_SVC_COUNT,
	/* Every type at once (`batch-backup service-type all`): accepted only
	 * where a function says so. */
	UT_SVC_ALL = 0xff,
};

/* Where an entry came from. */
enum ut_origin {
	UT_ORIGIN_LOCAL = 0, /* learned on this device, as master for the user */
	UT_ORIGIN_PEER = 1,  /* received from the peer over the channel */
};

#define UT_PAYLOAD_MAX 65536 /* bytes; 0 is allowed */
#define UT_ENTRY_OVERHEAD 48 /* the table's header in each entry's allocation */

/* Positive results of ut_upsert() and ut_delete(); errors are negative. */
#define UT_APPLIED 0 /* the change is in the table */
#define UT_STALE 1   /* ignored: the table has this version or a newer one */
#define UT_NOENT 2   /* ut_delete(): there was no entry; a tombstone records it */

/* One entry, in and out. Out of the table (ut_lookup(), ut_cursor_next()),
 * key and payload point into the table's memory and stay valid until the
 * next call that changes the table (upsert, delete, resync end, tombstone
 * trim); payload is NULL when payload_len is 0. */
struct ut_rec {
	enum ut_svc type;
	enum ut_origin origin;
	uint64_t version;
	const uint8_t *key; /* 1..USER_KEY_MAX bytes */
	size_t key_len;
	const uint8_t *payload; /* 0..UT_PAYLOAD_MAX bytes */
	size_t payload_len;
};

struct ut_table;

/* Private: a link of the per-type lists, shared by entries and cursor
 * bookmarks. */
struct ut_node {
	struct ut_node *prev, *next;
	uint8_t kind, type, flags, key_len;
	uint32_t payload_len;
};

/*
 * A cursor over the entries of one service type or of all (batch backup).
 * It lives in the caller's memory; its fields are private. Between
 * ut_cursor_open() and ut_cursor_close() the table may be changed freely,
 * and it guarantees:
 *  - every entry present when the cursor was opened and still present when
 *    the cursor gets to it is returned exactly once, with its current
 *    content (an upsert that changed it meanwhile does not move it);
 *  - an entry deleted before the cursor gets to it is not returned;
 *  - an entry added after the cursor was opened (or revived from a
 *    tombstone) is not returned: it goes to the peer in real time anyway, and
 *    a cursor ends even while users keep arriving;
 *  - order: type by type in enum order, and within a type the order the
 *    entries were added.
 * A step costs O(1) (plus any other cursor's bookmark it passes); open
 * cursors cost the table's changes nothing.
 */
struct ut_cursor {
	struct ut_table *t;		  /* NULL when closed */
	struct ut_node pos;		  /* the next entry to return is after this bookmark */
	struct ut_node end[UT_SVC_COUNT]; /* where each list ended at open time */
	uint8_t cur, last;
};

/*
 * A new empty table. seed keys the bucket hash (give it a random value in
 * the daemon, anything in tests; it changes nothing visible, not even the
 * digest). max_tombstones bounds the tombstones kept (see above); 0 keeps
 * none. Returns NULL when out of memory. The caller owns the table and
 * frees it with ut_table_free().
 */
struct ut_table *ut_table_new(uint64_t seed, size_t max_tombstones);

/* Frees the table and every entry. Every cursor on it must have been
 * closed. NULL is allowed. */
void ut_table_free(struct ut_table *t);

/*
 * Room for n entries in all (a batch announced with its size): the bucket
 * array grows to hold them at once rather than doubling, and migrating,
 * as they arrive, and does not shrink below that until the next call.
 * Only an empty or small table (RESERVE_MOVE_MAX entries) is resized
 * here, its chains moved at once; a larger one grows in steps as ever.
 * ut_reserve(t, 0) lifts the floor. Returns 0, or -ENOMEM (nothing
 * changes; the table grows as it would have).
 */
int ut_reserve(struct ut_table *t, size_t n);

/*
 * Adds an entry, or replaces the one with the same (type, key) when
 * in->version is larger than the version it holds (entry or tombstone).
 * The key and payload are copied; in->type must be a real type (not
 * UT_SVC_ALL). The stored origin becomes in->origin.
 *
 * Returns UT_APPLIED; UT_STALE when the table holds the same version or a
 * newer one (nothing changes, except that a resync in progress counts the
 * entry as received again, see ut_resync_begin()); -EINVAL for a bad type
 * or origin, a key of 0 or more than USER_KEY_MAX bytes, a payload of more
 * than UT_PAYLOAD_MAX bytes, or a NULL pointer with a non-zero length;
 * -ENOMEM (the table is unchanged).
 */
int ut_upsert(struct ut_table *t, const struct ut_rec *in);

/*
 * Deletes (type, key) as of version: an entry is removed when version is
 * larger than or equal to its version, and a tombstone keeps the key and
 * version (unless max_tombstones is 0). origin is the delete's origin.
 *
 * Returns UT_APPLIED when an entry was removed; UT_NOENT when there was no
 * entry (a tombstone now records the version; a tombstone of an older
 * version is moved up to it); UT_STALE when the entry or tombstone has a
 * newer version (or, for a tombstone, the same); -EINVAL as for
 * ut_upsert(); -ENOMEM when a new tombstone could not be allocated (the
 * table is unchanged).
 */
int ut_delete(struct ut_table *t, enum ut_svc type, const void *key, size_t key_len,
	      uint64_t version, enum ut_origin origin);

/*
 * Finds (type, key). Returns 0 with *out filled (pointers into the table,
 * see struct ut_rec); -ENOENT when there is no entry (a tombstone is no
 * entry); -EINVAL for a bad type or key length.
 */
int ut_lookup(const struct ut_table *t, enum ut_svc type, const void *key, size_t key_len,
	      struct ut_rec *out);

/* The version held for (type, key), the entry's or its tombstone's; 0
 * when there is neither (or for a bad type or key). A change made here
 * must be newer than it, or a delete the peer made later would win. */
uint64_t ut_version_held(const struct ut_table *t, enum ut_svc type, const void *key,
			 size_t key_len);

/* Number of entries of a type, or of all with UT_SVC_ALL; tombstones are
 * not counted. 0 for an unknown type. */
size_t ut_count(const struct ut_table *t, enum ut_svc type);

/* The same, counting only the entries of one origin. 0 for an unknown
 * type or origin. */
size_t ut_count_origin(const struct ut_table *t, enum ut_svc type, enum ut_origin origin);

/* Number of tombstones held. */
size_t ut_tombstones(const struct ut_table *t);

/* Drops the oldest tombstones until at most keep remain; returns how many
 * were dropped. */
size_t ut_tombstone_trim(struct ut_table *t, size_t keep);

/*
 * The digest of a type, or of the whole table with UT_SVC_ALL: the sum
 * modulo 2^64 of ut_entry_digest() over its entries, 0 when it has none.
 * O(1). Two tables holding the same entries (type, key, version, payload)
 * have the same digest whatever the order they were filled in, the seed,
 * the origins and the tombstones. 0 for an unknown type.
 */
uint64_t ut_digest(const struct ut_table *t, enum ut_svc type);


/*
 * Changes the origin of the entry (type, key) without touching its
 * version or content: the device became master for the user (peer ->
 * local) or backup (local -> peer). For a resync in progress of either
 * origin the entry counts as received again, so that a sweep does not
 * remove a user whose role changed meanwhile. Returns 1 when the origin
 * changed, 0 when it already was origin, -ENOENT when there is no entry
 * (a tombstone is none), -EINVAL for a bad type, key or origin.
 */
int ut_set_origin(struct ut_table *t, enum ut_svc type, const void *key, size_t key_len,
		  enum ut_origin origin);

/*
 * One entry's part of the digest: SipHash-2-4 with the key bytes
 * "rbpd user entry " (16 ASCII bytes) over type (1 byte), key_len (1 byte),
 * the key, version (8 bytes little-endian), payload_len (4 bytes
 * little-endian), the payload. r->origin is ignored. The peer, or a test,
 * computes the same value from the same entry.
 */
uint64_t ut_entry_digest(const struct ut_rec *r);

/*
 * Opens a cursor over the entries of type, or of all types with
 * UT_SVC_ALL. Returns 0, or -EINVAL for an unknown type (c is then
 * closed). c must not be open already. See struct ut_cursor.
 */
int ut_cursor_open(struct ut_table *t, struct ut_cursor *c, enum ut_svc type);

/* The next entry: returns true with *out filled (pointers into the table,
 * see struct ut_rec), false at the end and for a closed cursor. */
bool ut_cursor_next(struct ut_cursor *c, struct ut_rec *out);

/* ut_set_origin() for the entry the last ut_cursor_next() returned,
 * without looking it up again (a takeover walks every user). Only right
 * after a ut_cursor_next() that returned true, before any other change of
 * the table. Returns as ut_set_origin(); -ENOENT when the cursor is at its
 * end; -EINVAL for a closed cursor or a bad origin. */
int ut_cursor_set_origin(struct ut_cursor *c, enum ut_origin origin);

/* Closes a cursor, at the end or before; closing a closed cursor does
 * nothing. */
void ut_cursor_close(struct ut_cursor *c);

/*
 * Starts a mark and sweep of the entries of (type, origin), or of every
 * type with UT_SVC_ALL: the peer is about to send all of its entries again
 * (after a reconnect, a batch backup), or the kernel table is dumped again.
 * Until ut_resync_end(), an entry of that origin is "received again" when
 * an upsert or delete of the same origin names its key, whether the
 * change applies or is stale; entries added meanwhile count as received.
 * Entries of the other origin are never swept: a resync of what the peer
 * has cannot remove what this device learned. Starting again while a
 * resync is in progress starts over. Returns 0, or -EINVAL for a bad type
 * or origin.
 */
int ut_resync_begin(struct ut_table *t, enum ut_svc type, enum ut_origin origin);

/*
 * Ends the resync of (type, origin), or of every type in resync with
 * UT_SVC_ALL: removes the entries of that origin not received again since
 * ut_resync_begin(), without tombstones (no delete was ever sent for
 * them), and drops the tombstones of that origin not seen again. Returns
 * the number of entries removed (tombstones not counted), or -EINVAL for a
 * bad type or origin, or when no such resync is in progress.
 */
ssize_t ut_resync_end(struct ut_table *t, enum ut_svc type, enum ut_origin origin);

/* Abandons the resync of (type, origin) (UT_SVC_ALL: of every type)
 * without removing anything: the channel went down in the middle. Returns
 * 0, or -EINVAL as for ut_resync_end(). */
int ut_resync_cancel(struct ut_table *t, enum ut_svc type, enum ut_origin origin);

/*
 * Removes (type, key), entry or tombstone, as if the table had never held
 * it: no tombstone, nothing counted as received. Only tests use it, to
 * make a table lose entries behind everyone's back as a fault would.
 * Returns 0, -ENOENT when there is neither, -EINVAL for a bad type or key.
 */
int ut_forget(struct ut_table *t, enum ut_svc type, const void *key, size_t key_len);

/*
 * Anti-entropy (docs/antientropy.md): the two devices compare their
 * tables range by range and send each other only what differs. A key's
 * slot, 0..AE_SLOTS-1, is the top 16 bits of SipHash-2-4 keyed with
 * "rbpd ae slot key" (16 ASCII bytes) over type (1 byte), key_len (1
 * byte), the key: the same on every device and build, whatever the
 * table's seed. Slot / AE_LEAVES is its bucket, slot % AE_LEAVES its
 * leaf within the bucket. A range's digest is the sum modulo 2^64 of
 * ut_entry_digest() over its entries (tombstones excluded, origins
 * ignored), like ut_digest(). AE_BUCKETS, AE_LEAVES, AE_SLOTS: common/ae.h.
 */

unsigned ut_ae_slot(enum ut_svc type, const void *key, size_t key_len);

/* The digests of the type's buckets, kept up to date at each change: O(1)
 * per bucket. All 0 for an unknown type. */
void ut_ae_buckets(const struct ut_table *t, enum ut_svc type, uint64_t out[AE_BUCKETS]);

/* The leaf digests of the buckets b for which out[b] is not NULL:
 * out[b][0 .. AE_LEAVES-1], computed in one pass over the type's
 * entries (O(entries of the type)). */
void ut_ae_leaves(const struct ut_table *t, enum ut_svc type, uint64_t *const out[AE_BUCKETS]);

/* Every entry (deleted false) and tombstone (deleted true, no payload) of
 * the type whose slot's bit is set in want (bit slot % 8 of byte slot / 8),
 * in one pass over the type's entries and the tombstones. r and what it
 * points to are valid during the call only; cb must not change the table. */
typedef void (*ut_ae_cb)(void *arg, const struct ut_rec *r, bool deleted);
void ut_ae_scan(const struct ut_table *t, enum ut_svc type, const uint8_t want[AE_SLOTS / 8],
		ut_ae_cb cb, void *arg);

/* Memory the table asked malloc for, in bytes: the entries (headers, keys,
 * payloads, tombstones) and the bucket arrays. malloc's own overhead is not
 * included. */
struct ut_mem {
	size_t entries;
	size_t buckets;
};
void ut_mem(const struct ut_table *t, struct ut_mem *out);

/* The CLI word of a type ("arp", "nd", "dhcp-server", "dhcpv6-relay",
 * "bras", "l2tp", "ipsec", and "all" for UT_SVC_ALL); "unknown" for any
 * other value. A static string. */
const char *ut_svc_name(enum ut_svc type);

/* Parses a CLI word (the words above, case-insensitively; "all" gives
 * UT_SVC_ALL). Returns 0 with *out set, or -EINVAL (*out untouched). */
int ut_svc_parse(const char *word, enum ut_svc *out);

#endif
