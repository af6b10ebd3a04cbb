#include "rbpclient/rbp_client.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "common/svc.h"
#include "rbs.pb-c.h"
#include "user.pb-c.h"

#define USERS_SOCK "rbpd-users.ipc"
#define RESTORED_SOCK "rbpd-restored.ipc"

/* Restored messages taken by one rbpc_recv_restored() at most, so that a
 * busy publisher cannot keep an event loop's callback running forever. */
#define RESTORED_BURST 64

/* Room for a field's key and a varint. */
#define VARINT_MAX 10

/* The words rbpd puts before each restored message: the service types'
 * (common/svc.h), indexed by RbsServiceType. */
#define NTYPES SVC_COUNT
/* The word of rbpd's role messages (UserRoles). */
#define ROLE_WORD "role"

/* A request sent and not answered yet. */
struct flight {
	uint64_t id;
	uint64_t first_seq; /* the seq of its change 0 */
	uint32_t n;	    /* its changes */
	bool sync;	    /* asked for the synchronous acknowledgment */
};

struct rbpc {
	void *zctx;
	void *req; /* DEALER to rbpd-users.ipc */
	void *sub; /* SUB to rbpd-restored.ipc */
	int timeout_ms;

	rbpc_error_fn err_fn;
	void *err_arg;
	int sync_ms; /* 0: not synchronous */
	rbpc_unbacked_fn unbacked_fn;
	void *unbacked_arg;
	uint64_t backed, not_backed;

	uint64_t next_seq; /* the seq the next queued change takes */
	uint64_t next_id;  /* the id of the next request */

	/* The request being filled, already encoded (see batch_append()). */
	uint8_t *buf;
	size_t len, cap;
	uint32_t batch_n;
	uint64_t batch_seq;

	/* Outstanding requests, oldest at head: rbpd answers in order. */
	struct flight flight[RBPC_MAX_INFLIGHT];
	unsigned head, nflight;

	uint64_t applied, refused;
	uint64_t refused_unflushed; /* refusals not returned by rbpc_flush() yet */

	rbpc_roles_fn roles_fn; /* NULL: roles not subscribed */
	void *roles_arg;
	uint32_t sub_mask; /* bit per type subscribed */
	bool sub_all;
	uint64_t dropped;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The deadline of an answer expected from now: -1 for none. */
static int64_t deadline_after(int ms)
{
	return ms < 0 ? -1 : now_ms() + ms;
}

/*
 * Waits until z is ready for events or deadline (-1: none) passes. A
 * signal ends the wait with -EINTR when intr is set; otherwise the wait
 * goes on. Returns 1 ready, 0 on timeout, or a negative errno.
 */
static int wait_sock(void *z, short events, int64_t deadline, bool intr)
{
	zmq_pollitem_t it = {.socket = z, .events = events};

	for (;;) {
		long t = -1;
		int rc;

		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			t = left > 0 ? (long)left : 0;
		}
		rc = zmq_poll(&it, 1, t);
		if (rc > 0)
			return 1;
		if (rc < 0) {
			if (errno == EINTR && !intr)
				continue;
			return -errno;
		}
		if (t == 0 || (deadline >= 0 && now_ms() >= deadline))
			return 0;
	}
}

static void __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void *open_sock(struct rbpc *c, int type, const char *rundir, const char *name, char *err,
		       size_t errlen)
{
	char ep[256];
	int linger = 0;
	void *z;
	int n;

	n = snprintf(ep, sizeof(ep), "ipc://%s/%s", rundir, name);
	if (n < 0 || (size_t)n >= sizeof(ep)) {
		fail(err, errlen, "%s: run directory name too long", rundir);
		return NULL;
	}
	z = zmq_socket(c->zctx, type);
	if (z == NULL) {
		fail(err, errlen, "cannot create a ZeroMQ socket: %s", zmq_strerror(errno));
		return NULL;
	}
	/* Closing must not wait for a dead rbpd to take what is queued. */
	zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_connect(z, ep) < 0) {
		fail(err, errlen, "cannot connect to %s: %s", ep, zmq_strerror(errno));
		zmq_close(z);
		return NULL;
	}
	return z;
}

