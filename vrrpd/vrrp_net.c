#include "vrrpd/vrrp_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vrrpd/vrrp_pkt.h"

#define VRRP_MCAST4 "224.0.0.18" /* RFC 5798 5.1.1.2 */
#define VRRP_MCAST6 "ff02::12"	 /* RFC 5798 5.1.2.2 */

static int setopt(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) < 0 ? -errno : 0;
}

int vrrp_net_open(int family, unsigned ifindex, const char *ifname)
{
	int fd, rc = 0;

	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_PKT_PROTO);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname)) < 0) {
		rc = -errno;
		goto fail;
	}
	if (family == AF_INET) {
		struct ip_mreqn m = {.imr_ifindex = (int)ifindex};

		inet_pton(AF_INET, VRRP_MCAST4, &m.imr_multiaddr);
		rc = setopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, VRRP_PKT_TTL);
		if (rc == 0)
			rc = setopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
		if (rc == 0 && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof(m)) < 0)
			rc = -errno;
		if (rc == 0 && setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)) < 0)
			rc = -errno;
	} else {
		struct ipv6_mreq m = {.ipv6mr_interface = ifindex};

		inet_pton(AF_INET6, VRRP_MCAST6, &m.ipv6mr_multiaddr);
		rc = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, VRRP_PKT_TTL);
		if (rc == 0)
			rc = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
		if (rc == 0)
			rc = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, (int)ifindex);
		if (rc == 0)
			rc = setopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
		if (rc == 0)
			rc = setopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
		if (rc == 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof(m)) < 0)
			rc = -errno;
	}
	if (rc == 0)
		return fd;
fail:
	close(fd);
	return rc;
}

int vrrp_net_open_shared(int family)
{
	int fd, rc;

	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_PKT_PROTO);
	if (fd < 0)
		return -errno;
	/* Room for the advertisements of every interface it joins, arriving
	 * together; beyond net.core.rmem_max when we may (CAP_NET_ADMIN). */
	if (setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, VRRP_NET_RCVBUF) < 0)
		setopt(fd, SOL_SOCKET, SO_RCVBUF, VRRP_NET_RCVBUF);
	rc = setopt(fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	if (family == AF_INET) {
		rc = setopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, VRRP_PKT_TTL);
		if (rc == 0)
			rc = setopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
		if (rc == 0)
			rc = setopt(fd, IPPROTO_IP, IP_PKTINFO, 1);
	} else {
		rc = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, VRRP_PKT_TTL);
		if (rc == 0)
			rc = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
		if (rc == 0)
			rc = setopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
		if (rc == 0)
			rc = setopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int vrrp_net_join(int fd, int family, unsigned ifindex, bool join)
{
	if (family == AF_INET) {
		struct ip_mreqn m = {.imr_ifindex = (int)ifindex};

		inet_pton(AF_INET, VRRP_MCAST4, &m.imr_multiaddr);
		if (setsockopt(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m,
			       sizeof(m)) < 0)
			return -errno;
		return 0;
	}
	{
		struct ipv6_mreq m = {.ipv6mr_interface = ifindex};

		inet_pton(AF_INET6, VRRP_MCAST6, &m.ipv6mr_multiaddr);
		if (setsockopt(fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &m,
			       sizeof(m)) < 0)
			return -errno;
	}
	return 0;
}

int vrrp_net_send(int fd, int family, unsigned ifindex, const union vrrp_addr *src,
		  const uint8_t *buf, size_t len)
{
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct sockaddr_storage to = {0};
	struct iovec iov = {(void *)buf, len};
	struct msghdr msg = {.msg_name = &to, .msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	memset(&ctl, 0, sizeof(ctl));
	msg.msg_control = ctl.b;
	c = (struct cmsghdr *)ctl.b;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&to;
		struct in_pktinfo pi = {.ipi_ifindex = (int)ifindex, .ipi_spec_dst = src->v4};

		sin->sin_family = AF_INET;
		inet_pton(AF_INET, VRRP_MCAST4, &sin->sin_addr);
		msg.msg_namelen = sizeof(*sin);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		msg.msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to;
		struct in6_pktinfo pi = {.ipi6_addr = src->v6, .ipi6_ifindex = ifindex};

		sin6->sin6_family = AF_INET6;
		sin6->sin6_scope_id = ifindex;
		inet_pton(AF_INET6, VRRP_MCAST6, &sin6->sin6_addr);
		msg.msg_namelen = sizeof(*sin6);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		msg.msg_controllen = CMSG_SPACE(sizeof(pi));
	}
	if (sendmsg(fd, &msg, 0) < 0)
		return -errno;
	return 0;
}

