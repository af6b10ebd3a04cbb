/*
 * A DHCP lease of ISC Kea (DHCPv4 and DHCPv6) as the platform backs it up.
 * The Kea hook (kea/kea_hook.cc) fills a struct kea_lease from Kea's
 * Lease4 / Lease6 and encodes it as the opaque payload of a "dhcp-server"
 * user; on the peer the payload comes back from the network (untrusted),
 * is decoded strictly and becomes the control-socket command that
 * recreates the lease in that device's Kea. Pure: no sockets, no logging;
 * json-c only to check and build JSON.
 *
 * Decisions:
 *  - The encoding is binary, big-endian, led by a version byte (1):
 *    version, family, type, prefix_len, state (1 byte each), the address
 *    (4 bytes for v4, 16 for v6), subnet_id, valid_lft, preferred_lft,
 *    iaid (u32 each), cltt (u64), then hw, id and hostname (a 1-byte
 *    length, then the bytes) and ctx (a 2-byte length, then the text).
 *    Text carries no NUL. Decoding refuses an unknown version, a length
 *    over its max, a missing or a trailing byte, and any lease that
 *    kea_lease_check() refuses: what decodes encodes back to the same
 *    bytes.
 *  - Lifetimes are carried as Kea keeps them: any u32, 0xffffffff being
 *    Kea's "infinite" and 0 a lease already expired at cltt. What bounds
 *    them is the expiry Kea is told, cltt + valid_lft: it must be > 0
 *    (Kea refuses "expire" <= 0) and < 2^40 (far beyond any real clock,
 *    well inside Kea's int64 and time_t).
 *  - Identifiers follow Kea 2.2: a v4 client-id is absent or 2 bytes at
 *    least (RFC 2132 9.14; Kea refuses shorter); a DUID is 1..KL_ID_MAX
 *    bytes. KL_ID_MAX is RFC 8415's 130 (type + 128); Kea 2.2 itself
 *    keeps 128 at most, so a 129- or 130-byte DUID from a newer Kea
 *    travels but its peer's 2.2 refuses the command.
 *  - A hostname is letters, digits, '.', '-' and '_', not led by '.';
 *    a trailing '.' (Kea's fully qualified form) is fine.
 *  - ctx is a JSON object as Kea takes a user-context: strict JSON in
 *    UTF-8, no raw control byte but tab, CR and LF, nested 32 deep at
 *    most (json-c's limit), every number one Kea parses (an int64 or a
 *    finite double: no NaN, no 1e400, no 2^64).
 *  - A v6 prefix (PD) is never declined: Kea refuses that state for it.
 *  - The commands are built by json-c, so no hostname or ctx can break
 *    out of its string or object. The user-context is the parsed object
 *    written again (compact form): its text may differ from ctx, not its
 *    meaning.
 *  - No "subnet-id" for v4 and IA_NA leases: the two devices' Keas may
 *    number subnets differently, and Kea finds the subnet by address.
 *    IA_TA and IA_PD leases carry it, and need it non-zero: Kea 2.2's
 *    lease6-update refuses them without one (a delegated prefix is not in
 *    its subnet's range), so for those the two devices must number their
 *    subnets alike, as Kea's own HA hook requires.
 *  - A v4 lease always sends "hw-address", "" when it has none: Kea
 *    2.2's lease4-update requires the key and reads "" as an empty
 *    address. A v6 lease omits it when empty (optional there).
 */
#ifndef DB_KEA_LEASE_H
#define DB_KEA_LEASE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KL_HW_MAX 20	/* hardware address bytes */
#define KL_ID_MAX 130	/* client-id (v4) or DUID (v6) bytes */
#define KL_HOST_MAX 253 /* hostname characters */
/* user-context JSON text bytes (holds relay info / option 82 when Kea's
 * store-extended-info is on) */
#define KL_CTX_MAX 4096
#define KL_KEY_MAX 64 /* INET6_ADDRSTRLEN, "/128" and " ta" fit */
/* The largest encoding: the fixed part with a v6 address, then every
 * variable field at its max with its length. */
#define KL_PAYLOAD_MAX                                                                             \
	(5 + 16 + 4 * 4 + 8 + 1 + KL_HW_MAX + 1 + KL_ID_MAX + 1 + KL_HOST_MAX + 2 + KL_CTX_MAX)

/* Kea's Lease::Type, v4 apart. */
enum kl_type { KL_TYPE_V4 = 0, KL_TYPE_NA = 1, KL_TYPE_TA = 2, KL_TYPE_PD = 3 };

/* Kea's Lease::STATE_* values, as lease4/6-update take them. */
enum kl_state { KL_STATE_DEFAULT = 0, KL_STATE_DECLINED = 1, KL_STATE_EXPIRED_RECLAIMED = 2 };

