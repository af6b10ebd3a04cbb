/*
 * Deadlines of the pure state machines (vrrp_fsm, bfd_fsm): absolute times
 * where 0 means "not running".
 */
#ifndef DB_DEADLINE_H
#define DB_DEADLINE_H

#include <stdint.h>

/* The earlier of two deadlines, a stopped one (0) being no deadline. */
static inline uint64_t deadline_earliest(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

#endif
