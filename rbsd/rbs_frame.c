/* RBS channel framing: see rbs_frame.h. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/bitmap.h"
#include "common/svc.h"
#include "rbsd/rbs_frame.h"

static const char *const err_str[RBS_FRAME_ERR__MAX] = {
    [RBS_FRAME_OK] = "ok",
    [RBS_FRAME_ERR_LEN_ZERO] = "length 0",
    [RBS_FRAME_ERR_TOO_BIG] = "length over the maximum",
    [RBS_FRAME_ERR_UNPACK] = "not a protobuf frame",
    [RBS_FRAME_ERR_NO_BODY] = "frame without a body",
    [RBS_FRAME_ERR_UNKNOWN_BODY] = "unknown frame body",
    [RBS_FRAME_ERR_HELLO_SESSION] = "hello with session 0",
    [RBS_FRAME_ERR_HELLO_SEQ] = "hello acked beyond what it sent",
    [RBS_FRAME_ERR_NO_ENTRIES] = "entries frame without entries",
    [RBS_FRAME_ERR_SEQ] = "entries with seq 0 or past 2^64",
    [RBS_FRAME_ERR_ENTRY_OP] = "entry with an unknown op",
    [RBS_FRAME_ERR_ENTRY_TYPE] = "entry with an unknown service type",
    [RBS_FRAME_ERR_ENTRY_KEY] = "entry with an empty key",
    [RBS_FRAME_ERR_BATCH_TYPES] = "batch without types or with a bad one",
    [RBS_FRAME_ERR_ROLES] = "roles: too many, or a bad vrid or interface name",
    [RBS_FRAME_ERR_AE_TYPE] = "compare or summary with an unknown service type",
    [RBS_FRAME_ERR_AE_LEVEL] = "compare with an unknown level",
    [RBS_FRAME_ERR_AE_BUCKETS] = "compare with buckets its level does not allow",
    [RBS_FRAME_ERR_AE_DIGESTS] = "compare with the wrong number of digests",
    [RBS_FRAME_ERR_AE_LEAVES] = "summary without leaves or with a bad one",
    [RBS_FRAME_ERR_AE_KEY] = "summary with an empty or too long key",
};

const char *rbs_frame_err_str(enum rbs_frame_err e)
{
	if ((unsigned)e >= RBS_FRAME_ERR__MAX)
		return "unknown";
	return err_str[e];
}

_Static_assert((int)RBS_SVC_COUNT == (int)SVC_COUNT, "one list of service types (common/svc.h)");

const char *rbs_svc_str(unsigned type)
{
	return svc_word(type > SVC_COUNT ? -1 : (int)type);
}

int rbs_svc_parse(const char *word, Db__RbsServiceType types[RBS_SVC_COUNT])
{
	int t;

	if (strcmp(word, "all") == 0) {
		for (unsigned i = 0; i < RBS_SVC_COUNT; i++)
			types[i] = (Db__RbsServiceType)i;
		return RBS_SVC_COUNT;
	}
	/* the configuration's words, exactly as the grammar writes them */
	if ((t = svc_parse(word)) < 0 || strcmp(svc_word(t), word) != 0)
		return -EINVAL;
	types[0] = (Db__RbsServiceType)t;
	return 1;
}

/* At least one type, each known, none twice: "the types this batch covers"
 * must mean one thing on both sides. */
static int types_ok(const Db__RbsServiceType *types, size_t n)
{
	unsigned seen = 0;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned t = (unsigned)types[i];

		if (t >= RBS_SVC_COUNT || seen & (1u << t))
			return 0;
		seen |= 1u << t;
	}
	return 1;
}

/*
 * Field number 0 does not exist in protobuf, but protobuf-c 1.4 takes a
 * tag written in more bytes than needed (0x85 0x00) without checking it,
 * keeps the field as unknown and then writes a tag (0x05) that it refuses
 * to read back. Such a message is not protobuf: refuse it as such.
 */
static int unknown_ok(const ProtobufCMessage *m)
{
	unsigned i;

	for (i = 0; i < m->n_unknown_fields; i++)
		if (m->unknown_fields[i].tag == 0)
			return 0;
	return 1;
}

static enum rbs_frame_err check_hello(const Db__RbsHello *h)
{
	size_t i, j;

	for (i = 0; i < h->n_profiles; i++) {
		const Db__RbsProfile *p = h->profiles[i];

		if (!unknown_ok(&p->base))
			return RBS_FRAME_ERR_UNPACK;
		for (j = 0; j < p->n_bindings; j++)
			if (!unknown_ok(&p->bindings[j]->base))
				return RBS_FRAME_ERR_UNPACK;
	}
	if (h->session == 0)
		return RBS_FRAME_ERR_HELLO_SESSION;
	if (h->tx_acked > h->tx_sent)
		return RBS_FRAME_ERR_HELLO_SEQ;
	return RBS_FRAME_OK;
}

