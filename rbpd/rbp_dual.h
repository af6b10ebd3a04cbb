/*
 * Split brain seen from the RBS channel (docs/splitbrain.md): both devices
 * master of the same VRRP group. Each rbpd tells the peer its role per
 * binding (RbsKeepalive.roles); this module, pure, says whether the peer
 * is master of a binding, and keeps a binding's dual-master episode: when
 * it began, how many there were, and what changed at each evaluation.
 */
#ifndef DB_RBP_DUAL_H
#define DB_RBP_DUAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rbpd/rbp_rec.h"

/* One binding of the peer, as its last roles said. */
struct rbp_peer_role {
	uint32_t backup_id, vrid;
	bool master;
	char ifname[RBP_IFNAME_MAX + 1];
};

/* Whether the peer said it is master of the group of profile backup_id,
 * VRRP id vrid (the binding both devices configure alike); *ifname (may be
 * NULL) the peer's interface of it. Not known (no roles): false. */
bool rbp_dual_peer_master(const struct rbp_peer_role *roles, size_t n, uint32_t backup_id,
			  uint32_t vrid, const char **ifname);

/* A binding's dual-master state. Zeroed: none yet. */
struct rbp_dual {
	uint64_t since;	  /* CLOCK_REALTIME seconds when the episode began; 0: none now */
	uint64_t count;	  /* episodes since rbpd started */
	uint64_t last_s;  /* how long the last one that ended lasted */
};

enum rbp_dual_change {
	RBP_DUAL_SAME,	  /* nothing changed */
	RBP_DUAL_BEGAN,	  /* both are master now */
	RBP_DUAL_ENDED,	  /* no longer (last_s says how long it was) */
};

/* Both devices master of the binding now (this one, and the peer as its
 * last roles say): update d at time now (seconds) and say what changed. */
enum rbp_dual_change rbp_dual_update(struct rbp_dual *d, bool both_master, uint64_t now);

#endif
