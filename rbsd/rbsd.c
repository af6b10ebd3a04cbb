/*
 * rbsd: remote backup services. For each service cfgd commits (checked
 * against the live system first: the source address is on this device,
 * the port can be bound, the SSL policy's files load and match), one
 * channel to the peer device (rbs_chan.c). Locally, the services that own
 * user entries (rbpd, or a test feeder) attach on RUNDIR/rbsd-entries.ipc
 * and exchange RbsLocal messages: entries to send, with credit for
 * back-pressure; entries and batches received from the peer; requests
 * for a batch.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#include "common/bus.h"
#include "common/credit.h"
#include "common/daemon.h"
#include "common/jsonout.h"
#include "common/keyfile.h"
#include "common/log.h"
#include "common/service.h"
#include "config.pb-c.h"
#include "common/arena.h"
#include "rbsd/rbs_chan.h"
#include "rbsd/rbs_fack.h"
#include "rbsd/rbs_frame.h"
#include "rbsd/rbs_tls.h"
#include "rbsd/rbs_win.h"

#define LOCAL_HWM 64 /* messages (up to a frame of entries each) queued to or from a feeder */

/* One configured service: its channel and the feeder attached to it. */
struct svc {
	struct svc *next;
	struct rbsd *d; /* the daemon's state */
	char name[64];
	uint64_t cfg_digest; /* of its configuration, to notice changes */
	struct rbs_chan *ch;
	char open_error[160];
	/* the local feeder */
	uint8_t feeder_id[256];
	size_t feeder_idlen; /* 0: none attached */
	char feeder_name[64];
	uint64_t attach;		       /* this attachment's id, in credits */
	uint64_t got_entries, got_bytes;       /* from the feeder since it attached */
	uint64_t credit_entries, credit_bytes; /* granted to it in all */
	/* which of its entries the peer holds (rbs_fack.h), and what the
	 * last credit said of it */
	struct rbs_fack fack;
	uint64_t seen_resyncs, credit_resolved, credit_lost;
	uint64_t overruns, undelivered;
	uint64_t ae_refused; /* anti-entropy frames from the feeder the peer would refuse */
	/* The feeder's roles, kept for a channel opened anew (a changed
	 * address or TLS policy): the feeder sends them only when they or
	 * the attachment change. NULL: none yet. */
	Db__RbsRoles *roles;
	bool batch_wanted; /* a batch request waits for a feeder */
	/* What the peer sent that the feeder's queue could not take yet, in
	 * order; while it is not empty the channel is held (rbs_chan_hold()). */
	struct pending *pend, **pend_tail;
	Db__RbsServiceType want_types[RBS_SVC_COUNT];
	size_t n_want;
};

struct pending {
	struct pending *next;
	size_t len;
	uint8_t data[];
};

/* The daemon's state: one, main()'s, passed explicitly. The service's
 * ops, query, init and stop get it as their arg, and so do the bus
 * sockets' and the channels' callbacks; the retry timer has it in its
 * data, each service in svc.d. */
struct rbsd {
	uv_loop_t *loop;
	uv_timer_t retry; /* flushes the services' pending deliveries */
	Db__RbsdConfig *running;
	struct svc *svcs;
	struct bus_sock *local;
	struct bus_sock *vrrp_sub; /* vrrpd's events: BFD sessions tracked */
	struct arena local_arena; /* what on_local() unpacks into */
	unsigned long batches;	      /* batch-backup requests received */
};

static int to_sockaddr(const char *addr, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

static bool address_is_local(const char *addr)
{
	struct sockaddr_storage want;
	struct ifaddrs *ifa, *i;
	socklen_t len;
	bool found = false;

	if (to_sockaddr(addr, 0, &want, &len) < 0 || getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != want.ss_family)
			continue;
		if (want.ss_family == AF_INET)
			found = !memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr,
					&((struct sockaddr_in *)&want)->sin_addr, 4);
		else
			found = !memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
					&((struct sockaddr_in6 *)&want)->sin6_addr, 16);
	}
	freeifaddrs(ifa);
	return found;
}

/* Can we listen on addr:port? Our own running service on the same pair
 * counts as yes. */
