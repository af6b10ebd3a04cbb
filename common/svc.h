/*
 * The service types' words, in one place for the daemons, the CLI's
 * tools and the client library: the values of proto/rbs.proto's
 * RbsServiceType (rbpd's enum ut_svc mirrors them), and the words of
 * `batch-backup service-type ...`, of displays and of dbuser. Pure.
 */
#ifndef DB_SVC_H
#define DB_SVC_H

/* RbsServiceType's values (svc.c checks them against proto/rbs.proto). */
enum svc_type {
	SVC_ARP = 0,
	SVC_ND = 1,
	SVC_DHCP_SERVER = 2,
	SVC_DHCPV6_RELAY = 3,
	SVC_BRAS = 4,
	SVC_L2TP = 5,
	SVC_IPSEC = 6,
	SVC_COUNT
};

/* The word of a type ("arp", "nd", "dhcp-server", "dhcpv6-relay", "bras",
 * "l2tp", "ipsec"); "unknown" for any other value. A static string. */
const char *svc_word(int type);

/* The type of a word (case-insensitive), or -1 for none ("all" is none:
 * each caller says what it means by it). */
int svc_parse(const char *word);

#endif
