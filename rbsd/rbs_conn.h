/*
 * One TCP connection of an RBS channel, in clear or inside TLS, on a libuv
 * loop. TLS runs over memory BIOs: the socket's bytes go through OpenSSL
 * here, and the channel above only sees plaintext.
 *
 * A connection reports, through its callbacks:
 *  - up: TCP is connected and, with TLS, the handshake (with the peer's
 *    certificate verified against the policy's CA) is complete;
 *  - data: plaintext arrived (only after up);
 *  - down: it is closed, with the reason; the connection is freed right
 *    after the callback returns. rbs_conn_close() from the channel does
 *    not call down.
 */
#ifndef DB_RBS_CONN_H
#define DB_RBS_CONN_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct rbs_conn;

struct rbs_conn_cbs {
	void (*up)(struct rbs_conn *c, void *arg);
	void (*data)(struct rbs_conn *c, const uint8_t *buf, size_t len, void *arg);
	void (*down)(struct rbs_conn *c, const char *reason, void *arg);
	/* Optional: the queue of bytes waiting for the socket fell to zero. */
	void (*drained)(struct rbs_conn *c, void *arg);
};

/*
 * Dials dst from src (port 0: any) and, with ctx, starts TLS as the
 * client. Returns 0 with *out set (the outcome comes through the
 * callbacks), or a negative errno (no callback will come).
 */
int rbs_conn_dial(struct rbs_conn **out, uv_loop_t *loop, const struct sockaddr *src,
		  const struct sockaddr *dst, SSL_CTX *ctx, const struct rbs_conn_cbs *cbs,
		  void *arg);

/*
 * Takes a TCP stream already accepted (the caller initialised and accepted
 * it into tcp, which this module now owns and frees) and, with ctx, starts
 * TLS as the server. Returns 0 with *out set, or a negative errno (tcp has
 * then been closed and freed).
 */
int rbs_conn_adopt(struct rbs_conn **out, uv_tcp_t *tcp, SSL_CTX *ctx,
		   const struct rbs_conn_cbs *cbs, void *arg);

/*
 * Queues len bytes of plaintext (copied) for the peer. Returns 0, or a
 * negative errno when the connection is broken (down follows).
 */
int rbs_conn_write(struct rbs_conn *c, const void *buf, size_t len);

/* Bytes handed to the socket and not yet written out by the kernel. */
size_t rbs_conn_queued(const struct rbs_conn *c);

/* Stops reading (true) or starts again (false): back-pressure when the
 * consumer of the data cannot keep up. */
void rbs_conn_pause(struct rbs_conn *c, bool pause);

/* Closes now, without calling down, and frees the connection. */
void rbs_conn_close(struct rbs_conn *c);

/* The peer's address as text ("198.51.100.2:6000"). */
const char *rbs_conn_peer(const struct rbs_conn *c);

/* Whether the local side dialed this connection. */
bool rbs_conn_dialed(const struct rbs_conn *c);

/* The local and remote addresses (for the tie-break). */
int rbs_conn_addrs(const struct rbs_conn *c, struct sockaddr_storage *local,
		   struct sockaddr_storage *remote);

/*
 * With TLS, after up: the protocol ("TLSv1.3"), cipher and the peer
 * certificate's subject (one line) into the buffers; returns true.
 * Without TLS: false.
 */
bool rbs_conn_tls(const struct rbs_conn *c, char *proto, size_t plen, char *cipher, size_t clen,
		  char *subject, size_t slen);

/* Bytes received and sent on the wire (TLS records included). */
void rbs_conn_bytes(const struct rbs_conn *c, uint64_t *rx, uint64_t *tx);

/* What the kernel says of the connection's TCP socket (TCP_INFO,
 * SIOCOUTQ), and what rbsd has framed and not yet handed to it. */
struct rbs_tcp_info {
	const char *state; /* "established", "close-wait", ... */
	uint32_t rtt_us, rttvar_us, cwnd, retransmits;
	uint64_t kernel_queued; /* bytes in the socket's send queue */
	uint64_t app_queued;	/* bytes written and not yet in the socket */
};

/* 0, or -errno when the socket cannot be asked. */
int rbs_conn_tcp_info(const struct rbs_conn *c, struct rbs_tcp_info *ti);

#endif
