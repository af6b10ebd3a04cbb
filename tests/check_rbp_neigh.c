/* The kernel's neighbour tables: rtnetlink neighbour messages built by
 * hand are read field by field, malformed ones are refused without a byte
 * read out of bounds, and, as root in a network namespace of its own
 * (check forks for every test), entries installed through the control
 * socket are heard on the monitor with rbpd's protocol, found by a dump,
 * replaced and removed, their failures reported with their sequence
 * number, and 2000 of them come back from one dump. */
#include <check.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rbpd/rbp_neigh.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/netns.h"

/* Documentation addresses (RFC 5737, RFC 3849) and MACs (RFC 7042 2.1.1). */
static const uint8_t v4_7[4] = {192, 0, 2, 7};
static const uint8_t v6_7[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x07};
static const uint8_t mac_7[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x07};
static const uint8_t mac_8[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x08};

/* Parser */

/* One message laid out by hand as the kernel lays it out. */
struct msg {
	union {
		uint8_t b[256];
		struct nlmsghdr h;
	} u;
	size_t len;
};

static void msg_start(struct msg *m, uint16_t type, uint8_t family, int ifindex, uint16_t state,
		      uint8_t flags)
{
	struct ndmsg ndm = {.ndm_family = family,
			    .ndm_ifindex = ifindex,
			    .ndm_state = state,
			    .ndm_flags = flags,
			    .ndm_type = RTN_UNICAST};

	memset(m, 0, sizeof(*m));
	m->u.h.nlmsg_type = type;
	memcpy(m->u.b + 16, &ndm, sizeof(ndm));
	m->len = m->u.h.nlmsg_len = 28;
}

static void msg_attr(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct rtattr a = {.rta_len = (unsigned short)(4 + len), .rta_type = type};

	memcpy(m->u.b + m->len, &a, sizeof(a));
	if (len)
		memcpy(m->u.b + m->len + 4, data, len);
	m->len += (4 + len + 3) & ~(size_t)3;
	m->u.h.nlmsg_len = (uint32_t)m->len;
}

/* What the kernel sends when 192.0.2.7 is installed with rbpd's protocol
 * (cache information and probes included, which the parser skips). */
static void msg_v4_full(struct msg *m)
{
	struct nda_cacheinfo ci = {.ndm_confirmed = 100, .ndm_used = 100, .ndm_updated = 100};
	uint32_t probes = 0;
	uint8_t proto = RBP_NEIGH_PROTO;

	msg_start(m, RTM_NEWNEIGH, AF_INET, 3, NUD_PERMANENT, NTF_ROUTER);
	msg_attr(m, NDA_DST, v4_7, 4);
	msg_attr(m, NDA_LLADDR, mac_7, 6);
	msg_attr(m, NDA_CACHEINFO, &ci, sizeof(ci));
	msg_attr(m, NDA_PROBES, &probes, 4);
	msg_attr(m, NDA_PROTOCOL, &proto, 1);
}

/* Parses a copy that ends exactly where len says, so that a sanitized build
 * catches any read past it. */
static int parse_copy(const void *p, size_t len, struct rbp_neigh *out)
{
	void *copy = malloc(len ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, p, len);
	rc = rbp_neigh_parse(copy, len, out);
	free(copy);
	return rc;
}

static const uint8_t zero6[6];

START_TEST(an_ipv4_neighbour_is_read_with_its_lladdr_and_protocol)
{
	struct rbp_neigh n;
	struct msg m;
	char s[RBP_NEIGH_ADDRSTRLEN];

	msg_v4_full(&m);
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), 1);
	ck_assert_int_eq(n.family, AF_INET);
	ck_assert_int_eq(n.ifindex, 3);
	ck_assert_mem_eq(n.addr, v4_7, 4);
	ck_assert_str_eq(rbp_neigh_addr_str(&n, s, sizeof(s)), "192.0.2.7");
	ck_assert(n.has_lladdr);
	ck_assert_mem_eq(n.lladdr, mac_7, 6);
	ck_assert_uint_eq(n.state, NUD_PERMANENT);
	ck_assert_uint_eq(n.flags, NTF_ROUTER);
	ck_assert_uint_eq(n.protocol, RBP_NEIGH_PROTO);

	/* a message in a longer buffer (a datagram holds several) */
	ck_assert_int_eq(parse_copy(m.u.b, sizeof(m.u.b), &n), 1);
	ck_assert_uint_eq(n.protocol, RBP_NEIGH_PROTO);
}
END_TEST

START_TEST(an_ipv6_neighbour_without_lladdr_nor_protocol_is_read)
{
	struct rbp_neigh n;
	struct msg m;
	char s[RBP_NEIGH_ADDRSTRLEN];

	/* a removal as the kernel reports a FAILED entry going away */
	msg_start(&m, RTM_DELNEIGH, AF_INET6, 7, NUD_FAILED, 0);
	msg_attr(&m, NDA_DST, v6_7, 16);
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), 1);
	ck_assert_int_eq(n.family, AF_INET6);
	ck_assert_int_eq(n.ifindex, 7);
	ck_assert_mem_eq(n.addr, v6_7, 16);
	ck_assert_str_eq(rbp_neigh_addr_str(&n, s, sizeof(s)), "2001:db8::7");
	ck_assert(!n.has_lladdr);
	ck_assert_mem_eq(n.lladdr, zero6, 6);
	ck_assert_uint_eq(n.state, NUD_FAILED);
	ck_assert_uint_eq(n.protocol, 0);

	/* with the lladdr, the same message reports it */
	msg_attr(&m, NDA_LLADDR, mac_8, 6);
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), 1);
	ck_assert(n.has_lladdr);
	ck_assert_mem_eq(n.lladdr, mac_8, 6);
}
END_TEST

