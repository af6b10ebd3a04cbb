/*
 * bench-tls-raw: the raw TLS byte rate between two hosts with the RBS
 * channel's OpenSSL setup (TLS_method, mutual authentication against one
 * CA, TCP_NODELAY), as the reference for the channel's own rate. Blocking
 * sockets, no framing, no copies but OpenSSL's: the client writes BYTES in
 * SSL_write() calls of RECORD bytes, the server reads them all and answers
 * one byte, and the client's clock stops at that byte.
 *
 *   bench-tls-raw server -a ADDR -p PORT -c CERT -k KEY -C CA [options]
 *   bench-tls-raw client -a ADDR -p PORT -c CERT -k KEY -C CA [options]
 *
 *   -n BYTES      bytes to send (default 1 GiB; both sides must agree)
 *   -w RECORD     bytes per SSL_write (default 65536; OpenSSL cuts them
 *                 into TLS records of at most 16 KiB)
 *   -V 1.2|1.3    the only protocol version allowed (default 1.3)
 *   -s SUITES     TLS 1.3 ciphersuites (SSL_CTX_set_ciphersuites), or with
 *                 -V 1.2 the cipher list; default: OpenSSL's
 *   -t SECONDS    the client retries connect() this long (default 5)
 *
 * Each side prints one line of key=value pairs on stdout:
 *
 *   server: role=server proto=P cipher=C bytes=N secs=S MBps=R cpu_s=U
 *   client: role=client proto=P cipher=C bytes=N wire_bytes=W secs=S MBps=R
 *           wire_MBps=RW cpu_s=U
 *
 * secs: server, first byte to last byte read; client, first SSL_write to
 * the server's answer (so it includes one round trip). wire_bytes: what
 * TCP carried for the data (tcpi_bytes_acked after minus before), TLS
 * record headers and tags included. MBps: 10^6 bytes per second of
 * plaintext; wire_MBps: of wire_bytes. cpu_s: user + system time of the
 * process during the transfer (getrusage).
 *
 * Exit status: 0 done, 1 a failure (printed on stderr), 2 bad usage.
 *
 * Build: cc -O2 -o build/bin/bench-tls-raw bench/tls_raw.c -lssl -lcrypto
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_acked */
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct opts {
	bool server;
	const char *addr, *cert, *key, *ca, *suites;
	unsigned port;
	uint64_t bytes;
	size_t record;
	int version;
	int connect_s;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void die_ssl(const char *what)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, buf, sizeof(buf));
	fprintf(stderr, "bench-tls-raw: %s: %s\n", what, e ? buf : strerror(errno));
	exit(1);
}

static void die(const char *what)
{
	fprintf(stderr, "bench-tls-raw: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The context rbsd's make_ctx() builds, with the version and suites pinned. */
static SSL_CTX *make_ctx(const struct opts *o)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());

	if (ctx == NULL)
		die_ssl("SSL_CTX_new");
	if (SSL_CTX_set_min_proto_version(ctx, o->version) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, o->version) != 1)
		die_ssl("protocol version");
	if (o->suites) {
		int ok = o->version == TLS1_3_VERSION ? SSL_CTX_set_ciphersuites(ctx, o->suites)
						      : SSL_CTX_set_cipher_list(ctx, o->suites);

		if (ok != 1)
			die_ssl(o->suites);
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1)
		die_ssl(o->cert);
	if (SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1)
		die_ssl(o->key);
	if (SSL_CTX_check_private_key(ctx) != 1)
		die_ssl("key does not match the certificate");
	if (SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1)
		die_ssl(o->ca);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return ctx;
}

static void sockaddr_of(const struct opts *o, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, o->addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)o->port);
		*len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, o->addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)o->port);
		*len = sizeof(*s6);
	} else {
		fprintf(stderr, "bench-tls-raw: bad address %s\n", o->addr);
		exit(2);
	}
}

static uint64_t bytes_acked(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return 0;
	return ti.tcpi_bytes_acked;
}

