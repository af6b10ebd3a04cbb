/*
 * A ring of fixed-size items (an array used from `head` on, wrapping, `len`
 * of `cap` in use): ring_grow() doubles its room and unwraps it, oldest
 * first at 0. Used by the pure cores that keep a FIFO of small records
 * (rbsd/rbs_fack.c, rbpd/rbp_sync.c).
 */
#ifndef DB_RING_H
#define DB_RING_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Room for twice as many items (first: first_cap). 0 or -ENOMEM (the ring
 * is unchanged). */
static inline int ring_grow(void **items, size_t size, size_t *head, size_t len, size_t *cap,
			    size_t first_cap)
{
	size_t ncap = *cap ? 2 * *cap : first_cap;
	uint8_t *n = malloc(ncap * size);
	const uint8_t *o = *items;

	if (n == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		memcpy(n + i * size, o + ((*head + i) % *cap) * size, size);
	free(*items);
	*items = n;
	*cap = ncap;
	*head = 0;
	return 0;
}

#endif
