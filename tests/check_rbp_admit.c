/* What the peer may put into the kernel (rbp_admit.h): only its users on
 * the profile's interfaces, on a connected prefix, with unicast
 * addresses and MACs, and never over an entry this platform did not
 * install. */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rbpd/rbp_admit.h"
#include "tests/lib/checkrun.h"

static const char ifaces[3][RBP_IFNAME_MAX + 1] = {"eth1", "eth3", "eth1.100"};

static struct rbp_user user(const char *ifname, const char *mac)
{
	struct rbp_user u = {.backup_id = 1};

	ck_assert_int_eq(mac_parse(mac, u.mac), 0);
	strcpy(u.ifname, ifname);
	return u;
}

static const uint8_t *a4(const char *s)
{
	static uint8_t b[4][16];
	static int i;

	i = (i + 1) % 4;
	memset(b[i], 0, 16);
	ck_assert_int_eq(inet_pton(AF_INET, s, b[i]), 1);
	return b[i];
}

static const uint8_t *a6(const char *s)
{
	static uint8_t b[4][16];
	static int i;

	i = (i + 1) % 4;
	ck_assert_int_eq(inet_pton(AF_INET6, s, b[i]), 1);
	return b[i];
}

static struct rbp_prefix pfx(int family, const char *addr, unsigned len)
{
	struct rbp_prefix p = {.family = family, .len = (uint8_t)len};

	ck_assert_int_eq(inet_pton(family, addr, p.addr), 1);
	return p;
}

START_TEST(a_user_of_the_profile_on_its_interface_is_admitted)
{
	struct rbp_user u = user("eth1", "02db-0000-0001");

	ck_assert_int_eq(rbp_admit_record(AF_INET, a4("192.0.2.20"), "eth1", &u, ifaces, 3),
			 RBP_ADMIT_OK);
	u = user("eth1.100", "00e0-fc12-3456");
	ck_assert_int_eq(rbp_admit_record(AF_INET6, a6("2001:db8::20"), "eth1.100", &u, ifaces, 3),
			 RBP_ADMIT_OK);
	/* link-local neighbours are users too */
	ck_assert_int_eq(rbp_admit_record(AF_INET6, a6("fe80::1"), "eth1.100", &u, ifaces, 3),
			 RBP_ADMIT_OK);
}
END_TEST

START_TEST(a_backup_id_no_profile_has_is_refused)
{
	struct rbp_user u = user("eth1", "02db-0000-0001");

	ck_assert_int_eq(rbp_admit_record(AF_INET, a4("192.0.2.20"), "eth1", &u, NULL, 0),
			 RBP_ADMIT_NO_PROFILE);
}
END_TEST

START_TEST(an_interface_outside_the_profile_is_refused)
{
	/* the uplink: the host's gateway, or the RBS peer itself */
	struct rbp_user u = user("eth2", "02db-0000-0001");

	ck_assert_int_eq(rbp_admit_record(AF_INET, a4("198.51.100.1"), "eth2", &u, ifaces, 3),
			 RBP_ADMIT_IFACE_OUTSIDE);
	/* a prefix of a profile interface's name is another interface */
	u = user("eth", "02db-0000-0001");
	ck_assert_int_eq(rbp_admit_record(AF_INET, a4("192.0.2.20"), "eth", &u, ifaces, 3),
			 RBP_ADMIT_IFACE_OUTSIDE);
	ck_assert_int_eq(rbp_admit_record(AF_INET, a4("192.0.2.20"), "eth1", &u, ifaces, 0),
			 RBP_ADMIT_IFNAME_MISMATCH);
	u = user("eth1", "02db-0000-0001");
	ck_assert_int_eq(rbp_admit_record(AF_INET, a4("192.0.2.20"), "eth1", &u, ifaces, 0),
			 RBP_ADMIT_IFACE_OUTSIDE);
}
END_TEST

START_TEST(a_key_on_another_interface_than_its_record_is_refused)
{
	/* the record names the profile's interface, the key the uplink */
	struct rbp_user u = user("eth1", "02db-0000-0001");

	ck_assert_int_eq(rbp_admit_record(AF_INET, a4("198.51.100.1"), "eth2", &u, ifaces, 3),
			 RBP_ADMIT_IFNAME_MISMATCH);
	ck_assert_int_eq(rbp_admit_record(AF_INET, a4("192.0.2.20"), "eth3", &u, ifaces, 3),
			 RBP_ADMIT_IFNAME_MISMATCH);
}
END_TEST

