/* cfgd's commit queue: the order commits run in, and what each becomes at
 * its turn (run as it is, re-based on the running configuration, or
 * refused with the message its CLI session sees), and the record of a
 * trial rollback until it is durable. The queue's conf.c calls and its
 * allocation go through counting stubs over the real functions, which
 * fail on demand. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgd/commitq.h"
#include "tests/lib/checkrun.h"

#define PRIO "vrrp vrid 1 priority"

static struct {
	int dup, free, conflicts, apply, realloc;
} calls;
static bool fail_dup, fail_realloc, fail_apply;

static struct conf *stub_dup(const struct conf *c)
{
	calls.dup++;
	return fail_dup ? NULL : conf_dup(c);
}

static void stub_free(struct conf *c)
{
	calls.free++;
	conf_free(c);
}

static int stub_conflicts(const struct candidate *cand, const struct conf *run, const char *user,
			  char *buf, size_t len)
{
	calls.conflicts++;
	return cand_conflicts(cand, run, user, buf, len);
}

static int stub_apply(const struct candidate *cand, struct conf *c)
{
	calls.apply++;
	return fail_apply ? -ENOMEM : cand_apply(cand, c);
}

static void *stub_realloc(void *p, size_t size)
{
	calls.realloc++;
	return fail_realloc ? NULL : realloc(p, size);
}

static const struct cfg_commitq_ops stubs = {
    .dup = stub_dup,
    .free = stub_free,
    .conflicts = stub_conflicts,
    .apply = stub_apply,
    .realloc = stub_realloc,
};

static struct cfg_commitq q;
static struct conf *running; /* commit 1000, then what tests commit on it */
static struct session alice, bob;
static struct cfg_commitq_out out;

static void setup(void)
{
	memset(&calls, 0, sizeof(calls));
	fail_dup = fail_realloc = fail_apply = false;
	cfg_commitq_init(&q, &stubs);
	running = conf_new();
	ck_assert_ptr_nonnull(running);
	memset(&alice, 0, sizeof(alice));
	memset(&bob, 0, sizeof(bob));
	snprintf(alice.user, sizeof(alice.user), "alice");
	snprintf(bob.user, sizeof(bob.user), "bob");
	memset(&out, 0, sizeof(out));
}

/* What the caller of the queue does with a commit it was handed. */
static void done(struct cfg_pending *p)
{
	conf_free(p->target);
	if (p->actions) {
		cand_clear(p->actions);
		free(p->actions);
	}
	memset(p, 0, sizeof(*p));
}

static void teardown(void)
{
	done(&out.p);
	cfg_commitq_free(&q);
	conf_free(running);
	cand_clear(&alice.cand);
	cand_clear(&bob.cand);
}

/* A commit of session s (NULL: none), labelled, whose target is made as
 * cfgd makes it: the running configuration with the session's edits. */
static struct cfg_pending commit_of(struct session *s, const char *label)
{
	struct cfg_pending p = {0};

	p.sess = s;
	snprintf(p.label, sizeof(p.label), "%s", label);
	p.target = conf_dup(running);
	ck_assert_ptr_nonnull(p.target);
	if (s)
		ck_assert_int_eq(cand_apply(&s->cand, p.target), 0);
	return p;
}

/* Session s sets eth1's vrid 1 priority, editing since commit `base`. */
static void edit_priority(struct session *s, const char *prio, uint64_t base)
{
	char text[64];

	snprintf(text, sizeof(text), PRIO " %s", prio);
	ck_assert_int_eq(
	    cand_add(&s->cand, OP_SET, VIEW_INTERFACE, "eth1", PRIO, text, G_VRRP_PRIORITY, base),
	    0);
}

/* Commit `commit` by `user` sets `key` in interface `ifname` of the
 * running configuration (a commit that ran while others waited). */
static void committed(const char *ifname, const char *key, const char *text, uint64_t commit,
		      const char *user)
{
	ck_assert_int_eq(conf_set(running, VIEW_INTERFACE, ifname, key, text, G_VRRP_PRIORITY), 0);
	ck_assert_int_eq(conf_touch(running, VIEW_INTERFACE, ifname, key, commit, user), 0);
}

static void submit_busy(struct cfg_pending *p)
{
	cfg_commitq_submit(&q, true, p, &out);
	ck_assert_int_eq(out.act, CFG_CQ_NONE);
}

