/*
 * The RFC 6527 VRRPv3-MIB (vrrpv3MIB, 1.3.6.1.2.1.207) from vrrpd's
 * `display vrrp json` (docs/json.md): a pure module. It turns the JSON
 * document into rows indexed (ifIndex, VRID, InetAddressType), the rows
 * into a sorted list of object instances (OID, type, value) that an agent
 * answers GET and GETNEXT from, and two snapshots into the notifications
 * they call for. No I/O and no net-snmp types, so the check suite and the
 * fuzzer drive it alone (docs/snmp.md).
 */
#ifndef DB_VRRP_MIB_H
#define DB_VRRP_MIB_H

#include <json-c/json.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* vrrpv3MIB and the parts of it served (numeric: no MIB file needed). */
#define VRRP_MIB_OID 1, 3, 6, 1, 2, 1, 207
#define VRRP_MIB_OID_LEN 7
/* the longest instance: a table column and three index arcs */
#define VRRP_MIB_OID_MAX (VRRP_MIB_OID_LEN + 6 + 3)

/* vrrpv3OperationsStatus */
enum { VRRP_MIB_INITIALIZE = 1, VRRP_MIB_BACKUP = 2, VRRP_MIB_MASTER = 3 };
/* vrrpv3StatisticsNewMasterReason */
enum {
	VRRP_MIB_NOT_MASTER = 0,
	VRRP_MIB_PRIORITY = 1,
	VRRP_MIB_PREEMPTED = 2,
	VRRP_MIB_MASTER_NO_RESPONSE = 3
};
/* vrrpv3StatisticsProtoErrReason */
enum {
	VRRP_MIB_NO_ERROR = 0,
	VRRP_MIB_TTL_ERROR = 1,
	VRRP_MIB_VERSION_ERROR = 2,
	VRRP_MIB_CHECKSUM_ERROR = 3,
	VRRP_MIB_VRID_ERROR = 4
};

/* SMI syntaxes the agent maps to its ASN.1 types. */
enum vrrp_mib_type {
	VRRP_MIB_T_INTEGER,   /* Integer32, enumerations, TruthValue, RowStatus */
	VRRP_MIB_T_UNSIGNED,  /* Unsigned32 (Gauge32 on the wire) */
	VRRP_MIB_T_COUNTER32, /* Counter32 */
	VRRP_MIB_T_COUNTER64, /* Counter64 */
	VRRP_MIB_T_TIMETICKS, /* TimeStamp */
	VRRP_MIB_T_OCTETS,    /* InetAddress, MacAddress */
};

/* One virtual router: a row of vrrpv3OperationsTable and of
 * vrrpv3StatisticsTable (which AUGMENTS it). */
struct vrrp_mib_row {
	uint32_t ifindex, vrid, addr_type; /* the index; addr_type 1 ipv4, 2 ipv6 */
	char ifname[IF_NAMESIZE];
	uint8_t master_ip[16], primary_ip[16]; /* InetAddress, *_len 0: unknown */
	size_t master_ip_len, primary_ip_len;
	uint8_t vmac[6];
	bool has_vmac;
	int status;		  /* VRRP_MIB_INITIALIZE .. MASTER */
	uint32_t priority;	  /* running priority */
	int32_t addr_count;	  /* virtual addresses */
	int32_t adv_interval_cs;  /* configured, centiseconds */
	bool preempt, accept;	  /* TruthValue */
	int64_t up_since;	  /* unix time it left Initialize; 0: it has not */
	int64_t created;	  /* unix time the group was created */
	uint64_t to_master;	  /* vrrpv3StatisticsMasterTransitions */
	int new_master_reason;	  /* VRRP_MIB_NOT_MASTER .. */
	uint64_t adverts_received, interval_errors, ttl_errors, prio0_received, prio0_sent,
	    invalid_type, address_list_errors, length_errors;
	uint64_t checksum_errors, version_errors; /* feed the global scalars */
	int proto_err_reason;			  /* the last protocol error seen */
	bool proto_err_new;			  /* set by vrrp_mib_follow: send a trap */
};

/* Everything served: the rows, sorted by index, and the global scalars. */
struct vrrp_mib {
	struct vrrp_mib_row *rows;
	size_t n;
	uint64_t checksum_errors, version_errors, vrid_errors;
};

