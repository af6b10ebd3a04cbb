#include "rbsd/rbs_chan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/jsonout.h"
#include "common/log.h"
#include "common/show.h"
#include "common/sockaddr.h"
#include "common/uvtimer.h"
#include "rbsd/rbs_admit.h"
#include "rbsd/rbs_conn.h"
#include "rbsd/rbs_frame.h"
#include "rbsd/rbs_lag.h"
#include "rbsd/rbs_link.h"
#include "rbsd/rbs_sess.h"
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

static uint64_t now_ms(const struct rbs_chan *ch)
{
	return uv_now(ch->loop);
}

static void tick_arm(struct rbs_chan *ch);

static void addr_only(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET
			    ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
			    : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

/* ---- sending frames ------------------------------------------------------ */

static void send_keepalive(struct link *l, uint64_t now);

static int send_frame(struct link *l, const Db__RbsFrame *f)
{
	struct rbs_chan *ch = l->ch;
	int n = rbs_frame_size(f);

	if (n < 0)
		return n;
	if ((size_t)n > ch->ocap) {
		uint8_t *b = realloc(ch->obuf, (size_t)n);

		if (b == NULL)
			return -ENOMEM;
		ch->obuf = b;
		ch->ocap = (size_t)n;
	}
	rbs_frame_put(f, (size_t)n, ch->obuf);
	rbs_link_sent(&l->k, now_ms(ch));
	return rbs_conn_write(l->c, ch->obuf, (size_t)n);
}

static void send_hello(struct link *l)
{
	struct rbs_chan *ch = l->ch;
	Db__RbsFrame f = DB__RBS_FRAME__INIT;
	Db__RbsHello h = *ch->tmpl;

	h.version = RBS_PROTO_MIN; /* what a build of version 1 requires */
	h.version_max = RBS_PROTO_VERSION;
	h.session = ch->session;
	h.peer_session = ch->peer_session;
	h.rx_seq = rbs_rx_last(&ch->rx);
	h.tx_acked = rbs_tx_acked(&ch->tx);
	h.tx_sent = rbs_tx_sent(&ch->tx);
	h.service = ch->name;
	f.body_case = DB__RBS_FRAME__BODY_HELLO;
	f.hello = &h;
	send_frame(l, &f);
}

static void send_marker(struct link *l, const struct marker *m)
{
	Db__RbsFrame f = DB__RBS_FRAME__INIT;
	Db__RbsBatchBegin b = DB__RBS_BATCH_BEGIN__INIT;
	Db__RbsBatchEnd e = DB__RBS_BATCH_END__INIT;

	if (m->end) {
		e.n_types = m->n;
		e.types = (Db__RbsServiceType *)m->types;
		e.count = m->count;
		e.digest = m->digest;
		e.partial = m->partial;
		f.body_case = DB__RBS_FRAME__BODY_BATCH_END;
		f.batch_end = &e;
	} else {
		b.n_types = m->n;
		b.types = (Db__RbsServiceType *)m->types;
		b.count = m->count;
		f.body_case = DB__RBS_FRAME__BODY_BATCH_BEGIN;
		f.batch_begin = &b;
	}
	send_frame(l, &f);
}

/* Forget the anti-entropy frames not sent yet (the link they were for is
 * gone): counted as dropped. */
static void drop_ae(struct rbs_chan *ch)
{
	while (ch->ae) {
		struct ae *a = ch->ae;

		ch->ae = a->next;
		ch->ae_dropped++;
		free(a);
	}
	ch->ae_tail = &ch->ae;
	ch->nae = 0;
	ch->ae_bytes = 0;
}

/*
 * Sends the marker or anti-entropy frame that comes next if it is due
 * before entry `next`. Both queues hold what the feeder sent between its
 * entries, each item placed after the last entry pushed before it (pos);
 * between themselves they go in the order the feeder sent them (order),
 * so that a compare sent after a BatchEnd reaches the peer after it.
 * Returns false when nothing is due.
 */
static bool send_due(struct rbs_chan *ch, struct link *l, uint64_t next)
{
	bool m = ch->nmarkers && ch->markers[0].pos < next;
	struct ae *a = ch->ae && ch->ae->pos < next ? ch->ae : NULL;

	if (m && (a == NULL || ch->markers[0].order < a->order)) {
		send_marker(l, &ch->markers[0]);
		memmove(ch->markers, ch->markers + 1, --ch->nmarkers * sizeof(ch->markers[0]));
		return true;
	}
	if (a == NULL)
		return false;
	ch->ae = a->next;
	if (ch->ae == NULL)
		ch->ae_tail = &ch->ae;
	ch->nae--;
	ch->ae_bytes -= a->len;
	rbs_link_sent(&l->k, now_ms(ch));
	if (rbs_conn_write(l->c, a->data, a->len) == 0)
		ch->ae_tx++;
	else
		ch->ae_dropped++; /* the link is failing: down follows */
	free(a);
	return true;
}

/* Frame the window's unsent entries, markers and anti-entropy frames in
 * their places, until the socket has enough queued. */
static void pump(struct rbs_chan *ch)
{
	struct link *l = ch->active;

	if (l == NULL || !l->k.established)
		return;
	if (ch->want_peer_batch) {
		Db__RbsFrame f = DB__RBS_FRAME__INIT;
		Db__RbsBatchRequest r = DB__RBS_BATCH_REQUEST__INIT;
		Db__RbsServiceType all[RBS_SVC_COUNT];

		r.n_types = (size_t)rbs_svc_parse("all", all);
		r.types = all;
		f.body_case = DB__RBS_FRAME__BODY_BATCH_REQUEST;
		f.batch_request = &r;
		ch->want_peer_batch = false;
		ch->peer_batches_asked++;
		send_frame(l, &f);
	}
	while (rbs_conn_queued(l->c) < QUEUE_HIGH) {
		uint64_t next = rbs_tx_sent(&ch->tx) + 1;
		const struct rbs_win_entry *e;
		Db__RbsFrame f = DB__RBS_FRAME__INIT;
		Db__RbsEntries es = DB__RBS_ENTRIES__INIT;
		size_t n = 0, bytes = 0;
		uint64_t stop = UINT64_MAX;

		/* Markers and anti-entropy frames due before the next entry go
		 * first. */
		while (send_due(ch, l, next))
			;
		if (ch->nmarkers)
			stop = ch->markers[0].pos; /* the frame ends at the next marker */
		if (ch->ae && ch->ae->pos < stop)
			stop = ch->ae->pos; /* or anti-entropy frame */
		for (e = rbs_tx_next_unsent(&ch->tx); e && n < FRAME_ENTRIES;
		     e = rbs_tx_get(&ch->tx, e->seq + 1)) {
			Db__RbsEntry *o = &ch->ebuf[n];
			/* An upper bound of the entry's encoding; a frame holds one
			 * entry whatever its size (RBS_ENTRY_MAX), and more only while
			 * they stay under FRAME_BYTES, well below RBS_FRAME_MAX. */
			size_t sz = 32 + e->klen + e->plen;

			if (e->seq > stop || (n > 0 && bytes + sz > FRAME_BYTES))
				break;
			db__rbs_entry__init(o);
			o->op = e->op;
			o->type = e->type;
			o->key.data = (uint8_t *)rbs_win_key(e);
			o->key.len = e->klen;
			o->payload.data = (uint8_t *)rbs_win_payload(e);
			o->payload.len = e->plen;
			o->version = e->version;
			ch->eptr[n++] = o;
			bytes += sz;
		}
		if (n == 0) {
			if (ch->nmarkers && ch->markers[0].pos < next)
				continue;
			break;
		}
		es.first_seq = next;
		es.n_entries = n;
		es.entries = ch->eptr;
		f.body_case = DB__RBS_FRAME__BODY_ENTRIES;
		f.entries = &es;
		if (send_frame(l, &f) < 0)
			return;
		rbs_tx_mark_sent(&ch->tx, next + n - 1);
		ch->entries_tx += n;
	}
}

/* ---- state ------------------------------------------------------------------ */

static void set_state(struct rbs_chan *ch, enum chan_state st, const char *reason)
{
	bool was_up = ch->state == ST_UP;

	ch->state = st;
	if (reason)
		snprintf(ch->reason, sizeof(ch->reason), "%s", reason);
	if (st == ST_UP && !was_up) {
		ch->up_since = time(NULL);
		ch->ups++;
		ch->ops->state(ch->arg, ch, true, ch->peer_text, ch->mismatch);
	} else if (st != ST_UP && was_up) {
		snprintf(ch->last_down, sizeof(ch->last_down), "%s", ch->reason);
		ch->last_down_at = time(NULL);
		ch->ops->state(ch->arg, ch, false, ch->reason, ch->mismatch);
	}
}

static void dial(struct rbs_chan *ch);

static void on_dial_timer(uv_timer_t *t);

/* The dial timer at the time rbs_link_dial_next() says, stopped when none.
 * Left alone when it is set for that time already. */
static void arm_dial(struct rbs_chan *ch)
{
	uint64_t at = rbs_link_dial_next(&ch->dial), now = now_ms(ch);
	uint64_t ms = at > now ? at - now : 0;

	if (ch->closing)
		return;
	if (at == RBS_LINK_NEVER) {
		uv_timer_stop(&ch->dial_timer);
		return;
	}
	if (uv_is_active((uv_handle_t *)&ch->dial_timer) &&
	    uv_timer_get_due_in(&ch->dial_timer) == ms)
		return;
	uv_timer_start(&ch->dial_timer, on_dial_timer, ms, 0);
}

static void on_dial_timer(uv_timer_t *t)
{
	struct rbs_chan *ch = t->data;

	dial(ch);
	arm_dial(ch);
}

/* Whether l is still one of the channel's links. */
static bool link_owned(const struct rbs_chan *ch, const struct link *l)
{
	for (int i = 0; i < MAX_LINKS; i++)
		if (ch->links[i] == l)
			return true;
	return false;
}

/* Forget a link and free it; its connection is the caller's business.
 * The own dial, if it was that one and it never carried the channel, is
 * over. */
static void link_discard(struct link *l)
{
	struct rbs_chan *ch = l->ch;

	if (l->k.dialed && !l->k.established)
		rbs_link_dial_done(&ch->dial);

	for (int i = 0; i < MAX_LINKS; i++)
		if (ch->links[i] == l)
			ch->links[i] = NULL;
	rbs_dec_free(&l->dec);
	free(l);
}

/* Forget a link that had a connection, keeping its byte counts. */
static void link_free(struct link *l)
{
	uint64_t rx, tx;

	rbs_conn_bytes(l->c, &rx, &tx);
	l->ch->bytes_rx += rx;
	l->ch->bytes_tx += tx;
	link_discard(l);
}

enum refusal { REF_STRANGER, REF_HANDSHAKE, REF_TIMEOUT, REF_IN_USE, REF_EVICTED };

/* Count a refused connection, remember why for display, and log it at
 * most once per REFUSED_LOG_MS: a flood must not flood the log. */
static void refuse(struct rbs_chan *ch, enum refusal why, const char *from, const char *reason)
{
	uint64_t *by[] = {&ch->ref_stranger, &ch->ref_handshake, &ch->ref_timeout, &ch->ref_in_use,
			  &ch->ref_evicted};
	uint64_t suppressed;

	ch->refused++;
	(*by[why])++;
	snprintf(ch->last_refused, sizeof(ch->last_refused), "%s: %s", from, reason);
	if (!rbs_ratelimit_ok(&ch->refused_log, now_ms(ch), &suppressed))
		return;
	if (suppressed)
		log_warnx("remote-backup-service %s: connection from %s refused: %s (and %llu more "
			  "refused in the last %u s, not logged)",
			  ch->name, from, reason, (unsigned long long)suppressed,
			  REFUSED_LOG_MS / 1000);
	else
		log_warnx("remote-backup-service %s: connection from %s refused: %s", ch->name,
			  from, reason);
}

/* The active link is gone: the batch in flight must start again, the
 * markers are not resent. */
static void lost_active(struct rbs_chan *ch, const char *reason)
{
	ch->active = NULL;
	ch->nmarkers = 0;
	drop_ae(ch);
	if (ch->batch_open || (ch->batch_end_seq && rbs_tx_acked(&ch->tx) < ch->batch_end_seq))
		ch->owe_batch = true;
	ch->batch_open = false;
	ch->batch_end_seq = 0;
	uv_timer_stop(&ch->ack_timer);
	set_state(ch, ST_DOWN, reason);
	{
		const struct log_field lf[] = {
		    {"RBS_SERVICE", ch->name}, {"RBS_STATE", "down"},
		    {"RBS_PEER", ch->peer_text}, {"RBS_REASON", reason},
		};

		log_event(LOG_WARNING, LOG_MSGID_RBS_CHANNEL, lf, sizeof(lf) / sizeof(lf[0]),
			  "remote-backup-service %s: channel down: %s", ch->name, reason);
	}
}

/* Close one link ourselves: on purpose, or (failed) because the own dial
 * failed its handshake, which backs off further as any failed dial. */
static void close_link(struct link *l, const char *reason, bool failed)
{
	struct rbs_chan *ch = l->ch;
	struct rbs_conn *c = l->c;

	if (ch->active == l)
		lost_active(ch, reason);
	link_free(l);
	rbs_conn_close(c);
	/* with no channel left, dial again after the backoff */
	if (failed)
		rbs_link_dial_failed(&ch->dial, now_ms(ch), ch->active != NULL);
	else
		rbs_link_dial_closed(&ch->dial, now_ms(ch), ch->active != NULL);
	arm_dial(ch);
}

/* Close one link on purpose (ours), not because it failed. */
static void drop_link(struct link *l, const char *reason)
{
	close_link(l, reason, false);
}

static void on_down(struct rbs_conn *c, const char *reason, void *arg)
{
	struct link *l = arg;
	struct rbs_chan *ch = l->ch;
	char r[256];

	/* Callbacks may come before rbs_conn_dial/adopt returned the
	 * connection (clear text is up at once): take it from here. */
	l->c = c;
	if (!l->tls_up && !l->k.dialed) {
		/* A peer that never got through the handshake was refused. */
		refuse(ch, REF_HANDSHAKE, rbs_conn_peer(c), reason);
	}
	snprintf(r, sizeof(r), "%s", reason);
	if (ch->active == l)
		lost_active(ch, r);
	else if (ch->state != ST_UP && ch->state != ST_DOWN)
		snprintf(ch->reason, sizeof(ch->reason), "%s", r);
	if (l->k.dialed && !ch->active)
		snprintf(ch->reason, sizeof(ch->reason), "%s", r);
	link_free(l);
	/* rbs_conn frees c after we return. With no channel left, dial again
	 * after the backoff, and back off further. */
	if (!ch->closing) {
		rbs_link_dial_failed(&ch->dial, now_ms(ch), ch->active != NULL);
		arm_dial(ch);
	}
}

static void fail_link(struct link *l, const char *reason)
{
	struct rbs_chan *ch = l->ch;

	if (!l->k.dialed && !l->k.established) {
		/* Never carried the channel: whoever it was, it is refused
		 * (counted, logged at a bounded rate). */
		refuse(ch, REF_HANDSHAKE, rbs_conn_peer(l->c), reason);
		drop_link(l, reason);
		return;
	}
	log_warnx("remote-backup-service %s: closing the connection with %s: %s", ch->name,
		  rbs_conn_peer(l->c), reason);
	/* The own dial that fails its handshake (a HELLO of another version,
	 * a broken frame, no HELLO in time) failed like one refused: closed
	 * "on purpose" it would be dialed again at the same backoff forever,
	 * ten times a second against a peer that always answers so. And the
	 * display says why, as on_down() does for a dial refused earlier. */
	if (l->k.dialed && !l->k.established) {
		if (ch->active == NULL)
			snprintf(ch->reason, sizeof(ch->reason), "%s", reason);
		close_link(l, reason, true);
		return;
	}
	drop_link(l, reason);
}

/* ---- the peer's profiles -------------------------------------------------- */

static const Db__RbsProfile *find_profile(const Db__RbsHello *h, uint32_t id)
{
	for (size_t i = 0; i < h->n_profiles; i++)
		if (h->profiles[i]->backup_id == id)
			return h->profiles[i];
	return NULL;
}

/* The spec: "the same VRRP group on two BNGs must be bound to the same odd
 * or even MAC address", and a backup-id must exist on both. */
static void compare_profiles(struct rbs_chan *ch, const Db__RbsHello *peer)
{
	char *p = ch->mismatch;
	size_t left = sizeof(ch->mismatch);
	const Db__RbsHello *me = ch->tmpl;

	ch->mismatch[0] = 0;
#define ADD(...)                                                                                   \
	do {                                                                                       \
		int n_ = snprintf(p, left, "%s", p == ch->mismatch ? "" : "; ");                   \
		if (n_ > 0 && (size_t)n_ < left) {                                                 \
			p += n_;                                                                   \
			left -= (size_t)n_;                                                        \
		}                                                                                  \
		n_ = snprintf(p, left, __VA_ARGS__);                                               \
		if (n_ > 0 && (size_t)n_ < left) {                                                 \
			p += n_;                                                                   \
			left -= (size_t)n_;                                                        \
		}                                                                                  \
	} while (0)
	for (size_t i = 0; i < me->n_profiles; i++) {
		const Db__RbsProfile *m = me->profiles[i];
		const Db__RbsProfile *o = find_profile(peer, m->backup_id);

		if (o == NULL) {
			ADD("backup-id %u (remote-backup-profile %s here) is not configured on the "
			    "peer",
			    m->backup_id, m->rbp);
			continue;
		}
		for (size_t j = 0; j < m->n_bindings; j++)
			for (size_t k = 0; k < o->n_bindings; k++)
				if (m->bindings[j]->vrid == o->bindings[k]->vrid &&
				    m->bindings[j]->odd_mac != o->bindings[k]->odd_mac)
					ADD("backup-id %u: vrid %u is %s here and %s on the peer",
					    m->backup_id, m->bindings[j]->vrid,
					    m->bindings[j]->odd_mac ? "odd-mac" : "even-mac",
					    o->bindings[k]->odd_mac ? "odd-mac" : "even-mac");
	}
	for (size_t i = 0; i < peer->n_profiles; i++)
		if (find_profile(me, peer->profiles[i]->backup_id) == NULL)
			ADD("backup-id %u (remote-backup-profile %s on the peer) is not configured "
			    "here",
			    peer->profiles[i]->backup_id, peer->profiles[i]->rbp);
#undef ADD
	if (ch->mismatch[0])
		log_warnx("remote-backup-service %s: profiles differ from the peer's: %s", ch->name,
			  ch->mismatch);
}

/* ---- receiving ------------------------------------------------------------------ */

static void on_hello(struct link *l, const Db__RbsHello *h)
{
	struct rbs_chan *ch = l->ch;
	struct rbs_sess_state me = {ch->session, ch->peer_session, rbs_rx_last(&ch->rx),
				    rbs_tx_acked(&ch->tx), rbs_tx_sent(&ch->tx)};
	struct rbs_sess_state peer = {h->session, h->peer_session, h->rx_seq, h->tx_acked,
				      h->tx_sent};
	struct rbs_sess_plan plan;
	char r[192];

	if (l->hello_rcvd)
		return fail_link(l, "a second HELLO");
	if (!rbs_frame_version_ok(h->version)) {
		snprintf(r, sizeof(r),
			 "the peer speaks RBS protocol version %u, this speaks %u (and talks to "
			 "%u and later)",
			 h->version, RBS_PROTO_VERSION, RBS_PROTO_MIN);
		return fail_link(l, r);
	}
	if (rbs_sess_decide(&me, &peer, &plan) < 0)
		return fail_link(l, "the peer's session is this one (a connection to itself?)");
	l->hello_rcvd = true;
	/* What the link may carry: frames of a later version than the
	 * peer's are not sent on it (rbs_frame_body_version()). */
	l->version = rbs_frame_peer_version(h);
	ch->peer_version = l->version;
	ch->peer_session = h->session;
	if (plan.tx.resume) {
		if (rbs_tx_resume(&ch->tx, plan.tx.seq) < 0)
			return fail_link(l, "cannot resume the window");
		ch->resent += rbs_tx_unsent(&ch->tx);
		rbs_lag_acked(&ch->lag, rbs_tx_acked(&ch->tx), rbs_tx_last(&ch->tx));
	} else {
		ch->resyncs++;
		ch->discard_from = rbs_tx_acked(&ch->tx) + 1;
		ch->discard_to = rbs_tx_last(&ch->tx);
		if (ch->discard_to < ch->discard_from)
			ch->discard_from = ch->discard_to = 0;
		rbs_tx_resync(&ch->tx);
		rbs_lag_reset(&ch->lag);
		/* batch markers queued meanwhile name places in the window
		 * just dropped: sent now they would frame an empty batch,
		 * whose end sweeps the peer */
		ch->nmarkers = 0;
		drop_ae(ch); /* none: they go with the link; their places went too */
		ch->batch_open = false;
		ch->owe_batch = true;
		ch->tx_await_begin = true;
		log_info("remote-backup-service %s: full batch to the peer: %s", ch->name,
			 rbs_sess_why_str(plan.tx.why));
	}
	ch->rx_full_batch = !plan.rx.resume;
	if (plan.rx.resume)
		rbs_rx_reset(&ch->rx, plan.rx.seq);
	else
		rbs_rx_resync(&ch->rx, plan.rx.seq);
	/* A resync emptied the window: the feeder may send again, and nothing
	 * else (no ACK is coming for what was dropped) would tell it. */
	ch->ops->room(ch->arg, ch);
	compare_profiles(ch, h);
	rbs_link_established(&l->k);
	ch->active = l;
	tick_arm(ch); /* from the handshake's limit to the keepalive's */
	if (ch->roles)
		send_keepalive(l, now_ms(ch));
	if (ch->held)
		rbs_conn_pause(l->c, true);
	if (l->k.dialed)
		rbs_link_dial_done(&ch->dial);
	rbs_link_dial_up(&ch->dial);
	rbs_conn_tls(l->c, ch->tls_proto, sizeof(ch->tls_proto), ch->tls_cipher,
		     sizeof(ch->tls_cipher), ch->tls_subject, sizeof(ch->tls_subject));
	snprintf(ch->peer_text, sizeof(ch->peer_text), "%s", rbs_conn_peer(l->c));
	{
		const struct log_field lf[] = {
		    {"RBS_SERVICE", ch->name},
		    {"RBS_STATE", "up"},
		    {"RBS_PEER", ch->peer_text},
		    {"RBS_TLS", ch->ctx ? ch->tls_proto : "clear-text"},
		    {"RBS_PEER_SUBJECT", ch->ctx ? ch->tls_subject : ""},
		};

		log_event(LOG_INFO, LOG_MSGID_RBS_CHANNEL, lf, sizeof(lf) / sizeof(lf[0]),
			  "remote-backup-service %s: channel up with %s (%s%s%s, protocol "
			  "version %u), send: %s, receive: %s",
			  ch->name, rbs_conn_peer(l->c), ch->ctx ? ch->tls_proto : "clear text",
			  ch->ctx ? " " : "", ch->ctx ? ch->tls_subject : "", l->version,
			  plan.tx.resume ? "resume" : "full batch",
			  plan.rx.resume ? "resume" : "full batch");
	}
	set_state(ch, ST_UP, "");
	if (ch->owe_batch) {
		Db__RbsServiceType all[RBS_SVC_COUNT];
		int n = rbs_svc_parse("all", all);

		ch->owe_batch = false;
		ch->ops->want_batch(ch->arg, ch, all, (size_t)n);
	}
	pump(ch);
}

static void send_ack(struct rbs_chan *ch)
{
	Db__RbsFrame f = DB__RBS_FRAME__INIT;
	Db__RbsAck a = DB__RBS_ACK__INIT;

	if (ch->active == NULL)
		return;
	a.seq = rbs_rx_ack_take(&ch->rx);
	f.body_case = DB__RBS_FRAME__BODY_ACK;
	f.ack = &a;
	send_frame(ch->active, &f);
}

static void arm_ack(struct rbs_chan *ch);

static void on_ack_timer(uv_timer_t *t)
{
	struct rbs_chan *ch = t->data;

	arm_ack(ch);
}

/* The loop pass that read entries is over: every frame the socket held
 * then is taken, so one ACK says all of it, at once. Waiting the delay
 * (ACK_DELAY_MS, in libuv's whole milliseconds: 1 to 2 ms) would add that
 * to every synchronous request of the peer's user API, which is answered
 * only once this ACK is back; a bulk transfer still gets one ACK per pass
 * (or per ACK_EVERY entries), not one per frame. */
static void on_ack_check(uv_check_t *h)
{
	struct rbs_chan *ch = h->data;

	uv_check_stop(h);
	if (ch->held || ch->active == NULL || rbs_rx_ack_deadline(&ch->rx) == UINT64_MAX)
		return;
	send_ack(ch);
	arm_ack(ch);
}

/* ACK now when due, else when the oldest unacknowledged entry has waited
 * long enough. With no channel there is nobody to acknowledge to: the next
 * HELLO says where the peer resumes. The timer is never started for 0 ms:
 * libuv runs a timer that is due again at once within the same pass, so a
 * due ACK that could not be taken would spin the loop forever. */
static void arm_ack(struct rbs_chan *ch)
{
	uint64_t now = now_ms(ch), at;

	if (ch->held)
		return; /* released by rbs_chan_hold(), which arms it again */
	if (ch->active == NULL) {
		uv_timer_stop(&ch->ack_timer);
		return;
	}
	if (rbs_rx_ack_due(&ch->rx, now))
		send_ack(ch);
	at = rbs_rx_ack_deadline(&ch->rx);
	if (at != UINT64_MAX && !uv_is_active((uv_handle_t *)&ch->ack_check))
		uv_check_start(&ch->ack_check, on_ack_check);
	if (at == UINT64_MAX)
		uv_timer_stop(&ch->ack_timer);
	else
		uv_timer_start(&ch->ack_timer, on_ack_timer, at > now ? at - now : 1, 0);
}

/* One frame from the peer; false when the link was closed. */
static bool on_frame(struct link *l, const Db__RbsFrame *f)
{
	struct rbs_chan *ch = l->ch;
	char r[192];

	if (f->body_case == DB__RBS_FRAME__BODY_HELLO) {
		on_hello(l, f->hello);
		return ch->active == l;
	}
	if (!l->k.established) {
		fail_link(l, "a frame before HELLO");
		return false;
	}
	switch (f->body_case) {
	case DB__RBS_FRAME__BODY_ENTRIES: {
		const Db__RbsEntries *e = f->entries;

		if (rbs_rx_accept(&ch->rx, e->first_seq, e->n_entries, now_ms(ch)) < 0) {
			snprintf(r, sizeof(r), "entries out of order: got seq %llu, expected %llu",
				 (unsigned long long)e->first_seq,
				 (unsigned long long)rbs_rx_expected(&ch->rx));
			fail_link(l, r);
			return false;
		}
		ch->entries_rx += e->n_entries;
		ch->rbatch_count += e->n_entries;
		ch->ops->deliver(ch->arg, ch, f);
		arm_ack(ch);
		break;
	}
	case DB__RBS_FRAME__BODY_ACK:
		if (rbs_tx_ack(&ch->tx, f->ack->seq) < 0) {
			snprintf(r, sizeof(r),
				 "ACK %llu outside the window (acked %llu, sent %llu)",
				 (unsigned long long)f->ack->seq,
				 (unsigned long long)rbs_tx_acked(&ch->tx),
				 (unsigned long long)rbs_tx_sent(&ch->tx));
			fail_link(l, r);
			return false;
		}
		rbs_lag_acked(&ch->lag, rbs_tx_acked(&ch->tx), rbs_tx_last(&ch->tx));
		if (ch->batch_end_seq && rbs_tx_acked(&ch->tx) >= ch->batch_end_seq) {
			ch->batch_end_seq = 0;
			ch->batch_done = time(NULL);
		}
		ch->ops->room(ch->arg, ch);
		break;
	case DB__RBS_FRAME__BODY_KEEPALIVE:
		if (f->keepalive->roles)
			ch->ops->deliver(ch->arg, ch, f);
		break;
	case DB__RBS_FRAME__BODY_BATCH_BEGIN:
		rbs_rx_batch_begin(&ch->rx);
		ch->rbatch_count = 0;
		ch->ops->deliver(ch->arg, ch, f);
		break;
	case DB__RBS_FRAME__BODY_BATCH_END:
		ch->rbatch_done = time(NULL);
		ch->ops->deliver(ch->arg, ch, f);
		break;
	case DB__RBS_FRAME__BODY_BATCH_REQUEST:
		log_info("remote-backup-service %s: the peer asks for a full batch", ch->name);
		ch->ops->want_batch(ch->arg, ch, f->batch_request->types,
				    f->batch_request->n_types);
		break;
	case DB__RBS_FRAME__BODY_COMPARE:
	case DB__RBS_FRAME__BODY_SUMMARY:
		/* in order with the entries: the feeder gets both through the
		 * same queue */
		ch->ae_rx++;
		ch->ops->antientropy(ch->arg, ch, f);
		break;
	default:
		break;
	}
	return ch->active == l;
}

static void on_data(struct rbs_conn *c, const uint8_t *buf, size_t len, void *arg)
{
	struct link *l = arg;
	struct rbs_chan *ch = l->ch;
	Db__RbsFrame *f;
	int rc;

	/* Callbacks may come before rbs_conn_dial/adopt returned the
	 * connection (clear text is up at once): take it from here. */
	l->c = c;
	rbs_link_heard(&l->k, now_ms(ch));
	while ((rc = rbs_dec_next(&l->dec, &buf, &len, &f)) > 0) {
		bool alive = on_frame(l, f);

		if (!alive) {
			/* The link is freed (or no longer ours to read): stop. */
			return;
		}
		rbs_dec_release(&l->dec, f);
	}
	if (rc < 0) {
		char r[128];

		snprintf(r, sizeof(r), "bad frame: %s",
			 rc == -ENOMEM ? "out of memory"
				       : rbs_frame_err_str(rbs_dec_error(&l->dec)));
		fail_link(l, r);
		return;
	}
	pump(ch);
}

/* ---- connections --------------------------------------------------------- */

/* Which of two connections to keep: the one dialed by the greater address. */
static bool preferred(struct link *l)
{
	struct sockaddr_storage local, remote;
	int keep;

	if (rbs_conn_addrs(l->c, &local, &remote) < 0)
		return true;
	keep = rbs_sess_tiebreak(&local, &remote);
	return keep == (l->k.dialed ? RBS_SESS_KEEP_OUTBOUND : RBS_SESS_KEEP_INBOUND);
}

static void on_up(struct rbs_conn *c, void *arg)
{
	struct link *l = arg;
	struct rbs_chan *ch = l->ch;

	/* Callbacks may come before rbs_conn_dial/adopt returned the
	 * connection (clear text is up at once): take it from here. */
	l->c = c;
	l->tls_up = true;
	/* Another connection is through its handshake too: keep one
	 * (rbs_admit_up(): in clear text never a new one over the channel). */
	for (int i = 0; i < MAX_LINKS; i++) {
		struct link *o = ch->links[i];
		struct rbs_admit_link nl = {l->k.dialed, l->k.established, false};
		struct rbs_admit_link ol = {false, false, false};

		if (o == NULL || o == l || !o->tls_up)
			continue;
		nl.preferred = preferred(l);
		ol = (struct rbs_admit_link){o->k.dialed, o->k.established, preferred(o)};
		if (rbs_admit_up(ch->ctx != NULL, &nl, &ol) == RBS_ADMIT_KEEP_NEW) {
			drop_link(o, "replaced by the connection both sides keep");
		} else if (!l->k.dialed && o->k.established && ch->ctx == NULL) {
			refuse(ch, REF_IN_USE, rbs_conn_peer(l->c),
			       "the clear-text channel is established; nothing proves who this is");
			drop_link(l, "a clear-text channel is established");
			return;
		} else {
			drop_link(l, "both sides dialed; the other connection is kept");
			return;
		}
	}
	rbs_link_connected(&l->k, now_ms(ch));
	send_hello(l);
	tick_arm(ch);
}

static void on_drained(struct rbs_conn *c, void *arg)
{
	struct link *l = arg;

	(void)c;
	if (l->ch->active == l)
		pump(l->ch);
}

static const struct rbs_conn_cbs conn_cbs = {on_up, on_data, on_down, on_drained};

static struct link *link_new(struct rbs_chan *ch, bool dialed)
{
	struct link *l;
	int slot = -1;

	for (int i = 0; i < MAX_LINKS; i++)
		if (ch->links[i] == NULL) {
			slot = i;
			break;
		}
	if (slot < 0)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->ch = ch;
	rbs_link_open(&l->k, now_ms(ch), dialed);
	rbs_dec_init(&l->dec);
	ch->links[slot] = l;
	tick_arm(ch);
	return l;
}

static void dial(struct rbs_chan *ch)
{
	struct link *l;
	struct sockaddr_storage src = ch->source;
	int rc;

	if (ch->closing ||
	    rbs_link_dial_due(&ch->dial, now_ms(ch), ch->active != NULL) != RBS_LINK_DIAL_NOW)
		return;
	l = link_new(ch, true);
	if (l == NULL) {
		rbs_link_dial_no_slot(&ch->dial, now_ms(ch));
		return;
	}
	if (src.ss_family == AF_INET)
		((struct sockaddr_in *)&src)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&src)->sin6_port = 0;
	if (ch->state == ST_INIT)
		set_state(ch, ST_CONNECTING, "dialing the peer");
	rc = rbs_conn_dial(&l->c, ch->loop, (struct sockaddr *)&src, (struct sockaddr *)&ch->peer,
			   ch->ctx, &conn_cbs, l);
	if (rc < 0) {
		snprintf(ch->reason, sizeof(ch->reason), "dial: %s", uv_strerror(rc));
		link_discard(l);
		rbs_link_dial_failed(&ch->dial, now_ms(ch), ch->active != NULL);
		return;
	}
	rbs_link_dial_begun(&ch->dial);
}

