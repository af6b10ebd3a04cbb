/*
 * bench-commit: latency of `commit` through cfgd's two-phase commit.
 *
 * A benchmark, not a test: it prints numbers. It talks to cfgd exactly as
 * dbcli does (a DEALER on RUNDIR/cfgd-cli.ipc, one request in flight, Envelope
 * CLI_REQUEST / CLI_REPLY matched by id) and measures, for a `commit`, the
 * time from handing the request to zmq until its reply arrives: cfgd's
 * compile, PREPARE and votes, the fsync'd commit file, COMMIT and acks.
 *
 *   phase 1: one changed line (vrrp priority on eth1, so vrrpd takes part)
 *            then commit, -n times; p50, p90, p99, max.
 *   phase 2: -l configuration lines (VRRP groups over the interfaces
 *            veth0..vethN-1, which must exist, plus remote backup profiles
 *            and services) loaded into one candidate, then one commit;
 *            then a few one-line commits on top of that configuration.
 *
 * For reference it also times the round trip of a request cfgd answers at
 * once, and with -s STATEDIR a 4 KiB write made durable the way cfgd makes
 * a commit durable (write a tmp file, fsync, rename, fsync the directory),
 * so that disk, messaging and cfgd's own work can be told apart.
 *
 * Exit: 0 done, 1 a command was refused (cfgd's answer is printed),
 * 2 usage, 3 cfgd unreachable.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/bus.h"
#include "common/reqclient.h"

#define SHORT_TIMEOUT_MS 5000
#define COMMIT_TIMEOUT_MS 60000

/* Interfaces that phase 2 spreads its VRRP groups over; commit.sh creates
 * them (veth pairs vethN / vethNp). */
#define DEF_IFACES 40
#define DEF_ITER 1000
#define DEF_LINES 10000
/* RBS and RBP objects of phase 2: each profile binds two of the groups
 * (odd and even MAC) and names one of the services. */
#define RBS_COUNT 4
#define RBP_COUNT 40
/* one-line commits timed again once the big configuration runs */
#define DEF_ON_TOP 20

/* Addresses phase 2 must not hand out as virtual IPs. */
#define ETH1_VIP "192.0.2.254"
#define RBS_SOURCE "198.51.100.1"

#define TARGET_P50_MS 1.0
#define TARGET_P99_MS 5.0
#define TARGET_BIG_S 0.5
/* a one-line commit on top of the big configuration (issue 19) */
#define TARGET_ON_BIG_MS 5.0

enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
};

struct bench {
	const char *rundir;
	const char *statedir;
	unsigned iterations;
	unsigned lines;
	unsigned on_top; /* one-line commits on top of the big configuration */
	unsigned ifaces;
	void *zctx;
	void *z;
	void *vrrpd; /* vrrpd's control socket, for `display vrrp` */
	uint64_t seq;
	/* -p NAME=PID: daemons whose CPU time the on-top phase reports */
	struct {
		const char *name;
		int pid;
	} procs[8];
	unsigned nprocs;
	/* the headline figures, for the SUMMARY lines (bench/summary.sh) */
	double fsync_ms[2]; /* fsync reference before and after phase 1; 0: none */
	double p50_ms, p99_ms, big_s, settle_s, big_p50_ms;
};

struct reply {
	bool ok;
	char *output;
	double rtt_ms; /* from sending the request to its reply, unpacked */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: bench-commit -r RUNDIR [-s STATEDIR] [-n ITER] [-l LINES] [-i IFACES] [-t "
	    "ON_TOP]\n"
	    "  -r RUNDIR    cfgd at RUNDIR/cfgd-cli.ipc, with vrrpd, rbsd and rbpd connected\n"
	    "  -s STATEDIR  also time one fsync'd 4 KiB write there (cfgd's state dir)\n"
	    "  -n ITER      one-line commits in phase 1 (default %u; 0 skips it)\n"
	    "  -l LINES     configuration lines of the phase 2 commit (default %u; 0 skips)\n"
	    "  -i IFACES    interfaces veth0..veth<IFACES-1> for phase 2 (default %u)\n"
	    "  -t ON_TOP    one-line commits on top of the phase 2 configuration (default %u)\n"
	    "  -p NAME=PID  a daemon whose CPU time per on-top commit is reported (repeatable)\n"
	    "The daemons' namespace needs eth1, with " RBS_SOURCE " for phase 2, and vethN.\n",
	    DEF_ITER, DEF_LINES, DEF_IFACES, DEF_ON_TOP);
}

