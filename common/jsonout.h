/*
 * JSON answers to `display … json` (schema: docs/json.md), built with
 * json-c, the library FRR uses for its `show … json`. Small helpers so a
 * display reads as the list of its fields.
 */
#ifndef DB_JSONOUT_H
#define DB_JSONOUT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Writes o to f, pretty-printed and newline-terminated, and releases o
 * (o may be NULL: out of memory). Returns 1, or 0 when o is NULL. */
int jout_write(FILE *f, struct json_object *o);

/* Add a field to object o; a NULL string becomes JSON null. */
void jout_str(struct json_object *o, const char *key, const char *val);
void jout_u64(struct json_object *o, const char *key, uint64_t val);
void jout_i64(struct json_object *o, const char *key, int64_t val);
void jout_bool(struct json_object *o, const char *key, bool val);

/* Adds a new object (or array) under key and returns it (owned by o). */
struct json_object *jout_obj(struct json_object *o, const char *key);
struct json_object *jout_arr(struct json_object *o, const char *key);

/* Appends a new object to array a and returns it (owned by a). */
struct json_object *jout_push_obj(struct json_object *a);

#endif