/* Room for one more inbound connection (rbs_admit_inbound()): false when
 * there is none; may drop the oldest inbound one still in its handshake. */
static bool make_room(struct rbs_chan *ch)
{
	unsigned pending = 0, free_slots = 0;
	bool dial_open = false;
	struct link *oldest = NULL, *cand[MAX_LINKS];
	struct rbs_admit_pending pend[MAX_LINKS];
	int v;

	for (int i = 0; i < MAX_LINKS; i++) {
		struct link *l = ch->links[i];

		if (l == NULL) {
			free_slots++;
		} else if (l->k.dialed) {
			dial_open = true;
		} else if (!l->k.established) {
			uint64_t tx;

			cand[pending] = l;
			pend[pending].opened_ms = l->k.opened_ms;
			rbs_conn_bytes(l->c, &pend[pending].rx_bytes, &tx);
			pending++;
		}
	}
	v = rbs_admit_victim(pend, pending);
	if (v >= 0)
		oldest = cand[v];
	switch (rbs_admit_inbound(pending, free_slots, dial_open)) {
	case RBS_ADMIT_ACCEPT:
		return true;
	case RBS_ADMIT_EVICT_OLDEST:
		if (oldest == NULL)
			return false;
		refuse(ch, REF_EVICTED, rbs_conn_peer(oldest->c),
		       "pushed out by a newer connection (at most 2 in the handshake, the "
		       "oldest silent one goes first)");
		drop_link(oldest, "too many connections in the handshake");
		return true;
	case RBS_ADMIT_REFUSE:
	default:
		return false;
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct rbs_chan *ch = server->data;
	uv_tcp_t *tcp;
	struct sockaddr_storage from;
	int len = sizeof(from);
	struct link *l;
	struct rbs_conn *c;
	char a[INET6_ADDRSTRLEN];

	if (status < 0)
		return;
	tcp = malloc(sizeof(*tcp));
	if (tcp == NULL)
		return;
	uv_tcp_init(ch->loop, tcp);
	if (uv_accept(server, (uv_stream_t *)tcp) < 0) {
		uv_close((uv_handle_t *)tcp, (uv_close_cb)free);
		return;
	}
	if (uv_tcp_getpeername(tcp, (struct sockaddr *)&from, &len) < 0 ||
	    !sockaddr_same_host(&from, &ch->peer)) {
		addr_only(&from, a, sizeof(a));
		refuse(ch, REF_STRANGER, a, "not the configured peer");
		uv_close((uv_handle_t *)tcp, (uv_close_cb)free);
		return;
	}
	addr_only(&from, a, sizeof(a));
	if (rbs_admit_refuse_early(ch->ctx != NULL, ch->active != NULL)) {
		refuse(ch, REF_IN_USE, a,
		       "the clear-text channel is established; nothing proves who this is");
		uv_close((uv_handle_t *)tcp, (uv_close_cb)free);
		return;
	}
	if (!make_room(ch)) {
		refuse(ch, REF_EVICTED, a, "no connection slot free");
		uv_close((uv_handle_t *)tcp, (uv_close_cb)free);
		return;
	}
	l = link_new(ch, false);
	if (l == NULL) {
		uv_close((uv_handle_t *)tcp, (uv_close_cb)free);
		return;
	}
	/* In clear text the connection is up at once, and the callbacks may
	 * already have dropped this link when rbs_conn_adopt() returns:
	 * touch l again only if it is still ours. */
	if (rbs_conn_adopt(&c, tcp, ch->ctx, &conn_cbs, l) < 0) {
		link_discard(l);
		return;
	}
	if (link_owned(ch, l))
		l->c = c;
}

/* A keepalive now, with this device's roles when the feeder gave some. */
static void send_keepalive(struct link *l, uint64_t now)
{
	Db__RbsFrame f = DB__RBS_FRAME__INIT;
	Db__RbsKeepalive k = DB__RBS_KEEPALIVE__INIT;

	k.stamp = now;
	k.roles = l->ch->roles;
	f.body_case = DB__RBS_FRAME__BODY_KEEPALIVE;
	f.keepalive = &k;
	send_frame(l, &f);
}

/* When due (tick_arm()): keepalives, dead peers, stuck handshakes. */
static void on_tick(uv_timer_t *t)
{
	struct rbs_chan *ch = t->data;
	uint64_t now = now_ms(ch);
	char why[64];

	for (int i = 0; i < MAX_LINKS; i++) {
		struct link *l = ch->links[i];

		if (l == NULL)
			continue;
		/* the words say rbs_link.h's limits, in whole seconds */
		switch (rbs_link_check(&l->k, now, ch->held)) {
		case RBS_LINK_HANDSHAKE_EXPIRED:
			if (l->k.dialed) {
				snprintf(why, sizeof(why), "no HELLO within %d s",
					 (RBS_LINK_DIAL_HANDSHAKE_MS + 999) / 1000);
				fail_link(l, why);
			} else {
				snprintf(why, sizeof(why), "handshake not done within %d s",
					 (RBS_LINK_HANDSHAKE_MS + 999) / 1000);
				refuse(ch, REF_TIMEOUT, rbs_conn_peer(l->c), why);
				drop_link(l, why);
			}
			break;
		case RBS_LINK_DEAD:
			snprintf(why, sizeof(why), "the peer has been silent for %d s",
				 (RBS_LINK_DEAD_MS + 999) / 1000);
			fail_link(l, why);
			break;
		case RBS_LINK_SEND_KEEPALIVE:
			send_keepalive(l, now);
			break;
		case RBS_LINK_OK:
			break;
		}
	}
	tick_arm(ch);
}

/* When on_tick() must next look at the links: the earliest of their
 * rbs_link_next() (the end of a handshake's time, of the peer's dead
 * interval, of this side's keepalive interval). UINT64_MAX: no link.
 * Traffic only moves these later, so the timer is armed for the earliest
 * and, when it fires early, armed again; an idle channel wakes once a
 * second, to send its keepalive. */
static uint64_t tick_due(const struct rbs_chan *ch)
{
	uint64_t at = UINT64_MAX, t;

	for (int i = 0; i < MAX_LINKS; i++) {
		const struct link *l = ch->links[i];

		if (l == NULL)
			continue;
		t = rbs_link_next(&l->k);
		if (t < at)
			at = t;
	}
	return at;
}

static void tick_arm(struct rbs_chan *ch)
{
	uint64_t at = tick_due(ch), now = now_ms(ch);

	if (ch->closing)
		return;
	if (at == UINT64_MAX) {
		uv_timer_stop(&ch->tick);
		return;
	}
	uvtimer_by(&ch->tick, on_tick, at > now ? at - now : 1);
}

/* ---- the daemon's side ---------------------------------------------------- */

static Db__RbsHello *profiles_copy(Db__RbsProfile **profiles, size_t n)
{
	Db__RbsHello h = DB__RBS_HELLO__INIT;
	uint8_t *buf;
	size_t len;
	Db__RbsHello *out;

	h.profiles = profiles;
	h.n_profiles = n;
	len = db__rbs_hello__get_packed_size(&h);
	buf = malloc(len ? len : 1);
	if (buf == NULL)
		return NULL;
	db__rbs_hello__pack(&h, buf);
	out = db__rbs_hello__unpack(NULL, len, buf);
	free(buf);
	return out;
}

/* Whether two HELLO templates carry the same profiles. */
static bool same_profiles(const Db__RbsHello *a, const Db__RbsHello *b)
{
	size_t la = db__rbs_hello__get_packed_size(a), lb = db__rbs_hello__get_packed_size(b);
	uint8_t *pa, *pb;
	bool same;

	if (la != lb)
		return false;
	pa = malloc(la ? la : 1);
	pb = malloc(lb ? lb : 1);
	if (pa == NULL || pb == NULL) {
		free(pa);
		free(pb);
		return false;
	}
	db__rbs_hello__pack(a, pa);
	db__rbs_hello__pack(b, pb);
	same = memcmp(pa, pb, la) == 0;
	free(pa);
	free(pb);
	return same;
}

int rbs_chan_set_profiles(struct rbs_chan *ch, Db__RbsProfile **profiles, size_t n)
{
	Db__RbsHello *h = profiles_copy(profiles, n);
	bool changed;

	if (h == NULL)
		return -ENOMEM;
	changed = ch->tmpl == NULL || !same_profiles(ch->tmpl, h);
	if (ch->tmpl)
		db__rbs_hello__free_unpacked(ch->tmpl, NULL);
	ch->tmpl = h;
	/* The peer compares profiles at HELLO, which only opens a
	 * connection: connect again (the sessions resume where they were)
	 * so that both sides see the new ones. */
	if (changed && ch->active) {
		log_info("remote-backup-service %s: the profiles changed: connecting again to "
			 "tell the peer",
			 ch->name);
		drop_link(ch->active, "the profiles changed");
	}
	return 0;
}

static void handle_closed(uv_handle_t *h)
{
	struct rbs_chan *ch = h->data;

	if (h == (uv_handle_t *)ch->listener)
		free(h);
	if (--ch->handles > 0)
		return;
	rbs_tx_free(&ch->tx);
	drop_ae(ch);
	if (ch->tmpl)
		db__rbs_hello__free_unpacked(ch->tmpl, NULL);
	if (ch->roles)
		db__rbs_roles__free_unpacked(ch->roles, NULL);
	free(ch->roles_buf);
	if (ch->ctx)
		SSL_CTX_free(ch->ctx);
	free(ch->obuf);
	free(ch->ebuf);
	free(ch->eptr);
	free(ch);
}

int rbs_chan_open(struct rbs_chan **out, uv_loop_t *loop, const struct rbs_chan_cfg *cfg,
		  const struct rbs_chan_ops *ops, void *arg, char *why, size_t whylen)
{
	struct rbs_chan *ch = calloc(1, sizeof(*ch));
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int rc;

	if (ch == NULL)
		return -ENOMEM;
	ch->loop = loop;
	snprintf(ch->name, sizeof(ch->name), "%s", cfg->name);
	snprintf(ch->policy, sizeof(ch->policy), "%s", cfg->ssl_policy ? cfg->ssl_policy : "");
	if (cfg->ctx == NULL)
		snprintf(ch->identity, sizeof(ch->identity),
			 "none - clear text, the peer is not authenticated");
	else if (cfg->n_pins == 0)
		snprintf(ch->identity, sizeof(ch->identity), "any certificate of the trusted CA");
	else
		snprintf(ch->identity, sizeof(ch->identity),
			 "pinned: SHA-256 %s%s (peer-certificate), signed by the trusted CA",
			 cfg->pins[0], cfg->n_pins > 1 ? " or another pinned one" : "");
	ch->source = cfg->source;
	ch->peer = cfg->peer;
	ch->ops = ops;
	ch->arg = arg;
	ch->ae_tail = &ch->ae;
	ch->refused_log.interval_ms = REFUSED_LOG_MS;
	ch->tmpl = profiles_copy(cfg->profiles, cfg->n_profiles);
	ch->ebuf = calloc(FRAME_ENTRIES, sizeof(*ch->ebuf));
	ch->eptr = calloc(FRAME_ENTRIES, sizeof(*ch->eptr));
	do
		getrandom(&ch->session, sizeof(ch->session), 0);
	while (ch->session == 0);
	if (ch->tmpl == NULL || ch->ebuf == NULL || ch->eptr == NULL ||
	    rbs_tx_init(&ch->tx, RBS_CHAN_WIN_ENTRIES, RBS_CHAN_WIN_BYTES) < 0) {
		if (ch->tmpl)
			db__rbs_hello__free_unpacked(ch->tmpl, NULL);
		free(ch->ebuf);
		free(ch->eptr);
		free(ch);
		return -ENOMEM;
	}
	rbs_rx_init(&ch->rx, ACK_EVERY, ACK_DELAY_MS);
	if (cfg->ctx) {
		SSL_CTX_up_ref(cfg->ctx);
		ch->ctx = cfg->ctx;
	}
	ch->listener = malloc(sizeof(*ch->listener));
	uv_tcp_init(loop, ch->listener);
	uv_timer_init(loop, &ch->tick);
	uv_timer_init(loop, &ch->dial_timer);
	uv_timer_init(loop, &ch->ack_timer);
	uv_check_init(loop, &ch->ack_check);
	ch->listener->data = ch->tick.data = ch->dial_timer.data = ch->ack_timer.data = ch;
	ch->ack_check.data = ch;
	ch->handles = 5;
	rc = uv_tcp_bind(ch->listener, (struct sockaddr *)&cfg->source, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)ch->listener, 8, on_connection);
	if (rc < 0) {
		addr_only(&cfg->source, a, sizeof(a));
		snprintf(why, whylen, "listen on %s: %s", a, uv_strerror(rc));
		ch->closing = true;
		uv_close((uv_handle_t *)ch->listener, handle_closed);
		uv_close((uv_handle_t *)&ch->tick, handle_closed);
		uv_close((uv_handle_t *)&ch->dial_timer, handle_closed);
		uv_close((uv_handle_t *)&ch->ack_timer, handle_closed);
		uv_close((uv_handle_t *)&ch->ack_check, handle_closed);
		return rc;
	}
	addr_only(&cfg->source, a, sizeof(a));
	addr_only(&cfg->peer, b, sizeof(b));
	/* The side whose connection is not the one kept dials a little later:
	 * usually the other side's connection arrives first, and only one is
	 * ever made (rbs_link.h). */
	{
		struct sockaddr_storage s = cfg->source, p = cfg->peer;
		bool lower = rbs_sess_tiebreak(&s, &p) == RBS_SESS_KEEP_INBOUND;

		rbs_link_dial_start(&ch->dial, now_ms(ch), lower);
		arm_dial(ch);
	}
	set_state(ch, ST_CONNECTING, "dialing the peer");
	log_info("remote-backup-service %s: listening on %s, peer %s, %s", ch->name, a, b,
		 ch->ctx ? "TLS" : "clear text (no ssl policy bound)");
	*out = ch;
	return 0;
}

