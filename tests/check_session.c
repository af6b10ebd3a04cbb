/* A CLI session: views, prompts, candidate edits, and which commands are
 * handed back to cfgd. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus.pb-c.h"
#include "cfgd/session.h"
#include "tests/lib/checkrun.h"

static struct session s;
static struct conf *running;
static struct sess_result res;

static void setup(void)
{
	memset(&s, 0, sizeof(s));
	s.view = VIEW_USER;
	running = conf_new();
}

static void teardown(void)
{
	cand_clear(&s.cand);
	conf_free(running);
	free(res.output);
	res.output = NULL;
}

static bool run(const char *line)
{
	free(res.output);
	sess_exec(&s, running, 1000000001, line, &res);
	return res.ok;
}

static const char *prompt(void)
{
	static char p[160];

	sess_prompt(&s, "A", p, sizeof(p));
	return p;
}

/* The display a daemon is asked: its kind and what it names, typed. */
static void query_is(Db__QueryKind kind, const char *name, bool verbose, const char *service)
{
	ck_assert_int_eq(res.req, SR_FORWARD);
	ck_assert_int_eq(res.query.kind, kind);
	ck_assert_str_eq(res.query.name, name);
	ck_assert_int_eq(res.query.verbose, verbose);
	ck_assert_str_eq(res.query.service, service);
}

START_TEST(prompt_follows_views_and_pending_changes)
{
	ck_assert_str_eq(prompt(), "<A>");
	ck_assert(run("system-view"));
	ck_assert_str_eq(prompt(), "[~A]");
	ck_assert(run("interface eth1"));
	ck_assert_str_eq(prompt(), "[~A-eth1]");
	ck_assert(run("vrrp vrid 1 virtual-ip 192.0.2.1"));
	ck_assert_str_eq(prompt(), "[*A-eth1]");
	ck_assert(run("remote-backup-service rbs1"));
	ck_assert_str_eq(prompt(), "[*A-rm-backup-srv-rbs1]");
	ck_assert(run("quit"));
	ck_assert_str_eq(prompt(), "[*A]");
	ck_assert(run("clear configuration candidate"));
	ck_assert_str_eq(prompt(), "[~A]");
	ck_assert(run("return"));
	ck_assert_str_eq(prompt(), "<A>");
	ck_assert(run("quit"));
	ck_assert(s.closed);
}
END_TEST

START_TEST(objects_exist_from_creation_to_removal)
{
	run("system-view");
	ck_assert(!run("undo remote-backup-service rbs1"));
	ck_assert_ptr_nonnull(strstr(res.output, "does not exist"));
	ck_assert(run("remote-backup-service rbs1"));
	ck_assert(run("undo remote-backup-service rbs1"));
	ck_assert(!run("undo remote-backup-service rbs1"));
	/* existing in running: entering it is no change */
	conf_section_add(running, VIEW_RBS, "rbs2");
	cand_clear(&s.cand);
	ck_assert(run("remote-backup-service rbs2"));
	ck_assert_uint_eq(s.cand.n, 0);
	ck_assert(run("undo remote-backup-service rbs2"));
	ck_assert_uint_eq(s.cand.n, 1);
}
END_TEST

START_TEST(display_of_candidate_shows_the_changes)
{
	run("system-view");
	run("interface eth1");
	run("vrrp vrid 1 virtual-ip 192.0.2.1");
	run("remote-backup-service rbs1");
	run("batch-backup service-type arp now");
	ck_assert(run("display configuration candidate"));
	ck_assert_ptr_nonnull(strstr(res.output, "+ vrrp vrid 1 virtual-ip 192.0.2.1"));
	ck_assert_ptr_nonnull(strstr(res.output, "+remote-backup-service rbs1"));
	ck_assert_ptr_nonnull(
	    strstr(res.output, "batch-backup service-type arp now (runs at commit)"));
}
END_TEST

START_TEST(commands_for_cfgd_and_daemons_are_handed_back)
{
	run("system-view");
	run("commit trial 30");
	ck_assert_int_eq(res.req, SR_COMMIT);
	ck_assert_uint_eq(res.trial_s, 30);
	run("commit label before-maintenance");
	ck_assert_str_eq(res.label, "before-maintenance");
	run("rollback configuration to commit-id 1000000003");
	ck_assert_int_eq(res.req, SR_ROLLBACK);
	ck_assert_uint_eq(res.commit_id, 1000000003);
	run("display vrrp brief");
	ck_assert_int_eq(res.req, SR_FORWARD);
	query_is(DB__QUERY_KIND__QUERY_VRRP_BRIEF, "", 0, "");
	run("display remote-backup-service rbs1");
	query_is(DB__QUERY_KIND__QUERY_RBS, "rbs1", 0, "");
	ck_assert(run("display remote-backup-service rbs1 verbose"));
	query_is(DB__QUERY_KIND__QUERY_RBS, "rbs1", 1, "");
	/* verbose is the keyword, not a service named so */
	ck_assert(run("display remote-backup-service verbose"));
	query_is(DB__QUERY_KIND__QUERY_RBS, "", 1, "");
	ck_assert(run("display remote-backup-service rbs1 verbose json"));
	query_is(DB__QUERY_KIND__QUERY_RBS, "rbs1", 1, "");
	ck_assert(res.json);
	ck_assert(!run("display remote-backup-service rbs1 json verbose"));
}
END_TEST

