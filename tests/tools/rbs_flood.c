/*
 * rbs-flood: an attacker of the RBS port, for the attack tests
 * (tests/integration/attack_rbs.sh). Run it where it can send from the
 * peer's address (in the peer's namespace: "a local user on the peer").
 *
 *   rbs-flood -c ADDR [-p PORT] [-b SRC] [-H HALF] [-g GARBAGE] [-e HELLO]
 *             [-s SERVICE] [-t SECONDS] [-m MAXCONN]
 *
 * It keeps open, for SECONDS (default 10, at most 120):
 *  - HALF connections that connect and send nothing (half-open
 *    handshakes: they hold a slot until the server gives up on them);
 *  - GARBAGE connections that send random bytes every 100 ms;
 *  - HELLO connections that speak the clear-text protocol as a rogue peer:
 *    a valid HELLO for SERVICE (default rbs1) from a new session, then an
 *    empty batch of every service type (which, accepted, would wipe the
 *    victim's copy of the peer's users).
 * A connection the server closes is opened again 100 ms later, up to
 * MAXCONN connections in all (default 50000). Then it prints one line:
 *
 *   opened=N closed_by_server=N connect_failed=N hello_sent=N max_held_ms=N
 *
 * max_held_ms: the longest a connection stayed open before the server
 * closed it (how long a half-open handshake may hold a slot).
 * and exits 0. Every loop is bounded in time and count.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rbs.pb-c.h"
#include "rbsd/rbs_frame.h"

#define MAX_CONNS 1024
#define REOPEN_MS 100
#define GARBAGE_EVERY_MS 100
#define GARBAGE_BYTES 1024

enum kind { HALF, GARBAGE, HELLO };

struct conn {
	int fd;
	enum kind kind;
	bool connecting;
	uint64_t reopen_at, next_garbage, opened_at;
};

static struct sockaddr_storage dst, src;
static socklen_t dst_len, src_len;
static const char *service = "rbs1";
static uint64_t opened, closed_by_server, connect_failed, hello_sent, max_held_ms;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int to_addr(const char *text, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

static void conn_close(struct conn *c, uint64_t now)
{
	close(c->fd);
	c->fd = -1;
	c->reopen_at = now + REOPEN_MS;
}

static void conn_open(struct conn *c, uint64_t now)
{
	int fd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		connect_failed++;
		c->reopen_at = now + REOPEN_MS;
		return;
	}
	if (src_len && bind(fd, (struct sockaddr *)&src, src_len) < 0) {
		close(fd);
		connect_failed++;
		c->reopen_at = now + REOPEN_MS;
		return;
	}
	if (connect(fd, (struct sockaddr *)&dst, dst_len) < 0 && errno != EINPROGRESS) {
		close(fd);
		connect_failed++;
		c->reopen_at = now + REOPEN_MS;
		return;
	}
	c->fd = fd;
	c->connecting = true;
	c->next_garbage = now;
}

static bool send_frame(int fd, const Db__RbsFrame *f)
{
	uint8_t buf[4096];
	int n = rbs_frame_encode(f, buf, sizeof(buf));

	return n > 0 && send(fd, buf, (size_t)n, MSG_NOSIGNAL) == n;
}

/* A rogue peer's opening: HELLO from a new session, then an empty batch of
 * every type. */
static void send_rogue(int fd)
{
	Db__RbsFrame f = DB__RBS_FRAME__INIT;
	Db__RbsHello h = DB__RBS_HELLO__INIT;
	Db__RbsBatchBegin b = DB__RBS_BATCH_BEGIN__INIT;
	Db__RbsBatchEnd e = DB__RBS_BATCH_END__INIT;
	Db__RbsServiceType all[RBS_SVC_COUNT];
	int n = rbs_svc_parse("all", all);
	uint64_t session = 0;

	while (session == 0)
		if (getrandom(&session, sizeof(session), 0) != sizeof(session))
			session = 0x5eed;
	h.version = RBS_PROTO_VERSION;
	h.session = session;
	h.service = (char *)service;
	f.body_case = DB__RBS_FRAME__BODY_HELLO;
	f.hello = &h;
	if (!send_frame(fd, &f))
		return;
	b.n_types = e.n_types = n > 0 ? (size_t)n : 0;
	b.types = e.types = all;
	f.body_case = DB__RBS_FRAME__BODY_BATCH_BEGIN;
	f.batch_begin = &b;
	send_frame(fd, &f);
	f.body_case = DB__RBS_FRAME__BODY_BATCH_END;
	f.batch_end = &e;
	send_frame(fd, &f);
	hello_sent++;
}

