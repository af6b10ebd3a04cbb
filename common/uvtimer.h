/*
 * A one-shot libuv timer that must fire within `ms`: started unless it is
 * already due as soon, so that several callers asking for "by then" keep
 * the earliest of their times.
 */
#ifndef DB_UVTIMER_H
#define DB_UVTIMER_H

#include <stdint.h>
#include <uv.h>

static inline void uvtimer_by(uv_timer_t *t, uv_timer_cb cb, uint64_t ms)
{
	if (uv_is_active((uv_handle_t *)t) && uv_timer_get_due_in(t) <= ms)
		return;
	uv_timer_start(t, cb, ms, 0);
}

#endif
