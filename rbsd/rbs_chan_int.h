/*
 * The RBS channel's insides (rbs_chan.h is its interface), shared by its
 * parts, one concern each:
 *
 *   rbs_chan.c       open and close, the profiles and roles the daemon
 *                    gives it, its state; the links: dial and accept,
 *                    which connection is kept, HELLO sent, failures and
 *                    refusals, keepalives and dead peers (rbs_link.h's
 *                    decisions carried out)
 *   rbs_chan_rx.c    frames from the peer: HELLO (the session plan, the
 *                    profiles compared), entries, ACKs, batches and
 *                    anti-entropy, delivered to the feeder; the ACKs of
 *                    what was received, or of what the feeder applied
 *                    (rbs_applied.h); reading held while the feeder is
 *                    full
 *   rbs_chan_tx.c    frames to the peer: the feeder's entries into the
 *                    window, batch markers and anti-entropy frames in their
 *                    places among them, framed and flushed
 *   rbs_chan_show.c  the channel in display remote-backup-service, text
 *                    and JSON
 *
 * The state is one struct rbs_chan, reached from each link (l->ch) or
 * given to a function. Only these files include this header.
 */
#ifndef DB_RBS_CHAN_INT_H
#define DB_RBS_CHAN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

#include "rbsd/rbs_admit.h"
#include "rbsd/rbs_applied.h"
#include "rbsd/rbs_chan.h"
#include "rbsd/rbs_conn.h"
#include "rbsd/rbs_frame.h"
#include "rbsd/rbs_lag.h"
#include "rbsd/rbs_link.h"
#include "rbsd/rbs_win.h"

/* Keepalive, dead peer, handshake limits and the redial backoff: rbs_link.h. */
#define REFUSED_LOG_MS 5000 /* refused connections: one log line this often */
#define ACK_EVERY 1024
#define ACK_DELAY_MS 1 /* the bound; an ACK goes at the end of the pass (on_ack_check()) */
#define FRAME_ENTRIES 1024	 /* entries per Entries frame at most */
#define FRAME_BYTES (256u << 10) /* and about this many bytes */
#define QUEUE_HIGH (4u << 20)	 /* stop framing while this much waits for the socket */
#define MAX_MARKERS 64
/* Anti-entropy frames waiting for the entries before them to be framed:
 * a round is a few frames every few seconds, so a queue this long means
 * the connection is stuck, and a step lost is made up by the next round. */
#define MAX_AE 64
#define AE_BYTES (8u << 20)
/* One carrying the channel, one for this device's own dial, and
 * RBS_ADMIT_MAX_PENDING inbound ones in the handshake. */
#define MAX_LINKS (2 + RBS_ADMIT_MAX_PENDING)

enum chan_state { ST_INIT, ST_CONNECTING, ST_UP, ST_DOWN };

struct link {
	struct rbs_chan *ch;
	struct rbs_conn *c;
	struct rbs_dec dec;
	bool tls_up, hello_rcvd;
	/* dialed, established (HELLOs exchanged, the plan applied), and its
	 * times: rbs_link_check() says when it is out of time */
	struct rbs_link k;
	uint32_t version;   /* the peer's protocol version, from its HELLO */
	/* The rx_seq its HELLO carried: the plan is made with it, though
	 * the feeder may have applied more before the peer's HELLO came. */
	uint64_t hello_rx;
	bool ae_old_logged; /* "too old for anti-entropy" logged for this link */
};

/* A batch marker, sent before entry pos + 1 (in order with the entries). */
struct marker {
	bool end;
	uint64_t pos;
	uint64_t order; /* among markers and anti-entropy frames (struct ae) */
	Db__RbsServiceType types[RBS_SVC_COUNT];
	size_t n;
	uint64_t count, digest;
	bool partial; /* end: the sender's table may lack users (proto) */
};

/*
 * An anti-entropy frame from the feeder (Compare, Summary), encoded, sent
 * before entry pos + 1 like a marker. Not numbered: it is not in the
 * window, not resent after a reconnect, and dropped with the link.
 */
struct ae {
	struct ae *next;
	uint64_t pos;
	uint64_t order; /* as struct marker's */
	size_t len;
	uint8_t data[]; /* length header and packed RbsFrame */
};

