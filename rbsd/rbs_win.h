/*
 * The RBS channel's reliability bookkeeping: sequence numbers, the
 * sender's window of unacknowledged entries and the receiver's in-order
 * check and ACK pacing. Pure: no sockets, no clock (the caller passes the
 * time in ms), no logging.
 *
 * Sender (struct rbs_tx). Sequence numbers count from 1 in a session (a
 * run of rbsd). Three marks, acked <= sent <= last:
 *
 *     ... acked | acked+1 ... sent | sent+1 ... last | last+1 ...
 *     freed     | sent, not acked  | pushed, unsent  | next push
 *
 * The window holds acked+1 .. last and is bounded in entries and in
 * bytes: when either bound is reached, rbs_tx_push() says -EAGAIN and the
 * producer waits for ACKs (back-pressure). A cumulative ACK frees every
 * entry up to it. After a reconnect the window either resumes (resend
 * from a seq, rbs_tx_resume()) or is emptied for a resync
 * (rbs_tx_resync()); rbs_sess.h decides which.
 *
 * Receiver (struct rbs_rx): the next seq it expects; a gap, a duplicate
 * or anything out of order is a broken peer (TCP already orders and
 * retransmits) and closes the connection. ACKs go out every ack_every
 * entries, or ack_delay_ms after the oldest unacknowledged entry arrived,
 * whichever comes first. An ACK covers what was received, or, under a
 * limit (rbs_rx_limit()), only what the local feeder applied
 * (rbs_applied.h): what was received beyond waits for the limit to move.
 *
 * Memory per entry in flight: the entry's header (26) bytes + key +
 * payload, rounded up to a multiple of 8, in 256 KiB blocks that hold
 * entries in the order they were pushed and are freed whole once their
 * last entry is acknowledged (56 bytes for a 6-byte key and a 24-byte
 * payload), plus one 8-byte slot of the ring that rbs_tx_init()
 * allocates for max_entries. The byte bound counts credit_entry_cost()
 * (common/credit.h, the feeders' credit) per entry, not the allocator's
 * rounding, nor the ring.
 */
#ifndef DB_RBS_WIN_H
#define DB_RBS_WIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One entry held by the sender's window. Read-only for the caller. */
struct rbs_win_entry {
	uint64_t seq;
	uint64_t version;
	uint32_t klen;
	uint32_t plen;
	uint8_t op;	/* Db__RbsOp: ADD or DELETE */
	uint8_t type;	/* Db__RbsServiceType */
	uint8_t data[]; /* klen bytes of key, then plen bytes of payload */
};

static inline const uint8_t *rbs_win_key(const struct rbs_win_entry *e)
{
	return e->data;
}

static inline const uint8_t *rbs_win_payload(const struct rbs_win_entry *e)
{
	return e->data + e->klen;
}

/* What the producer pushes; rbs_tx_push() copies it. */
struct rbs_win_item {
	unsigned op;   /* Db__RbsOp: DB__RBS_OP__RBS_OP_ADD or _DELETE */
	unsigned type; /* Db__RbsServiceType */
	const void *key;
	size_t klen; /* >= 1 */
	const void *payload;
	size_t plen; /* klen + plen <= RBS_ENTRY_MAX */
	uint64_t version;
};

struct rbs_win_block;

/* The sender's window. Fields are private; use the functions. */
struct rbs_tx {
	struct rbs_win_entry **ring; /* seq s held in ring[s % max_entries] */
	struct rbs_win_block *head, *tail; /* where the entries are, oldest first */
	uint32_t max_entries;
	size_t max_bytes;
	size_t bytes; /* counted as described above */
	uint64_t acked, sent, last;
};

/*
 * Prepares an empty window for a new session: the first push gets seq 1.
 * max_entries (>= 1) and max_bytes bound what it holds. Returns 0;
 * -EINVAL for max_entries 0 or max_bytes that cannot hold one entry of a
 * 1-byte key; -ENOMEM. The caller frees it with rbs_tx_free().
 */
