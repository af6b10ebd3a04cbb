/* The user record rbpd stores and sends: what is encoded decodes to the
 * same user, the peer's malformed bytes are refused, and neighbour keys
 * keep the address and the interface apart. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rbpd/rbp_rec.h"
#include "tests/lib/checkrun.h"

static const uint8_t mac[6] = {0x00, 0xe0, 0xfc, 0x12, 0x34, 0x57};

START_TEST(a_record_decodes_to_the_user_it_was_made_from)
{
	struct rbp_user u = {
	    .backup_id = 0x01020304, .data = (const uint8_t *)"lease", .data_len = 5};
	struct rbp_user d;
	uint8_t buf[64];
	int n;

	memcpy(u.mac, mac, 6);
	strcpy(u.ifname, "eth1.100");
	n = rbp_rec_encode(&u, buf, sizeof(buf));
	ck_assert_int_eq(n, 12 + 8 + 5);
	ck_assert_uint_eq(rbp_rec_len(&u), (size_t)n);
	/* the documented layout */
	ck_assert_uint_eq(buf[0], RBP_REC_FORMAT);
	ck_assert_mem_eq(buf + 1, "\x01\x02\x03\x04", 4);
	ck_assert_mem_eq(buf + 5, mac, 6);
	ck_assert_uint_eq(buf[11], 8);
	ck_assert_mem_eq(buf + 12, "eth1.100lease", 13);

	ck_assert_int_eq(rbp_rec_decode(buf, (size_t)n, &d), 0);
	ck_assert_uint_eq(d.backup_id, 0x01020304);
	ck_assert_mem_eq(d.mac, mac, 6);
	ck_assert_str_eq(d.ifname, "eth1.100");
	ck_assert_uint_eq(d.data_len, 5);
	ck_assert_mem_eq(d.data, "lease", 5);

	/* no payload at all (ARP, ND) */
	u.data = NULL;
	u.data_len = 0;
	n = rbp_rec_encode(&u, buf, sizeof(buf));
	ck_assert_int_eq(rbp_rec_decode(buf, (size_t)n, &d), 0);
	ck_assert_uint_eq(d.data_len, 0);
	ck_assert_ptr_null(d.data);
}
END_TEST

START_TEST(bad_users_are_not_encoded)
{
	struct rbp_user u = {.backup_id = 1};
	uint8_t buf[64];

	memcpy(u.mac, mac, 6);
	ck_assert_int_eq(rbp_rec_encode(&u, buf, sizeof(buf)), -EINVAL); /* no interface */
	strcpy(u.ifname, "eth 1");
	ck_assert_int_eq(rbp_rec_encode(&u, buf, sizeof(buf)), -EINVAL);
	strcpy(u.ifname, "eth1");
	u.data_len = RBP_REC_DATA_MAX + 1;
	u.data = calloc(1, u.data_len);
	ck_assert_int_eq(rbp_rec_encode(&u, buf, sizeof(buf)), -EINVAL);
	free((void *)u.data);
	u.data = (const uint8_t *)"0123456789012345678901234567890123456789012345678901234567890";
	u.data_len = 61;
	ck_assert_int_eq(rbp_rec_encode(&u, buf, sizeof(buf)), -ENOSPC);
}
END_TEST

START_TEST(malformed_records_from_the_peer_are_refused)
{
	struct rbp_user u = {.backup_id = 7}, d;
	uint8_t buf[64], bad[64];
	int n, i;

	memcpy(u.mac, mac, 6);
	strcpy(u.ifname, "eth1");
	n = rbp_rec_encode(&u, buf, sizeof(buf));
	/* every truncation */
	for (i = 0; i < n; i++)
		ck_assert_int_eq(rbp_rec_decode(buf, (size_t)i, &d), -EINVAL);
	ck_assert_int_eq(rbp_rec_decode(NULL, 10, &d), -EINVAL);
	/* another format */
	memcpy(bad, buf, (size_t)n);
	bad[0] = 2;
	ck_assert_int_eq(rbp_rec_decode(bad, (size_t)n, &d), -EINVAL);
	/* interface name length 0, 16, longer than what follows */
	memcpy(bad, buf, (size_t)n);
	bad[11] = 0;
	ck_assert_int_eq(rbp_rec_decode(bad, (size_t)n, &d), -EINVAL);
	bad[11] = 16;
	ck_assert_int_eq(rbp_rec_decode(bad, sizeof(bad), &d), -EINVAL);
	bad[11] = 5;
	ck_assert_int_eq(rbp_rec_decode(bad, 16, &d), -EINVAL);
	/* a name with a NUL, a slash, a control character */
	memcpy(bad, buf, (size_t)n);
	bad[13] = 0;
	ck_assert_int_eq(rbp_rec_decode(bad, (size_t)n, &d), -EINVAL);
	bad[13] = '/';
	ck_assert_int_eq(rbp_rec_decode(bad, (size_t)n, &d), -EINVAL);
	bad[13] = '\n';
	ck_assert_int_eq(rbp_rec_decode(bad, (size_t)n, &d), -EINVAL);
}
END_TEST

START_TEST(neighbour_keys_hold_address_and_interface)
{
	static const uint8_t a4[4] = {192, 0, 2, 7};
	static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};
	uint8_t k1[32], k2[32], addr[16];
	char ifname[RBP_IFNAME_MAX + 1];
	int n1, n2;

	n1 = rbp_rec_neigh_key(AF_INET, a4, "eth1", k1);
	ck_assert_int_eq(n1, 8);
	ck_assert_int_eq(rbp_rec_neigh_key_parse(AF_INET, k1, (size_t)n1, addr, ifname), 0);
	ck_assert_mem_eq(addr, a4, 4);
	ck_assert_str_eq(ifname, "eth1");
	/* the same address on another interface is another key */
	n2 = rbp_rec_neigh_key(AF_INET, a4, "eth2", k2);
	ck_assert_int_eq(n1, n2);
	ck_assert_int_ne(memcmp(k1, k2, (size_t)n1), 0);

	n1 = rbp_rec_neigh_key(AF_INET6, a6, "vlanif10", k1);
	ck_assert_int_eq(n1, 24);
	ck_assert_int_eq(rbp_rec_neigh_key_parse(AF_INET6, k1, (size_t)n1, addr, ifname), 0);
	ck_assert_mem_eq(addr, a6, 16);
	ck_assert_str_eq(ifname, "vlanif10");

	/* refused: other families, no interface, too long, the wrong family's key */
	ck_assert_int_eq(rbp_rec_neigh_key(AF_UNIX, a4, "eth1", k1), -EINVAL);
	ck_assert_int_eq(rbp_rec_neigh_key(AF_INET, a4, "", k1), -EINVAL);
	ck_assert_int_eq(rbp_rec_neigh_key(AF_INET, a4, "0123456789abcdef", k1), -EINVAL);
	ck_assert_int_eq(rbp_rec_neigh_key_parse(AF_INET6, k2, 8, addr, ifname), -EINVAL);
	ck_assert_int_eq(rbp_rec_neigh_key_parse(AF_INET, k2, 4, addr, ifname), -EINVAL);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    a_record_decodes_to_the_user_it_was_made_from,
	    bad_users_are_not_encoded,
	    malformed_records_from_the_peer_are_refused,
	    neighbour_keys_hold_address_and_interface,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbp_rec", &core, 1);
}