static void bench_close(struct bench *b)
{
	if (b->z)
		zmq_close(b->z);
	b->z = NULL;
	if (b->vrrpd)
		zmq_close(b->vrrpd);
	b->vrrpd = NULL;
	if (b->zctx)
		zmq_ctx_term(b->zctx);
	b->zctx = NULL;
}

static void __attribute__((noreturn)) die(struct bench *b, int code)
{
	fflush(stdout);
	bench_close(b);
	exit(code);
}

/*
 * Send one CliRequest and wait for the CliReply with its id. Returns 0
 * and fills *r (free r->output), or a negative errno: -ETIMEDOUT when
 * cfgd did not answer in time, -EBADMSG for a malformed reply.
 */
static int cfgd_call(struct bench *b, Db__CliOp op, const char *line, int timeout_ms,
		     struct reply *r)
{
	Db__CliRequest req = DB__CLI_REQUEST__INIT;
	Db__CliReply *rep;
	double t0 = now_s();
	uint8_t *pl;
	size_t plen;
	int rc;

	memset(r, 0, sizeof(*r));
	req.op = op;
	req.line = (char *)line;
	req.user = (char *)"bench";
	rc = req_call(b->z, DB__MSG_TYPE__MSG_CLI_REQUEST, DB__ROLE__ROLE_CLI, ++b->seq, &req.base,
		      DB__MSG_TYPE__MSG_CLI_REPLY, DB__ROLE__ROLE_CFGD, req_now_ms() + timeout_ms,
		      NULL, &pl, &plen);
	if (rc < 0)
		return rc;
	r->rtt_ms = (now_s() - t0) * 1e3;
	rep = db__cli_reply__unpack(NULL, plen, pl);
	free(pl);
	if (rep == NULL)
		return -EBADMSG;
	r->ok = rep->ok;
	r->output = strdup(rep->output ? rep->output : "");
	db__cli_reply__free_unpacked(rep, NULL);
	if (r->output == NULL)
		return -ENOMEM;
	return 0;
}

/*
 * Run one line; a refusal or a silent cfgd ends the benchmark. Returns
 * the round-trip time in ms; *out, if given, gets the output (free it).
 */
static double run(struct bench *b, const char *line, int timeout_ms, char **out)
{
	struct reply r;
	int rc = cfgd_call(b, DB__CLI_OP__CLI_EXEC, line, timeout_ms, &r);

	if (rc < 0) {
		fflush(stdout);
		fprintf(stderr, "bench-commit: '%s': cfgd at %s: %s\n", line, b->rundir,
			rc == -ETIMEDOUT ? "no answer" : strerror(-rc));
		die(b, EXIT_UNREACHABLE);
	}
	if (!r.ok) {
		fflush(stdout);
		fprintf(stderr, "bench-commit: command refused: %s\n%s\n", line, r.output);
		free(r.output);
		die(b, EXIT_REFUSED);
	}
	if (out)
		*out = r.output;
	else
		free(r.output);
	return r.rtt_ms;
}

static double __attribute__((format(printf, 4, 5)))
runf(struct bench *b, int timeout_ms, char **out, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return run(b, line, timeout_ms, out);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[n]. */
static double pct(const double *v, size_t n, double q)
{
	size_t k = (size_t)(q * (double)n + 0.999999);

	if (k == 0)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (*s == '\n')
			n++;
	if (s[-1] != '\n')
		n++;
	return n;
}

static void count_warnings(const char *out, unsigned *warn)
{
	if (out && strstr(out, "Warning"))
		(*warn)++;
}

/* ---- fsync reference ---------------------------------------------------- */

/* One 4 KiB file made durable as cfgd makes a commit durable: write a tmp
 * file, fsync it, rename it over the name, fsync the directory. */
static int fsync_once(int dfd, const char *buf, double *ms)
{
	const char *tmp = "bench-fsync.ref.tmp", *name = "bench-fsync.ref";
	double t0 = now_s();
	int fd, rc = 0;

	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, 4096) != 4096)
		rc = -EIO;
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && renameat(dfd, tmp, dfd, name) < 0)
		rc = -errno;
	if (rc == 0 && fsync(dfd) < 0)
		rc = -errno;
	*ms = (now_s() - t0) * 1e3;
	unlinkat(dfd, tmp, 0);
	return rc;
}

