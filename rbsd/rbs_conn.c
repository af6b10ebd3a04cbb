#include "rbsd/rbs_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define READ_BUF (64 * 1024)

struct rbs_conn {
	uv_tcp_t *tcp;
	uv_connect_t connect;
	SSL_CTX *ctx; /* dialing: the TLS context to start once TCP is up */
	SSL *ssl;     /* NULL: clear text */
	BIO *rbio, *wbio;
	const struct rbs_conn_cbs *cbs;
	void *arg;
	bool dialed, is_up, closing, paused;
	size_t queued;
	uint64_t rx_bytes, tx_bytes;
	char peer[INET6_ADDRSTRLEN + 8];
	char rdbuf[READ_BUF];
};

struct wreq {
	uv_write_t req;
	struct rbs_conn *c; /* NULL once the connection is gone */
	size_t len;
	char data[];
};

static void tcp_closed(uv_handle_t *h)
{
	struct rbs_conn *c = h->data;

	free(h);
	if (c) {
		if (c->ssl)
			SSL_free(c->ssl); /* frees the BIOs */
		free(c);
	}
}

void rbs_conn_close(struct rbs_conn *c)
{
	if (c == NULL || c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)c->tcp, tcp_closed);
}

/* An error ends the connection: tell the channel, then close. */
static void fail(struct rbs_conn *c, const char *reason)
{
	if (c->closing)
		return;
	if (c->cbs->down)
		c->cbs->down(c, reason, c->arg);
	rbs_conn_close(c);
}

static void write_done(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct rbs_conn *c = w->c;

	if (!c->closing) {
		c->queued -= w->len;
		if (status < 0) {
			char r[96];

			snprintf(r, sizeof(r), "write: %s", uv_strerror(status));
			fail(c, r);
		} else if (c->queued == 0 && c->cbs->drained) {
			c->cbs->drained(c, c->arg);
		}
	}
	free(w);
}

/* A write request of len bytes, to be filled by the caller. */
static struct wreq *wreq_new(struct rbs_conn *c, size_t len)
{
	struct wreq *w = malloc(sizeof(*w) + len);

	if (w != NULL) {
		w->c = c;
		w->len = len;
	}
	return w;
}

/* Hand a filled write request to the socket; frees it on error. */
static int wreq_send(struct rbs_conn *c, struct wreq *w)
{
	uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
	int rc = uv_write(&w->req, (uv_stream_t *)c->tcp, &b, 1, write_done);

	if (rc < 0) {
		free(w);
		return rc;
	}
	c->queued += w->len;
	c->tx_bytes += w->len;
	return 0;
}

/* Hand bytes to the socket. */
static int put(struct rbs_conn *c, const void *buf, size_t len)
{
	struct wreq *w;

	if (len == 0)
		return 0;
	w = wreq_new(c, len);
	if (w == NULL)
		return -ENOMEM;
	memcpy(w->data, buf, len);
	return wreq_send(c, w);
}

/* Move what OpenSSL wrote into the memory BIO to the socket: read straight
 * into one write request, one copy of the ciphertext. */
static int flush_tls(struct rbs_conn *c)
{
	size_t len = BIO_ctrl_pending(c->wbio);
	struct wreq *w;
	int n;

	if (len == 0)
		return 0;
	if (len > INT32_MAX)
		len = INT32_MAX;
	w = wreq_new(c, len);
	if (w == NULL)
		return -ENOMEM;
	n = BIO_read(c->wbio, w->data, (int)len);
	if (n <= 0) {
		free(w);
		return n == 0 ? 0 : -EIO;
	}
	w->len = (size_t)n;
	n = wreq_send(c, w);
	if (n == 0 && BIO_ctrl_pending(c->wbio) > 0)
		return flush_tls(c);
	return n;
}

/* Why TLS failed, in words an operator can act on. */
static void tls_reason(struct rbs_conn *c, const char *what, char *r, size_t len)
{
	long v = SSL_get_verify_result(c->ssl);
	unsigned long e = ERR_peek_last_error();
	const char *s = e ? ERR_reason_error_string(e) : NULL;

	if (v == X509_V_ERR_APPLICATION_VERIFICATION)
		snprintf(r, len,
			 "TLS %s: peer certificate refused: not the pinned one (peer-certificate "
			 "sha256)",
			 what);
	else if (v != X509_V_OK)
		snprintf(r, len, "TLS %s: peer certificate refused: %s", what,
			 X509_verify_cert_error_string(v));
	else
		snprintf(r, len, "TLS %s: %s", what, s ? s : "connection closed by the peer");
	ERR_clear_error();
}

static void set_up(struct rbs_conn *c)
{
	c->is_up = true;
	if (c->cbs->up)
		c->cbs->up(c, c->arg);
}

