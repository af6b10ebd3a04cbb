/*
 * Test tool: throw garbage at a ZeroMQ endpoint — random bytes, truncated
 * and oversized envelopes, envelopes of the wrong type or claiming another
 * role, too many frames — to show the daemon behind it stays up.
 *
 *   zmq-garbage ENDPOINT [COUNT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/bus.h"

int main(int argc, char **argv)
{
	int count = argc > 2 ? atoi(argv[2]) : 500, linger = 200;
	void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_DEALER);
	unsigned seed = 12345;
	uint8_t buf[70000];

	if (argc < 2) {
		fprintf(stderr, "usage: zmq-garbage ENDPOINT [COUNT]\n");
		return 2;
	}
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_connect(s, argv[1]) != 0) {
		perror("zmq_connect");
		return 1;
	}
	for (int i = 0; i < count; i++) {
		size_t len = (size_t)(rand_r(&seed) % 512);
		int kind = i % 6;

		for (size_t j = 0; j < sizeof(buf) && j < 70000; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		if (kind == 1) {
			/* a valid envelope of a type nobody may send from the CLI */
			uint8_t *p;
			size_t n;

			bus_pack(&p, &n, (Db__MsgType)(rand_r(&seed) % 50),
				 (Db__Role)(rand_r(&seed) % 8), (uint64_t)i, NULL);
			zmq_send(s, p, n > 3 ? n - (size_t)(i % 3) : n, 0);
			free(p);
			continue;
		}
		if (kind == 2)
			len = sizeof(buf); /* oversized */
		if (kind == 3) {
			/* too many frames */
			for (int f = 0; f < 6; f++)
				zmq_send(s, buf, 8, ZMQ_SNDMORE);
		}
		if (kind == 4) {
			/* a daemon's message claiming a role it is not */
			uint8_t *p;
			size_t n;

			bus_pack(&p, &n, DB__MSG_TYPE__MSG_VOTE, DB__ROLE__ROLE_VRRPD, 1, NULL);
			zmq_send(s, p, n, 0);
			free(p);
			continue;
		}
		zmq_send(s, buf, len, 0);
	}
	zmq_close(s);
	zmq_ctx_term(ctx);
	printf("sent %d garbage messages to %s\n", count, argv[1]);
	return 0;
}