void rbs_chan_close(struct rbs_chan *ch)
{
	if (ch == NULL || ch->closing)
		return;
	ch->closing = true;
	for (int i = 0; i < MAX_LINKS; i++)
		if (ch->links[i]) {
			struct rbs_conn *c = ch->links[i]->c;

			link_free(ch->links[i]);
			rbs_conn_close(c);
		}
	ch->active = NULL;
	uv_close((uv_handle_t *)ch->listener, handle_closed);
	uv_close((uv_handle_t *)&ch->tick, handle_closed);
	uv_close((uv_handle_t *)&ch->dial_timer, handle_closed);
	uv_close((uv_handle_t *)&ch->ack_timer, handle_closed);
	uv_close((uv_handle_t *)&ch->ack_check, handle_closed);
}

int rbs_chan_set_roles(struct rbs_chan *ch, const Db__RbsRoles *r)
{
	size_t len = db__rbs_roles__get_packed_size(r);
	uint8_t *buf = malloc(len ? len : 1);
	Db__RbsRoles *copy;

	if (buf == NULL)
		return -ENOMEM;
	db__rbs_roles__pack(r, buf);
	if (ch->roles && len == ch->roles_len && memcmp(buf, ch->roles_buf, len) == 0) {
		free(buf);
		return 0;
	}
	copy = db__rbs_roles__unpack(NULL, len, buf);
	if (copy == NULL) {
		free(buf);
		return -ENOMEM;
	}
	if (ch->roles)
		db__rbs_roles__free_unpacked(ch->roles, NULL);
	free(ch->roles_buf);
	ch->roles = copy;
	ch->roles_buf = buf;
	ch->roles_len = len;
	/* a change is told at once, not at the next idle second */
	if (ch->active && ch->active->k.established)
		send_keepalive(ch->active, now_ms(ch));
	return 1;
}

