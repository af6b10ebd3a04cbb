/* The BFD state machine of one session: see bfd_fsm.h. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "bfd/bfd_fsm.h"
#include "common/deadline.h"

/* Every event starts here: out says "nothing happened" until a rule says
 * otherwise, so that no path leaves it half written. */
static void out_begin(const struct bfd_fsm *s, struct bfd_fsm_out *out)
{
	memset(&out->pkt, 0, sizeof(out->pkt));
	out->actions = 0;
	out->from = s->state;
	out->to = s->state;
	out->diag = s->diag;
	out->next_us = 0;
}

/* ... and ends here, with what the session has become. */
static void out_end(const struct bfd_fsm *s, struct bfd_fsm_out *out)
{
	out->to = s->state;
	out->diag = s->diag;
	out->next_us = bfd_fsm_next(s);
}

static bool cfg_ok(const struct bfd_fsm_cfg *cfg)
{
	return cfg->desired_min_tx_us != 0 && cfg->required_min_rx_us != 0 && cfg->detect_mult != 0;
}

static uint32_t max32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* RFC 5880 6.8.6: the peer's Demand mode is active only while both ends
 * are Up. */
static bool remote_demand_active(const struct bfd_fsm *s)
{
	return s->remote_demand && s->state == BFD_STATE_UP && s->remote_state == BFD_STATE_UP;
}

/* RFC 5880 6.8.7: no periodic packets to a peer that asks for none, nor to
 * one in Demand mode unless a Poll Sequence of ours needs them. */
static bool tx_allowed(const struct bfd_fsm *s)
{
	return s->remote_min_rx_us != 0 && (!remote_demand_active(s) || s->polling);
}

/*
 * Brings bfd.DesiredMinTxInterval and bfd.RequiredMinRxInterval in line
 * with the configuration and the state (RFC 5880 6.8.3). Out of Up they
 * apply at once, and no Poll Sequence runs. While Up a change starts a
 * Poll Sequence, in which what is safe applies at once (a faster transmit
 * rate, a longer Detection Time) and the rest waits for the Final; a
 * change during a sequence waits for it to end (see bfd_fsm.h).
 */
static void sync_params(struct bfd_fsm *s)
{
	uint32_t tx = s->cfg.desired_min_tx_us, rx = s->cfg.required_min_rx_us;

	if (s->state != BFD_STATE_UP) {
		s->polling = false;
		s->desired_min_tx_us = s->tx_used_us = max32(tx, BFD_SLOW_TX_US);
		s->required_min_rx_us = s->rx_used_us = rx;
		return;
	}
	if (s->polling)
		return;
	if (tx == s->desired_min_tx_us && rx == s->required_min_rx_us)
		return;
	s->desired_min_tx_us = tx;
	s->required_min_rx_us = rx;
	if (tx < s->tx_used_us)
		s->tx_used_us = tx;
	if (rx > s->rx_used_us)
		s->rx_used_us = rx;
	s->polling = true;
}

/* A Final ended our Poll Sequence: the peer has seen what our Polls
 * carried, which now applies in full (RFC 5880 6.5, 6.8.3). */
static void poll_done(struct bfd_fsm *s)
{
	s->polling = false;
	s->tx_used_us = s->desired_min_tx_us;
	s->rx_used_us = s->required_min_rx_us;
	sync_params(s);
}

static void set_state(struct bfd_fsm *s, uint64_t now, enum bfd_state to, enum bfd_diag diag)
{
	if (s->state == BFD_STATE_UP)
		s->downs++;
	if (to == BFD_STATE_UP)
		s->ups++;
	s->state = to;
	s->diag = diag;
	s->last_change_us = now;
	sync_params(s);
}

/* Draws the periodic timer again when it was stopped or the negotiated
 * interval changed, counting from the last packet sent: a shorter interval
 * is honoured at once, a longer one is never undercut (RFC 5880 6.8.3,
 * 6.8.7). An interval that has already passed means now. */
static void arm_tx(struct bfd_fsm *s, uint64_t now, uint32_t rnd)
{
	uint32_t ivl;
	uint64_t at;

	if (!tx_allowed(s)) {
		s->tx_at = 0;
		s->tx_interval_us = 0;
		return;
	}
	ivl = bfd_fsm_tx_interval_us(s);
	if (s->tx_at != 0 && ivl == s->tx_interval_us)
		return;
	s->tx_interval_us = ivl;
	at = s->last_tx_us ? s->last_tx_us + bfd_fsm_jitter_us(ivl, s->cfg.detect_mult, rnd) : now;
	s->tx_at = at > now ? at : now;
}

