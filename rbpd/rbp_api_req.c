/* The user API's stateless request checks: see rbp_api_req.h. */
#include "rbpd/rbp_api_req.h"

#include <string.h>

#include "rbpd/rbp_rec.h"
#include "rbpd/rbp_role.h"
#include "rbpd/user_table.h"

const char *rbp_api_change_check(const Db__UserChange *c)
{
	enum ut_svc type = (enum ut_svc)c->type;

	if (c->op != DB__USER_OP__USER_OP_ADD && c->op != DB__USER_OP__USER_OP_DELETE)
		return "the operation is neither add nor delete";
	if ((unsigned)type >= UT_SVC_COUNT)
		return "unknown service type";
	if (type == UT_SVC_ARP || type == UT_SVC_ND)
		return "arp and nd users are learned from the kernel, not through the API";
	if (c->mac.len != RBP_MAC_LEN || c->mac.data == NULL)
		return "the MAC must be 6 bytes";
	if (c->key.len < 1 || c->key.len > USER_KEY_MAX || c->key.data == NULL)
		return "the key must have 1 to 255 bytes";
	if (c->payload.len > RBP_REC_DATA_MAX)
		return "the payload is longer than 65000 bytes";
	if (c->ifname == NULL || strlen(c->ifname) < 1 || strlen(c->ifname) > RBP_IFNAME_MAX)
		return "the interface name must have 1 to 15 characters";
	return NULL;
}
