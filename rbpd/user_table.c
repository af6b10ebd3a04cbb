/*
 * The table of user entries (user_table.h; user_table_int.h says how its
 * files share the work): entries found by (type, key) through the bucket
 * hash, the bucket arrays growing and shrinking a few chains per change,
 * upsert, delete and the tombstones, lookup, origins, counts and digests
 * kept up to date at each change, and the three SipHash-2-4 hashes: the
 * bucket's, the entry digest, the anti-entropy slot.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/svc.h"
#include "rbpd/user_table_int.h"

#define MIN_BUCKETS 16
/* Chains moved from the old array to the new one by each change. It must
 * be at least 1 so that a migration ends before the new array fills up:
 * with 8, the load never goes past 1.125 during a growth. */
#define REHASH_STEP 8
/* ut_reserve() moves at most this many entries at once (about a ms). */
#define RESERVE_MOVE_MAX 65536

/* SipHash-2-4 (Aumasson, Bernstein 2012), fed in pieces. */
struct sip {
	uint64_t v0, v1, v2, v3;
	uint64_t tail;	/* the last 0..7 bytes, little-endian */
	unsigned ntail; /* how many */
	uint64_t len;	/* bytes fed */
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	       (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	       (uint64_t)p[7] << 56;
}

static void sip_rounds(struct sip *s, int n)
{
	while (n--) {
		s->v0 += s->v1;
		s->v1 = ROTL(s->v1, 13);
		s->v1 ^= s->v0;
		s->v0 = ROTL(s->v0, 32);
		s->v2 += s->v3;
		s->v3 = ROTL(s->v3, 16);
		s->v3 ^= s->v2;
		s->v0 += s->v3;
		s->v3 = ROTL(s->v3, 21);
		s->v3 ^= s->v0;
		s->v2 += s->v1;
		s->v1 = ROTL(s->v1, 17);
		s->v1 ^= s->v2;
		s->v2 = ROTL(s->v2, 32);
	}
}

static void sip_block(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_rounds(s, 2);
	s->v0 ^= m;
}

static void sip_init(struct sip *s, uint64_t k0, uint64_t k1)
{
	s->v0 = k0 ^ 0x736f6d6570736575ULL;
	s->v1 = k1 ^ 0x646f72616e646f6dULL;
	s->v2 = k0 ^ 0x6c7967656e657261ULL;
	s->v3 = k1 ^ 0x7465646279746573ULL;
	s->tail = 0;
	s->ntail = 0;
	s->len = 0;
}

static void sip_feed(struct sip *s, const uint8_t *p, size_t len)
{
	s->len += len;
	while (len && s->ntail) {
		s->tail |= (uint64_t)*p++ << (8 * s->ntail);
		len--;
		if (++s->ntail == 8) {
			sip_block(s, s->tail);
			s->tail = 0;
			s->ntail = 0;
		}
	}
	for (; len >= 8; p += 8, len -= 8)
		sip_block(s, le64(p));
	while (len--)
		s->tail |= (uint64_t)*p++ << (8 * s->ntail++);
}

static uint64_t sip_end(struct sip *s)
{
	sip_block(s, s->tail | s->len << 56);
	s->v2 ^= 0xff;
	sip_rounds(s, 4);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* The digest's key, "rbpd user entry " as two little-endian words. */
static const uint8_t digest_key[16] = "rbpd user entry ";

static uint64_t digest_of(uint8_t type, const uint8_t *key, size_t klen, uint64_t version,
			  const uint8_t *payload, size_t plen)
{
	uint8_t hdr[2] = {type, (uint8_t)klen}, v[12];
	struct sip s;
	int i;

	for (i = 0; i < 8; i++)
		v[i] = (uint8_t)(version >> (8 * i));
	for (i = 0; i < 4; i++)
		v[8 + i] = (uint8_t)(plen >> (8 * i));
	sip_init(&s, le64(digest_key), le64(digest_key + 8));
	sip_feed(&s, hdr, sizeof(hdr));
	sip_feed(&s, key, klen);
	sip_feed(&s, v, sizeof(v));
	if (plen)
		sip_feed(&s, payload, plen);
	return sip_end(&s);
}

uint64_t ut_digest_of(const struct ut_entry *e)
{
	return digest_of(e->n.type, e->data, e->n.key_len, e->version, e->data + e->n.key_len,
			 e->n.payload_len);
}

uint64_t ut_entry_digest(const struct ut_rec *r)
{
	return digest_of((uint8_t)r->type, r->key, r->key_len, r->version, r->payload,
			 r->payload_len);
}

/* The anti-entropy slot's key, "rbpd ae slot key" as two little-endian
 * words: fixed, so that both devices put a key in the same slot. */
static const uint8_t slot_key[16] = "rbpd ae slot key";

static unsigned slot_of(uint8_t type, const uint8_t *key, size_t klen)
{
	uint8_t hdr[2] = {type, (uint8_t)klen};
	struct sip s;

	sip_init(&s, le64(slot_key), le64(slot_key + 8));
	sip_feed(&s, hdr, sizeof(hdr));
	sip_feed(&s, key, klen);
	return (unsigned)(sip_end(&s) >> 48);
}

unsigned ut_ae_slot(enum ut_svc type, const void *key, size_t key_len)
{
	return slot_of((uint8_t)type, key, key_len);
}

unsigned ut_slot_of(const struct ut_entry *e)
{
	return slot_of(e->n.type, e->data, e->n.key_len);
}

/* The entry's bucket digest, where its digest d goes in or out. */
static uint64_t *bdigest_of(struct ut_table *t, const struct ut_entry *e)
{
	return &t->bdigest[e->n.type][slot_of(e->n.type, e->data, e->n.key_len) / AE_LEAVES];
}

static uint32_t bucket_hash(const struct ut_table *t, uint8_t type, const uint8_t *key, size_t klen)
{
	struct sip s;

	sip_init(&s, t->k0, t->k1);
	sip_feed(&s, &type, 1);
	sip_feed(&s, key, klen);
	return (uint32_t)sip_end(&s);
}

static size_t entry_size(size_t klen, size_t plen)
{
	return sizeof(struct ut_entry) + klen + plen;
}

static struct ut_entry *entry_alloc(struct ut_table *t, size_t klen, size_t plen)
{
	struct ut_entry *e = malloc(entry_size(klen, plen));

	if (e)
		t->entry_bytes += entry_size(klen, plen);
	return e;
}

static void entry_free(struct ut_table *t, struct ut_entry *e)
{
	t->entry_bytes -= entry_size(e->n.key_len, e->n.payload_len);
	free(e);
}

/* Where (type, key) is linked in its chain (the bucket or the previous
 * entry's hnext), or NULL. */
static struct ut_entry **find_in(struct ut_entry **pp, uint32_t h, uint8_t type, const uint8_t *key,
				 size_t klen)
{
	for (; *pp; pp = &(*pp)->hnext) {
		const struct ut_entry *e = *pp;

		if (e->hash == h && e->n.type == type && e->n.key_len == klen &&
		    memcmp(e->data, key, klen) == 0)
			return pp;
	}
	return NULL;
}

/* Where (type, key) is linked in its chain (the bucket or the previous
 * entry's hnext), or NULL. */
static struct ut_entry **find(const struct ut_table *t, uint32_t h, uint8_t type,
			      const uint8_t *key, size_t klen)
{
	struct ut_entry **pp = find_in(&t->bk[h & t->mask], h, type, key, klen);

	if (pp == NULL && t->old && (h & t->old_mask) >= t->old_pos)
		pp = find_in(&t->old[h & t->old_mask], h, type, key, klen);
	return pp;
}

/* Where e itself is linked in its chain; it must be in the table. */
static struct ut_entry **link_of(struct ut_table *t, const struct ut_entry *e)
{
	struct ut_entry **pp = &t->bk[e->hash & t->mask];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == NULL) {
		pp = &t->old[e->hash & t->old_mask];
		while (*pp != e)
			pp = &(*pp)->hnext;
	}
	return pp;
}

/* Moves up to nbuckets chains from the old array to the new one, looking
 * at no more than 16 empty buckets per chain moved, so that each change
 * does a bounded amount of work even in a sparse array. */
static void rehash_step(struct ut_table *t, size_t nbuckets)
{
	size_t empty = nbuckets * 16;

	while (t->old && nbuckets) {
		struct ut_entry *e = t->old[t->old_pos], *next;

		if (e == NULL) {
			if (empty-- == 0)
				return;
		} else {
			nbuckets--;
		}
		for (; e; e = next) {
			next = e->hnext;
			e->hnext = t->bk[e->hash & t->mask];
			t->bk[e->hash & t->mask] = e;
		}
		t->old[t->old_pos++] = NULL;
		if (t->old_pos > t->old_mask) {
			free(t->old);
			t->old = NULL;
		}
	}
}

/* Before each change: go on with a resize, or start one when the load is
 * over 1 or under 1/8. Out of memory for the new array, the table goes on
 * with the one it has (longer chains, or wasted room) and tries again at
 * the next change. */
static void maybe_resize(struct ut_table *t)
{
	size_t cap = t->mask + 1, want;
	struct ut_entry **nb;

	if (t->old) {
		rehash_step(t, REHASH_STEP);
		return;
	}
	if (t->nhashed > cap) {
		want = cap * 2;
	} else if (cap > MIN_BUCKETS && cap > t->floor && t->nhashed < cap / 8) {
		for (want = MIN_BUCKETS; want < t->nhashed * 2 || want < t->floor;)
			want *= 2;
	} else {
		return;
	}
	/* calloc: a large array comes from mmap as zero pages, so the cost
	 * of touching it is spread over the migration too. */
	nb = calloc(want, sizeof(*nb));
	if (nb == NULL)
		return;
	t->old = t->bk;
	t->old_mask = t->mask;
	t->old_pos = 0;
	t->bk = nb;
	t->mask = want - 1;
	rehash_step(t, REHASH_STEP);
}

int ut_reserve(struct ut_table *t, size_t n)
{
	size_t want = MIN_BUCKETS;
	struct ut_entry **nb;

	while (want < n && want <= SIZE_MAX / 2 / sizeof(*nb))
		want *= 2;
	t->floor = n ? want : 0;
	if (t->old || want <= t->mask + 1 || t->nhashed > RESERVE_MOVE_MAX)
		return 0;
	nb = calloc(want, sizeof(*nb));
	if (nb == NULL)
		return -ENOMEM;
	for (size_t i = 0; i <= t->mask; i++) {
		struct ut_entry *e, *next;

		for (e = t->bk[i]; e; e = next) {
			next = e->hnext;
			e->hnext = nb[e->hash & (want - 1)];
			nb[e->hash & (want - 1)] = e;
		}
	}
	free(t->bk);
	t->bk = nb;
	t->mask = want - 1;
	return 0;
}

/* After an entry moved to a new allocation (its header copied): points
 * its chain and its list neighbours at it. */
static void relink(struct ut_entry **pp, struct ut_entry *ne)
{
	*pp = ne;
	if (ne->n.prev) {
		ne->n.prev->next = &ne->n;
		ne->n.next->prev = &ne->n;
	}
}

static void touch(struct ut_table *t, struct ut_entry *e, enum ut_origin origin)
{
	if (origin_of(e) == origin)
		e->touched = t->gen;
}

void ut_drop_tomb(struct ut_table *t, struct ut_entry *e)
{
	struct ut_entry **pp = link_of(t, e);

	*pp = e->hnext;
	list_unlink(&e->n);
	t->nhashed--;
	t->ntombs--;
	entry_free(t, e);
}

/* Removes a live entry without a tombstone. */
void ut_drop_entry(struct ut_table *t, struct ut_entry *e)
{
	struct ut_entry **pp = link_of(t, e);

	uint64_t d = ut_digest_of(e);

	t->digest[e->n.type] -= d;
	*bdigest_of(t, e) -= d;
	t->count[e->n.type][origin_of(e)]--;
	*pp = e->hnext;
	list_unlink(&e->n);
	t->nhashed--;
	entry_free(t, e);
}

struct ut_table *ut_table_new(uint64_t seed, size_t max_tombstones)
{
	struct ut_table *t = calloc(1, sizeof(*t));
	int i;

