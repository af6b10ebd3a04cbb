/*
 * cfgd's shell, run in process: a struct cfgd started on a loop of the
 * test's own (cfgd_init(), as main() starts the daemon) with a run and a
 * state directory of each test's own. The test plays everyone cfgd talks
 * to on the bus:
 *
 *   the daemons  vrrpd, rbsd and rbpd are real cfgclient instances
 *                (common/cfgclient.h) on the same loop, with ops of the
 *                test's that keep the section they apply and vote no with
 *                a reason when the test says so; one of them can drop its
 *                PREPAREs (DB_FAULT, the cfgclient's own fault injection);
 *   dbcli        sessions, DEALERs on RUNDIR/cfgd-cli.ipc speaking
 *                CliRequest / CliReply as cli/dbcli.c does;
 *   intruders    a DEALER that claims a daemon's role under another
 *                identity, and garbage on both endpoints.
 *
 * What the tests assert is what a user sees: the replies of a session
 * (text, and JSON where docs/json.md promises it), what each daemon was
 * given to apply, and the state directory on disk, also after cfgd is
 * stopped and started again on the same directories.
 *
 * Every wait is bounded (WAIT_MS, TXN_WAIT_MS for a commit that waits for
 * cfgd's own deadline) and runs the loop until what is awaited happens.
 */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "cfgd/cfgd.h"
#include "common/bus.h"
#include "common/cfgclient.h"
#include "common/daemon.h"
#include "config.pb-c.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/jcheck.h"
#include "tests/lib/loopwait.h"
#include "tests/lib/standin.h"
#include "tests/lib/tmproot.h"

#define WAIT_MS 3000 /* the bound of every wait for what must happen */
#define TXN_WAIT_MS (PREPARE_TIMEOUT_MS + WAIT_MS) /* a commit cfgd's deadline ends */

/* A daemon as cfgd sees it: a cfgclient with the test's ops. */
struct part {
	struct cfgclient *c;
	const char *refuse; /* PREPARE votes no with this reason */
	unsigned checks, applies, discards;
	uint8_t *sec; /* the section applied last */
	size_t len;
};

/* A section checked and not yet applied or discarded. */
struct held {
	size_t len;
	uint8_t buf[];
};

/* A dbcli session. */
struct sess {
	struct bus_sock *s;
	uint64_t sent, got; /* the id of the last request, and of its answer */
	Db__CliReply *rep;  /* the last answer */
};

/* One test's world; each test is a process of its own. */
static struct {
	uv_loop_t loop;
	struct loopwait lw;
	void *zctx;
	char dir[96], run[128], state[128];
	struct cfgd cd;
	bool cd_on;
	struct part p[D__COUNT];
	struct sess a, b;
} T;

#define UNTIL(cond, ms) LOOPWAIT_UNTIL(&T.lw, cond, ms)
#define WAIT(cond) ck_assert_msg(UNTIL(cond, WAIT_MS), "not within %d ms: %s", WAIT_MS, #cond)

static const Db__Role ROLES[D__COUNT] = {DB__ROLE__ROLE_VRRPD, DB__ROLE__ROLE_RBSD,
					 DB__ROLE__ROLE_RBPD};

/* A configuration that gives each daemon a section of its own. */
static const char *const CONF_ALL[] = {
    "system-view",
    "interface eth1",
    "vrrp vrid 1 virtual-ip 192.0.2.100",
    "quit",
    "remote-backup-service rbs1",
    "peer 198.51.100.2 source 198.51.100.1 port 6000",
    "quit",
    "remote-backup-profile rbp1",
    "vrrp-id 1 interface eth1 odd-mac",
    "backup-id 10 remote-backup-service rbs1",
    "quit",
    NULL,
};

/* ---- the daemons -------------------------------------------------------- */

static void *op_check(void *arg, const uint8_t *section, size_t len, struct errlist *errs)
{
	struct part *p = arg;
	struct held *h = malloc(sizeof(*h) + len);

	ck_assert_ptr_nonnull(h);
	p->checks++;
	if (p->refuse)
		errlist_add(errs, "%s", p->refuse);
	h->len = len;
	if (len) /* an empty section comes as NULL */
		memcpy(h->buf, section, len);
	return h;
}

static void op_apply(void *arg, void *obj)
{
	struct part *p = arg;
	struct held *h = obj;

	p->applies++;
	free(p->sec);
	p->sec = malloc(h->len + 1);
	ck_assert_ptr_nonnull(p->sec);
	memcpy(p->sec, h->buf, h->len);
	p->len = h->len;
	free(h);
}

static void op_discard(void *arg, void *obj)
{
	struct part *p = arg;

	p->discards++;
	free(obj);
}

static const struct cfgclient_ops OPS = {op_check, op_apply, op_discard};

/* Daemon d connects to cfgd; fault, unless NULL, is its DB_FAULT. */
static void part_open(enum cfg_daemon d, const char *fault)
{
	int rc;

	if (fault)
		setenv("DB_FAULT", fault, 1);
	rc = cfgclient_open(&T.p[d].c, &T.loop, T.zctx, T.run, ROLES[d], &OPS, &T.p[d]);
	unsetenv("DB_FAULT");
	ck_assert_msg(rc == 0, "cfgclient_open: %s", strerror(-rc));
}

