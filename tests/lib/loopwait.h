/*
 * Waiting in a unit suite's own libuv loop without sleeping: a wait runs
 * the loop one pass at a time until what it waits for holds or its
 * deadline passes, and a timer (the guard) wakes the loop at the
 * deadline, so that a pass never blocks past it. Linked into every suite
 * with checkrun.c (tests/lib/, outside the wildcard of suites).
 *
 *	static struct loopwait lw;
 *
 *	loopwait_init(&lw, &loop, 0, NULL, NULL);	(in setup)
 *	ck_assert(LOOPWAIT_UNTIL(&lw, peer_up, 3000));
 *	loopwait_run_for(&lw, 200);			(nothing may happen)
 *	loopwait_close(&lw);				(before the loop's last run)
 */
#ifndef DB_LOOPWAIT_H
#define DB_LOOPWAIT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct loopwait {
	uv_loop_t *loop;
	uv_timer_t guard;
	/* The longest pass, in ms; 0: until the deadline. A suite whose
	 * sockets are not on the loop (read in `between`) bounds it. */
	unsigned slice_ms;
	/* After each pass, unless NULL: what the test does outside the loop
	 * (reads its own sockets, answers as a peer would). */
	void (*between)(void *arg);
	void *arg;
};

/* CLOCK_MONOTONIC in ms: the clock of every deadline here. */
uint64_t loopwait_ms(void);

/* Sets w up on loop (its guard timer is a handle of loop). */
void loopwait_init(struct loopwait *w, uv_loop_t *loop, unsigned slice_ms,
		   void (*between)(void *arg), void *arg);

/* Closes the guard: the loop must run once more to free it. */
void loopwait_close(struct loopwait *w);

/* One pass of the loop, at most until deadline (loopwait_ms()), then
 * `between`. false, without a pass, once the deadline has passed. */
bool loopwait_turn(struct loopwait *w, uint64_t deadline);

/* Runs the loop for ms whatever happens (to show that something does not). */
void loopwait_run_for(struct loopwait *w, unsigned ms);

/* Runs the loop until cond holds, for ms at most; whether it held. */
#define LOOPWAIT_UNTIL(w, cond, ms)                                                                \
	({                                                                                         \
		uint64_t lw_end_ = loopwait_ms() + (ms);                                           \
		bool lw_ok_;                                                                       \
		while (!(lw_ok_ = (cond)) && loopwait_turn((w), lw_end_))                          \
			;                                                                          \
		lw_ok_;                                                                            \
	})

#endif
