/* JSON displays read by the unit suites: see jcheck.h. */
#include <check.h>

#include "tests/lib/jcheck.h"

struct json_object *jcheck_get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no '%s' in %s", key,
		      json_object_to_json_string(o));
	return v;
}
