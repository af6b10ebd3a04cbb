/*
 * rbsd: its start and stop, given to service_main() by rbsd.c, and the
 * freeing of what is left once the loop has closed every handle. Apart
 * from main() so that a test can run a struct rbsd on a loop of its own
 * (tests/check_rbsd.c).
 */
#include <string.h>
#include <zmq.h>

#include "common/daemon.h"
#include "rbsd/rbsd.h"

int rbsd_init(uv_loop_t *loop, void *zctx, const char *rundir, void *arg)
{
	struct rbsd *d = arg;
	char ep[512];
	struct bus_opts bo = {.type = ZMQ_ROUTER,
			      .bind = 1,
			      .cb = rbsd_on_local,
			      .arg = d,
			      .hwm = LOCAL_HWM,
			      .zap_domain = PEER_DOMAIN_DAEMON};
	int rc;

	d->loop = loop;
	uv_timer_init(loop, &d->retry);
	d->retry.data = d;
	rc = daemon_endpoint(ep, sizeof(ep), rundir, "rbsd-entries");
	if (rc < 0)
		return rc;
	bo.endpoint = ep;
	rc = bus_open(&d->local, loop, zctx, &bo);
	if (rc < 0)
		return rc;
	{
		struct bus_opts sub = {
		    .type = ZMQ_SUB, .endpoint = ep, .cb = rbsd_on_vrrp_event, .arg = d};

		rc = daemon_endpoint(ep, sizeof(ep), rundir, "vrrpd-events");
		if (rc < 0)
			return rc;
		return bus_open(&d->vrrp_sub, loop, zctx, &sub);
	}
}

void rbsd_stop(void *arg)
{
	struct rbsd *d = arg;

	while (d->svcs) {
		struct svc *v = d->svcs;

		d->svcs = v->next;
		rbsd_svc_free(v);
	}
	uv_close((uv_handle_t *)&d->retry, NULL);
	if (d->local)
		bus_close(d->local);
	d->local = NULL;
	if (d->vrrp_sub)
		bus_close(d->vrrp_sub);
	d->vrrp_sub = NULL;
	arena_free(&d->local_arena);
}

void rbsd_free(struct rbsd *d)
{
	if (d->running)
		db__rbsd_config__free_unpacked(d->running, NULL);
	memset(d, 0, sizeof(*d));
}
