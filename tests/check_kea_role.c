/* Which DHCP clients this device's Kea answers: nobody until rbpd's roles
 * are known; then those whose MAC parity (the last bit of the last byte)
 * a binding this device is master for decides, and those of a parity no
 * binding decides; a binding on the packet's interface decides before the
 * first binding of that parity, and with no interface (NULL or "") the
 * first one does. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kea/kea_role.h"
#include "tests/lib/checkrun.h"

/* Documentation MACs (RFC 7042 2.1.1): even and odd by the last byte
 * only; the first byte's low bit is the other way round. */
static const uint8_t even[6] = {0x01, 0x00, 0x5e, 0x00, 0x53, 0x10};
static const uint8_t odd[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x11};
static const uint8_t odd_ff[6] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t even_fe[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};

static void add_binding(struct kr_table *t, const char *ifname, uint32_t vrid, int is_odd,
			int master)
{
	struct kr_binding *b = &t->b[t->n++];

	memset(b, 0, sizeof(*b));
	strcpy(b->ifname, ifname);
	b->vrid = vrid;
	b->odd = is_odd;
	b->master = master;
}

START_TEST(nobody_is_answered_before_the_roles_are_known)
{
	struct kr_table t;

	memset(&t, 0, sizeof(t));
	ck_assert(!kr_answers(&t, even, NULL));
	ck_assert(!kr_answers(&t, odd, "eth0"));
	/* not even with bindings that make this device master of both */
	add_binding(&t, "eth0", 1, 0, 1);
	add_binding(&t, "eth0", 2, 1, 1);
	ck_assert(!kr_answers(&t, even, "eth0"));
	ck_assert(!kr_answers(&t, odd, "eth0"));
	ck_assert(!kr_answers(&t, odd, NULL));
	t.known = true;
	ck_assert(kr_answers(&t, even, "eth0"));
	ck_assert(kr_answers(&t, odd, "eth0"));
	ck_assert(kr_answers(&t, odd, NULL));
}
END_TEST

START_TEST(a_parity_no_binding_decides_is_answered)
{
	struct kr_table t;

	memset(&t, 0, sizeof(t));
	t.known = true;
	/* no binding at all: this device serves everyone alone */
	ck_assert_ptr_null(kr_decide(&t, even, NULL));
	ck_assert_ptr_null(kr_decide(&t, odd, "eth0"));
	ck_assert(kr_answers(&t, even, NULL));
	ck_assert(kr_answers(&t, odd, "eth0"));
	/* only odd MACs bound, this device their backup */
	add_binding(&t, "eth0", 1, 1, 0);
	ck_assert_ptr_eq(kr_decide(&t, odd, "eth0"), &t.b[0]);
	ck_assert_ptr_null(kr_decide(&t, even, "eth0"));
	ck_assert_ptr_null(kr_decide(&t, even_fe, NULL));
	ck_assert(!kr_answers(&t, odd, "eth0"));
	ck_assert(!kr_answers(&t, odd_ff, NULL));
	ck_assert(kr_answers(&t, even, "eth0"));
	ck_assert(kr_answers(&t, even_fe, "eth1"));
	/* only even MACs bound */
	memset(&t, 0, sizeof(t));
	t.known = true;
	add_binding(&t, "eth0", 1, 0, 0);
	ck_assert(!kr_answers(&t, even, "eth0"));
	ck_assert(kr_answers(&t, odd, "eth0"));
}
END_TEST

START_TEST(master_or_backup_per_parity)
{
	struct kr_table t;

	memset(&t, 0, sizeof(t));
	t.known = true;
	/* active-active: master of the odd MACs, backup of the even ones */
	add_binding(&t, "eth0", 1, 1, 1);
	add_binding(&t, "eth0", 2, 0, 0);
	ck_assert_ptr_eq(kr_decide(&t, odd, "eth0"), &t.b[0]);
	ck_assert_ptr_eq(kr_decide(&t, even, "eth0"), &t.b[1]);
	ck_assert(kr_answers(&t, odd, "eth0"));
	ck_assert(kr_answers(&t, odd_ff, NULL));
	ck_assert(!kr_answers(&t, even, "eth0"));
	ck_assert(!kr_answers(&t, even_fe, NULL));
	/* the peer's view */
	t.b[0].master = false;
	t.b[1].master = true;
	ck_assert(!kr_answers(&t, odd, "eth0"));
	ck_assert(!kr_answers(&t, odd_ff, NULL));
	ck_assert(kr_answers(&t, even, "eth0"));
	ck_assert(kr_answers(&t, even_fe, NULL));
	/* master of both, backup of both */
	t.b[0].master = true;
	ck_assert(kr_answers(&t, odd, "eth0") && kr_answers(&t, even, "eth0"));
	t.b[0].master = t.b[1].master = false;
	ck_assert(!kr_answers(&t, odd, "eth0") && !kr_answers(&t, even, "eth0"));
}
END_TEST

START_TEST(any_master_needs_known_roles_and_one_master_binding)
{
	struct kr_table t;

	memset(&t, 0, sizeof(t));
	ck_assert(!kr_any_master(&t));
	add_binding(&t, "eth0", 1, 1, 1);
	ck_assert(!kr_any_master(&t)); /* not known yet */
	t.known = true;
	ck_assert(kr_any_master(&t));
	t.b[0].master = false;
	add_binding(&t, "eth0", 2, 0, 0);
	ck_assert(!kr_any_master(&t));
	t.b[1].master = true;
	ck_assert(kr_any_master(&t));
	t.n = 0; /* no bindings at all (rbpd not configured yet) */
	ck_assert(!kr_any_master(&t));
}
END_TEST

