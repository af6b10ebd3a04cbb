/*
 * Anti-entropy (docs/antientropy.md): while the channel is up, the two
 * tables are compared every AE_INTERVAL_MS while either changes (every
 * AE_IDLE_MS while neither does), coarse to fine, and each side
 * sends only the keys it holds newer (proto/rbs.proto, RbsCompare and
 * RbsSummary). Either device starts rounds, the one whose timer fires
 * first: the other, hearing them, starts none while they keep coming,
 * unless its table changed by no change either side made (moved()).
 * Every step is an answer to the peer's last one, so a round needs no
 * state here beyond its counters, and a step lost with a connection is
 * made up by the next round.
 *
 *   round start   level 0: the digest of each type this table holds
 *   level 0 in    a type that differs: level 1, its 256 bucket digests
 *   level 1 in    the buckets that differ: level 2, their leaf digests
 *   level 2 in    the leaves that differ: a summary of their keys (answer)
 *   summary in    the keys held newer here go to the peer as entries; to
 *                 an answering summary, this side's own summary when the
 *                 peer holds some newer
 *
 * A comparison while changes are in flight may find a difference that the
 * stream repairs by itself a moment later; the entries it resends are
 * stale on arrival and change nothing. Nothing is compared while a batch
 * runs either way, while this table is not whole, or while changes wait
 * for rbsd.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/bitmap.h"
#include "common/log.h"
#include "rbpd/rbp_ae.h"
#include "rbpd/rbpd.h"

#define AE_INTERVAL_MS 5000
#define AE_SOON_MS 1000 /* rbpd_ae_soon() */
/* A table unchanged since its last round is compared again after this
 * long only (the peer's rounds look for the peer's changes). */
#define AE_IDLE_MS 60000
/* Changes waiting for rbsd past which no comparison is started or
 * answered: the tables differ by them, and they are on their way. */
#define AE_QUEUE_MAX 1024
/* The keys of one summary, about: well under the frame's 1 MiB. */
#define SUMMARY_BYTES (256 * 1024)

static bool may_compare(const struct chan *ch)
{
	return ch->attached && ch->up && ch->whole && ch->rx_batch_done && !ch->batch_pending &&
	       !ch->batch_running && !rbpd_rx_batch_running(ch) && ch->stash == NULL &&
	       ch->q.len < AE_QUEUE_MAX;
}

static void send_compare(struct chan *ch, Db__RbsCompare *c)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;

	m.body_case = DB__RBS_LOCAL__BODY_COMPARE;
	m.compare = c;
	rbpd_feed_send(ch, &m);
}

/* ---- a round, and the coarse levels --------------------------------------- */

static void start_round(struct chan *ch)
{
	struct rbpd_ae *ae = &ch->ae;

	ae->round++;
	for (int t = 0; t < UT_SVC_COUNT; t++) {
		Db__RbsCompare c = DB__RBS_COMPARE__INIT;
		uint64_t d = ut_digest(ch->t, (enum ut_svc)t);

		/* a type this table lacks is found by the peer's round */
		if (d == 0)
			continue;
		c.round = ae->round;
		c.type = (Db__RbsServiceType)t;
		c.level = 0;
		c.digests = &d;
		c.n_digests = 1;
		send_compare(ch, &c);
	}
}

/* The digests of every type, folded: equal while the table is unchanged. */
static uint64_t fingerprint(const struct chan *ch)
{
	uint64_t fp = 0;

	for (int t = 0; t < UT_SVC_COUNT; t++)
		fp = (fp << 7 | fp >> 57) ^ ut_digest(ch->t, (enum ut_svc)t);
	return fp;
}

/* The changes made to this table that either side knows of: this device's
 * own (queued for the peer) and the peer's it applied. The table's
 * digests moving while this stands still is a change nobody was told of
 * (a loss): the peer's rounds find it only when its own table changes. */
static uint64_t moved(const struct chan *ch)
{
	return ch->q_pushed + ch->rx_applied;
}