static void fsync_reference(struct bench *b, const char *when, double *median)
{
	enum { N = 21 };
	double v[N];
	char buf[4096];
	int dfd, rc = 0;

	memset(buf, 'x', sizeof(buf));
	dfd = open(b->statedir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		printf("fsync reference: cannot open %s: %s\n", b->statedir, strerror(errno));
		return;
	}
	for (int i = 0; i < N && rc == 0; i++)
		rc = fsync_once(dfd, buf, &v[i]);
	unlinkat(dfd, "bench-fsync.ref", 0);
	close(dfd);
	if (rc < 0) {
		printf("fsync reference: %s: %s\n", b->statedir, strerror(-rc));
		return;
	}
	qsort(v, N, sizeof(v[0]), cmp_double);
	*median = v[N / 2];
	printf("fsync reference %s: 4 KiB write+fsync+rename+fsync(dir) in the state dir: "
	       "%.3f ms (median of %d, min %.3f, max %.3f)\n",
	       when, v[N / 2], N, v[0], v[N - 1]);
}

/* The round trip of a request cfgd answers at once (an empty line): what
 * one hop between processes costs here, the unit of the commit's four
 * (CLI request and reply, PREPARE and vote, COMMIT and ack). */
static void rtt_reference(struct bench *b)
{
	enum { N = 201 };
	double v[N];

	for (int i = 0; i < N; i++)
		v[i] = run(b, "", SHORT_TIMEOUT_MS, NULL);
	qsort(v, N, sizeof(v[0]), cmp_double);
	printf("round trip reference: an empty line to cfgd and back: %.3f ms (median of %d, "
	       "min %.3f, max %.3f)\n",
	       v[N / 2], N, v[0], v[N - 1]);
}

/* ---- phase 1: one line, many commits ------------------------------------ */

static void phase_one_line(struct bench *b)
{
	double *v = calloc(b->iterations, sizeof(double));
	double total = 0, p50, p90, p99;
	unsigned warn = 0;

	if (v == NULL) {
		fprintf(stderr, "bench-commit: out of memory\n");
		die(b, EXIT_REFUSED);
	}
	/* the group whose priority the loop toggles */
	run(b, "interface eth1", SHORT_TIMEOUT_MS, NULL);
	run(b, "vrrp vrid 1 virtual-ip " ETH1_VIP, SHORT_TIMEOUT_MS, NULL);
	run(b, "vrrp vrid 1 priority 100", SHORT_TIMEOUT_MS, NULL);
	run(b, "commit", COMMIT_TIMEOUT_MS, NULL);

	for (unsigned i = 0; i < b->iterations; i++) {
		char *out = NULL;

		runf(b, SHORT_TIMEOUT_MS, NULL, "vrrp vrid 1 priority %u", i % 2 ? 100 : 101);
		v[i] = run(b, "commit", COMMIT_TIMEOUT_MS, &out);
		count_warnings(out, &warn);
		if (out && strstr(out, "No configuration changes")) {
			fprintf(stderr, "bench-commit: commit %u changed nothing: %s\n", i, out);
			free(out);
			free(v);
			die(b, EXIT_REFUSED);
		}
		free(out);
		total += v[i];
	}
	run(b, "quit", SHORT_TIMEOUT_MS, NULL);
	qsort(v, b->iterations, sizeof(v[0]), cmp_double);
	p50 = pct(v, b->iterations, 0.50);
	p90 = pct(v, b->iterations, 0.90);
	p99 = pct(v, b->iterations, 0.99);
	printf("commit one line x%u: p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms  "
	       "(mean %.3f ms, min %.3f ms) (target p50 <= %g ms, p99 <= %g ms: %s)\n",
	       b->iterations, p50, p90, p99, v[b->iterations - 1], total / b->iterations, v[0],
	       TARGET_P50_MS, TARGET_P99_MS,
	       p50 <= TARGET_P50_MS && p99 <= TARGET_P99_MS ? "met" : "MISSED");
	b->p50_ms = p50;
	b->p99_ms = p99;
	if (warn)
		printf("  %u of the commits answered with a warning (a daemon did not confirm)\n",
		       warn);
	free(v);
}

