#include "common/reqclient.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "common/bus.h"

int64_t req_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int req_wait(void *z, short events, int64_t deadline, const struct req_intr *intr)
{
	zmq_pollitem_t it[3] = {{.socket = z, .events = events}};
	int n = 1, sig = -1, end = -1;

	if (intr && intr->sig_fd >= 0) {
		sig = n;
		it[n++] = (zmq_pollitem_t){.fd = intr->sig_fd, .events = ZMQ_POLLIN};
	}
	if (intr && intr->end_fd >= 0) {
		end = n;
		it[n++] = (zmq_pollitem_t){.fd = intr->end_fd, .events = ZMQ_POLLIN};
	}
	for (;;) {
		int64_t left = deadline - req_now_ms();
		int rc;

		if (left <= 0)
			return 0;
		rc = zmq_poll(it, n, left);
		if (rc < 0) {
			if (errno == EINTR)
				continue; /* sig_fd tells whether it was for us */
			return -errno;
		}
		if (sig >= 0 && (it[sig].revents & ZMQ_POLLIN))
			return -EINTR;
		if (it[0].revents & events)
			return 1; /* an answer that came before the end counts */
		if (end >= 0 && (it[end].revents & ZMQ_POLLIN))
			return -ESRCH;
	}
}

static int send_frame(void *z, const uint8_t *buf, size_t len, int64_t deadline,
		      const struct req_intr *intr)
{
	for (;;) {
		int rc;

		if (zmq_send(z, buf, len, ZMQ_DONTWAIT) >= 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		rc = req_wait(z, ZMQ_POLLOUT, deadline, intr);
		if (rc <= 0)
			return rc == 0 ? -ETIMEDOUT : rc;
	}
}

/* A DEALER sees the message without the ROUTER's identity; should a peer
 * add an empty delimiter, the last frame is the envelope. */
static int await_reply(void *z, Db__MsgType type, Db__Role from, uint64_t id, int64_t deadline,
		       const struct req_intr *intr, uint8_t **out, size_t *outlen)
{
	zmq_msg_t m;
	int rc;

	zmq_msg_init(&m);
	for (;;) {
		Db__Envelope *env;

		rc = req_wait(z, ZMQ_POLLIN, deadline, intr);
		if (rc <= 0) {
			rc = rc == 0 ? -ETIMEDOUT : rc;
			break;
		}
		do {
			rc = zmq_msg_recv(&m, z, ZMQ_DONTWAIT);
		} while (rc >= 0 && zmq_msg_more(&m));
		if (rc < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		env = bus_unpack(zmq_msg_data(&m), zmq_msg_size(&m));
		if (env == NULL)
			continue;
		if (env->type != type || env->sender != from || env->id != id) {
			db__envelope__free_unpacked(env, NULL);
			continue;
		}
		*outlen = env->payload.len;
		*out = malloc(*outlen ? *outlen : 1);
		if (*out == NULL) {
			db__envelope__free_unpacked(env, NULL);
			rc = -ENOMEM;
			break;
		}
		if (*outlen)
			memcpy(*out, env->payload.data, *outlen);
		db__envelope__free_unpacked(env, NULL);
		rc = 0;
		break;
	}
	zmq_msg_close(&m);
	return rc;
}

int req_call(void *z, Db__MsgType type, Db__Role sender, uint64_t id,
	     const ProtobufCMessage *payload, Db__MsgType rtype, Db__Role from, int64_t deadline,
	     const struct req_intr *intr, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	size_t len;
	int rc;

	rc = bus_pack(&buf, &len, type, sender, id, payload);
	if (rc < 0)
		return rc;
	rc = send_frame(z, buf, len, deadline, intr);
	free(buf);
	if (rc < 0)
		return rc;
	return await_reply(z, rtype, from, id, deadline, intr, out, outlen);
}