void rbpd_ae_tick(struct rbpd *d)
{
	uint64_t now = uv_now(d->loop), fp;

	for (struct chan *ch = d->chans; ch; ch = ch->next) {
		if (now < ch->ae.next_at)
			continue;
		if (ch->ae.soon && !may_compare(ch)) {
			ch->ae.next_at = now + AE_SOON_MS; /* as soon as it may */
			continue;
		}
		/* 4 to 6 s: two sides that started together drift apart */
		ch->ae.next_at = now + AE_INTERVAL_MS - 1000 + (uint64_t)(rand() % 2000);
		fp = fingerprint(ch);
		/* the peer runs the rounds (it compares for both): two at once
		 * would find the same differences and send them twice; unless
		 * this table changed since the peer's last round by no change
		 * either side made, which the peer's rounds, rare while its
		 * own table stands still, would find late */
		if (!ch->ae.soon && ch->ae.peer_round_at &&
		    now - ch->ae.peer_round_at < AE_INTERVAL_MS * 3 / 2 &&
		    (fp == ch->ae.peer_round_fp || moved(ch) != ch->ae.peer_round_moved))
			continue;
		/* this table as it was at its last round, which the peer's
		 * then matched or was sent: a round could only find a
		 * difference that the peer's table made, and its own rounds
		 * look for that (not within AE_IDLE_MS: a round lost on the
		 * way) */
		if (!ch->ae.soon && ch->ae.round_at && fp == ch->ae.round_fp &&
		    now - ch->ae.round_at < AE_IDLE_MS)
			continue;
		ch->ae.soon = false;
		if (may_compare(ch)) {
			ch->ae.round_fp = fp;
			ch->ae.round_at = now;
			start_round(ch);
		}
	}
}

/* The outcome of a comparison of one type, here or (an answer) at the peer. */
static void compared(struct chan *ch, bool agreed)
{
	ch->ae.compared_at = (uint64_t)time(NULL);
	ch->ae.compared++;
	ch->ae.last_agreed = agreed;
}

void rbpd_ae_soon(struct chan *ch)
{
	uint64_t at = uv_now(ch->d->loop) + AE_SOON_MS;

	if (ch->ae.next_at > at)
		ch->ae.next_at = at;
	ch->ae.soon = true;
}

static void rx_level0(struct chan *ch, const Db__RbsCompare *in)
{
	Db__RbsCompare c = DB__RBS_COMPARE__INIT;
	uint64_t b[AE_BUCKETS], d = ut_digest(ch->t, (enum ut_svc)in->type);

	if (in->answer) {
		/* the peer's word that the type agreed there */
		compared(ch, d == in->digests[0]);
		return;
	}
	ch->ae.peer_round_at = uv_now(ch->d->loop);
	ch->ae.peer_round_fp = fingerprint(ch);
	ch->ae.peer_round_moved = moved(ch);
	compared(ch, d == in->digests[0]);
	c.round = in->round;
	c.type = in->type;
	if (d == in->digests[0]) {
		c.level = 0;
		c.answer = true;
		c.digests = &d;
		c.n_digests = 1;
		send_compare(ch, &c);
		return;
	}
	ch->ae.types_differing++;
	ut_ae_buckets(ch->t, (enum ut_svc)in->type, b);
	c.level = 1;
	c.digests = b;
	c.n_digests = AE_BUCKETS;
	send_compare(ch, &c);
}

static void rx_level1(struct chan *ch, const Db__RbsCompare *in)
{
	Db__RbsCompare c = DB__RBS_COMPARE__INIT;
	uint64_t mine[AE_BUCKETS], *leaves, *out[AE_BUCKETS] = {NULL};
	uint32_t diff[AE_BUCKETS];
	enum ut_svc t = (enum ut_svc)in->type;
	size_t n;

	compared(ch, false); /* the peer found the type differ */
	ut_ae_buckets(ch->t, t, mine);
	n = rbp_ae_diff(mine, in->digests, AE_BUCKETS, diff);
	if (n == 0)
		return; /* repaired meanwhile */
	ch->ae.buckets_differing += n;
	leaves = malloc(n * AE_LEAVES * sizeof(*leaves));
	if (leaves == NULL)
		fatal("malloc");
	for (size_t i = 0; i < n; i++)
		out[diff[i]] = leaves + i * AE_LEAVES;
	ut_ae_leaves(ch->t, t, out);
	c.round = in->round;
	c.type = in->type;
	c.level = 2;
	c.buckets = diff;
	c.n_buckets = n;
	c.digests = leaves;
	c.n_digests = n * AE_LEAVES;
	send_compare(ch, &c);
	free(leaves);
}