static int port_free(struct rbsd *d, const Db__RbsConfig *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, rc = 0;

	if (d->running) {
		for (size_t i = 0; i < d->running->n_services; i++) {
			const Db__RbsConfig *r = d->running->services[i];

			if (r->source && r->port == s->port && !strcmp(r->source, s->source))
				return 0;
		}
	}
	if (to_sockaddr(s->source, s->port, &ss, &len) < 0)
		return -EINVAL;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static void ssl_error(struct errlist *errs, const char *svc, const char *what, const char *file)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, buf, sizeof(buf));
	errlist_add(errs, "remote-backup-service %s: %s %s does not load: %s", svc, what, file,
		    e ? buf : "unknown error");
	ERR_clear_error();
}

static void check_ssl(const Db__RbsConfig *s, struct errlist *errs)
{
	const Db__SslPolicyConfig *p = s->ssl;
	SSL_CTX *ctx;
	char why[160];

	/* A key others may read is no longer this device's alone. */
	if (keyfile_check(p->key_file, why, sizeof(why)) < 0) {
		errlist_add(errs, "remote-backup-service %s: ssl policy %s: key-file %s: %s",
			    s->name, p->name, p->key_file, why);
		return;
	}
	ctx = SSL_CTX_new(TLS_method());
	if (ctx == NULL) {
		errlist_add(errs, "remote-backup-service %s: OpenSSL context: out of memory",
			    s->name);
		return;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, p->cert_file) != 1)
		ssl_error(errs, s->name, "certificate", p->cert_file);
	else if (SSL_CTX_use_PrivateKey_file(ctx, p->key_file, SSL_FILETYPE_PEM) != 1)
		ssl_error(errs, s->name, "private key", p->key_file);
	else if (SSL_CTX_check_private_key(ctx) != 1)
		errlist_add(errs,
			    "remote-backup-service %s: ssl policy %s: key-file %s does not match "
			    "pem-cert %s",
			    s->name, p->name, p->key_file, p->cert_file);
	for (size_t i = 0; i < p->n_ca_files; i++)
		if (SSL_CTX_load_verify_locations(ctx, p->ca_files[i], NULL) != 1)
			ssl_error(errs, s->name, "trusted CA", p->ca_files[i]);
	SSL_CTX_free(ctx);
}

/* cfgclient_ops.check: unpack and check against the live system. */
static void *check(void *arg, const uint8_t *sec, size_t len, struct errlist *errs)
{
	struct rbsd *d = arg;
	Db__RbsdConfig *c = db__rbsd_config__unpack(NULL, len, sec);

	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < c->n_services; i++) {
		Db__RbsConfig *s = c->services[i];
		int rc;

		if (s->source && s->source[0]) {
			if (!address_is_local(s->source)) {
				errlist_add(
				    errs,
				    "remote-backup-service %s: source %s is not an address of "
				    "this device",
				    s->name, s->source);
			} else if ((rc = port_free(d, s)) < 0) {
				errlist_add(errs,
					    "remote-backup-service %s: cannot bind %s port %u: %s",
					    s->name, s->source, s->port, strerror(-rc));
			}
		}
		if (s->ssl)
			check_ssl(s, errs);
	}
	return c;
}

/* ---- the local feeders ------------------------------------------------- */

static void drop_pending(struct svc *v);

