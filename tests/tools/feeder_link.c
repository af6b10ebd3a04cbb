#include "tests/tools/feeder_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/credit.h"

int feeder_link_open(struct feeder_link *l, const char *rundir, const char *feeder,
		     const char *service)
{
	char ep[600];
	int hwm = 64;

	l->feeder = feeder;
	l->service = service;
	snprintf(ep, sizeof(ep), "ipc://%s/rbsd-entries.ipc", rundir);
	l->ctx = zmq_ctx_new();
	l->sock = zmq_socket(l->ctx, ZMQ_DEALER);
	zmq_setsockopt(l->sock, ZMQ_LINGER, &(int){0}, sizeof(int));
	zmq_setsockopt(l->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(l->sock, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	return zmq_connect(l->sock, ep) != 0 ? -1 : 0;
}

void feeder_link_close(struct feeder_link *l)
{
	zmq_close(l->sock);
	zmq_ctx_term(l->ctx);
}

void feeder_link_send(struct feeder_link *l, Db__RbsLocal *m)
{
	size_t len;
	uint8_t *buf;

	m->service = (char *)l->service;
	len = db__rbs_local__get_packed_size(m);
	buf = malloc(len ? len : 1);
	if (buf == NULL)
		return;
	db__rbs_local__pack(m, buf);
	zmq_send(l->sock, buf, len, 0);
	free(buf);
}

void feeder_link_send_entries(struct feeder_link *l, Db__RbsEntry **ep, size_t n)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsEntries body = DB__RBS_ENTRIES__INIT;

	body.entries = ep;
	body.n_entries = n;
	m.body_case = DB__RBS_LOCAL__BODY_ENTRIES;
	m.entries = &body;
	feeder_link_send(l, &m);
}

void feeder_link_attach(struct feeder_link *l, uint64_t now_ms)
{
	Db__RbsLocal m = DB__RBS_LOCAL__INIT;
	Db__RbsAttach a = DB__RBS_ATTACH__INIT;

	if (now_ms - l->last_attach < 1000)
		return;
	a.feeder = (char *)l->feeder;
	m.body_case = DB__RBS_LOCAL__BODY_ATTACH;
	m.attach = &a;
	feeder_link_send(l, &m);
	l->last_attach = now_ms;
}

bool feeder_link_may_send(const struct feeder_link *l, size_t klen, size_t plen)
{
	return l->attach && l->sent_e + 1 <= l->credit_e &&
	       l->sent_b + credit_entry_cost(klen, plen) <= l->credit_b;
}

void feeder_link_spend(struct feeder_link *l, size_t klen, size_t plen)
{
	l->sent_e++;
	l->sent_b += credit_entry_cost(klen, plen);
}

static void take(struct feeder_link *l, const Db__RbsLocal *m)
{
	switch (m->body_case) {
	case DB__RBS_LOCAL__BODY_CREDIT:
		if (m->credit->attach != l->attach) {
			/* rbsd took us as new: count from 0; what we sent meanwhile
			 * is gone, and a resync will bring it back. */
			l->attach = m->credit->attach;
			l->sent_e = l->sent_b = 0;
		}
		l->credit_e = m->credit->entries;
		l->credit_b = m->credit->bytes;
		l->attached = true;
		break;
	case DB__RBS_LOCAL__BODY_BATCH_REQUEST:
		l->n_batch_types = m->batch_request->n_types > UT_SVC_COUNT
				       ? UT_SVC_COUNT
				       : m->batch_request->n_types;
		memcpy(l->batch_types, m->batch_request->types,
		       l->n_batch_types * sizeof(l->batch_types[0]));
		break;
	case DB__RBS_LOCAL__BODY_STATE:
		l->up = m->state->up;
		break;
	default:
		break;
	}
}

void feeder_link_poll(struct feeder_link *l, int timeout_ms,
		      void (*fn)(const Db__RbsLocal *m, void *arg), void *arg)
{
	zmq_pollitem_t it = {l->sock, 0, ZMQ_POLLIN, 0};

	if (zmq_poll(&it, 1, timeout_ms) <= 0)
		return;
	for (int i = 0; i < 256; i++) {
		zmq_msg_t msg;
		Db__RbsLocal *m;

		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, l->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&msg);
			break;
		}
		m = db__rbs_local__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
		if (m) {
			take(l, m);
			fn(m, arg);
			db__rbs_local__free_unpacked(m, NULL);
		}
		zmq_msg_close(&msg);
	}
}