START_TEST(an_lladdr_of_another_length_is_not_a_mac)
{
	static const uint8_t ib[20] = {0x80, 0, 0, 0x48};
	struct rbp_neigh n;
	struct msg m;

	msg_start(&m, RTM_NEWNEIGH, AF_INET, 3, NUD_INCOMPLETE, 0);
	msg_attr(&m, NDA_DST, v4_7, 4);
	msg_attr(&m, NDA_LLADDR, NULL, 0);
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), 1);
	ck_assert(!n.has_lladdr);

	msg_start(&m, RTM_NEWNEIGH, AF_INET, 3, NUD_REACHABLE, 0);
	msg_attr(&m, NDA_DST, v4_7, 4);
	msg_attr(&m, NDA_LLADDR, ib, sizeof(ib)); /* InfiniBand */
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), 1);
	ck_assert(!n.has_lladdr);
	ck_assert_mem_eq(n.lladdr, zero6, 6);

	msg_start(&m, RTM_NEWNEIGH, AF_INET, 3, NUD_REACHABLE, 0);
	msg_attr(&m, NDA_DST, v4_7, 4);
	msg_attr(&m, NDA_LLADDR, v4_7, 4); /* an IPv4 tunnel's */
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), 1);
	ck_assert(!n.has_lladdr);
}
END_TEST

START_TEST(a_last_attribute_without_its_padding_is_read)
{
	uint8_t proto = RBP_NEIGH_PROTO;
	struct rbp_neigh n;
	struct msg m;

	msg_start(&m, RTM_NEWNEIGH, AF_INET, 3, NUD_PERMANENT, 0);
	msg_attr(&m, NDA_DST, v4_7, 4);
	msg_attr(&m, NDA_PROTOCOL, &proto, 1);
	m.u.h.nlmsg_len -= 3; /* ends with the protocol's byte */
	ck_assert_int_eq(parse_copy(m.u.b, m.u.h.nlmsg_len, &n), 1);
	ck_assert_uint_eq(n.protocol, RBP_NEIGH_PROTO);
}
END_TEST

START_TEST(other_messages_families_and_neighbours_without_address_are_ignored)
{
	struct rbp_neigh n, before;
	struct msg m;

	memset(&n, 0xa5, sizeof(n));
	memcpy(&before, &n, sizeof(n));

	msg_v4_full(&m);
	m.u.h.nlmsg_type = RTM_GETNEIGH; /* an application probe request */
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), 0);
	m.u.h.nlmsg_type = RTM_NEWLINK;
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), 0);
	m.u.h.nlmsg_type = NLMSG_DONE;
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), 0);

	/* a bridge's forwarding database entry */
	msg_start(&m, RTM_NEWNEIGH, AF_BRIDGE, 3, NUD_PERMANENT, NTF_SELF);
	msg_attr(&m, NDA_LLADDR, mac_7, 6);
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), 0);
	msg_start(&m, RTM_DELNEIGH, AF_UNSPEC, 3, 0, 0);
	msg_attr(&m, NDA_DST, v4_7, 4);
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), 0);

	msg_start(&m, RTM_NEWNEIGH, AF_INET6, 3, NUD_STALE, 0);
	msg_attr(&m, NDA_LLADDR, mac_7, 6);
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), 0);

	/* another type needs no neighbour header */
	msg_start(&m, NLMSG_DONE, 0, 0, 0, 0);
	m.u.h.nlmsg_len = 20;
	ck_assert_int_eq(parse_copy(m.u.b, 20, &n), 0);

	ck_assert_mem_eq(&n, &before, sizeof(n));
}
END_TEST

START_TEST(truncated_messages_are_refused)
{
	struct rbp_neigh n, before;
	struct msg m;
	size_t len;

	memset(&n, 0xa5, sizeof(n));
	memcpy(&before, &n, sizeof(n));
	msg_v4_full(&m);

	/* every prefix: the header cut, or nlmsg_len beyond what is there */
	for (len = 0; len < m.len; len++)
		ck_assert_int_eq(parse_copy(m.u.b, len, &n), -EINVAL);

	/* nlmsg_len shorter than the netlink header, or than the ndmsg */
	m.u.h.nlmsg_len = 15;
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), -EINVAL);
	m.u.h.nlmsg_len = 27;
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), -EINVAL);

	/* nlmsg_len longer than what is there */
	msg_v4_full(&m);
	m.u.h.nlmsg_len = (uint32_t)m.len + 4;
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), -EINVAL);
	m.u.h.nlmsg_len = 0xffffffff;
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), -EINVAL);

	ck_assert_mem_eq(&n, &before, sizeof(n));
}
END_TEST