int vrrp_net_send6_link(int pfd, unsigned ifindex, const struct in6_addr *src, const uint8_t *buf,
		       size_t len)
{
	/* RFC 8200 3: version 6, traffic class and flow label 0, payload
	 * length, next header 112, hop limit 255 (RFC 5798 5.1.2.3), source,
	 * destination ff02::12; carried to 33-33-00-00-00-12 (RFC 2464 7). */
	static const uint8_t all_vrrp[16] = {0xff, 0x02, [15] = 0x12}; /* VRRP_MCAST6 */
	uint8_t h[40] = {0x60};
	struct sockaddr_ll to = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_IPV6),
				 .sll_ifindex = (int)ifindex,
				 .sll_halen = 6,
				 .sll_addr = {0x33, 0x33, 0, 0, 0, 0x12}};
	struct iovec iov[2] = {{h, sizeof(h)}, {(void *)buf, len}};
	struct msghdr msg = {
	    .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = iov, .msg_iovlen = 2};

	if (len > 0xffff)
		return -EMSGSIZE;
	h[4] = (uint8_t)(len >> 8);
	h[5] = (uint8_t)len;
	h[6] = VRRP_PKT_PROTO;
	h[7] = VRRP_PKT_TTL;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, all_vrrp, 16);
	if (sendmsg(pfd, &msg, 0) < 0)
		return -errno;
	return 0;
}

int vrrp_net_recv(int fd, int family, uint8_t *buf, size_t cap, struct vrrp_net_rx *rx)
{
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)) +
		       CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} ctl;
	struct sockaddr_storage from;
	struct iovec iov = {buf, cap};
	struct msghdr msg = {.msg_name = &from,
			     .msg_namelen = sizeof(from),
			     .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b)};
	ssize_t n = recvmsg(fd, &msg, 0);

	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	memset(rx, 0, sizeof(*rx));
	rx->ttl = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			memcpy(&rx->kernel_drops, CMSG_DATA(c), sizeof(rx->kernel_drops));
			rx->has_kernel_drops = true;
		}
	if (family == AF_INET) {
		/* A raw IPv4 socket returns the IP header (RFC 791 3.1). */
		size_t ihl, tot;

		if (n < 20 || (buf[0] >> 4) != 4)
			return -EBADMSG;
		ihl = (size_t)(buf[0] & 0x0f) * 4;
		tot = ((size_t)buf[2] << 8) | buf[3];
		if (ihl < 20 || ihl > (size_t)n || tot < ihl || tot > (size_t)n)
			return -EBADMSG;
		rx->ttl = buf[8];
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				rx->ifindex = (unsigned)pi.ipi_ifindex;
			}
		memcpy(&rx->src.v4, buf + 12, 4);
		memcpy(&rx->dst.v4, buf + 16, 4);
		rx->payload = buf + ihl;
		rx->len = tot - ihl;
		return (int)n;
	}
	rx->src.v6 = ((struct sockaddr_in6 *)&from)->sin6_addr;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != IPPROTO_IPV6)
			continue;
		if (c->cmsg_type == IPV6_HOPLIMIT) {
			int hl;

			memcpy(&hl, CMSG_DATA(c), sizeof(hl));
			rx->ttl = hl;
		} else if (c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			rx->dst.v6 = pi.ipi6_addr;
			rx->ifindex = pi.ipi6_ifindex;
		}
	}
	rx->payload = buf;
	rx->len = (size_t)n;
	return (int)n;
}

/* An rtnetlink socket with extra socket flags, subscribed to groups. */
static int nl_socket(int flags, unsigned groups)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = groups};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

