/*
 * A bitmap of bytes, bit i in byte i / 8 at 1 << (i % 8): the anti-entropy
 * slot and bucket sets (common/ae.h) that rbpd builds and rbsd checks.
 * The caller sizes the array; nothing here checks bounds.
 */
#ifndef DB_BITMAP_H
#define DB_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

static inline bool bitmap_test(const uint8_t *m, unsigned i)
{
	return m[i / 8] & (1u << (i % 8));
}

static inline void bitmap_set(uint8_t *m, unsigned i)
{
	m[i / 8] |= (uint8_t)(1u << (i % 8));
}

#endif
