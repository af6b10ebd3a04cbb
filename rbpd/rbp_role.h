/*
 * Who is master for a user: RBP `vrrp-id V interface I odd-mac|even-mac`
 * makes group V decide the users whose MAC has that parity, and this device
 * is master for a user exactly when that group is master here. Two bindings
 * of opposite parity in one profile give active-active load sharing. Pure:
 * no sockets, no logging.
 *
 * Decisions:
 *  - Parity is the last bit of the last byte of the MAC (00e0-fc12-3457 is
 *    odd), as VRP's odd-mac / even-mac.
 *  - Only Master makes this device master for a user. Backup, Initialize
 *    and a group not heard of yet make it backup: when in doubt, keep the
 *    peer's entries and send none.
 *  - A profile without a binding of the user's parity decides nothing for
 *    that user: a distinct result, not "backup", so that the caller can
 *    tell "the peer owns this user" from "no profile covers this user".
 *  - MACs are read in the three usual forms, two hex digits per byte (four
 *    per group in VRP's form), either case, nothing before or after; they
 *    are written in VRP's form, lower case.
 */
#ifndef DB_RBP_ROLE_H
#define DB_RBP_ROLE_H

#include <stddef.h>
#include <stdint.h>

#include "bus.pb-c.h"

#include "common/mac.h"

#define RBP_MAC_LEN MAC_LEN

/* Which users a binding decides. */
enum rbp_parity {
	RBP_PARITY_EVEN = 0, /* even-mac: last bit of the MAC clear */
	RBP_PARITY_ODD = 1,  /* odd-mac: last bit set */
};

/* A VRRP group's state as rbpd last heard it (RFC 5798 6.4). */
enum rbp_group_state {
	RBP_GROUP_INIT = 0, /* Initialize, or not heard of yet */
	RBP_GROUP_BACKUP,
	RBP_GROUP_MASTER,
};

/* This device's role for a user. */
enum rbp_role {
	RBP_ROLE_BACKUP = 0, /* keep the peer's entries, send none */
	RBP_ROLE_MASTER = 1, /* learn the user, send its changes to the peer */
};

/* One `vrrp-id V interface I odd-mac|even-mac` line of a profile, with
 * the state of that group. Nothing is owned. */
struct rbp_binding {
	uint32_t vrid;
	const char *ifname;
	enum rbp_parity parity;
	enum rbp_group_state state;
};

/* The parity of a MAC: RBP_PARITY_ODD when the last bit of its last byte
 * is set. */
enum rbp_parity rbp_mac_parity(const uint8_t mac[RBP_MAC_LEN]);

/*
 * The binding that decides the user with this MAC, among the n bindings of
 * one profile. Returns its index; -ENOENT when no binding has the MAC's
 * parity (a profile with only an odd-mac binding decides nothing for even
 * users); -EINVAL when two bindings have the MAC's parity (cfgd refuses
 * that configuration), or b is NULL with n > 0, or a parity is out of range.
 */
int rbp_role_binding(const struct rbp_binding *b, size_t n, const uint8_t mac[RBP_MAC_LEN]);

/* The role a group's state gives: RBP_ROLE_MASTER for RBP_GROUP_MASTER,
 * RBP_ROLE_BACKUP for anything else. */
enum rbp_role rbp_role_of_state(enum rbp_group_state s);

/*
 * This device's role for the user with this MAC under one profile: finds
 * the binding (rbp_role_binding()) and applies its group's state. Returns 0
 * with *role set; -ENOENT when the profile has no binding for the MAC's
 * parity; -EINVAL as for rbp_role_binding(). *role is untouched on error.
 */
int rbp_role_for_user(const struct rbp_binding *b, size_t n, const uint8_t mac[RBP_MAC_LEN],
		      enum rbp_role *role);

/* A state as vrrpd publishes it (proto/bus.proto VrrpState). Returns 0
 * with *out set, or -EINVAL for VRRP_STATE_NONE or a value this build
 * does not know (*out untouched). */
int rbp_group_state_of(Db__VrrpState s, enum rbp_group_state *out);

/* "master" or "backup"; "unknown" for any other value. A static string. */
const char *rbp_role_str(enum rbp_role r);

#endif
