/* A daemon's control socket over a real ipc:// endpoint (common/ctl.c):
 * the query arrives typed, a display comes back as text, a typed answer
 * as its message, and a query the daemon does not answer is refused with
 * a sentence that names it. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include "common/bus.h"
#include "common/ctl.h"
#include "tests/lib/checkrun.h"

static uv_loop_t loop;
static void *zctx;
static struct ctl *ctl;
static char dir[] = "/tmp/check_ctl.XXXXXX";
static void *dealer;

/* What the test daemon saw of the last query. */
static Db__Query seen;
static char seen_name[64];

static Db__VrrpGroupState g1 = DB__VRRP_GROUP_STATE__INIT;
static Db__VrrpGroupState *groups[] = {&g1};
static Db__VrrpStateList list = DB__VRRP_STATE_LIST__INIT;

/* ctl_query_fn: answers QUERY_VRRP (text, or JSON) and QUERY_VRRP_STATES
 * (typed), nothing else. */
static int answer(void *arg, const Db__Query *q, FILE *out, Db__QueryReply *r)
{
	ck_assert_ptr_eq(arg, &loop);
	seen = *q;
	snprintf(seen_name, sizeof(seen_name), "%s", q->name);
	switch (q->kind) {
	case DB__QUERY_KIND__QUERY_VRRP:
		fprintf(out, q->json ? "{\"groups\":[]}" : "groups of %s", q->name);
		return 1;
	case DB__QUERY_KIND__QUERY_VRRP_STATES:
		r->states = &list;
		return 1;
	default:
		return 0;
	}
}

static void setup(void)
{
	char ep[128];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	uv_loop_init(&loop);
	zctx = zmq_ctx_new();
	ck_assert_int_eq(ctl_open(&ctl, &loop, zctx, dir, DB__ROLE__ROLE_VRRPD, answer, &loop), 0);
	dealer = zmq_socket(zctx, ZMQ_DEALER);
	snprintf(ep, sizeof(ep), "ipc://%s/vrrpd.ipc", dir);
	ck_assert_int_eq(zmq_connect(dealer, ep), 0);
	g1.ifname = "eth1";
	g1.vrid = 7;
	g1.ipv6 = true;
	g1.state = DB__VRRP_STATE__VRRP_STATE_MASTER;
	g1.takeover = 42;
	list.seq = 9;
	list.n_groups = 1;
	list.groups = groups;
}

static void teardown(void)
{
	char path[160];
	int zero = 0;

	zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(dealer);
	ctl_close(ctl);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
	zmq_ctx_term(zctx);
	snprintf(path, sizeof(path), "%s/vrrpd.ipc", dir);
	unlink(path);
	rmdir(dir);
	strcpy(dir, "/tmp/check_ctl.XXXXXX");
}

/* Send q as dbcli does and run the daemon's loop until the reply comes. */
static Db__QueryReply *ask(const Db__Query *q)
{
	uint8_t *buf;
	size_t len;
	Db__Envelope *env;
	Db__QueryReply *r = NULL;

	ck_assert_int_eq(
	    bus_pack(&buf, &len, DB__MSG_TYPE__MSG_QUERY, DB__ROLE__ROLE_CLI, 5, &q->base), 0);
	ck_assert_int_eq(zmq_send(dealer, buf, len, 0), (int)len);
	free(buf);
	for (int i = 0; i < 400 && r == NULL; i++) {
		zmq_pollitem_t it = {.socket = dealer, .events = ZMQ_POLLIN};
		zmq_msg_t m;

		uv_run(&loop, UV_RUN_NOWAIT);
		if (zmq_poll(&it, 1, 5) <= 0)
			continue;
		zmq_msg_init(&m);
		ck_assert_int_ge(zmq_msg_recv(&m, dealer, 0), 0);
		env = bus_unpack(zmq_msg_data(&m), zmq_msg_size(&m));
		zmq_msg_close(&m);
		ck_assert_ptr_nonnull(env);
		ck_assert_int_eq(env->type, DB__MSG_TYPE__MSG_QUERY_REPLY);
		ck_assert_uint_eq(env->id, 5);
		r = db__query_reply__unpack(NULL, env->payload.len, env->payload.data);
		db__envelope__free_unpacked(env, NULL);
	}
	ck_assert_ptr_nonnull(r);
	return r;
}

START_TEST(a_display_arrives_typed_and_answers_in_text_or_json)
{
	Db__Query q = DB__QUERY__INIT;
	Db__QueryReply *r;

	q.kind = DB__QUERY_KIND__QUERY_VRRP;
	q.name = "eth1";
	q.verbose = true;
	r = ask(&q);
	ck_assert(r->ok);
	ck_assert_str_eq(r->text, "groups of eth1");
	ck_assert_ptr_null(r->states);
	ck_assert_int_eq(seen.kind, DB__QUERY_KIND__QUERY_VRRP);
	ck_assert(seen.verbose);
	ck_assert_str_eq(seen_name, "eth1");
	db__query_reply__free_unpacked(r, NULL);
	q.json = true;
	r = ask(&q);
	ck_assert(r->ok);
	ck_assert_str_eq(r->text, "{\"groups\":[]}");
	db__query_reply__free_unpacked(r, NULL);
}
END_TEST

