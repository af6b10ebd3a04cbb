/* One command to Kea's control socket: the command arrives whole, even one
 * larger than the socket's buffer; an answer that comes in pieces, slowly,
 * is put together; one whole JSON object ends the read, so a server that
 * keeps the connection open after answering costs nothing; an answer that
 * is not one JSON object is -EPROTO, a server that does not answer is
 * -ETIMEDOUT after about the timeout, and no server at the path is the
 * connect's errno; kc_result() reads an integer "result" or says -1. Kea
 * is played by a thread behind a listening AF_UNIX socket in a temporary
 * directory. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kea/kea_ctrl.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/tmproot.h"

/* A directory per test case run, made and removed by the runner process,
 * so that it is gone even when a forked test dies on an assertion. */
static char root[64];
/* This test's own directory, inside root, and the socket's path in it. */
static char dir[128];
static char sock_path[160];

static void root_setup(void)
{
	tmproot_make(root, sizeof(root), "check_kea_ctrl");
}

static void root_teardown(void)
{
	tmproot_remove(root);
}

static void setup(void)
{
	tmproot_dir(root, dir, sizeof(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/kea4-ctrl.sock", dir);
}

static void teardown(void)
{
	tmproot_rm(dir);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A listening socket at sock_path. */
static int listen_at(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(path), sizeof(a.sun_path));
	strcpy(a.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

/* ---- the fake Kea ---- */

/* One write of the answer, after a pause. */
struct piece {
	const char *text;
	size_t len; /* 0: strlen(text) */
	int delay_ms;
};

struct fake {
	int lfd, quit[2];
	pthread_t thread;
	const struct piece *answer; /* NULL: never answers */
	size_t npieces;
	bool hold; /* after answering, keeps the connection until stopped */
	/* what arrived: the bytes, and whether they made one JSON value */
	char *got;
	size_t ngot;
	bool whole;
};

/* Waits up to 10 s for fd, or for the test to stop the thread. Returns 1
 * when fd is ready. */
static int fake_wait(struct fake *f, int fd)
{
	struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = f->quit[0], .events = POLLIN}};

	/* poll() skips a negative fd: then only the stop is waited for */
	if (poll(p, 2, 10000) <= 0)
		return 0;
	return fd >= 0 && (p[0].revents & (POLLIN | POLLHUP)) && !(p[1].revents & POLLIN);
}

/* Reads the command as Kea does: until one JSON value has arrived. */
static void fake_read(struct fake *f, int fd)
{
	struct json_tokener *tok = json_tokener_new();
	char buf[65536];

	while (tok != NULL && fake_wait(f, fd)) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct json_object *o;
		char *g;

		if (n <= 0)
			break;
		g = realloc(f->got, f->ngot + (size_t)n + 1);
		if (g == NULL)
			break;
		f->got = g;
		memcpy(f->got + f->ngot, buf, (size_t)n);
		f->ngot += (size_t)n;
		f->got[f->ngot] = '\0';
		o = json_tokener_parse_ex(tok, buf, (int)n);
		if (json_tokener_get_error(tok) != json_tokener_continue) {
			f->whole = o != NULL;
			json_object_put(o);
			break;
		}
	}
	json_tokener_free(tok);
}

static void *fake_run(void *arg)
{
	struct fake *f = arg;
	size_t i;
	int fd;

	/* the quit pipe's end is no fd to accept on: wait on the listener */
	{
		struct pollfd p[2] = {{.fd = f->lfd, .events = POLLIN},
				      {.fd = f->quit[0], .events = POLLIN}};

		if (poll(p, 2, 10000) <= 0 || !(p[0].revents & POLLIN))
			return NULL;
	}
	fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return NULL;
	fake_read(f, fd);
	for (i = 0; f->answer != NULL && i < f->npieces; i++) {
		const struct piece *p = &f->answer[i];
		size_t len = p->len ? p->len : strlen(p->text), off = 0;

		sleep_ms(p->delay_ms);
		while (off < len) {
			ssize_t n = send(fd, p->text + off, len - off, MSG_NOSIGNAL);

			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	if (f->answer == NULL || f->hold)
		fake_wait(f, -1);
	close(fd);
	return NULL;
}

static void fake_start(struct fake *f, const struct piece *answer, size_t npieces, bool hold)
{
	memset(f, 0, sizeof(*f));
	f->answer = answer;
	f->npieces = npieces;
	f->hold = hold;
	f->lfd = listen_at(sock_path);
	ck_assert_int_eq(pipe2(f->quit, O_CLOEXEC), 0);
	ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_run, f), 0);
}

/* Stops the thread and removes the socket; what arrived stays. */
static void fake_stop(struct fake *f)
{
	ck_assert_int_eq(write(f->quit[1], "q", 1), 1);
	ck_assert_int_eq(pthread_join(f->thread, NULL), 0);
	close(f->lfd);
	close(f->quit[0]);
	close(f->quit[1]);
	unlink(sock_path);
}

static void fake_free(struct fake *f)
{
	free(f->got);
	f->got = NULL;
}

/* cmd to a fake answering with pieces; returns kc_command()'s result, its
 * answer in *a and the time it took in *ms. */
static int ask(struct fake *f, const struct piece *answer, size_t npieces, bool hold,
	       const char *cmd, int timeout_ms, struct json_object **a, int64_t *ms)
{
	int64_t t0;
	int rc;

	fake_start(f, answer, npieces, hold);
	t0 = now_ms();
	rc = kc_command(sock_path, cmd, timeout_ms, a);
	*ms = now_ms() - t0;
	fake_stop(f);
	return rc;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *str_member(const struct json_object *o, const char *k)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no %s", k);
	ck_assert(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

/* ---- the tests ---- */

START_TEST(the_command_arrives_intact_and_the_answer_is_read)
{
	static const struct piece ok[] = {
	    {"{ \"result\": 0, \"text\": \"Lease updated.\" }", 0, 0}};
	static const char small[] = "{\"command\":\"lease6-get-all\",\"arguments\":"
				    "{\"h\":\"caf\xc3\xa9 \\\"q\\\" \\\\ \\u0001\"}}";
	const size_t pad = 1 << 20; /* past any socket buffer: sent in turns */
	struct json_object *a = NULL;
	struct fake f;
	int64_t ms;
	char *big;
	size_t n;

	ck_assert_int_eq(ask(&f, ok, N(ok), false, small, 5000, &a, &ms), 0);
	ck_assert(f.whole);
	ck_assert_uint_eq(f.ngot, strlen(small));
	ck_assert_mem_eq(f.got, small, f.ngot);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(kc_result(a), 0);
	ck_assert_str_eq(str_member(a, "text"), "Lease updated.");
	json_object_put(a);
	fake_free(&f);

	big = malloc(pad + 256);
	ck_assert_ptr_nonnull(big);
	n = (size_t)sprintf(big, "{\"command\":\"lease4-update\",\"arguments\":{\"ip-address\":"
				 "\"192.0.2.130\",\"user-context\":{\"pad\":\"");
	for (size_t i = 0; i < pad; i++)
		big[n++] = (char)('a' + i % 26);
	strcpy(big + n, "\"}}}");
	a = NULL;
	ck_assert_int_eq(ask(&f, ok, N(ok), false, big, 10000, &a, &ms), 0);
	ck_assert(f.whole);
	ck_assert_uint_eq(f.ngot, strlen(big));
	ck_assert(memcmp(f.got, big, f.ngot) == 0);
	ck_assert_int_eq(kc_result(a), 0);
	json_object_put(a);
	fake_free(&f);
	free(big);
}
END_TEST

START_TEST(an_answer_in_pieces_with_delays_is_put_together)
{
	/* cut inside a key, a number, an escape and a UTF-8 character */
	static const struct piece slow[] = {
	    {"{ \"res", 0, 0},
	    {"ult\": 3", 0, 80},
	    {"0, \"text\": \"caf\\u0", 0, 80},
	    {"0e9 \xe2\x82", 0, 80},
	    {"\xac\", \"arguments\": { \"leases\": [ ] }", 0, 80},
	    {" }", 0, 80},
	};
	struct json_object *a = NULL, *args, *leases, *last;
	struct piece *big;
	struct fake f;
	char *text;
	size_t n = 0, cap = 4000 * 200 + 256, i;
	int64_t ms;

	ck_assert_int_eq(ask(&f, slow, N(slow), false, "{\"command\":\"x\"}", 5000, &a, &ms), 0);
	ck_assert_int_ge(ms, 5 * 80 - 20);
	ck_assert_int_eq(kc_result(a), 30);
	ck_assert_str_eq(str_member(a, "text"), "caf\xc3\xa9 \xe2\x82\xac");
	json_object_put(a);
	fake_free(&f);

	/* lease4-get-all of 4000 leases, far past one read, in uneven writes */
	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	n = (size_t)sprintf(text, "{ \"arguments\": { \"leases\": [ ");
	for (i = 0; i < 4000; i++)
		n += (size_t)sprintf(
		    text + n,
		    "%s{ \"cltt\": 1796576017, \"hw-address\": "
		    "\"02:dc:10:00:%02zx:%02zx\", \"ip-address\": \"10.%zu.%zu.%zu\", "
		    "\"state\": 0, \"subnet-id\": 1, \"valid-lft\": 600 }",
		    i ? ", " : "", i >> 8, i & 255, i >> 16, (i >> 8) & 255, i & 255);
	n += (size_t)sprintf(text + n, " ] }, \"result\": 0, \"text\": \"4000 IPv4 lease(s)\" }");
	ck_assert_uint_lt(n, cap);
	big = calloc(4, sizeof(*big));
	ck_assert_ptr_nonnull(big);
	big[0] = (struct piece){text, 1, 0};
	big[1] = (struct piece){text + 1, 70001, 30};
	big[2] = (struct piece){text + 70002, 200000, 30};
	big[3] = (struct piece){text + 270002, n - 270002, 30};
	ck_assert_uint_gt(n, 270002 + 65536);
	a = NULL;
	ck_assert_int_eq(ask(&f, big, 4, false, "{\"command\":\"lease4-get-all\"}", 10000, &a, &ms),
			 0);
	ck_assert_int_eq(kc_result(a), 0);
	ck_assert(json_object_object_get_ex(a, "arguments", &args));
	ck_assert(json_object_object_get_ex(args, "leases", &leases));
	ck_assert_uint_eq(json_object_array_length(leases), 4000);
	last = json_object_array_get_idx(leases, 3999);
	ck_assert_str_eq(str_member(last, "ip-address"), "10.0.15.159");
	ck_assert_str_eq(str_member(last, "hw-address"), "02:dc:10:00:0f:9f");
	json_object_put(a);
	fake_free(&f);
	free(big);
	free(text);
}
END_TEST

START_TEST(one_whole_answer_ends_the_read_though_the_server_keeps_the_connection)
{
	static const struct piece one[] = {{"{ \"result\": 0, \"text\": \"held\" }", 0, 0}};
	static const struct piece two[] = {{"{\"result\":1,", 0, 0},
					   {"\"text\":\"then held\"}\n", 0, 50}};
	struct json_object *a = NULL;
	struct fake f;
	int64_t ms;

	/* a timeout far above what the answer takes: the read ends with it */
	ck_assert_int_eq(ask(&f, one, N(one), true, "{\"command\":\"x\"}", 5000, &a, &ms), 0);
	ck_assert_int_lt(ms, 2000);
	ck_assert_int_eq(kc_result(a), 0);
	ck_assert_str_eq(str_member(a, "text"), "held");
	json_object_put(a);
	fake_free(&f);

	a = NULL;
	ck_assert_int_eq(ask(&f, two, N(two), true, "{\"command\":\"x\"}", 5000, &a, &ms), 0);
	ck_assert_int_lt(ms, 2000);
	ck_assert_int_eq(kc_result(a), 1);
	ck_assert_str_eq(str_member(a, "text"), "then held");
	json_object_put(a);
	fake_free(&f);
}
END_TEST

START_TEST(an_answer_that_is_not_one_json_object_is_eproto)
{
	/* answered then closed: a JSON value of another type, no JSON, one
	 * cut short, none at all */
	static const char *const closed[] = {
	    "[ { \"result\": 0 } ]", "\"result\"",    "42", "42 ", "null", "true", "<html>",
	    "{ \"result\": 0",	     "{ \"result\":", "}",  "",
	};
	/* answered and held: what shows at once it is no object */
	static const char *const held[] = {"[ { \"result\": 0 } ]", "\"x\"", "<html>", "}", "{]"};
	struct json_object *a;
	struct fake f;
	int64_t ms;
	size_t i;

	for (i = 0; i < N(closed); i++) {
		struct piece p = {closed[i], 0, 0};

		if (closed[i][0] == '\0')
			p.text = NULL; /* no write: the connection closes at once */
		a = NULL;
		ck_assert_msg(ask(&f, &p, p.text ? 1 : 0, false, "{\"command\":\"x\"}", 5000, &a,
				  &ms) == -EPROTO,
			      "answer \"%s\" then close: not -EPROTO", closed[i]);
		ck_assert_ptr_null(a); /* nothing for the caller to free */
		ck_assert_msg(ms < 2000, "answer \"%s\": %lld ms", closed[i], (long long)ms);
		fake_free(&f);
	}
	for (i = 0; i < N(held); i++) {
		struct piece p = {held[i], 0, 0};

		a = NULL;
		ck_assert_msg(ask(&f, &p, 1, true, "{\"command\":\"x\"}", 5000, &a, &ms) == -EPROTO,
			      "answer \"%s\" held: not -EPROTO", held[i]);
		ck_assert_ptr_null(a);
		ck_assert_msg(ms < 2000, "answer \"%s\" held: %lld ms", held[i], (long long)ms);
		fake_free(&f);
	}
}
END_TEST

/* what kc_command() waits for no answer: the bound on its wait allows a
 * busy machine, not twice the timeout */
#define TIMEOUT_MS 400

START_TEST(a_server_that_does_not_answer_times_out)
{
	static const struct piece part[] = {{"{ \"result\": 0, \"text\": \"no end", 0, 0}};
	static const char cmd[] = "{\"command\":\"lease4-get-all\"}";
	struct json_object *a = NULL;
	struct fake f;
	int64_t t0, ms;
	int lfd, rc;

	/* reads the command, never answers */
	ck_assert_int_eq(ask(&f, NULL, 0, true, cmd, TIMEOUT_MS, &a, &ms), -ETIMEDOUT);
	ck_assert_int_ge(ms, TIMEOUT_MS - 10);
	ck_assert_int_lt(ms, TIMEOUT_MS + 350);
	ck_assert_ptr_null(a);
	ck_assert(f.whole);
	ck_assert_str_eq(f.got, cmd);
	fake_free(&f);

	/* answers half, then nothing */
	ck_assert_int_eq(ask(&f, part, N(part), true, cmd, TIMEOUT_MS, &a, &ms), -ETIMEDOUT);
	ck_assert_int_ge(ms, TIMEOUT_MS - 10);
	ck_assert_int_lt(ms, TIMEOUT_MS + 350);
	ck_assert_ptr_null(a);
	fake_free(&f);

	/* listens, never accepts */
	lfd = listen_at(sock_path);
	t0 = now_ms();
	rc = kc_command(sock_path, cmd, TIMEOUT_MS, &a);
	ms = now_ms() - t0;
	close(lfd);
	ck_assert_int_eq(rc, -ETIMEDOUT);
	ck_assert_int_ge(ms, TIMEOUT_MS - 10);
	ck_assert_int_lt(ms, TIMEOUT_MS + 350);
	ck_assert_ptr_null(a);
}
END_TEST

START_TEST(no_server_at_the_path_is_the_connect_errno)
{
	struct sockaddr_un su = {.sun_family = AF_UNIX};
	struct json_object *a;
	char path[sizeof(su.sun_path) + 16];
	int fd, rc;

	/* nothing there */
	a = (struct json_object *)&a;
	ck_assert_int_eq(kc_command(sock_path, "{\"command\":\"x\"}", 300, &a), -ENOENT);
	ck_assert_ptr_null(a);
	snprintf(path, sizeof(path), "%s/no-dir/kea.sock", dir);
	ck_assert_int_eq(kc_command(path, "{\"command\":\"x\"}", 300, &a), -ENOENT);

	/* the socket file of a Kea that is gone */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	strcpy(su.sun_path, sock_path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&su, sizeof(su)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	close(fd);
	a = (struct json_object *)&a;
	rc = kc_command(sock_path, "{\"command\":\"x\"}", 300, &a);
	ck_assert_int_eq(rc, -ECONNREFUSED);
	ck_assert_ptr_null(a);
	unlink(sock_path);

	/* a file that is no socket */
	fd = open(sock_path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	rc = kc_command(sock_path, "{\"command\":\"x\"}", 300, &a);
	ck_assert_msg(rc == -ECONNREFUSED, "a regular file: %d", rc);

	/* a path no sockaddr_un holds */
	memset(path, 'p', sizeof(su.sun_path));
	path[0] = '/';
	path[sizeof(su.sun_path)] = '\0';
	ck_assert_int_eq(kc_command(path, "{\"command\":\"x\"}", 300, &a), -ENAMETOOLONG);
	ck_assert_ptr_null(a);
}
END_TEST

START_TEST(kc_text_has_looks_in_the_text_only)
{
	struct json_object *a = json_tokener_parse(
	    "{\"result\":1,\"text\":\"IPv4 lease with address 192.0.2.7 already exists\"}");
	struct json_object *b = json_tokener_parse("{\"result\":1,\"arguments\":\"exists\"}");
	struct json_object *c = json_tokener_parse("{\"result\":1,\"text\":7}");

	ck_assert(kc_text_has(a, "exists"));
	ck_assert(!kc_text_has(a, "refused"));
	ck_assert(!kc_text_has(b, "exists"));
	ck_assert(!kc_text_has(c, "7"));
	ck_assert(!kc_text_has(NULL, "exists"));
	json_object_put(a);
	json_object_put(b);
	json_object_put(c);
}
END_TEST

START_TEST(kc_result_reads_an_integer_result)
{
	static const struct {
		const char *answer;
		int want;
	} cases[] = {
	    {"{\"result\":0}", 0},
	    {"{\"result\":3,\"text\":\"0 IPv4 lease(s) found.\"}", 3},
	    {"{\"text\":\"x\",\"result\":1}", 1},
	    {"{\"result\":2,\"arguments\":{\"result\":0}}", 2},
	    {"{}", -1},
	    {"{\"text\":\"no result\"}", -1},
	    {"{\"arguments\":{\"result\":0}}", -1},
	    {"{\"Result\":0}", -1},
	    {"{\"result\":\"0\"}", -1},
	    {"{\"result\":0.0}", -1},
	    {"{\"result\":true}", -1},
	    {"{\"result\":false}", -1},
	    {"{\"result\":null}", -1},
	    {"{\"result\":[0]}", -1},
	    {"{\"result\":{}}", -1},
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		struct json_object *o = json_tokener_parse(cases[i].answer);

		ck_assert_ptr_nonnull(o);
		ck_assert_msg(kc_result(o) == cases[i].want, "%s: %d, not %d", cases[i].answer,
			      kc_result(o), cases[i].want);
		json_object_put(o);
	}
	ck_assert_int_eq(kc_result(NULL), -1);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    the_command_arrives_intact_and_the_answer_is_read,
	    an_answer_in_pieces_with_delays_is_put_together,
	    one_whole_answer_ends_the_read_though_the_server_keeps_the_connection,
	    an_answer_that_is_not_one_json_object_is_eproto,
	    a_server_that_does_not_answer_times_out,
	    no_server_at_the_path_is_the_connect_errno,
	    kc_text_has_looks_in_the_text_only,
	    kc_result_reads_an_integer_result,
	    NULL,
	};
	const struct checkrun_case core = {
	    .tests = tests,
	    .timeout = 30,
	    .setup = setup,
	    .teardown = teardown,
	    .unchecked_setup = root_setup,
	    .unchecked_teardown = root_teardown,
	};

	return checkrun("kea_ctrl", &core, 1);
}
