/*
 * The state machine of one BFD session: RFC 5880 6.2 / 6.8, asynchronous
 * mode, single hop (RFC 5881). Pure: no sockets, no clock, no logging, no
 * allocation. Every event takes the current time in microseconds (any
 * monotonic origin, never 0: 0 means "stopped" below) and a fresh random
 * value from the caller (used only to jitter the next periodic packet, so
 * that tests choose it), and reports what the caller must do in a
 * struct bfd_fsm_out: send a packet now (out->pkt, with P or F as they
 * must be), the state change and its diagnostic, and when to call
 * bfd_fsm_timer() next.
 *
 * Timing (RFC 5880 6.8.2 - 6.8.4, 6.8.7):
 *  - Our packets go out every max(bfd.DesiredMinTxInterval,
 *    bfd.RemoteMinRxInterval), reduced by a random 0..25 % (10..25 % when
 *    our Detect Mult is 1), and not periodically at all while the peer's
 *    Required Min RX Interval is 0 or while it is in Demand mode with both
 *    ends Up and no Poll Sequence of ours runs.
 *  - The session goes Down (diag 1) when nothing was received for the
 *    Detection Time: the peer's Detect Mult times max(bfd.RequiredMinRx-
 *    Interval, the peer's Desired Min TX Interval), counted from the last
 *    packet received; exactly then, not earlier.
 *  - While not Up, bfd.DesiredMinTxInterval is at least 1 s (RFC 5880
 *    6.8.3); once Up it is the configured value.
 *
 * Where the RFC leaves room:
 *  - A Poll Sequence (RFC 5880 6.5) runs only while the session is Up:
 *    it exists so that the peer has taken our new intervals into account,
 *    which only matters for a running detection. Coming Up (1 s to the
 *    configured interval) starts one; a configuration change while Up
 *    starts one; going down ends one, and out of Up every change applies
 *    at once. P goes on our packets (periodic, or one that reports a state
 *    change) until a packet with F arrives.
 *  - A change of intervals while a Poll Sequence runs is held back, not
 *    sent, until that sequence ends (then a new one carries it): a Final
 *    then always answers the values our Polls carried, so it is safe to
 *    apply them. Within a sequence, as RFC 5880 6.8.3 says, a lower
 *    transmit interval or a higher receive interval applies at once, a
 *    higher transmit interval or a lower receive interval (for the
 *    Detection Time) when the Final arrives.
 *  - A state change is reported at once with a packet of its own, rather
 *    than at the next periodic one (up to a second later while not Up);
 *    the periodic timer restarts from it, so this never sends more than
 *    one packet ahead of the schedule. The packet is not sent while
 *    periodic transmission is stopped (see above), except as a Final.
 *  - A packet with P is answered with F at once, whatever the state
 *    (except AdminDown, which RFC 5880 6.8.6 discards before that step)
 *    and whatever stops periodic transmission (RFC 5880 6.8.7).
 *  - bfd.LocalDiag is cleared when the session comes Up, and set to 0 when
 *    it leaves AdminDown: the diagnostic says why the session last went
 *    down and is kept, for the peer and for display, until it is back Up.
 *  - In AdminDown we keep sending (state AdminDown, every second), learn
 *    the peer's variables from its packets as RFC 5880 6.8.6 does before
 *    it discards them, and run no Detection Time.
 *  - bfd.RemoteDiscr is zeroed after a Detection Time without packets in
 *    any state but AdminDown (RFC 5880 6.8.1), with no state change when
 *    the session was already Down.
 *  - Our Required Min RX Interval is never 0: that asks the peer to stop
 *    sending, which only makes sense in Demand mode, not implemented.
 *    Neither is the Echo function: we send Required Min Echo RX 0.
 */
#ifndef DB_BFD_FSM_H
#define DB_BFD_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "bfd/bfd_pkt.h"

/* RFC 5880 6.8.3: bfd.DesiredMinTxInterval while not Up is at least this. */
#define BFD_SLOW_TX_US 1000000u

/* What the operator configured for the session; RFC 5880 6.8.1. */
struct bfd_fsm_cfg {
	uint32_t desired_min_tx_us;  /* > 0; used once Up (1 s at least before) */
	uint32_t required_min_rx_us; /* > 0 */
	uint8_t detect_mult;	     /* bfd.DetectMult, > 0 */
};

/* Actions for the caller, OR-ed in bfd_fsm_out.actions. */
#define BFD_ACT_SEND 0x01  /* send out->pkt now */
#define BFD_ACT_POLL 0x02  /* with SEND: the packet carries P */
#define BFD_ACT_FINAL 0x04 /* with SEND: the packet carries F, the answer to a P */

/* What one event asks of the caller. */
struct bfd_fsm_out {
	unsigned actions; /* BFD_ACT_* */
	/* With BFD_ACT_SEND, the packet to send (bfd_pkt_build() takes it as
	 * is); zeroed otherwise. */
	struct bfd_pkt pkt;
	enum bfd_state from; /* state before the event */
	enum bfd_state to;   /* state after it; equal to from when nothing changed */
	/* bfd.LocalDiag after the event: when from != to and the session went
	 * down, why (BFD_DIAG_DETECT_EXPIRED, _NEIGHBOR_DOWN, _ADMIN_DOWN). */
	enum bfd_diag diag;
	/* When to call bfd_fsm_timer() next (bfd_fsm_next()); at or before
	 * now means at once; 0 when no timer runs (the peer asked for no
	 * periodic packets and no Detection Time runs). */
	uint64_t next_us;
};

/* One session. Fields are readable by the caller (display); change them
 * only through the functions below. Times are absolute microseconds,
 * 0 = stopped / never. The names in comments are RFC 5880 6.8.1's. */
