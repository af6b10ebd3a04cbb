/* Peer credentials: the address libzmq hands the ZAP handler is read
 * right to left and nothing else passes; root, the daemon's own uid and
 * the dualbackup user are daemons, group members are clients, everyone
 * else a stranger; each endpoint admits what its domain says; and, with
 * real sockets, a process that is not root is refused by a daemon-only
 * endpoint while root's messages arrive carrying uid 0. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "common/peer.h"
#include "tests/lib/checkrun.h"

static int parse(const char *s, struct peer_cred *c)
{
	return peer_parse_address(s, strlen(s), c);
}

START_TEST(ipc_addresses_are_read_right_to_left)
{
	struct peer_cred c;

	ck_assert_int_eq(parse("localhost:0:0:4242", &c), 0);
	ck_assert_uint_eq(c.uid, 0);
	ck_assert_uint_eq(c.gid, 0);
	ck_assert_int_eq(c.pid, 4242);
	ck_assert_int_eq(parse("localhost:65534:65534:1", &c), 0);
	ck_assert_uint_eq(c.uid, 65534);
	ck_assert_uint_eq(c.gid, 65534);
	/* whatever precedes the credentials may hold colons itself */
	ck_assert_int_eq(parse("::1:1000:100:7", &c), 0);
	ck_assert_uint_eq(c.uid, 1000);
	ck_assert_uint_eq(c.gid, 100);
	ck_assert_int_eq(c.pid, 7);
}
END_TEST

START_TEST(anything_else_is_refused)
{
	static const char *bad[] = {
	    "",
	    "localhost",
	    "1:2",
	    ":1:2",
	    "localhost:0:0:",
	    "localhost:0::1",
	    "localhost:a:0:1",
	    "localhost:0:0:1 ",
	    "localhost:-1:0:1",
	    "localhost:4294967295:0:1", /* (uid_t)-1 */
	    "localhost:0:0:2147483648",
	    "localhost:99999999999:0:1",
	    "127.0.0.1",
	};
	struct peer_cred c = {.uid = 77, .gid = 77, .pid = 77};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &c) == -EINVAL, "accepted \"%s\"", bad[i]);
	ck_assert_uint_eq(c.uid, 77);
	/* not terminated: only len bytes count */
	ck_assert_int_eq(peer_parse_address("localhost:0:0:12345", 14, &c), -EINVAL);
	ck_assert_int_eq(peer_parse_address("localhost:0:0:12345", 15, &c), 0);
	ck_assert_int_eq(c.pid, 1);
}
END_TEST

START_TEST(root_self_and_the_service_user_are_daemons)
{
	struct peer_policy p = {.self = 1001, .has_svc = true, .svc_uid = 999};

	ck_assert_int_eq(peer_classify(&p, 0, false), PEER_DAEMON);
	ck_assert_int_eq(peer_classify(&p, 1001, false), PEER_DAEMON);
	ck_assert_int_eq(peer_classify(&p, 999, false), PEER_DAEMON);
	ck_assert_int_eq(peer_classify(&p, 1002, true), PEER_MEMBER);
	ck_assert_int_eq(peer_classify(&p, 65534, false), PEER_STRANGER);
	/* without a service user its old uid means nothing */
	p.has_svc = false;
	ck_assert_int_eq(peer_classify(&p, 999, false), PEER_STRANGER);
}
END_TEST

static bool admits(const char *d, enum peer_class c)
{
	return peer_admits(d, strlen(d), c);
}

START_TEST(each_domain_admits_what_it_says)
{
	ck_assert(admits(PEER_DOMAIN_DAEMON, PEER_DAEMON));
	ck_assert(!admits(PEER_DOMAIN_DAEMON, PEER_MEMBER));
	ck_assert(!admits(PEER_DOMAIN_DAEMON, PEER_STRANGER));
	ck_assert(admits(PEER_DOMAIN_CLIENT, PEER_DAEMON));
	ck_assert(admits(PEER_DOMAIN_CLIENT, PEER_MEMBER));
	ck_assert(!admits(PEER_DOMAIN_CLIENT, PEER_STRANGER));
	/* a prefix of ours is not ours; a foreign domain is not ours to judge */
	ck_assert(admits("dualbackup", PEER_STRANGER));
	ck_assert(!peer_admits(PEER_DOMAIN_CLIENT "x", strlen(PEER_DOMAIN_CLIENT), PEER_STRANGER));
}
END_TEST

