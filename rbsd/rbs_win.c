/* Sequence numbers, the sender's window and ACK pacing: see rbs_win.h. */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/credit.h"
#include "rbsd/rbs_frame.h"
#include "rbsd/rbs_win.h"

/* The byte bound is the feeders' credit (common/credit.h): an entry's
 * header here must not cost more than the credit counts for it. */
_Static_assert(offsetof(struct rbs_win_entry, data) <= CREDIT_ENTRY_HDR,
	       "the window's entry header outgrew the credit's");

static size_t entry_cost(size_t klen, size_t plen)
{
	return credit_entry_cost(klen, plen);
}

/*
 * Entries live in blocks, one after the other in the order they were
 * pushed, and leave in the same order (ACKs and resyncs drop the oldest
 * first): a block is freed whole once its last entry is dropped. One
 * malloc per 256 KiB rather than one per entry.
 */
struct rbs_win_block {
	struct rbs_win_block *next;
	size_t size, used;     /* bytes of data */
	uint32_t count, freed; /* entries placed in it, and dropped */
	max_align_t data[];
};

#define WIN_BLOCK (256u * 1024)
#define WIN_ALIGN alignof(struct rbs_win_entry)

/* Room for an entry of cost bytes at the end of the newest block. */
static struct rbs_win_entry *place(struct rbs_tx *t, size_t cost)
{
	struct rbs_win_block *b = t->tail;
	struct rbs_win_entry *e;

	cost = (cost + WIN_ALIGN - 1) & ~(WIN_ALIGN - 1);
	if (b == NULL || b->size - b->used < cost) {
		size_t n = cost > WIN_BLOCK ? cost : WIN_BLOCK;

		b = malloc(sizeof(*b) + n);
		if (b == NULL)
			return NULL;
		b->next = NULL;
		b->size = n;
		b->used = 0;
		b->count = b->freed = 0;
		if (t->tail)
			t->tail->next = b;
		else
			t->head = b;
		t->tail = b;
	}
	e = (struct rbs_win_entry *)((char *)b->data + b->used);
	b->used += cost;
	b->count++;
	return e;
}

/* The oldest entry, in the oldest block, is dropped. */
static void unplace(struct rbs_tx *t)
{
	struct rbs_win_block *b = t->head;

	if (++b->freed < b->count)
		return;
	if (b == t->tail) {
		b->used = 0; /* empty: keep it for what comes next */
		b->count = b->freed = 0;
		return;
	}
	t->head = b->next;
	free(b);
}

int rbs_tx_init(struct rbs_tx *t, uint32_t max_entries, size_t max_bytes)
{
	memset(t, 0, sizeof(*t));
	if (max_entries == 0 || max_bytes < entry_cost(1, 0))
		return -EINVAL;
	t->ring = calloc(max_entries, sizeof(*t->ring));
	if (!t->ring)
		return -ENOMEM;
	t->max_entries = max_entries;
	t->max_bytes = max_bytes;
	return 0;
}

static struct rbs_win_entry **slot(const struct rbs_tx *t, uint64_t seq)
{
	return &t->ring[seq % t->max_entries];
}

/* Frees the entries from seq 'from' to 'to' (inclusive). */
static void drop(struct rbs_tx *t, uint64_t from, uint64_t to)
{
	uint64_t s;

	for (s = from; s <= to && s != 0; s++) {
		struct rbs_win_entry **p = slot(t, s);

		t->bytes -= entry_cost((*p)->klen, (*p)->plen);
		unplace(t);
		*p = NULL;
		if (s == UINT64_MAX)
			break;
	}
}

void rbs_tx_free(struct rbs_tx *t)
{
	if (t->ring)
		drop(t, t->acked + 1, t->last);
	free(t->ring);
	free(t->head); /* the one block left, empty */
	memset(t, 0, sizeof(*t));
}

int rbs_tx_push(struct rbs_tx *t, const struct rbs_win_item *it, uint64_t *seq)
{
	struct rbs_win_entry *e;
	size_t cost;

	if (it->op != DB__RBS_OP__RBS_OP_ADD && it->op != DB__RBS_OP__RBS_OP_DELETE)
		return -EINVAL;
	if (it->type >= RBS_SVC_COUNT || it->klen == 0 || !it->key || (it->plen && !it->payload))
		return -EINVAL;
	if (it->klen > RBS_ENTRY_MAX || it->plen > RBS_ENTRY_MAX - it->klen)
		return -EMSGSIZE;
	cost = entry_cost(it->klen, it->plen);
	if (cost > t->max_bytes)
		return -EMSGSIZE;
	if (t->last == UINT64_MAX)
		return -EOVERFLOW;
	if (t->last - t->acked >= t->max_entries || t->bytes + cost > t->max_bytes)
		return -EAGAIN;

	e = place(t, cost);
	if (!e)
		return -ENOMEM;
	e->seq = t->last + 1;
	e->version = it->version;
	e->klen = (uint32_t)it->klen;
	e->plen = (uint32_t)it->plen;
	e->op = (uint8_t)it->op;
	e->type = (uint8_t)it->type;
	memcpy(e->data, it->key, it->klen);
	if (it->plen)
		memcpy(e->data + it->klen, it->payload, it->plen);

	*slot(t, e->seq) = e;
	t->last = e->seq;
	t->bytes += cost;
	if (seq)
		*seq = e->seq;
	return 0;
}