static int run_server(const struct opts *o, SSL_CTX *ctx)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd, fd, one = 1, n;
	SSL *ssl;
	char *buf = malloc(o->record);
	uint64_t got = 0;
	double t0 = 0, t1, c0 = 0;

	sockaddr_of(o, &ss, &len);
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || buf == NULL)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, len) < 0 || listen(lfd, 1) < 0)
		die("bind/listen");
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	close(lfd);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ssl = SSL_new(ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1)
		die_ssl("TLS handshake");
	while (got < o->bytes) {
		n = SSL_read(ssl, buf, (int)o->record);
		if (n <= 0)
			die_ssl("SSL_read");
		if (got == 0) {
			t0 = now_s();
			c0 = cpu_s();
		}
		got += (uint64_t)n;
	}
	t1 = now_s();
	if (SSL_write(ssl, "k", 1) != 1)
		die_ssl("SSL_write");
	printf("role=server proto=%s cipher=%s bytes=%llu secs=%.6f MBps=%.1f cpu_s=%.3f\n",
	       SSL_get_version(ssl), SSL_get_cipher_name(ssl), (unsigned long long)got, t1 - t0,
	       (double)got / (t1 - t0) / 1e6, cpu_s() - c0);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	free(buf);
	return 0;
}

static int run_client(const struct opts *o, SSL_CTX *ctx)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = -1, one = 1;
	SSL *ssl;
	char *buf = malloc(o->record), ack;
	uint64_t sent = 0, w0, w1;
	double t0, t1, c0, deadline = now_s() + o->connect_s;

	if (buf == NULL)
		die("malloc");
	for (size_t i = 0; i < o->record; i++)
		buf[i] = (char)(i * 131 + 7);
	sockaddr_of(o, &ss, &len);
	for (;;) {
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		if (connect(fd, (struct sockaddr *)&ss, len) == 0)
			break;
		if (now_s() > deadline)
			die("connect");
		close(fd);
		usleep(20000);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ssl = SSL_new(ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1)
		die_ssl("TLS handshake");
	w0 = bytes_acked(fd);
	t0 = now_s();
	c0 = cpu_s();
	while (sent < o->bytes) {
		uint64_t left = o->bytes - sent;
		int chunk = (int)(left < o->record ? left : o->record);

		if (SSL_write(ssl, buf, chunk) != chunk)
			die_ssl("SSL_write");
		sent += (uint64_t)chunk;
	}
	if (SSL_read(ssl, &ack, 1) != 1)
		die_ssl("SSL_read (the server's answer)");
	t1 = now_s();
	w1 = bytes_acked(fd);
	printf("role=client proto=%s cipher=%s bytes=%llu wire_bytes=%llu secs=%.6f MBps=%.1f "
	       "wire_MBps=%.1f cpu_s=%.3f\n",
	       SSL_get_version(ssl), SSL_get_cipher_name(ssl), (unsigned long long)sent,
	       (unsigned long long)(w1 - w0), t1 - t0, (double)sent / (t1 - t0) / 1e6,
	       (double)(w1 - w0) / (t1 - t0) / 1e6, cpu_s() - c0);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	free(buf);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-tls-raw server|client -a ADDR -p PORT -c CERT -k KEY -C CA "
			"[-n BYTES] [-w RECORD] [-V 1.2|1.3] [-s SUITES] [-t SECONDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {
	    .bytes = 1ull << 30, .record = 65536, .version = TLS1_3_VERSION, .connect_s = 5};
	SSL_CTX *ctx;
	int c;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "server") == 0)
		o.server = true;
	else if (strcmp(argv[1], "client") != 0)
		usage();
	optind = 2;
	while ((c = getopt(argc, argv, "a:p:c:k:C:n:w:V:s:t:")) != -1) {
		switch (c) {
		case 'a':
			o.addr = optarg;
			break;
		case 'p':
			o.port = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			o.cert = optarg;
			break;
		case 'k':
			o.key = optarg;
			break;
		case 'C':
			o.ca = optarg;
			break;
		case 'n':
			o.bytes = strtoull(optarg, NULL, 10);
			break;
		case 'w':
			o.record = strtoul(optarg, NULL, 10);
			break;
		case 'V':
			if (strcmp(optarg, "1.2") == 0)
				o.version = TLS1_2_VERSION;
			else if (strcmp(optarg, "1.3") == 0)
				o.version = TLS1_3_VERSION;
			else
				usage();
			break;
		case 's':
			o.suites = optarg;
			break;
		case 't':
			o.connect_s = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!o.addr || !o.port || !o.cert || !o.key || !o.ca || o.bytes == 0 || o.record == 0 ||
	    o.record > (1u << 30))
		usage();
	ctx = make_ctx(&o);
	c = o.server ? run_server(&o, ctx) : run_client(&o, ctx);
	SSL_CTX_free(ctx);
	return c;
}