START_TEST(addresses_that_are_not_unicast_are_refused)
{
	static const char *const bad4[] = {"0.0.0.0",	"0.1.2.3",   "127.0.0.1",      "224.0.0.18",
					   "239.1.2.3", "240.0.0.1", "255.255.255.255"};
	static const char *const bad6[] = {"::", "::1", "ff02::1", "ff02::1:ff00:1",
					   "::ffff:192.0.2.1"};
	struct rbp_user u = user("eth1", "02db-0000-0001");

	for (size_t i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++)
		ck_assert_msg(rbp_admit_record(AF_INET, a4(bad4[i]), "eth1", &u, ifaces, 3) ==
				  RBP_ADMIT_ADDR_NOT_UNICAST,
			      "%s", bad4[i]);
	for (size_t i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++)
		ck_assert_msg(rbp_admit_record(AF_INET6, a6(bad6[i]), "eth1", &u, ifaces, 3) ==
				  RBP_ADMIT_ADDR_NOT_UNICAST,
			      "%s", bad6[i]);
	ck_assert(rbp_admit_addr_unicast(AF_INET, a4("203.0.113.9")));
	ck_assert(rbp_admit_addr_unicast(AF_INET6, a6("2001:db8::9")));
	ck_assert(!rbp_admit_addr_unicast(AF_UNIX, a4("203.0.113.9")));
}
END_TEST

START_TEST(macs_that_are_not_unicast_are_refused)
{
	static const char *const bad[] = {"0100-5e00-0001", "ffff-ffff-ffff", "3333-0000-0001",
					  "0000-0000-0000", "0300-0000-0000"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rbp_user u = user("eth1", bad[i]);

		ck_assert_msg(rbp_admit_record(AF_INET, a4("192.0.2.20"), "eth1", &u, ifaces, 3) ==
				  RBP_ADMIT_MAC_NOT_UNICAST,
			      "%s", bad[i]);
	}
	ck_assert(rbp_admit_mac_unicast((const uint8_t *)"\x02\x00\x00\x00\x00\x00"));
	ck_assert(rbp_admit_mac_unicast((const uint8_t *)"\x00\x00\x00\x00\x00\x01"));
}
END_TEST

START_TEST(an_address_must_be_on_a_prefix_connected_on_the_interface)
{
	struct rbp_prefix p[] = {pfx(AF_INET, "192.0.2.2", 24), pfx(AF_INET6, "2001:db8::2", 64),
				 pfx(AF_INET6, "fe80::2", 64), pfx(AF_INET, "203.0.113.1", 32),
				 pfx(AF_INET, "198.51.100.1", 31)};
	size_t n = sizeof(p) / sizeof(p[0]);

	ck_assert_int_eq(rbp_admit_prefix(AF_INET, a4("192.0.2.20"), p, n), RBP_ADMIT_OK);
	ck_assert_int_eq(rbp_admit_prefix(AF_INET, a4("192.0.3.20"), p, n),
			 RBP_ADMIT_ADDR_OFF_SUBNET);
	ck_assert_int_eq(rbp_admit_prefix(AF_INET, a4("203.0.113.2"), p, n),
			 RBP_ADMIT_ADDR_OFF_SUBNET);
	ck_assert_int_eq(rbp_admit_prefix(AF_INET6, a6("2001:db8::1:20"), p, n), RBP_ADMIT_OK);
	ck_assert_int_eq(rbp_admit_prefix(AF_INET6, a6("2001:db8:1::20"), p, n),
			 RBP_ADMIT_ADDR_OFF_SUBNET);
	ck_assert_int_eq(rbp_admit_prefix(AF_INET6, a6("fe80::99"), p, n), RBP_ADMIT_OK);
	/* an IPv4 address does not match an IPv6 prefix of the same bytes */
	ck_assert_int_eq(rbp_admit_prefix(AF_INET, a4("32.1.13.184"), p, n),
			 RBP_ADMIT_ADDR_OFF_SUBNET);
	/* no prefix at all: nothing is connected */
	ck_assert_int_eq(rbp_admit_prefix(AF_INET, a4("192.0.2.20"), p, 0),
			 RBP_ADMIT_ADDR_OFF_SUBNET);
	/* odd lengths: /25 splits the last byte */
	p[0] = pfx(AF_INET, "192.0.2.129", 25);
	ck_assert_int_eq(rbp_admit_prefix(AF_INET, a4("192.0.2.200"), p, 1), RBP_ADMIT_OK);
	ck_assert_int_eq(rbp_admit_prefix(AF_INET, a4("192.0.2.100"), p, 1),
			 RBP_ADMIT_ADDR_OFF_SUBNET);
	/* the other end of a /31 is unicast */
	ck_assert_int_eq(rbp_admit_prefix(AF_INET, a4("198.51.100.0"), p + 4, 1), RBP_ADMIT_OK);
}
END_TEST

