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
 *  - Whose record a lease is (kr_lease_keas()): when a binding became
 *    master here from a whole copy of the peer's users (restored_at_ms),
 *    rbpd holds every lease of its clients there is, and a lease in Kea
 *    last written before that takeover is a record of an earlier
 *    mastership: rbpd restored it if it still stands, and if rbpd did not,
 *    the client gave it up (or it expired) while the peer was master. Such
 *    a lease is never handed to rbpd from Kea (that would bring a released
 *    lease back on both devices) and is removed from Kea once the restore
 *    is known whole. A lease written since the takeover is Kea's own, and
 *    so is every lease of a binding master without such a takeover (rbpd
 *    restarted, or the peer never sent its users): then Kea's database is
 *    the only record, and the catch-up hands it all to rbpd.
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
	/* CLOCK_REALTIME ms of the takeover that made it master from a whole
	 * copy of the peer's users (rbpc_role.restored_at_ms), 0: none */
	uint64_t restored_at_ms;
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

/* Whether a lease of a client b decides, last written at cltt (seconds
 * since the epoch), is Kea's own record (see above): true unless b became
 * master from the peer's whole table after cltt's second. */
bool kr_lease_keas(const struct kr_binding *b, uint64_t cltt);

#endif