START_TEST(attributes_out_of_bounds_are_refused)
{
	struct rbp_neigh n, before;
	struct rtattr a;
	struct msg m;

	memset(&n, 0xa5, sizeof(n));
	memcpy(&before, &n, sizeof(n));

	/* the last attribute's rta_len runs past nlmsg_len */
	msg_v4_full(&m);
	memcpy(&a, m.u.b + m.len - 8, sizeof(a));
	ck_assert_uint_eq(a.rta_type, NDA_PROTOCOL);
	a.rta_len = 9;
	memcpy(m.u.b + m.len - 8, &a, sizeof(a));
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), -EINVAL);
	/* and far past the end of the buffer */
	a.rta_len = 0xffff;
	memcpy(m.u.b + m.len - 8, &a, sizeof(a));
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), -EINVAL);

	/* an rta_len shorter than the attribute header (0 would loop) */
	msg_start(&m, RTM_NEWNEIGH, AF_INET, 3, NUD_PERMANENT, 0);
	msg_attr(&m, NDA_DST, v4_7, 4);
	msg_attr(&m, NDA_PROBES, "\0\0\0\0", 4);
	a = (struct rtattr){.rta_len = 0, .rta_type = NDA_PROBES};
	memcpy(m.u.b + 28 + 8, &a, sizeof(a));
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), -EINVAL);
	a.rta_len = 3;
	memcpy(m.u.b + 28 + 8, &a, sizeof(a));
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), -EINVAL);

	/* two stray bytes after the last attribute */
	msg_start(&m, RTM_NEWNEIGH, AF_INET, 3, NUD_PERMANENT, 0);
	msg_attr(&m, NDA_DST, v4_7, 4);
	m.u.h.nlmsg_len += 2;
	ck_assert_int_eq(parse_copy(m.u.b, m.u.h.nlmsg_len, &n), -EINVAL);

	/* an empty protocol */
	msg_start(&m, RTM_NEWNEIGH, AF_INET, 3, NUD_PERMANENT, 0);
	msg_attr(&m, NDA_DST, v4_7, 4);
	msg_attr(&m, NDA_PROTOCOL, NULL, 0);
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), -EINVAL);

	ck_assert_mem_eq(&n, &before, sizeof(n));
}
END_TEST

START_TEST(a_destination_of_the_wrong_size_is_refused)
{
	struct rbp_neigh n;
	struct msg m;

	msg_start(&m, RTM_NEWNEIGH, AF_INET, 3, NUD_PERMANENT, 0);
	msg_attr(&m, NDA_DST, v6_7, 16);
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), -EINVAL);

	msg_start(&m, RTM_NEWNEIGH, AF_INET6, 3, NUD_PERMANENT, 0);
	msg_attr(&m, NDA_DST, v4_7, 4);
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), -EINVAL);

	msg_start(&m, RTM_DELNEIGH, AF_INET6, 3, NUD_PERMANENT, 0);
	msg_attr(&m, NDA_DST, v6_7, 15);
	ck_assert_int_eq(parse_copy(m.u.b, m.len, &n), -EINVAL);
}
END_TEST