/* ---- summaries ------------------------------------------------------------ */

/* The keys of the leaves to summarize, gathered by ut_ae_scan(). */
struct gather {
	struct skey {
		uint32_t slot;
		uint32_t off; /* of the key in buf */
		uint8_t len, type;
		bool deleted;
		uint64_t version;
	} * k;
	size_t n, cap;
	uint8_t *buf;
	size_t used, room;
};

static void gather_cb(void *arg, const struct ut_rec *r, bool deleted)
{
	struct gather *g8 = arg;

	if (g8->n == g8->cap) {
		g8->cap = g8->cap ? 2 * g8->cap : 256;
		g8->k = realloc(g8->k, g8->cap * sizeof(*g8->k));
	}
	if (g8->used + r->key_len > g8->room) {
		g8->room = g8->room ? 2 * g8->room + r->key_len : 4096;
		g8->buf = realloc(g8->buf, g8->room);
	}
	if (g8->k == NULL || g8->buf == NULL)
		fatal("realloc");
	g8->k[g8->n++] = (struct skey){ut_ae_slot(r->type, r->key, r->key_len),
				       (uint32_t)g8->used,
				       (uint8_t)r->key_len,
				       (uint8_t)r->type,
				       deleted,
				       r->version};
	memcpy(g8->buf + g8->used, r->key, r->key_len);
	g8->used += r->key_len;
}

static int by_slot(const void *a, const void *b)
{
	const struct skey *x = a, *y = b;

	return (x->slot > y->slot) - (x->slot < y->slot);
}

/* Sends one summary: the leaves slots[0..nl) and their keys k[0..nk). */
static void send_summary(struct chan *ch, const Db__RbsSummary *tmpl, uint32_t *slots, size_t nl,
			 const struct gather *g8, const struct skey *k, size_t nk)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsSummary s = *tmpl;
	Db__RbsSummaryKey *keys = calloc(nk ? nk : 1, sizeof(*keys));
	Db__RbsSummaryKey **kp = calloc(nk ? nk : 1, sizeof(*kp));

	if (keys == NULL || kp == NULL)
		fatal("calloc");
	for (size_t i = 0; i < nk; i++) {
		db__rbs_summary_key__init(&keys[i]);
		keys[i].key.data = g8->buf + k[i].off;
		keys[i].key.len = k[i].len;
		keys[i].version = k[i].version;
		keys[i].deleted = k[i].deleted;
		kp[i] = &keys[i];
	}
	s.leaves = slots;
	s.n_leaves = nl;
	s.keys = kp;
	s.n_keys = nk;
	m.body_case = DB__RBS_LOCAL__BODY_SUMMARY;
	m.summary = &s;
	rbpd_feed_send(ch, &m);
	ch->ae.keys_summarized += nk;
	free(kp);
	free(keys);
}

/*
 * Summarizes the leaves set in want (ns of them) to the peer, in as many
 * messages as their keys need, each with whole leaves. A leaf whose keys
 * alone overflow a message is not summarized: both tables of the type
 * are exchanged whole instead (a batch each way).
 */
