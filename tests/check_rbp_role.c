/* Roles per user: the last bit of a MAC picks the binding of the profile,
 * that group's state gives the role, a profile without a binding for a
 * parity says so, and MACs are read in the three forms operators type and
 * written in VRP's. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rbpd/rbp_role.h"
#include "tests/lib/checkrun.h"

static const uint8_t odd_mac[6] = {0x00, 0xe0, 0xfc, 0x12, 0x34, 0x57};
static const uint8_t even_mac[6] = {0x00, 0xe0, 0xfc, 0x12, 0x34, 0x56};

START_TEST(the_last_bit_of_the_last_byte_is_the_parity)
{
	uint8_t mac[6] = {0};
	int b;

	ck_assert_int_eq(rbp_mac_parity(odd_mac), RBP_PARITY_ODD);
	ck_assert_int_eq(rbp_mac_parity(even_mac), RBP_PARITY_EVEN);
	for (b = 0; b < 256; b++) {
		mac[5] = (uint8_t)b;
		ck_assert_int_eq(rbp_mac_parity(mac), b % 2 ? RBP_PARITY_ODD : RBP_PARITY_EVEN);
	}
	/* the other bytes, the group bit of the first one included, do not count */
	memset(mac, 0xff, 5);
	mac[5] = 0x10;
	ck_assert_int_eq(rbp_mac_parity(mac), RBP_PARITY_EVEN);
	mac[0] = 0x01;
	mac[5] = 0x11;
	ck_assert_int_eq(rbp_mac_parity(mac), RBP_PARITY_ODD);
}
END_TEST

/* Active-active: group 1 odd-mac, group 2 even-mac, in either order of
 * configuration. */
START_TEST(two_bindings_share_the_users_by_parity)
{
	struct rbp_binding b[2] = {
	    {1, "eth1", RBP_PARITY_ODD, RBP_GROUP_MASTER},
	    {2, "eth1", RBP_PARITY_EVEN, RBP_GROUP_BACKUP},
	};
	struct rbp_binding swapped[2] = {b[1], b[0]};
	enum rbp_role role;

	ck_assert_int_eq(rbp_role_binding(b, 2, odd_mac), 0);
	ck_assert_int_eq(rbp_role_binding(b, 2, even_mac), 1);
	ck_assert_int_eq(rbp_role_binding(swapped, 2, odd_mac), 1);
	ck_assert_int_eq(rbp_role_binding(swapped, 2, even_mac), 0);

	ck_assert_int_eq(rbp_role_for_user(b, 2, odd_mac, &role), 0);
	ck_assert_int_eq(role, RBP_ROLE_MASTER);
	ck_assert_int_eq(rbp_role_for_user(b, 2, even_mac, &role), 0);
	ck_assert_int_eq(role, RBP_ROLE_BACKUP);

	/* the peer sees the mirror image */
	b[0].state = RBP_GROUP_BACKUP;
	b[1].state = RBP_GROUP_MASTER;
	ck_assert_int_eq(rbp_role_for_user(b, 2, odd_mac, &role), 0);
	ck_assert_int_eq(role, RBP_ROLE_BACKUP);
	ck_assert_int_eq(rbp_role_for_user(b, 2, even_mac, &role), 0);
	ck_assert_int_eq(role, RBP_ROLE_MASTER);
}
END_TEST

START_TEST(only_master_makes_this_device_master_for_a_user)
{
	struct rbp_binding b = {1, "eth1", RBP_PARITY_EVEN, RBP_GROUP_INIT};
	enum rbp_role role = RBP_ROLE_MASTER;

	ck_assert_int_eq(rbp_role_of_state(RBP_GROUP_MASTER), RBP_ROLE_MASTER);
	ck_assert_int_eq(rbp_role_of_state(RBP_GROUP_BACKUP), RBP_ROLE_BACKUP);
	ck_assert_int_eq(rbp_role_of_state(RBP_GROUP_INIT), RBP_ROLE_BACKUP);
	ck_assert_int_eq(rbp_role_of_state((enum rbp_group_state)42), RBP_ROLE_BACKUP);
	ck_assert_int_eq(rbp_role_for_user(&b, 1, even_mac, &role), 0);
	ck_assert_int_eq(role, RBP_ROLE_BACKUP);
	b.state = RBP_GROUP_MASTER;
	ck_assert_int_eq(rbp_role_for_user(&b, 1, even_mac, &role), 0);
	ck_assert_int_eq(role, RBP_ROLE_MASTER);
}
END_TEST