struct rbs_chan {
	uv_loop_t *loop;
	char name[64], policy[64];
	struct sockaddr_storage source, peer;
	SSL_CTX *ctx;
	Db__RbsHello *tmpl; /* our profiles, for HELLO */
	/* The feeder's roles, told the peer in every keepalive (split-brain
	 * detection, docs/splitbrain.md): packed, to see a change, and
	 * unpacked, to send. NULL: none yet. */
	uint8_t *roles_buf;
	size_t roles_len;
	Db__RbsRoles *roles;
	const struct rbs_chan_ops *ops;
	void *arg;
	uv_tcp_t *listener;
	uv_timer_t tick, dial_timer, ack_timer;
	uv_check_t ack_check; /* an ACK at the end of the loop pass that read entries */
	int handles; /* open handles; freed when 0 after close */
	bool closing;
	bool held;	/* the local feeder is full: no reading, no ACK */
	uint64_t holds; /* times it was */
	struct link *links[MAX_LINKS];
	struct link *active; /* established, carrying entries */
	uint64_t session, peer_session;
	uint32_t peer_version; /* its protocol version at the last HELLO */
	struct rbs_tx tx;
	struct rbs_rx rx;
	/* What the local feeder applied of what it was handed: how far the
	 * peer is acknowledged (rbs_applied.h), and the receiving numbering
	 * its deliveries were made under (one more at each resync). */
	struct rbs_applied applied;
	uint64_t rx_epoch;
	struct rbs_lag lag; /* how long the oldest unacknowledged entry waits */
	struct marker markers[MAX_MARKERS];
	size_t nmarkers;
	struct ae *ae, **ae_tail; /* in the feeder's order */
	size_t nae, ae_bytes;
	uint64_t order; /* the next marker's or anti-entropy frame's */
	/* anti-entropy frames: sent to, received from the peer; not sent
	 * because the peer's version does not know them, or because there
	 * was no channel or no room */
	uint64_t ae_tx, ae_rx, ae_old, ae_dropped;
	/* batch sent to the peer */
	bool owe_batch;		/* a batch of everything is owed to the peer */
	/* The window was emptied for a full batch: until the feeder's
	 * BatchBegin, its entries are left out (the batch carries them, read
	 * from its table after they were made); sent, they would reach the
	 * peer before the batch begins, which refuses them and closes the
	 * link, again at every reconnect. */
	bool tx_await_begin;
	bool rx_full_batch;	/* at the last channel up, the peer sends a full batch */
	bool batch_open;	/* begin pushed, end not yet */
	uint64_t batch_end_seq; /* last seq of the batch in flight (0: none) */
	uint64_t batch_expected, batch_pushed, batch_last_count;
	time_t batch_done;
	char batch_types[128];
	bool want_peer_batch; /* send RbsBatchRequest once up */
	/* a batch from the peer asked for (or owed at a full resync) and not
	 * ended yet: the request or the batch's end may go with a lost
	 * connection, and the next one asks again (on_hello()) */
	bool peer_batch_awaited;
	/* batch received from the peer */
	uint64_t rbatch_count;
	time_t rbatch_done;
	/* what display shows */
	enum chan_state state;
	char reason[192], mismatch[512], last_refused[192];
	char identity[256]; /* who the peer must be, for display */
	char tls_proto[32], tls_cipher[64], tls_subject[256], peer_text[64];
	time_t up_since;
	char last_down[192]; /* why the channel last went down, and when */
	time_t last_down_at;
	uint64_t ups, refused, entries_tx, entries_rx, resent, bytes_rx, bytes_tx;
	uint64_t resyncs, discard_from, discard_to; /* the window emptied, and what went */
	/* refused connections by why (their sum is refused) */
	uint64_t ref_stranger, ref_handshake, ref_timeout, ref_in_use, ref_evicted;
	struct rbs_ratelimit refused_log;
	uint64_t peer_batches_asked;
	struct rbs_link_dial dial; /* the own dial, its time and backoff (rbs_link.h) */
	uint8_t *obuf;
	size_t ocap;
	Db__RbsEntry *ebuf;
	Db__RbsEntry **eptr;
};

static inline uint64_t now_ms(const struct rbs_chan *ch)
{
	return uv_now(ch->loop);
}

/* ---- rbs_chan.c ---- */

/* The address of ss without its port, as text ("?" when it has none). */
void rbs_chan_addr_only(const struct sockaddr_storage *ss, char *buf, size_t len);

/* The channel's state becomes st (reason, when not NULL, says why); the
 * daemon hears of it when the channel goes up or down. */
void rbs_chan_set_state(struct rbs_chan *ch, enum chan_state st, const char *reason);

/* Closes link l, which failed (reason says why): an inbound one that
 * never carried the channel is refused; the own dial that failed its
 * handshake backs off further, as a dial refused does. */
void rbs_chan_fail_link(struct link *l, const char *reason);

/* A keepalive on l now, with this device's roles when the feeder gave
 * some. */
void rbs_chan_send_keepalive(struct link *l, uint64_t now);

/* The tick timer at the earliest time a link must be looked at
 * (keepalive, dead peer, handshake limit), stopped when there is none. */
void rbs_chan_tick_arm(struct rbs_chan *ch);

/* ---- rbs_chan_rx.c ---- */

/* rbs_conn's on_data for every link (arg: the link): the frames in buf. */
void rbs_chan_on_data(struct rbs_conn *c, const uint8_t *buf, size_t len, void *arg);

/* ---- rbs_chan_tx.c ---- */

/* Writes frame f to l's connection (traffic: no keepalive is due for a
 * while). Returns 0 or a negative errno. */
int rbs_chan_send_frame(struct link *l, const Db__RbsFrame *f);

/* Frames the window's unsent entries, markers and anti-entropy frames in
 * their places on the active link, until its socket has enough queued. */
void rbs_chan_pump(struct rbs_chan *ch);

/* Forgets the anti-entropy frames not sent yet, counted as dropped. */
void rbs_chan_drop_ae(struct rbs_chan *ch);

#endif