/* Daemon d goes away, and what it knew with it. */
static void part_close(enum cfg_daemon d)
{
	cfgclient_close(T.p[d].c);
	free(T.p[d].sec);
	memset(&T.p[d], 0, sizeof(T.p[d]));
}

/* Whether every daemon is up and runs cfgd's running configuration, as
 * cfgd knows it (what `display configuration sync` shows). */
static bool all_in_sync(void)
{
	for (int d = 0; d < D__COUNT; d++)
		if (!T.cd.d[d].up || !cfgd_in_sync(&T.cd, d))
			return false;
	return true;
}

/* What daemon d applied last, as the daemon reads it, in a few words. */
static char *applied(enum cfg_daemon d, char *buf, size_t len)
{
	struct part *p = &T.p[d];
	size_t used = 0;

	buf[0] = '\0';
	if (d == D_VRRPD) {
		Db__VrrpdConfig *c = db__vrrpd_config__unpack(NULL, p->len, p->sec);

		ck_assert_ptr_nonnull(c);
		for (size_t i = 0; i < c->n_groups; i++)
			used += (size_t)snprintf(
			    buf + used, len - used, "%s/%u:%s ", c->groups[i]->ifname,
			    c->groups[i]->vrid,
			    c->groups[i]->n_virtual_ips ? c->groups[i]->virtual_ips[0] : "-");
		db__vrrpd_config__free_unpacked(c, NULL);
	} else if (d == D_RBSD) {
		Db__RbsdConfig *c = db__rbsd_config__unpack(NULL, p->len, p->sec);

		ck_assert_ptr_nonnull(c);
		for (size_t i = 0; i < c->n_services; i++)
			used += (size_t)snprintf(buf + used, len - used, "%s>%s:%u ",
						 c->services[i]->name, c->services[i]->peer,
						 c->services[i]->port);
		db__rbsd_config__free_unpacked(c, NULL);
	} else {
		Db__RbpdConfig *c = db__rbpd_config__unpack(NULL, p->len, p->sec);

		ck_assert_ptr_nonnull(c);
		for (size_t i = 0; i < c->n_profiles; i++)
			used += (size_t)snprintf(buf + used, len - used, "%s#%u@%s ",
						 c->profiles[i]->name, c->profiles[i]->backup_id,
						 c->profiles[i]->service);
		db__rbpd_config__free_unpacked(c, NULL);
	}
	return buf;
}

/* What each daemon runs now is CONF_ALL's. */
static void assert_daemons_run_conf_all(void)
{
	char buf[256];

	ck_assert_str_eq(applied(D_VRRPD, buf, sizeof(buf)), "eth1/1:192.0.2.100 ");
	ck_assert_str_eq(applied(D_RBSD, buf, sizeof(buf)), "rbs1>198.51.100.2:6000 ");
	ck_assert_str_eq(applied(D_RBPD, buf, sizeof(buf)), "rbp1#10@rbs1 ");
}

/* ---- dbcli ----------------------------------------------------------------- */

static void on_reply(struct bus_sock *bs, const struct bus_part *parts, int n, void *arg)
{
	struct sess *s = arg;
	Db__Envelope *env;

	(void)bs;
	ck_assert_int_eq(n, 1);
	env = bus_unpack(parts[0].data, parts[0].len);
	ck_assert_ptr_nonnull(env);
	ck_assert_int_eq(env->sender, DB__ROLE__ROLE_CFGD);
	if (env->type == DB__MSG_TYPE__MSG_CLI_REPLY && env->id == s->sent) {
		if (s->rep)
			db__cli_reply__free_unpacked(s->rep, NULL);
		s->rep = db__cli_reply__unpack(NULL, env->payload.len, env->payload.data);
		ck_assert_ptr_nonnull(s->rep);
		s->got = env->id;
	}
	db__envelope__free_unpacked(env, NULL);
}

static void sess_open(struct sess *s)
{
	struct bus_opts o = {.type = ZMQ_DEALER, .cb = on_reply, .arg = s};
	char ep[256];

	ck_assert_int_eq(daemon_endpoint(ep, sizeof(ep), T.run, "cfgd-cli"), 0);
	o.endpoint = ep;
	ck_assert_int_eq(bus_open(&s->s, &T.loop, T.zctx, &o), 0);
}

static void sess_close(struct sess *s)
{
	if (s->s)
		bus_close(s->s);
	if (s->rep)
		db__cli_reply__free_unpacked(s->rep, NULL);
	memset(s, 0, sizeof(*s));
}

/* Sends line as dbcli sends what the operator typed (op: CLI_EXEC). */
static void sess_send(struct sess *s, Db__CliOp op, const char *line)
{
	Db__CliRequest rq = DB__CLI_REQUEST__INIT;

	rq.op = op;
	rq.line = (char *)line;
	ck_assert_int_eq(bus_send_msg(s->s, NULL, 0, DB__MSG_TYPE__MSG_CLI_REQUEST,
				      DB__ROLE__ROLE_CLI, ++s->sent, &rq.base),
			 0);
}

/* The answer to s's last request, within ms. */
static const char *sess_wait(struct sess *s, unsigned ms)
{
	ck_assert_msg(UNTIL(s->got == s->sent, ms), "no answer within %u ms", ms);
	return s->rep->output;
}

