/*
 * What the BFD sessions and interfaces a VRRP group tracks make of it (VRP's
 * `vrrp vrid N track bfd-session session-name NAME [reduced V | increased V
 * | peer]`, `vrrp vrid N track interface IF [reduced V | increased V]` and
 * `vrrp recover-delay SECONDS`). Pure: the caller passes what it saw and
 * the time, on the monotonic clock in milliseconds.
 *
 * - reduced V / increased V: while the session or interface counts as
 *   down, the group's priority is V lower / higher, within 1..254; several
 *   tracks add up. The address owner keeps 255 whatever it tracks (RFC
 *   5798 5.2.4).
 * - recover-delay: a track that comes back up still counts as down for
 *   that long (a flapping link or session moves the priority once, not at
 *   every flap); going down counts at once.
 * - peer (BFD only): the session runs to the master's own address (peer
 *   BFD); when it leaves Up while the group is Backup, the master is gone:
 *   the group takes over at once instead of waiting for
 *   Master_Down_Interval. No delay applies to it.
 */
#ifndef DB_VRRP_TRACK_H
#define DB_VRRP_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vrrp_track_kind { VRRP_TRACK_BFD, VRRP_TRACK_INTERFACE };

struct vrrp_track {
	enum vrrp_track_kind kind;
	char name[64]; /* the session's or the interface's */
	uint8_t reduced, increased; /* at most one is set; neither with peer */
	bool peer;
	bool down;	/* as last seen (vrrp_track_set) */
	uint64_t up_at; /* when it last came up; 0: up since it was configured */
};

/* What the caller saw of t at now; true when that is a change. */
bool vrrp_track_set(struct vrrp_track *t, bool down, uint64_t now);

/* Whether t counts as down at now (seen down, or up for less than delay_ms). */
bool vrrp_track_counts_down(const struct vrrp_track *t, uint64_t now, uint32_t delay_ms);

/* The group's running priority at now. */
uint8_t vrrp_track_priority(uint8_t configured, bool owner, const struct vrrp_track *t, size_t n,
			    uint64_t now, uint32_t delay_ms);

/* Whether a peer-BFD session of the group is down. */
bool vrrp_track_peer_down(const struct vrrp_track *t, size_t n);

/* The first moment after now at which a track stops counting as down (its
 * recover-delay ends), or 0 when none is recovering. */
uint64_t vrrp_track_next(const struct vrrp_track *t, size_t n, uint64_t now, uint32_t delay_ms);

#endif
