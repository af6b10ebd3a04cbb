/*
 * bench-failover-probe: what a host on the segment sees during a VRRP
 * failover. It pings one address every few milliseconds and records, with
 * the kernel's receive timestamps, every echo reply and every VRRP
 * advertisement (IPv4, protocol 112) that reaches its interface. The lines
 * it prints are read by bench/failover.sh:
 *
 *   ready                          replies flow and a master advertises
 *   adv MS SRC PRIORITY VRID       one advertisement
 *   rep MS SEQ                     one echo reply
 *   go MS                          the moment given by -P, told to -g
 *   end ok|timeout|signal SENT RECEIVED
 *
 * MS is milliseconds since the probe started (CLOCK_REALTIME, as the
 * kernel stamps packets), with microseconds.
 *
 * With -g FIFO, once ready, it writes "go" to FIFO (opened then, for
 * writing: the caller holds it open for reading) -P PHASE_MS after the
 * next advertisement of the current master: the caller acts then, so that
 * its action falls at a chosen phase of the master's advertisements.
 *
 * It stops by itself once it has seen an advertisement from the -s
 * address (the new master) and -k echo replies after it, or at the -T
 * timeout, or on SIGTERM / SIGINT.
 *
 *   bench-failover-probe -i IFACE -d ADDR -s NEWMASTER [-k REPLIES]
 *                        [-p INTERVAL_MS] [-T TIMEOUT_MS] [-g FIFO -P PHASE_MS]
 *
 * Exit status: 0 stopped as asked, 1 timeout, 2 signal, 3 bad usage or a
 * system call that failed.
 *
 * Build: cc -O2 -o build/bin/bench-failover-probe bench/failover_probe.c
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define VRRP_PROTO 112

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-failover-probe: %s: %s\n", what, strerror(errno));
	exit(3);
}

static double ts_ms(const struct timespec *t, const struct timespec *origin)
{
	return (double)(t->tv_sec - origin->tv_sec) * 1e3 +
	       (double)(t->tv_nsec - origin->tv_nsec) / 1e6;
}

static uint16_t csum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Reads one packet with its kernel receive timestamp (now if the kernel
 * gave none). Returns the length, or -1 when nothing is waiting. */
static ssize_t recv_ts(int fd, uint8_t *buf, size_t cap, struct timespec *ts, int *pkttype)
{
	struct sockaddr_ll from;
	char cbuf[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = {buf, cap};
	struct msghdr m = {&from, sizeof(from), &iov, 1, cbuf, sizeof(cbuf), 0};
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);

	if (n < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, ts);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS)
			memcpy(ts, CMSG_DATA(c), sizeof(*ts));
	if (pkttype)
		*pkttype = m.msg_namelen >= sizeof(from) ? from.sll_pkttype : -1;
	return n;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-failover-probe -i IFACE -d ADDR -s NEWMASTER [-k REPLIES] "
			"[-p INTERVAL_MS] [-T TIMEOUT_MS] [-g FIFO -P PHASE_MS]\n");
	exit(3);
}

