/* The kernel's neighbour tables through rtnetlink: see rbp_neigh.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sock_diag.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rbpd/rbp_neigh.h"

/* The receive buffer asked for, doubled by the kernel: room for some
 * 20 000 notifications or ACKs (each costs its skb, about 800 bytes). */
#define RCVBUF_WANT (8 << 20)

/*
 * Big enough for any datagram of a dump: the kernel sizes a dump's skb
 * after the reader's buffer but never above 32 KiB
 * (net/netlink/af_netlink.c, netlink_recvmsg()); events are far smaller.
 */
#define READ_BUF 32768

/* Room for one ACK in the receive queue, which counts its skb's truesize:
 * 832 bytes for a capped ACK on Linux 6.18; keep a page. */
#define ACK_ROOM 4096

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int rbp_neigh_parse(const struct nlmsghdr *h, size_t len, struct rbp_neigh *out)
{
	const uint8_t *p = (const uint8_t *)h;
	struct rbp_neigh n = {0};
	struct nlmsghdr nh;
	struct ndmsg ndm;
	bool have_dst = false;
	size_t off, end, alen;

	if (len < sizeof(nh))
		return -EINVAL;
	memcpy(&nh, p, sizeof(nh));
	if (nh.nlmsg_len < sizeof(nh) || nh.nlmsg_len > len)
		return -EINVAL;
	if (nh.nlmsg_type != RTM_NEWNEIGH && nh.nlmsg_type != RTM_DELNEIGH)
		return 0;
	end = nh.nlmsg_len;
	if (end < NLMSG_LENGTH(sizeof(ndm)))
		return -EINVAL;
	memcpy(&ndm, p + NLMSG_HDRLEN, sizeof(ndm));
	alen = addr_len(ndm.ndm_family);
	if (alen == 0)
		return 0;
	n.family = ndm.ndm_family;
	n.ifindex = ndm.ndm_ifindex;
	n.state = ndm.ndm_state;
	n.flags = ndm.ndm_flags;

	/* Attributes follow the padded ndmsg; each has to fit whole before
	 * nlmsg_len, its padding may not (the last one's). */
	off = NLMSG_SPACE(sizeof(ndm));
	while (off < end) {
		const uint8_t *data;
		struct rtattr a;
		size_t plen;

		if (end - off < sizeof(a))
			return -EINVAL;
		memcpy(&a, p + off, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > end - off)
			return -EINVAL;
		data = p + off + RTA_LENGTH(0);
		plen = a.rta_len - RTA_LENGTH(0);
		switch (a.rta_type & NLA_TYPE_MASK) {
		case NDA_DST:
			if (plen != alen)
				return -EINVAL;
			memcpy(n.addr, data, alen);
			have_dst = true;
			break;
		case NDA_LLADDR:
			n.has_lladdr = plen == sizeof(n.lladdr);
			if (n.has_lladdr)
				memcpy(n.lladdr, data, sizeof(n.lladdr));
			else
				memset(n.lladdr, 0, sizeof(n.lladdr));
			break;
		case NDA_PROTOCOL:
			if (plen < 1)
				return -EINVAL;
			n.protocol = data[0];
			break;
		}
		off += RTA_ALIGN(a.rta_len);
	}
	if (!have_dst)
		return 0;
	*out = n;
	return 1;
}

/* Appends an attribute at *off in buf (cap bytes). */
static int put_attr(uint8_t *buf, size_t cap, size_t *off, unsigned short type, const void *data,
		    size_t len)
{
	struct rtattr a = {.rta_len = (unsigned short)RTA_LENGTH(len), .rta_type = type};

	if (cap - *off < RTA_SPACE(len))
		return -EMSGSIZE;
	memset(buf + *off, 0, RTA_SPACE(len));
	memcpy(buf + *off, &a, sizeof(a));
	memcpy(buf + *off + RTA_LENGTH(0), data, len);
	*off += RTA_SPACE(len);
	return 0;
}

/* rbp_neigh_build() with the NLM_F_* flags of an RTM_NEWNEIGH given
 * (NLM_F_REQUEST and NLM_F_ACK are added); RTM_GETNEIGH asks for one
 * entry, answered with the entry instead of an ACK. */
