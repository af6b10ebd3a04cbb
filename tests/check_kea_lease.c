/* Kea leases as the platform backs them up: v4, NA, TA and PD leases with
 * every field survive the encoding, which is the documented layout; a
 * payload from the peer that is cut short, too long, of another version,
 * with a length over its max, a NUL in its text, a user-context Kea would
 * refuse or fields that do not agree is refused; the MAC that picks the
 * VRRP group comes from the hardware address or the DUID; the keys have
 * their three forms; and the Kea commands carry Kea 2.2's argument names
 * and value forms, with no way for a hostname or a user-context to break
 * out of them. */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kea/kea_lease.h"
#include "tests/lib/checkrun.h"

/* Documentation addresses (RFC 5737, RFC 3849) and MACs (RFC 7042 2.1.1). */
static const uint8_t v4_7[4] = {192, 0, 2, 7};
static const uint8_t v6_7[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, [15] = 0x07};
static const uint8_t v6_pd[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0x00};
static const uint8_t mac_7[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x07};
static const uint8_t mac_8[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x08};
/* DUID-LLT (type 1, hw type 1, time, MAC) and DUID-LL (type 3, hw type 1) */
static const uint8_t duid_llt[14] = {0,	   1,	 0,    1,    0x2b, 0x3c, 0x4d,
				     0x5e, 0x00, 0x00, 0x5e, 0x00, 0x53, 0x09};
static const uint8_t duid_ll[10] = {0, 3, 0, 1, 0x00, 0x00, 0x5e, 0x00, 0x53, 0x0a};
static const uint8_t duid_en[8] = {0, 2, 0, 0, 0x09, 0xbf, 0x12, 0x34};
static const uint8_t client_id[7] = {0x01, 0x00, 0x00, 0x5e, 0x00, 0x53, 0x07};

#define CLTT UINT64_C(1700000000)
#define RELAY_CTX "{\"ISC\":{\"relay-agent-info\":{\"sub-options\":\"0x0104C0000201\"}}}"

static void base(struct kea_lease *l, int family)
{
	memset(l, 0, sizeof(*l));
	l->family = (uint8_t)family;
	l->cltt = CLTT;
	l->valid_lft = 86400;
}

static struct kea_lease v4_full(void)
{
	struct kea_lease l;

	base(&l, 4);
	l.type = KL_TYPE_V4;
	l.prefix_len = 32;
	l.state = KL_STATE_DECLINED;
	memcpy(l.addr, v4_7, 4);
	l.subnet_id = 7;
	l.hw_len = 6;
	memcpy(l.hw, mac_7, 6);
	l.id_len = sizeof(client_id);
	memcpy(l.id, client_id, sizeof(client_id));
	strcpy(l.hostname, "host-7.example.com.");
	strcpy(l.ctx, RELAY_CTX);
	return l;
}

static struct kea_lease na_full(void)
{
	struct kea_lease l;

	base(&l, 6);
	l.type = KL_TYPE_NA;
	l.prefix_len = 128;
	memcpy(l.addr, v6_7, 16);
	l.subnet_id = 1;
	l.valid_lft = 7200;
	l.preferred_lft = 3600;
	l.iaid = 0x12345678;
	l.hw_len = 6;
	memcpy(l.hw, mac_8, 6);
	l.id_len = sizeof(duid_llt);
	memcpy(l.id, duid_llt, sizeof(duid_llt));
	strcpy(l.hostname, "pc_7");
	strcpy(l.ctx, "{\"a\":[1,2.5,true,null,\"x\"],\"b\":{}}");
	return l;
}

static struct kea_lease pd_full(void)
{
	struct kea_lease l;

	base(&l, 6);
	l.type = KL_TYPE_PD;
	l.prefix_len = 56;
	l.state = KL_STATE_EXPIRED_RECLAIMED;
	memcpy(l.addr, v6_pd, 16);
	l.subnet_id = 2;
	l.preferred_lft = 43200;
	l.iaid = 0xfffffffe;
	l.id_len = sizeof(duid_ll);
	memcpy(l.id, duid_ll, sizeof(duid_ll));
	strcpy(l.hostname, "router");
	strcpy(l.ctx, "{\"c\":\"d\"}");
	return l;
}

static struct kea_lease ta_full(void)
{
	struct kea_lease l = na_full();

	l.type = KL_TYPE_TA;
	l.subnet_id = 3;
	l.hw_len = 0;
	memset(l.hw, 0, sizeof(l.hw));
	l.id_len = sizeof(duid_en);
	memset(l.id, 0, sizeof(l.id));
	memcpy(l.id, duid_en, sizeof(duid_en));
	return l;
}

/* ---- the layout, written by hand ---- */

struct out {
	uint8_t b[KL_PAYLOAD_MAX + 64];
	size_t n;
};

static void be(struct out *o, uint64_t v, int bytes)
{
	while (bytes-- > 0)
		o->b[o->n++] = (uint8_t)(v >> (8 * bytes));
}

