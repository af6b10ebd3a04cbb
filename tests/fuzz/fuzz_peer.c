/*
 * libFuzzer target: the peer address libzmq hands the ZAP handler for an
 * ipc connection ("localhost:UID:GID:PID"), and the admission decision
 * on what was parsed, for each of our ZAP domains and a foreign one.
 */
#include <stdint.h>
#include <string.h>

#include "common/peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer_policy pol = {.self = 998, .has_svc = true, .svc_uid = 999};
	struct peer_cred c;
	static const char *domains[] = {PEER_DOMAIN_DAEMON, PEER_DOMAIN_CLIENT, "other"};

	if (peer_parse_address((const char *)data, size, &c) == 0) {
		for (int m = 0; m < 2; m++) {
			enum peer_class cls = peer_classify(&pol, c.uid, m);

			for (int i = 0; i < 3; i++)
				(void)peer_admits(domains[i], strlen(domains[i]), cls);
		}
	}
	return 0;
}