int vrrp_net_nl_open(void)
{
	return nl_socket(0, 0);
}

/* Requests are built in a buffer of this size; the largest (a macvlan)
 * takes about 100 bytes. */
#define NL_REQ_MAX 512

static uint32_t nl_seq;

static void nl_attr(struct nlmsghdr *h, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Opens a nested attribute; nl_nest_end() closes it once its members are in. */
static struct rtattr *nl_nest(struct nlmsghdr *h, unsigned short type)
{
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	nl_attr(h, type, NULL, 0);
	return a;
}

static void nl_nest_end(struct nlmsghdr *h, struct rtattr *a)
{
	a->rta_len = (unsigned short)((char *)h + h->nlmsg_len - (char *)a);
}

/*
 * Sends request h and reads until the kernel answers it. With want = 0 the
 * answer is the acknowledgement (NLM_F_ACK is set here); otherwise the
 * first message of type want with h's sequence number is copied to
 * ans (cap bytes). Returns 0 or the kernel's negative errno.
 */
static int nl_talk(int nlfd, struct nlmsghdr *h, unsigned short want, void *ans, size_t cap)
{
	union {
		char b[16384];
		struct nlmsghdr align;
	} buf;

	h->nlmsg_flags |= NLM_F_REQUEST | (want ? 0 : NLM_F_ACK);
	h->nlmsg_seq = ++nl_seq;
	if (send(nlfd, h, h->nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(nlfd, buf.b, sizeof(buf.b), 0);
		int len;

		if (n < 0)
			return -errno;
		if (!NLMSG_OK(&buf.align, (size_t)n))
			return -EBADMSG;
		len = (int)n;
		for (struct nlmsghdr *r = &buf.align; NLMSG_OK(r, len); r = NLMSG_NEXT(r, len)) {
			if (r->nlmsg_seq != h->nlmsg_seq)
				continue; /* a stale answer to an earlier request */
			if (r->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(r);

				return e->error;
			}
			if (want && r->nlmsg_type == want) {
				if (r->nlmsg_len > cap)
					return -EMSGSIZE;
				memcpy(ans, r, r->nlmsg_len);
				return 0;
			}
		}
	}
}

int vrrp_net_addr(int nlfd, bool add, int family, unsigned ifindex, const union vrrp_addr *a)
{
	union {
		char b[NL_REQ_MAX];
		struct nlmsghdr align;
	} req;
	struct nlmsghdr *h = &req.align;
	struct ifaddrmsg *ifa;
	size_t alen = family == AF_INET ? 4 : 16;
	int rc;

	memset(&req, 0, sizeof(req));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*ifa));
	h->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	h->nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
	ifa = NLMSG_DATA(h);
	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_prefixlen = (unsigned char)(alen * 8);
	ifa->ifa_index = ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	if (family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	nl_attr(h, IFA_LOCAL, a, alen);
	nl_attr(h, IFA_ADDRESS, a, alen);
	if (family == AF_INET6) {
		uint32_t flags = IFA_F_NODAD;

		nl_attr(h, IFA_FLAGS, &flags, sizeof(flags));
	}
	rc = nl_talk(nlfd, h, 0, NULL, 0);
	if ((add && rc == -EEXIST) || (!add && rc == -EADDRNOTAVAIL))
		return 0;
	return rc;
}

int vrrp_net_macvlan_add(int nlfd, unsigned parent, const char *name, const uint8_t mac[6])
{
	union {
		char b[NL_REQ_MAX];
		struct nlmsghdr align;
	} req;
	struct nlmsghdr *h = &req.align;
	struct ifinfomsg *ifi;
	struct rtattr *info, *data;
	uint32_t link = parent, mode = MACVLAN_MODE_BRIDGE;
	static const char kind[] = "macvlan";

	if (strlen(name) >= IF_NAMESIZE)
		return -ENAMETOOLONG;
	memset(&req, 0, sizeof(req));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	h->nlmsg_type = RTM_NEWLINK;
	h->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifi = NLMSG_DATA(h);
	ifi->ifi_family = AF_UNSPEC;
	nl_attr(h, IFLA_IFNAME, name, strlen(name) + 1);
	nl_attr(h, IFLA_LINK, &link, sizeof(link));
	nl_attr(h, IFLA_ADDRESS, mac, 6);
	info = nl_nest(h, IFLA_LINKINFO);
	nl_attr(h, IFLA_INFO_KIND, kind, strlen(kind));
	data = nl_nest(h, IFLA_INFO_DATA);
	nl_attr(h, IFLA_MACVLAN_MODE, &mode, sizeof(mode));
	nl_nest_end(h, data);
	nl_nest_end(h, info);
	return nl_talk(nlfd, h, 0, NULL, 0);
}

int vrrp_net_link_get(int nlfd, const char *name, struct vrrp_net_link *out)
{
	union {
		char b[NL_REQ_MAX];
		struct nlmsghdr align;
	} req;
	union {
		char b[16384];
		struct nlmsghdr align;
	} ans;
	struct nlmsghdr *h = &req.align;
	struct ifinfomsg *ifi;
	int rc, len;

	if (strlen(name) >= IF_NAMESIZE)
		return -ENODEV;
	memset(&req, 0, sizeof(req));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	h->nlmsg_type = RTM_GETLINK;
	ifi = NLMSG_DATA(h);
	ifi->ifi_family = AF_UNSPEC;
	nl_attr(h, IFLA_IFNAME, name, strlen(name) + 1);
	rc = nl_talk(nlfd, h, RTM_NEWLINK, ans.b, sizeof(ans.b));
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	ifi = NLMSG_DATA(&ans.align);
	out->ifindex = (unsigned)ifi->ifi_index;
	len = (int)IFLA_PAYLOAD(&ans.align);
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		int ilen = (int)RTA_PAYLOAD(a);

		if (a->rta_type != IFLA_LINKINFO)
			continue;
		for (struct rtattr *i = RTA_DATA(a); RTA_OK(i, ilen); i = RTA_NEXT(i, ilen))
			if (i->rta_type == IFLA_INFO_KIND)
				snprintf(out->kind, sizeof(out->kind), "%.*s",
					 (int)strnlen(RTA_DATA(i), RTA_PAYLOAD(i)),
					 (char *)RTA_DATA(i));
	}
	return 0;
}

