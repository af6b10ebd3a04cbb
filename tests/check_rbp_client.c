/* The user-information client library: changes reach rbpd complete and in
 * order, in requests of at most 1024 changes with at most 8 outstanding;
 * the changes rbpd refuses come back by seq with rbpd's text; an rbpd that
 * is silent or answers garbage is an error, never a crash; restored users
 * are delivered with every field, by subscription; bad arguments are
 * refused before anything is sent. rbpd is played by a thread (requests)
 * and by the test itself (restored users, on an XPUB that tells when a
 * subscription arrived). */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "rbpclient/rbp_client.h"
#include "rbpd/user_table.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/tmproot.h"
#include "user.pb-c.h"

/* A directory per test case run, made and removed by the runner process,
 * so that it is gone even when a forked test dies on an assertion. */
static char root[64];
/* This test's own directory, inside root: its RUNDIR. */
static char dir[256];

static void root_setup(void)
{
	tmproot_make(root, sizeof(root), "check_rbp_client");
}

static void root_teardown(void)
{
	tmproot_remove(root);
}

static void setup(void)
{
	tmproot_dir(root, dir, sizeof(dir));
}

static void teardown(void)
{
	tmproot_rm(dir);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- The fake rbpd: a ROUTER in a thread ---- */

enum fake_mode {
	FAKE_ANSWER, /* answer each request at once */
	FAKE_SILENT, /* never answer */
	FAKE_HOLD,   /* answer the oldest request only when 8 are unanswered */
	FAKE_JUNK,   /* garbage, a wrong id, two frames, then the right reply */
	FAKE_WILD,   /* errors naming changes the request does not have */
};

/* A change as the fake rbpd received it. */
struct rec {
	int op, type;
	uint8_t mac[6];
	size_t mac_len;
	char ifname[32];
	uint8_t *key;
	size_t key_len;
	uint8_t *payload;
	size_t payload_len;
};

struct held {
	uint8_t ident[256];
	size_t ident_len;
	uint8_t *reply;
	size_t reply_len;
};

struct fake {
	void *ctx, *router;
	void *ctl, *ctl_peer; /* inproc PAIR: the test's orders to the thread */
	pthread_t thread;
	enum fake_mode mode;

	/* What it received; read by the test after fake_stop(). */
	struct rec *recs;
	size_t nrecs, cap;
	size_t nrequests;
	size_t batch[256]; /* changes per request, the first 256 */
	uint64_t last_id;
	int bad; /* requests that broke the protocol */

	struct held held[RBPC_MAX_INFLIGHT + 1];
	size_t nheld, max_held;
};

static void send_to(struct fake *f, const uint8_t *ident, size_t ident_len, const void *body,
		    size_t len)
{
	zmq_send(f->router, ident, ident_len, ZMQ_SNDMORE);
	zmq_send(f->router, body, len, 0);
}

/* A packed UserReply; the caller frees it. */
static uint8_t *make_reply(uint64_t id, uint32_t applied, Db__UserError **errs, size_t nerrs,
			   size_t *len)
{
	Db__UserReply r = DB__USER_REPLY__INIT;
	uint8_t *buf;

	r.id = id;
	r.applied = applied;
	r.errors = errs;
	r.n_errors = nerrs;
	*len = db__user_reply__get_packed_size(&r);
	buf = malloc(*len ? *len : 1);
	ck_assert_ptr_nonnull(buf);
	db__user_reply__pack(&r, buf);
	return buf;
}

static void record(struct fake *f, const Db__UserChange *ch)
{
	struct rec *r;

	if (f->nrecs == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 1024;
		f->recs = realloc(f->recs, f->cap * sizeof(*f->recs));
		ck_assert_ptr_nonnull(f->recs);
	}
	r = &f->recs[f->nrecs++];
	memset(r, 0, sizeof(*r));
	r->op = ch->op;
	r->type = ch->type;
	r->mac_len = ch->mac.len;
	memcpy(r->mac, ch->mac.data, ch->mac.len < 6 ? ch->mac.len : 6);
	snprintf(r->ifname, sizeof(r->ifname), "%s", ch->ifname ? ch->ifname : "(null)");
	r->key_len = ch->key.len;
	r->key = malloc(ch->key.len + 1);
	ck_assert_ptr_nonnull(r->key);
	memcpy(r->key, ch->key.data, ch->key.len);
	r->payload_len = ch->payload.len;
	if (ch->payload.len) {
		r->payload = malloc(ch->payload.len);
		ck_assert_ptr_nonnull(r->payload);
		memcpy(r->payload, ch->payload.data, ch->payload.len);
	}
}

/* Answers one request as the mode says; refuses the changes whose key
 * starts with "bad". */
static void fake_answer(struct fake *f, const uint8_t *ident, size_t ident_len,
			const Db__UserRequest *rq)
{
	Db__UserError errs[RBPC_BATCH_CHANGES], *perrs[RBPC_BATCH_CHANGES];
	char text[RBPC_BATCH_CHANGES][64];
	uint8_t *buf;
	size_t i, n = 0, len;

	if (f->mode == FAKE_WILD) {
		/* change 0 twice, then indexes past the end */
		const uint32_t index[4] = {0, 0, UINT32_MAX, (uint32_t)rq->n_changes};
		const char *what[4] = {"first", "first again", "far away", "just past the end"};

		for (i = 0; i < 4; i++) {
			db__user_error__init(&errs[i]);
			errs[i].index = index[i];
			errs[i].error = (char *)what[i];
			perrs[i] = &errs[i];
		}
		buf = make_reply(rq->id, 0, perrs, 4, &len);
		send_to(f, ident, ident_len, buf, len);
		free(buf);
		return;
	}
	for (i = 0; i < rq->n_changes && i < RBPC_BATCH_CHANGES; i++) {
		const ProtobufCBinaryData *k = &rq->changes[i]->key;

		if (k->len < 3 || memcmp(k->data, "bad", 3) != 0)
			continue;
		db__user_error__init(&errs[n]);
		errs[n].index = (uint32_t)i;
		snprintf(text[n], sizeof(text[n]), "key %.*s is refused", (int)k->len,
			 (const char *)k->data);
		errs[n].error = text[n];
		perrs[n] = &errs[n];
		n++;
	}
	buf = make_reply(rq->id, (uint32_t)(rq->n_changes - n), perrs, n, &len);
	switch (f->mode) {
	case FAKE_SILENT:
		free(buf);
		return;
	case FAKE_HOLD: {
		struct held *h = &f->held[f->nheld++];

		memcpy(h->ident, ident, ident_len);
		h->ident_len = ident_len;
		h->reply = buf;
		h->reply_len = len;
		if (f->nheld > f->max_held)
			f->max_held = f->nheld;
		if (f->nheld == RBPC_MAX_INFLIGHT) {
			send_to(f, f->held[0].ident, f->held[0].ident_len, f->held[0].reply,
				f->held[0].reply_len);
			free(f->held[0].reply);
			memmove(&f->held[0], &f->held[1], --f->nheld * sizeof(f->held[0]));
		}
		return;
	}
	case FAKE_JUNK: {
		static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff};
		size_t wlen;
		uint8_t *wrong = make_reply(rq->id + 1000, (uint32_t)rq->n_changes, NULL, 0, &wlen);

		send_to(f, ident, ident_len, garbage, sizeof(garbage));
		send_to(f, ident, ident_len, wrong, wlen);
		zmq_send(f->router, ident, ident_len, ZMQ_SNDMORE);
		zmq_send(f->router, buf, len, ZMQ_SNDMORE);
		zmq_send(f->router, buf, len, 0);
		free(wrong);
		break;
	}
	default:
		break;
	}
	send_to(f, ident, ident_len, buf, len);
	free(buf);
}

