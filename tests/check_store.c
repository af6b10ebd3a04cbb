/* The commit history on disk: what is written is read back whole, the
 * newest STORE_KEEP commits are kept, corrupt and half-written files are
 * never taken for commits, and kill -9 at any instant of a write leaves
 * the old content or the new one, never a mix. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfgd/store.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/tmproot.h"

#define BASE_ID UINT64_C(1000000000)
#define KILL_ROUNDS 50
#define BIG (1u << 20)

/* One directory per test case run, made and removed by the runner process
 * itself, so that it is gone even when a forked test dies on an assertion
 * (check leaves a failed test's process without running its teardown). */
static char root[64];
/* This test's own directory, inside root. */
static char dir[256];

static void root_setup(void)
{
	tmproot_make(root, sizeof(root), "check_store");
}

static void root_teardown(void)
{
	tmproot_remove(root);
}

static void setup(void)
{
	tmproot_dir(root, dir, sizeof(dir));
}

static void teardown(void)
{
	tmproot_rm(dir);
}

/* A path inside this test's directory; valid until the next call. */
static const char *at(const char *fmt, ...)
{
	static char buf[PATH_MAX];
	char rel[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(buf, sizeof(buf), "%s/%s", dir, rel);
	return buf;
}

static const char *commit_path(uint64_t id)
{
	return at("commits/%020" PRIu64 ".cfg", id);
}

static struct store *open_store(void)
{
	struct store *s = NULL;

	ck_assert_int_eq(store_open(&s, dir), 0);
	ck_assert_ptr_nonnull(s);
	return s;
}

static void put(struct store *s, uint64_t id, time_t t, const char *user, const char *label,
		const char *text)
{
	struct store_commit c = {.id = id, .time = t};

	snprintf(c.user, sizeof(c.user), "%s", user);
	snprintf(c.label, sizeof(c.label), "%s", label);
	c.text = (char *)text;
	c.len = strlen(text);
	ck_assert_int_eq(store_write(s, &c), 0);
}

/* Write a file by hand, as damage or a crash might have left it. */
static void raw(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* The whole file, malloc'd, or NULL with errno set. */
static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	ck_assert_int_eq(fstat(fileno(f), &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, (size_t)st.st_size, f);
	ck_assert_uint_eq(*len, (size_t)st.st_size);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static int count_files(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static const char *spec_conf = "sysname A\n"
			       "interface eth1\n"
			       " vrrp vrid 1 virtual-ip 192.0.2.100\n"
			       "remote-backup-service rbs1\n"
			       " peer 198.51.100.2 source 198.51.100.1 port 6000\n";

START_TEST(write_then_load_returns_the_same_commit)
{
	struct store *s = open_store();
	struct store_commit c;
	char *file, *expect;
	size_t len;

	put(s, BASE_ID + 1, 1732460000, "root", "my-label", spec_conf);
	store_close(s);

	/* a fresh handle, as cfgd after a restart */
	s = open_store();
	ck_assert_int_eq(store_load(s, BASE_ID + 1, &c), 0);
	ck_assert_uint_eq(c.id, BASE_ID + 1);
	ck_assert_int_eq(c.time, 1732460000);
	ck_assert_str_eq(c.user, "root");
	ck_assert_str_eq(c.label, "my-label");
	ck_assert_str_eq(c.text, spec_conf);
	ck_assert_uint_eq(c.len, strlen(spec_conf));
	store_commit_free(&c);
	ck_assert_ptr_null(c.text);

	/* the documented format, readable by a human with cat */
	file = slurp(commit_path(BASE_ID + 1), &len);
	ck_assert_ptr_nonnull(file);
	ck_assert_int_ge(asprintf(&expect,
				  "# dualbackup commit\n# id: 1000000001\n# time: 1732460000\n"
				  "# user: root\n# label: my-label\n# length: %zu\n# end\n%s",
				  strlen(spec_conf), spec_conf),
			 0);
	ck_assert_str_eq(file, expect);
	free(expect);
	free(file);
	store_close(s);
}
END_TEST

START_TEST(list_is_newest_first_and_latest_is_the_highest_id)
{
	struct store *s = open_store();
	struct store_commit *v, c;
	size_t n;

	put(s, BASE_ID + 2, 100, "alice", "", "two\n");
	put(s, BASE_ID + 5, 500, "bob", "five", "five\n");
	put(s, BASE_ID + 3, 300, "carol", "three", "three\n");

	ck_assert_int_eq(store_list(s, &v, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(v[0].id, BASE_ID + 5);
	ck_assert_uint_eq(v[1].id, BASE_ID + 3);
	ck_assert_uint_eq(v[2].id, BASE_ID + 2);
	ck_assert_str_eq(v[0].user, "bob");
	ck_assert_str_eq(v[0].label, "five");
	ck_assert_int_eq(v[1].time, 300);
	ck_assert_str_eq(v[2].label, "");
	ck_assert_uint_eq(v[2].len, 4);
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_null(v[i].text);
	free(v);
	ck_assert_uint_eq(store_skipped(s), 0);

	ck_assert_int_eq(store_latest(s, &c), 0);
	ck_assert_uint_eq(c.id, BASE_ID + 5);
	ck_assert_str_eq(c.text, "five\n");
	store_commit_free(&c);
	store_close(s);
}
END_TEST

START_TEST(empty_store_has_no_commits)
{
	struct store *s = open_store();
	struct store_commit *v, c;
	size_t n = 99;

	ck_assert_int_eq(access(at("commits"), F_OK), 0);
	ck_assert_int_eq(store_list(s, &v, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_nonnull(v);
	free(v);
	ck_assert_int_eq(store_latest(s, &c), -ENOENT);
	ck_assert_ptr_null(c.text);
	ck_assert_int_eq(store_load(s, BASE_ID + 1, &c), -ENOENT);
	ck_assert_ptr_null(c.text);
	store_close(s);
}
END_TEST

START_TEST(open_creates_a_missing_state_directory)
{
	struct store *s = NULL;
	struct store_commit c;
	char sub[PATH_MAX];

	snprintf(sub, sizeof(sub), "%s/state", dir);
	ck_assert_int_eq(store_open(&s, sub), 0);
	ck_assert_int_eq(access(at("state/commits"), F_OK), 0);
	put(s, BASE_ID + 1, 1, "root", "", "x\n");
	ck_assert_int_eq(store_latest(s, &c), 0);
	store_commit_free(&c);
	store_close(s);
	snprintf(sub, sizeof(sub), "%s/missing/state", dir);
	ck_assert_int_eq(store_open(&s, sub), -ENOENT);
}
END_TEST

START_TEST(writing_an_existing_id_replaces_it)
{
	struct store *s = open_store();
	struct store_commit c;

	put(s, BASE_ID + 1, 1, "root", "old", "old text that is longer\n");
	put(s, BASE_ID + 1, 2, "admin", "", "new\n");
	ck_assert_int_eq(store_load(s, BASE_ID + 1, &c), 0);
	ck_assert_str_eq(c.text, "new\n");
	ck_assert_str_eq(c.user, "admin");
	ck_assert_str_eq(c.label, "");
	ck_assert_int_eq(c.time, 2);
	store_commit_free(&c);
	ck_assert_int_eq(count_files(at("commits")), 1);
	store_close(s);
}
END_TEST

START_TEST(pruning_keeps_exactly_the_newest_store_keep)
{
	struct store *s = open_store();
	struct store_commit *v, c;
	char text[32];
	size_t n;

	for (uint64_t i = 1; i <= STORE_KEEP + 5; i++) {
		snprintf(text, sizeof(text), "commit %" PRIu64 "\n", i);
		put(s, BASE_ID + i, (time_t)i, "root", "", text);
	}
	ck_assert_int_eq(store_list(s, &v, &n), 0);
	ck_assert_uint_eq(n, STORE_KEEP);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(v[i].id, BASE_ID + STORE_KEEP + 5 - i);
	free(v);
	ck_assert_int_eq(count_files(at("commits")), STORE_KEEP);
	ck_assert_int_eq(store_load(s, BASE_ID + 5, &c), -ENOENT);
	ck_assert_int_eq(store_load(s, BASE_ID + 6, &c), 0);
	ck_assert_str_eq(c.text, "commit 6\n");
	store_commit_free(&c);
	store_close(s);
}
END_TEST

START_TEST(malformed_commits_are_refused)
{
	struct store *s = open_store();
	struct store_commit c = {.id = BASE_ID + 1, .user = "root", .label = "ok"};
	struct store_commit *v;
	size_t n;
	char text[] = "a\0b";

	c.text = "x\n";
	c.len = 2;
	strcpy(c.label, "two\nlines");
	ck_assert_int_eq(store_write(s, &c), -EINVAL);
	strcpy(c.label, "ok");
	strcpy(c.user, "ro\not");
	ck_assert_int_eq(store_write(s, &c), -EINVAL);
	strcpy(c.user, "root");
	c.text = text; /* len is not strlen(text) */
	c.len = 3;
	ck_assert_int_eq(store_write(s, &c), -EINVAL);
	c.text = NULL;
	c.len = 0;
	ck_assert_int_eq(store_write(s, &c), -EINVAL);

	ck_assert_int_eq(store_list(s, &v, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
	ck_assert_int_eq(count_files(at("commits")), 0);
	store_close(s);
}
END_TEST

START_TEST(corrupt_files_are_skipped_and_load_says_ebadmsg)
{
	struct store *s = open_store();
	struct store_commit *v, c;
	const char *hdr = "# dualbackup commit\n# id: %" PRIu64 "\n# time: 1\n# user: root\n"
			  "# label: \n# length: %d\n# end\n%s";
	char buf[512];
	int len;
	size_t n;

	put(s, BASE_ID + 1, 1, "root", "", "one\n");
	put(s, BASE_ID + 2, 2, "root", "good", "two\n");

	/* truncated body: 10 bytes announced, 5 there */
	len = snprintf(buf, sizeof(buf), hdr, BASE_ID + 3, 10, "abcd\n");
	raw(commit_path(BASE_ID + 3), buf, (size_t)len);
	/* garbage header */
	raw(commit_path(BASE_ID + 4), "garbage\x01\x02 not a header\n", 24);
	/* body longer than announced */
	len = snprintf(buf, sizeof(buf), hdr, BASE_ID + 5, 2, "abcd\n");
	raw(commit_path(BASE_ID + 5), buf, (size_t)len);
	/* a header cut before its end line */
	len = snprintf(buf, sizeof(buf), hdr, BASE_ID + 6, 5, "abcd\n");
	raw(commit_path(BASE_ID + 6), buf, (size_t)(strstr(buf, "# end") - buf));
	/* a file holding another commit than its name says */
	len = snprintf(buf, sizeof(buf), hdr, BASE_ID + 99, 5, "abcd\n");
	raw(commit_path(BASE_ID + 7), buf, (size_t)len);
	/* empty, as a crash on a careless filesystem leaves it */
	raw(commit_path(BASE_ID + 8), "", 0);

	ck_assert_int_eq(store_latest(s, &c), 0);
	ck_assert_uint_eq(c.id, BASE_ID + 2);
	ck_assert_str_eq(c.text, "two\n");
	store_commit_free(&c);
	ck_assert_uint_eq(store_skipped(s), 6);

	ck_assert_int_eq(store_list(s, &v, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(v[0].id, BASE_ID + 2);
	ck_assert_uint_eq(v[1].id, BASE_ID + 1);
	free(v);
	ck_assert_uint_eq(store_skipped(s), 6);

	for (uint64_t id = BASE_ID + 3; id <= BASE_ID + 8; id++) {
		ck_assert_int_eq(store_load(s, id, &c), -EBADMSG);
		ck_assert_ptr_null(c.text);
	}
	store_close(s);
}
END_TEST

/* Every commit unreadable: latest says -ENOENT, yet counts what it skipped
 * and knows the highest id, so cfgd can tell "corrupt" from "new". */
START_TEST(all_corrupt_is_enoent_with_skipped_and_newest)
{
	struct store *s = open_store();
	struct store_commit c;

	raw(commit_path(BASE_ID + 3), "garbage\n", 8);
	raw(commit_path(BASE_ID + 7), "", 0);
	ck_assert_int_eq(store_latest(s, &c), -ENOENT);
	ck_assert_ptr_null(c.text);
	ck_assert_uint_eq(store_skipped(s), 2);
	ck_assert_uint_eq(store_newest_id(s), BASE_ID + 7);
	store_close(s);

	s = open_store();
	ck_assert_uint_eq(store_newest_id(s), 0); /* nothing seen yet */
	store_close(s);
}
END_TEST

START_TEST(stale_tmp_is_removed_by_open_and_never_read)
{
	struct store *s = open_store();
	struct store_commit *v, c;
	char buf[512];
	int len;
	size_t n;

	put(s, BASE_ID + 1, 1, "root", "", "one\n");
	/* a complete, well-formed commit left under its tmp name by a writer
	 * killed before the rename: it was never committed */
	len = snprintf(buf, sizeof(buf),
		       "# dualbackup commit\n# id: %" PRIu64 "\n# time: 9\n# user: root\n"
		       "# label: \n# length: 4\n# end\nnew\n",
		       BASE_ID + 9);
	raw(at("commits/%020" PRIu64 ".cfg.tmp", BASE_ID + 9), buf, (size_t)len);
	len = snprintf(buf, sizeof(buf),
		       "# dualbackup trial\n# commit: 9\n# rollback-to: 1\n# deadline: 5\n# end\n");
	raw(at("trial.tmp"), buf, (size_t)len);

	ck_assert_int_eq(store_latest(s, &c), 0);
	ck_assert_uint_eq(c.id, BASE_ID + 1);
	store_commit_free(&c);
	ck_assert_int_eq(store_list(s, &v, &n), 0);
	ck_assert_uint_eq(n, 1);
	free(v);
	ck_assert_uint_eq(store_skipped(s), 0);
	store_close(s);

	s = open_store();
	ck_assert_int_eq(access(at("commits/%020" PRIu64 ".cfg.tmp", BASE_ID + 9), F_OK), -1);
	ck_assert_int_eq(access(at("trial.tmp"), F_OK), -1);
	ck_assert_int_eq(count_files(at("commits")), 1);
	ck_assert_int_eq(store_latest(s, &c), 0);
	ck_assert_uint_eq(c.id, BASE_ID + 1);
	store_commit_free(&c);
	store_close(s);
}
END_TEST

START_TEST(trial_round_trip)
{
	struct store *s = open_store();
	uint64_t cid = 0, rb = 0;
	time_t dl = 0;

	ck_assert_int_eq(store_trial_load(s, &cid, &rb, &dl), -ENOENT);
	ck_assert_int_eq(store_trial_clear(s), 0);

	ck_assert_int_eq(store_trial_save(s, BASE_ID + 7, BASE_ID + 6, 1732460600), 0);
	store_close(s);
	s = open_store();
	ck_assert_int_eq(store_trial_load(s, &cid, &rb, &dl), 0);
	ck_assert_uint_eq(cid, BASE_ID + 7);
	ck_assert_uint_eq(rb, BASE_ID + 6);
	ck_assert_int_eq(dl, 1732460600);

	ck_assert_int_eq(store_trial_save(s, BASE_ID + 8, BASE_ID + 7, 1732460700), 0);
	ck_assert_int_eq(store_trial_load(s, &cid, &rb, &dl), 0);
	ck_assert_uint_eq(cid, BASE_ID + 8);
	ck_assert_uint_eq(rb, BASE_ID + 7);
	ck_assert_int_eq(dl, 1732460700);

	ck_assert_int_eq(store_trial_clear(s), 0);
	ck_assert_int_eq(store_trial_load(s, &cid, &rb, &dl), -ENOENT);
	ck_assert_int_eq(store_trial_clear(s), 0);
	store_close(s);
}
END_TEST

START_TEST(corrupt_trial_says_ebadmsg)
{
	struct store *s = open_store();
	const char *full =
	    "# dualbackup trial\n# commit: 9\n# rollback-to: 1\n# deadline: 5\n# end\n";
	uint64_t cid = 42, rb = 42;
	time_t dl = 42;

	raw(at("trial"), full, strlen(full) - 7); /* cut before "# end" */
	ck_assert_int_eq(store_trial_load(s, &cid, &rb, &dl), -EBADMSG);
	raw(at("trial"), "# dualbackup trial\n# commit: x9\n", 32);
	ck_assert_int_eq(store_trial_load(s, &cid, &rb, &dl), -EBADMSG);
	ck_assert_uint_eq(cid, 42);
	ck_assert_int_eq(store_trial_clear(s), 0);
	ck_assert_int_eq(store_trial_load(s, &cid, &rb, &dl), -ENOENT);
	store_close(s);
}
END_TEST

START_TEST(write_file_replaces_the_whole_file)
{
	const char *path = at("state.bin");
	char p[PATH_MAX];
	char *got;
	size_t len;

	snprintf(p, sizeof(p), "%s", path);
	ck_assert_int_eq(store_write_file(p, "first version\n", 14), 0);
	got = slurp(p, &len);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, "first version\n");
	free(got);

	ck_assert_int_eq(store_write_file(p, "v2\n", 3), 0);
	got = slurp(p, &len);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(len, 3);
	ck_assert_str_eq(got, "v2\n");
	free(got);

	ck_assert_int_eq(store_write_file(p, "", 0), 0);
	got = slurp(p, &len);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(len, 0);
	free(got);

	ck_assert_int_eq(count_files(dir), 1); /* no tmp file left behind */
	ck_assert_int_eq(store_write_file(at("no/such/dir/file"), "x", 1), -ENOENT);
}
END_TEST

/* ---- kill -9 in the middle of a write ---------------------------------- */

/* Die with the test, so that no writer outlives a failed or timed-out run. */
static void child_init(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(3);
}

/* A few ms up to ~50 ms: spans many writes, and lands anywhere in one. */
static void random_delay(unsigned *seed)
{
	struct timespec ts = {0, (1000 + rand_r(seed) % 50000) * 1000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void kill_child(pid_t pid)
{
	int status;

	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	/* it was writing until the end, not dead of an error of its own */
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "writer ended with status 0x%x", status);
}

static pid_t spawn(int *ready)
{
	int p[2];
	pid_t pid;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		*ready = p[1];
		return 0;
	}
	close(p[1]);
	*ready = p[0];
	return pid;
}

/* Loops store_write_file(path, A), (path, B), … until killed; says on
 * `ready` when the first write is complete. */
static void file_writer(pid_t parent, int ready, const char *path, const char *a, const char *b)
{
	child_init(parent);
	for (unsigned long i = 0;; i++) {
		if (store_write_file(path, i & 1 ? b : a, BIG) < 0)
			_exit(2);
		if (i == 0 && write(ready, "w", 1) != 1)
			_exit(2);
	}
}

START_TEST(kill9_during_write_file_leaves_old_or_new)
{
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	char *a = malloc(BIG), *b = malloc(BIG), *got;
	bool ever_written = false;
	int midwrite = 0;
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	pid_t parent = getpid();

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	memset(a, 'A', BIG);
	memset(b, 'B', BIG);
	snprintf(path, sizeof(path), "%s", at("running.cfg"));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	for (int round = 0; round < KILL_ROUNDS; round++) {
		int ready;
		pid_t pid = spawn(&ready);
		char c;
		size_t len;

		if (pid == 0)
			file_writer(parent, ready, path, a, b);
		/* every other round waits for one complete write, so that the
		 * file must exist; the others kill blind, maybe before any */
		if (round & 1)
			ck_assert_int_eq(read(ready, &c, 1), 1);
		random_delay(&seed);
		kill_child(pid);
		if (read(ready, &c, 1) == 1)
			ever_written = true;
		close(ready);
		if (access(tmp, F_OK) == 0)
			midwrite++;

		got = slurp(path, &len);
		if (got == NULL) {
			ck_assert_int_eq(errno, ENOENT);
			ck_assert_msg(!ever_written, "round %d (seed %u): file gone after a write",
				      round, seed);
			continue;
		}
		ck_assert_msg(len == BIG && (memcmp(got, a, BIG) == 0 || memcmp(got, b, BIG) == 0),
			      "round %d (seed %u): torn file of %zu bytes", round, seed, len);
		free(got);
	}
	ck_assert(ever_written);
	/* The writer spends nearly all its time between creating the tmp
	 * file and renaming it, so some kill must have landed there, or this
	 * test proved nothing. */
	ck_assert_int_gt(midwrite, 0);
	free(a);
	free(b);
}
END_TEST

static size_t text_len(uint64_t id)
{
	return 64 * 1024 + (size_t)(id % 61) * 1024;
}

static char text_char(uint64_t id)
{
	return (char)('a' + id % 26);
}

/* Loops store_write of commits first, first+1, …, each text a length and
 * a letter that depend on its id, until killed. */
static void commit_writer(pid_t parent, int ready, uint64_t first)
{
	struct store *s;
	struct store_commit c = {.user = "root", .label = "crash"};
	char *text = malloc(text_len(60) + 1);

	child_init(parent);
	if (text == NULL || store_open(&s, dir) < 0)
		_exit(2);
	for (uint64_t id = first;; id++) {
		c.id = id;
		c.time = (time_t)id;
		c.len = text_len(id);
		memset(text, text_char(id), c.len);
		text[c.len] = '\0';
		c.text = text;
		if (store_write(s, &c) < 0)
			_exit(2);
		if (id == first && write(ready, "w", 1) != 1)
			_exit(2);
	}
}

START_TEST(kill9_during_commit_leaves_a_complete_latest)
{
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	uint64_t next = BASE_ID + 1;
	bool ever_written = false;
	pid_t parent = getpid();

	for (int round = 0; round < KILL_ROUNDS; round++) {
		struct store_commit c, *v;
		struct store *s;
		int ready, rc;
		pid_t pid = spawn(&ready);
		char ch;
		size_t n;

		if (pid == 0)
			commit_writer(parent, ready, next);
		if (round & 1)
			ck_assert_int_eq(read(ready, &ch, 1), 1);
		random_delay(&seed);
		kill_child(pid);
		if (read(ready, &ch, 1) == 1)
			ever_written = true;
		close(ready);

		/* what cfgd does when it starts again */
		s = open_store();
		rc = store_latest(s, &c);
		/* killed after its first commit but before saying so */
		if (rc == 0)
			ever_written = true;
		if (!ever_written) {
			ck_assert_int_eq(rc, -ENOENT);
			store_close(s);
			continue;
		}
		ck_assert_msg(rc == 0, "round %d (seed %u): no commit after kill: %d", round, seed,
			      rc);
		ck_assert_uint_eq(store_skipped(s), 0);
		ck_assert_uint_ge(c.id, next - 1);
		ck_assert_uint_eq(c.len, text_len(c.id));
		ck_assert_uint_eq(strlen(c.text), c.len);
		for (size_t i = 0; i < c.len; i++)
			if (c.text[i] != text_char(c.id))
				ck_abort_msg("round %d (seed %u): commit %" PRIu64
					     " has a foreign byte at %zu",
					     round, seed, c.id, i);
		ck_assert_int_eq(store_list(s, &v, &n), 0);
		ck_assert_uint_le(n, STORE_KEEP + 1); /* one write may have missed its prune */
		ck_assert_uint_eq(v[0].id, c.id);
		free(v);
		next = c.id + 1;
		store_commit_free(&c);
		store_close(s);
	}
	ck_assert(ever_written);
}
END_TEST

int main(void)
{
	const TTest *core[] = {
	    write_then_load_returns_the_same_commit,
	    list_is_newest_first_and_latest_is_the_highest_id,
	    empty_store_has_no_commits,
	    open_creates_a_missing_state_directory,
	    writing_an_existing_id_replaces_it,
	    pruning_keeps_exactly_the_newest_store_keep,
	    malformed_commits_are_refused,
	    corrupt_files_are_skipped_and_load_says_ebadmsg,
	    all_corrupt_is_enoent_with_skipped_and_newest,
	    stale_tmp_is_removed_by_open_and_never_read,
	    trial_round_trip,
	    corrupt_trial_says_ebadmsg,
	    write_file_replaces_the_whole_file,
	    NULL,
	};
	const TTest *crash[] = {
	    kill9_during_write_file_leaves_old_or_new,
	    kill9_during_commit_leaves_a_complete_latest,
	    NULL,
	};
	const struct checkrun_case cases[] = {
	    {
		.name = "core",
		.tests = core,
		.setup = setup,
		.teardown = teardown,
		.unchecked_setup = root_setup,
		.unchecked_teardown = root_teardown,
	    },
	    {
		.name = "crash",
		.tests = crash,
		/* many 1 MiB fsync'ed writes: more than check's default 4 s on a slow disk */
		.timeout = 120,
		.setup = setup,
		.teardown = teardown,
		.unchecked_setup = root_setup,
		.unchecked_teardown = root_teardown,
	    },
	};

	return checkrun("store", cases, sizeof(cases) / sizeof(cases[0]));
}
