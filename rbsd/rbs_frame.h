/*
 * RBS channel framing: RbsFrame messages (proto/rbs.proto) on a byte
 * stream. Pure: no sockets, no TLS, no logging; the caller reads and writes
 * the connection and logs what this module reports.
 *
 * On the wire, each frame is
 *
 *     0  1  2  3 | 4 ...
 *     length     | length bytes: one packed RbsFrame
 *     (big-endian, 1..RBS_FRAME_MAX)
 *
 * Decisions:
 *  - RBS_FRAME_MAX bounds the length field, so a peer can make a
 *    connection hold at most RBS_FRAME_MAX bytes of one partial frame. A
 *    length of 0 is refused: an empty RbsFrame has no body anyway.
 *  - Besides unpacking, every frame is checked by rbs_frame_check() (one
 *    known body; an Entries frame has entries, a first seq >= 1 that does
 *    not run past 2^64 - 1, and entries with a known op and service type
 *    and a key; a Compare or Summary shaped as its level says, see
 *    proto/rbs.proto; ...). What it refuses is a broken peer or a peer speaking
 *    another protocol version, not something to skip: the decoder stops
 *    and the connection is closed. Fields this build does not know inside
 *    a known body are kept as protobuf unknown fields and ignored, so a
 *    later version can add fields without a version bump; a new body or
 *    service type needs one.
 *  - The decoder is a stream decoder fed with whatever the connection
 *    delivered, from 1 byte to many frames at a time. A frame that lies
 *    whole in the input is unpacked where it is; only a frame split
 *    between two inputs is copied into the decoder's buffer first. The
 *    unpacked frame lives in an arena owned by the decoder, reset when the
 *    caller releases the frame: unpacking an Entries frame costs no malloc
 *    per entry once the arena has grown to the size of the frames seen.
 *  - The encoder refuses what the decoder would refuse, so anything it
 *    writes decodes again (to the same fields).
 */
#ifndef DB_RBS_FRAME_H
#define DB_RBS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ae.h"
#include "rbs.pb-c.h"
#include "common/arena.h"

/* Roles in a keepalive (RbsRoles): at most this many bindings. */
#define RBS_ROLES_MAX 1024
/* Protocol versions: this build speaks up to RBS_PROTO_VERSION and talks
 * to a peer of RBS_PROTO_MIN up to it, sending such a peer only the bodies
 * its version knows (rbs_frame_body_version()). 2 added RbsCompare and
 * RbsSummary. Its HELLO says RBS_PROTO_MIN in RbsHello.version, which a
 * build of version 1 requires, and RBS_PROTO_VERSION in version_max,
 * which such a build ignores (rbs_frame_peer_version()). */
#define RBS_PROTO_VERSION 2
#define RBS_PROTO_MIN 1
#define RBS_FRAME_HDR 4		 /* the big-endian length before each frame */
#define RBS_FRAME_MAX (1u << 20) /* largest length field: the packed RbsFrame */
/* Largest key + payload of one entry: an Entries frame holding only this
 * entry, with any seq, op, type and version, packs to at most
 * RBS_FRAME_MAX bytes (the worst case of the protobuf overhead is 42
 * bytes, tests/check_rbs_frame.c proves the bound). rbs_win refuses
 * larger entries, so every entry it holds can be sent. */
#define RBS_ENTRY_MAX (RBS_FRAME_MAX - 64)
#define RBS_SVC_COUNT 7 /* service types: RBS_SVC_ARP (0) .. RBS_SVC_IPSEC (6) */
/* Anti-entropy (RbsCompare, RbsSummary): AE_BUCKETS, AE_LEAVES, AE_SLOTS;
 * the longest key a summary may name, USER_KEY_MAX (entries are bounded by
 * RBS_ENTRY_MAX only): common/ae.h. */