static const char *line_text(const struct conf *c, const char *ifname, const char *key)
{
	const struct conf_line *l = conf_line(c, VIEW_INTERFACE, ifname, key);

	return l ? l->text : "(none)";
}

START_TEST(a_commit_submitted_while_idle_runs_at_once_as_it_is)
{
	struct cfg_pending p;
	struct conf *target;

	edit_priority(&alice, "110", 1000);
	p = commit_of(&alice, "now");
	target = p.target;
	cfg_commitq_submit(&q, false, &p, &out);
	ck_assert_int_eq(out.act, CFG_CQ_RUN);
	ck_assert_ptr_eq(out.p.target, target);
	ck_assert_str_eq(out.p.label, "now");
	ck_assert_uint_eq(q.n, 0);
	/* the queue took the commit: the caller's copy owns nothing */
	ck_assert_ptr_null(p.target);
	ck_assert_int_eq(calls.dup + calls.conflicts + calls.apply + calls.realloc, 0);
}
END_TEST

START_TEST(commits_run_in_the_order_they_came)
{
	static const char *labels[] = {"first", "rollback", "second", "trial-rollback", "third"};
	struct cfg_pending p;

	for (size_t i = 0; i < 5; i++) {
		p = commit_of(i == 3 ? NULL : &alice, labels[i]);
		p.fixed = i == 1;
		if (i == 3)
			cfg_commitq_rollback(&q, true, &p, &out);
		else
			cfg_commitq_submit(&q, true, &p, &out);
		ck_assert_int_eq(out.act, CFG_CQ_NONE);
	}
	ck_assert_uint_eq(q.n, 5);
	/* nothing leaves the queue while a commit runs */
	cfg_commitq_next(&q, true, running, &out);
	ck_assert_int_eq(out.act, CFG_CQ_NONE);
	ck_assert_uint_eq(q.n, 5);
	for (size_t i = 0; i < 5; i++) {
		cfg_commitq_next(&q, false, running, &out);
		ck_assert_int_ne(out.act, CFG_CQ_NONE);
		ck_assert_str_eq(out.p.label, labels[i]);
		done(&out.p);
	}
	cfg_commitq_next(&q, false, running, &out);
	ck_assert_int_eq(out.act, CFG_CQ_NONE);
	ck_assert_uint_eq(q.n, 0);
}
END_TEST

START_TEST(the_queue_grows_and_keeps_its_order)
{
	enum { N = 300 };
	struct cfg_pending p = {0};
	char want[16];

	for (int i = 0; i < N; i++) {
		p.fixed = true;
		p.sess = &bob;
		snprintf(p.label, sizeof(p.label), "c%d", i);
		submit_busy(&p);
	}
	ck_assert_uint_eq(q.n, N);
	for (int i = 0; i < N; i++) {
		cfg_commitq_next(&q, false, running, &out);
		ck_assert_int_eq(out.act, CFG_CQ_RUN);
		snprintf(want, sizeof(want), "c%d", i);
		ck_assert_str_eq(out.p.label, want);
	}
	ck_assert_uint_eq(q.n, 0);
}
END_TEST

START_TEST(a_commit_the_queue_cannot_hold_is_refused_and_the_queue_kept)
{
	struct cfg_pending a, b;
	struct conf *target;

	a = commit_of(&alice, "a");
	submit_busy(&a);
	b = commit_of(&bob, "b");
	target = b.target;
	fail_realloc = true;
	cfg_commitq_submit(&q, true, &b, &out);
	ck_assert_int_eq(out.act, CFG_CQ_NOMEM);
	ck_assert_str_eq(out.msg, "Error: out of memory.");
	/* handed back whole, for the caller to answer and free */
	ck_assert_str_eq(out.p.label, "b");
	ck_assert_ptr_eq(out.p.target, target);
	ck_assert_ptr_eq(out.p.sess, &bob);
	done(&out.p);
	ck_assert_uint_eq(q.n, 1);
	cfg_commitq_next(&q, false, running, &out);
	ck_assert_int_eq(out.act, CFG_CQ_RUN_REBASED);
	ck_assert_str_eq(out.p.label, "a");
}
END_TEST