int rbs_chan_push(struct rbs_chan *ch, const Db__RbsEntry *e, uint64_t *seq)
{
	struct rbs_win_item it = {e->op,	   e->type,	   e->key.data, e->key.len,
				  e->payload.data, e->payload.len, e->version};
	int rc;

	if (seq)
		*seq = 0;
	if (ch->tx_await_begin)
		return 0;
	rc = rbs_tx_push(&ch->tx, &it, seq);
	if (rc == 0)
		rbs_lag_pushed(&ch->lag, rbs_tx_last(&ch->tx), now_ms(ch));
	if (rc == 0 && ch->batch_open)
		ch->batch_pushed++;
	return rc;
}

static void add_marker(struct rbs_chan *ch, bool end, const Db__RbsServiceType *types, size_t n,
		       uint64_t count, uint64_t digest, bool partial)
{
	struct marker *m;

	if (ch->nmarkers == MAX_MARKERS)
		memmove(ch->markers, ch->markers + 1, --ch->nmarkers * sizeof(ch->markers[0]));
	m = &ch->markers[ch->nmarkers++];
	m->end = end;
	m->pos = rbs_tx_last(&ch->tx);
	m->order = ch->order++;
	m->n = n > RBS_SVC_COUNT ? RBS_SVC_COUNT : n;
	memcpy(m->types, types, m->n * sizeof(types[0]));
	m->count = count;
	m->digest = digest;
	m->partial = partial;
}

