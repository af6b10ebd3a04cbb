/*
 * dbagentx: the RFC 6527 VRRPv3-MIB for net-snmp's snmpd, as an AgentX
 * subagent. It serves vrrpv3OperationsTable, vrrpv3StatisticsTable and
 * the global statistics under 1.3.6.1.2.1.207.1 from vrrpd's `display
 * vrrp json` (asked at most once per REFRESH_MS, over the same socket as
 * dbcli --json), and sends vrrpv3NewMaster on each transition to Master
 * that vrrpd publishes on RUNDIR/vrrpd-events.ipc, and vrrpv3ProtoError
 * when a group's TTL, version or checksum error counter grows. The
 * master snmpd forwards the notifications to its trap sinks.
 *
 * The MIB itself (JSON -> rows -> instances) is agentx/vrrp_mib.c; this
 * file is net-snmp's handler, the queries and the event subscription.
 * Read-only: SET requests are refused by the handler registration.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <zmq.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "agentx/vrrp_mib.h"
#include "bus.pb-c.h"
#include "common/bus.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/reqclient.h"

/* A query never holds a request past the master's AgentX timeout (1 s by
 * default); a vrrpd silent for STALE_MS empties the tables. */
#define QUERY_TIMEOUT_MS 500
#define REFRESH_MS 1000
#define STALE_MS 3000
#define TICK_MS 200

static const char *rundir = DB_DEFAULT_RUNDIR;
static void *zctx, *events;
static uint64_t seq;
static volatile sig_atomic_t stop;

/* What is served: the last snapshot of vrrpd's groups and its instances. */
static struct vrrp_mib mib;
static struct vrrp_mib_var *vars;
static size_t nvars;
static uint64_t fetched_ms; /* when vrrpd was last asked */
static uint64_t answered_ms; /* when it last answered */
static int64_t agent_start;

static unsigned ifindex_of(const char *ifname, void *arg)
{
	(void)arg;
	return if_nametoindex(ifname);
}

/* vrrpd's `display vrrp json`, or NULL when it did not answer in time. */
static struct json_object *ask_vrrpd(void)
{
	Db__Query q = DB__QUERY__INIT;
	Db__QueryReply *qr;
	struct json_object *o = NULL;
	char ep[600];
	uint8_t *pl;
	size_t plen;
	int zero = 0;
	void *z = zmq_socket(zctx, ZMQ_DEALER);

	if (z == NULL)
		return NULL;
	zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof(zero));
	snprintf(ep, sizeof(ep), "ipc://%s/%s.ipc", rundir, bus_role_name(DB__ROLE__ROLE_VRRPD));
	q.kind = DB__QUERY_KIND__QUERY_VRRP;
	q.json = true;
	if (zmq_connect(z, ep) == 0 &&
	    req_call(z, DB__MSG_TYPE__MSG_QUERY, DB__ROLE__ROLE_CLI, ++seq, &q.base,
		     DB__MSG_TYPE__MSG_QUERY_REPLY, DB__ROLE__ROLE_VRRPD,
		     req_now_ms() + QUERY_TIMEOUT_MS, NULL, &pl, &plen) == 0) {
		qr = db__query_reply__unpack(NULL, plen, pl);
		free(pl);
		if (qr && qr->ok && qr->text)
			o = json_tokener_parse(qr->text);
		if (qr)
			db__query_reply__free_unpacked(qr, NULL);
	} else {
		log_debug("vrrpd did not answer");
	}
	zmq_close(z);
	return o;
}

/* One notification through the master: snmpTrapOID.0 = vrrpv3MIB.0.trap,
 * then the row's column `col` of `entry` (and a second one when col2). */
