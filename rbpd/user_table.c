/* The table of user entries: see user_table.h. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/bitmap.h"
#include "common/svc.h"
#include "rbpd/user_table.h"

/* Kinds of list nodes. */
#define NODE_HEAD 0  /* the head of a list, in the table */
#define NODE_ENTRY 1 /* an entry or a tombstone */
#define NODE_MARK 2  /* a cursor's bookmark */

/* ut_node.flags of an entry. */
#define F_PEER 0x01 /* origin UT_ORIGIN_PEER */
#define F_TOMB 0x02 /* a tombstone: key and version only */

#define MIN_BUCKETS 16
/* Chains moved from the old array to the new one by each change. It must
 * be at least 1 so that a migration ends before the new array fills up:
 * with 8, the load never goes past 1.125 during a growth. */
#define REHASH_STEP 8
/* ut_reserve() moves at most this many entries at once (about a ms). */
#define RESERVE_MOVE_MAX 65536

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
	uint64_t digest[UT_SVC_COUNT][2];
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

static uint64_t entry_digest(const struct ut_entry *e)
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

/* Lists: circular, through a head of kind NODE_HEAD. An unlinked node has
 * NULL links. */
static void list_init(struct ut_node *h)
{
	memset(h, 0, sizeof(*h));
	h->kind = NODE_HEAD;
	h->prev = h->next = h;
}

static void list_insert_after(struct ut_node *at, struct ut_node *n)
{
	n->prev = at;
	n->next = at->next;
	at->next->prev = n;
	at->next = n;
}

static void list_append(struct ut_node *head, struct ut_node *n)
{
	list_insert_after(head->prev, n);
}

static void list_unlink(struct ut_node *n)
{
	if (n->prev == NULL)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = NULL;
}

static struct ut_entry *entry_of(struct ut_node *n)
{
	return (struct ut_entry *)n;
}

