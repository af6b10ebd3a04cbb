/*
 * The user API's request checks that need no state (proto/user.proto):
 * what rbpd refuses in a service's UserChange before it looks at profiles
 * and roles. Pure: a change in, NULL or the reason out.
 */
#ifndef DB_RBP_API_REQ_H
#define DB_RBP_API_REQ_H

#include "user.pb-c.h"

/* Changes taken from one UserRequest; the rest are refused in one error. */
#define RBP_API_MAX_CHANGES 1024

/*
 * Check change c for what any rbpd would refuse: an operation other than
 * add or delete, an unknown service type, ARP or ND (learned from the
 * kernel), a MAC that is not 6 bytes, a key of 0 or more than USER_KEY_MAX
 * bytes, a payload over RBP_REC_DATA_MAX bytes, an interface name of 0 or
 * more than RBP_IFNAME_MAX characters (or none). Returns NULL when c may
 * go on to the profile and role checks, else the reason, a static string.
 */
const char *rbp_api_change_check(const Db__UserChange *c);

#endif