static const char *cli(struct sess *s, const char *line)
{
	sess_send(s, DB__CLI_OP__CLI_EXEC, line);
	return sess_wait(s, WAIT_MS);
}

static void cli_ok(struct sess *s, const char *line)
{
	const char *out = cli(s, line);

	ck_assert_msg(s->rep->ok, "'%s' refused: %s", line, out);
}

static void cli_lines(struct sess *s, const char *const *lines)
{
	for (; *lines; lines++)
		cli_ok(s, *lines);
}

/* The output of line, which must succeed, contains want. */
static void cli_has(struct sess *s, const char *line, const char *want)
{
	const char *out = cli(s, line);

	ck_assert_msg(s->rep->ok, "'%s' refused: %s", line, out);
	ck_assert_msg(strstr(out, want), "'%s' lacks '%s':\n%s", line, want, out);
}

static void cli_lacks(struct sess *s, const char *line, const char *unwanted)
{
	const char *out = cli(s, line);

	ck_assert_msg(s->rep->ok, "'%s' refused: %s", line, out);
	ck_assert_msg(!strstr(out, unwanted), "'%s' shows '%s':\n%s", line, unwanted, out);
}

/* The refusal of line, which must be refused. */
static const char *cli_refused(struct sess *s, const char *line, unsigned ms)
{
	const char *out;

	sess_send(s, DB__CLI_OP__CLI_EXEC, line);
	out = sess_wait(s, ms);
	ck_assert_msg(!s->rep->ok, "'%s' was not refused: %s", line, out);
	return out;
}

/* `line` (a display ending in json), parsed; the caller puts it. */
static struct json_object *cli_json(struct sess *s, const char *line)
{
	struct json_object *o = json_tokener_parse(cli(s, line));

	ck_assert_msg(s->rep->ok && o, "'%s': %s", line, s->rep->output);
	return o;
}


/* The running commit and the commits of the history, as the user reads
 * them (display configuration commit list json). */
static size_t history(struct sess *s, uint64_t *running)
{
	struct json_object *o = cli_json(s, "display configuration commit list json");
	size_t n = json_object_array_length(jcheck_get(o, "commits"));

	if (running)
		*running = (uint64_t)json_object_get_int64(jcheck_get(o, "running_commit_id"));
	json_object_put(o);
	return n;
}

/* `display configuration sync json`: every daemon up, in sync, running
 * the running commit. */
static void assert_sync_shown(struct sess *s)
{
	struct json_object *o = cli_json(s, "display configuration sync json");
	int64_t running = json_object_get_int64(jcheck_get(o, "running_commit_id"));
	struct json_object *arr = jcheck_get(o, "daemons");

	ck_assert_int_eq(json_object_array_length(arr), D__COUNT);
	for (size_t i = 0; i < D__COUNT; i++) {
		struct json_object *x = json_object_array_get_idx(arr, i);

		ck_assert_msg(json_object_get_boolean(jcheck_get(x, "up")) &&
				  json_object_get_boolean(jcheck_get(x, "in_sync")) &&
				  json_object_get_int64(jcheck_get(x, "applied_commit_id")) == running,
			      "not in sync: %s", json_object_to_json_string(x));
	}
	json_object_put(o);
}

/* ---- the state directory ------------------------------------------------- */

/* The commit files on disk. */
static size_t stored_commits(void)
{
	char path[192];
	struct dirent *e;
	size_t n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/commits", T.state);
	dir = opendir(path);
	if (dir == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL)
		if (strstr(e->d_name, ".cfg") && !strstr(e->d_name, ".tmp"))
			n++;
	closedir(dir);
	return n;
}

static bool trial_file(void)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/trial", T.state);
	return access(path, F_OK) == 0;
}

/* ---- cfgd ------------------------------------------------------------------ */

static void cfgd_start(void)
{
	int rc;

	memset(&T.cd, 0, sizeof(T.cd));
	T.cd.opts.name = "cfgd";
	T.cd.opts.rundir = T.run;
	T.cd.opts.statedir = T.state;
	rc = cfgd_init(&T.cd, &T.loop, T.zctx);
	ck_assert_msg(rc == 0, "cfgd_init: %s", strerror(-rc));
	T.cd_on = true;
}

/* Stops cfgd, lets the loop close its handles, frees it. */
static void cfgd_end(void)
{
	cfgd_stop(&T.cd);
	T.cd_on = false;
	UNTIL(false, 50);
	cfgd_free(&T.cd);
}

/* A commit of CONF_ALL in session s, and every daemon runs it. */
static void commit_conf_all(struct sess *s)
{
	cli_lines(s, CONF_ALL);
	cli_ok(s, "commit");
	cli_ok(s, "return");
	WAIT(all_in_sync());
	assert_daemons_run_conf_all();
}

/* The tests' directories are made under one root (tests/lib/tmproot.h),
 * which goes also after a test that failed. */
static char root[64];

static void root_make(void)
{
	tmproot_make(root, sizeof(root), "check_cfgd");
}

static void root_remove(void)
{
	tmproot_remove(root);
}