/* RFC 5880 6.8.4: the Detection Time runs from the last packet received in
 * Init and Up. In Down it still runs while the peer's discriminator is
 * known, to forget it (6.8.1); in AdminDown it does not run (6.8.16). */
static void arm_detect(struct bfd_fsm *s)
{
	bool running;

	switch (s->state) {
	case BFD_STATE_INIT:
	case BFD_STATE_UP:
		running = true;
		break;
	case BFD_STATE_DOWN:
		running = s->remote_disc != 0;
		break;
	default:
		running = false;
		break;
	}
	s->detect_at = running && s->last_rx_us ? s->last_rx_us + bfd_fsm_detect_time_us(s) : 0;
}

static void rearm(struct bfd_fsm *s, uint64_t now, uint32_t rnd)
{
	arm_tx(s, now, rnd);
	arm_detect(s);
}

/* Asks the caller to send a packet now, with F when it answers a Poll,
 * else with P while a Poll Sequence of ours runs (never both, RFC 5880
 * 6.5). The periodic timer restarts from it. */
static void send_pkt(struct bfd_fsm *s, uint64_t now, uint32_t rnd, bool final,
		     struct bfd_fsm_out *out)
{
	struct bfd_pkt *p = &out->pkt;

	memset(p, 0, sizeof(*p));
	p->version = BFD_PKT_VERSION;
	p->diag = (uint8_t)s->diag;
	p->state = s->state;
	p->poll = s->polling && !final;
	p->final = final;
	p->detect_mult = s->cfg.detect_mult;
	p->length = BFD_PKT_LEN;
	p->my_disc = s->local_disc;
	p->your_disc = s->remote_disc;
	p->desired_min_tx_us = s->desired_min_tx_us;
	p->required_min_rx_us = s->required_min_rx_us;
	p->required_min_echo_rx_us = 0; /* no Echo function */
	out->actions = BFD_ACT_SEND | (p->poll ? BFD_ACT_POLL : 0) | (final ? BFD_ACT_FINAL : 0);

	s->last_tx_us = now;
	s->tx_at = 0;
	arm_tx(s, now, rnd);
}

int bfd_fsm_init(struct bfd_fsm *s, uint32_t local_disc, const struct bfd_fsm_cfg *cfg,
		 uint64_t now_us)
{
	if (local_disc == 0 || !cfg_ok(cfg))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->state = BFD_STATE_DOWN; /* RFC 5880 6.8.1 initial values */
	s->remote_state = BFD_STATE_DOWN;
	s->local_disc = local_disc;
	s->diag = BFD_DIAG_NONE;
	s->remote_min_rx_us = 1;
	sync_params(s);
	s->tx_at = now_us;
	s->tx_interval_us = bfd_fsm_tx_interval_us(s);
	s->last_change_us = now_us;
	return 0;
}

/* The state table of RFC 5880 6.8.6 for a session not in AdminDown. */
static void transition(struct bfd_fsm *s, uint64_t now, enum bfd_state remote)
{
	if (remote == BFD_STATE_ADMIN_DOWN) {
		if (s->state != BFD_STATE_DOWN)
			set_state(s, now, BFD_STATE_DOWN, BFD_DIAG_NEIGHBOR_DOWN);
		return;
	}
	switch (s->state) {
	case BFD_STATE_DOWN:
		if (remote == BFD_STATE_DOWN)
			set_state(s, now, BFD_STATE_INIT, s->diag);
		else if (remote == BFD_STATE_INIT)
			set_state(s, now, BFD_STATE_UP, BFD_DIAG_NONE);
		break;
	case BFD_STATE_INIT:
		if (remote == BFD_STATE_INIT || remote == BFD_STATE_UP)
			set_state(s, now, BFD_STATE_UP, BFD_DIAG_NONE);
		break;
	case BFD_STATE_UP:
		if (remote == BFD_STATE_DOWN)
			set_state(s, now, BFD_STATE_DOWN, BFD_DIAG_NEIGHBOR_DOWN);
		break;
	case BFD_STATE_ADMIN_DOWN:
		break;
	}
}

int bfd_fsm_recv(struct bfd_fsm *s, uint64_t now_us, const struct bfd_pkt *p, uint32_t rnd,
		 struct bfd_fsm_out *out, enum bfd_drop *why)
{
	enum bfd_state before;