START_TEST(a_binding_on_the_packet_s_interface_is_preferred)
{
	struct kr_table t;

	memset(&t, 0, sizeof(t));
	t.known = true;
	/* two profiles bind the odd MACs to different groups */
	add_binding(&t, "eth0", 1, 1, 0);
	add_binding(&t, "eth1", 2, 0, 1); /* even, on eth1 */
	add_binding(&t, "eth1", 3, 1, 1);
	add_binding(&t, "eth2", 4, 1, 0);
	ck_assert_ptr_eq(kr_decide(&t, odd, "eth1"), &t.b[2]);
	ck_assert(kr_answers(&t, odd, "eth1"));
	ck_assert_ptr_eq(kr_decide(&t, odd, "eth0"), &t.b[0]);
	ck_assert(!kr_answers(&t, odd, "eth0"));
	ck_assert_ptr_eq(kr_decide(&t, odd, "eth2"), &t.b[3]);
	ck_assert(!kr_answers(&t, odd, "eth2"));
	/* an interface with no binding of the MAC's parity: the first of it
	 * (a relayed packet), not the interface's binding of the other parity */
	ck_assert_ptr_eq(kr_decide(&t, odd, "eth9"), &t.b[0]);
	ck_assert(!kr_answers(&t, odd, "eth9"));
	ck_assert_ptr_eq(kr_decide(&t, even, "eth0"), &t.b[1]);
	ck_assert(kr_answers(&t, even, "eth0"));
	/* the interface's name whole: no prefix, no longer name */
	ck_assert_ptr_eq(kr_decide(&t, odd, "eth"), &t.b[0]);
	ck_assert_ptr_eq(kr_decide(&t, odd, "eth11"), &t.b[0]);
	ck_assert_ptr_eq(kr_decide(&t, odd, "ETH1"), &t.b[0]);
	/* the first on the interface when it has two of that parity */
	add_binding(&t, "eth1", 5, 1, 0);
	ck_assert_ptr_eq(kr_decide(&t, odd, "eth1"), &t.b[2]);
}
END_TEST

START_TEST(no_interface_means_the_first_binding_of_the_parity)
{
	struct kr_table t;

	memset(&t, 0, sizeof(t));
	t.known = true;
	add_binding(&t, "eth1", 2, 0, 1);
	add_binding(&t, "eth0", 1, 1, 0);
	add_binding(&t, "eth1", 3, 1, 1);
	ck_assert_ptr_eq(kr_decide(&t, odd, NULL), &t.b[1]);
	ck_assert_ptr_eq(kr_decide(&t, odd, ""), &t.b[1]);
	ck_assert(!kr_answers(&t, odd, NULL));
	ck_assert(!kr_answers(&t, odd, ""));
	ck_assert_ptr_eq(kr_decide(&t, even, NULL), &t.b[0]);
	ck_assert(kr_answers(&t, even, ""));
	/* a binding with no interface name is not one on "" */
	t.b[2].ifname[0] = '\0';
	ck_assert_ptr_eq(kr_decide(&t, odd, ""), &t.b[1]);
	ck_assert(!kr_answers(&t, odd, ""));
}
END_TEST

START_TEST(bindings_past_kr_max_are_never_read)
{
	/* on the heap, exactly its size: ASan sees a read past b[] */
	struct kr_table *t = calloc(1, sizeof(*t));
	size_t i;

	ck_assert_ptr_nonnull(t);
	t->known = true;
	for (i = 0; i < KR_MAX; i++)
		add_binding(t, "eth0", (uint32_t)i + 1, 0, 0);
	/* the last binding kept decides */
	t->b[KR_MAX - 1].odd = true;
	t->b[KR_MAX - 1].master = true;
	strcpy(t->b[KR_MAX - 1].ifname, "eth7");
	ck_assert_ptr_eq(kr_decide(t, odd, "eth0"), &t->b[KR_MAX - 1]);
	ck_assert(kr_answers(t, odd, "eth0"));
	/* a count past the array */
	t->n = KR_MAX + 10;
	ck_assert_ptr_eq(kr_decide(t, odd, "eth9"), &t->b[KR_MAX - 1]);
	t->b[KR_MAX - 1].odd = false;
	ck_assert_ptr_null(kr_decide(t, odd, "eth0"));
	ck_assert(kr_answers(t, odd, "eth0"));
	ck_assert(!kr_answers(t, even, "eth0"));
	free(t);
}
END_TEST

/* A lease written before the binding became master from the peer's whole
 * table is not Kea's record; one of the takeover's second or later is, and
 * every lease is when there was no such takeover. */
START_TEST(a_lease_before_a_whole_takeover_is_not_keas)
{
	struct kr_binding b = {.odd = true, .master = true};

	ck_assert(kr_lease_keas(&b, 0));
	ck_assert(kr_lease_keas(&b, 1700000000));
	b.restored_at_ms = 1700000000500ULL; /* 0.5 s into that second */
	ck_assert(!kr_lease_keas(&b, 1699999999));
	ck_assert(!kr_lease_keas(&b, 0));
	ck_assert(kr_lease_keas(&b, 1700000000)); /* the same second: maybe after */
	ck_assert(kr_lease_keas(&b, 1700000001));
	b.restored_at_ms = 1700000000000ULL;
	ck_assert(!kr_lease_keas(&b, 1699999999));
	ck_assert(kr_lease_keas(&b, 1700000000));
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    nobody_is_answered_before_the_roles_are_known,
	    a_parity_no_binding_decides_is_answered,
	    master_or_backup_per_parity,
	    any_master_needs_known_roles_and_one_master_binding,
	    a_binding_on_the_packet_s_interface_is_preferred,
	    no_interface_means_the_first_binding_of_the_parity,
	    bindings_past_kr_max_are_never_read,
	    a_lease_before_a_whole_takeover_is_not_keas,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("kea_role", &core, 1);
}