START_TEST(requests_are_built_as_the_kernel_reads_them)
{
	struct rbp_neigh n = {.family = AF_INET6,
			      .ifindex = 5,
			      .state = NUD_PERMANENT,
			      .flags = NTF_ROUTER,
			      .protocol = RBP_NEIGH_PROTO},
			 back;
	uint8_t buf[RBP_NEIGH_REQ_MAX + 1];
	struct nlmsghdr h;
	int len;
	size_t cap;

	memcpy(n.addr, v6_7, 16);
	memcpy(n.lladdr, mac_7, 6);
	len = rbp_neigh_build(buf + 1, RBP_NEIGH_REQ_MAX, RTM_NEWNEIGH, &n, 42);
	ck_assert_int_eq(len, 68);
	memcpy(&h, buf + 1, sizeof(h));
	ck_assert_uint_eq(h.nlmsg_len, 68);
	ck_assert_uint_eq(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
	ck_assert_uint_eq(h.nlmsg_seq, 42);
	{
		/* parse an aligned copy: the request went out unaligned */
		union {
			uint8_t b[RBP_NEIGH_REQ_MAX];
			struct nlmsghdr h;
		} a;

		memcpy(a.b, buf + 1, (size_t)len);
		ck_assert_int_eq(rbp_neigh_parse(&a.h, (size_t)len, &back), 1);
	}
	ck_assert_int_eq(back.family, n.family);
	ck_assert_int_eq(back.ifindex, n.ifindex);
	ck_assert_mem_eq(back.addr, n.addr, 16);
	ck_assert(back.has_lladdr);
	ck_assert_mem_eq(back.lladdr, n.lladdr, 6);
	ck_assert_uint_eq(back.state, n.state);
	ck_assert_uint_eq(back.flags, n.flags);
	ck_assert_uint_eq(back.protocol, n.protocol);

	/* no protocol attribute for protocol 0 */
	n.protocol = 0;
	ck_assert_int_eq(rbp_neigh_build(buf, sizeof(buf), RTM_NEWNEIGH, &n, 1), 60);

	/* a removal names the neighbour only */
	n.family = AF_INET;
	memcpy(n.addr, v4_7, 4);
	memset(n.addr + 4, 0, 12);
	len = rbp_neigh_build(buf, sizeof(buf), RTM_DELNEIGH, &n, 7);
	ck_assert_int_eq(len, 36);
	memcpy(&h, buf, sizeof(h));
	ck_assert_uint_eq(h.nlmsg_type, RTM_DELNEIGH);
	ck_assert_uint_eq(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);

	for (cap = 0; cap < 36; cap++)
		ck_assert_int_eq(rbp_neigh_build(buf, cap, RTM_DELNEIGH, &n, 7), -EMSGSIZE);
	ck_assert_int_eq(rbp_neigh_build(buf, sizeof(buf), RTM_GETNEIGH, &n, 7), -EINVAL);
	n.family = AF_UNSPEC;
	ck_assert_int_eq(rbp_neigh_build(buf, sizeof(buf), RTM_NEWNEIGH, &n, 7), -EAFNOSUPPORT);
	ck_assert_int_eq(rbp_neigh_set(-1, &n, 7), -EAFNOSUPPORT);
}
END_TEST

START_TEST(addresses_are_written_for_logs)
{
	struct rbp_neigh n = {.family = AF_INET6};
	char s[RBP_NEIGH_ADDRSTRLEN], small[4];

	memcpy(n.addr, v6_7, 16);
	n.addr[13] = 1;
	ck_assert_str_eq(rbp_neigh_addr_str(&n, s, sizeof(s)), "2001:db8::1:7");
	ck_assert_str_eq(rbp_neigh_addr_str(&n, small, sizeof(small)), "?");
	n.family = AF_UNSPEC;
	ck_assert_str_eq(rbp_neigh_addr_str(&n, s, sizeof(s)), "?");
}
END_TEST

/* Kernel */

/* What the monitor reported. */
struct seen {
	struct {
		int type;
		struct rbp_neigh n;
	} ev[256];
	int nev;
	int dones;
	int err; /* the first error rbp_neigh_read() returned */
	int ifindex;
	/* 2001:db8::1:0/112 on ifindex: which of the first BULK were reported */
	uint8_t bulk[2048 / 8];
	int nbulk;
};

#define BULK 2000

static void on_neigh(void *arg, int type, const struct rbp_neigh *n)
{
	struct seen *s = arg;

	if (type == NLMSG_DONE) {
		ck_assert_ptr_null(n);
		s->dones++;
		return;
	}
	ck_assert(type == RTM_NEWNEIGH || type == RTM_DELNEIGH);
	if (n->ifindex != s->ifindex)
		return;
	if (n->family == AF_INET6 && memcmp(n->addr, v6_7, 12) == 0 && n->addr[12] == 0 &&
	    n->addr[13] == 1 && type == RTM_NEWNEIGH) {
		unsigned i = (unsigned)n->addr[14] << 8 | n->addr[15];

		if (i < BULK && !(s->bulk[i / 8] & 1 << i % 8)) {
			s->bulk[i / 8] |= (uint8_t)(1 << i % 8);
			s->nbulk++;
		}
		return;
	}
	if (s->nev < (int)(sizeof(s->ev) / sizeof(s->ev[0]))) {
		s->ev[s->nev].type = type;
		s->ev[s->nev].n = *n;
		s->nev++;
	}
}

static void seen_reset(struct seen *s, int ifindex)
{
	memset(s, 0, sizeof(*s));
	s->ifindex = ifindex;
}

/* The last report of the neighbour addr of family, or NULL. */
static const struct rbp_neigh *seen_find(const struct seen *s, int family, const uint8_t *addr,
					 int *type)
{
	int i;

	for (i = s->nev - 1; i >= 0; i--)
		if (s->ev[i].n.family == family &&
		    memcmp(s->ev[i].n.addr, addr, family == AF_INET ? 4 : 16) == 0) {
			if (type)
				*type = s->ev[i].type;
			return &s->ev[i].n;
		}
	return NULL;
}

static int ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int)((deadline->tv_sec - now.tv_sec) * 1000 +
		     (deadline->tv_nsec - now.tv_nsec) / 1000000);
}

/* Waits up to 2 s for fd to be readable. */
static void wait_readable(int fd, const struct timespec *deadline)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int left = ms_left(deadline);

	if (left > 0)
		poll(&p, 1, left);
}

static struct timespec deadline_in_2s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += 2;
	return t;
}

/* A wait for the monitor: until the neighbour is reported as type with
 * state (0: any), or until dones ends of dump (addr NULL). */
struct want {
	int type;
	int family;
	const uint8_t *addr;
	uint16_t state;
	int dones;
};

static bool satisfied(const struct seen *s, const struct want *w)
{
	const struct rbp_neigh *n;
	int type;

	if (w->addr == NULL)
		return s->dones >= w->dones;
	n = seen_find(s, w->family, w->addr, &type);
	return n && type == w->type && (w->state == 0 || n->state == w->state);
}

static bool mon_until(int fd, struct seen *s, const struct want *w)
{
	struct timespec deadline = deadline_in_2s();

	for (;;) {
		int rc = rbp_neigh_read(fd, on_neigh, s);

		if (rc < 0 && s->err == 0)
			s->err = rc;
		if (satisfied(s, w))
			return true;
		if (ms_left(&deadline) <= 0)
			return false;
		wait_readable(fd, &deadline);
	}
}

/* Dumps on the monitor and reads until the dump's end. */
static void dump_all(int mon, struct seen *s, uint32_t seq)
{
	struct want done = {.dones = 1};

	s->dones = 0;
	ck_assert_int_eq(rbp_neigh_dump(mon, seq), 0);
	ck_assert_msg(mon_until(mon, s, &done), "no end of dump within 2 s");
}

/* What the control socket reported. */
struct acks {
	int n;
	int nerr;
	uint32_t seq[8];
	int err[8];
	int rc; /* the first error rbp_neigh_ctl_read() returned */
};

static void on_ack(void *arg, uint32_t seq, int err)
{
	struct acks *a = arg;

	ck_assert_int_gt(err, 0);
	if (a->nerr < 8) {
		a->seq[a->nerr] = seq;
		a->err[a->nerr] = err;
	}
	a->nerr++;
}

