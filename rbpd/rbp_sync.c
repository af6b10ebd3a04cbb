/* Requests waiting for the peer to hold their changes (rbp_sync.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/ring.h"
#include "rbpd/rbp_sync.h"

void rbp_sync_init(struct rbp_sync *s)
{
	memset(s, 0, sizeof(*s));
}

void rbp_sync_free(struct rbp_sync *s)
{
	free(s->w);
	rbp_sync_init(s);
}

static struct rbp_sync_wait *at(const struct rbp_sync *s, size_t i)
{
	return &s->w[(s->head + i) % s->cap];
}

int rbp_sync_add(struct rbp_sync *s, uint64_t token, uint64_t q_first, uint64_t q_last)
{
	if (s->len == s->cap &&
	    ring_grow((void **)&s->w, sizeof(*s->w), &s->head, s->len, &s->cap, 16) < 0)
		return -ENOMEM;
	*at(s, s->len++) = (struct rbp_sync_wait){token, q_first, q_last, 0, 0};
	return 0;
}

void rbp_sync_taken(struct rbp_sync *s, uint64_t q, uint64_t k)
{
	while (s->mapped < s->len) {
		struct rbp_sync_wait *w = at(s, s->mapped);

		if (q < w->q_first)
			return; /* a change no waiter asked for */
		if (q > w->q_last) {
			/* its changes went by unseen: it cannot be judged held */
			w->k_first = 0;
			w->k_last = k;
			s->mapped++;
			continue;
		}
		if (q == w->q_first)
			w->k_first = k;
		if (q == w->q_last) {
			w->k_last = k;
			s->mapped++;
		}
		return;
	}
}

static struct rbp_sync_wait pop(struct rbp_sync *s)
{
	struct rbp_sync_wait w = *at(s, 0);

	s->head = (s->head + 1) % s->cap;
	s->len--;
	if (s->mapped)
		s->mapped--;
	return w;
}

void rbp_sync_resolve(struct rbp_sync *s, uint64_t resolved, uint64_t lost,
		      rbp_sync_done_fn done, void *arg)
{
	while (s->mapped > 0 && at(s, 0)->k_last <= resolved) {
		struct rbp_sync_wait w = pop(s);

		done(w.token, lost < w.k_first, arg);
	}
}

void rbp_sync_fail_all(struct rbp_sync *s, rbp_sync_done_fn done, void *arg)
{
	while (s->len > 0) {
		struct rbp_sync_wait w = pop(s);

		done(w.token, false, arg);
	}
	s->mapped = 0;
}

size_t rbp_sync_len(const struct rbp_sync *s)
{
	return s->len;
}