static void summarize(struct chan *ch, enum ut_svc t, uint64_t round, const uint8_t *want,
		      bool answer)
{
	Db__RbsSummary tmpl = DB__RBS_SUMMARY__INIT;
	struct gather g8 = {0};
	uint32_t *slots = malloc(AE_SLOTS * sizeof(*slots));
	size_t nl = 0, ki = 0, first_k = 0, bytes = 0;
	bool whole = true;

	if (slots == NULL)
		fatal("malloc");
	tmpl.round = round;
	tmpl.type = (Db__RbsServiceType)t;
	tmpl.answer = answer;
	ut_ae_scan(ch->t, t, want, gather_cb, &g8);
	if (g8.n) /* none gathered: no array (qsort wants one even for 0) */
		qsort(g8.k, g8.n, sizeof(*g8.k), by_slot);
	for (uint32_t slot = 0; slot < AE_SLOTS && whole; slot++) {
		size_t kb = 0, kn;

		if (!bitmap_test(want, slot))
			continue;
		for (kn = ki; kn < g8.n && g8.k[kn].slot == slot; kn++)
			kb += g8.k[kn].len + 16u;
		if (kb > SUMMARY_BYTES) {
			whole = false;
			break;
		}
		if (nl && bytes + kb > SUMMARY_BYTES) {
			send_summary(ch, &tmpl, slots, nl, &g8, g8.k + first_k, ki - first_k);
			nl = bytes = 0;
			first_k = ki;
		}
		slots[nl++] = slot;
		bytes += kb + 4;
		ki = kn;
	}
	if (whole && nl)
		send_summary(ch, &tmpl, slots, nl, &g8, g8.k + first_k, ki - first_k);
	if (!whole) {
		Db__RbsServiceType ty = (Db__RbsServiceType)t;

		log_warnx("remote-backup-service %s: anti-entropy: one leaf of %s holds too many "
			  "users to summarize; the tables of the type are exchanged whole",
			  ch->name, ut_svc_name(t));
		ch->ae.whole_exchanges++;
		rbpd_feed_want_batch(ch, &ty, 1);
		rbpd_feed_ask_batch(ch, &ty, 1);
	}
	free(slots);
	free(g8.k);
	free(g8.buf);
}

static void rx_level2(struct chan *ch, const Db__RbsCompare *in)
{
	static uint8_t want[AE_SLOTS / 8];
	uint64_t *out[AE_BUCKETS] = {NULL}, *mine;
	uint32_t diff[AE_LEAVES];
	size_t nb = in->n_buckets, n = 0;

	mine = malloc(nb * AE_LEAVES * sizeof(*mine));
	if (mine == NULL)
		fatal("malloc");
	for (size_t i = 0; i < nb; i++)
		out[in->buckets[i]] = mine + i * AE_LEAVES;
	ut_ae_leaves(ch->t, (enum ut_svc)in->type, out);
	memset(want, 0, sizeof(want));
	for (size_t i = 0; i < nb; i++) {
		size_t d =
		    rbp_ae_diff(mine + i * AE_LEAVES, in->digests + i * AE_LEAVES, AE_LEAVES, diff);

		for (size_t j = 0; j < d; j++) {
			unsigned slot = in->buckets[i] * AE_LEAVES + diff[j];

			bitmap_set(want, slot);
		}
		n += d;
	}
	free(mine);
	if (n == 0)
		return;
	ch->ae.leaves_differing += n;
	summarize(ch, (enum ut_svc)in->type, in->round, want, true);
}

/* ---- a summary in: what each side holds newer ---------------------------- */

/* What this table holds of (t, key). */
static struct rbp_ae_key held(const struct chan *ch, enum ut_svc t, const uint8_t *key, size_t klen)
{
	struct ut_rec r;
	uint64_t v;

	if (ut_lookup(ch->t, t, key, klen, &r) == 0)
		return (struct rbp_ae_key){RBP_AE_ENTRY, r.version};
	v = ut_version_held(ch->t, t, key, klen);
	return (struct rbp_ae_key){v ? RBP_AE_TOMB : RBP_AE_NONE, v};
}

/* Sends this table's state of a key the peer holds older. */
static void resend(struct chan *ch, enum ut_svc t, const uint8_t *key, size_t klen,
		   struct rbp_ae_key mine)
{
	struct ut_rec r;

	if (mine.held == RBP_AE_TOMB) {
		rbpd_feed_queue(ch, DB__RBS_OP__RBS_OP_DELETE, t, key, klen, NULL, 0, mine.version);
	} else if (ut_lookup(ch->t, t, key, klen, &r) == 0) {
		rbpd_feed_queue(ch, DB__RBS_OP__RBS_OP_ADD, t, key, klen, r.payload, r.payload_len,
				r.version);
	} else {
		return;
	}
	ch->ae.entries_resent++;
}

struct rx_sum {
	struct chan *ch;
	struct ut_table *theirs; /* the summary's keys: which ones it names */
};

/* A key of this table in the summarized leaves: sent when the peer has
 * none of it (what it holds was compared key by key before). */
