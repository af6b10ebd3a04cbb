/*
 * Test tool: a local process that tries to talk to a daemon's endpoint,
 * to show who the endpoint admits. Whoever runs it is who connects:
 * tests run it as nobody, as a member of the dualbackup group or as root.
 *
 *   bus-impostor hello ENDPOINT ROLE SECONDS
 *       take ROLE's name (routing id "vrrpd" ...) and say HELLO as ROLE,
 *       then heartbeats, as a restarted daemon would: cfgd answers a
 *       daemon it admits with its configuration
 *   bus-impostor query ENDPOINT KIND SECONDS
 *       ask a daemon's control socket for a display, as dbcli does; KIND
 *       is a QueryKind's name in proto/bus.proto (QUERY_VRRP_BRIEF)
 *   bus-impostor sub ENDPOINT SECONDS
 *       subscribe to a PUB endpoint (vrrpd-events, rbpd-restored)
 *
 * Prints "received N" and exits 0 when anything came back within
 * SECONDS (the endpoint admitted us), 1 when nothing did, 2 on misuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/bus.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int role_of(const char *name)
{
	for (int r = DB__ROLE__ROLE_CFGD; r <= DB__ROLE__ROLE_CLI; r++)
		if (strcmp(bus_role_name((Db__Role)r), name) == 0)
			return r;
	return -1;
}

static void send_env(void *z, Db__MsgType t, Db__Role r, const ProtobufCMessage *m)
{
	uint8_t *buf;
	size_t len;

	if (bus_pack(&buf, &len, t, r, 1, m) == 0) {
		zmq_send(z, buf, len, ZMQ_DONTWAIT);
		free(buf);
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: bus-impostor hello ENDPOINT ROLE SECONDS\n"
			"       bus-impostor query ENDPOINT WHAT SECONDS\n"
			"       bus-impostor sub ENDPOINT SECONDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	bool hello = strcmp(mode, "hello") == 0, query = strcmp(mode, "query") == 0,
	     sub = strcmp(mode, "sub") == 0;
	const ProtobufCEnumValue *kind = NULL;
	int role = -1, linger = 0, received = 0;
	long long end, next_beat = 0;
	void *ctx, *z;

	if (!((hello || query) && argc == 5) && !(sub && argc == 4))
		return usage();
	if (hello && (role = role_of(argv[3])) < 0)
		return usage();
	if (query && (kind = protobuf_c_enum_descriptor_get_value_by_name(
			  &db__query_kind__descriptor, argv[3])) == NULL)
		return usage();
	end = now_ms() + (long long)(atof(argv[argc - 1]) * 1000);
	ctx = zmq_ctx_new();
	z = zmq_socket(ctx, sub ? ZMQ_SUB : ZMQ_DEALER);
	zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof(linger));
	if (hello)
		zmq_setsockopt(z, ZMQ_ROUTING_ID, argv[3], strlen(argv[3]));
	if (sub)
		zmq_setsockopt(z, ZMQ_SUBSCRIBE, "", 0);
	if (zmq_connect(z, argv[2]) != 0) {
		perror("zmq_connect");
		return 2;
	}
	while (now_ms() < end) {
		zmq_pollitem_t it = {.socket = z, .events = ZMQ_POLLIN};
		zmq_msg_t m;

		if (!sub && now_ms() >= next_beat) {
			/* Repeated: the first may go before the connection is up. */
			if (hello) {
				Db__Hello h = DB__HELLO__INIT;

				h.role = (Db__Role)role;
				h.pid = (uint64_t)getpid();
				h.digest = 1;
				send_env(z, DB__MSG_TYPE__MSG_HELLO, (Db__Role)role, &h.base);
			} else {
				Db__Query q = DB__QUERY__INIT;

				q.kind = (Db__QueryKind)kind->value;
				send_env(z, DB__MSG_TYPE__MSG_QUERY, DB__ROLE__ROLE_CLI, &q.base);
			}
			next_beat = now_ms() + 200;
		}
		if (zmq_poll(&it, 1, 50) <= 0)
			continue;
		zmq_msg_init(&m);
		while (zmq_msg_recv(&m, z, ZMQ_DONTWAIT) >= 0) {
			if (!zmq_msg_more(&m))
				received++;
		}
		zmq_msg_close(&m);
	}
	printf("received %d\n", received);
	zmq_close(z);
	zmq_ctx_term(ctx);
	return received > 0 ? 0 : 1;
}
