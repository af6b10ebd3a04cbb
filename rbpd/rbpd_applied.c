/*
 * rbpd tells rbsd which of the peer's entries it applied (RbsApplied,
 * proto/rbs.proto): rbsd acknowledges to the peer only those, so that
 * the peer answers a synchronous request "backed up" once this table
 * holds its change, not once this rbsd received it (rbsd/rbs_applied.h
 * on rbsd's side).
 *
 * The count is of the entries in the RbsLocal.entries messages rbsd
 * handed since the attachment (RbsCredit.attach), each taken into the
 * table or refused: both are done with. It is cumulative, so one message
 * at the end of a turn of the loop says all that turn applied: at 100,000
 * entries a second, a few hundred messages, not one per entry. A uv_check
 * sends it, after the turn read what rbsd's socket held.
 */
#include "rbpd/rbpd.h"

static void on_turn(uv_check_t *h)
{
	struct rbpd *d = h->data;
	bool waiting = false;

	for (struct chan *ch = d->chans; ch; ch = ch->next) {
		Db__RbsLocal m = DB__RBS_LOCAL__INIT;
		Db__RbsApplied a = DB__RBS_APPLIED__INIT;

		if (ch->rx_applied == ch->rx_told || !ch->attached)
			continue;
		if (ch->stash) {
			/* after what waits already, which the pump's retry
			 * sends: a turn of the loop comes with it */
			waiting = true;
			continue;
		}
		a.count = ch->rx_applied;
		a.attach = ch->attach;
		m.body_case = DB__RBS_LOCAL__BODY_APPLIED;
		m.applied = &a;
		/* kept when rbsd's queue is full, and sent before anything
		 * more: rbsd acknowledges nothing more until it is */
		rbpd_feed_send_kept(ch, &m);
		ch->rx_told = ch->rx_applied;
	}
	if (!waiting)
		uv_check_stop(h);
}

void rbpd_applied_add(struct chan *ch, uint64_t n)
{
	struct rbpd *d = ch->d;

	ch->rx_applied += n;
	if (d->applied_init && !uv_is_active((uv_handle_t *)&d->applied_turn))
		uv_check_start(&d->applied_turn, on_turn);
}

void rbpd_applied_reset(struct chan *ch)
{
	ch->rx_applied = ch->rx_told = 0;
}

void rbpd_applied_init(struct rbpd *d)
{
	uv_check_init(d->loop, &d->applied_turn);
	d->applied_turn.data = d;
	d->applied_init = true;
}

void rbpd_applied_close(struct rbpd *d)
{
	if (d->applied_init)
		uv_close((uv_handle_t *)&d->applied_turn, NULL);
	d->applied_init = false;
}
