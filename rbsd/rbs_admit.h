/*
 * Who may hold a connection slot of an RBS channel, and which of two
 * connections survives (README.md "The RBS channel's security": no unauthenticated
 * connection displaces an established channel; half-open connections are
 * bounded). Pure decisions over small structs, no sockets: rbs_chan.c
 * carries them out, tests/check_rbs_admit.c drives them.
 */
#ifndef DB_RBS_ADMIT_H
#define DB_RBS_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Inbound connections that may be in the handshake (TCP accepted, TLS or
 * HELLO not done) at once; one more arriving pushes the oldest out. */
#define RBS_ADMIT_MAX_PENDING 2

/* One connection as the decision sees it. */
struct rbs_admit_link {
	bool dialed;	  /* this device dialed it */
	bool established; /* it carries the channel (HELLOs exchanged) */
	bool preferred;	  /* the tie-break (rbs_sess_tiebreak()) keeps it */
};

enum rbs_admit_keep { RBS_ADMIT_KEEP_NEW, RBS_ADMIT_KEEP_OLD };

/*
 * A connection (nl) finished its handshake while another one (ol) is also
 * through it: which one to keep. authenticated: the channel has TLS, so nl
 * came this far only with a peer certificate verified against the policy
 * (and its pin). The rule:
 *  - in clear text, an established connection is never displaced (nothing
 *    proves who a new one comes from: anyone who can send from the peer's
 *    address could take the channel);
 *  - otherwise the tie-break decides, the same way on both devices.
 */
enum rbs_admit_keep rbs_admit_up(bool authenticated, const struct rbs_admit_link *nl,
				 const struct rbs_admit_link *ol);

/* What to do with a new inbound connection from the peer's address. */
enum rbs_admit_room {
	RBS_ADMIT_ACCEPT,	/* take it into a free slot */
	RBS_ADMIT_EVICT_OLDEST, /* drop the oldest pending inbound, then take it */
	RBS_ADMIT_REFUSE,	/* no slot it may use: close it */
};

/*
 * Room for one more inbound connection. pending: inbound connections
 * still in the handshake; free_slots: slots unused; dial_open: this
 * device's own dial holds a slot already (otherwise one free slot stays
 * kept for it). At most RBS_ADMIT_MAX_PENDING inbound connections are in
 * the handshake at once: a new one pushes the oldest out.
 */
enum rbs_admit_room rbs_admit_inbound(unsigned pending, unsigned free_slots, bool dial_open);

/* An inbound connection in the handshake, as rbs_admit_victim() sees it. */
struct rbs_admit_pending {
	uint64_t opened_ms; /* when it was accepted */
	uint64_t rx_bytes;  /* what it has sent so far */
};

/*
 * Which of n pending inbound connections to push out for a new one: the
 * oldest of those that have sent nothing yet (a half-open connection
 * holds a slot for nothing; the real peer speaks at once), else the
 * oldest. Returns its index, or -1 when n == 0.
 */
int rbs_admit_victim(const struct rbs_admit_pending *p, size_t n);

/*
 * A clear-text channel that is established refuses every inbound
 * connection at once (rbs_admit_up() would drop it anyway): true when an
 * inbound connection must be closed before it takes a slot.
 */
bool rbs_admit_refuse_early(bool authenticated, bool established);

/* A log rate limit: at most one line per interval, counting the rest. */
struct rbs_ratelimit {
	uint64_t interval_ms;
	uint64_t next_ms;    /* no line before this (0: the first comes at once) */
	uint64_t suppressed; /* events not logged since the last line */
	uint64_t total_suppressed;
};

/*
 * One event at now_ms: true when it may be logged, with *suppressed set
 * to how many were not logged since the last line (to say so in it);
 * false when it is counted and not logged.
 */
bool rbs_ratelimit_ok(struct rbs_ratelimit *r, uint64_t now_ms, uint64_t *suppressed);

#endif