	if (t == NULL)
		return NULL;
	t->bk = calloc(MIN_BUCKETS, sizeof(*t->bk));
	if (t->bk == NULL) {
		free(t);
		return NULL;
	}
	t->mask = MIN_BUCKETS - 1;
	t->k0 = seed;
	t->k1 = seed ^ 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < UT_SVC_COUNT; i++)
		list_init(&t->lists[i]);
	list_init(&t->tombs);
	t->max_tombs = max_tombstones;
	t->gen = 1;
	return t;
}

static void free_list(struct ut_node *head)
{
	struct ut_node *n, *next;

	for (n = head->next; n != head; n = next) {
		next = n->next;
		if (n->kind == NODE_ENTRY)
			free(entry_of(n));
	}
}

void ut_table_free(struct ut_table *t)
{
	int i;

	if (t == NULL)
		return;
	for (i = 0; i < UT_SVC_COUNT; i++)
		free_list(&t->lists[i]);
	free_list(&t->tombs);
	free(t->bk);
	free(t->old);
	free(t);
}

int ut_upsert(struct ut_table *t, const struct ut_rec *in)
{
	struct ut_entry **pp, *e, *ne;
	size_t klen, plen;
	uint64_t d;
	uint32_t h;

	if (in == NULL || bad_type(in->type) || bad_origin(in->origin) ||
	    bad_key(in->key, in->key_len) || in->payload_len > UT_PAYLOAD_MAX ||
	    (in->payload_len && in->payload == NULL))
		return -EINVAL;
	klen = in->key_len;
	plen = in->payload_len;
	maybe_resize(t);
	h = bucket_hash(t, (uint8_t)in->type, in->key, klen);
	pp = find(t, h, (uint8_t)in->type, in->key, klen);
	if (pp && in->version <= (*pp)->version) {
		touch(t, *pp, in->origin);
		return UT_STALE;
	}
	d = ut_entry_digest(in);

	if (pp == NULL || ((*pp)->n.flags & F_TOMB)) {
		/* A new entry, or one that comes back over its tombstone. */
		ne = entry_alloc(t, klen, plen);
		if (ne == NULL)
			return -ENOMEM;
		memset(&ne->n, 0, sizeof(ne->n));
		ne->n.kind = NODE_ENTRY;
		ne->n.type = (uint8_t)in->type;
		ne->n.key_len = (uint8_t)klen;
		ne->n.payload_len = (uint32_t)plen;
		ne->hash = h;
		memcpy(ne->data, in->key, klen);
		if (plen)
			memcpy(ne->data + klen, in->payload, plen);
		if (pp == NULL) {
			ne->hnext = t->bk[h & t->mask];
			t->bk[h & t->mask] = ne;
			t->nhashed++;
		} else {
			e = *pp;
			ne->hnext = e->hnext;
			*pp = ne;
			list_unlink(&e->n);
			t->ntombs--;
			entry_free(t, e);
		}
		list_append(&t->lists[in->type], &ne->n);
		e = ne;
	} else {
		uint64_t od;

		e = *pp;
		od = ut_digest_of(e);
		t->digest[in->type] -= od;
		*bdigest_of(t, e) -= od;
		t->count[in->type][origin_of(e)]--;
		if (e->n.payload_len == plen) {
			if (plen)
				memmove(e->data + klen, in->payload, plen);
		} else {
			ne = entry_alloc(t, klen, plen);
			if (ne == NULL) {
				t->digest[in->type] += od;
				*bdigest_of(t, e) += od;
				t->count[in->type][origin_of(e)]++;
				return -ENOMEM;
			}
			memcpy(ne, e, sizeof(*e) + klen);
			ne->n.payload_len = (uint32_t)plen;
			if (plen)
				memcpy(ne->data + klen, in->payload, plen);
			relink(pp, ne);
			entry_free(t, e);
			e = ne;
		}
	}
	e->version = in->version;
	e->n.flags = in->origin == UT_ORIGIN_PEER ? F_PEER : 0;
	e->touched = t->gen;
	t->digest[in->type] += d;
	*bdigest_of(t, e) += d;
	t->count[in->type][in->origin]++;
	return UT_APPLIED;
}