static void setup(void)
{
	snprintf(T.dir, sizeof(T.dir), "%s/t.XXXXXX", root);
	ck_assert_ptr_nonnull(mkdtemp(T.dir));
	snprintf(T.run, sizeof(T.run), "%s/run", T.dir);
	snprintf(T.state, sizeof(T.state), "%s/state", T.dir);
	ck_assert_int_eq(mkdir(T.run, 0750), 0);
	ck_assert_int_eq(mkdir(T.state, 0700), 0);
	ck_assert_int_eq(uv_loop_init(&T.loop), 0);
	loopwait_init(&T.lw, &T.loop, 0, NULL, NULL);
	T.zctx = zmq_ctx_new();
	ck_assert_ptr_nonnull(T.zctx);
	cfgd_start();
	for (int d = 0; d < D__COUNT; d++)
		part_open(d, NULL);
	sess_open(&T.a);
	sess_open(&T.b);
	/* every daemon said HELLO and got the (empty) running configuration;
	 * the tests count what happens from here on */
	WAIT(all_in_sync());
	for (int d = 0; d < D__COUNT; d++)
		T.p[d].checks = T.p[d].applies = T.p[d].discards = 0;
}

static void teardown(void)
{
	sess_close(&T.a);
	sess_close(&T.b);
	for (int d = 0; d < D__COUNT; d++)
		part_close(d);
	if (T.cd_on)
		cfgd_stop(&T.cd);
	loopwait_close(&T.lw);
	daemon_close_loop(&T.loop);
	cfgd_free(&T.cd);
	cfg_compile_cache_free();
	ck_assert_int_eq(uv_loop_close(&T.loop), 0);
	zmq_ctx_term(T.zctx);
	tmproot_rm(T.dir);
}

/* ---- tests ------------------------------------------------------------------ */

START_TEST(a_commit_reaches_every_daemon_and_survives_a_restart)
{
	unsigned applies[D__COUNT];
	uint64_t running;

	cli_lines(&T.a, CONF_ALL);
	/* rbs1 has no ssl-policy: the commit says so and goes on */
	cli_has(&T.a, "commit", "Warning");
	WAIT(all_in_sync());
	assert_daemons_run_conf_all();
	assert_sync_shown(&T.a);
	ck_assert_uint_eq(history(&T.a, &running), 1);
	ck_assert_uint_eq(running, FIRST_COMMIT_ID + 1);
	ck_assert_uint_eq(stored_commits(), 1);

	/* cfgd stops and starts again on its state directory: it runs the
	 * same commit, which the daemons run already (nothing pushed) */
	for (int d = 0; d < D__COUNT; d++)
		applies[d] = T.p[d].applies;
	cfgd_end();
	cfgd_start();
	WAIT(all_in_sync());
	for (int d = 0; d < D__COUNT; d++)
		ck_assert_uint_eq(T.p[d].applies, applies[d]);
	cli_has(&T.b, "display current-configuration", " vrrp vrid 1 virtual-ip 192.0.2.100\n");
	cli_has(&T.b, "display current-configuration",
		" backup-id 10 remote-backup-service rbs1\n");
	ck_assert_uint_eq(history(&T.b, &running), 1);
	ck_assert_uint_eq(running, FIRST_COMMIT_ID + 1);
	assert_sync_shown(&T.b);
}
END_TEST

START_TEST(a_daemon_refusing_at_prepare_aborts_everywhere_with_its_reason)
{
	const char *out;

	T.p[D_RBPD].refuse = "remote-backup-profile rbp1: interface eth1 does not exist";
	cli_lines(&T.a, CONF_ALL);
	out = cli_refused(&T.a, "commit", WAIT_MS);
	ck_assert_msg(strstr(out, "Error: The commit failed and nothing was changed"), "%s", out);
	ck_assert_msg(strstr(out, "rbpd"), "%s", out);
	ck_assert_msg(strstr(out, "interface eth1 does not exist"), "%s", out);
	/* the two that voted yes were told to abort: they dropped what
	 * they held, and nobody applied anything */
	WAIT(T.p[D_VRRPD].discards == 1 && T.p[D_RBSD].discards == 1);
	for (int d = 0; d < D__COUNT; d++) {
		ck_assert_uint_eq(T.p[d].checks, 1);
		ck_assert_uint_eq(T.p[d].applies, 0);
	}
	ck_assert_uint_eq(history(&T.a, NULL), 0);
	ck_assert_uint_eq(stored_commits(), 0);
	cli_lacks(&T.b, "display current-configuration", "vrrp");

	/* the candidate stays: once the cause is gone, the same commit goes */
	T.p[D_RBPD].refuse = NULL;
	cli_ok(&T.a, "commit");
	WAIT(all_in_sync());
	assert_daemons_run_conf_all();
	ck_assert_uint_eq(stored_commits(), 1);
}
END_TEST

START_TEST(a_daemon_that_does_not_answer_times_out_with_a_clear_error)
{
	const char *out;

	/* rbsd drops the PREPARE it gets, but says its heartbeats */
	part_close(D_RBSD);
	part_open(D_RBSD, "drop:prepare");
	WAIT(all_in_sync() && T.p[D_RBSD].applies == 1);
	cli_lines(&T.a, CONF_ALL);
	out = cli_refused(&T.a, "commit", TXN_WAIT_MS);
	ck_assert_msg(strstr(out, "Error: The commit failed and nothing was changed"), "%s", out);
	ck_assert_msg(strstr(out, "rbsd: no answer before the deadline"), "%s", out);
	WAIT(T.p[D_VRRPD].discards == 1 && T.p[D_RBPD].discards == 1);
	for (int d = 0; d < D__COUNT; d++)
		ck_assert_uint_eq(T.p[d].applies, d == D_RBSD); /* its push at connection */
	ck_assert_uint_eq(history(&T.a, NULL), 0);
	ck_assert_uint_eq(stored_commits(), 0);
	/* cfgd is free again: the next commit goes */
	cli_ok(&T.a, "commit");
	WAIT(all_in_sync());
	assert_daemons_run_conf_all();
}
END_TEST

