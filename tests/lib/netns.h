/*
 * Network namespaces for unit suites that open sockets (tests/lib/, linked
 * into every suite with checkrun.c): a suite asks in main() whether it
 * may make one (else its cases are a skip the runner counts), and each
 * test unshares its own in check's forked child, where it goes with the
 * process.
 */
#ifndef DB_NETNS_H
#define DB_NETNS_H

#include <stdbool.h>

/* Whether this process may make a network namespace (root, or
 * CAP_SYS_ADMIN): tried in a child, so that this one stays where it is. */
bool netns_can_unshare(void);

/* Brings up lo of the current network namespace (down in a new one).
 * Returns 0 or a negative errno. */
int netns_lo_up(void);

#endif
