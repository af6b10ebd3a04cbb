/*
 * The RBS channel (rbsd/rbs_chan.c) as two devices run it: two channels in
 * this process, device A on 127.0.0.1 and device B on 127.0.0.2, on one
 * libuv loop, connected to each other over loopback, in clear text and in
 * TLS with certificates made at run time. What the tests read is what the
 * daemon and the operator see: the ops callbacks (what rbsd hands rbpd),
 * rbs_chan_state(), rbs_chan_json() and rbs_chan_show().
 *
 * Each test runs in its own process (check forks), in a network namespace
 * of its own when it may make one (root), so that its ports are its own;
 * otherwise on the host's loopback with ports the kernel picked. A wait
 * runs the loop one pass at a time until what it waits for happened or
 * its deadline passed (a timer wakes the loop then): no sleep decides an
 * outcome. A raw socket plays a rogue or broken peer where the attack is
 * the point.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <net/if.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "rbsd/rbs_chan.h"
#include "rbsd/rbs_frame.h"
#include "rbsd/rbs_link.h"
#include "rbsd/rbs_tls.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/netns.h"

#define IP_A "127.0.0.1" /* the lower address: it lets B dial first */
#define IP_B "127.0.0.2"
#define IP_STRANGER "127.0.0.3"
#define WAIT_MS 5000 /* the bound of a wait that should end in milliseconds */

/* ---- the loop and its waits ------------------------------------------------ */

static uv_loop_t loop;
static uv_timer_t guard; /* wakes the loop at a wait's deadline */

struct side;
static void feed(struct side *s);
static struct side A, B;
static const char *sides(void);

static void on_guard(uv_timer_t *t)
{
	(void)t;
}

static uint64_t now_ms(void)
{
	uv_update_time(&loop);
	return uv_now(&loop);
}

/* One pass of the loop, then what the feeders do between passes. false
 * once the deadline has passed. */
static bool turn(uint64_t deadline)
{
	uint64_t now = now_ms();

	if (now >= deadline)
		return false;
	uv_timer_start(&guard, on_guard, deadline - now, 0);
	uv_run(&loop, UV_RUN_ONCE);
	feed(&A);
	feed(&B);
	return true;
}

/* Runs the loop until cond holds; fails the test after ms. */
#define WAIT(cond, ms)                                                                             \
	do {                                                                                       \
		uint64_t end_ = now_ms() + (ms);                                                   \
		while (!(cond))                                                                    \
			ck_assert_msg(turn(end_), "not within %d ms: %s (%s)", (int)(ms), #cond,   \
				      sides());                                                    \
	} while (0)

/* Runs the loop for ms whatever happens (to show that something does not). */
static void run_for(unsigned ms)
{
	uint64_t end = now_ms() + ms;

	while (turn(end))
		;
}

/* ---- one device: its channel and what its daemon was told ----------------- */

/* One thing the channel handed the feeder, in order. */
struct got {
	char kind;     /* 'e' entry, 'B' BatchBegin, 'E' BatchEnd, 'C' compare, 'S' summary */
	uint32_t n;    /* entry: its index (from the key); markers: count; AE: round */
	uint64_t x;    /* BatchEnd: digest */
	bool flag;     /* BatchEnd: partial */
	size_t ntypes; /* markers: service types */
};

struct side {
	const char *ip;
	struct rbs_chan *ch;
	struct sockaddr_storage me, peer;
	SSL_CTX *ctx;
	/* ops.state */
	bool up;
	unsigned ups, downs;
	unsigned entries_at_down; /* entries handed over when it last went down */
	char reason[256], mismatch[512];
	/* ops.want_batch */
	unsigned wants;
	size_t want_ntypes;
	bool want_pending;
	bool manual_batch; /* the test answers want_batch itself */
	/* ops.room */
	unsigned rooms;
	/* ops.deliver, ops.antientropy */
	struct got *got;
	size_t ngot, capgot;
	unsigned entries, begins, ends, aes;
	uint64_t first_seq_seen;
	uint8_t *roles; /* the last roles heard, packed */
	size_t roles_len;
	unsigned roles_heard;
};

static void record(struct side *s, struct got g)
{
	if (s->ngot == s->capgot) {
		s->capgot = s->capgot ? s->capgot * 2 : 1024;
		s->got = realloc(s->got, s->capgot * sizeof(*s->got));
		if (s->got == NULL)
			abort();
	}
	s->got[s->ngot++] = g;
}

/* Entry n's key is "k" and n big-endian; UINT32_MAX for another key. No
 * ck_assert here or in the loops of on_deliver(): in a forked test each
 * passing one is a write to check's pipe, and a transfer makes millions. */
static uint32_t key_index(const ProtobufCBinaryData *k)
{
	if (k->len != 5 || k->data[0] != 'k')
		return UINT32_MAX;
	return (uint32_t)k->data[1] << 24 | (uint32_t)k->data[2] << 16 | (uint32_t)k->data[3] << 8 |
	       k->data[4];
}

static void on_deliver(void *arg, struct rbs_chan *ch, const Db__RbsFrame *f)
{
	struct side *s = arg;

	ck_assert_ptr_eq(ch, s->ch);
	switch (f->body_case) {
	case DB__RBS_FRAME__BODY_ENTRIES:
		if (s->first_seq_seen == 0)
			s->first_seq_seen = f->entries->first_seq;
		for (size_t i = 0; i < f->entries->n_entries; i++) {
			const Db__RbsEntry *e = f->entries->entries[i];
			uint32_t n = key_index(&e->key);
			bool intact = e->version == n;

			/* the payload is the entry's, byte for byte */
			for (size_t j = 0; j < e->payload.len && intact; j++)
				intact = e->payload.data[j] == (uint8_t)(n + j);
			record(s, (struct got){intact ? 'e' : '?', n, e->version, false, 0});
			s->entries++;
		}
		break;
	case DB__RBS_FRAME__BODY_BATCH_BEGIN:
		record(s, (struct got){'B', (uint32_t)f->batch_begin->count, 0, false,
				       f->batch_begin->n_types});
		s->begins++;
		break;
	case DB__RBS_FRAME__BODY_BATCH_END:
		record(s, (struct got){'E', (uint32_t)f->batch_end->count, f->batch_end->digest,
				       f->batch_end->partial, f->batch_end->n_types});
		s->ends++;
		break;
	case DB__RBS_FRAME__BODY_KEEPALIVE:
		ck_assert_ptr_nonnull(f->keepalive->roles);
		free(s->roles);
		s->roles_len = db__rbs_roles__get_packed_size(f->keepalive->roles);
		s->roles = malloc(s->roles_len + 1);
		db__rbs_roles__pack(f->keepalive->roles, s->roles);
		s->roles_heard++;
		break;
	default:
		ck_abort_msg("deliver() with body %d", f->body_case);
	}
}

static void on_want_batch(void *arg, struct rbs_chan *ch, const Db__RbsServiceType *types, size_t n)
{
	struct side *s = arg;

	ck_assert_ptr_eq(ch, s->ch);
	s->wants++;
	s->want_ntypes = n;
	s->want_pending = true;
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_lt(types[i], RBS_SVC_COUNT);
}

static void on_room(void *arg, struct rbs_chan *ch)
{
	struct side *s = arg;

	ck_assert_ptr_eq(ch, s->ch);
	s->rooms++;
}

static void on_state(void *arg, struct rbs_chan *ch, bool up, const char *reason,
		     const char *mismatch)
{
	struct side *s = arg;

	ck_assert_ptr_eq(ch, s->ch);
	ck_assert_msg(up != s->up, "state() told %s twice", up ? "up" : "down");
	s->up = up;
	if (up) {
		s->ups++;
	} else {
		s->downs++;
		s->entries_at_down = s->entries;
	}
	snprintf(s->reason, sizeof(s->reason), "%s", reason);
	snprintf(s->mismatch, sizeof(s->mismatch), "%s", mismatch);
}

static void on_antientropy(void *arg, struct rbs_chan *ch, const Db__RbsFrame *f)
{
	struct side *s = arg;

	ck_assert_ptr_eq(ch, s->ch);
	if (f->body_case == DB__RBS_FRAME__BODY_COMPARE)
		record(s, (struct got){'C', (uint32_t)f->compare->round, f->compare->digests[0],
				       false, 0});
	else if (f->body_case == DB__RBS_FRAME__BODY_SUMMARY)
		record(s, (struct got){'S', (uint32_t)f->summary->round, 0, false,
				       f->summary->n_keys});
	else
		ck_abort_msg("antientropy() with body %d", f->body_case);
	s->aes++;
}

/* Both sides in a line, for a wait that failed. */
static const char *sides(void)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
		 "A: up %d ups %u downs %u \"%s\" entries %u wants %u; "
		 "B: up %d ups %u downs %u \"%s\" entries %u wants %u",
		 A.up, A.ups, A.downs, A.reason, A.entries, A.wants, B.up, B.ups, B.downs, B.reason,
		 B.entries, B.wants);
	return buf;
}

static const struct rbs_chan_ops ops = {on_deliver, on_want_batch, on_room, on_state,
					on_antientropy};

/* What rbpd does when told to send a batch and it has nothing to send: an
 * empty batch of the types asked for. */
static void feed(struct side *s)
{
	Db__RbsServiceType all[RBS_SVC_COUNT];
	Db__RbsBatchBegin b = DB__RBS_BATCH_BEGIN__INIT;
	Db__RbsBatchEnd e = DB__RBS_BATCH_END__INIT;

	if (s->ch == NULL || !s->want_pending || s->manual_batch)
		return;
	s->want_pending = false;
	b.n_types = e.n_types = (size_t)rbs_svc_parse("all", all);
	b.types = e.types = all;
	rbs_chan_batch_begin(s->ch, &b);
	rbs_chan_batch_end(s->ch, &e);
	rbs_chan_flush(s->ch);
}

static void addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* A port of ip that nothing uses: the kernel's pick. */
static uint16_t free_port(const char *ip)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	addr(&ss, ip, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	close(fd);
	return port_of(&ss);
}

static void open_side_with(struct side *s, Db__RbsProfile **prof, size_t nprof, char *const *pins,
			   size_t npins)
{
	struct rbs_chan_cfg cfg = {
	    .name = "rbs1",
	    .source = s->me,
	    .peer = s->peer,
	    .ctx = s->ctx,
	    .ssl_policy = s->ctx ? "pol" : NULL,
	    .pins = pins,
	    .n_pins = npins,
	    .profiles = prof,
	    .n_profiles = nprof,
	};
	char why[200] = "";

	ck_assert_msg(rbs_chan_open(&s->ch, &loop, &cfg, &ops, s, why, sizeof(why)) == 0, "%s",
		      why);
	/* the test's feeder: what it is handed counts as applied */
	rbs_chan_feeder_attach(s->ch, 1, false);
}

