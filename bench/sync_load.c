/*
 * bench-sync-load: the latency of rbpd's user API under a steady load,
 * with and without the synchronous acknowledgment (UserRequest.sync). It
 * sends one add per request at a fixed rate (open loop: request i leaves
 * at start + i / RATE whatever came back) and measures each answer from
 * the moment its request was due, so that a slow answer delays nothing
 * and hides nothing.
 *
 *   bench-sync-load -r RUNDIR -i IFNAME -R RATE -d SECONDS [-s TIMEOUT_MS]
 *                   [-k PREFIX] [-o]
 *
 * Users: dhcp-server, keys PREFIX-N, MACs 02:5b:xx:xx:xx:yy with an odd
 * (-o) or even last byte, a 32-byte payload. -s asks for the synchronous
 * acknowledgment with that bound. Prints one line:
 *
 *   sent=N answered=N refused=N backed=N not_backed=N rate=R p50_us=.. p99_us=.. max_us=..
 *
 * then, when some were not backed up, the first reason. Exit 0; 1 when not
 * every request was answered within 5 s of the last; 2 bad usage.
 *
 * Build: cc -O2 -o build/bin/bench-sync-load bench/sync_load.c build/gen/user.pb-c.o
 *        build/gen/rbs.pb-c.o -lzmq -lprotobuf-c
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "user.pb-c.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-sync-load -r RUNDIR -i IFNAME -R RATE -d SECONDS "
			"[-s TIMEOUT_MS] [-k PREFIX] [-o]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *rundir = NULL, *ifname = NULL, *prefix = "b";
	double rate = 0, secs = 0;
	int sync_ms = 0, opt, odd = 0;
	uint64_t n, sent = 0, answered = 0, refused = 0, backed = 0, unbacked = 0;
	uint64_t *due, *lat, start, end_by;
	char ep[600], why[256] = "";
	void *ctx, *s;

	while ((opt = getopt(argc, argv, "r:i:R:d:s:k:o")) != -1) {
		switch (opt) {
		case 'r': rundir = optarg; break;
		case 'i': ifname = optarg; break;
		case 'R': rate = atof(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 's': sync_ms = atoi(optarg); break;
		case 'k': prefix = optarg; break;
		case 'o': odd = 1; break;
		default: usage();
		}
	}
	if (!rundir || !ifname || rate <= 0 || secs <= 0 || sync_ms < 0)
		usage();
	n = (uint64_t)(rate * secs);
	due = calloc(n ? n : 1, sizeof(*due));
	lat = calloc(n ? n : 1, sizeof(*lat));
	if (!due || !lat)
		return 1;
	snprintf(ep, sizeof(ep), "ipc://%s/rbpd-users.ipc", rundir);
	ctx = zmq_ctx_new();
	s = zmq_socket(ctx, ZMQ_DEALER);
	{
		int hwm = 0, linger = 0;

		zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
		zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm));
		zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	}
	if (zmq_connect(s, ep) < 0) {
		fprintf(stderr, "bench-sync-load: %s: %s\n", ep, zmq_strerror(errno));
		return 1;
	}
	usleep(100000); /* the connection, before the clock starts */
	start = now_ns();
	end_by = start + (uint64_t)(secs * 1e9) + 5000000000u;
	while (answered < n && now_ns() < end_by) {
		uint64_t t = now_ns();
		zmq_pollitem_t pi = {s, 0, ZMQ_POLLIN, 0};
		long wait_ms;

		/* every request due by now leaves */
		while (sent < n && start + (uint64_t)((double)sent * 1e9 / rate) <= t) {
			Db__UserRequest req = DB__USER_REQUEST__INIT;
			Db__UserChange ch = DB__USER_CHANGE__INIT, *chp = &ch;
			uint8_t mac[6] = {0x02, 0x5b, 0, 0, 0, 0}, payload[32], buf[512];
			char key[64];
			size_t len;
			uint64_t i = sent;

			mac[2] = (uint8_t)(i >> 23);
			mac[3] = (uint8_t)(i >> 15);
			mac[4] = (uint8_t)(i >> 7);
			mac[5] = (uint8_t)(((i & 0x7f) << 1) | (unsigned)odd);
			memset(payload, 0x5b, sizeof(payload));
			snprintf(key, sizeof(key), "%s-%" PRIu64, prefix, i);
			ch.op = DB__USER_OP__USER_OP_ADD;
			ch.type = DB__RBS_SERVICE_TYPE__RBS_SVC_DHCP_SERVER;
			ch.mac.data = mac;
			ch.mac.len = 6;
			ch.ifname = (char *)ifname;
			ch.key.data = (uint8_t *)key;
			ch.key.len = strlen(key);
			ch.payload.data = payload;
			ch.payload.len = sizeof(payload);
			req.id = i;
			req.changes = &chp;
			req.n_changes = 1;
			req.sync = sync_ms > 0;
			req.sync_timeout_ms = (uint32_t)sync_ms;
			len = db__user_request__pack(&req, buf);
			due[i] = start + (uint64_t)((double)i * 1e9 / rate);
			if (zmq_send(s, buf, len, 0) < 0) {
				fprintf(stderr, "bench-sync-load: send: %s\n", zmq_strerror(errno));
				return 1;
			}
			sent++;
		}
		/* answers until the next request is due */
		t = now_ns();
		if (sent < n) {
			uint64_t next = start + (uint64_t)((double)sent * 1e9 / rate);

			wait_ms = next > t ? (long)((next - t) / 1000000) : 0;
		} else {
			wait_ms = 100;
		}
		if (zmq_poll(&pi, 1, wait_ms) <= 0)
			continue;
		for (;;) {
			zmq_msg_t m;
			Db__UserReply *r;

			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&m);
				break;
			}
			r = db__user_reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
			zmq_msg_close(&m);
			if (r == NULL || r->id >= sent)
				continue;
			lat[answered++] = (now_ns() - due[r->id]) / 1000;
			refused += r->n_errors;
			if (sync_ms > 0 && r->n_errors == 0) {
				if (r->backed_up) {
					backed++;
				} else {
					unbacked++;
					if (!why[0] && r->not_backed_up)
						snprintf(why, sizeof(why), "%s", r->not_backed_up);
				}
			}
			db__user_reply__free_unpacked(r, NULL);
		}
	}
	{
		double took = (double)(now_ns() - start) / 1e9;
		uint64_t p50 = 0, p99 = 0, max = 0;

		if (answered) {
			qsort(lat, answered, sizeof(*lat), cmp_u64);
			p50 = lat[answered / 2];
			p99 = lat[(answered * 99) / 100];
			max = lat[answered - 1];
		}
		(void)took;
		printf("sent=%" PRIu64 " answered=%" PRIu64 " refused=%" PRIu64 " backed=%" PRIu64
		       " not_backed=%" PRIu64 " rate=%.0f p50_us=%" PRIu64 " p99_us=%" PRIu64
		       " max_us=%" PRIu64 "\n",
		       sent, answered, refused, backed, unbacked, (double)sent / secs, p50, p99, max);
		if (why[0])
			printf("first not backed up: %s\n", why);
	}
	zmq_close(s);
	zmq_ctx_term(ctx);
	return answered == n ? 0 : 1;
}
