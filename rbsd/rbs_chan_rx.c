/*
 * An RBS channel's frames from the peer (rbs_chan_int.h says how its files
 * share the work): HELLO (the session plan: resume or full batch, each
 * way; the profiles compared), entries checked in sequence, ACKs, batch
 * markers and anti-entropy frames, delivered to the feeder in order; the
 * ACKs of what was received; reading held while the feeder is full.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "common/log.h"
#include "rbsd/rbs_chan_int.h"
#include "rbsd/rbs_sess.h"

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
	struct rbs_sess_state me = {ch->session, ch->peer_session, l->hello_rx,
				    rbs_tx_acked(&ch->tx), rbs_tx_sent(&ch->tx)};
	struct rbs_sess_state peer = {h->session, h->peer_session, h->rx_seq, h->tx_acked,
				      h->tx_sent};
	struct rbs_sess_plan plan;
	char r[192];

	if (l->hello_rcvd)
		return rbs_chan_fail_link(l, "a second HELLO");
	if (!rbs_frame_version_ok(h->version)) {
		snprintf(r, sizeof(r),
			 "the peer speaks RBS protocol version %u, this speaks %u (and talks to "
			 "%u and later)",
			 h->version, RBS_PROTO_VERSION, RBS_PROTO_MIN);
		return rbs_chan_fail_link(l, r);
	}
	if (rbs_sess_decide(&me, &peer, &plan) < 0)
		return rbs_chan_fail_link(
		    l, "the peer's session is this one (a connection to itself?)");
	l->hello_rcvd = true;
	/* What the link may carry: frames of a later version than the
	 * peer's are not sent on it (rbs_frame_body_version()). */
	l->version = rbs_frame_peer_version(h);
	ch->peer_version = l->version;
	ch->peer_session = h->session;
	if (plan.tx.resume) {
		if (rbs_tx_resume(&ch->tx, plan.tx.seq) < 0)
			return rbs_chan_fail_link(l, "cannot resume the window");
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
		rbs_chan_drop_ae(ch); /* none: they go with the link; their places went too */
		ch->batch_open = false;
		ch->owe_batch = true;
		ch->tx_await_begin = true;
		log_info("remote-backup-service %s: full batch to the peer: %s", ch->name,
			 rbs_sess_why_str(plan.tx.why));
	}
	ch->rx_full_batch = !plan.rx.resume;
	if (!plan.rx.resume) {
		/* the peer sends a full batch without being asked */
		ch->want_peer_batch = false;
		ch->peer_batch_awaited = true;
	} else if (ch->peer_batch_awaited) {
		/* a batch asked for (or owed) on a connection that went
		 * before its end came: the peer may never have read the
		 * request, or sent the end into the lost connection */
		ch->want_peer_batch = true;
	}
	if (plan.rx.resume) {
		rbs_rx_reset(&ch->rx, plan.rx.seq);
		rbs_applied_rewind(&ch->applied, plan.rx.seq - 1);
	} else {
		rbs_rx_resync(&ch->rx, plan.rx.seq);
		rbs_applied_rebase(&ch->applied, plan.rx.seq - 1);
		ch->rx_epoch++; /* what waits for the feeder is of the old numbering */
	}
	rbs_rx_limit(&ch->rx, rbs_applied_ack(&ch->applied, UINT64_MAX));
	/* A resync emptied the window: the feeder may send again, and nothing
	 * else (no ACK is coming for what was dropped) would tell it. */
	ch->ops->room(ch->arg, ch);
	compare_profiles(ch, h);
	rbs_link_established(&l->k);
	ch->active = l;
	rbs_chan_tick_arm(ch); /* from the handshake's limit to the keepalive's */
	if (ch->roles)
		rbs_chan_send_keepalive(l, now_ms(ch));
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
	rbs_chan_set_state(ch, ST_UP, "");
	if (ch->owe_batch) {
		Db__RbsServiceType all[RBS_SVC_COUNT];
		int n = rbs_svc_parse("all", all);

		ch->owe_batch = false;
		ch->ops->want_batch(ch->arg, ch, all, (size_t)n);
	}
	rbs_chan_pump(ch);
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
	rbs_chan_send_frame(ch->active, &f);
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

/* ---- what the feeder applied (rbs_applied.h) ------------------------------ */

/* ACKs go as far as the feeder applied, and at once when that moved. */
static void applied_limit(struct rbs_chan *ch)
{
	rbs_rx_limit(&ch->rx, rbs_applied_ack(&ch->applied, UINT64_MAX));
	arm_ack(ch);
}

void rbs_chan_feeder_attach(struct rbs_chan *ch, uint64_t attach, bool applied)
{
	uint64_t received = rbs_rx_last(&ch->rx);

	rbs_applied_attach(&ch->applied, attach, applied, received);
	applied_limit(ch);
	/* What the feeder before was handed and did not apply is gone with
	 * it, and an ACK is cumulative: nothing after it could ever be
	 * acknowledged. A new connection resumes after what was applied, and
	 * the peer sends the rest again. */
	if (applied && rbs_applied_ack(&ch->applied, received) < received)
		rbs_chan_drop(ch, "the local feeder attached anew before applying all it was "
				  "handed; the peer sends it again");
}

uint64_t rbs_chan_rx_epoch(const struct rbs_chan *ch)
{
	return ch->rx_epoch;
}

void rbs_chan_feeder_handed(struct rbs_chan *ch, uint64_t epoch, uint64_t seq, uint64_t n)
{
	if (rbs_applied_handed(&ch->applied, epoch == ch->rx_epoch ? seq : 0, n) == 0)
		return;
	/* Not recorded: what the feeder applies from here moves nothing, as
	 * after an entry lost. A new connection resumes after what it applied. */
	rbs_chan_drop(ch, "out of memory for the entries handed to the local feeder");
}

int rbs_chan_feeder_applied(struct rbs_chan *ch, uint64_t attach, uint64_t count)
{
	int rc = rbs_applied_report(&ch->applied, attach, count);

	if (rc == 0)
		applied_limit(ch);
	return rc;
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
		rbs_chan_fail_link(l, "a frame before HELLO");
		return false;
	}
	switch (f->body_case) {
	case DB__RBS_FRAME__BODY_ENTRIES: {
		const Db__RbsEntries *e = f->entries;

		if (rbs_rx_accept(&ch->rx, e->first_seq, e->n_entries, now_ms(ch)) < 0) {
			snprintf(r, sizeof(r), "entries out of order: got seq %llu, expected %llu",
				 (unsigned long long)e->first_seq,
				 (unsigned long long)rbs_rx_expected(&ch->rx));
			rbs_chan_fail_link(l, r);
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
			rbs_chan_fail_link(l, r);
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
		ch->peer_batch_awaited = false;
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

void rbs_chan_on_data(struct rbs_conn *c, const uint8_t *buf, size_t len, void *arg)
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
		rbs_chan_fail_link(l, r);
		return;
	}
	rbs_chan_pump(ch);
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