/* ---- phase 2: one big commit -------------------------------------------- */

/*
 * Ask vrrpd's control socket (RUNDIR/vrrpd.ipc) what dbcli asks it for
 * `display WHAT`. Returns 0 and the text in *text (free it), or a negative
 * errno (-ETIMEDOUT: vrrpd did not answer in SHORT_TIMEOUT_MS).
 */
static int query_vrrpd(struct bench *b, Db__QueryKind kind, char **text)
{
	Db__Query q = DB__QUERY__INIT;
	Db__QueryReply *qr;
	char ep[PATH_MAX + 16];
	int zero = 0, rc;
	uint8_t *pl;
	size_t plen;

	*text = NULL;
	if (b->vrrpd == NULL) {
		snprintf(ep, sizeof(ep), "ipc://%s/vrrpd.ipc", b->rundir);
		b->vrrpd = zmq_socket(b->zctx, ZMQ_DEALER);
		if (b->vrrpd == NULL)
			return -errno;
		zmq_setsockopt(b->vrrpd, ZMQ_LINGER, &zero, sizeof(zero));
		if (zmq_connect(b->vrrpd, ep) < 0) {
			rc = -errno;
			zmq_close(b->vrrpd);
			b->vrrpd = NULL;
			return rc;
		}
	}
	q.kind = kind;
	rc = req_call(b->vrrpd, DB__MSG_TYPE__MSG_QUERY, DB__ROLE__ROLE_CLI, ++b->seq, &q.base,
		      DB__MSG_TYPE__MSG_QUERY_REPLY, DB__ROLE__ROLE_VRRPD,
		      req_now_ms() + SHORT_TIMEOUT_MS, NULL, &pl, &plen);
	if (rc < 0) {
		/* drop the socket and the query queued in it */
		zmq_close(b->vrrpd);
		b->vrrpd = NULL;
		return rc;
	}
	qr = db__query_reply__unpack(NULL, plen, pl);
	free(pl);
	if (qr == NULL)
		return -EBADMSG;
	*text = strdup(qr->ok && qr->text ? qr->text : "");
	db__query_reply__free_unpacked(qr, NULL);
	return *text ? 0 : -ENOMEM;
}

/* Lines of `display vrrp brief` whose state is Master. */
static unsigned count_masters(const char *out)
{
	unsigned n = 0;

	for (const char *l = out; l && *l;) {
		const char *nl = strchr(l, '\n');
		unsigned vrid;
		char state[16];

		if (sscanf(l, "%u %15s", &vrid, state) == 2 && strcmp(state, "Master") == 0)
			n++;
		l = nl ? nl + 1 : NULL;
	}
	return n;
}

/* Every daemon of `display configuration sync` up and in sync ("yes"). */
static bool all_in_sync(const char *out)
{
	static const char *const daemons[] = {"vrrpd", "rbsd", "rbpd"};

	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		const char *l = out;
		bool ok = false;

		while (l && *l && !ok) {
			const char *nl = strchr(l, '\n');
			size_t len = nl ? (size_t)(nl - l) : strlen(l), dl = strlen(daemons[i]);

			ok = len > dl + 4 && strncmp(l, daemons[i], dl) == 0 && l[dl] == ' ' &&
			     memmem(l, len, " up ", 4) != NULL && strncmp(l + len - 3, "yes", 3) == 0;
			l = nl ? nl + 1 : NULL;
		}
		if (!ok)
			return false;
	}
	return true;
}

/*
 * After the big commit, vrrpd takes every new group to Master (nothing
 * else advertises on the veth pairs): until then the one-line commits would
 * measure that storm, not the commit. Wait until `display vrrp brief` shows
 * `masters` groups Master and every daemon in sync again, at most
 * SETTLE_MAX_S from t0 (now_s()); returns the seconds since t0, or a
 * negative value.
 */