/* Takes one message from the ROUTER: [identity][UserRequest]. */
static void fake_take(struct fake *f)
{
	uint8_t ident[256];
	Db__UserRequest *rq;
	zmq_msg_t m;
	int ident_len;
	size_t i;

	ident_len = zmq_recv(f->router, ident, sizeof(ident), ZMQ_DONTWAIT);
	if (ident_len < 0)
		return;
	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, f->router, 0) < 0 || zmq_msg_more(&m)) {
		f->bad++;
		while (zmq_msg_more(&m) && zmq_msg_recv(&m, f->router, 0) >= 0)
			;
		zmq_msg_close(&m);
		return;
	}
	rq = db__user_request__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
	zmq_msg_close(&m);
	if (rq == NULL) {
		f->bad++;
		return;
	}
	if (rq->n_changes < 1 || rq->n_changes > RBPC_BATCH_CHANGES || rq->id <= f->last_id)
		f->bad++;
	f->last_id = rq->id;
	if (f->nrequests < sizeof(f->batch) / sizeof(f->batch[0]))
		f->batch[f->nrequests] = rq->n_changes;
	f->nrequests++;
	for (i = 0; i < rq->n_changes; i++)
		record(f, rq->changes[i]);
	fake_answer(f, ident, (size_t)ident_len, rq);
	db__user_request__free_unpacked(rq, NULL);
}

static void fake_release(struct fake *f)
{
	size_t i;

	for (i = 0; i < f->nheld; i++) {
		send_to(f, f->held[i].ident, f->held[i].ident_len, f->held[i].reply,
			f->held[i].reply_len);
		free(f->held[i].reply);
	}
	f->nheld = 0;
}

static void *fake_run(void *arg)
{
	struct fake *f = arg;

	for (;;) {
		zmq_pollitem_t it[2] = {
		    {.socket = f->router, .events = ZMQ_POLLIN},
		    {.socket = f->ctl_peer, .events = ZMQ_POLLIN},
		};
		char cmd;

		if (zmq_poll(it, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (it[1].revents & ZMQ_POLLIN) {
			if (zmq_recv(f->ctl_peer, &cmd, 1, 0) != 1 || cmd == 'q')
				break;
			if (cmd == 'r') { /* release what is held, answer from now on */
				fake_release(f);
				f->mode = FAKE_ANSWER;
			}
		}
		if (it[0].revents & ZMQ_POLLIN)
			fake_take(f);
	}
	for (size_t i = 0; i < f->nheld; i++)
		free(f->held[i].reply);
	f->nheld = 0;
	return NULL;
}

static void fake_start(struct fake *f, enum fake_mode mode)
{
	char ep[PATH_MAX];

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->ctx = zmq_ctx_new();
	ck_assert_ptr_nonnull(f->ctx);
	f->router = zmq_socket(f->ctx, ZMQ_ROUTER);
	snprintf(ep, sizeof(ep), "ipc://%s/rbpd-users.ipc", dir);
	ck_assert_int_eq(zmq_bind(f->router, ep), 0);
	f->ctl = zmq_socket(f->ctx, ZMQ_PAIR);
	f->ctl_peer = zmq_socket(f->ctx, ZMQ_PAIR);
	ck_assert_int_eq(zmq_bind(f->ctl, "inproc://ctl"), 0);
	ck_assert_int_eq(zmq_connect(f->ctl_peer, "inproc://ctl"), 0);
	ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_run, f), 0);
}

static void fake_order(struct fake *f, char cmd)
{
	ck_assert_int_eq(zmq_send(f->ctl, &cmd, 1, 0), 1);
}

