/* The RBS channel's TLS context: a pinned fingerprint as the operator
 * types it (canonicalised by the grammar) matches the one rbsd computes of
 * the peer's certificate; the context refuses what the policy cannot load
 * and names the file; TLS 1.2 offers AEAD suites only. */
#include <check.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgd/grammar.h"
#include "rbsd/rbs_tls.h"
#include "tests/lib/checkrun.h"

START_TEST(the_grammars_fingerprint_and_rbsds_are_the_same_text)
{
	uint8_t d[32];
	char fp[RBS_TLS_FP_LEN], line[256], hex[65];
	struct gram_result r;

	for (int i = 0; i < 32; i++) {
		d[i] = (uint8_t)(i * 37 + 11);
		snprintf(hex + i * 2, 3, "%02x", d[i]);
	}
	rbs_tls_fp_format(d, fp);
	ck_assert_uint_eq(strlen(fp), 95);
	snprintf(line, sizeof(line), "peer-certificate sha256 %s", hex);
	ck_assert_int_eq(gram_parse(VIEW_RBS, line, &r), 0);
	ck_assert_str_eq(r.args[0].str, fp);
}
END_TEST

START_TEST(a_pin_list_accepts_only_its_fingerprints)
{
	char *pins[] = {"AA:BB", "CC:DD"};

	ck_assert(rbs_tls_pin_ok("AA:BB", pins, 2));
	ck_assert(rbs_tls_pin_ok("CC:DD", pins, 2));
	ck_assert(!rbs_tls_pin_ok("CC:DE", pins, 2));
	ck_assert(!rbs_tls_pin_ok("cc:dd", pins, 2));
	/* no pin: any certificate the CA signed */
	ck_assert(rbs_tls_pin_ok("EE:FF", pins, 0));
}
END_TEST

START_TEST(a_policy_that_does_not_load_names_its_file)
{
	Db__SslPolicyConfig p = DB__SSL_POLICY_CONFIG__INIT;
	char why[200] = "";

	p.name = "pol";
	p.cert_file = "/nonexistent/a.pem";
	p.key_file = "/nonexistent/a.key";
	ck_assert_ptr_null(rbs_tls_ctx_new(&p, NULL, 0, why, sizeof(why)));
	ck_assert_msg(strstr(why, "/nonexistent/a.pem") != NULL, "%s", why);
}
END_TEST

START_TEST(tls12_offers_aead_suites_only)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	SSL *ssl;
	STACK_OF(SSL_CIPHER) * cs;

	ck_assert_int_eq(SSL_CTX_set_cipher_list(ctx, RBS_TLS12_CIPHERS), 1);
	ck_assert_int_eq(SSL_CTX_set_ciphersuites(ctx, RBS_TLS13_SUITES), 1);
	ssl = SSL_new(ctx);
	cs = SSL_get_ciphers(ssl);
	ck_assert_int_gt(sk_SSL_CIPHER_num(cs), 0);
	for (int i = 0; i < sk_SSL_CIPHER_num(cs); i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(cs, i);

		ck_assert_msg(SSL_CIPHER_is_aead(c), "%s is not AEAD", SSL_CIPHER_get_name(c));
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}
END_TEST

START_TEST(a_files_digest_follows_the_content_not_the_name)
{
	char path[] = "/tmp/rbs_tls_XXXXXX";
	int fd = mkstemp(path);
	Db__SslPolicyConfig p = DB__SSL_POLICY_CONFIG__INIT;
	uint64_t a, b, c;
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs("one", f);
	fclose(f);
	p.cert_file = path;
	p.key_file = "";
	a = rbs_tls_files_digest(&p);
	f = fopen(path, "w");
	fputs("two", f);
	fclose(f);
	b = rbs_tls_files_digest(&p);
	c = rbs_tls_files_digest(&p);
	unlink(path);
	ck_assert_uint_ne(a, b);
	ck_assert_uint_eq(b, c);
	ck_assert_uint_ne(rbs_tls_files_digest(&p), b); /* gone: differs again */
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    the_grammars_fingerprint_and_rbsds_are_the_same_text,
	    a_pin_list_accepts_only_its_fingerprints,
	    a_policy_that_does_not_load_names_its_file,
	    tls12_offers_aead_suites_only,
	    a_files_digest_follows_the_content_not_the_name,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbs_tls", &core, 1);
}
