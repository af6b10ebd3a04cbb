/* The VRRPv3-MIB (RFC 6527) from vrrpd's JSON display: rows, instances,
 * the walk order and the notifications a snapshot calls for. */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agentx/vrrp_mib.h"
#include "tests/lib/checkrun.h"

/* eth1 is ifIndex 5, eth2 is 3; any other name has none */
static unsigned ifindex(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "eth1") == 0 ? 5 : strcmp(name, "eth2") == 0 ? 3 : 0;
}

static const char doc[] =
    "{\"groups\": ["
    " {\"interface\": \"eth1\", \"vrid\": 2, \"family\": \"ipv4\", \"state\": \"Backup\","
    "  \"virtual_ips\": [\"192.0.2.101\"], \"master_ip\": \"192.0.2.2\","
    "  \"primary_ip\": \"192.0.2.1\", \"priority_running\": 100, \"preempt\": false,"
    "  \"advert_interval_configured_ms\": 1000, \"virtual_mac\": \"00:00:5e:00:01:02\","
    "  \"created\": 1000, \"up_since\": 1010, \"last_change_reason\": \"higher priority\","
    "  \"statistics\": {\"to_master\": 0, \"adverts_received\": 7,"
    "   \"priority0_received\": 1, \"priority0_sent\": 0,"
    "   \"dropped\": {\"ttl\": 1, \"checksum\": 2, \"version\": 0, \"type\": 3,"
    "    \"short\": 4, \"address_mismatch\": 5, \"interval_mismatch\": 6}}},"
    " {\"interface\": \"eth1\", \"vrid\": 1, \"family\": \"ipv4\", \"state\": \"Master\","
    "  \"virtual_ips\": [\"192.0.2.100\", \"192.0.2.110\"], \"master_ip\": \"192.0.2.1\","
    "  \"primary_ip\": \"192.0.2.1\", \"priority_running\": 120, \"preempt\": true,"
    "  \"advert_interval_configured_ms\": 250,"
    "  \"created\": 1000, \"up_since\": 1100,"
    "  \"last_change_reason\": \"master down timer expired\","
    "  \"statistics\": {\"to_master\": 4294967297, \"adverts_received\": 18446744073709551615}},"
    " {\"interface\": \"eth2\", \"vrid\": 1, \"family\": \"ipv6\", \"state\": \"Initialize\","
    "  \"master_ip\": null, \"up_since\": null, \"priority_running\": 100},"
    " {\"interface\": \"gone0\", \"vrid\": 9, \"family\": \"ipv4\", \"state\": \"Master\"},"
    " {\"interface\": \"eth1\", \"vrid\": 0, \"family\": \"ipv4\"},"
    " {\"interface\": \"eth1\", \"vrid\": 3, \"family\": \"ipx\"}"
    "],"
    " \"interfaces\": [{\"interface\": \"eth1\", \"family\": \"ipv4\","
    "  \"dropped\": {\"vrid_mismatch\": 9, \"checksum\": 1}}]}";

static void load(const char *text, struct vrrp_mib *m)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(vrrp_mib_from_json(o, ifindex, NULL, m), 0);
	json_object_put(o);
}

/* The instance vrrpv3MIB.1.<arcs...>, or NULL. */
static const struct vrrp_mib_var *at(const struct vrrp_mib_var *v, size_t n, int narcs, ...)
{
	uint32_t oid[VRRP_MIB_OID_MAX] = {VRRP_MIB_OID};
	size_t len = VRRP_MIB_OID_LEN;
	va_list ap;

	va_start(ap, narcs);
	for (int i = 0; i < narcs; i++)
		oid[len++] = (uint32_t)va_arg(ap, int);
	va_end(ap);
	return vrrp_mib_get(v, n, oid, len);
}

