/* MAC addresses as operators write them (VRP's form and the usual two),
 * for the daemons, the CLI's tools and the client library. Pure. */
#ifndef DB_MAC_H
#define DB_MAC_H

#include <stdint.h>

#define MAC_LEN 6
/* Room for "00e0-fc12-3456" and its NUL. */
#define MAC_STRLEN 15

/*
 * Parses a MAC in VRP's form "00e0-fc12-3456", or "00:e0:fc:12:34:56", or
 * "00-e0-fc-12-34-56". Returns 0 with mac filled, or -EINVAL (mac
 * untouched).
 */
int mac_parse(const char *s, uint8_t mac[MAC_LEN]);

/* Writes mac in VRP's form ("00e0-fc12-3456") into buf, which has room for
 * MAC_STRLEN bytes; returns buf. */
char *mac_format(const uint8_t mac[MAC_LEN], char buf[MAC_STRLEN]);

#endif