/* RTM_NEWLINK / RTM_DELLINK on an existing interface. */
static int link_req(int nlfd, unsigned short type, unsigned ifindex, unsigned flags,
		    unsigned change)
{
	union {
		char b[NL_REQ_MAX];
		struct nlmsghdr align;
	} req;
	struct nlmsghdr *h = &req.align;
	struct ifinfomsg *ifi;

	memset(&req, 0, sizeof(req));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	h->nlmsg_type = type;
	ifi = NLMSG_DATA(h);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = flags;
	ifi->ifi_change = change;
	return nl_talk(nlfd, h, 0, NULL, 0);
}

int vrrp_net_link_set_up(int nlfd, unsigned ifindex)
{
	return link_req(nlfd, RTM_NEWLINK, ifindex, IFF_UP, IFF_UP);
}

int vrrp_net_link_del(int nlfd, unsigned ifindex)
{
	return link_req(nlfd, RTM_DELLINK, ifindex, 0, 0);
}

int vrrp_net_sysctl_get(const char *path, int *val)
{
	char buf[32], *end;
	ssize_t n;
	long v;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	close(fd);
	buf[n] = 0;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || errno || v < INT_MIN || v > INT_MAX)
		return -EBADMSG;
	*val = (int)v;
	return 0;
}

int vrrp_net_sysctl_set(const char *path, int val)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d\n", val), rc = 0;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, (size_t)len);
	if (n < 0)
		rc = -errno;
	else if (n != len)
		rc = -EIO;
	close(fd);
	return rc;
}

static bool same(int family, const void *x, const union vrrp_addr *a)
{
	return family == AF_INET ? memcmp(x, &a->v4, 4) == 0 : memcmp(x, &a->v6, 16) == 0;
}

