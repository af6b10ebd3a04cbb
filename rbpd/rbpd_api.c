/*
 * The user-information API (proto/user.proto): services of this device
 * hand rbpd their users on a ROUTER at RUNDIR/rbpd-users.ipc, and learn
 * the users restored at a takeover on a PUB at RUNDIR/rbpd-restored.ipc.
 *
 * A change is taken only for a user this device is master for: the
 * interface must be in a profile that backs users up, the MAC's parity
 * must have a binding in it, and that group must be master here. Anything
 * else is refused with the reason, change by change; the others of the
 * same request are taken.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/daemon.h"
#include "common/log.h"
#include "rbpd/rbp_api_req.h"
#include "rbpd/rbpd.h"
#include "user.pb-c.h"

#define MAX_CHANGES RBP_API_MAX_CHANGES
#define RESTORED_HWM 100000 /* messages of up to 1024 users each */

static uint64_t bad_requests;

/* One change; returns NULL when taken, else why not (a static string or
 * buf). */
static const char *take(const Db__UserChange *c, char *buf, size_t len)
{
	struct rbp_user u = {0};
	enum ut_svc type = (enum ut_svc)c->type;
	struct prof *p;
	struct pbind *pb;
	const char *why;
	int rc;

	why = rbp_api_change_check(c);
	if (why != NULL)
		return why;
	p = rbpd_prof_by_ifname(c->ifname);
	if (p == NULL) {
		snprintf(buf, len, "interface %s is in no remote-backup-profile", c->ifname);
		return buf;
	}
	if (p->ch == NULL) {
		snprintf(buf, len,
			 "remote-backup-profile %s has no backup-id and remote-backup-service: "
			 "nothing is backed up",
			 p->name);
		return buf;
	}
	memcpy(u.mac, c->mac.data, RBP_MAC_LEN);
	pb = rbpd_binding_for(p, u.mac);
	if (pb == NULL) {
		snprintf(buf, len, "remote-backup-profile %s has no %s binding for this MAC", p->name,
			 rbp_mac_parity(u.mac) == RBP_PARITY_ODD ? "odd-mac" : "even-mac");
		return buf;
	}
	if (pb->role != RBP_ROLE_MASTER) {
		snprintf(buf, len,
			 "this device is backup for the users of vrrp-id %u on %s (%s): the master "
			 "owns them",
			 pb->b.vrid, pb->ifname,
			 pb->b.parity == RBP_PARITY_ODD ? "odd-mac" : "even-mac");
		return buf;
	}
	u.backup_id = p->backup_id;
	snprintf(u.ifname, sizeof(u.ifname), "%s", c->ifname);
	u.data = c->payload.data;
	u.data_len = c->payload.len;
	rc = rbpd_local_change(p,
			       c->op == DB__USER_OP__USER_OP_ADD ? DB__RBS_OP__RBS_OP_ADD
								 : DB__RBS_OP__RBS_OP_DELETE,
			       type, c->key.data, c->key.len, &u);
	if (rc == -ENOENT)
		return "no such user";
	if (rc == -ENOSPC) {
		snprintf(buf, len,
			 "the table of remote-backup-service %s is full (peer-backup "
			 "user-limit %llu)",
			 p->ch->name, (unsigned long long)rbpd_user_limit());
		return buf;
	}
	if (rc < 0) {
		snprintf(buf, len, "not taken: %s", strerror(-rc));
		return buf;
	}
	return NULL;
}