static void tomb_set(struct ut_table *t, struct ut_entry *e, uint64_t version,
		     enum ut_origin origin)
{
	e->version = version;
	e->n.flags = F_TOMB | (origin == UT_ORIGIN_PEER ? F_PEER : 0);
	e->touched = t->gen;
	list_unlink(&e->n);
	list_append(&t->tombs, &e->n);
}

int ut_delete(struct ut_table *t, enum ut_svc type, const void *key, size_t key_len,
	      uint64_t version, enum ut_origin origin)
{
	struct ut_entry **pp, *e, *ne;
	uint32_t h;
	uint64_t d;

	if (bad_type(type) || bad_origin(origin) || bad_key(key, key_len))
		return -EINVAL;
	maybe_resize(t);
	h = bucket_hash(t, (uint8_t)type, key, key_len);
	pp = find(t, h, (uint8_t)type, key, key_len);

	if (pp == NULL) {
		if (t->max_tombs == 0)
			return UT_NOENT;
		e = entry_alloc(t, key_len, 0);
		if (e == NULL)
			return -ENOMEM;
		memset(e, 0, sizeof(*e));
		e->n.kind = NODE_ENTRY;
		e->n.type = (uint8_t)type;
		e->n.key_len = (uint8_t)key_len;
		e->hash = h;
		memcpy(e->data, key, key_len);
		e->hnext = t->bk[h & t->mask];
		t->bk[h & t->mask] = e;
		t->nhashed++;
		t->ntombs++;
		tomb_set(t, e, version, origin);
		ut_tombstone_trim(t, t->max_tombs);
		return UT_NOENT;
	}

	e = *pp;
	if (e->n.flags & F_TOMB) {
		if (version <= e->version) {
			touch(t, e, origin);
			return UT_STALE;
		}
		tomb_set(t, e, version, origin);
		return UT_NOENT;
	}
	if (version < e->version) {
		touch(t, e, origin);
		return UT_STALE;
	}
	if (t->max_tombs == 0) {
		ut_drop_entry(t, e);
		return UT_APPLIED;
	}
	d = ut_digest_of(e);
	t->digest[type] -= d;
	*bdigest_of(t, e) -= d;
	t->count[type][origin_of(e)]--;
	list_unlink(&e->n);
	/* Give the payload back. Without memory for the smaller copy, the
	 * whole entry serves as the tombstone. */
	ne = entry_alloc(t, key_len, 0);
	if (ne) {
		memcpy(ne, e, sizeof(*e) + key_len);
		ne->n.payload_len = 0;
		relink(pp, ne);
		entry_free(t, e);
		e = ne;
	}
	t->ntombs++;
	tomb_set(t, e, version, origin);
	ut_tombstone_trim(t, t->max_tombs);
	return UT_APPLIED;
}

