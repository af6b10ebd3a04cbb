/* A session's candidate (conf_int.h): its edits, applied or checked for
 * conflicts with what others committed since. */
#include "cfgd/conf.h"
#include "cfgd/conf_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

int cand_add(struct candidate *cd, enum cand_op_type type, enum gram_view view, const char *name,
	     const char *key, const char *text, enum gram_id id, uint64_t base)
{
	struct cand_op *op;

	if (cd->n == cd->cap) {
		size_t cap = cd->cap ? cd->cap * 2 : 16;
		struct cand_op *ops = realloc(cd->ops, cap * sizeof(*ops));

		if (ops == NULL)
			return -ENOMEM;
		cd->ops = ops;
		cd->cap = cap;
	}
	op = &cd->ops[cd->n];
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->view = view;
	op->id = id;
	op->base = base;
	op->name = strdup(name ? name : "");
	op->key = strdup(key ? key : "");
	op->text = strdup(text ? text : "");
	if (!op->name || !op->key || !op->text) {
		free(op->name);
		free(op->key);
		free(op->text);
		return -ENOMEM;
	}
	cd->n++;
	return 0;
}

void cand_clear(struct candidate *cd)
{
	for (size_t i = 0; i < cd->n; i++) {
		free(cd->ops[i].name);
		free(cd->ops[i].key);
		free(cd->ops[i].text);
	}
	free(cd->ops);
	memset(cd, 0, sizeof(*cd));
}

bool cand_pending(const struct candidate *cd)
{
	return cd->n > 0;
}

int cand_apply(const struct candidate *cd, struct conf *c)
{
	int rc = 0;

	for (size_t i = 0; i < cd->n && rc == 0; i++) {
		const struct cand_op *op = &cd->ops[i];

		switch (op->type) {
		case OP_SET:
			rc = conf_set(c, op->view, op->name, op->key, op->text, op->id);
			break;
		case OP_DEL:
			rc = conf_del(c, op->view, op->name, op->key);
			break;
		case OP_DEL_PREFIX:
			rc = conf_del_prefix(c, op->view, op->name, op->key);
			break;
		case OP_ENTER:
			rc = conf_section_add(c, op->view, op->name);
			break;
		case OP_DEL_SECTION:
			rc = conf_section_del(c, op->view, op->name);
			break;
		case OP_ACTION:
			break;
		}
	}
	return rc;
}

/* The latest touch of `t` or `u`. */
static const struct conf_touch *later(const struct conf_touch *t, const struct conf_touch *u)
{
	return !t || (u && u->commit > t->commit) ? u : t;
}

struct under_walk {
	char prefix[GRAM_LINE_MAX + 160];
	size_t plen;
	bool whole_section;
	const struct conf_touch *latest;
};

static void touched_under(const char *k, void *v, void *arg)
{
	struct under_walk *w = arg;

	if (strncmp(k, w->prefix, w->plen) == 0 && (w->whole_section || k[w->plen] == ' '))
		w->latest = later(w->latest, v);
}

/* The latest commit that touched what `op` edits: its key, its section as
 * a whole, a group removed as a whole that contains the key (undo vrrp
 * vrid N), and for such a removal every key inside it. */
static const struct conf_touch *touched_by_others(const struct conf *running,
						  const struct cand_op *op)
{
	const struct conf_touch *t = conf_touched(running, op->view, op->name, op->key);
	char key[GRAM_LINE_MAX];
	char *sp;

	t = later(t, conf_touched(running, op->view, op->name, ""));
	snprintf(key, sizeof(key), "%s", op->key);
	while ((sp = strrchr(key, ' ')) != NULL) {
		*sp = '\0';
		t = later(t, conf_touched(running, op->view, op->name, key));
	}
	if (op->type == OP_DEL_PREFIX || op->type == OP_DEL_SECTION) {
		struct under_walk w = {.latest = t};

		conf_touch_id(w.prefix, sizeof(w.prefix), op->view, op->name, op->key);
		w.plen = strlen(w.prefix);
		w.whole_section = op->type == OP_DEL_SECTION;
		strmap_each(running->touched->m, touched_under, &w);
		t = w.latest;
	}
	return t;
}

int cand_conflicts(const struct candidate *cd, const struct conf *running, const char *user,
		   char *out, size_t outlen)
{
	size_t used = 0;
	int n = 0;

	if (outlen)
		out[0] = '\0';
	for (size_t i = 0; i < cd->n; i++) {
		const struct cand_op *op = &cd->ops[i];
		const struct conf_touch *t;
		char title[160];

		if (op->type == OP_ACTION)
			continue;
		t = touched_by_others(running, op);
		if (t == NULL || t->commit <= op->base)
			continue;
		conf_section_title(op->view, op->name, title, sizeof(title));
		n++;
		if (used < outlen) {
			int w = snprintf(out + used, outlen - used,
					 "Error: '%s%s%s' was changed by %s in commit %llu after "
					 "this session (%s) began editing it.\n",
					 title, title[0] ? ": " : "",
					 op->key[0] ? op->key : "(section)", t->user,
					 (unsigned long long)t->commit, user);

			if (w > 0)
				used += (size_t)w;
		}
	}
	return n;
}

int cand_touch(const struct candidate *cd, struct conf *running, uint64_t commit, const char *user)
{
	int rc = 0;

	for (size_t i = 0; i < cd->n && rc == 0; i++) {
		const struct cand_op *op = &cd->ops[i];

		if (op->type == OP_ACTION)
			continue;
		rc = conf_touch(running, op->view, op->name,
				op->type == OP_ENTER || op->type == OP_DEL_SECTION ? "" : op->key,
				commit, user);
	}
	return rc;
}
