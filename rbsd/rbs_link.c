#include "rbsd/rbs_link.h"

uint64_t rbs_link_dial_start(struct rbs_link_dial *d, uint64_t now, bool lower)
{
	d->backoff_ms = RBS_LINK_BACKOFF_MIN_MS;
	d->dialing = false;
	d->at = now + (lower ? RBS_LINK_LOWER_SIDE_DELAY_MS : 0);
	return d->at;
}

enum rbs_link_dial_act rbs_link_dial_due(struct rbs_link_dial *d, uint64_t now, bool up)
{
	if (d->at == RBS_LINK_NEVER || now < d->at)
		return RBS_LINK_DIAL_NONE;
	d->at = RBS_LINK_NEVER;
	/* Up: nothing to dial for. Dialing: the dial in progress ends in a
	 * failure or a link, and either decides what comes next. */
	if (up || d->dialing)
		return RBS_LINK_DIAL_NONE;
	return RBS_LINK_DIAL_NOW;
}

void rbs_link_dial_begun(struct rbs_link_dial *d)
{
	d->dialing = true;
}

void rbs_link_dial_done(struct rbs_link_dial *d)
{
	d->dialing = false;
}

uint64_t rbs_link_dial_no_slot(struct rbs_link_dial *d, uint64_t now)
{
	/* rbs_admit_inbound() keeps a slot for the own dial, so this is
	 * next to impossible: try again later, the backoff left alone. */
	d->at = now + RBS_LINK_BACKOFF_MAX_MS;
	return d->at;
}

uint64_t rbs_link_dial_failed(struct rbs_link_dial *d, uint64_t now, bool up)
{
	/* A dial already scheduled stays: a flood of refused connections
	 * must not keep pushing this device's own dial back. */
	if (up || d->dialing || d->at != RBS_LINK_NEVER)
		return d->at;
	d->at = now + d->backoff_ms;
	d->backoff_ms = d->backoff_ms * 2 > RBS_LINK_BACKOFF_MAX_MS ? RBS_LINK_BACKOFF_MAX_MS
								    : d->backoff_ms * 2;
	return d->at;
}

uint64_t rbs_link_dial_closed(struct rbs_link_dial *d, uint64_t now, bool up)
{
	if (up || d->dialing || d->at != RBS_LINK_NEVER)
		return d->at;
	d->at = now + d->backoff_ms;
	return d->at;
}

void rbs_link_dial_up(struct rbs_link_dial *d)
{
	d->backoff_ms = RBS_LINK_BACKOFF_MIN_MS;
}

uint64_t rbs_link_dial_next(const struct rbs_link_dial *d)
{
	return d->at;
}

void rbs_link_open(struct rbs_link *k, uint64_t now, bool dialed)
{
	*k = (struct rbs_link){.dialed = dialed, .opened_ms = now};
}

void rbs_link_connected(struct rbs_link *k, uint64_t now)
{
	k->rx_ms = k->tx_ms = now;
}

void rbs_link_established(struct rbs_link *k)
{
	k->established = true;
}

void rbs_link_heard(struct rbs_link *k, uint64_t now)
{
	k->rx_ms = now;
}

void rbs_link_sent(struct rbs_link *k, uint64_t now)
{
	k->tx_ms = now;
}

void rbs_link_held(struct rbs_link *k, uint64_t now)
{
	k->rx_ms = now;
}

static uint64_t handshake_ms(const struct rbs_link *k)
{
	return k->dialed ? RBS_LINK_DIAL_HANDSHAKE_MS : RBS_LINK_HANDSHAKE_MS;
}

enum rbs_link_act rbs_link_check(struct rbs_link *k, uint64_t now, bool held)
{
	if (!k->established)
		return now > k->opened_ms + handshake_ms(k) ? RBS_LINK_HANDSHAKE_EXPIRED
							    : RBS_LINK_OK;
	if (held)
		rbs_link_held(k, now); /* not reading: silence proves nothing */
	if (now > k->rx_ms + RBS_LINK_DEAD_MS)
		return RBS_LINK_DEAD;
	if (now >= k->tx_ms + RBS_LINK_KEEPALIVE_MS)
		return RBS_LINK_SEND_KEEPALIVE;
	return RBS_LINK_OK;
}

uint64_t rbs_link_next(const struct rbs_link *k)
{
	uint64_t dead, keepalive;

	if (!k->established)
		return k->opened_ms + handshake_ms(k) + 1;
	dead = k->rx_ms + RBS_LINK_DEAD_MS + 1;
	keepalive = k->tx_ms + RBS_LINK_KEEPALIVE_MS;
	return keepalive < dead ? keepalive : dead;
}
