/* A group's priority from its tracked BFD sessions (vrrp_track.h). */
#include "vrrpd/vrrp_track.h"

uint8_t vrrp_track_priority(uint8_t configured, bool owner, const struct vrrp_track_bfd *t,
			    size_t n)
{
	int p = configured;

	if (owner)
		return 255;
	for (size_t i = 0; i < n; i++)
		if (t[i].down && !t[i].peer)
			p += (int)t[i].increased - (int)t[i].reduced;
	return (uint8_t)(p < 1 ? 1 : p > 254 ? 254 : p);
}

bool vrrp_track_peer_down(const struct vrrp_track_bfd *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].peer && t[i].down)
			return true;
	return false;
}
