/* The notify script's scheduler and path check: one script per group at a
 * time and in order, a bounded number at once, a bounded queue that drops
 * its oldest; only root-owned, not group/other-writable absolute paths. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/checkrun.h"
#include "vrrpd/vrrp_notify.h"

static struct vrrp_notify n;

static void teardown(void)
{
	vrrp_notify_free(&n);
	memset(&n, 0, sizeof(n));
}

static void push(const char *ifname, unsigned vrid, uint8_t from, uint8_t to, int want)
{
	struct vrrp_notify_ev ev = {.vrid = vrid, .from = from, .to = to};

	snprintf(ev.ifname, sizeof(ev.ifname), "%s", ifname);
	snprintf(ev.reason, sizeof(ev.reason), "r%u-%u", from, to);
	ck_assert_int_eq(vrrp_notify_push(&n, &ev), want);
}

START_TEST(one_group_runs_one_at_a_time_in_order)
{
	struct vrrp_notify_ev ev;
	struct vrrp_notify_q *q;

	push("eth1", 1, 0, 1, 0);
	push("eth1", 1, 1, 2, 0);
	push("eth1", 1, 2, 1, 0);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		q = vrrp_notify_next(&n, &ev);
		ck_assert_ptr_nonnull(q);
		ck_assert_uint_eq(ev.seq, seq);
		ck_assert_uint_eq(ev.dropped, 0);
		ck_assert_str_eq(ev.ifname, "eth1");
		/* the group's script runs: nothing more may start for it */
		ck_assert_ptr_null(vrrp_notify_next(&n, &ev));
		vrrp_notify_done(&n, q);
	}
	ck_assert_ptr_null(vrrp_notify_next(&n, &ev));
	ck_assert_uint_eq(n.started, 3);
	ck_assert_ptr_null(n.head); /* idle and empty: freed */
}
END_TEST

START_TEST(full_queue_drops_the_oldest_and_keeps_the_newest)
{
	struct vrrp_notify_ev ev;
	struct vrrp_notify_q *q;
	uint64_t last = 0;
	unsigned runs = 0;

	push("eth1", 1, 0, 1, 0);
	q = vrrp_notify_next(&n, &ev); /* #1 runs */
	ck_assert_uint_eq(ev.seq, 1);
	for (unsigned i = 0; i < 1000; i++)
		push("eth1", 1, i % 2 ? 2 : 1, i % 2 ? 1 : 2, i < VRRP_NOTIFY_QLEN ? 0 : 1);
	ck_assert_uint_eq(n.dropped, 1000 - VRRP_NOTIFY_QLEN);
	ck_assert_uint_eq(vrrp_notify_pending(&n), VRRP_NOTIFY_QLEN);
	vrrp_notify_done(&n, q);
	while ((q = vrrp_notify_next(&n, &ev)) != NULL) {
		ck_assert_uint_gt(ev.seq, last); /* in order */
		last = ev.seq;
		runs++;
		vrrp_notify_done(&n, q);
	}
	ck_assert_uint_eq(runs, VRRP_NOTIFY_QLEN);
	ck_assert_uint_eq(last, 1001); /* the newest transition is delivered */
	ck_assert_uint_eq(ev.dropped, 1000 - VRRP_NOTIFY_QLEN);
}
END_TEST

START_TEST(at_most_max_running_over_all_groups_round_robin)
{
	struct vrrp_notify_q *qs[VRRP_NOTIFY_MAX_RUNNING];
	struct vrrp_notify_ev ev;
	char name[16];

	for (unsigned g = 0; g < 10; g++) {
		snprintf(name, sizeof(name), "eth%u", g);
		push(name, 1, 0, 1, 0);
		push(name, 1, 1, 2, 0);
	}
	for (unsigned i = 0; i < VRRP_NOTIFY_MAX_RUNNING; i++) {
		qs[i] = vrrp_notify_next(&n, &ev);
		ck_assert_ptr_nonnull(qs[i]);
		snprintf(name, sizeof(name), "eth%u", i);
		ck_assert_str_eq(ev.ifname, name);
	}
	ck_assert_uint_eq(n.running, VRRP_NOTIFY_MAX_RUNNING);
	ck_assert_ptr_null(vrrp_notify_next(&n, &ev));
	/* eth0's script ends: the next group in line runs, not eth0 again */
	vrrp_notify_done(&n, qs[0]);
	qs[0] = vrrp_notify_next(&n, &ev);
	ck_assert_str_eq(ev.ifname, "eth4");
	for (unsigned i = 0; i < VRRP_NOTIFY_MAX_RUNNING; i++)
		vrrp_notify_done(&n, qs[i]);
	ck_assert_uint_eq(n.running, 0);
}
END_TEST

