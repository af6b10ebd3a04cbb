#include "common/service.h"

#include <string.h>
#include <zmq.h>

#include "common/daemon.h"
#include "common/log.h"

struct running {
	const struct service *svc;
	uv_loop_t *loop;
	struct cfgclient *cfg;
	struct ctl *ctl;
};

static void on_stop(void *arg)
{
	struct running *r = arg;

	daemon_stopping();
	if (r->svc->stop)
		r->svc->stop(r->svc->arg);
	cfgclient_close(r->cfg);
	ctl_close(r->ctl);
	uv_stop(r->loop);
}

int service_main(int argc, char **argv, const struct service *svc)
{
	struct daemon_opts opts = {.name = svc->name};
	struct running r = {0};
	void *zctx;
	int rc;

	daemon_start(&opts, argc, argv, false);
	r.svc = svc;
	r.loop = uv_default_loop();
	zctx = zmq_ctx_new();
	if (svc->init) {
		rc = svc->init(r.loop, zctx, opts.rundir, svc->arg);
		if (rc < 0)
			fatalx("start-up: %s", strerror(-rc));
	}
	rc = ctl_open(&r.ctl, r.loop, zctx, opts.rundir, svc->role, svc->query, svc->arg);
	if (rc < 0)
		fatalx("control socket in %s: %s", opts.rundir, strerror(-rc));
	rc = cfgclient_open(&r.cfg, r.loop, zctx, opts.rundir, svc->role, svc->ops, svc->arg);
	if (rc < 0)
		fatalx("cfgd connection in %s: %s", opts.rundir, strerror(-rc));
	daemon_on_signal(r.loop, on_stop, &r);
	log_info("ready");
	daemon_ready();
	uv_run(r.loop, UV_RUN_DEFAULT);
	daemon_close_loop(r.loop);
	zmq_ctx_term(zctx);
	log_info("stopped");
	return 0;
}
