/*
 * Versions of users' changes: a hybrid logical clock (Kulkarni et al.,
 * "Logical Physical Clocks", 2014) folded into one 64-bit number of
 * microseconds. Pure: the caller passes its physical clock (CLOCK_REALTIME
 * in microseconds) to every call, so unit tests drive it.
 *
 * The HLC's two parts, the largest physical time seen and a counter of
 * events since, are kept as one number: a version is the physical time
 * when the clock is ahead of everything seen, and one more than the last
 * version given out or seen from the peer otherwise. So:
 *  - versions given out only grow, also when the clock is stepped back
 *    (the counter carries them until the physical time catches up);
 *  - a version given out after a peer's version was seen is larger than
 *    it: a change made here after the peer's change wins, whatever the two
 *    clocks say;
 *  - a version the peer sends more than max_ahead_us beyond this
 *    device's physical clock is refused and does not move the clock (a
 *    peer can neither pin a user nor walk this clock towards its end). A
 *    clock stepped back by more than max_ahead_us refuses the peer's
 *    versions until it has caught up again; they are counted;
 *  - versions saturate at UINT64_MAX and never wrap to small ones (at
 *    microseconds, the end is 584,000 years away).
 */
#ifndef DB_RBP_HLC_H
#define DB_RBP_HLC_H

#include <stdbool.h>
#include <stdint.h>

struct rbp_hlc {
	uint64_t last;	       /* the largest version given out or seen */
	uint64_t max_ahead_us; /* how far beyond this clock a peer's version may be */
	uint64_t refused;      /* peer versions refused as too far ahead */
};

/* A clock that has seen nothing yet. */
void rbp_hlc_init(struct rbp_hlc *c, uint64_t max_ahead_us);

/* The clock's reading at physical time phys_us: the larger of phys_us and
 * the last version given out or seen. Gives nothing out. */
uint64_t rbp_hlc_now(const struct rbp_hlc *c, uint64_t phys_us);

/* A version for a change made here at physical time phys_us, of an entry
 * whose held version (entry or tombstone, 0 for none) is held: larger
 * than held and than every version given out or seen, at least phys_us.
 * At UINT64_MAX it stays there. */
uint64_t rbp_hlc_next(struct rbp_hlc *c, uint64_t phys_us, uint64_t held);

/* Whether the peer's version v may be taken at physical time phys_us: at
 * most max_ahead_us beyond phys_us. When it may, the clock
 * moves past it; when not, it is counted in refused and nothing moves. */
bool rbp_hlc_observe(struct rbp_hlc *c, uint64_t phys_us, uint64_t v);

#endif