/* Why a frame was refused; rbs_frame_err_str() names it for logs. */
enum rbs_frame_err {
	RBS_FRAME_OK = 0,
	RBS_FRAME_ERR_LEN_ZERO,	     /* length field 0 */
	RBS_FRAME_ERR_TOO_BIG,	     /* length field over RBS_FRAME_MAX */
	RBS_FRAME_ERR_UNPACK,	     /* not a protobuf RbsFrame (also: a field number 0) */
	RBS_FRAME_ERR_NO_BODY,	     /* an RbsFrame with no body at all */
	RBS_FRAME_ERR_UNKNOWN_BODY,  /* a body this build does not know */
	RBS_FRAME_ERR_HELLO_SESSION, /* Hello with session 0 */
	RBS_FRAME_ERR_HELLO_SEQ,     /* Hello with tx_acked > tx_sent */
	RBS_FRAME_ERR_NO_ENTRIES,    /* Entries frame with no entry */
	RBS_FRAME_ERR_SEQ,	     /* Entries: first_seq 0, or the last seq past 2^64 - 1 */
	RBS_FRAME_ERR_ENTRY_OP,	     /* entry op neither ADD nor DELETE */
	RBS_FRAME_ERR_ENTRY_TYPE,    /* entry service type unknown */
	RBS_FRAME_ERR_ENTRY_KEY,     /* entry with an empty key */
	RBS_FRAME_ERR_BATCH_TYPES,   /* BatchBegin/End/Request: no type, unknown or repeated */
	RBS_FRAME_ERR_ROLES,	     /* Keepalive roles: too many, or a vrid or ifname out of range */
	RBS_FRAME_ERR_AE_TYPE,	     /* Compare/Summary: service type unknown */
	RBS_FRAME_ERR_AE_LEVEL,	     /* Compare: a level other than 0, 1, 2 */
	RBS_FRAME_ERR_AE_BUCKETS,    /* Compare: buckets at level 0/1; at 2 none or a bad one */
	RBS_FRAME_ERR_AE_DIGESTS,    /* Compare: not the number of digests its level needs */
	RBS_FRAME_ERR_AE_LEAVES,     /* Summary: no leaf, too many, one over 65535 or repeated */
	RBS_FRAME_ERR_AE_KEY,	     /* Summary: a key empty or over USER_KEY_MAX bytes */
	RBS_FRAME_ERR__MAX
};

/* A short text for a refusal reason, for logs ("length over the
 * maximum"); a static string, never NULL ("unknown" outside the enum). */
const char *rbs_frame_err_str(enum rbs_frame_err e);

/*
 * Checks an unpacked or about-to-be-packed frame against the rules above.
 * Returns RBS_FRAME_OK or the first reason found. f, and the body its
 * body_case names, must not be NULL.
 */
enum rbs_frame_err rbs_frame_check(const Db__RbsFrame *f);

/* Whether this build talks to a peer whose HELLO says version v:
 * RBS_PROTO_MIN <= v <= RBS_PROTO_VERSION. */
bool rbs_frame_version_ok(uint32_t v);

/*
 * The lowest protocol version that knows the body of f: 1, or 2 for
 * Compare and Summary. A peer of an older version refuses a body it does
 * not know and closes the connection, so such a frame must not be sent
 * to it. 0 for a frame without a known body.
 */
uint32_t rbs_frame_body_version(const Db__RbsFrame *f);

/* The version both sides speak with a peer whose HELLO is h: the lower of
 * its highest (version_max, or version without it) and this build's. */
uint32_t rbs_frame_peer_version(const Db__RbsHello *h);

/*
 * The number of bytes rbs_frame_encode() writes for f, header included.
 * Returns it (RBS_FRAME_HDR + 1 .. RBS_FRAME_HDR + RBS_FRAME_MAX);
 * -EINVAL when rbs_frame_check() refuses f; -EMSGSIZE when f packs to
 * more than RBS_FRAME_MAX bytes.
 */
int rbs_frame_size(const Db__RbsFrame *f);

/*
 * Writes f, length header and packed frame, at buf; to append to an
 * output buffer pass its free tail. Nothing is allocated; f is not
 * changed and still belongs to the caller.
 *
 * Returns the number of bytes written (as rbs_frame_size()); -ENOSPC when
 * cap is smaller than that; -EINVAL, -EMSGSIZE as rbs_frame_size(). On
 * error buf is untouched.
 */
int rbs_frame_encode(const Db__RbsFrame *f, uint8_t *buf, size_t cap);