/* Stops the thread; what it received stays for the test to read. */
static void fake_stop(struct fake *f)
{
	int linger = 0;

	fake_order(f, 'q');
	ck_assert_int_eq(pthread_join(f->thread, NULL), 0);
	zmq_setsockopt(f->router, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(f->router);
	zmq_close(f->ctl);
	zmq_close(f->ctl_peer);
	zmq_ctx_term(f->ctx);
}

static void fake_free(struct fake *f)
{
	size_t i;

	for (i = 0; i < f->nrecs; i++) {
		free(f->recs[i].key);
		free(f->recs[i].payload);
	}
	free(f->recs);
	f->recs = NULL;
	f->nrecs = 0;
}

/* ---- The client side ---- */

static struct rbpc *client(void)
{
	char err[256];
	struct rbpc *c = rbpc_open(dir, err, sizeof(err));

	ck_assert_msg(c != NULL, "rbpc_open: %s", err);
	return c;
}

/* The change number i of a test: every field varies with i. */
struct change {
	int op, type;
	uint8_t mac[6];
	char ifname[16];
	char key[32];
	size_t key_len;
	uint8_t payload[64];
	size_t payload_len;
};

static void gen(size_t i, struct change *ch)
{
	size_t j;

	memset(ch, 0, sizeof(*ch));
	ch->op = i % 7 == 3 ? DB__USER_OP__USER_OP_DELETE : DB__USER_OP__USER_OP_ADD;
	ch->type = UT_SVC_DHCP_SERVER + (int)(i % 5);
	ch->mac[0] = 0x00;
	ch->mac[1] = 0xe0;
	ch->mac[2] = 0xfc;
	ch->mac[3] = (uint8_t)(i >> 16);
	ch->mac[4] = (uint8_t)(i >> 8);
	ch->mac[5] = (uint8_t)i;
	if (i % 1000 == 0)
		strcpy(ch->ifname, "abcdefghijklmno"); /* 15, the longest */
	else
		snprintf(ch->ifname, sizeof(ch->ifname), "eth%zu", i % 4);
	ch->key_len = (size_t)snprintf(ch->key, sizeof(ch->key), "user%06zu", i);
	if (ch->op == DB__USER_OP__USER_OP_ADD) {
		ch->payload_len = i % 50;
		for (j = 0; j < ch->payload_len; j++)
			ch->payload[j] = (uint8_t)(i + j);
	}
}

static int send_change(struct rbpc *c, const struct change *ch)
{
	if (ch->op == DB__USER_OP__USER_OP_DELETE)
		return rbpc_delete(c, ch->type, ch->mac, ch->ifname, ch->key, ch->key_len);
	return rbpc_add(c, ch->type, ch->mac, ch->ifname, ch->key, ch->key_len, ch->payload,
			ch->payload_len);
}

/* The fake rbpd received change i of gen(), field for field. */
static void assert_received(const struct fake *f, size_t at, size_t i)
{
	const struct rec *r = &f->recs[at];
	struct change ch;

	gen(i, &ch);
	ck_assert_int_eq(r->op, ch.op);
	ck_assert_int_eq(r->type, ch.type);
	ck_assert_uint_eq(r->mac_len, 6);
	ck_assert_mem_eq(r->mac, ch.mac, 6);
	ck_assert_str_eq(r->ifname, ch.ifname);
	ck_assert_uint_eq(r->key_len, ch.key_len);
	ck_assert_mem_eq(r->key, ch.key, ch.key_len);
	ck_assert_uint_eq(r->payload_len, ch.payload_len);
	if (ch.payload_len)
		ck_assert_mem_eq(r->payload, ch.payload, ch.payload_len);
}

/* What the error callback was told. */
struct refusals {
	size_t n;
	uint64_t seq[64];
	char text[64][64];
};

static void on_refused(void *arg, uint64_t seq, const char *error)
{
	struct refusals *rf = arg;

	if (rf->n < 64) {
		rf->seq[rf->n] = seq;
		snprintf(rf->text[rf->n], sizeof(rf->text[0]), "%s", error);
	}
	rf->n++;
}

START_TEST(changes_arrive_complete_and_in_order)
{
	struct fake f;
	struct rbpc *c;
	struct change ch;
	uint64_t applied, refused;
	size_t i;

	fake_start(&f, FAKE_ANSWER);
	c = client();
	for (i = 0; i < 10000; i++) {
		gen(i, &ch);
		ck_assert_int_eq(send_change(c, &ch), 0);
	}
	ck_assert_int_eq(rbpc_flush(c), 0);
	rbpc_stats(c, &applied, &refused);
	ck_assert_uint_eq(applied, 10000);
	ck_assert_uint_eq(refused, 0);
	rbpc_close(c);
	fake_stop(&f);

	ck_assert_int_eq(f.bad, 0);
	ck_assert_uint_eq(f.nrecs, 10000);
	for (i = 0; i < 10000; i++)
		assert_received(&f, i, i);
	/* 9 full requests and the rest */
	ck_assert_uint_eq(f.nrequests, 10);
	for (i = 0; i < 9; i++)
		ck_assert_uint_eq(f.batch[i], RBPC_BATCH_CHANGES);
	ck_assert_uint_eq(f.batch[9], 10000 - 9 * RBPC_BATCH_CHANGES);
	fake_free(&f);
}
END_TEST

/* The fake rbpd answers only once it holds 8 requests, so this load ends
 * only if every full batch leaves without a flush and the client keeps 8
 * outstanding instead of waiting for each reply. (That it never sends a
 * ninth is a_silent_rbpd_times_out.) */
START_TEST(full_batches_leave_at_once_and_8_stay_outstanding)
{
	const size_t n = 20 * RBPC_BATCH_CHANGES + 5;
	struct fake f;
	struct rbpc *c;
	struct change ch;
	uint64_t applied;
	size_t i;

	fake_start(&f, FAKE_HOLD);
	c = client();
	for (i = 0; i < n; i++) {
		gen(i, &ch);
		ck_assert_int_eq(send_change(c, &ch), 0);
	}
	fake_order(&f, 'r');
	ck_assert_int_eq(rbpc_flush(c), 0);
	rbpc_stats(c, &applied, NULL);
	ck_assert_uint_eq(applied, n);
	rbpc_close(c);
	fake_stop(&f);

	ck_assert_int_eq(f.bad, 0);
	ck_assert_uint_eq(f.max_held, RBPC_MAX_INFLIGHT);
	ck_assert_uint_eq(f.nrequests, 21);
	for (i = 0; i < 20; i++)
		ck_assert_uint_eq(f.batch[i], RBPC_BATCH_CHANGES);
	ck_assert_uint_eq(f.batch[20], 5);
	ck_assert_uint_eq(f.nrecs, n);
	for (i = 0; i < n; i++)
		assert_received(&f, i, i);
	fake_free(&f);
}
END_TEST

START_TEST(refused_changes_are_reported_by_seq_with_rbpds_text)
{
	static const uint8_t mac[6] = {0, 0xe0, 0xfc, 0x12, 0x34, 0x56};
	struct refusals rf = {0};
	uint64_t want_seq[64], seq = 0, applied, refused;
	char want_text[64][64], key[32];
	size_t i, nwant = 0;
	struct fake f;
	struct rbpc *c;

	fake_start(&f, FAKE_ANSWER);
	c = client();
	rbpc_on_error(c, on_refused, &rf);
	for (i = 0; i < 3000; i++) {
		/* a call that fails takes no seq */
		if (i % 500 == 250)
			ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", "k", 0, NULL, 0),
					 -EINVAL);
		snprintf(key, sizeof(key), "%s%05zu", i % 97 == 13 ? "bad" : "user", i);
		ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", key, strlen(key), "p", 1),
				 0);
		if (i % 97 == 13) {
			want_seq[nwant] = seq;
			snprintf(want_text[nwant], sizeof(want_text[0]), "key %s is refused", key);
			nwant++;
		}
		seq++;
	}
	ck_assert_uint_eq(nwant, 31);
	ck_assert_int_eq(rbpc_flush(c), 31);
	ck_assert_uint_eq(rf.n, 31);
	for (i = 0; i < nwant; i++) {
		ck_assert_uint_eq(rf.seq[i], want_seq[i]);
		ck_assert_str_eq(rf.text[i], want_text[i]);
	}
	rbpc_stats(c, &applied, &refused);
	ck_assert_uint_eq(applied, 3000 - 31);
	ck_assert_uint_eq(refused, 31);

	/* the count is per flush, the seq goes on */
	ck_assert_int_eq(rbpc_flush(c), 0);
	rf.n = 0;
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", "badA", 4, NULL, 0), 0);
	ck_assert_int_eq(rbpc_delete(c, UT_SVC_BRAS, mac, "eth0", "fine", 4), 0);
	ck_assert_int_eq(rbpc_delete(c, UT_SVC_BRAS, mac, "eth0", "badB", 4), 0);
	ck_assert_int_eq(rbpc_flush(c), 2);
	ck_assert_uint_eq(rf.n, 2);
	ck_assert_uint_eq(rf.seq[0], 3000);
	ck_assert_str_eq(rf.text[0], "key badA is refused");
	ck_assert_uint_eq(rf.seq[1], 3002);
	ck_assert_str_eq(rf.text[1], "key badB is refused");
	rbpc_stats(c, &applied, &refused);
	ck_assert_uint_eq(applied, 3000 - 31 + 1);
	ck_assert_uint_eq(refused, 33);
	rbpc_close(c);
	fake_stop(&f);
	ck_assert_int_eq(f.bad, 0);
	fake_free(&f);
}
END_TEST

