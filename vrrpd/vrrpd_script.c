/*
 * vrrpd: running the operator's notify script (vrrpd_script.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "vrrpd/vrrpd_script.h"

/* A running notify script with its timeout. Scripts still running when
 * vrrpd stops have their handles closed by the loop's final walk and are
 * freed by vrrpd_script_free(). */
struct vrrpd_script_proc {
	struct vrrpd_script *s;
	uv_process_t p;
	uv_timer_t timer;
	int open_handles;
	bool term_sent;
	struct vrrp_notify_q *q; /* handed back to the scheduler on exit */
	char what[64];		 /* "eth1 vrrp vrid 1 #12", for the log */
	struct vrrpd_script_proc *next, **prevp;
};

static void proc_closed(uv_handle_t *h)
{
	struct vrrpd_script_proc *n = h->data;

	if (--n->open_handles == 0)
		free(n);
}

static void pump(struct vrrpd_script *s);

/* SIGTERM at the timeout, SIGKILL VRRP_NOTIFY_KILL_MS later. */
static void proc_timeout(uv_timer_t *t)
{
	struct vrrpd_script_proc *n = t->data;

	if (!n->term_sent) {
		log_warnx("notify-script (%s) still running after %u s: SIGTERM", n->what,
			  VRRP_NOTIFY_TIMEOUT_MS / 1000);
		n->term_sent = true;
		n->s->killed++;
		kill(-n->p.pid, SIGTERM); /* its process group: what it started too */
		uv_timer_start(&n->timer, proc_timeout, VRRP_NOTIFY_KILL_MS, 0);
		return;
	}
	log_warnx("notify-script (%s) ignored SIGTERM: SIGKILL", n->what);
	kill(-n->p.pid, SIGKILL);
}

static void proc_exit(uv_process_t *p, int64_t status, int sig)
{
	struct vrrpd_script_proc *n = p->data;
	struct vrrpd_script *s = n->s;

	if (status != 0 || sig != 0)
		log_warnx("notify-script (%s) exited with status %lld%s", n->what,
			  (long long)status, sig ? " (killed by a signal)" : "");
	*n->prevp = n->next;
	if (n->next)
		n->next->prevp = n->prevp;
	uv_timer_stop(&n->timer);
	uv_close((uv_handle_t *)&n->timer, proc_closed);
	uv_close((uv_handle_t *)p, proc_closed);
	vrrp_notify_done(&s->sched, n->q);
	pump(s);
}

/*
 * Run one transition: SCRIPT IFNAME VRID FAMILY OLD NEW REASON, executed
 * by its absolute path (never looked up in PATH) with a clean environment
 * that says where it stands in the group's sequence. Returns 0 when it
 * runs (its exit hands q back), or -errno (the caller hands q back).
 */