static void bytes(struct out *o, const void *p, size_t n)
{
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

/* l's fixed part, then the variable fields as given (they may break the
 * rules: lengths past their max, NULs). */
static void layout_raw(struct out *o, const struct kea_lease *l, const void *hw, size_t hw_len,
		       const void *id, size_t id_len, const char *host, size_t host_len,
		       const char *ctx, size_t ctx_len)
{
	o->n = 0;
	be(o, 1, 1);
	be(o, l->family, 1);
	be(o, l->type, 1);
	be(o, l->prefix_len, 1);
	be(o, l->state, 1);
	bytes(o, l->addr, l->family == 4 ? 4 : 16);
	be(o, l->subnet_id, 4);
	be(o, l->valid_lft, 4);
	be(o, l->preferred_lft, 4);
	be(o, l->iaid, 4);
	be(o, l->cltt, 8);
	be(o, hw_len, 1);
	bytes(o, hw, hw_len);
	be(o, id_len, 1);
	bytes(o, id, id_len);
	be(o, host_len, 1);
	bytes(o, host, host_len);
	be(o, ctx_len, 2);
	bytes(o, ctx, ctx_len);
}

static void layout(struct out *o, const struct kea_lease *l)
{
	layout_raw(o, l, l->hw, l->hw_len, l->id, l->id_len, l->hostname, strlen(l->hostname),
		   l->ctx, strlen(l->ctx));
}

/* decode() from a heap copy of exactly n bytes, so that ASan sees a read
 * past them. */
static int decode_n(const uint8_t *b, size_t n, struct kea_lease *l)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, b, n);
	rc = kea_lease_decode(copy, n, l);
	free(copy);
	return rc;
}