int ut_lookup(const struct ut_table *t, enum ut_svc type, const void *key, size_t key_len,
	      struct ut_rec *out)
{
	struct ut_entry **pp;

	if (bad_type(type) || bad_key(key, key_len))
		return -EINVAL;
	pp = find(t, bucket_hash(t, (uint8_t)type, key, key_len), (uint8_t)type, key, key_len);
	if (pp == NULL || ((*pp)->n.flags & F_TOMB))
		return -ENOENT;
	rec_of(*pp, out);
	return 0;
}

uint64_t ut_version_held(const struct ut_table *t, enum ut_svc type, const void *key,
			 size_t key_len)
{
	struct ut_entry **pp;

	if (bad_type(type) || bad_key(key, key_len))
		return 0;
	pp = find(t, bucket_hash(t, (uint8_t)type, key, key_len), (uint8_t)type, key, key_len);
	return pp ? (*pp)->version : 0;
}

/* Sums a per-type, per-origin array over type (or all) and the origins in
 * mask (bit 0 local, bit 1 peer). */
#define SUM_OVER(t, arr, type, mask, acc)                                                        \
	do {                                                                                     \
		int lo_ = (type) == UT_SVC_ALL ? 0 : (int)(type);                                \
		int hi_ = (type) == UT_SVC_ALL ? UT_SVC_COUNT - 1 : (int)(type);                 \
		if ((type) != UT_SVC_ALL && bad_type(type))                                      \
			break;                                                                   \
		for (int i_ = lo_; i_ <= hi_; i_++)                                              \
			for (int o_ = 0; o_ < 2; o_++)                                           \
				if ((mask) & (1 << o_))                                          \
					(acc) += (t)->arr[i_][o_];                               \
	} while (0)

