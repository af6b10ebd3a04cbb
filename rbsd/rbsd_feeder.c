/*
 * rbsd: the local bus, RUNDIR/rbsd-entries.ipc, and the feeder's protocol
 * (proto/rbs.proto's RbsLocal). The services that own user entries (rbpd,
 * or a test feeder) attach there, one feeder per service: rbsd grants it
 * credit (what the channel's window can take, common/credit.h) and which
 * of its entries the peer holds (rbs_fack.h), pushes what it sends into
 * the channel, and hands it what the channel delivers from the peer, in
 * order. When the feeder's queue is full what the peer sent waits here,
 * and the channel is held (it reads and acknowledges nothing more) until
 * the feeder has taken it: nothing the peer sent is dropped for a slow
 * feeder. A feeder that says which of those entries it applied
 * (RbsAttach.applied_acks, RbsApplied) has the peer acknowledged only
 * those (rbs_chan_feeder_applied()): rbsd tells the channel which entries
 * it handed, in order, once the feeder's queue took them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/credit.h"
#include "common/log.h"
#include "rbsd/rbsd.h"

static struct svc *svc_of(struct rbsd *d, const struct rbs_chan *ch)
{
	for (struct svc *v = d->svcs; v; v = v->next)
		if (v->ch == ch)
			return v;
	return NULL;
}

/* m, for the service's feeder, packed into a pending record (not linked). */
static struct pending *pack_local(struct svc *v, Db__RbsLocal *m)
{
	struct pending *p;
	size_t len;

	m->service = v->name;
	len = db__rbs_local__get_packed_size(m);
	p = malloc(sizeof(*p) + len);
	if (p == NULL)
		return NULL;
	p->next = NULL;
	p->epoch = p->seq = p->n = 0;
	p->len = len;
	db__rbs_local__pack(m, p->data);
	return p;
}

/* Send one RbsLocal to the service's feeder. Returns 0 or a negative errno
 * (-ENOTCONN: no feeder attached). */
static int to_feeder(struct svc *v, Db__RbsLocal *m)
{
	struct pending *p;
	int rc;

	if (v->feeder_idlen == 0 || v->d->local == NULL)
		return -ENOTCONN;
	p = pack_local(v, m);
	if (p == NULL)
		return -ENOMEM;
	rc = bus_send(v->d->local, v->feeder_id, v->feeder_idlen, p->data, p->len);
	free(p);
	return rc;
}

/* Tell the feeder the channel's state. */
static void state_to_feeder(struct svc *v, bool up, const char *reason, const char *mismatch)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsChannelState st = DB__RBS_CHANNEL_STATE__INIT;

	st.up = up;
	st.rx_full_batch = up && v->ch && rbs_chan_rx_full_batch(v->ch);
	st.reason = (char *)reason;
	st.mismatch = (char *)mismatch;
	m.body_case = DB__RBS_LOCAL__BODY_STATE;
	m.state = &st;
	to_feeder(v, &m);
}

/* The feeder's entries the peer holds, from the window as it is now; a
 * resync's discarded range is taken once. */
static void fack_sync(struct svc *v)
{
	uint64_t acked, resyncs, from, to;

	if (v->ch == NULL)
		return;
	rbs_chan_tx_state(v->ch, &acked, &resyncs, &from, &to);
	if (resyncs == v->seen_resyncs)
		from = to = 0;
	v->seen_resyncs = resyncs;
	rbs_fack_update(&v->fack, acked, from, to);
}

/* Tell the feeder how much it may send in all (what it sent plus the room
 * left in the window), and which of its entries the peer holds. */
static void grant(struct svc *v)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsCredit c = DB__RBS_CREDIT__INIT;
	uint64_t e, b;

	if (v->feeder_idlen == 0 || v->ch == NULL)
		return;
	fack_sync(v);
	rbs_chan_room(v->ch, &e, &b);
	c.entries = v->got_entries + e;
	c.bytes = v->got_bytes + b;
	c.attach = v->attach;
	c.pid = (uint64_t)getpid();
	c.resolved = v->fack.resolved;
	c.lost = v->fack.lost;
	if (c.entries == v->credit_entries && c.bytes == v->credit_bytes &&
	    c.resolved == v->credit_resolved && c.lost == v->credit_lost)
		return;
	v->credit_entries = c.entries;
	v->credit_bytes = c.bytes;
	v->credit_resolved = c.resolved;
	v->credit_lost = c.lost;
	m.body_case = DB__RBS_LOCAL__BODY_CREDIT;
	m.credit = &c;
	to_feeder(v, &m);
}