/* One object instance. */
struct vrrp_mib_var {
	uint32_t oid[VRRP_MIB_OID_MAX];
	size_t oid_len;
	enum vrrp_mib_type type;
	uint64_t num;	     /* every type but OCTETS (INTEGER: as int32_t) */
	uint8_t octets[16];  /* OCTETS */
	size_t octets_len;
};

/* How an interface name becomes an ifIndex (0: no such interface). */
typedef unsigned (*vrrp_mib_ifindex_fn)(const char *ifname, void *arg);

/* Builds the MIB from `display vrrp json`. A group whose interface has no
 * ifIndex, or whose VRID or family is not valid, is left out; values of
 * unexpected types count as absent (0). Returns 0, -EINVAL when doc is not
 * vrrpd's document (no "groups" array), or -ENOMEM. */
int vrrp_mib_from_json(struct json_object *doc, vrrp_mib_ifindex_fn ifindex, void *arg,
		       struct vrrp_mib *out);

/* Releases what vrrp_mib_from_json allocated (mib stays reusable, empty). */
void vrrp_mib_free(struct vrrp_mib *mib);

/* The row of this index, or NULL. */
const struct vrrp_mib_row *vrrp_mib_find(const struct vrrp_mib *mib, uint32_t ifindex,
					 uint32_t vrid, uint32_t addr_type);

/* vrrpv3StatisticsNewMasterReason for vrrpd's transition reason (its
 * vrrp_fsm texts) into Master. */
int vrrp_mib_new_master_reason(const char *reason);

/* Carries what the JSON does not hold from the previous snapshot `prev`
 * (may be NULL) into `cur`: the last NewMasterReason of a row no longer
 * Master, and the ProtoErrReason. A row whose TTL, version or checksum
 * error counter grew since prev gets that reason and proto_err_new set
 * (a vrrpv3ProtoError to send). Returns how many rows have it set. */
size_t vrrp_mib_follow(const struct vrrp_mib *prev, struct vrrp_mib *cur);

/* Every object instance of the MIB, in lexicographic OID order, into a
 * new array *vars of *n (free it). Time stamps are in centiseconds since
 * `agent_start` (unix time): 0 for what happened before it, as TimeStamp
 * says. refresh_ms is vrrpv3StatisticsRefreshRate. Returns 0 or -ENOMEM. */
int vrrp_mib_vars(const struct vrrp_mib *mib, int64_t agent_start, uint32_t refresh_ms,
		  struct vrrp_mib_var **vars, size_t *n);

/* -1, 0, 1 as OID a sorts before, equal to or after b. */
int vrrp_mib_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen);

/* The instance named exactly oid (GET), or NULL. */
const struct vrrp_mib_var *vrrp_mib_get(const struct vrrp_mib_var *vars, size_t n,
					const uint32_t *oid, size_t len);

/* The first instance after oid (GETNEXT), or NULL at the end. */
const struct vrrp_mib_var *vrrp_mib_next(const struct vrrp_mib_var *vars, size_t n,
					 const uint32_t *oid, size_t len);

/* The OID of column `column` of table entry `entry` (VRRP_MIB_OPS_ENTRY
 * or VRRP_MIB_STATS_ENTRY) for row r, into oid (VRRP_MIB_OID_MAX arcs).
 * Returns its length. Used for notification varbinds. */
size_t vrrp_mib_column_oid(int entry, uint32_t column, const struct vrrp_mib_row *r,
			   uint32_t *oid);
#define VRRP_MIB_OPS_ENTRY 1
#define VRRP_MIB_STATS_ENTRY 2

/* Columns used in notifications. */
#define VRRP_MIB_COL_MASTER_IP 3       /* vrrpv3OperationsMasterIpAddr */
#define VRRP_MIB_COL_NEW_MASTER_REASON 2 /* vrrpv3StatisticsNewMasterReason */
#define VRRP_MIB_COL_PROTO_ERR_REASON 6	 /* vrrpv3StatisticsProtoErrReason */

/* The notifications: vrrpv3NewMaster and vrrpv3ProtoError. */
#define VRRP_MIB_TRAP_NEW_MASTER 1
#define VRRP_MIB_TRAP_PROTO_ERROR 2

#endif