/* VRP's static BFD session: bfd, then bfd NAME bind peer-ip ... creates
 * the session and enters its view; bfd NAME alone enters only an
 * existing one; display bfd session goes to vrrpd. */
START_TEST(bfd_sessions_are_created_with_their_bind_and_entered_by_name)
{
	struct conf *c;
	char *text;

	ck_assert(run("system-view"));
	ck_assert(run("bfd"));
	ck_assert_str_eq(prompt(), "[*A-bfd]");
	ck_assert(run("quit"));
	ck_assert(!run("bfd atob"));
	ck_assert_ptr_nonnull(strstr(res.output, "does not exist"));
	ck_assert(run("bfd atob bind peer-ip 198.51.100.2 interface eth2"));
	ck_assert_str_eq(prompt(), "[*A-bfd-session-atob]");
	ck_assert(run("discriminator local 10"));
	ck_assert(run("min-tx-interval 10"));
	ck_assert(!run("min-tx-interval 5"));
	ck_assert(!run("detect-multiplier 51"));
	ck_assert(run("quit"));
	ck_assert(run("bfd atob"));
	ck_assert_str_eq(prompt(), "[*A-bfd-session-atob]");
	c = conf_dup(running);
	ck_assert_int_eq(cand_apply(&s.cand, c), 0);
	text = conf_render(c);
	ck_assert_ptr_nonnull(strstr(text, "bfd atob\n bind peer-ip 198.51.100.2 interface eth2\n"
					   " discriminator local 10\n min-tx-interval 10\n"));
	free(text);
	conf_free(c);
	ck_assert(run("display bfd session"));
	ck_assert_int_eq(res.req, SR_FORWARD);
	query_is(DB__QUERY_KIND__QUERY_BFD_SESSION, "", 0, "");
	ck_assert(run("display bfd session atob json"));
	query_is(DB__QUERY_KIND__QUERY_BFD_SESSION, "atob", 0, "");
	ck_assert(res.json);
}
END_TEST

START_TEST(a_trailing_json_asks_any_display_for_json)
{
	ck_assert(run("display vrrp brief"));
	ck_assert(!res.json);
	ck_assert(run("display vrrp json"));
	ck_assert_int_eq(res.req, SR_FORWARD);
	query_is(DB__QUERY_KIND__QUERY_VRRP, "", 0, "");
	ck_assert(res.json);
	ck_assert(run("display vrrp statistics json"));
	query_is(DB__QUERY_KIND__QUERY_VRRP_STATISTICS, "", 0, "");
	ck_assert(res.json);
	ck_assert(run("display vrrp verbose"));
	query_is(DB__QUERY_KIND__QUERY_VRRP, "", 1, "");
	ck_assert(run("display remote-backup-service json"));
	query_is(DB__QUERY_KIND__QUERY_RBS, "", 0, "");
	ck_assert(res.json);
	ck_assert(run("display remote-backup-profile json"));
	query_is(DB__QUERY_KIND__QUERY_RBP, "", 0, "");
	ck_assert(res.json);
	ck_assert(run("display remote-backup-service rbs1 json"));
	query_is(DB__QUERY_KIND__QUERY_RBS, "rbs1", 0, "");
	ck_assert(res.json);
	ck_assert(run("display remote-backup-profile rbp1 users dhcp-server json"));
	query_is(DB__QUERY_KIND__QUERY_RBP_USERS, "rbp1", 0, "dhcp-server");
	ck_assert_str_eq(res.query.mac, "");
	ck_assert(res.json);
	ck_assert(run("display remote-backup-profile rbp1 users arp mac 00e0-fc12-3457"));
	query_is(DB__QUERY_KIND__QUERY_RBP_USERS, "rbp1", 0, "arp");
	ck_assert_str_eq(res.query.mac, "00e0-fc12-3457");
	ck_assert(!res.json);
	ck_assert(run("display configuration sync json"));
	ck_assert_int_eq(res.req, SR_SYNC);
	ck_assert(res.json);
	ck_assert(run("display configuration commit list json"));
	ck_assert_int_eq(res.req, SR_COMMIT_LIST);
	ck_assert(res.json);
	/* json comes last, once, and only on displays */
	ck_assert(!run("display vrrp json brief"));
	ck_assert(!run("display vrrp json json"));
	run("system-view");
	ck_assert(!run("sysname json json"));
}
END_TEST

START_TEST(errors_leave_view_and_candidate_alone)
{
	run("system-view");
	run("interface eth1");
	ck_assert(!run("vrrp vrid 1 priority 255"));
	ck_assert_ptr_nonnull(strstr(res.output, "^"));
	ck_assert_ptr_nonnull(strstr(res.output, "1-254"));
	ck_assert_str_eq(prompt(), "[~A-eth1]");
	ck_assert_uint_eq(s.cand.n, 0);
	/* '#' closes the section, as in a saved configuration */
	ck_assert(run("#"));
	ck_assert_str_eq(prompt(), "[~A]");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    prompt_follows_views_and_pending_changes,
	    objects_exist_from_creation_to_removal,
	    display_of_candidate_shows_the_changes,
	    commands_for_cfgd_and_daemons_are_handed_back,
	    a_trailing_json_asks_any_display_for_json,
	    bfd_sessions_are_created_with_their_bind_and_entered_by_name,
	    errors_leave_view_and_candidate_alone,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests, .setup = setup, .teardown = teardown};

	return checkrun("session", &core, 1);
}