struct rbpc *rbpc_open(const char *rundir, char *err, size_t errlen)
{
	struct rbpc *c;

	if (err && errlen)
		err[0] = '\0';
	if (rundir == NULL)
		rundir = RBPC_DEFAULT_RUNDIR;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	c->timeout_ms = RBPC_DEFAULT_TIMEOUT_MS;
	c->next_id = 1;
	c->zctx = zmq_ctx_new();
	if (c->zctx == NULL) {
		fail(err, errlen, "cannot create a ZeroMQ context: %s", zmq_strerror(errno));
		free(c);
		return NULL;
	}
	c->req = open_sock(c, ZMQ_DEALER, rundir, USERS_SOCK, err, errlen);
	if (c->req)
		c->sub = open_sock(c, ZMQ_SUB, rundir, RESTORED_SOCK, err, errlen);
	if (c->sub == NULL) {
		rbpc_close(c);
		return NULL;
	}
	return c;
}

void rbpc_close(struct rbpc *c)
{
	if (c == NULL)
		return;
	if (c->req)
		zmq_close(c->req);
	if (c->sub)
		zmq_close(c->sub);
	zmq_ctx_term(c->zctx);
	free(c->buf);
	free(c);
}

void rbpc_on_error(struct rbpc *c, rbpc_error_fn fn, void *arg)
{
	c->err_fn = fn;
	c->err_arg = arg;
}

void rbpc_set_sync(struct rbpc *c, int ms)
{
	c->sync_ms = ms < 0 ? 0 : ms > 60000 ? 60000 : ms;
}

void rbpc_on_not_backed_up(struct rbpc *c, rbpc_unbacked_fn fn, void *arg)
{
	c->unbacked_fn = fn;
	c->unbacked_arg = arg;
}

void rbpc_sync_stats(const struct rbpc *c, uint64_t *backed, uint64_t *not_backed)
{
	if (backed)
		*backed = c->backed;
	if (not_backed)
		*not_backed = c->not_backed;
}

void rbpc_set_timeout(struct rbpc *c, int ms)
{
	c->timeout_ms = ms < 0 ? -1 : ms;
}

void rbpc_stats(const struct rbpc *c, uint64_t *applied, uint64_t *refused)
{
	if (applied)
		*applied = c->applied;
	if (refused)
		*refused = c->refused;
}

uint64_t rbpc_restored_dropped(const struct rbpc *c)
{
	return c->dropped;
}

/* ---- Replies ---- */

/*
 * Takes one reply: it must answer the oldest outstanding request. Reports
 * each refused change once; error entries naming no change of the request
 * are ignored (the reply comes from another process). Returns 0 or
 * -EPROTO (the reply is dropped, the request stays outstanding).
 */
static int take_reply(struct rbpc *c, const uint8_t *data, size_t len)
{
	uint8_t seen[RBPC_BATCH_CHANGES / 8] = {0};
	Db__UserReply *r;
	struct flight *f;
	uint32_t refused = 0;
	size_t i;

	if (c->nflight == 0)
		return -EPROTO;
	f = &c->flight[c->head];
	r = db__user_reply__unpack(NULL, len, data);
	if (r == NULL)
		return -EPROTO;
	if (r->id != f->id) {
		db__user_reply__free_unpacked(r, NULL);
		return -EPROTO;
	}
	for (i = 0; i < r->n_errors; i++) {
		const Db__UserError *e = r->errors[i];
		uint32_t k;

		if (e == NULL || e->index >= f->n)
			continue;
		k = e->index;
		if (seen[k / 8] & (1u << (k % 8)))
			continue;
		seen[k / 8] |= (uint8_t)(1u << (k % 8));
		refused++;
		if (c->err_fn)
			c->err_fn(c->err_arg, f->first_seq + k, e->error ? e->error : "");
	}
	if (!f->sync || refused == f->n) {
		/* nothing taken, nothing to back up */
	} else if (r->backed_up) {
		c->backed++;
	} else {
		c->not_backed++;
		if (c->unbacked_fn)
			c->unbacked_fn(c->unbacked_arg, f->first_seq, f->first_seq + f->n - 1,
				       r->not_backed_up && r->not_backed_up[0] ? r->not_backed_up
									       : "not backed up");
	}
	db__user_reply__free_unpacked(r, NULL);
	c->applied += f->n - refused;
	c->refused += refused;
	c->refused_unflushed += refused;
	c->head = (c->head + 1) % RBPC_MAX_INFLIGHT;
	c->nflight--;
	return 0;
}