static struct svc *find_svc(struct rbsd *d, const char *name)
{
	for (struct svc *v = d->svcs; v; v = v->next)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

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

static void ask_feeder_batch(struct svc *v)
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
	v->credit_entries = v->credit_bytes = 0;
	v->credit_resolved = v->credit_lost = 0;
	rbs_fack_reset(&v->fack);
	do
		getrandom(&v->attach, sizeof(v->attach), 0);
	while (v->attach == 0);
	log_info("remote-backup-service %s: feeder %s attached", v->name, v->feeder_name);
	drop_pending(v); /* meant for the previous feeder; this one gets a full batch */
	if (v->ch == NULL)
		return;
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
		ask_feeder_batch(v);
	grant(v);
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

/* bus_recv_cb of RUNDIR/rbsd-entries.ipc: [identity, RbsLocal]. */
static void on_local(struct bus_sock *s, const struct bus_part *parts, int nparts, void *arg)
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
	v = m->service ? find_svc(d, m->service) : NULL;
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

/* ---- what the channels tell --------------------------------------------- */

static void drop_pending(struct svc *v)
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
			v->undelivered++;
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
 * full; the channel waits instead (and acknowledges nothing meanwhile). */
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
	if (v->pend == NULL) {
		rc = bus_send(v->d->local, v->feeder_id, v->feeder_idlen, p->data, p->len);
		if (rc != -EAGAIN) {
			if (rc < 0)
				v->undelivered++;
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
	ask_feeder_batch(v);
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

static const struct rbs_chan_ops chan_ops = {ch_deliver, ch_want_batch, ch_room, ch_state,
					     ch_antientropy};

/* ---- configuration -------------------------------------------------------- */

/* The profiles for HELLO, from cfgd's summary. */
static Db__RbsProfile **hello_profiles(const Db__RbsConfig *s, size_t *n)
{
	Db__RbsProfile **out = calloc(s->n_profiles ? s->n_profiles : 1, sizeof(*out));

	*n = 0;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < s->n_profiles; i++) {
		const Db__RbpSummary *p = s->profiles[i];
		Db__RbsProfile *o = calloc(1, sizeof(*o));

		if (o == NULL)
			break;
		db__rbs_profile__init(o);
		o->backup_id = p->backup_id;
		o->rbp = p->name;
		o->bindings = calloc(p->n_bindings ? p->n_bindings : 1, sizeof(*o->bindings));
		for (size_t j = 0; o->bindings && j < p->n_bindings; j++) {
			Db__RbsBinding *b = calloc(1, sizeof(*b));

			if (b == NULL)
				break;
			db__rbs_binding__init(b);
			b->vrid = p->bindings[j]->vrid;
			b->ifname = p->bindings[j]->ifname;
			b->odd_mac = p->bindings[j]->odd_mac;
			o->bindings[o->n_bindings++] = b;
		}
		out[(*n)++] = o;
	}
	return out;
}

static void free_profiles(Db__RbsProfile **p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < p[i]->n_bindings; j++)
			free(p[i]->bindings[j]);
		free(p[i]->bindings);
		free(p[i]);
	}
	free(p);
}

/* What makes a new channel necessary: addresses, port, the TLS policy's
 * files (names and contents: a certificate renewed in place counts) and
 * the pinned peer certificates. */
static uint64_t chan_digest(const Db__RbsConfig *s)
{
	char buf[8192];
	size_t n = 0;
	const Db__SslPolicyConfig *p = s->ssl;

#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (n < sizeof(buf))                                                               \
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, __VA_ARGS__);              \
	} while (0)
	ADD("%s|%s|%u", s->peer, s->source, s->port);
	if (p) {
		ADD("|%s|%s|%llx|%llx", p->cert_file, p->key_file,
		    (unsigned long long)p->files_digest,
		    (unsigned long long)rbs_tls_files_digest(p));
		for (size_t i = 0; i < p->n_ca_files; i++)
			ADD("|ca %s", p->ca_files[i]);
		for (size_t i = 0; i < p->n_crl_files; i++)
			ADD("|crl %s", p->crl_files[i]);
	}
	for (size_t i = 0; i < s->n_peer_cert_sha256; i++)
		ADD("|pin %s", s->peer_cert_sha256[i]);
#undef ADD
	return bus_digest(buf, n < sizeof(buf) ? n : sizeof(buf));
}

