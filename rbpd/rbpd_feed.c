/*
 * rbpd and rbsd: one DEALER to rbsd's RUNDIR/rbsd-entries.ipc carries
 * every channel (RbsLocal.service names it; proto/rbs.proto).
 *
 * Out: changes of the users this device is master for wait in a queue
 * and go as rbsd's credit allows. A queue that grows past QUEUE_MAX
 * changes or QUEUE_BYTES_MAX bytes (rbsd gone or the channel stalled for
 * long) is dropped and replaced by a batch of everything: the peer's
 * mark and sweep then removes what a dropped delete would have. Batches
 * (the peer's request, a resync) walk the table with a cursor and send
 * every entry it holds, the peer's copies too: a
 * peer whose rbpd restarted gets back the users it is master for, not
 * only those it is backup for. Then what the live queue holds, so that
 * the closing digest, over the whole table, is that of everything sent:
 * equal digests on both sides mean equal tables.
 *
 * In: what the peer sends is checked first: users of a backup-id no
 * profile here has are dropped, ARP and ND users that can never be right
 * (rbp_admit.h) too, and a new user when the table is full; each refusal
 * is counted by reason. The peer's entries go into the table as the
 * peer's (or as this device's, when it is master for the user already:
 * versions decide either way); ARP and ND go on to the kernel
 * (rbpd_kern.c). A batch from the peer is a mark and sweep of its entries
 * of those types.
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <zmq.h>

#include "common/credit.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/uvtimer.h"
#include "rbpd/rbpd.h"

#define PER_MSG 512		/* entries in one RbsLocal */
#define MSG_BYTES (256 * 1024)	/* and about this many bytes at most */
#define QUEUE_MAX (256 * 1024)	/* live changes held for rbsd before a batch replaces them */
#define QUEUE_BYTES_MAX (64u << 20) /* and their bytes (256 Ki of 64 KiB: 16 GiB) */
#define RBSD_HWM 64
/* A queue that held this many changes has left free memory behind:
 * give it back to the system once it is empty (malloc_trim), so that a
 * bulk load does not cost its peak for ever. */
#define TRIM_AFTER 16384

/* Retrying a message rbsd's queue refused: soon at first, then less and
 * less often while rbsd stays away (not running, or restarting): the wait
 * is d->retry_ms. */
#define RETRY_MIN_MS 2
#define RETRY_MAX_MS 200

static void on_retry(uv_timer_t *t);

static struct chan *chan_by_name(struct rbpd *d, const char *name)
{
	for (struct chan *ch = d->chans; ch; ch = ch->next)
		if (strcmp(ch->name, name) == 0)
			return ch;
	return NULL;
}

/* Sends m for ch. When rbsd's queue is full (or rbsd is not there) the
 * message is kept for later if keep (then send nothing more until it
 * went), else dropped. Returns false when it was not sent. */
static bool send_local(struct chan *ch, Db__RbsLocal *m, bool keep)
{
	struct rbpd *d = ch->d;
	size_t len;
	uint8_t *buf;
	int rc;

	m->service = ch->name;
	len = db__rbs_local__get_packed_size(m);
	buf = malloc(len ? len : 1);
	if (buf == NULL)
		fatal("malloc");
	db__rbs_local__pack(m, buf);
	rc = bus_send(d->rbsd, NULL, 0, buf, len);
	if (rc == -EAGAIN && !keep) {
		free(buf);
		return false;
	}
	if (rc == -EAGAIN) {
		ch->stash = buf;
		ch->stash_len = len;
		if (!uv_is_active((uv_handle_t *)&d->pump_retry))
			uv_timer_start(&d->pump_retry, on_retry, d->retry_ms, 0);
		return false;
	}
	free(buf);
	return true;
}

bool rbpd_feed_send(struct chan *ch, Db__RbsLocal *m)
{
	return send_local(ch, m, false);
}

bool rbpd_feed_send_kept(struct chan *ch, Db__RbsLocal *m)
{
	return send_local(ch, m, true);
}

static bool may_send(const struct chan *ch, size_t klen, size_t plen)
{
	return ch->attached && ch->stash == NULL && ch->sent_e + 1 <= ch->credit_e &&
	       ch->sent_b + credit_entry_cost(klen, plen) <= ch->credit_b;
}

struct msg {
	Db__RbsEntry e[PER_MSG];
	Db__RbsEntry *ep[PER_MSG];
	size_t n, bytes;
};

static bool msg_room(const struct chan *ch, const struct msg *m, size_t klen, size_t plen)
{
	return m->n < PER_MSG && (m->n == 0 || m->bytes + klen + plen <= MSG_BYTES) &&
	       may_send(ch, klen, plen);
}

