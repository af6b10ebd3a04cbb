/*
 * When an RBS channel dials, and when it gives up on a link: the channel's
 * own dial and its backoff, a link's handshake deadline, the keepalive and
 * the dead peer. Pure: no sockets, no libuv, no logging. Times are
 * milliseconds of one monotonic clock, passed in (any origin); the state
 * lives in the two structs below, which the caller keeps and passes.
 * rbs_chan.c carries out what these return; tests/check_rbs_link.c
 * drives them. Which inbound link is admitted is rbs_admit.h's, which of
 * two links is kept rbs_sess.h's.
 *
 * The policy, and why:
 *
 * Dialing (struct rbs_link_dial). Both devices listen and dial each other
 * (rbs_chan.h); the connection dialed by the greater address is the one
 * kept (rbs_sess_tiebreak()).
 *  - At the start the side with the lower address dials only after
 *    RBS_LINK_LOWER_SIDE_DELAY_MS: its own connection would lose the
 *    tie-break anyway, and the greater side's usually arrives first, so
 *    only one connection is ever made. The greater side, and a side whose
 *    addresses the tie-break cannot order, dials at once.
 *  - The channel dials only when no link carries it and no dial of its own
 *    is in progress (its TCP connect, TLS handshake or HELLO not done): a
 *    dial that falls due otherwise does nothing, and the next loss
 *    schedules one. A connection waiting for the peer's HELLO is still the
 *    dial in progress: another one made meanwhile would lose the
 *    tie-break against it, be closed, schedule the next, and so on until
 *    the HELLO came.
 *  - A connection that fails (refused, reset, a write error; an inbound one
 *    as much as the own dial, a dial that cannot even start, and the own
 *    dial that fails its TLS or HELLO: a peer of another protocol version,
 *    a broken frame, no HELLO in time) while no link carries the channel
 *    and no dial is in progress schedules a dial after the backoff, and
 *    the backoff doubles, from RBS_LINK_BACKOFF_MIN_MS up to
 *    RBS_LINK_BACKOFF_MAX_MS: a peer that is gone, or that answers every
 *    connection with what this side must refuse, is tried at least every
 *    5 s, and not hammered meanwhile.
 *  - A dial already scheduled stays as it is, and so does the backoff:
 *    connections refused one after the other (a flood from the peer's
 *    address) must not keep pushing this device's own dial back.
 *  - A link this side closes on purpose (the peer silent, an inbound
 *    handshake out of time, a link replaced or pushed out, the profiles
 *    changed), when no link carries the channel and no dial is in progress
 *    or scheduled, schedules a dial after the current backoff, without
 *    doubling it.
 *  - As soon as a link carries the channel (HELLOs exchanged) the backoff
 *    is back at RBS_LINK_BACKOFF_MIN_MS: after a loss the first redial
 *    comes quickly.
 *  - When no connection slot is free for the own dial, it is tried again
 *    after RBS_LINK_BACKOFF_MAX_MS, the backoff left as it is.
 *
 * One link (struct rbs_link).
 *  - Until its HELLOs are exchanged a link must get through TCP, TLS and
 *    HELLO within RBS_LINK_HANDSHAKE_MS when the peer dialed it (anyone who
 *    can send from the peer's address may open one: it holds a slot for
 *    little time), within RBS_LINK_DIAL_HANDSHAKE_MS when this device
 *    dialed it (nobody else controls that one). Counted from when it was
 *    opened; bytes received meanwhile do not extend it. Out of time: the
 *    link is dropped once more than the limit has passed.
 *  - Once it carries the channel, the peer is dead when nothing (a frame,
 *    a keepalive, any byte) has come from it for more than RBS_LINK_DEAD_MS.
 *    What this side sends proves nothing about the peer. While the local
 *    feeder holds reading (rbs_chan_hold()) the silence proves nothing
 *    either: each look starts the interval again, and so does the release.
 *  - A keepalive goes once this side has sent nothing for
 *    RBS_LINK_KEEPALIVE_MS or more; anything sent in between defers it.
 *    The peer does the same, so an idle but healthy peer is heard about
 *    every RBS_LINK_KEEPALIVE_MS, well within RBS_LINK_DEAD_MS.
 *
 * The channel is down as soon as the link carrying it goes (dead, failed,
 * or closed by this side): rbs_chan.c says so and then dials again by the
 * rules above.
 */
#ifndef DB_RBS_LINK_H
#define DB_RBS_LINK_H

#include <stdbool.h>
#include <stdint.h>

#define RBS_LINK_KEEPALIVE_MS 1000	  /* idle this long: send a keepalive */
#define RBS_LINK_DEAD_MS 3000		  /* nothing from the peer for longer: it is gone */
#define RBS_LINK_HANDSHAKE_MS 1750	  /* an inbound link's handshake: gone within 2 s */
#define RBS_LINK_DIAL_HANDSHAKE_MS 5000	  /* the own dial's handshake */
#define RBS_LINK_BACKOFF_MIN_MS 100	  /* the first redial */
#define RBS_LINK_BACKOFF_MAX_MS 5000	  /* redial at least this often */
#define RBS_LINK_LOWER_SIDE_DELAY_MS 1000 /* the lower address lets the greater dial first */

/* No time: nothing scheduled, nothing due. */
#define RBS_LINK_NEVER UINT64_MAX

/* The channel's own dial. Readable by the caller; change it only through
 * the rbs_link_dial_*() functions. */
struct rbs_link_dial {
	uint64_t at;	     /* when to dial; RBS_LINK_NEVER: not scheduled */
	unsigned backoff_ms; /* the delay of the next redial after a failure */
	bool dialing;	     /* the own dial is in progress (TCP, TLS or HELLO not done) */
};