static void svc_open(struct svc *v, const Db__RbsConfig *s)
{
	struct rbs_chan_cfg cc = {.name = s->name};
	socklen_t len;
	size_t np = 0;
	Db__RbsProfile **prof;
	int rc;

	/* a new channel numbers from 1: what the old one held is lost */
	rbs_fack_update(&v->fack, 0, 1, UINT64_MAX);
	v->seen_resyncs = 0;

	v->open_error[0] = 0;
	if (!s->peer[0] || !s->source[0] || s->port == 0) {
		snprintf(v->open_error, sizeof(v->open_error),
			 "no peer configured (peer P source S port N)");
		return;
	}
	if (to_sockaddr(s->source, s->port, &cc.source, &len) < 0 ||
	    to_sockaddr(s->peer, s->port, &cc.peer, &len) < 0) {
		snprintf(v->open_error, sizeof(v->open_error), "addresses do not parse");
		return;
	}
	if (s->ssl) {
		char why[200];

		cc.ctx = rbs_tls_ctx_new(s->ssl, s->peer_cert_sha256, s->n_peer_cert_sha256, why,
					 sizeof(why));
		cc.ssl_policy = s->ssl->name;
		cc.pins = s->peer_cert_sha256;
		cc.n_pins = s->n_peer_cert_sha256;
		if (cc.ctx == NULL) {
			snprintf(v->open_error, sizeof(v->open_error),
				 "ssl policy %s does not load: %s", s->ssl->name, why);
			log_warnx("remote-backup-service %s: %s", s->name, v->open_error);
			v->cfg_digest = chan_digest(s);
			return;
		}
	}
	prof = hello_profiles(s, &np);
	cc.profiles = prof;
	cc.n_profiles = np;
	rc = rbs_chan_open(&v->ch, v->d->loop, &cc, &chan_ops, v->d, v->open_error,
			   sizeof(v->open_error));
	if (rc < 0) {
		v->ch = NULL;
		log_warnx("remote-backup-service %s: %s", s->name, v->open_error);
	} else if (v->roles) {
		rbs_chan_set_roles(v->ch, v->roles);
	}
	free_profiles(prof, np);
	if (cc.ctx)
		SSL_CTX_free(cc.ctx); /* the channel holds its own reference */
	v->cfg_digest = chan_digest(s);
}

/* cfgclient_ops.apply: takes ownership of obj. */
static void apply(void *arg, void *obj)
{
	struct rbsd *d = arg;
	Db__RbsdConfig *c = obj;
	struct svc *list = NULL, **tail = &list;

	for (size_t i = 0; i < c->n_services; i++) {
		Db__RbsConfig *s = c->services[i];
		struct svc *v = find_svc(d, s->name), **pp;

		if (v) {
			for (pp = &d->svcs; *pp != v; pp = &(*pp)->next)
				;
			*pp = v->next;
			if (v->cfg_digest != chan_digest(s)) {
				log_info("remote-backup-service %s: addresses or TLS changed, new "
					 "channel",
					 s->name);
				drop_pending(v);
				rbs_chan_close(v->ch);
				v->ch = NULL;
				svc_open(v, s);
			} else if (v->ch) {
				size_t np;
				Db__RbsProfile **prof = hello_profiles(s, &np);

				rbs_chan_set_profiles(v->ch, prof, np);
				free_profiles(prof, np);
			}
		} else {
			v = calloc(1, sizeof(*v));
			if (v == NULL)
				fatal("calloc");
			v->d = d;
			snprintf(v->name, sizeof(v->name), "%s", s->name);
			v->pend_tail = &v->pend;
			svc_open(v, s);
		}
		v->next = NULL;
		*tail = v;
		tail = &v->next;
	}
	while (d->svcs) {
		struct svc *v = d->svcs;

		d->svcs = v->next;
		log_info("remote-backup-service %s: removed", v->name);
		drop_pending(v);
		rbs_chan_close(v->ch);
		rbs_fack_free(&v->fack);
		if (v->roles)
			db__rbs_roles__free_unpacked(v->roles, NULL);
		free(v);
	}
	d->svcs = list;
	for (size_t i = 0; i < c->n_batch; i++) {
		struct svc *v = find_svc(d, c->batch[i]->service);
		int n;

		d->batches++;
		if (v == NULL)
			continue;
		n = rbs_svc_parse(c->batch[i]->service_type, v->want_types);
		if (n < 0)
			continue;
		v->n_want = (size_t)n;
		log_info("remote-backup-service %s: batch-backup service-type %s now", v->name,
			 c->batch[i]->service_type);
		ask_feeder_batch(v);
	}
	if (d->running)
		db__rbsd_config__free_unpacked(d->running, NULL);
	d->running = c;
	log_info("%zu remote backup service(s) configured", c->n_services);
}

/* cfgclient_ops.discard */
static void discard(void *arg, void *obj)
{
	(void)arg;
	db__rbsd_config__free_unpacked(obj, NULL);
}