static void msg_add(struct chan *ch, struct msg *m, int op, int type, const uint8_t *key,
		    size_t klen, const uint8_t *payload, size_t plen, uint64_t version)
{
	Db__RbsEntry *e = &m->e[m->n];

	db__rbs_entry__init(e);
	e->op = (Db__RbsOp)op;
	e->type = (Db__RbsServiceType)type;
	e->key.data = (uint8_t *)key;
	e->key.len = klen;
	e->payload.data = (uint8_t *)payload;
	e->payload.len = plen;
	e->version = version;
	m->ep[m->n++] = e;
	m->bytes += klen + plen;
	ch->sent_e++;
	ch->sent_b += credit_entry_cost(klen, plen);
}

static bool msg_send(struct chan *ch, struct msg *m)
{
	Db__RbsLocal l = DB__RBS_LOCAL__INIT;
	Db__RbsEntries body = DB__RBS_ENTRIES__INIT;
	bool sent;

	if (m->n == 0)
		return true;
	body.entries = m->ep;
	body.n_entries = m->n;
	l.body_case = DB__RBS_LOCAL__BODY_ENTRIES;
	l.entries = &body;
	sent = send_local(ch, &l, true);
	m->n = m->bytes = 0;
	return sent;
}

static bool type_in_batch(const struct chan *ch, int type)
{
	for (size_t i = 0; i < ch->n_batch_types; i++)
		if ((int)ch->batch_types[i] == type)
			return true;
	return false;
}

/* Entries from the batch cursor; false when credit or rbsd ran out. */
static bool pump_batch(struct chan *ch)
{
	static struct msg m;
	struct ut_rec r;

	for (;;) {
		/* Room for the largest entry before taking the next one from
		 * the cursor: one taken and not sent would never be sent. */
		if (!may_send(ch, USER_KEY_MAX, UT_PAYLOAD_MAX)) {
			msg_send(ch, &m);
			return false;
		}
		if (!msg_room(ch, &m, USER_KEY_MAX, UT_PAYLOAD_MAX) && !msg_send(ch, &m))
			return false;
		if (!ut_cursor_next(&ch->cur, &r))
			break;
		if (!type_in_batch(ch, r.type))
			continue;
		msg_add(ch, &m, DB__RBS_OP__RBS_OP_ADD, r.type, r.key, r.key_len, r.payload,
			r.payload_len, r.version);
		ch->batch_count++;
	}
	return msg_send(ch, &m);
}

/* Live changes from the queue; false when credit or rbsd ran out. What a
 * message took stays in the queue until the message is packed. */
static bool pump_live(struct chan *ch)
{
	static struct msg m;
	struct rbp_fifo_pos pos, next;
	struct rbp_fifo_item it;
	bool sent;

	rbp_fifo_head(&ch->q, &pos);
	for (next = pos; rbp_fifo_peek(&ch->q, &next, &it); pos = next) {
		if (!msg_room(ch, &m, it.key_len, it.payload_len)) {
			if (m.n == 0)
				return false; /* no credit */
			sent = msg_send(ch, &m);
			rbp_fifo_drop(&ch->q, &pos);
			if (!sent)
				return false;
			rbp_fifo_head(&ch->q, &pos);
			next = pos;
			continue;
		}
		msg_add(ch, &m, it.op, it.type, it.key, it.key_len, it.payload, it.payload_len,
			it.version);
		rbp_sync_taken(&ch->sync, ++ch->q_taken, ch->sent_e);
	}
	sent = msg_send(ch, &m);
	rbp_fifo_drop(&ch->q, &pos);
	if (!sent)
		return false;
	if (ch->q.len == 0 && ch->q_peak >= TRIM_AFTER) {
		ch->q_peak = 0;
		malloc_trim(0);
	}
	return true;
}

static uint64_t digest_types(const struct chan *ch)
{
	uint64_t d = 0;

	for (size_t i = 0; i < ch->n_batch_types; i++)
		d += ut_digest(ch->t, (enum ut_svc)ch->batch_types[i]);
	return d;
}