static void notify(uint32_t trap, const struct vrrp_mib_row *r, int entry, uint32_t col,
		   int entry2, uint32_t col2)
{
	static const oid trap_oid_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}; /* snmpTrapOID.0 */
	oid toid[VRRP_MIB_OID_LEN + 2] = {VRRP_MIB_OID, 0, trap};
	netsnmp_variable_list *vl = NULL;
	int ents[2] = {entry, entry2};
	uint32_t cols[2] = {col, col2};

	snmp_varlist_add_variable(&vl, trap_oid_oid, OID_LENGTH(trap_oid_oid), ASN_OBJECT_ID,
				  (u_char *)toid, sizeof(toid));
	for (int i = 0; i < 2 && cols[i]; i++) {
		uint32_t o32[VRRP_MIB_OID_MAX];
		size_t n = vrrp_mib_column_oid(ents[i], cols[i], r, o32);
		oid name[VRRP_MIB_OID_MAX];
		const struct vrrp_mib_var *v = vrrp_mib_get(vars, nvars, o32, n);
		long l;

		if (v == NULL)
			continue;
		for (size_t k = 0; k < n; k++)
			name[k] = o32[k];
		if (v->type == VRRP_MIB_T_OCTETS) {
			snmp_varlist_add_variable(&vl, name, n, ASN_OCTET_STR, v->octets,
						  v->octets_len);
		} else {
			l = (long)(int32_t)v->num;
			snmp_varlist_add_variable(&vl, name, n, ASN_INTEGER, (u_char *)&l, sizeof(l));
		}
	}
	send_v2trap(vl);
	snmp_free_varbind(vl);
}

/* A fresh snapshot when the last one is older than REFRESH_MS (or force):
 * rows, instances, and a vrrpv3ProtoError for each group whose protocol
 * error counters grew. */
static void refresh(bool force)
{
	struct json_object *doc;
	struct vrrp_mib next;
	struct vrrp_mib_var *nv = NULL;
	size_t nn = 0;
	uint64_t now = req_now_ms();

	if (!force && now - fetched_ms < REFRESH_MS)
		return;
	fetched_ms = now;
	doc = ask_vrrpd();
	if (doc == NULL || vrrp_mib_from_json(doc, ifindex_of, NULL, &next) < 0) {
		/* one slow answer on a loaded box is no outage; a silent
		 * vrrpd is: then serve nothing rather than stale rows (mib
		 * stays, to compare counters with when it is back) */
		json_object_put(doc);
		if (now - answered_ms >= STALE_MS) {
			free(vars);
			vars = NULL;
			nvars = 0;
		}
		return;
	}
	json_object_put(doc);
	answered_ms = now;
	vrrp_mib_follow(&mib, &next);
	if (vrrp_mib_vars(&next, agent_start, REFRESH_MS, &nv, &nn) < 0) {
		vrrp_mib_free(&next);
		return;
	}
	vrrp_mib_free(&mib);
	mib = next;
	free(vars);
	vars = nv;
	nvars = nn;
	for (size_t i = 0; i < mib.n; i++)
		if (mib.rows[i].proto_err_new) {
			log_info("(%s vrid %u) protocol error %d: vrrpv3ProtoError", mib.rows[i].ifname,
				 mib.rows[i].vrid, mib.rows[i].proto_err_reason);
			notify(VRRP_MIB_TRAP_PROTO_ERROR, &mib.rows[i], VRRP_MIB_STATS_ENTRY,
			       VRRP_MIB_COL_PROTO_ERR_REASON, 0, 0);
		}
}

/* A transition vrrpd published: a vrrpv3NewMaster when it is into Master. */
static void on_event(const Db__VrrpEvent *ev)
{
	const struct vrrp_mib_row *r;

	if (ev->to != DB__VRRP_STATE__VRRP_STATE_MASTER)
		return;
	refresh(true);
	r = vrrp_mib_find(&mib, if_nametoindex(ev->ifname), ev->vrid, ev->ipv6 ? 2 : 1);
	if (r == NULL) {
		log_warnx("(%s vrid %u) became Master but is not in the MIB: no notification",
			  ev->ifname, ev->vrid);
		return;
	}
	log_info("(%s vrid %u) became Master (%s): vrrpv3NewMaster", ev->ifname, ev->vrid,
		 ev->reason);
	notify(VRRP_MIB_TRAP_NEW_MASTER, r, VRRP_MIB_OPS_ENTRY, VRRP_MIB_COL_MASTER_IP,
	       VRRP_MIB_STATS_ENTRY, VRRP_MIB_COL_NEW_MASTER_REASON);
}