START_TEST(a_profile_with_one_binding_decides_nothing_for_the_other_parity)
{
	struct rbp_binding odd_only = {1, "eth1", RBP_PARITY_ODD, RBP_GROUP_MASTER};
	struct rbp_binding even_only = {2, "eth2", RBP_PARITY_EVEN, RBP_GROUP_MASTER};
	enum rbp_role role = RBP_ROLE_MASTER;

	ck_assert_int_eq(rbp_role_binding(&odd_only, 1, odd_mac), 0);
	ck_assert_int_eq(rbp_role_binding(&odd_only, 1, even_mac), -ENOENT);
	ck_assert_int_eq(rbp_role_binding(&even_only, 1, odd_mac), -ENOENT);
	ck_assert_int_eq(rbp_role_binding(&even_only, 1, even_mac), 0);
	/* not "backup": *role is left alone */
	role = (enum rbp_role)77;
	ck_assert_int_eq(rbp_role_for_user(&odd_only, 1, even_mac, &role), -ENOENT);
	ck_assert_int_eq(role, 77);
	/* no binding at all */
	ck_assert_int_eq(rbp_role_binding(NULL, 0, odd_mac), -ENOENT);
	ck_assert_int_eq(rbp_role_for_user(NULL, 0, even_mac, &role), -ENOENT);
}
END_TEST

START_TEST(bindings_that_cannot_decide_are_refused)
{
	struct rbp_binding two_odd[2] = {
	    {1, "eth1", RBP_PARITY_ODD, RBP_GROUP_MASTER},
	    {2, "eth1", RBP_PARITY_ODD, RBP_GROUP_BACKUP},
	};
	struct rbp_binding bad = {1, "eth1", (enum rbp_parity)2, RBP_GROUP_MASTER};
	enum rbp_role role;

	ck_assert_int_eq(rbp_role_binding(two_odd, 2, odd_mac), -EINVAL);
	ck_assert_int_eq(rbp_role_for_user(two_odd, 2, odd_mac, &role), -EINVAL);
	ck_assert_int_eq(rbp_role_binding(&bad, 1, odd_mac), -EINVAL);
	ck_assert_int_eq(rbp_role_binding(NULL, 1, odd_mac), -EINVAL);
}
END_TEST

START_TEST(macs_are_read_in_three_forms)
{
	static const char *const forms[] = {
	    "00e0-fc12-3457", "00:e0:fc:12:34:57", "00-e0-fc-12-34-57",
	    "00E0-FC12-3457", "00:E0:Fc:12:34:57",
	};
	uint8_t mac[6];
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		memset(mac, 0xaa, sizeof(mac));
		ck_assert_msg(mac_parse(forms[i], mac) == 0, "%s refused", forms[i]);
		ck_assert_mem_eq(mac, odd_mac, 6);
	}
	ck_assert_int_eq(mac_parse("ffff-ffff-ffff", mac), 0);
	ck_assert_mem_eq(mac, "\xff\xff\xff\xff\xff\xff", 6);
	ck_assert_int_eq(mac_parse("00:00:00:00:00:00", mac), 0);
	ck_assert_mem_eq(mac, "\0\0\0\0\0\0", 6);
}
END_TEST

