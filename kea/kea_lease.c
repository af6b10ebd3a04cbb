/* A Kea DHCP lease: its encoding, its checks and its Kea commands; see
 * kea_lease.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "kea/kea_lease.h"

#define KL_VERSION 1
/* Kea's smallest client-id (RFC 2132 9.14). */
#define KL_CLIENT_ID_MIN 2
/* expire = cltt + valid_lft stays below this. */
#define KL_EXPIRE_LIMIT (UINT64_C(1) << 40)

/* ---- encoding ---- */

struct wr {
	uint8_t *p;
	size_t off;
};

static void put(struct wr *w, const void *b, size_t n)
{
	memcpy(w->p + w->off, b, n);
	w->off += n;
}

static void put_be(struct wr *w, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		w->p[w->off + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	w->off += n;
}

static size_t addr_len(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

static size_t encoded_len(const struct kea_lease *l)
{
	return 5 + addr_len(l->family) + 4 * 4 + 8 + 1 + l->hw_len + 1 + l->id_len + 1 +
	       strlen(l->hostname) + 2 + strlen(l->ctx);
}

int kea_lease_encode(const struct kea_lease *l, uint8_t *buf, size_t cap)
{
	struct wr w = {buf, 0};
	size_t n, hlen, clen;

	if (kea_lease_check(l, NULL) != 0)
		return -EINVAL;
	n = encoded_len(l);
	if (n > cap)
		return -ENOSPC;
	hlen = strlen(l->hostname);
	clen = strlen(l->ctx);
	put_be(&w, KL_VERSION, 1);
	put_be(&w, l->family, 1);
	put_be(&w, l->type, 1);
	put_be(&w, l->prefix_len, 1);
	put_be(&w, l->state, 1);
	put(&w, l->addr, addr_len(l->family));
	put_be(&w, l->subnet_id, 4);
	put_be(&w, l->valid_lft, 4);
	put_be(&w, l->preferred_lft, 4);
	put_be(&w, l->iaid, 4);
	put_be(&w, l->cltt, 8);
	put_be(&w, l->hw_len, 1);
	put(&w, l->hw, l->hw_len);
	put_be(&w, l->id_len, 1);
	put(&w, l->id, l->id_len);
	put_be(&w, hlen, 1);
	put(&w, l->hostname, hlen);
	put_be(&w, clen, 2);
	put(&w, l->ctx, clen);
	return (int)w.off;
}

/* ---- decoding ---- */

/* A reader that fails once and stays failed: every read past the end
 * yields zeros and sets bad. */
struct rd {
	const uint8_t *p;
	size_t len, off;
	int bad;
};

static const uint8_t *take(struct rd *r, size_t n)
{
	const uint8_t *b;

	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	b = r->p + r->off;
	r->off += n;
	return b;
}

static uint64_t get_be(struct rd *r, size_t n)
{
	const uint8_t *b = take(r, n);
	uint64_t v = 0;
	size_t i;

	for (i = 0; b != NULL && i < n; i++)
		v = v << 8 | b[i];
	return v;
}

static void get_bytes(struct rd *r, size_t n, void *out)
{
	const uint8_t *b = take(r, n);

	if (b != NULL)
		memcpy(out, b, n);
}

/* A field led by its length (lbytes, big-endian), at most max bytes, into
 * out. Returns the length, 0 once the reader has failed. */
static size_t get_field(struct rd *r, size_t lbytes, size_t max, void *out)
{
	size_t n = (size_t)get_be(r, lbytes);

	if (n > max)
		r->bad = 1;
	get_bytes(r, n, out);
	return r->bad ? 0 : n;
}

int kea_lease_decode(const uint8_t *buf, size_t len, struct kea_lease *l)
{
	struct rd r = {buf, len, 0, 0};
	size_t n;

	memset(l, 0, sizeof(*l));
	if (get_be(&r, 1) != KL_VERSION)
		return -EINVAL;
	l->family = (uint8_t)get_be(&r, 1);
	if (l->family != 4 && l->family != 6)
		return -EINVAL;
	l->type = (uint8_t)get_be(&r, 1);
	l->prefix_len = (uint8_t)get_be(&r, 1);
	l->state = (uint8_t)get_be(&r, 1);
	get_bytes(&r, addr_len(l->family), l->addr);
	l->subnet_id = (uint32_t)get_be(&r, 4);
	l->valid_lft = (uint32_t)get_be(&r, 4);
	l->preferred_lft = (uint32_t)get_be(&r, 4);
	l->iaid = (uint32_t)get_be(&r, 4);
	l->cltt = get_be(&r, 8);
	l->hw_len = (uint8_t)get_field(&r, 1, KL_HW_MAX, l->hw);
	l->id_len = (uint8_t)get_field(&r, 1, KL_ID_MAX, l->id);
	n = get_field(&r, 1, KL_HOST_MAX, l->hostname);
	if (memchr(l->hostname, 0, n) != NULL)
		return -EINVAL;
	n = get_field(&r, 2, KL_CTX_MAX, l->ctx);
	if (memchr(l->ctx, 0, n) != NULL)
		return -EINVAL;
	if (r.bad || r.off != len)
		return -EINVAL;
	return kea_lease_check(l, NULL);
}

/* ---- checks ---- */

/* Family, type, prefix length, state, and the fields a v4 lease has not. */
static const char *shape_error(const struct kea_lease *l)
{
	static const uint8_t zero[12];

	if (l->family == 4) {
		if (l->type != KL_TYPE_V4)
			return "a v4 lease has type V4";
		if (l->prefix_len != 32)
			return "a v4 lease has prefix length 32";
		if (l->preferred_lft != 0 || l->iaid != 0)
			return "a v4 lease has no preferred lifetime nor IAID";
		if (memcmp(l->addr + 4, zero, sizeof(zero)) != 0)
			return "a v4 address has 4 bytes";
	} else if (l->family == 6) {
		if (l->type < KL_TYPE_NA || l->type > KL_TYPE_PD)
			return "a v6 lease is NA, TA or PD";
		if (l->type != KL_TYPE_PD && l->prefix_len != 128)
			return "an NA or TA lease has prefix length 128";
		if (l->prefix_len < 1 || l->prefix_len > 128)
			return "a PD prefix length is 1..128";
		if (l->type != KL_TYPE_NA && l->subnet_id == 0)
			return "a TA or PD lease needs its subnet-id";
		if (l->type == KL_TYPE_PD && l->state == KL_STATE_DECLINED)
			return "Kea declines no prefix";
	} else {
		return "family is 4 or 6";
	}
	if (l->state > KL_STATE_EXPIRED_RECLAIMED)
		return "unknown state";
	return NULL;
}

static const char *ids_error(const struct kea_lease *l)
{
	if (l->hw_len > KL_HW_MAX)
		return "hardware address too long";
	if (l->id_len > KL_ID_MAX)
		return "client-id or DUID too long";
	if (l->family == 4 && l->id_len > 0 && l->id_len < KL_CLIENT_ID_MIN)
		return "a client-id has 2 bytes at least";
	if (l->family == 6 && l->id_len == 0)
		return "a v6 lease needs a DUID";
	return NULL;
}

static int hostname_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

static const char *hostname_error(const char *h)
{
	size_t i;

	if (memchr(h, 0, KL_HOST_MAX + 1) == NULL)
		return "hostname too long";
	if (h[0] == '.')
		return "hostname starts with '.'";
	for (i = 0; h[i] != '\0'; i++)
		if (!hostname_char(h[i]))
			return "hostname has a character other than letters, digits, '.', '-', '_'";
	return NULL;
}

static const char *expire_error(const struct kea_lease *l)
{
	if (l->cltt >= KL_EXPIRE_LIMIT || l->cltt + l->valid_lft >= KL_EXPIRE_LIMIT)
		return "cltt + valid_lft reaches 2^40";
	if (l->cltt + l->valid_lft == 0)
		return "cltt + valid_lft is 0 (Kea refuses expire 0)";
	return NULL;
}

/* Every number under o is one Kea's JSON parser takes: an int64 or a
 * finite double. json-c has bounded the depth. */
static int numbers_ok(struct json_object *o)
{
	struct json_object_iterator it, end;
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		return isfinite(json_object_get_double(o));
	case json_type_int:
		/* json-c keeps what exceeds INT64_MAX as a uint64 */
		return json_object_get_int64(o) != INT64_MAX ||
		       json_object_get_uint64(o) == (uint64_t)INT64_MAX;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (!numbers_ok(json_object_array_get_idx(o, i)))
				return 0;
		return 1;
	case json_type_object:
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			if (!numbers_ok(json_object_iter_peek_value(&it)))
				return 0;
		return 1;
	default:
		return 1;
	}
}

/* The n bytes of ctx parsed, when they are a user-context Kea takes (see
 * the header); else NULL. The caller puts the object. */
static struct json_object *ctx_parse(const char *ctx, size_t n)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t i;

	/* json-c lets raw control bytes into strings; JSON does not */
	for (i = 0; i < n; i++)
		if ((unsigned char)ctx[i] < 0x20 && ctx[i] != '\t' && ctx[i] != '\n' &&
		    ctx[i] != '\r')
			return NULL;
	tok = json_tokener_new();
	if (tok == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, ctx, (int)n);
	if (o != NULL && (json_tokener_get_parse_end(tok) != n ||
			  !json_object_is_type(o, json_type_object) || !numbers_ok(o))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static const char *ctx_error(const char *ctx)
{
	struct json_object *o;

	if (memchr(ctx, 0, KL_CTX_MAX + 1) == NULL)
		return "user-context too long";
	if (ctx[0] == '\0')
		return NULL;
	o = ctx_parse(ctx, strlen(ctx));
	if (o == NULL)
		return "user-context is not a JSON object Kea takes";
	json_object_put(o);
	return NULL;
}

int kea_lease_check(const struct kea_lease *l, const char **why)
{
	const char *e = shape_error(l);

	if (e == NULL)
		e = ids_error(l);
	if (e == NULL)
		e = hostname_error(l->hostname);
	if (e == NULL)
		e = expire_error(l);
	if (e == NULL)
		e = ctx_error(l->ctx);
	if (e == NULL)
		return 0;
	if (why != NULL)
		*why = e;
	return -EINVAL;
}

/* ---- key and MAC ---- */

size_t kea_lease_key(const struct kea_lease *l, uint8_t key[KL_KEY_MAX])
{
	char a[INET6_ADDRSTRLEN];
	int n;

	if (l->family == 4 && l->type == KL_TYPE_V4) {
		inet_ntop(AF_INET, l->addr, a, sizeof(a));
		n = snprintf((char *)key, KL_KEY_MAX, "%s", a);
	} else if (l->family == 6 && l->type >= KL_TYPE_NA && l->type <= KL_TYPE_PD) {
		inet_ntop(AF_INET6, l->addr, a, sizeof(a));
		if (l->type == KL_TYPE_PD)
			n = snprintf((char *)key, KL_KEY_MAX, "%s/%u", a, l->prefix_len);
		else
			n = snprintf((char *)key, KL_KEY_MAX, "%s%s", a,
				     l->type == KL_TYPE_TA ? " ta" : "");
	} else {
		return 0;
	}
	return n > 0 && n < KL_KEY_MAX ? (size_t)n : 0;
}

int kea_lease_mac(const struct kea_lease *l, uint8_t mac[6])
{
	/* DUID type then hardware type 1 (Ethernet), RFC 8415 11.2 and 11.4 */
	static const uint8_t llt[4] = {0, 1, 0, 1}, ll[4] = {0, 3, 0, 1};
	const uint8_t *m = NULL;

	if (l->hw_len == 6)
		m = l->hw;
	else if (l->family == 6 && l->id_len == 14 && memcmp(l->id, llt, 4) == 0)
		m = l->id + 8; /* after the 4-byte time */
	else if (l->family == 6 && l->id_len == 10 && memcmp(l->id, ll, 4) == 0)
		m = l->id + 4;
	if (m == NULL)
		return -ENOENT;
	memcpy(mac, m, 6);
	return 0;
}

/* ---- commands ---- */

static const char *const type_names[] = {"V4", "IA_NA", "IA_TA", "IA_PD"};

/* "aa:bb:..", Kea's text form of identifiers; out has 3 * n + 1 bytes. */
static void hex_colons(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		*out++ = digits[b[i] >> 4];
		*out++ = digits[b[i] & 15];
		if (i + 1 < n)
			*out++ = ':';
	}
	*out = '\0';
}

/* Adds v to o under k. Returns 0, or 1 when v was not made or not added
 * (v is put then). */
static int add(struct json_object *o, const char *k, struct json_object *v)
{
	if (v == NULL)
		return 1;
	if (json_object_object_add(o, k, v) != 0) {
		json_object_put(v);
		return 1;
	}
	return 0;
}

static int add_str(struct json_object *o, const char *k, const char *s)
{
	return add(o, k, json_object_new_string(s));
}

static int add_int(struct json_object *o, const char *k, int64_t v)
{
	return add(o, k, json_object_new_int64(v));
}

static int add_hex(struct json_object *o, const char *k, const uint8_t *b, size_t n)
{
	char t[3 * KL_ID_MAX + 1];

	hex_colons(b, n, t);
	return add_str(o, k, t);
}

static int add_address(struct json_object *o, const struct kea_lease *l)
{
	char t[INET6_ADDRSTRLEN];

	if (inet_ntop(l->family == 4 ? AF_INET : AF_INET6, l->addr, t, sizeof(t)) == NULL)
		return 1;
	return add_str(o, "ip-address", t);
}

/* The arguments of lease4-update / lease6-update, as Kea 2.2's
 * Lease4Parser / Lease6Parser read them. Returns 0, or 1 when json-c
 * failed. */
/* The arguments of lease4/6-update (force: force-create, the lease is
 * made when Kea has none) and of lease4/6-add (no force). */
static int lease_args(struct json_object *a, const struct kea_lease *l, bool force)
{
	int bad = add_address(a, l);

	if (l->family == 4 || l->hw_len > 0)
		bad |= add_hex(a, "hw-address", l->hw, l->hw_len);
	if (l->family == 4 && l->id_len > 0)
		bad |= add_hex(a, "client-id", l->id, l->id_len);
	if (l->family == 6) {
		bad |= add_hex(a, "duid", l->id, l->id_len);
		bad |= add_int(a, "iaid", l->iaid);
		bad |= add_str(a, "type", type_names[l->type]);
		if (l->type == KL_TYPE_PD)
			bad |= add_int(a, "prefix-len", l->prefix_len);
		if (l->type != KL_TYPE_NA)
			bad |= add_int(a, "subnet-id", l->subnet_id);
		bad |= add_int(a, "preferred-lft", l->preferred_lft);
	}
	bad |= add_int(a, "valid-lft", l->valid_lft);
	bad |= add_int(a, "expire", (int64_t)(l->cltt + l->valid_lft));
	if (l->hostname[0] != '\0')
		bad |= add_str(a, "hostname", l->hostname);
	bad |= add_int(a, "state", l->state);
	if (l->ctx[0] != '\0')
		bad |= add(a, "user-context", ctx_parse(l->ctx, strlen(l->ctx)));
	if (force)
		bad |= add(a, "force-create", json_object_new_boolean(1));
	return bad;
}

/* Writes {"command":name,"arguments":args} into buf unless bad (json-c
 * failed building args). Takes args. */
static int emit(const char *name, struct json_object *args, int bad, char *buf, size_t cap)
{
	struct json_object *cmd = json_object_new_object();
	const char *s = NULL;
	size_t n;
	int rc = -ENOMEM;

	if (cmd == NULL) {
		json_object_put(args);
		return -ENOMEM;
	}
	bad |= add_str(cmd, "command", name);
	bad |= add(cmd, "arguments", args);
	if (!bad)
		s = json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s != NULL && (n = strlen(s)) >= cap) {
		rc = -ENOSPC;
	} else if (s != NULL) {
		memcpy(buf, s, n + 1);
		rc = (int)n;
	}
	json_object_put(cmd);
	return rc;
}