START_TEST(the_group_states_come_back_as_a_message)
{
	Db__Query q = DB__QUERY__INIT;
	Db__QueryReply *r;

	q.kind = DB__QUERY_KIND__QUERY_VRRP_STATES;
	r = ask(&q);
	ck_assert(r->ok);
	ck_assert_str_eq(r->text, "");
	ck_assert_ptr_nonnull(r->states);
	ck_assert_uint_eq(r->states->seq, 9);
	ck_assert_uint_eq(r->states->n_groups, 1);
	ck_assert_str_eq(r->states->groups[0]->ifname, "eth1");
	ck_assert_uint_eq(r->states->groups[0]->vrid, 7);
	ck_assert(r->states->groups[0]->ipv6);
	ck_assert_int_eq(r->states->groups[0]->state, DB__VRRP_STATE__VRRP_STATE_MASTER);
	ck_assert_uint_eq(r->states->groups[0]->takeover, 42);
	db__query_reply__free_unpacked(r, NULL);
}
END_TEST

START_TEST(a_query_for_another_daemon_is_refused_by_name)
{
	Db__Query q = DB__QUERY__INIT;
	Db__QueryReply *r;

	q.kind = DB__QUERY_KIND__QUERY_RBS;
	r = ask(&q);
	ck_assert(!r->ok);
	ck_assert_str_eq(r->text, "Error: vrrpd cannot answer remote-backup-service.");
	db__query_reply__free_unpacked(r, NULL);
	/* a kind this build does not know */
	q.kind = (Db__QueryKind)99;
	r = ask(&q);
	ck_assert(!r->ok);
	ck_assert_str_eq(r->text, "Error: vrrpd cannot answer unknown query.");
	db__query_reply__free_unpacked(r, NULL);
	/* asked for JSON, refused in JSON (docs/json.md: "error") */
	q.kind = DB__QUERY_KIND__QUERY_RBP;
	q.json = true;
	r = ask(&q);
	ck_assert(!r->ok);
	ck_assert_str_eq(r->text, "{\"error\":\"vrrpd cannot answer remote-backup-profile.\"}");
	db__query_reply__free_unpacked(r, NULL);
	q.json = false;
	/* and the socket still answers */
	q.kind = DB__QUERY_KIND__QUERY_VRRP;
	r = ask(&q);
	ck_assert(r->ok);
	db__query_reply__free_unpacked(r, NULL);
}
END_TEST

START_TEST(every_kind_has_its_display_words)
{
	for (int k = 1; k <= DB__QUERY_KIND__QUERY_VRRP_STATES; k++)
		ck_assert_str_ne(ctl_kind_word((Db__QueryKind)k), "unknown query");
	ck_assert_str_eq(ctl_kind_word(DB__QUERY_KIND__QUERY_NONE), "unknown query");
	ck_assert_str_eq(bus_vrrp_state_word(DB__VRRP_STATE__VRRP_STATE_INITIALIZE), "Initialize");
	ck_assert_str_eq(bus_vrrp_state_word(DB__VRRP_STATE__VRRP_STATE_BACKUP), "Backup");
	ck_assert_str_eq(bus_vrrp_state_word(DB__VRRP_STATE__VRRP_STATE_MASTER), "Master");
	ck_assert_str_eq(bus_vrrp_state_word(DB__VRRP_STATE__VRRP_STATE_NONE), "unknown");
}
END_TEST

START_TEST(a_copied_message_outlives_its_original)
{
	Db__Query q = DB__QUERY__INIT;
	char name[] = "rbp1";
	Db__Query *copy;

	q.kind = DB__QUERY_KIND__QUERY_RBP_USERS;
	q.name = name;
	q.service = "arp";
	q.json = true;
	copy = (Db__Query *)bus_msg_copy(&q.base);
	ck_assert_ptr_nonnull(copy);
	name[0] = 'X';
	ck_assert_int_eq(copy->kind, DB__QUERY_KIND__QUERY_RBP_USERS);
	ck_assert_str_eq(copy->name, "rbp1");
	ck_assert_str_eq(copy->service, "arp");
	ck_assert(copy->json);
	db__query__free_unpacked(copy, NULL);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    a_display_arrives_typed_and_answers_in_text_or_json,
	    the_group_states_come_back_as_a_message,
	    a_query_for_another_daemon_is_refused_by_name,
	    every_kind_has_its_display_words,
	    a_copied_message_outlives_its_original,
	    NULL,
	};
	const struct checkrun_case core = {
	    .tests = tests, .timeout = 10, .setup = setup, .teardown = teardown};

	return checkrun("ctl", &core, 1);
}