static void open_side(struct side *s)
{
	open_side_with(s, NULL, 0, NULL, 0);
}

/* Both up, and each has the other's first batch (a first contact resyncs
 * both ways: an empty batch of every type each way); what was recorded so
 * far is forgotten. */
static void connect_pair(void)
{
	open_side(&A);
	open_side(&B);
	WAIT(A.up && B.up && A.ends == 1 && B.ends == 1, WAIT_MS);
	A.ngot = B.ngot = 0;
}

/* ---- entries -------------------------------------------------------------- */

static uint8_t payload_buf[4096];

/* Entry n: key "k" and n big-endian, payload plen bytes (n + j). */
static int push(struct side *s, uint32_t n, size_t plen, uint64_t *seq)
{
	uint8_t key[5] = {'k', (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
			  (uint8_t)n};
	Db__RbsEntry e = DB__RBS_ENTRY__INIT;

	if (plen > sizeof(payload_buf))
		abort();
	for (size_t j = 0; j < plen; j++)
		payload_buf[j] = (uint8_t)(n + j);
	e.op = DB__RBS_OP__RBS_OP_ADD;
	e.type = DB__RBS_SERVICE_TYPE__RBS_SVC_ARP;
	e.key.data = key;
	e.key.len = sizeof(key);
	e.payload.data = payload_buf;
	e.payload.len = plen;
	e.version = n;
	return rbs_chan_push(s->ch, &e, seq);
}

/* Pushes entries first .. first + n - 1, all taken, and sends them. */
static void push_all(struct side *s, uint32_t first, uint32_t n, size_t plen)
{
	for (uint32_t i = first; i < first + n; i++) {
		uint64_t seq = 0;
		int rc = push(s, i, plen, &seq);

		if (rc != 0 || seq == 0)
			ck_abort_msg("push of entry %u: %d, seq %llu", i, rc,
				     (unsigned long long)seq);
	}
	rbs_chan_flush(s->ch);
}

/* What s was handed from position at on: entries first .. first + n - 1,
 * each once, in order. */
static void expect_entries(const struct side *s, size_t at, uint32_t first, uint32_t n)
{
	ck_assert_uint_ge(s->ngot, at + n);
	for (uint32_t i = 0; i < n; i++) {
		const struct got *g = &s->got[at + i];

		if (g->kind != 'e' || g->n != first + i)
			ck_abort_msg("position %zu: %c %u, expected entry %u intact", at + i,
				     g->kind, g->n, first + i);
	}
}

/* ---- what the operator reads ---------------------------------------------- */

static struct json_object *chan_json(const struct side *s)
{
	struct json_object *o = json_object_new_object();

	rbs_chan_json(s->ch, o);
	return o;
}

/* The member at a dotted path ("window.unacknowledged"); NULL for JSON null. */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
		ck_assert_msg(json_object_object_get_ex(o, k, &o), "no %s in the JSON", path);
	return o;
}

static uint64_t ju(const struct side *s, const char *path)
{
	struct json_object *o = chan_json(s);
	uint64_t v = json_object_get_uint64(jget(o, path));

	json_object_put(o);
	return v;
}

/* A string member, copied into buf ("(null)" for JSON null). */
static const char *js(const struct side *s, const char *path, char *buf, size_t len)
{
	struct json_object *o = chan_json(s), *v = jget(o, path);

	snprintf(buf, len, "%s", v ? json_object_get_string(v) : "(null)");
	json_object_put(o);
	return buf;
}

static bool jb(const struct side *s, const char *path)
{
	struct json_object *o = chan_json(s);
	bool v = json_object_get_boolean(jget(o, path));

	json_object_put(o);
	return v;
}

/* `display remote-backup-service`, into a string the caller frees. */
static char *show(const struct side *s, bool verbose)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	rbs_chan_show(s->ch, verbose, f);
	fclose(f);
	return buf;
}

#define ck_assert_contains(hay, needle)                                                            \
	ck_assert_msg(strstr((hay), (needle)) != NULL, "no \"%s\" in:\n%s", (needle), (hay))

/* ---- a raw socket for a rogue or broken peer ------------------------------- */

struct raw {
	int fd;
	struct rbs_dec dec;
	uint8_t in[65536];
	size_t off, len;
	bool eof;
};

static struct raw *raws[8];

/* A connection from ip to dst (the loopback listener takes it into its
 * backlog at once), read without blocking. */
static struct raw *raw_dial(const char *ip, const struct sockaddr_storage *dst)
{
	struct raw *r = calloc(1, sizeof(*r));
	struct sockaddr_storage src;
	size_t i;

	ck_assert_ptr_nonnull(r);
	addr(&src, ip, 0);
	r->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(r->fd, 0);
	ck_assert_int_eq(bind(r->fd, (struct sockaddr *)&src, sizeof(struct sockaddr_in)), 0);
	ck_assert_int_eq(connect(r->fd, (const struct sockaddr *)dst, sizeof(struct sockaddr_in)),
			 0);
	ck_assert_int_eq(fcntl(r->fd, F_SETFL, O_NONBLOCK), 0);
	rbs_dec_init(&r->dec);
	for (i = 0; i < sizeof(raws) / sizeof(raws[0]) && raws[i]; i++)
		;
	ck_assert_uint_lt(i, sizeof(raws) / sizeof(raws[0]));
	raws[i] = r;
	return r;
}

static void raw_close(struct raw *r)
{
	for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++)
		if (raws[i] == r)
			raws[i] = NULL;
	close(r->fd);
	rbs_dec_free(&r->dec);
	free(r);
}

static void raw_send(struct raw *r, const Db__RbsFrame *f)
{
	uint8_t buf[4096];
	int n = rbs_frame_encode(f, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(write(r->fd, buf, (size_t)n), n);
}

/* Reads what came, false when nothing is there now. */
static bool raw_fill(struct raw *r)
{
	ssize_t n;

	if (r->off < r->len || r->eof)
		return r->off < r->len;
	n = read(r->fd, r->in, sizeof(r->in));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		r->eof = true;
		return false;
	}
	if (n < 0)
		return false;
	r->off = 0;
	r->len = (size_t)n;
	return true;
}

/* The next frame from the channel (release it with rbs_dec_release()),
 * NULL when it closed the connection first. */
static Db__RbsFrame *raw_frame(struct raw *r)
{
	uint64_t end = now_ms() + WAIT_MS;
	Db__RbsFrame *f = NULL;

	for (;;) {
		while (raw_fill(r)) {
			const uint8_t *p = r->in + r->off;
			size_t left = r->len - r->off;
			int rc = rbs_dec_next(&r->dec, &p, &left, &f);

			ck_assert_int_ge(rc, 0);
			r->off = r->len - left;
			if (rc > 0)
				return f;
		}
		if (r->eof)
			return NULL;
		ck_assert_msg(turn(end), "no frame from the channel");
	}
}

/* Runs the loop until the channel closed the connection, reading (and
 * dropping) what it sends meanwhile. */
static void raw_wait_closed(struct raw *r)
{
	uint64_t end = now_ms() + WAIT_MS;

	for (;;) {
		while (raw_fill(r))
			r->off = r->len;
		if (r->eof)
			return;
		ck_assert_msg(turn(end), "the channel did not close the connection");
	}
}

/* A raw listener for a fake peer: counts the connections the channel
 * makes to it; each is kept open (and silent) until the test ends. */
struct fake {
	int fd;
	int conns[64];
	unsigned n;
};

static struct fake *fakes[2];

static struct fake *fake_listen(const struct sockaddr_storage *at)
{
	struct fake *k = calloc(1, sizeof(*k));

	ck_assert_ptr_nonnull(k);
	k->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(setsockopt(k->fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int)), 0);
	ck_assert_int_eq(bind(k->fd, (const struct sockaddr *)at, sizeof(struct sockaddr_in)), 0);
	ck_assert_int_eq(listen(k->fd, 64), 0);
	fakes[fakes[0] ? 1 : 0] = k;
	return k;
}

