/*
 * The TLS context of an RBS channel (README.md "The RBS channel's
 * security"): TLS 1.2+ with AEAD ciphers only, no renegotiation, mutual
 * authentication against the SSL policy's CA, its CRLs checked, and the
 * peer's certificate optionally pinned by SHA-256 fingerprint
 * (`peer-certificate sha256` in the RBS view).
 */
#ifndef DB_RBS_TLS_H
#define DB_RBS_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.pb-c.h"

/* TLS 1.2 cipher suites: ECDHE key exchange, AEAD only (TLS 1.3's
 * suites are all AEAD). */
#define RBS_TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"
#define RBS_TLS13_SUITES                                                                           \
	"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"

/* "AB:CD:...": 32 bytes as upper-case hex pairs with colons, the form the
 * grammar keeps a fingerprint in. */
#define RBS_TLS_FP_LEN 96

/*
 * Builds the context for policy p, the peer pinned to one of pins[0..n)
 * (canonical fingerprints; n == 0: any certificate the CA signed).
 * Returns it (one reference, the caller's), or NULL with *why saying what
 * did not load ("certificate /x.pem: no such file", "crl ...").
 */
SSL_CTX *rbs_tls_ctx_new(const Db__SslPolicyConfig *p, char *const *pins, size_t n, char *why,
			 size_t whylen);

/* The fingerprint of a DER certificate's SHA-256 digest, as above, into
 * out (RBS_TLS_FP_LEN bytes). */
void rbs_tls_fp_format(const uint8_t digest[32], char out[RBS_TLS_FP_LEN]);

/* Whether fp (canonical) is one of pins[0..n); true when n == 0. */
bool rbs_tls_pin_ok(const char *fp, char *const *pins, size_t n);

/* A digest of the contents of every file of p (certificate, key, CAs,
 * CRLs): a file renewed in place changes it. Never 0. */
uint64_t rbs_tls_files_digest(const Db__SslPolicyConfig *p);

#endif