size_t ut_count(const struct ut_table *t, enum ut_svc type)
{
	size_t n = 0;

	SUM_OVER(t, count, type, 3, n);
	return n;
}

size_t ut_count_origin(const struct ut_table *t, enum ut_svc type, enum ut_origin origin)
{
	size_t n = 0;

	if (bad_origin(origin))
		return 0;
	SUM_OVER(t, count, type, 1 << origin, n);
	return n;
}

size_t ut_tombstones(const struct ut_table *t)
{
	return t->ntombs;
}

size_t ut_tombstone_trim(struct ut_table *t, size_t keep)
{
	size_t n = 0;

	while (t->ntombs > keep) {
		ut_drop_tomb(t, entry_of(t->tombs.next));
		n++;
	}
	return n;
}

uint64_t ut_digest(const struct ut_table *t, enum ut_svc type)
{
	uint64_t d = 0;

	if (type != UT_SVC_ALL)
		return bad_type(type) ? 0 : t->digest[type];
	for (int i = 0; i < UT_SVC_COUNT; i++)
		d += t->digest[i];
	return d;
}

int ut_move_origin(struct ut_table *t, struct ut_entry *e, enum ut_origin origin)
{
	uint8_t type = e->n.type;

	/* Received again for a resync of either origin: it is not the
	 * peer's to sweep now, whichever way it moved. */
	e->touched = t->gen;
	if (origin_of(e) == origin)
		return 0;
	/* the digest is over both origins: a takeover moves a million users
	 * without hashing one */
	t->count[type][origin_of(e)]--;
	e->n.flags = (uint8_t)((e->n.flags & ~F_PEER) | (origin == UT_ORIGIN_PEER ? F_PEER : 0));
	t->count[type][origin]++;
	return 1;
}