/* Receives one reply if one is there. Returns 1 when one was taken, 0 when
 * none is waiting, or a negative errno (-EPROTO: see take_reply()). */
static int recv_reply(struct rbpc *c)
{
	zmq_msg_t m;
	int rc;

	zmq_msg_init(&m);
	do {
		rc = zmq_msg_recv(&m, c->req, ZMQ_DONTWAIT);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		rc = errno == EAGAIN ? 0 : -errno;
	} else if (zmq_msg_more(&m)) {
		/* A reply is one frame: take the rest of this one and drop it. */
		while (zmq_msg_more(&m) && zmq_msg_recv(&m, c->req, ZMQ_DONTWAIT) >= 0)
			;
		rc = -EPROTO;
	} else {
		rc = take_reply(c, zmq_msg_data(&m), zmq_msg_size(&m));
		if (rc == 0)
			rc = 1;
	}
	zmq_msg_close(&m);
	return rc;
}

/* Takes replies until at most `left` requests are outstanding, waiting up
 * to the timeout for each. Returns 0 or a negative errno. */
static int await_replies(struct rbpc *c, unsigned left)
{
	int64_t deadline = deadline_after(c->timeout_ms);

	while (c->nflight > left) {
		int rc = recv_reply(c);

		if (rc < 0)
			return rc;
		if (rc == 1) {
			deadline = deadline_after(c->timeout_ms);
			continue;
		}
		rc = wait_sock(c->req, ZMQ_POLLIN, deadline, false);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

/* ---- Requests ---- */

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static bool batch_full(const struct rbpc *c)
{
	return c->batch_n == RBPC_BATCH_CHANGES || c->len >= RBPC_BATCH_BYTES;
}

/*
 * Sends the batch as one request. With wait, first waits for a reply when
 * RBPC_MAX_INFLIGHT requests are outstanding, and for room in the socket;
 * without, gives -EAGAIN instead. Returns 0 or a negative errno (the batch
 * stays queued).
 */
static int send_batch(struct rbpc *c, bool wait)
{
	size_t extra = SIZE_MAX; /* where the sync fields begin, if written */
	int64_t deadline;
	struct flight *f;
	int rc;

	if (c->nflight == RBPC_MAX_INFLIGHT) {
		if (!wait)
			return -EAGAIN;
		rc = await_replies(c, RBPC_MAX_INFLIGHT - 1);
		if (rc < 0)
			return rc;
	}
	if (c->sync_ms > 0) {
		/* fields 3 (sync) and 4 (sync_timeout_ms) after the changes */
		if (c->len + 2 + 1 + VARINT_MAX > c->cap) {
			uint8_t *nb = realloc(c->buf, c->len + 2 + 1 + VARINT_MAX);

			if (nb == NULL)
				return -ENOMEM;
			c->buf = nb;
			c->cap = c->len + 2 + 1 + VARINT_MAX;
		}
		extra = c->len;
		c->buf[c->len++] = 0x18;
		c->buf[c->len++] = 1;
		c->buf[c->len++] = 0x20;
		c->len += put_varint(c->buf + c->len, (uint64_t)c->sync_ms);
	}
	deadline = deadline_after(c->timeout_ms);
	while (zmq_send(c->req, c->buf, c->len, ZMQ_DONTWAIT) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || !wait)
			rc = -errno;
		else if ((rc = wait_sock(c->req, ZMQ_POLLOUT, deadline, false)) == 0)
			rc = -ETIMEDOUT;
		if (rc < 0) {
			if (extra != SIZE_MAX)
				c->len = extra; /* the batch stays queued, as it was */
			return rc;
		}
	}
	f = &c->flight[(c->head + c->nflight) % RBPC_MAX_INFLIGHT];
	f->id = c->next_id++;
	f->first_seq = c->batch_seq;
	f->n = c->batch_n;
	f->sync = c->sync_ms > 0;
	c->nflight++;
	c->batch_n = 0;
	c->len = 0;
	return 0;
}

/*
 * Appends a change to the batch, encoded right away: the request is field
 * 1 (id) then each change as field 2 (key 0x12, length, the packed
 * UserChange), the bytes db__user_request__pack() would write. Building it
 * as the changes come copies each one once and keeps nothing of the
 * caller's. The id is written when the batch starts: requests leave in
 * the order their batches started. Returns 0 or -ENOMEM (nothing queued).
 */
static int batch_append(struct rbpc *c, const Db__UserChange *ch)
{
	size_t size = db__user_change__get_packed_size(ch);
	size_t need = c->len + 2 * (1 + VARINT_MAX) + size;

	if (need > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		uint8_t *p;

		while (cap < need)
			cap *= 2;
		p = realloc(c->buf, cap);
		if (p == NULL)
			return -ENOMEM;
		c->buf = p;
		c->cap = cap;
	}
	if (c->batch_n == 0) {
		c->len = 0;
		c->buf[c->len++] = 0x08; /* field 1, varint */
		c->len += put_varint(c->buf + c->len, c->next_id);
		c->batch_seq = c->next_seq;
	}
	c->buf[c->len++] = 0x12; /* field 2, length-delimited */
	c->len += put_varint(c->buf + c->len, size);
	c->len += db__user_change__pack(ch, c->buf + c->len);
	c->batch_n++;
	c->next_seq++;
	return 0;
}

/* The types a service may hand rbpd: any this build knows but the two
 * rbpd learns itself. */
static bool change_type_ok(int type)
{
	return type != DB__RBS_SERVICE_TYPE__RBS_SVC_ARP &&
	       type != DB__RBS_SERVICE_TYPE__RBS_SVC_ND &&
	       protobuf_c_enum_descriptor_get_value(&db__rbs_service_type__descriptor, type) !=
		   NULL;
}

static int queue(struct rbpc *c, Db__UserOp op, int type, const uint8_t mac[6], const char *ifname,
		 const void *key, size_t key_len, const void *payload, size_t payload_len)
{
	Db__UserChange ch = DB__USER_CHANGE__INIT;
	size_t iflen;
	int rc;

	if (c == NULL || !change_type_ok(type) || mac == NULL || ifname == NULL || key == NULL ||
	    key_len < 1 || key_len > RBPC_KEY_MAX || (payload == NULL && payload_len > 0) ||
	    payload_len > RBPC_PAYLOAD_MAX)
		return -EINVAL;
	iflen = strnlen(ifname, RBPC_IFNAME_MAX + 1);
	if (iflen < 1 || iflen > RBPC_IFNAME_MAX)
		return -EINVAL;

	/* A full batch left over (RBPC_MAX_INFLIGHT were outstanding when it
	 * filled) goes first, so that a change that fails takes no seq. */
	if (batch_full(c)) {
		rc = send_batch(c, true);
		if (rc < 0)
			return rc;
	}
	ch.op = op;
	ch.type = (Db__RbsServiceType)type;
	ch.mac.data = (uint8_t *)mac;
	ch.mac.len = 6;
	ch.ifname = (char *)ifname;
	ch.key.data = (uint8_t *)key;
	ch.key.len = key_len;
	ch.payload.data = payload_len ? (uint8_t *)payload : NULL;
	ch.payload.len = payload_len;
	rc = batch_append(c, &ch);
	if (rc < 0)
		return rc;
	/* The change is queued and has its seq: whatever happens now is the
	 * next call's to report. Without a free slot it waits for that call. */
	if (batch_full(c))
		send_batch(c, false);
	return 0;
}

int rbpc_add(struct rbpc *c, int type, const uint8_t mac[6], const char *ifname, const void *key,
	     size_t key_len, const void *payload, size_t payload_len)
{
	return queue(c, DB__USER_OP__USER_OP_ADD, type, mac, ifname, key, key_len, payload,
		     payload_len);
}

int rbpc_delete(struct rbpc *c, int type, const uint8_t mac[6], const char *ifname, const void *key,
		size_t key_len)
{
	return queue(c, DB__USER_OP__USER_OP_DELETE, type, mac, ifname, key, key_len, NULL, 0);
}

int rbpc_flush(struct rbpc *c)
{
	uint64_t n;
	int rc;

	if (c == NULL)
		return -EINVAL;
	if (c->batch_n > 0) {
		rc = send_batch(c, true);
		if (rc < 0)
			return rc;
	}
	rc = await_replies(c, 0);
	if (rc < 0)
		return rc;
	n = c->refused_unflushed;
	c->refused_unflushed = 0;
	return n > INT_MAX ? INT_MAX : (int)n;
}

/* ---- Restored users ---- */

int rbpc_subscribe(struct rbpc *c, int type)
{
	const char *w;

	if (c == NULL)
		return -EINVAL;
	if (type == -1) {
		if (!c->sub_all && zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, "", 0) < 0)
			return -errno;
		c->sub_all = true;
		return 0;
	}
	if (type < 0 || (size_t)type >= NTYPES)
		return -EINVAL;
	if (c->sub_mask & (1u << type))
		return 0;
	w = svc_word(type);
	if (zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, w, strlen(w)) < 0)
		return -errno;
	c->sub_mask |= 1u << type;
	return 0;
}