static int build(void *buf, size_t cap, int type, const struct rbp_neigh *n, uint32_t seq,
		 uint16_t new_flags)
{
	struct nlmsghdr nh = {.nlmsg_type = (uint16_t)type, .nlmsg_seq = seq};
	struct ndmsg ndm = {0};
	size_t alen = addr_len(n->family), off = NLMSG_SPACE(sizeof(ndm));
	uint8_t *b = buf;
	int rc;

	if (alen == 0)
		return -EAFNOSUPPORT;
	if (type == RTM_NEWNEIGH)
		nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | new_flags;
	else if (type == RTM_DELNEIGH)
		nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	else if (type == RTM_GETNEIGH)
		nh.nlmsg_flags = NLM_F_REQUEST;
	else
		return -EINVAL;
	if (cap < off)
		return -EMSGSIZE;
	ndm.ndm_family = (uint8_t)n->family;
	ndm.ndm_ifindex = n->ifindex;
	if (type == RTM_NEWNEIGH) {
		ndm.ndm_state = n->state;
		ndm.ndm_flags = n->flags;
	}
	memset(b, 0, off);
	memcpy(b + NLMSG_HDRLEN, &ndm, sizeof(ndm));
	rc = put_attr(b, cap, &off, NDA_DST, n->addr, alen);
	if (rc == 0 && type == RTM_NEWNEIGH)
		rc = put_attr(b, cap, &off, NDA_LLADDR, n->lladdr, sizeof(n->lladdr));
	if (rc == 0 && type == RTM_NEWNEIGH && n->protocol)
		rc = put_attr(b, cap, &off, NDA_PROTOCOL, &n->protocol, 1);
	if (rc < 0)
		return rc;
	nh.nlmsg_len = (uint32_t)off;
	memcpy(b, &nh, sizeof(nh));
	return (int)off;
}

int rbp_neigh_build(void *buf, size_t cap, int type, const struct rbp_neigh *n, uint32_t seq)
{
	if (type == RTM_GETNEIGH)
		return -EINVAL;
	return build(buf, cap, type, n, seq, NLM_F_CREATE | NLM_F_REPLACE);
}

const char *rbp_neigh_addr_str(const struct rbp_neigh *n, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (addr_len(n->family) == 0 || !inet_ntop(n->family, n->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* Sockets. */

/* A NETLINK_ROUTE socket, non-blocking, with a big receive buffer, in the
 * groups given. */
static int nl_open(unsigned groups)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = groups};
	int fd, rc, size = RCVBUF_WANT;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* Without CAP_NET_ADMIN only up to net.core.rmem_max: the kernel
	 * silently caps SO_RCVBUF, which is what we want then. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	return fd;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

int rbp_neigh_monitor_open(void)
{
	return nl_open(RTMGRP_NEIGH);
}

int rbp_neigh_ctl_open(void)
{
	int fd = nl_open(0), one = 1;

	/* ACKs without a copy of the request: smaller, so more fit. Kernels
	 * before 4.3 lack the option; their ACKs are merely larger. */
	if (fd >= 0)
		(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

/* Sends one request to the kernel. */
static int nl_send(int fd, const void *req, size_t len)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	ssize_t n;

	do
		n = sendto(fd, req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
		return -EAGAIN;
	return n < 0 ? -errno : 0;
}

int rbp_neigh_dump(int fd, uint32_t seq)
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg ndm;
	} req = {
	    .nh = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg)),
		   .nlmsg_type = RTM_GETNEIGH,
		   .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		   .nlmsg_seq = seq},
	    .ndm = {.ndm_family = AF_UNSPEC},
	};

	return nl_send(fd, &req, sizeof(req));
}

/*
 * Would the kernel keep an ACK for a request sent now? It processes the
 * request within sendto() and queues the ACK with MSG_DONTWAIT: on a full
 * receive queue the ACK is dropped (and the next read says ENOBUFS) while
 * sendto() succeeds all the same, so the check has to come first.
 * Returns 1 or 0; 1 when the kernel cannot tell (SO_MEMINFO is Linux
 * 4.12). Exact as long as nothing but ACKs reaches the socket.
 */