START_TEST(rows_are_indexed_by_ifindex_vrid_and_type_and_bad_groups_left_out)
{
	struct vrrp_mib m;

	load(doc, &m);
	/* gone0 has no ifIndex, vrid 0 and family ipx are not rows */
	ck_assert_uint_eq(m.n, 3);
	/* sorted by (ifIndex, VRID, type): eth2 (3) first */
	ck_assert_uint_eq(m.rows[0].ifindex, 3);
	ck_assert_uint_eq(m.rows[0].addr_type, 2);
	ck_assert_uint_eq(m.rows[1].vrid, 1);
	ck_assert_uint_eq(m.rows[2].vrid, 2);
	ck_assert_int_eq(m.rows[0].status, VRRP_MIB_INITIALIZE);
	ck_assert_int_eq(m.rows[1].status, VRRP_MIB_MASTER);
	ck_assert_int_eq(m.rows[2].status, VRRP_MIB_BACKUP);
	ck_assert_int_eq(m.rows[1].new_master_reason, VRRP_MIB_MASTER_NO_RESPONSE);
	ck_assert_int_eq(m.rows[2].new_master_reason, VRRP_MIB_NOT_MASTER);
	/* 250 ms is 25 centiseconds; 1000 ms is 100 */
	ck_assert_int_eq(m.rows[1].adv_interval_cs, 25);
	ck_assert_int_eq(m.rows[2].adv_interval_cs, 100);
	ck_assert_int_eq(m.rows[1].addr_count, 2);
	ck_assert_uint_eq(m.rows[2].ttl_errors, 1);
	ck_assert_uint_eq(m.rows[2].address_list_errors, 5);
	/* global: the groups' and the interfaces' drops */
	ck_assert_uint_eq(m.checksum_errors, 3);
	ck_assert_uint_eq(m.vrid_errors, 9);
	ck_assert_ptr_nonnull(vrrp_mib_find(&m, 5, 2, 1));
	ck_assert_ptr_null(vrrp_mib_find(&m, 5, 2, 2));
	vrrp_mib_free(&m);
}
END_TEST

START_TEST(instances_carry_rfc6527_columns_and_types)
{
	struct vrrp_mib m;
	struct vrrp_mib_var *v;
	const struct vrrp_mib_var *x;
	size_t n;

	load(doc, &m);
	ck_assert_int_eq(vrrp_mib_vars(&m, 1050, 1000, &v, &n), 0);
	/* vrrpv3OperationsStatus.5.1.1 = master(3), Priority 120 */
	x = at(v, n, 8, 1, 1, 1, 1, 6, 5, 1, 1);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->type, VRRP_MIB_T_INTEGER);
	ck_assert_uint_eq(x->num, 3);
	x = at(v, n, 8, 1, 1, 1, 1, 7, 5, 1, 1);
	ck_assert_int_eq(x->type, VRRP_MIB_T_UNSIGNED);
	ck_assert_uint_eq(x->num, 120);
	/* backup(2) for vrid 2, its master's address 192.0.2.2 in 4 octets */
	ck_assert_uint_eq(at(v, n, 8, 1, 1, 1, 1, 6, 5, 2, 1)->num, 2);
	x = at(v, n, 8, 1, 1, 1, 1, 3, 5, 2, 1);
	ck_assert_int_eq(x->type, VRRP_MIB_T_OCTETS);
	ck_assert_uint_eq(x->octets_len, 4);
	ck_assert_mem_eq(x->octets, "\xc0\x00\x02\x02", 4);
	/* PrimaryIpAddr, VirtualMacAddr */
	ck_assert_mem_eq(at(v, n, 8, 1, 1, 1, 1, 4, 5, 2, 1)->octets, "\xc0\x00\x02\x01", 4);
	ck_assert_mem_eq(at(v, n, 8, 1, 1, 1, 1, 5, 5, 2, 1)->octets, "\x00\x00\x5e\x00\x01\x02",
			 6);
	/* no master known: a zero-length InetAddress; no MAC: no instance */
	ck_assert_uint_eq(at(v, n, 8, 1, 1, 1, 1, 3, 3, 1, 2)->octets_len, 0);
	ck_assert_ptr_null(at(v, n, 8, 1, 1, 1, 1, 5, 3, 1, 2));
	/* PreemptMode true(1) / false(2); AcceptMode false(2); RowStatus active(1) */
	ck_assert_uint_eq(at(v, n, 8, 1, 1, 1, 1, 10, 5, 1, 1)->num, 1);
	ck_assert_uint_eq(at(v, n, 8, 1, 1, 1, 1, 10, 5, 2, 1)->num, 2);
	ck_assert_uint_eq(at(v, n, 8, 1, 1, 1, 1, 11, 5, 1, 1)->num, 2);
	ck_assert_uint_eq(at(v, n, 8, 1, 1, 1, 1, 13, 5, 1, 1)->num, 1);
	/* UpTime: 50 s after the agent started; before it: 0 */
	x = at(v, n, 8, 1, 1, 1, 1, 12, 5, 1, 1);
	ck_assert_int_eq(x->type, VRRP_MIB_T_TIMETICKS);
	ck_assert_uint_eq(x->num, 5000);
	ck_assert_uint_eq(at(v, n, 8, 1, 1, 1, 1, 12, 5, 2, 1)->num, 0);
	/* statistics: MasterTransitions is a Counter32 (wraps), adverts a Counter64 */
	x = at(v, n, 8, 1, 2, 5, 1, 1, 5, 1, 1);
	ck_assert_int_eq(x->type, VRRP_MIB_T_COUNTER32);
	ck_assert_uint_eq(x->num, 1);
	x = at(v, n, 8, 1, 2, 5, 1, 3, 5, 1, 1);
	ck_assert_int_eq(x->type, VRRP_MIB_T_COUNTER64);
	ck_assert_uint_eq(x->num, UINT64_MAX);
	ck_assert_uint_eq(at(v, n, 8, 1, 2, 5, 1, 2, 5, 1, 1)->num, VRRP_MIB_MASTER_NO_RESPONSE);
	ck_assert_uint_eq(at(v, n, 8, 1, 2, 5, 1, 4, 5, 2, 1)->num, 6);	 /* interval */
	ck_assert_uint_eq(at(v, n, 8, 1, 2, 5, 1, 5, 5, 2, 1)->num, 1);	 /* ttl */
	ck_assert_uint_eq(at(v, n, 8, 1, 2, 5, 1, 7, 5, 2, 1)->num, 1);	 /* prio 0 rcvd */
	ck_assert_uint_eq(at(v, n, 8, 1, 2, 5, 1, 9, 5, 2, 1)->num, 3);	 /* type */
	ck_assert_uint_eq(at(v, n, 8, 1, 2, 5, 1, 11, 5, 2, 1)->num, 4); /* length */
	ck_assert_uint_eq(at(v, n, 8, 1, 2, 5, 1, 13, 5, 2, 1)->num, 1000);
	/* the global counters are scalars (.0) */
	ck_assert_uint_eq(at(v, n, 4, 1, 2, 1, 0)->num, 3);
	ck_assert_uint_eq(at(v, n, 4, 1, 2, 3, 0)->num, 9);
	free(v);
	vrrp_mib_free(&m);
}
END_TEST

