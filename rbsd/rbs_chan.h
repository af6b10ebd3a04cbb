/*
 * One Remote Backup Service channel (docs/architecture.md): the TCP
 * (+TLS) connection to the peer device, with
 *  - both sides listening on source:port and dialing peer:port, the
 *    connection dialed by the greater address kept when both exist
 *    (rbs_sess_tiebreak()); the side with the lower address dials later, so
 *    that usually only one connection is ever made;
 *  - HELLO both ways, then RESUME or RESYNC for each direction
 *    (rbs_sess_decide()), and the profiles of both sides compared; a peer
 *    of protocol version RBS_PROTO_MIN .. RBS_PROTO_VERSION is taken, and
 *    sent only the bodies its version knows (rbs_frame_body_version());
 *  - entries from the local feeder numbered and held in a bounded window
 *    (rbs_win) until the peer acknowledges them, resent after a reconnect
 *    that resumes, replaced by a batch backup after one that resyncs;
 *  - keepalives every second when idle, the connection closed after three
 *    seconds without a byte from the peer, reconnects with backoff: when
 *    each is due is rbs_link.h's decision.
 *
 * The daemon (rbsd_feeder.c) owns the local side: it pushes what its
 * feeder sends and hears, through struct rbs_chan_ops, what the channel
 * delivers.
 */
#ifndef DB_RBS_CHAN_H
#define DB_RBS_CHAN_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <uv.h>

#include "rbs.pb-c.h"

struct rbs_chan;

struct rbs_chan_ops {
	/* A frame from the peer for the local feeder, in order: Entries
	 * (already checked in sequence), BatchBegin, BatchEnd, or a
	 * Keepalive with the peer's roles. The frame is valid during the
	 * call only. */
	void (*deliver)(void *arg, struct rbs_chan *ch, const Db__RbsFrame *f);
	/* The local feeder must send a batch of these types (after a
	 * resync, or because the peer asked). */
	void (*want_batch)(void *arg, struct rbs_chan *ch, const Db__RbsServiceType *types,
			   size_t n);
	/* Room was freed in the window (the peer acknowledged entries). */
	void (*room)(void *arg, struct rbs_chan *ch);
	/* The channel went up or down; mismatch is the profile comparison
	 * (empty: none). */
	void (*state)(void *arg, struct rbs_chan *ch, bool up, const char *reason,
		      const char *mismatch);
	/* An anti-entropy frame from the peer for the local feeder (Compare
	 * or Summary, checked), in order with what deliver() gives. The
	 * frame is valid during the call only. */
	void (*antientropy)(void *arg, struct rbs_chan *ch, const Db__RbsFrame *f);
};

struct rbs_chan_cfg {
	const char *name;		/* the RBS name */
	struct sockaddr_storage source; /* with the port */
	struct sockaddr_storage peer;	/* with the port */
	SSL_CTX *ctx;			/* NULL: clear text; the channel takes a reference */
	const char *ssl_policy;		/* its name, for display */
	char *const *pins;		/* peer-certificate sha256, for display (copied) */
	size_t n_pins;
	Db__RbsProfile **profiles;	/* this device's profiles for HELLO (copied) */
	size_t n_profiles;
};

/* Window bounds: entries and bytes held until acknowledged. */
#define RBS_CHAN_WIN_ENTRIES 65536
#define RBS_CHAN_WIN_BYTES (64u << 20)

/*
 * Creates the channel and starts it: listens on cfg->source and dials the
 * peer. Returns 0 with *out set, or a negative errno (with nothing left
 * running); *why then says what failed ("listen on ...: ...").
 */
int rbs_chan_open(struct rbs_chan **out, uv_loop_t *loop, const struct rbs_chan_cfg *cfg,
		  const struct rbs_chan_ops *ops, void *arg, char *why, size_t whylen);

/* Closes every connection and frees the channel. */
void rbs_chan_close(struct rbs_chan *ch);

/* Replaces the profiles sent in HELLO (sent on the next connection). */
int rbs_chan_set_profiles(struct rbs_chan *ch, Db__RbsProfile **profiles, size_t n);

/*
 * Queues one entry from the local feeder. Returns 0; -EAGAIN when the
 * window is full (the feeder overran its credit); -EINVAL / -EMSGSIZE for
 * an entry the window refuses. After a reconnect that owes the peer a
 * full batch, entries are left out (0) until the feeder's BatchBegin:
 * the batch carries them, and the peer refuses entries before it.
 * seq (may be NULL): the entry's sequence in the window, 0 when left out.
 */
int rbs_chan_push(struct rbs_chan *ch, const Db__RbsEntry *e, uint64_t *seq);

/* Batch markers from the local feeder, in order with its entries. */
void rbs_chan_batch_begin(struct rbs_chan *ch, const Db__RbsBatchBegin *b);
void rbs_chan_batch_end(struct rbs_chan *ch, const Db__RbsBatchEnd *b);