static enum ut_origin origin_of(const struct ut_entry *e)
{
	return e->n.flags & F_PEER ? UT_ORIGIN_PEER : UT_ORIGIN_LOCAL;
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

static void drop_tomb(struct ut_table *t, struct ut_entry *e)
{
	struct ut_entry **pp = link_of(t, e);

	*pp = e->hnext;
	list_unlink(&e->n);
	t->nhashed--;
	t->ntombs--;
	entry_free(t, e);
}

/* Removes a live entry without a tombstone. */
static void drop_entry(struct ut_table *t, struct ut_entry *e)
{
	struct ut_entry **pp = link_of(t, e);

	uint64_t d = entry_digest(e);

	t->digest[e->n.type][origin_of(e)] -= d;
	*bdigest_of(t, e) -= d;
	t->count[e->n.type][origin_of(e)]--;
	*pp = e->hnext;
	list_unlink(&e->n);
	t->nhashed--;
	entry_free(t, e);
}

static bool bad_type(enum ut_svc type)
{
	return (unsigned)type >= UT_SVC_COUNT;
}

static bool bad_origin(enum ut_origin origin)
{
	return (unsigned)origin > UT_ORIGIN_PEER;
}

static bool bad_key(const void *key, size_t klen)
{
	return klen == 0 || klen > USER_KEY_MAX || key == NULL;
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
		od = entry_digest(e);
		t->digest[in->type][origin_of(e)] -= od;
		*bdigest_of(t, e) -= od;
		t->count[in->type][origin_of(e)]--;
		if (e->n.payload_len == plen) {
			if (plen)
				memmove(e->data + klen, in->payload, plen);
		} else {
			ne = entry_alloc(t, klen, plen);
			if (ne == NULL) {
				t->digest[in->type][origin_of(e)] += od;
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
	t->digest[in->type][in->origin] += d;
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
		drop_entry(t, e);
		return UT_APPLIED;
	}
	d = entry_digest(e);
	t->digest[type][origin_of(e)] -= d;
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

static void rec_of(const struct ut_entry *e, struct ut_rec *out)
{
	out->type = (enum ut_svc)e->n.type;
	out->origin = origin_of(e);
	out->version = e->version;
	out->key = e->data;
	out->key_len = e->n.key_len;
	out->payload = e->n.payload_len ? e->data + e->n.key_len : NULL;
	out->payload_len = e->n.payload_len;
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
		drop_tomb(t, entry_of(t->tombs.next));
		n++;
	}
	return n;
}

uint64_t ut_digest(const struct ut_table *t, enum ut_svc type)
{
	uint64_t d = 0;

	SUM_OVER(t, digest, type, 3, d);
	return d;
}

uint64_t ut_digest_origin(const struct ut_table *t, enum ut_svc type, enum ut_origin origin)
{
	uint64_t d = 0;

	if (bad_origin(origin))
		return 0;
	SUM_OVER(t, digest, type, 1 << origin, d);
	return d;
}

static int move_origin(struct ut_table *t, struct ut_entry *e, enum ut_origin origin)
{
	uint8_t type = e->n.type;
	uint64_t d;

	/* Received again for a resync of either origin: it is not the
	 * peer's to sweep now, whichever way it moved. */
	e->touched = t->gen;
	if (origin_of(e) == origin)
		return 0;
	d = entry_digest(e);
	t->digest[type][origin_of(e)] -= d;
	t->count[type][origin_of(e)]--;
	e->n.flags = (uint8_t)((e->n.flags & ~F_PEER) | (origin == UT_ORIGIN_PEER ? F_PEER : 0));
	t->digest[type][origin] += d;
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
	return move_origin(t, *pp, origin);
}

static void mark_init(struct ut_node *m)
{
	memset(m, 0, sizeof(*m));
	m->kind = NODE_MARK;
}

int ut_cursor_open(struct ut_table *t, struct ut_cursor *c, enum ut_svc type)
{
	int i;

	c->t = NULL;
	mark_init(&c->pos);
	for (i = 0; i < UT_SVC_COUNT; i++)
		mark_init(&c->end[i]);
	if (type == UT_SVC_ALL) {
		c->cur = 0;
		c->last = UT_SVC_COUNT - 1;
	} else if (bad_type(type)) {
		return -EINVAL;
	} else {
		c->cur = c->last = (uint8_t)type;
	}
	c->t = t;
	for (i = c->cur; i <= c->last; i++)
		list_append(&t->lists[i], &c->end[i]);
	list_insert_after(&t->lists[c->cur], &c->pos);
	return 0;
}

bool ut_cursor_next(struct ut_cursor *c, struct ut_rec *out)
{
	if (c->t == NULL)
		return false;
	while (c->pos.prev) {
		struct ut_node *n = c->pos.next;

		if (n == &c->end[c->cur] || n->kind == NODE_HEAD) {
			/* This type is done: on to the next one. */
			list_unlink(&c->end[c->cur]);
			list_unlink(&c->pos);
			if (c->cur == c->last)
				return false;
			c->cur++;
			list_insert_after(&c->t->lists[c->cur], &c->pos);
			continue;
		}
		list_unlink(&c->pos);
		list_insert_after(n, &c->pos);
		if (n->kind == NODE_ENTRY) {
			rec_of(entry_of(n), out);
			return true;
		}
		/* another cursor's bookmark */
	}
	return false;
}

int ut_cursor_set_origin(struct ut_cursor *c, enum ut_origin origin)
{
	struct ut_node *n;

	if (c->t == NULL || bad_origin(origin))
		return -EINVAL;
	/* ut_cursor_next() put the bookmark right after what it returned */
	n = c->pos.prev;
	if (n == NULL || n->kind != NODE_ENTRY)
		return -ENOENT;
	return move_origin(c->t, entry_of(n), origin);
}

void ut_cursor_close(struct ut_cursor *c)
{
	int i;

	if (c->t == NULL)
		return;
	list_unlink(&c->pos);
	for (i = 0; i < UT_SVC_COUNT; i++)
		list_unlink(&c->end[i]);
	c->t = NULL;
}

/* The types a resync call covers: [*first, *last]. */
static int resync_range(enum ut_svc type, enum ut_origin origin, int *first, int *last)
{
	if (bad_origin(origin))
		return -EINVAL;
	if (type == UT_SVC_ALL) {
		*first = 0;
		*last = UT_SVC_COUNT - 1;
		return 0;
	}
	if (bad_type(type))
		return -EINVAL;
	*first = *last = type;
	return 0;
}

int ut_resync_begin(struct ut_table *t, enum ut_svc type, enum ut_origin origin)
{
	int first, last, i;

	if (resync_range(type, origin, &first, &last))
		return -EINVAL;
	t->gen++;
	for (i = first; i <= last; i++) {
		t->rs_gen[i][origin] = t->gen;
		t->rs_active[i][origin] = true;
	}
	return 0;
}

/* Which types of [first, last] have a resync of origin in progress, as a
 * bit mask; -EINVAL when none has. */
static int active_mask(const struct ut_table *t, int first, int last, enum ut_origin origin)
{
	int i, mask = 0;

	for (i = first; i <= last; i++)
		if (t->rs_active[i][origin])
			mask |= 1 << i;
	return mask ? mask : -EINVAL;
}

static bool stale_in(const struct ut_table *t, const struct ut_entry *e, int mask,
		     enum ut_origin origin)
{
	return (mask & (1 << e->n.type)) && origin_of(e) == origin &&
	       (int32_t)(e->touched - t->rs_gen[e->n.type][origin]) < 0;
}

ssize_t ut_resync_end(struct ut_table *t, enum ut_svc type, enum ut_origin origin)
{
	struct ut_node *n, *next;
	int first, last, mask, i;
	ssize_t removed = 0;

	if (resync_range(type, origin, &first, &last))
		return -EINVAL;
	mask = active_mask(t, first, last, origin);
	if (mask < 0)
		return mask;
	for (i = first; i <= last; i++) {
		if (!(mask & (1 << i)))
			continue;
		for (n = t->lists[i].next; n != &t->lists[i]; n = next) {
			next = n->next;
			if (n->kind == NODE_ENTRY && stale_in(t, entry_of(n), mask, origin)) {
				drop_entry(t, entry_of(n));
				removed++;
			}
		}
	}
	for (n = t->tombs.next; n != &t->tombs; n = next) {
		next = n->next;
		if (stale_in(t, entry_of(n), mask, origin))
			drop_tomb(t, entry_of(n));
	}
	for (i = first; i <= last; i++)
		t->rs_active[i][origin] = false;
	return removed;
}

int ut_resync_cancel(struct ut_table *t, enum ut_svc type, enum ut_origin origin)
{
	int first, last, mask, i;

	if (resync_range(type, origin, &first, &last))
		return -EINVAL;
	mask = active_mask(t, first, last, origin);
	if (mask < 0)
		return mask;
	for (i = first; i <= last; i++)
		t->rs_active[i][origin] = false;
	return 0;
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
		drop_tomb(t, *pp);
	else
		drop_entry(t, *pp);
	return 0;
}

/* ---- anti-entropy -------------------------------------------------------- */

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
		slot = slot_of(e->n.type, e->data, e->n.key_len);
		if (out[slot / AE_LEAVES])
			out[slot / AE_LEAVES][slot % AE_LEAVES] += entry_digest(e);
	}
}

static bool slot_wanted(const struct ut_entry *e, const uint8_t *want)
{
	unsigned slot = slot_of(e->n.type, e->data, e->n.key_len);

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