/* Takes the connections waiting; returns the one taken last (-1: none). */
static int fake_accept(struct fake *k)
{
	int fd, last = -1;

	while ((fd = accept4(k->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		ck_assert_uint_lt(k->n, sizeof(k->conns) / sizeof(k->conns[0]));
		k->conns[k->n++] = fd;
		last = fd;
	}
	return last;
}

static void fake_close(struct fake *k)
{
	for (unsigned i = 0; i < k->n; i++)
		close(k->conns[i]);
	close(k->fd);
	for (size_t i = 0; i < 2; i++)
		if (fakes[i] == k)
			fakes[i] = NULL;
	free(k);
}

/* ---- TLS material, made once per run ---------------------------------------- */

static char tls_dir[] = "/tmp/check_rbs_chan.XXXXXX";
static char fp_b[RBS_TLS_FP_LEN], fp_rogue[RBS_TLS_FP_LEN];

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v;
	X509_EXTENSION *e;

	X509V3_set_ctx_nodb(&v);
	X509V3_set_ctx(&v, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v, nid, value);
	ck_assert_ptr_nonnull(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* A certificate for cn with key, signed by issuer (NULL: self-signed). */
static X509 *cert_new(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	if (issuer == NULL) {
		add_ext(x, NULL, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
	}
	ck_assert_int_gt(X509_sign(x, ikey ? ikey : key, EVP_sha256()), 0);
	return x;
}

static void write_pem(const char *name, X509 *x, EVP_PKEY *key)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.pem", tls_dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_X509(f, x), 1);
	fclose(f);
	if (key == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s.key", tls_dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

static void fingerprint(X509 *x, char fp[RBS_TLS_FP_LEN])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	ck_assert_int_eq(X509_digest(x, EVP_sha256(), md, &len), 1);
	ck_assert_uint_eq(len, 32);
	rbs_tls_fp_format(md, fp);
}

/* The CA's CRL (crl.pem), revoking cert. */
static void write_crl(X509 *ca, EVP_PKEY *kca, X509 *cert)
{
	X509_CRL *crl = X509_CRL_new();
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_TIME *t = ASN1_TIME_adj(NULL, time(NULL), -1, 0);
	char path[256];
	FILE *f;

	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
	X509_CRL_set1_lastUpdate(crl, t);
	X509_REVOKED_set_revocationDate(rev, t);
	ASN1_TIME_adj(t, time(NULL), 1, 0);
	X509_CRL_set1_nextUpdate(crl, t);
	ASN1_TIME_free(t);
	X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(cert));
	X509_CRL_add0_revoked(crl, rev);
	X509_CRL_sort(crl);
	ck_assert_int_gt(X509_CRL_sign(crl, kca, EVP_sha256()), 0);
	snprintf(path, sizeof(path), "%s/crl.pem", tls_dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_X509_CRL(f, crl), 1);
	fclose(f);
	X509_CRL_free(crl);
}

/* A CA with certificates for A and B, a CRL of that CA revoking B's, and
 * another CA with a certificate for a rogue that claims to be B. */
static void tls_make(void)
{
	EVP_PKEY *kca = EVP_EC_gen("P-256"), *ka = EVP_EC_gen("P-256"), *kb = EVP_EC_gen("P-256");
	EVP_PKEY *kr = EVP_EC_gen("P-256"), *krca = EVP_EC_gen("P-256");
	X509 *ca, *a, *b, *rca, *r;

	ck_assert_ptr_nonnull(mkdtemp(tls_dir));
	ca = cert_new("rbs-test-ca", kca, NULL, NULL);
	a = cert_new("rbs-a", ka, ca, kca);
	b = cert_new("rbs-b", kb, ca, kca);
	rca = cert_new("rbs-rogue-ca", krca, NULL, NULL);
	r = cert_new("rbs-b", kr, rca, krca);
	write_pem("ca", ca, NULL);
	write_pem("a", a, ka);
	write_pem("b", b, kb);
	write_pem("rogue", r, kr);
	write_crl(ca, kca, b);
	fingerprint(b, fp_b);
	fingerprint(r, fp_rogue);
	X509_free(ca);
	X509_free(a);
	X509_free(b);
	X509_free(rca);
	X509_free(r);
	EVP_PKEY_free(kca);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
	EVP_PKEY_free(kr);
	EVP_PKEY_free(krca);
}

static void tls_remove(void)
{
	static const char *names[] = {"ca", "a", "b", "rogue"};
	char path[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.pem", tls_dir, names[i]);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s.key", tls_dir, names[i]);
		unlink(path); /* none for the CA */
	}
	snprintf(path, sizeof(path), "%s/crl.pem", tls_dir);
	unlink(path);
	rmdir(tls_dir);
}

/* The context of SSL policy "pol" with cert NAME.pem, trusting the CA,
 * and with its CRL when crl. */
static SSL_CTX *tls_ctx_crl(const char *name, char *const *pins, size_t npins, bool crl)
{
	Db__SslPolicyConfig p = DB__SSL_POLICY_CONFIG__INIT;
	char cert[256], key[256], ca[256], crlf[256], why[256] = "";
	char *cas[] = {ca}, *crls[] = {crlf};
	SSL_CTX *ctx;

	snprintf(cert, sizeof(cert), "%s/%s.pem", tls_dir, name);
	snprintf(key, sizeof(key), "%s/%s.key", tls_dir, name);
	snprintf(ca, sizeof(ca), "%s/ca.pem", tls_dir);
	p.name = "pol";
	p.cert_file = cert;
	p.key_file = key;
	p.n_ca_files = 1;
	p.ca_files = cas;
	snprintf(crlf, sizeof(crlf), "%s/crl.pem", tls_dir);
	if (crl) {
		p.n_crl_files = 1;
		p.crl_files = crls;
	}
	ctx = rbs_tls_ctx_new(&p, pins, npins, why, sizeof(why));
	ck_assert_msg(ctx != NULL, "%s", why);
	return ctx;
}

static SSL_CTX *tls_ctx(const char *name, char *const *pins, size_t npins)
{
	return tls_ctx_crl(name, pins, npins, false);
}

/* ---- fixture ------------------------------------------------------------------ */

/* A network namespace of this test's own when it may have one: its ports
 * are then its own. Otherwise the host's loopback, ports picked by the
 * kernel. */
static void own_loopback(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		return;
	ck_assert_int_eq(netns_lo_up(), 0);
}

static void setup(void)
{
	own_loopback();
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	uv_timer_init(&loop, &guard);
	memset(&A, 0, sizeof(A));
	memset(&B, 0, sizeof(B));
	A.ip = IP_A;
	B.ip = IP_B;
	addr(&A.me, IP_A, free_port(IP_A));
	addr(&B.me, IP_B, free_port(IP_B));
	A.peer = B.me;
	B.peer = A.me;
}

static void side_free(struct side *s)
{
	rbs_chan_close(s->ch);
	s->ch = NULL;
	if (s->ctx)
		SSL_CTX_free(s->ctx);
	free(s->got);
	free(s->roles);
}

/* Everything closed, and the loop proves it: nothing is left on it. */
static void teardown(void)
{
	side_free(&A);
	side_free(&B);
	for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++)
		if (raws[i])
			raw_close(raws[i]);
	for (size_t i = 0; i < 2; i++)
		if (fakes[i])
			fake_close(fakes[i]);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}

/* ---- clear text ----------------------------------------------------------------- */

START_TEST(the_channels_connect_in_clear_text_and_say_so)
{
	bool up;
	const char *reason, *mismatch;
	char buf[256], peer[64];
	char *text;

	open_side(&A);
	open_side(&B);
	/* before any connection: connecting, and why */
	ck_assert(!rbs_chan_up(A.ch));
	ck_assert_str_eq(js(&A, "state", buf, sizeof(buf)), "Connecting");
	ck_assert_str_eq(js(&A, "down_reason", buf, sizeof(buf)), "dialing the peer");
	WAIT(A.up && B.up, WAIT_MS);
	ck_assert_str_eq(rbs_chan_name(A.ch), "rbs1");
	ck_assert(rbs_chan_up(A.ch) && rbs_chan_up(B.ch));
	/* the state names the peer: B's connection comes from B's address,
	 * and B reached A's port */
	rbs_chan_state(A.ch, &up, &reason, &mismatch);
	ck_assert(up);
	ck_assert_str_eq(reason, A.reason);
	ck_assert_msg(strncmp(reason, IP_B ":", strlen(IP_B) + 1) == 0, "%s", reason);
	snprintf(peer, sizeof(peer), "%s:%u", IP_A, port_of(&A.me));
	rbs_chan_state(B.ch, &up, &reason, &mismatch);
	ck_assert_str_eq(reason, peer);
	ck_assert_str_eq(mismatch, "");
	/* first contact: each side owes the other a batch of every type */
	ck_assert_uint_eq(A.wants, 1);
	ck_assert_uint_eq(A.want_ntypes, RBS_SVC_COUNT);
	ck_assert_uint_eq(B.wants, 1);
	ck_assert(rbs_chan_rx_full_batch(A.ch) && rbs_chan_rx_full_batch(B.ch));
	WAIT(A.ends == 1 && B.ends == 1, WAIT_MS);
	ck_assert_uint_eq(A.got[0].kind, 'B');
	ck_assert_uint_eq(A.got[0].ntypes, RBS_SVC_COUNT);
	ck_assert_uint_eq(A.got[1].kind, 'E');

	/* the JSON an operator's tools read */
	ck_assert_str_eq(js(&A, "state", buf, sizeof(buf)), "Connected");
	ck_assert(jb(&A, "up"));
	ck_assert_str_eq(js(&A, "down_reason", buf, sizeof(buf)), "(null)");
	ck_assert_str_eq(js(&A, "peer_name", buf, sizeof(buf)), A.reason);
	ck_assert_str_eq(js(&A, "peer", buf, sizeof(buf)), IP_B);
	ck_assert_str_eq(js(&A, "source", buf, sizeof(buf)), IP_A);
	ck_assert_uint_eq(ju(&A, "port"), port_of(&B.me));
	ck_assert_uint_eq(ju(&A, "protocol_version"), RBS_PROTO_VERSION);
	ck_assert_uint_eq(ju(&A, "peer_protocol_version"), RBS_PROTO_VERSION);
	ck_assert(!jb(&A, "tls.enabled"));
	ck_assert_str_eq(js(&A, "tls.protocol", buf, sizeof(buf)), "(null)");
	ck_assert(!jb(&A, "identity.authenticated"));
	ck_assert_str_eq(js(&A, "tcp.state", buf, sizeof(buf)), "established");
	ck_assert_uint_eq(ju(&A, "reconnects"), 0);
	ck_assert_uint_eq(ju(&A, "refused_peers"), 0);
	ck_assert_uint_eq(ju(&B, "refused_peers"), 0);
	ck_assert_str_eq(js(&A, "batch_sent.state", buf, sizeof(buf)), "completed");
	ck_assert_str_eq(js(&A, "batch_sent.service_types", buf, sizeof(buf)),
			 "arp nd dhcp-server dhcpv6-relay bras l2tp ipsec");
	ck_assert_uint_gt(ju(&A, "bytes_sent"), 0);
	ck_assert_uint_gt(ju(&A, "bytes_received"), 0);
	ck_assert_str_eq(js(&A, "profile_mismatch", buf, sizeof(buf)), "(null)");

	/* and what `display remote-backup-service rbs1 verbose` says */
	text = show(&A, true);
	ck_assert_contains(text, "State          : Connected (up 0d 00:00:0");
	ck_assert_contains(text, "Peer           : " IP_B "\n");
	ck_assert_contains(text, "Source         : " IP_A "\n");
	ck_assert_contains(text, "TLS            : OFF - no ssl policy bound");
	ck_assert_contains(text, "Peer identity  : none - clear text");
	ck_assert_contains(text, "Batch backup   : completed");
	ck_assert_contains(text, "Reconnects     : 0");
	ck_assert_contains(text, "Refused peers  : 0\n");
	ck_assert_contains(text, "Peer profiles  : consistent");
	ck_assert_contains(text, "Protocol       : version 2, the peer's 2");
	ck_assert_contains(text, "TCP            : established");
	ck_assert_contains(text, "Last down      : never");
	free(text);
}
END_TEST

START_TEST(entries_pushed_on_a_arrive_on_b_in_order_and_once)
{
	enum { N = 5000 };
	uint64_t acked, resyncs, from, to, room_e, room_b;
	char *text;

	connect_pair();
	push_all(&A, 0, N, 40);
	push_all(&B, 100000, 100, 0); /* the other way at the same time */
	WAIT(B.entries == N && A.entries == 100, WAIT_MS);
	expect_entries(&B, 0, 0, N);
	expect_entries(&A, 0, 100000, 100);
	/* every entry is acknowledged: the window is empty again */
	WAIT(ju(&A, "window.unacknowledged") == 0, WAIT_MS);
	rbs_chan_tx_state(A.ch, &acked, &resyncs, &from, &to);
	ck_assert_uint_eq(acked, N);
	ck_assert_uint_eq(resyncs, 1); /* the first contact */
	ck_assert_uint_eq(from, 0);
	rbs_chan_room(A.ch, &room_e, &room_b);
	ck_assert_uint_eq(room_e, RBS_CHAN_WIN_ENTRIES);
	ck_assert_uint_eq(room_b, RBS_CHAN_WIN_BYTES);
	ck_assert_uint_gt(A.rooms, 1);
	ck_assert_uint_eq(ju(&A, "entries_sent"), N);
	ck_assert_uint_eq(ju(&B, "entries_received"), N);
	ck_assert_uint_eq(ju(&A, "window.acknowledged_seq"), N);
	ck_assert_uint_eq(ju(&A, "window.pushed_seq"), N);
	ck_assert_uint_eq(ju(&B, "window.received_seq"), N);
	ck_assert_uint_eq(ju(&A, "replication_lag_ms"), 0);
	text = show(&A, true);
	ck_assert_contains(text, "Entries        : sent 5000, received 100, resent after resume 0");
	ck_assert_contains(text, "Window         : 0 unacknowledged (0 bytes), 0 not sent yet");
	ck_assert_contains(text, "Acknowledged   : up to seq 5000 of 5000 sent, 5000 pushed; "
				 "received up to seq 100");
	free(text);
}
END_TEST

START_TEST(an_entry_the_window_cannot_hold_is_refused)
{
	Db__RbsEntry e = DB__RBS_ENTRY__INIT;
	uint8_t k = 1;

	connect_pair();
	e.op = DB__RBS_OP__RBS_OP_ADD;
	e.type = DB__RBS_SERVICE_TYPE__RBS_SVC_ND;
	ck_assert_int_eq(rbs_chan_push(A.ch, &e, NULL), -EINVAL); /* no key */
	e.key.data = &k;
	e.key.len = 1;
	e.op = DB__RBS_OP__RBS_OP_NONE;
	ck_assert_int_eq(rbs_chan_push(A.ch, &e, NULL), -EINVAL);
	e.op = DB__RBS_OP__RBS_OP_DELETE;
	e.payload.data = payload_buf;
	e.payload.len = RBS_ENTRY_MAX;
	ck_assert_int_eq(rbs_chan_push(A.ch, &e, NULL), -EMSGSIZE);
	/* and the channel goes on */
	push_all(&A, 7, 1, 0);
	WAIT(B.entries == 1, WAIT_MS);
	expect_entries(&B, 0, 7, 1);
}
END_TEST

/* A first contact owes the peer a full batch: what the feeder pushes
 * before its BatchBegin is left out (the batch carries it), and then a
 * batch arrives whole, in its place among live entries. */
START_TEST(a_batch_arrives_whole_and_in_its_place)
{
	Db__RbsServiceType types[] = {DB__RBS_SERVICE_TYPE__RBS_SVC_ARP,
				      DB__RBS_SERVICE_TYPE__RBS_SVC_ND};
	Db__RbsBatchBegin bb = DB__RBS_BATCH_BEGIN__INIT;
	Db__RbsBatchEnd be = DB__RBS_BATCH_END__INIT;
	uint64_t seq = 99;
	char buf[256], *text;

	A.manual_batch = true;
	open_side(&A);
	open_side(&B);
	WAIT(A.up && B.up && A.wants == 1, WAIT_MS);
	ck_assert_str_eq(js(&A, "batch_sent.state", buf, sizeof(buf)), "none");
	/* left out until the batch begins */
	ck_assert_int_eq(push(&A, 1, 8, &seq), 0);
	ck_assert_uint_eq(seq, 0);
	rbs_chan_batch_end(A.ch, &be); /* the end of a batch never begun: ignored */

	bb.n_types = be.n_types = 2;
	bb.types = be.types = types;
	bb.count = 100;
	rbs_chan_batch_begin(A.ch, &bb);
	push_all(&A, 1000, 60, 16);
	ck_assert_str_eq(js(&A, "batch_sent.state", buf, sizeof(buf)), "in-progress");
	ck_assert_uint_eq(ju(&A, "batch_sent.queued"), 60);
	ck_assert_uint_eq(ju(&A, "batch_sent.expected"), 100);
	text = show(&A, false);
	ck_assert_contains(text, "Batch backup   : in progress (arp nd), 60 of 100 entries queued");
	free(text);
	push_all(&A, 1060, 40, 16);
	be.count = 100;
	be.digest = 0x0123456789abcdefull;
	be.partial = true;
	rbs_chan_batch_end(A.ch, &be);
	ck_assert_str_eq(js(&A, "batch_sent.state", buf, sizeof(buf)), "waiting-for-ack");
	text = show(&A, false);
	ck_assert_contains(text,
			   "Batch backup   : 100 entries (arp nd) sent, waiting for the peer's "
			   "ACK");
	free(text);
	push_all(&A, 5000, 10, 0); /* live entries after the batch */
	rbs_chan_flush(A.ch);
	WAIT(B.entries == 110, WAIT_MS);
	/* B: the batch, whole, then the live entries */
	ck_assert_uint_eq(B.got[0].kind, 'B');
	ck_assert_uint_eq(B.got[0].n, 100);
	ck_assert_uint_eq(B.got[0].ntypes, 2);
	expect_entries(&B, 1, 1000, 100);
	ck_assert_uint_eq(B.got[101].kind, 'E');
	ck_assert_uint_eq(B.got[101].n, 100);
	ck_assert_uint_eq(B.got[101].x, 0x0123456789abcdefull);
	ck_assert(B.got[101].flag);
	expect_entries(&B, 102, 5000, 10);
	ck_assert_uint_eq(B.first_seq_seen, 1); /* the left-out entry took no seq */
	WAIT(ju(&A, "window.unacknowledged") == 0, WAIT_MS);
	ck_assert_str_eq(js(&A, "batch_sent.state", buf, sizeof(buf)), "completed");
	ck_assert_uint_eq(ju(&A, "batch_sent.last_count"), 100);
	ck_assert_uint_gt(ju(&A, "batch_sent.completed_at"), 0);
	ck_assert_uint_eq(ju(&B, "batch_received.count"), 110);
	ck_assert_uint_gt(ju(&B, "batch_received.completed_at"), 0);
	text = show(&B, false);
	ck_assert_contains(text, "Batch received : completed");
	free(text);
}
END_TEST

/* B's feeder is full: B holds, reads and acknowledges nothing, and A's
 * window fills until A refuses pushes; released, B gets all of it and A
 * has room again. */
START_TEST(the_window_holds_pushes_back_while_the_peer_holds_and_resumes)
{
	uint64_t room_e, room_b;
	uint32_t n = 0;
	int rc;
	char *text;

	connect_pair();
	rbs_chan_hold(B.ch, true);
	rbs_chan_hold(B.ch, true); /* twice is once */
	while ((rc = push(&A, n, 4, NULL)) == 0)
		n++;
	ck_assert_int_eq(rc, -EAGAIN);
	ck_assert_uint_eq(n, RBS_CHAN_WIN_ENTRIES);
	rbs_chan_room(A.ch, &room_e, &room_b);
	ck_assert_uint_eq(room_e, 0);
	rbs_chan_flush(A.ch);
	/* while B holds, nothing is handed over nor acknowledged */
	run_for(100);
	ck_assert_uint_eq(B.entries, 0);
	ck_assert_uint_eq(ju(&A, "window.acknowledged_seq"), 0);
	ck_assert_int_eq(push(&A, n, 4, NULL), -EAGAIN);
	ck_assert(jb(&B, "feeder_holding"));
	ck_assert_uint_eq(ju(&B, "feeder_waits"), 1);
	text = show(&B, false);
	ck_assert_contains(text, "Feeder waits   : 1 (reading held while the feeder's queue was "
				 "full), holding now");
	free(text);
	ck_assert(A.up && B.up);

	A.rooms = 0;
	rbs_chan_hold(B.ch, false);
	WAIT(B.entries == n && A.rooms > 0, WAIT_MS);
	expect_entries(&B, 0, 0, n);
	ck_assert_int_eq(push(&A, n, 4, NULL), 0);
	rbs_chan_flush(A.ch);
	WAIT(B.entries == n + 1, WAIT_MS);
	WAIT(ju(&A, "window.unacknowledged") == 0, WAIT_MS);
	ck_assert(!jb(&B, "feeder_holding"));
	ck_assert_uint_eq(A.ups, 1);
}
END_TEST

/* The link goes (rbs_chan_drop(): BFD says the peer is gone) while B
 * holds part of a large transfer unread: the channel is redialled, resumes
 * where B is, and B ends with every entry once, in order. */
START_TEST(a_dropped_link_is_redialled_and_resumes_without_loss_or_duplicates)
{
	enum { N = 20000, PLEN = 1000 };
	char buf[256], *text;
	uint64_t resent;

	connect_pair();
	rbs_chan_hold(B.ch, true);
	push_all(&A, 0, N, PLEN);
	run_for(20); /* as much as the sockets take */
	ck_assert_uint_eq(B.entries, 0);
	rbs_chan_drop(A.ch, "bfd session to the peer down");
	ck_assert(!A.up);
	ck_assert_str_eq(A.reason, "bfd session to the peer down");
	rbs_chan_hold(B.ch, false);
	WAIT(A.ups == 2 && B.ups == 2 && B.entries >= N, WAIT_MS);
	WAIT(ju(&A, "window.unacknowledged") == 0, WAIT_MS);
	ck_assert_uint_eq(B.entries, N);
	expect_entries(&B, 0, 0, N);
	/* what B had not got when the link went was sent again: that, and
	 * nothing B had */
	resent = ju(&A, "entries_resent");
	ck_assert_uint_gt(B.entries_at_down, 0);
	ck_assert_uint_lt(B.entries_at_down, N);
	ck_assert_uint_eq(resent, N - B.entries_at_down);
	ck_assert_uint_ge(ju(&A, "entries_sent"), N);
	ck_assert_uint_eq(ju(&B, "entries_received"), N);
	ck_assert(!rbs_chan_rx_full_batch(B.ch)); /* it resumed */
	ck_assert_uint_eq(B.wants, 1);		  /* and no batch was owed again */
	ck_assert_uint_eq(ju(&A, "reconnects"), 1);
	ck_assert_str_eq(js(&A, "last_down.reason", buf, sizeof(buf)),
			 "bfd session to the peer down");
	ck_assert_uint_gt(ju(&A, "last_down.at"), 0);
	ck_assert_uint_eq(B.downs, 1);
	text = show(&A, true);
	ck_assert_contains(text, "Reconnects     : 1");
	ck_assert_contains(text, "Last down      : ");
	ck_assert_contains(text, ", bfd session to the peer down");
	free(text);
	/* nothing to drop when down: a second drop at once is a no-op */
	rbs_chan_drop(A.ch, "again");
	rbs_chan_drop(A.ch, "again");
	WAIT(A.ups == 3, WAIT_MS);
	ck_assert_uint_eq(A.downs, 2);
}
END_TEST

/* One side closes (rbsd stops): the other goes down with the reason, and
 * keeps dialing a peer that refuses, with the reason in its state. */
START_TEST(a_peer_that_stops_takes_the_channel_down_with_the_reason)
{
	char buf[256], *text;

	connect_pair();
	rbs_chan_close(A.ch);
	A.ch = NULL;
	WAIT(!B.up, WAIT_MS);
	ck_assert_str_eq(B.reason, "the peer closed the connection");
	/* its redial finds nothing listening */
	WAIT(strstr(js(&B, "down_reason", buf, sizeof(buf)), "connect: ") != NULL, WAIT_MS);
	ck_assert_str_eq(js(&B, "state", buf, sizeof(buf)), "Down");
	ck_assert_str_eq(js(&B, "last_down.reason", buf, sizeof(buf)),
			 "the peer closed the connection");
	ck_assert_str_eq(js(&B, "tcp.state", buf, sizeof(buf)), "(null)");
	ck_assert_uint_eq(B.downs, 1);
	text = show(&B, true);
	ck_assert_contains(text, "State          : Down (connect: ");
	ck_assert_contains(text, "Protocol       : version 2\n");
	ck_assert_contains(text, "TCP            : no connection");
	ck_assert_contains(text, "Last down      : ");
	free(text);
}
END_TEST

START_TEST(a_request_for_the_peers_batch_reaches_its_feeder_when_up)
{
	open_side(&A);
	/* asked while down: remembered until the channel is up, where the
	 * first contact's full batch answers it (not a second batch) */
	rbs_chan_request_peer_batch(A.ch);
	open_side(&B);
	WAIT(A.up && B.up && B.wants == 1 && A.ends == 1, WAIT_MS);
	ck_assert_uint_eq(B.want_ntypes, RBS_SVC_COUNT);
	ck_assert_uint_eq(ju(&A, "peer_batches_asked"), 0);
	rbs_chan_request_peer_batch(A.ch);
	WAIT(B.wants == 2, WAIT_MS);
	ck_assert_uint_eq(ju(&A, "peer_batches_asked"), 1);
	ck_assert_uint_eq(A.wants, 1);
}
END_TEST

/* rbpd restarted, and rbsd asked the peer for a batch on a connection
 * that went before the peer read it: the next connection asks again;
 * once the batch ended, a connection after it does not. */
START_TEST(a_request_for_the_peers_batch_lost_with_its_connection_is_made_again)
{
	connect_pair();
	rbs_chan_hold(B.ch, true); /* B reads nothing */
	rbs_chan_request_peer_batch(A.ch);
	run_for(20);
	ck_assert_uint_eq(B.wants, 1);
	ck_assert_uint_eq(ju(&A, "peer_batches_asked"), 1);
	rbs_chan_drop(A.ch, "bfd session to the peer down");
	rbs_chan_hold(B.ch, false);
	WAIT(A.ups == 2 && B.wants >= 2 && A.ends >= 2, WAIT_MS);
	ck_assert(!rbs_chan_rx_full_batch(A.ch)); /* it resumed: no batch came by itself */
	ck_assert_uint_eq(ju(&A, "peer_batches_asked"), 2);
	rbs_chan_drop(A.ch, "bfd session to the peer down");
	WAIT(A.ups == 3 && B.ups == 3, WAIT_MS);
	run_for(200);
	ck_assert_uint_eq(ju(&A, "peer_batches_asked"), 2);
}
END_TEST

static bool roles_are(const struct side *s, const Db__RbsRoles *r)
{
	size_t len = db__rbs_roles__get_packed_size(r);
	uint8_t buf[256];

	ck_assert_uint_le(len, sizeof(buf));
	db__rbs_roles__pack(r, buf);
	return s->roles && s->roles_len == len && memcmp(s->roles, buf, len) == 0;
}

START_TEST(roles_reach_the_peer_and_a_change_is_told)
{
	Db__RbsRole r1 = DB__RBS_ROLE__INIT, r2 = DB__RBS_ROLE__INIT;
	Db__RbsRole *list[] = {&r1, &r2};
	Db__RbsRoles roles = DB__RBS_ROLES__INIT;

	r1.backup_id = 1;
	r1.vrid = 10;
	r1.ifname = "eth0";
	r1.master = true;
	r2.backup_id = 2;
	r2.vrid = 20;
	r2.ifname = "eth1";
	roles.roles = list;
	roles.n_roles = 2;
	open_side(&A);
	ck_assert_int_eq(rbs_chan_set_roles(A.ch, &roles), 1);
	ck_assert_int_eq(rbs_chan_set_roles(A.ch, &roles), 0); /* the same: no change */
	open_side(&B);
	/* told with the channel up */
	WAIT(A.up && B.roles_heard >= 1, WAIT_MS);
	ck_assert(roles_are(&B, &roles));
	ck_assert_uint_eq(A.roles_heard, 0); /* B has none to tell */
	/* a change is told */
	r1.master = false;
	r2.master = true;
	ck_assert_int_eq(rbs_chan_set_roles(A.ch, &roles), 1);
	WAIT(roles_are(&B, &roles), WAIT_MS);
}
END_TEST

static Db__RbsFrame *compare_frame(Db__RbsFrame *f, Db__RbsCompare *c, uint64_t *digest,
				   uint64_t round)
{
	db__rbs_frame__init(f);
	db__rbs_compare__init(c);
	c->round = round;
	c->type = DB__RBS_SERVICE_TYPE__RBS_SVC_DHCP_SERVER;
	c->level = 0;
	c->n_digests = 1;
	c->digests = digest;
	f->body_case = DB__RBS_FRAME__BODY_COMPARE;
	f->compare = c;
	return f;
}

/* Anti-entropy frames reach the peer's feeder in the order the feeder sent
 * them among its entries; what cannot be sent is refused with why. */
START_TEST(antientropy_frames_pass_in_order_with_entries)
{
	Db__RbsFrame f, s = DB__RBS_FRAME__INIT, bad = DB__RBS_FRAME__INIT;
	Db__RbsCompare c;
	Db__RbsSummary sum = DB__RBS_SUMMARY__INIT;
	Db__RbsSummaryKey sk = DB__RBS_SUMMARY_KEY__INIT, *keys[] = {&sk};
	Db__RbsAck ack = DB__RBS_ACK__INIT;
	uint32_t leaves[] = {7};
	uint8_t kb[] = {1, 2, 3};
	uint64_t digest = 42;

	open_side(&A);
	/* down: nobody to send it to */
	ck_assert_int_eq(rbs_chan_send_ae(A.ch, compare_frame(&f, &c, &digest, 1)), -ENOTCONN);
	open_side(&B);
	WAIT(A.up && B.up && A.ends == 1 && B.ends == 1, WAIT_MS);
	A.ngot = B.ngot = 0;
	/* only Compare and Summary */
	bad.body_case = DB__RBS_FRAME__BODY_ACK;
	bad.ack = &ack;
	ck_assert_int_eq(rbs_chan_send_ae(A.ch, &bad), -EINVAL);
	c.n_digests = 2; /* level 0 has one digest */
	ck_assert_int_eq(rbs_chan_send_ae(A.ch, &f), -EINVAL);

	push_all(&A, 0, 10, 8);
	ck_assert_int_eq(rbs_chan_send_ae(A.ch, compare_frame(&f, &c, &digest, 2)), 0);
	push_all(&A, 10, 10, 8);
	sk.key.data = kb;
	sk.key.len = sizeof(kb);
	sk.version = 9;
	sum.round = 3;
	sum.type = DB__RBS_SERVICE_TYPE__RBS_SVC_ARP;
	sum.n_leaves = 1;
	sum.leaves = leaves;
	sum.n_keys = 1;
	sum.keys = keys;
	s.body_case = DB__RBS_FRAME__BODY_SUMMARY;
	s.summary = &sum;
	ck_assert_int_eq(rbs_chan_send_ae(A.ch, &s), 0);
	rbs_chan_flush(A.ch);
	WAIT(B.aes == 2, WAIT_MS);
	ck_assert_uint_eq(B.ngot, 22);
	expect_entries(&B, 0, 0, 10);
	ck_assert_uint_eq(B.got[10].kind, 'C');
	ck_assert_uint_eq(B.got[10].n, 2);
	ck_assert_uint_eq(B.got[10].x, 42);
	expect_entries(&B, 11, 10, 10);
	ck_assert_uint_eq(B.got[21].kind, 'S');
	ck_assert_uint_eq(B.got[21].n, 3);
	ck_assert_uint_eq(ju(&A, "antientropy_sent"), 2);
	ck_assert_uint_eq(ju(&A, "antientropy_dropped"), 1); /* the one while down */
	ck_assert_uint_eq(ju(&B, "antientropy_received"), 2);
	ck_assert_uint_eq(ju(&A, "antientropy_unsupported"), 0);
}
END_TEST

/* Both sides compare their profiles at HELLO and say what differs; a
 * change of profiles connects again so that both see the new ones. */
START_TEST(profiles_that_differ_are_reported_and_a_change_reconnects)
{
	Db__RbsBinding ba = DB__RBS_BINDING__INIT, bb = DB__RBS_BINDING__INIT;
	Db__RbsBinding *la[] = {&ba}, *lb[] = {&bb};
	Db__RbsProfile pa = DB__RBS_PROFILE__INIT, pb = DB__RBS_PROFILE__INIT;
	Db__RbsProfile pb2 = DB__RBS_PROFILE__INIT;
	Db__RbsProfile *profa[] = {&pa}, *profb[] = {&pb, &pb2};
	char buf[512], *text;

	ba.vrid = bb.vrid = 5;
	ba.ifname = bb.ifname = "eth0";
	ba.odd_mac = true;
	pa.backup_id = pb.backup_id = 1;
	pa.rbp = "rbp-a";
	pb.rbp = "rbp-b";
	pa.bindings = la;
	pb.bindings = lb;
	pa.n_bindings = pb.n_bindings = 1;
	pb2.backup_id = 2;
	pb2.rbp = "rbp-b2";
	open_side_with(&A, profa, 1, NULL, 0);
	open_side_with(&B, profb, 2, NULL, 0);
	/* and the first contact's batches over: a reconnect before their
	 * ends asks for them again */
	WAIT(A.up && B.up && A.ends == 1 && B.ends == 1, WAIT_MS);
	ck_assert_str_eq(A.mismatch,
			 "backup-id 1: vrid 5 is odd-mac here and even-mac on the peer; "
			 "backup-id 2 (remote-backup-profile rbp-b2 on the peer) is "
			 "not configured here");
	ck_assert_str_eq(B.mismatch,
			 "backup-id 1: vrid 5 is even-mac here and odd-mac on the peer; "
			 "backup-id 2 (remote-backup-profile rbp-b2 here) is not "
			 "configured on the peer");
	ck_assert_str_eq(js(&A, "profile_mismatch", buf, sizeof(buf)), A.mismatch);
	text = show(&A, false);
	ck_assert_contains(text, "Peer profiles  : backup-id 1: vrid 5 is odd-mac here");
	free(text);

	/* the same profiles again: nothing happens */
	ck_assert_int_eq(rbs_chan_set_profiles(B.ch, profb, 2), 0);
	ck_assert(B.up);
	/* B's operator fixes its side: B connects again, both see it */
	bb.odd_mac = true;
	ck_assert_int_eq(rbs_chan_set_profiles(B.ch, profb, 1), 0);
	ck_assert(!B.up);
	ck_assert_str_eq(B.reason, "the profiles changed");
	WAIT(A.ups == 2 && B.ups == 2, WAIT_MS);
	ck_assert_str_eq(A.mismatch, "");
	ck_assert_str_eq(B.mismatch, "");
	ck_assert_str_eq(js(&A, "profile_mismatch", buf, sizeof(buf)), "(null)");
	/* it resumed: no batch owed again either way */
	ck_assert(!rbs_chan_rx_full_batch(A.ch));
	ck_assert_uint_eq(A.wants, 1);
}
END_TEST

/* Anyone able to send from the peer's address cannot take a clear-text
 * channel that is up, and a stranger's address is refused outright. */
START_TEST(rogue_connections_do_not_take_an_established_clear_text_channel)
{
	struct raw *r;
	char buf[256], *text;

	connect_pair();
	r = raw_dial(IP_B, &A.me);
	raw_wait_closed(r);
	raw_close(r);
	r = raw_dial(IP_STRANGER, &A.me);
	raw_wait_closed(r);
	raw_close(r);
	ck_assert_uint_eq(ju(&A, "refused_peers"), 2);
	ck_assert_uint_eq(ju(&A, "refused_by_reason.channel_in_use"), 1);
	ck_assert_uint_eq(ju(&A, "refused_by_reason.not_the_peer"), 1);
	ck_assert_str_eq(js(&A, "last_refused", buf, sizeof(buf)),
			 IP_STRANGER ": not the configured peer");
	text = show(&A, false);
	ck_assert_contains(text, "Refused peers  : 2, last: " IP_STRANGER);
	ck_assert_contains(text, "Refused by why : not the peer 1, handshake failed 0, handshake "
				 "timed out 0, channel in use 1, no slot 0");
	free(text);
	/* the channel never noticed */
	ck_assert(A.up && B.up);
	ck_assert_uint_eq(A.downs + B.downs, 0);
	push_all(&A, 0, 3, 0);
	WAIT(B.entries == 3, WAIT_MS);
}
END_TEST

/* A peer configured with the wrong address: its connections are refused,
 * the channel never comes up, and both sides say why. */
START_TEST(a_wrong_peer_address_is_refused_and_the_channel_stays_down)
{
	char buf[256];

	addr(&A.peer, IP_STRANGER, port_of(&B.me));
	open_side(&A);
	open_side(&B);
	/* B dials A, is refused, backs off and dials again: refused again */
	WAIT(ju(&A, "refused_by_reason.not_the_peer") >= 2, WAIT_MS);
	ck_assert_str_eq(js(&A, "last_refused", buf, sizeof(buf)),
			 IP_B ": not the configured peer");
	ck_assert_uint_eq(A.ups + B.ups, 0);
	ck_assert(!rbs_chan_up(B.ch));
	ck_assert_str_ne(js(&B, "down_reason", buf, sizeof(buf)), "dialing the peer");
	ck_assert_str_ne(buf, "(null)");
	ck_assert_str_eq(js(&B, "state", buf, sizeof(buf)), "Connecting");
}
END_TEST

START_TEST(a_channel_that_cannot_listen_says_why)
{
	struct rbs_chan_cfg cfg = {.name = "rbs1", .source = A.me, .peer = A.peer};
	struct rbs_chan *ch = NULL;
	char why[200] = "";
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_eq(bind(fd, (struct sockaddr *)&A.me, sizeof(struct sockaddr_in)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_int_eq(rbs_chan_open(&ch, &loop, &cfg, &ops, &A, why, sizeof(why)), -EADDRINUSE);
	ck_assert_ptr_null(ch);
	ck_assert_str_eq(why, "listen on " IP_A ": address already in use");
	close(fd);
}
END_TEST

/* What the channel reads from a peer that breaks the protocol closes that
 * connection with the reason; before HELLO that peer is refused. */
static void hello_frame(Db__RbsFrame *f, Db__RbsHello *h, uint64_t session)
{
	db__rbs_frame__init(f);
	db__rbs_hello__init(h);
	h->version = RBS_PROTO_MIN;
	h->version_max = RBS_PROTO_VERSION;
	h->session = session;
	h->service = "rbs1";
	f->body_case = DB__RBS_FRAME__BODY_HELLO;
	f->hello = h;
}

/* A raw peer from B's address, through HELLO: A's HELLO read, one sent
 * (version_max 0: a build of protocol version 1). */
static struct raw *raw_peer_up(uint64_t session, uint32_t version_max)
{
	struct raw *r = raw_dial(IP_B, &A.me);
	Db__RbsFrame *in, f;
	Db__RbsHello h;

	in = raw_frame(r);
	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(in->body_case, DB__RBS_FRAME__BODY_HELLO);
	ck_assert_str_eq(in->hello->service, "rbs1");
	rbs_dec_release(&r->dec, in);
	hello_frame(&f, &h, session);
	h.version_max = version_max;
	raw_send(r, &f);
	return r;
}

/* The last connection refused came from B's address (any port), for why. */
static void assert_refused_from_b(const struct side *s, const char *why)
{
	char buf[256];
	size_t len, wlen = strlen(why);

	js(s, "last_refused", buf, sizeof(buf));
	len = strlen(buf);
	ck_assert_msg(strncmp(buf, IP_B ":", strlen(IP_B) + 1) == 0 && len > wlen + 2 &&
			  strcmp(buf + len - wlen, why) == 0 &&
			  strncmp(buf + len - wlen - 2, ": ", 2) == 0,
		      "last refused: \"%s\", expected from %s for \"%s\"", buf, IP_B, why);
}

START_TEST(a_peer_that_breaks_the_protocol_is_closed_with_the_reason)
{
	static const uint8_t zero_len[4] = {0, 0, 0, 0};
	Db__RbsFrame f, *in;
	Db__RbsHello h;
	Db__RbsAck ack = DB__RBS_ACK__INIT;
	Db__RbsEntries es = DB__RBS_ENTRIES__INIT;
	Db__RbsEntry e = DB__RBS_ENTRY__INIT, *ep[] = {&e};
	uint8_t k = 1;
	struct raw *r;
	char buf[256];

	open_side(&A);
	/* garbage first */
	r = raw_dial(IP_B, &A.me);
	ck_assert_int_eq(write(r->fd, zero_len, sizeof(zero_len)), 4);
	raw_wait_closed(r);
	raw_close(r);
	assert_refused_from_b(&A, "bad frame: length 0");
	/* an entry before HELLO */
	r = raw_dial(IP_B, &A.me);
	e.op = DB__RBS_OP__RBS_OP_ADD;
	e.key.data = &k;
	e.key.len = 1;
	es.first_seq = 1;
	es.n_entries = 1;
	es.entries = ep;
	db__rbs_frame__init(&f);
	f.body_case = DB__RBS_FRAME__BODY_ENTRIES;
	f.entries = &es;
	raw_send(r, &f);
	raw_wait_closed(r);
	raw_close(r);
	assert_refused_from_b(&A, "a frame before HELLO");
	/* a version this build does not speak */
	r = raw_dial(IP_B, &A.me);
	hello_frame(&f, &h, 77);
	h.version = 99;
	raw_send(r, &f);
	raw_wait_closed(r);
	raw_close(r);
	assert_refused_from_b(&A, "the peer speaks RBS protocol version 99, this speaks 2 (and "
				  "talks to 1 and later)");
	/* A's own HELLO sent back: a connection to itself */
	r = raw_dial(IP_B, &A.me);
	in = raw_frame(r);
	ck_assert_ptr_nonnull(in);
	hello_frame(&f, &h, in->hello->session);
	rbs_dec_release(&r->dec, in);
	raw_send(r, &f);
	raw_wait_closed(r);
	raw_close(r);
	assert_refused_from_b(&A, "the peer's session is this one (a connection to itself?)");
	ck_assert_uint_eq(ju(&A, "refused_by_reason.handshake_failed"), 4);
	/* one log line for the four (at most one per 5 s), the rest counted */
	ck_assert_uint_eq(ju(&A, "refused_log_lines_suppressed"), 3);
	ck_assert_uint_eq(A.ups, 0);

	/* Once up (in clear text, whoever sends from B's address is B), a
	 * broken frame takes the channel down with the reason. */
	r = raw_peer_up(1001, RBS_PROTO_VERSION);
	WAIT(A.up, WAIT_MS);
	ack.seq = 5;
	db__rbs_frame__init(&f);
	f.body_case = DB__RBS_FRAME__BODY_ACK;
	f.ack = &ack;
	raw_send(r, &f);
	raw_wait_closed(r);
	raw_close(r);
	ck_assert(!A.up);
	ck_assert_str_eq(A.reason, "ACK 5 outside the window (acked 0, sent 0)");

	r = raw_peer_up(1001, RBS_PROTO_VERSION);
	WAIT(A.up, WAIT_MS);
	db__rbs_frame__init(&f);
	f.body_case = DB__RBS_FRAME__BODY_ENTRIES;
	f.entries = &es;
	es.first_seq = 5;
	raw_send(r, &f);
	raw_wait_closed(r);
	raw_close(r);
	ck_assert_msg(strncmp(A.reason, "entries out of order: got seq 5", 31) == 0, "%s",
		      A.reason);

	r = raw_peer_up(1001, RBS_PROTO_VERSION);
	WAIT(A.up, WAIT_MS);
	hello_frame(&f, &h, 1001);
	raw_send(r, &f);
	raw_wait_closed(r);
	raw_close(r);
	ck_assert_str_eq(A.reason, "a second HELLO");
	ck_assert_uint_eq(A.ups, 3);
	ck_assert_str_eq(js(&A, "last_down.reason", buf, sizeof(buf)), "a second HELLO");
}
END_TEST

/* A peer of protocol version 1 would close the connection on a frame it
 * does not know: anti-entropy frames are not sent to it, entries are. */
START_TEST(a_peer_of_protocol_version_1_is_sent_no_antientropy)
{
	Db__RbsFrame f, *in;
	Db__RbsCompare c;
	uint64_t digest = 1;
	struct raw *r;
	bool entries = false;

	open_side(&A);
	r = raw_peer_up(3003, 0);
	WAIT(A.up, WAIT_MS);
	ck_assert_uint_eq(ju(&A, "peer_protocol_version"), 1);
	ck_assert_int_eq(rbs_chan_send_ae(A.ch, compare_frame(&f, &c, &digest, 1)), -EOPNOTSUPP);
	ck_assert_int_eq(rbs_chan_send_ae(A.ch, &f), -EOPNOTSUPP);
	ck_assert_uint_eq(ju(&A, "antientropy_unsupported"), 2);
	ck_assert_uint_eq(ju(&A, "antientropy_sent"), 0);
	push_all(&A, 0, 3, 0);
	while (!entries) {
		in = raw_frame(r);
		ck_assert_ptr_nonnull(in);
		ck_assert_int_ne(in->body_case, DB__RBS_FRAME__BODY_COMPARE);
		entries = in->body_case == DB__RBS_FRAME__BODY_ENTRIES;
		rbs_dec_release(&r->dec, in);
	}
	ck_assert(A.up);
}
END_TEST

/* Behind a full socket (B holds, A's window has entries not sent yet),
 * anti-entropy frames and batch markers wait in their places: B gets
 * them after the entries pushed before them, in the feeder's order. At
 * most 64 anti-entropy frames wait; one more is refused. */
START_TEST(markers_and_antientropy_keep_their_place_behind_a_full_socket)
{
	enum { N = 20000 };
	Db__RbsServiceType arp = DB__RBS_SERVICE_TYPE__RBS_SVC_ARP;
	Db__RbsBatchBegin bb = DB__RBS_BATCH_BEGIN__INIT;
	Db__RbsBatchEnd be = DB__RBS_BATCH_END__INIT;
	Db__RbsFrame f;
	Db__RbsCompare c;
	uint64_t digest = 7;

	connect_pair();
	rbs_chan_hold(B.ch, true);
	push_all(&A, 0, N, 1000);
	run_for(20);
	ck_assert_uint_gt(ju(&A, "window.unsent"), 0);
	for (uint64_t i = 0; i < 64; i++)
		ck_assert_int_eq(rbs_chan_send_ae(A.ch, compare_frame(&f, &c, &digest, i)), 0);
	ck_assert_int_eq(rbs_chan_send_ae(A.ch, compare_frame(&f, &c, &digest, 64)), -ENOBUFS);
	bb.n_types = be.n_types = 1;
	bb.types = be.types = &arp;
	bb.count = be.count = 5;
	rbs_chan_batch_begin(A.ch, &bb);
	push_all(&A, N, 5, 8);
	rbs_chan_batch_end(A.ch, &be);
	rbs_chan_flush(A.ch);
	rbs_chan_hold(B.ch, false);
	WAIT(B.ends == 2, WAIT_MS);
	ck_assert_uint_eq(B.ngot, N + 64 + 7);
	expect_entries(&B, 0, 0, N);
	for (uint32_t i = 0; i < 64; i++)
		ck_assert(B.got[N + i].kind == 'C' && B.got[N + i].n == i);
	ck_assert_uint_eq(B.got[N + 64].kind, 'B');
	expect_entries(&B, N + 65, N, 5);
	ck_assert_uint_eq(B.got[N + 70].kind, 'E');
	ck_assert_uint_eq(ju(&A, "antientropy_sent"), 64);
	ck_assert_uint_eq(ju(&A, "antientropy_dropped"), 1);
}
END_TEST

/* A batch the link loses midway is owed again, and asked of the feeder
 * as soon as the channel is back, whole. */
START_TEST(a_batch_cut_by_a_lost_link_is_asked_for_again)
{
	Db__RbsServiceType arp = DB__RBS_SERVICE_TYPE__RBS_SVC_ARP;
	Db__RbsBatchBegin bb = DB__RBS_BATCH_BEGIN__INIT;
	char buf[64], *text;

	connect_pair();
	bb.n_types = 1;
	bb.types = &arp;
	bb.count = 3;
	rbs_chan_batch_begin(A.ch, &bb);
	push_all(&A, 0, 2, 8);
	rbs_chan_drop(A.ch, "bfd session to the peer down");
	ck_assert_str_eq(js(&A, "batch_sent.state", buf, sizeof(buf)), "owed");
	text = show(&A, false);
	ck_assert_contains(text,
			   "Batch backup   : owed to the peer, starts when the channel is up");
	free(text);
	WAIT(A.ups == 2 && A.wants == 2, WAIT_MS);
	ck_assert_uint_eq(A.want_ntypes, RBS_SVC_COUNT);
	/* the feeder's new batch (empty here) reaches B */
	WAIT(B.ends == 2, WAIT_MS);
	ck_assert_uint_eq(B.got[B.ngot - 1].kind, 'E');
	ck_assert_uint_eq(B.got[B.ngot - 2].kind, 'B');
}
END_TEST

/* ---- liveness (about 3 s: the dead interval) --------------------------------- */

/* An idle link gets keepalives; a peer silent for RBS_LINK_DEAD_MS is
 * declared dead; meanwhile another channel drops an inbound connection
 * that never finished its handshake. */
START_TEST(an_idle_link_is_kept_alive_and_a_silent_peer_declared_dead)
{
	struct raw *peer, *stuck;
	Db__RbsFrame *in;
	uint64_t t_up, t;
	int body;
	char buf[256];

	/* no real peer: A's and B's own dials find nothing */
	addr(&A.peer, IP_B, free_port(IP_B));
	addr(&B.peer, IP_A, free_port(IP_A));
	open_side(&A);
	open_side(&B);
	peer = raw_peer_up(5005, RBS_PROTO_VERSION);
	stuck = raw_dial(IP_A, &B.me); /* says nothing after TCP */
	WAIT(A.up, WAIT_MS);
	t_up = now_ms();
	do {
		in = raw_frame(peer);
		ck_assert_ptr_nonnull(in);
		body = in->body_case;
		rbs_dec_release(&peer->dec, in);
	} while (body != DB__RBS_FRAME__BODY_KEEPALIVE);
	t = now_ms() - t_up;
	ck_assert_msg(t < RBS_LINK_DEAD_MS - 1000, "the first keepalive after %llu ms",
		      (unsigned long long)t);
	ck_assert(A.up);
	/* the raw peer says nothing more */
	WAIT(!A.up, RBS_LINK_DEAD_MS + 1000);
	t = now_ms() - t_up;
	ck_assert_msg(t >= RBS_LINK_DEAD_MS - 100, "dead after %llu ms", (unsigned long long)t);
	ck_assert_str_eq(A.reason, "the peer has been silent for 3 s");
	raw_wait_closed(peer);
	/* B gave the stuck connection its 2 s */
	raw_wait_closed(stuck);
	ck_assert_uint_eq(ju(&B, "refused_by_reason.handshake_timed_out"), 1);
	js(&B, "last_refused", buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, IP_A ":", strlen(IP_A) + 1) == 0 &&
			  strstr(buf, ": handshake not done within 2 s") != NULL,
		      "%s", buf);
}
END_TEST

/* ---- redials ---------------------------------------------------------------------- */

/* A on the greater address (it dials at once), its peer a raw listener on
 * the lower one. */
static struct fake *fake_peer(void)
{
	addr(&A.me, IP_B, port_of(&A.me));
	addr(&A.peer, IP_A, free_port(IP_A));
	return fake_listen(&A.peer);
}

/* A's own connection is through TCP and waits for the peer's HELLO when a
 * connection from the peer's address comes and goes: A must not dial
 * again meanwhile (its dial is still in progress), let alone keep making
 * connections that its waiting one then outranks. */
START_TEST(a_dial_waiting_for_hello_is_not_made_again)
{
	struct fake *k = fake_peer();
	struct raw *r;
	Db__RbsFrame f;
	Db__RbsHello h;
	uint8_t out[512];
	int n;

	open_side(&A);
	WAIT(fake_accept(k) >= 0, WAIT_MS);
	r = raw_dial(IP_A, &A.me);
	raw_wait_closed(r);
	raw_close(r);
	run_for(4 * RBS_LINK_BACKOFF_MIN_MS);
	fake_accept(k);
	ck_assert_msg(k->n == 1, "%u connections made while the first waited for its HELLO", k->n);
	/* and the connection that waited carries the channel once the
	 * HELLO comes */
	hello_frame(&f, &h, 4242);
	n = rbs_frame_encode(&f, out, sizeof(out));
	ck_assert_int_eq(write(k->conns[0], out, (size_t)n), n);
	WAIT(A.up, WAIT_MS);
}
END_TEST

/* The peer accepts A's connections and answers each with garbage: every
 * one fails its handshake, and A backs off (doubling) instead of dialing
 * again at the first backoff forever; its state says why. */
START_TEST(a_dial_that_fails_its_handshake_backs_off_and_says_why)
{
	static const uint8_t zero_len[4] = {0, 0, 0, 0};
	const unsigned ms = 7 * RBS_LINK_BACKOFF_MIN_MS - RBS_LINK_BACKOFF_MIN_MS / 2;
	struct fake *k = fake_peer();
	uint64_t end;
	char buf[256], *text;
	int fd;

	open_side(&A);
	end = now_ms() + ms;
	do {
		while ((fd = fake_accept(k)) >= 0)
			ck_assert_int_eq(write(fd, zero_len, sizeof(zero_len)), 4);
	} while (turn(end));
	/* dials at 0, 100, 300 ms (backoff 100, 200, 400); at a fixed 100 ms
	 * it would be 7 */
	ck_assert_msg(k->n >= 2 && k->n <= 3, "%u dials in %u ms", k->n, ms);
	ck_assert_str_eq(js(&A, "down_reason", buf, sizeof(buf)), "bad frame: length 0");
	text = show(&A, false);
	ck_assert_contains(text, "State          : Connecting (bad frame: length 0)");
	free(text);
}
END_TEST

/* ---- TLS -------------------------------------------------------------------------- */

START_TEST(the_channels_connect_over_tls_with_verified_certificates)
{
	char *pins[] = {fp_b};
	char buf[256], want[256], *text;

	A.ctx = tls_ctx("a", pins, 1);
	B.ctx = tls_ctx("b", NULL, 0);
	open_side_with(&A, NULL, 0, pins, 1);
	open_side_with(&B, NULL, 0, NULL, 0);
	WAIT(A.up && B.up && A.ends == 1 && B.ends == 1, WAIT_MS);
	ck_assert(jb(&A, "tls.enabled"));
	ck_assert_str_eq(js(&A, "tls.ssl_policy", buf, sizeof(buf)), "pol");
	ck_assert_str_eq(js(&A, "tls.protocol", buf, sizeof(buf)), "TLSv1.3");
	ck_assert_str_ne(js(&A, "tls.cipher", buf, sizeof(buf)), "(null)");
	ck_assert_str_eq(js(&A, "tls.peer_certificate", buf, sizeof(buf)), "/CN=rbs-b");
	ck_assert_str_eq(js(&B, "tls.peer_certificate", buf, sizeof(buf)), "/CN=rbs-a");
	ck_assert(jb(&A, "identity.authenticated"));
	snprintf(want, sizeof(want),
		 "pinned: SHA-256 %s (peer-certificate), signed by the trusted CA", fp_b);
	ck_assert_str_eq(js(&A, "identity.peer", buf, sizeof(buf)), want);
	ck_assert_str_eq(js(&B, "identity.peer", buf, sizeof(buf)),
			 "any certificate of the trusted CA");
	text = show(&A, false);
	ck_assert_contains(text, "TLS            : on, ssl policy pol, TLSv1.3, ");
	ck_assert_contains(text, "Peer cert      : /CN=rbs-b");
	free(text);
	ck_assert_uint_eq(ju(&A, "refused_peers") + ju(&B, "refused_peers"), 0);
	/* entries pass inside TLS, both ways, B holding a while: what
	 * OpenSSL had decrypted already comes once B lets go */
	rbs_chan_hold(B.ch, true);
	push_all(&A, 0, 2000, 100);
	push_all(&B, 50000, 2000, 100);
	WAIT(A.entries == 2000, WAIT_MS);
	ck_assert_uint_eq(B.entries, 0);
	ck_assert_uint_eq(ju(&A, "window.acknowledged_seq"), 0);
	rbs_chan_hold(B.ch, false);
	WAIT(B.entries == 2000, WAIT_MS);
	expect_entries(&B, 2, 0, 2000);
	expect_entries(&A, 2, 50000, 2000);
	WAIT(ju(&A, "window.unacknowledged") == 0, WAIT_MS);
	/* down, the display still names the policy */
	rbs_chan_close(B.ch);
	B.ch = NULL;
	WAIT(!A.up, WAIT_MS);
	ck_assert_str_eq(A.reason, "the peer closed the connection");
	text = show(&A, false);
	ck_assert_contains(text, "TLS            : on, ssl policy pol\n");
	free(text);
}
END_TEST

/* B holds a certificate of another CA: A refuses it, B refuses A's dial
 * too, and nothing comes up; the reasons say it is the certificate. */
START_TEST(a_peer_certificate_of_another_ca_is_refused)
{
	char buf[256];

	A.ctx = tls_ctx("a", NULL, 0);
	B.ctx = tls_ctx("rogue", NULL, 0);
	open_side(&A);
	open_side(&B);
	/* B dials at once and again after its backoff: refused twice */
	WAIT(ju(&A, "refused_by_reason.handshake_failed") >= 2, WAIT_MS);
	ck_assert_msg(strstr(js(&A, "last_refused", buf, sizeof(buf)),
			     "TLS handshake: peer certificate refused: ") != NULL,
		      "%s", buf);
	ck_assert_msg(strstr(js(&A, "down_reason", buf, sizeof(buf)), "peer certificate refused") !=
			  NULL,
		      "%s", buf);
	/* B, the client, finished its side of TLS 1.3 first: A's alert came
	 * after */
	ck_assert_msg(strstr(js(&B, "down_reason", buf, sizeof(buf)), "alert unknown ca") != NULL,
		      "%s", buf);
	ck_assert_uint_eq(A.ups + B.ups, 0);
}
END_TEST

/* B's certificate is signed by the right CA but A pins another one. */
START_TEST(a_peer_certificate_that_is_not_the_pinned_one_is_refused)
{
	char *pins[] = {fp_rogue};
	char buf[256];

	A.ctx = tls_ctx("a", pins, 1);
	B.ctx = tls_ctx("b", NULL, 0);
	open_side_with(&A, NULL, 0, pins, 1);
	open_side(&B);
	WAIT(ju(&A, "refused_by_reason.handshake_failed") >= 1, WAIT_MS);
	ck_assert_msg(strstr(js(&A, "last_refused", buf, sizeof(buf)),
			     "peer certificate refused: not the pinned one (peer-certificate "
			     "sha256)") != NULL,
		      "%s", buf);
	ck_assert_uint_eq(A.ups + B.ups, 0);
}
END_TEST

/* With the CA's CRL in the policy, a certificate the CA revoked is
 * refused. */
START_TEST(a_revoked_peer_certificate_is_refused)
{
	char buf[256];

	A.ctx = tls_ctx_crl("a", NULL, 0, true);
	B.ctx = tls_ctx("b", NULL, 0);
	open_side(&A);
	open_side(&B);
	WAIT(ju(&A, "refused_by_reason.handshake_failed") >= 1, WAIT_MS);
	ck_assert_msg(strstr(js(&A, "last_refused", buf, sizeof(buf)),
			     "TLS handshake: peer certificate refused: certificate revoked") !=
			  NULL,
		      "%s", buf);
	ck_assert_uint_eq(A.ups + B.ups, 0);
}
END_TEST

/* In TLS an inbound connection may try its handshake while the channel is
 * up (a peer that restarted proves itself there): one without a
 * certificate fails it, three at once push the oldest out, and the
 * channel carries on. */
START_TEST(half_open_connections_are_bounded_and_do_not_disturb_a_tls_channel)
{
	struct raw *r[3];
	char *text;

	A.ctx = tls_ctx("a", NULL, 0);
	B.ctx = tls_ctx("b", NULL, 0);
	connect_pair();
	for (int i = 0; i < 3; i++)
		r[i] = raw_dial(IP_B, &A.me);
	/* the third pushes the first out */
	raw_wait_closed(r[0]);
	WAIT(ju(&A, "refused_by_reason.no_slot") == 1, WAIT_MS);
	/* one that speaks no TLS fails its handshake */
	ck_assert_int_eq(write(r[1]->fd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
	raw_wait_closed(r[1]);
	WAIT(ju(&A, "refused_by_reason.handshake_failed") == 1, WAIT_MS);
	/* one that goes away is counted too */
	raw_close(r[2]);
	WAIT(ju(&A, "refused_by_reason.handshake_failed") == 2, WAIT_MS);
	raw_close(r[0]);
	raw_close(r[1]);
	text = show(&A, false);
	ck_assert_contains(text, "Refused by why : not the peer 0, handshake failed 2, handshake "
				 "timed out 0, channel in use 0, no slot 1");
	free(text);
	ck_assert(A.up && B.up);
	ck_assert_uint_eq(A.downs + B.downs, 0);
	push_all(&A, 0, 10, 0);
	WAIT(B.entries == 10, WAIT_MS);
}
END_TEST

int main(void)
{
	/* a write to a connection the peer closed fails, as in the daemons
	 * (common/daemon.c), rather than killing the test */
	signal(SIGPIPE, SIG_IGN);
	const TTest *plain[] = {
	    the_channels_connect_in_clear_text_and_say_so,
	    entries_pushed_on_a_arrive_on_b_in_order_and_once,
	    an_entry_the_window_cannot_hold_is_refused,
	    a_batch_arrives_whole_and_in_its_place,
	    the_window_holds_pushes_back_while_the_peer_holds_and_resumes,
	    a_dropped_link_is_redialled_and_resumes_without_loss_or_duplicates,
	    a_peer_that_stops_takes_the_channel_down_with_the_reason,
	    a_request_for_the_peers_batch_reaches_its_feeder_when_up,
	    a_request_for_the_peers_batch_lost_with_its_connection_is_made_again,
	    roles_reach_the_peer_and_a_change_is_told,
	    antientropy_frames_pass_in_order_with_entries,
	    profiles_that_differ_are_reported_and_a_change_reconnects,
	    rogue_connections_do_not_take_an_established_clear_text_channel,
	    a_wrong_peer_address_is_refused_and_the_channel_stays_down,
	    a_channel_that_cannot_listen_says_why,
	    a_peer_that_breaks_the_protocol_is_closed_with_the_reason,
	    a_peer_of_protocol_version_1_is_sent_no_antientropy,
	    markers_and_antientropy_keep_their_place_behind_a_full_socket,
	    a_batch_cut_by_a_lost_link_is_asked_for_again,
	    an_idle_link_is_kept_alive_and_a_silent_peer_declared_dead,
	    a_dial_waiting_for_hello_is_not_made_again,
	    a_dial_that_fails_its_handshake_backs_off_and_says_why,
	    NULL,
	};
	const TTest *tls[] = {
	    the_channels_connect_over_tls_with_verified_certificates,
	    a_peer_certificate_of_another_ca_is_refused,
	    a_peer_certificate_that_is_not_the_pinned_one_is_refused,
	    a_revoked_peer_certificate_is_refused,
	    half_open_connections_are_bounded_and_do_not_disturb_a_tls_channel,
	    NULL,
	};
	const struct checkrun_case cases[] = {
	    {.tests = plain, .timeout = 30, .setup = setup, .teardown = teardown},
	    {.name = "tls",
	     .tests = tls,
	     .timeout = 30,
	     .setup = setup,
	     .teardown = teardown,
	     .unchecked_setup = tls_make,
	     .unchecked_teardown = tls_remove},
	};

	return checkrun("rbs_chan", cases, sizeof(cases) / sizeof(cases[0]));
}