static void round_trip(const struct kea_lease *l)
{
	uint8_t buf[KL_PAYLOAD_MAX];
	struct out hand;
	struct kea_lease back;
	int n = kea_lease_encode(l, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	layout(&hand, l);
	ck_assert_uint_eq((size_t)n, hand.n);
	ck_assert_mem_eq(buf, hand.b, hand.n);
	memset(&back, 0xaa, sizeof(back));
	ck_assert_int_eq(decode_n(buf, (size_t)n, &back), 0);
	/* every field, and zeros past every length */
	ck_assert_mem_eq(&back, l, sizeof(back));
}

START_TEST(v4_leases_round_trip_with_every_field)
{
	struct kea_lease l = v4_full();

	round_trip(&l);
	/* and without the optional ones */
	l.hw_len = 0;
	memset(l.hw, 0, sizeof(l.hw));
	l.id_len = 0;
	memset(l.id, 0, sizeof(l.id));
	memset(l.hostname, 0, sizeof(l.hostname));
	memset(l.ctx, 0, sizeof(l.ctx));
	round_trip(&l);
}
END_TEST

START_TEST(v6_na_ta_and_pd_leases_round_trip_with_every_field)
{
	struct kea_lease na = na_full(), ta = ta_full(), pd = pd_full();

	round_trip(&na);
	round_trip(&ta);
	round_trip(&pd);
	pd.prefix_len = 1;
	round_trip(&pd);
	pd.prefix_len = 128;
	round_trip(&pd);
}
END_TEST

/* Every variable field at its max: the largest encoding fits
 * KL_PAYLOAD_MAX exactly. */
static struct kea_lease biggest(void)
{
	struct kea_lease l = pd_full();
	size_t n;

	l.hw_len = KL_HW_MAX;
	memset(l.hw, 0x11, KL_HW_MAX);
	l.id_len = KL_ID_MAX;
	memset(l.id, 0x22, KL_ID_MAX);
	memset(l.hostname, 'h', KL_HOST_MAX);
	strcpy(l.ctx, "{\"a\":\"");
	n = strlen(l.ctx);
	memset(l.ctx + n, 'x', KL_CTX_MAX - n - 2);
	strcpy(l.ctx + KL_CTX_MAX - 2, "\"}");
	return l;
}

START_TEST(the_encoding_is_the_documented_layout)
{
	/* a v4 lease with none of the optional fields, byte by byte */
	static const char want[] = "\x01\x04\x00\x20\x00" /* version, family, type, prefix, state */
				   "\xc0\x00\x02\x07"	  /* 192.0.2.7 */
				   "\x00\x00\x00\x07"	  /* subnet_id 7 */
				   "\x00\x01\x51\x80"	  /* valid_lft 86400 */
				   "\x00\x00\x00\x00\x00\x00\x00\x00" /* preferred_lft, iaid */
				   "\x00\x00\x00\x00\x65\x53\xf1\x00" /* cltt 1700000000 */
				   "\x00\x00\x00"		      /* hw, id, hostname: none */
				   "\x00\x00";			      /* ctx: none, 2-byte length */
	const size_t want_len = sizeof(want) - 1; /* without the literal's NUL */
	struct kea_lease l = v4_full(), big = biggest(), back;
	uint8_t buf[KL_PAYLOAD_MAX];

	l.state = KL_STATE_DEFAULT;
	l.hw_len = l.id_len = 0;
	memset(l.hw, 0, sizeof(l.hw));
	memset(l.id, 0, sizeof(l.id));
	memset(l.hostname, 0, sizeof(l.hostname));
	memset(l.ctx, 0, sizeof(l.ctx));
	ck_assert_int_eq(kea_lease_encode(&l, buf, sizeof(buf)), want_len);
	ck_assert_mem_eq(buf, want, want_len);
	ck_assert_int_eq(decode_n((const uint8_t *)want, want_len, &back), 0);
	ck_assert_mem_eq(&back, &l, sizeof(l));

	ck_assert_int_eq(kea_lease_encode(&big, buf, sizeof(buf)), KL_PAYLOAD_MAX);
	round_trip(&big);
}
END_TEST

START_TEST(encode_refuses_an_invalid_lease_and_a_short_buffer)
{
	struct kea_lease l = na_full();
	uint8_t buf[KL_PAYLOAD_MAX];
	int n = kea_lease_encode(&l, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(kea_lease_encode(&l, buf, (size_t)n), n);
	ck_assert_int_eq(kea_lease_encode(&l, buf, (size_t)n - 1), -ENOSPC);
	ck_assert_int_eq(kea_lease_encode(&l, buf, 0), -ENOSPC);
	l.id_len = 0;
	ck_assert_int_eq(kea_lease_encode(&l, buf, sizeof(buf)), -EINVAL);
}
END_TEST

START_TEST(a_payload_cut_short_anywhere_is_refused)
{
	struct kea_lease leases[] = {v4_full(), na_full(), ta_full(), pd_full()}, back;
	uint8_t buf[KL_PAYLOAD_MAX];
	size_t i, cut;

	for (i = 0; i < sizeof(leases) / sizeof(leases[0]); i++) {
		int n = kea_lease_encode(&leases[i], buf, sizeof(buf));

		ck_assert_int_gt(n, 0);
		for (cut = 0; cut < (size_t)n; cut++)
			ck_assert_msg(decode_n(buf, cut, &back) == -EINVAL,
				      "lease %zu cut at %zu of %d decoded", i, cut, n);
		ck_assert_int_eq(decode_n(buf, (size_t)n, &back), 0);
	}
	ck_assert_int_eq(kea_lease_decode(NULL, 0, &back), -EINVAL);
}
END_TEST

START_TEST(a_trailing_byte_or_another_version_is_refused)
{
	struct kea_lease l = pd_full(), back;
	uint8_t buf[KL_PAYLOAD_MAX + 1];
	int n = kea_lease_encode(&l, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	buf[n] = 0;
	ck_assert_int_eq(decode_n(buf, (size_t)n + 1, &back), -EINVAL);
	ck_assert_int_eq(decode_n(buf, (size_t)n, &back), 0);
	buf[0] = 0;
	ck_assert_int_eq(decode_n(buf, (size_t)n, &back), -EINVAL);
	buf[0] = 2;
	ck_assert_int_eq(decode_n(buf, (size_t)n, &back), -EINVAL);
	buf[0] = 0xff;
	ck_assert_int_eq(decode_n(buf, (size_t)n, &back), -EINVAL);
}
END_TEST

START_TEST(a_length_over_its_max_is_refused)
{
	struct kea_lease l = biggest(), back;
	static uint8_t blob[KL_CTX_MAX + 2];
	static char ctx[KL_CTX_MAX + 2];
	struct out o;
	size_t n;

	memset(blob, 0x33, sizeof(blob));
	/* at the max: fine */
	layout(&o, &l);
	ck_assert_int_eq(decode_n(o.b, o.n, &back), 0);
	/* one past */
	layout_raw(&o, &l, blob, KL_HW_MAX + 1, l.id, l.id_len, l.hostname, KL_HOST_MAX, l.ctx,
		   KL_CTX_MAX);
	ck_assert_int_eq(decode_n(o.b, o.n, &back), -EINVAL);
	layout_raw(&o, &l, l.hw, l.hw_len, blob, KL_ID_MAX + 1, l.hostname, KL_HOST_MAX, l.ctx,
		   KL_CTX_MAX);
	ck_assert_int_eq(decode_n(o.b, o.n, &back), -EINVAL);
	memset(blob, 'h', sizeof(blob));
	layout_raw(&o, &l, l.hw, l.hw_len, l.id, l.id_len, (char *)blob, KL_HOST_MAX + 1, l.ctx,
		   KL_CTX_MAX);
	ck_assert_int_eq(decode_n(o.b, o.n, &back), -EINVAL);
	layout_raw(&o, &l, l.hw, l.hw_len, l.id, l.id_len, (char *)blob, 255, l.ctx, KL_CTX_MAX);
	ck_assert_int_eq(decode_n(o.b, o.n, &back), -EINVAL);
	/* a valid object one byte too long */
	strcpy(ctx, "{\"a\":\"");
	n = strlen(ctx);
	memset(ctx + n, 'x', KL_CTX_MAX - n - 1);
	strcpy(ctx + KL_CTX_MAX - 1, "\"}");
	layout_raw(&o, &l, l.hw, l.hw_len, l.id, l.id_len, l.hostname, KL_HOST_MAX, ctx,
		   KL_CTX_MAX + 1);
	ck_assert_int_eq(decode_n(o.b, o.n, &back), -EINVAL);
}
END_TEST

START_TEST(a_nul_in_hostname_or_ctx_is_refused)
{
	static const char host[] = "ab\0c", ctx[] = "{\"a\":\"\0\"}";
	struct kea_lease l = v4_full(), back;
	struct out o;

	layout_raw(&o, &l, l.hw, l.hw_len, l.id, l.id_len, "abxc", 4, l.ctx, strlen(l.ctx));
	ck_assert_int_eq(decode_n(o.b, o.n, &back), 0);
	layout_raw(&o, &l, l.hw, l.hw_len, l.id, l.id_len, host, 4, l.ctx, strlen(l.ctx));
	ck_assert_int_eq(decode_n(o.b, o.n, &back), -EINVAL);
	layout_raw(&o, &l, l.hw, l.hw_len, l.id, l.id_len, "abc", 3, ctx, sizeof(ctx) - 1);
	ck_assert_int_eq(decode_n(o.b, o.n, &back), -EINVAL);
	/* a NUL after a whole object: the text up to it would pass */
	layout_raw(&o, &l, l.hw, l.hw_len, l.id, l.id_len, "abc", 3, "{}\0{}", 5);
	ck_assert_int_eq(decode_n(o.b, o.n, &back), -EINVAL);
	/* the same with the escape JSON has for it is a valid string */
	layout_raw(&o, &l, l.hw, l.hw_len, l.id, l.id_len, "abc", 3, "{\"a\":\"\\u0000\"}", 14);
	ck_assert_int_eq(decode_n(o.b, o.n, &back), 0);
}
END_TEST

/* check() and decode() of l with this ctx. */
static int ctx_verdict(const char *ctx)
{
	struct kea_lease l = v4_full(), back;
	const char *why = NULL;
	struct out o;
	int rc;

	memset(l.ctx, 0, sizeof(l.ctx));
	strcpy(l.ctx, ctx);
	rc = kea_lease_check(&l, &why);
	ck_assert(rc == 0 || why != NULL);
	layout(&o, &l);
	ck_assert_int_eq(decode_n(o.b, o.n, &back), rc);
	return rc;
}

START_TEST(a_ctx_kea_would_refuse_is_refused)
{
	static const char *const bad[] = {
	    "[]",
	    "\"s\"",
	    "1",
	    "null",
	    "{",
	    "}",
	    "{}x",
	    "{}{}",
	    "{\"a\":1,}",
	    "{\"a\"}",
	    "{\"a\":NaN}",
	    "{\"a\":Infinity}",
	    "{\"a\":-Infinity}",
	    "{\"a\":1e400}",
	    "{\"a\":18446744073709551615}",
	    "{\"a\":9223372036854775808}",
	    "{\"a\":[{\"b\":1e999}]}",
	    "{\"a\":\"\x01\"}",
	    "{\"a\":\"\xff\"}",
	    "{\"a\":01}",
	    "{\"a\":\"\\x\"}",
	};
	static const char *const good[] = {
	    "",
	    "{}",
	    " {\"a\" : 1 }\n",
	    "{\"a\":9223372036854775807}",
	    "{\"a\":-1.5e10}",
	    "{\"\xc3\xa9\":\"\\u20ac\"}",
	    "{\"a\":\"\t\"}",
	    RELAY_CTX,
	};
	char deep[200] = "{\"a\":";
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ctx_verdict(bad[i]) == -EINVAL, "ctx %s taken", bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(ctx_verdict(good[i]) == 0, "ctx %s refused", good[i]);
	/* nested past json-c's 32 levels */
	for (i = 0; i < 40; i++)
		strcat(deep, "[");
	for (i = 0; i < 40; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	ck_assert_int_eq(ctx_verdict(deep), -EINVAL);
}
END_TEST

/* check() of l refuses it, and so does decode() of its layout when the
 * layout can hold it. */
static void refused(const struct kea_lease *l, int decodable, const char *what)
{
	const char *why = NULL;
	struct kea_lease back;
	struct out o;

	ck_assert_msg(kea_lease_check(l, &why) == -EINVAL, "%s: taken", what);
	ck_assert_msg(why != NULL && why[0] != '\0', "%s: no reason", what);
	if (decodable) {
		layout(&o, l);
		ck_assert_msg(decode_n(o.b, o.n, &back) == -EINVAL, "%s: decoded", what);
	}
}

START_TEST(family_type_and_prefix_that_do_not_agree_are_refused)
{
	struct kea_lease l;
	const char *why = "untouched";

#define REFUSE(make, change, decodable)                                                            \
	do {                                                                                       \
		l = make();                                                                        \
		change;                                                                            \
		refused(&l, decodable, #make ": " #change);                                        \
	} while (0)

	l = v4_full();
	ck_assert_int_eq(kea_lease_check(&l, &why), 0);
	ck_assert_str_eq(why, "untouched");
	ck_assert_int_eq(kea_lease_check(&l, NULL), 0);
	REFUSE(v4_full, l.family = 0, 0);
	REFUSE(v4_full, l.family = 5, 0);
	REFUSE(na_full, l.family = 4, 0);
	REFUSE(v4_full, l.type = KL_TYPE_NA, 1);
	REFUSE(v4_full, l.prefix_len = 24, 1);
	REFUSE(v4_full, l.iaid = 1, 1);
	REFUSE(v4_full, l.preferred_lft = 1, 1);
	REFUSE(v4_full, l.addr[4] = 1, 0);
	REFUSE(v4_full, l.state = 3, 1);
	REFUSE(v4_full, l.id_len = 1, 1);
	REFUSE(v4_full, l.hw_len = KL_HW_MAX + 1, 0);
	REFUSE(na_full, l.id_len = KL_ID_MAX + 1, 0);
	REFUSE(na_full, l.type = KL_TYPE_V4, 1);
	REFUSE(na_full, l.type = 4, 1);
	REFUSE(na_full, l.prefix_len = 64, 1);
	REFUSE(ta_full, l.prefix_len = 127, 1);
	REFUSE(pd_full, l.prefix_len = 0, 1);
	REFUSE(pd_full, l.prefix_len = 129, 1);
	REFUSE(pd_full, l.prefix_len = 255, 1);
	REFUSE(pd_full, l.state = KL_STATE_DECLINED, 1);
	REFUSE(pd_full, l.subnet_id = 0, 1);
	REFUSE(ta_full, l.subnet_id = 0, 1);
	REFUSE(na_full, l.id_len = 0, 1);
	REFUSE(na_full, l.state = 200, 1);
#undef REFUSE
	/* what stays fine: an NA without subnet-id, a declined NA, a 1-byte DUID */
	l = na_full();
	l.subnet_id = 0;
	l.state = KL_STATE_DECLINED;
	l.id_len = 1;
	memset(l.id + 1, 0, sizeof(l.id) - 1);
	round_trip(&l);
}
END_TEST

START_TEST(hostnames_are_letters_digits_dots_dashes_underscores)
{
	static const char *const good[] = {"", "a", "host-7.example.com.", "under_score", "7"};
	static const char *const bad[] = {".lead",    "sp ace", "quo\"te", "back\\slash",
					  "\xc3\xbc", ";",	"a/b",	   "tab\t"};
	struct kea_lease l;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		l = v4_full();
		memset(l.hostname, 0, sizeof(l.hostname));
		strcpy(l.hostname, good[i]);
		ck_assert_msg(kea_lease_check(&l, NULL) == 0, "hostname %s refused", good[i]);
		round_trip(&l);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		l = v4_full();
		memset(l.hostname, 0, sizeof(l.hostname));
		strcpy(l.hostname, bad[i]);
		refused(&l, 1, bad[i]);
	}
	l = v4_full();
	memset(l.hostname, 'a', sizeof(l.hostname)); /* no NUL in the array */
	refused(&l, 0, "unterminated hostname");
	l = v4_full();
	memset(l.ctx, ' ', sizeof(l.ctx));
	refused(&l, 0, "unterminated ctx");
}
END_TEST

START_TEST(lifetimes_take_any_u32_and_expire_stays_under_2_40)
{
	const uint64_t lim = UINT64_C(1) << 40;
	struct kea_lease l = v4_full();

	l.valid_lft = 0; /* expired at cltt */
	round_trip(&l);
	l.valid_lft = 0xffffffff; /* Kea's infinite */
	round_trip(&l);
	l.cltt = lim - 1 - 0xffffffff;
	round_trip(&l);
	l.cltt = 1;
	l.valid_lft = 0;
	round_trip(&l);
	l.cltt = 0;
	l.valid_lft = 1;
	round_trip(&l);
	l.valid_lft = 0;
	refused(&l, 1, "expire 0");
	l.cltt = lim - 1;
	round_trip(&l);
	l.valid_lft = 1;
	refused(&l, 1, "expire 2^40");
	l.cltt = lim - 0xffffffff;
	l.valid_lft = 0xffffffff;
	refused(&l, 1, "expire 2^40 by valid_lft");
	l.cltt = lim;
	l.valid_lft = 0;
	refused(&l, 1, "cltt 2^40");
	l.cltt = UINT64_MAX; /* + 1 would wrap to 0 */
	l.valid_lft = 1;
	refused(&l, 1, "cltt wrapping to 0");
	l.valid_lft = 86400; /* to 86399 */
	refused(&l, 1, "cltt wrapping past 0");
}
END_TEST

START_TEST(the_mac_comes_from_the_hardware_address_or_the_duid)
{
	uint8_t mac[6], untouched[6] = {1, 2, 3, 4, 5, 6};
	struct kea_lease l = v4_full();

	ck_assert_int_eq(kea_lease_mac(&l, mac), 0);
	ck_assert_mem_eq(mac, mac_7, 6);
	/* v4: no 6-byte hardware address, no MAC; the client-id is not read */
	l.hw_len = 0;
	memcpy(mac, untouched, 6);
	ck_assert_int_eq(kea_lease_mac(&l, mac), -ENOENT);
	ck_assert_mem_eq(mac, untouched, 6);
	l.id_len = sizeof(duid_ll);
	memcpy(l.id, duid_ll, sizeof(duid_ll));
	ck_assert_int_eq(kea_lease_mac(&l, mac), -ENOENT);
	l.hw_len = 20;
	ck_assert_int_eq(kea_lease_mac(&l, mac), -ENOENT);

	/* v6: the hardware address first, then the DUID */
	l = na_full();
	ck_assert_int_eq(kea_lease_mac(&l, mac), 0);
	ck_assert_mem_eq(mac, mac_8, 6);
	l.hw_len = 0;
	ck_assert_int_eq(kea_lease_mac(&l, mac), 0);
	ck_assert_mem_eq(mac, duid_llt + 8, 6);
	l = pd_full();
	ck_assert_int_eq(kea_lease_mac(&l, mac), 0);
	ck_assert_mem_eq(mac, duid_ll + 4, 6);
	l = ta_full();
	memcpy(mac, untouched, 6);
	ck_assert_int_eq(kea_lease_mac(&l, mac), -ENOENT);
	ck_assert_mem_eq(mac, untouched, 6);
	/* a DUID-LLT of another hardware type, or of another length */
	l.id_len = sizeof(duid_llt);
	memcpy(l.id, duid_llt, sizeof(duid_llt));
	l.id[3] = 6;
	ck_assert_int_eq(kea_lease_mac(&l, mac), -ENOENT);
	l.id[3] = 1;
	ck_assert_int_eq(kea_lease_mac(&l, mac), 0);
	l.id_len = 15;
	ck_assert_int_eq(kea_lease_mac(&l, mac), -ENOENT);
	l.id_len = sizeof(duid_ll);
	memcpy(l.id, duid_ll, sizeof(duid_ll));
	l.id[1] = 1; /* an LLT's type with an LL's length */
	ck_assert_int_eq(kea_lease_mac(&l, mac), -ENOENT);
}
END_TEST

START_TEST(keys_are_the_address_and_for_pd_the_prefix_length)
{
	struct kea_lease l = v4_full();
	uint8_t key[KL_KEY_MAX], other[KL_KEY_MAX];
	size_t n;

#define KEY_IS(want)                                                                               \
	do {                                                                                       \
		n = kea_lease_key(&l, key);                                                        \
		ck_assert_uint_eq(n, strlen(want));                                                \
		ck_assert_mem_eq(key, want, n);                                                    \
	} while (0)
	KEY_IS("192.0.2.7");
	l = na_full();
	KEY_IS("2001:db8:1::7");
	l = ta_full();
	KEY_IS("2001:db8:1::7 ta"); /* not the NA lease's key */
	l = pd_full();
	KEY_IS("2001:db8:ff00::/56");
	l.prefix_len = 48; /* the same address, another prefix */
	ck_assert_uint_eq(kea_lease_key(&l, other), 18);
	ck_assert_int_ne(memcmp(key, other, 18), 0);
	l.addr[15] = 0xff; /* the longest form fits */
	memset(l.addr, 0xff, 16);
	l.prefix_len = 128;
	KEY_IS("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
#undef KEY_IS
	l.family = 5;
	ck_assert_uint_eq(kea_lease_key(&l, key), 0);
	l.family = 6;
	l.type = KL_TYPE_V4;
	ck_assert_uint_eq(kea_lease_key(&l, key), 0);
}
END_TEST

/* ---- commands, parsed back ---- */

#define CMD_MAX (2 * KL_CTX_MAX + 2048)

struct cmd {
	struct json_object *root, *args;
};

static struct cmd parse_cmd(const char *text, const char *command)
{
	struct json_object *c;
	struct cmd r;

	r.root = json_tokener_parse(text);
	ck_assert_msg(r.root != NULL, "not JSON: %s", text);
	ck_assert_int_eq(json_object_object_length(r.root), 2);
	ck_assert(json_object_object_get_ex(r.root, "command", &c));
	ck_assert_str_eq(json_object_get_string(c), command);
	ck_assert(json_object_object_get_ex(r.root, "arguments", &r.args));
	ck_assert(json_object_is_type(r.args, json_type_object));
	return r;
}

static struct json_object *arg(const struct cmd *c, const char *k, enum json_type t)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(c->args, k, &v), "no %s", k);
	ck_assert_msg(json_object_is_type(v, t), "%s of type %d", k, json_object_get_type(v));
	return v;
}

static void str_arg(const struct cmd *c, const char *k, const char *want)
{
	ck_assert_str_eq(json_object_get_string(arg(c, k, json_type_string)), want);
}

static void int_arg(const struct cmd *c, const char *k, int64_t want)
{
	ck_assert_int_eq(json_object_get_int64(arg(c, k, json_type_int)), want);
}

static void no_arg(const struct cmd *c, const char *k)
{
	ck_assert_msg(!json_object_object_get_ex(c->args, k, NULL), "has %s", k);
}

static void ctx_arg(const struct cmd *c, const char *ctx)
{
	struct json_object *want = json_tokener_parse(ctx);

	ck_assert_ptr_nonnull(want);
	ck_assert(json_object_equal(arg(c, "user-context", json_type_object), want));
	json_object_put(want);
}

static struct cmd update(const struct kea_lease *l, const char *command)
{
	static char buf[CMD_MAX];
	int n = kea_lease_update_cmd(l, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(buf), (size_t)n);
	return parse_cmd(buf, command);
}

START_TEST(lease4_update_carries_kea_2_2_arguments)
{
	struct kea_lease l = v4_full();
	struct cmd c = update(&l, "lease4-update");

	str_arg(&c, "ip-address", "192.0.2.7");
	str_arg(&c, "hw-address", "00:00:5e:00:53:07");
	str_arg(&c, "client-id", "01:00:00:5e:00:53:07");
	int_arg(&c, "valid-lft", 86400);
	int_arg(&c, "expire", (int64_t)CLTT + 86400);
	str_arg(&c, "hostname", "host-7.example.com.");
	int_arg(&c, "state", KL_STATE_DECLINED);
	ctx_arg(&c, RELAY_CTX);
	ck_assert(json_object_get_boolean(arg(&c, "force-create", json_type_boolean)));
	no_arg(&c, "subnet-id");
	ck_assert_int_eq(json_object_object_length(c.args), 9);
	json_object_put(c.root);

	/* no hardware address: Kea 2.2 requires the key, "" is an empty one */
	l.hw_len = l.id_len = 0;
	l.hostname[0] = l.ctx[0] = '\0';
	l.valid_lft = 0xffffffff;
	c = update(&l, "lease4-update");
	str_arg(&c, "hw-address", "");
	int_arg(&c, "expire", (int64_t)CLTT + 0xffffffff);
	int_arg(&c, "valid-lft", 0xffffffff);
	no_arg(&c, "client-id");
	no_arg(&c, "hostname");
	no_arg(&c, "user-context");
	ck_assert_int_eq(json_object_object_length(c.args), 6);
	json_object_put(c.root);
}
END_TEST

/* A replayed lease (UserRestored.replay) is added only where Kea has none:
 * lease4/6-add with the update's arguments and no force-create. */
START_TEST(add_commands_are_the_update_without_force_create)
{
	static char buf[CMD_MAX];
	struct kea_lease l4 = v4_full(), l6 = na_full();
	struct cmd u = update(&l4, "lease4-update"), a;
	struct json_object *v;
	int n = kea_lease_add_cmd(&l4, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	a = parse_cmd(buf, "lease4-add");
	ck_assert(!json_object_object_get_ex(a.args, "force-create", &v));
	ck_assert_int_eq(json_object_object_length(a.args), json_object_object_length(u.args) - 1);
	json_object_object_foreach(a.args, k, val)
	{
		ck_assert(json_object_object_get_ex(u.args, k, &v));
		ck_assert(json_object_equal(v, val));
	}
	json_object_put(a.root);
	json_object_put(u.root);

	ck_assert_int_gt(kea_lease_add_cmd(&l6, buf, sizeof(buf)), 0);
	a = parse_cmd(buf, "lease6-add");
	ck_assert(!json_object_object_get_ex(a.args, "force-create", &v));
	str_arg(&a, "type", "IA_NA");
	json_object_put(a.root);

	l4.family = 9; /* invalid */
	ck_assert_int_eq(kea_lease_add_cmd(&l4, buf, sizeof(buf)), -EINVAL);
	l4 = v4_full();
	ck_assert_int_eq(kea_lease_add_cmd(&l4, buf, 16), -ENOSPC);
}
END_TEST

START_TEST(lease6_update_carries_kea_2_2_arguments)
{
	struct kea_lease l = na_full();
	struct cmd c = update(&l, "lease6-update");

	str_arg(&c, "ip-address", "2001:db8:1::7");
	str_arg(&c, "hw-address", "00:00:5e:00:53:08");
	str_arg(&c, "duid", "00:01:00:01:2b:3c:4d:5e:00:00:5e:00:53:09");
	int_arg(&c, "iaid", 0x12345678);
	str_arg(&c, "type", "IA_NA");
	int_arg(&c, "preferred-lft", 3600);
	int_arg(&c, "valid-lft", 7200);
	int_arg(&c, "expire", (int64_t)CLTT + 7200);
	str_arg(&c, "hostname", "pc_7");
	int_arg(&c, "state", 0);
	ctx_arg(&c, l.ctx);
	ck_assert(json_object_get_boolean(arg(&c, "force-create", json_type_boolean)));
	no_arg(&c, "prefix-len");
	no_arg(&c, "subnet-id");
	no_arg(&c, "client-id");
	ck_assert_int_eq(json_object_object_length(c.args), 12);
	json_object_put(c.root);

	l = pd_full();
	c = update(&l, "lease6-update");
	str_arg(&c, "ip-address", "2001:db8:ff00::");
	str_arg(&c, "type", "IA_PD");
	int_arg(&c, "prefix-len", 56);
	int_arg(&c, "subnet-id", 2); /* Kea 2.2 takes no PD without it */
	int_arg(&c, "iaid", 0xfffffffe);
	int_arg(&c, "state", KL_STATE_EXPIRED_RECLAIMED);
	str_arg(&c, "duid", "00:03:00:01:00:00:5e:00:53:0a");
	no_arg(&c, "hw-address");
	ck_assert_int_eq(json_object_object_length(c.args), 13);
	json_object_put(c.root);

	l = ta_full();
	c = update(&l, "lease6-update");
	str_arg(&c, "type", "IA_TA");
	int_arg(&c, "subnet-id", 3);
	no_arg(&c, "prefix-len");
	json_object_put(c.root);
}
END_TEST

START_TEST(no_hostname_or_ctx_breaks_out_of_the_command)
{
	/* {"a":"\"},\"command\":\"x"} */
	static const char escape[] = "{\"a\":\"\\\"},\\\"command\\\":\\\"x\"}";
	struct kea_lease l = v4_full();
	struct json_object *a;
	char buf[CMD_MAX];
	struct cmd c;

	strcpy(l.ctx, escape);
	c = update(&l, "lease4-update");
	ck_assert(json_object_object_get_ex(arg(&c, "user-context", json_type_object), "a", &a));
	ck_assert_str_eq(json_object_get_string(a), "\"},\"command\":\"x");
	json_object_put(c.root);

	/* a user-context's own "command" and "arguments" stay inside it */
	strcpy(l.ctx, "{\"command\":\"lease4-wipe\",\"arguments\":{},\"b\":\"\\\\\\\"\\u0001/\"}");
	c = update(&l, "lease4-update");
	ctx_arg(&c, l.ctx);
	str_arg(&c, "ip-address", "192.0.2.7");
	json_object_put(c.root);

	/* a hostname that could is refused before anything is written */
	strcpy(l.hostname, "x\",\"command\":\"lease4-wipe");
	strcpy(buf, "unchanged");
	ck_assert_int_eq(kea_lease_update_cmd(&l, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(kea_lease_del_cmd(&l, buf, sizeof(buf)), -EINVAL);
	ck_assert_str_eq(buf, "unchanged");
}
END_TEST

START_TEST(commands_refuse_a_short_buffer_and_fit_the_documented_bound)
{
	static char buf[CMD_MAX];
	struct kea_lease l = biggest();
	size_t i, n;
	int len;

	len = kea_lease_update_cmd(&l, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(kea_lease_update_cmd(&l, buf, (size_t)len + 1), len);
	ck_assert_int_eq(kea_lease_update_cmd(&l, buf, (size_t)len), -ENOSPC);
	ck_assert_int_eq(kea_lease_update_cmd(&l, buf, 0), -ENOSPC);
	len = kea_lease_del_cmd(&l, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(kea_lease_del_cmd(&l, buf, (size_t)len + 1), len);
	ck_assert_int_eq(kea_lease_del_cmd(&l, buf, (size_t)len), -ENOSPC);

	/* the most a ctx grows when written again: each raw tab becomes \t */
	strcpy(l.ctx, "{\"a\":\"");
	n = strlen(l.ctx);
	for (i = n; i < KL_CTX_MAX - 2; i++)
		l.ctx[i] = '\t';
	strcpy(l.ctx + KL_CTX_MAX - 2, "\"}");
	ck_assert_int_eq(kea_lease_check(&l, NULL), 0);
	len = kea_lease_update_cmd(&l, buf, sizeof(buf));
	ck_assert_int_gt(len, 2 * KL_CTX_MAX - 16);
	ck_assert_int_lt(len, CMD_MAX);
	json_object_put(parse_cmd(buf, "lease6-update").root);
}
END_TEST

START_TEST(del_commands_name_the_lease_as_kea_2_2_finds_it)
{
	struct kea_lease l = v4_full();
	char buf[512];
	struct cmd c;

	ck_assert_int_gt(kea_lease_del_cmd(&l, buf, sizeof(buf)), 0);
	c = parse_cmd(buf, "lease4-del");
	str_arg(&c, "ip-address", "192.0.2.7");
	ck_assert_int_eq(json_object_object_length(c.args), 1);
	json_object_put(c.root);

	l = na_full();
	ck_assert_int_gt(kea_lease_del_cmd(&l, buf, sizeof(buf)), 0);
	c = parse_cmd(buf, "lease6-del");
	str_arg(&c, "ip-address", "2001:db8:1::7");
	str_arg(&c, "type", "IA_NA");
	ck_assert_int_eq(json_object_object_length(c.args), 2);
	json_object_put(c.root);

	l = pd_full();
	ck_assert_int_gt(kea_lease_del_cmd(&l, buf, sizeof(buf)), 0);
	c = parse_cmd(buf, "lease6-del");
	str_arg(&c, "ip-address", "2001:db8:ff00::");
	str_arg(&c, "type", "IA_PD");
	no_arg(&c, "prefix-len");
	json_object_put(c.root);

	l.prefix_len = 0;
	ck_assert_int_eq(kea_lease_del_cmd(&l, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(kea_lease_update_cmd(&l, buf, sizeof(buf)), -EINVAL);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    v4_leases_round_trip_with_every_field,
	    v6_na_ta_and_pd_leases_round_trip_with_every_field,
	    the_encoding_is_the_documented_layout,
	    encode_refuses_an_invalid_lease_and_a_short_buffer,
	    a_payload_cut_short_anywhere_is_refused,
	    a_trailing_byte_or_another_version_is_refused,
	    a_length_over_its_max_is_refused,
	    a_nul_in_hostname_or_ctx_is_refused,
	    a_ctx_kea_would_refuse_is_refused,
	    family_type_and_prefix_that_do_not_agree_are_refused,
	    hostnames_are_letters_digits_dots_dashes_underscores,
	    lifetimes_take_any_u32_and_expire_stays_under_2_40,
	    the_mac_comes_from_the_hardware_address_or_the_duid,
	    keys_are_the_address_and_for_pd_the_prefix_length,
	    lease4_update_carries_kea_2_2_arguments,
	    add_commands_are_the_update_without_force_create,
	    lease6_update_carries_kea_2_2_arguments,
	    no_hostname_or_ctx_breaks_out_of_the_command,
	    commands_refuse_a_short_buffer_and_fit_the_documented_bound,
	    del_commands_name_the_lease_as_kea_2_2_finds_it,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("kea_lease", &core, 1);
}
