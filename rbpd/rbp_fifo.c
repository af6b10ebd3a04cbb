/* The queue of changes for rbsd: see rbp_fifo.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rbpd/rbp_fifo.h"

struct rbp_fifo_blk {
	struct rbp_fifo_blk *next;
	size_t cap, used, rd; /* bytes: room, written, read (dropped) */
	uint8_t data[];
};

/* An item in a block: this header, the key, the payload. */
struct hdr {
	uint64_t version;
	uint32_t payload_len;
	uint8_t op, type, key_len;
};

#define HDR sizeof(struct hdr)
#define ALIGN(n) (((n) + 7) & ~(size_t)7)

void rbp_fifo_init(struct rbp_fifo *f)
{
	memset(f, 0, sizeof(*f));
}

int rbp_fifo_push(struct rbp_fifo *f, const struct rbp_fifo_item *it)
{
	size_t need = ALIGN(HDR + it->key_len + it->payload_len);
	struct rbp_fifo_blk *b = f->tail;
	struct hdr h = {it->version, (uint32_t)it->payload_len, it->op, it->type,
			(uint8_t)it->key_len};
	uint8_t *p;

	if (it->key_len > 255 || it->payload_len > UINT32_MAX)
		return -EINVAL;
	if (b == NULL || b->cap - b->used < need) {
		size_t cap = need > RBP_FIFO_BLOCK ? need : RBP_FIFO_BLOCK;

		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			return -ENOMEM;
		b->next = NULL;
		b->cap = cap;
		b->used = b->rd = 0;
		if (f->tail)
			f->tail->next = b;
		else
			f->head = b;
		f->tail = b;
		f->bytes += sizeof(*b) + cap;
	}
	p = b->data + b->used;
	memcpy(p, &h, HDR);
	if (it->key_len)
		memcpy(p + HDR, it->key, it->key_len);
	if (it->payload_len)
		memcpy(p + HDR + it->key_len, it->payload, it->payload_len);
	b->used += need;
	f->len++;
	return 0;
}

void rbp_fifo_head(const struct rbp_fifo *f, struct rbp_fifo_pos *p)
{
	p->b = f->head;
	p->off = f->head ? f->head->rd : 0;
	p->n = 0;
}

bool rbp_fifo_peek(const struct rbp_fifo *f, struct rbp_fifo_pos *p, struct rbp_fifo_item *out)
{
	struct hdr h;
	const uint8_t *d;

	(void)f;
	while (p->b && p->off >= p->b->used) {
		p->b = p->b->next;
		p->off = 0;
	}
	if (p->b == NULL)
		return false;
	d = p->b->data + p->off;
	memcpy(&h, d, HDR);
	out->op = h.op;
	out->type = h.type;
	out->version = h.version;
	out->key = d + HDR;
	out->key_len = h.key_len;
	out->payload = d + HDR + h.key_len;
	out->payload_len = h.payload_len;
	p->off += ALIGN(HDR + h.key_len + h.payload_len);
	p->n++;
	return true;
}

void rbp_fifo_drop(struct rbp_fifo *f, const struct rbp_fifo_pos *p)
{
	while (f->head && f->head != p->b) {
		struct rbp_fifo_blk *b = f->head;

		f->head = b->next;
		f->bytes -= sizeof(*b) + b->cap;
		free(b);
	}
	if (f->head == NULL) {
		f->tail = NULL;
	} else {
		f->head->rd = p->off;
		if (f->head->rd >= f->head->used && f->head == f->tail) {
			/* empty: keep the block, written from its start again */
			f->head->rd = f->head->used = 0;
		}
	}
	f->len -= p->n;
}

void rbp_fifo_clear(struct rbp_fifo *f)
{
	while (f->head) {
		struct rbp_fifo_blk *b = f->head;

		f->head = b->next;
		free(b);
	}
	rbp_fifo_init(f);
}