int rbs_tx_init(struct rbs_tx *t, uint32_t max_entries, size_t max_bytes);

/* Frees every entry and the ring. */
void rbs_tx_free(struct rbs_tx *t);

/*
 * Copies an entry into the window with the next seq (last + 1), stored in
 * *seq (seq may be NULL). The item's key and payload stay the caller's.
 *
 * Returns 0; -EAGAIN when the window is full (max_entries entries held,
 * or the entry's bytes would pass max_bytes): wait for an ACK;
 * -EMSGSIZE when the entry can never fit (klen + plen over RBS_ENTRY_MAX,
 * or alone over max_bytes); -EINVAL for an op other than ADD / DELETE, an
 * unknown type, an empty key or a NULL pointer with a length; -EOVERFLOW
 * when the session has used every seq up to 2^64 - 1; -ENOMEM. On error
 * nothing changes.
 */
int rbs_tx_push(struct rbs_tx *t, const struct rbs_win_item *it, uint64_t *seq);

/*
 * The entry with this seq, if the window holds it (acked < seq <= last);
 * NULL otherwise. Points into the window: valid until the entry is freed
 * by rbs_tx_ack(), rbs_tx_resume(), rbs_tx_resync() or rbs_tx_free().
 * Iterating unacked entries from seq s:
 *     for (e = rbs_tx_get(t, s); e; e = rbs_tx_get(t, e->seq + 1))
 */
const struct rbs_win_entry *rbs_tx_get(const struct rbs_tx *t, uint64_t seq);

/* The first entry not sent yet (sent + 1), NULL when all are sent. Same
 * lifetime as rbs_tx_get(). */
const struct rbs_win_entry *rbs_tx_next_unsent(const struct rbs_tx *t);

/*
 * Records that every entry up to seq has been written to the connection.
 * Returns 0; -EINVAL when seq is below the current sent mark or above
 * last (nothing changes).
 */
int rbs_tx_mark_sent(struct rbs_tx *t, uint64_t seq);

/*
 * A cumulative ACK from the peer: frees every entry up to seq. An ACK
 * equal to the current one changes nothing. Returns 0; -EINVAL when seq
 * is above sent (the peer acks what it was never sent) or below acked
 * (ACKs going backwards): a broken peer, close the connection.
 */
int rbs_tx_ack(struct rbs_tx *t, uint64_t seq);

/*
 * After a reconnect that resumes (rbs_sess_decide()): the peer holds every
 * entry before seq from, so they count as acked, and sending starts again
 * at from (sent becomes from - 1). Returns 0; -EINVAL unless
 * acked <= from - 1 <= sent (nothing changes).
 */
int rbs_tx_resume(struct rbs_tx *t, uint64_t from);

/*
 * After a reconnect that resyncs: the batch backup that follows carries
 * the whole table, so every entry held is dropped, unsent ones too.
 * Numbering goes on at sent + 1: seqs of dropped unsent entries are
 * given again, which is safe because no peer ever received them. The
 * peer expects sent + 1 from the HELLO (rbs_sess.h).
 */
void rbs_tx_resync(struct rbs_tx *t);

/* The marks and what the window holds. */
uint64_t rbs_tx_acked(const struct rbs_tx *t);
uint64_t rbs_tx_sent(const struct rbs_tx *t);
uint64_t rbs_tx_last(const struct rbs_tx *t);
/* Entries held (last - acked), sent or not. */
uint64_t rbs_tx_unacked(const struct rbs_tx *t);
/* Entries pushed and not sent yet (last - sent). */
uint64_t rbs_tx_unsent(const struct rbs_tx *t);
/* Bytes held, as counted against max_bytes. */
size_t rbs_tx_bytes(const struct rbs_tx *t);

