/*
 * The hook's worker: a thread of its own inside Kea that owns the
 * connection to rbpd (rbpclient/rbp_client.h), so that Kea's packet path only
 * queues and never waits for rbpd.
 *
 *  - Lease events (kw_event(): the lease as Kea's JSON) are queued; the
 *    worker hands each lease of a client this device is master for to rbpd
 *    as a `dhcp-server` user (kea_lease.h's payload), and skips the others.
 *  - Restored users (this device became master for them) are written into
 *    this Kea with lease4-update / lease6-update over Kea's control socket
 *    (the lease_cmds hook), before the roles that make Kea answer those
 *    clients are applied: rbpd publishes them in that order.
 *  - The roles (kea_role.h) decide which clients Kea answers (kw_answers()).
 *  - Catch-up: once the roles are known, and again after rbpd did not
 *    answer (it may have restarted), every lease of Kea's database
 *    (lease4-get-all / lease6-get-all) is handed over again: rbpd takes an
 *    add equal to what it holds as a no-op. So a restart of Kea (and of the
 *    hook with it) or of rbpd loses nothing, and duplicates nothing.
 */
#ifndef DB_KEA_WORKER_H
#define DB_KEA_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum kw_level { KW_INFO, KW_WARN, KW_ERROR };

struct kw_opts {
	int family;		 /* 4 or 6: the Kea that loaded the hook */
	const char *rundir;	 /* rbpd's; NULL: /run/dualbackup */
	const char *ctrl_socket; /* this Kea's control socket (restores, catch-up) */
	/* The synchronous mode: > 0, a parked lease event (kw_event_parked())
	 * is done once rbpd says the peer holds it, or after sync_ms. */
	int sync_ms;
	/* Called from the worker for each parked event: status 1 the peer
	 * holds the lease (or it needed no backup: another device's client,
	 * nothing to send), 0 not known to (the channel is down, the peer
	 * did not confirm in time, rbpd did not answer), -1 the worker stops
	 * (Kea is unloading the hook: release, do not answer). */
	void (*done)(void *cookie, int status);
	void (*log)(enum kw_level level, const char *msg);
	/* Unless NULL, called from the worker with each counter's name and
	 * value, once at start and whenever it changed (after each turn of
	 * the worker): the hook keeps them as Kea statistics (docs/kea.md). */
	void (*stat)(const char *name, int64_t value);
};

/* Starts the worker. Returns 0, or a negative errno with the reason
 * logged. */
int kw_start(const struct kw_opts *o);

/* Stops it and frees everything; what is still queued is dropped (the
 * next start catches up). */
void kw_stop(void);

/* Queues one lease event from Kea: json (len bytes) is Lease::toElement();
 * del: the lease is gone (released, expired, declined, removed). iface is
 * the interface the query came in on (NULL: unknown). Never blocks. */
void kw_event(const char *json, size_t len, bool del, const char *iface);

/* kw_event() for the synchronous mode: cookie is handed back to
 * opts.done once the change is backed up (or not). Never blocks. */
void kw_event_parked(const char *json, size_t len, bool del, const char *iface, void *cookie);

/* Whether the synchronous mode is on (sync_ms > 0). */
bool kw_sync(void);

/* Whether Kea answers the client with this MAC coming in on iface
 * (kea_role.h's rule on the roles rbpd told last); mac NULL (a client
 * without an Ethernet address): whether the roles are known. */
bool kw_answers(const uint8_t mac[6], const char *iface);

#ifdef __cplusplus
}
#endif

#endif
