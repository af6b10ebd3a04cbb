/*
 * rbs-feeder: stands in for rbpd on rbsd's local endpoint, for tests and
 * benchmarks of the RBS channel.
 *
 *   rbs-feeder -r RUNDIR -s SERVICE [-n COUNT] [-P PAYLOAD] [-t TYPE]
 *              [-u RATE] [-o STATUS] [-q]
 *
 * It attaches to SERVICE, holds COUNT entries of its own (type TYPE,
 * default arp; 8-byte keys; PAYLOAD bytes of payload, default 64) and
 * sends them as rbsd's credit allows; answers batch requests with a
 * whole batch; keeps what rbsd delivers from the peer in a second table,
 * replacing it at each batch (mark and sweep) and checking the batch's
 * digest. With -u it then changes RATE entries per second (a new version
 * each) until stopped. Every 100 ms it writes one line to STATUS:
 *
 *   attached=1 up=1 own=COUNT own_digest=HEX sent=N rx=M rx_digest=HEX
 *   batches=B bad_batches=K lag_p99_us=L lag_n=S lag_p50_us=L lag_p90_us=L
 *   lag_p999_us=L lag_max_us=L t=T batch_end_t=T mismatch=TEXT
 *
 * and one more as soon as a batch from the peer ends. t: when the line
 * was written; batch_end_t: when the last batch from the peer ended
 * (0: none yet); both CLOCK_REALTIME, seconds with nanoseconds.
 *
 * Latency (-u): each payload starts with the send time (CLOCK_REALTIME,
 * ns); the receiving feeder measures arrival minus that, which is only
 * meaningful when both run on one machine (namespaces share the clock).
 * Every update received counts (lag_n), in 1-us steps up to LAT_MAX_US
 * (above it, in the last step: the percentiles then read LAT_MAX_US).
 * SIGTERM or SIGINT ends it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "rbpd/user_table.h"
#include "rbs.pb-c.h"
#include "tests/tools/feeder_link.h"

#define PER_MSG 512
#define LAT_MAX_US 100000 /* latency histogram: 1-us buckets up to 100 ms */

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct feeder {
	struct feeder_link link;
	const char *service, *status;
	enum ut_svc type;
	struct ut_table *own, *rx;
	uint64_t count, next, payload;
	uint64_t sent_total;
	bool batch_pending, batch_running, begin_sent;
	struct ut_cursor cur;
	uint64_t batch_count;
	uint64_t batches, bad_batches;
	char mismatch[512];
	double rate;
	uint64_t upd_start_ns, upd_done;
	uint64_t *lat; /* LAT_MAX_US + 1 buckets */
	uint64_t nlat, lat_max;
	uint64_t batch_end_ns;
	bool status_now;
};

static uint64_t now_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void make_entry(struct feeder *f, uint64_t i, uint64_t version, uint8_t *key,
		       uint8_t *payload)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ull ^ version;

	for (int b = 0; b < 8; b++)
		key[b] = (uint8_t)(i >> (56 - 8 * b));
	for (uint64_t b = 0; b < f->payload; b++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		payload[b] = (uint8_t)x;
	}
	if (f->rate > 0 && f->payload >= 8) {
		uint64_t t = now_ns(CLOCK_REALTIME);

		memcpy(payload, &t, 8);
	}
}

/* Send up to PER_MSG entries from fn; returns how many were sent. */
static size_t send_entries(struct feeder *f, bool (*fn)(struct feeder *, Db__RbsEntry *))
{
	static Db__RbsEntry es[PER_MSG];
	static Db__RbsEntry *ep[PER_MSG];
	static uint8_t keys[PER_MSG][USER_KEY_MAX];
	size_t n = 0;

	while (n < PER_MSG) {
		Db__RbsEntry *e = &es[n];

		db__rbs_entry__init(e);
		e->key.data = keys[n];
		if (!fn(f, e))
			break;
		feeder_link_spend(&f->link, e->key.len, e->payload.len);
		ep[n++] = e;
	}
	if (n == 0)
		return 0;
	feeder_link_send_entries(&f->link, ep, n);
	f->sent_total += n;
	return n;
}