START_TEST(a_commit_whose_session_expired_while_it_waited_is_refused)
{
	struct cfg_pending a, b;

	edit_priority(&alice, "110", 1000);
	a = commit_of(&alice, "alice's");
	b = commit_of(&bob, "bob's");
	submit_busy(&a);
	submit_busy(&b);
	cfg_commitq_forget(&q, &alice);
	cfg_commitq_next(&q, false, running, &out);
	ck_assert_int_eq(out.act, CFG_CQ_EXPIRED);
	ck_assert_str_eq(out.msg, "Error: The session expired before its commit ran.");
	ck_assert_str_eq(out.p.label, "alice's");
	ck_assert_ptr_null(out.p.sess);
	ck_assert_int_eq(calls.conflicts + calls.apply, 0);
	done(&out.p);
	/* another session's commit is not touched */
	cfg_commitq_next(&q, false, running, &out);
	ck_assert_int_eq(out.act, CFG_CQ_RUN_REBASED);
	ck_assert_ptr_eq(out.p.sess, &bob);
}
END_TEST

START_TEST(a_queued_commit_is_rebased_on_what_ran_before_it)
{
	struct cfg_pending p;

	/* alice edits eth1 at commit 1000 and commits while another runs */
	edit_priority(&alice, "110", 1000);
	p = commit_of(&alice, "alice's");
	submit_busy(&p);
	/* the commit ahead of hers, bob's 1001, changed eth2 */
	committed("eth2", "vrrp vrid 5 priority", "vrrp vrid 5 priority 120", 1001, "bob");
	cfg_commitq_next(&q, false, running, &out);
	ck_assert_int_eq(out.act, CFG_CQ_RUN_REBASED);
	/* hers holds both: bob's change stays, hers is added */
	ck_assert_str_eq(line_text(out.p.target, "eth2", "vrrp vrid 5 priority"),
			 "vrrp vrid 5 priority 120");
	ck_assert_str_eq(line_text(out.p.target, "eth1", PRIO), PRIO " 110");
	/* the target it was queued with is freed, not leaked */
	ck_assert_int_eq(calls.free, 1);
	ck_assert_int_eq(calls.dup, 1);
	ck_assert_int_eq(calls.apply, 1);
}
END_TEST

START_TEST(a_queued_commit_that_conflicts_when_rebased_is_refused)
{
	struct cfg_pending p;

	edit_priority(&alice, "110", 1000);
	p = commit_of(&alice, "alice's");
	submit_busy(&p);
	/* bob's commit 1001, ahead of hers, set the same priority */
	committed("eth1", PRIO, PRIO " 130", 1001, "bob");
	cfg_commitq_next(&q, false, running, &out);
	ck_assert_int_eq(out.act, CFG_CQ_CONFLICT);
	ck_assert_ptr_nonnull(strstr(out.msg, PRIO));
	ck_assert_ptr_nonnull(strstr(out.msg, "changed by bob in commit 1001"));
	ck_assert_ptr_nonnull(strstr(out.msg, "(alice)"));
	ck_assert_int_eq(calls.apply, 0);
	/* bob's setting is what runs */
	ck_assert_str_eq(line_text(running, "eth1", PRIO), PRIO " 130");
}
END_TEST

START_TEST(a_rebase_without_memory_is_refused)
{
	struct cfg_pending p;

	edit_priority(&alice, "110", 1000);
	p = commit_of(&alice, "alice's");
	submit_busy(&p);
	fail_dup = true;
	cfg_commitq_next(&q, false, running, &out);
	ck_assert_int_eq(out.act, CFG_CQ_NOMEM);
	ck_assert_str_eq(out.msg, "Error: out of memory.");
	ck_assert_ptr_null(out.p.target);
	ck_assert_int_eq(calls.conflicts + calls.apply, 0);
}
END_TEST

/* The candidate's edits could not all be applied to the re-based target
 * (out of memory part way): refused, never run half applied. */
START_TEST(a_rebase_applied_part_way_is_refused)
{
	struct cfg_pending p;

	edit_priority(&alice, "110", 1000);
	p = commit_of(&alice, "alice's");
	submit_busy(&p);
	fail_apply = true;
	cfg_commitq_next(&q, false, running, &out);
	ck_assert_int_eq(out.act, CFG_CQ_NOMEM);
	ck_assert_str_eq(out.msg, "Error: out of memory.");
	ck_assert_ptr_null(out.p.target);
	ck_assert_int_eq(calls.apply, 1);
	ck_assert_int_eq(calls.free, 2); /* the queued target and the half-applied one */
}
END_TEST