void rbpd_feed_pump(struct chan *ch)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;

	if (ch->stash) {
		int rc = bus_send(ch->d->rbsd, NULL, 0, ch->stash, ch->stash_len);

		if (rc == -EAGAIN)
			return;
		free(ch->stash);
		ch->stash = NULL;
	}
	if (!ch->attached)
		return;
	if (ch->batch_pending && !ch->batch_running) {
		Db__RbsBatchBegin b = DB__RBS_BATCH_BEGIN__INIT;
		uint64_t c = 0;

		for (size_t i = 0; i < ch->n_batch_types; i++)
			c += ut_count(ch->t, (enum ut_svc)ch->batch_types[i]);
		b.types = ch->batch_types;
		b.n_types = ch->n_batch_types;
		b.count = c;
		m.body_case = DB__RBS_LOCAL__BODY_BATCH_BEGIN;
		m.batch_begin = &b;
		ut_cursor_open(ch->t, &ch->cur,
			       ch->n_batch_types == 1 ? (enum ut_svc)ch->batch_types[0]
						      : UT_SVC_ALL);
		ch->batch_pending = false;
		ch->batch_running = true;
		ch->batch_count = 0;
		log_info("remote-backup-service %s: batch backup of %" PRIu64 " users to the peer",
			 ch->name, c);
		if (!send_local(ch, &m, true))
			return;
	}
	if (ch->batch_running) {
		Db__RbsBatchEnd e = DB__RBS_BATCH_END__INIT;

		if (!pump_batch(ch) || !pump_live(ch) || ch->stash)
			return;
		ut_cursor_close(&ch->cur);
		e.types = ch->batch_types;
		e.n_types = ch->n_batch_types;
		e.count = ch->batch_count;
		e.digest = digest_types(ch);
		e.partial = !ch->whole;
		ch->sent_partial |= e.partial;
		m.body_case = DB__RBS_LOCAL__BODY_BATCH_END;
		m.batch_end = &e;
		ch->batch_running = false;
		ch->batches_out++;
		log_info("remote-backup-service %s: batch backup sent, %" PRIu64 " users", ch->name,
			 ch->batch_count);
		if (!send_local(ch, &m, true))
			return;
	}
	pump_live(ch);
}

static void on_kick(uv_idle_t *h)
{
	struct rbpd *d = h->data;

	uv_idle_stop(h);
	for (struct chan *ch = d->chans; ch; ch = ch->next)
		rbpd_feed_pump(ch);
}

static void on_retry(uv_timer_t *t)
{
	struct rbpd *d = t->data;
	bool again = false;

	for (struct chan *ch = d->chans; ch; ch = ch->next) {
		rbpd_feed_pump(ch);
		again |= ch->stash != NULL;
	}
	if (again) {
		d->retry_ms = d->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : d->retry_ms * 2;
		uv_timer_start(t, on_retry, d->retry_ms, 0);
	} else {
		d->retry_ms = RETRY_MIN_MS;
	}
}

static void drop_queue(struct chan *ch)
{
	rbp_fifo_clear(&ch->q);
	ch->q_taken = ch->q_pushed;
	rbpd_api_sync_fail(ch, "the queue to rbsd was replaced by a batch backup of every user");
}

static void want_batch_all(struct chan *ch)
{
	ch->n_batch_types = UT_SVC_COUNT;
	for (int t = 0; t < UT_SVC_COUNT; t++)
		ch->batch_types[t] = (Db__RbsServiceType)t;
	if (ch->batch_running) {
		ut_cursor_close(&ch->cur);
		ch->batch_running = false;
	}
	ch->batch_pending = true;
}

void rbpd_feed_queue(struct chan *ch, int op, enum ut_svc type, const uint8_t *key, size_t klen,
		     const uint8_t *payload, size_t plen, uint64_t version)
{
	struct rbp_fifo_item it = {(uint8_t)op, (uint8_t)type, version, key, klen, payload, plen};

	if (ch->q.len >= QUEUE_MAX || ch->q.bytes >= QUEUE_BYTES_MAX) {
		if (ch->q_overflows++ == 0)
			log_warnx(
			    "remote-backup-service %s: %zu changes (%zu bytes) wait for rbsd, "
			    "the most it holds is %d changes or %u bytes; they are replaced "
			    "by a batch backup of every user, and such overflows counted",
			    ch->name, ch->q.len, ch->q.bytes, QUEUE_MAX, QUEUE_BYTES_MAX);
		drop_queue(ch);
		want_batch_all(ch);
	}
	if (rbp_fifo_push(&ch->q, &it) < 0)
		fatal("rbp_fifo_push");
	ch->q_pushed++;
	if (ch->q.len > ch->q_peak)
		ch->q_peak = ch->q.len;
	if (!uv_is_active((uv_handle_t *)&ch->d->kick))
		uv_idle_start(&ch->d->kick, on_kick);
}

/* ---- from rbsd ------------------------------------------------------------ */

/* What an ARP or ND user from the peer says of itself that can never be
 * right: a key on another interface than its record, not a unicast
 * address or MAC (rbp_admit_record()). Such users are not kept; one on
 * an interface outside the profile is (it may be added to the profile
 * later), but never installed (rbpd_kern.c). */