int rbpc_replay(struct rbpc *c, int type)
{
	const char *w;

	if (c == NULL || type < 0 || (size_t)type >= NTYPES || !(c->sub_mask & (1u << type)))
		return -EINVAL;
	/* the same subscription again: libzmq sends it up (it no longer
	 * filters duplicates), and rbpd's XPUB, verbose, answers each */
	w = svc_word(type);
	if (zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, w, strlen(w)) < 0)
		return -errno;
	return 0;
}

int rbpc_subscribe_roles(struct rbpc *c, rbpc_roles_fn fn, void *arg)
{
	if (c == NULL || fn == NULL)
		return -EINVAL;
	if (c->roles_fn == NULL &&
	    zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, ROLE_WORD, strlen(ROLE_WORD)) < 0)
		return -errno;
	c->roles_fn = fn;
	c->roles_arg = arg;
	return 0;
}

/* One UserRoles message: 1 when delivered, 0 when dropped as malformed. */
static int deliver_roles(struct rbpc *c, const void *data, size_t len)
{
	Db__UserRoles *m = db__user_roles__unpack(NULL, len, data);
	uint32_t want = c->sub_all ? (1u << NTYPES) - 1 : c->sub_mask; /* types subscribed */
	struct rbpc_role *r;
	size_t i;

	if (m == NULL) {
		c->dropped++;
		return 0;
	}
	r = calloc(m->n_roles ? m->n_roles : 1, sizeof(*r));
	if (r == NULL) {
		db__user_roles__free_unpacked(m, NULL);
		return 0;
	}
	for (i = 0; i < m->n_roles; i++) {
		r[i].profile = m->roles[i]->profile;
		r[i].ifname = m->roles[i]->ifname;
		r[i].vrid = m->roles[i]->vrid;
		r[i].odd_mac = m->roles[i]->odd_mac;
		r[i].master = m->roles[i]->master;
		r[i].restored_at_ms = m->roles[i]->restored_at_ms;
		r[i].replayed = r[i].master && want != 0 && (m->replayed & want) == want;
	}
	c->roles_fn(c->roles_arg, r, m->n_roles);
	free(r);
	db__user_roles__free_unpacked(m, NULL);
	return 1;
}

