#include "common/peer.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/log.h"

/* Parse the decimal number in s[0..len) into *v, at most `max`. */
static int parse_num(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;

	if (len == 0 || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (n > max)
		return -EINVAL;
	*v = n;
	return 0;
}

int peer_parse_address(const char *addr, size_t len, struct peer_cred *out)
{
	uint64_t v[3];
	size_t end = len;

	/* Right to left: PID, GID, UID, each after a ':'. */
	for (int k = 2; k >= 0; k--) {
		size_t start = end;

		while (start > 0 && addr[start - 1] != ':')
			start--;
		if (start == 0)
			return -EINVAL;
		if (parse_num(addr + start, end - start, k == 2 ? INT32_MAX : UINT32_MAX - 1,
			      &v[k]) < 0)
			return -EINVAL;
		end = start - 1;
	}
	out->uid = (uid_t)v[0];
	out->gid = (gid_t)v[1];
	out->pid = (pid_t)v[2];
	return 0;
}

enum peer_class peer_classify(const struct peer_policy *p, uid_t uid, bool member)
{
	if (uid == 0 || uid == p->self || (p->has_svc && uid == p->svc_uid))
		return PEER_DAEMON;
	return member ? PEER_MEMBER : PEER_STRANGER;
}

static bool domain_is(const char *d, size_t len, const char *name)
{
	return len == strlen(name) && memcmp(d, name, len) == 0;
}

bool peer_admits(const char *domain, size_t len, enum peer_class c)
{
	if (domain_is(domain, len, PEER_DOMAIN_DAEMON))
		return c == PEER_DAEMON;
	if (domain_is(domain, len, PEER_DOMAIN_CLIENT))
		return c == PEER_DAEMON || c == PEER_MEMBER;
	return true;
}

bool peer_in_group(uid_t uid, gid_t gid)
{
	struct group gr, *grp = NULL;
	struct passwd pw, *pwp = NULL;
	char gbuf[4096], pbuf[4096];
	gid_t groups[256];
	int n = 256;

	if (getgrnam_r(PEER_GROUP, &gr, gbuf, sizeof(gbuf), &grp) != 0 || grp == NULL)
		return false;
	if (gid == grp->gr_gid)
		return true;
	if (getpwuid_r(uid, &pw, pbuf, sizeof(pbuf), &pwp) != 0 || pwp == NULL)
		return false;
	if (pwp->pw_gid == grp->gr_gid)
		return true;
	if (getgrouplist(pwp->pw_name, pwp->pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == grp->gr_gid)
			return true;
	return false;
}

void peer_policy_load(struct peer_policy *p)
{
	struct passwd pw, *pwp = NULL;
	char buf[4096];

	p->self = geteuid();
	p->has_svc = getpwnam_r(PEER_GROUP, &pw, buf, sizeof(buf), &pwp) == 0 && pwp != NULL;
	p->svc_uid = p->has_svc ? pwp->pw_uid : 0;
}

/* ---- the ZAP handler ---------------------------------------------------- */

#define ZAP_FRAMES 8

/* Refusals are logged at most once a second, with the count between. */
static void log_refusal(const char *domain, size_t dlen, const struct peer_cred *c, bool parsed)
{
	static time_t last;
	static unsigned long skipped;
	time_t now = time(NULL);

	if (now == last) {
		skipped++;
		return;
	}
	last = now;
	if (parsed)
		log_warnx("%.*s endpoint: connection of uid %u (pid %d) refused: not root, "
			  "the daemons' user or the %s group (%lu more refused)",
			  (int)dlen, domain, (unsigned)c->uid, (int)c->pid, PEER_GROUP, skipped);
	else
		log_warnx("%.*s endpoint: connection without credentials refused "
			  "(%lu more refused)", (int)dlen, domain, skipped);
	skipped = 0;
}

static void reply(void *z, const zmq_msg_t *reqid, const char *status, const char *user)
{
	zmq_send(z, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(z, zmq_msg_data((zmq_msg_t *)reqid), zmq_msg_size((zmq_msg_t *)reqid),
		 ZMQ_SNDMORE);
	zmq_send(z, status, strlen(status), ZMQ_SNDMORE);
	zmq_send(z, status[0] == '2' ? "OK" : "Permission denied",
		 status[0] == '2' ? 2 : 17, ZMQ_SNDMORE);
	zmq_send(z, user, strlen(user), ZMQ_SNDMORE);
	zmq_send(z, "", 0, 0);
}

/* One request: version, request id, domain, address, identity, mechanism,
 * credentials... (RFC 27). */
static void answer(void *z, zmq_msg_t *f)
{
	const char *domain = zmq_msg_data(&f[2]);
	size_t dlen = zmq_msg_size(&f[2]);
	struct peer_policy pol;
	struct peer_cred c = {0};
	enum peer_class cls = PEER_STRANGER;
	bool parsed;
	char uid[16] = "";

	parsed = peer_parse_address(zmq_msg_data(&f[3]), zmq_msg_size(&f[3]), &c) == 0;
	if (parsed) {
		peer_policy_load(&pol);
		cls = peer_classify(&pol, c.uid, peer_in_group(c.uid, c.gid));
		snprintf(uid, sizeof(uid), "%u", (unsigned)c.uid);
	}
	/* Without credentials a peer is a stranger: only foreign domains
	 * admit it. */
	if (peer_admits(domain, dlen, cls)) {
		reply(z, &f[1], "200", uid);
		return;
	}
	log_refusal(domain, dlen, &c, parsed);
	reply(z, &f[1], "400", "");
}

static void *zap_thread(void *arg)
{
	void *z = arg;
	zmq_msg_t f[ZAP_FRAMES];

	for (;;) {
		int n = 0, more = 1, bad = 0;

		while (more) {
			zmq_msg_t tmp, *m = n < ZAP_FRAMES ? &f[n] : &tmp;

			zmq_msg_init(m);
			if (zmq_msg_recv(m, z, 0) < 0) {
				zmq_msg_close(m);
				for (int i = 0; i < n; i++)
					zmq_msg_close(&f[i]);
				if (errno == EINTR)
					goto again;
				goto out; /* ETERM: the context is going away */
			}
			more = zmq_msg_more(m);
			if (m == &tmp) {
				bad = 1;
				zmq_msg_close(m);
			} else {
				n++;
			}
		}
		if (bad || n < 6) {
			/* Not ZAP: a REP socket must still answer something. */
			zmq_send(z, "", 0, 0);
		} else {
			answer(z, f);
		}
		for (int i = 0; i < n; i++)
			zmq_msg_close(&f[i]);
again:;
	}
out:
	zmq_close(z);
	return NULL;
}

int peer_zap_start(void *zctx)
{
	pthread_attr_t attr;
	pthread_t t;
	void *z;
	int linger = 0, rc;

	z = zmq_socket(zctx, ZMQ_REP);
	if (z == NULL)
		return -errno;
	zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(z, "inproc://zeromq.zap.01") != 0) {
		rc = errno;
		zmq_close(z);
		/* Bound already: this context has its handler. */
		return rc == EADDRINUSE ? 0 : -rc;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, zap_thread, z);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		zmq_close(z);
		return -rc;
	}
	return 0;
}