START_TEST(malformed_macs_are_refused_and_leave_the_output_alone)
{
	static const char *const bad[] = {
	    "",
	    "00e0-fc12-345",	    /* short */
	    "00e0-fc12-34567",	    /* long */
	    "00e0-fc12-345g",	    /* not hex */
	    "00e0.fc12.3456",	    /* Cisco's dots */
	    "00e0:fc12:3456",	    /* VRP groups with colons */
	    "00e0-fc12-3456 ",	    /* trailing space */
	    " 00e0-fc12-3456",	    /* leading space */
	    "00e0fc123456",	    /* no separators */
	    "00:e0:fc:12:34",	    /* five bytes */
	    "00:e0:fc:12:34:56:78", /* seven */
	    "00:e0-fc:12:34:56",    /* mixed separators */
	    "00-e0-fc-12-34:56",    /* mixed at the end */
	    "0:e0:fc:12:34:567",    /* misplaced separator, right length */
	    "00:e0:fc:12:34:5g",    /* not hex at the end */
	    "00_e0_fc_12_34_56",    /* another separator */
	    "+0:e0:fc:12:34:56",    /* a sign is no digit */
	};
	uint8_t mac[6];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(mac, 0xaa, sizeof(mac));
		ck_assert_msg(mac_parse(bad[i], mac) == -EINVAL, "\"%s\" accepted", bad[i]);
		ck_assert_mem_eq(mac, "\xaa\xaa\xaa\xaa\xaa\xaa", 6);
	}
	ck_assert_int_eq(mac_parse(NULL, mac), -EINVAL);
}
END_TEST

START_TEST(macs_are_written_in_vrp_form_and_read_back)
{
	char buf[MAC_STRLEN];
	uint8_t mac[6], back[6];
	int i, j;

	ck_assert_str_eq(mac_format(even_mac, buf), "00e0-fc12-3456");
	ck_assert_ptr_eq(mac_format(even_mac, buf), buf);
	ck_assert_str_eq(mac_format((const uint8_t *)"\xff\xff\xff\xff\xff\xff", buf),
			 "ffff-ffff-ffff");
	ck_assert_uint_eq(strlen(buf), MAC_STRLEN - 1);
	for (i = 0; i < 256; i++) {
		for (j = 0; j < 6; j++)
			mac[j] = (uint8_t)(i * 37 + j * 101);
		ck_assert_int_eq(mac_parse(mac_format(mac, buf), back), 0);
		ck_assert_mem_eq(back, mac, 6);
	}
}
END_TEST

START_TEST(group_states_are_read_as_vrrpd_publishes_them)
{
	enum rbp_group_state s = RBP_GROUP_BACKUP;

	ck_assert_int_eq(rbp_group_state_of(DB__VRRP_STATE__VRRP_STATE_INITIALIZE, &s), 0);
	ck_assert_int_eq(s, RBP_GROUP_INIT);
	ck_assert_int_eq(rbp_group_state_of(DB__VRRP_STATE__VRRP_STATE_BACKUP, &s), 0);
	ck_assert_int_eq(s, RBP_GROUP_BACKUP);
	ck_assert_int_eq(rbp_group_state_of(DB__VRRP_STATE__VRRP_STATE_MASTER, &s), 0);
	ck_assert_int_eq(s, RBP_GROUP_MASTER);
	/* not said, or a state a later vrrpd might add: refused, nothing changed */
	ck_assert_int_eq(rbp_group_state_of(DB__VRRP_STATE__VRRP_STATE_NONE, &s), -EINVAL);
	ck_assert_int_eq(rbp_group_state_of((Db__VrrpState)7, &s), -EINVAL);
	ck_assert_int_eq(s, RBP_GROUP_MASTER);
	ck_assert_str_eq(rbp_role_str(RBP_ROLE_MASTER), "master");
	ck_assert_str_eq(rbp_role_str(RBP_ROLE_BACKUP), "backup");
	ck_assert_str_eq(rbp_role_str((enum rbp_role)5), "unknown");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    the_last_bit_of_the_last_byte_is_the_parity,
	    two_bindings_share_the_users_by_parity,
	    only_master_makes_this_device_master_for_a_user,
	    a_profile_with_one_binding_decides_nothing_for_the_other_parity,
	    bindings_that_cannot_decide_are_refused,
	    macs_are_read_in_three_forms,
	    malformed_macs_are_refused_and_leave_the_output_alone,
	    macs_are_written_in_vrp_form_and_read_back,
	    group_states_are_read_as_vrrpd_publishes_them,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbp_role", &core, 1);
}