static unsigned prefixlen(const struct sockaddr *mask)
{
	const uint8_t *p;
	size_t len;
	unsigned bits = 0;

	if (mask == NULL)
		return 0;
	if (mask->sa_family == AF_INET) {
		p = (const uint8_t *)&((const struct sockaddr_in *)mask)->sin_addr;
		len = 4;
	} else {
		p = (const uint8_t *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
		len = 16;
	}
	for (size_t i = 0; i < len; i++)
		bits += (unsigned)__builtin_popcount(p[i]);
	return bits;
}

/* Every address of the system, when a caller asked for one dump to serve
 * many queries (vrrp_net_snapshot_begin()): taken at the first query, so
 * that a bracket that asks nothing (a commit that changes a priority)
 * costs no dump of thousands of addresses. */
static struct ifaddrs *snapshot;
static bool snapshot_wanted;

/* Walk the interface's addresses of `family`; fn returns 1 to stop. */

static int walk(int family, unsigned ifindex, int (*fn)(const void *addr, unsigned plen, void *arg),
		void *arg)
{
	struct ifaddrs *all, *i;
	char name[IF_NAMESIZE];
	int rc = 0;

	if (if_indextoname(ifindex, name) == NULL)
		return -errno;
	if (snapshot_wanted && snapshot == NULL && getifaddrs(&snapshot) < 0)
		snapshot = NULL;
	if (snapshot)
		all = snapshot;
	else if (getifaddrs(&all) < 0)
		return -errno;
	for (i = all; i && rc == 0; i = i->ifa_next) {
		const void *addr;

		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family ||
		    strcmp(i->ifa_name, name) != 0)
			continue;
		addr = family == AF_INET
			   ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
			   : (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		rc = fn(addr, prefixlen(i->ifa_netmask), arg);
	}
	if (all != snapshot)
		freeifaddrs(all);
	return rc;
}

int vrrp_net_snapshot_begin(void)
{
	vrrp_net_snapshot_end();
	snapshot_wanted = true;
	return 0;
}

void vrrp_net_snapshot_end(void)
{
	if (snapshot)
		freeifaddrs(snapshot);
	snapshot = NULL;
	snapshot_wanted = false;
}

struct find {
	int family;
	const union vrrp_addr *want;
	union vrrp_addr *out;
};

static int find_kind(const void *addr, unsigned plen, void *arg)
{
	struct find *f = arg;

	if (!same(f->family, addr, f->want))
		return 0;
	return plen == (f->family == AF_INET ? 32u : 128u) ? VRRP_NET_ADDR_HOST
							   : VRRP_NET_ADDR_IFACE;
}

int vrrp_net_addr_kind(int family, unsigned ifindex, const union vrrp_addr *a)
{
	struct find f = {family, a, NULL};

	return walk(family, ifindex, find_kind, &f);
}

static int find_primary(const void *addr, unsigned plen, void *arg)
{
	struct find *f = arg;

	if (f->family == AF_INET) {
		if (plen == 32)
			return 0;
		memcpy(&f->out->v4, addr, 4);
		return 1;
	}
	if (!IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)addr))
		return 0;
	memcpy(&f->out->v6, addr, 16);
	return 1;
}

int vrrp_net_primary(int family, unsigned ifindex, union vrrp_addr *out)
{
	struct find f = {family, NULL, out};
	int rc = walk(family, ifindex, find_primary, &f);

	return rc < 0 ? rc : rc == 1 ? 0 : -ENOENT;
}

int vrrp_net_hwaddr(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		rc = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return rc;
}