/* bus_recv_cb of the ROUTER: [identity, UserRequest]. */
static void on_request(struct bus_sock *s, const struct bus_part *parts, int n, void *arg)
{
	static Db__UserError errs[MAX_CHANGES], *errp[MAX_CHANGES];
	static char texts[MAX_CHANGES][200];
	Db__UserReply rep = DB__USER_REPLY__INIT;
	Db__UserRequest *req;
	uint8_t *buf;
	size_t len;

	(void)arg;
	if (n != 2 || (req = db__user_request__unpack(NULL, parts[1].len, parts[1].data)) == NULL) {
		if (bad_requests++ % 1000 == 0)
			log_warnx("user API: malformed request dropped (%llu so far)",
				  (unsigned long long)bad_requests);
		return;
	}
	rep.id = req->id;
	rep.errors = errp;
	if (req->n_changes > MAX_CHANGES) {
		db__user_error__init(&errs[0]);
		errs[0].index = MAX_CHANGES;
		errs[0].error = "more than 1024 changes in one request: the rest were not taken";
		errp[rep.n_errors++] = &errs[0];
	}
	for (size_t i = 0; i < req->n_changes && i < MAX_CHANGES; i++) {
		const char *why = take(req->changes[i], texts[i], sizeof(texts[i]));

		if (why == NULL) {
			rep.applied++;
			continue;
		}
		if (rep.n_errors < MAX_CHANGES) {
			db__user_error__init(&errs[rep.n_errors]);
			errs[rep.n_errors].index = (uint32_t)i;
			errs[rep.n_errors].error = (char *)why;
			errp[rep.n_errors] = &errs[rep.n_errors];
			rep.n_errors++;
		}
	}
	len = db__user_reply__get_packed_size(&rep);
	buf = malloc(len ? len : 1);
	if (buf == NULL)
		fatal("malloc");
	db__user_reply__pack(&rep, buf);
	bus_send(s, parts[0].data, parts[0].len, buf, len);
	free(buf);
	db__user_request__free_unpacked(req, NULL);
}

void rbpd_api_publish_restored(enum ut_svc type, const struct rbp_user *users,
			       const uint8_t *const *keys, const size_t *klens, size_t n)
{
	static Db__UserChange ch[1024], *chp[1024];
	static char names[1024][RBP_IFNAME_MAX + 1];
	Db__UserRestored m = DB__USER_RESTORED__INIT;
	const char *word = ut_svc_name(type);
	uint8_t *buf;
	size_t len;

	if (g.restored_pub == NULL || n == 0)
		return;
	if (n > 1024)
		n = 1024;
	for (size_t i = 0; i < n; i++) {
		db__user_change__init(&ch[i]);
		ch[i].op = DB__USER_OP__USER_OP_ADD;
		ch[i].type = (Db__RbsServiceType)type;
		ch[i].mac.data = (uint8_t *)users[i].mac;
		ch[i].mac.len = RBP_MAC_LEN;
		memcpy(names[i], users[i].ifname, sizeof(names[i]));
		ch[i].ifname = names[i];
		ch[i].key.data = (uint8_t *)keys[i];
		ch[i].key.len = klens[i];
		ch[i].payload.data = (uint8_t *)users[i].data;
		ch[i].payload.len = users[i].data_len;
		chp[i] = &ch[i];
	}
	m.type = (Db__RbsServiceType)type;
	m.users = chp;
	m.n_users = n;
	len = db__user_restored__get_packed_size(&m);
	buf = malloc(len ? len : 1);
	if (buf == NULL)
		fatal("malloc");
	db__user_restored__pack(&m, buf);
	/* PUB: the type's word, then the message */
	bus_send(g.restored_pub, word, strlen(word), buf, len);
	free(buf);
}

int rbpd_api_init(void)
{
	char ep[512];
	/* The user API: root, the daemons' user and the dualbackup group. */
	struct bus_opts r = {.type = ZMQ_ROUTER, .bind = 1, .endpoint = ep, .cb = on_request,
			     .zap_domain = PEER_DOMAIN_CLIENT};
	struct bus_opts p = {.type = ZMQ_PUB, .bind = 1, .endpoint = ep, .hwm = RESTORED_HWM,
			     .zap_domain = PEER_DOMAIN_CLIENT};
	int rc;

	if ((rc = daemon_endpoint(ep, sizeof(ep), g.rundir, "rbpd-users")) < 0 ||
	    (rc = bus_open(&g.api, g.loop, g.zctx, &r)) < 0)
		return rc;
	if ((rc = daemon_endpoint(ep, sizeof(ep), g.rundir, "rbpd-restored")) < 0)
		return rc;
	return bus_open(&g.restored_pub, g.loop, g.zctx, &p);
}

void rbpd_api_close(void)
{
	if (g.api)
		bus_close(g.api);
	if (g.restored_pub)
		bus_close(g.restored_pub);
	g.api = g.restored_pub = NULL;
}