/* Reads ACKs once, recording the count and any error. */
static void acks_read(int ctl, struct acks *a)
{
	int rc = rbp_neigh_ctl_read(ctl, on_ack, a);

	if (rc < 0 && a->rc == 0)
		a->rc = rc;
	if (rc > 0)
		a->n += rc;
}

static bool acks_until(int ctl, struct acks *a, int want)
{
	struct timespec deadline = deadline_in_2s();

	for (;;) {
		acks_read(ctl, a);
		if (a->n >= want)
			return true;
		if (ms_left(&deadline) <= 0)
			return false;
		wait_readable(ctl, &deadline);
	}
}

/*
 * Enters a network namespace of this test's own with one interface d0,
 * up, with 192.0.2.1/24 and 2001:db8::1/64; returns its ifindex. main()
 * adds these tests only where a namespace can be made (see
 * can_unshare_net). Everything goes with the namespace when the forked
 * test exits. A dummy interface where the kernel has them, else one end of
 * a veth pair.
 */
static int netns_d0(void)
{
	static const char setup[] =
	    "{ ip link add d0 type dummy 2>/dev/null || "
	    "{ ip link add d0 type veth peer name d1 && ip link set d1 up; }; } && "
	    "ip link set d0 up && ip addr add 192.0.2.1/24 dev d0 && "
	    "ip -6 addr add 2001:db8::1/64 dev d0 nodad";
	int ifindex;

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s", strerror(errno));
	ck_assert_int_eq(system(setup), 0);
	ifindex = (int)if_nametoindex("d0");
	ck_assert_int_gt(ifindex, 0);
	return ifindex;
}

static struct rbp_neigh neigh(int family, int ifindex, const uint8_t *addr, const uint8_t *mac,
			      uint16_t state, uint8_t protocol)
{
	struct rbp_neigh n = {
	    .family = family, .ifindex = ifindex, .state = state, .protocol = protocol};

	memcpy(n.addr, addr, family == AF_INET ? 4 : 16);
	memcpy(n.lladdr, mac, 6);
	return n;
}

static void assert_neigh(const struct rbp_neigh *n, const uint8_t *mac, uint16_t state,
			 uint8_t protocol)
{
	ck_assert_ptr_nonnull(n);
	ck_assert(n->has_lladdr);
	ck_assert_mem_eq(n->lladdr, mac, 6);
	ck_assert_uint_eq(n->state, state);
	ck_assert_uint_eq(n->protocol, protocol);
}

START_TEST(installed_neighbours_are_heard_and_dumped_with_rbpds_protocol)
{
	int ifindex = netns_d0(), mon, ctl, type;
	struct rbp_neigh a, b;
	struct seen s;
	struct acks k = {0};
	struct want w = {RTM_NEWNEIGH, AF_INET, v4_7, NUD_PERMANENT, 0};

	if (ifindex == 0)
		return;
	mon = rbp_neigh_monitor_open();
	ctl = rbp_neigh_ctl_open();
	ck_assert_int_ge(mon, 0);
	ck_assert_int_ge(ctl, 0);
	seen_reset(&s, ifindex);
	dump_all(mon, &s, 1);
	ck_assert_ptr_null(seen_find(&s, AF_INET, v4_7, NULL));

	a = neigh(AF_INET, ifindex, v4_7, mac_7, NUD_PERMANENT, RBP_NEIGH_PROTO);
	b = neigh(AF_INET6, ifindex, v6_7, mac_7, NUD_PERMANENT, RBP_NEIGH_PROTO);
	ck_assert_int_eq(rbp_neigh_set(ctl, &a, 10), 0);
	ck_assert_int_eq(rbp_neigh_set(ctl, &b, 11), 0);
	ck_assert(acks_until(ctl, &k, 2));
	ck_assert_int_eq(k.n, 2);
	ck_assert_int_eq(k.nerr, 0);
	ck_assert_int_eq(k.rc, 0);

	ck_assert(mon_until(mon, &s, &w));
	w.family = AF_INET6;
	w.addr = v6_7;
	ck_assert(mon_until(mon, &s, &w));
	ck_assert_int_eq(s.err, 0);
	assert_neigh(seen_find(&s, AF_INET, v4_7, &type), mac_7, NUD_PERMANENT, RBP_NEIGH_PROTO);
	assert_neigh(seen_find(&s, AF_INET6, v6_7, &type), mac_7, NUD_PERMANENT, RBP_NEIGH_PROTO);

	/* a fresh dump has both */
	seen_reset(&s, ifindex);
	dump_all(mon, &s, 2);
	ck_assert_int_eq(s.err, 0);
	assert_neigh(seen_find(&s, AF_INET, v4_7, &type), mac_7, NUD_PERMANENT, RBP_NEIGH_PROTO);
	ck_assert_int_eq(type, RTM_NEWNEIGH);
	assert_neigh(seen_find(&s, AF_INET6, v6_7, &type), mac_7, NUD_PERMANENT, RBP_NEIGH_PROTO);
	ck_assert_int_eq(type, RTM_NEWNEIGH);

	close(mon);
	close(ctl);
}
END_TEST