static int spawn(struct vrrpd_script *s, struct vrrp_notify_q *q, const struct vrrp_notify_ev *ev)
{
	char vrid[16], seq[48], dropped[48], why[160];
	char *args[8], *env[4];
	uv_process_options_t o = {0};
	struct vrrpd_script_proc *n;
	int rc;

	if (s->path == NULL)
		return -ENOENT;
	/* checked at commit; again now, for what changed on disk since */
	rc = vrrp_notify_check_path(s->path, why, sizeof(why));
	if (rc < 0) {
		if (!s->refused_logged)
			log_warnx("notify-script %s not run: %s", s->path, why);
		s->refused_logged = true;
		s->failed++;
		return rc;
	}
	snprintf(vrid, sizeof(vrid), "%u", ev->vrid);
	snprintf(seq, sizeof(seq), "DB_NOTIFY_SEQ=%llu", (unsigned long long)ev->seq);
	snprintf(dropped, sizeof(dropped), "DB_NOTIFY_DROPPED=%llu",
		 (unsigned long long)ev->dropped);
	args[0] = s->path;
	args[1] = (char *)ev->ifname;
	args[2] = vrid;
	args[3] = ev->ipv6 ? "ipv6" : "ipv4";
	args[4] = (char *)vrrp_state_str(ev->from);
	args[5] = (char *)vrrp_state_str(ev->to);
	args[6] = (char *)ev->reason;
	args[7] = NULL;
	env[0] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	env[1] = seq;
	env[2] = dropped;
	env[3] = NULL;
	o.file = s->path; /* absolute: execve, no PATH search */
	o.args = args;
	o.env = env;
	o.exit_cb = proc_exit;
	o.flags = UV_PROCESS_DETACHED; /* a process group of its own, killed whole */
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	n->s = s;
	n->q = q;
	snprintf(n->what, sizeof(n->what), "%s %s vrid %u #%llu", ev->ifname,
		 ev->ipv6 ? "vrrp6" : "vrrp", ev->vrid, (unsigned long long)ev->seq);
	n->p.data = n;
	n->timer.data = n;
	uv_timer_init(s->loop, &n->timer);
	n->open_handles = 1;
	rc = uv_spawn(s->loop, &n->p, &o);
	if (rc < 0) {
		log_warnx("notify-script %s: %s", s->path, uv_strerror(rc));
		s->failed++;
		n->open_handles++;
		uv_close((uv_handle_t *)&n->p, proc_closed);
		uv_close((uv_handle_t *)&n->timer, proc_closed);
		return rc;
	}
	n->open_handles++;
	uv_timer_start(&n->timer, proc_timeout, VRRP_NOTIFY_TIMEOUT_MS, 0);
	n->next = s->procs;
	n->prevp = &s->procs;
	if (s->procs)
		s->procs->prevp = &n->next;
	s->procs = n;
	return 0;
}

/* Start what the scheduler allows now. */
static void pump(struct vrrpd_script *s)
{
	struct vrrp_notify_ev ev;
	struct vrrp_notify_q *q;

	while ((q = vrrp_notify_next(&s->sched, &ev)) != NULL)
		if (spawn(s, q, &ev) < 0)
			vrrp_notify_done(&s->sched, q);
}

void vrrpd_script_init(struct vrrpd_script *s, uv_loop_t *loop)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
}

void vrrpd_script_set_path(struct vrrpd_script *s, const char *path)
{
	free(s->path);
	s->path = path && path[0] ? strdup(path) : NULL;
	s->refused_logged = false;
}

void vrrpd_script_push(struct vrrpd_script *s, const char *ifname, unsigned vrid, bool ipv6,
		       enum vrrp_state from, enum vrrp_state to, const char *reason)
{
	struct vrrp_notify_ev ev = {0};
	int rc;

	if (s->path == NULL)
		return;
	snprintf(ev.ifname, sizeof(ev.ifname), "%s", ifname);
	ev.vrid = vrid;
	ev.ipv6 = ipv6;
	ev.from = (uint8_t)from;
	ev.to = (uint8_t)to;
	snprintf(ev.reason, sizeof(ev.reason), "%s", reason);
	rc = vrrp_notify_push(&s->sched, &ev);
	/* log the first drop and then every 2^k-th: a flapping group must not
	 * flood the log either */
	if (rc == 1 && (s->sched.dropped & (s->sched.dropped - 1)) == 0)
		log_warnx("(%s %s vrid %u) notify-script: more than %u transitions waiting, "
			  "the oldest dropped (%llu dropped so far)",
			  ifname, ipv6 ? "vrrp6" : "vrrp", vrid, VRRP_NOTIFY_QLEN,
			  (unsigned long long)s->sched.dropped);
	pump(s);
}

void vrrpd_script_free(struct vrrpd_script *s)
{
	while (s->procs) {
		struct vrrpd_script_proc *n = s->procs;

		s->procs = n->next;
		free(n);
	}
	vrrp_notify_free(&s->sched);
	free(s->path);
	s->path = NULL;
}