/* A trial commit of vrid 2 on top of CONF_ALL. */
static void commit_trial_vrid2(unsigned seconds)
{
	char line[64], buf[256];

	commit_conf_all(&T.a);
	cli_ok(&T.a, "system-view");
	cli_ok(&T.a, "interface eth1");
	cli_ok(&T.a, "vrrp vrid 2 virtual-ip 192.0.2.101");
	snprintf(line, sizeof(line), "commit trial %u", seconds);
	cli_has(&T.a, line, "Trial commit: it is rolled back in");
	cli_ok(&T.a, "return");
	WAIT(all_in_sync());
	ck_assert_str_eq(applied(D_VRRPD, buf, sizeof(buf)),
			 "eth1/1:192.0.2.100 eth1/2:192.0.2.101 ");
	ck_assert(trial_file());
	cli_has(&T.b, "display configuration sync", "Trial commit: 1000000002, rolls back to");
}

/* The trial is gone and what it replaced runs again. */
static void assert_trial_rolled_back(void)
{
	char buf[256];

	WAIT(!T.cd.busy && all_in_sync() && T.cd.running_id == FIRST_COMMIT_ID + 3);
	ck_assert_str_eq(applied(D_VRRPD, buf, sizeof(buf)), "eth1/1:192.0.2.100 ");
	cli_lacks(&T.b, "display current-configuration", "192.0.2.101");
	cli_has(&T.b, "display configuration commit list", "trial-rollback");
	cli_has(&T.b, "display configuration sync", "Trial commit: none");
	ck_assert(!trial_file());
	ck_assert_uint_eq(stored_commits(), 3);
}

START_TEST(abort_trial_rolls_back_what_the_trial_commit_changed)
{
	commit_trial_vrid2(600);
	cli_has(&T.a, "abort trial", "Info: The trial commit is being rolled back.");
	assert_trial_rolled_back();
	/* nothing left to abort */
	ck_assert_str_eq(cli_refused(&T.a, "abort trial", WAIT_MS),
			 "Error: No trial commit is pending.");
}
END_TEST

START_TEST(a_trial_commit_not_confirmed_in_time_rolls_back_by_itself)
{
	commit_trial_vrid2(1);
	/* 1 s of the wall clock, seen by a tick of cfgd's within one more */
	ck_assert(UNTIL(T.cd.running_id == FIRST_COMMIT_ID + 3, 2000 + WAIT_MS));
	assert_trial_rolled_back();
}
END_TEST

START_TEST(a_trial_commit_confirmed_with_commit_stays)
{
	char buf[256];

	commit_trial_vrid2(600);
	cli_has(&T.a, "commit", "Info: The trial commit was confirmed.");
	ck_assert(!trial_file());
	cli_has(&T.b, "display configuration sync", "Trial commit: none");
	ck_assert_str_eq(applied(D_VRRPD, buf, sizeof(buf)),
			 "eth1/1:192.0.2.100 eth1/2:192.0.2.101 ");
	ck_assert_str_eq(cli_refused(&T.a, "abort trial", WAIT_MS),
			 "Error: No trial commit is pending.");
}
END_TEST

START_TEST(the_history_lists_commits_shows_their_changes_and_rolls_back)
{
	struct json_object *o, *c;
	char line[96], buf[256];

	commit_conf_all(&T.a);
	cli_ok(&T.a, "system-view");
	cli_ok(&T.a, "interface eth1");
	cli_ok(&T.a, "vrrp vrid 1 priority 120");
	cli_ok(&T.a, "commit label prio120");
	cli_ok(&T.a, "return");
	cli_has(&T.b, "display configuration commit list", "Total: 2");
	cli_has(&T.b, "display configuration commit list", "prio120");
	o = cli_json(&T.b, "display configuration commit list json");
	ck_assert_uint_eq(json_object_array_length(jcheck_get(o, "commits")), 2);
	for (size_t i = 0; i < 2; i++) {
		c = json_object_array_get_idx(jcheck_get(o, "commits"), i);
		if (json_object_get_int64(jcheck_get(c, "commit_id")) == FIRST_COMMIT_ID + 2)
			break;
	}
	ck_assert_str_eq(json_object_get_string(jcheck_get(c, "label")), "prio120");
	ck_assert_str_eq(json_object_get_string(jcheck_get(c, "user")), "root");
	ck_assert_int_eq(json_object_get_int64(jcheck_get(c, "commit_id")), FIRST_COMMIT_ID + 2);
	json_object_put(o);

	/* what each commit changed, and only that */
	cli_has(&T.b, "display configuration commit changes at 1000000001",
		"vrrp vrid 1 virtual-ip 192.0.2.100");
	cli_has(&T.b, "display configuration commit changes at 1000000002",
		"vrrp vrid 1 priority 120");
	cli_lacks(&T.b, "display configuration commit changes at 1000000002", "virtual-ip");
	ck_assert_str_eq(
	    cli_refused(&T.b, "display configuration commit changes at 1000000099", WAIT_MS),
	    "Error: No such commit in the history.");

	/* back to the state before the first commit: everything goes */
	snprintf(line, sizeof(line), "rollback configuration to commit-id %llu",
		 (unsigned long long)FIRST_COMMIT_ID + 1);
	cli_has(&T.b, line, "rolled back to the state before commit 1000000001");
	WAIT(all_in_sync());
	ck_assert_str_eq(applied(D_VRRPD, buf, sizeof(buf)), "");
	ck_assert_str_eq(applied(D_RBPD, buf, sizeof(buf)), "");
	cli_lacks(&T.b, "display current-configuration", "vrrp");
	cli_has(&T.b, "display configuration commit list", "rollback-1000000001");
	ck_assert_str_eq(
	    cli_refused(&T.b, "rollback configuration to commit-id 1000000099", WAIT_MS),
	    "Error: No such commit in the history.");
}
END_TEST