START_TEST(a_replaced_neighbour_is_heard_with_its_new_state_and_mac)
{
	int ifindex = netns_d0(), mon, ctl;
	struct rbp_neigh a;
	struct seen s;
	struct acks k = {0};
	struct want w = {RTM_NEWNEIGH, AF_INET, v4_7, NUD_PERMANENT, 0};

	if (ifindex == 0)
		return;
	mon = rbp_neigh_monitor_open();
	ctl = rbp_neigh_ctl_open();
	ck_assert_int_ge(mon, 0);
	ck_assert_int_ge(ctl, 0);
	seen_reset(&s, ifindex);

	a = neigh(AF_INET, ifindex, v4_7, mac_7, NUD_PERMANENT, RBP_NEIGH_PROTO);
	ck_assert_int_eq(rbp_neigh_set(ctl, &a, 1), 0);
	ck_assert(mon_until(mon, &s, &w));

	a = neigh(AF_INET, ifindex, v4_7, mac_8, NUD_STALE, RBP_NEIGH_PROTO);
	ck_assert_int_eq(rbp_neigh_set(ctl, &a, 2), 0);
	w.state = NUD_STALE;
	ck_assert(mon_until(mon, &s, &w));
	assert_neigh(seen_find(&s, AF_INET, v4_7, NULL), mac_8, NUD_STALE, RBP_NEIGH_PROTO);

	/* replacing without a protocol keeps the entry's (Linux 5.2 to 6.18 at
	 * least): rbpd cannot unmark an entry that way */
	a = neigh(AF_INET, ifindex, v4_7, mac_7, NUD_REACHABLE, 0);
	ck_assert_int_eq(rbp_neigh_set(ctl, &a, 3), 0);
	w.state = NUD_REACHABLE;
	ck_assert(mon_until(mon, &s, &w));
	assert_neigh(seen_find(&s, AF_INET, v4_7, NULL), mac_7, NUD_REACHABLE, RBP_NEIGH_PROTO);

	ck_assert(acks_until(ctl, &k, 3));
	ck_assert_int_eq(k.nerr, 0);
	ck_assert_int_eq(s.err, 0);
	close(mon);
	close(ctl);
}
END_TEST

START_TEST(a_removed_neighbour_is_heard_gone_and_removing_it_again_fails)
{
	int ifindex = netns_d0(), mon, ctl;
	struct rbp_neigh b;
	struct seen s;
	struct acks k = {0};
	struct want w = {RTM_NEWNEIGH, AF_INET6, v6_7, NUD_PERMANENT, 0};

	if (ifindex == 0)
		return;
	mon = rbp_neigh_monitor_open();
	ctl = rbp_neigh_ctl_open();
	ck_assert_int_ge(mon, 0);
	ck_assert_int_ge(ctl, 0);
	seen_reset(&s, ifindex);

	b = neigh(AF_INET6, ifindex, v6_7, mac_7, NUD_PERMANENT, RBP_NEIGH_PROTO);
	ck_assert_int_eq(rbp_neigh_set(ctl, &b, 1), 0);
	ck_assert(mon_until(mon, &s, &w));
	ck_assert_int_eq(rbp_neigh_del(ctl, &b, 2), 0);
	w.type = RTM_DELNEIGH;
	w.state = 0;
	ck_assert(mon_until(mon, &s, &w));
	/* The kernel first marks the entry FAILED, which forgets its MAC and
	 * is reported as a change, then removes it; the protocol stays. */
	ck_assert_int_ge(s.nev, 3);
	ck_assert_int_eq(s.ev[s.nev - 2].type, RTM_NEWNEIGH);
	ck_assert_uint_eq(s.ev[s.nev - 2].n.state, NUD_FAILED);
	ck_assert(!s.ev[s.nev - 2].n.has_lladdr);
	ck_assert_int_eq(s.ev[s.nev - 1].type, RTM_DELNEIGH);
	ck_assert_mem_eq(s.ev[s.nev - 1].n.addr, v6_7, 16);
	ck_assert_uint_eq(s.ev[s.nev - 1].n.state, NUD_FAILED);
	ck_assert(!s.ev[s.nev - 1].n.has_lladdr);
	ck_assert_uint_eq(s.ev[s.nev - 1].n.protocol, RBP_NEIGH_PROTO);
	ck_assert(acks_until(ctl, &k, 2));
	ck_assert_int_eq(k.nerr, 0);

	ck_assert_int_eq(rbp_neigh_del(ctl, &b, 3), 0);
	ck_assert(acks_until(ctl, &k, 3));
	ck_assert_int_eq(k.nerr, 1);
	ck_assert_uint_eq(k.seq[0], 3);
	ck_assert_int_eq(k.err[0], ENOENT);

	seen_reset(&s, ifindex);
	dump_all(mon, &s, 4);
	ck_assert_ptr_null(seen_find(&s, AF_INET6, v6_7, NULL));
	ck_assert_int_eq(s.err, 0);
	close(mon);
	close(ctl);
}
END_TEST

START_TEST(installing_on_a_missing_interface_reports_the_error_with_its_seq)
{
	int ifindex = netns_d0(), ctl;
	struct rbp_neigh a, b;
	struct acks k = {0};
	char s[RBP_NEIGH_ADDRSTRLEN];

	if (ifindex == 0)
		return;
	ctl = rbp_neigh_ctl_open();
	ck_assert_int_ge(ctl, 0);
	a = neigh(AF_INET, 999, v4_7, mac_7, NUD_PERMANENT, RBP_NEIGH_PROTO);
	b = neigh(AF_INET6, ifindex, v6_7, mac_7, NUD_PERMANENT, RBP_NEIGH_PROTO);
	ck_assert_int_eq(rbp_neigh_set(ctl, &b, 76), 0);
	ck_assert_int_eq(rbp_neigh_set(ctl, &a, 77), 0);
	ck_assert(acks_until(ctl, &k, 2));
	ck_assert_int_eq(k.n, 2);
	ck_assert_int_eq(k.nerr, 1);
	ck_assert_uint_eq(k.seq[0], 77);
	ck_assert_int_eq(k.err[0], ENODEV);
	/* what rbpd logs */
	ck_assert_str_eq(rbp_neigh_addr_str(&a, s, sizeof(s)), "192.0.2.7");
	close(ctl);
}
END_TEST

