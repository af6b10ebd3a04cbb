/* A daemon's start (common/daemon.h), as an operator or systemd meets it:
 * its options and help, the run directory it makes and the one it
 * refuses, the pid file that keeps a second instance out, -u's checks.
 * Each start runs in a child of the test, its output captured. As root
 * (the run directory's ownership is part of what is checked). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/daemon.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/tmproot.h"

static char root[64];

/* One root for the case, made and removed by the runner's process: a
 * test that fails leaves nothing behind. Each test uses its own names. */
static void root_make(void)
{
	tmproot_make(root, sizeof(root), "check_daemon");
}

static void root_remove(void)
{
	tmproot_remove(root);
}

struct child {
	pid_t pid;
	int out;  /* its stdout and stderr */
	int hold; /* written to let a started child exit */
};

/* daemon_start(name, argv) in a child; once started, the child says so
 * and waits for a byte on hold (or exits at once with hold 0). */
static struct child start(const char *name, bool with_statedir, char **argv, bool hold)
{
	int out[2], h[2];
	struct child c = {0};
	int argc = 0;

	while (argv[argc])
		argc++;
	ck_assert_int_eq(pipe(out), 0);
	ck_assert_int_eq(pipe(h), 0);
	c.pid = fork();
	ck_assert_int_ge(c.pid, 0);
	if (c.pid == 0) {
		struct daemon_opts o = {.name = name};
		char b;

		dup2(out[1], 1);
		dup2(out[1], 2);
		close(out[0]);
		close(h[1]);
		daemon_start(&o, argc, argv, with_statedir);
		printf("started as uid %u\n", (unsigned)geteuid());
		fflush(stdout);
		if (hold)
			(void)read(h[0], &b, 1);
		_exit(0);
	}
	close(out[1]);
	close(h[0]);
	c.out = out[0];
	c.hold = h[1];
	return c;
}

