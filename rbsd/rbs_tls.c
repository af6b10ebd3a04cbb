#include "rbsd/rbs_tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The pins of a context, freed with it. */
struct pins {
	size_t n;
	char fp[][RBS_TLS_FP_LEN];
};

static int pins_idx = -1;

static void pins_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

void rbs_tls_fp_format(const uint8_t digest[32], char out[RBS_TLS_FP_LEN])
{
	static const char hex[] = "0123456789ABCDEF";

	for (int i = 0; i < 32; i++) {
		out[i * 3] = hex[digest[i] >> 4];
		out[i * 3 + 1] = hex[digest[i] & 15];
		out[i * 3 + 2] = i == 31 ? '\0' : ':';
	}
}

bool rbs_tls_pin_ok(const char *fp, char *const *pins, size_t n)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcmp(fp, pins[i]) == 0)
			return true;
	return false;
}

/* OpenSSL's verify callback: after the chain (and CRL) checks, the leaf
 * must be one of the pinned certificates, if any. */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl;
	const struct pins *p;
	X509 *cert;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char fp[RBS_TLS_FP_LEN];
	char *list[64];
	size_t n;

	if (!ok || X509_STORE_CTX_get_error_depth(x) != 0)
		return ok;
	ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	p = ssl ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), pins_idx) : NULL;
	if (p == NULL || p->n == 0)
		return ok;
	cert = X509_STORE_CTX_get_current_cert(x);
	if (cert == NULL || X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32) {
		X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	rbs_tls_fp_format(md, fp);
	n = p->n < 64 ? p->n : 64;
	for (size_t i = 0; i < n; i++)
		list[i] = (char *)p->fp[i];
	if (rbs_tls_pin_ok(fp, list, n))
		return 1;
	X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}

static bool load_crl(SSL_CTX *ctx, const char *file)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	X509_LOOKUP *lu = X509_STORE_add_lookup(st, X509_LOOKUP_file());

	return lu != NULL && X509_load_crl_file(lu, file, X509_FILETYPE_PEM) > 0;
}

SSL_CTX *rbs_tls_ctx_new(const Db__SslPolicyConfig *p, char *const *pins, size_t n, char *why,
			 size_t whylen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	struct pins *pp = NULL;
	const char *what = "the TLS context";

	if (pins_idx < 0)
		pins_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, pins_free);
	if (ctx == NULL || pins_idx < 0)
		goto fail;
	what = "TLS 1.2+ with AEAD ciphers";
	/* No renegotiation: a renegotiated session could change the peer's
	 * identity mid-channel, and it is a known DoS lever. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, RBS_TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, RBS_TLS13_SUITES) != 1)
		goto fail;
	what = p->cert_file;
	if (SSL_CTX_use_certificate_chain_file(ctx, p->cert_file) != 1)
		goto fail;
	what = p->key_file;
	if (SSL_CTX_use_PrivateKey_file(ctx, p->key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	for (size_t i = 0; i < p->n_ca_files; i++) {
		what = p->ca_files[i];
		if (SSL_CTX_load_verify_locations(ctx, p->ca_files[i], NULL) != 1)
			goto fail;
	}
	for (size_t i = 0; i < p->n_crl_files; i++) {
		what = p->crl_files[i];
		if (!load_crl(ctx, p->crl_files[i]))
			goto fail;
	}
	/* With a CRL, the peer's certificate must be checked against it (a
	 * CA without a CRL then fails: the operator loaded CRLs to have
	 * revocations honoured, not skipped). */
	if (p->n_crl_files)
		X509_STORE_set_flags(SSL_CTX_get_cert_store(ctx), X509_V_FLAG_CRL_CHECK);
	what = "the pinned certificates";
	pp = calloc(1, sizeof(*pp) + n * sizeof(pp->fp[0]));
	if (pp == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++)
		snprintf(pp->fp[pp->n++], sizeof(pp->fp[0]), "%s", pins[i]);
	if (SSL_CTX_set_ex_data(ctx, pins_idx, pp) != 1) {
		free(pp);
		goto fail;
	}
	/* Mutual authentication: a peer without a certificate the policy's CA
	 * signed (and, when pinned, one of those) never gets past the
	 * handshake. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	return ctx;
fail : {
	unsigned long e = ERR_peek_last_error();

	snprintf(why, whylen, "%s: %s", what ? what : "?",
		 e ? ERR_reason_error_string(e) : "cannot be loaded");
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}
}

/* FNV-1a over a file's content, folded into h; an unreadable file folds
 * its errno. */
static uint64_t fold_file(uint64_t h, const char *path)
{
	FILE *f = fopen(path, "rbe");
	int c;

	if (f == NULL) {
		h ^= (uint64_t)errno;
		return h * 0x100000001b3ull;
	}
	while ((c = getc(f)) != EOF) {
		h ^= (uint8_t)c;
		h *= 0x100000001b3ull;
	}
	fclose(f);
	/* a separator, so that moving bytes between files changes it */
	h ^= 0xff;
	return h * 0x100000001b3ull;
}

uint64_t rbs_tls_files_digest(const Db__SslPolicyConfig *p)
{
	uint64_t h = 0xcbf29ce484222325ull;

	if (p->cert_file && p->cert_file[0])
		h = fold_file(h, p->cert_file);
	if (p->key_file && p->key_file[0])
		h = fold_file(h, p->key_file);
	for (size_t i = 0; i < p->n_ca_files; i++)
		h = fold_file(h, p->ca_files[i]);
	for (size_t i = 0; i < p->n_crl_files; i++)
		h = fold_file(h, p->crl_files[i]);
	return h ? h : 1;
}
