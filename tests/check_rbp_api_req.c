/* The user API's stateless checks: each malformed field refused with its
 * reason, a well-formed change passed on. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "rbpd/rbp_api_req.h"
#include "tests/lib/checkrun.h"

static uint8_t mac[6] = {2, 0, 0, 0, 0, 1}, key[256], payload[65001];

static Db__UserChange good(void)
{
	Db__UserChange c = DB__USER_CHANGE__INIT;

	c.op = DB__USER_OP__USER_OP_ADD;
	c.type = DB__RBS_SERVICE_TYPE__RBS_SVC_DHCP_SERVER;
	c.mac.data = mac;
	c.mac.len = 6;
	c.ifname = "eth1";
	c.key.data = key;
	c.key.len = 4;
	c.payload.data = payload;
	c.payload.len = 10;
	return c;
}

START_TEST(well_formed_passes)
{
	Db__UserChange c = good();

	ck_assert_ptr_null(rbp_api_change_check(&c));
	c.op = DB__USER_OP__USER_OP_DELETE;
	c.key.len = 255;
	c.payload.len = 65000;
	c.ifname = "abcdefghijklmno"; /* 15 */
	ck_assert_ptr_null(rbp_api_change_check(&c));
}
END_TEST

#define REFUSED(field, value, reason)                                                              \
	do {                                                                                       \
		Db__UserChange c = good();                                                         \
		c.field = value;                                                                   \
		ck_assert_str_eq(rbp_api_change_check(&c), reason);                                \
	} while (0)

START_TEST(each_bad_field_refused_with_its_reason)
{
	REFUSED(op, (Db__UserOp)7, "the operation is neither add nor delete");
	REFUSED(type, (Db__RbsServiceType)99, "unknown service type");
	REFUSED(type, DB__RBS_SERVICE_TYPE__RBS_SVC_ARP,
		"arp and nd users are learned from the kernel, not through the API");
	REFUSED(type, DB__RBS_SERVICE_TYPE__RBS_SVC_ND,
		"arp and nd users are learned from the kernel, not through the API");
	REFUSED(mac.len, 5, "the MAC must be 6 bytes");
	REFUSED(mac.len, 0, "the MAC must be 6 bytes");
	REFUSED(key.len, 0, "the key must have 1 to 255 bytes");
	REFUSED(key.len, 256, "the key must have 1 to 255 bytes");
	REFUSED(payload.len, 65001, "the payload is longer than 65000 bytes");
	REFUSED(ifname, NULL, "the interface name must have 1 to 15 characters");
	REFUSED(ifname, "", "the interface name must have 1 to 15 characters");
	REFUSED(ifname, "abcdefghijklmnop", "the interface name must have 1 to 15 characters");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    well_formed_passes,
	    each_bad_field_refused_with_its_reason,
	    NULL,
	};
	const struct checkrun_case core = {.tests = tests};

	return checkrun("rbp_api_req", &core, 1);
}
