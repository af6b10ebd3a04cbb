#include "common/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <zmq.h>

#include "common/bus.h"
#include "common/log.h"
#include "common/peer.h"

/* What each daemon still needs of root after -u USER: vrrpd sends and
 * receives VRRP on raw sockets and adds virtual addresses; rbpd installs
 * neighbours; rbsd may be told to listen on a port below 1024; cfgd only
 * reads and writes its state directory. */
static const struct {
	const char *name;
	cap_value_t caps[3];
	int ncaps;
} keep_caps[] = {
	{"vrrpd", {CAP_NET_RAW, CAP_NET_ADMIN}, 2},
	{"rbpd", {CAP_NET_ADMIN}, 1},
	{"rbsd", {CAP_NET_BIND_SERVICE}, 1},
	{"cfgd", {0}, 0},
};

static void usage(const struct daemon_opts *o, bool with_statedir, int code)
{
	FILE *f = code ? stderr : stdout;

	fprintf(f, "usage: %s [-d] [-v] [-r RUNDIR] [-u USER]%s\n", o->name,
		with_statedir ? " [-s STATEDIR]" : "");
	fprintf(f, "  -d          stay in the foreground and log to stderr\n");
	fprintf(f, "  -v          log debug messages too\n");
	fprintf(f, "  -r RUNDIR   directory of the ZeroMQ endpoints (default %s)\n",
		DB_DEFAULT_RUNDIR);
	fprintf(f, "  -u USER     started as root: run as USER, keeping only the "
		   "capabilities %s needs\n", o->name);
	if (with_statedir)
		fprintf(f, "  -s STATEDIR directory of the committed configuration (default %s)\n",
			DB_DEFAULT_STATEDIR);
	fprintf(f, "  -h          this help\n");
	exit(code);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[4096];

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		/* Parents must stay traversable whatever the umask. */
		if (mkdir(tmp, 0755) == 0)
			(void)chmod(tmp, 0755);
		else if (errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* One instance per run directory: a second one would take over the
 * first one's ZeroMQ endpoints. The lock lives as long as the process. */
static void lock_pidfile(const struct daemon_opts *o)
{
	char path[4200], buf[32];
	struct stat st;
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s.pid", o->rundir, o->name);
	/* Not through a link planted in the run directory (which only
	 * root and the daemons' user may write: prepare_rundir()). */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		fatal("cannot open %s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
		fatalx("%s: not a plain file of its own: refusing it", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = (int)read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fatalx("%s is already running in %s (pid %s)", o->name, o->rundir,
		       buf[0] ? buf : "?");
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)n) != n)
		log_warn("cannot write %s", path);
	/* The user we become may take the lock over after a restart. */
	if (o->run_uid != (uid_t)-1 && geteuid() == 0 && fchown(fd, o->run_uid, (gid_t)-1) < 0)
		log_warn("cannot hand %s over", path);
	/* fd stays open: closing it would drop the lock */
}

/*
 * The run directory holds the daemons' sockets: 0750, owned by root (or
 * by the user of -u, who must create sockets in it) and the dualbackup
 * group, so that only they and the group reach the sockets at all (each
 * endpoint then checks the peer's credentials, common/peer.h). A
 * directory owned by anyone else is refused: that user could replace
 * our sockets and pid files.
 */
static void prepare_rundir(const struct daemon_opts *o)
{
	struct group *gr = getgrnam(PEER_GROUP);
	struct passwd *svc = getpwnam(PEER_GROUP);
	uid_t me = geteuid();
	struct stat st;
	uid_t owner;
	gid_t group;
	int fd;

	if (mkdir_p(o->rundir, 0750) < 0)
		fatal("cannot create run directory %s", o->rundir);
	fd = open(o->rundir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		fatal("run directory %s", o->rundir);
	if (st.st_uid != 0 && st.st_uid != me && st.st_uid != o->run_uid &&
	    !(svc && st.st_uid == svc->pw_uid))
		fatalx("run directory %s is owned by uid %u, not root or the daemons' user: "
		       "refusing it", o->rundir, (unsigned)st.st_uid);
	if (gr == NULL)
		log_info("no %s group: run directory %s is for its owner only", PEER_GROUP,
			 o->rundir);
	owner = o->run_uid != (uid_t)-1 ? o->run_uid : st.st_uid;
	group = gr ? gr->gr_gid : o->run_uid != (uid_t)-1 ? o->run_gid : st.st_gid;
	if (me == 0 && (st.st_uid != owner || st.st_gid != group) && fchown(fd, owner, group) < 0)
		fatal("cannot give run directory %s to uid %u gid %u", o->rundir,
		      (unsigned)owner, (unsigned)group);
	if (me != 0 && st.st_uid == me && st.st_gid != group)
		(void)fchown(fd, (uid_t)-1, group); /* we may not be a member */
	if ((st.st_uid == me || me == 0) && (st.st_mode & 07777) != 0750 && fchmod(fd, 0750) < 0)
		fatal("cannot make run directory %s 0750", o->rundir);
	close(fd);
}

static int chown_walk_uid = -1, chown_walk_gid = -1;

static int chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return lchown(path, (uid_t)chown_walk_uid, (gid_t)chown_walk_gid) < 0 ? -1 : 0;
}

/* -u USER: look the user up now, before anything is created for them. */
static void find_run_user(struct daemon_opts *o, const char *user)
{
	struct passwd *pw;

	o->run_uid = (uid_t)-1;
	o->run_gid = (gid_t)-1;
	if (user == NULL)
		return;
	pw = getpwnam(user);
	if (pw == NULL)
		fatalx("-u %s: no such user (create it, e.g. with systemd-sysusers and "
		       "systemd/dualbackup.sysusers.conf)", user);
	if (geteuid() != 0 && geteuid() != pw->pw_uid)
		fatalx("-u %s: only root can become another user", user);
	if (pw->pw_uid == 0)
		fatalx("-u %s: that is root; run without -u instead", user);
	o->run_uid = pw->pw_uid;
	o->run_gid = pw->pw_gid;
	o->run_user = pw->pw_name;
}

/* Become the user of -u, keeping only the capabilities this daemon needs
 * (keep_caps), in its permitted and effective sets. Not inheritable or
 * ambient: what the daemon runs (notify scripts) gets none. */
static void drop_privileges(const struct daemon_opts *o)
{
	const cap_value_t *caps = NULL;
	struct group *gr = getgrnam(PEER_GROUP);
	gid_t groups[2];
	int ncaps = 0, ngroups = 0;
	cap_t c;

	if (o->run_uid == (uid_t)-1 || geteuid() != 0)
		return;
	for (size_t i = 0; i < sizeof(keep_caps) / sizeof(keep_caps[0]); i++)
		if (strcmp(keep_caps[i].name, o->name) == 0) {
			caps = keep_caps[i].caps;
			ncaps = keep_caps[i].ncaps;
		}
	groups[ngroups++] = o->run_gid;
	/* The group lets the daemon give its socket files to the group. */
	if (gr && gr->gr_gid != o->run_gid)
		groups[ngroups++] = gr->gr_gid;
	if (setgroups((size_t)ngroups, groups) < 0 || setgid(o->run_gid) < 0)
		fatal("-u %s: cannot change group", o->run_user);
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) < 0 || setuid(o->run_uid) < 0)
		fatal("-u %s: cannot change user", o->run_user);
	c = cap_init();
	if (c == NULL ||
	    (ncaps > 0 && (cap_set_flag(c, CAP_PERMITTED, ncaps, caps, CAP_SET) < 0 ||
			   cap_set_flag(c, CAP_EFFECTIVE, ncaps, caps, CAP_SET) < 0)) ||
	    cap_set_proc(c) < 0)
		fatal("-u %s: cannot set capabilities", o->run_user);
	cap_free(c);
	(void)prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	if (setuid(0) == 0)
		fatalx("-u %s: could become root again", o->run_user);
