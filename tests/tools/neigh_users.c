/*
 * neigh-users: brings users online as a router sees them: each sends one
 * ARP request (IPv4) or neighbour solicitation (IPv6) from its own MAC and
 * address to its gateway, and the gateway's kernel learns it (a STALE
 * neighbour entry). Sent raw from one interface, for tests and the demo.
 *
 *   neigh-users -i IFNAME -a FIRST -n COUNT -o ODD_GW -e EVEN_GW [-s MACSTART] [-k]
 *
 * User k (0 <= k < COUNT) has MAC 02:db:00:MM:MM:MM with M = MACSTART + k
 * (so its parity is that of MACSTART + k), address FIRST + k, and asks for
 * ODD_GW when its MAC is odd, EVEN_GW when even: with odd/even load
 * sharing each device learns the users it is master for. FIRST and the
 * gateways are all IPv4 or all IPv6. Exits 0 once every packet was sent;
 * with -k it stays and answers, as each user, the ARP requests and
 * neighbour solicitations for its address (a router checks a STALE entry
 * with a unicast probe before it gives up on it) until SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/ethernet.h>
#include <signal.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <netpacket/packet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static uint16_t csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* An ARP request: who has gw? tell addr (at mac). */
static size_t arp_req(uint8_t *f, const uint8_t mac[6], const struct in_addr *addr,
		      const struct in_addr *gw)
{
	memset(f, 0xff, 6); /* broadcast */
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x06;
	f[14] = 0, f[15] = 1;	 /* Ethernet */
	f[16] = 8, f[17] = 0;	 /* IPv4 */
	f[18] = 6, f[19] = 4;
	f[20] = 0, f[21] = 1;	 /* request */
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, addr, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, gw, 4);
	memset(f + 42, 0, 18); /* padding to 60 */
	return 60;
}

