/* A configuration commit as cfgclient runs it: see cfgcommit.h. */
#include <check.h>

#include "tests/lib/cfgcommit.h"

struct errlist cfgcommit(const struct cfgclient_ops *ops, void *arg, const uint8_t *section,
			 size_t len)
{
	struct errlist errs = {0};
	void *obj = ops->check(arg, section, len, &errs);

	ck_assert_ptr_nonnull(obj);
	if (errs.n)
		ops->discard(arg, obj);
	else
		ops->apply(arg, obj);
	return errs;
}