START_TEST(a_forced_trial_rollback_runs_as_it_is)
{
	struct cfg_pending p;
	struct conf *target;

	/* the trial rollback's target: the configuration before the trial */
	p = commit_of(NULL, "trial-rollback");
	target = p.target;
	cfg_commitq_rollback(&q, true, &p, &out);
	ck_assert_int_eq(out.act, CFG_CQ_NONE);
	ck_assert_int_eq(q.rollback, CFG_RB_QUEUED);
	/* a commit ran meanwhile; the rollback undoes it too */
	committed("eth1", PRIO, PRIO " 130", 1001, "bob");
	cfg_commitq_next(&q, false, running, &out);
	ck_assert_int_eq(out.act, CFG_CQ_RUN);
	ck_assert(out.p.forced);
	ck_assert_ptr_eq(out.p.target, target);
	ck_assert_str_eq(line_text(out.p.target, "eth1", PRIO), "(none)");
	ck_assert_int_eq(calls.dup + calls.free + calls.conflicts + calls.apply, 0);
	/* still recorded until it is durable */
	ck_assert_int_eq(q.rollback, CFG_RB_QUEUED);
}
END_TEST

START_TEST(a_trial_rollback_while_idle_runs_at_once)
{
	struct cfg_pending p = commit_of(NULL, "trial-rollback");

	cfg_commitq_rollback(&q, false, &p, &out);
	ck_assert_int_eq(out.act, CFG_CQ_RUN);
	ck_assert(out.p.forced);
	ck_assert_int_eq(q.rollback, CFG_RB_QUEUED);
	ck_assert_uint_eq(q.n, 0);
}
END_TEST

START_TEST(a_rollback_to_a_fixed_target_is_not_rebased)
{
	struct cfg_pending p;
	struct conf *target;

	/* alice rolls back to before commit 1001; her candidate would
	 * conflict with bob's commit, but a rollback does not commit it */
	edit_priority(&alice, "110", 1000);
	p = commit_of(NULL, "rollback-1001");
	p.sess = &alice;
	p.fixed = true;
	target = p.target;
	submit_busy(&p);
	committed("eth1", PRIO, PRIO " 130", 1001, "bob");
	cfg_commitq_next(&q, false, running, &out);
	ck_assert_int_eq(out.act, CFG_CQ_RUN);
	ck_assert_ptr_eq(out.p.target, target);
	ck_assert_str_eq(line_text(out.p.target, "eth1", PRIO), "(none)");
	ck_assert_int_eq(calls.dup + calls.free + calls.conflicts + calls.apply, 0);
}
END_TEST

START_TEST(a_rollback_whose_session_expired_is_refused)
{
	struct cfg_pending p = commit_of(NULL, "rollback-1001");

	p.sess = &alice;
	p.fixed = true;
	submit_busy(&p);
	cfg_commitq_forget(&q, &alice);
	cfg_commitq_next(&q, false, running, &out);
	ck_assert_int_eq(out.act, CFG_CQ_EXPIRED);
}
END_TEST

START_TEST(a_trial_rollback_refused_for_memory_stays_recorded)
{
	struct cfg_pending a = commit_of(&alice, "a"), p = commit_of(NULL, "trial-rollback");

	submit_busy(&a);
	fail_realloc = true;
	cfg_commitq_rollback(&q, true, &p, &out);
	ck_assert_int_eq(out.act, CFG_CQ_NOMEM);
	ck_assert(out.p.forced);
	/* the trial file stays: a restart rolls back again */
	ck_assert_int_eq(q.rollback, CFG_RB_QUEUED);
	ck_assert(!cfg_commitq_durable(&q, false, false));
}
END_TEST

START_TEST(a_commit_durable_ahead_of_a_queued_rollback_keeps_the_trial_file)
{
	struct cfg_pending p = commit_of(NULL, "trial-rollback");

	cfg_commitq_rollback(&q, true, &p, &out);
	/* the commit that ran when the trial expired becomes durable */
	ck_assert(!cfg_commitq_durable(&q, false, false));
	ck_assert_int_eq(q.rollback, CFG_RB_QUEUED);
	/* then the rollback does */
	cfg_commitq_next(&q, false, running, &out);
	ck_assert_int_eq(out.act, CFG_CQ_RUN);
	ck_assert(cfg_commitq_durable(&q, true, false));
	ck_assert_int_eq(q.rollback, CFG_RB_NONE);
	/* and later commits clear a stale trial file */
	ck_assert(cfg_commitq_durable(&q, false, false));
}
END_TEST