void rbsd_ask_feeder_batch(struct svc *v)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsBatchRequest r = DB__RBS_BATCH_REQUEST__INIT;

	r.types = v->want_types;
	r.n_types = v->n_want;
	m.body_case = DB__RBS_LOCAL__BODY_BATCH_REQUEST;
	m.batch_request = &r;
	if (to_feeder(v, &m) == 0)
		v->batch_wanted = false;
	else
		v->batch_wanted = true; /* asked again when a feeder attaches */
}

/* A copy of the feeder's roles on the service (svc.roles). */
static void keep_roles(struct svc *v, const Db__RbsRoles *r)
{
	Db__RbsRoles *copy = (Db__RbsRoles *)bus_msg_copy(&r->base);

	if (copy == NULL)
		fatal("malloc");
	if (v->roles)
		db__rbs_roles__free_unpacked(v->roles, NULL);
	v->roles = copy;
}

static void feeder_attach(struct svc *v, const struct bus_part *id, const Db__RbsAttach *a)
{
	if (id->len > sizeof(v->feeder_id))
		return;
	if (v->feeder_idlen == id->len && memcmp(v->feeder_id, id->data, id->len) == 0)
		return; /* the same feeder saying it is still there */
	memcpy(v->feeder_id, id->data, id->len);
	v->feeder_idlen = id->len;
	snprintf(v->feeder_name, sizeof(v->feeder_name), "%s", a->feeder ? a->feeder : "?");
	v->got_entries = v->got_bytes = 0;
	v->peer_roles_hash = 0;
	v->credit_entries = v->credit_bytes = 0;
	v->credit_resolved = v->credit_lost = 0;
	rbs_fack_reset(&v->fack);
	do
		getrandom(&v->attach, sizeof(v->attach), 0);
	while (v->attach == 0);
	v->applied_acks = a->applied_acks;
	log_info("remote-backup-service %s: feeder %s attached%s", v->name, v->feeder_name,
		 v->applied_acks ? ", acknowledging what it applied" : "");
	if (v->ch == NULL) {
		rbsd_drop_pending(v);
		return;
	}
	/* Its credit first: it counts from 0 for this attachment before
	 * anything below asks it to send (a batch sent on the previous
	 * attachment's credit would be counted here against this one's), or
	 * hands it the peer's entries (counted from this attachment on in
	 * RbsApplied: releasing the held channel below delivers some). */
	grant(v);
	/* How it acknowledges, before the queue is dropped: what that held
	 * was never applied (rbs_chan_feeder_attach()). */
	rbs_chan_feeder_attach(v->ch, v->attach, v->applied_acks);
	rbsd_drop_pending(v); /* meant for the previous feeder; this one gets a full batch */
	{
		/* It learns the channel's state now, not at the next change. */
		const char *reason, *mismatch;
		bool up;

		rbs_chan_state(v->ch, &up, &reason, &mismatch);
		state_to_feeder(v, up, reason, mismatch);
	}
	/* What it held of the peer's entries is gone or stale: the peer
	 * sends them all again. */
	rbs_chan_request_peer_batch(v->ch);
	if (v->batch_wanted)
		rbsd_ask_feeder_batch(v);
}

static void feeder_entries(struct svc *v, const Db__RbsEntries *es)
{
	fack_sync(v); /* a resync first: new sequences may reuse its range */
	for (size_t i = 0; i < es->n_entries; i++) {
		const Db__RbsEntry *e = es->entries[i];
		uint64_t seq;
		int rc = rbs_chan_push(v->ch, e, &seq);

		/* the feeder counted it, taken or not */
		rbs_fack_pushed(&v->fack, rc < 0 ? 0 : seq);
		if (rc < 0) {
			if (v->overruns++ == 0)
				log_warnx(
				    "remote-backup-service %s: feeder %s sent past its credit "
				    "(%s); entries dropped until it waits",
				    v->name, v->feeder_name, strerror(-rc));
			continue;
		}
		v->got_entries++;
		v->got_bytes += credit_entry_cost(e->key.len, e->payload.len);
	}
	/* Entries the channel left out (a batch the peer asked for has not
	 * begun: it will carry them) took no room in the window: their credit
	 * comes back now, as no freed room will announce it. Nothing is sent
	 * when the total is unchanged (every entry in the window). */
	grant(v);
}