static enum rbs_frame_err check_entries(const Db__RbsEntries *es)
{
	size_t i;

	if (es->n_entries == 0)
		return RBS_FRAME_ERR_NO_ENTRIES;
	/* the last entry's seq, first_seq + n - 1, must exist */
	if (es->first_seq == 0 || es->n_entries - 1 > UINT64_MAX - es->first_seq)
		return RBS_FRAME_ERR_SEQ;
	for (i = 0; i < es->n_entries; i++) {
		const Db__RbsEntry *e = es->entries[i];

		if (!unknown_ok(&e->base))
			return RBS_FRAME_ERR_UNPACK;
		if (e->op != DB__RBS_OP__RBS_OP_ADD && e->op != DB__RBS_OP__RBS_OP_DELETE)
			return RBS_FRAME_ERR_ENTRY_OP;
		if ((unsigned)e->type >= RBS_SVC_COUNT)
			return RBS_FRAME_ERR_ENTRY_TYPE;
		if (e->key.len == 0)
			return RBS_FRAME_ERR_ENTRY_KEY;
	}
	return RBS_FRAME_OK;
}

/* The message of the body, whatever its type; NULL when there is none. */
static const ProtobufCMessage *body_of(const Db__RbsFrame *f)
{
	switch (f->body_case) {
	case DB__RBS_FRAME__BODY_HELLO:
		return &f->hello->base;
	case DB__RBS_FRAME__BODY_ENTRIES:
		return &f->entries->base;
	case DB__RBS_FRAME__BODY_ACK:
		return &f->ack->base;
	case DB__RBS_FRAME__BODY_KEEPALIVE:
		return &f->keepalive->base;
	case DB__RBS_FRAME__BODY_BATCH_BEGIN:
		return &f->batch_begin->base;
	case DB__RBS_FRAME__BODY_BATCH_END:
		return &f->batch_end->base;
	case DB__RBS_FRAME__BODY_BATCH_REQUEST:
		return &f->batch_request->base;
	case DB__RBS_FRAME__BODY_COMPARE:
		return &f->compare->base;
	case DB__RBS_FRAME__BODY_SUMMARY:
		return &f->summary->base;
	default:
		return NULL;
	}
}

/* The roles of a keepalive (split-brain detection): bounded, each a VRID
 * and an interface name as the configuration allows. */
static enum rbs_frame_err check_roles(const Db__RbsRoles *r)
{
	if (r == NULL)
		return RBS_FRAME_OK;
	if (!unknown_ok(&r->base) || r->n_roles > RBS_ROLES_MAX)
		return r->n_roles > RBS_ROLES_MAX ? RBS_FRAME_ERR_ROLES : RBS_FRAME_ERR_UNPACK;
	for (size_t i = 0; i < r->n_roles; i++) {
		const Db__RbsRole *x = r->roles[i];

		if (!unknown_ok(&x->base))
			return RBS_FRAME_ERR_UNPACK;
		if (x->vrid < 1 || x->vrid > 255 || x->ifname == NULL ||
		    strnlen(x->ifname, 16) >= 16)
			return RBS_FRAME_ERR_ROLES;
	}
	return RBS_FRAME_OK;
}

/* Whether v[0 .. n) are each below bound and none twice; seen is a
 * zeroed bitmap of bound bits. */
static bool distinct_below(const uint32_t *v, size_t n, uint32_t bound, uint8_t *seen)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t x = v[i];

		if (x >= bound || bitmap_test(seen, x))
			return false;
		bitmap_set(seen, x);
	}
	return true;
}

/* One step of a comparison (proto/rbs.proto): the digests must be exactly
 * those its level names, so that the receiver can index them without
 * checking again; a bucket named twice would compare the same range twice
 * and hide a missing one. */
static enum rbs_frame_err check_compare(const Db__RbsCompare *c)
{
	uint8_t seen[AE_BUCKETS / 8] = {0};

	if ((unsigned)c->type >= RBS_SVC_COUNT)
		return RBS_FRAME_ERR_AE_TYPE;
	switch (c->level) {
	case 0:
	case 1:
		if (c->n_buckets != 0)
			return RBS_FRAME_ERR_AE_BUCKETS;
		if (c->n_digests != (c->level == 0 ? 1 : AE_BUCKETS))
			return RBS_FRAME_ERR_AE_DIGESTS;
		return RBS_FRAME_OK;
	case 2:
		if (c->n_buckets == 0 || c->n_buckets > AE_BUCKETS)
			return RBS_FRAME_ERR_AE_BUCKETS;
		if (!distinct_below(c->buckets, c->n_buckets, AE_BUCKETS, seen))
			return RBS_FRAME_ERR_AE_BUCKETS;
		/* n_buckets <= 256: the product does not overflow */
		if (c->n_digests != (size_t)AE_LEAVES * c->n_buckets)
			return RBS_FRAME_ERR_AE_DIGESTS;
		return RBS_FRAME_OK;
	default:
		return RBS_FRAME_ERR_AE_LEVEL;
	}
}

