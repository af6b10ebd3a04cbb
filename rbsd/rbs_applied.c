/* The peer's entries the local feeder applied (rbs_applied.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/ring.h"
#include "rbsd/rbs_applied.h"

void rbs_applied_init(struct rbs_applied *a)
{
	memset(a, 0, sizeof(*a));
	a->on = true; /* until a feeder says otherwise, only what it applies */
}

void rbs_applied_free(struct rbs_applied *a)
{
	free(a->runs);
	rbs_applied_init(a);
}

static struct rbs_applied_run *run_at(const struct rbs_applied *a, size_t i)
{
	return &a->runs[(a->head + i) % a->cap];
}

void rbs_applied_attach(struct rbs_applied *a, uint64_t attach, bool on, uint64_t received)
{
	if (!a->on && a->done < received)
		a->done = received;
	a->on = on;
	a->attach = attach;
	a->head = a->len = 0;
	a->handed = a->applied = 0;
}

int rbs_applied_handed(struct rbs_applied *a, uint64_t seq, uint64_t n)
{
	uint64_t k = a->handed + 1;
	struct rbs_applied_run *last;

	if (n == 0)
		return 0;
	a->handed += n;
	if (!a->on)
		return 0;
	last = a->len ? run_at(a, a->len - 1) : NULL;
	if (last && last->k + last->n == k &&
	    (seq == 0 ? last->seq == 0 : last->seq && last->seq + last->n == seq)) {
		last->n += n;
		return 0;
	}
	if (a->len == a->cap &&
	    ring_grow((void **)&a->runs, sizeof(*a->runs), &a->head, a->len, &a->cap, 8) < 0)
		return -ENOMEM; /* not recorded: applied, they move nothing */
	*run_at(a, a->len++) = (struct rbs_applied_run){k, seq, n};
	return 0;
}

/* The first m entries of the oldest run are applied. */
static void take_front(struct rbs_applied *a, uint64_t m)
{
	struct rbs_applied_run *r = run_at(a, 0);

	/* In order: done reaches them only when nothing before them is
	 * missing (seq - 1 <= done); a run past a gap moves nothing. */
	if (r->seq && r->seq - 1 <= a->done && r->seq + m - 1 > a->done)
		a->done = r->seq + m - 1;
	r->k += m;
	if (r->seq)
		r->seq += m;
	r->n -= m;
	if (r->n == 0) {
		a->head = (a->head + 1) % a->cap;
		a->len--;
	}
}

int rbs_applied_report(struct rbs_applied *a, uint64_t attach, uint64_t count)
{
	if (!a->on || attach != a->attach)
		return -ESTALE;
	if (count > a->handed || count < a->applied)
		return -EINVAL;
	while (a->len) {
		struct rbs_applied_run *r = run_at(a, 0);
		uint64_t m;

		if (r->k > count)
			break;
		m = count - r->k + 1 < r->n ? count - r->k + 1 : r->n;
		take_front(a, m);
	}
	a->applied = count;
	return 0;
}

void rbs_applied_rewind(struct rbs_applied *a, uint64_t last)
{
	if (a->done > last)
		a->done = last;
}

void rbs_applied_rebase(struct rbs_applied *a, uint64_t base)
{
	for (size_t i = 0; i < a->len; i++)
		run_at(a, i)->seq = 0;
	a->done = base;
}

uint64_t rbs_applied_ack(const struct rbs_applied *a, uint64_t received)
{
	if (!a->on)
		return received;
	return a->done < received ? a->done : received;
}