/* An anti-entropy step (Compare, Summary) from the feeder, for the peer:
 * checked as the peer will check it, since a bad one would close the
 * channel, then queued in order after the feeder's entries before it
 * (rbs_chan_send_ae()). Dropped when the channel is down or the peer too
 * old: the feeder's next round makes up for it. */
static void feeder_ae(struct svc *v, const Db__RbsLocal *m)
{
	Db__RbsFrame f = DB__RBS_FRAME__INIT;
	enum rbs_frame_err e;
	int rc;

	if (m->body_case == DB__RBS_LOCAL__BODY_COMPARE && m->compare) {
		f.body_case = DB__RBS_FRAME__BODY_COMPARE;
		f.compare = m->compare;
	} else if (m->body_case == DB__RBS_LOCAL__BODY_SUMMARY && m->summary) {
		f.body_case = DB__RBS_FRAME__BODY_SUMMARY;
		f.summary = m->summary;
	} else {
		return;
	}
	e = rbs_frame_check(&f);
	rc = e == RBS_FRAME_OK ? rbs_chan_send_ae(v->ch, &f) : -EINVAL;
	if (rc != -EINVAL && rc != -EMSGSIZE)
		return; /* sent, or dropped and counted by the channel */
	if (v->ae_refused++ == 0)
		log_warnx("remote-backup-service %s: feeder %s sent a %s the peer would refuse "
			  "(%s); dropped, and further ones counted only",
			  v->name, v->feeder_name,
			  f.body_case == DB__RBS_FRAME__BODY_COMPARE ? "compare" : "summary",
			  rc == -EMSGSIZE ? "larger than a frame" : rbs_frame_err_str(e));
}

/* The feeder applied the first count entries it was handed: the peer is
 * acknowledged them. A word of an attachment before is ignored; one of
 * more than it was handed is counted and logged once. */
static void feeder_applied(struct svc *v, const Db__RbsApplied *a)
{
	int rc = rbs_chan_feeder_applied(v->ch, a->attach, a->count);

	if (rc == -EINVAL && v->applied_refused++ == 0)
		log_warnx("remote-backup-service %s: feeder %s says it applied %llu of the peer's "
			  "entries, more than it was handed or fewer than before; ignored, and "
			  "such counted",
			  v->name, v->feeder_name, (unsigned long long)a->count);
}

/* bus_recv_cb of RUNDIR/rbsd-entries.ipc: [identity, RbsLocal]. */
void rbsd_on_local(struct bus_sock *s, const struct bus_part *parts, int nparts, void *arg)
{
	struct rbsd *d = arg;
	Db__RbsLocal *m;
	struct svc *v;

	(void)s;
	if (nparts != 2)
		return;
	/* Into the arena: a batch of entries unpacked with malloc is three
	 * allocations and frees per entry, most of what a batch cost here.
	 * Nothing below keeps a pointer into m. */
	m = db__rbs_local__unpack(arena_allocator(&d->local_arena), parts[1].len,
				  parts[1].data);
	if (m == NULL) {
		arena_reset(&d->local_arena);
		return;
	}
	v = m->service ? rbsd_svc_find(d, m->service) : NULL;
	if (v == NULL || v->ch == NULL) {
		arena_reset(&d->local_arena);
		return;
	}
	if (m->body_case == DB__RBS_LOCAL__BODY_ATTACH) {
		feeder_attach(v, &parts[0], m->attach);
	} else if (v->feeder_idlen != parts[0].len ||
		   memcmp(v->feeder_id, parts[0].data, parts[0].len) != 0) {
		/* Not from the attached feeder: ignore. */
	} else if (m->body_case == DB__RBS_LOCAL__BODY_ENTRIES && m->entries) {
		feeder_entries(v, m->entries);
		rbs_chan_flush(v->ch);
	} else if (m->body_case == DB__RBS_LOCAL__BODY_APPLIED && m->applied) {
		if (v->applied_acks)
			feeder_applied(v, m->applied);
	} else if (m->body_case == DB__RBS_LOCAL__BODY_ROLES && m->roles) {
		/* checked as the peer will check them: bad roles from the
		 * feeder must not close the channel */
		Db__RbsFrame f = DB__RBS_FRAME__INIT;
		Db__RbsKeepalive k = DB__RBS_KEEPALIVE__INIT;

		k.roles = m->roles;
		f.body_case = DB__RBS_FRAME__BODY_KEEPALIVE;
		f.keepalive = &k;
		if (rbs_frame_check(&f) == RBS_FRAME_OK) {
			keep_roles(v, m->roles);
			if (v->ch)
				rbs_chan_set_roles(v->ch, m->roles);
		}
	} else if (m->body_case == DB__RBS_LOCAL__BODY_BATCH_REQUEST) {
		/* the feeder lost part of the peer's batch: the peer sends it
		 * again */
		rbs_chan_request_peer_batch(v->ch);
	} else if (m->body_case == DB__RBS_LOCAL__BODY_COMPARE ||
		   m->body_case == DB__RBS_LOCAL__BODY_SUMMARY) {
		feeder_ae(v, m);
	} else if (m->body_case == DB__RBS_LOCAL__BODY_BATCH_BEGIN ||
		   m->body_case == DB__RBS_LOCAL__BODY_BATCH_END) {
		/* Checked as the peer will check them: a bad marker from the
		 * feeder must not close the channel. */
		Db__RbsFrame f = DB__RBS_FRAME__INIT;
		bool begin = m->body_case == DB__RBS_LOCAL__BODY_BATCH_BEGIN;

		f.body_case =
		    begin ? DB__RBS_FRAME__BODY_BATCH_BEGIN : DB__RBS_FRAME__BODY_BATCH_END;
		f.batch_begin = m->batch_begin;
		f.batch_end = m->batch_end;
		if (rbs_frame_check(&f) == RBS_FRAME_OK) {
			if (begin)
				rbs_chan_batch_begin(v->ch, m->batch_begin);
			else
				rbs_chan_batch_end(v->ch, m->batch_end);
			rbs_chan_flush(v->ch);
		}
	}
	arena_reset(&d->local_arena);
}

