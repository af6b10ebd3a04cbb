#include "agentx/vrrp_mib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* vrrpv3MIB's layout (RFC 6527): vrrpv3Objects is arc 1; under it
 * vrrpv3Operations (1) holds vrrpv3OperationsTable (1), and
 * vrrpv3Statistics (2) holds the global counters (1..4) and
 * vrrpv3StatisticsTable (5). Each table's entry is arc 1. */
#define OBJECTS 1
#define OPERATIONS 1
#define OPS_TABLE 1
#define STATISTICS 2
#define STATS_TABLE 5

/* vrrpv3OperationsEntry columns (1 and 2 are the not-accessible index) */
enum {
	OPS_MASTER_IP = 3,
	OPS_PRIMARY_IP = 4,
	OPS_VMAC = 5,
	OPS_STATUS = 6,
	OPS_PRIORITY = 7,
	OPS_ADDR_COUNT = 8,
	OPS_ADV_INTERVAL = 9,
	OPS_PREEMPT = 10,
	OPS_ACCEPT = 11,
	OPS_UPTIME = 12,
	OPS_ROW_STATUS = 13,
};

/* vrrpv3StatisticsEntry columns */
enum {
	ST_MASTER_TRANSITIONS = 1,
	ST_NEW_MASTER_REASON = 2,
	ST_RCVD_ADVERTS = 3,
	ST_INTERVAL_ERRORS = 4,
	ST_TTL_ERRORS = 5,
	ST_PROTO_ERR_REASON = 6,
	ST_RCVD_PRIO0 = 7,
	ST_SENT_PRIO0 = 8,
	ST_INVALID_TYPE = 9,
	ST_ADDR_LIST_ERRORS = 10,
	ST_LENGTH_ERRORS = 11,
	ST_DISCONTINUITY = 12,
	ST_REFRESH_RATE = 13,
};

/* the global counters under vrrpv3Statistics */
enum { G_CHECKSUM = 1, G_VERSION = 2, G_VRID = 3, G_DISCONTINUITY = 4 };

#define TRUTH(b) ((b) ? 1 : 2) /* TruthValue: true(1), false(2) */
#define ROW_ACTIVE 1	       /* RowStatus active(1) */

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_is_type(o, json_type_object) &&
		       json_object_object_get_ex(o, key, &v)
		   ? v
		   : NULL;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* A non-negative integer, or 0 (absent, another type, negative). */
static uint64_t u64(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	if (v == NULL || !json_object_is_type(v, json_type_int))
		return 0;
	if (json_object_get_int64(v) < 0)
		return 0;
	return json_object_get_uint64(v);
}

static int64_t i64(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
}