struct bfd_fsm {
	struct bfd_fsm_cfg cfg;
	enum bfd_state state;	       /* bfd.SessionState */
	enum bfd_state remote_state;   /* bfd.RemoteSessionState */
	uint32_t local_disc;	       /* bfd.LocalDiscr */
	uint32_t remote_disc;	       /* bfd.RemoteDiscr, 0 while unknown */
	enum bfd_diag diag;	       /* bfd.LocalDiag */
	uint32_t desired_min_tx_us;    /* bfd.DesiredMinTxInterval, as we send it */
	uint32_t required_min_rx_us;   /* bfd.RequiredMinRxInterval, as we send it */
	uint32_t remote_min_rx_us;     /* bfd.RemoteMinRxInterval (1 until heard) */
	uint32_t remote_desired_tx_us; /* the peer's last Desired Min TX Interval */
	uint8_t remote_detect_mult;    /* the peer's last Detect Mult, 0 until heard */
	bool remote_demand;	       /* bfd.RemoteDemandMode */
	/* RFC 5880 6.8.3: what is in force while a Poll Sequence runs, the
	 * transmit interval for our packets and the receive interval for the
	 * Detection Time; equal to the two above otherwise. */
	uint32_t tx_used_us;
	uint32_t rx_used_us;
	bool polling;		 /* a Poll Sequence of ours runs: P on our packets */
	uint64_t tx_at;		 /* next periodic packet */
	uint32_t tx_interval_us; /* the unjittered interval tx_at was drawn from */
	uint64_t detect_at;	 /* end of the Detection Time */
	uint64_t last_tx_us;	 /* last packet asked for */
	uint64_t last_rx_us;	 /* last packet received for this session */
	/* For display: how many times the session came Up and left Up, and
	 * when its state last changed (creation counts). */
	uint32_t ups;
	uint32_t downs;
	uint64_t last_change_us;
};

/*
 * Sets up a session in Down, diag 0, with its first packet due at now_us
 * (bfd_fsm_next() returns now_us: call bfd_fsm_timer() then). local_disc
 * is bfd.LocalDiscr: nonzero, unique among this system's sessions, chosen
 * by the caller (RFC 5880 6.8.1 wants it random).
 *
 * Returns 0; -EINVAL for local_disc 0 or a cfg with a 0 field (*s is then
 * untouched).
 */
int bfd_fsm_init(struct bfd_fsm *s, uint32_t local_disc, const struct bfd_fsm_cfg *cfg,
		 uint64_t now_us);

/*
 * A Control packet for this session was received (RFC 5880 6.8.6): p was
 * accepted by bfd_pkt_parse(), with TTL 255, and the caller picked this
 * session by Your Discriminator, or by source address when it is 0. rnd:
 * any fresh random value.
 *
 * Returns 0; -EINVAL with *why = BFD_DROP_NO_SESSION when Your
 * Discriminator is neither 0 nor ours (the session is untouched and
 * *out says nothing happened). why may be NULL.
 */
int bfd_fsm_recv(struct bfd_fsm *s, uint64_t now_us, const struct bfd_pkt *p, uint32_t rnd,
		 struct bfd_fsm_out *out, enum bfd_drop *why);

/* Runs what is due at now_us: the Detection Time (Init or Up -> Down,
 * diag 1) and the periodic packet. Calling it early is harmless. */
void bfd_fsm_timer(struct bfd_fsm *s, uint64_t now_us, uint32_t rnd, struct bfd_fsm_out *out);

/*
 * Changes the configuration. While Up, new intervals start a Poll
 * Sequence (see the notes above); otherwise they apply at once. A new
 * Detect Mult goes out with the next packet.
 *
 * Returns 0; -EINVAL for a cfg with a 0 field (nothing changes).
 */
int bfd_fsm_set_cfg(struct bfd_fsm *s, uint64_t now_us, const struct bfd_fsm_cfg *cfg, uint32_t rnd,
		    struct bfd_fsm_out *out);

/*
 * The operator took the session down (down = true: AdminDown, diag 7,
 * Detection Time stopped, RFC 5880 6.8.16) or up again (Down, diag 0). A
 * change is reported to the peer at once. The same value twice is no
 * event.
 */
void bfd_fsm_set_admin_down(struct bfd_fsm *s, uint64_t now_us, bool down, uint32_t rnd,
			    struct bfd_fsm_out *out);

/* The earliest running timer (periodic packet, Detection Time), or 0 when
 * none runs. */
uint64_t bfd_fsm_next(const struct bfd_fsm *s);

/* The negotiated transmit interval, before jitter (RFC 5880 6.8.2, 6.8.7):
 * max(bfd.DesiredMinTxInterval in force, bfd.RemoteMinRxInterval). */
uint32_t bfd_fsm_tx_interval_us(const struct bfd_fsm *s);

/* The Detection Time (RFC 5880 6.8.4): the peer's Detect Mult times
 * max(bfd.RequiredMinRxInterval in force, its Desired Min TX Interval);
 * 0 before anything was heard. */
uint64_t bfd_fsm_detect_time_us(const struct bfd_fsm *s);

/*
 * The delay until the next periodic packet for a negotiated interval
 * (RFC 5880 6.8.7): interval_us reduced by 0..25 %, by 10..25 % when
 * detect_mult is 1, rnd = 0 giving the longest delay and UINT32_MAX the
 * shortest. Never less than 75 % of the interval, nor 0 for an interval
 * above 0.
 */
uint32_t bfd_fsm_jitter_us(uint32_t interval_us, uint8_t detect_mult, uint32_t rnd);

#endif