#ifdef __SANITIZE_ADDRESS__
	/* LeakSanitizer stops the world through ptrace, which the kernel
	 * refuses once a uid change made us undumpable. Test builds only. */
	(void)prctl(PR_SET_DUMPABLE, 1L, 0L, 0L, 0L);
#endif
	log_info("running as %s (uid %u)%s", o->run_user, (unsigned)o->run_uid,
		 ncaps ? "" : " without capabilities");
	for (int i = 0; i < ncaps; i++) {
		char *n = cap_to_name(caps[i]);

		log_info("  keeps %s", n ? n : "?");
		cap_free(n);
	}
}

/* -d, -v and -r RUNDIR, which every program of the suite takes, into o.
 * Returns whether c was one of them. */
static bool common_opt(struct daemon_opts *o, int c, const char *val)
{
	switch (c) {
	case 'd':
		o->foreground = true;
		return true;
	case 'v':
		o->verbose = true;
		return true;
	case 'r':
		o->rundir = val;
		return true;
	default:
		return false;
	}
}

void daemon_opt(struct daemon_opts *o, int c, const char *val, void (*usage_fn)(FILE *f))
{
	if (common_opt(o, c, val))
		return;
	if (c == 'h') {
		usage_fn(stdout);
		exit(0);
	}
	usage_fn(stderr);
	exit(2);
}