struct kea_lease {
	uint8_t family;	    /* 4 or 6 */
	uint8_t type;	    /* enum kl_type: KL_TYPE_V4 for family 4, NA/TA/PD for 6 */
	uint8_t prefix_len; /* 32 for v4, 128 for NA/TA, 1..128 for PD */
	uint8_t state;	    /* enum kl_state */
	uint8_t addr[16];   /* v4 in the first 4 bytes, network order */
	uint32_t subnet_id, valid_lft, preferred_lft, iaid; /* preferred_lft and iaid 0 for v4 */
	/* the client's last transmission, seconds since the epoch;
	 * expire = cltt + valid_lft */
	uint64_t cltt;
	uint8_t hw_len, id_len;
	uint8_t hw[KL_HW_MAX];
	uint8_t id[KL_ID_MAX];		/* v4 client-id (may be empty), v6 DUID (1..KL_ID_MAX) */
	char hostname[KL_HOST_MAX + 1]; /* "" when none */
	char ctx[KL_CTX_MAX + 1];	/* user-context as JSON text, "" when none */
};

/*
 * Encodes l into buf (cap bytes; KL_PAYLOAD_MAX always suffice). Returns
 * the length, -EINVAL when l is not valid (kea_lease_check()), -ENOSPC
 * when cap is too small (buf may be partly written then).
 */
int kea_lease_encode(const struct kea_lease *l, uint8_t *buf, size_t cap);

/*
 * Decodes strictly: a known version, every length in range, nothing
 * missing or left over, no NUL in hostname or ctx, and the result passes
 * kea_lease_check(). Returns 0, or -EINVAL (l may be partly written then).
 * Bytes of l past each field's length are zero on success.
 */
int kea_lease_decode(const uint8_t *buf, size_t len, struct kea_lease *l);

/*
 * 0 when l is a lease this module can carry, else -EINVAL with *why (if
 * why is not NULL) set to the reason, a short static string: family, type
 * and prefix_len agree, v4 has no preferred_lft, iaid nor bytes past its
 * address, identifiers and hostname as the header comment says, ctx empty
 * or a JSON object, 0 < cltt + valid_lft < 2^40.
 */
int kea_lease_check(const struct kea_lease *l, const char **why);

/*
 * The user key in rbpd, text an operator reads in `display
 * remote-backup-profile NAME users dhcp-server`: the address ("192.0.2.130",
 * "2001:db8::7"), for IA_PD with its length ("2001:db8:1::/56"), for IA_TA
 * followed by " ta" (Kea keeps NA and TA leases of one address apart).
 * Written without a NUL. Returns the length, 0 when family and type do not
 * agree.
 */
size_t kea_lease_key(const struct kea_lease *l, uint8_t key[KL_KEY_MAX]);

/*
 * The 6-byte MAC whose parity picks the user's VRRP group: the hardware
 * address when it has 6 bytes; else, for v6, the link-layer address inside
 * a DUID-LLT (type 1, hw type 1, 14 bytes) or DUID-LL (type 3, hw type 1,
 * 10 bytes). Returns 0 with mac set, or -ENOENT (mac untouched).
 */
int kea_lease_mac(const struct kea_lease *l, uint8_t mac[6]);

/*
 * The control-socket command that recreates l:
 * {"command":"lease4-update","arguments":{...,"force-create":true}}
 * (lease6-update for v6). Arguments, with Kea 2.2's names: "ip-address"
 * (text form; the prefix for PD), "hw-address" ("aa:bb:..", see above for
 * an empty one), v4 "client-id" (hex with colons, omitted when empty),
 * v6 "duid", "iaid", "type" ("IA_NA", "IA_TA", "IA_PD"), "prefix-len" (PD
 * only), "preferred-lft" and "subnet-id" (TA and PD only); then
 * "valid-lft", "expire" (cltt + valid_lft), "hostname" (omitted when ""),
 * "state" (an integer), "user-context" (the parsed object, omitted when
 * ""), "force-create": true. Writes NUL-terminated compact text into buf
 * (2 * KL_CTX_MAX + 2048 bytes always suffice) and returns its length
 * (NUL not counted); -ENOSPC when cap is too small, -EINVAL for an
 * invalid lease, -ENOMEM when json-c cannot allocate.
 */
int kea_lease_update_cmd(const struct kea_lease *l, char *buf, size_t cap);

/*
 * The command that adds l only if Kea has no lease of its address:
 * lease4-add / lease6-add, the arguments of kea_lease_update_cmd() but
 * "force-create". For the users rbpd replays to a hook that starts after
 * a takeover (UserRestored.replay): what Kea holds, possibly newer, stays.
 * Same returns as kea_lease_update_cmd().
 */
int kea_lease_add_cmd(const struct kea_lease *l, char *buf, size_t cap);

/*
 * The command that removes l: {"command":"lease4-del","arguments":
 * {"ip-address":..}} for v4, lease6-del with "ip-address" and "type" for
 * v6 (Kea 2.2 finds a v6 lease by type and address; it takes no
 * "prefix-len"). Same returns as kea_lease_update_cmd().
 */
int kea_lease_del_cmd(const struct kea_lease *l, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
