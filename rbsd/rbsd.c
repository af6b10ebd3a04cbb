/*
 * rbsd: remote backup services. This stage holds the services cfgd
 * commits, checked against the live system (the source address is on
 * this device, the port can be bound, the SSL policy's files load), and
 * reports them; the channel itself is the subject of the rbsd issue and
 * does not connect yet: every service shows state Init.
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
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/service.h"
#include "config.pb-c.h"

struct rbsd {
	Db__RbsdConfig *running;
	unsigned long batches; /* batch-backup requests received */
};

static struct rbsd g;

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
static int port_free(const Db__RbsConfig *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, rc = 0;

	if (g.running) {
		for (size_t i = 0; i < g.running->n_services; i++) {
			const Db__RbsConfig *r = g.running->services[i];

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
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());

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
	Db__RbsdConfig *c = db__rbsd_config__unpack(NULL, len, sec);

	(void)arg;
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
			} else if ((rc = port_free(s)) < 0) {
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

/* cfgclient_ops.apply: takes ownership of obj. */
static void apply(void *arg, void *obj)
{
	Db__RbsdConfig *c = obj;

	(void)arg;
	for (size_t i = 0; i < c->n_batch; i++) {
		g.batches++;
		log_info("remote-backup-service %s: batch-backup %s requested",
			 c->batch[i]->service, c->batch[i]->service_type);
	}
	if (g.running)
		db__rbsd_config__free_unpacked(g.running, NULL);
	g.running = c;
	log_info("%zu remote backup service(s) configured", c->n_services);
}

/* cfgclient_ops.discard */
static void discard(void *arg, void *obj)
{
	(void)arg;
	db__rbsd_config__free_unpacked(obj, NULL);
}

/* ctl_query_fn */
static int display(void *arg, const char *what, FILE *f)
{
	const char *name = strncmp(what, "remote-backup-service ", 22) == 0 ? what + 22 : NULL;
	size_t n = g.running ? g.running->n_services : 0, shown = 0;

	(void)arg;
	for (size_t i = 0; i < n; i++) {
		Db__RbsConfig *s = g.running->services[i];

		if (name && strcmp(name, s->name))
			continue;
		shown++;
		fprintf(f, "Remote backup service: %s\n", s->name);
		fprintf(f, "  State          : Init (the channel is not implemented yet)\n");
		fprintf(f, "  Peer           : %s\n  Source         : %s\n  Port           : %u\n",
			s->peer[0] ? s->peer : "-", s->source[0] ? s->source : "-", s->port);
		if (s->ssl)
			fprintf(f, "  TLS            : on, ssl policy %s\n", s->ssl->name);
		else
			fprintf(f, "  TLS            : OFF - user data would cross in the clear\n");
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

static const struct cfgclient_ops ops = {check, apply, discard};

int main(int argc, char **argv)
{
	static const struct service svc = {"rbsd", DB__ROLE__ROLE_RBSD, &ops, display, NULL, NULL,
					   NULL};
	int rc = service_main(argc, argv, &svc);

	if (g.running)
		db__rbsd_config__free_unpacked(g.running, NULL);
	return rc;
}
