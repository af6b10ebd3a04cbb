/*
 * vrrpd: its start and stop, given to service_main() by vrrpd.c, and the
 * freeing of what is left once the loop has closed every handle. Apart
 * from main() so that a test can run a struct vrrpd on a loop of its own
 * (tests/check_vrrpd.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>
#include <zmq.h>

#include "common/daemon.h"
#include "common/log.h"
#include "common/strmap.h"
#include "vrrpd/vrrpd.h"

int vrrpd_init(uv_loop_t *loop, void *zctx, const char *rundir, void *arg)
{
	struct vrrpd *d = arg;
	char ep[512];
	struct bus_opts bo = {.type = ZMQ_PUB, .bind = 1, .zap_domain = PEER_DOMAIN_DAEMON};
	struct bus_opts sub = {.type = ZMQ_SUB, .cb = vrrpd_on_gates, .arg = d};
	int rc;

	d->loop = loop;
	vrrpd_script_init(&d->script, loop);
	inet_pton(AF_INET, "224.0.0.18", &d->mcast4.v4);
	inet_pton(AF_INET6, "ff02::12", &d->mcast6.v6);
	if (getrandom(&d->takeover_base, sizeof(d->takeover_base), 0) != sizeof(d->takeover_base))
		d->takeover_base = realtime_ns();
	d->takeover_base &= ~(uint64_t)0xffffffff; /* the counter's room */
	d->garp_count = DEF_GARP_COUNT;
	d->garp_interval_ms = DEF_GARP_INTERVAL_MS;
	rc = vrrp_bfd_new(&d->bfd, loop, vrrpd_on_bfd_change, d);
	if (rc < 0)
		return rc;
	d->nl = vrrp_net_nl_open();
	if (d->nl < 0)
		return d->nl;
	rc = vrrp_net_announce_open(&d->pkt_fd, &d->icmp6_fd);
	if (rc < 0)
		return rc;
	d->mon = vrrp_net_monitor_open();
	if (d->mon < 0)
		return d->mon;
	uv_poll_init(loop, &d->mon_poll, d->mon);
	d->mon_poll.data = d;
	uv_poll_start(&d->mon_poll, UV_READABLE, vrrpd_on_monitor);
	rc = daemon_endpoint(ep, sizeof(ep), rundir, "vrrpd-events");
	if (rc < 0)
		return rc;
	bo.endpoint = ep;
	rc = bus_open(&d->pub, loop, zctx, &bo);
	if (rc < 0)
		return rc;
	rc = daemon_endpoint(ep, sizeof(ep), rundir, "rbpd-events");
	if (rc < 0)
		return rc;
	sub.endpoint = ep;
	return bus_open(&d->gates_sub, loop, zctx, &sub);
}

/* SIGTERM: every master says goodbye with priority 0 (RFC 5798 6.4.3), so
 * that the backup takes over after Skew_Time, and removes its addresses. */
void vrrpd_stop(void *arg)
{
	struct vrrpd *d = arg;

	while (d->groups) {
		struct group *gr = d->groups;

		d->groups = gr->next;
		if (d->gidx)
			strmap_del(d->gidx, gr->key);
		vrrpd_group_destroy(gr);
	}
	if (d->pub)
		bus_close(d->pub);
	d->pub = NULL;
	if (d->gates_sub)
		bus_close(d->gates_sub);
	d->gates_sub = NULL;
	pidwatch_free(d->rbpd);
	d->rbpd = NULL;
	vrrp_bfd_free(d->bfd); /* sessions say AdminDown */
	d->bfd = NULL;
	uv_close((uv_handle_t *)&d->mon_poll, NULL);
}

void vrrpd_free(struct vrrpd *d)
{
	if (d->running)
		db__vrrpd_config__free_unpacked(d->running, NULL);
	d->running = NULL;
	vrrpd_script_free(&d->script);
	/* The loop's final walk closed the sockets' poll handles. */
	while (d->rxsocks) {
		struct rxsock *r = d->rxsocks;

		d->rxsocks = r->next;
		close(r->fd);
		free(r);
	}
	strmap_free(d->gidx);
	d->gidx = NULL;
	vrrpd_gates_free(d);
	free(d->states);
	free(d->state_ptrs);
	free(d->by_index[0]);
	free(d->by_index[1]);
	d->states = NULL;
	d->state_ptrs = NULL;
	d->by_index[0] = d->by_index[1] = NULL;
	d->by_cap[0] = d->by_cap[1] = d->states_cap = 0;
	close(d->nl);
	close(d->mon);
	close(d->pkt_fd);
	close(d->icmp6_fd);
	d->nl = d->mon = d->pkt_fd = d->icmp6_fd = -1;
}
