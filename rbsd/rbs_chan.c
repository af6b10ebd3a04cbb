/*
 * An RBS channel (rbs_chan.h; rbs_chan_int.h says how its files share the
 * work). This file: open and close, the profiles and roles the daemon
 * gives it, its state; the links: dial and accept, which connection is
 * kept when both sides dial, HELLO sent, failures and refusals,
 * keepalives and dead peers (rbs_link.h's decisions carried out).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/log.h"
#include "common/sockaddr.h"
#include "common/uvtimer.h"
#include "rbsd/rbs_chan_int.h"
#include "rbsd/rbs_sess.h"

void rbs_chan_addr_only(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET
			    ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
			    : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
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
	/* what the feeder applied, when it says: the peer resends the rest */
	l->hello_rx = rbs_rx_ackable(&ch->rx);
	h.rx_seq = l->hello_rx;
	h.tx_acked = rbs_tx_acked(&ch->tx);
	h.tx_sent = rbs_tx_sent(&ch->tx);
	h.service = ch->name;
	f.body_case = DB__RBS_FRAME__BODY_HELLO;
	f.hello = &h;
	rbs_chan_send_frame(l, &f);
}

/* ---- state ------------------------------------------------------------------ */

void rbs_chan_set_state(struct rbs_chan *ch, enum chan_state st, const char *reason)
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
	rbs_chan_drop_ae(ch);
	if (ch->batch_open || (ch->batch_end_seq && rbs_tx_acked(&ch->tx) < ch->batch_end_seq))
		ch->owe_batch = true;
	ch->batch_open = false;
	ch->batch_end_seq = 0;
	uv_timer_stop(&ch->ack_timer);
	rbs_chan_set_state(ch, ST_DOWN, reason);
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

void rbs_chan_fail_link(struct link *l, const char *reason)
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
	rbs_chan_tick_arm(ch);
}

static void on_drained(struct rbs_conn *c, void *arg)
{
	struct link *l = arg;

	(void)c;
	if (l->ch->active == l)
		rbs_chan_pump(l->ch);
}

static const struct rbs_conn_cbs conn_cbs = {on_up, rbs_chan_on_data, on_down, on_drained};

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
	rbs_chan_tick_arm(ch);
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
		rbs_chan_set_state(ch, ST_CONNECTING, "dialing the peer");
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
		rbs_chan_addr_only(&from, a, sizeof(a));
		refuse(ch, REF_STRANGER, a, "not the configured peer");
		uv_close((uv_handle_t *)tcp, (uv_close_cb)free);
		return;
	}
	rbs_chan_addr_only(&from, a, sizeof(a));
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
void rbs_chan_send_keepalive(struct link *l, uint64_t now)
{
	Db__RbsFrame f = DB__RBS_FRAME__INIT;
	Db__RbsKeepalive k = DB__RBS_KEEPALIVE__INIT;

	k.stamp = now;
	k.roles = l->ch->roles;
	f.body_case = DB__RBS_FRAME__BODY_KEEPALIVE;
	f.keepalive = &k;
	rbs_chan_send_frame(l, &f);
}

/* When due (rbs_chan_tick_arm()): keepalives, dead peers, stuck handshakes. */
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
				rbs_chan_fail_link(l, why);
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
			rbs_chan_fail_link(l, why);
			break;
		case RBS_LINK_SEND_KEEPALIVE:
			rbs_chan_send_keepalive(l, now);
			break;
		case RBS_LINK_OK:
			break;
		}
	}
	rbs_chan_tick_arm(ch);
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

void rbs_chan_tick_arm(struct rbs_chan *ch)
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
	rbs_applied_free(&ch->applied);
	rbs_chan_drop_ae(ch);
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
	rbs_applied_init(&ch->applied);
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
		rbs_chan_addr_only(&cfg->source, a, sizeof(a));
		snprintf(why, whylen, "listen on %s: %s", a, uv_strerror(rc));
		ch->closing = true;
		uv_close((uv_handle_t *)ch->listener, handle_closed);
		uv_close((uv_handle_t *)&ch->tick, handle_closed);
		uv_close((uv_handle_t *)&ch->dial_timer, handle_closed);
		uv_close((uv_handle_t *)&ch->ack_timer, handle_closed);
		uv_close((uv_handle_t *)&ch->ack_check, handle_closed);
		return rc;
	}
	rbs_chan_addr_only(&cfg->source, a, sizeof(a));
	rbs_chan_addr_only(&cfg->peer, b, sizeof(b));
	/* The side whose connection is not the one kept dials a little later:
	 * usually the other side's connection arrives first, and only one is
	 * ever made (rbs_link.h). */
	{
		struct sockaddr_storage s = cfg->source, p = cfg->peer;
		bool lower = rbs_sess_tiebreak(&s, &p) == RBS_SESS_KEEP_INBOUND;

		rbs_link_dial_start(&ch->dial, now_ms(ch), lower);
		arm_dial(ch);
	}
	rbs_chan_set_state(ch, ST_CONNECTING, "dialing the peer");
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
		rbs_chan_send_keepalive(ch->active, now_ms(ch));
	return 1;
}

void rbs_chan_drop(struct rbs_chan *ch, const char *why)
{
	if (ch->active)
		rbs_chan_fail_link(ch->active, why);
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