/* The next batch entry, copied out of the cursor. */
static bool next_batch(struct feeder *f, Db__RbsEntry *e)
{
	static uint8_t pay[PER_MSG][1024];
	static size_t slot;
	struct ut_rec r;

	if (!feeder_link_may_send(&f->link, USER_KEY_MAX, f->payload))
		return false;
	if (!ut_cursor_next(&f->cur, &r))
		return false;
	slot = (slot + 1) % PER_MSG;
	memcpy(e->key.data, r.key, r.key_len);
	e->key.len = r.key_len;
	e->payload.data = pay[slot];
	e->payload.len = r.payload_len > sizeof(pay[0]) ? sizeof(pay[0]) : r.payload_len;
	memcpy(pay[slot], r.payload, e->payload.len);
	e->op = DB__RBS_OP__RBS_OP_ADD;
	e->type = (Db__RbsServiceType)r.type;
	e->version = r.version;
	f->batch_count++;
	return true;
}

/* The next live entry: the first load, then updates at the rate. */
static bool next_live(struct feeder *f, Db__RbsEntry *e)
{
	static uint8_t pay[PER_MSG][1024];
	static size_t slot;
	struct ut_rec r = {.type = f->type, .origin = UT_ORIGIN_LOCAL};
	uint64_t i, version = 1;

	if (!feeder_link_may_send(&f->link, 8, f->payload))
		return false;
	if (f->next < f->count) {
		i = f->next++;
	} else if (f->rate > 0) {
		double due = (double)(now_ns(CLOCK_MONOTONIC) - f->upd_start_ns) / 1e9 * f->rate;

		if ((double)f->upd_done >= due)
			return false;
		i = f->upd_done++ % f->count;
		version = 2 + f->upd_done / f->count;
	} else {
		return false;
	}
	slot = (slot + 1) % PER_MSG;
	make_entry(f, i, version, e->key.data, pay[slot]);
	e->key.len = 8;
	e->payload.data = pay[slot];
	e->payload.len = f->payload;
	e->op = DB__RBS_OP__RBS_OP_ADD;
	e->type = (Db__RbsServiceType)f->type;
	e->version = version;
	r.key = e->key.data;
	r.key_len = 8;
	r.payload = pay[slot];
	r.payload_len = f->payload;
	r.version = version;
	ut_upsert(f->own, &r);
	if (f->next == f->count && f->rate > 0 && f->upd_start_ns == 0)
		f->upd_start_ns = now_ns(CLOCK_MONOTONIC);
	return true;
}

static uint64_t digest_types(struct ut_table *t, const Db__RbsServiceType *types, size_t n)
{
	uint64_t d = 0;

	for (size_t i = 0; i < n; i++)
		d += ut_digest(t, (enum ut_svc)types[i]);
	return d;
}

static void pump(struct feeder *f)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;

	if (f->batch_pending && !f->batch_running) {
		Db__RbsBatchBegin b = DB__RBS_BATCH_BEGIN__INIT;
		uint64_t c = 0;

		for (size_t i = 0; i < f->link.n_batch_types; i++)
			c += ut_count(f->own, (enum ut_svc)f->link.batch_types[i]);
		b.types = f->link.batch_types;
		b.n_types = f->link.n_batch_types;
		b.count = c;
		m.body_case = DB__RBS_LOCAL__BODY_BATCH_BEGIN;
		m.batch_begin = &b;
		feeder_link_send(&f->link, &m);
		ut_cursor_open(f->own, &f->cur,
			       f->link.n_batch_types == 1 ? (enum ut_svc)f->link.batch_types[0]
							  : UT_SVC_ALL);
		f->batch_pending = false;
		f->batch_running = true;
		f->batch_count = 0;
	}
	if (f->batch_running) {
		while (send_entries(f, next_batch) > 0)
			;
		if (feeder_link_may_send(&f->link, USER_KEY_MAX, f->payload)) {
			/* the cursor is at its end */
			Db__RbsBatchEnd e = DB__RBS_BATCH_END__INIT;

			ut_cursor_close(&f->cur);
			e.types = f->link.batch_types;
			e.n_types = f->link.n_batch_types;
			e.count = f->batch_count;
			e.digest = digest_types(f->own, f->link.batch_types, f->link.n_batch_types);
			m.body_case = DB__RBS_LOCAL__BODY_BATCH_END;
			m.batch_end = &e;
			feeder_link_send(&f->link, &m);
			f->batch_running = false;
		}
		return;
	}
	while (send_entries(f, next_live) > 0)
		;
}