/*
 * The channel starts at now: the backoff at its minimum, a dial scheduled
 * at once, or after RBS_LINK_LOWER_SIDE_DELAY_MS when lower (this side's
 * address is the lower one, rbs_sess_tiebreak() keeps inbound links).
 * Returns when to dial.
 */
uint64_t rbs_link_dial_start(struct rbs_link_dial *d, uint64_t now, bool lower);

/* What to do when the dial time comes. */
enum rbs_link_dial_act {
	RBS_LINK_DIAL_NONE, /* nothing: not due yet, or not needed */
	RBS_LINK_DIAL_NOW,  /* dial the peer now */
};

/*
 * The dial timer fired at now; up: a link carries the channel. Before the
 * time scheduled: RBS_LINK_DIAL_NONE, the schedule kept. Otherwise the
 * schedule is used up, and RBS_LINK_DIAL_NOW unless the channel is up or
 * the own dial is in progress (then nothing is scheduled again: the next
 * loss does that). After RBS_LINK_DIAL_NOW the caller reports
 * rbs_link_dial_begun(), rbs_link_dial_no_slot() or
 * rbs_link_dial_failed().
 */
enum rbs_link_dial_act rbs_link_dial_due(struct rbs_link_dial *d, uint64_t now, bool up);

/* The own dial has started: it is in progress until rbs_link_dial_done(). */
void rbs_link_dial_begun(struct rbs_link_dial *d);

/* The own dial's connection carries the channel (HELLOs exchanged), or is
 * gone: the dial is no longer in progress. */
void rbs_link_dial_done(struct rbs_link_dial *d);

/* No connection slot was free for the own dial at now: it is tried again
 * after RBS_LINK_BACKOFF_MAX_MS, the backoff unchanged. Returns when. */
uint64_t rbs_link_dial_no_slot(struct rbs_link_dial *d, uint64_t now);

/*
 * A connection failed at now (any link, or the own dial could not start);
 * up: a link still carries the channel. With no channel, no dial in
 * progress and none scheduled, a dial is scheduled after the backoff and
 * the backoff doubles (at most RBS_LINK_BACKOFF_MAX_MS); otherwise
 * nothing changes. Returns when to dial next (RBS_LINK_NEVER: not
 * scheduled).
 */
uint64_t rbs_link_dial_failed(struct rbs_link_dial *d, uint64_t now, bool up);

/*
 * This side closed a link on purpose at now; up: a link still carries the
 * channel. With no channel, no dial in progress and none scheduled, a dial
 * is scheduled after the backoff, which stays as it is. Returns when to
 * dial next (RBS_LINK_NEVER: not scheduled).
 */
uint64_t rbs_link_dial_closed(struct rbs_link_dial *d, uint64_t now, bool up);

/* A link carries the channel (HELLOs exchanged): the backoff is back at
 * its minimum. */
void rbs_link_dial_up(struct rbs_link_dial *d);

/* When to dial next; RBS_LINK_NEVER: not scheduled. */
uint64_t rbs_link_dial_next(const struct rbs_link_dial *d);

/* One link's times. Readable by the caller; change it only through the
 * rbs_link_*() functions below. */
struct rbs_link {
	bool dialed;	    /* this device dialed it */
	bool established;   /* HELLOs exchanged: it carries the channel */
	uint64_t opened_ms; /* when it was dialed or accepted */
	uint64_t rx_ms;	    /* when the peer last sent something on it */
	uint64_t tx_ms;	    /* when this side last sent something on it */
};

/* A link dialed (dialed) or accepted at now, in its handshake. */
void rbs_link_open(struct rbs_link *k, uint64_t now, bool dialed);

/* Its TCP and TLS are up at now (this side sends its HELLO). */
void rbs_link_connected(struct rbs_link *k, uint64_t now);

/* HELLOs exchanged: it carries the channel, and the handshake deadline
 * gives way to the keepalive and the dead interval. */
void rbs_link_established(struct rbs_link *k);

/* Something came from the peer on it at now. */
void rbs_link_heard(struct rbs_link *k, uint64_t now);

/* Something was sent on it at now. */
void rbs_link_sent(struct rbs_link *k, uint64_t now);

/* Reading was held up to now (rbs_chan_hold()): the silence so far proves
 * nothing, the dead interval starts again now. */
void rbs_link_held(struct rbs_link *k, uint64_t now);

/* What a link needs at a look (rbs_link_check()). */
enum rbs_link_act {
	RBS_LINK_OK,		    /* nothing */
	RBS_LINK_HANDSHAKE_EXPIRED, /* not established in time: drop it */
	RBS_LINK_DEAD,		    /* established, the peer silent too long: drop it */
	RBS_LINK_SEND_KEEPALIVE,    /* established, idle: send a keepalive */
};

/*
 * Looks at link k at now, by the rules above; held: the local feeder holds
 * reading (the dead interval then starts again now). Calling it early is
 * harmless. Returns what to do; after RBS_LINK_SEND_KEEPALIVE the caller
 * reports the keepalive with rbs_link_sent().
 */
enum rbs_link_act rbs_link_check(struct rbs_link *k, uint64_t now, bool held);

/*
 * When rbs_link_check() must next look at k: the first ms after its
 * handshake's limit, or the earlier of the first ms after the dead
 * interval and the keepalive's time. Traffic only moves these later: a
 * caller that wakes at the earliest of its links' times and finds nothing
 * to do just asks again.
 */
uint64_t rbs_link_next(const struct rbs_link *k);

#endif