/* lease4/6-update with force-create (force), or lease4/6-add. */
static int lease_cmd(const struct kea_lease *l, bool force, char *buf, size_t cap)
{
	static const char *const names[2][2] = {{"lease4-add", "lease6-add"},
						{"lease4-update", "lease6-update"}};
	struct json_object *a;

	if (kea_lease_check(l, NULL) != 0)
		return -EINVAL;
	a = json_object_new_object();
	if (a == NULL)
		return -ENOMEM;
	return emit(names[force][l->family == 6], a, lease_args(a, l, force), buf, cap);
}

int kea_lease_update_cmd(const struct kea_lease *l, char *buf, size_t cap)
{
	return lease_cmd(l, true, buf, cap);
}

int kea_lease_add_cmd(const struct kea_lease *l, char *buf, size_t cap)
{
	return lease_cmd(l, false, buf, cap);
}

int kea_lease_del_cmd(const struct kea_lease *l, char *buf, size_t cap)
{
	struct json_object *a;
	int bad;

	if (kea_lease_check(l, NULL) != 0)
		return -EINVAL;
	a = json_object_new_object();
	if (a == NULL)
		return -ENOMEM;
	bad = add_address(a, l);
	if (l->family == 6)
		bad |= add_str(a, "type", type_names[l->type]);
	return emit(l->family == 4 ? "lease4-del" : "lease6-del", a, bad, buf, cap);
}
