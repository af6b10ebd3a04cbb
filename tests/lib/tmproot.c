/* Temporary directories of the in-process suites (tests/lib/tmproot.h). */
#include "tests/lib/tmproot.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

void tmproot_make(char *root, size_t len, const char *name)
{
	snprintf(root, len, "/tmp/%s.XXXXXX", name);
	ck_assert_ptr_nonnull(mkdtemp(root));
}

void tmproot_dir(const char *root, char *dir, size_t len)
{
	snprintf(dir, len, "%s/test.XXXXXX", root);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

void tmproot_rm(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

void tmproot_remove(char *root)
{
	if (root[0])
		tmproot_rm(root);
	root[0] = '\0';
}