void daemon_start(struct daemon_opts *o, int argc, char **argv, bool with_statedir)
{
	const char *user = NULL;
	int c;

	/* Whatever we create is ours alone unless we say otherwise. */
	umask(077);
	o->rundir = DB_DEFAULT_RUNDIR;
	o->statedir = DB_DEFAULT_STATEDIR;
	while ((c = getopt(argc, argv, with_statedir ? "dvr:s:u:h" : "dvr:u:h")) != -1) {
		if (common_opt(o, c, optarg))
			continue;
		switch (c) {
		case 's':
			o->statedir = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'h':
			usage(o, with_statedir, 0);
			break;
		default:
			usage(o, with_statedir, 2);
		}
	}
	if (optind != argc)
		usage(o, with_statedir, 2);
	log_init(o->name, o->foreground);
	log_set_debug(o->verbose);
	find_run_user(o, user);
	prepare_rundir(o);
	if (with_statedir && mkdir_p(o->statedir, 0700) < 0)
		fatal("cannot create state directory %s", o->statedir);
	if (with_statedir && o->run_uid != (uid_t)-1 && geteuid() == 0) {
		chown_walk_uid = (int)o->run_uid;
		chown_walk_gid = (int)o->run_gid;
		if (nftw(o->statedir, chown_one, 16, FTW_PHYS) != 0)
			fatal("cannot give state directory %s to %s", o->statedir, o->run_user);
	}
	lock_pidfile(o);
	drop_privileges(o);
	/* A peer vanishing must not kill us through a write. */
	signal(SIGPIPE, SIG_IGN);
}

int daemon_endpoint(char *buf, size_t len, const char *rundir, const char *name)
{
	int n = snprintf(buf, len, "ipc://%s/%s.ipc", rundir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int daemon_bind_router(struct bus_sock **out, uv_loop_t *loop, void *zctx, const char *rundir,
		       const char *name, const struct bus_opts *o)
{
	struct bus_opts b = *o;
	char ep[4200], path[4200];
	int rc;

	rc = daemon_endpoint(ep, sizeof(ep), rundir, name);
	if (rc < 0)
		return rc;
	/* A socket file left by a killed instance would make bind fail. */
	snprintf(path, sizeof(path), "%s/%s.ipc", rundir, name);
	unlink(path);
	b.type = ZMQ_ROUTER;
	b.endpoint = ep;
	b.bind = 1;
	return bus_open(out, loop, zctx, &b);
}

void daemon_ready(void)
{
	sd_notify(0, "READY=1");
}

void daemon_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

struct sigwatch {
	uv_signal_t term, intr;
	void (*cb)(void *);
	void *arg;
	int fired;
};

static struct sigwatch sigwatch;

static void on_signal(uv_signal_t *h, int signum)
{
	struct sigwatch *w = h->data;

	log_info("signal %d: stopping", signum);
	if (w->fired++)
		return;
	w->cb(w->arg);
}

void daemon_on_signal(uv_loop_t *loop, void (*cb)(void *arg), void *arg)
{
	sigwatch.cb = cb;
	sigwatch.arg = arg;
	uv_signal_init(loop, &sigwatch.term);
	uv_signal_init(loop, &sigwatch.intr);
	sigwatch.term.data = sigwatch.intr.data = &sigwatch;
	uv_signal_start(&sigwatch.term, on_signal, SIGTERM);
	uv_signal_start(&sigwatch.intr, on_signal, SIGINT);
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void daemon_close_loop(uv_loop_t *loop)
{
	uv_walk(loop, close_walk, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
}