/* What the link does not take itself (feeder_link_poll()). */
static void received(const Db__RbsLocal *m, void *arg)
{
	struct feeder *f = arg;

	switch (m->body_case) {
	case DB__RBS_LOCAL__BODY_ENTRIES:
		for (size_t i = 0; i < m->entries->n_entries; i++) {
			const Db__RbsEntry *e = m->entries->entries[i];
			struct ut_rec r = {(enum ut_svc)e->type, UT_ORIGIN_PEER, e->version,
					   e->key.data,		 e->key.len,	 e->payload.data,
					   e->payload.len};

			if (e->op == DB__RBS_OP__RBS_OP_DELETE)
				ut_delete(f->rx, r.type, r.key, r.key_len, r.version,
					  UT_ORIGIN_PEER);
			else
				ut_upsert(f->rx, &r);
			if (e->version > 1 && e->payload.len >= 8) {
				uint64_t t, us;

				memcpy(&t, e->payload.data, 8);
				us = (now_ns(CLOCK_REALTIME) - t) / 1000;
				f->lat[us > LAT_MAX_US ? LAT_MAX_US : us]++;
				f->nlat++;
				if (us > f->lat_max)
					f->lat_max = us;
			}
		}
		break;
	case DB__RBS_LOCAL__BODY_BATCH_BEGIN:
		for (size_t i = 0; i < m->batch_begin->n_types; i++)
			ut_resync_begin(f->rx, (enum ut_svc)m->batch_begin->types[i],
					UT_ORIGIN_PEER);
		break;
	case DB__RBS_LOCAL__BODY_BATCH_END: {
		const Db__RbsBatchEnd *e = m->batch_end;

		for (size_t i = 0; i < e->n_types; i++)
			ut_resync_end(f->rx, (enum ut_svc)e->types[i], UT_ORIGIN_PEER);
		f->batches++;
		if (digest_types(f->rx, e->types, e->n_types) != e->digest)
			f->bad_batches++;
		f->batch_end_ns = now_ns(CLOCK_REALTIME);
		f->status_now = true;
		break;
	}
	case DB__RBS_LOCAL__BODY_BATCH_REQUEST:
		if (f->batch_running) {
			ut_cursor_close(&f->cur);
			f->batch_running = false;
		}
		f->batch_pending = f->link.n_batch_types > 0;
		break;
	case DB__RBS_LOCAL__BODY_STATE:
		snprintf(f->mismatch, sizeof(f->mismatch), "%s",
			 m->state->mismatch && m->state->mismatch[0] ? m->state->mismatch : "-");
		break;
	default:
		break;
	}
}

/* The latency at fraction num/den of the samples, in us. */
static uint32_t lat_at(const struct feeder *f, uint64_t num, uint64_t den)
{
	uint64_t rank = f->nlat * num / den, acc = 0;

	for (uint32_t us = 0; us < LAT_MAX_US; us++) {
		acc += f->lat[us];
		if (acc > rank)
			return us;
	}
	return LAT_MAX_US;
}