#define SETTLE_MAX_S 120.0

static double settle(struct bench *b, unsigned masters, double t0)
{
	unsigned seen = 0;

	while (now_s() - t0 < SETTLE_MAX_S) {
		struct reply r;
		bool synced = false;

		char *text = NULL;

		/* a display is answered by the daemon, as dbcli asks it */
		if (query_vrrpd(b, DB__QUERY_KIND__QUERY_VRRP_BRIEF, &text) == 0)
			seen = count_masters(text);
		free(text);
		if (seen >= masters &&
		    cfgd_call(b, DB__CLI_OP__CLI_EXEC, "display configuration sync",
			      SHORT_TIMEOUT_MS, &r) == 0) {
			synced = r.ok && all_in_sync(r.output);
			free(r.output);
		}
		if (synced)
			return now_s() - t0;
		usleep(200 * 1000);
	}
	fprintf(stderr, "bench-commit: %u of %u groups Master after %g s\n", seen, masters,
		SETTLE_MAX_S);
	return -1;
}

/*
 * The i-th virtual IP of phase 2: first the IPv4 documentation prefixes
 * (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24: hosts .1-.254, less the
 * addresses eth1's group and the RBS use), then 2001:db8::/32 (also a
 * documentation prefix) for vrrp6 groups, since three /24s hold only 762
 * addresses and every virtual IP on a device must be unique.
 */
static bool vip(unsigned i, char *out, size_t len)
{
	static const char *const pfx[] = {"192.0.2", "198.51.100", "203.0.113"};
	static char v4[3 * 254][20];
	static unsigned n4;

	if (n4 == 0) {
		for (size_t p = 0; p < sizeof(pfx) / sizeof(pfx[0]); p++) {
			for (unsigned h = 1; h <= 254; h++) {
				char *a = v4[n4];

				snprintf(a, sizeof(v4[0]), "%s.%u", pfx[p], h);
				if (strcmp(a, ETH1_VIP) != 0 && strcmp(a, RBS_SOURCE) != 0)
					n4++;
			}
		}
	}
	if (i < n4) {
		snprintf(out, len, "%s", v4[i]);
		return false;
	}
	i -= n4;
	snprintf(out, len, "2001:db8:%x::%x", i / 0xfffe + 1, i % 0xfffe + 1);
	return true;
}

/* The commands of the candidate load, each timed. */
#define SLOW_MS 1.0

struct load {
	double *rtt;
	size_t n, cap;
	double worst, slow_ms; /* slow: commands over SLOW_MS */
	size_t nslow;
	char worst_line[256];
};

static void __attribute__((format(printf, 3, 4)))
ld(struct bench *b, struct load *l, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	double t;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	t = run(b, line, SHORT_TIMEOUT_MS, NULL);
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16384;
		double *v = realloc(l->rtt, cap * sizeof(*v));

		if (v == NULL) {
			fprintf(stderr, "bench-commit: out of memory\n");
			die(b, EXIT_REFUSED);
		}
		l->rtt = v;
		l->cap = cap;
	}
	l->rtt[l->n++] = t;
	if (t > SLOW_MS) {
		l->nslow++;
		l->slow_ms += t;
	}
	if (t > l->worst) {
		l->worst = t;
		snprintf(l->worst_line, sizeof(l->worst_line), "%s", line);
	}
}

/* A process's CPU time so far (user + system, /proc/PID/stat), in ms;
 * -1 when it cannot be read. */
