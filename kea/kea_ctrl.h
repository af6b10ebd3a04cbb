/*
 * One command to Kea's control socket (a UNIX stream socket: Kea reads one
 * JSON command per connection, answers, and closes).
 */
#ifndef DB_KEA_CTRL_H
#define DB_KEA_CTRL_H

struct json_object;

/*
 * Sends cmd (JSON text) to the control socket at path and waits up to
 * timeout_ms for the whole answer. Returns 0 with *answer the parsed JSON
 * (the caller puts it), or a negative errno: the socket could not be
 * reached (-ENOENT, -ECONNREFUSED ...), -ETIMEDOUT, -EPROTO for an answer
 * that is not one JSON object.
 */
int kc_command(const char *path, const char *cmd, int timeout_ms, struct json_object **answer);

/* The answer's "result" (0 success, 3 empty), or -1 when it has none. */
int kc_result(const struct json_object *answer);

/* Whether the answer's "text" holds needle (Kea says why in it, e.g. "IPv4
 * lease with address ... already exists"); false without a text. */
int kc_text_has(const struct json_object *answer, const char *needle);

#endif
