#include "common/bus.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "common/log.h"
#include "common/peer.h"

/* Messages handled per wake-up before yielding to the rest of the loop;
 * the idle handle brings us back for the remainder. */
#define DRAIN_BUDGET 256

struct bus_sock {
	void *z;
	uv_poll_t poll;
	uv_idle_t idle;
	bus_recv_cb cb;
	void *arg;
	int closing;
	int in_drain;
	int handles_open;
	uint64_t dropped;
	long peer_uid; /* of the message being delivered, -1: unknown */
};

static void drain(struct bus_sock *s);

static void on_poll(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	drain(h->data);
}

static void on_idle(uv_idle_t *h)
{
	uv_idle_stop(h);
	drain(h->data);
}

static int readable(struct bus_sock *s)
{
	int ev = 0;
	size_t sz = sizeof(ev);

	if (zmq_getsockopt(s->z, ZMQ_EVENTS, &ev, &sz) != 0)
		return 0;
	return ev & ZMQ_POLLIN;
}

/* The "User-Id" our ZAP handler gave the connection `m` came on. */
static long peer_uid_of(zmq_msg_t *m)
{
	const char *u = zmq_msg_gets(m, "User-Id");
	char *end;
	unsigned long v;

	if (u == NULL || *u < '0' || *u > '9')
		return -1;
	errno = 0;
	v = strtoul(u, &end, 10);
	if (*end != '\0' || errno || v > 0xfffffffeUL)
		return -1;
	return (long)v;
}