	out_begin(s, out);
	if (why)
		*why = BFD_DROP_NONE;
	if (p->your_disc != 0 && p->your_disc != s->local_disc) {
		if (why)
			*why = BFD_DROP_NO_SESSION;
		out_end(s, out);
		return -EINVAL;
	}

	/* RFC 5880 6.8.6, in its order */
	s->remote_disc = p->my_disc;
	s->remote_state = p->state;
	s->remote_demand = p->demand;
	s->remote_min_rx_us = p->required_min_rx_us;
	s->remote_desired_tx_us = p->desired_min_tx_us;
	s->remote_detect_mult = p->detect_mult;
	s->last_rx_us = now_us;
	if (p->final && s->polling)
		poll_done(s);

	if (s->state != BFD_STATE_ADMIN_DOWN) {
		before = s->state;
		transition(s, now_us, p->state);
		if (p->poll)
			send_pkt(s, now_us, rnd, true, out);
		else if (s->state != before && tx_allowed(s))
			send_pkt(s, now_us, rnd, false, out);
	}
	rearm(s, now_us, rnd);
	out_end(s, out);
	return 0;
}

void bfd_fsm_timer(struct bfd_fsm *s, uint64_t now_us, uint32_t rnd, struct bfd_fsm_out *out)
{
	out_begin(s, out);
	if (s->detect_at != 0 && s->detect_at <= now_us) {
		s->remote_disc = 0;
		s->detect_at = 0;
		if (s->state == BFD_STATE_INIT || s->state == BFD_STATE_UP) {
			set_state(s, now_us, BFD_STATE_DOWN, BFD_DIAG_DETECT_EXPIRED);
			if (tx_allowed(s))
				send_pkt(s, now_us, rnd, false, out);
		}
	}
	/* a packet that reported the state change stands for the periodic one */
	if (!(out->actions & BFD_ACT_SEND) && s->tx_at != 0 && s->tx_at <= now_us)
		send_pkt(s, now_us, rnd, false, out);
	rearm(s, now_us, rnd);
	out_end(s, out);
}

int bfd_fsm_set_cfg(struct bfd_fsm *s, uint64_t now_us, const struct bfd_fsm_cfg *cfg, uint32_t rnd,
		    struct bfd_fsm_out *out)
{
	out_begin(s, out);
	if (!cfg_ok(cfg)) {
		out_end(s, out);
		return -EINVAL;
	}
	s->cfg = *cfg;
	sync_params(s);
	rearm(s, now_us, rnd);
	out_end(s, out);
	return 0;
}

void bfd_fsm_set_admin_down(struct bfd_fsm *s, uint64_t now_us, bool down, uint32_t rnd,
			    struct bfd_fsm_out *out)
{
	out_begin(s, out);
	if (down != (s->state == BFD_STATE_ADMIN_DOWN)) {
		if (down)
			set_state(s, now_us, BFD_STATE_ADMIN_DOWN, BFD_DIAG_ADMIN_DOWN);
		else
			set_state(s, now_us, BFD_STATE_DOWN, BFD_DIAG_NONE);
		if (tx_allowed(s))
			send_pkt(s, now_us, rnd, false, out);
		rearm(s, now_us, rnd);
	}
	out_end(s, out);
}

uint64_t bfd_fsm_next(const struct bfd_fsm *s)
{
	return deadline_earliest(s->tx_at, s->detect_at);
}

uint32_t bfd_fsm_tx_interval_us(const struct bfd_fsm *s)
{
	return max32(s->tx_used_us, s->remote_min_rx_us);
}

uint64_t bfd_fsm_detect_time_us(const struct bfd_fsm *s)
{
	return (uint64_t)s->remote_detect_mult * max32(s->rx_used_us, s->remote_desired_tx_us);
}

/* RFC 5880 6.8.7: "reduced by a random value of 0 to 25%", and with
 * bfd.DetectMult 1 "no more than 90% ... no less than 75%". rnd is spread
 * over the allowed reduction, so both ends of the range can be reached. */
uint32_t bfd_fsm_jitter_us(uint32_t interval_us, uint8_t detect_mult, uint32_t rnd)
{
	uint64_t most = interval_us / 4, least = 0, cut;

	if (detect_mult == 1) {
		least = ((uint64_t)interval_us + 9) / 10;
		if (least > most) /* intervals under 10 us cannot obey both bounds */
			least = most;
	}
	cut = least + (most - least) * rnd / UINT32_MAX;
	return (uint32_t)(interval_us - cut);
}