int vrrp_net_announce_open(int *pkt, int *icmp6)
{
	int rc;

	/* Protocol 0: a packet socket that only sends. Bound to ETH_P_ARP it
	 * would also be handed a copy of every ARP frame in the namespace. */
	*pkt = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*pkt < 0)
		return -errno;
	*icmp6 = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (*icmp6 < 0) {
		rc = -errno;
		close(*pkt);
		return rc;
	}
	rc = setopt(*icmp6, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
	if (rc == 0)
		rc = setopt(*icmp6, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
	if (rc == 0) {
		/* We only send: let no ICMPv6 message queue up on this socket. */
		struct icmp6_filter flt;

		ICMP6_FILTER_SETBLOCKALL(&flt);
		if (setsockopt(*icmp6, IPPROTO_ICMPV6, ICMP6_FILTER, &flt, sizeof(flt)) < 0)
			rc = -errno;
	}
	if (rc < 0) {
		close(*pkt);
		close(*icmp6);
	}
	return rc;
}

int vrrp_net_garp(int fd, unsigned ifindex, const uint8_t mac[6], const struct in_addr *a)
{
	/* RFC 826 packet format, RFC 5227 3: an ARP request whose sender and
	 * target protocol addresses are both the announced address. */
	uint8_t p[28] = {0, 1, 8, 0, 6, 4, 0, 1};
	struct sockaddr_ll to = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_ARP),
				 .sll_ifindex = (int)ifindex,
				 .sll_halen = 6,
				 .sll_addr = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

	memcpy(p + 8, mac, 6);
	memcpy(p + 14, a, 4);
	memcpy(p + 24, a, 4);
	if (sendto(fd, p, sizeof(p), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

int vrrp_net_unsolicited_na(int fd, unsigned ifindex, const uint8_t mac[6],
			    const struct in6_addr *a)
{
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct {
		struct nd_neighbor_advert na;
		uint8_t opt[8];
	} m;
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_scope_id = ifindex};
	struct in6_pktinfo pi = {.ipi6_addr = *a, .ipi6_ifindex = ifindex};
	struct iovec iov = {&m, sizeof(m)};
	struct msghdr msg = {.msg_name = &to,
			     .msg_namelen = sizeof(to),
			     .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b)};
	struct cmsghdr *c;

	memset(&m, 0, sizeof(m));
	m.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	m.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE | ND_NA_FLAG_ROUTER;
	m.na.nd_na_target = *a;
	m.opt[0] = ND_OPT_TARGET_LINKADDR;
	m.opt[1] = 1; /* in units of 8 bytes */
	memcpy(m.opt + 2, mac, 6);
	inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	memset(&ctl, 0, sizeof(ctl));
	c = (struct cmsghdr *)ctl.b;
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	/* The kernel computes ICMPv6 checksums on raw ICMPv6 sockets. */
	if (sendmsg(fd, &msg, 0) < 0)
		return -errno;
	return 0;
}

int vrrp_net_monitor_open(void)
{
	return nl_socket(SOCK_NONBLOCK, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR);
}

int vrrp_net_monitor_read(int fd, void (*cb)(const struct vrrp_net_event *ev, void *arg), void *arg)
{
	union {
		char b[16384];
		struct nlmsghdr align;
	} buf;

	for (;;) {
		ssize_t n = recv(fd, buf.b, sizeof(buf.b), 0);

		if (n < 0)
			return errno == EWOULDBLOCK ? 0 : -errno;
		for (struct nlmsghdr *h = &buf.align; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			struct vrrp_net_event ev = {0};

			if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK) {
				struct ifinfomsg *ifi = NLMSG_DATA(h);
				int len = (int)IFLA_PAYLOAD(h);

				ev.kind = VRRP_NET_LINK;
				ev.ifindex = (unsigned)ifi->ifi_index;
				ev.up = h->nlmsg_type == RTM_NEWLINK && (ifi->ifi_flags & IFF_UP) &&
					(ifi->ifi_flags & IFF_RUNNING);
				for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len);
				     a = RTA_NEXT(a, len))
					if (a->rta_type == IFLA_IFNAME)
						snprintf(ev.ifname, sizeof(ev.ifname), "%.*s",
							 (int)RTA_PAYLOAD(a), (char *)RTA_DATA(a));
				cb(&ev, arg);
			} else if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR) {
				struct ifaddrmsg *ifa = NLMSG_DATA(h);

				ev.kind = VRRP_NET_ADDR;
				ev.ifindex = ifa->ifa_index;
				cb(&ev, arg);
			}
		}
	}
}

int vrrp_net_link_up(const char *ifname)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		rc = -errno;
	else
		rc = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	close(fd);
	return rc;
}
