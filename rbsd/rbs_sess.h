/*
 * The two decisions an RBS connection needs before entries flow. Pure
 * functions of their arguments: no sockets, no clock, no logging.
 *
 * 1. Tie-break (rbs_sess_tiebreak()). Both devices configure the other as
 *    peer on the same port, so both dial and both accept: when both
 *    connections come up, exactly one must survive, and both sides must
 *    pick the same one without talking. The rule: the connection dialed by
 *    the side with the numerically greater address survives. The two
 *    sides see the same pair of addresses from opposite ends, so one
 *    finds "local > peer" (keep the connection it dialed) and the other
 *    "local < peer" (keep the one it accepted): the same TCP connection.
 *    Compare the endpoint addresses of the connections themselves
 *    (getsockname() / getpeername()), not names from the configuration:
 *    they are what the peer sees. Ports are ignored (the dialer's is
 *    ephemeral); an IPv4-mapped IPv6 address (::ffff:192.0.2.1, from a
 *    dual-stack socket) counts as its IPv4 address, so that a side with a
 *    dual-stack listener agrees with one without.
 *
 * 2. Resume or resync (rbs_sess_decide()). Each side remembers, across
 *    connections of one rbsd run, five numbers (struct rbs_sess_state),
 *    sends them in its HELLO, and when the peer's HELLO arrives computes,
 *    for each direction, RESUME from seq k or RESYNC. Both sides compute
 *    the plan of a direction from the same two sets of numbers with the
 *    same function, so they agree: what one side decides to send is what
 *    the other decides to expect.
 *
 *    For the direction sender S -> receiver R, RESUME from k = R.rx_seq + 1
 *    only when all of these hold, otherwise RESYNC:
 *     - S.peer_session == R.session: S last paired with this very run of
 *       R. Otherwise R restarted (its tables may be gone) or this is the
 *       first contact.
 *     - R.peer_session == S.session: R's rx_seq counts entries of this run
 *       of S. Otherwise S restarted (its numbering began again at 1 and its
 *       old entries are gone), or R paired with someone else meanwhile.
 *     - S.tx_acked <= R.rx_seq <= S.tx_sent: R has everything up to
 *       k - 1, and S still holds everything from k (it frees only what R
 *       acked). R.rx_seq above tx_sent, or below what R itself acked, is
 *       impossible for a healthy pair: trusting either could skip entries.
 *
 *    RESUME: S acks everything before k and sends again from k
 *    (rbs_tx_resume()); R expects k (rbs_rx_reset()): what it expected
 *    already, or, when its feeder says what it applied (rbs_applied.h),
 *    the first entry it received and the feeder did not apply yet, which
 *    then comes again.
 *
 *    RESYNC: S drops its window (rbs_tx_resync()) and owes R a batch
 *    backup of every type, starting with BatchBegin before any entry; its
 *    numbering goes on at S.tx_sent + 1. R must come to expect that seq,
 *    but only once S's BatchBegin arrives (rbs_rx_resync() now,
 *    rbs_rx_batch_begin() then), not at the HELLO: if the connection
 *    broke before S got R's HELLO, S never decided anything, and an R that
 *    already reported "received up to S.tx_sent" would make the next
 *    connection RESUME past entries it never got. Until the batch begins
 *    R reports rx_seq 0, which for S means "nothing of yours": a RESUME
 *    from 1 if S still holds everything, a RESYNC otherwise.
 *
 *    Sequence numbers are never reused for an entry that was sent (a
 *    resync only gives again the seqs of dropped unsent entries), so
 *    (session, seq) names one entry for the whole run, and a RESUME can
 *    only skip entries R really has. A batch S owes stays owed until R
 *    acked every entry S sent before its BatchEnd (at once for an empty
 *    batch with nothing unacked), also across a RESUME on a later
 *    connection: the batch then starts again from BatchBegin.
 *
 *    What each side does with a plan, in this order, before any entry:
 *        mem.peer_session = peer_hello.session;
 *        tx: RESUME -> rbs_tx_resume(tx, plan.tx.seq)
 *            RESYNC -> rbs_tx_resync(tx), send a batch of every type
 *        rx: RESUME -> rbs_rx_reset(rx, plan.rx.seq)
 *            RESYNC -> rbs_rx_resync(rx, plan.rx.seq)
 *    and it sends no entry between its HELLO and the plan, so the numbers
 *    it decides with are the ones its HELLO carried.
 */