static double cpu_ms(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after "(comm)": state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static void phase_big(struct bench *b)
{
	/* one peer line per service; four lines per profile, and one on
	 * each interface that names a profile */
	unsigned rbs_lines = RBS_COUNT,
		 rbp_lines = RBP_COUNT * 4 + (RBP_COUNT < b->ifaces ? RBP_COUNT : b->ifaces);
	unsigned groups, min_groups, conf_lines = 0, nv4 = 0, nv6 = 0, gi = 0, eth1_group;
	struct load l = {0};
	double t0, t_commit, load_s, commit_ms, disp_ms, settle_s, *big, cpu0[8];
	char *out = NULL;

	/* Two lines per group (virtual-ip, priority), as many groups as the
	 * lines the services and profiles leave; profile p binds groups
	 * 2 * (p / ifaces) + 1 and + 2 of interface veth<p % ifaces>. */
	min_groups = b->ifaces * 2 * ((RBP_COUNT + b->ifaces - 1) / b->ifaces);
	if (b->lines < rbs_lines + rbp_lines + 2 * min_groups) {
		fprintf(stderr, "bench-commit: -l %u: at least %u lines with %u interfaces\n",
			b->lines, rbs_lines + rbp_lines + 2 * min_groups, b->ifaces);
		die(b, EXIT_USAGE);
	}
	groups = (b->lines - rbs_lines - rbp_lines + 1) / 2;
	if (groups > 255 * b->ifaces) {
		fprintf(stderr, "bench-commit: %u groups do not fit on %u interfaces (255 each)\n",
			groups, b->ifaces);
		die(b, EXIT_USAGE);
	}

	run(b, "system-view", SHORT_TIMEOUT_MS, NULL);
	t0 = now_s();
	/* VRRP groups, spread evenly over the interfaces */
	for (unsigned f = 0; f < b->ifaces; f++) {
		unsigned here = groups / b->ifaces + (f < groups % b->ifaces);

		ld(b, &l, "interface veth%u", f);
		for (unsigned v = 1; v <= here; v++, gi++) {
			char a[64];
			bool v6 = vip(gi, a, sizeof(a));

			ld(b, &l, "vrrp%s vrid %u virtual-ip %s", v6 ? "6" : "", v, a);
			ld(b, &l, "vrrp%s vrid %u priority %u", v6 ? "6" : "", v,
			   100 + (gi % 100));
			conf_lines += 2;
			if (v6)
				nv6++;
			else
				nv4++;
		}
		ld(b, &l, "quit");
	}
	/* remote backup services: the source is on eth1 (commit.sh puts it
	 * there), one port each */
	for (unsigned s = 0; s < RBS_COUNT; s++) {
		ld(b, &l, "remote-backup-service brs%u", s);
		ld(b, &l, "peer 198.51.100.2 source " RBS_SOURCE " port %u", 17000 + s);
		ld(b, &l, "quit");
		conf_lines += 1;
	}
	/* profiles: groups 1 (odd) and 2 (even) of interface vethN */
	for (unsigned p = 0; p < RBP_COUNT; p++) {
		unsigned f = p % b->ifaces, v = 2 * (p / b->ifaces) + 1;

		ld(b, &l, "remote-backup-profile bp%u", p);
		ld(b, &l, "peer-backup hot");
		ld(b, &l, "vrrp-id %u interface veth%u odd-mac", v, f);
		ld(b, &l, "vrrp-id %u interface veth%u even-mac", v + 1, f);
		ld(b, &l, "backup-id %u remote-backup-service brs%u", 100 + p, p % RBS_COUNT);
		ld(b, &l, "quit");
		conf_lines += 4;
	}
	/* and the interfaces name their profile */
	for (unsigned p = 0; p < RBP_COUNT && p < b->ifaces; p++) {
		ld(b, &l, "interface veth%u", p);
		ld(b, &l, "remote-backup-profile bp%u", p);
		ld(b, &l, "quit");
		conf_lines += 1;
	}
	load_s = now_s() - t0;
	printf("candidate load %u lines: %.3f s (%zu commands with the view changes, "
	       "one at a time as dbcli sends them)\n",
	       conf_lines, load_s, l.n);
	qsort(l.rtt, l.n, sizeof(l.rtt[0]), cmp_double);
	printf("  per command: p50 %.3f ms  p99 %.3f ms  max %.3f ms ('%s'); "
	       "%zu over %g ms, %.3f s in all\n",
	       pct(l.rtt, l.n, 0.50), pct(l.rtt, l.n, 0.99), l.worst, l.worst_line, l.nslow,
	       SLOW_MS, l.slow_ms / 1e3);
	free(l.rtt);
	printf("  %u VRRP groups on %u interfaces (%u IPv4, %u IPv6 virtual IPs), %u RBS, "
	       "%u RBP\n",
	       groups, b->ifaces, nv4, nv6, RBS_COUNT, RBP_COUNT);

	commit_ms = run(b, "commit", COMMIT_TIMEOUT_MS, &out);
	t_commit = now_s();
	b->big_s = commit_ms / 1e3;
	printf("commit %u lines: %.3f s (target <= %g s: %s)\n", conf_lines, commit_ms / 1e3,
	       TARGET_BIG_S, commit_ms / 1e3 <= TARGET_BIG_S ? "met" : "MISSED");
	if (out && *out)
		printf("  cfgd said: %s\n", out);
	free(out);
	out = NULL;

	disp_ms = run(b, "display current-configuration", COMMIT_TIMEOUT_MS, &out);
	printf("display current-configuration: %zu lines, %zu bytes, %.3f ms\n",
	       *out ? count_lines(out) : 0, strlen(out), disp_ms);
	free(out);

	/* every group of the big configuration, and eth1's when phase 1
	 * made it (-n 0 skips phase 1) */
	eth1_group = b->iterations > 0;
	settle_s = settle(b, groups + eth1_group, t_commit);
	if (settle_s < 0)
		die(b, EXIT_REFUSED);
	b->settle_s = settle_s;
	printf("settled: %u groups Master, every daemon in sync, %.3f s after the commit's "
	       "answer\n",
	       groups + eth1_group, settle_s);
	fflush(stdout);

	/* one-line commits again, now that the configuration is big */
	run(b, "interface eth1", SHORT_TIMEOUT_MS, NULL);
	run(b, "vrrp vrid 1 virtual-ip " ETH1_VIP, SHORT_TIMEOUT_MS, NULL);
	big = calloc(b->on_top, sizeof(*big));
	if (big == NULL)
		die(b, EXIT_REFUSED);
	for (unsigned k = 0; k < b->nprocs; k++)
		cpu0[k] = cpu_ms(b->procs[k].pid);
	for (unsigned i = 0; i < b->on_top; i++) {
		runf(b, SHORT_TIMEOUT_MS, NULL, "vrrp vrid 1 priority %u", 110 + i % 2);
		big[i] = run(b, "commit", COMMIT_TIMEOUT_MS, NULL);
	}
	/* where the time went: each daemon's CPU (user + system) per commit,
	 * the daemons' own work, however they overlap */
	for (unsigned k = 0; k < b->nprocs; k++) {
		double c = cpu_ms(b->procs[k].pid);

		printf("%s %s %.3f ms",
		       k ? "," : "  CPU per commit on top (user + system):", b->procs[k].name,
		       c >= 0 && cpu0[k] >= 0 ? (c - cpu0[k]) / b->on_top : -1.0);
		if (k + 1 == b->nprocs)
			printf("\n");
	}
	run(b, "quit", SHORT_TIMEOUT_MS, NULL);
	qsort(big, b->on_top, sizeof(big[0]), cmp_double);
	b->big_p50_ms = pct(big, b->on_top, 0.5);
	printf("commit one line on top of the %u-line configuration x%u: p50 %.3f ms  p99 %.3f ms  "
	       "max %.3f ms  (min %.3f ms)\n",
	       conf_lines, b->on_top, pct(big, b->on_top, 0.5), pct(big, b->on_top, 0.99),
	       big[b->on_top - 1], big[0]);
	free(big);
}

/*
 * The headline figures as SUMMARY lines (bench/summary.sh): the one-line
 * commit against the fsync reference of the same run (the mean of the
 * medians before and after), the big commit, the one-line commit on top.
 */
static void print_summary(const struct bench *b)
{
	char anchor[64] = "- -";
	int n = (b->fsync_ms[0] > 0) + (b->fsync_ms[1] > 0);

	if (n)
		snprintf(anchor, sizeof(anchor), "fsync %.3f", (b->fsync_ms[0] + b->fsync_ms[1]) / n);
	if (b->iterations) {
		printf("SUMMARY commit_one_line_p50 %.3f ms <=%g %s\n", b->p50_ms, TARGET_P50_MS,
		       anchor);
		printf("SUMMARY commit_one_line_p99 %.3f ms <=%g %s\n", b->p99_ms, TARGET_P99_MS,
		       anchor);
	}
	if (b->lines) {
		printf("SUMMARY commit_%u_lines %.3f s <=%g - -\n", b->lines, b->big_s, TARGET_BIG_S);
		printf("SUMMARY commit_%u_lines_settled %.3f s - - -\n", b->lines, b->settle_s);
		printf("SUMMARY commit_one_line_on_%u_p50 %.3f ms <=%g %s\n", b->lines,
		       b->big_p50_ms, TARGET_ON_BIG_MS, anchor);
	}
}

int main(int argc, char **argv)
{
	struct bench bench = {
	    .iterations = DEF_ITER,
	    .lines = DEF_LINES,
	    .ifaces = DEF_IFACES,
	    .on_top = DEF_ON_TOP,
	};
	struct bench *b = &bench;
	char ep[PATH_MAX + 16], *end;
	struct reply r;
	int opt, zero = 0, rc;

	while ((opt = getopt(argc, argv, "r:s:n:l:i:t:p:h")) != -1) {
		unsigned long v = 0;

		if (opt == 'n' || opt == 'l' || opt == 'i' || opt == 't') {
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || v > 1000000) {
				fprintf(stderr, "bench-commit: -%c %s: not a number\n", opt,
					optarg);
				return EXIT_USAGE;
			}
		}
		switch (opt) {
		case 'r':
			b->rundir = optarg;
			break;
		case 's':
			b->statedir = optarg;
			break;
		case 'n':
			b->iterations = (unsigned)v;
			break;
		case 'l':
			b->lines = (unsigned)v;
			break;
		case 'i':
			b->ifaces = (unsigned)v;
			break;
		case 't':
			b->on_top = (unsigned)v;
			break;
		case 'p': {
			char *eq = strchr(optarg, '=');

			if (eq == NULL || b->nprocs == sizeof(b->procs) / sizeof(b->procs[0]) ||
			    atoi(eq + 1) <= 0) {
				fprintf(stderr, "bench-commit: -p %s: want NAME=PID\n", optarg);
				return EXIT_USAGE;
			}
			*eq = '\0';
			b->procs[b->nprocs].name = optarg;
			b->procs[b->nprocs++].pid = atoi(eq + 1);
			break;
		}
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || b->rundir == NULL || *b->rundir == '\0' || b->ifaces == 0 ||
	    b->on_top == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((size_t)snprintf(ep, sizeof(ep), "ipc://%s/cfgd-cli.ipc", b->rundir) >= sizeof(ep)) {
		fprintf(stderr, "bench-commit: RUNDIR too long\n");
		return EXIT_USAGE;
	}

	b->zctx = zmq_ctx_new();
	if (b->zctx)
		b->z = zmq_socket(b->zctx, ZMQ_DEALER);
	if (b->z == NULL || zmq_setsockopt(b->z, ZMQ_LINGER, &zero, sizeof(zero)) < 0 ||
	    zmq_connect(b->z, ep) < 0) {
		fprintf(stderr, "bench-commit: %s: %s\n", ep, zmq_strerror(errno));
		die(b, EXIT_UNREACHABLE);
	}
	rc = cfgd_call(b, DB__CLI_OP__CLI_OPEN, "", SHORT_TIMEOUT_MS, &r);
	if (rc < 0) {
		fprintf(stderr, "bench-commit: cfgd at %s: %s\n", b->rundir,
			rc == -ETIMEDOUT ? "no answer" : strerror(-rc));
		die(b, EXIT_UNREACHABLE);
	}
	free(r.output);
	run(b, "system-view", SHORT_TIMEOUT_MS, NULL);

	/* the disk before and after phase 1: it is noisy on a VM */
	if (b->statedir)
		fsync_reference(b, "before", &b->fsync_ms[0]);
	rtt_reference(b);
	fflush(stdout);
	if (b->iterations)
		phase_one_line(b);
	if (b->statedir)
		fsync_reference(b, "after ", &b->fsync_ms[1]);
	fflush(stdout);
	if (b->lines)
		phase_big(b);

	cfgd_call(b, DB__CLI_OP__CLI_CLOSE, "", 200, &r);
	free(r.output);
	print_summary(b);
	die(b, EXIT_OK);
}
