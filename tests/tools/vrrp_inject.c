/*
 * vrrp-inject: send one crafted VRRPv3 advertisement (IPv4) on an interface,
 * for tests of what vrrpd drops and counts.
 *
 *   vrrp-inject IFNAME KIND PRIORITY [COUNT]
 *
 * COUNT copies of it (default 1), back to back.
 *
 * The packet is for VRID 1 with virtual address 192.0.2.100 and a 100 ms
 * interval, from the interface's first IPv4 address, TTL 255, checksum
 * with the pseudo-header, except where KIND spoils it:
 *   ok        a valid advertisement
 *   ttl       TTL 64
 *   checksum  one checksum bit flipped
 *   short     only the first 6 bytes
 *   version   version 1 (checksum still right)
 *   type      type 2 (checksum still right)
 *   count     address count 2 with one address (checksum still right)
 *   vrid      VRID 9, a group nobody runs
 *   addr      virtual address 192.0.2.99 instead
 *   flap      valid, COUNT pairs: one with PRIORITY then one with priority 0
 *             (the master leaves), FLAP_GAP_US apart: a master of lower
 *             priority steps down to backup and, Skew_Time after the
 *             priority 0, back up to master, two transitions a pair
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vrrpd/vrrp_net.h"
#include "vrrpd/vrrp_pkt.h"

#define FLAP_GAP_US 2000

/* Change the 16-bit word at off and fix the checksum (RFC 1624 3). */
static void patch(uint8_t *buf, size_t off, uint8_t hi, uint8_t lo)
{
	uint16_t old = (uint16_t)(buf[off] << 8 | buf[off + 1]), new = (uint16_t)(hi << 8 | lo);
	uint16_t hc = (uint16_t)(buf[6] << 8 | buf[7]);
	uint32_t sum = (uint16_t)~hc + (uint16_t)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	hc = (uint16_t)~sum;
	buf[off] = hi;
	buf[off + 1] = lo;
	buf[6] = (uint8_t)(hc >> 8);
	buf[7] = (uint8_t)hc;
}

int main(int argc, char **argv)
{
	struct vrrp_pkt p = {.family = AF_INET, .version = 3, .type = 1, .vrid = 1, .naddr = 1};
	uint8_t buf[VRRP_PKT_MAX_LEN], zero[VRRP_PKT_MAX_LEN];
	union vrrp_addr src, dst;
	const char *kind;
	unsigned idx;
	int fd, n, nz = 0, ttl = 255;
	bool flap;
	long count = 1;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: vrrp-inject IFNAME KIND PRIORITY [COUNT]\n");
		return 2;
	}
	if (argc == 5 && (count = atol(argv[4])) < 1) {
		fprintf(stderr, "vrrp-inject: COUNT must be a positive number\n");
		return 2;
	}
	kind = argv[2];
	idx = if_nametoindex(argv[1]);
	if (idx == 0 || vrrp_net_primary(AF_INET, idx, &src) < 0) {
		fprintf(stderr, "vrrp-inject: %s: no such interface or no IPv4 address\n", argv[1]);
		return 1;
	}
	inet_pton(AF_INET, "224.0.0.18", &dst.v4);
	p.priority = (uint8_t)atoi(argv[3]);
	p.max_adver_int = 10;
	inet_pton(AF_INET, strcmp(kind, "addr") == 0 ? "192.0.2.99" : "192.0.2.100", &p.addr.v4[0]);
	if (strcmp(kind, "vrid") == 0)
		p.vrid = 9;
	n = vrrp_pkt_build(buf, sizeof(buf), &p, AF_INET, &src, &dst, VRRP_CSUM_PSEUDO);
	if (n < 0) {
		fprintf(stderr, "vrrp-inject: build: %s\n", strerror(-n));
		return 1;
	}
	flap = strcmp(kind, "flap") == 0;
	if (flap) {
		p.priority = 0;
		nz = vrrp_pkt_build(zero, sizeof(zero), &p, AF_INET, &src, &dst,
				    VRRP_CSUM_PSEUDO);
		if (nz < 0) {
			fprintf(stderr, "vrrp-inject: build: %s\n", strerror(-nz));
			return 1;
		}
	}
	if (strcmp(kind, "ttl") == 0)
		ttl = 64;
	else if (strcmp(kind, "checksum") == 0)
		buf[7] ^= 1;
	else if (strcmp(kind, "short") == 0)
		n = 6;
	else if (strcmp(kind, "version") == 0)
		patch(buf, 0, 0x11, buf[1]);
	else if (strcmp(kind, "type") == 0)
		patch(buf, 0, 0x32, buf[1]);
	else if (strcmp(kind, "count") == 0)
		patch(buf, 2, buf[2], 2);
	else if (strcmp(kind, "ok") && strcmp(kind, "vrid") && strcmp(kind, "addr") && !flap) {
		fprintf(stderr, "vrrp-inject: unknown kind %s\n", kind);
		return 2;
	}
	fd = vrrp_net_open(AF_INET, idx, argv[1]);
	if (fd < 0) {
		fprintf(stderr, "vrrp-inject: socket: %s\n", strerror(-fd));
		return 1;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0) {
		perror("vrrp-inject: IP_MULTICAST_TTL");
		return 1;
	}
	for (long i = 0; i < count * (flap ? 2 : 1); i++) {
		bool z = flap && (i & 1);
		int rc = vrrp_net_send(fd, AF_INET, idx, &src, z ? zero : buf, (size_t)(z ? nz : n));

		if (rc == -ENOBUFS || rc == -EAGAIN) {
			usleep(100); /* the device's queue is full: let it drain */
			i--;
			continue;
		}
		if (rc < 0) {
			fprintf(stderr, "vrrp-inject: send: %s\n", strerror(-rc));
			return 1;
		}
		if (flap) {
			struct timespec gap = {0, FLAP_GAP_US * 1000L};

			nanosleep(&gap, NULL);
		}
	}
	close(fd);
	return 0;
}