START_TEST(getnext_walks_every_instance_in_oid_order)
{
	struct vrrp_mib m;
	struct vrrp_mib_var *v;
	const struct vrrp_mib_var *x, *prev = NULL;
	uint32_t root[] = {VRRP_MIB_OID};
	uint32_t past[] = {VRRP_MIB_OID, 2};
	size_t n, walked = 0;

	load(doc, &m);
	ck_assert_int_eq(vrrp_mib_vars(&m, 0, 1000, &v, &n), 0);
	for (x = vrrp_mib_next(v, n, root, VRRP_MIB_OID_LEN); x;
	     x = vrrp_mib_next(v, n, x->oid, x->oid_len)) {
		if (prev)
			ck_assert_int_lt(
			    vrrp_mib_oid_cmp(prev->oid, prev->oid_len, x->oid, x->oid_len), 0);
		prev = x;
		walked++;
	}
	ck_assert_uint_eq(walked, n);
	/* the first is Operations column 3 of the lowest index (3.1.2) */
	x = vrrp_mib_next(v, n, root, VRRP_MIB_OID_LEN);
	ck_assert_uint_eq(x->oid_len, VRRP_MIB_OID_LEN + 8);
	ck_assert_uint_eq(x->oid[VRRP_MIB_OID_LEN + 4], 3);
	ck_assert_uint_eq(x->oid[VRRP_MIB_OID_LEN + 5], 3);
	/* a column's walk goes through the rows before the next column */
	x = vrrp_mib_next(v, n, x->oid, x->oid_len);
	ck_assert_uint_eq(x->oid[VRRP_MIB_OID_LEN + 4], 3);
	ck_assert_uint_eq(x->oid[VRRP_MIB_OID_LEN + 5], 5);
	/* nothing after vrrpv3Objects; a GET of a non-instance is nothing */
	ck_assert_ptr_null(vrrp_mib_next(v, n, past, VRRP_MIB_OID_LEN + 1));
	ck_assert_ptr_null(vrrp_mib_get(v, n, root, VRRP_MIB_OID_LEN));
	free(v);
	vrrp_mib_free(&m);
}
END_TEST

START_TEST(a_grown_error_counter_is_a_protocol_error_once)
{
	struct vrrp_mib a, b, c;
	const char *more_ttl = "{\"groups\": [{\"interface\": \"eth1\", \"vrid\": 2,"
			       " \"family\": \"ipv4\", \"state\": \"Backup\","
			       " \"statistics\": {\"to_master\": 1, \"dropped\": {\"ttl\": 3,"
			       " \"checksum\": 2}}}]}";
	const char *same = more_ttl;

	load(doc, &a);
	load(more_ttl, &b);
	/* the first snapshot: nothing to compare with, nothing to send */
	ck_assert_uint_eq(vrrp_mib_follow(NULL, &a), 0);
	ck_assert_uint_eq(vrrp_mib_follow(&a, &b), 1);
	ck_assert(b.rows[0].proto_err_new);
	ck_assert_int_eq(b.rows[0].proto_err_reason, VRRP_MIB_TTL_ERROR);
	/* the same counters again: the reason stays, no new notification */
	load(same, &c);
	ck_assert_uint_eq(vrrp_mib_follow(&b, &c), 0);
	ck_assert(!c.rows[0].proto_err_new);
	ck_assert_int_eq(c.rows[0].proto_err_reason, VRRP_MIB_TTL_ERROR);
	vrrp_mib_free(&a);
	vrrp_mib_free(&b);
	vrrp_mib_free(&c);
}
END_TEST