/* `display remote-backup-service [NAME] json` (docs/json.md). */
static int display_json(struct rbsd *d, const char *name, FILE *f)
{
	struct json_object *o = json_object_new_object(), *arr;
	size_t n = d->running ? d->running->n_services : 0, shown = 0;

	if (o == NULL)
		return 0;
	arr = jout_arr(o, "services");
	for (size_t i = 0; i < n; i++) {
		Db__RbsConfig *s = d->running->services[i];
		struct svc *v = find_svc(d, s->name);
		struct json_object *x, *p;

		if (name && strcmp(name, s->name))
			continue;
		shown++;
		x = jout_push_obj(arr);
		jout_str(x, "name", s->name);
		if (v && v->ch) {
			rbs_chan_json(v->ch, x);
		} else {
			jout_str(x, "state", "Init");
			jout_bool(x, "up", false);
			jout_str(x, "down_reason",
				 v && v->open_error[0] ? v->open_error : "not started");
			jout_str(x, "peer", s->peer[0] ? s->peer : NULL);
			jout_str(x, "source", s->source[0] ? s->source : NULL);
			jout_u64(x, "port", s->port);
			p = jout_obj(x, "tls");
			jout_bool(p, "enabled", s->ssl != NULL);
			jout_str(p, "ssl_policy", s->ssl ? s->ssl->name : NULL);
		}
		jout_str(x, "feeder", v && v->feeder_idlen ? v->feeder_name : NULL);
		jout_u64(x, "feeder_overruns", v ? v->overruns : 0);
		jout_u64(x, "feeder_undelivered", v ? v->undelivered : 0);
		jout_u64(x, "feeder_antientropy_refused", v ? v->ae_refused : 0);
		jout_bool(x, "batch_request_waiting", v && v->batch_wanted);
		jout_str(x, "track_bfd", s->track_bfd && s->track_bfd[0] ? s->track_bfd : NULL);
		p = jout_arr(x, "profiles");
		for (size_t j = 0; j < s->n_profiles; j++) {
			struct json_object *q = jout_push_obj(p);

			jout_str(q, "name", s->profiles[j]->name);
			jout_u64(q, "backup_id", s->profiles[j]->backup_id);
		}
	}
	if (name && shown == 0) {
		json_object_put(o);
		o = json_object_new_object();
		jout_str(o, "error", "The remote backup service does not exist.");
		jout_write(f, o);
		return 0;
	}
	return jout_write(f, o);
}

/* ctl_query_fn */
static int display(void *arg, const Db__Query *q, FILE *f, Db__QueryReply *r)
{
	/* display remote-backup-service [NAME] [verbose] */
	struct rbsd *d = arg;
	const char *name = q->name[0] ? q->name : NULL;
	bool verbose = q->verbose;
	size_t n = d->running ? d->running->n_services : 0, shown = 0;

	(void)r;
	if (q->kind != DB__QUERY_KIND__QUERY_RBS)
		return 0; /* not rbsd's: ctl says so */
	if (q->json)
		return display_json(d, name, f);
	for (size_t i = 0; i < n; i++) {
		Db__RbsConfig *s = d->running->services[i];
		struct svc *v = find_svc(d, s->name);

		if (name && strcmp(name, s->name))
			continue;
		shown++;
		fprintf(f, "Remote backup service: %s\n", s->name);
		if (v && v->ch) {
			rbs_chan_show(v->ch, verbose, f);
		} else {
			fprintf(f, "  State          : Init (%s)\n",
				v && v->open_error[0] ? v->open_error : "not started");
			fprintf(
			    f,
			    "  Peer           : %s\n  Source         : %s\n  Port           : %u\n",
			    s->peer[0] ? s->peer : "-", s->source[0] ? s->source : "-", s->port);
			if (s->ssl)
				fprintf(f, "  TLS            : on, ssl policy %s\n", s->ssl->name);
			else
				fprintf(f,
					"  TLS            : OFF - no ssl policy bound; user data "
					"crosses in the clear\n");
		}
		if (s->track_bfd && s->track_bfd[0])
			fprintf(f, "  Track BFD      : session %s (its Down takes the channel down)\n",
				s->track_bfd);
		if (v) {
			fprintf(f, "  Feeder         : %s",
				v->feeder_idlen ? v->feeder_name : "none attached");
			if (v->overruns || v->undelivered)
				fprintf(f, " (overruns %llu, undelivered %llu)",
					(unsigned long long)v->overruns,
					(unsigned long long)v->undelivered);
			if (v->ae_refused)
				fprintf(f, " (anti-entropy frames refused %llu)",
					(unsigned long long)v->ae_refused);
			fprintf(f, "\n");
			if (v->batch_wanted)
				fprintf(f, "  Batch request  : waiting for a feeder to attach and "
					   "send it\n");
		}
		for (size_t j = 0; j < s->n_profiles; j++)
			fprintf(f, "  Profile        : %s backup-id %u\n", s->profiles[j]->name,
				s->profiles[j]->backup_id);
	}
	if (name && shown == 0) {
		fprintf(f, "Error: The remote backup service %s does not exist.", name);
		return 0;
	}
	if (shown == 0)
		fprintf(f, "Info: No remote backup service is configured.");
	return 1;
}