int main(int argc, char **argv)
{
	const char *ifname = NULL, *fifo = NULL;
	long phase_ms = 0;
	int gf = -1, armed = 0, went = 0;
	struct in_addr dst = {0}, newmaster = {0};
	long keep = 30, interval_ms = 10, timeout_ms = 20000;
	int opt, one = 1;
	unsigned ifindex;
	struct timespec origin, now;
	int pk, ic, tf;
	uint16_t ident = (uint16_t)getpid(), seq = 0;
	unsigned long sent = 0, rcvd = 0, after_new = 0;
	int seen_other = 0, seen_new = 0, ready = 0;
	double deadline;

	while ((opt = getopt(argc, argv, "i:d:s:k:p:T:g:P:")) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'd':
			if (inet_pton(AF_INET, optarg, &dst) != 1)
				usage();
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &newmaster) != 1)
				usage();
			break;
		case 'k':
			keep = atol(optarg);
			break;
		case 'p':
			interval_ms = atol(optarg);
			break;
		case 'T':
			timeout_ms = atol(optarg);
			break;
		case 'g':
			fifo = optarg;
			break;
		case 'P':
			phase_ms = atol(optarg);
			break;
		default:
			usage();
		}
	}
	if (ifname == NULL || dst.s_addr == 0 || newmaster.s_addr == 0 || interval_ms <= 0)
		usage();
	ifindex = if_nametoindex(ifname);
	if (ifindex == 0)
		die(ifname);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	/* VRRP as it arrives on the interface: a packet socket, filtered in
	 * the kernel to IPv4 protocol 112 (byte 9 of the IP header). */
	pk = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (pk < 0)
		die("packet socket");
	{
		struct sock_filter code[] = {
		    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, VRRP_PROTO, 0, 1),
		    BPF_STMT(BPF_RET | BPF_K, 0xffff),
		    BPF_STMT(BPF_RET | BPF_K, 0),
		};
		struct sock_fprog prog = {sizeof(code) / sizeof(code[0]), code};
		struct sockaddr_ll sll = {.sll_family = AF_PACKET,
					  .sll_protocol = htons(ETH_P_IP),
					  .sll_ifindex = (int)ifindex};

		if (setsockopt(pk, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
			die("SO_ATTACH_FILTER");
		if (bind(pk, (struct sockaddr *)&sll, sizeof(sll)) < 0)
			die("bind packet socket");
	}
	if (setsockopt(pk, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
		die("SO_TIMESTAMPNS");

	/* Echo requests and replies: a raw ICMP socket on the interface that
	 * keeps only echo replies. */
	ic = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (ic < 0)
		die("icmp socket");
	{
		uint32_t keep_types = ~(1u << ICMP_ECHOREPLY);

		if (setsockopt(ic, SOL_RAW, 1 /* ICMP_FILTER */, &keep_types, sizeof(keep_types)) <
		    0)
			die("ICMP_FILTER");
	}
	if (setsockopt(ic, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0)
		die("SO_BINDTODEVICE");
	if (setsockopt(ic, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
		die("SO_TIMESTAMPNS");

	tf = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (tf < 0)
		die("timerfd");
	{
		struct itimerspec its = {{interval_ms / 1000, (interval_ms % 1000) * 1000000},
					 {0, 1000000}};

		if (timerfd_settime(tf, 0, &its, NULL) < 0)
			die("timerfd_settime");
	}

	/* The moment to say "go": an absolute CLOCK_REALTIME timer, the
	 * clock the kernel stamps packets with. */
	gf = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	if (gf < 0)
		die("timerfd");

	clock_gettime(CLOCK_REALTIME, &origin);
	deadline = (double)timeout_ms;
	for (;;) {
		struct pollfd p[4] = {
		    {pk, POLLIN, 0}, {ic, POLLIN, 0}, {tf, POLLIN, 0}, {gf, POLLIN, 0}};
		uint8_t buf[2048];
		struct timespec ts;
		ssize_t n;
		int pt;

		if (got_signal) {
			printf("end signal %lu %lu\n", sent, rcvd);
			return 2;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		if (ts_ms(&now, &origin) >= deadline) {
			printf("end timeout %lu %lu\n", sent, rcvd);
			return 1;
		}
		if (poll(p, 4, 50) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		while ((n = recv_ts(pk, buf, sizeof(buf), &ts, &pt)) >= 0) {
			const struct iphdr *ip = (const struct iphdr *)buf;
			size_t hl;
			char a[INET_ADDRSTRLEN];

			if (pt == PACKET_OUTGOING || n < (ssize_t)sizeof(*ip) || ip->version != 4 ||
			    ip->protocol != VRRP_PROTO)
				continue;
			hl = (size_t)ip->ihl * 4;
			if ((size_t)n < hl + 4)
				continue;
			inet_ntop(AF_INET, &ip->saddr, a, sizeof(a));
			printf("adv %.3f %s %u %u\n", ts_ms(&ts, &origin), a, buf[hl + 2],
			       buf[hl + 1]);
			if (ip->saddr == newmaster.s_addr && buf[hl + 2] != 0) {
				seen_new = 1;
			} else {
				seen_other = 1;
				if (ready && fifo && !armed) {
					struct itimerspec at = {{0, 0}, ts};

					at.it_value.tv_sec += phase_ms / 1000;
					at.it_value.tv_nsec += (phase_ms % 1000) * 1000000;
					if (at.it_value.tv_nsec >= 1000000000) {
						at.it_value.tv_sec++;
						at.it_value.tv_nsec -= 1000000000;
					}
					if (timerfd_settime(gf, TFD_TIMER_ABSTIME, &at, NULL) < 0)
						die("timerfd_settime");
					armed = 1;
				}
			}
		}
		if ((p[3].revents & POLLIN) && !went) {
			uint64_t ticks;
			int fd;

			if (read(gf, &ticks, sizeof(ticks)) == sizeof(ticks)) {
				went = 1;
				clock_gettime(CLOCK_REALTIME, &now);
				printf("go %.3f\n", ts_ms(&now, &origin));
				fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
				if (fd < 0 || write(fd, "go\n", 3) != 3)
					die(fifo);
				close(fd);
			}
		}
		while ((n = recv_ts(ic, buf, sizeof(buf), &ts, NULL)) >= 0) {
			const struct iphdr *ip = (const struct iphdr *)buf;
			const struct icmphdr *icmp;
			size_t hl;

			if (n < (ssize_t)sizeof(*ip))
				continue;
			hl = (size_t)ip->ihl * 4;
			if ((size_t)n < hl + sizeof(*icmp) || ip->saddr != dst.s_addr)
				continue;
			icmp = (const struct icmphdr *)(buf + hl);
			if (icmp->type != ICMP_ECHOREPLY || icmp->un.echo.id != htons(ident))
				continue;
			rcvd++;
			printf("rep %.3f %u\n", ts_ms(&ts, &origin), ntohs(icmp->un.echo.sequence));
			if (seen_new && ++after_new >= (unsigned long)keep) {
				printf("end ok %lu %lu\n", sent, rcvd);
				return 0;
			}
		}
		if (!ready && seen_other && rcvd >= 3) {
			ready = 1;
			printf("ready\n");
		}
		if (p[2].revents & POLLIN) {
			uint64_t ticks;
			struct {
				struct icmphdr h;
				uint8_t pad[16];
			} req;
			struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};

			if (read(tf, &ticks, sizeof(ticks)) != sizeof(ticks))
				continue;
			/* One request per tick even when late: the probe measures
			 * gaps, so a burst after a stall would not help. */
			memset(&req, 0, sizeof(req));
			req.h.type = ICMP_ECHO;
			req.h.un.echo.id = htons(ident);
			req.h.un.echo.sequence = htons(++seq);
			req.h.checksum = csum(&req, sizeof(req));
			if (sendto(ic, &req, sizeof(req), MSG_DONTWAIT, (struct sockaddr *)&to,
				   sizeof(to)) == (ssize_t)sizeof(req))
				sent++;
		}
	}
}
