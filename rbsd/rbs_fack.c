/* The feeder's entries the peer holds (rbs_fack.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/ring.h"
#include "rbsd/rbs_fack.h"

void rbs_fack_init(struct rbs_fack *f)
{
	memset(f, 0, sizeof(*f));
}

void rbs_fack_free(struct rbs_fack *f)
{
	free(f->runs);
	rbs_fack_init(f);
}

void rbs_fack_reset(struct rbs_fack *f)
{
	f->head = f->len = 0;
	f->fed = f->resolved = f->lost = 0;
}

static struct rbs_fack_run *run_at(const struct rbs_fack *f, size_t i)
{
	return &f->runs[(f->head + i) % f->cap];
}

/* Entries up to k are resolved: nothing older is waiting. */
static void resolve_through(struct rbs_fack *f, uint64_t k)
{
	if (k > f->resolved)
		f->resolved = k;
}

/* With nothing unresolved left, everything fed is resolved. */
static void settle(struct rbs_fack *f)
{
	if (f->len == 0)
		resolve_through(f, f->fed);
	else
		resolve_through(f, run_at(f, 0)->k - 1);
}

int rbs_fack_pushed(struct rbs_fack *f, uint64_t seq)
{
	uint64_t k = ++f->fed;
	struct rbs_fack_run *last = f->len ? run_at(f, f->len - 1) : NULL;

	if (seq == 0) {
		f->lost = k;
		settle(f);
		return 0;
	}
	if (last && last->k + last->n == k && last->seq + last->n == seq) {
		last->n++;
		return 0;
	}
	if (f->len == f->cap &&
	    ring_grow((void **)&f->runs, sizeof(*f->runs), &f->head, f->len, &f->cap, 8) < 0) {
		f->lost = k;
		settle(f);
		return -ENOMEM;
	}
	*run_at(f, f->len++) = (struct rbs_fack_run){k, seq, 1};
	return 0;
}

/* Drops the first n entries of the oldest run; lost: they count as lost.
 * `lost` is the highest entry lost and never goes down: an entry dropped
 * at its push (rbs_fack_pushed(f, 0)) may be newer than these. */
static void take_front(struct rbs_fack *f, uint64_t n, int lost)
{
	struct rbs_fack_run *r = run_at(f, 0);

	if (lost && r->k + n - 1 > f->lost)
		f->lost = r->k + n - 1;
	r->k += n;
	r->seq += n;
	r->n -= n;
	if (r->n == 0) {
		f->head = (f->head + 1) % f->cap;
		f->len--;
	}
}

void rbs_fack_update(struct rbs_fack *f, uint64_t acked, uint64_t discard_from,
		     uint64_t discard_to)
{
	/* Oldest first: what a resync discarded was never acknowledged, and
	 * sequences below it were acknowledged before it. */
	while (f->len) {
		struct rbs_fack_run *r = run_at(f, 0);
		uint64_t end = r->seq + r->n - 1;

		if (discard_from && r->seq >= discard_from && r->seq <= discard_to) {
			uint64_t upto = end < discard_to ? end : discard_to;

			take_front(f, upto - r->seq + 1, 1);
		} else if (r->seq <= acked) {
			uint64_t upto = end < acked ? end : acked;

			if (discard_from && discard_from > r->seq && discard_from <= upto)
				upto = discard_from - 1;
			take_front(f, upto - r->seq + 1, 0);
		} else {
			break;
		}
	}
	settle(f);
}
