/*
 * An RBS channel's frames to the peer (rbs_chan_int.h says how its files
 * share the work): the feeder's entries into the window, batch markers and
 * anti-entropy frames in their places among them, framed and flushed as
 * the socket takes them; the window's room and state for the feeder.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "rbsd/rbs_chan_int.h"

int rbs_chan_send_frame(struct link *l, const Db__RbsFrame *f)
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
	rbs_chan_send_frame(l, &f);
}

/* Forget the anti-entropy frames not sent yet (the link they were for is
 * gone): counted as dropped. */
void rbs_chan_drop_ae(struct rbs_chan *ch)
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
void rbs_chan_pump(struct rbs_chan *ch)
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
		ch->peer_batch_awaited = true;
		ch->peer_batches_asked++;
		rbs_chan_send_frame(l, &f);
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
		if (rbs_chan_send_frame(l, &f) < 0)
			return;
		rbs_tx_mark_sent(&ch->tx, next + n - 1);
		ch->entries_tx += n;
	}
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
 * rbs_chan_pump() frames them, markers wait in ch->markers with their place among
 * the entries; an anti-entropy frame written to the connection at once
 * could overtake entries still unsent (the socket was full) or a marker
 * before them. So it waits in ch->ae with its place too (after the last
 * entry pushed, as a marker), and rbs_chan_pump() sends markers and these in the
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
	rbs_chan_pump(ch);
	return 0;
}

void rbs_chan_flush(struct rbs_chan *ch)
{
	rbs_chan_pump(ch);
}

void rbs_chan_request_peer_batch(struct rbs_chan *ch)
{
	ch->want_peer_batch = true;
	rbs_chan_pump(ch);
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
