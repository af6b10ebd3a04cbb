/*
 * bench-rbs-watch: timestamps what a benchmark of the RBS channel needs to
 * know the moment of, without polling from a shell.
 *
 *   bench-rbs-watch [-p NAME=PID]... [-i MS] DIR FILE...
 *
 * Status lines: rbs-feeder writes FILE.tmp and renames it to FILE every
 * 100 ms; for each rename to DIR/FILE (inotify) this prints the time of
 * the rename and the line:
 *
 *   SECONDS.NANOSECONDS FILE LINE
 *
 * Bytes through a process's system calls: with -p, every MS milliseconds
 * (default 10) it reads rchar and wchar from /proc/PID/io (every byte
 * read or written by any of its threads, sockets included) and prints
 * them when they changed:
 *
 *   SECONDS.NANOSECONDS io:NAME rchar=R wchar=W
 *
 * Times are CLOCK_REALTIME, the clock of bash's $EPOCHREALTIME. Output
 * is flushed line by line. Runs until SIGTERM or SIGINT; a process that
 * went away is dropped.
 *
 * Exit status: 0, 1 when inotify or the timer fails, 2 bad usage.
 *
 * Build: cc -O2 -o build/bin/bench-rbs-watch bench/rbs_watch.c
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 8

struct proc {
	char name[32];
	int fd; /* /proc/PID/io, -1 once gone */
	uint64_t rchar, wchar;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void stamp(char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, len, "%lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
}

static void show_status(int dfd, const char *name)
{
	char line[4096], t[32];
	ssize_t n;
	int fd;

	stamp(t, sizeof(t));
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return;
	line[n] = 0;
	line[strcspn(line, "\n")] = 0;
	printf("%s %s %s\n", t, name, line);
	fflush(stdout);
}

static void sample(struct proc *p)
{
	char buf[1024], t[32], *s;
	uint64_t r = 0, w = 0;
	ssize_t n;

	if (p->fd < 0)
		return;
	stamp(t, sizeof(t));
	n = pread(p->fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0) {
		close(p->fd);
		p->fd = -1;
		return;
	}
	buf[n] = 0;
	if ((s = strstr(buf, "rchar: ")) != NULL)
		r = strtoull(s + 7, NULL, 10);
	if ((s = strstr(buf, "wchar: ")) != NULL)
		w = strtoull(s + 7, NULL, 10);
	if (r == p->rchar && w == p->wchar)
		return;
	p->rchar = r;
	p->wchar = w;
	printf("%s io:%s rchar=%" PRIu64 " wchar=%" PRIu64 "\n", t, p->name, r, w);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-rbs-watch [-p NAME=PID]... [-i MS] DIR FILE...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct proc procs[MAX_PROCS];
	struct itimerspec it = {{0, 0}, {0, 0}};
	struct sigaction sa;
	int in, dfd, tfd, c, nprocs = 0, ms = 10;

	while ((c = getopt(argc, argv, "p:i:")) != -1) {
		char path[64], *eq;

		switch (c) {
		case 'p':
			eq = strchr(optarg, '=');
			if (eq == NULL || nprocs == MAX_PROCS || eq - optarg >= 32)
				usage();
			snprintf(procs[nprocs].name, sizeof(procs[nprocs].name), "%.*s",
				 (int)(eq - optarg), optarg);
			snprintf(path, sizeof(path), "/proc/%s/io", eq + 1);
			procs[nprocs].fd = open(path, O_RDONLY | O_CLOEXEC);
			if (procs[nprocs].fd < 0) {
				fprintf(stderr, "bench-rbs-watch: %s: %s\n", path, strerror(errno));
				return 2;
			}
			procs[nprocs].rchar = procs[nprocs].wchar = UINT64_MAX;
			nprocs++;
			break;
		case 'i':
			ms = atoi(optarg);
			if (ms < 1 || ms > 10000)
				usage();
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	dfd = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (in < 0 || dfd < 0 || inotify_add_watch(in, argv[optind], IN_MOVED_TO) < 0) {
		fprintf(stderr, "bench-rbs-watch: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	it.it_interval.tv_sec = it.it_value.tv_sec = ms / 1000;
	it.it_interval.tv_nsec = it.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	if (tfd < 0 || timerfd_settime(tfd, 0, &it, NULL) < 0) {
		fprintf(stderr, "bench-rbs-watch: timer: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < nprocs; i++)
		sample(&procs[i]);
	while (!stop) {
		struct pollfd pf[2] = {{in, POLLIN, 0}, {tfd, POLLIN, 0}};
		uint64_t ticks;
		ssize_t n;

		if (poll(pf, nprocs ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "bench-rbs-watch: poll: %s\n", strerror(errno));
			return 1;
		}
		if (nprocs && (pf[1].revents & POLLIN) && read(tfd, &ticks, sizeof(ticks)) > 0)
			for (int i = 0; i < nprocs; i++)
				sample(&procs[i]);
		if (!(pf[0].revents & POLLIN))
			continue;
		while ((n = read(in, buf, sizeof(buf))) > 0) {
			for (char *p = buf; p < buf + n;) {
				const struct inotify_event *ev = (const struct inotify_event *)p;

				for (int i = optind + 1; ev->len && i < argc; i++)
					if (strcmp(ev->name, argv[i]) == 0)
						show_status(dfd, ev->name);
				p += sizeof(*ev) + ev->len;
			}
		}
	}
	return 0;
}