START_TEST(a_silent_rbpd_times_out)
{
	static const uint8_t mac[6] = {0, 0xe0, 0xfc, 0x12, 0x34, 0x56};
	struct fake f;
	struct rbpc *c;
	int64_t t0, took;
	size_t i;

	fake_start(&f, FAKE_SILENT);
	c = client();
	rbpc_set_timeout(c, 300);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_L2TP, mac, "eth0", "k0", 2, NULL, 0), 0);
	t0 = now_ms();
	ck_assert_int_eq(rbpc_flush(c), -ETIMEDOUT);
	took = now_ms() - t0;
	ck_assert_int_ge(took, 290);
	ck_assert_int_lt(took, 3000);

	/* 1 request is in flight: 7 more fill the window, then a full batch
	 * stays queued, and the change after it waits for a reply to send it
	 * and times out without being queued; rbpd never sees a ninth */
	for (i = 0; i < 8 * RBPC_BATCH_CHANGES; i++)
		ck_assert_int_eq(rbpc_add(c, UT_SVC_L2TP, mac, "eth0", "k", 1, NULL, 0), 0);
	t0 = now_ms();
	ck_assert_int_eq(rbpc_add(c, UT_SVC_L2TP, mac, "eth0", "k", 1, NULL, 0), -ETIMEDOUT);
	took = now_ms() - t0;
	ck_assert_int_ge(took, 290);
	ck_assert_int_lt(took, 3000);
	rbpc_close(c);
	fake_stop(&f);
	ck_assert_uint_eq(f.nrequests, RBPC_MAX_INFLIGHT);
	ck_assert_uint_eq(f.nrecs, 1 + 7 * RBPC_BATCH_CHANGES);
	fake_free(&f);
}
END_TEST

START_TEST(no_rbpd_at_all_times_out)
{
	static const uint8_t mac[6] = {0, 0xe0, 0xfc, 0x12, 0x34, 0x56};
	struct rbpc *c = client();

	rbpc_set_timeout(c, 200);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_IPSEC, mac, "eth0", "k", 1, NULL, 0), 0);
	ck_assert_int_eq(rbpc_flush(c), -ETIMEDOUT);
	rbpc_close(c);
}
END_TEST

/* Garbage, the reply of another id, a reply in two frames: each is one
 * -EPROTO, and the right reply after them is still taken. */
START_TEST(malformed_replies_are_protocol_errors)
{
	static const uint8_t mac[6] = {0, 0xe0, 0xfc, 0x12, 0x34, 0x56};
	struct refusals rf = {0};
	uint64_t applied, refused;
	struct fake f;
	struct rbpc *c;

	fake_start(&f, FAKE_JUNK);
	c = client();
	rbpc_on_error(c, on_refused, &rf);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", "a", 1, NULL, 0), 0);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", "bad", 3, NULL, 0), 0);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", "c", 1, NULL, 0), 0);
	ck_assert_int_eq(rbpc_flush(c), -EPROTO);
	ck_assert_int_eq(rbpc_flush(c), -EPROTO);
	ck_assert_int_eq(rbpc_flush(c), -EPROTO);
	rbpc_stats(c, &applied, &refused);
	ck_assert_uint_eq(applied + refused, 0);
	ck_assert_uint_eq(rf.n, 0);
	ck_assert_int_eq(rbpc_flush(c), 1);
	ck_assert_uint_eq(rf.n, 1);
	ck_assert_uint_eq(rf.seq[0], 1);
	rbpc_stats(c, &applied, &refused);
	ck_assert_uint_eq(applied, 2);
	ck_assert_uint_eq(refused, 1);
	rbpc_close(c);
	fake_stop(&f);
	fake_free(&f);
}
END_TEST

/* The reply comes from another process: errors naming index n of an
 * n-change request, UINT32_MAX, or a change twice count nothing more. */
START_TEST(errors_naming_no_change_of_the_request_are_ignored)
{
	static const uint8_t mac[6] = {0, 0xe0, 0xfc, 0x12, 0x34, 0x56};
	struct refusals rf = {0};
	uint64_t applied, refused;
	struct fake f;
	struct rbpc *c;
	int i;

	fake_start(&f, FAKE_WILD);
	c = client();
	rbpc_on_error(c, on_refused, &rf);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", "k", 1, NULL, 0), 0);
	ck_assert_int_eq(rbpc_flush(c), 1);
	ck_assert_uint_eq(rf.n, 1);
	ck_assert_uint_eq(rf.seq[0], 0);
	ck_assert_str_eq(rf.text[0], "first");
	rbpc_stats(c, &applied, &refused);
	ck_assert_uint_eq(applied, 4);
	ck_assert_uint_eq(refused, 1);
	rbpc_close(c);
	fake_stop(&f);
	fake_free(&f);
}
END_TEST

