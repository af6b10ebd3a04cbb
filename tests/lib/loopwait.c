/* Waiting in a unit suite's own libuv loop (loopwait.h). */
#include "tests/lib/loopwait.h"

#include <time.h>

uint64_t loopwait_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_guard(uv_timer_t *t)
{
	(void)t; /* the pass it ends is what the wait needed */
}

void loopwait_init(struct loopwait *w, uv_loop_t *loop, unsigned slice_ms,
		   void (*between)(void *arg), void *arg)
{
	w->loop = loop;
	w->slice_ms = slice_ms;
	w->between = between;
	w->arg = arg;
	uv_timer_init(loop, &w->guard);
}

void loopwait_close(struct loopwait *w)
{
	uv_close((uv_handle_t *)&w->guard, NULL);
}

bool loopwait_turn(struct loopwait *w, uint64_t deadline)
{
	uint64_t now = loopwait_ms(), ms;

	if (now >= deadline)
		return false;
	ms = deadline - now;
	if (w->slice_ms && ms > w->slice_ms)
		ms = w->slice_ms;
	uv_timer_start(&w->guard, on_guard, ms, 0);
	uv_run(w->loop, UV_RUN_ONCE);
	uv_timer_stop(&w->guard);
	if (w->between)
		w->between(w->arg);
	return true;
}

void loopwait_run_for(struct loopwait *w, unsigned ms)
{
	uint64_t end = loopwait_ms() + ms;

	while (loopwait_turn(w, end))
		;
}
