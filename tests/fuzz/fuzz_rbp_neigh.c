/*
 * libFuzzer target: one rtnetlink datagram as the monitor socket would
 * read it. The bytes are walked as a sequence of messages, each handed to
 * rbp_neigh_parse() in a heap copy that ends where the datagram ends (so
 * that ASan sees any read past it). A neighbour that parses must hold
 * together, and the request rbp_neigh_build() makes of it must parse
 * back to the same neighbour; anything else is a bug and aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rbpd/rbp_neigh.h"

static void check(const struct rbp_neigh *n)
{
	static const uint8_t zero[16];
	size_t alen = n->family == AF_INET ? 4 : 16;
	char s[RBP_NEIGH_ADDRSTRLEN];

	if (n->family != AF_INET && n->family != AF_INET6)
		abort();
	if (memcmp(n->addr + alen, zero, 16 - alen) != 0)
		abort();
	if (!n->has_lladdr && memcmp(n->lladdr, zero, 6) != 0)
		abort();
	rbp_neigh_addr_str(n, s, sizeof(s));
	if (s[0] == '?' || strlen(s) >= sizeof(s))
		abort();
}

static void round_trip(const struct rbp_neigh *n)
{
	union {
		uint8_t b[RBP_NEIGH_REQ_MAX];
		struct nlmsghdr h;
	} req;
	struct rbp_neigh back;
	int len = rbp_neigh_build(req.b, sizeof(req.b), RTM_NEWNEIGH, n, 1);

	if (len <= 0 || rbp_neigh_parse(&req.h, (size_t)len, &back) != 1)
		abort();
	if (back.family != n->family || back.ifindex != n->ifindex ||
	    memcmp(back.addr, n->addr, 16) != 0 || !back.has_lladdr ||
	    memcmp(back.lladdr, n->lladdr, 6) != 0 || back.state != n->state ||
	    back.flags != n->flags || back.protocol != n->protocol)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (size - off >= sizeof(struct nlmsghdr)) {
		size_t rest = size - off, step;
		struct nlmsghdr h;
		struct rbp_neigh n;
		void *copy = malloc(rest);
		int rc;

		if (copy == NULL)
			return 0;
		memcpy(copy, data + off, rest);
		rc = rbp_neigh_parse(copy, rest, &n);
		free(copy);
		if (rc != 1 && rc != 0 && rc != -EINVAL)
			abort();
		memcpy(&h, data + off, sizeof(h));
		if (rc == 1) {
			if (h.nlmsg_type != RTM_NEWNEIGH && h.nlmsg_type != RTM_DELNEIGH)
				abort();
			check(&n);
			round_trip(&n);
		}
		/* the next message, as rbp_neigh_read() walks a datagram */
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > rest)
			break;
		step = NLMSG_ALIGN(h.nlmsg_len);
		if (step >= rest)
			break;
		off += step;
	}
	return 0;
}