void rbs_chan_batch_begin(struct rbs_chan *ch, const Db__RbsBatchBegin *b)
{
	char *p = ch->batch_types;
	size_t left = sizeof(ch->batch_types);

	ch->tx_await_begin = false;
	ch->batch_open = true;
	ch->batch_expected = b->count;
	ch->batch_pushed = 0;
	ch->batch_types[0] = 0;
	for (size_t i = 0; i < b->n_types; i++) {
		int n = snprintf(p, left, "%s%s", i ? " " : "", rbs_svc_str(b->types[i]));

		if (n < 0 || (size_t)n >= left)
			break;
		p += n;
		left -= (size_t)n;
	}
	add_marker(ch, false, b->types, b->n_types, b->count, 0, false);
}

void rbs_chan_batch_end(struct rbs_chan *ch, const Db__RbsBatchEnd *b)
{
	if (ch->tx_await_begin)
		return; /* the end of a batch the window dropped: a new one comes */
	ch->batch_open = false;
	ch->batch_last_count = b->count;
	ch->batch_end_seq = rbs_tx_last(&ch->tx);
	if (ch->batch_end_seq == rbs_tx_acked(&ch->tx)) {
		ch->batch_end_seq = 0;
		ch->batch_done = time(NULL);
	}
	add_marker(ch, true, b->types, b->n_types, b->count, b->digest, b->partial);
}

