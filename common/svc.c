/* The service types' words: see svc.h. */
#include "common/svc.h"

#include <stddef.h>
#include <strings.h>

#include "rbs.pb-c.h"

static const char *const words[SVC_COUNT] = {
    [SVC_ARP] = "arp",
    [SVC_ND] = "nd",
    [SVC_DHCP_SERVER] = "dhcp-server",
    [SVC_DHCPV6_RELAY] = "dhcpv6-relay",
    [SVC_BRAS] = "bras",
    [SVC_L2TP] = "l2tp",
    [SVC_IPSEC] = "ipsec",
};

_Static_assert((int)SVC_ARP == (int)DB__RBS_SERVICE_TYPE__RBS_SVC_ARP &&
		   (int)SVC_ND == (int)DB__RBS_SERVICE_TYPE__RBS_SVC_ND &&
		   (int)SVC_DHCP_SERVER == (int)DB__RBS_SERVICE_TYPE__RBS_SVC_DHCP_SERVER &&
		   (int)SVC_DHCPV6_RELAY == (int)DB__RBS_SERVICE_TYPE__RBS_SVC_DHCPV6_RELAY &&
		   (int)SVC_BRAS == (int)DB__RBS_SERVICE_TYPE__RBS_SVC_BRAS &&
		   (int)SVC_L2TP == (int)DB__RBS_SERVICE_TYPE__RBS_SVC_L2TP &&
		   (int)SVC_IPSEC == (int)DB__RBS_SERVICE_TYPE__RBS_SVC_IPSEC,
	       "enum svc_type is RbsServiceType");
_Static_assert((int)DB__RBS_SERVICE_TYPE__RBS_SVC_IPSEC == (int)SVC_COUNT - 1,
	       "a service type was added to proto/rbs.proto: give it its word here");

const char *svc_word(int type)
{
	if (type < 0 || type >= SVC_COUNT)
		return "unknown";
	return words[type];
}

int svc_parse(const char *word)
{
	if (word == NULL)
		return -1;
	for (int i = 0; i < SVC_COUNT; i++)
		if (strcasecmp(word, words[i]) == 0)
			return i;
	return -1;
}
