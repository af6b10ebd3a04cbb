#include "common/jsonout.h"

int jout_write(FILE *f, struct json_object *o)
{
	if (o == NULL)
		return 0;
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_SPACED |
						     JSON_C_TO_STRING_NOSLASHESCAPE),
	      f);
	fputc('\n', f);
	json_object_put(o);
	return 1;
}

void jout_str(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, val ? json_object_new_string(val) : NULL);
}

void jout_u64(struct json_object *o, const char *key, uint64_t val)
{
	json_object_object_add(o, key, json_object_new_uint64(val));
}

void jout_i64(struct json_object *o, const char *key, int64_t val)
{
	json_object_object_add(o, key, json_object_new_int64(val));
}

void jout_bool(struct json_object *o, const char *key, bool val)
{
	json_object_object_add(o, key, json_object_new_boolean(val));
}

struct json_object *jout_obj(struct json_object *o, const char *key)
{
	struct json_object *n = json_object_new_object();

	json_object_object_add(o, key, n);
	return n;
}

struct json_object *jout_arr(struct json_object *o, const char *key)
{
	struct json_object *n = json_object_new_array();

	json_object_object_add(o, key, n);
	return n;
}

struct json_object *jout_push_obj(struct json_object *a)
{
	struct json_object *n = json_object_new_object();

	json_object_array_add(a, n);
	return n;
}