/* Until the child ends: its exit code, its output in buf. */
static int finish(struct child *c, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	int st;

	close(c->hold);
	while (n + 1 < len && (r = read(c->out, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(c->out);
	ck_assert_int_eq(waitpid(c->pid, &st, 0), c->pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* Until the child has said it started (it then waits). */
static void started(struct child *c)
{
	char buf[256];
	size_t n = 0;
	ssize_t r;

	while (n + 1 < sizeof(buf) && (r = read(c->out, buf + n, 1)) > 0)
		if (buf[n++] == '\n' && strstr(buf, "started"))
			return;
	buf[n] = '\0';
	ck_abort_msg("the daemon did not start: %s", buf);
}

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})

START_TEST(h_prints_the_options_and_exits_0)
{
	char out[2048];
	struct child c = start("vrrpd", false, ARGV("vrrpd", "-h"), false);

	ck_assert_int_eq(finish(&c, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "usage: vrrpd [-d] [-v] [-r RUNDIR] [-u USER]\n"), "%s", out);
	ck_assert_msg(strstr(out, "keeping only the capabilities vrrpd needs"), "%s", out);
	ck_assert_ptr_null(strstr(out, "STATEDIR"));
	c = start("cfgd", true, ARGV("cfgd", "-h"), false);
	ck_assert_int_eq(finish(&c, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "usage: cfgd [-d] [-v] [-r RUNDIR] [-u USER] [-s STATEDIR]"),
		      "%s", out);
}
END_TEST

START_TEST(a_bad_option_or_a_stray_argument_exits_2_with_the_usage)
{
	char out[2048];
	struct child c = start("rbsd", false, ARGV("rbsd", "-x"), false);

	ck_assert_int_eq(finish(&c, out, sizeof(out)), 2);
	ck_assert_msg(strstr(out, "usage: rbsd"), "%s", out);
	/* -s is cfgd's only */
	c = start("rbsd", false, ARGV("rbsd", "-s", "/tmp"), false);
	ck_assert_int_eq(finish(&c, out, sizeof(out)), 2);
	c = start("rbpd", false, ARGV("rbpd", "-d", "extra"), false);
	ck_assert_int_eq(finish(&c, out, sizeof(out)), 2);
}
END_TEST

START_TEST(the_run_directory_is_made_0750_with_the_pid_in_its_pid_file)
{
	char run[128], state[128], path[160], out[1024], pid[32];
	struct child c;
	struct stat st;
	FILE *f;

	snprintf(run, sizeof(run), "%s/a/run", root);
	snprintf(state, sizeof(state), "%s/a/state", root);
	c = start("cfgd", true, ARGV("cfgd", "-d", "-v", "-r", run, "-s", state), true);
	started(&c);
	ck_assert_int_eq(stat(run, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0750);
	ck_assert_int_eq(stat(state, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/cfgd.pid", run);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(pid, sizeof(pid), f));
	fclose(f);
	ck_assert_int_eq(atol(pid), c.pid);
	ck_assert_int_eq(finish(&c, out, sizeof(out)), 0);
}
END_TEST

START_TEST(a_second_instance_on_the_same_run_directory_is_refused)
{
	char run[128], out[1024], want[256];
	struct child a, b;

	snprintf(run, sizeof(run), "%s/run", root);
	a = start("vrrpd", false, ARGV("vrrpd", "-d", "-r", run), true);
	started(&a);
	b = start("vrrpd", false, ARGV("vrrpd", "-d", "-r", run), false);
	ck_assert_int_ne(finish(&b, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "vrrpd is already running in %s (pid %d)", run, (int)a.pid);
	ck_assert_msg(strstr(out, want), "%s", out);
	ck_assert_ptr_null(strstr(out, "started"));
	/* another daemon shares the directory */
	b = start("rbsd", false, ARGV("rbsd", "-d", "-r", run), false);
	ck_assert_int_eq(finish(&b, out, sizeof(out)), 0);
	ck_assert_int_eq(finish(&a, out, sizeof(out)), 0);
}
END_TEST

START_TEST(a_run_directory_of_another_user_or_a_planted_pid_file_is_refused)
{
	char run[128], path[160], out[1024];
	struct child c;

	/* anyone could put sockets and pid files there */
	snprintf(run, sizeof(run), "%s/theirs", root);
	ck_assert_int_eq(mkdir(run, 0755), 0);
	ck_assert_int_eq(chown(run, 65534, 65534), 0);
	c = start("rbpd", false, ARGV("rbpd", "-d", "-r", run), false);
	ck_assert_int_ne(finish(&c, out, sizeof(out)), 0);
	ck_assert_msg(
	    strstr(out, "is owned by uid 65534, not root or the daemons' user: refusing it"), "%s",
	    out);
	/* a pid file that is a link to elsewhere is not followed */
	snprintf(run, sizeof(run), "%s/ours", root);
	ck_assert_int_eq(mkdir(run, 0750), 0);
	snprintf(path, sizeof(path), "%s/rbpd.pid", run);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	c = start("rbpd", false, ARGV("rbpd", "-d", "-r", run), false);
	ck_assert_int_ne(finish(&c, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "cannot open"), "%s", out);
}
END_TEST

START_TEST(u_names_an_existing_user_other_than_root)
{
	char run[128], out[1024];
	struct child c;

	snprintf(run, sizeof(run), "%s/u", root);
	c = start("vrrpd", false, ARGV("vrrpd", "-d", "-r", run, "-u", "no-such-user-here"), false);
	ck_assert_int_ne(finish(&c, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "-u no-such-user-here: no such user"), "%s", out);
	c = start("vrrpd", false, ARGV("vrrpd", "-d", "-r", run, "-u", "root"), false);
	ck_assert_int_ne(finish(&c, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "-u root: that is root; run without -u instead"), "%s", out);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    h_prints_the_options_and_exits_0,
	    a_bad_option_or_a_stray_argument_exits_2_with_the_usage,
	    the_run_directory_is_made_0750_with_the_pid_in_its_pid_file,
	    a_second_instance_on_the_same_run_directory_is_refused,
	    a_run_directory_of_another_user_or_a_planted_pid_file_is_refused,
	    u_names_an_existing_user_other_than_root,
	    NULL,
	};
	const struct checkrun_case core = {
	    .tests = tests, .unchecked_setup = root_make, .unchecked_teardown = root_remove};

	return checkrun("daemon", &core, 1);
}