/* bus_recv_cb of vrrpd's PUB: a tracked BFD session that leaves Up takes
 * its services' channels down now, instead of after the dead interval. */
static void on_vrrp_event(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	struct rbsd *d = arg;
	Db__Envelope *env;
	Db__BfdEvent *ev;

	(void)s;
	if (n != 1 || (env = bus_unpack(parts[0].data, parts[0].len)) == NULL)
		return;
	if (env->type == DB__MSG_TYPE__MSG_BFD_EVENT && env->sender == DB__ROLE__ROLE_VRRPD &&
	    (ev = db__bfd_event__unpack(NULL, env->payload.len, env->payload.data)) != NULL) {
		for (size_t i = 0; !ev->up && d->running && i < d->running->n_services; i++) {
			const Db__RbsConfig *r = d->running->services[i];
			struct svc *v = find_svc(d, r->name);
			char why[192];

			if (v == NULL || v->ch == NULL || r->track_bfd == NULL ||
			    strcmp(r->track_bfd, ev->session) != 0)
				continue;
			snprintf(why, sizeof(why), "bfd session %s went %s (%s)", ev->session,
				 ev->state, ev->diagnostic);
			rbs_chan_drop(v->ch, why);
		}
		db__bfd_event__free_unpacked(ev, NULL);
	}
	db__envelope__free_unpacked(env, NULL);
}

static int init(uv_loop_t *loop, void *zctx, const char *rundir, void *arg)
{
	struct rbsd *d = arg;
	char ep[512];
	struct bus_opts bo = {.type = ZMQ_ROUTER,
			      .bind = 1,
			      .cb = on_local,
			      .arg = d,
			      .hwm = LOCAL_HWM,
			      .zap_domain = PEER_DOMAIN_DAEMON};
	int rc;

	d->loop = loop;
	uv_timer_init(loop, &d->retry);
	d->retry.data = d;
	rc = daemon_endpoint(ep, sizeof(ep), rundir, "rbsd-entries");
	if (rc < 0)
		return rc;
	bo.endpoint = ep;
	rc = bus_open(&d->local, loop, zctx, &bo);
	if (rc < 0)
		return rc;
	{
		struct bus_opts sub = {
		    .type = ZMQ_SUB, .endpoint = ep, .cb = on_vrrp_event, .arg = d};

		rc = daemon_endpoint(ep, sizeof(ep), rundir, "vrrpd-events");
		if (rc < 0)
			return rc;
		return bus_open(&d->vrrp_sub, loop, zctx, &sub);
	}
}

static void stop(void *arg)
{
	struct rbsd *d = arg;

	while (d->svcs) {
		struct svc *v = d->svcs;

		d->svcs = v->next;
		drop_pending(v);
		rbs_chan_close(v->ch);
		rbs_fack_free(&v->fack);
		if (v->roles)
			db__rbs_roles__free_unpacked(v->roles, NULL);
		free(v);
	}
	uv_close((uv_handle_t *)&d->retry, NULL);
	if (d->local)
		bus_close(d->local);
	d->local = NULL;
	if (d->vrrp_sub)
		bus_close(d->vrrp_sub);
	d->vrrp_sub = NULL;
	arena_free(&d->local_arena);
}

static const struct cfgclient_ops ops = {check, apply, discard};

int main(int argc, char **argv)
{
	static struct rbsd rbsd;
	static const struct service svc = {"rbsd", DB__ROLE__ROLE_RBSD, &ops, display, &rbsd, init,
					   stop};
	struct rbsd *d = &rbsd;
	int rc = service_main(argc, argv, &svc);

	if (d->running)
		db__rbsd_config__free_unpacked(d->running, NULL);
	return rc;
}
