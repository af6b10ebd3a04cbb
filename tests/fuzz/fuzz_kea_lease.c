/*
 * libFuzzer target: a "dhcp-server" user's payload as the peer might send
 * it, decoded by kea_lease_decode() from a heap copy that ends where the
 * input ends (so that ASan sees any read past it). A lease that decodes
 * must encode back to the very same bytes, and its update and delete
 * commands must be JSON objects naming the right command, with the
 * lease's address; anything else is a bug and aborts.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kea/kea_lease.h"

#define CMD_MAX (2 * KL_CTX_MAX + 2048)

/* text is one JSON object, {"command":want,"arguments":{...}}. */
static void command_ok(const char *text, int len, const char *want)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o, *c, *a;

	if (tok == NULL)
		return;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, len);
	if (o == NULL || json_tokener_get_parse_end(tok) != (size_t)len ||
	    !json_object_object_get_ex(o, "command", &c) ||
	    strcmp(json_object_get_string(c), want) != 0 ||
	    !json_object_object_get_ex(o, "arguments", &a) ||
	    !json_object_is_type(a, json_type_object) ||
	    !json_object_object_get_ex(a, "ip-address", NULL))
		abort();
	json_object_put(o);
	json_tokener_free(tok);
}

static void commands_ok(const struct kea_lease *l)
{
	static char cmd[CMD_MAX];
	int n = kea_lease_update_cmd(l, cmd, sizeof(cmd));

	if (n == -ENOMEM)
		return;
	if (n <= 0 || (size_t)n != strlen(cmd))
		abort();
	command_ok(cmd, n, l->family == 4 ? "lease4-update" : "lease6-update");
	n = kea_lease_del_cmd(l, cmd, sizeof(cmd));
	if (n == -ENOMEM)
		return;
	if (n <= 0 || (size_t)n != strlen(cmd))
		abort();
	command_ok(cmd, n, l->family == 4 ? "lease4-del" : "lease6-del");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t again[KL_PAYLOAD_MAX];
	static struct kea_lease l;
	uint8_t key[KL_KEY_MAX], mac[6];
	uint8_t *copy = malloc(size ? size : 1);
	int rc, n;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	rc = kea_lease_decode(copy, size, &l);
	free(copy);
	if (rc == -EINVAL)
		return 0;
	if (rc != 0 || kea_lease_check(&l, NULL) != 0)
		abort();
	n = kea_lease_encode(&l, again, sizeof(again));
	if (n < 0 || (size_t)n != size || memcmp(again, data, size) != 0)
		abort();
	n = (int)kea_lease_key(&l, key);
	if (n < 2 || n >= KL_KEY_MAX || memchr(key, 0, (size_t)n) != NULL)
		abort();
	rc = kea_lease_mac(&l, mac);
	if (rc != 0 && rc != -ENOENT)
		abort();
	commands_ok(&l);
	return 0;
}