START_TEST(new_master_reason_from_vrrpd_reasons_and_carried_when_backup)
{
	struct vrrp_mib a, b;
	const char *master = "{\"groups\": [{\"interface\": \"eth1\", \"vrid\": 4,"
			     " \"family\": \"ipv4\", \"state\": \"Master\","
			     " \"last_change_reason\": \"preempt: local priority higher than the"
			     " master's\", \"statistics\": {\"to_master\": 1}}]}";
	const char *backup = "{\"groups\": [{\"interface\": \"eth1\", \"vrid\": 4,"
			     " \"family\": \"ipv4\", \"state\": \"Backup\","
			     " \"statistics\": {\"to_master\": 1}}]}";

	ck_assert_int_eq(vrrp_mib_new_master_reason("master down timer expired"),
			 VRRP_MIB_MASTER_NO_RESPONSE);
	ck_assert_int_eq(vrrp_mib_new_master_reason("master left (priority 0), skew time expired"),
			 VRRP_MIB_MASTER_NO_RESPONSE);
	ck_assert_int_eq(vrrp_mib_new_master_reason("preempt delay expired"), VRRP_MIB_PREEMPTED);
	ck_assert_int_eq(vrrp_mib_new_master_reason("startup, priority 255: address owner"),
			 VRRP_MIB_PRIORITY);
	load(master, &a);
	ck_assert_int_eq(a.rows[0].new_master_reason, VRRP_MIB_PREEMPTED);
	load(backup, &b);
	ck_assert_int_eq(b.rows[0].new_master_reason, VRRP_MIB_NOT_MASTER);
	/* once Master, the last reason stays (RFC 6527) */
	vrrp_mib_follow(&a, &b);
	ck_assert_int_eq(b.rows[0].new_master_reason, VRRP_MIB_PREEMPTED);
	vrrp_mib_free(&a);
	vrrp_mib_free(&b);
}
END_TEST

START_TEST(documents_that_are_not_vrrpds_are_refused_or_empty)
{
	struct vrrp_mib m;
	struct json_object *o = json_tokener_parse("[1, 2]");
	struct vrrp_mib_var *v;
	size_t n;

	ck_assert_int_eq(vrrp_mib_from_json(o, ifindex, NULL, &m), -EINVAL);
	ck_assert_int_eq(vrrp_mib_from_json(NULL, ifindex, NULL, &m), -EINVAL);
	json_object_put(o);
	/* odd types count as absent */
	load("{\"groups\": [{\"interface\": \"eth1\", \"vrid\": \"1\", \"family\": \"ipv4\"},"
	     " {\"interface\": \"eth1\", \"vrid\": 7, \"family\": \"ipv4\", \"state\": 3,"
	     "  \"master_ip\": \"2001:db8::1\", \"priority_running\": -5,"
	     "  \"virtual_mac\": \"zz\", \"statistics\": [1]}, 5, null]}",
	     &m);
	ck_assert_uint_eq(m.n, 1);
	ck_assert_int_eq(m.rows[0].status, VRRP_MIB_INITIALIZE);
	ck_assert_uint_eq(m.rows[0].master_ip_len, 0); /* an IPv6 address in an IPv4 row */
	ck_assert_uint_eq(m.rows[0].priority, 0);
	ck_assert(!m.rows[0].has_vmac);
	ck_assert_int_eq(vrrp_mib_vars(&m, 0, 1000, &v, &n), 0);
	ck_assert_uint_gt(n, 4);
	free(v);
	vrrp_mib_free(&m);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    rows_are_indexed_by_ifindex_vrid_and_type_and_bad_groups_left_out,
	    instances_carry_rfc6527_columns_and_types,
	    getnext_walks_every_instance_in_oid_order,
	    a_grown_error_counter_is_a_protocol_error_once,
	    new_master_reason_from_vrrpd_reasons_and_carried_when_backup,
	    documents_that_are_not_vrrpds_are_refused_or_empty,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("vrrp_mib", &core, 1);
}