static void tls_input(struct rbs_conn *c)
{
	char r[256];
	int n;

	if (!c->is_up) {
		n = SSL_do_handshake(c->ssl);
		if (flush_tls(c) < 0)
			return fail(c, "write failed during the TLS handshake");
		if (n != 1) {
			int e = SSL_get_error(c->ssl, n);

			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return;
			tls_reason(c, "handshake", r, sizeof(r));
			return fail(c, r);
		}
		set_up(c);
		if (c->closing)
			return;
	}
	for (;;) {
		n = SSL_read(c->ssl, c->rdbuf, sizeof(c->rdbuf));
		if (n > 0) {
			c->cbs->data(c, (const uint8_t *)c->rdbuf, (size_t)n, c->arg);
			if (c->closing || c->paused)
				return;
			continue;
		}
		switch (SSL_get_error(c->ssl, n)) {
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE:
			flush_tls(c); /* post-handshake messages (TLS 1.3 tickets) */
			return;
		case SSL_ERROR_ZERO_RETURN:
			return fail(c, "the peer closed TLS");
		default:
			tls_reason(c, "read", r, sizeof(r));
			return fail(c, r);
		}
	}
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct rbs_conn *c = h->data;
	static char tlsbuf[READ_BUF];

	(void)hint;
	/* TLS: ciphertext goes into a scratch buffer, then into the BIO; the
	 * plaintext comes out into rdbuf. Clear: straight into rdbuf. */
	*buf =
	    c->ssl ? uv_buf_init(tlsbuf, sizeof(tlsbuf)) : uv_buf_init(c->rdbuf, sizeof(c->rdbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct rbs_conn *c = s->data;
	char r[96];

	if (c == NULL || c->closing)
		return;
	if (n < 0) {
		snprintf(r, sizeof(r), "%s",
			 n == UV_EOF ? "the peer closed the connection" : uv_strerror((int)n));
		return fail(c, r);
	}
	if (n == 0)
		return;
	c->rx_bytes += (uint64_t)n;
	if (c->ssl) {
		if (BIO_write(c->rbio, buf->base, (int)n) != n)
			return fail(c, "out of memory in the TLS input buffer");
		tls_input(c);
		return;
	}
	c->cbs->data(c, (const uint8_t *)buf->base, (size_t)n, c->arg);
}

static void addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		port = ntohs(s->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, len, "%s:%u", a, port);
}

static int start(struct rbs_conn *c, SSL_CTX *ctx)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	int rc;

	uv_tcp_nodelay(c->tcp, 1);
	if (uv_tcp_getpeername(c->tcp, (struct sockaddr *)&ss, &len) == 0)
		addr_text(&ss, c->peer, sizeof(c->peer));
	if (ctx) {
		c->ssl = SSL_new(ctx);
		c->rbio = BIO_new(BIO_s_mem());
		c->wbio = BIO_new(BIO_s_mem());
		if (c->ssl == NULL || c->rbio == NULL || c->wbio == NULL) {
			BIO_free(c->rbio);
			BIO_free(c->wbio);
			c->rbio = c->wbio = NULL;
			return -ENOMEM;
		}
		SSL_set_bio(c->ssl, c->rbio, c->wbio);
		if (c->dialed)
			SSL_set_connect_state(c->ssl);
		else
			SSL_set_accept_state(c->ssl);
	}
	rc = uv_read_start((uv_stream_t *)c->tcp, on_alloc, on_read);
	if (rc < 0)
		return rc;
	if (c->ssl) {
		tls_input(c); /* the client speaks first */
		return 0;
	}
	set_up(c);
	return 0;
}

static void on_connect(uv_connect_t *req, int status)
{
	struct rbs_conn *c = req->data;
	char r[96];
	int rc;

	if (c->closing)
		return;
	if (status < 0) {
		snprintf(r, sizeof(r), "connect: %s", uv_strerror(status));
		return fail(c, r);
	}
	rc = start(c, c->ctx);
	if (rc < 0) {
		snprintf(r, sizeof(r), "start: %s", uv_strerror(rc));
		fail(c, r);
	}
}

static struct rbs_conn *conn_new(const struct rbs_conn_cbs *cbs, void *arg)
{
	struct rbs_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->cbs = cbs;
	c->arg = arg;
	snprintf(c->peer, sizeof(c->peer), "?");
	return c;
}

int rbs_conn_dial(struct rbs_conn **out, uv_loop_t *loop, const struct sockaddr *src,
		  const struct sockaddr *dst, SSL_CTX *ctx, const struct rbs_conn_cbs *cbs,
		  void *arg)
{
	struct rbs_conn *c = conn_new(cbs, arg);
	int rc;

	if (c == NULL)
		return -ENOMEM;
	c->tcp = malloc(sizeof(*c->tcp));
	if (c->tcp == NULL) {
		free(c);
		return -ENOMEM;
	}
	uv_tcp_init(loop, c->tcp);
	c->tcp->data = c;
	c->dialed = true;
	c->ctx = ctx;
	rc = uv_tcp_bind(c->tcp, src, 0);
	if (rc == 0) {
		c->connect.data = c;
		rc = uv_tcp_connect(&c->connect, c->tcp, dst, on_connect);
	}
	if (rc < 0) {
		c->closing = true;
		uv_close((uv_handle_t *)c->tcp, tcp_closed);
		return rc;
	}
	*out = c;
	return 0;
}