/*
 * Ordering: the peer's feeder must see an anti-entropy frame after every
 * entry and batch marker this feeder sent before it (a summary describes
 * the table as those entries left it). Entries wait in the window until
 * pump() frames them, markers wait in ch->markers with their place among
 * the entries; an anti-entropy frame written to the connection at once
 * could overtake entries still unsent (the socket was full) or a marker
 * before them. So it waits in ch->ae with its place too (after the last
 * entry pushed, as a marker), and pump() sends markers and these in the
 * feeder's order as soon as the entries before them are framed.
 */
int rbs_chan_send_ae(struct rbs_chan *ch, const Db__RbsFrame *f)
{
	struct link *l = ch->active;
	struct ae *a;
	int n;

	if (f->body_case != DB__RBS_FRAME__BODY_COMPARE &&
	    f->body_case != DB__RBS_FRAME__BODY_SUMMARY)
		return -EINVAL;
	n = rbs_frame_size(f);
	if (n < 0)
		return n;
	if (l == NULL || !l->k.established) {
		ch->ae_dropped++;
		return -ENOTCONN;
	}
	if (rbs_frame_body_version(f) > l->version) {
		/* it would refuse the body and close the connection */
		ch->ae_old++;
		if (!l->ae_old_logged)
			log_info(
			    "remote-backup-service %s: the peer speaks RBS protocol version %u, "
			    "anti-entropy needs %u: compare and summary frames are not sent to it",
			    ch->name, l->version, rbs_frame_body_version(f));
		l->ae_old_logged = true;
		return -EOPNOTSUPP;
	}
	if (ch->nae >= MAX_AE || ch->ae_bytes + (size_t)n > AE_BYTES) {
		ch->ae_dropped++;
		return -ENOBUFS;
	}
	a = malloc(sizeof(*a) + (size_t)n);
	if (a == NULL)
		return -ENOMEM;
	a->next = NULL;
	a->pos = rbs_tx_last(&ch->tx);
	a->order = ch->order++;
	a->len = (size_t)n;
	rbs_frame_put(f, a->len, a->data);
	*ch->ae_tail = a;
	ch->ae_tail = &a->next;
	ch->nae++;
	ch->ae_bytes += a->len;
	pump(ch);
	return 0;
}

