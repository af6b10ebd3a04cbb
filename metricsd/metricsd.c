/*
 * metricsd: the suite's state for Prometheus. At each scrape of
 * http://ADDRESS:PORT/metrics it asks vrrpd, rbsd and rbpd for their JSON
 * displays and cfgd (cfgd-cli.ipc) for `display configuration sync` (the same queries
 * as dbcli --json, over the same sockets), and answers the text
 * exposition format (metrics.c, docs/metrics.md). HTTP is libmicrohttpd's;
 * nothing here parses a request.
 *
 * Off by default: it serves only where an operator starts it, on the
 * address given, and it holds no state of its own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <zmq.h>

#include "bus.pb-c.h"
#include "common/bus.h"
#include "common/ctl.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/reqclient.h"
#include "metricsd/metrics.h"

#define QUERY_TIMEOUT_MS 2000
#define DEFAULT_PORT 9469

static const char *rundir = DB_DEFAULT_RUNDIR;
static void *zctx;
static uint64_t seq;

/* A DEALER to RUNDIR/NAME.ipc that drops what it holds when closed. */
static void *dial(const char *name)
{
	char ep[600];
	void *z = zmq_socket(zctx, ZMQ_DEALER);
	int zero = 0;

	if (z == NULL)
		return NULL;
	zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof(zero));
	snprintf(ep, sizeof(ep), "ipc://%s/%s.ipc", rundir, name);
	if (zmq_connect(z, ep) < 0) {
		zmq_close(z);
		return NULL;
	}
	return z;
}

static struct json_object *parse(const char *text)
{
	struct json_object *o = text ? json_tokener_parse(text) : NULL;

	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* A daemon's display as JSON, or NULL when it did not answer in time. */
static struct json_object *ask_daemon(Db__Role role, Db__QueryKind kind)
{
	Db__Query q = DB__QUERY__INIT;
	Db__QueryReply *qr;
	struct json_object *o = NULL;
	uint8_t *pl;
	size_t plen;
	void *z = dial(bus_role_name(role));

	if (z == NULL)
		return NULL;
	q.kind = kind;
	q.json = true;
	if (req_call(z, DB__MSG_TYPE__MSG_QUERY, DB__ROLE__ROLE_CLI, ++seq, &q.base,
		     DB__MSG_TYPE__MSG_QUERY_REPLY, role, req_now_ms() + QUERY_TIMEOUT_MS, NULL,
		     &pl, &plen) == 0) {
		qr = db__query_reply__unpack(NULL, plen, pl);
		free(pl);
		if (qr && qr->ok)
			o = parse(qr->text);
		if (qr)
			db__query_reply__free_unpacked(qr, NULL);
	} else {
		log_debug("%s did not answer %s", bus_role_name(role), ctl_kind_word(kind));
	}
	zmq_close(z);
	return o;
}

static int cli_op(void *z, Db__CliOp op, const char *line, Db__CliReply **rep)
{
	Db__CliRequest req = DB__CLI_REQUEST__INIT;
	uint8_t *pl;
	size_t plen;
	int rc;

	req.op = op;
	req.line = (char *)line;
	req.json = true;
	req.user = (char *)"metricsd";
	rc = req_call(z, DB__MSG_TYPE__MSG_CLI_REQUEST, DB__ROLE__ROLE_CLI, ++seq, &req.base,
		      DB__MSG_TYPE__MSG_CLI_REPLY, DB__ROLE__ROLE_CFGD,
		      req_now_ms() + QUERY_TIMEOUT_MS, NULL, &pl, &plen);
	if (rc < 0)
		return rc;
	*rep = db__cli_reply__unpack(NULL, plen, pl);
	free(pl);
	return *rep ? 0 : -EBADMSG;
}

/* cfgd's `display configuration sync json`, in a session of its own. */
static struct json_object *ask_cfgd(void)
{
	Db__CliReply *rep = NULL;
	struct json_object *o = NULL;
	void *z = dial("cfgd-cli");

