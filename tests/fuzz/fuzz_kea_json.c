/*
 * libFuzzer target: a lease as Kea writes it in JSON (the hook's lease
 * events, lease4/6-get-all), read by kea_lease_from_text() as family 4 and
 * as family 6 from a heap copy that ends where the input ends (so that
 * ASan sees any read past it). A refusal says why; a lease that is taken
 * is of that family, passes kea_lease_check(), encodes, decodes back to
 * the same struct and encodes again to the same bytes, and its update
 * command is one strict JSON object naming the command, with the lease's
 * address; anything else is a bug and aborts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kea/kea_json.h"

#define CMD_MAX (2 * KL_CTX_MAX + 2048)

/* text is {"command":want,"arguments":{"ip-address":<l's address>,..}}. */
static void command_ok(const char *text, int len, const char *want, const struct kea_lease *l)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o, *c, *a, *ip;
	uint8_t addr[16] = {0};

	if (tok == NULL)
		return;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, len);
	if (o == NULL || json_tokener_get_parse_end(tok) != (size_t)len ||
	    !json_object_object_get_ex(o, "command", &c) ||
	    strcmp(json_object_get_string(c), want) != 0 ||
	    !json_object_object_get_ex(o, "arguments", &a) ||
	    !json_object_is_type(a, json_type_object) ||
	    !json_object_object_get_ex(a, "ip-address", &ip) ||
	    !json_object_is_type(ip, json_type_string) ||
	    inet_pton(l->family == 4 ? AF_INET : AF_INET6, json_object_get_string(ip), addr) != 1 ||
	    memcmp(addr, l->addr, l->family == 4 ? 4 : 16) != 0)
		abort();
	json_object_put(o);
	json_tokener_free(tok);
}

static void one(const uint8_t *data, size_t size, int family)
{
	static struct kea_lease l, back;
	static uint8_t enc[KL_PAYLOAD_MAX], again[KL_PAYLOAD_MAX];
	static char cmd[CMD_MAX];
	const char *why = NULL;
	char *copy = malloc(size ? size : 1);
	int rc, n, m;

	if (copy == NULL)
		return;
	memcpy(copy, data, size);
	rc = kea_lease_from_text(copy, size, family, &l, &why);
	free(copy);
	if (rc == -ENOMEM)
		return;
	if (rc != 0) {
		if (rc != -EINVAL || why == NULL || why[0] == '\0')
			abort();
		return;
	}
	if (l.family != family || kea_lease_check(&l, NULL) != 0)
		abort();
	n = kea_lease_encode(&l, enc, sizeof(enc));
	if (n <= 0)
		abort();
	if (kea_lease_decode(enc, (size_t)n, &back) != 0 || memcmp(&back, &l, sizeof(l)) != 0)
		abort();
	m = kea_lease_encode(&back, again, sizeof(again));
	if (m != n || memcmp(again, enc, (size_t)n) != 0)
		abort();
	n = kea_lease_update_cmd(&l, cmd, sizeof(cmd));
	if (n == -ENOMEM)
		return;
	if (n <= 0 || (size_t)n != strlen(cmd))
		abort();
	command_ok(cmd, n, family == 4 ? "lease4-update" : "lease6-update", &l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size, 4);
	one(data, size, 6);
	return 0;
}