void rbs_chan_flush(struct rbs_chan *ch)
{
	pump(ch);
}

void rbs_chan_drop(struct rbs_chan *ch, const char *why)
{
	if (ch->active)
		fail_link(ch->active, why);
}

void rbs_chan_request_peer_batch(struct rbs_chan *ch)
{
	ch->want_peer_batch = true;
	pump(ch);
}

void rbs_chan_tx_state(const struct rbs_chan *ch, uint64_t *acked, uint64_t *resyncs,
		       uint64_t *discard_from, uint64_t *discard_to)
{
	*acked = rbs_tx_acked(&ch->tx);
	*resyncs = ch->resyncs;
	*discard_from = ch->discard_from;
	*discard_to = ch->discard_to;
}

void rbs_chan_room(const struct rbs_chan *ch, uint64_t *entries, uint64_t *bytes)
{
	uint64_t held = rbs_tx_unacked(&ch->tx);
	size_t b = rbs_tx_bytes(&ch->tx);

	*entries = held >= RBS_CHAN_WIN_ENTRIES ? 0 : RBS_CHAN_WIN_ENTRIES - held;
	*bytes = b >= RBS_CHAN_WIN_BYTES ? 0 : RBS_CHAN_WIN_BYTES - b;
}

void rbs_chan_hold(struct rbs_chan *ch, bool hold)
{
	if (ch->held == hold)
		return;
	ch->held = hold;
	if (hold)
		ch->holds++;
	if (ch->active)
		rbs_conn_pause(ch->active->c, hold);
	if (!hold) {
		/* silence while not reading proved nothing: the dead interval
		 * starts again now */
		if (ch->active)
			rbs_link_held(&ch->active->k, now_ms(ch));
		arm_ack(ch);
	}
}

void rbs_chan_state(const struct rbs_chan *ch, bool *up, const char **reason, const char **mismatch)
{
	*up = ch->state == ST_UP;
	*reason = *up ? ch->peer_text : ch->reason;
	*mismatch = ch->mismatch;
}

bool rbs_chan_up(const struct rbs_chan *ch)
{
	return ch->state == ST_UP;
}

bool rbs_chan_rx_full_batch(const struct rbs_chan *ch)
{
	return ch->rx_full_batch;
}

const char *rbs_chan_name(const struct rbs_chan *ch)
{
	return ch->name;
}

static void fmt_duration(time_t secs, char *buf, size_t len)
{
	snprintf(buf, len, "%ldd %02ld:%02ld:%02ld", (long)(secs / 86400), (long)(secs / 3600 % 24),
		 (long)(secs / 60 % 60), (long)(secs % 60));
}

static uint64_t lag_now(const struct rbs_chan *ch)
{
	return rbs_lag_ms(&ch->lag, rbs_tx_acked(&ch->tx), rbs_tx_last(&ch->tx), now_ms(ch));
}

/* What `verbose` adds: the connection under the channel, its last fall,
 * and how far the peer is behind. */
static void show_verbose(const struct rbs_chan *ch, FILE *f)
{
	struct rbs_tcp_info ti;
	char t[40];

	fprintf(f, "  Sessions       : here %016llx, peer %016llx\n",
		(unsigned long long)ch->session, (unsigned long long)ch->peer_session);
	if (ch->state == ST_UP)
		fprintf(f, "  Protocol       : version %u, the peer's %u\n", RBS_PROTO_VERSION,
			ch->peer_version);
	else
		fprintf(f, "  Protocol       : version %u\n", RBS_PROTO_VERSION);
	if (ch->active && rbs_conn_tcp_info(ch->active->c, &ti) == 0)
		fprintf(f,
			"  TCP            : %s, rtt %.3f ms (variance %.3f ms), cwnd %u, "
			"retransmitted %u segments\n"
			"  Send queue     : %llu bytes framed in rbsd, %llu bytes in the kernel\n",
			ti.state, ti.rtt_us / 1000.0, ti.rttvar_us / 1000.0, ti.cwnd, ti.retransmits,
			(unsigned long long)ti.app_queued, (unsigned long long)ti.kernel_queued);
	else
		fprintf(f, "  TCP            : no connection\n");
	fprintf(f, "  Replication lag: %llu ms (the oldest entry not acknowledged by the peer)\n",
		(unsigned long long)lag_now(ch));
	fprintf(f, "  Acknowledged   : up to seq %llu of %llu sent, %llu pushed; received up to "
		   "seq %llu\n",
		(unsigned long long)rbs_tx_acked(&ch->tx), (unsigned long long)rbs_tx_sent(&ch->tx),
		(unsigned long long)rbs_tx_last(&ch->tx), (unsigned long long)rbs_rx_last(&ch->rx));
	fprintf(f, "  Window limits  : %u entries, %u MiB\n", RBS_CHAN_WIN_ENTRIES,
		RBS_CHAN_WIN_BYTES >> 20);
	if (ch->last_down_at) {
		show_time(ch->last_down_at, t, sizeof(t));
		fprintf(f, "  Last down      : %s, %s\n", t, ch->last_down);
	} else {
		fprintf(f, "  Last down      : never\n");
	}
	fprintf(f, "  Peer batches   : asked for %llu\n", (unsigned long long)ch->peer_batches_asked);
	fprintf(f,
		"  Anti-entropy   : sent %llu, received %llu; not sent: %llu for the peer's "
		"version, %llu without channel or room\n",
		(unsigned long long)ch->ae_tx, (unsigned long long)ch->ae_rx,
		(unsigned long long)ch->ae_old, (unsigned long long)ch->ae_dropped);
}