START_TEST(a_pending_trial_keeps_its_file)
{
	/* a new trial commit is durable: its own file stays */
	ck_assert(!cfg_commitq_durable(&q, false, true));
	ck_assert(cfg_commitq_durable(&q, false, false));
}
END_TEST

START_TEST(an_unsaved_rollback_is_retried_while_no_commit_runs)
{
	cfg_commitq_unsaved(&q);
	ck_assert(cfg_commitq_retry_due(&q, false));
	ck_assert(!cfg_commitq_retry_due(&q, true));
	/* the retried write is durable */
	ck_assert(cfg_commitq_durable(&q, true, false));
	ck_assert(!cfg_commitq_retry_due(&q, false));
}
END_TEST

START_TEST(a_later_durable_commit_supersedes_an_unsaved_rollback)
{
	cfg_commitq_unsaved(&q);
	ck_assert(cfg_commitq_durable(&q, false, false));
	ck_assert_int_eq(q.rollback, CFG_RB_NONE);
	ck_assert(!cfg_commitq_retry_due(&q, false));
}
END_TEST

START_TEST(freeing_the_queue_frees_what_waits)
{
	struct cfg_pending p;

	for (int i = 0; i < 3; i++) {
		p = commit_of(&alice, "waits");
		p.actions = calloc(1, sizeof(*p.actions));
		ck_assert_ptr_nonnull(p.actions);
		ck_assert_int_eq(cand_add(p.actions, OP_ACTION, VIEW_SYSTEM, "", "reset", "reset",
					  G_VRRP_PRIORITY, 0),
				 0);
		submit_busy(&p);
	}
	cfg_commitq_free(&q);
	ck_assert_int_eq(calls.free, 3);
	ck_assert_uint_eq(q.n, 0);
	ck_assert_ptr_null(q.v);
	ck_assert_ptr_eq(q.ops, &stubs);
}
END_TEST

START_TEST(the_default_ops_are_conf_and_the_c_library)
{
	struct cfg_pending p;

	cfg_commitq_init(&q, NULL);
	ck_assert_ptr_eq(q.ops, &cfg_commitq_default_ops);
	edit_priority(&alice, "110", 1000);
	p = commit_of(&alice, "alice's");
	submit_busy(&p);
	committed("eth2", "vrrp vrid 5 priority", "vrrp vrid 5 priority 120", 1001, "bob");
	cfg_commitq_next(&q, false, running, &out);
	ck_assert_int_eq(out.act, CFG_CQ_RUN_REBASED);
	ck_assert_str_eq(line_text(out.p.target, "eth2", "vrrp vrid 5 priority"),
			 "vrrp vrid 5 priority 120");
	ck_assert_str_eq(line_text(out.p.target, "eth1", PRIO), PRIO " 110");
	ck_assert_int_eq(calls.dup + calls.free + calls.conflicts + calls.apply + calls.realloc, 0);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    a_commit_submitted_while_idle_runs_at_once_as_it_is,
	    commits_run_in_the_order_they_came,
	    the_queue_grows_and_keeps_its_order,
	    a_commit_the_queue_cannot_hold_is_refused_and_the_queue_kept,
	    a_commit_whose_session_expired_while_it_waited_is_refused,
	    a_queued_commit_is_rebased_on_what_ran_before_it,
	    a_queued_commit_that_conflicts_when_rebased_is_refused,
	    a_rebase_without_memory_is_refused,
	    a_rebase_applied_part_way_is_refused,
	    a_forced_trial_rollback_runs_as_it_is,
	    a_trial_rollback_while_idle_runs_at_once,
	    a_rollback_to_a_fixed_target_is_not_rebased,
	    a_rollback_whose_session_expired_is_refused,
	    a_trial_rollback_refused_for_memory_stays_recorded,
	    a_commit_durable_ahead_of_a_queued_rollback_keeps_the_trial_file,
	    a_pending_trial_keeps_its_file,
	    an_unsaved_rollback_is_retried_while_no_commit_runs,
	    a_later_durable_commit_supersedes_an_unsaved_rollback,
	    freeing_the_queue_frees_what_waits,
	    the_default_ops_are_conf_and_the_c_library,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests, .setup = setup, .teardown = teardown};

	return checkrun("commitq", &core, 1);
}
