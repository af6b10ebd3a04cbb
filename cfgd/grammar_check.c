/*
 * The CLI grammar's parameters: whether a word is a value of a parameter
 * token's type (an integer in its range, an address, a name ...), and
 * the value's canonical text. Pure: no state.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgd/grammar_int.h"

static bool name_ok(const char *s, size_t max, const char *extra)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

/* A SHA-256 fingerprint in canonical form (see T_SHA256) into canon. */
static bool sha256_canon(const char *w, char *canon, size_t clen)
{
	size_t len = strlen(w), n = 0;
	bool colons = len == 95;

	if ((len != 64 && !colons) || clen < 96)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (colons && i % 3 == 2) {
			if (w[i] != ':')
				return false;
			continue;
		}
		if (!isxdigit((unsigned char)w[i]))
			return false;
		canon[n++] = (char)toupper((unsigned char)w[i]);
		if (n % 3 == 2 && n < 95)
			canon[n++] = ':';
	}
	canon[n] = '\0';
	return n == 95;
}

/* ---- values rewritten into a canonical form ---------------------------- */

static bool check_int(const struct tok *t, const char *w, char *canon, size_t clen, long *num,
		      char *reason, size_t rlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(w, &end, 10);
	if (!isdigit((unsigned char)w[0]) || *end || errno) {
		snprintf(reason, rlen, "%s must be an integer from %ld to %ld", t->name, t->lo,
			 t->hi);
		return false;
	}
	if (v < t->lo || v > t->hi) {
		snprintf(reason, rlen, "%s %s is out of range %ld-%ld", t->name, w, t->lo, t->hi);
		return false;
	}
	if (v % t->step) {
		snprintf(reason, rlen, "%s must be a multiple of %ld", t->name, t->step);
		return false;
	}
	*num = v;
	snprintf(canon, clen, "%ld", v);
	return true;
}

static bool check_ipv4(const struct tok *t, const char *w, char *canon, size_t clen, char *reason,
		       size_t rlen)
{
	unsigned char addr[4];

	if (inet_pton(AF_INET, w, addr) != 1) {
		snprintf(reason, rlen, "%s '%s' is not an IPv4 address", t->name, w);
		return false;
	}
	if (addr[0] == 0 || addr[0] >= 224 || addr[0] == 127) {
		snprintf(reason, rlen, "%s %s is not a unicast host address", t->name, w);
		return false;
	}
	inet_ntop(AF_INET, addr, canon, clen);
	return true;
}

static bool check_ipv6(const struct tok *t, const char *w, char *canon, size_t clen, char *reason,
		       size_t rlen)
{
	unsigned char addr[16];

	if (inet_pton(AF_INET6, w, addr) != 1) {
		snprintf(reason, rlen, "%s '%s' is not an IPv6 address", t->name, w);
		return false;
	}
	if (addr[0] == 0xff) {
		snprintf(reason, rlen, "%s %s is a multicast address", t->name, w);
		return false;
	}
	inet_ntop(AF_INET6, addr, canon, clen);
	return true;
}

/* Either family, any address. */
static bool check_ip(const struct tok *t, const char *w, char *canon, size_t clen, char *reason,
		     size_t rlen)
{
	unsigned char addr[16];

	if (inet_pton(AF_INET, w, addr) == 1) {
		inet_ntop(AF_INET, addr, canon, clen);
		return true;
	}
	if (inet_pton(AF_INET6, w, addr) == 1) {
		inet_ntop(AF_INET6, addr, canon, clen);
		return true;
	}
	snprintf(reason, rlen, "%s '%s' is not an IP address", t->name, w);
	return false;
}

/* 64 hex digits, in pairs separated by ':' or not (as `openssl x509
 * -fingerprint -sha256` prints them): canonical "AB:CD:...", upper case
 * with colons. */
static bool check_sha256(const struct tok *t, const char *w, char *canon, size_t clen, char *reason,
			 size_t rlen)
{
	if (!sha256_canon(w, canon, clen)) {
		snprintf(reason, rlen,
			 "%s must be a SHA-256 fingerprint: 64 hex digits, in pairs "
			 "separated by ':' or not",
			 t->name);
		return false;
	}
	return true;
}

