/*
 * What one entry costs against rbsd's window, in bytes: the unit of
 * RbsCredit.bytes (proto/rbs.proto). rbpd (and any feeder) spends its
 * credit with it, rbsd counts what a feeder sent and what its window
 * holds with it, so both sides agree without either including the
 * other's structures. rbsd checks at compile time that its window's own
 * header fits in CREDIT_ENTRY_HDR, so the byte bound also bounds memory.
 */
#ifndef DB_CREDIT_H
#define DB_CREDIT_H

#include <stddef.h>

#define CREDIT_ENTRY_HDR 26

static inline size_t credit_entry_cost(size_t klen, size_t plen)
{
	return CREDIT_ENTRY_HDR + klen + plen;
}

#endif
