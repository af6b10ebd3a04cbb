/*
 * What a VRRP group's tracked BFD sessions make of it (VRP's `vrrp vrid N
 * track bfd-session session-name NAME [reduced V | increased V | peer]`).
 * Pure: the caller passes the sessions' states.
 *
 * - reduced V / increased V: while the session is not Up, the group's
 *   priority is V lower / higher, within 1..254; several tracks add up.
 *   The address owner keeps 255 whatever it tracks (RFC 5798 5.2.4).
 * - peer: the session runs to the master's own address (peer BFD); when it
 *   leaves Up while the group is Backup, the master is gone: the group
 *   takes over at once instead of waiting for Master_Down_Interval.
 */
#ifndef DB_VRRP_TRACK_H
#define DB_VRRP_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vrrp_track_bfd {
	char session[64];
	uint8_t reduced, increased; /* at most one is set; neither with peer */
	bool peer;
	bool down; /* the session is not Up (kept by the caller) */
};

/* The group's running priority. */
uint8_t vrrp_track_priority(uint8_t configured, bool owner, const struct vrrp_track_bfd *t,
			    size_t n);

/* Whether a peer-BFD session of the group is down. */
bool vrrp_track_peer_down(const struct vrrp_track_bfd *t, size_t n);

#endif