int rbpc_restored_fd(struct rbpc *c)
{
	int fd;
	size_t len = sizeof(fd);

	if (c == NULL)
		return -EINVAL;
	if (zmq_getsockopt(c->sub, ZMQ_FD, &fd, &len) < 0)
		return -errno;
	return fd;
}

/* The type whose word is (w, len), or -1. */
static int word_type(const void *w, size_t len)
{
	for (int i = 0; i < SVC_COUNT; i++)
		if (strlen(svc_word(i)) == len && memcmp(svc_word(i), w, len) == 0)
			return i;
	return -1;
}

/* Calls fn for the users of one decoded message of type; drops the
 * malformed ones. Returns how many were delivered. */
static int deliver(struct rbpc *c, int type, const Db__UserRestored *r, rbpc_restored_fn fn,
		   void *arg)
{
	int n = 0;
	size_t i;

	for (i = 0; i < r->n_users; i++) {
		const Db__UserChange *u = r->users[i];
		struct rbpc_user out;

		if (u == NULL || u->mac.len != 6 || u->key.len < 1 || u->key.len > RBPC_KEY_MAX ||
		    u->ifname == NULL) {
			c->dropped++;
			continue;
		}
		out.type = type;
		memcpy(out.mac, u->mac.data, 6);
		out.ifname = u->ifname;
		out.key = u->key.data;
		out.key_len = u->key.len;
		out.payload = u->payload.len ? u->payload.data : NULL;
		out.payload_len = u->payload.len;
		out.replay = r->replay;
		fn(arg, &out);
		if (n < INT_MAX)
			n++;
	}
	return n;
}

