/*
 * Anti-entropy (docs/antientropy.md): the decisions of a comparison of the
 * two devices' tables, pure. Which ranges differ, and for one key, which
 * side holds the newer state and must send it: the table's own rules
 * (user_table.h) decide, so that what is sent is applied on arrival.
 */
#ifndef DB_RBP_AE_H
#define DB_RBP_AE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one side holds of a key. */
enum rbp_ae_held {
	RBP_AE_NONE,  /* nothing: never held, or its tombstone is gone */
	RBP_AE_ENTRY, /* an entry of that version */
	RBP_AE_TOMB,  /* a tombstone: deleted as of that version */
};

struct rbp_ae_key {
	enum rbp_ae_held held;
	uint64_t version; /* 0 with RBP_AE_NONE */
};

enum rbp_ae_newer {
	RBP_AE_SAME,   /* the same state (or, at one version, two payloads: the origin's bug) */
	RBP_AE_MINE,   /* this side's state is newer: it sends it */
	RBP_AE_THEIRS, /* the other side's is newer: the other sends it */
};

/*
 * Which state of a key wins, as the table would decide on receiving the
 * other: the larger version; at equal versions a tombstone beats an entry
 * (a delete applies at its entry's version); anything beats nothing.
 */
enum rbp_ae_newer rbp_ae_newer(struct rbp_ae_key mine, struct rbp_ae_key theirs);

/* The indexes i < n where mine[i] != theirs[i], in order, into out (room
 * for n); returns how many. */
size_t rbp_ae_diff(const uint64_t *mine, const uint64_t *theirs, size_t n, uint32_t *out);

#endif