/* 2001:db8::1:i */
static struct rbp_neigh bulk_neigh(int ifindex, int i)
{
	uint8_t addr[16];
	uint8_t mac[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, (uint8_t)i};

	memcpy(addr, v6_7, 16);
	addr[13] = 1;
	addr[14] = (uint8_t)(i >> 8);
	addr[15] = (uint8_t)i;
	return neigh(AF_INET6, ifindex, addr, mac, NUD_PERMANENT, RBP_NEIGH_PROTO);
}

/* Installs entries first to first + count - 1, draining the ACKs whenever
 * the control socket says it is full. Returns how many times it did. */
static int install_bulk(int ctl, int ifindex, int first, int count, struct acks *k)
{
	int i = first, again = 0, rc;

	while (i < first + count) {
		struct rbp_neigh n = bulk_neigh(ifindex, i);
		struct timespec deadline;

		rc = rbp_neigh_set(ctl, &n, (uint32_t)i + 1);
		if (rc == 0) {
			i++;
			continue;
		}
		ck_assert_int_eq(rc, -EAGAIN);
		again++;
		deadline = deadline_in_2s();
		wait_readable(ctl, &deadline);
		acks_read(ctl, k);
		ck_assert_int_eq(k->rc, 0);
	}
	ck_assert(acks_until(ctl, k, count));
	return again;
}

/* NUD_PERMANENT entries are exempt from the kernel's garbage collection
 * (gc_thresh1..3, 128 / 512 / 1024 by default), so all 2000 stay. */
START_TEST(two_thousand_entries_come_back_from_one_dump)
{
	int ifindex = netns_d0(), mon, ctl;
	struct acks k = {0};
	struct seen s;

	if (ifindex == 0)
		return;
	ctl = rbp_neigh_ctl_open();
	ck_assert_int_ge(ctl, 0);
	install_bulk(ctl, ifindex, 0, BULK, &k);
	ck_assert_int_eq(k.n, BULK);
	ck_assert_int_eq(k.nerr, 0);
	ck_assert_int_eq(k.rc, 0);

	mon = rbp_neigh_monitor_open();
	ck_assert_int_ge(mon, 0);
	seen_reset(&s, ifindex);
	/* A dump this size takes many datagrams, and the kernel runs one dump
	 * per socket at a time: the second request is refused. */
	ck_assert_int_eq(rbp_neigh_dump(mon, 1), 0);
	dump_all(mon, &s, 2);
	ck_assert_int_eq(s.err, -EBUSY);
	ck_assert_int_eq(s.nbulk, BULK);

	seen_reset(&s, ifindex);
	dump_all(mon, &s, 3);
	ck_assert_int_eq(s.err, 0);
	ck_assert_int_eq(s.nbulk, BULK);
	close(mon);
	close(ctl);
}
END_TEST