/* The keys of some leaves. A leaf named twice would make the receiver
 * answer or send for it twice; keys are bounded as rbpd bounds its own, so
 * that a summary cannot name what no table can hold. */
static enum rbs_frame_err check_summary(const Db__RbsSummary *s)
{
	uint8_t seen[AE_SLOTS / 8] = {0}; /* 8 KiB */

	if ((unsigned)s->type >= RBS_SVC_COUNT)
		return RBS_FRAME_ERR_AE_TYPE;
	if (s->n_leaves == 0 || s->n_leaves > AE_SLOTS)
		return RBS_FRAME_ERR_AE_LEAVES;
	if (!distinct_below(s->leaves, s->n_leaves, AE_SLOTS, seen))
		return RBS_FRAME_ERR_AE_LEAVES;
	for (size_t i = 0; i < s->n_keys; i++) {
		const Db__RbsSummaryKey *k = s->keys[i];

		if (!unknown_ok(&k->base))
			return RBS_FRAME_ERR_UNPACK;
		if (k->key.len == 0 || k->key.len > USER_KEY_MAX)
			return RBS_FRAME_ERR_AE_KEY;
	}
	return RBS_FRAME_OK;
}

enum rbs_frame_err rbs_frame_check(const Db__RbsFrame *f)
{
	const ProtobufCMessage *body = body_of(f);

	if (!unknown_ok(&f->base) || (body && !unknown_ok(body)))
		return RBS_FRAME_ERR_UNPACK;
	switch (f->body_case) {
	case DB__RBS_FRAME__BODY_HELLO:
		return check_hello(f->hello);
	case DB__RBS_FRAME__BODY_ENTRIES:
		return check_entries(f->entries);
	case DB__RBS_FRAME__BODY_ACK:
		return RBS_FRAME_OK;
	case DB__RBS_FRAME__BODY_KEEPALIVE:
		return check_roles(f->keepalive->roles);
	case DB__RBS_FRAME__BODY_BATCH_BEGIN:
		if (!types_ok(f->batch_begin->types, f->batch_begin->n_types))
			return RBS_FRAME_ERR_BATCH_TYPES;
		return RBS_FRAME_OK;
	case DB__RBS_FRAME__BODY_BATCH_END:
		if (!types_ok(f->batch_end->types, f->batch_end->n_types))
			return RBS_FRAME_ERR_BATCH_TYPES;
		return RBS_FRAME_OK;
	case DB__RBS_FRAME__BODY_BATCH_REQUEST:
		if (!types_ok(f->batch_request->types, f->batch_request->n_types))
			return RBS_FRAME_ERR_BATCH_TYPES;
		return RBS_FRAME_OK;
	case DB__RBS_FRAME__BODY_COMPARE:
		return check_compare(f->compare);
	case DB__RBS_FRAME__BODY_SUMMARY:
		return check_summary(f->summary);
	case DB__RBS_FRAME__BODY__NOT_SET:
	default:
		/* A body field of a later version unpacks as an unknown field
		 * and leaves the oneof unset. */
		return f->base.n_unknown_fields ? RBS_FRAME_ERR_UNKNOWN_BODY
						: RBS_FRAME_ERR_NO_BODY;
	}
}

bool rbs_frame_version_ok(uint32_t v)
{
	return v >= RBS_PROTO_MIN && v <= RBS_PROTO_VERSION;
}

uint32_t rbs_frame_peer_version(const Db__RbsHello *h)
{
	uint32_t v = h->version_max > h->version ? h->version_max : h->version;

	return v < RBS_PROTO_VERSION ? v : RBS_PROTO_VERSION;
}

uint32_t rbs_frame_body_version(const Db__RbsFrame *f)
{
	switch (f->body_case) {
	case DB__RBS_FRAME__BODY_COMPARE:
	case DB__RBS_FRAME__BODY_SUMMARY:
		return 2;
	case DB__RBS_FRAME__BODY__NOT_SET:
		return 0;
	default:
		return body_of(f) ? 1 : 0;
	}
}

int rbs_frame_size(const Db__RbsFrame *f)
{
	size_t n;

	if (rbs_frame_check(f) != RBS_FRAME_OK)
		return -EINVAL;
	n = db__rbs_frame__get_packed_size(f);
	if (n > RBS_FRAME_MAX)
		return -EMSGSIZE;
	return (int)(RBS_FRAME_HDR + n);
}

