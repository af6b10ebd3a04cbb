/*
 * bfd-inject: play a rogue BFD neighbour (IPv4) for tests of what vrrpd's
 * BFD sessions accept.
 *
 *   bfd-inject SRC DST TTL STATE MY_DISC YOUR_DISC [COUNT]
 *
 * sends COUNT (default 1) Control packets from SRC (an address of this
 * namespace, any port in 49152-65535) to DST port 3784 with the given IP
 * TTL, state (admindown, down, init, up) and discriminators, 10 ms apart,
 * with 100 ms intervals and detect multiplier 3. An attacker off the link
 * cannot send TTL 255 to the device (RFC 5881 5: GTSM); an attacker on it
 * may try another source address with a session's discriminator.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bfd/bfd_pkt.h"

static int state_of(const char *s, enum bfd_state *st)
{
	static const char *const names[] = {"admindown", "down", "init", "up"};

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*st = (enum bfd_state)i;
			return 0;
		}
	return -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
	struct bfd_pkt p = {.version = BFD_PKT_VERSION, .detect_mult = 3, .length = BFD_PKT_LEN,
			    .desired_min_tx_us = 100000, .required_min_rx_us = 100000};
	uint8_t buf[BFD_PKT_LEN];
	int fd, ttl, count = argc > 7 ? atoi(argv[7]) : 1;
	struct timespec gap = {0, 10 * 1000 * 1000};

	if (argc < 7 || inet_pton(AF_INET, argv[1], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1 || state_of(argv[4], &p.state) < 0) {
		fprintf(stderr,
			"usage: bfd-inject SRC DST TTL admindown|down|init|up MY_DISC YOUR_DISC "
			"[COUNT]\n");
		return 2;
	}
	ttl = atoi(argv[3]);
	p.my_disc = (uint32_t)strtoul(argv[5], NULL, 10);
	p.your_disc = (uint32_t)strtoul(argv[6], NULL, 10);
	src.sin_port = htons(BFD_SRC_PORT_MIN + (uint16_t)(getpid() % 1000));
	dst.sin_port = htons(BFD_UDP_PORT);
	if (bfd_pkt_build(buf, sizeof(buf), &p) < 0) {
		fprintf(stderr, "bfd-inject: those fields do not make a packet\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0 ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
		perror("bfd-inject");
		return 1;
	}
	for (int i = 0; i < count; i++) {
		if (sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
			perror("bfd-inject: sendto");
			return 1;
		}
		if (i + 1 < count)
			nanosleep(&gap, NULL);
	}
	close(fd);
	return 0;
}