static enum rbp_admit neigh_static_check(struct prof *p, enum ut_svc type, const Db__RbsEntry *e,
					 const struct rbp_user *u)
{
	int family = type == UT_SVC_ARP ? AF_INET : AF_INET6;
	char ifname[RBP_IFNAME_MAX + 1];
	uint8_t addr[16];
	enum rbp_admit r;

	if (rbp_rec_neigh_key_parse(family, e->key.data, e->key.len, addr, ifname) < 0)
		return RBP_ADMIT_IFNAME_MISMATCH;
	r = rbp_admit_record(family, addr, ifname, u, p->ifaces, p->nifaces);
	return r == RBP_ADMIT_IFACE_OUTSIDE ? RBP_ADMIT_OK : r;
}

bool rbpd_rx_batch_running(const struct chan *ch)
{
	for (int t = 0; t < UT_SVC_COUNT; t++)
		if (ch->rx_batch[t])
			return true;
	return false;
}

/* A change from the peer applied as it streamed in: how long ago the
 * peer made it (rbp_lag.h). */
static void lag_seen(struct chan *ch, uint64_t version)
{
	uint64_t now = rbpd_realtime_ns() / 1000;

	rbp_lag_add(&ch->lag, now > version ? now - version : 0);
}

static void rx_entries(struct chan *ch, const Db__RbsEntries *es)
{
	bool batch = rbpd_rx_batch_running(ch);

	if (batch)
		ch->rx_batch_got += es->n_entries;
	for (size_t i = 0; i < es->n_entries; i++) {
		const Db__RbsEntry *e = es->entries[i];
		enum ut_svc type = (enum ut_svc)e->type;
		enum rbp_admit reason;
		char what[200];
		struct rbp_user u;
		struct prof *p;
		struct pbind *pb;
		struct ut_rec r;
		int rc;

		if ((unsigned)type < UT_SVC_COUNT && e->key.len > 0 && e->key.len <= USER_KEY_MAX &&
		    e->op == DB__RBS_OP__RBS_OP_DELETE && e->payload.len == 0) {
			/* a delete without the user's record: the one held says
			 * whose user it is */
			if (rbpd_user_held(ch, type, e->key.data, e->key.len, &r, &u) < 0)
				continue;
		} else if ((unsigned)type >= UT_SVC_COUNT || e->key.len == 0 ||
			   e->key.len > USER_KEY_MAX ||
			   rbp_rec_decode(e->payload.data, e->payload.len, &u) < 0) {
			if (ch->bad_entries++ == 0)
				log_warnx("remote-backup-service %s: an entry from the peer is "
					  "malformed (type %d, %zu-byte key, %zu-byte payload); "
					  "dropped, and counted from now on",
					  ch->name, e->type, e->key.len, e->payload.len);
			continue;
		}
		p = rbpd_prof_by_backup_id(ch, u.backup_id);
		if (p == NULL) {
			/* not a user of a profile both devices share: not kept */
			snprintf(what, sizeof(what), "a %s user of backup-id %u", ut_svc_name(type),
				 u.backup_id);
			rbpd_refuse(ch, RBP_ADMIT_NO_PROFILE, what);
			continue;
		}
		if (!rbpd_observe_version(ch->d, e->version)) {
			snprintf(what, sizeof(what),
				 "a %s user of version %" PRIu64 ", more than a day ahead of this clock",
				 ut_svc_name(type), e->version);
			rbpd_refuse(ch, RBP_ADMIT_VERSION_AHEAD, what);
			continue;
		}
		if ((type == UT_SVC_ARP || type == UT_SVC_ND) &&
		    (reason = neigh_static_check(p, type, e, &u)) != RBP_ADMIT_OK) {
			snprintf(what, sizeof(what), "%s user of %zu-byte key on %s",
				 ut_svc_name(type), e->key.len, u.ifname);
			rbpd_refuse(ch, reason, what);
			continue;
		}
		if (e->op == DB__RBS_OP__RBS_OP_ADD && !rbpd_table_has_room(ch) &&
		    ut_lookup(ch->t, type, e->key.data, e->key.len, &r) < 0) {
			snprintf(what, sizeof(what),
				 "a new %s user: the table holds %zu users (peer-backup user-limit "
				 "%" PRIu64 ")",
				 ut_svc_name(type), ut_count(ch->t, UT_SVC_ALL),
				 rbpd_user_limit(ch->d));
			rbpd_refuse(ch, RBP_ADMIT_TABLE_FULL, what);
			continue;
		}
		pb = rbpd_binding_for(p, u.mac);
		r.type = type;
		/* Master for this user already (a takeover the peer has not
		 * seen yet): the entry is this device's, if newer. */
		r.origin = pb && pb->role == RBP_ROLE_MASTER ? UT_ORIGIN_LOCAL : UT_ORIGIN_PEER;
		r.version = e->version;
		r.key = e->key.data;
		r.key_len = e->key.len;
		r.payload = e->payload.data;
		r.payload_len = e->payload.len;
		if (e->op == DB__RBS_OP__RBS_OP_DELETE) {
			rc = ut_delete(ch->t, type, r.key, r.key_len, r.version, r.origin);
			if (rc == UT_APPLIED && (type == UT_SVC_ARP || type == UT_SVC_ND) && pb &&
			    pb->role == RBP_ROLE_BACKUP && !pb->withdrawing)
				rbpd_kern_remove(ch->d, type, r.key, r.key_len);
		} else if (e->op == DB__RBS_OP__RBS_OP_ADD) {
			rc = ut_upsert(ch->t, &r);
			if (rc == UT_APPLIED && (type == UT_SVC_ARP || type == UT_SVC_ND) && pb)
				rbpd_kern_apply(p, pb, type, r.key, r.key_len, &u);
		} else {
			continue;
		}
		if (rc == UT_APPLIED && !batch)
			lag_seen(ch, e->version);
	}
}