START_TEST(groups_are_told_apart_by_interface_vrid_and_family)
{
	struct vrrp_notify_ev ev = {.vrid = 1, .to = 1};

	snprintf(ev.ifname, sizeof(ev.ifname), "eth1");
	ck_assert_int_eq(vrrp_notify_push(&n, &ev), 0);
	ev.ipv6 = true;
	ck_assert_int_eq(vrrp_notify_push(&n, &ev), 0);
	ev.vrid = 2;
	ck_assert_int_eq(vrrp_notify_push(&n, &ev), 0);
	/* three groups: three may run at once, each its #1 */
	for (int i = 0; i < 3; i++) {
		ck_assert_ptr_nonnull(vrrp_notify_next(&n, &ev));
		ck_assert_uint_eq(ev.seq, 1);
	}
}
END_TEST

static char dir[64];

static void mk(const char *name, mode_t mode, uid_t uid)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#!/bin/sh\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(p, mode), 0);
	ck_assert_int_eq(chown(p, uid, (gid_t)-1), 0);
}

static int check(const char *name, char *why)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return vrrp_notify_check_path(p, why, 160);
}

START_TEST(path_check_refuses_what_others_could_change)
{
	char why[160], p[128];

	snprintf(dir, sizeof(dir), "/tmp/check_notify.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	mk("ok", 0755, 0);
	mk("gw", 0775, 0);
	mk("ow", 0757, 0);
	mk("noexec", 0644, 0);
	mk("nobody", 0755, 65534);
	ck_assert_int_eq(check("ok", why), 0);
	ck_assert_int_eq(check("gw", why), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "writable by group or others"));
	ck_assert_int_eq(check("ow", why), -EPERM);
	ck_assert_int_eq(check("noexec", why), -EACCES);
	ck_assert_int_eq(check("nobody", why), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "not owned by root"));
	ck_assert_int_eq(check("missing", why), -ENOENT);
	ck_assert_int_eq(vrrp_notify_check_path("notify.sh", why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "not an absolute path");
	/* a good file in a directory others may write to (not sticky) */
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(check("ok", why), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, dir));
	/* sticky, like /tmp: others cannot replace root's file */
	ck_assert_int_eq(chmod(dir, 01777), 0);
	ck_assert_int_eq(check("ok", why), 0);
	/* a symbolic link is judged by what it points to */
	snprintf(p, sizeof(p), "%s/link", dir);
	ck_assert_int_eq(chmod(dir, 0700), 0);
	ck_assert_int_eq(symlink("gw", p), 0);
	ck_assert_int_eq(check("link", why), -EPERM);
	for (const char *const *f =
		 (const char *const[]){"ok", "gw", "ow", "noexec", "nobody", "link", NULL};
	     *f; f++) {
		snprintf(p, sizeof(p), "%s/%s", dir, *f);
		unlink(p);
	}
	rmdir(dir);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    one_group_runs_one_at_a_time_in_order,
	    full_queue_drops_the_oldest_and_keeps_the_newest,
	    at_most_max_running_over_all_groups_round_robin,
	    groups_are_told_apart_by_interface_vrid_and_family,
	    NULL,
	};
	const TTest *as_root[] = {
	    path_check_refuses_what_others_could_change,
	    NULL,
	};
	/* The test that needs root goes in a case of its own, named "core"
	 * too, so that CK_RUN_CASE=core still runs it. */
	const struct checkrun_case cases[] = {
	    {.tests = tests, .teardown = teardown},
	    /* chown needs root: without it that test is a counted skip */
	    {.tests = as_root, .teardown = teardown, .skip = geteuid() != 0},
	};

	return checkrun("vrrp_notify", cases, sizeof(cases) / sizeof(cases[0]));
}
