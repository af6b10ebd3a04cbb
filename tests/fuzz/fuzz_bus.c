/*
 * libFuzzer target: what arrives on a ZeroMQ endpoint. Each input is one
 * frame given to the envelope check and, when it passes, to the payload
 * parser its type selects, including the configuration sections a daemon
 * unpacks from PREPARE and PUSH.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/bus.h"
#include "config.pb-c.h"

static void payload(const Db__Envelope *env)
{
	const uint8_t *p = env->payload.data;
	size_t n = env->payload.len;

	switch (env->type) {
	case DB__MSG_TYPE__MSG_HELLO: {
		Db__Hello *m = db__hello__unpack(NULL, n, p);
		if (m)
			db__hello__free_unpacked(m, NULL);
		break;
	}
	case DB__MSG_TYPE__MSG_VOTE: {
		Db__Vote *m = db__vote__unpack(NULL, n, p);
		if (m)
			db__vote__free_unpacked(m, NULL);
		break;
	}
	case DB__MSG_TYPE__MSG_PREPARE: {
		Db__Prepare *m = db__prepare__unpack(NULL, n, p);

		if (m) {
			Db__VrrpdConfig *v =
			    db__vrrpd_config__unpack(NULL, m->section.len, m->section.data);
			Db__RbsdConfig *s =
			    db__rbsd_config__unpack(NULL, m->section.len, m->section.data);
			Db__RbpdConfig *r =
			    db__rbpd_config__unpack(NULL, m->section.len, m->section.data);

			if (v)
				db__vrrpd_config__free_unpacked(v, NULL);
			if (s)
				db__rbsd_config__free_unpacked(s, NULL);
			if (r)
				db__rbpd_config__free_unpacked(r, NULL);
			db__prepare__free_unpacked(m, NULL);
		}
		break;
	}
	case DB__MSG_TYPE__MSG_CLI_REQUEST: {
		Db__CliRequest *m = db__cli_request__unpack(NULL, n, p);
		if (m)
			db__cli_request__free_unpacked(m, NULL);
		break;
	}
	case DB__MSG_TYPE__MSG_PREEMPT_GATES: {
		/* what vrrpd reads of rbpd's gates (vrrpd.c, on_gates) */
		Db__PreemptGates *m = db__preempt_gates__unpack(NULL, n, p);

		for (size_t i = 0; m && i < m->n_gates; i++)
			if (m->gates[i]->ifname && m->gates[i]->ready && m->gates[i]->reason)
				(void)m->gates[i]->reason[0];
		if (m)
			db__preempt_gates__free_unpacked(m, NULL);
		break;
	}
	case DB__MSG_TYPE__MSG_QUERY: {
		/* what a control socket reads (common/ctl.c) */
		Db__Query *m = db__query__unpack(NULL, n, p);

		if (m && m->name && m->service && m->mac)
			(void)(m->name[0] + m->service[0] + m->mac[0] + (int)m->kind);
		if (m)
			db__query__free_unpacked(m, NULL);
		break;
	}
	case DB__MSG_TYPE__MSG_QUERY_REPLY: {
		/* what rbpd reads of vrrpd's state list (rbpd.c, on_vrrp_list) */
		Db__QueryReply *m = db__query_reply__unpack(NULL, n, p);

		for (size_t i = 0; m && m->states && i < m->states->n_groups; i++)
			if (m->states->groups[i]->ifname)
				(void)m->states->groups[i]->ifname[0];
		if (m)
			db__query_reply__free_unpacked(m, NULL);
		break;
	}
	case DB__MSG_TYPE__MSG_VRRP_EVENT: {
		Db__VrrpEvent *m = db__vrrp_event__unpack(NULL, n, p);

		if (m && m->ifname && m->reason)
			(void)(m->ifname[0] + m->reason[0] + (int)m->from + (int)m->to);
		if (m)
			db__vrrp_event__free_unpacked(m, NULL);
		break;
	}
	case DB__MSG_TYPE__MSG_CLI_REPLY: {
		Db__CliReply *m = db__cli_reply__unpack(NULL, n, p);
		if (m)
			db__cli_reply__free_unpacked(m, NULL);
		break;
	}
	default: {
		Db__Ack *m = db__ack__unpack(NULL, n, p);
		if (m)
			db__ack__free_unpacked(m, NULL);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Db__Envelope *env = bus_unpack(data, size);

	if (env == NULL)
		return 0;
	if (!bus_allowed(env->sender, env->type))
		abort(); /* bus_unpack let through what the policy forbids */
	payload(env);
	db__envelope__free_unpacked(env, NULL);
	return 0;
}