/* A neighbour solicitation for gw from addr, with its MAC (RFC 4861 4.3). */
static size_t nd_ns(uint8_t *f, const uint8_t mac[6], const struct in6_addr *addr,
		    const struct in6_addr *gw)
{
	struct in6_addr snm = {{{0xff, 0x02, [11] = 0x01, [12] = 0xff}}};
	uint8_t *ip = f + 14, *icmp = f + 54;
	uint32_t sum;
	uint16_t c, plen = 32;

	memcpy(snm.s6_addr + 13, gw->s6_addr + 13, 3);
	f[0] = 0x33, f[1] = 0x33;
	memcpy(f + 2, snm.s6_addr + 12, 4);
	memcpy(f + 6, mac, 6);
	f[12] = 0x86, f[13] = 0xdd;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[4] = 0, ip[5] = (uint8_t)plen;
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = 255;
	memcpy(ip + 8, addr, 16);
	memcpy(ip + 24, &snm, 16);
	memset(icmp, 0, plen);
	icmp[0] = ND_NEIGHBOR_SOLICIT;
	memcpy(icmp + 8, gw, 16);
	icmp[24] = ND_OPT_SOURCE_LINKADDR;
	icmp[25] = 1; /* 8 bytes */
	memcpy(icmp + 26, mac, 6);
	/* pseudo-header: source, destination, length, next header */
	sum = csum_add(0, addr, 16);
	sum = csum_add(sum, &snm, 16);
	sum += plen + IPPROTO_ICMPV6;
	c = (uint16_t)~csum_add(sum, icmp, plen);
	icmp[2] = (uint8_t)(c >> 8), icmp[3] = (uint8_t)c;
	return 54 + plen;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The user's number of an address, or -1 when it is none of them. */
static long user_of(int v6, const uint8_t *addr, const void *first, unsigned long count)
{
	uint32_t a, f;

	if (v6) {
		if (memcmp(addr, first, 12) != 0)
			return -1;
		memcpy(&a, addr + 12, 4);
		memcpy(&f, (const uint8_t *)first + 12, 4);
	} else {
		memcpy(&a, addr, 4);
		memcpy(&f, first, 4);
	}
	a = ntohl(a) - ntohl(f);
	return a < count ? (long)a : -1;
}

static void user_mac(unsigned long m, uint8_t mac[6])
{
	mac[0] = 0x02, mac[1] = 0xdb, mac[2] = 0;
	mac[3] = (uint8_t)(m >> 16), mac[4] = (uint8_t)(m >> 8), mac[5] = (uint8_t)m;
}

/* Answers for the users until SIGTERM: ARP replies (RFC 826) and solicited
 * neighbour advertisements (RFC 4861 4.4). */
static int answer(int fd, int ifindex, int v6, const void *first, unsigned long count,
		  unsigned long start)
{
	struct packet_mreq mr = {.mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC};
	uint8_t f[1600], o[128], mac[6];

	int rcvbuf = 8 << 20;

	/* probes are unicast to the users' MACs, which are not this host's */
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		return -1;
	/* a SIGTERM that comes just before recvfrom() must not leave it
	 * waiting for ever: wake up now and then to look at stop */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){0, 200000},
		   sizeof(struct timeval));
	/* routers probe many users at once: a burst must not overflow us */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	{
		/* no SA_RESTART: the signal must end the blocking read */
		struct sigaction sa = {.sa_handler = on_signal};

		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	while (!stop) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, f, sizeof(f), 0, (struct sockaddr *)&from, &fl);
		long u;

		if (n < 0 || from.sll_pkttype == PACKET_OUTGOING || from.sll_ifindex != ifindex)
			continue;
		if (!v6 && n >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 1 &&
		    (u = user_of(0, f + 38, first, count)) >= 0) {
			user_mac(start + (unsigned long)u, mac);
			memcpy(o, f + 6, 6);
			memcpy(o + 6, mac, 6);
			memcpy(o + 12, f + 12, 8);
			o[21] = 2; /* reply */
			memcpy(o + 22, mac, 6);
			memcpy(o + 28, f + 38, 4);
			memcpy(o + 32, f + 22, 10);
			memset(o + 42, 0, 18);
			send(fd, o, 60, 0);
		} else if (v6 && n >= 78 && f[12] == 0x86 && f[13] == 0xdd &&
			   f[20] == IPPROTO_ICMPV6 && f[54] == ND_NEIGHBOR_SOLICIT &&
			   (u = user_of(1, f + 62, first, count)) >= 0) {
			struct in6_addr src, dst;
			uint32_t sum;
			uint16_t c, plen = 32;
			uint8_t *ip = o + 14, *icmp = o + 54;

			user_mac(start + (unsigned long)u, mac);
			memcpy(&src, f + 62, 16);
			memcpy(&dst, f + 22, 16);
			memcpy(o, f + 6, 6);
			memcpy(o + 6, mac, 6);
			o[12] = 0x86, o[13] = 0xdd;
			memset(ip, 0, 40);
			ip[0] = 0x60;
			ip[5] = (uint8_t)plen;
			ip[6] = IPPROTO_ICMPV6;
			ip[7] = 255;
			memcpy(ip + 8, &src, 16);
			memcpy(ip + 24, &dst, 16);
			memset(icmp, 0, plen);
			icmp[0] = ND_NEIGHBOR_ADVERT;
			icmp[4] = 0x60; /* solicited, override */
			memcpy(icmp + 8, &src, 16);
			icmp[24] = ND_OPT_TARGET_LINKADDR;
			icmp[25] = 1;
			memcpy(icmp + 26, mac, 6);
			sum = csum_add(0, &src, 16);
			sum = csum_add(sum, &dst, 16);
			sum += plen + IPPROTO_ICMPV6;
			c = (uint16_t)~csum_add(sum, icmp, plen);
			icmp[2] = (uint8_t)(c >> 8), icmp[3] = (uint8_t)c;
			send(fd, o, 54 + plen, 0);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *ifname = NULL, *first = NULL, *odd = NULL, *even = NULL;
	unsigned long count = 0, start = 0;
	struct in6_addr a6, o6, e6;
	struct in_addr a4, o4, e4;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_halen = 6};
	int c, fd, v6, keep = 0;

	while ((c = getopt(argc, argv, "i:a:n:o:e:s:k")) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'a': first = optarg; break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'o': odd = optarg; break;
		case 'e': even = optarg; break;
		case 's': start = strtoul(optarg, NULL, 10); break;
		case 'k': keep = 1; break;
		default: goto usage;
		}
	}
	if (!ifname || !first || !odd || !even || count == 0 || start + count > 0xffffff)
		goto usage;
	v6 = strchr(first, ':') != NULL;
	if (v6 ? inet_pton(AF_INET6, first, &a6) != 1 || inet_pton(AF_INET6, odd, &o6) != 1 ||
		     inet_pton(AF_INET6, even, &e6) != 1
	       : inet_pton(AF_INET, first, &a4) != 1 || inet_pton(AF_INET, odd, &o4) != 1 ||
		     inet_pton(AF_INET, even, &e4) != 1) {
		fprintf(stderr, "neigh-users: addresses must all be IPv4 or all IPv6\n");
		return 2;
	}
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sll.sll_ifindex == 0) {
		fprintf(stderr, "neigh-users: no interface %s\n", ifname);
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW, keep ? htons(ETH_P_ALL) : 0);
	if (fd < 0) {
		perror("neigh-users: socket");
		return 1;
	}
	if (keep) {
		struct sockaddr_ll b = {.sll_family = AF_PACKET,
					.sll_protocol = htons(ETH_P_ALL),
					.sll_ifindex = sll.sll_ifindex};

		if (bind(fd, (struct sockaddr *)&b, sizeof(b)) < 0) {
			perror("neigh-users: bind");
			return 1;
		}
	}
	for (unsigned long k = 0; k < count; k++) {
		uint8_t f[128], mac[6];
		unsigned long m = start + k;
		size_t len;

		user_mac(m, mac);
		if (v6) {
			struct in6_addr a = a6;
			uint32_t low = ntohl(*(uint32_t *)(a.s6_addr + 12)) + (uint32_t)k;

			*(uint32_t *)(a.s6_addr + 12) = htonl(low);
			len = nd_ns(f, mac, &a, m & 1 ? &o6 : &e6);
		} else {
			struct in_addr a = {htonl(ntohl(a4.s_addr) + (uint32_t)k)};

			len = arp_req(f, mac, &a, m & 1 ? &o4 : &e4);
		}
		memcpy(sll.sll_addr, f, 6);
		while (sendto(fd, f, len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN) {
				perror("neigh-users: sendto");
				return 1;
			}
			nanosleep(&(struct timespec){0, 1000000}, NULL);
		}
		/* a burst no faster than a busy segment: the receiver's
		 * backlog drops what comes too fast */
		if (k % 64 == 63)
			nanosleep(&(struct timespec){0, 2000000}, NULL);
	}
	if (keep && answer(fd, sll.sll_ifindex, v6, v6 ? (void *)&a6 : (void *)&a4, count, start) < 0) {
		perror("neigh-users: answering");
		return 1;
	}
	close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: neigh-users -i IFNAME -a FIRST -n COUNT -o ODD_GW -e EVEN_GW "
			"[-s MACSTART] [-k]\n");
	return 2;
}