/* Connect to ep as the current process and send "hi"; linger so the
 * message gets out before exit. */
static void send_hi(const char *ep)
{
	void *ctx = zmq_ctx_new(), *d = zmq_socket(ctx, ZMQ_DEALER);
	int linger = 1000;

	zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_connect(d, ep);
	zmq_send(d, "hi", 2, 0);
	zmq_close(d);
	zmq_ctx_term(ctx);
}

/* Receive one message from a ROUTER within ms; returns the User-Id of
 * its payload frame in uid (malloc'd) or NULL when nothing came. */
static int recv_one(void *r, int ms, char **uid)
{
	zmq_pollitem_t it = {.socket = r, .events = ZMQ_POLLIN};
	zmq_msg_t id, m;
	const char *u;

	if (zmq_poll(&it, 1, ms) <= 0)
		return -1;
	zmq_msg_init(&id);
	zmq_msg_init(&m);
	zmq_msg_recv(&id, r, 0);
	zmq_msg_recv(&m, r, 0);
	u = zmq_msg_gets(&m, "User-Id");
	*uid = u ? strdup(u) : NULL;
	zmq_msg_close(&id);
	zmq_msg_close(&m);
	return 0;
}

START_TEST(a_daemon_endpoint_refuses_a_stranger_and_names_root)
{
	char dir[] = "/tmp/check_peer.XXXXXX", ep[128], *uid = NULL;
	void *ctx, *r;
	pid_t pid;
	int st, go[2];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(ep, sizeof(ep), "ipc://%s/x.ipc", dir);
	/* The stranger is forked before ZeroMQ's and the ZAP handler's threads
	 * exist: a child forked from a threaded process can inherit a lock
	 * another thread held (malloc's, ASan's) and hang in its first
	 * allocation, which ended this test on its timeout once under ASan.
	 * It waits on a pipe until the endpoint is there. */
	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(1);
		send_hi(ep);
		_exit(0);
	}
	close(go[0]);
	ctx = zmq_ctx_new();
	ck_assert_int_eq(peer_zap_start(ctx), 0);
	ck_assert_int_eq(peer_zap_start(ctx), 0); /* once per context */
	r = zmq_socket(ctx, ZMQ_ROUTER);
	zmq_setsockopt(r, ZMQ_ZAP_DOMAIN, PEER_DOMAIN_DAEMON, strlen(PEER_DOMAIN_DAEMON));
	ck_assert_int_eq(zmq_bind(r, ep), 0);
	/* the file is open to all: only the credential check stands */
	snprintf(ep, sizeof(ep), "%s/x.ipc", dir);
	chmod(ep, 0666);
	snprintf(ep, sizeof(ep), "ipc://%s/x.ipc", dir);

	ck_assert_int_eq(write(go[1], "x", 1), 1);
	close(go[1]);
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(recv_one(r, 500, &uid), -1);

	send_hi(ep);
	ck_assert_int_eq(recv_one(r, 5000, &uid), 0);
	ck_assert_str_eq(uid ? uid : "(none)", "0");
	free(uid);
	zmq_close(r);
	zmq_ctx_term(ctx);
	snprintf(ep, sizeof(ep), "%s/x.ipc", dir);
	unlink(ep);
	rmdir(dir);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    ipc_addresses_are_read_right_to_left,
	    anything_else_is_refused,
	    root_self_and_the_service_user_are_daemons,
	    each_domain_admits_what_it_says,
	    NULL,
	};
	const TTest *as_root[] = {
	    a_daemon_endpoint_refuses_a_stranger_and_names_root,
	    NULL,
	};
	/* The test that needs root goes in a case of its own, named "core"
	 * too, so that CK_RUN_CASE=core still runs it. */
	const struct checkrun_case cases[] = {
	    {.tests = tests, .timeout = 20},
	    /* needs root to play nobody */
	    {.tests = as_root, .timeout = 20, .skip = geteuid() != 0},
	};

	return checkrun("peer", cases, sizeof(cases) / sizeof(cases[0]));
}