/* Every event waiting on the subscription. */
static void drain_events(void)
{
	for (;;) {
		zmq_msg_t m;
		Db__Envelope *env;
		Db__VrrpEvent *ev = NULL;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, events, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return;
		}
		env = db__envelope__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
		zmq_msg_close(&m);
		if (env == NULL)
			continue;
		if (env->type == DB__MSG_TYPE__MSG_VRRP_EVENT && env->sender == DB__ROLE__ROLE_VRRPD)
			ev = db__vrrp_event__unpack(NULL, env->payload.len, env->payload.data);
		if (ev) {
			on_event(ev);
			db__vrrp_event__free_unpacked(ev, NULL);
		}
		db__envelope__free_unpacked(env, NULL);
	}
}

/* SNMPAlarmCallback, every TICK_MS: events, and the snapshot kept fresh so
 * that protocol errors are noticed without a manager asking. */
static void on_tick(unsigned reg, void *arg)
{
	(void)reg, (void)arg;
	drain_events();
	refresh(false);
}

/* Netsnmp_Node_Handler for vrrpv3Objects: GET and GETNEXT from the
 * sorted instances of the last snapshot (on_tick keeps it at most
 * REFRESH_MS old, so a request never waits for vrrpd). */
static int on_request(netsnmp_mib_handler *handler, netsnmp_handler_registration *reg,
		      netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	(void)handler, (void)reg;
	for (netsnmp_request_info *rq = requests; rq; rq = rq->next) {
		netsnmp_variable_list *vb = rq->requestvb;
		uint32_t o32[VRRP_MIB_OID_MAX];
		oid name[VRRP_MIB_OID_MAX];
		const struct vrrp_mib_var *v;
		struct counter64 c64;
		long l;
		u_long ul;

		if (rq->processed)
			continue;
		if (vb->name_length > VRRP_MIB_OID_MAX) {
			/* longer than any instance: none is equal, the next
			 * one compares on the first VRRP_MIB_OID_MAX arcs */
			if (reqinfo->mode == MODE_GET) {
				netsnmp_set_request_error(reqinfo, rq, SNMP_NOSUCHINSTANCE);
				continue;
			}
		}
		size_t len = vb->name_length < VRRP_MIB_OID_MAX ? vb->name_length : VRRP_MIB_OID_MAX;
		for (size_t k = 0; k < len; k++)
			o32[k] = vb->name[k] > UINT32_MAX ? UINT32_MAX : (uint32_t)vb->name[k];
		switch (reqinfo->mode) {
		case MODE_GET:
			v = vrrp_mib_get(vars, nvars, o32, len);
			if (v == NULL) {
				netsnmp_set_request_error(reqinfo, rq, SNMP_NOSUCHINSTANCE);
				continue;
			}
			break;
		case MODE_GETNEXT:
			v = vrrp_mib_next(vars, nvars, o32, len);
			if (v == NULL)
				continue; /* past our last: the agent asks the next subtree */
			for (size_t k = 0; k < v->oid_len; k++)
				name[k] = v->oid[k];
			snmp_set_var_objid(vb, name, v->oid_len);
			break;
		default:
			netsnmp_set_request_error(reqinfo, rq, SNMP_ERR_NOTWRITABLE);
			continue;
		}
		switch (v->type) {
		case VRRP_MIB_T_INTEGER:
			l = (long)(int32_t)v->num;
			snmp_set_var_typed_value(vb, ASN_INTEGER, &l, sizeof(l));
			break;
		case VRRP_MIB_T_UNSIGNED:
		case VRRP_MIB_T_COUNTER32:
		case VRRP_MIB_T_TIMETICKS:
			ul = (u_long)(v->num & 0xffffffffu);
			snmp_set_var_typed_value(vb,
						 v->type == VRRP_MIB_T_UNSIGNED	   ? ASN_UNSIGNED
						 : v->type == VRRP_MIB_T_COUNTER32 ? ASN_COUNTER
										   : ASN_TIMETICKS,
						 &ul, sizeof(ul));
			break;
		case VRRP_MIB_T_COUNTER64:
			c64.high = (u_long)(v->num >> 32);
			c64.low = (u_long)(v->num & 0xffffffffu);
			snmp_set_var_typed_value(vb, ASN_COUNTER64, &c64, sizeof(c64));
			break;
		case VRRP_MIB_T_OCTETS:
			snmp_set_var_typed_value(vb, ASN_OCTET_STR, v->octets, v->octets_len);
			break;
		}
	}
	return SNMP_ERR_NOERROR;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: dbagentx [-x AGENTX-SOCKET] [-d] [-v] [-r RUNDIR]\n"
		   "  -x SOCKET   the master snmpd's AgentX socket (default: net-snmp's,\n"
		   "              /var/agentx/master; tcp:HOST:PORT also works)\n"
		   "  -d          stay in the foreground and log to stderr\n"
		   "  -v          log debug messages too\n"
		   "  -r RUNDIR   the suite's run directory (default /run/dualbackup)\n"
		   "  -h          this help\n");
}