START_TEST(two_sessions_committing_at_once_are_queued_and_rebased)
{
	static const char *const a_lines[] = {
	    "system-view",
	    "interface eth1",
	    "vrrp vrid 1 virtual-ip 192.0.2.100",
	    NULL,
	};
	static const char *const b_lines[] = {
	    "system-view",
	    "remote-backup-service rbs1",
	    "peer 198.51.100.2 source 198.51.100.1 port 6000",
	    NULL,
	};
	char buf[256];

	cli_lines(&T.a, a_lines);
	cli_lines(&T.b, b_lines);
	/* both at once: b's waits for a's, then is made again on top of it */
	sess_send(&T.a, DB__CLI_OP__CLI_EXEC, "commit");
	sess_send(&T.b, DB__CLI_OP__CLI_EXEC, "commit");
	ck_assert_msg(UNTIL(T.cd.queue.n == 1 || T.a.got == T.a.sent, WAIT_MS), "nothing queued");
	ck_assert_uint_eq(T.cd.queue.n, 1);
	sess_wait(&T.a, WAIT_MS);
	ck_assert_msg(T.a.rep->ok, "%s", T.a.rep->output);
	sess_wait(&T.b, WAIT_MS);
	ck_assert_msg(T.b.rep->ok, "%s", T.b.rep->output);
	WAIT(all_in_sync());
	ck_assert_str_eq(applied(D_VRRPD, buf, sizeof(buf)), "eth1/1:192.0.2.100 ");
	ck_assert_str_eq(applied(D_RBSD, buf, sizeof(buf)), "rbs1>198.51.100.2:6000 ");
	ck_assert_uint_eq(history(&T.a, NULL), 2);
	cli_has(&T.a, "display current-configuration", "peer 198.51.100.2");
	cli_has(&T.b, "display current-configuration", "virtual-ip 192.0.2.100");
}
END_TEST

START_TEST(the_second_of_two_sessions_editing_the_same_thing_is_refused)
{
	const char *out;
	char buf[256];

	commit_conf_all(&T.a);
	cli_ok(&T.a, "system-view");
	cli_ok(&T.a, "interface eth1");
	cli_ok(&T.b, "system-view");
	cli_ok(&T.b, "interface eth1");
	cli_ok(&T.a, "vrrp vrid 1 priority 120");
	cli_ok(&T.b, "vrrp vrid 1 priority 130");
	sess_send(&T.a, DB__CLI_OP__CLI_EXEC, "commit");
	sess_send(&T.b, DB__CLI_OP__CLI_EXEC, "commit");
	sess_wait(&T.a, WAIT_MS);
	ck_assert_msg(T.a.rep->ok, "%s", T.a.rep->output);
	out = sess_wait(&T.b, WAIT_MS);
	ck_assert_msg(!T.b.rep->ok, "%s", out);
	ck_assert_msg(strstr(out, "was changed by root in commit 1000000002"), "%s", out);
	WAIT(all_in_sync());
	cli_has(&T.a, "display current-configuration", "vrrp vrid 1 priority 120");
	cli_lacks(&T.a, "display current-configuration", "130");
	ck_assert_str_eq(applied(D_VRRPD, buf, sizeof(buf)), "eth1/1:192.0.2.100 ");
	ck_assert_uint_eq(history(&T.a, NULL), 2);
}
END_TEST

START_TEST(display_current_configuration_shows_the_running_configuration)
{
	const char *out;

	out = cli(&T.a, "display current-configuration");
	ck_assert(T.a.rep->ok);
	ck_assert_msg(!strstr(out, "vrrp") && strstr(out, "return"), "%s", out);
	commit_conf_all(&T.a);
	cli_ok(&T.a, "system-view");
	cli_ok(&T.a, "sysname R1");
	/* cfgd's own setting: no daemon is asked */
	cli_ok(&T.a, "commit");
	ck_assert_str_eq(T.a.rep->prompt, "[~R1]");
	cli_ok(&T.a, "return");
	out = cli(&T.b, "display current-configuration");
	ck_assert_msg(strstr(out, "sysname R1\n") &&
			  strstr(out, "interface eth1\n vrrp vrid 1 virtual-ip 192.0.2.100\n") &&
			  strstr(out, "remote-backup-service rbs1\n peer 198.51.100.2 source "
				      "198.51.100.1 port 6000\n") &&
			  strstr(out, "remote-backup-profile rbp1\n"),
		      "%s", out);
}
END_TEST