START_TEST(a_full_ack_queue_makes_requests_wait_instead_of_losing_acks)
{
	int ifindex = netns_d0(), ctl, small = 4096, again;
	struct acks k = {0};

	if (ifindex == 0)
		return;
	ctl = rbp_neigh_ctl_open();
	ck_assert_int_ge(ctl, 0);
	/* room for a handful of ACKs (the kernel doubles it to 8 KiB) */
	ck_assert_int_eq(setsockopt(ctl, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	again = install_bulk(ctl, ifindex, 0, 100, &k);
	ck_assert_int_gt(again, 0);
	ck_assert_int_eq(k.n, 100);
	ck_assert_int_eq(k.nerr, 0);
	ck_assert_int_eq(k.rc, 0);
	close(ctl);
}
END_TEST

/* What the monitor could not hold is not lost silently: the read says
 * ENOBUFS after reporting what it kept, the socket reads on, a dump
 * running meanwhile still ends, and a new dump brings the rest. */
START_TEST(an_overrun_is_reported_and_a_new_dump_repairs_it)
{
	int ifindex = netns_d0(), mon, ctl, small = 4096, big = 8 << 20, i;
	struct acks k = {0}, k2 = {0};
	struct want done = {.dones = 1};
	struct seen s;

	if (ifindex == 0)
		return;
	mon = rbp_neigh_monitor_open();
	ctl = rbp_neigh_ctl_open();
	ck_assert_int_ge(mon, 0);
	ck_assert_int_ge(ctl, 0);
	/* room for a handful of events (the kernel doubles it to 8 KiB) */
	ck_assert_int_eq(setsockopt(mon, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	/* the kernel sends the events before it ACKs each request */
	install_bulk(ctl, ifindex, 0, 100, &k);
	ck_assert_int_eq(k.nerr, 0);

	seen_reset(&s, ifindex);
	ck_assert_int_eq(rbp_neigh_read(mon, on_neigh, &s), -ENOBUFS);
	ck_assert_int_gt(s.nbulk, 0);
	ck_assert_int_lt(s.nbulk, 100);
	ck_assert_int_ge(rbp_neigh_read(mon, on_neigh, &s), 0);

	/* An overrun while a dump runs loses events, never the dump's own
	 * answers (the kernel makes them only as the reader makes room): it
	 * still ends, with every entry that was there before it. */
	seen_reset(&s, ifindex);
	ck_assert_int_eq(rbp_neigh_dump(mon, 1), 0);
	install_bulk(ctl, ifindex, 100, 100, &k2);
	ck_assert_int_eq(k2.nerr, 0);
	ck_assert(mon_until(mon, &s, &done));
	ck_assert_int_eq(s.err, -ENOBUFS);
	for (i = 0; i < 100; i++)
		ck_assert_msg(s.bulk[i / 8] & 1 << i % 8, "2001:db8::1:%x not dumped", i);

	/* a dump in a buffer that holds it all, lest the kernel's own events
	 * (router solicitations, MLD) overrun it again */
	ck_assert_int_eq(setsockopt(mon, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)), 0);
	seen_reset(&s, ifindex);
	dump_all(mon, &s, 2);
	ck_assert_int_eq(s.err, 0);
	ck_assert_int_eq(s.nbulk, 200);
	close(mon);
	close(ctl);
}
END_TEST

START_TEST(an_entry_is_looked_up_and_create_never_replaces_one)
{
	int ifindex = netns_d0(), ctl, get;
	struct rbp_neigh a, cur;
	struct acks k = {0};

	if (ifindex == 0)
		return;
	ctl = rbp_neigh_ctl_open();
	get = rbp_neigh_get_open();
	ck_assert_int_ge(ctl, 0);
	ck_assert_int_ge(get, 0);
	a = neigh(AF_INET, ifindex, v4_7, mac_7, NUD_PERMANENT, RBP_NEIGH_PROTO);
	ck_assert_int_eq(rbp_neigh_get(get, &a, 1, &cur), 0);

	/* a static entry made by hand, without a protocol */
	ck_assert_int_eq(system("ip neigh add 192.0.2.7 lladdr 00:00:5e:00:53:08 dev d0 "
				"nud permanent"),
			 0);
	ck_assert_int_eq(rbp_neigh_get(get, &a, 2, &cur), 1);
	assert_neigh(&cur, mac_8, NUD_PERMANENT, 0);
	ck_assert_int_eq(cur.ifindex, ifindex);
	/* create leaves it as it was */
	ck_assert_int_eq(rbp_neigh_create(ctl, &a, 3), 0);
	ck_assert(acks_until(ctl, &k, 1));
	ck_assert_int_eq(k.nerr, 1);
	ck_assert_uint_eq(k.seq[0], 3);
	ck_assert_int_eq(k.err[0], EEXIST);
	ck_assert_int_eq(rbp_neigh_get(get, &a, 4, &cur), 1);
	assert_neigh(&cur, mac_8, NUD_PERMANENT, 0);

	/* where there is none, create makes it, with rbpd's protocol */
	a = neigh(AF_INET6, ifindex, v6_7, mac_7, NUD_PERMANENT, RBP_NEIGH_PROTO);
	ck_assert_int_eq(rbp_neigh_create(ctl, &a, 5), 0);
	ck_assert(acks_until(ctl, &k, 2));
	ck_assert_int_eq(k.nerr, 1);
	ck_assert_int_eq(rbp_neigh_get(get, &a, 6, &cur), 1);
	assert_neigh(&cur, mac_7, NUD_PERMANENT, RBP_NEIGH_PROTO);
	ck_assert_mem_eq(cur.addr, v6_7, 16);
	/* an interface that does not exist */
	a.ifindex = 9999;
	ck_assert_int_lt(rbp_neigh_get(get, &a, 7, &cur), 0);
	close(ctl);
	close(get);
}
END_TEST

int main(void)
{
	const TTest *parse[] = {
	    an_ipv4_neighbour_is_read_with_its_lladdr_and_protocol,
	    an_ipv6_neighbour_without_lladdr_nor_protocol_is_read,
	    an_lladdr_of_another_length_is_not_a_mac,
	    a_last_attribute_without_its_padding_is_read,
	    other_messages_families_and_neighbours_without_address_are_ignored,
	    truncated_messages_are_refused,
	    attributes_out_of_bounds_are_refused,
	    a_destination_of_the_wrong_size_is_refused,
	    requests_are_built_as_the_kernel_reads_them,
	    addresses_are_written_for_logs,
	    NULL,
	};
	/* Each test unshares its own network namespace: they rely on check's
	 * default of one forked process per test. */
	const TTest *kernel[] = {
	    installed_neighbours_are_heard_and_dumped_with_rbpds_protocol,
	    a_replaced_neighbour_is_heard_with_its_new_state_and_mac,
	    a_removed_neighbour_is_heard_gone_and_removing_it_again_fails,
	    installing_on_a_missing_interface_reports_the_error_with_its_seq,
	    two_thousand_entries_come_back_from_one_dump,
	    a_full_ack_queue_makes_requests_wait_instead_of_losing_acks,
	    an_overrun_is_reported_and_a_new_dump_repairs_it,
	    an_entry_is_looked_up_and_create_never_replaces_one,
	    NULL,
	};
	const struct checkrun_case cases[] = {
	    {.name = "parse", .tests = parse},
	    {
		.name = "kernel",
		.tests = kernel,
		.timeout = 30,
		.skip = !netns_can_unshare(),
		.skip_why = "the kernel tests need a network namespace (root)",
	    },
	};

	return checkrun("rbp_neigh", cases, sizeof(cases) / sizeof(cases[0]));
}