static int ack_room(int fd)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
	    len < sizeof(uint32_t) * (SK_MEMINFO_RCVBUF + 1))
		return 1;
	return (uint64_t)mem[SK_MEMINFO_RMEM_ALLOC] + ACK_ROOM <= mem[SK_MEMINFO_RCVBUF];
}

static int send_req(int fd, int type, const struct rbp_neigh *n, uint32_t seq, uint16_t flags)
{
	uint32_t buf[RBP_NEIGH_REQ_MAX / sizeof(uint32_t)];
	int len = build(buf, sizeof(buf), type, n, seq, flags);

	if (len < 0)
		return len;
	if (!ack_room(fd))
		return -EAGAIN;
	return nl_send(fd, buf, (size_t)len);
}

int rbp_neigh_set(int fd, const struct rbp_neigh *n, uint32_t seq)
{
	return send_req(fd, RTM_NEWNEIGH, n, seq, NLM_F_CREATE | NLM_F_REPLACE);
}

int rbp_neigh_create(int fd, const struct rbp_neigh *n, uint32_t seq)
{
	return send_req(fd, RTM_NEWNEIGH, n, seq, NLM_F_CREATE | NLM_F_EXCL);
}

int rbp_neigh_del(int fd, const struct rbp_neigh *n, uint32_t seq)
{
	return send_req(fd, RTM_DELNEIGH, n, seq, 0);
}

/*
 * Reads one datagram from the kernel into buf (cap bytes). Returns its
 * length (at most cap; *trunc set when the kernel had more), 0 for a
 * datagram from another sender (dropped), -EAGAIN when none is waiting,
 * or a negative errno.
 */
static ssize_t nl_recv(int fd, void *buf, size_t cap, bool *trunc)
{
	struct sockaddr_nl from;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {
	    .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	do
		n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* Only the kernel (port 0) speaks for the neighbour tables; anyone
	 * else's datagram is not believed. */
	if (msg.msg_namelen < sizeof(from) || from.nl_family != AF_NETLINK || from.nl_pid != 0)
		return 0;
	*trunc = (msg.msg_flags & MSG_TRUNC) || (size_t)n > cap;
	return (size_t)n > cap ? (ssize_t)cap : n;
}

/*
 * The messages of one datagram: calls each(h, ctx) for each whole message
 * in buf (n bytes). A message whose length does not hold together ends
 * the walk (nothing after it can be found).
 */
static void walk(const void *buf, size_t n, void (*each)(const struct nlmsghdr *h, void *ctx),
		 void *ctx)
{
	size_t off = 0;

	while (n - off >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)((const char *)buf + off);
		size_t step = NLMSG_ALIGN(h->nlmsg_len);

		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > n - off)
			return;
		each(h, ctx);
		if (step >= n - off)
			return;
		off += step;
	}
}

/* The int at the start of an NLMSG_ERROR's or NLMSG_DONE's payload, 0
 * when it is missing. */
static int msg_errno(const struct nlmsghdr *h)
{
	int err = 0;

	if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
		memcpy(&err, NLMSG_DATA(h), sizeof(err));
	return err;
}

struct mon_ctx {
	rbp_neigh_fn fn;
	void *arg;
	int count;
	int err;   /* the first error the kernel reported, negative */
	bool lost; /* something did not reach us: dump again */
};

static void mon_one(const struct nlmsghdr *h, void *ctx)
{
	struct mon_ctx *c = ctx;
	struct rbp_neigh n;
	int err;

	if (h->nlmsg_flags & NLM_F_DUMP_INTR)
		c->lost = true;
	switch (h->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		if (rbp_neigh_parse(h, h->nlmsg_len, &n) == 1) {
			c->count++;
			c->fn(c->arg, h->nlmsg_type, &n);
		}
		break;
	case NLMSG_DONE:
		/* since Linux 4.x the payload says whether the dump failed */
		err = msg_errno(h);
		if (err < 0) {
			if (c->err == 0)
				c->err = err;
		} else {
			c->fn(c->arg, NLMSG_DONE, NULL);
		}
		break;
	case NLMSG_ERROR:
		err = msg_errno(h);
		if (err < 0 && c->err == 0)
			c->err = err;
		break;
	case NLMSG_OVERRUN:
		c->lost = true;
		break;
	}
}