START_TEST(a_display_a_daemon_answers_is_routed_to_it)
{
	cli(&T.a, "display vrrp");
	ck_assert(T.a.rep->ok);
	ck_assert_int_eq(T.a.rep->forward_to, DB__ROLE__ROLE_VRRPD);
	ck_assert_ptr_nonnull(T.a.rep->query);
	ck_assert_int_eq(T.a.rep->query->kind, DB__QUERY_KIND__QUERY_VRRP);
	cli(&T.a, "display remote-backup-service rbs1");
	ck_assert(T.a.rep->ok);
	ck_assert_int_eq(T.a.rep->forward_to, DB__ROLE__ROLE_RBSD);
	ck_assert_str_eq(T.a.rep->query->name, "rbs1");
	cli(&T.a, "display configuration sync");
	ck_assert_int_eq(T.a.rep->forward_to, 0);
	ck_assert_ptr_null(T.a.rep->query);
}
END_TEST

START_TEST(a_daemon_that_reconnects_gets_the_running_configuration)
{
	char buf[256];

	commit_conf_all(&T.a);
	/* rbpd restarts: it knows nothing, cfgd pushes it what runs */
	part_close(D_RBPD);
	part_open(D_RBPD, NULL);
	WAIT(T.p[D_RBPD].applies == 1 && all_in_sync());
	ck_assert_uint_eq(T.p[D_RBPD].checks, 1);
	ck_assert_str_eq(applied(D_RBPD, buf, sizeof(buf)), "rbp1#10@rbs1 ");
	assert_sync_shown(&T.b);
	cli_has(&T.b, "display configuration sync", "rbpd    up");
}
END_TEST

START_TEST(bad_cli_input_is_refused_with_a_clear_error)
{
	static const char *const no_vip[] = {
	    "system-view",
	    "interface eth1",
	    "vrrp vrid 1 priority 120",
	    NULL,
	};
	const char *out;

	out = cli_refused(&T.a, "display nonsense", WAIT_MS);
	ck_assert_msg(strstr(out, "Error: Unrecognized command found at '^' position."), "%s", out);
	cli_ok(&T.a, "system-view");
	cli_ok(&T.a, "interface eth1");
	out = cli_refused(&T.a, "vrrp vrid 256 virtual-ip 192.0.2.1", WAIT_MS);
	ck_assert_msg(strstr(out, "Error: Wrong parameter found at '^' position."), "%s", out);
	out = cli_refused(&T.a, "vrrp vrid 1 virtual-ip nowhere", WAIT_MS);
	ck_assert_msg(strstr(out, "Error"), "%s", out);
	cli_ok(&T.a, "return");

	/* a configuration that does not hold together is refused whole */
	cli_lines(&T.b, no_vip);
	out = cli_refused(&T.b, "commit", WAIT_MS);
	ck_assert_msg(strstr(out, "Error: The configuration is not valid; nothing was changed:"),
		      "%s", out);
	ck_assert_msg(strstr(out, "has no virtual-ip"), "%s", out);
	for (int d = 0; d < D__COUNT; d++)
		ck_assert_uint_eq(T.p[d].checks, 0);
	ck_assert_uint_eq(history(&T.a, NULL), 0);
	ck_assert_uint_eq(stored_commits(), 0);
}
END_TEST

START_TEST(garbage_and_a_false_identity_are_dropped_and_cfgd_goes_on)
{
	struct bus_opts o = {.type = ZMQ_DEALER, .routing_id = "intruder"};
	Db__Hello h = DB__HELLO__INIT;
	struct bus_sock *rogue, *junk;
	char ep[256], ep2[256];
	unsigned long dropped;

	commit_conf_all(&T.a);
	/* a HELLO as rbsd from another identity would have cfgd push to it
	 * and count it up: it is dropped */
	ck_assert_int_eq(daemon_endpoint(ep, sizeof(ep), T.run, "cfgd"), 0);
	o.endpoint = ep;
	ck_assert_int_eq(bus_open(&rogue, &T.loop, T.zctx, &o), 0);
	h.role = DB__ROLE__ROLE_RBSD;
	h.pid = 4242;
	dropped = T.cd.dropped;
	/* (a send fails until the connection is up) */
	WAIT(bus_send_msg(rogue, NULL, 0, DB__MSG_TYPE__MSG_HELLO, DB__ROLE__ROLE_RBSD, 0,
			  &h.base) == 0);
	WAIT(T.cd.dropped > dropped);
	/* garbage on the CLI endpoint, and a request there claiming to be a
	 * daemon's message */
	ck_assert_int_eq(daemon_endpoint(ep2, sizeof(ep2), T.run, "cfgd-cli"), 0);
	o.endpoint = ep2;
	o.routing_id = NULL;
	ck_assert_int_eq(bus_open(&junk, &T.loop, T.zctx, &o), 0);
	dropped = T.cd.dropped;
	WAIT(bus_send(junk, NULL, 0, "\xff\xfe garbage", 10) == 0);
	ck_assert_int_eq(
	    bus_send_msg(junk, NULL, 0, DB__MSG_TYPE__MSG_HELLO, DB__ROLE__ROLE_VRRPD, 0, &h.base),
	    0);
	WAIT(T.cd.dropped >= dropped + 2);
	bus_close(rogue);
	bus_close(junk);
	/* nothing of it shows, and the sessions go on */
	cli_lacks(&T.a, "display configuration sync", "4242");
	assert_sync_shown(&T.a);
	cli_has(&T.b, "display current-configuration", "virtual-ip 192.0.2.100");
}
END_TEST