void rbs_chan_show(const struct rbs_chan *ch, bool verbose, FILE *f)
{
	static const char *names[] = {"Init", "Connecting", "Connected", "Down"};
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], t[40];
	uint64_t rx = ch->bytes_rx, tx = ch->bytes_tx;

	addr_only(&ch->peer, a, sizeof(a));
	addr_only(&ch->source, b, sizeof(b));
	if (ch->active) {
		uint64_t r2, t2;

		rbs_conn_bytes(ch->active->c, &r2, &t2);
		rx += r2;
		tx += t2;
	}
	fprintf(f, "  State          : %s", names[ch->state]);
	if (ch->state == ST_UP) {
		fmt_duration(time(NULL) - ch->up_since, t, sizeof(t));
		fprintf(f, " (up %s, with %s)\n", t, ch->peer_text);
	} else {
		fprintf(f, "%s%s%s\n", ch->reason[0] ? " (" : "", ch->reason,
			ch->reason[0] ? ")" : "");
	}
	fprintf(f, "  Peer           : %s\n  Source         : %s\n  Port           : %u\n", a, b,
		ntohs(((const struct sockaddr_in *)&ch->peer)->sin_port));
	if (ch->ctx == NULL)
		fprintf(f, "  TLS            : OFF - no ssl policy bound: the channel is clear "
			   "text and unauthenticated; data may be leaked or tampered with\n");
	else if (ch->state == ST_UP)
		fprintf(f, "  TLS            : on, ssl policy %s, %s, %s\n  Peer cert      : %s\n",
			ch->policy, ch->tls_proto, ch->tls_cipher, ch->tls_subject);
	else
		fprintf(f, "  TLS            : on, ssl policy %s\n", ch->policy);
	fprintf(f, "  Peer identity  : %s\n", ch->identity);
	fprintf(f, "  Entries        : sent %llu, received %llu, resent after resume %llu\n",
		(unsigned long long)ch->entries_tx, (unsigned long long)ch->entries_rx,
		(unsigned long long)ch->resent);
	fprintf(f, "  Bytes          : sent %llu, received %llu\n", (unsigned long long)tx,
		(unsigned long long)rx);
	fprintf(f, "  Window         : %llu unacknowledged (%zu bytes), %llu not sent yet\n",
		(unsigned long long)rbs_tx_unacked(&ch->tx), rbs_tx_bytes(&ch->tx),
		(unsigned long long)rbs_tx_unsent(&ch->tx));
	if (ch->batch_open)
		fprintf(f, "  Batch backup   : in progress (%s), %llu of %llu entries queued\n",
			ch->batch_types, (unsigned long long)ch->batch_pushed,
			(unsigned long long)ch->batch_expected);
	else if (ch->batch_end_seq)
		fprintf(f,
			"  Batch backup   : %llu entries (%s) sent, waiting for the peer's ACK\n",
			(unsigned long long)ch->batch_last_count, ch->batch_types);
	else if (ch->owe_batch)
		fprintf(f, "  Batch backup   : owed to the peer, starts when the channel is up\n");
	else if (ch->batch_done) {
		show_time(ch->batch_done, t, sizeof(t));
		fprintf(f, "  Batch backup   : completed %s, %llu entries (%s)\n", t,
			(unsigned long long)ch->batch_last_count, ch->batch_types);
	} else
		fprintf(f, "  Batch backup   : none yet\n");
	if (ch->rbatch_done) {
		show_time(ch->rbatch_done, t, sizeof(t));
		fprintf(f, "  Batch received : completed %s, %llu entries\n", t,
			(unsigned long long)ch->rbatch_count);
	}
	if (ch->holds)
		fprintf(
		    f,
		    "  Feeder waits   : %llu (reading held while the feeder's queue was full)%s\n",
		    (unsigned long long)ch->holds, ch->held ? ", holding now" : "");
	fprintf(f, "  Reconnects     : %llu\n",
		(unsigned long long)(ch->ups > 1 ? ch->ups - 1 : 0));
	fprintf(f, "  Refused peers  : %llu%s%s\n", (unsigned long long)ch->refused,
		ch->last_refused[0] ? ", last: " : "", ch->last_refused);
	if (ch->refused)
		fprintf(f,
			"  Refused by why : not the peer %llu, handshake failed %llu, handshake "
			"timed out %llu, channel in use %llu, no slot %llu; log lines "
			"suppressed %llu\n",
			(unsigned long long)ch->ref_stranger, (unsigned long long)ch->ref_handshake,
			(unsigned long long)ch->ref_timeout, (unsigned long long)ch->ref_in_use,
			(unsigned long long)ch->ref_evicted,
			(unsigned long long)ch->refused_log.total_suppressed);
	if (ch->state == ST_UP || ch->mismatch[0])
		fprintf(f, "  Peer profiles  : %s\n",
			ch->mismatch[0] ? ch->mismatch
					: "consistent (backup-ids and odd/even "
					  "bindings match)");
	if (verbose)
		show_verbose(ch, f);
}

void rbs_chan_json(const struct rbs_chan *ch, struct json_object *o)
{
	static const char *names[] = {"Init", "Connecting", "Connected", "Down"};
	char a[INET6_ADDRSTRLEN];
	uint64_t rx = ch->bytes_rx, tx = ch->bytes_tx;
	struct json_object *x;

	if (ch->active) {
		uint64_t r2, t2;

		rbs_conn_bytes(ch->active->c, &r2, &t2);
		rx += r2;
		tx += t2;
	}
	jout_str(o, "state", names[ch->state]);
	jout_bool(o, "up", ch->state == ST_UP);
	jout_str(o, "down_reason", ch->state != ST_UP && ch->reason[0] ? ch->reason : NULL);
	jout_i64(o, "up_since", ch->state == ST_UP ? (int64_t)ch->up_since : 0);
	jout_str(o, "peer_name", ch->state == ST_UP ? ch->peer_text : NULL);
	jout_u64(o, "protocol_version", RBS_PROTO_VERSION);
	if (ch->state == ST_UP)
		jout_u64(o, "peer_protocol_version", ch->peer_version);
	else
		jout_str(o, "peer_protocol_version", NULL); /* null: no peer */
	addr_only(&ch->peer, a, sizeof(a));
	jout_str(o, "peer", a);
	addr_only(&ch->source, a, sizeof(a));
	jout_str(o, "source", a);
	jout_u64(o, "port", ntohs(((const struct sockaddr_in *)&ch->peer)->sin_port));
	x = jout_obj(o, "tls");
	jout_bool(x, "enabled", ch->ctx != NULL);
	jout_str(x, "ssl_policy", ch->ctx ? ch->policy : NULL);
	jout_str(x, "protocol", ch->ctx && ch->state == ST_UP ? ch->tls_proto : NULL);
	jout_str(x, "cipher", ch->ctx && ch->state == ST_UP ? ch->tls_cipher : NULL);
	jout_str(x, "peer_certificate", ch->ctx && ch->state == ST_UP ? ch->tls_subject : NULL);
	jout_u64(o, "entries_sent", ch->entries_tx);
	jout_u64(o, "entries_received", ch->entries_rx);
	jout_u64(o, "entries_resent", ch->resent);
	jout_u64(o, "bytes_sent", tx);
	jout_u64(o, "bytes_received", rx);
	x = jout_obj(o, "window");
	jout_u64(x, "unacknowledged", rbs_tx_unacked(&ch->tx));
	jout_u64(x, "unacknowledged_bytes", rbs_tx_bytes(&ch->tx));
	jout_u64(x, "unsent", rbs_tx_unsent(&ch->tx));
	jout_u64(x, "acknowledged_seq", rbs_tx_acked(&ch->tx));
	jout_u64(x, "sent_seq", rbs_tx_sent(&ch->tx));
	jout_u64(x, "pushed_seq", rbs_tx_last(&ch->tx));
	jout_u64(x, "received_seq", rbs_rx_last(&ch->rx));
	jout_u64(o, "replication_lag_ms", lag_now(ch));
	x = jout_obj(o, "tcp");
	{
		struct rbs_tcp_info ti;
		bool have = ch->active && rbs_conn_tcp_info(ch->active->c, &ti) == 0;

		jout_str(x, "state", have ? ti.state : NULL);
		jout_u64(x, "rtt_us", have ? ti.rtt_us : 0);
		jout_u64(x, "rttvar_us", have ? ti.rttvar_us : 0);
		jout_u64(x, "cwnd", have ? ti.cwnd : 0);
		jout_u64(x, "retransmits", have ? ti.retransmits : 0);
		jout_u64(x, "app_queued_bytes", have ? ti.app_queued : 0);
		jout_u64(x, "kernel_queued_bytes", have ? ti.kernel_queued : 0);
	}
	x = jout_obj(o, "last_down");
	jout_str(x, "reason", ch->last_down_at ? ch->last_down : NULL);
	jout_i64(x, "at", (int64_t)ch->last_down_at);
	jout_u64(o, "peer_batches_asked", ch->peer_batches_asked);
	jout_u64(o, "antientropy_sent", ch->ae_tx);
	jout_u64(o, "antientropy_received", ch->ae_rx);
	jout_u64(o, "antientropy_unsupported", ch->ae_old);
	jout_u64(o, "antientropy_dropped", ch->ae_dropped);
	x = jout_obj(o, "batch_sent");
	jout_str(x, "state", ch->batch_open	    ? "in-progress"
			     : ch->batch_end_seq ? "waiting-for-ack"
			     : ch->owe_batch	    ? "owed"
			     : ch->batch_done	    ? "completed"
						    : "none");
	jout_str(x, "service_types", ch->batch_types[0] ? ch->batch_types : NULL);
	jout_u64(x, "queued", ch->batch_open ? ch->batch_pushed : 0);
	jout_u64(x, "expected", ch->batch_open ? ch->batch_expected : 0);
	jout_u64(x, "last_count", ch->batch_last_count);
	jout_i64(x, "completed_at", (int64_t)ch->batch_done);
	x = jout_obj(o, "batch_received");
	jout_u64(x, "count", ch->rbatch_count);
	jout_i64(x, "completed_at", (int64_t)ch->rbatch_done);
	jout_u64(o, "feeder_waits", ch->holds);
	jout_bool(o, "feeder_holding", ch->held);
	jout_u64(o, "reconnects", ch->ups > 1 ? ch->ups - 1 : 0);
	x = jout_obj(o, "identity");
	jout_str(x, "peer", ch->identity);
	jout_bool(x, "authenticated", ch->ctx != NULL);
	jout_u64(o, "refused_peers", ch->refused);
	jout_str(o, "last_refused", ch->last_refused[0] ? ch->last_refused : NULL);
	x = jout_obj(o, "refused_by_reason");
	jout_u64(x, "not_the_peer", ch->ref_stranger);
	jout_u64(x, "handshake_failed", ch->ref_handshake);
	jout_u64(x, "handshake_timed_out", ch->ref_timeout);
	jout_u64(x, "channel_in_use", ch->ref_in_use);
	jout_u64(x, "no_slot", ch->ref_evicted);
	jout_u64(o, "refused_log_lines_suppressed", ch->refused_log.total_suppressed);
	jout_str(o, "profile_mismatch", ch->mismatch[0] ? ch->mismatch : NULL);
}