void rbs_frame_put(const Db__RbsFrame *f, size_t total, uint8_t *buf)
{
	size_t n = total - RBS_FRAME_HDR;

	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	db__rbs_frame__pack(f, buf + RBS_FRAME_HDR);
}

int rbs_frame_encode(const Db__RbsFrame *f, uint8_t *buf, size_t cap)
{
	int total = rbs_frame_size(f);

	if (total < 0)
		return total;
	if (cap < (size_t)total)
		return -ENOSPC;
	rbs_frame_put(f, (size_t)total, buf);
	return total;
}

void rbs_dec_init(struct rbs_dec *d)
{
	memset(d, 0, sizeof(*d));
}

static int fail(struct rbs_dec *d, enum rbs_frame_err e)
{
	d->err = e;
	return -EBADMSG;
}

/* Unpacks and checks one frame of n bytes at src. Returns 0 with *out set
 * (and d->out), -EBADMSG (d->err set) or -ENOMEM; the arena is empty again
 * after an error. */
static int unpack(struct rbs_dec *d, const uint8_t *src, size_t n, Db__RbsFrame **out)
{
	enum rbs_frame_err e;
	Db__RbsFrame *f;

	/* taken here rather than at init, so that the decoder may be moved
	 * while it holds no frame */
	f = db__rbs_frame__unpack(arena_allocator(&d->arena), n, src);
	if (!f) {
		arena_reset(&d->arena);
		return d->arena.oom ? -ENOMEM : fail(d, RBS_FRAME_ERR_UNPACK);
	}
	e = rbs_frame_check(f);
	if (e != RBS_FRAME_OK) {
		arena_reset(&d->arena);
		return fail(d, e);
	}
	d->out = *out = f;
	return 0;
}

int rbs_dec_next(struct rbs_dec *d, const uint8_t **data, size_t *len, Db__RbsFrame **out)
{
	int rc;

	*out = NULL;
	if (d->err != RBS_FRAME_OK)
		return -EBADMSG;
	if (d->out)
		return -EBUSY;

	while (d->hdr_have < RBS_FRAME_HDR) {
		if (*len == 0)
			return 0;
		d->hdr[d->hdr_have++] = **data;
		(*data)++;
		(*len)--;
		if (d->hdr_have == RBS_FRAME_HDR) {
			uint32_t n = (uint32_t)d->hdr[0] << 24 | (uint32_t)d->hdr[1] << 16 |
				     (uint32_t)d->hdr[2] << 8 | d->hdr[3];

			if (n == 0)
				return fail(d, RBS_FRAME_ERR_LEN_ZERO);
			if (n > RBS_FRAME_MAX)
				return fail(d, RBS_FRAME_ERR_TOO_BIG);
			d->want = n;
		}
	}

	if (d->have == 0 && *len >= d->want) {
		/* the whole frame is in the input: no copy */
		rc = unpack(d, *data, d->want, out);
		if (rc == -ENOMEM)
			return rc;
		*data += d->want;
		*len -= d->want;
	} else {
		if (d->have < d->want) {
			size_t take;

			if (*len == 0)
				return 0;
			if (d->cap < d->want) {
				/* have is 0 here: nothing to keep */
				free(d->buf);
				d->buf = malloc(d->want);
				if (!d->buf) {
					d->cap = 0;
					return -ENOMEM;
				}
				d->cap = d->want;
			}
			take = d->want - d->have;
			if (take > *len)
				take = *len;
			memcpy(d->buf + d->have, *data, take);
			d->have += (uint32_t)take;
			*data += take;
			*len -= take;
			if (d->have < d->want)
				return 0;
		}
		rc = unpack(d, d->buf, d->want, out);
		if (rc == -ENOMEM)
			return rc;
	}
	if (rc < 0)
		return rc;
	d->hdr_have = 0;
	d->want = 0;
	d->have = 0;
	return 1;
}

void rbs_dec_release(struct rbs_dec *d, Db__RbsFrame *f)
{
	if (!f || f != d->out)
		return;
	/* everything protobuf-c allocated for f is in the arena */
	arena_reset(&d->arena);
	d->out = NULL;
}

enum rbs_frame_err rbs_dec_error(const struct rbs_dec *d)
{
	return d->err;
}

size_t rbs_dec_pending(const struct rbs_dec *d)
{
	return (size_t)d->hdr_have + d->have;
}

void rbs_dec_reset(struct rbs_dec *d)
{
	arena_reset(&d->arena);
	d->out = NULL;
	d->hdr_have = 0;
	d->want = 0;
	d->have = 0;
	d->err = RBS_FRAME_OK;
}

void rbs_dec_free(struct rbs_dec *d)
{
	arena_free(&d->arena);
	free(d->buf);
	rbs_dec_init(d);
}
