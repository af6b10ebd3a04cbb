#include "kea/kea_json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/hex.h"

int kea_hex_parse(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (*s == '\0')
		return 0;
	for (;;) {
		int hi = hex_digit(s[0]), lo = hi < 0 ? -1 : hex_digit(s[1]);

		/* one or two digits per byte, as Kea's text forms */
		if (hi < 0)
			return -EINVAL;
		if (n == cap)
			return -EINVAL;
		if (lo < 0) {
			out[n++] = (uint8_t)hi;
			s += 1;
		} else {
			out[n++] = (uint8_t)(hi << 4 | lo);
			s += 2;
		}
		if (*s == '\0')
			return (int)n;
		if (*s != ':')
			return -EINVAL;
		s++;
	}
}

/* The member as a JSON string, or NULL when absent or not a string. */
static const char *get_str(const struct json_object *o, const char *k, bool *bad)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return NULL;
	/* a NUL inside (\u0000) would cut the text short unseen */
	if (!json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
		*bad = true;
		return NULL;
	}
	return json_object_get_string(v);
}

/* The member as an integer in [0, max] into *out; absent leaves *out. */
static int get_int(const struct json_object *o, const char *k, uint64_t max, uint64_t *out)
{
	struct json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	errno = 0;
	x = json_object_get_int64(v);
	if (errno || x < 0 || (uint64_t)x > max)
		return -EINVAL;
	*out = (uint64_t)x;
	return 0;
}

static int lease_type(const char *t, uint8_t *type)
{
	if (strcmp(t, "IA_NA") == 0)
		*type = KL_TYPE_NA;
	else if (strcmp(t, "IA_TA") == 0)
		*type = KL_TYPE_TA;
	else if (strcmp(t, "IA_PD") == 0)
		*type = KL_TYPE_PD;
	else
		return -EINVAL;
	return 0;
}

/* The integer members. */
static int ints(const struct json_object *o, struct kea_lease *l, const char **why)
{
	uint64_t sid = 0, valid = 0, pref = 0, iaid = 0, cltt = 0, state = 0, plen = l->prefix_len;

	if (get_int(o, "subnet-id", UINT32_MAX, &sid) ||
	    get_int(o, "valid-lft", UINT32_MAX, &valid) ||
	    get_int(o, "preferred-lft", UINT32_MAX, &pref) ||
	    get_int(o, "iaid", UINT32_MAX, &iaid) || get_int(o, "cltt", (uint64_t)1 << 40, &cltt) ||
	    get_int(o, "state", 2, &state) || get_int(o, "prefix-len", 128, &plen)) {
		*why = "an integer member out of range or not an integer";
		return -EINVAL;
	}
	l->subnet_id = (uint32_t)sid;
	l->valid_lft = (uint32_t)valid;
	l->preferred_lft = (uint32_t)pref;
	l->iaid = (uint32_t)iaid;
	l->cltt = cltt;
	l->state = (uint8_t)state;
	l->prefix_len = (uint8_t)plen;
	return 0;
}

/* The address and the type. */
static int addr(const struct json_object *o, int family, struct kea_lease *l, const char **why)
{
	bool bad = false, bad_type = false;
	const char *ip = get_str(o, "ip-address", &bad), *type = get_str(o, "type", &bad_type);

	if (ip == NULL || bad || inet_pton(family == 4 ? AF_INET : AF_INET6, ip, l->addr) != 1) {
		*why = "no ip-address of the lease's family";
		return -EINVAL;
	}
	l->family = (uint8_t)family;
	if (family == 4) {
		l->type = KL_TYPE_V4;
		l->prefix_len = 32;
	} else {
		l->type = KL_TYPE_NA;
		if (bad_type || (type && lease_type(type, &l->type) < 0)) {
			*why = "a type other than IA_NA, IA_TA, IA_PD";
			return -EINVAL;
		}
		l->prefix_len = 128;
	}
	return 0;
}

/* The byte and text members. */
static int texts(const struct json_object *o, int family, struct kea_lease *l, const char **why)
{
	bool bad = false;
	const char *hw = get_str(o, "hw-address", &bad);
	const char *id = get_str(o, family == 4 ? "client-id" : "duid", &bad);
	const char *host = get_str(o, "hostname", &bad);
	struct json_object *ctx;
	int n;

	if (bad) {
		*why = "a text member that is not a string";
		return -EINVAL;
	}
	if (hw && (n = kea_hex_parse(hw, l->hw, KL_HW_MAX)) < 0) {
		*why = "a hw-address that is not colon-separated hex of at most 20 bytes";
		return -EINVAL;
	}
	l->hw_len = hw ? (uint8_t)n : 0;
	if (id && (n = kea_hex_parse(id, l->id, KL_ID_MAX)) < 0) {
		*why = "a client-id or duid that is not colon-separated hex of at most 130 bytes";
		return -EINVAL;
	}
	l->id_len = id ? (uint8_t)n : 0;
	if (host && strlen(host) > KL_HOST_MAX) {
		*why = "a hostname over 253 characters";
		return -EINVAL;
	}
	snprintf(l->hostname, sizeof(l->hostname), "%s", host ? host : "");
	if (json_object_object_get_ex(o, "user-context", &ctx) && ctx != NULL) {
		const char *t = json_object_to_json_string_ext(ctx, JSON_C_TO_STRING_PLAIN);

		if (!json_object_is_type(ctx, json_type_object) || strlen(t) > KL_CTX_MAX) {
			*why = "a user-context that is not an object of at most 4096 bytes";
			return -EINVAL;
		}
		snprintf(l->ctx, sizeof(l->ctx), "%s", t);
	}
	return 0;
}

int kea_lease_from_json(const struct json_object *o, int family, struct kea_lease *l,
			const char **why)
{
	const char *w = NULL;

	memset(l, 0, sizeof(*l));
	if (o == NULL || !json_object_is_type(o, json_type_object) || (family != 4 && family != 6))
		w = "not a lease object";
	else if (addr(o, family, l, &w) == 0 && ints(o, l, &w) == 0 && texts(o, family, l, &w) == 0)
		(void)kea_lease_check(l, &w);
	if (why)
		*why = w;
	return w ? -EINVAL : 0;
}

int kea_lease_from_text(const char *text, size_t len, int family, struct kea_lease *l,
			const char **why)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	int rc;

	if (tok == NULL)
		return -ENOMEM;
	/* Kea writes strict JSON: nothing else is a lease of Kea's */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (o == NULL || json_tokener_get_parse_end(tok) != len) {
		if (why)
			*why = "not one JSON object";
		rc = -EINVAL;
	} else {
		rc = kea_lease_from_json(o, family, l, why);
	}
	json_object_put(o);
	json_tokener_free(tok);
	return rc;
}