static void mine_cb(void *arg, const struct ut_rec *r, bool deleted)
{
	struct rx_sum *x = arg;

	if (deleted || ut_version_held(x->theirs, r->type, r->key, r->key_len) != 0)
		return; /* a tombstone the peer lacks deletes nothing there */
	resend(x->ch, r->type, r->key, r->key_len, (struct rbp_ae_key){RBP_AE_ENTRY, r->version});
}

static void rx_summary(struct chan *ch, const Db__RbsSummary *in)
{
	static uint8_t want[AE_SLOTS / 8];
	enum ut_svc t = (enum ut_svc)in->type;
	struct rx_sum x = {ch, ut_table_new(ch->ae.round + 1, 0)};
	size_t theirs_newer = 0;

	if (x.theirs == NULL)
		fatal("ut_table_new");
	ch->ae.summaries_in++;
	for (size_t i = 0; i < in->n_keys; i++) {
		const Db__RbsSummaryKey *k = in->keys[i];
		struct rbp_ae_key them = {k->deleted ? RBP_AE_TOMB : RBP_AE_ENTRY, k->version};
		struct rbp_ae_key mine = held(ch, t, k->key.data, k->key.len);
		struct ut_rec r = {t, UT_ORIGIN_PEER, k->version ? k->version : 1, k->key.data,
				   k->key.len, NULL, 0};

		ut_upsert(x.theirs, &r);
		switch (rbp_ae_newer(mine, them)) {
		case RBP_AE_MINE:
			resend(ch, t, k->key.data, k->key.len, mine);
			break;
		case RBP_AE_THEIRS:
			theirs_newer++;
			break;
		case RBP_AE_SAME:
			break;
		}
	}
	memset(want, 0, sizeof(want));
	for (size_t i = 0; i < in->n_leaves; i++)
		want[in->leaves[i] / 8] |= (uint8_t)(1u << (in->leaves[i] % 8));
	ut_ae_scan(ch->t, t, want, mine_cb, &x);
	ut_table_free(x.theirs);
	/* the peer sends what it holds newer once it has this side's keys */
	if (in->answer && theirs_newer)
		summarize(ch, t, in->round, want, false);
}

void rbpd_ae_rx_compare(struct chan *ch, const Db__RbsCompare *c)
{
	if (!may_compare(ch) || (unsigned)c->type >= UT_SVC_COUNT)
		return;
	switch (c->level) {
	case 0:
		if (c->n_digests == 1)
			rx_level0(ch, c);
		break;
	case 1:
		if (c->n_digests == AE_BUCKETS)
			rx_level1(ch, c);
		break;
	case 2:
		if (c->n_buckets >= 1 && c->n_buckets <= AE_BUCKETS &&
		    c->n_digests == c->n_buckets * AE_LEAVES)
			rx_level2(ch, c);
		break;
	default:
		break;
	}
}

void rbpd_ae_rx_summary(struct chan *ch, const Db__RbsSummary *s)
{
	if (!may_compare(ch) || (unsigned)s->type >= UT_SVC_COUNT)
		return;
	for (size_t i = 0; i < s->n_leaves; i++)
		if (s->leaves[i] >= AE_SLOTS)
			return;
	for (size_t i = 0; i < s->n_keys; i++)
		if (s->keys[i]->key.len == 0 || s->keys[i]->key.len > USER_KEY_MAX)
			return;
	rx_summary(ch, s);
}

/* ---- the test hook: a table that loses entries behind everyone's back ---- */

void rbpd_ae_test_drop(void *arg, unsigned long permille)
{
	struct rbpd *d = arg;

	for (struct chan *ch = d->chans; ch; ch = ch->next) {
		struct ut_cursor c;
		struct ut_rec r;
		struct gather g8 = {0};
		uint64_t i = 0;

		ut_cursor_open(ch->t, &c, UT_SVC_ALL);
		while (ut_cursor_next(&c, &r))
			if (i++ % 1000 < permille)
				gather_cb(&g8, &r, false);
		ut_cursor_close(&c);
		for (size_t k = 0; k < g8.n; k++)
			ut_forget(ch->t, (enum ut_svc)g8.k[k].type, g8.buf + g8.k[k].off,
				  g8.k[k].len);
		log_warnx("test hook: remote-backup-service %s: %zu of %" PRIu64
			  " users dropped from the table, nobody told",
			  ch->name, g8.n, i);
		free(g8.k);
		free(g8.buf);
	}
}