START_TEST(this_devices_own_and_broadcast_addresses_are_refused)
{
	struct rbp_prefix p[] = {pfx(AF_INET, "192.0.2.2", 24), pfx(AF_INET, "192.0.2.100", 32),
				 pfx(AF_INET6, "2001:db8::2", 64)};

	ck_assert_int_eq(rbp_admit_prefix(AF_INET, a4("192.0.2.2"), p, 3), RBP_ADMIT_ADDR_LOCAL);
	/* a virtual address held here, inside the wider prefix */
	ck_assert_int_eq(rbp_admit_prefix(AF_INET, a4("192.0.2.100"), p, 3), RBP_ADMIT_ADDR_LOCAL);
	ck_assert_int_eq(rbp_admit_prefix(AF_INET6, a6("2001:db8::2"), p, 3), RBP_ADMIT_ADDR_LOCAL);
	ck_assert_int_eq(rbp_admit_prefix(AF_INET, a4("192.0.2.255"), p, 3),
			 RBP_ADMIT_ADDR_NOT_UNICAST);
	ck_assert_int_eq(rbp_admit_prefix(AF_INET, a4("192.0.2.0"), p, 3),
			 RBP_ADMIT_ADDR_NOT_UNICAST);
	ck_assert_int_eq(rbp_admit_prefix(AF_UNIX, a4("192.0.2.0"), p, 3),
			 RBP_ADMIT_ADDR_NOT_UNICAST);
}
END_TEST

START_TEST(only_this_platforms_kernel_entries_are_replaced)
{
	struct rbp_neigh n = {.family = AF_INET, .state = NUD_REACHABLE};

	ck_assert_int_eq(rbp_admit_kernel(NULL), RBP_ADMIT_OK);
	/* learned */
	ck_assert_int_eq(rbp_admit_kernel(&n), RBP_ADMIT_KERNEL_NOT_OURS);
	n.state = NUD_STALE;
	ck_assert_int_eq(rbp_admit_kernel(&n), RBP_ADMIT_KERNEL_NOT_OURS);
	/* static, by hand or by another routing daemon */
	n.state = NUD_PERMANENT;
	ck_assert_int_eq(rbp_admit_kernel(&n), RBP_ADMIT_KERNEL_NOT_OURS);
	n.protocol = 4; /* RTPROT_STATIC */
	ck_assert_int_eq(rbp_admit_kernel(&n), RBP_ADMIT_KERNEL_NOT_OURS);
	/* ours: a backup install, or one restored at a takeover */
	n.protocol = RBP_NEIGH_PROTO;
	ck_assert_int_eq(rbp_admit_kernel(&n), RBP_ADMIT_OK);
	n.state = NUD_STALE;
	ck_assert_int_eq(rbp_admit_kernel(&n), RBP_ADMIT_OK);
}
END_TEST

START_TEST(every_reason_has_a_name)
{
	for (int r = 0; r < RBP_ADMIT_COUNT; r++)
		ck_assert_ptr_nonnull(strchr(rbp_admit_name((enum rbp_admit)r), r ? '-' : 'o'));
	ck_assert_str_eq(rbp_admit_name(RBP_ADMIT_COUNT), "?");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    a_user_of_the_profile_on_its_interface_is_admitted,
	    a_backup_id_no_profile_has_is_refused,
	    an_interface_outside_the_profile_is_refused,
	    a_key_on_another_interface_than_its_record_is_refused,
	    addresses_that_are_not_unicast_are_refused,
	    macs_that_are_not_unicast_are_refused,
	    an_address_must_be_on_a_prefix_connected_on_the_interface,
	    this_devices_own_and_broadcast_addresses_are_refused,
	    only_this_platforms_kernel_entries_are_replaced,
	    every_reason_has_a_name,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbp_admit", &core, 1);
}