/* The peer's users of the types of batches in progress: until their
 * end they may be held twice over, the old and the new. */
static void resync_slack(struct chan *ch)
{
	ch->resync_slack = 0;
	for (int t = 0; t < UT_SVC_COUNT; t++)
		if (ch->rx_batch[t])
			ch->resync_slack += ut_count_origin(ch->t, (enum ut_svc)t, UT_ORIGIN_PEER);
}

static void rx_batch_begin(struct chan *ch, const Db__RbsBatchBegin *b)
{
	for (size_t i = 0; i < b->n_types; i++)
		if ((unsigned)b->types[i] < UT_SVC_COUNT) {
			ut_resync_begin(ch->t, (enum ut_svc)b->types[i], UT_ORIGIN_PEER);
			ch->rx_batch[b->types[i]] = true;
		}
	resync_slack(ch);
	/* room for the whole batch at once, not by doubling as it comes
	 * (out of memory: it grows as it would have) */
	(void)ut_reserve(ch->t, ut_count(ch->t, UT_SVC_ALL) + b->count);
	ch->rx_batch_got = 0;
	ch->rx_batch_total = b->count;
	ch->rx_batch_began_ns = uv_hrtime();
	log_info("remote-backup-service %s: batch backup from the peer, %" PRIu64 " users",
		 ch->name, b->count);
	rbpd_gates_publish(ch->d);
}

/* A batch from the peer ended with fewer entries than it says it sent:
 * some were lost on the way (a feeder past its credit, a restart in the
 * middle). Sweeping would delete the peer's users that did not arrive, so
 * nothing is swept, and the peer is asked for its batch again, a few
 * times in a row at most. */
#define RX_BATCH_RETRIES 3
#define REASK_MIN_MS 500    /* a batch that differed: asked again after this */
#define REASK_MAX_MS 30000  /* and at most this long, doubling */

static void ask_peer_batch(struct chan *ch, const Db__RbsServiceType *types, size_t n)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsBatchRequest r = DB__RBS_BATCH_REQUEST__INIT;

	r.types = (Db__RbsServiceType *)types;
	r.n_types = n;
	m.body_case = DB__RBS_LOCAL__BODY_BATCH_REQUEST;
	m.batch_request = &r;
	send_local(ch, &m, true);
}

static void on_reask(uv_timer_t *t)
{
	struct rbpd *d = t->data;
	uint64_t now = uv_now(d->loop), next = 0;

	for (struct chan *ch = d->chans; ch; ch = ch->next) {
		if (ch->reask_at == 0)
			continue;
		if (ch->reask_at <= now && ch->up && ch->attached && !rbpd_rx_batch_running(ch)) {
			Db__RbsServiceType all[UT_SVC_COUNT];

			for (int k = 0; k < UT_SVC_COUNT; k++)
				all[k] = (Db__RbsServiceType)k;
			ch->reask_at = 0;
			log_info("remote-backup-service %s: asking the peer for its batch backup again, "
				 "to compare the tables",
				 ch->name);
			ask_peer_batch(ch, all, UT_SVC_COUNT);
			continue;
		}
		if (ch->reask_at <= now)
			ch->reask_at = now + REASK_MIN_MS; /* when the channel allows */
		if (next == 0 || ch->reask_at < next)
			next = ch->reask_at;
	}
	if (next)
		uv_timer_start(t, on_reask, next - now, 0);
}