/* ---- words kept as they are typed --------------------------------------- */

static bool check_name(const struct tok *t, const char *w, char *reason, size_t rlen)
{
	if (!name_ok(w, 31, "-_.")) {
		snprintf(reason, rlen,
			 "%s must be 1-31 characters of letters, digits, '-', '_' or '.'", t->name);
		return false;
	}
	return true;
}

/* Linux: IFNAMSIZ-1 bytes, no '/', no blanks, not "." or "..". */
static bool check_ifname(const struct tok *t, const char *w, char *reason, size_t rlen)
{
	if (!name_ok(w, 15, "-_.") || !strcmp(w, ".") || !strcmp(w, "..")) {
		snprintf(reason, rlen,
			 "%s must be 1-15 characters of letters, digits, '-', '_' or '.'", t->name);
		return false;
	}
	return true;
}

/* The TYPE of "interface TYPE NUMBER" ("eth"). */
static bool check_iftype(const struct tok *t, const char *w, char *reason, size_t rlen)
{
	size_t len = strlen(w);
	bool ok = len > 0 && len <= 14;

	for (const char *q = w; ok && *q; q++)
		if (!isalpha((unsigned char)*q) && *q != '-')
			ok = false;
	if (!ok) {
		snprintf(reason, rlen, "%s must be 1-14 letters", t->name);
		return false;
	}
	return true;
}

/* The NUMBER of "interface TYPE NUMBER" ("1", "1.100"). */
static bool check_ifnum(const struct tok *t, const char *w, char *reason, size_t rlen)
{
	if (!isdigit((unsigned char)w[0]) || !name_ok(w, 14, ".")) {
		snprintf(reason, rlen, "%s must be digits, with '.' before a sub-interface",
			 t->name);
		return false;
	}
	return true;
}

static bool check_path(const struct tok *t, const char *w, char *reason, size_t rlen)
{
	if (strlen(w) > 255 || !name_ok(w, 255, "-_./+@=,:~")) {
		snprintf(reason, rlen, "%s '%s' is not a usable file name", t->name, w);
		return false;
	}
	return true;
}

static bool check_sysname(const struct tok *t, const char *w, char *reason, size_t rlen)
{
	if (!name_ok(w, 64, "-_.")) {
		snprintf(reason, rlen,
			 "%s must be 1-64 characters of letters, digits, '-', '_' or '.'", t->name);
		return false;
	}
	return true;
}

static bool check_word(const struct tok *t, const char *w, char *reason, size_t rlen)
{
	if (!name_ok(w, 64, "-_.:")) {
		snprintf(reason, rlen,
			 "%s must be 1-64 characters of letters, digits, "
			 "'-', '_', '.' or ':'",
			 t->name);
		return false;
	}
	return true;
}

/* ---- by type -------------------------------------------------------------- */

bool gram_check_param(const struct tok *t, const char *w, char *canon, size_t clen, long *num,
		      char *reason, size_t rlen)
{
	bool ok = true;

	*num = 0;
	switch (t->type) {
	case T_INT:
		return check_int(t, w, canon, clen, num, reason, rlen);
	case T_IPV4:
		return check_ipv4(t, w, canon, clen, reason, rlen);
	case T_IPV6:
		return check_ipv6(t, w, canon, clen, reason, rlen);
	case T_IP:
		return check_ip(t, w, canon, clen, reason, rlen);
	case T_SHA256:
		return check_sha256(t, w, canon, clen, reason, rlen);
	case T_NAME:
		ok = check_name(t, w, reason, rlen);
		break;
	case T_IFNAME:
		ok = check_ifname(t, w, reason, rlen);
		break;
	case T_IFTYPE:
		ok = check_iftype(t, w, reason, rlen);
		break;
	case T_IFNUM:
		ok = check_ifnum(t, w, reason, rlen);
		break;
	case T_PATH:
		ok = check_path(t, w, reason, rlen);
		break;
	case T_SYSNAME:
		ok = check_sysname(t, w, reason, rlen);
		break;
	case T_WORD:
		ok = check_word(t, w, reason, rlen);
		break;
	case T_KW:
		return false;
	}
	if (ok)
		snprintf(canon, clen, "%s", w);
	return ok;
}
