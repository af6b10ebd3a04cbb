/*
 * vrrp-events: print the state changes vrrpd publishes on
 * RUNDIR/vrrpd-events.ipc, one line each, until SIGTERM:
 *
 *   IFNAME VRID ipv4|ipv6 OLD NEW REASON
 *
 * With -t each line starts with the time it was received (CLOCK_REALTIME,
 * seconds with nanoseconds): benchmarks compare it with other clocks of
 * the same machine.
 *
 * What rbpd subscribes to; tests use it to see that every transition is
 * published with its reason.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "common/bus.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	char ep[600];
	void *ctx, *sub;
	int stamp = argc == 4 && strcmp(argv[3], "-t") == 0;

	if ((argc != 3 && !stamp) || strcmp(argv[1], "-r") != 0) {
		fprintf(stderr, "usage: vrrp-events -r RUNDIR [-t]\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(ep, sizeof(ep), "ipc://%s/vrrpd-events.ipc", argv[2]);
	ctx = zmq_ctx_new();
	sub = zmq_socket(ctx, ZMQ_SUB);
	zmq_setsockopt(sub, ZMQ_LINGER, &(int){0}, sizeof(int));
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
	if (zmq_connect(sub, ep) != 0) {
		fprintf(stderr, "vrrp-events: %s: %s\n", ep, zmq_strerror(errno));
		return 1;
	}
	while (!stop) {
		zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
		zmq_msg_t m;
		Db__Envelope *env;
		Db__VrrpEvent *ev;

		if (zmq_poll(&it, 1, 100) <= 0)
			continue;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, sub, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			continue;
		}
		env = db__envelope__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
		zmq_msg_close(&m);
		if (env == NULL)
			continue;
		ev = env->type == DB__MSG_TYPE__MSG_VRRP_EVENT
			 ? db__vrrp_event__unpack(NULL, env->payload.len, env->payload.data)
			 : NULL;
		if (ev) {
			if (stamp) {
				struct timespec ts;

				clock_gettime(CLOCK_REALTIME, &ts);
				printf("%lld.%09ld ", (long long)ts.tv_sec, ts.tv_nsec);
			}
			printf("%s %u %s %s %s %s\n", ev->ifname, ev->vrid,
			       ev->ipv6 ? "ipv6" : "ipv4", bus_vrrp_state_word(ev->from),
			       bus_vrrp_state_word(ev->to), ev->reason);
			db__vrrp_event__free_unpacked(ev, NULL);
		}
		db__envelope__free_unpacked(env, NULL);
	}
	zmq_close(sub);
	zmq_ctx_term(ctx);
	return 0;
}