START_TEST(bad_arguments_are_refused_before_anything_is_sent)
{
	static const uint8_t mac[6] = {0, 0xe0, 0xfc, 0x12, 0x34, 0x56};
	static uint8_t big[RBPC_PAYLOAD_MAX + 1];
	char longdir[400], err[256];
	uint64_t applied;
	struct fake f;
	struct rbpc *c;

	fake_start(&f, FAKE_ANSWER);
	c = client();
	/* types: ARP and ND are rbpd's own, others unknown */
	ck_assert_int_eq(rbpc_add(c, UT_SVC_ARP, mac, "eth0", "k", 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_ND, mac, "eth0", "k", 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_COUNT, mac, "eth0", "k", 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(rbpc_add(c, -1, mac, "eth0", "k", 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_ALL, mac, "eth0", "k", 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(rbpc_delete(c, UT_SVC_ND, mac, "eth0", "k", 1), -EINVAL);
	/* mac, ifname */
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, NULL, "eth0", "k", 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, NULL, "k", 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "", "k", 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "abcdefghijklmnop", "k", 1, NULL, 0),
			 -EINVAL);
	/* key */
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", NULL, 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", "k", 0, NULL, 0), -EINVAL);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", big, RBPC_KEY_MAX + 1, NULL, 0),
			 -EINVAL);
	ck_assert_int_eq(rbpc_delete(c, UT_SVC_BRAS, mac, "eth0", "k", 0), -EINVAL);
	/* payload */
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", "k", 1, NULL, 1), -EINVAL);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", "k", 1, big, sizeof(big)), -EINVAL);
	ck_assert_int_eq(rbpc_add(NULL, UT_SVC_BRAS, mac, "eth0", "k", 1, NULL, 0), -EINVAL);
	/* the limits themselves are fine */
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "abcdefghijklmno", "k", 1, NULL, 0), 0);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", big, RBPC_KEY_MAX, NULL, 0), 0);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", "k", 1, big, RBPC_PAYLOAD_MAX), 0);
	ck_assert_int_eq(rbpc_add(c, UT_SVC_BRAS, mac, "eth0", "k", 1, big, 0), 0);
	ck_assert_int_eq(rbpc_flush(c), 0);
	rbpc_stats(c, &applied, NULL);
	ck_assert_uint_eq(applied, 4);

	ck_assert_int_eq(rbpc_subscribe(c, -2), -EINVAL);
	ck_assert_int_eq(rbpc_subscribe(c, UT_SVC_COUNT), -EINVAL);
	ck_assert_int_eq(rbpc_subscribe(NULL, -1), -EINVAL);
	ck_assert_int_eq(rbpc_recv_restored(c, 0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(rbpc_flush(NULL), -EINVAL);
	rbpc_close(c);
	rbpc_close(NULL);
	fake_stop(&f);
	ck_assert_uint_eq(f.nrecs, 4);
	ck_assert_uint_eq(f.recs[2].payload_len, RBPC_PAYLOAD_MAX);
	fake_free(&f);

	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	ck_assert_ptr_null(rbpc_open(longdir, err, sizeof(err)));
	ck_assert_uint_gt(strlen(err), 0);
	ck_assert_ptr_null(rbpc_open(longdir, NULL, 0));
}
END_TEST

/* ---- Restored users: the test is rbpd's XPUB ---- */

struct ruser {
	uint8_t mac[6];
	size_t mac_len;
	const char *ifname;
	const char *key;
	size_t key_len;
	const char *payload;
	size_t payload_len;
};

struct got {
	size_t n;
	struct {
		int type;
		uint8_t mac[6];
		char ifname[32];
		uint8_t key[256];
		size_t key_len;
		uint8_t payload[256];
		size_t payload_len;
		bool payload_null;
		bool replay;
	} u[32];
};

static void on_restored(void *arg, const struct rbpc_user *u)
{
	struct got *g = arg;

	if (g->n < 32) {
		g->u[g->n].type = u->type;
		memcpy(g->u[g->n].mac, u->mac, 6);
		snprintf(g->u[g->n].ifname, sizeof(g->u[0].ifname), "%s", u->ifname);
		ck_assert_uint_le(u->key_len, 256);
		memcpy(g->u[g->n].key, u->key, u->key_len);
		g->u[g->n].key_len = u->key_len;
		ck_assert_uint_le(u->payload_len, 256);
		if (u->payload_len)
			memcpy(g->u[g->n].payload, u->payload, u->payload_len);
		g->u[g->n].payload_len = u->payload_len;
		g->u[g->n].payload_null = u->payload == NULL;
		g->u[g->n].replay = u->replay;
	}
	g->n++;
}

static void *xpub_open(void *ctx)
{
	char ep[PATH_MAX];
	void *pub = zmq_socket(ctx, ZMQ_XPUB);

	ck_assert_ptr_nonnull(pub);
	snprintf(ep, sizeof(ep), "ipc://%s/rbpd-restored.ipc", dir);
	ck_assert_int_eq(zmq_bind(pub, ep), 0);
	return pub;
}

/* Waits for the subscription to `word` ("" for all) to reach the XPUB:
 * what is published after it is received. */
static void expect_sub(void *pub, const char *word)
{
	zmq_pollitem_t it = {.socket = pub, .events = ZMQ_POLLIN};
	char buf[64];
	int n;

	ck_assert_int_eq(zmq_poll(&it, 1, 5000), 1);
	n = zmq_recv(pub, buf, sizeof(buf), 0);
	ck_assert_int_eq(n, (int)strlen(word) + 1);
	ck_assert_int_eq(buf[0], 1);
	ck_assert_mem_eq(buf + 1, word, strlen(word));
}

static void publish_r(void *pub, const char *word, int type, const struct ruser *u, size_t n,
		      bool replay);

static void publish(void *pub, const char *word, int type, const struct ruser *u, size_t n)
{
	publish_r(pub, word, type, u, n, false);
}

static void publish_r(void *pub, const char *word, int type, const struct ruser *u, size_t n,
		      bool replay)
{
	Db__UserRestored r = DB__USER_RESTORED__INIT;
	Db__UserChange ch[8], *pch[8];
	uint8_t buf[4096];
	size_t i, len;

	ck_assert_uint_le(n, 8);
	for (i = 0; i < n; i++) {
		db__user_change__init(&ch[i]);
		ch[i].op = DB__USER_OP__USER_OP_ADD;
		ch[i].type = (Db__RbsServiceType)type;
		ch[i].mac.data = (uint8_t *)u[i].mac;
		ch[i].mac.len = u[i].mac_len;
		ch[i].ifname = (char *)u[i].ifname;
		ch[i].key.data = (uint8_t *)u[i].key;
		ch[i].key.len = u[i].key_len;
		ch[i].payload.data = (uint8_t *)u[i].payload;
		ch[i].payload.len = u[i].payload_len;
		pch[i] = &ch[i];
	}
	r.type = (Db__RbsServiceType)type;
	r.users = pch;
	r.n_users = n;
	r.replay = replay;
	len = db__user_restored__get_packed_size(&r);
	ck_assert_uint_le(len, sizeof(buf));
	db__user_restored__pack(&r, buf);
	ck_assert_int_eq(zmq_send(pub, word, strlen(word), ZMQ_SNDMORE), (int)strlen(word));
	ck_assert_int_eq(zmq_send(pub, buf, len, 0), (int)len);
}

/* Receives until g holds `want` users; fails after 5 s. */
static void recv_until(struct rbpc *c, struct got *g, size_t want)
{
	int64_t end = now_ms() + 5000;

	while (g->n < want) {
		int rc = rbpc_recv_restored(c, (int)(end - now_ms()), on_restored, g);

		ck_assert_int_gt(rc, 0);
	}
	ck_assert_uint_eq(g->n, want);
}

static void assert_user(const struct got *g, size_t i, int type, const struct ruser *u)
{
	ck_assert_int_eq(g->u[i].type, type);
	ck_assert_mem_eq(g->u[i].mac, u->mac, 6);
	ck_assert_str_eq(g->u[i].ifname, u->ifname);
	ck_assert_uint_eq(g->u[i].key_len, u->key_len);
	ck_assert_mem_eq(g->u[i].key, u->key, u->key_len);
	ck_assert_uint_eq(g->u[i].payload_len, u->payload_len);
	if (u->payload_len)
		ck_assert_mem_eq(g->u[i].payload, u->payload, u->payload_len);
	else
		ck_assert(g->u[i].payload_null);
}

static const struct ruser bras_users[3] = {
    {{0x00, 0xe0, 0xfc, 0x12, 0x34, 0x57}, 6, "eth1", "user1", 5, "session=1", 9},
    {{0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}, 6, "abcdefghijklmno", "\x00\x01\xff", 3, "\x00\xfe", 2},
    {{0x02, 0, 0, 0, 0, 1}, 6, "eth2", "k", 1, NULL, 0},
};
static const struct ruser dhcp_users[2] = {
    {{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, 6, "eth0", "10.0.0.5", 8, "lease", 5},
    {{0x00, 0x11, 0x22, 0x33, 0x44, 0x56}, 6, "eth0", "10.0.0.6", 8, NULL, 0},
};
static const struct ruser l2tp_user = {{0, 1, 2, 3, 4, 5}, 6, "ppp0", "tunnel7", 7, "x", 1};

START_TEST(restored_users_are_delivered_by_subscription)
{
	void *ctx = zmq_ctx_new(), *pub;
	struct got g = {0};
	struct rbpc *c;
	size_t i;

	pub = xpub_open(ctx);
	c = client();
	ck_assert_int_eq(rbpc_recv_restored(c, 0, on_restored, &g), 0);
	ck_assert_int_eq(rbpc_recv_restored(c, 50, on_restored, &g), 0);

	ck_assert_int_eq(rbpc_subscribe(c, UT_SVC_BRAS), 0);
	ck_assert_int_eq(rbpc_subscribe(c, UT_SVC_BRAS), 0); /* harmless */
	expect_sub(pub, "bras");
	publish(pub, "dhcp-server", UT_SVC_DHCP_SERVER, dhcp_users, 2);
	/* passes ZeroMQ's prefix filter, not the library's */
	publish(pub, "brasx", UT_SVC_BRAS, bras_users, 3);
	publish(pub, "bras", UT_SVC_BRAS, bras_users, 3);
	publish(pub, "l2tp", UT_SVC_L2TP, &l2tp_user, 1);
	recv_until(c, &g, 3);
	for (i = 0; i < 3; i++)
		assert_user(&g, i, UT_SVC_BRAS, &bras_users[i]);
	ck_assert_uint_eq(rbpc_restored_dropped(c), 1);

	/* every type, received through the fd as an event loop would */
	ck_assert_int_eq(rbpc_subscribe(c, -1), 0);
	expect_sub(pub, "");
	publish(pub, "dhcp-server", UT_SVC_DHCP_SERVER, dhcp_users, 2);
	publish(pub, "l2tp", UT_SVC_L2TP, &l2tp_user, 1);
	g.n = 0;
	while (g.n < 3) {
		struct pollfd pfd = {.fd = rbpc_restored_fd(c), .events = POLLIN};
		int rc;

		ck_assert_int_ge(pfd.fd, 0);
		ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
		while ((rc = rbpc_recv_restored(c, 0, on_restored, &g)) > 0)
			;
		ck_assert_int_eq(rc, 0);
	}
	ck_assert_uint_eq(g.n, 3);
	assert_user(&g, 0, UT_SVC_DHCP_SERVER, &dhcp_users[0]);
	assert_user(&g, 1, UT_SVC_DHCP_SERVER, &dhcp_users[1]);
	assert_user(&g, 2, UT_SVC_L2TP, &l2tp_user);

	rbpc_close(c);
	zmq_close(pub);
	zmq_ctx_term(ctx);
}
END_TEST

/* A service that could not put rbpd's replay in place asks for it again:
 * the same subscription goes up once more (rbpd's XPUB is verbose), and
 * what rbpd replays is marked so. */
START_TEST(a_replay_is_marked_and_can_be_asked_again)
{
	void *ctx = zmq_ctx_new(), *pub;
	struct got g = {0};
	struct rbpc *c;
	int one = 1;

	pub = xpub_open(ctx);
	ck_assert_int_eq(zmq_setsockopt(pub, ZMQ_XPUB_VERBOSE, &one, sizeof(one)), 0);
	c = client();
	ck_assert_int_eq(rbpc_replay(c, UT_SVC_DHCP_SERVER), -EINVAL); /* not subscribed */
	ck_assert_int_eq(rbpc_subscribe(c, UT_SVC_DHCP_SERVER), 0);
	expect_sub(pub, "dhcp-server");
	publish_r(pub, "dhcp-server", UT_SVC_DHCP_SERVER, dhcp_users, 2, true);
	publish(pub, "dhcp-server", UT_SVC_DHCP_SERVER, dhcp_users, 1);
	recv_until(c, &g, 3);
	ck_assert(g.u[0].replay && g.u[1].replay);
	ck_assert(!g.u[2].replay);
	assert_user(&g, 1, UT_SVC_DHCP_SERVER, &dhcp_users[1]);

	ck_assert_int_eq(rbpc_replay(c, UT_SVC_DHCP_SERVER), 0);
	expect_sub(pub, "dhcp-server");
	ck_assert_int_eq(rbpc_replay(c, -1), -EINVAL);
	ck_assert_int_eq(rbpc_replay(NULL, UT_SVC_DHCP_SERVER), -EINVAL);

	rbpc_close(c);
	zmq_close(pub);
	zmq_ctx_term(ctx);
}
END_TEST

START_TEST(malformed_restored_messages_are_dropped_and_counted)
{
	static const uint8_t garbage[] = {0xff, 0xff, 0xff};
	void *ctx = zmq_ctx_new(), *pub;
	struct ruser mixed[2] = {bras_users[0], bras_users[2]};
	struct got g = {0};
	struct rbpc *c;

	pub = xpub_open(ctx);
	c = client();
	ck_assert_int_eq(rbpc_subscribe(c, -1), 0);
	expect_sub(pub, "");
	zmq_send(pub, "bras", 4, 0); /* no body */
	zmq_send(pub, "bras", 4, ZMQ_SNDMORE);
	zmq_send(pub, garbage, sizeof(garbage), 0);
	zmq_send(pub, "bras", 4, ZMQ_SNDMORE); /* three frames */
	zmq_send(pub, "", 0, ZMQ_SNDMORE);
	zmq_send(pub, "", 0, 0);
	publish(pub, "bras", UT_SVC_L2TP, &l2tp_user, 1); /* word and type disagree */
	publish(pub, "nosuchtype", UT_SVC_L2TP, &l2tp_user, 1);
	mixed[0].mac_len = 5;
	mixed[1].key_len = 0;
	publish(pub, "bras", UT_SVC_BRAS, mixed, 2); /* two bad users */
	publish(pub, "bras", UT_SVC_BRAS, bras_users, 3);
	recv_until(c, &g, 3);
	assert_user(&g, 0, UT_SVC_BRAS, &bras_users[0]);
	ck_assert_uint_eq(rbpc_restored_dropped(c), 7);
	rbpc_close(c);
	zmq_close(pub);
	zmq_ctx_term(ctx);
}
END_TEST

struct got_roles {
	size_t sets, n;
	struct rbpc_role r[4];
	char names[4][2][32];
};

static void on_roles(void *arg, const struct rbpc_role *r, size_t n)
{
	struct got_roles *g = arg;

	g->sets++;
	g->n = n;
	for (size_t i = 0; i < n && i < 4; i++) {
		g->r[i] = r[i];
		snprintf(g->names[i][0], 32, "%s", r[i].profile);
		snprintf(g->names[i][1], 32, "%s", r[i].ifname);
	}
}

static void publish_roles_at(void *pub, const char *word, size_t n, bool master1, uint64_t at,
			     uint32_t replayed)
{
	Db__UserRole r[2] = {DB__USER_ROLE__INIT, DB__USER_ROLE__INIT}, *pr[2] = {&r[0], &r[1]};
	Db__UserRoles m = DB__USER_ROLES__INIT;
	uint8_t buf[512];
	size_t len;

	r[0].profile = r[1].profile = "rbp1";
	r[0].ifname = r[1].ifname = "eth1";
	r[0].vrid = 1;
	r[0].odd_mac = true;
	r[0].master = master1;
	r[0].restored_at_ms = at;
	r[1].vrid = 2;
	m.roles = pr;
	m.n_roles = n;
	m.replayed = replayed;
	len = db__user_roles__get_packed_size(&m);
	db__user_roles__pack(&m, buf);
	zmq_send(pub, word, strlen(word), ZMQ_SNDMORE);
	zmq_send(pub, buf, len, 0);
}

static void publish_roles(void *pub, const char *word, size_t n, bool master1)
{
	publish_roles_at(pub, word, n, master1, 0, 0);
}

/* A set says when each master binding was taken over from the peer's
 * whole table, and whether a replay of every type this client subscribed
 * to came just before it: not when the replay was of other types only,
 * and never for a backup binding. */
START_TEST(roles_say_the_takeover_time_and_a_whole_replay)
{
	void *ctx = zmq_ctx_new(), *pub;
	struct got g = {0};
	struct got_roles gr = {0};
	struct rbpc *c;

	pub = xpub_open(ctx);
	c = client();
	ck_assert_int_eq(rbpc_subscribe(c, UT_SVC_DHCP_SERVER), 0);
	expect_sub(pub, "dhcp-server");
	ck_assert_int_eq(rbpc_subscribe_roles(c, on_roles, &gr), 0);
	expect_sub(pub, "role");
	publish_roles_at(pub, "role", 2, true, 1700000000123ULL, 1u << UT_SVC_ARP);
	while (gr.sets < 1)
		ck_assert_int_gt(rbpc_recv_restored(c, 5000, on_restored, &g), 0);
	ck_assert_uint_eq(gr.r[0].restored_at_ms, 1700000000123ULL);
	ck_assert_uint_eq(gr.r[1].restored_at_ms, 0);
	ck_assert(!gr.r[0].replayed); /* ARP only: not this client's */
	publish_roles_at(pub, "role", 2, true, 1700000000123ULL,
			 1u << UT_SVC_ARP | 1u << UT_SVC_DHCP_SERVER);
	while (gr.sets < 2)
		ck_assert_int_gt(rbpc_recv_restored(c, 5000, on_restored, &g), 0);
	ck_assert(gr.r[0].replayed);
	ck_assert(!gr.r[1].replayed); /* backup */
	/* a second subscribed type not replayed: not whole */
	ck_assert_int_eq(rbpc_subscribe(c, UT_SVC_BRAS), 0);
	expect_sub(pub, "bras");
	publish_roles_at(pub, "role", 2, true, 1, 1u << UT_SVC_DHCP_SERVER);
	while (gr.sets < 3)
		ck_assert_int_gt(rbpc_recv_restored(c, 5000, on_restored, &g), 0);
	ck_assert(!gr.r[0].replayed);
	rbpc_close(c);
	zmq_close(pub);
	zmq_ctx_term(ctx);
}
END_TEST

/* Roles arrive, each set as one delivery, after the users published
 * before them; a role set that does not decode is dropped and counted; a
 * client that subscribed to every type but not to roles ignores them. */
START_TEST(roles_are_delivered_in_order_with_restored_users)
{
	static const uint8_t garbage[] = {0x0a, 0xff};
	void *ctx = zmq_ctx_new(), *pub;
	struct got g = {0};
	struct got_roles gr = {0};
	struct rbpc *c, *other;

	pub = xpub_open(ctx);
	c = client();
	ck_assert_int_eq(rbpc_subscribe_roles(c, NULL, NULL), -EINVAL);
	ck_assert_int_eq(rbpc_subscribe(c, UT_SVC_DHCP_SERVER), 0);
	expect_sub(pub, "dhcp-server");
	ck_assert_int_eq(rbpc_subscribe_roles(c, on_roles, &gr), 0);
	expect_sub(pub, "role");
	publish(pub, "dhcp-server", UT_SVC_DHCP_SERVER, dhcp_users, 2);
	zmq_send(pub, "role", 4, ZMQ_SNDMORE);
	zmq_send(pub, garbage, sizeof(garbage), 0);
	publish_roles(pub, "role", 2, true);
	/* the users first, then the set: 2 + 1 deliveries */
	recv_until(c, &g, 2);
	while (gr.sets == 0)
		ck_assert_int_gt(rbpc_recv_restored(c, 5000, on_restored, &g), 0);
	ck_assert_uint_eq(gr.sets, 1);
	ck_assert_uint_eq(gr.n, 2);
	ck_assert_str_eq(gr.names[0][0], "rbp1");
	ck_assert_str_eq(gr.names[0][1], "eth1");
	ck_assert_uint_eq(gr.r[0].vrid, 1);
	ck_assert(gr.r[0].odd_mac && gr.r[0].master);
	ck_assert_uint_eq(gr.r[1].vrid, 2);
	ck_assert(!gr.r[1].odd_mac && !gr.r[1].master);
	ck_assert_uint_eq(rbpc_restored_dropped(c), 1);

	/* every type, no roles: a role set is neither delivered nor dropped */
	other = client();
	ck_assert_int_eq(rbpc_subscribe(other, -1), 0);
	expect_sub(pub, "");
	publish_roles(pub, "role", 1, false);
	publish(pub, "l2tp", UT_SVC_L2TP, &l2tp_user, 1);
	g.n = 0;
	recv_until(other, &g, 1);
	assert_user(&g, 0, UT_SVC_L2TP, &l2tp_user);
	ck_assert_uint_eq(rbpc_restored_dropped(other), 0);
	rbpc_close(other);
	rbpc_close(c);
	zmq_close(pub);
	zmq_ctx_term(ctx);
}
END_TEST

/* The library names the types with words of its own: they must be rbpd's
 * (ut_svc_name()), or a subscription would never match. */
START_TEST(subscriptions_use_rbpds_words_for_every_type)
{
	void *ctx = zmq_ctx_new(), *pub;
	struct got g = {0};
	struct rbpc *c;
	int t;

	pub = xpub_open(ctx);
	c = client();
	for (t = 0; t < UT_SVC_COUNT; t++) {
		ck_assert_int_eq(rbpc_subscribe(c, t), 0);
		expect_sub(pub, ut_svc_name((enum ut_svc)t));
	}
	for (t = 0; t < UT_SVC_COUNT; t++)
		publish(pub, ut_svc_name((enum ut_svc)t), t, &l2tp_user, 1);
	recv_until(c, &g, UT_SVC_COUNT);
	for (t = 0; t < UT_SVC_COUNT; t++)
		assert_user(&g, (size_t)t, t, &l2tp_user);
	ck_assert_uint_eq(rbpc_restored_dropped(c), 0);
	rbpc_close(c);
	zmq_close(pub);
	zmq_ctx_term(ctx);
}
END_TEST

/* Also the throughput, printed (a number to read, not a limit). */
START_TEST(a_hundred_thousand_adds_arrive_in_order)
{
	const size_t n = 100000;
	static const uint8_t mac[6] = {0, 0xe0, 0xfc, 0x12, 0x34, 0x56};
	static const char payload[32] = "0123456789abcdef0123456789abcde";
	char key[32];
	uint64_t applied;
	struct fake f;
	struct rbpc *c;
	int64_t t0, took;
	size_t i;

	fake_start(&f, FAKE_ANSWER);
	c = client();
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		int len = snprintf(key, sizeof(key), "user%06zu", i);

		ck_assert_int_eq(rbpc_add(c, UT_SVC_DHCP_SERVER, mac, "eth1", key, (size_t)len,
					  payload, sizeof(payload)),
				 0);
	}
	ck_assert_int_eq(rbpc_flush(c), 0);
	took = now_ms() - t0;
	rbpc_stats(c, &applied, NULL);
	ck_assert_uint_eq(applied, n);
	fprintf(stderr, "rbp_client: %zu adds (10-byte key, 32-byte payload) in %lld ms: %.0f/s\n",
		n, (long long)took, took > 0 ? n * 1000.0 / (double)took : 0.0);
	rbpc_close(c);
	fake_stop(&f);
	ck_assert_uint_eq(f.nrecs, n);
	for (i = 0; i < n; i++) {
		int len = snprintf(key, sizeof(key), "user%06zu", i);

		ck_assert_uint_eq(f.recs[i].key_len, (size_t)len);
		ck_assert_mem_eq(f.recs[i].key, key, (size_t)len);
	}
	fake_free(&f);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    changes_arrive_complete_and_in_order,
	    full_batches_leave_at_once_and_8_stay_outstanding,
	    refused_changes_are_reported_by_seq_with_rbpds_text,
	    a_silent_rbpd_times_out,
	    no_rbpd_at_all_times_out,
	    malformed_replies_are_protocol_errors,
	    errors_naming_no_change_of_the_request_are_ignored,
	    bad_arguments_are_refused_before_anything_is_sent,
	    restored_users_are_delivered_by_subscription,
	    a_replay_is_marked_and_can_be_asked_again,
	    malformed_restored_messages_are_dropped_and_counted,
	    roles_are_delivered_in_order_with_restored_users,
	    roles_say_the_takeover_time_and_a_whole_replay,
	    subscriptions_use_rbpds_words_for_every_type,
	    a_hundred_thousand_adds_arrive_in_order,
	    NULL,
	};
	const struct checkrun_case core = {
	    .tests = tests,
	    .timeout = 60,
	    .setup = setup,
	    .teardown = teardown,
	    .unchecked_setup = root_setup,
	    .unchecked_teardown = root_teardown,
	};

	return checkrun("rbp_client", &core, 1);
}