const struct rbs_win_entry *rbs_tx_get(const struct rbs_tx *t, uint64_t seq)
{
	if (seq <= t->acked || seq > t->last)
		return NULL;
	return *slot(t, seq);
}

const struct rbs_win_entry *rbs_tx_next_unsent(const struct rbs_tx *t)
{
	if (t->sent == t->last)
		return NULL;
	return rbs_tx_get(t, t->sent + 1);
}

int rbs_tx_mark_sent(struct rbs_tx *t, uint64_t seq)
{
	if (seq < t->sent || seq > t->last)
		return -EINVAL;
	t->sent = seq;
	return 0;
}

int rbs_tx_ack(struct rbs_tx *t, uint64_t seq)
{
	if (seq < t->acked || seq > t->sent)
		return -EINVAL;
	drop(t, t->acked + 1, seq);
	t->acked = seq;
	return 0;
}

int rbs_tx_resume(struct rbs_tx *t, uint64_t from)
{
	if (from == 0 || from - 1 < t->acked || from - 1 > t->sent)
		return -EINVAL;
	drop(t, t->acked + 1, from - 1);
	t->acked = from - 1;
	t->sent = from - 1;
	return 0;
}

void rbs_tx_resync(struct rbs_tx *t)
{
	drop(t, t->acked + 1, t->last);
	t->acked = t->sent;
	t->last = t->sent;
}

uint64_t rbs_tx_acked(const struct rbs_tx *t)
{
	return t->acked;
}

uint64_t rbs_tx_sent(const struct rbs_tx *t)
{
	return t->sent;
}

uint64_t rbs_tx_last(const struct rbs_tx *t)
{
	return t->last;
}

uint64_t rbs_tx_unacked(const struct rbs_tx *t)
{
	return t->last - t->acked;
}

uint64_t rbs_tx_unsent(const struct rbs_tx *t)
{
	return t->last - t->sent;
}

size_t rbs_tx_bytes(const struct rbs_tx *t)
{
	return t->bytes;
}

void rbs_rx_init(struct rbs_rx *r, uint32_t ack_every, uint32_t ack_delay_ms)
{
	memset(r, 0, sizeof(*r));
	r->limit = UINT64_MAX;
	r->ack_every = ack_every ? ack_every : 1;
	r->ack_delay_ms = ack_delay_ms;
}

void rbs_rx_limit(struct rbs_rx *r, uint64_t seq)
{
	r->limit = seq;
}

uint64_t rbs_rx_ackable(const struct rbs_rx *r)
{
	uint64_t top = r->last < r->limit ? r->last : r->limit;

	return top > r->acked ? top : r->acked;
}

void rbs_rx_reset(struct rbs_rx *r, uint64_t next)
{
	r->last = next ? next - 1 : 0;
	r->acked = r->last;
	r->since = 0;
	r->resync = 0;
}

void rbs_rx_resync(struct rbs_rx *r, uint64_t next)
{
	rbs_rx_reset(r, 0);
	r->resync = next ? next : 1;
}

bool rbs_rx_batch_begin(struct rbs_rx *r)
{
	if (!r->resync)
		return false;
	rbs_rx_reset(r, r->resync);
	return true;
}

int rbs_rx_accept(struct rbs_rx *r, uint64_t first, uint64_t n, uint64_t now)
{
	if (n == 0 || n - 1 > UINT64_MAX - first)
		return -EINVAL;
	if (r->resync || r->last == UINT64_MAX || first != r->last + 1)
		return -EPROTO;
	if (r->acked == r->last)
		r->since = now; /* the oldest unacknowledged entry */
	r->last = first + (n - 1);
	return 0;
}

uint64_t rbs_rx_expected(const struct rbs_rx *r)
{
	return r->resync ? r->resync : r->last + 1;
}

uint64_t rbs_rx_last(const struct rbs_rx *r)
{
	return r->last;
}

uint64_t rbs_rx_ack_deadline(const struct rbs_rx *r)
{
	if (rbs_rx_ackable(r) == r->acked)
		return UINT64_MAX;
	if (r->since > UINT64_MAX - r->ack_delay_ms)
		return UINT64_MAX - 1;
	return r->since + r->ack_delay_ms;
}

bool rbs_rx_ack_due(const struct rbs_rx *r, uint64_t now)
{
	uint64_t top = rbs_rx_ackable(r);

	if (top == r->acked)
		return false;
	return top - r->acked >= r->ack_every || now >= rbs_rx_ack_deadline(r);
}

uint64_t rbs_rx_ack_take(struct rbs_rx *r)
{
	r->acked = rbs_rx_ackable(r);
	return r->acked;
}