/* The peer's batch ended with tables that differ: ask again later. */
static void reask_later(struct chan *ch)
{
	struct rbpd *d = ch->d;
	uint64_t now = uv_now(d->loop);

	ch->reask_gap_ms = ch->reask_gap_ms ? ch->reask_gap_ms * 2 : REASK_MIN_MS;
	if (ch->reask_gap_ms > REASK_MAX_MS)
		ch->reask_gap_ms = REASK_MAX_MS;
	ch->reask_at = now + ch->reask_gap_ms;
	uvtimer_by(&d->reask_timer, on_reask, ch->reask_gap_ms);
}

static void rx_cancel(struct chan *ch);

static void rx_batch_incomplete(struct chan *ch, const Db__RbsBatchEnd *b)
{
	rx_cancel(ch);
	ch->bad_batches++;
	log_warnx("remote-backup-service %s: the peer's batch backup ended with %" PRIu64
		  " of its %" PRIu64 " users arrived; nothing swept%s",
		  ch->name, ch->rx_batch_got, b->count,
		  ch->rx_batch_retries < RX_BATCH_RETRIES ? ", asking for it again"
							  : ", not asking again");
	if (ch->rx_batch_retries >= RX_BATCH_RETRIES)
		return;
	ch->rx_batch_retries++;
	ask_peer_batch(ch, b->types, b->n_types);
}

static void rx_batch_end(struct chan *ch, const Db__RbsBatchEnd *b)
{
	uint64_t d = 0;
	ssize_t swept = 0;
	bool neigh = false;

	if (ch->rx_batch_got < b->count) {
		rx_batch_incomplete(ch, b);
		rbpd_gates_publish(ch->d);
		return;
	}
	ch->rx_batch_retries = 0;
	(void)ut_reserve(ch->t, 0); /* the table may shrink again */

	for (size_t i = 0; i < b->n_types; i++) {
		enum ut_svc t = (enum ut_svc)b->types[i];

		if ((unsigned)t >= UT_SVC_COUNT)
			continue;
		if (ch->rx_batch[t] && b->partial) {
			/* the peer restarted: what it lacks is not gone */
			ut_resync_cancel(ch->t, t, UT_ORIGIN_PEER);
		} else if (ch->rx_batch[t]) {
			ssize_t n = ut_resync_end(ch->t, t, UT_ORIGIN_PEER);

			swept += n > 0 ? n : 0;
		}
		ch->rx_batch[t] = false;
		d += ut_digest(ch->t, t);
		neigh |= t == UT_SVC_ARP || t == UT_SVC_ND;
	}
	resync_slack(ch);
	ch->batches_in++;
	ch->rx_batch_done = true;
	if (!ch->whole && ch->sent_partial) {
		/* what this table lacked when it told the peer so is here now:
		 * a whole batch lets the peer remove what is really gone, and
		 * tells it the tables agree (its preemption gate) */
		log_info("remote-backup-service %s: this table is whole again: a batch backup to "
			 "the peer follows",
			 ch->name);
		want_batch_all(ch);
	}
	ch->whole = true;
	if (b->partial)
		ch->partial_batches_in++;
	ch->rx_batch_agreed = d == b->digest;
	if (d == b->digest) {
		ch->reask_at = ch->reask_gap_ms = 0;
	} else if (!b->partial) {
		reask_later(ch); /* a partial one: a whole one follows by itself */
	}
	if (d != b->digest) {
		ch->bad_batches++;
		log_warnx("remote-backup-service %s: after the peer's batch backup of %" PRIu64
			  " users the tables differ (digest %016" PRIx64 " here, %016" PRIx64
			  " there): changes of this device's are on their way, or users were lost",
			  ch->name, b->count, d, b->digest);
	} else {
		log_info("remote-backup-service %s: batch backup from the peer complete, %" PRIu64
			 " users in %.1f ms, %zd gone, tables agree",
			 ch->name, b->count, (double)(uv_hrtime() - ch->rx_batch_began_ns) / 1e6,
			 swept);
	}
	if (b->partial)
		log_info("remote-backup-service %s: the peer's batch is partial (its rbpd started "
			 "anew): nothing removed for want of it",
			 ch->name);
	/* installs of users that were swept go too */
	if (neigh)
		rbpd_kern_dump(ch->d, DUMP_SWEEP_INSTALLS);
	rbpd_gates_publish(ch->d);
	/* a batch removes only the peer's users it lacks: compare the rest */
	rbpd_ae_soon(ch);
}

