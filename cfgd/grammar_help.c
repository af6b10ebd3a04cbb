/*
 * The CLI grammar's '?' help and Tab completion: the words that may come
 * next in a line, found by running the matcher (grammar.c) over the words
 * before them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfgd/grammar_int.h"

struct choice {
	char word[48];
	char help[128];
};

static void add_choice(struct choice *ch, int *n, int max, const char *word, const char *help)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(ch[i].word, word))
			return;
	if (*n == max)
		return;
	snprintf(ch[*n].word, sizeof(ch[0].word), "%s", word);
	snprintf(ch[*n].help, sizeof(ch[0].help), "%s", help);
	(*n)++;
}

static void param_choice(const struct tok *t, char *word, size_t wl, char *help, size_t hl)
{
	switch (t->type) {
	case T_INT:
		snprintf(word, wl, "INTEGER<%ld-%ld>", t->lo, t->hi);
		break;
	case T_IPV4:
		snprintf(word, wl, "X.X.X.X");
		break;
	case T_IPV6:
		snprintf(word, wl, "X:X::X:X");
		break;
	case T_IP:
		snprintf(word, wl, "IP-ADDRESS");
		break;
	case T_IFNAME:
	case T_IFTYPE:
		snprintf(word, wl, "STRING<1-15>");
		break;
	case T_IFNUM:
		snprintf(word, wl, "STRING<1-14>");
		break;
	case T_NAME:
		snprintf(word, wl, "STRING<1-31>");
		break;
	default:
		snprintf(word, wl, "STRING<1-255>");
		break;
	}
	snprintf(help, hl, "%s", t->name);
}

static int cmp_choice(const void *a, const void *b)
{
	return strcmp(((const struct choice *)a)->word, ((const struct choice *)b)->word);
}

/* Collect what may come at the next word (prefix: the partial word). */
static int collect(enum gram_view view, const char *line, struct choice *ch, int max, bool params,
		   char *err, size_t errlen)
{
	struct words ws;
	struct matcher m;
	const char *partial = "";
	int first = 0, nfull, n = 0;
	bool undo = false;

	gram_compile();
	gram_split(line, &ws);
	nfull = ws.n;
	if (!ws.trailing_blank && ws.n > 0) {
		partial = ws.w[ws.n - 1];
		nfull = ws.n - 1;
	}
	if (nfull > 0 && strlen(ws.w[0]) >= 2 && !strncasecmp("undo", ws.w[0], strlen(ws.w[0]))) {
		undo = true;
		first = 1;
	}
	if (nfull == 0 && !strncasecmp("undo", partial, strlen(partial)))
		add_choice(ch, &n, max, "undo", gram_help_of("undo"));
	gram_match_start(&m, view, undo);
	for (int wi = first; wi < nfull; wi++) {
		if (!gram_feed(&m, &ws, wi, undo)) {
			struct gram_result r = {0};

			gram_set_error(&r, &m, &ws, line);
			snprintf(err, errlen, "%s%s%s", r.err, r.reason[0] ? " " : "", r.reason);
			return -EINVAL;
		}
	}
	for (int i = 0; i < m.n; i++) {
		struct cand *c = &m.c[i];
		const struct pat *p = &gram_pats[c->cmd];

		if (!c->alive)
			continue;
		for (int pi = c->pi; pi < p->n; pi++) {
			const struct tok *t = &p->t[pi];

			if (t->type == T_KW) {
				for (int k = 0; k < t->nkw; k++)
					if (!strncasecmp(t->kw[k], partial, strlen(partial)))
						add_choice(ch, &n, max, t->kw[k],
							   gram_help_of(t->kw[k]));
			} else if (params && !partial[0]) {
				char w[48], h[128];

				param_choice(t, w, sizeof(w), h, sizeof(h));
				add_choice(ch, &n, max, w, h);
			}
			if (!t->optional)
				break;
		}
		if (params && !partial[0]) {
			int save = c->pi;
			bool done;

			/* <cr> when the command may end here */
			done = gram_tail_optional(c, undo);
			c->pi = save;
			if (done)
				add_choice(ch, &n, max, "<cr>", "");
		}
	}
	qsort(ch, (size_t)n, sizeof(ch[0]), cmp_choice);
	return n;
}

int gram_help(enum gram_view view, const char *line, char *out, size_t outlen)
{
	struct choice ch[64];
	char err[300];
	size_t used = 0;
	int n;

	n = collect(view, line, ch, 64, true, err, sizeof(err));
	if (n < 0) {
		snprintf(out, outlen, "%s", err);
		return n;
	}
	out[0] = '\0';
	if (n == 0) {
		snprintf(out, outlen, "Error: Unrecognized command found at '^' position.");
		return 0;
	}
	for (int i = 0; i < n && used < outlen; i++) {
		int w = snprintf(out + used, outlen - used, "  %-26s%s\n", ch[i].word, ch[i].help);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return n;
}

int gram_complete(enum gram_view view, const char *line, const char **out, int max)
{
	static struct choice ch[64];
	char err[300];
	int n, k = 0;

	n = collect(view, line, ch, 64, false, err, sizeof(err));
	for (int i = 0; i < n && k < max; i++)
		out[k++] = ch[i].word;
	return k;
}