/*
 * Receives one restored message if one is there: [word][UserRestored].
 * Returns the users delivered (0 for a message dropped or of a type not
 * subscribed), -EAGAIN when none is waiting, or a negative errno.
 */
static int recv_restored(struct rbpc *c, rbpc_restored_fn fn, void *arg)
{
	zmq_msg_t word, body;
	Db__UserRestored *r;
	int type, rc = 0;

	zmq_msg_init(&word);
	zmq_msg_init(&body);
	if (zmq_msg_recv(&word, c->sub, ZMQ_DONTWAIT) < 0) {
		rc = -errno;
		goto out;
	}
	/* The frames of a message arrive together: no waiting from here. */
	if (!zmq_msg_more(&word) || zmq_msg_recv(&body, c->sub, ZMQ_DONTWAIT) < 0 ||
	    zmq_msg_more(&body)) {
		while (zmq_msg_more(&body) && zmq_msg_recv(&body, c->sub, ZMQ_DONTWAIT) >= 0)
			;
		c->dropped++;
		goto out;
	}
	if (zmq_msg_size(&word) == strlen(ROLE_WORD) &&
	    memcmp(zmq_msg_data(&word), ROLE_WORD, strlen(ROLE_WORD)) == 0) {
		if (c->roles_fn)
			rc = deliver_roles(c, zmq_msg_data(&body), zmq_msg_size(&body));
		goto out;
	}
	type = word_type(zmq_msg_data(&word), zmq_msg_size(&word));
	if (type < 0) {
		c->dropped++;
		goto out;
	}
	/* ZeroMQ matched a prefix of the word only. */
	if (!c->sub_all && !(c->sub_mask & (1u << type)))
		goto out;
	r = db__user_restored__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
	if (r == NULL || (int)r->type != type) {
		c->dropped++;
		if (r)
			db__user_restored__free_unpacked(r, NULL);
		goto out;
	}
	rc = deliver(c, type, r, fn, arg);
	db__user_restored__free_unpacked(r, NULL);
out:
	zmq_msg_close(&body);
	zmq_msg_close(&word);
	return rc;
}

int rbpc_recv_restored(struct rbpc *c, int timeout_ms, rbpc_restored_fn fn, void *arg)
{
	int64_t deadline;
	int total = 0;

	if (c == NULL || fn == NULL)
		return -EINVAL;
	deadline = deadline_after(timeout_ms);
	for (;;) {
		int i, rc = 0;

		for (i = 0; i < RESTORED_BURST; i++) {
			rc = recv_restored(c, fn, arg);
			if (rc < 0)
				break;
			total = rc > INT_MAX - total ? INT_MAX : total + rc;
		}
		if (total > 0)
			return total;
		if (i == RESTORED_BURST) {
			/* A burst of messages that delivered nothing: more may
			 * be waiting, and 0 would tell an event loop there is
			 * none. Only a caller that waits may be told 0 now. */
			if (timeout_ms != 0 && deadline >= 0 && now_ms() >= deadline)
				return 0;
			continue;
		}
		if (rc != -EAGAIN)
			return rc;
		if (timeout_ms == 0)
			return 0;
		rc = wait_sock(c->sub, ZMQ_POLLIN, deadline, true);
		if (rc <= 0)
			return rc;
	}
}
