/*
 * Which DHCP clients this device's Kea answers: those whose MAC parity a
 * binding this device is master for decides (rbpd's roles, proto/user.proto
 * UserRoles). Pure: the hook's worker fills the table, Kea's packet
 * callouts ask it (under the worker's lock).
 *
 * Decisions:
 *  - Until rbpd has told the roles once, nobody is answered: a Kea that
 *    starts beside a running master must not hand out the master's
 *    addresses. rbpd publishes the roles every second.
 *  - A binding decides a client when it has the client's MAC parity; one on
 *    the interface the packet came in on is preferred (two profiles on two
 *    interfaces may bind the same parity to different groups), else the
 *    first of that parity (a relayed packet comes in elsewhere).
 *  - A parity no binding decides is answered: no profile covers those
 *    clients, so this device serves them alone.
 */
#ifndef DB_KEA_ROLE_H
#define DB_KEA_ROLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KR_MAX 64 /* bindings kept; the rest are ignored */
#define KR_IFNAME_MAX 15

struct kr_binding {
	char ifname[KR_IFNAME_MAX + 1];
	uint32_t vrid;
	bool odd;    /* decides the clients whose MAC is odd */
	bool master; /* this device is master for them */
};

struct kr_table {
	bool known; /* a set of roles has arrived */
	size_t n;
	struct kr_binding b[KR_MAX];
};

/* The binding that decides the client with this MAC coming in on iface
 * (NULL or "": any interface), or NULL when no binding has its parity. */
const struct kr_binding *kr_decide(const struct kr_table *t, const uint8_t mac[6],
				   const char *iface);

/* Whether Kea answers the client: false until the roles are known; true
 * when no binding decides it; else whether this device is its master. */
bool kr_answers(const struct kr_table *t, const uint8_t mac[6], const char *iface);

/* Whether the roles are known and this device is master of a binding:
 * then rbpd takes leases from this Kea (the worker's catch-up). */
bool kr_any_master(const struct kr_table *t);

#endif
