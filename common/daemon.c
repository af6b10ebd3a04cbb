#include "common/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "common/log.h"

static void usage(const struct daemon_opts *o, bool with_statedir, int code)
{
	FILE *f = code ? stderr : stdout;

	fprintf(f, "usage: %s [-d] [-v] [-r RUNDIR]%s\n", o->name,
		with_statedir ? " [-s STATEDIR]" : "");
	fprintf(f, "  -d          stay in the foreground and log to stderr\n");
	fprintf(f, "  -v          log debug messages too\n");
	fprintf(f, "  -r RUNDIR   directory of the ZeroMQ endpoints (default %s)\n",
		DB_DEFAULT_RUNDIR);
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
		if (mkdir(tmp, mode) != 0 && errno != EEXIST)
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
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s.pid", o->rundir, o->name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		fatal("cannot open %s", path);
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
	/* fd stays open: closing it would drop the lock */
}

void daemon_start(struct daemon_opts *o, int argc, char **argv, bool with_statedir)
{
	int c;

	o->rundir = DB_DEFAULT_RUNDIR;
	o->statedir = DB_DEFAULT_STATEDIR;
	while ((c = getopt(argc, argv, with_statedir ? "dvr:s:h" : "dvr:h")) != -1) {
		switch (c) {
		case 'd':
			o->foreground = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'r':
			o->rundir = optarg;
			break;
		case 's':
			o->statedir = optarg;
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
	if (mkdir_p(o->rundir, 0755) < 0)
		fatal("cannot create run directory %s", o->rundir);
	if (with_statedir && mkdir_p(o->statedir, 0700) < 0)
		fatal("cannot create state directory %s", o->statedir);
	lock_pidfile(o);
	/* A peer vanishing must not kill us through a write. */
	signal(SIGPIPE, SIG_IGN);
}

int daemon_endpoint(char *buf, size_t len, const char *rundir, const char *name)
{
	int n = snprintf(buf, len, "ipc://%s/%s.ipc", rundir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
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