/*
 * An anti-entropy frame from the local feeder (f a Compare or Summary
 * frame, checked by the caller or refused here), for the peer: sent after
 * every entry and marker pushed before it, in order with them. Not
 * numbered: not resent after a reconnect, and dropped when the channel
 * is down or the peer's protocol version does not know the body (an
 * older peer would close the connection on it). f is copied and still
 * belongs to the caller.
 *
 * Returns 0 (queued, or sent); -EINVAL for another body or one
 * rbs_frame_check() refuses; -EMSGSIZE when it does not fit in a frame;
 * -ENOTCONN when the channel is not up; -EOPNOTSUPP when the peer's
 * version is too old (logged once per connection); -ENOBUFS when too
 * many wait for the entries before them; -ENOMEM. Every refusal but the
 * first two and -ENOMEM is counted in the display.
 */
int rbs_chan_send_ae(struct rbs_chan *ch, const Db__RbsFrame *f);

/*
 * This device's roles (RbsRoles, checked by the caller), told the peer in
 * every keepalive and at once when they differ from the last ones.
 * Returns 1 when they changed, 0 when not, -ENOMEM.
 */
int rbs_chan_set_roles(struct rbs_chan *ch, const Db__RbsRoles *r);

/* Sends what was queued (call after a run of pushes). */
void rbs_chan_flush(struct rbs_chan *ch);

/* The local feeder (re)attached: ask the peer for a batch of every type,
 * now or as soon as the channel is up, and again on each new connection
 * until a batch ends (a request, or a batch's end, lost with its
 * connection is made up). */
void rbs_chan_request_peer_batch(struct rbs_chan *ch);

/* The window's acknowledged sequence, how many resyncs emptied it, and
 * the sequences the last one discarded (0 0: none): rbsd/rbs_fack.h. */
void rbs_chan_tx_state(const struct rbs_chan *ch, uint64_t *acked, uint64_t *resyncs,
		       uint64_t *discard_from, uint64_t *discard_to);

/* Room left in the window: entries and bytes. */
void rbs_chan_room(const struct rbs_chan *ch, uint64_t *entries, uint64_t *bytes);

/*
 * The local feeder attached (attach: rbsd's token for this attachment, as
 * in RbsCredit; applied: RbsAttach.applied_acks). applied: from now on the
 * peer is acknowledged only the entries the feeder says it applied
 * (rbs_chan_feeder_applied()), so that what the peer's feeder takes for
 * held is in this device's table; false: every entry is acknowledged once
 * received. When the feeder before it was handed entries and did not
 * apply them, the connection closes: the next one resumes after what was
 * applied, and the peer sends the rest again.
 */
void rbs_chan_feeder_attach(struct rbs_chan *ch, uint64_t attach, bool applied);

/* The receiving numbering now (it changes at each resync): a frame
 * delivered (rbs_chan_ops.deliver) and handed to the feeder later says
 * which it was received under. */
uint64_t rbs_chan_rx_epoch(const struct rbs_chan *ch);

/*
 * The feeder was handed its next n entries: those of an Entries frame
 * delivered under numbering epoch, sequences seq .. seq + n - 1. Called
 * in the order they were handed, once the feeder's queue took them; a
 * frame never handed (dropped) is left out, and nothing after it is then
 * acknowledged until a reconnect resumes before it.
 */
void rbs_chan_feeder_handed(struct rbs_chan *ch, uint64_t epoch, uint64_t seq, uint64_t n);

/*
 * The feeder's RbsApplied: of attachment attach, it applied the first
 * count entries it was handed. The ACK follows at once (within the loop
 * pass). Returns 0; -ESTALE for a word of another attachment or from a
 * feeder that acknowledges on receipt, -EINVAL for a count above what was
 * handed or below an earlier one: ignored either way.
 */
int rbs_chan_feeder_applied(struct rbs_chan *ch, uint64_t attach, uint64_t count);

/*
 * The local feeder cannot take what the peer sends (its queue is full):
 * hold = true stops reading from the peer and acknowledging what was
 * received (the peer's window then fills and it waits), false starts both
 * again. Nothing is acknowledged that the feeder has not been handed.
 */
void rbs_chan_hold(struct rbs_chan *ch, bool hold);

/* The state as rbs_chan_ops.state last reported it: up, the reason (or
 * the peer when up) and the profile comparison. Pointers into the
 * channel, valid until its next event. */
void rbs_chan_state(const struct rbs_chan *ch, bool *up, const char **reason,
		    const char **mismatch);

/* Whether the channel is up (HELLOs exchanged). */
bool rbs_chan_up(const struct rbs_chan *ch);

/* Something faster than the keepalive (a tracked BFD session) says the
 * peer is gone: the channel goes down now with `why`, and dials again as
 * after any loss. Nothing when it is not up. */
void rbs_chan_drop(struct rbs_chan *ch, const char *why);

/* Whether, at the last channel up, the peer was to send a full batch
 * (a new session) rather than resume its stream. */
bool rbs_chan_rx_full_batch(const struct rbs_chan *ch);

const char *rbs_chan_name(const struct rbs_chan *ch);

/* `display remote-backup-service NAME [verbose]`: everything an operator
 * asks; verbose adds the TCP connection, the send queues, the replication
 * lag, sequence numbers and the last time the channel went down. */
void rbs_chan_show(const struct rbs_chan *ch, bool verbose, FILE *f);

/* The same as fields of the JSON object o (docs/json.md). */
struct json_object;
void rbs_chan_json(const struct rbs_chan *ch, struct json_object *o);

#endif