void rbsd_drop_pending(struct svc *v)
{
	while (v->pend) {
		struct pending *p = v->pend;

		v->pend = p->next;
		free(p);
	}
	v->pend_tail = &v->pend;
	if (v->ch)
		rbs_chan_hold(v->ch, false);
}

/* What the feeder's queue refused for good (not full: gone). Entries a
 * feeder that says what it applied will never apply: nothing after them
 * could be acknowledged, so a new connection resumes before them and the
 * peer sends them again. */
static void lost_delivery(struct svc *v, const struct pending *p)
{
	v->undelivered++;
	if (v->applied_acks && p->n && v->ch)
		rbs_chan_drop(v->ch, "entries from the peer could not be handed to the local "
				     "feeder; the peer sends them again");
}

/* Hand the feeder what waits, in order; release the channel once all is.
 * Returns whether nothing waits any more: releasing the channel delivers
 * what it had read already (rbs_conn_pause()), which may wait again. */
static bool flush_pending(struct svc *v)
{
	while (v->pend) {
		struct pending *p = v->pend;
		int rc = bus_send(v->d->local, v->feeder_id, v->feeder_idlen, p->data, p->len);

		if (rc == -EAGAIN)
			return false;
		if (rc < 0)
			lost_delivery(v, p);
		else if (p->n)
			rbs_chan_feeder_handed(v->ch, p->epoch, p->seq, p->n);
		v->pend = p->next;
		free(p);
	}
	v->pend_tail = &v->pend;
	rbs_chan_hold(v->ch, false);
	/* the release delivered what the channel had read: it may be
	 * waiting again, and needs the retry timer that on_retry() would
	 * otherwise stop (the channel then stayed held until the next
	 * message from the feeder, about a second) */
	return v->pend == NULL;
}

static void on_retry(uv_timer_t *t)
{
	struct rbsd *d = t->data;
	bool all = true;

	for (struct svc *v = d->svcs; v; v = v->next)
		if (v->pend && !flush_pending(v))
			all = false;
	if (all)
		uv_timer_stop(&d->retry);
}

/* What the peer sent, for the feeder: never dropped because its queue is
 * full; the channel waits instead (and acknowledges nothing meanwhile).
 * Entries count as handed once the feeder's queue took them. */
