/*
 * rbsd: its configuration. For each service cfgd commits, checked against
 * the live system first (the source address is on this device, the port
 * can be bound, the SSL policy's files load and match), one channel to
 * the peer device (rbs_chan.c), opened anew only when what it is made of
 * changed (addresses, port, TLS files, pins). A commit's batch-backup
 * ... now asks the feeder for a batch. And vrrpd's events: a tracked BFD
 * session that leaves Up takes its services' channels down.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/keyfile.h"
#include "common/log.h"
#include "common/reconcile.h"
#include "rbsd/rbs_tls.h"
#include "rbsd/rbsd.h"

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
void *rbsd_check(void *arg, const uint8_t *sec, size_t len, struct errlist *errs)
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

struct svc *rbsd_svc_find(struct rbsd *d, const char *name)
{
	for (struct svc *v = d->svcs; v; v = v->next)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

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
	rc = rbs_chan_open(&v->ch, v->d->loop, &cc, &rbsd_chan_ops, v->d, v->open_error,
			   sizeof(v->open_error));
	if (rc < 0) {
		v->ch = NULL;
		log_warnx("remote-backup-service %s: %s", s->name, v->open_error);
	} else {
		if (v->roles)
			rbs_chan_set_roles(v->ch, v->roles);
		/* a new channel: how the attached feeder acknowledges */
		if (v->feeder_idlen)
			rbs_chan_feeder_attach(v->ch, v->attach, v->applied_acks);
	}
	free_profiles(prof, np);
	if (cc.ctx)
		SSL_CTX_free(cc.ctx); /* the channel holds its own reference */
	v->cfg_digest = chan_digest(s);
}

void rbsd_svc_free(struct svc *v)
{
	rbsd_drop_pending(v);
	rbs_chan_close(v->ch);
	rbs_fack_free(&v->fack);
	if (v->roles)
		db__rbs_roles__free_unpacked(v->roles, NULL);
	free(v);
}

/* A commit's services against the running ones (common/reconcile.h). */
struct apply {
	struct rbsd *d;
	const Db__RbsdConfig *c;
};

static void *apply_find(void *ctx, size_t i)
{
	struct apply *a = ctx;

	return rbsd_svc_find(a->d, a->c->services[i]->name);
}

static void apply_drop(void *ctx, void *obj)
{
	struct svc *v = obj;

	(void)ctx;
	log_info("remote-backup-service %s: removed", v->name);
	rbsd_svc_free(v);
}

static void *apply_keep(void *ctx, void *obj, size_t i)
{
	struct apply *a = ctx;
	Db__RbsConfig *s = a->c->services[i];
	struct svc *v = obj;

	if (v->cfg_digest != chan_digest(s)) {
		log_info("remote-backup-service %s: addresses or TLS changed, new channel",
			 s->name);
		rbsd_drop_pending(v);
		rbs_chan_close(v->ch);
		v->ch = NULL;
		svc_open(v, s);
	} else if (v->ch) {
		size_t np;
		Db__RbsProfile **prof = hello_profiles(s, &np);

		rbs_chan_set_profiles(v->ch, prof, np);
		free_profiles(prof, np);
	}
	return v;
}

static void *apply_make(void *ctx, size_t i)
{
	struct apply *a = ctx;
	struct svc *v = calloc(1, sizeof(*v));

	if (v == NULL)
		fatal("calloc");
	v->d = a->d;
	snprintf(v->name, sizeof(v->name), "%s", a->c->services[i]->name);
	v->pend_tail = &v->pend;
	svc_open(v, a->c->services[i]);
	return v;
}

static const struct reconcile_ops apply_ops = {offsetof(struct svc, next), apply_find, apply_drop,
					       apply_keep, apply_make};

/* cfgclient_ops.apply: takes ownership of obj. */
void rbsd_apply(void *arg, void *obj)
{
	struct rbsd *d = arg;
	Db__RbsdConfig *c = obj;
	struct apply a = {d, c};

	/* a removed service closes its port before another may bind it */
	if (reconcile((void **)&d->svcs, c->n_services, &apply_ops, &a) < 0)
		fatal("out of memory");
	for (size_t i = 0; i < c->n_batch; i++) {
		struct svc *v = rbsd_svc_find(d, c->batch[i]->service);
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
		rbsd_ask_feeder_batch(v);
	}
	if (d->running)
		db__rbsd_config__free_unpacked(d->running, NULL);
	d->running = c;
	log_info("%zu remote backup service(s) configured", c->n_services);
}

/* cfgclient_ops.discard */
void rbsd_discard(void *arg, void *obj)
{
	(void)arg;
	db__rbsd_config__free_unpacked(obj, NULL);
}

/* bus_recv_cb of vrrpd's PUB: a tracked BFD session that leaves Up takes
 * its services' channels down now, instead of after the dead interval. */
void rbsd_on_vrrp_event(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
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
			struct svc *v = rbsd_svc_find(d, r->name);
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
