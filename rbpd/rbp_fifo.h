/*
 * The changes waiting for rbsd's credit: a first-in first-out queue of
 * entries (op, type, version, key, payload), copied into large blocks one
 * after the other instead of one allocation each. Pure: no sockets, no
 * logging.
 *
 * Why blocks: a bulk load puts a change in the queue for every user it
 * adds to the table. With one malloc per change, the queue's allocations
 * sit between the table's, and once the queue is sent their holes stay in
 * the heap for ever (about 130 bytes per user at 100,000 users). Blocks
 * are freed whole as soon as they are read, and the table's entries stay
 * packed.
 *
 * Reading happens in two steps, because what is read must stay in place
 * until it has been packed into a message: peek from a position, then
 * drop everything before a position.
 */
#ifndef DB_RBP_FIFO_H
#define DB_RBP_FIFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RBP_FIFO_BLOCK (256 * 1024) /* bytes of items per block, unless one is larger */

struct rbp_fifo_blk;

struct rbp_fifo {
	struct rbp_fifo_blk *head, *tail;
	size_t len;   /* items */
	size_t bytes; /* memory held, blocks included */
};

/* One item, in and out. Out of rbp_fifo_peek(), key and payload point into
 * the queue and stay valid until rbp_fifo_drop() passes them. */
struct rbp_fifo_item {
	uint8_t op, type;
	uint64_t version;
	const uint8_t *key;
	size_t key_len; /* at most 255 */
	const uint8_t *payload;
	size_t payload_len; /* at most UINT32_MAX */
};

/* Where reading is: the block and the offset in it. */
struct rbp_fifo_pos {
	struct rbp_fifo_blk *b;
	size_t off;
	size_t n; /* items from the head to here */
};

void rbp_fifo_init(struct rbp_fifo *f);

/* Appends a copy of it. Returns 0, -EINVAL (key over 255 bytes) or
 * -ENOMEM (the queue is unchanged). */
int rbp_fifo_push(struct rbp_fifo *f, const struct rbp_fifo_item *it);

/* The position of the head (the oldest item). */
void rbp_fifo_head(const struct rbp_fifo *f, struct rbp_fifo_pos *p);

/* The item at *p, then *p moves past it. Returns false at the end. */
bool rbp_fifo_peek(const struct rbp_fifo *f, struct rbp_fifo_pos *p, struct rbp_fifo_item *out);

/* Removes every item before p (a position from rbp_fifo_head() moved on by
 * rbp_fifo_peek() since, with no drop in between), freeing the blocks it
 * leaves empty. */
void rbp_fifo_drop(struct rbp_fifo *f, const struct rbp_fifo_pos *p);

/* Removes everything. The queue stays usable. */
void rbp_fifo_clear(struct rbp_fifo *f);

#endif