static void deliver(struct svc *v, Db__RbsLocal *m)
{
	struct pending *p;
	int rc;

	if (v->feeder_idlen == 0) {
		if (v->undelivered++ == 0)
			log_warnx("remote-backup-service %s: entries from the peer with no feeder "
				  "attached; it gets a full batch when it attaches",
				  v->name);
		return;
	}
	p = pack_local(v, m);
	if (p == NULL)
		fatal("malloc");
	if (m->body_case == DB__RBS_LOCAL__BODY_ENTRIES) {
		p->epoch = rbs_chan_rx_epoch(v->ch);
		p->seq = m->entries->first_seq;
		p->n = m->entries->n_entries;
	}
	if (v->pend == NULL) {
		rc = bus_send(v->d->local, v->feeder_id, v->feeder_idlen, p->data, p->len);
		if (rc != -EAGAIN) {
			if (rc < 0)
				lost_delivery(v, p);
			else if (p->n)
				rbs_chan_feeder_handed(v->ch, p->epoch, p->seq, p->n);
			free(p);
			return;
		}
	}
	*v->pend_tail = p;
	v->pend_tail = &p->next;
	rbs_chan_hold(v->ch, true);
	if (!uv_is_active((uv_handle_t *)&v->d->retry))
		uv_timer_start(&v->d->retry, on_retry, 1, 1);
}

/* Whether the peer's roles r differ from those last handed to the feeder;
 * remembers r's. */
static bool roles_changed(struct svc *v, const Db__RbsRoles *r)
{
	uint64_t h = bus_msg_digest(&r->base);

	if (h == v->peer_roles_hash)
		return false;
	v->peer_roles_hash = h;
	return true;
}

static void ch_deliver(void *arg, struct rbs_chan *ch, const Db__RbsFrame *f)
{
	struct svc *v = svc_of(arg, ch);
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;

	if (v == NULL)
		return;
	switch (f->body_case) {
	case DB__RBS_FRAME__BODY_ENTRIES:
		m.body_case = DB__RBS_LOCAL__BODY_ENTRIES;
		m.entries = f->entries;
		break;
	case DB__RBS_FRAME__BODY_BATCH_BEGIN:
		m.body_case = DB__RBS_LOCAL__BODY_BATCH_BEGIN;
		m.batch_begin = f->batch_begin;
		break;
	case DB__RBS_FRAME__BODY_BATCH_END:
		m.body_case = DB__RBS_LOCAL__BODY_BATCH_END;
		m.batch_end = f->batch_end;
		break;
	case DB__RBS_FRAME__BODY_KEEPALIVE:
		if (v->feeder_idlen == 0)
			return; /* the next keepalive tells an attached feeder */
		if (!roles_changed(v, f->keepalive->roles))
			return; /* the feeder has them */
		m.body_case = DB__RBS_LOCAL__BODY_ROLES;
		m.roles = f->keepalive->roles;
		break;
	default:
		return;
	}
	deliver(v, &m);
}

static void ch_want_batch(void *arg, struct rbs_chan *ch, const Db__RbsServiceType *types, size_t n)
{
	struct svc *v = svc_of(arg, ch);

	if (v == NULL)
		return;
	v->n_want = n > RBS_SVC_COUNT ? RBS_SVC_COUNT : n;
	memcpy(v->want_types, types, v->n_want * sizeof(types[0]));
	rbsd_ask_feeder_batch(v);
}

static void ch_room(void *arg, struct rbs_chan *ch)
{
	struct svc *v = svc_of(arg, ch);

	if (v)
		grant(v);
}

static void ch_state(void *arg, struct rbs_chan *ch, bool up, const char *reason,
		     const char *mismatch)
{
	struct svc *v = svc_of(arg, ch);

	if (v) {
		v->peer_roles_hash = 0; /* the peer's next keepalive says them again */
		state_to_feeder(v, up, reason, mismatch);
		grant(v);
	}
}

/* An anti-entropy step from the peer, for the feeder: through deliver(),
 * the queue the peer's entries take, so that it comes after the entries
 * the peer sent before it. Packed there: f is gone after the call. */
static void ch_antientropy(void *arg, struct rbs_chan *ch, const Db__RbsFrame *f)
{
	struct svc *v = svc_of(arg, ch);
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;

	if (v == NULL || v->feeder_idlen == 0)
		return; /* nobody to compare with: the next round will */
	if (f->body_case == DB__RBS_FRAME__BODY_COMPARE) {
		m.body_case = DB__RBS_LOCAL__BODY_COMPARE;
		m.compare = f->compare;
	} else if (f->body_case == DB__RBS_FRAME__BODY_SUMMARY) {
		m.body_case = DB__RBS_LOCAL__BODY_SUMMARY;
		m.summary = f->summary;
	} else {
		return;
	}
	deliver(v, &m);
}

const struct rbs_chan_ops rbsd_chan_ops = {ch_deliver, ch_want_batch, ch_room, ch_state,
					   ch_antientropy};
