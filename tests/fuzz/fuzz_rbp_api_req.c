/*
 * libFuzzer target: a UserRequest as a service sends it to rbpd's user
 * API. The bytes are unpacked as rbpd unpacks them; every change of what
 * unpacks goes through rbp_api_change_check(), and a change it passes
 * must hold exactly what the later, stateful checks take for granted
 * (a 6-byte MAC, a key of 1..255 bytes, a payload of at most 65000, an
 * interface name that fits, neither ARP nor ND). A refusal must be one
 * of the fixed reasons (a non-empty static string).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rbpd/rbp_api_req.h"
#include "rbpd/rbp_rec.h"
#include "rbpd/user_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Db__UserRequest *req = db__user_request__unpack(NULL, size, data);

	if (req == NULL)
		return 0;
	for (size_t i = 0; i < req->n_changes && i < RBP_API_MAX_CHANGES; i++) {
		const Db__UserChange *c = req->changes[i];
		const char *why = rbp_api_change_check(c);
		char ifname[RBP_IFNAME_MAX + 1];

		if (why != NULL) {
			if (why[0] == '\0')
				abort();
			continue;
		}
		if (c->mac.len != 6 || c->key.len < 1 || c->key.len > USER_KEY_MAX ||
		    c->payload.len > RBP_REC_DATA_MAX || c->ifname == NULL ||
		    c->type == DB__RBS_SERVICE_TYPE__RBS_SVC_ARP ||
		    c->type == DB__RBS_SERVICE_TYPE__RBS_SVC_ND || (unsigned)c->type >= UT_SVC_COUNT)
			abort();
		/* what rbpd does with it next: copy the name into a fixed buffer */
		memcpy(ifname, c->ifname, strlen(c->ifname) + 1);
		(void)ifname;
	}
	db__user_request__free_unpacked(req, NULL);
	return 0;
}
