/*
 * What the peer may put into this device's kernel: the decision whether
 * one of the peer's ARP or ND users may become a neighbour entry here.
 * Pure: the daemon gathers the facts (the profile's interfaces, the
 * prefixes connected on the interface, the kernel's current entry) and
 * carries the answer out; it counts every refusal by its reason.
 *
 * The peer is trusted only for the users of the profiles both devices
 * share (README.md "The RBS channel's security"): an entry is installed only when
 *  - its key's interface is the record's interface, and one of the
 *    interfaces of the profile that owns the entry (by its backup-id);
 *  - its address is unicast (IPv4: not 0/8, 127/8, 224/4 and above, nor
 *    the broadcast address of the connected prefix; IPv6: not ::, ::1,
 *    IPv4-mapped or multicast) and inside a prefix connected on that
 *    interface, and not one of this device's own addresses there;
 *  - its MAC is unicast: not a group address (broadcast included), not
 *    all zeros;
 *  - the kernel holds no entry for it, or holds one this platform
 *    installed (NDA_PROTOCOL RBP_NEIGH_PROTO): an entry the kernel
 *    learned, or that an administrator made, is never replaced.
 */
#ifndef DB_RBP_ADMIT_H
#define DB_RBP_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rbpd/rbp_neigh.h"
#include "rbpd/rbp_rec.h"

/* Why an entry from the peer was refused. Counted per channel and shown
 * by `display remote-backup-profile`: append only. */
enum rbp_admit {
	RBP_ADMIT_OK = 0,
	RBP_ADMIT_NO_PROFILE,	    /* a backup-id no profile of this device has */
	RBP_ADMIT_IFNAME_MISMATCH,  /* the key's interface is not the record's */
	RBP_ADMIT_IFACE_OUTSIDE,    /* the interface is not one of the profile's */
	RBP_ADMIT_ADDR_NOT_UNICAST, /* multicast, broadcast, loopback, unspecified */
	RBP_ADMIT_ADDR_OFF_SUBNET,  /* in no prefix connected on the interface */
	RBP_ADMIT_ADDR_LOCAL,	    /* one of this device's own addresses */
	RBP_ADMIT_MAC_NOT_UNICAST,  /* group, broadcast or zero MAC */
	RBP_ADMIT_KERNEL_NOT_OURS,  /* the kernel's entry was learned or made by hand */
	RBP_ADMIT_TABLE_FULL,	    /* the table holds its maximum of users */
	RBP_ADMIT_KERNEL_FULL,	    /* the maximum of kernel installs is reached */
	RBP_ADMIT_VERSION_AHEAD,    /* a version far ahead of this device's clock */
	RBP_ADMIT_COUNT
};

/* How far ahead of this device's clock a peer's version may be: the two
 * clocks' difference, generously. Beyond it a peer could pin a user with
 * a version nothing made here ever beats (UINT64_MAX wrapped to 0). */
#define RBP_ADMIT_VERSION_AHEAD_US (24ull * 3600 * 1000000)

/* A prefix connected on an interface: one of its addresses and the
 * prefix length. */
struct rbp_prefix {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t len;
};

/* A short name of a reason ("interface-not-in-profile", ...), for
 * display and logs; "?" for an unknown value. A static string. */
const char *rbp_admit_name(enum rbp_admit r);

/* Whether mac is a unicast MAC: not a group address, not all zeros. */
bool rbp_admit_mac_unicast(const uint8_t mac[RBP_MAC_LEN]);

/* Whether addr (4 bytes for AF_INET, 16 for AF_INET6) is a unicast
 * address a neighbour can have, before any prefix is looked at. false
 * for another family. */
bool rbp_admit_addr_unicast(int family, const uint8_t *addr);

/*
 * What the entry says of itself, against its profile: family AF_INET
 * (ARP) or AF_INET6 (ND), addr and key_ifname read from its key, u its
 * record, ifaces[0..nifaces) the interfaces of the profile u->backup_id
 * names (ifaces NULL: no profile has it). Returns RBP_ADMIT_OK or the
 * first reason found, in the order of the enum.
 */
enum rbp_admit rbp_admit_record(int family, const uint8_t *addr, const char *key_ifname,
				const struct rbp_user *u, const char (*ifaces)[RBP_IFNAME_MAX + 1],
				size_t nifaces);

/*
 * Whether addr is inside one of the prefixes pfx[0..n) connected on its
 * interface (only those of family count): RBP_ADMIT_OK,
 * RBP_ADMIT_ADDR_OFF_SUBNET, RBP_ADMIT_ADDR_LOCAL for one of the
 * prefixes' own addresses, or RBP_ADMIT_ADDR_NOT_UNICAST for the
 * broadcast address of an IPv4 prefix of length 30 or less (the network
 * address of such a prefix too).
 */
enum rbp_admit rbp_admit_prefix(int family, const uint8_t *addr, const struct rbp_prefix *pfx,
				size_t n);

/* Whether the kernel's current entry cur (NULL: none) may be replaced:
 * RBP_ADMIT_OK when there is none or it carries RBP_NEIGH_PROTO, else
 * RBP_ADMIT_KERNEL_NOT_OURS. */
enum rbp_admit rbp_admit_kernel(const struct rbp_neigh *cur);

#endif