void rbpd_feed_ask_batch(struct chan *ch, const Db__RbsServiceType *types, size_t n)
{
	ask_peer_batch(ch, types, n);
}

void rbpd_feed_want_batch(struct chan *ch, const Db__RbsServiceType *types, size_t nt)
{
	size_t n = 0;

	for (size_t i = 0; i < nt && n < UT_SVC_COUNT; i++)
		if ((unsigned)types[i] < UT_SVC_COUNT)
			ch->batch_types[n++] = types[i];
	if (n == 0)
		return;
	ch->n_batch_types = n;
	if (ch->batch_running) {
		ut_cursor_close(&ch->cur);
		ch->batch_running = false;
	}
	ch->batch_pending = true;
}

static void rx_batch_request(struct chan *ch, const Db__RbsBatchRequest *r)
{
	rbpd_feed_want_batch(ch, r->types, r->n_types);
}

static void rx_cancel(struct chan *ch)
{
	for (int t = 0; t < UT_SVC_COUNT; t++)
		if (ch->rx_batch[t]) {
			ut_resync_cancel(ch->t, (enum ut_svc)t, UT_ORIGIN_PEER);
			ch->rx_batch[t] = false;
		}
	ch->resync_slack = 0;
}

static void rx_state(struct chan *ch, const Db__RbsChannelState *s)
{
	bool was = ch->up;

	ch->up = s->up;
	/* a new session: what the table holds of the peer's is complete only
	 * when the peer's batch has come again */
	if (!was && ch->up && s->rx_full_batch)
		ch->rx_batch_done = false;
	snprintf(ch->reason, sizeof(ch->reason), "%s", s->reason ? s->reason : "");
	snprintf(ch->mismatch, sizeof(ch->mismatch), "%s", s->mismatch ? s->mismatch : "");
	if (was != ch->up)
		log_info("remote-backup-service %s: channel %s%s%s", ch->name,
			 ch->up ? "up" : "down", ch->reason[0] ? ": " : "", ch->reason);
	if (ch->mismatch[0])
		log_warnx("remote-backup-service %s: the peer's profiles differ: %s", ch->name,
			  ch->mismatch);
	if (!ch->up) {
		char why[200];

		/* the peer's roles are no longer known: no dual master seen */
		free(ch->peer_roles);
		ch->peer_roles = NULL;
		ch->n_peer_roles = 0;
		rbpd_dual_check(ch);
		rx_cancel(ch); /* a batch cut short sweeps nothing */
		snprintf(why, sizeof(why), "remote-backup-service %s is down%s%s", ch->name,
			 ch->reason[0] ? ": " : "", ch->reason);
		rbpd_api_sync_fail(ch, why);
	}
	if (was != ch->up)
		rbpd_gates_publish(ch->d);
}

static void on_rbsd_end(struct pidwatch *w, void *arg);

static void rx_credit(struct chan *ch, const Db__RbsCredit *c)
{
	pidwatch_follow(&ch->d->rbsdpw, ch->d->loop, c->pid, on_rbsd_end, ch->d);
	if (c->attach != ch->attach) {
		/* rbsd took us as new (it or we restarted): what we handed
		 * the old attachment is gone; rbsd asks for the batches it
		 * needs. */
		if (ch->attach)
			log_info("remote-backup-service %s: attached to rbsd again", ch->name);
		ch->attach = c->attach;
		ch->sent_e = ch->sent_b = 0;
		rbpd_applied_reset(ch); /* and what rbsd hands it, from 1 */
		/* what was handed over counts again from 1, and the stash
		 * below is dropped */
		rbpd_api_sync_fail(ch, "rbsd restarted: what it held is sent again in a batch");
		/* rbsd asks the peer for a batch for the new attachment */
		ch->rx_batch_done = false;
		free(ch->stash);
		ch->stash = NULL;
		rx_cancel(ch);
		if (ch->batch_running) {
			/* its beginning went to the old attachment */
			ut_cursor_close(&ch->cur);
			ch->batch_running = false;
			ch->batch_pending = true;
		}
	}
	ch->credit_e = c->entries;
	ch->credit_b = c->bytes;
	ch->attached = true;
	rbpd_api_sync_resolve(ch, c->resolved, c->lost);
}