static void write_status(struct feeder *f)
{
	char tmp[4096];
	FILE *o;
	uint64_t t = now_ns(CLOCK_REALTIME);
	bool l = f->nlat > 0;

	f->status_now = false;
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->status);
	o = fopen(tmp, "w");
	if (o == NULL)
		return;
	fprintf(o,
		"attached=%d up=%d own=%zu own_digest=%016" PRIx64 " sent=%" PRIu64 " rx=%zu "
		"rx_digest=%016" PRIx64 " batches=%" PRIu64 " bad_batches=%" PRIu64
		" lag_p99_us=%u lag_n=%" PRIu64 " lag_p50_us=%u lag_p90_us=%u lag_p999_us=%u"
		" lag_max_us=%" PRIu64 " t=%" PRIu64 ".%09" PRIu64 " batch_end_t=%" PRIu64
		".%09" PRIu64 " mismatch=%s\n",
		f->link.attached, f->link.up, ut_count(f->own, UT_SVC_ALL),
		ut_digest(f->own, UT_SVC_ALL), f->sent_total, ut_count(f->rx, UT_SVC_ALL),
		ut_digest(f->rx, UT_SVC_ALL), f->batches, f->bad_batches,
		l ? lat_at(f, 99, 100) : 0, f->nlat, l ? lat_at(f, 50, 100) : 0,
		l ? lat_at(f, 90, 100) : 0, l ? lat_at(f, 999, 1000) : 0, f->lat_max,
		t / 1000000000u, t % 1000000000u, f->batch_end_ns / 1000000000u,
		f->batch_end_ns % 1000000000u, f->mismatch[0] ? f->mismatch : "-");
	fclose(o);
	rename(tmp, f->status);
}

int main(int argc, char **argv)
{
	struct feeder f = {.payload = 64, .type = UT_SVC_ARP};
	const char *rundir = NULL;
	int c;
	uint64_t last_status = 0;

	while ((c = getopt(argc, argv, "r:s:n:P:t:u:o:")) != -1) {
		switch (c) {
		case 'r':
			rundir = optarg;
			break;
		case 's':
			f.service = optarg;
			break;
		case 'n':
			f.count = strtoull(optarg, NULL, 10);
			break;
		case 'P':
			f.payload = strtoull(optarg, NULL, 10);
			break;
		case 't':
			if (ut_svc_parse(optarg, &f.type) < 0 || f.type == UT_SVC_ALL) {
				fprintf(stderr, "rbs-feeder: unknown type %s\n", optarg);
				return 2;
			}
			break;
		case 'u':
			f.rate = atof(optarg);
			break;
		case 'o':
			f.status = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: rbs-feeder -r RUNDIR -s SERVICE [-n COUNT] [-P PAYLOAD] "
				"[-t TYPE] [-u RATE] [-o STATUS]\n");
			return 2;
		}
	}
	if (rundir == NULL || f.service == NULL || f.payload > 1024 ||
	    (f.rate > 0 && f.count == 0)) {
		fprintf(stderr,
			"rbs-feeder: -r and -s are required; payload at most 1024; -u needs -n\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	f.own = ut_table_new(1, 0);
	f.rx = ut_table_new(2, 0);
	f.lat = calloc(LAT_MAX_US + 1, sizeof(*f.lat));
	if (f.own == NULL || f.rx == NULL || f.lat == NULL ||
	    feeder_link_open(&f.link, rundir, "rbs-feeder", f.service) < 0) {
		fprintf(stderr, "rbs-feeder: cannot start: %s\n", zmq_strerror(errno));
		return 1;
	}
	while (!stop) {
		uint64_t now = now_ns(CLOCK_MONOTONIC) / 1000000;
		int timeout = f.rate > 0 && f.next >= f.count ? 1 : 50;

		feeder_link_attach(&f.link, now);
		feeder_link_poll(&f.link, timeout, received, &f);
		pump(&f);
		if (f.status && (now - last_status >= 100 || f.status_now)) {
			write_status(&f);
			last_status = now;
		}
	}
	if (f.status)
		write_status(&f);
	if (f.batch_running)
		ut_cursor_close(&f.cur);
	feeder_link_close(&f.link);
	ut_table_free(f.own);
	ut_table_free(f.rx);
	free(f.lat);
	return 0;
}