#ifndef DB_RBS_SESS_H
#define DB_RBS_SESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Which of two simultaneous connections to the peer survives. */
enum rbs_sess_keep {
	RBS_SESS_KEEP_OUTBOUND = 1, /* the one this side dialed */
	RBS_SESS_KEEP_INBOUND = 2,  /* the one this side accepted */
};

/*
 * The tie-break: local is this side's address of the connection, peer the
 * other side's (AF_INET or AF_INET6; ports and IPv6 scope ignored).
 * Returns RBS_SESS_KEEP_OUTBOUND when local is the greater address,
 * RBS_SESS_KEEP_INBOUND when peer is; -EINVAL when they are equal or of
 * different families (after mapping ::ffff:a.b.c.d to IPv4): no rule can
 * then agree on both sides; -EAFNOSUPPORT for another family.
 */
int rbs_sess_tiebreak(const struct sockaddr_storage *local, const struct sockaddr_storage *peer);

/* What a side remembers, and what its HELLO carries (RbsHello fields of
 * the same names). All zero but session after rbsd starts. */
struct rbs_sess_state {
	uint64_t session;      /* this run of rbsd, random, nonzero */
	uint64_t peer_session; /* the peer run last paired with (0: none) */
	uint64_t rx_seq;       /* rbs_rx_ackable(): received in order from it (and
				* applied, when the feeder says what it applied) */
	uint64_t tx_acked;     /* rbs_tx_acked(): own seqs the peer acked */
	uint64_t tx_sent;      /* rbs_tx_sent(): own seqs sent */
};

/* Why a direction resyncs; rbs_sess_why_str() names it for logs. */
enum rbs_sess_why {
	RBS_SESS_WHY_RESUME = 0, /* no reason: it resumes */
	RBS_SESS_WHY_FIRST,	 /* the sender never paired with a peer */
	RBS_SESS_WHY_PEER_NEW,	 /* the receiver is not the run the sender paired with */
	RBS_SESS_WHY_SENDER_NEW, /* the receiver does not know the sender's run */
	RBS_SESS_WHY_SEQ_AHEAD,	 /* the receiver claims more than the sender sent */
	RBS_SESS_WHY_SEQ_BEHIND, /* the receiver claims less than it acked */
	RBS_SESS_WHY__MAX
};

/* The plan of one direction. */
struct rbs_sess_dir {
	bool resume;	       /* false: resync */
	uint64_t seq;	       /* the first seq of this direction from now on */
	enum rbs_sess_why why; /* RBS_SESS_WHY_RESUME when resume */
};

struct rbs_sess_plan {
	struct rbs_sess_dir tx; /* what this side sends */
	struct rbs_sess_dir rx; /* what this side receives */
};

/*
 * The plan for both directions of a new connection, from this side's
 * state and the peer's HELLO (as a struct rbs_sess_state), by the rules
 * above. The peer, calling it with the arguments swapped, gets the same
 * plan with tx and rx swapped.
 *
 * Returns 0 with *out filled; -EINVAL when either session is 0 (not a
 * valid HELLO) or both are the same (a connection to itself, or two runs
 * that drew the same random number: either way not a pair); *out is then
 * untouched.
 */
int rbs_sess_decide(const struct rbs_sess_state *local, const struct rbs_sess_state *peer,
		    struct rbs_sess_plan *out);

/* A short text for a resync reason ("the peer restarted"); a static
 * string, never NULL ("unknown" outside the enum). */
const char *rbs_sess_why_str(enum rbs_sess_why why);

#endif
