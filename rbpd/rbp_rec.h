/*
 * What rbpd stores, and sends to the peer, for each user: the user table's
 * payload (rbpd/user_table.h) is this record, whatever the service. Pure:
 * no sockets, no logging; the peer's bytes go through rbp_rec_decode().
 *
 * The record, all integers big-endian:
 *
 *   0   1  format, RBP_REC_FORMAT
 *   1   4  backup-id of the profile the user belongs to
 *   5   6  the user's MAC: its parity picks the VRRP group (rbp_role.h)
 *   11  1  length L of the interface name, 1..15
 *   12  L  the interface the user is on (no NUL)
 *   12+L   the service's own payload, opaque here (empty for ARP and ND)
 *
 * The interface travels by name: the peer's ifindex means nothing here,
 * and both devices of a pair name their access interfaces alike (an
 * entry whose interface does not exist here is held, not installed).
 *
 * The keys of the built-in services are the neighbour's address followed
 * by the interface name: 4 + L bytes for ARP, 16 + L for ND, so that the
 * same address on two interfaces is two users.
 */
#ifndef DB_RBP_REC_H
#define DB_RBP_REC_H

#include <stddef.h>
#include <stdint.h>

#include "rbpd/rbp_role.h"

#define RBP_REC_FORMAT 1
#define RBP_IFNAME_MAX 15 /* IFNAMSIZ - 1 */
#define RBP_REC_HDR(ifname_len) (12 + (ifname_len))
/* A service's payload may use what the table allows minus the longest
 * header. */
#define RBP_REC_DATA_MAX 65000

/* One user's record, decoded. data points into the decoded bytes. */
struct rbp_user {
	uint32_t backup_id;
	uint8_t mac[RBP_MAC_LEN];
	char ifname[RBP_IFNAME_MAX + 1];
	const uint8_t *data;
	size_t data_len;
};

/* The encoded length of u (0 when u->ifname is empty or too long, or the
 * data is too long). */
size_t rbp_rec_len(const struct rbp_user *u);

/* Encodes u into buf (cap bytes). Returns the length, or -EINVAL (bad
 * interface name or data length) or -ENOSPC. */
int rbp_rec_encode(const struct rbp_user *u, uint8_t *buf, size_t cap);

/* Decodes len bytes. Returns 0 with *out filled (out->data points into p),
 * or -EINVAL for anything malformed: another format, an interface name of
 * 0 or more than 15 bytes or with a NUL or '/' in it, fewer bytes than the
 * header says, a payload over RBP_REC_DATA_MAX. */
int rbp_rec_decode(const uint8_t *p, size_t len, struct rbp_user *out);

/* The key of a neighbour (family AF_INET: 4 address bytes, AF_INET6: 16)
 * on ifname, written into key (room for 16 + RBP_IFNAME_MAX bytes).
 * Returns its length, or -EINVAL. */
int rbp_rec_neigh_key(int family, const uint8_t *addr, const char *ifname, uint8_t *key);

/* Reads such a key back for family. Returns 0 with addr (4 or 16 bytes)
 * and ifname filled, or -EINVAL. */
int rbp_rec_neigh_key_parse(int family, const uint8_t *key, size_t len, uint8_t addr[16],
			    char ifname[RBP_IFNAME_MAX + 1]);

#endif
