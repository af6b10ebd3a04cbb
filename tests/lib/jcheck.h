/*
 * JSON displays read by the unit suites (tests/lib/, linked into every
 * suite with checkrun.c).
 */
#ifndef DB_JCHECK_H
#define DB_JCHECK_H

#include <json-c/json.h>

/* The member key of o; a missing one fails the test, naming it. */
struct json_object *jcheck_get(struct json_object *o, const char *key);

#endif
