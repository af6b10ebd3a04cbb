/*
 * The main() of every unit suite (tests/check_*.c): a suite is a table of
 * its TCases, each a NULL-terminated list of its tests with its timeout
 * and fixtures, and checkrun() builds the check Suite from it, runs it and
 * turns the result into the exit status the Makefile reads.
 *
 * It is a .c of its own under tests/lib/, not a header of inline code:
 * compiled once, linked into every suite by the Makefile's check_% rule
 * (in every build: plain, SAN=1, COV=1), and out of the wildcard
 * tests/check_*.c that lists the suites.
 *
 * What a suite must do before its tests run (decide whether a case can
 * run here, fork a helper before any thread exists) it does in its own
 * main() before calling checkrun(): nothing of check exists until then.
 *
 *	int main(void)
 *	{
 *		const TTest *tests[] = {
 *			a_test,
 *			another_test,
 *			NULL,
 *		};
 *		const struct checkrun_case core = {.tests = tests, .timeout = 30};
 *
 *		return checkrun("module", &core, 1);
 *	}
 */
#ifndef DB_CHECKRUN_H
#define DB_CHECKRUN_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

/* The exit status of a suite that passed but left out what cannot run
 * here (not root, no network namespace): `make unit` counts it as a skip,
 * and under CI (CI=true) fails the run. */
#define CHECKRUN_SKIP 77

/* One TCase. Zero is the default of every field but tests. */
struct checkrun_case {
	/* The TCase's name, as CK_RUN_CASE selects it and check reports a
	 * failure; NULL is "core". */
	const char *name;
	/* The tests (START_TEST names), in the order they run, ending with
	 * NULL. */
	const TTest *const *tests;
	/* Seconds each test may take; 0 keeps check's default (4 s, or
	 * CK_DEFAULT_TIMEOUT). Both are scaled by CK_TIMEOUT_MULTIPLIER. */
	double timeout;
	/* Checked fixture: around each test, in the test's own process when
	 * check forks (its default; CK_FORK=no does not). Either may be NULL. */
	SFun setup, teardown;
	/* Unchecked fixture: once for the whole case, in the runner's process
	 * (a root directory the forked tests share). Either may be NULL. */
	SFun unchecked_setup, unchecked_teardown;
	/* The case cannot run here: it is left out and a suite that passes
	 * exits CHECKRUN_SKIP; skip_why, unless NULL, is printed on stderr as
	 * "SUITE: SKIP: skip_why". */
	bool skip;
	const char *skip_why;
};

/*
 * Builds the suite `suite` (as CK_RUN_SUITE selects it) from the n cases,
 * in their order, and runs it with check's defaults: CK_NORMAL output,
 * one forked process per test unless CK_FORK=no says otherwise. Returns
 * the exit status for main(): EXIT_FAILURE when a test failed or erred,
 * else CHECKRUN_SKIP when a case was skipped, else EXIT_SUCCESS. Reads
 * cases only while it runs.
 */
int checkrun(const char *suite, const struct checkrun_case *cases, size_t n);

#endif