/*
 * rbs_frame_encode() for a frame whose size rbs_frame_size() has just
 * returned (total, > 0), into a buffer of at least total bytes: writes
 * without checking or sizing f again.
 */
void rbs_frame_put(const Db__RbsFrame *f, size_t total, uint8_t *buf);

/*
 * A stream decoder, one per connection, in the caller's memory. Its
 * fields are private. Between rbs_dec_init() and rbs_dec_free() it may
 * hold up to RBS_FRAME_MAX bytes of a partial frame and the arena of the
 * last frame (kept up to 4 MiB, to be reused).
 */
struct rbs_dec {
	uint8_t hdr[RBS_FRAME_HDR];
	uint32_t hdr_have;	       /* bytes of hdr received */
	uint32_t want;		       /* length of the current frame, once hdr is complete */
	uint32_t have;		       /* bytes of it copied into buf */
	uint8_t *buf;		       /* a frame split between inputs */
	uint32_t cap;		       /* of buf */
	enum rbs_frame_err err;	       /* sticky until rbs_dec_reset() */
	Db__RbsFrame *out;	       /* given to the caller, not released yet */
	struct arena arena;	       /* what the last frame was unpacked into */
};

/* Prepares an empty decoder. Allocates nothing. */
void rbs_dec_init(struct rbs_dec *d);

/*
 * Decodes the next frame from the input *data, *len: bytes as they came
 * from the connection, any amount, continuing whatever the previous
 * calls left unfinished. Consumes the bytes it uses by advancing *data and
 * decreasing *len, and stops after one complete frame.
 *
 * Returns 1 with *out set to the frame: the caller reads it and gives it
 * back with rbs_dec_release() before it calls rbs_dec_next() again (the
 * frame lives in the decoder's arena and does not point into the input:
 * the input may be reused at once). Returns 0 when the input is used up
 * (*len is 0) without completing a frame: call again with the next bytes.
 *
 * Errors, *out set to NULL:
 *  -EBADMSG: the peer sent something refused; rbs_dec_error() says what.
 *            The decoder then refuses all input (same return, nothing
 *            consumed) until rbs_dec_reset(): close the connection.
 *  -ENOMEM:  no memory for a split frame or for unpacking; nothing of
 *            the failed step is consumed, the call may be repeated.
 *  -EBUSY:   the previous frame was not released (a caller bug).
 *
 * The loop a connection runs on each read:
 *
 *     while ((rc = rbs_dec_next(d, &p, &n, &f)) > 0) {
 *             handle(f);
 *             rbs_dec_release(d, f);
 *     }
 *     if (rc < 0) close, logging rbs_frame_err_str(rbs_dec_error(d));
 */
int rbs_dec_next(struct rbs_dec *d, const uint8_t **data, size_t *len, Db__RbsFrame **out);

/* Gives back the frame rbs_dec_next() returned; f and everything in it is
 * invalid afterwards. NULL is allowed. */
void rbs_dec_release(struct rbs_dec *d, Db__RbsFrame *f);

/* Why the decoder stopped; RBS_FRAME_OK while it has not. */
enum rbs_frame_err rbs_dec_error(const struct rbs_dec *d);

/* Bytes of an incomplete frame held (header included): nonzero when the
 * peer closed the connection in the middle of a frame. */
size_t rbs_dec_pending(const struct rbs_dec *d);

/* Back to the state after rbs_dec_init() for a new connection: forgets
 * the partial frame and the error; a frame not yet released becomes
 * invalid. Keeps its memory for reuse. */
void rbs_dec_reset(struct rbs_dec *d);

/* Frees the decoder's memory; an unreleased frame becomes invalid. The
 * decoder may be initialised again afterwards. */
void rbs_dec_free(struct rbs_dec *d);

/* The spec's word for a service type ("dhcp-server"), a static string;
 * "unknown" for a value outside Db__RbsServiceType. */
const char *rbs_svc_str(unsigned type);

/*
 * A `batch-backup service-type WORD` into the types it names: fills
 * types[] and returns how many (1, or RBS_SVC_COUNT for "all", in enum
 * order); -EINVAL for another word.
 */
int rbs_svc_parse(const char *word, Db__RbsServiceType types[RBS_SVC_COUNT]);

#endif
