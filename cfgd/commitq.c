#include "cfgd/commitq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct cfg_commitq_ops cfg_commitq_default_ops = {
    .dup = conf_dup,
    .free = conf_free,
    .conflicts = cand_conflicts,
    .apply = cand_apply,
    .realloc = realloc,
};

void cfg_commitq_init(struct cfg_commitq *q, const struct cfg_commitq_ops *ops)
{
	memset(q, 0, sizeof(*q));
	q->ops = ops ? ops : &cfg_commitq_default_ops;
}

void cfg_commitq_free(struct cfg_commitq *q)
{
	const struct cfg_commitq_ops *ops = q->ops;

	for (size_t i = 0; i < q->n; i++) {
		ops->free(q->v[i].target);
		if (q->v[i].actions) {
			cand_clear(q->v[i].actions);
			free(q->v[i].actions);
		}
	}
	/* ops->realloc allocates as realloc() does */
	free(q->v);
	cfg_commitq_init(q, ops);
}

/* out->p becomes the commit *p was; *p owns nothing any more. */
static void take(struct cfg_commitq_out *out, enum cfg_commitq_act act, struct cfg_pending *p)
{
	out->act = act;
	out->p = *p;
	out->msg[0] = '\0';
	memset(p, 0, sizeof(*p));
}

/* out: refused for want of memory, as cli_exec() refuses a commit made at
 * once */
static void refuse_nomem(struct cfg_commitq_out *out)
{
	out->act = CFG_CQ_NOMEM;
	snprintf(out->msg, sizeof(out->msg), "Error: out of memory.");
}

void cfg_commitq_submit(struct cfg_commitq *q, bool busy, struct cfg_pending *p,
			struct cfg_commitq_out *out)
{
	struct cfg_pending *v;

	if (!busy) {
		take(out, CFG_CQ_RUN, p);
		return;
	}
	v = q->ops->realloc(q->v, (q->n + 1) * sizeof(*v));
	if (v == NULL) {
		take(out, CFG_CQ_NOMEM, p);
		refuse_nomem(out);
		return;
	}
	q->v = v;
	q->v[q->n++] = *p;
	memset(p, 0, sizeof(*p));
	memset(out, 0, sizeof(*out));
	out->act = CFG_CQ_NONE;
}

void cfg_commitq_rollback(struct cfg_commitq *q, bool busy, struct cfg_pending *p,
			  struct cfg_commitq_out *out)
{
	p->forced = true;
	/* recorded before it can run (at once when idle): its durable write
	 * is what ends the record */
	q->rollback = CFG_RB_QUEUED;
	cfg_commitq_submit(q, busy, p, out);
}

void cfg_commitq_next(struct cfg_commitq *q, bool busy, const struct conf *running,
		      struct cfg_commitq_out *out)
{
	struct cfg_pending *p = &out->p;

	memset(out, 0, sizeof(*out));
	out->act = CFG_CQ_NONE;
	if (busy || q->n == 0)
		return;
	*p = q->v[0];
	memmove(q->v, q->v + 1, (q->n - 1) * sizeof(*q->v));
	q->n--;
	if (p->forced) {
		/* a trial rollback: the configuration the trial replaced,
		 * whoever asked for it and whatever ran since */
		out->act = CFG_CQ_RUN;
		return;
	}
	if (p->sess == NULL) {
		out->act = CFG_CQ_EXPIRED;
		snprintf(out->msg, sizeof(out->msg),
			 "Error: The session expired before its commit ran.");
		return;
	}
	if (p->fixed) {
		/* a rollback to a commit of the history: that configuration,
		 * not the session's candidate */
		out->act = CFG_CQ_RUN;
		return;
	}
	/* The commits ahead of it changed the running configuration: its
	 * target is made again from the running one and the candidate. */
	q->ops->free(p->target);
	p->target = q->ops->dup(running);
	if (p->target == NULL) {
		refuse_nomem(out);
		return;
	}
	if (q->ops->conflicts(&p->sess->cand, running, p->sess->user, out->msg, sizeof(out->msg))) {
		out->act = CFG_CQ_CONFLICT;
		return;
	}
	/* Edits applied part way (out of memory) are not the commit the
	 * operator asked for. */
	if (q->ops->apply(&p->sess->cand, p->target) < 0) {
		q->ops->free(p->target);
		p->target = NULL;
		refuse_nomem(out);
		return;
	}
	out->act = CFG_CQ_RUN_REBASED;
}

void cfg_commitq_forget(struct cfg_commitq *q, const struct session *s)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i].sess == s)
			q->v[i].sess = NULL;
}

bool cfg_commitq_durable(struct cfg_commitq *q, bool is_rollback, bool trial_pending)
{
	if (q->rollback == CFG_RB_QUEUED && !is_rollback)
		return false; /* a rollback waits behind this commit: its trial stays */
	q->rollback = CFG_RB_NONE;
	return !trial_pending;
}

void cfg_commitq_unsaved(struct cfg_commitq *q)
{
	q->rollback = CFG_RB_UNSAVED;
}

bool cfg_commitq_retry_due(const struct cfg_commitq *q, bool busy)
{
	return q->rollback == CFG_RB_UNSAVED && !busy;
}