/* The receiver's state. Fields are private; use the functions. */
struct rbs_rx {
	uint64_t last;	 /* last seq received in order */
	uint64_t acked;	 /* last seq acknowledged */
	uint64_t limit;	 /* ACKs go no further (UINT64_MAX: none) */
	uint64_t since;	 /* ms: when the oldest unacknowledged entry arrived */
	uint64_t resync; /* nonzero: waiting for the batch, then expect this */
	uint32_t ack_every;
	uint32_t ack_delay_ms;
};

/*
 * Prepares a receiver that expects seq 1. ack_every (0 is taken as 1):
 * entries received before an ACK is due at once; ack_delay_ms: how long
 * the oldest unacknowledged entry may wait for one. Keep ack_every well
 * below the sender's max_entries (a quarter, say): a sender stopped by its
 * byte bound before ack_every entries waits ack_delay_ms for its ACK.
 */
void rbs_rx_init(struct rbs_rx *r, uint32_t ack_every, uint32_t ack_delay_ms);

/*
 * ACKs (and rbs_rx_ackable()) go no further than seq: the local feeder
 * applied every entry up to it (rbs_applied_ack()). UINT64_MAX, as after
 * rbs_rx_init(): no limit, every entry received is acknowledged. The
 * limit stays across rbs_rx_reset() and rbs_rx_resync(); an ACK never
 * goes back below one sent.
 */
void rbs_rx_limit(struct rbs_rx *r, uint64_t seq);

/* What an ACK, or a HELLO's rx_seq, may say now: the last seq received
 * in order, or the limit when lower, and never below the last ACK. */
uint64_t rbs_rx_ackable(const struct rbs_rx *r);

/* After a reconnect that resumes: expect next (>= 1: the seq after what
 * the HELLO said, rbs_rx_ackable(), which a limit may put below what was
 * received), nothing to ACK. Also ends a pending resync. */
void rbs_rx_reset(struct rbs_rx *r, uint64_t next);

/*
 * After a reconnect that resyncs (rbs_sess.h explains why in two steps):
 * nothing counts as received any more (rbs_rx_last() is 0, entries are
 * refused) until rbs_rx_batch_begin() says the peer's batch began; from
 * then on the receiver expects next (>= 1), the seq rbs_sess_decide()
 * gives.
 */
void rbs_rx_resync(struct rbs_rx *r, uint64_t next);

/* A BatchBegin arrived: ends a pending resync (see rbs_rx_resync()).
 * Returns true when one was pending, false when nothing changed. */
bool rbs_rx_batch_begin(struct rbs_rx *r);

/*
 * n entries with seqs first .. first + n - 1 arrived at time now (ms).
 * Returns 0 when first is the expected seq (they are then received);
 * -EPROTO when it is not: a gap (first above) or a duplicate / reordering
 * (first below), or entries before the batch of a pending resync; -EINVAL
 * for n 0 or a last seq past 2^64 - 1. On error nothing changes; the
 * caller logs rbs_rx_expected() and first.
 */
int rbs_rx_accept(struct rbs_rx *r, uint64_t first, uint64_t n, uint64_t now);

/* The next seq expected (last + 1; during a pending resync the seq
 * expected once the batch begins). */
uint64_t rbs_rx_expected(const struct rbs_rx *r);

/* The last seq received in order (0: none, and during a pending resync),
 * what HELLO reports as rx_seq. */
uint64_t rbs_rx_last(const struct rbs_rx *r);

/* Whether an ACK should go out at time now: ack_every entries may be
 * acknowledged, or the oldest unacknowledged one has waited ack_delay_ms
 * and one at least may be. */
bool rbs_rx_ack_due(const struct rbs_rx *r, uint64_t now);

/* When the delay makes an ACK due (ms, the caller's clock), to arm a
 * timer; UINT64_MAX when nothing may be acknowledged (none waits, or the
 * limit holds all that does). */
uint64_t rbs_rx_ack_deadline(const struct rbs_rx *r);

/* The seq to put in the ACK being sent now (rbs_rx_ackable()); from then
 * on nothing waits but what the limit holds. */
uint64_t rbs_rx_ack_take(struct rbs_rx *r);

#endif