int main(int argc, char **argv)
{
	static const oid objects[] = {VRRP_MIB_OID, 1}; /* vrrpv3Objects */
	struct daemon_opts o = {.rundir = DB_DEFAULT_RUNDIR};
	const char *xsock = NULL;
	netsnmp_handler_registration *reg;
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: select returns */
	char ep[600];
	int opt, zero = 0;

	while ((opt = getopt(argc, argv, "x:dvr:h")) != -1) {
		if (opt == 'x')
			xsock = optarg;
		else
			daemon_opt(&o, opt, optarg, usage);
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	rundir = o.rundir;
	log_init("dbagentx", o.foreground);
	log_set_debug(o.verbose);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	agent_start = time(NULL);

	zctx = zmq_ctx_new();
	events = zctx ? zmq_socket(zctx, ZMQ_SUB) : NULL;
	if (events == NULL)
		fatal("zmq");
	zmq_setsockopt(events, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(events, ZMQ_SUBSCRIBE, "", 0);
	snprintf(ep, sizeof(ep), "ipc://%s/vrrpd-events.ipc", rundir);
	if (zmq_connect(events, ep) < 0)
		fatal("%s", ep);

	/* net-snmp as a subagent: no configuration files, no persistent
	 * state, its log to ours, alarms computed into select's timeout */
	if (o.foreground)
		snmp_enable_stderrlog();
	else
		snmp_enable_syslog_ident("dbagentx", LOG_DAEMON);
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	/* reconnect within 5 s when the master restarts */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 5);
	if (xsock)
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, xsock);
	setenv("MIBS", "", 1); /* numeric OIDs: load no MIB files */
	init_agent("dbagentx");
	reg = netsnmp_create_handler_registration("vrrpv3Objects", on_request, objects,
						  OID_LENGTH(objects), HANDLER_CAN_RONLY);
	if (reg == NULL || netsnmp_register_handler(reg) != MIB_REGISTERED_OK)
		fatalx("cannot register vrrpv3Objects");
	init_snmp("dbagentx");
	/* again: init_snmp sets the default (15 s) */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 5);
	snmp_alarm_register_hr((struct timeval){0, TICK_MS * 1000}, SA_REPEAT, on_tick, NULL);
	refresh(true);
	log_info("serving the VRRPv3-MIB of the suite at %s through %s", rundir,
		 xsock ? xsock : "the default AgentX socket");
	sd_notify(0, "READY=1");
	while (!stop)
		agent_check_and_process(1);
	sd_notify(0, "STOPPING=1");
	snmp_shutdown("dbagentx");
	vrrp_mib_free(&mib);
	free(vars);
	zmq_close(events);
	zmq_ctx_term(zctx);
	log_info("stopped");
	return 0;
}