/* The raw "rbsd" below: what cfgd answered its HELLO with. */
static uint64_t cfgd_hello_pid;

static void on_cfgd_answer(struct bus_sock *bs, const struct bus_part *parts, int n, void *arg)
{
	Db__Envelope *env = n == 1 ? bus_unpack(parts[0].data, parts[0].len) : NULL;
	Db__Hello *h;

	(void)bs;
	(void)arg;
	if (env && env->type == DB__MSG_TYPE__MSG_HELLO && env->sender == DB__ROLE__ROLE_CFGD &&
	    (h = db__hello__unpack(NULL, env->payload.len, env->payload.data)) != NULL) {
		cfgd_hello_pid = h->pid;
		db__hello__free_unpacked(h, NULL);
	}
	if (env)
		db__envelope__free_unpacked(env, NULL);
}

static bool rbsd_down(void)
{
	return !T.cd.d[D_RBSD].up;
}

START_TEST(a_daemon_is_quiet_while_it_lives_and_down_at_once_when_it_ends)
{
	struct bus_opts o = {.type = ZMQ_DEALER, .routing_id = "rbsd", .cb = on_cfgd_answer};
	Db__Hello h = DB__HELLO__INIT;
	struct bus_sock *rbsd;
	uint64_t seen, t0;
	char ep[256];
	pid_t child;

	commit_conf_all(&T.a);
	/* cfgd answered each daemon's HELLO: their heartbeats are 10 s apart,
	 * so none comes in the next 1.5 s (they were 1 s apart) */
	seen = T.cd.d[D_VRRPD].last_seen_ms;
	loopwait_run_for(&T.lw, 1500);
	ck_assert_uint_eq(T.cd.d[D_VRRPD].last_seen_ms, seen);

	/* rbsd is now a process of its own that says HELLO with its pid */
	part_close(D_RBSD);
	child = standin_start();
	ck_assert_int_eq(daemon_endpoint(ep, sizeof(ep), T.run, "cfgd"), 0);
	o.endpoint = ep;
	ck_assert_int_eq(bus_open(&rbsd, &T.loop, T.zctx, &o), 0);
	h.role = DB__ROLE__ROLE_RBSD;
	h.pid = (uint64_t)child;
	cfgd_hello_pid = 0;
	WAIT(bus_send_msg(rbsd, NULL, 0, DB__MSG_TYPE__MSG_HELLO, DB__ROLE__ROLE_RBSD, 0,
			  &h.base) == 0);
	WAIT(cfgd_hello_pid != 0 && T.cd.d[D_RBSD].pid == (uint64_t)child);
	ck_assert_uint_eq(cfgd_hello_pid, (uint64_t)getpid()); /* cfgd says who it is */
	ck_assert(T.cd.d[D_RBSD].up);

	/* it dies: cfgd knows within a second, not after DAEMON_DEAD_MS */
	t0 = loopwait_ms();
	standin_end(child);
	ck_assert(UNTIL(rbsd_down(), 1000));
	ck_assert_uint_lt(loopwait_ms() - t0, 1000);
	cli_has(&T.b, "display configuration sync", "rbsd    down");
	bus_close(rbsd);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    a_commit_reaches_every_daemon_and_survives_a_restart,
	    a_daemon_refusing_at_prepare_aborts_everywhere_with_its_reason,
	    a_daemon_that_does_not_answer_times_out_with_a_clear_error,
	    abort_trial_rolls_back_what_the_trial_commit_changed,
	    a_trial_commit_not_confirmed_in_time_rolls_back_by_itself,
	    a_trial_commit_confirmed_with_commit_stays,
	    the_history_lists_commits_shows_their_changes_and_rolls_back,
	    two_sessions_committing_at_once_are_queued_and_rebased,
	    the_second_of_two_sessions_editing_the_same_thing_is_refused,
	    display_current_configuration_shows_the_running_configuration,
	    a_display_a_daemon_answers_is_routed_to_it,
	    a_daemon_that_reconnects_gets_the_running_configuration,
	    bad_cli_input_is_refused_with_a_clear_error,
	    garbage_and_a_false_identity_are_dropped_and_cfgd_goes_on,
	    a_daemon_is_quiet_while_it_lives_and_down_at_once_when_it_ends,
	    NULL,
	};
	const struct checkrun_case cases[] = {
	    {
		.tests = tests,
		.timeout = 20,
		.setup = setup,
		.teardown = teardown,
		.unchecked_setup = root_make,
		.unchecked_teardown = root_remove,
	    },
	};

	return checkrun("cfgd", cases, sizeof(cases) / sizeof(cases[0]));
}
