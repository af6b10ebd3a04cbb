/* The unit suites' shared main(): a table of TCases in, an exit status out. */
#include "tests/lib/checkrun.h"

#include <stdio.h>
#include <stdlib.h>

static TCase *tcase(const struct checkrun_case *c)
{
	TCase *tc = tcase_create(c->name ? c->name : "core");

	/* check takes a timeout of 0 for "none": 0 here keeps its default */
	if (c->timeout > 0)
		tcase_set_timeout(tc, c->timeout);
	if (c->setup || c->teardown)
		tcase_add_checked_fixture(tc, c->setup, c->teardown);
	if (c->unchecked_setup || c->unchecked_teardown)
		tcase_add_unchecked_fixture(tc, c->unchecked_setup, c->unchecked_teardown);
	for (const TTest *const *t = c->tests; *t; t++)
		tcase_add_test(tc, *t);
	return tc;
}

int checkrun(const char *suite, const struct checkrun_case *cases, size_t n)
{
	Suite *s = suite_create(suite);
	bool skipped = false;
	SRunner *sr;
	int failed;

	for (size_t i = 0; i < n; i++) {
		if (cases[i].skip) {
			if (cases[i].skip_why)
				fprintf(stderr, "%s: SKIP: %s\n", suite, cases[i].skip_why);
			skipped = true;
			continue;
		}
		suite_add_tcase(s, tcase(&cases[i]));
	}

	/* CK_NORMAL and no srunner_set_fork_status(): CK_FORK decides */
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (failed)
		return EXIT_FAILURE;
	return skipped ? CHECKRUN_SKIP : EXIT_SUCCESS;
}
