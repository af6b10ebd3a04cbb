/* A group's priority from what it tracks (vrrp_track.h). */
#include "vrrpd/vrrp_track.h"

bool vrrp_track_set(struct vrrp_track *t, bool down, uint64_t now)
{
	if (t->down == down)
		return false;
	t->down = down;
	if (!down)
		t->up_at = now;
	return true;
}

bool vrrp_track_counts_down(const struct vrrp_track *t, uint64_t now, uint32_t delay_ms)
{
	return t->down || (t->up_at && !t->peer && now < t->up_at + delay_ms);
}

uint8_t vrrp_track_priority(uint8_t configured, bool owner, const struct vrrp_track *t, size_t n,
			    uint64_t now, uint32_t delay_ms)
{
	int p = configured;

	if (owner)
		return 255;
	for (size_t i = 0; i < n; i++)
		if (!t[i].peer && vrrp_track_counts_down(&t[i], now, delay_ms))
			p += (int)t[i].increased - (int)t[i].reduced;
	return (uint8_t)(p < 1 ? 1 : p > 254 ? 254 : p);
}

bool vrrp_track_peer_down(const struct vrrp_track *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].peer && t[i].down)
			return true;
	return false;
}

uint64_t vrrp_track_next(const struct vrrp_track *t, size_t n, uint64_t now, uint32_t delay_ms)
{
	uint64_t next = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t at = t[i].up_at + delay_ms;

		if (t[i].down || t[i].peer || t[i].up_at == 0 || at <= now)
			continue;
		if (next == 0 || at < next)
			next = at;
	}
	return next;
}