	if (z == NULL)
		return NULL;
	if (cli_op(z, DB__CLI_OP__CLI_OPEN, "", &rep) == 0) {
		db__cli_reply__free_unpacked(rep, NULL);
		if (cli_op(z, DB__CLI_OP__CLI_EXEC, "display configuration sync", &rep) == 0) {
			if (rep->ok)
				o = parse(rep->output);
			db__cli_reply__free_unpacked(rep, NULL);
		}
		if (cli_op(z, DB__CLI_OP__CLI_CLOSE, "", &rep) == 0)
			db__cli_reply__free_unpacked(rep, NULL);
	}
	zmq_close(z);
	return o;
}

static char *scrape(size_t *len)
{
	struct metrics_in in = {
	    .vrrp = ask_daemon(DB__ROLE__ROLE_VRRPD, DB__QUERY_KIND__QUERY_VRRP),
	    .rbs = ask_daemon(DB__ROLE__ROLE_RBSD, DB__QUERY_KIND__QUERY_RBS),
	    .rbp = ask_daemon(DB__ROLE__ROLE_RBPD, DB__QUERY_KIND__QUERY_RBP),
	    .sync = ask_cfgd(),
	    .bfd = ask_daemon(DB__ROLE__ROLE_VRRPD, DB__QUERY_KIND__QUERY_BFD_SESSION),
	};
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	int rc = f ? metrics_render(f, &in) : -ENOMEM;

	if (f)
		fclose(f);
	json_object_put(in.vrrp);
	json_object_put(in.rbs);
	json_object_put(in.rbp);
	json_object_put(in.sync);
	json_object_put(in.bfd);
	if (rc < 0) {
		free(text);
		return NULL;
	}
	return text;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* MHD_AccessHandlerCallback: GET /metrics, nothing else. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **con_cls)
{
	static char not_found[] = "only /metrics is served here\n";
	static char not_allowed[] = "only GET\n";
	char *body;
	size_t len = 0;

	(void)cls, (void)version, (void)upload, (void)upload_len, (void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
			     strlen(not_allowed), MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found, strlen(not_found),
			     MHD_RESPMEM_PERSISTENT);
	body = scrape(&len);
	if (body == NULL) {
		static char oom[] = "out of memory\n";

		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", oom, strlen(oom),
			     MHD_RESPMEM_PERSISTENT);
	}
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len,
		     MHD_RESPMEM_MUST_FREE);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: metricsd -l ADDRESS [-p PORT] [-d] [-v] [-r RUNDIR]\n"
		"  -l ADDRESS  serve http://ADDRESS:PORT/metrics (IPv4 or IPv6; required)\n"
		"  -p PORT     the TCP port (default %d)\n"
		"  -d          stay in the foreground and log to stderr\n"
		"  -v          log debug messages too\n"
		"  -r RUNDIR   the suite's run directory (default /run/dualbackup)\n"
		"  -h          this help\n",
		DEFAULT_PORT);
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	const char *addr = NULL;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct MHD_Daemon *d;
	struct daemon_opts o = {.rundir = DB_DEFAULT_RUNDIR};
	long port = DEFAULT_PORT;
	sigset_t set;
	int opt, sig;

	while ((opt = getopt(argc, argv, "l:p:dvr:h")) != -1) {
		switch (opt) {
		case 'l':
			addr = optarg;
			break;
		case 'p':
			port = strtol(optarg, NULL, 10);
			break;
		default:
			daemon_opt(&o, opt, optarg, usage);
		}
	}
	if (addr == NULL || optind < argc || port < 1 || port > 65535) {
		usage(stderr);
		return 2;
	}
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		flags |= MHD_USE_IPv6;
	} else {
		fprintf(stderr, "metricsd: -l %s is not an IPv4 or IPv6 address\n", addr);
		return 2;
	}
	rundir = o.rundir;
	log_init("metricsd", o.foreground);
	log_set_debug(o.verbose);
	/* signals are taken by sigwait below, in no thread's way */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	zctx = zmq_ctx_new();
	if (zctx == NULL)
		fatal("zmq_ctx_new");
	d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
			     MHD_OPTION_END);
	if (d == NULL)
		fatalx("cannot serve on [%s]:%ld (in use, or not an address of this host)", addr,
		       port);
	log_info("serving http://%s%s%s:%ld/metrics for the suite at %s", flags & MHD_USE_IPv6 ? "[" : "",
		 addr, flags & MHD_USE_IPv6 ? "]" : "", port, rundir);
	sd_notify(0, "READY=1");
	sigwait(&set, &sig);
	sd_notify(0, "STOPPING=1");
	MHD_stop_daemon(d);
	zmq_ctx_term(zctx);
	log_info("stopped by signal %d", sig);
	return 0;
}