int ut_set_origin(struct ut_table *t, enum ut_svc type, const void *key, size_t key_len,
		  enum ut_origin origin)
{
	struct ut_entry **pp;

	if (bad_type(type) || bad_origin(origin) || bad_key(key, key_len))
		return -EINVAL;
	pp = find(t, bucket_hash(t, (uint8_t)type, key, key_len), (uint8_t)type, key, key_len);
	if (pp == NULL || ((*pp)->n.flags & F_TOMB))
		return -ENOENT;
	return ut_move_origin(t, *pp, origin);
}

int ut_forget(struct ut_table *t, enum ut_svc type, const void *key, size_t key_len)
{
	struct ut_entry **pp;

	if (bad_type(type) || bad_key(key, key_len))
		return -EINVAL;
	pp = find(t, bucket_hash(t, (uint8_t)type, key, key_len), (uint8_t)type, key, key_len);
	if (pp == NULL)
		return -ENOENT;
	if ((*pp)->n.flags & F_TOMB)
		ut_drop_tomb(t, *pp);
	else
		ut_drop_entry(t, *pp);
	return 0;
}

void ut_mem(const struct ut_table *t, struct ut_mem *out)
{
	out->entries = t->entry_bytes;
	out->buckets = (t->mask + 1) * sizeof(*t->bk);
	if (t->old)
		out->buckets += (t->old_mask + 1) * sizeof(*t->old);
}

_Static_assert((int)UT_SVC_COUNT == (int)SVC_COUNT, "enum ut_svc mirrors RbsServiceType (common/svc.h)");

const char *ut_svc_name(enum ut_svc type)
{
	return type == UT_SVC_ALL ? "all" : svc_word((int)type);
}

int ut_svc_parse(const char *word, enum ut_svc *out)
{
	int t;

	if (word && strcasecmp(word, "all") == 0) {
		*out = UT_SVC_ALL;
		return 0;
	}
	if ((t = svc_parse(word)) < 0)
		return -EINVAL;
	*out = (enum ut_svc)t;
	return 0;
}
