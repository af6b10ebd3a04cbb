/* Private key files: only a regular file of root or the daemon's user,
 * read by at most its group, written by its owner alone, is accepted,
 * and the refusal says why. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/keyfile.h"
#include "tests/lib/checkrun.h"

static struct stat key(unsigned mode, uid_t uid)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | mode;
	st.st_uid = uid;
	return st;
}

START_TEST(private_keys_pass)
{
	char why[160];
	struct stat st;

	st = key(0600, 0);
	ck_assert_int_eq(keyfile_check_stat(&st, 999, why, sizeof(why)), 0);
	st = key(0640, 0); /* root:dualbackup, read by the daemons' user */
	ck_assert_int_eq(keyfile_check_stat(&st, 999, why, sizeof(why)), 0);
	st = key(0400, 999);
	ck_assert_int_eq(keyfile_check_stat(&st, 999, why, sizeof(why)), 0);
}
END_TEST

START_TEST(keys_others_can_reach_are_refused_with_the_reason)
{
	char why[160];
	struct stat st;

	st = key(0644, 0);
	ck_assert_int_eq(keyfile_check_stat(&st, 999, why, sizeof(why)), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "mode 0644 lets every user at it"));
	st = key(0604, 0);
	ck_assert_int_eq(keyfile_check_stat(&st, 999, why, sizeof(why)), -EPERM);
	st = key(0660, 0);
	ck_assert_int_eq(keyfile_check_stat(&st, 999, why, sizeof(why)), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "its group write"));
	st = key(0600, 1000);
	ck_assert_int_eq(keyfile_check_stat(&st, 999, why, sizeof(why)), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "owned by uid 1000"));
	st = key(0600, 0);
	st.st_mode = S_IFIFO | 0600;
	ck_assert_int_eq(keyfile_check_stat(&st, 999, why, sizeof(why)), -EPERM);
	ck_assert_str_eq(why, "not a regular file");
}
END_TEST

START_TEST(a_real_file_is_checked_through_stat)
{
	char path[] = "/tmp/check_keyfile.XXXXXX", why[160];
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(keyfile_check(path, why, sizeof(why)), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(keyfile_check(path, why, sizeof(why)), -EPERM);
	unlink(path);
	ck_assert_int_eq(keyfile_check(path, why, sizeof(why)), -ENOENT);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    private_keys_pass,
	    keys_others_can_reach_are_refused_with_the_reason,
	    a_real_file_is_checked_through_stat,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("keyfile", &core, 1);
}
