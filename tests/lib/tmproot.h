/*
 * Temporary directories of the suites that run a daemon in process
 * (tests/check_rbpd.c, tests/check_cfgd.c). Each test makes its own under
 * one root, and the root is made and removed by the runner's process
 * around the case (checkrun's unchecked fixture): a test that fails ends
 * its process without teardown or atexit handlers, and its directory
 * still goes with the root.
 */
#ifndef DB_TMPROOT_H
#define DB_TMPROOT_H

#include <stddef.h>

/* Makes /tmp/NAME.XXXXXX into root (len bytes); a failure fails the test. */
void tmproot_make(char *root, size_t len, const char *name);

/* Makes a test's own directory ROOT/test.XXXXXX into dir (len bytes); a
 * failure fails the test. */
void tmproot_dir(const char *root, char *dir, size_t len);

/* Removes dir and all it holds; says so on stderr when it cannot. */
void tmproot_rm(const char *dir);

/* Removes root, unless empty, and empties it. */
void tmproot_remove(char *root);

#endif