static void drain(struct bus_sock *s)
{
	zmq_msg_t msgs[BUS_MAX_PARTS];
	struct bus_part parts[BUS_MAX_PARTS];
	int budget = DRAIN_BUDGET;

	if (s->closing || s->in_drain)
		return;
	s->in_drain = 1;
	while (!s->closing && readable(s)) {
		int n = 0, more = 1, overflow = 0;

		if (budget-- == 0) {
			uv_idle_start(&s->idle, on_idle);
			break;
		}
		while (more) {
			zmq_msg_t tmp, *m = n < BUS_MAX_PARTS ? &msgs[n] : &tmp;

			zmq_msg_init(m);
			if (zmq_msg_recv(m, s->z, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(m);
				break;
			}
			more = zmq_msg_more(m);
			if (m == &tmp) {
				overflow = 1;
				zmq_msg_close(m);
				continue;
			}
			parts[n].data = zmq_msg_data(m);
			parts[n].len = zmq_msg_size(m);
			n++;
		}
		if (overflow) {
			s->dropped++;
		} else if (n > 0 && s->cb) {
			/* The property rides on the frames the peer sent, not
			 * on the routing id a ROUTER puts in front. */
			s->peer_uid = peer_uid_of(&msgs[n - 1]);
			s->cb(s, parts, n, s->arg);
			s->peer_uid = -1;
		}
		for (int i = 0; i < n; i++)
			zmq_msg_close(&msgs[i]);
	}
	s->in_drain = 0;
}

/* The socket file of a bound ipc:// endpoint: read-write for its owner
 * and the dualbackup group (the daemons start with umask 077), nobody
 * else. Without the group, owner only. */
static int share_ipc(const char *endpoint)
{
	const char *path = endpoint + strlen("ipc://");
	struct group gr, *grp = NULL;
	struct stat st;
	char buf[4096];

	if (strncmp(endpoint, "ipc://", 6) != 0)
		return 0;
	if (getgrnam_r(PEER_GROUP, &gr, buf, sizeof(buf), &grp) != 0 || grp == NULL)
		return chmod(path, 0600) < 0 ? -errno : 0;
	if (stat(path, &st) < 0)
		return -errno;
	/* Under systemd (Group=dualbackup) the file has the group already,
	 * and chown is not among the system calls the unit allows. */
	if (st.st_gid != grp->gr_gid && chown(path, (uid_t)-1, grp->gr_gid) < 0)
		return -errno;
	return chmod(path, 0660) < 0 ? -errno : 0;
}

int bus_open(struct bus_sock **out, uv_loop_t *loop, void *zctx, const struct bus_opts *o)
{
	struct bus_sock *s;
	int fd, linger = 0, one = 1, rc;
	size_t sz = sizeof(fd);

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->cb = o->cb;
	s->arg = o->arg;
	s->peer_uid = -1;
	s->z = zmq_socket(zctx, o->type);
	if (s->z == NULL) {
		rc = -errno;
		free(s);
		return rc;
	}
	zmq_setsockopt(s->z, ZMQ_LINGER, &linger, sizeof(linger));
	if (o->hwm > 0) {
		zmq_setsockopt(s->z, ZMQ_SNDHWM, &o->hwm, sizeof(o->hwm));
		zmq_setsockopt(s->z, ZMQ_RCVHWM, &o->hwm, sizeof(o->hwm));
	}
	if (o->routing_id)
		zmq_setsockopt(s->z, ZMQ_ROUTING_ID, o->routing_id, strlen(o->routing_id));
	if (o->bind && o->zap_domain) {
		/* Every connection is shown to our ZAP handler first
		 * (common/peer.h). It is bound before we are: libzmq 4.3.4
		 * would admit everyone without one (ZMQ_ZAP_ENFORCE_DOMAIN
		 * is a draft option there). */
		rc = peer_zap_start(zctx);
		if (rc < 0) {
			zmq_close(s->z);
			free(s);
			return rc;
		}
		zmq_setsockopt(s->z, ZMQ_ZAP_DOMAIN, o->zap_domain, strlen(o->zap_domain));
	}
	if (o->type == ZMQ_ROUTER &&
	    !(o->zap_domain && strcmp(o->zap_domain, PEER_DOMAIN_CLIENT) == 0)) {
		/* A restarted daemon reconnects with the same identity and
		 * must take it over, not be ignored. Only where nobody but
		 * the daemons may connect: elsewhere a client could take a
		 * name and the connection behind it. */
		zmq_setsockopt(s->z, ZMQ_ROUTER_HANDOVER, &one, sizeof(one));
	}
	if (o->type == ZMQ_ROUTER) {
		/* Report unroutable sends instead of dropping them silently. */
		zmq_setsockopt(s->z, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
	}
	if (o->type == ZMQ_SUB)
		zmq_setsockopt(s->z, ZMQ_SUBSCRIBE, "", 0);
	if (o->type == ZMQ_XPUB) {
		/* every subscription reaches the callback, also one to a topic
		 * another subscriber has already: each newcomer is answered */
		zmq_setsockopt(s->z, ZMQ_XPUB_VERBOSE, &one, sizeof(one));
	}
	if (o->type == ZMQ_DEALER) {
		/* Queue nothing for a peer that is not there: stale heartbeats
		 * or requests must not arrive in a burst when it comes back. */
		zmq_setsockopt(s->z, ZMQ_IMMEDIATE, &one, sizeof(one));
	}
	rc = o->bind ? zmq_bind(s->z, o->endpoint) : zmq_connect(s->z, o->endpoint);
	if (rc != 0)
		goto fail;
	if (o->bind && o->zap_domain && (rc = share_ipc(o->endpoint)) < 0) {
		errno = -rc;
		goto fail;
	}
	if (zmq_getsockopt(s->z, ZMQ_FD, &fd, &sz) != 0)
		goto fail;
	uv_poll_init(loop, &s->poll, fd);
	uv_idle_init(loop, &s->idle);
	s->poll.data = s;
	s->idle.data = s;
	uv_poll_start(&s->poll, UV_READABLE, on_poll);
	/* Messages may already be queued: the edge happened before we watched. */
	uv_idle_start(&s->idle, on_idle);
	*out = s;
	return 0;
fail:
	rc = -errno;
	zmq_close(s->z);
	free(s);
	return rc;
}

static void after_send(struct bus_sock *s)
{
	/* Sending may have consumed the edge that announced incoming data. */
	if (!s->in_drain && readable(s))
		uv_idle_start(&s->idle, on_idle);
}

int bus_send(struct bus_sock *s, const void *ident, size_t identlen, const void *buf, size_t len)
{
	int rc = 0;

	if (s->closing)
		return -EBADF;
	if (ident && zmq_send(s->z, ident, identlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
		rc = errno == EHOSTUNREACH ? -EAGAIN : -errno;
		goto out;
	}
	if (zmq_send(s->z, buf, len, ZMQ_DONTWAIT) < 0)
		rc = errno == EHOSTUNREACH ? -EAGAIN : -errno;
out:
	after_send(s);
	return rc;
}

int bus_pack(uint8_t **out, size_t *len, Db__MsgType type, Db__Role sender, uint64_t id,
	     const ProtobufCMessage *payload)
{
	Db__Envelope env = DB__ENVELOPE__INIT;
	uint8_t *pl = NULL, *buf;
	size_t plen = 0;

	if (payload) {
		plen = protobuf_c_message_get_packed_size(payload);
		pl = malloc(plen ? plen : 1);
		if (pl == NULL)
			return -ENOMEM;
		protobuf_c_message_pack(payload, pl);
	}
	env.type = type;
	env.sender = sender;
	env.id = id;
	env.payload.data = pl;
	env.payload.len = plen;
	*len = db__envelope__get_packed_size(&env);
	buf = malloc(*len ? *len : 1);
	if (buf == NULL) {
		free(pl);
		return -ENOMEM;
	}
	db__envelope__pack(&env, buf);
	free(pl);
	*out = buf;
	return 0;
}

int bus_send_msg(struct bus_sock *s, const void *ident, size_t identlen, Db__MsgType type,
		 Db__Role sender, uint64_t id, const ProtobufCMessage *payload)
{
	uint8_t *buf;
	size_t len;
	int rc;

	rc = bus_pack(&buf, &len, type, sender, id, payload);
	if (rc < 0)
		return rc;
	rc = bus_send(s, ident, identlen, buf, len);
	free(buf);
	return rc;
}

/* Who may send what. Anything else is dropped by bus_unpack(). */
int bus_allowed(Db__Role r, Db__MsgType t)
{
	switch (t) {
	case DB__MSG_TYPE__MSG_HELLO:
		/* cfgd answers each daemon's HELLO with its own (its pid) */
		return r == DB__ROLE__ROLE_VRRPD || r == DB__ROLE__ROLE_RBSD ||
		       r == DB__ROLE__ROLE_RBPD || r == DB__ROLE__ROLE_CFGD;
	case DB__MSG_TYPE__MSG_VOTE:
	case DB__MSG_TYPE__MSG_ACK:
	case DB__MSG_TYPE__MSG_HEARTBEAT:
		return r == DB__ROLE__ROLE_VRRPD || r == DB__ROLE__ROLE_RBSD ||
		       r == DB__ROLE__ROLE_RBPD;
	case DB__MSG_TYPE__MSG_PREPARE:
	case DB__MSG_TYPE__MSG_COMMIT:
	case DB__MSG_TYPE__MSG_ABORT:
	case DB__MSG_TYPE__MSG_PUSH:
	case DB__MSG_TYPE__MSG_CLI_REPLY:
		return r == DB__ROLE__ROLE_CFGD;
	case DB__MSG_TYPE__MSG_CLI_REQUEST:
	case DB__MSG_TYPE__MSG_QUERY:
		/* rbpd asks vrrpd for the state of every group */
		return r == DB__ROLE__ROLE_CLI || r == DB__ROLE__ROLE_RBPD;
	case DB__MSG_TYPE__MSG_QUERY_REPLY:
		return r == DB__ROLE__ROLE_VRRPD || r == DB__ROLE__ROLE_RBSD ||
		       r == DB__ROLE__ROLE_RBPD;
	case DB__MSG_TYPE__MSG_VRRP_EVENT:
	case DB__MSG_TYPE__MSG_BFD_EVENT:
		return r == DB__ROLE__ROLE_VRRPD;
	case DB__MSG_TYPE__MSG_PREEMPT_GATES:
		return r == DB__ROLE__ROLE_RBPD;
	default:
		return 0;
	}
}

Db__Envelope *bus_unpack(const uint8_t *buf, size_t len)
{
	Db__Envelope *env = db__envelope__unpack(NULL, len, buf);

	if (env == NULL)
		return NULL;
	if (!bus_allowed(env->sender, env->type)) {
		db__envelope__free_unpacked(env, NULL);
		return NULL;
	}
	return env;
}

uint64_t bus_digest(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t h = 1469598103934665603ULL;

	if (len == 0)
		return 1;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

uint64_t bus_msg_digest(const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len ? len : 1);
	uint64_t h;

	if (buf == NULL)
		abort(); /* as the daemons' fatal() would */
	protobuf_c_message_pack(m, buf);
	h = bus_digest(buf, len);
	free(buf);
	return h;
}

const char *bus_role_name(Db__Role r)
{
	switch (r) {
	case DB__ROLE__ROLE_CFGD:
		return "cfgd";
	case DB__ROLE__ROLE_VRRPD:
		return "vrrpd";
	case DB__ROLE__ROLE_RBSD:
		return "rbsd";
	case DB__ROLE__ROLE_RBPD:
		return "rbpd";
	case DB__ROLE__ROLE_CLI:
		return "dbcli";
	default:
		return "unknown";
	}
}

ProtobufCMessage *bus_msg_copy(const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len ? len : 1);
	ProtobufCMessage *copy;

	if (buf == NULL)
		return NULL;
	protobuf_c_message_pack(m, buf);
	copy = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
	free(buf);
	return copy;
}

const char *bus_vrrp_state_word(Db__VrrpState s)
{
	switch (s) {
	case DB__VRRP_STATE__VRRP_STATE_INITIALIZE:
		return "Initialize";
	case DB__VRRP_STATE__VRRP_STATE_BACKUP:
		return "Backup";
	case DB__VRRP_STATE__VRRP_STATE_MASTER:
		return "Master";
	default:
		return "unknown";
	}
}

long bus_peer_uid(const struct bus_sock *s)
{
	return s->peer_uid;
}

uint64_t bus_dropped(const struct bus_sock *s)
{
	return s->dropped;
}

static void on_closed(uv_handle_t *h)
{
	struct bus_sock *s = h->data;

	if (--s->handles_open == 0)
		free(s);
}

void bus_close(struct bus_sock *s)
{
	if (s == NULL || s->closing)
		return;
	s->closing = 1;
	uv_poll_stop(&s->poll);
	zmq_close(s->z);
	s->handles_open = 2;
	uv_close((uv_handle_t *)&s->poll, on_closed);
	uv_close((uv_handle_t *)&s->idle, on_closed);
}