static void send_garbage(int fd)
{
	uint8_t buf[GARBAGE_BYTES];

	if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		memset(buf, 0xa5, sizeof(buf));
	(void)send(fd, buf, sizeof(buf), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void usage(void)
{
	fprintf(stderr, "usage: rbs-flood -c ADDR [-p PORT] [-b SRC] [-H HALF] [-g GARBAGE] "
			"[-e HELLO] [-s SERVICE] [-t SECONDS] [-m MAXCONN]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *to = NULL, *from = NULL;
	unsigned port = 6000, n_half = 0, n_garbage = 0, n_hello = 0, secs = 10;
	uint64_t max_conns = 50000, end;
	struct conn conns[MAX_CONNS];
	struct pollfd pfd[MAX_CONNS];
	size_t n = 0;
	int c;

	while ((c = getopt(argc, argv, "c:p:b:H:g:e:s:t:m:")) != -1) {
		switch (c) {
		case 'c':
			to = optarg;
			break;
		case 'p':
			port = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			from = optarg;
			break;
		case 'H':
			n_half = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'g':
			n_garbage = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'e':
			n_hello = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			service = optarg;
			break;
		case 't':
			secs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			max_conns = strtoull(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (to == NULL || port == 0 || port > 65535 || secs == 0 || secs > 120 ||
	    (size_t)n_half + n_garbage + n_hello > MAX_CONNS ||
	    to_addr(to, port, &dst, &dst_len) < 0 || (from && to_addr(from, 0, &src, &src_len) < 0))
		usage();
	for (unsigned i = 0; i < n_half + n_garbage + n_hello; i++, n++) {
		conns[n].fd = -1;
		conns[n].kind = i < n_half ? HALF : i < n_half + n_garbage ? GARBAGE : HELLO;
		conns[n].reopen_at = 0;
	}
	end = now_ms() + secs * 1000ull;
	for (uint64_t now = now_ms(); now < end; now = now_ms()) {
		for (size_t i = 0; i < n; i++) {
			struct conn *k = &conns[i];

			if (k->fd < 0 && now >= k->reopen_at && opened + connect_failed < max_conns)
				conn_open(k, now);
			if (k->fd >= 0 && !k->connecting && k->kind == GARBAGE &&
			    now >= k->next_garbage) {
				send_garbage(k->fd);
				k->next_garbage = now + GARBAGE_EVERY_MS;
			}
			pfd[i].fd = k->fd;
			pfd[i].events = k->fd < 0 ? 0 : k->connecting ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, n, 20) < 0 && errno != EINTR)
			break;
		now = now_ms();
		for (size_t i = 0; i < n; i++) {
			struct conn *k = &conns[i];
			uint8_t buf[4096];
			int err = 0;
			socklen_t el = sizeof(err);

			if (k->fd < 0 || pfd[i].revents == 0)
				continue;
			if (k->connecting) {
				getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err) {
					connect_failed++;
					conn_close(k, now);
					continue;
				}
				k->connecting = false;
				k->opened_at = now;
				opened++;
				if (k->kind == HELLO)
					send_rogue(k->fd);
				continue;
			}
			/* Drain what the server says; it closing is what we count. */
			ssize_t r = recv(k->fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				closed_by_server++;
				if (now - k->opened_at > max_held_ms)
					max_held_ms = now - k->opened_at;
				conn_close(k, now);
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	printf("opened=%llu closed_by_server=%llu connect_failed=%llu hello_sent=%llu "
	       "max_held_ms=%llu\n",
	       (unsigned long long)opened, (unsigned long long)closed_by_server,
	       (unsigned long long)connect_failed, (unsigned long long)hello_sent,
	       (unsigned long long)max_held_ms);
	return 0;
}