int rbp_neigh_read(int fd, rbp_neigh_fn fn, void *arg)
{
	union {
		uint8_t b[READ_BUF];
		struct nlmsghdr align;
	} buf;
	struct mon_ctx c = {.fn = fn, .arg = arg};

	for (;;) {
		bool trunc = false;
		ssize_t n = nl_recv(fd, buf.b, sizeof(buf.b), &trunc);

		if (n == -EAGAIN)
			break;
		if (n == -ENOBUFS) {
			/* the error is reported once; what is queued after it
			 * is still good */
			c.lost = true;
			continue;
		}
		if (n < 0)
			return (int)n;
		if (trunc)
			c.lost = true;
		walk(buf.b, (size_t)n, mon_one, &c);
	}
	if (c.lost)
		return -ENOBUFS;
	return c.err ? c.err : c.count;
}

struct ack_ctx {
	void (*fn)(void *arg, uint32_t seq, int err);
	void *arg;
	int count;
};

static void ack_one(const struct nlmsghdr *h, void *ctx)
{
	struct ack_ctx *c = ctx;
	int err;

	if (h->nlmsg_type != NLMSG_ERROR)
		return;
	c->count++;
	err = msg_errno(h);
	if (err < 0 && c->fn)
		c->fn(c->arg, h->nlmsg_seq, -err);
}

int rbp_neigh_ctl_read(int fd, void (*fn)(void *arg, uint32_t seq, int err), void *arg)
{
	union {
		uint8_t b[8192];
		struct nlmsghdr align;
	} buf;
	struct ack_ctx c = {.fn = fn, .arg = arg};
	bool lost = false;

	for (;;) {
		bool trunc = false;
		ssize_t n = nl_recv(fd, buf.b, sizeof(buf.b), &trunc);

		if (n == -EAGAIN)
			break;
		if (n == -ENOBUFS) {
			lost = true;
			continue;
		}
		if (n < 0)
			return (int)n;
		walk(buf.b, (size_t)n, ack_one, &c);
	}
	return lost ? -ENOBUFS : c.count;
}

int rbp_neigh_get_open(void)
{
	struct timeval tv = {.tv_sec = 1};
	int fd = nl_open(0), one = 1;

	if (fd < 0)
		return fd;
	/* blocking reads, bounded: the kernel answers within sendto() */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

struct get_ctx {
	uint32_t seq;
	struct rbp_neigh *out;
	int rc;
	bool done;
};

static void get_one(const struct nlmsghdr *h, void *ctx)
{
	struct get_ctx *c = ctx;

	if (h->nlmsg_seq != c->seq || c->done)
		return; /* the answer to an earlier request that timed out */
	if (h->nlmsg_type == NLMSG_ERROR) {
		int err = msg_errno(h);

		c->rc = err == -ENOENT ? 0 : err < 0 ? err : -EPROTO;
		c->done = true;
	} else if (h->nlmsg_type == RTM_NEWNEIGH) {
		c->rc = rbp_neigh_parse(h, h->nlmsg_len, c->out) == 1 ? 1 : -EPROTO;
		c->done = true;
	}
}

int rbp_neigh_get(int fd, const struct rbp_neigh *key, uint32_t seq, struct rbp_neigh *out)
{
	union {
		uint8_t b[4096];
		struct nlmsghdr align;
	} buf;
	struct get_ctx c = {.seq = seq, .out = out};
	struct rbp_neigh k = {.family = key->family, .ifindex = key->ifindex};
	uint32_t req[RBP_NEIGH_REQ_MAX / sizeof(uint32_t)];
	int len, rc;

	memcpy(k.addr, key->addr, sizeof(k.addr));
	len = build(req, sizeof(req), RTM_GETNEIGH, &k, seq, 0);
	if (len < 0)
		return len;
	rc = nl_send(fd, req, (size_t)len);
	if (rc < 0)
		return rc;
	while (!c.done) {
		struct sockaddr_nl from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		do
			n = recvfrom(fd, buf.b, sizeof(buf.b), 0, (struct sockaddr *)&from, &fl);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		if (fl < sizeof(from) || from.nl_pid != 0)
			continue;
		walk(buf.b, (size_t)n, get_one, &c);
	}
	return c.rc;
}