static bool boolean(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

/* An address of the row's family into buf; its length, or 0. */
static size_t inet(const char *s, uint32_t addr_type, uint8_t *buf)
{
	if (s == NULL)
		return 0;
	if (addr_type == 1)
		return inet_pton(AF_INET, s, buf) == 1 ? 4 : 0;
	return inet_pton(AF_INET6, s, buf) == 1 ? 16 : 0;
}

static bool mac(const char *s, uint8_t *m)
{
	unsigned v[6];
	char end;

	if (s == NULL || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
				&v[5], &end) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return true;
}

int vrrp_mib_new_master_reason(const char *reason)
{
	if (reason == NULL)
		return VRRP_MIB_PRIORITY;
	if (strncmp(reason, "preempt", 7) == 0)
		return VRRP_MIB_PREEMPTED;
	if (strncmp(reason, "master down", 11) == 0 || strncmp(reason, "master left", 11) == 0)
		return VRRP_MIB_MASTER_NO_RESPONSE;
	/* startup, interface up, address owner: its own priority made it */
	return VRRP_MIB_PRIORITY;
}

static int row_cmp(const void *a, const void *b)
{
	const struct vrrp_mib_row *x = a, *y = b;
	uint32_t kx[3] = {x->ifindex, x->vrid, x->addr_type};
	uint32_t ky[3] = {y->ifindex, y->vrid, y->addr_type};

	return vrrp_mib_oid_cmp(kx, 3, ky, 3);
}

/* One group into r; false when it cannot be a row. */
static bool row_from(struct json_object *g, vrrp_mib_ifindex_fn ifindex, void *arg,
		     struct vrrp_mib_row *r)
{
	const char *ifname = str(g, "interface"), *fam = str(g, "family"), *state = str(g, "state");
	struct json_object *st = get(g, "statistics"), *dr = get(st, "dropped");
	struct json_object *vips = get(g, "virtual_ips");
	uint64_t vrid = u64(g, "vrid"), ms;

	memset(r, 0, sizeof(*r));
	if (ifname == NULL || strlen(ifname) >= sizeof(r->ifname) || fam == NULL || vrid < 1 ||
	    vrid > 255)
		return false;
	if (strcmp(fam, "ipv4") == 0)
		r->addr_type = 1;
	else if (strcmp(fam, "ipv6") == 0)
		r->addr_type = 2;
	else
		return false;
	r->ifindex = ifindex(ifname, arg);
	if (r->ifindex == 0)
		return false;
	r->vrid = (uint32_t)vrid;
	strcpy(r->ifname, ifname);
	r->status = state && strcmp(state, "Master") == 0   ? VRRP_MIB_MASTER
		    : state && strcmp(state, "Backup") == 0 ? VRRP_MIB_BACKUP
							    : VRRP_MIB_INITIALIZE;
	r->master_ip_len = inet(str(g, "master_ip"), r->addr_type, r->master_ip);
	r->primary_ip_len = inet(str(g, "primary_ip"), r->addr_type, r->primary_ip);
	r->has_vmac = mac(str(g, "virtual_mac"), r->vmac);
	r->priority = (uint32_t)(u64(g, "priority_running") > 255 ? 255 : u64(g, "priority_running"));
	r->addr_count = vips && json_object_is_type(vips, json_type_array)
			    ? (int32_t)(json_object_array_length(vips) > 255
					    ? 255
					    : json_object_array_length(vips))
			    : 0;
	ms = u64(g, "advert_interval_configured_ms");
	ms = (ms + 5) / 10;
	r->adv_interval_cs = ms < 1 ? 1 : ms > 4095 ? 4095 : (int32_t)ms;
	r->preempt = boolean(g, "preempt");
	/* vrrpd has no Accept_Mode (RFC 5798 6.1): false(2) */
	r->accept = false;
	r->up_since = r->status == VRRP_MIB_INITIALIZE ? 0 : i64(g, "up_since");
	r->created = i64(g, "created");
	r->to_master = u64(st, "to_master");
	r->new_master_reason = r->status == VRRP_MIB_MASTER
				   ? vrrp_mib_new_master_reason(str(g, "last_change_reason"))
				   : VRRP_MIB_NOT_MASTER;
	r->adverts_received = u64(st, "adverts_received");
	r->interval_errors = u64(dr, "interval_mismatch") + u64(dr, "interval_zero");
	r->ttl_errors = u64(dr, "ttl");
	r->prio0_received = u64(st, "priority0_received");
	r->prio0_sent = u64(st, "priority0_sent");
	r->invalid_type = u64(dr, "type");
	r->address_list_errors = u64(dr, "address_mismatch") + u64(dr, "address_count");
	r->length_errors = u64(dr, "short");
	r->checksum_errors = u64(dr, "checksum");
	r->version_errors = u64(dr, "version");
	return true;
}

int vrrp_mib_from_json(struct json_object *doc, vrrp_mib_ifindex_fn ifindex, void *arg,
		       struct vrrp_mib *out)
{
	struct json_object *groups = get(doc, "groups"), *ifs = get(doc, "interfaces");
	size_t n;

	memset(out, 0, sizeof(*out));
	if (groups == NULL || !json_object_is_type(groups, json_type_array))
		return -EINVAL;
	n = json_object_array_length(groups);
	out->rows = calloc(n ? n : 1, sizeof(*out->rows));
	if (out->rows == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct vrrp_mib_row *r = &out->rows[out->n];
		struct json_object *dr;

		if (!row_from(json_object_array_get_idx(groups, i), ifindex, arg, r))
			continue;
		/* one row per index: a duplicate (a broken document) is dropped */
		if (vrrp_mib_find(out, r->ifindex, r->vrid, r->addr_type))
			continue;
		dr = get(get(json_object_array_get_idx(groups, i), "statistics"), "dropped");
		out->checksum_errors += r->checksum_errors;
		out->version_errors += r->version_errors;
		out->vrid_errors += u64(dr, "vrid_zero") + u64(dr, "vrid_mismatch");
		out->n++;
	}
	qsort(out->rows, out->n, sizeof(*out->rows), row_cmp);
	/* advertisements that reached no group: VRID errors mostly */
	if (ifs && json_object_is_type(ifs, json_type_array))
		for (size_t i = 0; i < json_object_array_length(ifs); i++) {
			struct json_object *dr = get(json_object_array_get_idx(ifs, i), "dropped");

			out->checksum_errors += u64(dr, "checksum");
			out->version_errors += u64(dr, "version");
			out->vrid_errors += u64(dr, "vrid_zero") + u64(dr, "vrid_mismatch");
		}
	return 0;
}

void vrrp_mib_free(struct vrrp_mib *mib)
{
	free(mib->rows);
	memset(mib, 0, sizeof(*mib));
}

const struct vrrp_mib_row *vrrp_mib_find(const struct vrrp_mib *mib, uint32_t ifindex,
					 uint32_t vrid, uint32_t addr_type)
{
	for (size_t i = 0; mib && i < mib->n; i++)
		if (mib->rows[i].ifindex == ifindex && mib->rows[i].vrid == vrid &&
		    mib->rows[i].addr_type == addr_type)
			return &mib->rows[i];
	return NULL;
}

size_t vrrp_mib_follow(const struct vrrp_mib *prev, struct vrrp_mib *cur)
{
	size_t fresh = 0;

	for (size_t i = 0; i < cur->n; i++) {
		struct vrrp_mib_row *r = &cur->rows[i];
		const struct vrrp_mib_row *p = vrrp_mib_find(prev, r->ifindex, r->vrid, r->addr_type);

		r->proto_err_new = false;
		if (p == NULL)
			continue;
		if (r->status != VRRP_MIB_MASTER && r->to_master > 0)
			r->new_master_reason = p->new_master_reason;
		r->proto_err_reason = p->proto_err_reason;
		/* counters that went down: vrrpd restarted, nothing to report */
		if (r->ttl_errors > p->ttl_errors)
			r->proto_err_reason = VRRP_MIB_TTL_ERROR;
		else if (r->version_errors > p->version_errors)
			r->proto_err_reason = VRRP_MIB_VERSION_ERROR;
		else if (r->checksum_errors > p->checksum_errors)
			r->proto_err_reason = VRRP_MIB_CHECKSUM_ERROR;
		else
			continue;
		r->proto_err_new = true;
		fresh++;
	}
	return fresh;
}

int vrrp_mib_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen)
{
	for (size_t i = 0; i < alen && i < blen; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static const uint32_t mib_root[VRRP_MIB_OID_LEN] = {VRRP_MIB_OID};

size_t vrrp_mib_column_oid(int entry, uint32_t column, const struct vrrp_mib_row *r,
			   uint32_t *oid)
{
	size_t n = VRRP_MIB_OID_LEN;

	memcpy(oid, mib_root, sizeof(mib_root));
	oid[n++] = OBJECTS;
	if (entry == VRRP_MIB_OPS_ENTRY) {
		oid[n++] = OPERATIONS;
		oid[n++] = OPS_TABLE;
	} else {
		oid[n++] = STATISTICS;
		oid[n++] = STATS_TABLE;
	}
	oid[n++] = 1; /* the entry */
	oid[n++] = column;
	oid[n++] = r->ifindex;
	oid[n++] = r->vrid;
	oid[n++] = r->addr_type;
	return n;
}

/* A growing array of instances; on allocation failure it says so once. */
struct out {
	struct vrrp_mib_var *v;
	size_t n, cap;
	bool oom;
};

static struct vrrp_mib_var *add(struct out *o, enum vrrp_mib_type type, uint64_t num)
{
	struct vrrp_mib_var *v;

	if (o->oom)
		return NULL;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct vrrp_mib_var *nv = realloc(o->v, cap * sizeof(*nv));

		if (nv == NULL) {
			o->oom = true;
			return NULL;
		}
		o->v = nv;
		o->cap = cap;
	}
	v = &o->v[o->n++];
	memset(v, 0, sizeof(*v));
	v->type = type;
	v->num = num;
	return v;
}

static void col(struct out *o, int entry, uint32_t column, const struct vrrp_mib_row *r,
		enum vrrp_mib_type type, uint64_t num)
{
	struct vrrp_mib_var *v = add(o, type, num);

	if (v)
		v->oid_len = vrrp_mib_column_oid(entry, column, r, v->oid);
}

static void col_octets(struct out *o, uint32_t column, const struct vrrp_mib_row *r,
		       const uint8_t *b, size_t len)
{
	struct vrrp_mib_var *v = add(o, VRRP_MIB_T_OCTETS, 0);

	if (v == NULL)
		return;
	v->oid_len = vrrp_mib_column_oid(VRRP_MIB_OPS_ENTRY, column, r, v->oid);
	memcpy(v->octets, b, len);
	v->octets_len = len;
}

static uint64_t stamp(int64_t t, int64_t agent_start)
{
	/* TimeTicks are 32 bits: a time past them wraps, as sysUpTime does */
	return t > agent_start ? (uint64_t)(t - agent_start) * 100 % 4294967296u : 0;
}

static void scalar(struct out *o, uint32_t arc, enum vrrp_mib_type type, uint64_t num)
{
	struct vrrp_mib_var *v = add(o, type, num);

	if (v == NULL)
		return;
	memcpy(v->oid, mib_root, sizeof(mib_root));
	v->oid_len = VRRP_MIB_OID_LEN;
	v->oid[v->oid_len++] = OBJECTS;
	v->oid[v->oid_len++] = STATISTICS;
	v->oid[v->oid_len++] = arc;
	v->oid[v->oid_len++] = 0;
}

static int var_cmp(const void *a, const void *b)
{
	const struct vrrp_mib_var *x = a, *y = b;

	return vrrp_mib_oid_cmp(x->oid, x->oid_len, y->oid, y->oid_len);
}

int vrrp_mib_vars(const struct vrrp_mib *mib, int64_t agent_start, uint32_t refresh_ms,
		  struct vrrp_mib_var **vars, size_t *n)
{
	struct out o = {0};
	const int OPS = VRRP_MIB_OPS_ENTRY, ST = VRRP_MIB_STATS_ENTRY;

	for (size_t i = 0; i < mib->n; i++) {
		const struct vrrp_mib_row *r = &mib->rows[i];

		col_octets(&o, OPS_MASTER_IP, r, r->master_ip, r->master_ip_len);
		col_octets(&o, OPS_PRIMARY_IP, r, r->primary_ip, r->primary_ip_len);
		if (r->has_vmac)
			col_octets(&o, OPS_VMAC, r, r->vmac, 6);
		col(&o, OPS, OPS_STATUS, r, VRRP_MIB_T_INTEGER, (uint64_t)r->status);
		col(&o, OPS, OPS_PRIORITY, r, VRRP_MIB_T_UNSIGNED, r->priority);
		col(&o, OPS, OPS_ADDR_COUNT, r, VRRP_MIB_T_INTEGER, (uint64_t)r->addr_count);
		col(&o, OPS, OPS_ADV_INTERVAL, r, VRRP_MIB_T_INTEGER, (uint64_t)r->adv_interval_cs);
		col(&o, OPS, OPS_PREEMPT, r, VRRP_MIB_T_INTEGER, TRUTH(r->preempt));
		col(&o, OPS, OPS_ACCEPT, r, VRRP_MIB_T_INTEGER, TRUTH(r->accept));
		col(&o, OPS, OPS_UPTIME, r, VRRP_MIB_T_TIMETICKS, stamp(r->up_since, agent_start));
		col(&o, OPS, OPS_ROW_STATUS, r, VRRP_MIB_T_INTEGER, ROW_ACTIVE);
		col(&o, ST, ST_MASTER_TRANSITIONS, r, VRRP_MIB_T_COUNTER32,
		    r->to_master & 0xffffffffu);
		col(&o, ST, ST_NEW_MASTER_REASON, r, VRRP_MIB_T_INTEGER,
		    (uint64_t)r->new_master_reason);
		col(&o, ST, ST_RCVD_ADVERTS, r, VRRP_MIB_T_COUNTER64, r->adverts_received);
		col(&o, ST, ST_INTERVAL_ERRORS, r, VRRP_MIB_T_COUNTER64, r->interval_errors);
		col(&o, ST, ST_TTL_ERRORS, r, VRRP_MIB_T_COUNTER64, r->ttl_errors);
		col(&o, ST, ST_PROTO_ERR_REASON, r, VRRP_MIB_T_INTEGER,
		    (uint64_t)r->proto_err_reason);
		col(&o, ST, ST_RCVD_PRIO0, r, VRRP_MIB_T_COUNTER64, r->prio0_received);
		col(&o, ST, ST_SENT_PRIO0, r, VRRP_MIB_T_COUNTER64, r->prio0_sent);
		col(&o, ST, ST_INVALID_TYPE, r, VRRP_MIB_T_COUNTER64, r->invalid_type);
		col(&o, ST, ST_ADDR_LIST_ERRORS, r, VRRP_MIB_T_COUNTER64, r->address_list_errors);
		col(&o, ST, ST_LENGTH_ERRORS, r, VRRP_MIB_T_COUNTER64, r->length_errors);
		/* the counters start with the group */
		col(&o, ST, ST_DISCONTINUITY, r, VRRP_MIB_T_TIMETICKS, stamp(r->created, agent_start));
		col(&o, ST, ST_REFRESH_RATE, r, VRRP_MIB_T_UNSIGNED, refresh_ms);
	}
	scalar(&o, G_CHECKSUM, VRRP_MIB_T_COUNTER64, mib->checksum_errors);
	scalar(&o, G_VERSION, VRRP_MIB_T_COUNTER64, mib->version_errors);
	scalar(&o, G_VRID, VRRP_MIB_T_COUNTER64, mib->vrid_errors);
	scalar(&o, G_DISCONTINUITY, VRRP_MIB_T_TIMETICKS, 0);
	if (o.oom) {
		free(o.v);
		return -ENOMEM;
	}
	qsort(o.v, o.n, sizeof(*o.v), var_cmp);
	*vars = o.v;
	*n = o.n;
	return 0;
}

const struct vrrp_mib_var *vrrp_mib_get(const struct vrrp_mib_var *vars, size_t n,
					const uint32_t *oid, size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = vrrp_mib_oid_cmp(vars[mid].oid, vars[mid].oid_len, oid, len);

		if (c == 0)
			return &vars[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct vrrp_mib_var *vrrp_mib_next(const struct vrrp_mib_var *vars, size_t n,
					 const uint32_t *oid, size_t len)
{
	size_t lo = 0, hi = n;

	/* the first instance strictly after oid */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (vrrp_mib_oid_cmp(vars[mid].oid, vars[mid].oid_len, oid, len) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n ? &vars[lo] : NULL;
}