int rbs_conn_adopt(struct rbs_conn **out, uv_tcp_t *tcp, SSL_CTX *ctx,
		   const struct rbs_conn_cbs *cbs, void *arg)
{
	struct rbs_conn *c = conn_new(cbs, arg);
	int rc;

	if (c == NULL) {
		tcp->data = NULL;
		uv_close((uv_handle_t *)tcp, tcp_closed);
		return -ENOMEM;
	}
	c->tcp = tcp;
	tcp->data = c;
	rc = start(c, ctx);
	if (rc < 0) {
		c->closing = true;
		uv_close((uv_handle_t *)tcp, tcp_closed);
		return rc;
	}
	*out = c;
	return 0;
}

int rbs_conn_write(struct rbs_conn *c, const void *buf, size_t len)
{
	if (c->closing || !c->is_up)
		return -ENOTCONN;
	if (c->ssl == NULL)
		return put(c, buf, len);
	while (len > 0) {
		int n = SSL_write(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);

		if (n <= 0)
			return -EIO;
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return flush_tls(c);
}

size_t rbs_conn_queued(const struct rbs_conn *c)
{
	return c->queued;
}

void rbs_conn_pause(struct rbs_conn *c, bool pause)
{
	if (c->closing || c->paused == pause)
		return;
	c->paused = pause;
	if (pause) {
		uv_read_stop((uv_stream_t *)c->tcp);
		return;
	}
	uv_read_start((uv_stream_t *)c->tcp, on_alloc, on_read);
	if (c->ssl && c->is_up)
		tls_input(c); /* plaintext OpenSSL still holds */
}

const char *rbs_conn_peer(const struct rbs_conn *c)
{
	return c->peer;
}

bool rbs_conn_dialed(const struct rbs_conn *c)
{
	return c->dialed;
}

int rbs_conn_addrs(const struct rbs_conn *c, struct sockaddr_storage *local,
		   struct sockaddr_storage *remote)
{
	int l = sizeof(*local), r = sizeof(*remote), rc;

	rc = uv_tcp_getsockname(c->tcp, (struct sockaddr *)local, &l);
	if (rc == 0)
		rc = uv_tcp_getpeername(c->tcp, (struct sockaddr *)remote, &r);
	return rc;
}

bool rbs_conn_tls(const struct rbs_conn *c, char *proto, size_t plen, char *cipher, size_t clen,
		  char *subject, size_t slen)
{
	X509 *peer;

	if (c->ssl == NULL || !c->is_up)
		return false;
	snprintf(proto, plen, "%s", SSL_get_version(c->ssl));
	snprintf(cipher, clen, "%s", SSL_get_cipher_name(c->ssl));
	peer = SSL_get0_peer_certificate(c->ssl);
	if (peer)
		X509_NAME_oneline(X509_get_subject_name(peer), subject, (int)slen);
	else
		snprintf(subject, slen, "(none)");
	return true;
}

void rbs_conn_bytes(const struct rbs_conn *c, uint64_t *rx, uint64_t *tx)
{
	*rx = c->rx_bytes;
	*tx = c->tx_bytes;
}

int rbs_conn_tcp_info(const struct rbs_conn *c, struct rbs_tcp_info *ti)
{
	static const char *const states[] = {
	    [TCP_ESTABLISHED] = "established", [TCP_SYN_SENT] = "syn-sent",
	    [TCP_SYN_RECV] = "syn-received",   [TCP_FIN_WAIT1] = "fin-wait-1",
	    [TCP_FIN_WAIT2] = "fin-wait-2",    [TCP_TIME_WAIT] = "time-wait",
	    [TCP_CLOSE] = "closed",	       [TCP_CLOSE_WAIT] = "close-wait",
	    [TCP_LAST_ACK] = "last-ack",       [TCP_LISTEN] = "listen",
	    [TCP_CLOSING] = "closing",
	};
	struct tcp_info i;
	socklen_t len = sizeof(i);
	uv_os_fd_t fd;
	int outq = 0;

	memset(ti, 0, sizeof(*ti));
	ti->state = "closed";
	ti->app_queued = c->queued;
	if (c->closing || uv_fileno((const uv_handle_t *)c->tcp, &fd) != 0)
		return -ENOTCONN;
	memset(&i, 0, sizeof(i));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &i, &len) < 0)
		return -errno;
	if (i.tcpi_state < sizeof(states) / sizeof(states[0]) && states[i.tcpi_state])
		ti->state = states[i.tcpi_state];
	ti->rtt_us = i.tcpi_rtt;
	ti->rttvar_us = i.tcpi_rttvar;
	ti->cwnd = i.tcpi_snd_cwnd;
	ti->retransmits = i.tcpi_total_retrans;
	if (ioctl(fd, SIOCOUTQ, &outq) == 0 && outq > 0)
		ti->kernel_queued = (uint64_t)outq;
	return 0;
}