/* bus_recv_cb of the DEALER to rbsd: one RbsLocal. */
static void on_rbsd(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	struct rbpd *d = arg;
	Db__RbsLocal *m;
	struct chan *ch;

	(void)s;
	if (n != 1)
		return;
	/* from an arena: no allocation and free per entry of a batch */
	m = db__rbs_local__unpack(arena_allocator(&d->local_arena), parts[0].len,
				  parts[0].data);
	ch = m && m->service ? chan_by_name(d, m->service) : NULL;
	if (ch == NULL) {
		arena_reset(&d->local_arena);
		return;
	}
	switch (m->body_case) {
	case DB__RBS_LOCAL__BODY_CREDIT:
		rx_credit(ch, m->credit);
		break;
	case DB__RBS_LOCAL__BODY_STATE:
		rx_state(ch, m->state);
		break;
	case DB__RBS_LOCAL__BODY_ENTRIES:
		rx_entries(ch, m->entries);
		rbpd_applied_add(ch, m->entries->n_entries);
		break;
	case DB__RBS_LOCAL__BODY_BATCH_BEGIN:
		rx_batch_begin(ch, m->batch_begin);
		break;
	case DB__RBS_LOCAL__BODY_BATCH_END:
		rx_batch_end(ch, m->batch_end);
		break;
	case DB__RBS_LOCAL__BODY_BATCH_REQUEST:
		rx_batch_request(ch, m->batch_request);
		break;
	case DB__RBS_LOCAL__BODY_ROLES:
		if (m->roles)
			rbpd_feed_rx_roles(ch, m->roles);
		break;
	case DB__RBS_LOCAL__BODY_COMPARE:
		rbpd_ae_rx_compare(ch, m->compare);
		break;
	case DB__RBS_LOCAL__BODY_SUMMARY:
		rbpd_ae_rx_summary(ch, m->summary);
		break;
	default:
		break;
	}
	arena_reset(&d->local_arena);
	rbpd_feed_pump(ch);
}

void rbpd_feed_attach_all(struct rbpd *d, bool all)
{
	Db__RbsAttach a = DB__RBS_ATTACH__INIT;

	a.feeder = "rbpd";
	a.applied_acks = true; /* the peer's acknowledgments mean this table holds it */
	for (struct chan *ch = d->chans; ch; ch = ch->next) {
		Db__RbsLocal m = DB__RBS_LOCAL__INIT;

		m.body_case = DB__RBS_LOCAL__BODY_ATTACH;
		m.attach = &a;
		/* Said again each second until rbsd answers: when rbsd cannot
		 * take it now (not running), it is not kept. */
		if (ch->stash == NULL && (all || !ch->attached))
			send_local(ch, &m, false);
	}
}

/* pidwatch_cb: rbsd ended. What it held is gone; attach again (each
 * second) to the rbsd that follows, which takes us as new. */
static void on_rbsd_end(struct pidwatch *w, void *arg)
{
	struct rbpd *d = arg;

	log_warnx("rbsd (pid %d) ended: attaching again when it runs", (int)pidwatch_pid(w));
	pidwatch_free(w);
	d->rbsdpw = NULL;
	for (struct chan *ch = d->chans; ch; ch = ch->next)
		ch->attached = false;
}

void rbpd_feed_chan_free(struct chan *ch)
{
	if (ch->batch_running)
		ut_cursor_close(&ch->cur);
	rbpd_api_sync_fail(ch, "the remote-backup-service was removed from the configuration");
	drop_queue(ch);
	rbp_sync_free(&ch->sync);
	free(ch->stash);
	free(ch->peer_roles);
	ut_table_free(ch->t);
	free(ch);
}

int rbpd_feed_init(struct rbpd *d)
{
	char ep[512];
	struct bus_opts o = {
	    .type = ZMQ_DEALER, .endpoint = ep, .cb = on_rbsd, .arg = d, .hwm = RBSD_HWM};
	int rc;

	d->retry_ms = RETRY_MIN_MS;
	uv_idle_init(d->loop, &d->kick);
	d->kick.data = d;
	d->kick_init = true;
	uv_timer_init(d->loop, &d->reask_timer);
	d->reask_timer.data = d;
	d->reask_init = true;
	uv_timer_init(d->loop, &d->pump_retry);
	d->pump_retry.data = d;
	rbpd_applied_init(d);
	rc = daemon_endpoint(ep, sizeof(ep), d->rundir, "rbsd-entries");
	if (rc < 0)
		return rc;
	return bus_open(&d->rbsd, d->loop, d->zctx, &o);
}

void rbpd_feed_close(struct rbpd *d)
{
	if (d->kick_init)
		uv_close((uv_handle_t *)&d->kick, NULL);
	if (d->reask_init)
		uv_close((uv_handle_t *)&d->reask_timer, NULL);
	d->kick_init = d->reask_init = false;
	rbpd_applied_close(d);
	uv_close((uv_handle_t *)&d->pump_retry, NULL);
	if (d->rbsd)
		bus_close(d->rbsd);
	d->rbsd = NULL;
}
