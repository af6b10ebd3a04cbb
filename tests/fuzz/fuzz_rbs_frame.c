/*
 * libFuzzer target: bytes from a peer on an RBS connection, as TCP cut
 * them. The input is
 *
 *     n (1 byte) | n chunk sizes (1 byte each) | the stream
 *
 * and the stream is fed to the decoder in chunks of those sizes, in turn
 * (a size byte s means s + 1 bytes, 255 means all the rest). Checked:
 *  - every call returns 1, 0 with the chunk used up, or -EBADMSG; after
 *    -EBADMSG the decoder consumes nothing more;
 *  - every frame it gives passes rbs_frame_check() and encodes again, and
 *    that encoding decodes to one frame that encodes to the same bytes;
 *  - the same stream fed in one piece gives the same frames, the same
 *    error and the same partial frame left over.
 * Anything else is a bug and aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rbsd/rbs_frame.h"

struct result {
	uint8_t *buf; /* the frames, encoded again, one after the other */
	size_t len, cap;
	size_t frames;
	enum rbs_frame_err err;
	size_t pending;
};

/* Encodes f, checks that it decodes to the same thing, and appends it. */
static void record(struct result *r, const Db__RbsFrame *f)
{
	static uint8_t again[RBS_FRAME_HDR + RBS_FRAME_MAX];
	struct rbs_dec d;
	Db__RbsFrame *g;
	const uint8_t *p;
	size_t n;
	int len, len2;

	if (rbs_frame_check(f) != RBS_FRAME_OK)
		abort();
	len = rbs_frame_size(f);
	if (len <= RBS_FRAME_HDR)
		abort();
	if (r->len + (size_t)len > r->cap) {
		r->cap = 2 * (r->len + (size_t)len);
		r->buf = realloc(r->buf, r->cap);
		if (!r->buf)
			abort();
	}
	if (rbs_frame_encode(f, r->buf + r->len, r->cap - r->len) != len)
		abort();

	rbs_dec_init(&d);
	p = r->buf + r->len;
	n = (size_t)len;
	if (rbs_dec_next(&d, &p, &n, &g) != 1 || n != 0)
		abort();
	len2 = rbs_frame_encode(g, again, sizeof(again));
	if (len2 != len || memcmp(again, r->buf + r->len, (size_t)len) != 0)
		abort();
	rbs_dec_release(&d, g);
	rbs_dec_free(&d);

	r->len += (size_t)len;
	r->frames++;
}

static void run(const uint8_t *sizes, size_t nsizes, const uint8_t *s, size_t len, struct result *r)
{
	struct rbs_dec d;
	size_t off = 0, k = 0;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	rbs_dec_init(&d);
	while (off < len) {
		size_t c = nsizes ? sizes[k++ % nsizes] : 255;
		const uint8_t *p = s + off;
		size_t n;

		c = c == 255 ? len - off : c + 1;
		if (c > len - off)
			c = len - off;
		off += c;
		n = c;
		for (;;) {
			Db__RbsFrame *f;
			const uint8_t *at;
			size_t left;

			rc = rbs_dec_next(&d, &p, &n, &f);
			if (rc == 1) {
				record(r, f);
				rbs_dec_release(&d, f);
				continue;
			}
			if (rc == 0) {
				if (n != 0 || f)
					abort();
				break;
			}
			if (rc != -EBADMSG || f || rbs_dec_error(&d) == RBS_FRAME_OK)
				abort();
			/* refused for good: nothing more is consumed */
			at = p;
			left = n;
			if (rbs_dec_next(&d, &p, &n, &f) != -EBADMSG || p != at || n != left || f)
				abort();
			goto done;
		}
	}
done:
	r->err = rbs_dec_error(&d);
	r->pending = rc == -EBADMSG ? 0 : rbs_dec_pending(&d);
	if (r->pending > RBS_FRAME_HDR + RBS_FRAME_MAX)
		abort();
	rbs_dec_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result chunked, whole;
	size_t nsizes;

	if (size < 1)
		return 0;
	nsizes = data[0] % 16;
	if (size < 1 + nsizes)
		return 0;

	run(data + 1, nsizes, data + 1 + nsizes, size - 1 - nsizes, &chunked);
	run(NULL, 0, data + 1 + nsizes, size - 1 - nsizes, &whole);
	if (chunked.frames != whole.frames || chunked.len != whole.len ||
	    chunked.err != whole.err || chunked.pending != whole.pending)
		abort();
	if (chunked.len && memcmp(chunked.buf, whole.buf, chunked.len) != 0)
		abort();
	free(chunked.buf);
	free(whole.buf);
	return 0;
}
